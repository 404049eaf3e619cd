package reports_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"

	"github.com/pdis/collab-ledger/reports"
	"github.com/pdis/collab-ledger/reports/reportstest"
)

// TestBriefingKnownAnswers checks the briefing of reportstest's story on
// the first half of 2026 against answers worked out by hand (see
// TestStoryKnownAnswers for the story's times):
//
//   - the previous period is 2025-07-01 – 2025-12-31, in which only p1 was
//     published (2025-12-15): headlines 5 published vs 1; established 4,
//     expired 1, due 4 (p1 03-05, p2 03-24, p4 05-15 after its extension,
//     p5 06-10), met 1, missed 2, one monthly meeting, 3 cases opened, 3
//     meetings held (m-pre 03-05, m-1 03-16, m-2 05-04; m-w starts 07-02),
//     2 recommendations, 1 directive, 4 responses, all against 0;
//   - the cases: c-1 (Join 提案 p1) closed, lead moi, r1 to moi (adopted)
//     and mohw (partly), r2 to moi (not adopted) and mot (deferred), the
//     directive "請各部會本諸權責辦理" within authority; c-2 (衛福部提案)
//     at the division of labour, lead mohw; c-3 (院交辦案) topic set, lead
//     mot (moi, then mot);
//   - who is late, as of 2026-06-30: p2 (moi, last day 03-24, unanswered:
//     98 days), p5 (mot, 06-10, unanswered: 20 days), p4 (mohw, 05-15,
//     answered 05-20: 5 days). p1 was answered on time.
//
// With moi only: its headlines, c-1 and c-3 (moi led it) and p2.
func TestBriefingKnownAnswers(t *testing.T) {
	store := recordStory(t, reportstest.Options{})
	ctx := context.Background()
	p, err := reports.DatePeriod(reportstest.From, reportstest.To)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := reports.Compute(ctx, store, p, reports.Filter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := rep.Briefing
	if b == nil {
		t.Fatal("no briefing")
	}
	if got := b.PreviousFrom.Format("2006-01-02") + " " + b.PreviousTo.Format("2006-01-02"); got != "2025-06-30 2025-12-31" || b.AsOf != "2026-06-30" {
		// UTC: 2025-07-01 00:00 Taipei is 2025-06-30 16:00 UTC
		t.Errorf("previous period %s (UTC), as of %s", got, b.AsOf)
	}
	want := map[string][2]float64{
		"proposals.published": {5, 1}, "proposals.established": {4, 0}, "proposals.expired": {1, 0},
		"deadlines.due": {4, 0}, "deadlines.met": {1, 0}, "deadlines.missed": {2, 0}, "monthly.held": {1, 0},
		"cases_by_source": {3, 0}, "meetings": {3, 0}, "recommendations": {2, 0}, "outcomes.directives": {1, 0}, "responses": {4, 0},
	}
	for _, h := range b.Headlines {
		w, ok := want[h.Key]
		if !ok {
			t.Errorf("headline %s without an answer", h.Key)
			continue
		}
		delete(want, h.Key)
		if h.Value != w[0] || h.Previous != w[1] {
			t.Errorf("headline %s: %v vs %v, want %v vs %v", h.Key, h.Value, h.Previous, w[0], w[1])
		}
		if h.Key != "deadlines.due" && h.Key != "deadlines.met" && h.Key != "deadlines.missed" && len(h.Source.Events) != int(h.Value) {
			t.Errorf("headline %s: %d events for %v", h.Key, len(h.Source.Events), h.Value)
		}
		if len(h.PreviousSource.Events) != int(h.Previous) {
			t.Errorf("headline %s: %d previous events for %v", h.Key, len(h.PreviousSource.Events), h.Previous)
		}
	}
	if len(want) > 0 {
		t.Errorf("headlines missing: %v", want)
	}
	var cases []string
	for _, c := range b.Cases {
		s := fmt.Sprintf("%s %s %s %s/%s", c.ID, c.Title, c.Stage, c.Lead, c.LeadZH)
		for _, r := range c.Recommendations {
			s += " " + r.ID + ":" + r.Text
			for _, v := range r.Verdicts {
				s += " " + v.Ministry + "=" + v.Verdict
				if v.Verdict != "" && v.Event == 0 {
					t.Errorf("%s %s %s: a verdict without its event", c.ID, r.ID, v.Ministry)
				}
			}
		}
		if c.Directive != nil {
			s += " directive " + c.Directive.Kind + ":" + c.Directive.Text
		}
		cases = append(cases, s)
		if len(c.Events) == 0 {
			t.Errorf("case %s names no events", c.ID)
		}
	}
	wantCases := []string{
		"c-1 Join 提案 p1 closed moi/內政部 r1:建議一 moi=adopted mohw=partly_adopted r2:建議二 moi=not_adopted mot=deferred directive within_authority:請各部會本諸權責辦理",
		"c-2 衛福部提案 division_of_labour mohw/衛生福利部",
		"c-3 院交辦案 topic_set mot/交通部",
	}
	if strings.Join(cases, "\n") != strings.Join(wantCases, "\n") {
		t.Errorf("cases:\n%s\nwant:\n%s", strings.Join(cases, "\n"), strings.Join(wantCases, "\n"))
	}
	// c-1's events: opened, closed, lead, two recommendations, four
	// responses, the directive.
	if n := len(b.Cases[0].Events); n != 10 {
		t.Errorf("c-1 names %d events, want 10", n)
	}
	var late []string
	for _, o := range b.Overdue {
		late = append(late, fmt.Sprintf("%s %s %s %s %s %d", o.Ministry, o.MinistryZH, o.Title, o.Due, o.Answered, o.DaysLate))
		if len(o.Events) == 0 {
			t.Errorf("overdue %s names no events", o.ProposalID)
		}
	}
	wantLate := []string{"moi 內政部 提案 p2 2026-03-24  98", "mot 交通部 提案 p5 2026-06-10  20", "mohw 衛生福利部 提案 p4 2026-05-15 2026-05-20 5"}
	if strings.Join(late, "\n") != strings.Join(wantLate, "\n") {
		t.Errorf("overdue:\n%s\nwant:\n%s", strings.Join(late, "\n"), strings.Join(wantLate, "\n"))
	}
	// p2's events: established, recorded missed; p4's: established,
	// extended, answered.
	if n := len(b.Overdue[0].Events); n != 2 {
		t.Errorf("p2 names %d events, want 2", n)
	}
	if n := len(b.Overdue[2].Events); n != 3 {
		t.Errorf("p4 names %d events, want 3", n)
	}
	// p4's deadline was extended to 2026-05-15: the instant is the end of
	// that day in Taipei (00:00 of 05-16), and the last day shown is 05-15,
	// not the day the instant's date reads.
	if o := b.Overdue[2]; o.Due != "2026-05-15" || !o.DueAt.Equal(calendar.MustParseDate("2026-05-15").End()) {
		t.Errorf("p4 due %s at %s, want 2026-05-15 at %s", o.Due, o.DueAt, calendar.MustParseDate("2026-05-15").End())
	}

	moi, err := reports.Compute(ctx, store, p, reports.Filter{Ministry: "moi"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range moi.Briefing.Cases {
		ids = append(ids, c.ID)
	}
	if strings.Join(ids, " ") != "c-1 c-3" || len(moi.Briefing.Overdue) != 1 || moi.Briefing.Overdue[0].ProposalID != "p2" {
		js, _ := json.Marshal(moi.Briefing)
		t.Errorf("moi's briefing: cases %v, overdue %s", ids, js)
	}
	for _, h := range moi.Briefing.Headlines {
		if h.Key == "proposals.published" && (h.Value != 2 || h.Previous != 1) {
			t.Errorf("moi: published %v vs %v, want 2 (p2, p6) vs 1 (p1)", h.Value, h.Previous)
		}
	}
}

// TestBriefingCSVKnownAnswers: the CSV report (a zip of tables) carries the
// briefing of the recorded half-year with the answers worked out by hand
// in TestBriefingKnownAnswers — the headlines against the previous
// period, a row per ministry's verdict on each recommendation, who is late
// — each file opening with a UTF-8 byte order mark and a header row, and
// every position a row names is the event of the ID beside it in the log.
func TestBriefingCSVKnownAnswers(t *testing.T) {
	store, rep := storyReport(t)
	ctx := context.Background()
	var buf bytes.Buffer
	if err := reports.Write(&buf, rep, "csv", reports.Chinese); err != nil {
		t.Fatal(err)
	}
	files := reportstest.Unzip(t, buf.Bytes())
	tables := map[string][]map[string]string{}
	for _, f := range files {
		raw := f.Data
		if !bytes.HasPrefix(raw, []byte("\ufeff")) {
			t.Errorf("%s: no byte order mark", f.Name)
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		for _, r := range rows[1:] {
			m := map[string]string{}
			for i, h := range rows[0] {
				m[h] = r[i]
			}
			tables[f.Name] = append(tables[f.Name], m)
		}
	}
	if len(files) != len(reports.CSVTables) {
		t.Fatalf("%d files, want %v", len(files), reports.CSVTables)
	}

	heads := map[string]string{}
	for _, h := range tables["2-headlines.csv"] {
		heads[h["key"]] = h["value"] + " " + h["previous"] + " " + h["change"]
	}
	for key, want := range map[string]string{"proposals.published": "5 1 4", "proposals.established": "4 0 4", "deadlines.missed": "2 0 2",
		"responses": "4 0 4", "outcomes.directives": "1 0 1", "cases_by_source": "3 0 3"} {
		if heads[key] != want {
			t.Errorf("headline %s: %q, want %q", key, heads[key], want)
		}
	}
	var cases []string
	for _, c := range tables["3-cases.csv"] {
		cases = append(cases, strings.Join([]string{c["case_id"], c["stage"], c["lead_zh"], c["recommendation_id"], c["ministry"], c["verdict"], c["verdict_zh"], c["directive"]}, " "))
		if c["proof"] != "/api/v1/trails/case-"+c["case_id"] {
			t.Errorf("case %s: proof %q", c["case_id"], c["proof"])
		}
	}
	wantCases := []string{
		"c-1 closed 內政部 r1 moi adopted 採納 within_authority",
		"c-1 closed 內政部 r1 mohw partly_adopted 部分採納 within_authority",
		"c-1 closed 內政部 r2 moi not_adopted 不採納 within_authority",
		"c-1 closed 內政部 r2 mot deferred 暫緩 within_authority",
		"c-2 division_of_labour 衛生福利部     ",
		"c-3 topic_set 交通部     ",
	}
	if strings.Join(cases, "\n") != strings.Join(wantCases, "\n") {
		t.Errorf("cases:\n%s\nwant:\n%s", strings.Join(cases, "\n"), strings.Join(wantCases, "\n"))
	}
	var late []string
	for _, o := range tables["4-overdue.csv"] {
		late = append(late, strings.Join([]string{o["ministry"], o["ministry_zh"], o["title"], o["due"], o["answered"], o["days_late"]}, " "))
	}
	wantLate := []string{"moi 內政部 提案 p2 2026-03-24  98", "mot 交通部 提案 p5 2026-06-10  20", "mohw 衛生福利部 提案 p4 2026-05-15 2026-05-20 5"}
	if strings.Join(late, "\n") != strings.Join(wantLate, "\n") {
		t.Errorf("overdue:\n%s\nwant:\n%s", strings.Join(late, "\n"), strings.Join(wantLate, "\n"))
	}

	// Every position named is the event of the ID beside it.
	checked := 0
	for name, pairs := range map[string][][2]string{
		"2-headlines.csv": {{"positions", "event_ids"}, {"previous_positions", "previous_event_ids"}},
		"3-cases.csv":     {{"case_positions", "case_event_ids"}},
		"4-overdue.csv":   {{"positions", "event_ids"}},
		"5-figures.csv":   {{"positions", "event_ids"}},
	} {
		for _, row := range tables[name] {
			for _, pair := range pairs {
				ps, ids := strings.Fields(row[pair[0]]), strings.Fields(row[pair[1]])
				if len(ps) != len(ids) {
					t.Fatalf("%s: %d positions, %d IDs", name, len(ps), len(ids))
				}
				for i, s := range ps {
					pos, err := strconv.ParseUint(s, 10, 64)
					if err != nil {
						t.Fatalf("%s: position %q", name, s)
					}
					evs, err := store.ReadAll(ctx, eventstore.Position(pos-1), 1)
					if err != nil || len(evs) != 1 || evs[0].ID.String() != ids[i] {
						t.Fatalf("%s: position %d is not event %s (%v)", name, pos, ids[i], err)
					}
					checked++
				}
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d events checked", checked)
	}
}

// storyReport records the story (recordStory) and computes its report of
// the recorded half-year, for every ministry.
func storyReport(t *testing.T) (eventstore.Store, reports.Report) {
	t.Helper()
	store := recordStory(t, reportstest.Options{})
	p, err := reports.DatePeriod(reportstest.From, reportstest.To)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := reports.Compute(context.Background(), store, p, reports.Filter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return store, rep
}

package reports

import (
	"archive/zip"
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
)

// TestImportedCaseLinks: over 2019 the report says, of the imported cases
// with a record in it, which were linked to their Join proposal by score
// (case 1), by a reviewed mapping (case 3), reviewed as from no Join
// proposal (case 2, whose link by score the review replaced), still unsure
// (case 4, nothing recorded; case 5, whose reviewed link is recorded only
// in 2020), and whose outcome is not in the archive (case 4's record
// ends): each figure with its events, in every format, in both languages.
// Case 6's record ended in 2018: not the period's. 2020 counts case 5 by
// review.
func TestImportedCaseLinks(t *testing.T) {
	imp := func(id, day string) logEvent {
		return logEvent{"case-" + id, domain.CaseOpened{CaseID: domain.CaseID(id), Title: "case " + id, SourceKind: domain.SourceImported, SourceRef: "pdis-archive:" + id, Occurred: at(day)}}
	}
	linked := func(id, day string, reviewed bool) logEvent {
		return logEvent{"case-" + id, domain.CaseProposalLinked{CaseID: domain.CaseID(id), ProposalID: domain.ProposalID("p" + id), Topic: "topic " + id, Ministry: "mot", Evidence: "e", Reviewed: reviewed, Occurred: at(day)}}
	}
	log := logOf("report-links", []logEvent{
		imp("6", "2018-03-01"),
		{"case-6", domain.CaseRecordEnded{CaseID: "6", Stage: domain.StageTopicSet, LastRecordAt: d("2018-05-01"), Archive: "pdis-archive", Occurred: at("2018-05-01")}},
		imp("1", "2019-01-10"), linked("1", "2019-01-10", false), // its proposal led by mot
		imp("2", "2019-02-01"), linked("2", "2019-02-01", false),
		imp("3", "2019-03-01"), linked("3", "2019-03-01", true),
		imp("4", "2019-04-01"),
		imp("5", "2019-05-01"),
		{"case-2", domain.CaseNoProposalRecorded{CaseID: "2", Evidence: "reviewed mapping x.csv:2 (a ministry's own topic)", Previous: "p2", Occurred: at("2019-02-01")}},
		{"case-4", domain.CaseRecordEnded{CaseID: "4", Stage: domain.StageTopicSet, LastRecordAt: d("2019-06-01"), Archive: "pdis-archive", Occurred: at("2019-06-01")}},
		linked("5", "2020-01-05", true),
	})
	pos := func(i int) eventstore.Position { return log[i].Position }
	p, err := DatePeriod("2019-01-01", "2019-12-31")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ComputeEvents(log, p, Filter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		value  float64
		events []eventstore.Position
	}
	for key, w := range map[string]want{
		"imported.cases":           {5, []eventstore.Position{pos(2), pos(4), pos(6), pos(8), pos(9)}},
		"imported.link.score":      {1, []eventstore.Position{pos(3)}},
		"imported.link.reviewed":   {1, []eventstore.Position{pos(7)}},
		"imported.link.none":       {1, []eventstore.Position{pos(10)}},
		"imported.link.unsure":     {2, []eventstore.Position{pos(8), pos(9)}},
		"imported.outcome_unknown": {1, []eventstore.Position{pos(11)}},
	} {
		f, ok := rep.Figure(key)
		if !ok {
			t.Errorf("no figure %s", key)
			continue
		}
		var got []eventstore.Position
		for _, r := range f.Source.Events {
			got = append(got, eventstore.Position(r.Position))
			if !strings.HasPrefix(r.Subject, "case-") {
				t.Errorf("%s: event at %d has trail subject %q, want its case", key, r.Position, r.Subject)
			}
		}
		if f.Value != w.value || !slices.Equal(got, w.events) {
			t.Errorf("%s = %v %v, want %v %v", key, f.Value, got, w.value, w.events)
		}
	}

	// An imported case without an assigned lead counts under its linked
	// proposal's lead (mot), as the pages show it: among the ministries
	// leading the most cases (events: the opening and the link), in the
	// briefing's cases. Case 2's link was replaced by a review: it has no
	// lead as the period ended. A ministry filter scopes a case by every
	// ministry it was ever shown under up to the report's position (as
	// for assigned leads): mot's report holds cases 1, 2, 3 and 5 (linked
	// in 2020).
	if f, _ := rep.Figure("ministries.mot"); f.Value != 2 || len(f.Source.Events) != 4 || f.Source.Events[0].Position != uint64(pos(2)) || f.Source.Events[1].Position != uint64(pos(3)) {
		t.Errorf("ministries.mot: %v %+v, want cases 1 and 3 with their openings and links", f.Value, f.Source.Events)
	}
	for _, line := range rep.Briefing.Cases {
		if want := map[string]string{"1": "mot", "3": "mot"}[line.ID]; line.Lead != want {
			t.Errorf("the briefing's case %s: lead %q, want %q", line.ID, line.Lead, want)
		}
	}
	mot, err := ComputeEvents(log, p, Filter{Ministry: "mot"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]float64{"imported.cases": 4, "imported.link.score": 1, "imported.link.reviewed": 1, "imported.link.none": 1, "imported.link.unsure": 1} {
		if f, _ := mot.Figure(key); f.Value != want {
			t.Errorf("under mot: %s = %v, want %v", key, f.Value, want)
		}
	}

	// Every format says it, in both languages.
	var html, md, csvZip bytes.Buffer
	if err := WriteHTML(&html, rep, English); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, rep, Chinese); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSVZip(&csvZip, rep); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(csvZip.Bytes()), int64(csvZip.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var figures string
	for _, f := range zr.File {
		if f.Name == "5-figures.csv" {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			figures = string(b)
		}
	}
	for _, label := range []string{
		"linked to their Join proposal by match score", "依比對分數連結至其提點子提案",
		"linked to their Join proposal by a reviewed mapping", "依人工審閱的對照表連結至其提點子提案",
		"reviewed: not from a Join proposal in the dataset", "並非出自本資料集中的提點子提案",
		"still unsure which proposal", "仍未確定出自哪一提案",
	} {
		for name, out := range map[string]string{"html": html.String(), "md": md.String(), "csv": figures} {
			if !strings.Contains(out, label) {
				t.Errorf("the %s report lacks %q", name, label)
			}
		}
	}
	if !strings.Contains(figures, "imported,imported.link.unsure,") {
		t.Error("the CSV figures lack the row imported.link.unsure")
	}

	// In 2020 case 5's reviewed link is recorded.
	p20, err := DatePeriod("2020-01-01", "2020-12-31")
	if err != nil {
		t.Fatal(err)
	}
	rep20, err := ComputeEvents(log, p20, Filter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for key, v := range map[string]float64{"imported.cases": 4, "imported.link.reviewed": 2, "imported.link.unsure": 0, "imported.outcome_unknown": 0} {
		if f, _ := rep20.Figure(key); f.Value != v {
			t.Errorf("2020: %s = %v, want %v", key, f.Value, v)
		}
	}
}

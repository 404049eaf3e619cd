package reports_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/eventstore"
	_ "github.com/pdis/collab-ledger/eventstore/bbolt" // file: URLs
	"github.com/pdis/collab-ledger/reports"
	"github.com/pdis/collab-ledger/reports/reportstest"
)

// recordStory records reportstest's story through app.Ledger on a fresh
// embedded store and returns the store, open.
func recordStory(t testing.TB, opts reportstest.Options) eventstore.Store {
	t.Helper()
	ctx := context.Background()
	store, err := eventstore.Open(ctx, "file:"+filepath.Join(t.TempDir(), "ledger.db"), eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	l, err := app.NewLedger(store, reportstest.Config([]byte("reportstest-secret-0123456789abcdef")))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := reportstest.Record(ctx, l, opts); err != nil {
		t.Fatal(err)
	}
	return store
}

// storyWant is a figure's answer worked out by hand: its value, and the
// events behind it as "type subject" (any order).
type storyWant struct {
	value  float64
	events []string
}

// ev repeats "type subject" for each subject.
func ev(typ string, subjects ...string) []string {
	out := make([]string, len(subjects))
	for i, s := range subjects {
		out[i] = typ + " " + s
	}
	return out
}

func cat(parts ...[]string) []string { return slices.Concat(parts...) }

// TestStoryKnownAnswers records reportstest's story through the command
// side and checks every figure of the report on the first half of 2026,
// and the events behind each, against answers worked out by hand from the
// story (times Asia/Taipei):
//
//   - proposals: p1 published 2025-12-15 10:00, established 01-05 10:00
//     (21 days), due end of 03-05, answered 02-20 (met); p2 published 01-10,
//     established 01-24 (14 days), due end of 03-24, recorded missed 03-25;
//     p3 published 01-12, expired 03-14; p4 published 02-01, established
//     02-11 (10 days), due end of 04-11 extended to end of 05-15, answered
//     05-20 (late: missed); p5 published 03-21, established 04-10 (20
//     days), due end of 06-10, unanswered (open); p6 published 06-20; p7
//     published after the period. Published 5, established 4, expired 1,
//     share 4/5 = 80%, mean days (21+14+10+20)/4 = 16.25.
//   - the monthly meeting of 2026-02: 3 candidates, ballots from moi, mohw,
//     mot; c1 and c2 selected.
//   - c-1 (from c1, Join): topic set 02-05 10:00, division of labour 02-09
//     (4 days), research 02-16 (7), pre-meeting 03-02 (14), meetings 03-09
//     (7), reported 05-11 (63), directive 05-18 (7), responses 06-01 (14),
//     closed 06-15 (14). c-2 (from c2, mohw's): topic set 02-05 11:00,
//     division of labour 02-10 10:00 (4 days 23 h = 4.958 days) until the
//     period ends on 07-01 00:00 (140 days 14 h = 140.583). c-3 (Executive
//     Yuan): topic set from 03-02 10:00 to the end (120.583 days); lead moi,
//     then mot. Days in topic set 4 + 4.958 + 120.583 = 129.54; in division
//     of labour 7 + 140.583 = 147.58; mean stay in topic set that ended
//     (4 + 4.958) / 2 = 4.48.
//   - meetings: pre-meeting 03-05, discover 03-16, define 05-04 (the
//     working meeting of 07-02 is after the period); 3 transcript edits.
//   - stakeholders: c-1 civil society, industry, academia; c-2 government
//     (4 inventoried); civil society attended m-1 (industry was absent),
//     academia m-2: 2 attended, 50%.
//   - 2 recommendations, 1 directive within authority, responses adopted,
//     partly adopted, not adopted and deferred, one each.
func TestStoryKnownAnswers(t *testing.T) {
	ctx := context.Background()
	store := recordStory(t, reportstest.Options{})
	p, err := reports.DatePeriod(reportstest.From, reportstest.To)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := reports.Compute(ctx, store, p, reports.Filter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := store.Head(ctx)
	if rep.At != uint64(head) || rep.Events != int(head) {
		t.Errorf("computed at %d over %d events; the log's head is %d", rep.At, rep.Events, head)
	}

	const (
		pub, est, exp      = "proposal.published", "proposal.established", "proposal.expired"
		resp, miss, ext    = "proposal.responded", "proposal.response_deadline_missed", "proposal.response_deadline_extended"
		opened, stage      = "case.opened", "case.stage_changed"
		c1, c2, c3, mm     = "case-c-1", "case-c-2", "case-c-3", "po-monthly-2026-02"
		p1, p2, p3, p4, p5 = "proposal-p1", "proposal-p2", "proposal-p3", "proposal-p4", "proposal-p5"
	)
	none := []string{}
	wants := map[string]storyWant{
		"proposals.published":             {5, ev(pub, p2, p3, p4, p5, "proposal-p6")},
		"proposals.established":           {4, ev(est, p1, p2, p4, p5)},
		"proposals.expired":               {1, ev(exp, p3)},
		"proposals.established_share":     {80, cat(ev(est, p1, p2, p4, p5), ev(exp, p3))},
		"proposals.days_to_establishment": {16.25, cat(ev(est, p1, p2, p4, p5), ev(pub, p1, p2, p4, p5))},

		"deadlines.due":         {4, cat(ev(est, p1, p2, p4, p5), ev(resp, p1, p4), ev(miss, p2), ev(ext, p4))},
		"deadlines.met":         {1, cat(ev(est, p1), ev(resp, p1))},
		"deadlines.missed":      {2, cat(ev(est, p2, p4), ev(miss, p2), ev(ext, p4), ev(resp, p4))},
		"deadlines.open":        {1, ev(est, p5)},
		"deadlines.moi.due":     {2, cat(ev(est, p1, p2), ev(resp, p1), ev(miss, p2))},
		"deadlines.moi.met":     {1, cat(ev(est, p1), ev(resp, p1))},
		"deadlines.moi.missed":  {1, cat(ev(est, p2), ev(miss, p2))},
		"deadlines.mohw.due":    {1, cat(ev(est, p4), ev(ext, p4), ev(resp, p4))},
		"deadlines.mohw.met":    {0, none},
		"deadlines.mohw.missed": {1, cat(ev(est, p4), ev(ext, p4), ev(resp, p4))},
		"deadlines.mot.due":     {1, ev(est, p5)},
		"deadlines.mot.met":     {0, none},
		"deadlines.mot.missed":  {0, none},

		"monthly.held":       {1, ev("monthly.closed", mm)},
		"monthly.voted":      {1, ev("monthly.closed", mm)},
		"monthly.archived":   {0, none},
		"monthly.candidates": {3, ev("monthly.candidate_added", mm, mm, mm)},
		"monthly.selections": {2, ev("monthly.closed", mm)},
		"ballots.moi":        {1, ev("monthly.ballot_cast", mm)},
		"ballots.mohw":       {1, ev("monthly.ballot_cast", mm)},
		"ballots.mot":        {1, ev("monthly.ballot_cast", mm)},

		"cases.opened.established_proposal": {1, ev(opened, c1)},
		"cases.opened.ministry_proposal":    {1, ev(opened, c2)},
		"cases.opened.pdis_proposal":        {0, none},
		"cases.opened.ey_assignment":        {1, ev(opened, c3)},

		"cases.stage.topic_set":           {1, ev(opened, c3)},
		"cases.historical":                {0, nil},
		"cases.stage.division_of_labour":  {1, ev(stage, c2)},
		"cases.stage.research":            {0, none},
		"cases.stage.pre_meeting":         {0, none},
		"cases.stage.meetings":            {0, none},
		"cases.stage.reported_to_premier": {0, none},
		"cases.stage.directive":           {0, none},
		"cases.stage.responses":           {0, none},
		"cases.stage.closed":              {1, ev(stage, c1)},

		"cases.stage_days.topic_set":           {129.54, ev(opened, c1, c2, c3)},
		"cases.stage_days.division_of_labour":  {147.58, ev(stage, c1, c2)},
		"cases.stage_days.research":            {14, ev(stage, c1)},
		"cases.stage_days.pre_meeting":         {7, ev(stage, c1)},
		"cases.stage_days.meetings":            {63, ev(stage, c1)},
		"cases.stage_days.reported_to_premier": {7, ev(stage, c1)},
		"cases.stage_days.directive":           {14, ev(stage, c1)},
		"cases.stage_days.responses":           {14, ev(stage, c1)},

		"cases.stage_mean_days.topic_set":           {4.48, cat(ev(opened, c1, c2), ev(stage, c1, c2))},
		"cases.stage_mean_days.division_of_labour":  {7, ev(stage, c1, c1)},
		"cases.stage_mean_days.research":            {14, ev(stage, c1, c1)},
		"cases.stage_mean_days.pre_meeting":         {7, ev(stage, c1, c1)},
		"cases.stage_mean_days.meetings":            {63, ev(stage, c1, c1)},
		"cases.stage_mean_days.reported_to_premier": {7, ev(stage, c1, c1)},
		"cases.stage_mean_days.directive":           {14, ev(stage, c1, c1)},
		"cases.stage_mean_days.responses":           {14, ev(stage, c1, c1)},

		"ministries.moi":  {1, cat(ev(opened, c1), ev("case.lead_assigned", c1))},
		"ministries.mohw": {1, cat(ev(opened, c2), ev("case.lead_assigned", c2))},
		"ministries.mot":  {1, cat(ev(opened, c3), ev("case.lead_assigned", c3))},

		"meetings.discover":      {1, ev("meeting.scheduled", c1)},
		"meetings.define":        {1, ev("meeting.scheduled", c1)},
		"meetings.develop":       {0, none},
		"meetings.deliver":       {0, none},
		"meetings.collaborative": {0, none},
		"meetings.pre_meeting":   {1, ev("meeting.scheduled", c1)},
		"meetings.working":       {0, none},
		"meetings.other":         {0, none},

		"transcripts.edits": {3, ev("transcript.utterance_edited", c1, c1, c1)},

		"coverage.inventoried": {4, ev("case.stakeholder_added", c1, c1, c1, c2)},
		"coverage.attended":    {2, ev("meeting.attendance_recorded", c1, c1)},
		"coverage.share":       {50, cat(ev("case.stakeholder_added", c1, c1, c1, c2), ev("meeting.attendance_recorded", c1, c1))},

		"recommendations":             {2, ev("case.recommendation_recorded", c1, c1)},
		"directives.within_authority": {1, ev("case.directive_recorded", c1)},
		"directives.specific":         {0, none},

		"responses.adopted":        {1, ev("case.response_recorded", c1)},
		"responses.partly_adopted": {1, ev("case.response_recorded", c1)},
		"responses.not_adopted":    {1, ev("case.response_recorded", c1)},
		"responses.deferred":       {1, ev("case.response_recorded", c1)},
	}

	// The log, to check each figure's events against it.
	evs, err := store.ReadAll(ctx, 0, int(head)+1)
	if err != nil {
		t.Fatal(err)
	}
	byPos := map[uint64]eventstore.Event{}
	for _, e := range evs {
		byPos[uint64(e.Position)] = e
	}
	seen := map[string]bool{}
	for _, s := range rep.Sections {
		for _, f := range s.Figures {
			seen[f.Key] = true
			w, ok := wants[f.Key]
			if !ok {
				t.Errorf("%s = %v: a figure with no answer worked out", f.Key, f.Value)
				continue
			}
			if f.Value != w.value {
				t.Errorf("%s = %v, want %v", f.Key, f.Value, w.value)
			}
			var got []string
			for _, r := range f.Source.Events {
				e, ok := byPos[r.Position]
				if !ok || e.ID.String() != r.ID {
					t.Errorf("%s: event %s at %d is not in the log", f.Key, r.ID, r.Position)
					continue
				}
				got = append(got, e.Type+" "+r.Subject)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(w.events))
			if !slices.Equal(got, want) {
				t.Errorf("%s: events\n got %q\nwant %q", f.Key, got, want)
			}
		}
	}
	for k := range wants {
		if !seen[k] {
			t.Errorf("%s: missing from the report", k)
		}
	}

	// Ministries by their registered names, in both languages.
	for key, names := range map[string][2]string{
		"ballots.moi":       {"內政部", "Ministry of the Interior"},
		"ministries.mohw":   {"衛生福利部", "Ministry of Health and Welfare"},
		"deadlines.mot.due": {"交通部：期限屆至", "Ministry of Transportation and Communications: due"},
	} {
		if f, _ := rep.Figure(key); f.ZH != names[0] || f.EN != names[1] {
			t.Errorf("%s is labelled %q / %q, want %q / %q", key, f.ZH, f.EN, names[0], names[1])
		}
	}
}

// TestStoryOneMinistry: the story's report for moi, which led c-1 and, for
// a week, c-3, and whose ministry name heads the report.
func TestStoryOneMinistry(t *testing.T) {
	store := recordStory(t, reportstest.Options{Voters: 2})
	p, _ := reports.DatePeriod(reportstest.From, reportstest.To)
	rep, err := reports.Compute(context.Background(), store, p, reports.Filter{Ministry: "moi"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.MinistryZH != "內政部" || rep.MinistryEN != "Ministry of the Interior" {
		t.Errorf("ministry named %q / %q", rep.MinistryZH, rep.MinistryEN)
	}
	for key, want := range map[string]float64{
		"proposals.published": 2, "proposals.established": 2, "proposals.expired": 0, "proposals.established_share": 100,
		"proposals.days_to_establishment": 17.5, "deadlines.due": 2, "deadlines.met": 1, "deadlines.missed": 1, "deadlines.open": 0,
		"monthly.candidates": 1, "monthly.selections": 1, "ballots.moi": 1,
		"cases.opened.established_proposal": 1, "cases.opened.ministry_proposal": 0, "cases.opened.ey_assignment": 1,
		"cases.stage.closed": 1, "cases.stage.topic_set": 1, "ministries.moi": 1,
		"meetings.discover": 1, "meetings.define": 1, "meetings.pre_meeting": 1, "transcripts.edits": 3,
		"coverage.inventoried": 3, "coverage.attended": 2, "coverage.share": 66.67, "recommendations": 2,
		"responses.adopted": 1, "responses.not_adopted": 1, "responses.partly_adopted": 0, "responses.deferred": 0,
	} {
		f, ok := rep.Figure(key)
		if !ok || f.Value != want {
			t.Errorf("moi: %s = %v (present %v), want %v", key, f.Value, ok, want)
		}
	}
	for _, key := range []string{"ballots.mohw", "ballots.x01", "ministries.mot", "deadlines.mohw.due"} {
		if _, ok := rep.Figure(key); ok {
			t.Errorf("moi: %s shown", key)
		}
	}
	// The added voters, under the whole report, are named by the registry.
	all, err := reports.Compute(context.Background(), store, p, reports.Filter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := all.Figure("ballots.x02"); f.Value != 1 || f.ZH != "測試部02" || f.EN != "測試部02 (x02)" {
		t.Errorf("ballots.x02: %v %q / %q", f.Value, f.ZH, f.EN)
	}
}

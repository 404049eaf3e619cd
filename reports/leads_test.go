package reports

import (
	"slices"
	"testing"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
)

// TestEachLeadInTheReport: a proposal with three leads (decision 0048),
// due 2026-03-04: mot answers on time, mof two days late, cpc never (its
// miss recorded). The deadlines count the proposal missed, each lead's
// figures its own answer, and the briefing's overdue list names mof (2 days)
// and cpc (to the period's end), not mot, each with the establishment and
// its own events.
func TestEachLeadInTheReport(t *testing.T) {
	leads := []domain.MinistryID{"cpc", "mot", "mof"}
	due := d("03-04")
	log := logOf("report-leads", []logEvent{
		{"proposal-fb", domain.ProposalPublished{ProposalID: "fb", CompetentMinistry: "cpc", Leads: leads, CoOrganisers: []domain.MinistryID{"moea"}, Threshold: 5000, Occurred: at("2025-12-20")}},
		{"proposal-fb", domain.ProposalEstablished{ProposalID: "fb", CompetentMinistry: "cpc", Leads: leads, Count: 5000, Threshold: 5000, ResponseDueAt: due, Occurred: at("01-04")}},
		{"proposal-fb", domain.ProposalResponseAdded{ProposalID: "fb", Ministry: "moea", Summary: "part", Occurred: at("01-20")}},
		{"proposal-fb", domain.ProposalResponded{ProposalID: "fb", Ministry: "mot", Summary: "ok", DueAt: due, OnTime: true, Occurred: at("02-20")}},
		{"proposal-fb", domain.ProposalResponseDeadlineMissed{ProposalID: "fb", Ministry: "cpc", DueAt: due, Occurred: at("03-05")}},
		{"proposal-fb", domain.ProposalResponseDeadlineMissed{ProposalID: "fb", Ministry: "mof", DueAt: due, Occurred: at("03-05")}},
		{"proposal-fb", domain.ProposalResponded{ProposalID: "fb", Ministry: "mof", Summary: "late", DueAt: due, OnTime: false, Occurred: at("03-06")}},
	})
	p, err := DatePeriod("2026-01-01", "2026-07-01")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ComputeEvents(log, p, Filter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, s := range rep.Sections {
		for _, f := range s.Figures {
			got[f.Key] = f.Value
		}
	}
	for k, v := range map[string]float64{
		"deadlines.due": 1, "deadlines.met": 0, "deadlines.missed": 1, "deadlines.open": 0,
		"deadlines.mot.due": 1, "deadlines.mot.met": 1, "deadlines.mot.missed": 0,
		"deadlines.mof.due": 1, "deadlines.mof.met": 0, "deadlines.mof.missed": 1,
		"deadlines.cpc.due": 1, "deadlines.cpc.met": 0, "deadlines.cpc.missed": 1,
	} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if _, ok := got["deadlines.moea.due"]; ok {
		t.Error("a co-organiser counted as owing an answer")
	}
	if rep.Briefing == nil {
		t.Fatal("no briefing")
	}
	var named []string
	for _, o := range rep.Briefing.Overdue {
		named = append(named, o.Ministry)
		switch o.Ministry {
		case "mof":
			if o.DaysLate != 2 || o.Answered != "2026-03-06" || o.Due != "2026-03-04" || len(o.Events) != 3 {
				t.Errorf("mof: %+v", o)
			}
		case "cpc":
			if o.Answered != "" || o.DaysLate < 100 || len(o.Events) != 2 {
				t.Errorf("cpc: %+v", o)
			}
		}
	}
	if len(named) != 2 || named[0] != "cpc" || named[1] != "mof" {
		t.Errorf("overdue list %v, want cpc then mof", named)
	}
}

// TestEveryLeadUnderAMinistryFilter: under a ministry filter, a proposal
// with two leads (mot first, mof second) counts for each lead — published,
// established, days to establishment — with its own events, and its
// deadline by that lead's own answer (mot on time, mof late); a
// co-organiser (moea) counts in none of those figures, only in
// proposals.co_organised. A proposal mof leads alone expires.
func TestEveryLeadUnderAMinistryFilter(t *testing.T) {
	leads := []domain.MinistryID{"mot", "mof"}
	due := d("03-04")
	log := logOf("report-filter-leads", []logEvent{
		{"proposal-two", domain.ProposalPublished{ProposalID: "two", CompetentMinistry: "mot", Leads: leads, CoOrganisers: []domain.MinistryID{"moea"}, Threshold: 5000, Occurred: at("01-02")}},
		{"proposal-one", domain.ProposalPublished{ProposalID: "one", CompetentMinistry: "mof", Threshold: 5000, Occurred: at("01-03")}},
		{"proposal-two", domain.ProposalEstablished{ProposalID: "two", CompetentMinistry: "mot", Leads: leads, Count: 5000, Threshold: 5000, ResponseDueAt: due, Occurred: at("01-04")}},
		{"proposal-two", domain.ProposalResponded{ProposalID: "two", Ministry: "mot", Summary: "ok", DueAt: due, OnTime: true, Occurred: at("02-20")}},
		{"proposal-one", domain.ProposalExpired{ProposalID: "one", Count: 10, Threshold: 5000, Occurred: at("03-03")}},
		{"proposal-two", domain.ProposalResponded{ProposalID: "two", Ministry: "mof", Summary: "late", DueAt: due, OnTime: false, Occurred: at("03-06")}},
	})
	pubTwo, pubOne, est, motAns, exp, mofAns := log[0].Position, log[1].Position, log[2].Position, log[3].Position, log[4].Position, log[5].Position
	p, err := DatePeriod("2026-01-01", "2026-06-30")
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		value  float64
		events []eventstore.Position
	}
	for m, figs := range map[string]map[string]want{
		"mot": {
			"proposals.published": {1, []eventstore.Position{pubTwo}}, "proposals.established": {1, []eventstore.Position{est}},
			"proposals.expired": {0, nil}, "proposals.days_to_establishment": {2, []eventstore.Position{pubTwo, est}},
			"deadlines.due": {1, []eventstore.Position{est, motAns}}, "deadlines.met": {1, []eventstore.Position{est, motAns}},
			"deadlines.missed": {0, nil}, "proposals.co_organised": {0, nil},
		},
		"mof": {
			"proposals.published": {2, []eventstore.Position{pubTwo, pubOne}}, "proposals.established": {1, []eventstore.Position{est}},
			"proposals.expired": {1, []eventstore.Position{exp}}, "proposals.established_share": {50, []eventstore.Position{est, exp}},
			"deadlines.due": {1, []eventstore.Position{est, mofAns}}, "deadlines.met": {0, nil},
			"deadlines.missed": {1, []eventstore.Position{est, mofAns}},
		},
		"moea": {
			"proposals.published": {0, nil}, "proposals.established": {0, nil}, "deadlines.due": {0, nil},
			"proposals.co_organised": {1, []eventstore.Position{pubTwo}},
		},
	} {
		rep, err := ComputeEvents(log, p, Filter{Ministry: m}, 0)
		if err != nil {
			t.Fatal(err)
		}
		for key, w := range figs {
			f, ok := rep.Figure(key)
			if !ok {
				t.Errorf("%s: no figure %s", m, key)
				continue
			}
			var got []eventstore.Position
			for _, r := range f.Source.Events {
				got = append(got, eventstore.Position(r.Position))
			}
			if f.Value != w.value || !slices.Equal(got, w.events) {
				t.Errorf("%s: %s = %v %v, want %v %v", m, key, f.Value, got, w.value, w.events)
			}
		}
	}
	rep, err := ComputeEvents(log, p, Filter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rep.Figure("proposals.co_organised"); ok {
		t.Error("proposals.co_organised without a ministry filter")
	}
	if f, _ := rep.Figure("proposals.published"); f.Value != 2 {
		t.Errorf("unfiltered: published %v, want 2 (a proposal once, whatever its leads)", f.Value)
	}
}

// TestLeadsAssignedAfterPublication: Join published p-un without a lead;
// once established, staff assigned mot and mof as its leads and moea as
// co-organiser (proposal.leads_assigned, decision 0056). mot answers on
// time, mof's miss is recorded: the deadline is missed, each lead counts by
// its own answer, the briefing names mof late, and under a filter the
// proposal's publication and establishment count for each assigned lead,
// for moea only as co-organised.
func TestLeadsAssignedAfterPublication(t *testing.T) {
	due := d("03-04")
	log := logOf("report-assigned-leads", []logEvent{
		{"proposal-un", domain.ProposalPublished{ProposalID: "un", Threshold: 5000, Occurred: at("01-02")}},
		{"proposal-un", domain.ProposalEstablished{ProposalID: "un", Count: 5000, Threshold: 5000, ResponseDueAt: due, Occurred: at("01-04")}},
		{"proposal-un", domain.ProposalLeadsAssigned{ProposalID: "un", Leads: []domain.MinistryID{"mot", "mof"}, CoOrganisers: []domain.MinistryID{"moea"}, DueAt: due, Occurred: at("01-10")}},
		{"proposal-un", domain.ProposalResponded{ProposalID: "un", Ministry: "mot", Summary: "ok", DueAt: due, OnTime: true, Occurred: at("02-20")}},
		{"proposal-un", domain.ProposalResponseDeadlineMissed{ProposalID: "un", Ministry: "mof", DueAt: due, Occurred: at("03-05")}},
	})
	p, err := DatePeriod("2026-01-01", "2026-06-30")
	if err != nil {
		t.Fatal(err)
	}
	value := func(rep Report, key string) float64 {
		t.Helper()
		f, ok := rep.Figure(key)
		if !ok {
			t.Errorf("no figure %s", key)
		}
		return f.Value
	}
	rep, err := ComputeEvents(log, p, Filter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]float64{"deadlines.due": 1, "deadlines.met": 0, "deadlines.missed": 1, "deadlines.mot.met": 1, "deadlines.mof.missed": 1} {
		if got := value(rep, key); got != want {
			t.Errorf("%s = %v, want %v", key, got, want)
		}
	}
	if rep.Briefing == nil || len(rep.Briefing.Overdue) != 1 || rep.Briefing.Overdue[0].Ministry != "mof" {
		t.Errorf("the briefing's overdue list: %+v, want mof alone", rep.Briefing)
	}
	for m, want := range map[string][4]float64{"mot": {1, 1, 1, 0}, "mof": {1, 1, 0, 0}, "moea": {0, 0, 0, 1}} {
		rep, err := ComputeEvents(log, p, Filter{Ministry: m}, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := [4]float64{value(rep, "proposals.published"), value(rep, "proposals.established"), value(rep, "deadlines.met"), value(rep, "proposals.co_organised")}
		if got != want {
			t.Errorf("%s: published, established, met, co-organised = %v, want %v", m, got, want)
		}
	}
}

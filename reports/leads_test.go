package reports

import (
	"testing"

	"github.com/pdis/collab-ledger/domain"
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

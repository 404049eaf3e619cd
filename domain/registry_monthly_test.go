package domain

import (
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"
)

func TestRegistryRules(t *testing.T) {
	at := t0
	tests := []struct {
		name   string
		decide func(r *Registry) ([]Event, error)
		kind   error
		rule   string
	}{
		{"a ministry has one active chief PO", func(r *Registry) ([]Event, error) {
			return r.RegisterPO(RegisterPO{POID: "po-x", Name: "x", Ministry: "moi", Role: POChief, Year: 2019}, staff, at)
		}, ErrConflictingState, "registry.po.one_chief_per_ministry"},
		{"an agency's PO cannot become a second chief of its ministry", func(r *Registry) ([]Event, error) {
			return r.ChangePORole(ChangePORole{POID: "po-nhia", Role: POChief, Reason: "x"}, staff, at)
		}, ErrConflictingState, "registry.po.one_chief_per_ministry"},
		{"a PO is registered once at a time", func(r *Registry) ([]Event, error) {
			return r.RegisterPO(RegisterPO{POID: "po-moi-unit", Name: "x", Ministry: "mot", Role: POUnit, Year: 2019}, staff, at)
		}, ErrConflictingState, "registry.register_po.already_registered"},
		{"a PO belongs to a registered ministry", func(r *Registry) ([]Event, error) {
			return r.RegisterPO(RegisterPO{POID: "po-x", Name: "x", Ministry: "moc", Role: POUnit, Year: 2019}, staff, at)
		}, ErrNotFound, "registry.register_po.ministry_not_found"},
		{"a unit PO cannot register POs", func(r *Registry) ([]Event, error) {
			return r.RegisterPO(RegisterPO{POID: "po-x", Name: "x", Ministry: "moi", Role: POUnit, Year: 2019}, moiUnit, at)
		}, ErrForbidden, RuleRegistryChiefOfMinistry},
		{"a chief PO cannot register POs of another ministry", func(r *Registry) ([]Event, error) {
			return r.RegisterPO(RegisterPO{POID: "po-x", Name: "x", Ministry: "mot", Role: POUnit, Year: 2019}, moiChief, at)
		}, ErrForbidden, RuleRegistryChiefOfMinistry},
		{"a chief PO cannot retire another ministry's PO", func(r *Registry) ([]Event, error) {
			return r.RetirePO(RetirePO{POID: "po-mot-chief"}, moiChief, at)
		}, ErrForbidden, RuleRegistryChiefOfMinistry},
		{"renewal is once per year", func(r *Registry) ([]Event, error) {
			return r.RenewPO(RenewPO{POID: "po-moi-unit", Year: 2019}, staff, at)
		}, ErrConflictingState, "registry.renew_po.already_registered_for_year"},
		{"an unknown PO is not found", func(r *Registry) ([]Event, error) {
			return r.RenewPO(RenewPO{POID: "po-x", Year: 2020}, staff, at)
		}, ErrNotFound, "registry.renew_po.po_not_found"},
		{"a ministry is registered once", func(r *Registry) ([]Event, error) {
			return r.RegisterMinistry(RegisterMinistry{MinistryID: "moi", Name: "內政部"}, staff, at)
		}, ErrConflictingState, "registry.register_ministry.exists"},
		{"an agency's parent must be registered", func(r *Registry) ([]Event, error) {
			return r.RegisterMinistry(RegisterMinistry{MinistryID: "ncc-x", Name: "x", Parent: "ncc"}, staff, at)
		}, ErrNotFound, "registry.register_ministry.parent_not_found"},
		{"a role change needs a reason", func(r *Registry) ([]Event, error) {
			return r.ChangePORole(ChangePORole{POID: "po-moi-unit", Role: POChief}, staff, at)
		}, ErrRuleViolated, "registry.change_po_role.reason_required"},
		{"a year is a plausible year", func(r *Registry) ([]Event, error) {
			return r.RenewPO(RenewPO{POID: "po-moi-unit", Year: 108}, staff, at)
		}, ErrRuleViolated, "registry.renew_po.year_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := tt.decide(testRegistry(t))
			wantRule(t, evs, err, tt.kind, tt.rule)
		})
	}

	t.Run("a retired PO is retired and may return the next year", func(t *testing.T) {
		r := testRegistry(t)
		do(t, r, func(r *Registry) ([]Event, error) {
			return r.RetirePO(RetirePO{POID: "po-moi-chief", Reason: "退休"}, staff, at)
		})
		if p, _ := r.PO("po-moi-chief"); !p.Retired || p.ActiveIn(2019) {
			t.Fatalf("retired PO still active: %+v", p)
		}
		evs, err := r.RetirePO(RetirePO{POID: "po-moi-chief"}, staff, at)
		wantRule(t, evs, err, ErrConflictingState, "registry.retire_po.retired")
		// The chief's seat is free again.
		do(t, r, func(r *Registry) ([]Event, error) {
			return r.ChangePORole(ChangePORole{POID: "po-moi-unit", Role: POChief, Reason: "接任"}, staff, at)
		})
		do(t, r, func(r *Registry) ([]Event, error) {
			return r.RegisterPO(RegisterPO{POID: "po-moi-chief", Name: "回任", Ministry: "moi", Role: POUnit, Year: 2020}, staff, at)
		})
		if p, _ := r.PO("po-moi-chief"); p.Retired || !p.ActiveIn(2020) || !p.ActiveIn(2019) {
			t.Errorf("returning PO: %+v", p)
		}
		if r.TopMinistry("mohw-nhia") != "mohw" || r.TopMinistry("moi") != "moi" {
			t.Errorf("TopMinistry wrong")
		}
	})
}

func TestMonthlyMeetingRules(t *testing.T) {
	reg := testRegistry(t)
	retiredReg := testRegistry(t)
	do(t, retiredReg, func(r *Registry) ([]Event, error) { return r.RetirePO(RetirePO{POID: "po-moi-chief"}, staff, t0) })
	ballot := func(choices ...CandidateID) CastBallot { return CastBallot{MeetingID: "2019-03", Choices: choices} }
	tests := []struct {
		name   string
		decide func(m *MonthlyMeeting) ([]Event, error)
		kind   error
		rule   string
	}{
		{"no ballot from a retired PO", func(m *MonthlyMeeting) ([]Event, error) {
			return m.CastBallot(ballot("c1"), moiChief, tMonthly, retiredReg)
		}, ErrForbidden, RuleBallotActivePO},
		{"no ballot from a PO not registered for the year", func(m *MonthlyMeeting) ([]Event, error) {
			return m.CastBallot(ballot("c1"), moiChief, tMonthly.AddDate(1, 0, 0), reg)
		}, ErrForbidden, RuleBallotActivePO},
		{"no ballot from someone who is not a PO", func(m *MonthlyMeeting) ([]Event, error) {
			return m.CastBallot(ballot("c1"), Actor{ID: "po-fake", Role: RolePO, Ministry: "moi"}, tMonthly, reg)
		}, ErrForbidden, RuleBallotActivePO},
		{"a PO votes only for their own ministry", func(m *MonthlyMeeting) ([]Event, error) {
			return m.CastBallot(ballot("c1"), Actor{ID: "po-moi-chief", Role: RolePO, Ministry: "mot"}, tMonthly, reg)
		}, ErrForbidden, RuleBallotOwnMinistry},
		{"one ballot per ministry, also from an agency's PO", func(m *MonthlyMeeting) ([]Event, error) {
			do(t, m, func(m *MonthlyMeeting) ([]Event, error) { return m.CastBallot(ballot("c2"), mohwChief, tMonthly, reg) })
			return m.CastBallot(ballot("c1"), nhiaPO, tMonthly, reg)
		}, ErrConflictingState, "monthly.cast_ballot.one_per_ministry"},
		{"a ballot has at most the configured number of choices", func(m *MonthlyMeeting) ([]Event, error) {
			do(t, m, func(m *MonthlyMeeting) ([]Event, error) {
				return m.AddCandidate(AddCandidate{MeetingID: "2019-03", CandidateID: "c4", Kind: CandidatePDISProposal, Title: "x", Organiser: "moi"}, staff, tMonthly, nil)
			})
			return m.CastBallot(ballot("c1", "c2", "c3", "c4"), moiChief, tMonthly, reg)
		}, ErrRuleViolated, "monthly.cast_ballot.too_many_choices"},
		{"a ballot chooses something", func(m *MonthlyMeeting) ([]Event, error) {
			return m.CastBallot(ballot(), moiChief, tMonthly, reg)
		}, ErrRuleViolated, "monthly.cast_ballot.no_choice"},
		{"a ballot chooses a candidate once", func(m *MonthlyMeeting) ([]Event, error) {
			return m.CastBallot(ballot("c1", "c1"), moiChief, tMonthly, reg)
		}, ErrRuleViolated, "monthly.cast_ballot.duplicate_choice"},
		{"a ballot chooses presented candidates", func(m *MonthlyMeeting) ([]Event, error) {
			return m.CastBallot(ballot("c9"), moiChief, tMonthly, reg)
		}, ErrNotFound, "monthly.cast_ballot.unknown_candidate"},
		{"no ballot after close", func(m *MonthlyMeeting) ([]Event, error) {
			do(t, m, func(m *MonthlyMeeting) ([]Event, error) {
				return m.Close(CloseMonthlyMeeting{MeetingID: "2019-03"}, staff, tMonthly, nil, nil)
			})
			return m.CastBallot(ballot("c1"), moiChief, tMonthly, reg)
		}, ErrConflictingState, "monthly.cast_ballot.closed"},
		{"no candidates once voting has started", func(m *MonthlyMeeting) ([]Event, error) {
			do(t, m, func(m *MonthlyMeeting) ([]Event, error) { return m.CastBallot(ballot("c1"), moiChief, tMonthly, reg) })
			return m.AddCandidate(AddCandidate{MeetingID: "2019-03", CandidateID: "c5", Kind: CandidatePDISProposal, Title: "x", Organiser: "moi"}, staff, tMonthly, nil)
		}, ErrConflictingState, "monthly.add_candidate.voting_started"},
		{"a PO adds only its own ministry's proposals", func(m *MonthlyMeeting) ([]Event, error) {
			return m.AddCandidate(AddCandidate{MeetingID: "2019-03", CandidateID: "c5", Kind: CandidateMinistryProposal, Title: "x", Organiser: "mot"}, moiChief, tMonthly, nil)
		}, ErrForbidden, RuleCandidatePOOwnMinistry},
		{"the secretariat adds only assignments", func(m *MonthlyMeeting) ([]Event, error) {
			return m.AddCandidate(AddCandidate{MeetingID: "2019-03", CandidateID: "c5", Kind: CandidatePDISProposal, Title: "x", Organiser: "mot"}, secretariat, tMonthly, nil)
		}, ErrForbidden, RuleCandidateSecretariatAssignments},
		{"a Join candidate must be an established proposal", func(m *MonthlyMeeting) ([]Event, error) {
			return m.AddCandidate(AddCandidate{MeetingID: "2019-03", CandidateID: "c5", Kind: CandidateEstablishedProposal, Title: "x", Organiser: "moi", SourceRef: "p-1"}, staff, tMonthly, publishedProposal(t, smallConfig))
		}, ErrRuleViolated, "monthly.add_candidate.proposal_not_established"},
		{"a Join candidate names its proposal", func(m *MonthlyMeeting) ([]Event, error) {
			return m.AddCandidate(AddCandidate{MeetingID: "2019-03", CandidateID: "c5", Kind: CandidateEstablishedProposal, Title: "x", Organiser: "moi", SourceRef: "p-2"}, staff, tMonthly, establishedProposal(t))
		}, ErrRuleViolated, "monthly.add_candidate.proposal_required"},
		{"the same source is presented once", func(m *MonthlyMeeting) ([]Event, error) {
			return m.AddCandidate(AddCandidate{MeetingID: "2019-03", CandidateID: "c5", Kind: CandidateEYAssignment, Title: "x", Organiser: "mot", SourceRef: "EY-108-0001"}, staff, tMonthly, nil)
		}, ErrConflictingState, "monthly.add_candidate.duplicate_source"},
		{"a candidate has a known kind", func(m *MonthlyMeeting) ([]Event, error) {
			return m.AddCandidate(AddCandidate{MeetingID: "2019-03", CandidateID: "c5", Kind: "wish", Title: "x", Organiser: "mot"}, staff, tMonthly, nil)
		}, ErrRuleViolated, "monthly.add_candidate.kind_invalid"},
		{"a meeting opens once", func(m *MonthlyMeeting) ([]Event, error) {
			return m.Open(OpenMonthlyMeeting{MeetingID: "2019-03", HeldOn: calendar.DateOf(tMonthly)}, staff, tMonthly, DefaultMonthlyConfig())
		}, ErrConflictingState, "monthly.open.exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := tt.decide(openMonthly(t))
			wantRule(t, evs, err, tt.kind, tt.rule)
		})
	}

	t.Run("an established proposal can be a candidate", func(t *testing.T) {
		evs, err := openMonthly(t).AddCandidate(AddCandidate{MeetingID: "2019-03", CandidateID: "c5", Kind: CandidateEstablishedProposal, Title: "停止神豬比重", Organiser: "moi", SourceRef: "p-1"}, staff, tMonthly, establishedProposal(t))
		wantOK(t, evs, err)
	})
	t.Run("a closed meeting is closed; an unknown meeting is not found", func(t *testing.T) {
		evs, err := closedMonthly(t).Close(CloseMonthlyMeeting{MeetingID: "2019-03"}, staff, tMonthly, nil, nil)
		wantRule(t, evs, err, ErrConflictingState, "monthly.close.closed")
		evs, err = NewMonthlyMeeting("2019-05").Close(CloseMonthlyMeeting{MeetingID: "2019-05"}, staff, tMonthly, nil, nil)
		wantRule(t, evs, err, ErrNotFound, "monthly.close.not_found")
	})
}

func TestMonthlyTallyAndSelection(t *testing.T) {
	type vote struct {
		a       Actor
		choices []CandidateID
	}
	tests := []struct {
		name     string
		votes    []vote
		history  VotedMeetingDates
		selected []CandidateID
		skipped  []CandidateID
	}{
		{"the two most voted topics are selected", []vote{
			{moiChief, []CandidateID{"c1", "c2"}}, {mohwChief, []CandidateID{"c2", "c3"}}, {motChief, []CandidateID{"c2", "c1"}},
		}, nil, []CandidateID{"c2", "c1"}, nil},
		{"a tie at the last place selects up to three", []vote{
			{moiChief, []CandidateID{"c1", "c2", "c3"}}, {mohwChief, []CandidateID{"c1", "c2", "c3"}},
		}, nil, []CandidateID{"c1", "c2", "c3"}, nil},
		{"candidates without votes are not selected", []vote{
			{moiChief, []CandidateID{"c3"}},
		}, nil, []CandidateID{"c3"}, nil},
		{"an organiser hosting a voted meeting within 45 days of the whole next month is skipped", []vote{
			{moiChief, []CandidateID{"c1", "c2"}}, {mohwChief, []CandidateID{"c1", "c2"}}, {motChief, []CandidateID{"c1", "c3"}},
		}, VotedMeetingDates{"moi": {calendar.MustParseDate("2019-03-25")}}, []CandidateID{"c2", "c3"}, []CandidateID{"c1"}},
		{"an organiser with a voted meeting on 2019-03-26 cannot host on any day of April (30 April is 35 days later)", []vote{
			{moiChief, []CandidateID{"c1"}},
		}, VotedMeetingDates{"moi": {calendar.MustParseDate("2019-03-26")}}, nil, []CandidateID{"c1"}},
		{"an organiser whose last voted meeting was early March can host in late April", []vote{
			{moiChief, []CandidateID{"c1"}},
		}, VotedMeetingDates{"moi": {calendar.MustParseDate("2019-03-05")}}, []CandidateID{"c1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := openMonthly(t)
			reg := testRegistry(t)
			for _, v := range tt.votes {
				do(t, m, func(m *MonthlyMeeting) ([]Event, error) {
					return m.CastBallot(CastBallot{MeetingID: "2019-03", Choices: v.choices}, v.a, tMonthly, reg)
				})
			}
			evs := do(t, m, func(m *MonthlyMeeting) ([]Event, error) {
				return m.Close(CloseMonthlyMeeting{MeetingID: "2019-03"}, staff, tMonthly, tt.history, nil)
			})
			closed := evs[0].(MonthlyMeetingClosed)
			var sel, skip []CandidateID
			for _, s := range closed.Selected {
				sel = append(sel, s.CandidateID)
				if s.MeetingMonth != "2019-04" {
					t.Errorf("selected %s for %s, want the month after the vote", s.CandidateID, s.MeetingMonth)
				}
				if _, ok := m.Selected(s.CandidateID); !ok {
					t.Errorf("Selected(%s) false after close", s.CandidateID)
				}
			}
			for _, s := range closed.Skipped {
				skip = append(skip, s.CandidateID)
				if s.Rule != "monthly.close.organiser_spacing" {
					t.Errorf("skipped by %s", s.Rule)
				}
			}
			if !equalIDs(sel, tt.selected) || !equalIDs(skip, tt.skipped) {
				t.Errorf("selected %v skipped %v; want %v and %v (tally %+v)", sel, skip, tt.selected, tt.skipped, closed.Tally)
			}
			if closed.Ballots != len(tt.votes) || len(closed.Tally) != 3 {
				t.Errorf("ballots %d tally %v", closed.Ballots, closed.Tally)
			}
		})
	}

	t.Run("the same organiser is not selected twice in one vote", func(t *testing.T) {
		m := openMonthly(t)
		do(t, m, func(m *MonthlyMeeting) ([]Event, error) {
			return m.AddCandidate(AddCandidate{MeetingID: "2019-03", CandidateID: "c4", Kind: CandidatePDISProposal, Title: "另一案", Organiser: "moi"}, staff, tMonthly, nil)
		})
		reg := testRegistry(t)
		for _, a := range []Actor{moiChief, mohwChief} {
			do(t, m, func(m *MonthlyMeeting) ([]Event, error) {
				return m.CastBallot(CastBallot{MeetingID: "2019-03", Choices: []CandidateID{"c1", "c4", "c3"}}, a, tMonthly, reg)
			})
		}
		evs := do(t, m, func(m *MonthlyMeeting) ([]Event, error) {
			return m.Close(CloseMonthlyMeeting{MeetingID: "2019-03"}, staff, tMonthly, nil, nil)
		})
		closed := evs[0].(MonthlyMeetingClosed)
		if len(closed.Selected) != 2 || closed.Selected[0].CandidateID != "c1" || closed.Selected[1].CandidateID != "c3" || len(closed.Skipped) != 1 || closed.Skipped[0].CandidateID != "c4" {
			t.Errorf("selected %+v skipped %+v; want c1 and c3, c4 skipped", closed.Selected, closed.Skipped)
		}
	})

	t.Run("the earliest date respects the 45 days", func(t *testing.T) {
		m := openMonthly(t)
		do(t, m, func(m *MonthlyMeeting) ([]Event, error) {
			return m.CastBallot(CastBallot{MeetingID: "2019-03", Choices: []CandidateID{"c1"}}, moiChief, tMonthly, testRegistry(t))
		})
		evs := do(t, m, func(m *MonthlyMeeting) ([]Event, error) {
			return m.Close(CloseMonthlyMeeting{MeetingID: "2019-03"}, staff, tMonthly, VotedMeetingDates{"moi": {calendar.MustParseDate("2019-03-01")}}, nil)
		})
		if got := evs[0].(MonthlyMeetingClosed).Selected[0].EarliestDate; got != calendar.MustParseDate("2019-04-15") {
			t.Errorf("earliest date %s, want 2019-04-15 (45 days after 2019-03-01)", got)
		}
	})
}

func equalIDs[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var _ = time.Second

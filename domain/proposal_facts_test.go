package domain

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// Decision 0056: lead ministries assigned after publication, and the facts
// of Join's record (a missing signature list, rows after the close).

// unassignedProposal is published without a lead, co-organiser mohw, with
// threshold 3; established (citizens 101..103, the last at t0+3h) when
// asked.
func unassignedProposal(t testing.TB, established bool) *Proposal {
	p := submittedProposal(t)
	do(t, p, func(p *Proposal) ([]Event, error) {
		return p.Publish(PublishProposal{ProposalID: "p-1", NotYetAssigned: true, CoOrganisers: []MinistryID{"mohw"}}, staff, t0, smallConfig)
	})
	if established {
		for i := 1; i <= 3; i++ {
			a := citizenActor(100 + i)
			do(t, p, func(p *Proposal) ([]Event, error) {
				return p.Sign(SignProposal{ProposalID: "p-1", Signer: SignerID(a.ID)}, a, t0.Add(time.Duration(i)*time.Hour))
			})
		}
	}
	return p
}

func TestAssignLeadsRules(t *testing.T) {
	later := t0.Add(30 * 24 * time.Hour)
	answered := func(t *testing.T) *Proposal {
		p := unassignedProposal(t, true)
		do(t, p, func(p *Proposal) ([]Event, error) {
			return p.Respond(RespondToProposal{ProposalID: "p-1", Summary: "衛福部的回應"}, mohwMinistry, later)
		})
		return p
	}
	expired := func(t *testing.T) *Proposal {
		p := unassignedProposal(t, false)
		do(t, p, func(p *Proposal) ([]Event, error) {
			return p.Expire(ExpireProposal{ProposalID: "p-1"}, staff, t0.Add(61*24*time.Hour))
		})
		return p
	}
	cases := map[string]struct {
		state func(*testing.T) *Proposal
		actor Actor
		cmd   AssignLeads
		kind  error
		rule  string
		leads []MinistryID
		co    []MinistryID
	}{
		"leads of an unassigned, open proposal": {state: func(t *testing.T) *Proposal { return unassignedProposal(t, false) }, cmd: AssignLeads{ProposalID: "p-1", Leads: []MinistryID{"mot", "moi"}},
			leads: []MinistryID{"mot", "moi"}, co: []MinistryID{"mohw"}},
		"a lead of an established proposal": {state: func(t *testing.T) *Proposal { return unassignedProposal(t, true) }, cmd: AssignLeads{ProposalID: "p-1", Leads: []MinistryID{"mot"}, CoOrganisers: []MinistryID{"moi"}},
			leads: []MinistryID{"mot"}, co: []MinistryID{"mohw", "moi"}},
		"a further lead": {state: func(t *testing.T) *Proposal { return establishedProposal(t) }, cmd: AssignLeads{ProposalID: "p-1", Leads: []MinistryID{"mot"}},
			leads: []MinistryID{"moi", "mot"}, co: []MinistryID{"mohw"}},
		"a ministry, not staff":     {state: func(t *testing.T) *Proposal { return unassignedProposal(t, true) }, actor: moiMinistry, cmd: AssignLeads{ProposalID: "p-1", Leads: []MinistryID{"moi"}}, kind: ErrForbidden, rule: RuleRoleNotAllowed},
		"no lead":                   {state: func(t *testing.T) *Proposal { return unassignedProposal(t, true) }, cmd: AssignLeads{ProposalID: "p-1", CoOrganisers: []MinistryID{"moi"}}, kind: ErrRuleViolated, rule: "proposal.assign_leads.leads_required"},
		"a bad ministry ID":         {state: func(t *testing.T) *Proposal { return unassignedProposal(t, true) }, cmd: AssignLeads{ProposalID: "p-1", Leads: []MinistryID{"a b"}}, kind: ErrRuleViolated, rule: "proposal.assign_leads.id_invalid"},
		"a ministry named twice":    {state: func(t *testing.T) *Proposal { return unassignedProposal(t, true) }, cmd: AssignLeads{ProposalID: "p-1", Leads: []MinistryID{"mot"}, CoOrganisers: []MinistryID{"mot"}}, kind: ErrRuleViolated, rule: "proposal.assign_leads.ministry_repeated"},
		"a ministry not registered": {state: func(t *testing.T) *Proposal { return unassignedProposal(t, true) }, cmd: AssignLeads{ProposalID: "p-1", Leads: []MinistryID{"moc"}}, kind: ErrRuleViolated, rule: "proposal.assign_leads.ministry_unknown"},
		"not published yet":         {state: func(t *testing.T) *Proposal { return submittedProposal(t) }, cmd: AssignLeads{ProposalID: "p-1", Leads: []MinistryID{"mot"}}, kind: ErrConflictingState, rule: "proposal.assign_leads.not_published"},
		"no such proposal":          {state: func(t *testing.T) *Proposal { return NewProposal("p-1") }, cmd: AssignLeads{ProposalID: "p-1", Leads: []MinistryID{"mot"}}, kind: ErrNotFound, rule: "proposal.assign_leads.not_found"},
		"expired":                   {state: expired, cmd: AssignLeads{ProposalID: "p-1", Leads: []MinistryID{"mot"}}, kind: ErrConflictingState, rule: "proposal.assign_leads.expired"},
		"a lead already":            {state: func(t *testing.T) *Proposal { return establishedProposal(t) }, cmd: AssignLeads{ProposalID: "p-1", Leads: []MinistryID{"moi"}}, kind: ErrConflictingState, rule: "proposal.assign_leads.already_named"},
		"a co-organiser already":    {state: func(t *testing.T) *Proposal { return unassignedProposal(t, true) }, cmd: AssignLeads{ProposalID: "p-1", Leads: []MinistryID{"mohw"}}, kind: ErrConflictingState, rule: "proposal.assign_leads.already_named"},
		"answered already":          {state: answered, cmd: AssignLeads{ProposalID: "p-1", Leads: []MinistryID{"mot"}}, kind: ErrConflictingState, rule: "proposal.assign_leads.answered"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := tc.state(t)
			actor := tc.actor
			if actor.ID == "" {
				actor = staff
			}
			reg := testRegistry(t)
			before := p.Version()
			evs, err := DecideAndApply(p, func(p *Proposal) ([]Event, error) { return p.AssignLeads(tc.cmd, actor, later, reg) })
			if tc.rule != "" {
				wantRule(t, evs, err, tc.kind, tc.rule)
				if p.Version() != before {
					t.Errorf("a refusal changed the state")
				}
				return
			}
			wantOK(t, evs, err)
			e := evs[0].(ProposalLeadsAssigned)
			if !slices.Equal(e.Leads, tc.cmd.Leads) || !slices.Equal(p.Leads(), tc.leads) || !slices.Equal(p.CoOrganisers(), tc.co) || p.CompetentMinistry() != tc.leads[0] {
				t.Errorf("event %+v; state leads %v co %v competent %s; want %v and %v", e, p.Leads(), p.CoOrganisers(), p.CompetentMinistry(), tc.leads, tc.co)
			}
			if !e.DueAt.Equal(p.ResponseDueAt()) {
				t.Errorf("event due %v, proposal due %v", e.DueAt, p.ResponseDueAt())
			}
		})
	}
}

// TestAssignedLeadsOweTheirAnswers: once assigned, each lead owes its own
// answer by the proposal's deadline (decision 0048's rules), whether it was
// assigned before the establishment or after.
func TestAssignedLeadsOweTheirAnswers(t *testing.T) {
	reg := testRegistry(t)
	t.Run("after the establishment", func(t *testing.T) {
		p := unassignedProposal(t, true)
		due := p.ResponseDueAt()
		do(t, p, func(p *Proposal) ([]Event, error) {
			return p.AssignLeads(AssignLeads{ProposalID: "p-1", Leads: []MinistryID{"mot", "moi"}}, staff, t0.Add(24*time.Hour), reg)
		})
		// The co-organiser answers its part, not as a lead.
		evs, err := p.Respond(RespondToProposal{ProposalID: "p-1", Summary: "衛福部"}, mohwMinistry, t0.Add(48*time.Hour))
		wantRule(t, evs, err, ErrForbidden, RuleResponseOwnMinistry)
		evs = do(t, p, func(p *Proposal) ([]Event, error) {
			return p.Respond(RespondToProposal{ProposalID: "p-1", Summary: "交通部的回應"}, Actor{ID: "mot-1", Role: RoleMinistry, Ministry: "mot"}, due.Add(-time.Hour))
		})
		if r := evs[0].(ProposalResponded); !r.OnTime || r.Ministry != "mot" {
			t.Errorf("mot's response: %+v", r)
		}
		if p.Responded() {
			t.Error("answered while moi owes its answer")
		}
		evs = do(t, p, func(p *Proposal) ([]Event, error) {
			return p.MarkResponseOverdue(MarkResponseOverdue{ProposalID: "p-1"}, staff, due)
		})
		if len(evs) != 1 || evs[0].(ProposalResponseDeadlineMissed).Ministry != "moi" {
			t.Errorf("missed: %+v", evs)
		}
		do(t, p, func(p *Proposal) ([]Event, error) {
			return p.Respond(RespondToProposal{ProposalID: "p-1", Summary: "內政部的回應"}, moiMinistry, due.Add(time.Hour))
		})
		if !p.Responded() {
			t.Error("not answered after both leads answered")
		}
	})
	t.Run("before the establishment", func(t *testing.T) {
		p := unassignedProposal(t, false)
		do(t, p, func(p *Proposal) ([]Event, error) {
			return p.AssignLeads(AssignLeads{ProposalID: "p-1", Leads: []MinistryID{"mot"}}, staff, t0.Add(time.Minute), reg)
		})
		var est ProposalEstablished
		for i := 1; i <= 3; i++ {
			a := citizenActor(100 + i)
			for _, e := range do(t, p, func(p *Proposal) ([]Event, error) {
				return p.Sign(SignProposal{ProposalID: "p-1", Signer: SignerID(a.ID)}, a, t0.Add(time.Duration(i)*time.Hour))
			}) {
				if x, ok := e.(ProposalEstablished); ok {
					est = x
				}
			}
		}
		if !slices.Equal(est.LeadMinistries(), []MinistryID{"mot"}) || est.CompetentMinistry != "mot" {
			t.Errorf("establishment names %v (%s), want mot", est.LeadMinistries(), est.CompetentMinistry)
		}
	})
	t.Run("the event replays", func(t *testing.T) {
		p := unassignedProposal(t, true)
		evs := do(t, p, func(p *Proposal) ([]Event, error) {
			return p.AssignLeads(AssignLeads{ProposalID: "p-1", Leads: []MinistryID{"mot"}}, staff, t0.Add(24*time.Hour), reg)
		})
		typ, v, data, err := Encode(evs[0])
		if err != nil {
			t.Fatal(err)
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(data, &keys); err != nil || keys["dueAt"] == nil {
			t.Fatalf("%s: %s (%v)", typ, data, err)
		}
		back, err := Decode(typ, v, data)
		if err != nil {
			t.Fatal(err)
		}
		q := unassignedProposal(t, true)
		if err := q.Apply(back); err != nil || !slices.Equal(q.Leads(), []MinistryID{"mot"}) {
			t.Errorf("replayed: %v, leads %v", err, q.Leads())
		}
	})
}

func TestSignatureListMissing(t *testing.T) {
	at := t0.Add(61 * 24 * time.Hour)
	p := publishedProposal(t, smallConfig)
	if p.SignatureListMissing() {
		t.Fatal("missing before it was recorded")
	}
	evs, err := submittedProposal(t).RecordSignatureListMissing(RecordSignatureListMissing{ProposalID: "p-1"}, staff, at)
	wantRule(t, evs, err, ErrConflictingState, "proposal.record_signature_list_missing.not_published")
	evs, err = p.RecordSignatureListMissing(RecordSignatureListMissing{ProposalID: "p-1"}, moiMinistry, at)
	wantRule(t, evs, err, ErrForbidden, RuleRoleNotAllowed)
	do(t, p, func(p *Proposal) ([]Event, error) {
		return p.RecordSignatureListMissing(RecordSignatureListMissing{ProposalID: "p-1"}, staff, at)
	})
	if !p.SignatureListMissing() {
		t.Fatal("not missing once recorded")
	}
	evs, err = p.RecordSignatureListMissing(RecordSignatureListMissing{ProposalID: "p-1"}, staff, at)
	wantRule(t, evs, err, ErrConflictingState, "proposal.record_signature_list_missing.already_recorded")
	// The list arrives: a signature supersedes the fact.
	a := citizenActor(101)
	do(t, p, func(p *Proposal) ([]Event, error) {
		return p.Sign(SignProposal{ProposalID: "p-1", Signer: SignerID(a.ID)}, a, t0.Add(time.Hour))
	})
	if p.SignatureListMissing() {
		t.Error("still missing after a signature arrived")
	}
	evs, err = p.RecordSignatureListMissing(RecordSignatureListMissing{ProposalID: "p-1"}, staff, at)
	wantRule(t, evs, err, ErrConflictingState, "proposal.record_signature_list_missing.signatures_recorded")
}

func TestLateSignatures(t *testing.T) {
	p := establishedProposal(t)
	closes := p.SigningClosesAt()
	late := func(first, last int, at time.Time) ([]Event, error) {
		return DecideAndApply(p, func(p *Proposal) ([]Event, error) {
			return p.RecordLateSignatures(RecordLateSignatures{ProposalID: "p-1", FirstRow: first, LastRow: last, LastAt: at.Add(time.Hour)}, staff, at)
		})
	}
	evs, err := late(4, 6, closes.Add(-time.Second))
	wantRule(t, evs, err, ErrRuleViolated, "proposal.record_late_signatures.before_close")
	evs, err = late(0, 6, closes)
	wantRule(t, evs, err, ErrRuleViolated, "proposal.record_late_signatures.rows_invalid")
	evs, err = late(7, 6, closes)
	wantRule(t, evs, err, ErrRuleViolated, "proposal.record_late_signatures.rows_invalid")
	evs, err = DecideAndApply(p, func(p *Proposal) ([]Event, error) {
		return p.RecordLateSignatures(RecordLateSignatures{ProposalID: "p-1", FirstRow: 4, LastRow: 6, LastAt: closes.Add(-time.Hour)}, staff, closes)
	})
	wantRule(t, evs, err, ErrRuleViolated, "proposal.record_late_signatures.last_before_first")
	evs, err = late(4, 6, closes)
	wantOK(t, evs, err)
	if e := evs[0].(ProposalLateSignaturesRecorded); e.Rows != 3 || !e.SigningClosesAt.Equal(closes) {
		t.Errorf("event %+v", e)
	}
	evs, err = late(6, 8, closes.Add(time.Hour))
	wantRule(t, evs, err, ErrConflictingState, "proposal.record_late_signatures.already_recorded")
	// A record that grew: the next rows are a fact of their own.
	evs, err = late(7, 9, closes.Add(time.Hour))
	wantOK(t, evs, err)
	for n, want := range map[int]bool{3: false, 4: true, 6: true, 7: true, 9: true, 10: false} {
		if p.LateRow(n) != want {
			t.Errorf("LateRow(%d) = %v", n, !want)
		}
	}
	if p.LateRows() != 6 {
		t.Errorf("%d late rows, want 6", p.LateRows())
	}
	evs, err = submittedProposal(t).RecordLateSignatures(RecordLateSignatures{ProposalID: "p-1", FirstRow: 1, LastRow: 1, LastAt: closes}, staff, closes)
	wantRule(t, evs, err, ErrConflictingState, "proposal.record_late_signatures.not_published")
}

package domain

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"
)

// Decision 0048: a proposal with several lead ministries (Join's 352b4277,
// Facebook shopping fraud: leads 消保處, 交通部, 財政部; co-organisers 經濟部,
// 公平會) owes one answer per lead by the response deadline.

var (
	cpc  = Actor{ID: "cpc-official", Role: RoleMinistry, Ministry: "cpc"}
	mot  = Actor{ID: "mot-official", Role: RoleMinistry, Ministry: "mot"}
	mof  = Actor{ID: "mof-official", Role: RoleMinistry, Ministry: "mof"}
	moea = Actor{ID: "moea-official", Role: RoleMinistry, Ministry: "moea"}
	ftc  = Actor{ID: "ftc-official", Role: RoleMinistry, Ministry: "ftc"}
)

// severalLeads is an established proposal with leads cpc, mot, mof and
// co-organisers moea, ftc.
func severalLeads(t testing.TB) *Proposal {
	p := submittedProposal(t)
	do(t, p, func(p *Proposal) ([]Event, error) {
		return p.Publish(PublishProposal{ProposalID: "p-1", CompetentMinistry: "cpc", OtherLeads: []MinistryID{"mot", "mof"}, CoOrganisers: []MinistryID{"moea", "ftc"}}, staff, t0, smallConfig)
	})
	for i := 1; i <= 3; i++ {
		a := citizenActor(100 + i)
		do(t, p, func(p *Proposal) ([]Event, error) {
			return p.Sign(SignProposal{ProposalID: "p-1", Signer: SignerID(a.ID)}, a, t0.Add(time.Duration(i)*time.Hour))
		})
	}
	return p
}

func TestPublishNamesEveryLeadAndCoOrganiser(t *testing.T) {
	cases := map[string]struct {
		cmd       PublishProposal
		kind      error
		rule      string
		leads, co []MinistryID
	}{
		"several leads and co-organisers": {cmd: PublishProposal{ProposalID: "p-1", CompetentMinistry: "cpc", OtherLeads: []MinistryID{"mot", "mof"}, CoOrganisers: []MinistryID{"moea", "ftc"}},
			leads: []MinistryID{"cpc", "mot", "mof"}, co: []MinistryID{"moea", "ftc"}},
		"one lead":                          {cmd: PublishProposal{ProposalID: "p-1", CompetentMinistry: "moi"}, leads: []MinistryID{"moi"}},
		"co-organisers, no lead yet":        {cmd: PublishProposal{ProposalID: "p-1", NotYetAssigned: true, CoOrganisers: []MinistryID{"moea"}}, co: []MinistryID{"moea"}},
		"no ministry at all":                {cmd: PublishProposal{ProposalID: "p-1", NotYetAssigned: true}},
		"other leads without a lead":        {cmd: PublishProposal{ProposalID: "p-1", NotYetAssigned: true, OtherLeads: []MinistryID{"mot"}}, kind: ErrRuleViolated, rule: "proposal.publish.ministry_and_unassigned"},
		"a lead named twice":                {cmd: PublishProposal{ProposalID: "p-1", CompetentMinistry: "mot", OtherLeads: []MinistryID{"mot"}}, kind: ErrRuleViolated, rule: "proposal.publish.ministry_repeated"},
		"a lead also a co-organiser":        {cmd: PublishProposal{ProposalID: "p-1", CompetentMinistry: "mot", CoOrganisers: []MinistryID{"mot"}}, kind: ErrRuleViolated, rule: "proposal.publish.ministry_repeated"},
		"a co-organiser without an ID":      {cmd: PublishProposal{ProposalID: "p-1", CompetentMinistry: "mot", CoOrganisers: []MinistryID{""}}, kind: ErrRuleViolated, rule: "proposal.publish.id_invalid"},
		"another lead with a bad character": {cmd: PublishProposal{ProposalID: "p-1", CompetentMinistry: "mot", OtherLeads: []MinistryID{"a b"}}, kind: ErrRuleViolated, rule: "proposal.publish.id_invalid"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := submittedProposal(t)
			evs, err := DecideAndApply(p, func(p *Proposal) ([]Event, error) { return p.Publish(tc.cmd, staff, t0, smallConfig) })
			if tc.rule != "" {
				wantRule(t, evs, err, tc.kind, tc.rule)
				return
			}
			wantOK(t, evs, err)
			e := evs[0].(ProposalPublished)
			if !slices.Equal(e.LeadMinistries(), tc.leads) || !slices.Equal(e.CoOrganisers, tc.co) || !slices.Equal(p.Leads(), tc.leads) || !slices.Equal(p.CoOrganisers(), tc.co) {
				t.Errorf("event leads %v co %v, state leads %v co %v; want %v and %v", e.LeadMinistries(), e.CoOrganisers, p.Leads(), p.CoOrganisers(), tc.leads, tc.co)
			}
		})
	}
}

func TestEachLeadOwesItsAnswer(t *testing.T) {
	p := severalLeads(t)
	if _, at, _ := p.Establishment(); !at.Equal(t0.Add(3 * time.Hour)) {
		t.Fatalf("established at %v", at)
	}
	due := p.ResponseDueAt()
	before, after := due.Add(-5*24*time.Hour), due.Add(2*24*time.Hour)
	respond := func(a Actor, at time.Time) func(*Proposal) ([]Event, error) {
		return func(p *Proposal) ([]Event, error) {
			return p.Respond(RespondToProposal{ProposalID: "p-1", Summary: string(a.Ministry) + " 的回應"}, a, at)
		}
	}
	add := func(a Actor, at time.Time) func(*Proposal) ([]Event, error) {
		return func(p *Proposal) ([]Event, error) {
			return p.AddResponse(AddProposalResponse{ProposalID: "p-1", Summary: string(a.Ministry) + " 的部分"}, a, at)
		}
	}
	extend := func(a Actor) func(*Proposal) ([]Event, error) {
		return func(p *Proposal) ([]Event, error) {
			return p.ExtendResponseDeadline(ExtendResponseDeadline{ProposalID: "p-1", NewDueDate: calendar.DateOf(due.Add(20 * 24 * time.Hour)), Reason: "跨部會協調"}, a, before)
		}
	}
	mark := func(at time.Time) func(*Proposal) ([]Event, error) {
		return func(p *Proposal) ([]Event, error) {
			return p.MarkResponseOverdue(MarkResponseOverdue{ProposalID: "p-1"}, staff, at)
		}
	}
	steps := []struct {
		name   string
		decide func(*Proposal) ([]Event, error)
		kind   error
		rule   string
		// missed are the ministries marked by the step; onTime the
		// response's verdict.
		missed    []MinistryID
		onTime    *bool
		responded bool
	}{
		{name: "a co-organiser answers its part", decide: add(moea, before.Add(-20*24*time.Hour))},
		{name: "a co-organiser does not respond as a lead", decide: respond(moea, before), kind: ErrForbidden, rule: RuleResponseOwnMinistry},
		{name: "a ministry not named does not respond", decide: respond(mohwMinistry, before), kind: ErrForbidden, rule: RuleResponseOwnMinistry},
		{name: "a ministry not named adds nothing", decide: add(mohwMinistry, before), kind: ErrForbidden, rule: RuleResponseNamedMinistry},
		{name: "a co-organiser does not extend the deadline", decide: extend(ftc), kind: ErrForbidden, rule: RuleResponseOwnMinistry},
		{name: "a lead's first answer is its response, on time", decide: respond(mot, before), onTime: ptr(true)},
		{name: "the same lead does not respond twice", decide: respond(mot, before.Add(time.Hour)), kind: ErrConflictingState, rule: "proposal.respond.already_responded"},
		{name: "nor extends the deadline once it answered", decide: extend(mot), kind: ErrConflictingState, rule: "proposal.extend_response_deadline.already_responded"},
		{name: "its later answer is a further response", decide: add(mot, before.Add(time.Hour))},
		{name: "another lead's first answer is not a further response", decide: add(mof, before), kind: ErrConflictingState, rule: "proposal.add_response.respond_first"},
		{name: "the deadline is not missed before it passes", decide: mark(before), kind: ErrRuleViolated, rule: "proposal.mark_response_overdue.not_due"},
		{name: "missed: once for each lead that had not answered", decide: mark(after), missed: []MinistryID{"cpc", "mof"}},
		{name: "and only once", decide: mark(after.Add(time.Hour)), kind: ErrConflictingState, rule: "proposal.mark_response_overdue.already_marked"},
		{name: "a lead answering after the deadline is late", decide: respond(mof, after.Add(2*time.Hour)), onTime: ptr(false)},
		{name: "the last lead's answer answers the proposal", decide: respond(cpc, after.Add(3*time.Hour)), onTime: ptr(false), responded: true},
		{name: "an answered proposal is not overdue", decide: mark(after.Add(4 * time.Hour)), kind: ErrConflictingState, rule: "proposal.mark_response_overdue.responded"},
	}
	for _, st := range steps {
		evs, err := DecideAndApply(p, st.decide)
		if st.rule != "" {
			wantRule(t, evs, err, st.kind, st.rule)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		var missed []MinistryID
		for _, e := range evs {
			switch e := e.(type) {
			case ProposalResponseDeadlineMissed:
				missed = append(missed, e.Ministry)
			case ProposalResponded:
				if st.onTime == nil || e.OnTime != *st.onTime || !e.DueAt.Equal(due) {
					t.Errorf("%s: responded %+v, want on time %v by %v", st.name, e, st.onTime, due)
				}
			}
		}
		if !slices.Equal(missed, st.missed) {
			t.Errorf("%s: missed %v, want %v", st.name, missed, st.missed)
		}
		if p.Responded() != st.responded {
			t.Errorf("%s: responded %v, want %v", st.name, p.Responded(), st.responded)
		}
	}
	for _, m := range []MinistryID{"cpc", "mot", "mof"} {
		if !p.LeadResponded(m) {
			t.Errorf("%s's response is not recorded", m)
		}
	}
	if p.LeadResponded("moea") || p.Responses() != 5 {
		t.Errorf("co-organiser counted as a lead, or %d responses (want 5)", p.Responses())
	}
}

func TestExtensionIsTheProposals(t *testing.T) {
	p := severalLeads(t)
	due := p.ResponseDueAt()
	evs, err := DecideAndApply(p, func(p *Proposal) ([]Event, error) {
		return p.ExtendResponseDeadline(ExtendResponseDeadline{ProposalID: "p-1", NewDueDate: calendar.DateOf(due.Add(20 * 24 * time.Hour)), Reason: "跨部會協調"}, mof, due.Add(-time.Hour))
	})
	wantOK(t, evs, err)
	evs, err = DecideAndApply(p, func(p *Proposal) ([]Event, error) {
		return p.Respond(RespondToProposal{ProposalID: "p-1", Summary: "交通部的回應"}, mot, due.Add(24*time.Hour))
	})
	wantOK(t, evs, err)
	if r := evs[0].(ProposalResponded); !r.OnTime || !r.DueAt.Equal(p.ResponseDueAt()) {
		t.Errorf("another lead answering within the extension: %+v", r)
	}
}

// TestOldLogsReplayAsBefore: events written before decision 0048 name one
// competent ministry; they fold as they did (one lead, any ministry may add
// its part), and without a lead any ministry's first answer is the response.
func TestOldLogsReplayAsBefore(t *testing.T) {
	decode := func(typ, data string) Event {
		t.Helper()
		e, err := Decode(typ, 1, []byte(data))
		if err != nil {
			t.Fatalf("decode %s: %v", typ, err)
		}
		return e
	}
	at := func(s string) string { return `"at":"` + s + `"` }
	sig := `"signatureId":"6f1c3b1e-8f5a-4c59-9a3c-3f3a3a3a3a3a","signer":"` + string(signer(1)) + `"`
	old := []Event{
		decode("proposal.submitted", `{"proposalId":"p-1","title":"t","summary":"s","proposer":"x",`+at("2019-01-05T00:00:00Z")+`}`),
		decode("proposal.published", `{"proposalId":"p-1","competentMinistry":"moi","threshold":1,"milestones":[],"signingClosesAt":"2019-03-07T00:00:00Z","responseDeadline":{"months":2},`+at("2019-01-07T00:00:00Z")+`}`),
		decode("proposal.signed", `{"proposalId":"p-1",`+sig+`,"count":1,`+at("2019-01-08T00:00:00Z")+`}`),
		decode("proposal.established", `{"proposalId":"p-1",`+sig+`,"count":1,"threshold":1,"competentMinistry":"moi","responseDueAt":"2019-03-08T16:00:00Z",`+at("2019-01-08T00:00:00Z")+`}`),
		decode("proposal.response_added", `{"proposalId":"p-1","ministry":"mohw","summary":"衛福部的部分",`+at("2019-02-01T00:00:00Z")+`}`),
		decode("proposal.response_deadline_missed", `{"proposalId":"p-1","ministry":"moi","dueAt":"2019-03-08T16:00:00Z",`+at("2019-03-09T00:00:00Z")+`}`),
		decode("proposal.responded", `{"proposalId":"p-1","ministry":"moi","summary":"內政部的回應","dueAt":"2019-03-08T16:00:00Z","onTime":false,`+at("2019-03-10T00:00:00Z")+`}`),
	}
	p := NewProposal("p-1")
	for _, e := range old {
		if err := p.Apply(e); err != nil {
			t.Fatalf("replay %s: %v", e.EventType(), err)
		}
	}
	if !slices.Equal(p.Leads(), []MinistryID{"moi"}) || p.CoOrganisers() != nil || !p.Responded() || p.Responses() != 2 {
		t.Errorf("replayed: leads %v, co %v, responded %v, %d responses", p.Leads(), p.CoOrganisers(), p.Responded(), p.Responses())
	}
	if pub := old[1].(ProposalPublished); pub.NamesMinistries() || !slices.Equal(pub.LeadMinistries(), []MinistryID{"moi"}) {
		t.Errorf("an old publication: names %v, leads %v", pub.NamesMinistries(), pub.LeadMinistries())
	}
	// Any ministry may still add its part: the old publication did not
	// name the co-organisers.
	evs, err := p.AddResponse(AddProposalResponse{ProposalID: "p-1", Summary: "教育部的部分"}, Actor{ID: "moe-official", Role: RoleMinistry, Ministry: "moe"}, time.Date(2019, 4, 1, 0, 0, 0, 0, time.UTC))
	wantOK(t, evs, err)
	// A new publication with one lead writes it in leads too, and the
	// event reads back the same.
	q := submittedProposal(t)
	evs, err = DecideAndApply(q, func(q *Proposal) ([]Event, error) {
		return q.Publish(PublishProposal{ProposalID: "p-1", CompetentMinistry: "moi"}, staff, t0, smallConfig)
	})
	wantOK(t, evs, err)
	b, err := json.Marshal(evs[0])
	if err != nil {
		t.Fatal(err)
	}
	back := decode("proposal.published", string(b)).(ProposalPublished)
	if !slices.Equal(back.Leads, []MinistryID{"moi"}) || back.CompetentMinistry != "moi" || !back.NamesMinistries() {
		t.Errorf("a new publication reads back as %+v", back)
	}
}

func TestWithoutALeadTheFirstAnswerIsTheResponse(t *testing.T) {
	p := submittedProposal(t)
	do(t, p, func(p *Proposal) ([]Event, error) {
		return p.Publish(PublishProposal{ProposalID: "p-1", NotYetAssigned: true}, staff, t0, smallConfig)
	})
	for i := 1; i <= 3; i++ {
		a := citizenActor(100 + i)
		do(t, p, func(p *Proposal) ([]Event, error) {
			return p.Sign(SignProposal{ProposalID: "p-1", Signer: SignerID(a.ID)}, a, t0.Add(time.Duration(i)*time.Hour))
		})
	}
	due := p.ResponseDueAt()
	evs, err := p.AddResponse(AddProposalResponse{ProposalID: "p-1", Summary: "x"}, mohwMinistry, due.Add(-time.Hour))
	wantRule(t, evs, err, ErrConflictingState, "proposal.add_response.respond_first")
	evs, err = DecideAndApply(p, func(p *Proposal) ([]Event, error) {
		return p.MarkResponseOverdue(MarkResponseOverdue{ProposalID: "p-1"}, staff, due)
	})
	wantOK(t, evs, err)
	if len(evs) != 1 || evs[0].(ProposalResponseDeadlineMissed).Ministry != "" {
		t.Errorf("missed without a lead: %+v", evs)
	}
	evs, err = DecideAndApply(p, func(p *Proposal) ([]Event, error) {
		return p.Respond(RespondToProposal{ProposalID: "p-1", Summary: "衛福部的回應"}, mohwMinistry, due.Add(time.Hour))
	})
	wantOK(t, evs, err)
	evs, err = p.Respond(RespondToProposal{ProposalID: "p-1", Summary: "內政部的回應"}, moiMinistry, due.Add(2*time.Hour))
	wantRule(t, evs, err, ErrConflictingState, "proposal.respond.already_responded")
	if !p.Responded() {
		t.Error("not answered")
	}
}

func ptr[T any](v T) *T { return &v }

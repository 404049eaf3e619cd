package readmodels_test

import (
	"slices"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	rm "github.com/pdis/collab-ledger/readmodels"
)

// TestTalliesEveryLead: a proposal with two leads (moi, mot) and a
// co-organiser (mohw) keeps each lead's answer (decision 0048): the open
// deadline names the lead still owing, the missed deadline is recorded for
// it alone, and the proposal is answered, late, when it answers too.
func TestTalliesEveryLead(t *testing.T) {
	ctx := projectiontest.Ctx(t)
	store := projectiontest.NewStore(t)
	r := projectiontest.Start(t, projections.RunnerConfig{Store: store, Projections: rm.All(), Topic: topic})
	heard := listen(t, ctx, r.Integration())
	l := newLedger(t, store)
	motMinistry := domain.Actor{ID: "mot-official", Role: domain.RoleMinistry, Ministry: "mot"}
	const id domain.ProposalID = "p-60"
	l.establishWith(domain.PublishProposal{ProposalID: id, CompetentMinistry: "moi", OtherLeads: []domain.MinistryID{"mot"}, CoOrganisers: []domain.MinistryID{"mohw"}}, tStart, 1, 5)
	waitAll(t, ctx, r, l.last.Position)
	tallies := r.Reader(rm.TalliesName)
	p, _, err := rm.Proposal(ctx, tallies, id, rm.Public)
	if err != nil || p.Response == nil || !slices.Equal(p.Leads, []string{"moi", "mot"}) || !slices.Equal(p.CoOrganisers, []string{"mohw"}) || len(p.Response.Leads) != 2 {
		t.Fatalf("proposal %+v: %v", p, err)
	}
	due := p.Response.DueAt
	respond := func(a domain.Actor, at time.Time) {
		l.proposal(id, a, at, func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
			return p.Respond(domain.RespondToProposal{ProposalID: id, Summary: string(a.Ministry) + " 的回應"}, a, at)
		})
		waitAll(t, ctx, r, l.last.Position)
	}
	respond(motMinistry, due.Add(-3*day))
	l.proposal(id, mohwMinistry, due.Add(-2*day), func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return p.AddResponse(domain.AddProposalResponse{ProposalID: id, Summary: "衛福部的部分"}, mohwMinistry, at)
	})
	waitAll(t, ctx, r, l.last.Position)
	open, err := rm.DueResponses(ctx, tallies, time.Time{})
	if err != nil || len(open) != 1 || !slices.Equal(open[0].Owing, []string{"moi"}) || open[0].Ministry != "moi" {
		t.Fatalf("open deadlines after mot's answer: %+v %v", open, err)
	}
	p, _, _ = rm.Proposal(ctx, tallies, id, rm.Public)
	if p.Response.Answered() || p.Response.Leads[1].Responded == nil || !p.Response.Leads[1].Responded.OnTime || len(p.Responses) != 2 || !p.Responses[0].Competent || p.Responses[1].Competent {
		t.Errorf("after mot's answer: %+v, responses %+v", p.Response, p.Responses)
	}

	// The deadline job: overdue, recorded as missed for moi alone.
	job, err := rm.NewDeadlines(rm.DeadlinesConfig{Tallies: tallies, Publisher: r.Integration(), Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := job.Check(ctx, due.Add(time.Hour))
	if err != nil || len(rep.Overdue) != 1 {
		t.Fatalf("overdue %+v: %v", rep.Overdue, err)
	}
	res := l.proposal(id, staff, due.Add(time.Hour), func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return p.MarkResponseOverdue(domain.MarkResponseOverdue{ProposalID: id}, staff, at)
	})
	if len(res.Events) != 1 {
		t.Fatalf("missed: %d events", len(res.Events))
	}
	waitAll(t, ctx, r, l.last.Position)
	if open, _ := rm.DueResponses(ctx, tallies, time.Time{}); len(open) != 0 {
		t.Errorf("still open: %+v", open)
	}
	respond(moiMinistry, due.Add(2*day))
	p, _, _ = rm.Proposal(ctx, tallies, id, rm.Public)
	moi := p.Response.Leads[0]
	if !p.Response.Answered() || p.Response.OnTime() || moi.Ministry != "moi" || moi.Missed == nil || moi.Responded == nil || moi.Responded.OnTime {
		t.Errorf("answered late: %+v", p.Response)
	}
	projectiontest.Eventually(t, 10*time.Second, "announcements", func() bool {
		c := heard.counts()
		return c["proposal.response_deadline_missed proposal-p-60"] == 1 && c["proposal.responded proposal-p-60"] == 2
	})
}

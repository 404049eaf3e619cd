package readmodels_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	rm "github.com/pdis/collab-ledger/readmodels"
)

// TestDeadlines walks a response deadline through near, extended, near
// again and missed, the way the server runs the job: Check with the time,
// then MarkResponseOverdue through the command side for what is overdue.
func TestDeadlines(t *testing.T) {
	ctx := projectiontest.Ctx(t)
	store := projectiontest.NewStore(t)
	r := projectiontest.Start(t, projections.RunnerConfig{Store: store, Projections: rm.All(), Topic: topic})
	heard := listen(t, ctx, r.Integration())
	l := newLedger(t, store)
	const id domain.ProposalID = "p-50"
	l.establish(id, tStart, 1, 5)
	waitAll(t, ctx, r, l.last.Position)

	p, _, err := rm.Proposal(ctx, r.Reader(rm.TalliesName), id, rm.Auditor)
	if err != nil || p.Response == nil {
		t.Fatalf("proposal %+v: %v", p, err)
	}
	due := p.Response.DueAt
	if want := calendar.DateOf(tStart).End(); !due.After(want.AddDate(0, 1, 27)) {
		t.Fatalf("due %s", due)
	}
	newJob := func() *rm.Deadlines {
		d, err := rm.NewDeadlines(rm.DeadlinesConfig{Tallies: r.Reader(rm.TalliesName), Publisher: r.Integration(), Topic: topic, NearDays: 14})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	job := newJob()
	check := func(j *rm.Deadlines, now time.Time, near, announced, overdue int) rm.DeadlineReport {
		t.Helper()
		rep, err := j.Check(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Near) != near || rep.Announced != announced || len(rep.Overdue) != overdue {
			t.Fatalf("at %s: %d near (%d announced), %d overdue; want %d (%d), %d", now, len(rep.Near), rep.Announced, len(rep.Overdue), near, announced, overdue)
		}
		return rep
	}
	check(job, due.Add(-20*day), 0, 0, 0)
	rep := check(job, due.Add(-10*day), 1, 1, 0)
	src := uuid.MustParse(p.Established.EventID)
	key := "proposal-p-50/" + due.UTC().Format(time.RFC3339)
	if want := projections.IntegrationEventID(rm.TalliesName, src, rm.AnnounceDeadlineNear, key); rep.Near[0].AnnouncementID != want {
		t.Errorf("announcement ID %s, want %s", rep.Near[0].AnnouncementID, want)
	}
	check(job, due.Add(-9*day), 1, 0, 0) // announced once
	// A restarted job announces again, with the same message ID.
	again := check(newJob(), due.Add(-9*day), 1, 1, 0)
	if again.Near[0].AnnouncementID != rep.Near[0].AnnouncementID {
		t.Errorf("restarted job: ID %s, want %s", again.Near[0].AnnouncementID, rep.Near[0].AnnouncementID)
	}
	// An extension sets a new deadline, announced anew when near.
	l.proposal(id, moiMinistry, due.Add(-8*day), func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return p.ExtendResponseDeadline(domain.ExtendResponseDeadline{ProposalID: id, NewDueDate: calendar.DateOf(due).AddDays(30), Reason: "more time"}, moiMinistry, at)
	})
	waitAll(t, ctx, r, l.last.Position)
	p, _, _ = rm.Proposal(ctx, r.Reader(rm.TalliesName), id, rm.Auditor)
	newDue := p.Response.DueAt
	check(job, due.Add(-8*day), 0, 0, 0)
	ext := check(job, newDue.Add(-2*day), 1, 1, 0)
	if ext.Near[0].AnnouncementID == rep.Near[0].AnnouncementID || ext.Near[0].Since.EventID != p.Response.Extensions[0].EventID {
		t.Errorf("extension's announcement %+v", ext.Near[0])
	}
	// Past due: reported, recorded as missed through the command side,
	// then gone.
	now := newDue.Add(time.Hour)
	over := check(job, now, 0, 0, 1)
	for _, o := range over.Overdue {
		l.proposal(domain.ProposalID(o.ProposalID), staff, now, func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
			return p.MarkResponseOverdue(domain.MarkResponseOverdue{ProposalID: domain.ProposalID(o.ProposalID)}, staff, at)
		})
	}
	waitAll(t, ctx, r, l.last.Position)
	check(job, now, 0, 0, 0)
	p, _, _ = rm.Proposal(ctx, r.Reader(rm.TalliesName), id, rm.Public)
	if len(p.Response.Leads) != 1 || p.Response.Leads[0].Missed == nil || !p.Response.Leads[0].Missed.DueAt.Equal(newDue) {
		t.Errorf("missed: %+v", p.Response.Leads)
	}
	projectiontest.Eventually(t, 10*time.Second, "announcements", func() bool {
		c := heard.counts()
		return c["proposal.response_deadline_missed proposal-p-50"] == 1 && c[rm.AnnounceDeadlineNear+" "+key] == 2
	})
}

package web

import (
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/readmodels"
)

// TestListViewKeptUntilItChanges: a list view (the proposals' states and
// the days late at a moment) is kept until the first instant one of them
// reads otherwise — signing closes, an awaited response falls due, an
// overdue one is a day later, a meeting starts — and is made anew then,
// with nothing appended to the log.
func TestListViewKeptUntilItChanges(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, taipei())
	closes := now.Add(20 * time.Second)
	due := now.Add(-30 * time.Hour) // 2 days late
	answerBy := now.Add(2 * time.Hour)
	starts := now.Add(3 * time.Hour)
	d := &directory{names: newMinistryNames(nil),
		proposals: []readmodels.ProposalTally{
			{ProposalID: "a", Status: domain.ProposalStatusPublished, SigningClosesAt: closes, Threshold: 2},
			{ProposalID: "b", Status: domain.ProposalStatusPublished, Established: &readmodels.Establishment{}, Response: &readmodels.Response{DueAt: due}},
			{ProposalID: "c", Status: domain.ProposalStatusPublished, Established: &readmodels.Establishment{}, Response: &readmodels.Response{DueAt: answerBy}},
		},
		meetings: []readmodels.MeetingRecord{{MeetingID: "m", StartsAt: starts}},
	}
	d.orders()
	s := &server{}
	states := func(v *listView) string {
		var out string
		for _, r := range v.rows {
			out += r.ProposalID + ":" + r.State
			if r.DaysLate > 0 {
				out += "+" + time.Duration(r.DaysLate).String()
			}
			out += " "
		}
		return out
	}
	v := s.listsAt(d, now)
	if got, want := states(v), "a:collecting b:overdue+2ns c:awaiting "; got != want {
		t.Fatalf("at %s: %q, want %q", now, got, want)
	}
	if !v.until.Equal(closes) {
		t.Fatalf("kept until %s, want %s (signing closes)", v.until, closes)
	}
	if len(v.home.Collecting) != 1 || len(v.home.Upcoming) != 1 {
		t.Fatalf("home at %s: %d collecting, %d upcoming", now, len(v.home.Collecting), len(v.home.Upcoming))
	}
	if s.listsAt(d, closes.Add(-time.Nanosecond)) != v {
		t.Fatal("a view made again before anything in it changed")
	}
	for _, c := range []struct {
		at    time.Time
		want  string
		until time.Time
	}{
		// Signing closed: nothing due before the minute's bound.
		{closes, "a:expired b:overdue+2ns c:awaiting ", closes.Add(maxViewAge)},
		{answerBy.Add(-time.Minute), "a:expired b:overdue+2ns c:awaiting ", answerBy},
		{answerBy, "a:expired b:overdue+2ns c:overdue+1ns ", answerBy.Add(maxViewAge)},
		{starts.Add(-time.Second), "a:expired b:overdue+2ns c:overdue+1ns ", starts},
		{due.Add(48*time.Hour - time.Second), "a:expired b:overdue+2ns c:overdue+1ns ", due.Add(48 * time.Hour)},
		{due.Add(48 * time.Hour), "a:expired b:overdue+3ns c:overdue+1ns ", due.Add(48 * time.Hour).Add(maxViewAge)},
	} {
		prev := v
		v = s.listsAt(d, c.at)
		if v == prev || v.seq <= prev.seq {
			t.Fatalf("at %s: the view of %s kept", c.at, prev.at)
		}
		if got := states(v); got != c.want {
			t.Errorf("at %s: %q, want %q", c.at, got, c.want)
		}
		if !v.until.Equal(c.until) {
			t.Errorf("at %s: kept until %s, want %s", c.at, v.until, c.until)
		}
	}
	if len(v.home.Upcoming) != 0 || len(v.home.Recent) != 1 {
		t.Errorf("home after the meeting started: %d upcoming, %d recent", len(v.home.Upcoming), len(v.home.Recent))
	}
}

package readmodels_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	rm "github.com/pdis/collab-ledger/readmodels"
)

// TestCaseFoldsAgree: a view of a case started from its periodic
// snapshots (CaseFolds) equals the view folded from scratch (CaseAsOf) at
// points all along the case on each clock (position, recorded-at,
// occurred-at): the card, every meeting and the whole trail; after more of
// the case is recorded (a new meeting: a new stream), Refresh extends the
// snapshots and they still agree, up to the head.
func TestCaseFoldsAgree(t *testing.T) {
	ctx := context.Background()
	store := projectiontest.NewStore(t)
	l := newLedger(t, store)
	l.registerNetwork(tStart)
	bigCase(t, l, "c", 2, 120, 2, 30)
	r := projectiontest.Start(t, projections.RunnerConfig{Store: store, Projections: []projections.Projection{rm.Trail{}}})
	folds := &rm.CaseFolds{Every: 97}

	check := func(stage string) {
		t.Helper()
		head, err := store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.WaitFor(ctx, rm.TrailName, head); err != nil {
			t.Fatal(err)
		}
		if err := folds.Refresh(ctx, store, r, "c"); err != nil {
			t.Fatal(err)
		}
		n, covered := folds.Snapshots("c")
		if n < 2 {
			t.Fatalf("%s: %d snapshots", stage, n)
		}
		used, points := compareFolds(t, stage, store, r, folds, "c", 23)
		if used < points/3 {
			t.Errorf("%s: only %d of %d views started from a snapshot (%d snapshots of %d events)", stage, used, points, n, covered)
		}
	}
	check("first")
	// More of the case: a third meeting, a new stream after the snapshots.
	before, _ := folds.Snapshots("c")
	kase := l.loadCase("c")
	at := tStart.Add(30 * day)
	l.meeting("c-m9", staff, at, func(x *domain.Meeting, at time.Time) ([]domain.Event, error) {
		return x.Schedule(domain.ScheduleMeeting{MeetingID: "c-m9", CaseID: "c", Kind: domain.MeetingCollaborative, Phase: domain.PhaseDefine, Title: "會議九", StartsAt: at}, staff, at, kase, domain.DefaultMonthlyConfig(), nil)
	})
	for i := range 150 {
		at := at.Add(time.Duration(i) * time.Minute)
		id := domain.NoteID(fmt.Sprintf("n-%d", i))
		l.meeting("c-m9", staff, at, func(x *domain.Meeting, at time.Time) ([]domain.Event, error) {
			return x.AddNote(domain.AddNote{MeetingID: "c-m9", NoteID: id, Board: domain.BoardMindMap, Text: "便利貼"}, staff, at)
		})
		if i%3 == 0 {
			l.meeting("c-m9", staff, at, func(x *domain.Meeting, at time.Time) ([]domain.Event, error) {
				return x.RemoveNote(domain.RemoveNote{MeetingID: "c-m9", NoteID: id, Reason: "重複"}, staff, at)
			})
		}
	}
	check("extended")
	if after, _ := folds.Snapshots("c"); after <= before {
		t.Errorf("Refresh did not extend the snapshots: %d then %d", before, after)
	}
}

// compareFolds compares views of case id (its card, meetings id-m0, id-m1
// and id-m9, its whole trail) started from folds' snapshots with views
// folded from scratch, and its meetings id-m0 and id-m9 with each folded
// alone (MeetingAsOf), at points all along the log on each clock, and
// returns how many of the views started from a snapshot and how many were
// compared (about 3n+2).
func compareFolds(t *testing.T, stage string, store eventstore.Store, r rm.Index, folds *rm.CaseFolds, id domain.CaseID, n int) (used, compared int) {
	t.Helper()
	ctx := context.Background()
	head, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := store.ReadAll(ctx, 0, int(head))
	if err != nil {
		t.Fatal(err)
	}
	var points []rm.AsOf
	for i := 0; i < len(evs); i += len(evs)/n + 1 {
		ev := evs[i]
		points = append(points, rm.AsOf{Position: ev.Position}, rm.AsOf{RecordedAt: ev.RecordedAt}, rm.AsOf{OccurredAt: ev.OccurredAt()})
	}
	points = append(points, rm.AsOf{Position: head}, rm.AsOf{RecordedAt: evs[len(evs)-1].RecordedAt})
	used = 0
	for _, at := range points {
		want, werr := rm.CaseAsOf(ctx, store, r, id, at)
		got, gerr := folds.CaseAsOf(ctx, store, r, id, at)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%s %+v: from scratch %v, from snapshots %v", stage, at, werr, gerr)
		}
		if werr != nil {
			continue
		}
		if got.Events != want.Events || got.Position != want.Position {
			t.Errorf("%s %+v: %d events to %d from snapshots, %d to %d from scratch", stage, at, got.Events, got.Position, want.Events, want.Position)
		}
		if got.Resumed > 0 {
			used++
		}
		for _, q := range []func(s *rm.Snapshot) (any, error){
			func(s *rm.Snapshot) (any, error) {
				c, _, err := rm.Case(ctx, s.Reader(rm.CaseBoardName), id, rm.Auditor)
				return c, err
			},
			func(s *rm.Snapshot) (any, error) {
				m, _, err := rm.Meeting(ctx, s.Reader(rm.TranscriptsName), domain.MeetingID(id+"-m0"), rm.Auditor)
				return m, err
			},
			func(s *rm.Snapshot) (any, error) {
				m, _, err := rm.Meeting(ctx, s.Reader(rm.TranscriptsName), domain.MeetingID(id+"-m1"), rm.Auditor)
				return m, err
			},
			func(s *rm.Snapshot) (any, error) {
				m, _, err := rm.Meeting(ctx, s.Reader(rm.TranscriptsName), domain.MeetingID(id+"-m9"), rm.Public)
				return m, err
			},
			func(s *rm.Snapshot) (any, error) {
				p, _, err := rm.CaseTrail(ctx, s.Reader(rm.TrailName), id, rm.TrailQuery{View: rm.Auditor, Limit: 100000})
				return p, err
			},
			// A page of a transcript: its order from the utterances'
			// places (decoded from a stored snapshot, or taken from the
			// values a fold holds), the page's utterances in full.
			func(s *rm.Snapshot) (any, error) {
				m, _, err := rm.Meeting(ctx, s.Reader(rm.TranscriptsName), domain.MeetingID(id+"-m0"), rm.Public, rm.Window{Offset: 20, Limit: 30})
				return m, err
			},
			func(s *rm.Snapshot) (any, error) {
				m, _, err := rm.Meeting(ctx, s.Reader(rm.TranscriptsName), domain.MeetingID(id+"-m1"), rm.Auditor, rm.Window{Limit: 50})
				return m, err
			},
			// The trail a page at a time, after a point.
			func(s *rm.Snapshot) (any, error) {
				p, _, err := rm.CaseTrail(ctx, s.Reader(rm.TrailName), id, rm.TrailQuery{Limit: 40, After: s.Position / 2})
				return p, err
			},
		} {
			a, aerr := q(want)
			b, berr := q(got)
			if aerr != nil || berr != nil {
				t.Fatalf("%s %+v: %v %v", stage, at, aerr, berr)
			}
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if string(ja) != string(jb) {
				t.Fatalf("%s %+v: from snapshots\n%.600s\nfrom scratch\n%.600s", stage, at, jb, ja)
			}
		}
		// A meeting of the case, read from the case's fold, is the meeting
		// folded alone (MeetingAsOf), or did not exist yet in both.
		for _, mid := range []domain.MeetingID{domain.MeetingID(id + "-m0"), domain.MeetingID(id + "-m9")} {
			alone, err := rm.MeetingAsOf(ctx, store, mid, at)
			if err != nil && !errors.Is(err, rm.ErrNotYet) {
				t.Fatal(err)
			}
			for _, w := range [][]rm.Window{nil, {{Offset: 10, Limit: 25}}} {
				b, found, berr := rm.Meeting(ctx, got.Reader(rm.TranscriptsName), mid, rm.Auditor, w...)
				if berr != nil {
					t.Fatal(berr)
				}
				if err != nil {
					if found {
						t.Fatalf("%s %+v: meeting %s in the case's fold, not yet alone", stage, at, mid)
					}
					continue
				}
				a, _, aerr := rm.Meeting(ctx, alone.Reader(rm.TranscriptsName), mid, rm.Auditor, w...)
				if aerr != nil {
					t.Fatal(aerr)
				}
				ja, _ := json.Marshal(a)
				jb, _ := json.Marshal(b)
				if string(ja) != string(jb) {
					t.Fatalf("%s %+v: meeting %s %v from the case's fold\n%.600s\nalone\n%.600s", stage, at, mid, w, jb, ja)
				}
			}
		}
	}
	return used, len(points)
}

package readmodels_test

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/internal/testenv"
	"github.com/pdis/collab-ledger/projections"
	pgproj "github.com/pdis/collab-ledger/projections/postgres"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	rm "github.com/pdis/collab-ledger/readmodels"
)

// bigCase records, through the command side, a case with meetings
// meetings, each with an imported transcript of utterances utterances and
// versions later versions correcting every utterance, and notes notes
// written at the meeting (decided in batches, as concurrent commands are).
// It returns the number of events recorded for the case.
func bigCase(tb testing.TB, l *ledger, id domain.CaseID, meetings, utterances, versions, notes int) int {
	at := tStart
	n := 0
	add := func(r app.Result) { n += len(r.Events) }
	add(l.kase(id, staff, at, func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.Open(domain.OpenCase{CaseID: id, Title: "大案 " + string(id), SourceKind: domain.SourceAssignment, Ref: "EY-" + string(id)}, staff, at, nil)
	}))
	add(l.kase(id, staff, at, func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.AssignLead(domain.AssignLead{CaseID: id, Ministry: "moi"}, staff, at)
	}))
	kase := l.loadCase(id)
	for m := range meetings {
		mid := domain.MeetingID(fmt.Sprintf("%s-m%d", id, m))
		at = at.Add(day)
		add(l.meeting(mid, staff, at, func(x *domain.Meeting, at time.Time) ([]domain.Event, error) {
			return x.Schedule(domain.ScheduleMeeting{MeetingID: mid, CaseID: id, Kind: domain.MeetingCollaborative, Phase: domain.PhaseDiscover, Title: "會議", StartsAt: at}, staff, at, kase, domain.DefaultMonthlyConfig(), nil)
		}))
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i := range notes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := l.meetings.Handle(context.Background(), app.Request[*domain.Meeting]{
					Stream: domain.MeetingStream(mid), New: func() *domain.Meeting { return domain.NewMeeting(mid) }, Actor: staff, At: at,
					Decide: func(x *domain.Meeting, at time.Time) ([]domain.Event, error) {
						return x.AddNote(domain.AddNote{MeetingID: mid, NoteID: domain.NoteID(fmt.Sprintf("n-%d", i)), Board: domain.BoardMindMap, Text: fmt.Sprintf("便利貼 %d", i)}, staff, at)
					},
				})
				if err != nil {
					tb.Error(err)
				}
				mu.Lock()
				n += len(res.Events)
				mu.Unlock()
			}()
		}
		wg.Wait()
		meeting := l.loadMeeting(mid)
		us := make([]domain.ImportedUtterance, utterances)
		for i := range us {
			us[i] = domain.ImportedUtterance{UtteranceID: domain.UtteranceID(fmt.Sprintf("u-%d", i)), Kind: domain.UtteranceSpeech,
				Speaker: domain.Speaker{Name: fmt.Sprintf("發言人%d", i%17)}, Paragraphs: []string{fmt.Sprintf("第 %d 段發言，關於健保卡與數位身分的討論，內容約五十個字左右。", i)}}
		}
		add(l.transcript(mid, staff, at, func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
			return tr.Import(domain.ImportTranscript{MeetingID: mid, Source: "archive/" + string(mid), ContentHash: hashOf(string(mid)), Utterances: us}, staff, at, meeting)
		}))
		for v := range versions {
			changes := make([]domain.Command, utterances)
			for i := range changes {
				changes[i] = domain.CorrectUtterance{MeetingID: mid, UtteranceID: domain.UtteranceID(fmt.Sprintf("u-%d", i)), Paragraphs: []string{fmt.Sprintf("第 %d 段發言（第 %d 版）。", i, v+2)}}
			}
			add(l.transcript(mid, staff, at.Add(time.Duration(v+1)*time.Hour), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
				return tr.ImportVersion(domain.ImportTranscriptVersion{MeetingID: mid, Revision: v + 2, Source: fmt.Sprintf("archive/%s/v%d", mid, v+2), ContentHash: hashOf(fmt.Sprintf("%s v%d", mid, v+2)), Editor: "archivist", Reason: "published version", Changes: changes}, staff, at)
			}))
		}
	}
	return n
}

// BenchmarkAsOf measures CaseAsOf for a case of about 100,000 events
// (four meetings with imported transcripts and three later versions each,
// and notes) in an embedded store that also holds unrelated cases, with the
// live trail as the index, followed by the case, one meeting's and a trail
// page's queries.
//
//	go test ./readmodels -run '^$' -bench BenchmarkAsOf -benchtime 5x
func BenchmarkAsOf(b *testing.B) {
	if n := requestedIterations(); n > maxAsOfIterations {
		b.Skipf("one operation folds 100,000 events (%d iterations asked): run with -benchtime 5x", n)
	}
	ctx := context.Background()
	store, events, head, r := bigLedgerIndexed(b)
	runtime.GC()
	for _, c := range []struct {
		name string
		at   rm.AsOf
	}{
		{"Position", rm.AsOf{Position: head}},
		{"RecordedAt", rm.AsOf{RecordedAt: time.Now()}},
		{"HalfwayPosition", rm.AsOf{Position: eventstore.Position(events / 2)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			if b.N > maxAsOfIterations {
				b.Skipf("one operation folds 100,000 events (%d iterations asked): run with -benchtime 5x", b.N)
			}
			var snap *rm.Snapshot
			var err error
			b.ResetTimer()
			cpu := testenv.CPUTime()
			for range b.N {
				snap, err = rm.CaseAsOf(ctx, store, r, "big", c.at)
				if err != nil {
					b.Fatal(err)
				}
				if _, ok, err := rm.Case(ctx, snap.Reader(rm.CaseBoardName), "big", rm.Public); err != nil || !ok {
					b.Fatalf("case: %v %v", ok, err)
				}
				if _, _, err := rm.Meeting(ctx, snap.Reader(rm.TranscriptsName), "big-m0", rm.Public); err != nil {
					b.Fatal(err)
				}
				if _, _, err := rm.CaseTrail(ctx, snap.Reader(rm.TrailName), "big", rm.TrailQuery{Limit: 100}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(snap.Events), "events/op")
			// CPU time (both cores) says more than wall time on a shared
			// machine.
			b.ReportMetric(float64((testenv.CPUTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}

// bigLedgerIndexed is bigLedger with the live trail caught up with it, as
// the as-of views' index, stopped (it stays readable).
func bigLedgerIndexed(b *testing.B) (eventstore.Store, int, eventstore.Position, *projectiontest.Running) {
	store, events, head := bigLedger(b)
	r := projectiontest.Start(b, projections.RunnerConfig{Store: store, Projections: []projections.Projection{rm.Trail{}}})
	if err := r.WaitFor(context.Background(), rm.TrailName, head); err != nil {
		b.Fatal(err)
	}
	r.Stop(b)
	return store, events, head, r
}

// bigLedger records the benchmarks' log: case "big" of about 100,000
// events, and unrelated ones (a case of about 36,000 events, a proposal).
// It returns the store, the events of case "big" and the log's head.
func bigLedger(b *testing.B) (eventstore.Store, int, eventstore.Position) {
	store := projectiontest.NewStore(b)
	l := newLedger(b, store)
	l.registerNetwork(tStart)
	start := time.Now()
	events := bigCase(b, l, "big", 4, 6000, 3, 1000)
	bigCase(b, l, "other", 2, 9000, 1, 200)
	l.establish("p-other", tStart, 1, 5)
	head, err := store.Head(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("recorded %d events of the case, %d in all, in %s", events, head, time.Since(start).Round(time.Millisecond))
	return store, events, head
}

// BenchmarkCatchUp folds the benchmarks' log (about 136,000 events, mostly
// transcript events) with each read model through a Runner, into memory
// and into PostgreSQL (when DATABASE_URL is reachable), and reports
// events/s: what the read models cost the framework's catch-up.
//
//	go test -run '^$' -bench BenchmarkCatchUp -benchtime 1x ./readmodels/
func BenchmarkCatchUp(b *testing.B) {
	if n := requestedIterations(); n > 3 {
		b.Skipf("one operation folds the whole log (%d iterations asked): run with -benchtime 1x", n)
	}
	store, _, _ := bigLedger(b)
	backends := []struct {
		name string
		open func(b *testing.B) projections.Backend
	}{
		{"memory", func(*testing.B) projections.Backend { return projections.NewMemoryBackend() }},
		{"postgres", func(b *testing.B) projections.Backend {
			be, err := pgproj.Open(context.Background(), pgproj.Config{URL: pgtest.New(b).URL, Logger: projectiontest.TestLogger()})
			if err != nil {
				b.Fatal(err)
			}
			return be
		}},
	}
	for _, be := range backends {
		for _, p := range rm.All() {
			b.Run(be.name+"/"+p.Name(), func(b *testing.B) {
				if be.name == "postgres" {
					pgtest.Require(b)
				}
				projectiontest.BenchCatchUp(b, store, p, be.open)
			})
		}
	}
}

// maxAsOfIterations bounds BenchmarkAsOf, whose operation takes about a
// second.
const maxAsOfIterations = 20

// requestedIterations returns N of -benchtime Nx, or 0.
func requestedIterations() int {
	f := flag.Lookup("test.benchtime")
	if f == nil {
		return 0
	}
	n, ok := strings.CutSuffix(f.Value.String(), "x")
	if !ok {
		return 0
	}
	k, _ := strconv.Atoi(n)
	return k
}

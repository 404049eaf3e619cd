package readmodels_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	rm "github.com/pdis/collab-ledger/readmodels"
)

// countingStore counts the reads of the whole log made with ReadAll (the
// search index's own reader; the projections' shared reader subscribes).
type countingStore struct {
	eventstore.Store
	readAll atomic.Int64
}

func (s *countingStore) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error) {
	s.readAll.Add(1)
	return s.Store.ReadAll(ctx, after, limit)
}

// TestSearchReadsTheRunnersLog: fed by a Runner (decision 0046), the index
// reads the log only through the Runner's shared reader — never with its
// own ReadAll — and finds what is appended; once the Runner stops, it
// reads the log on its own and goes on finding what is appended.
func TestSearchReadsTheRunnersLog(t *testing.T) {
	ctx := projectiontest.Ctx(t)
	store := &countingStore{Store: projectiontest.NewStore(t)}
	at := time.Date(2024, 3, 1, 2, 0, 0, 0, time.UTC)
	e := &searchEnv{t: t, ctx: ctx, store: store}
	idx, err := rm.NewSearch(rm.SearchConfig{})
	if err != nil {
		t.Fatal(err)
	}
	e.idx = idx
	r, err := projections.NewRunner(projections.RunnerConfig{Store: store, Projections: []projections.Projection{rm.Tallies{}},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stopRunner := context.WithCancel(ctx)
	sctx, stopSearch := context.WithCancel(ctx)
	rdone, sdone := make(chan error, 1), make(chan error, 1)
	go func() { rdone <- r.Run(rctx) }()
	go func() { sdone <- idx.RunFed(sctx, store, r) }()
	defer func() {
		stopRunner()
		stopSearch()
		<-rdone
		<-sdone
		idx.Close()
	}()

	signer := domain.Pseudonym([]byte("secret"), "x")
	e.append("proposal-p1", domain.ProposalSubmitted{ProposalID: "p1", Title: "Lanterns", Summary: "paper lanterns", Proposer: string(signer), Occurred: domain.Occurred{At: at}})
	for i := range 3 {
		e.append("proposal-p1", domain.ProposalSigned{ProposalID: "p1", SignatureID: domain.SignatureIDFor("p1", signer), Signer: signer, Count: i + 1, Occurred: domain.Occurred{At: at}})
	}
	if got := hitIDs(e.query(rm.SearchQuery{Text: "lanterns"})); got != "1 [p/p1]" {
		t.Fatalf("fed by the runner, lanterns: %s", got)
	}
	if n := store.readAll.Load(); n != 0 {
		t.Fatalf("fed by the runner, the index read the log itself %d times", n)
	}

	stopRunner()
	if err := <-rdone; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	rdone <- nil // for the deferred stop
	e.append("proposal-p2", domain.ProposalSubmitted{ProposalID: "p2", Title: "Kites", Summary: "kites over the harbour", Proposer: string(signer), Occurred: domain.Occurred{At: at}})
	if got := hitIDs(e.query(rm.SearchQuery{Text: "kites"})); got != "1 [p/p2]" {
		t.Fatalf("after the runner stopped, kites: %s", got)
	}
	if store.readAll.Load() == 0 {
		t.Fatal("after the runner stopped, the index did not read the log itself")
	}
}

// deafStore reads the log as a store that does not watch ctx does (bbolt's
// ReadAll reads a page whatever ctx says), and ends the search index's ctx
// on its first read.
type deafStore struct {
	eventstore.Store
	stop  context.CancelFunc
	reads atomic.Int64
}

func (s *deafStore) ReadAll(_ context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error) {
	if s.reads.Add(1) == 1 {
		s.stop()
	}
	return s.Store.ReadAll(context.Background(), after, limit)
}

// TestSearchStopsWithABacklog: stopped while it still has much of the log
// to read, the index returns at once, reading no further page of the log
// (`serve` stopping during a catch-up waited for the whole backlog, past
// its callers' patience), and keeps what it had read.
func TestSearchStopsWithABacklog(t *testing.T) {
	ctx := projectiontest.Ctx(t)
	mem := projectiontest.NewStore(t)
	at := time.Date(2024, 3, 1, 2, 0, 0, 0, time.UTC)
	signer := domain.Pseudonym([]byte("secret"), "x")
	data := func(ev domain.Event) eventstore.EventData {
		ed, err := eventstore.NewEventData(ev.EventType(), ev.SchemaVersion(), ev, eventstore.Metadata{ActorID: "a", ActorRole: "pdis"})
		if err != nil {
			t.Fatal(err)
		}
		return ed
	}
	evs := []eventstore.EventData{data(domain.ProposalSubmitted{ProposalID: "p1", Title: "Lanterns", Summary: "paper lanterns", Proposer: string(signer), Occurred: domain.Occurred{At: at}})}
	const n = 5*2000 - 1 // five of the index's pages of the log, the proposal included
	for i := range n {
		who := domain.Pseudonym([]byte("secret"), fmt.Sprint(i))
		evs = append(evs, data(domain.ProposalSigned{ProposalID: "p1", SignatureID: domain.SignatureIDFor("p1", who), Signer: who, Count: i + 1, Occurred: domain.Occurred{At: at}}))
	}
	if _, err := mem.Append(ctx, "proposal-p1", eventstore.NoStream, evs...); err != nil {
		t.Fatal(err)
	}
	idx, err := rm.NewSearch(rm.SearchConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	sctx, stop := context.WithCancel(ctx)
	store := &deafStore{Store: mem, stop: stop}
	done := make(chan error, 1)
	go func() { done <- idx.RunFed(sctx, store, nil) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("stopped: %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the index did not stop in 30 s")
	}
	if got := store.reads.Load(); got != 1 {
		t.Errorf("stopped after its first page, the index read %d pages of the log", got)
	}
	if got := idx.Position(); got != 2000 {
		t.Errorf("stopped after its first page, the index is at %d, want 2000", got)
	}
}

package readmodels_test

import (
	"context"
	"errors"
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

package transparency_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/transparency"
)

// Example wires the transparency log as `collabledger serve` does: the tree
// follows the log, a publisher signs checkpoints at an interval, and the
// proof API is served from the log.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir, _ := os.MkdirTemp("", "ledger")
	defer os.RemoveAll(dir)
	store, err := bbolt.Open(ctx, bbolt.Config{Path: filepath.Join(dir, "ledger.db")})
	if err != nil {
		panic(err)
	}
	defer store.Close()

	// The key pair, as `collabledger keygen` writes it; serve would read
	// both from the signer key file with transparency.ReadSignerFile.
	skey, _, _ := note.GenerateKey(rand.Reader, transparency.DefaultOrigin)
	signer, _ := note.NewSigner(skey)
	vkey, _ := transparency.VerifierKey(skey)
	trusted, _ := transparency.NewVerifiers(vkey)

	// The tree: in memory here (rebuilt from the log at every start), or
	// transparency.OpenPostgres beside the PostgreSQL read models.
	log, err := transparency.Open(ctx, transparency.Config{Store: transparency.NewMemoryStore(), Verifiers: trusted, Logger: quiet})
	if err != nil {
		panic(err)
	}
	go log.Follow(ctx, store)
	pub, err := transparency.NewPublisher(transparency.PublisherConfig{Log: log, Store: store, Signer: signer, Interval: time.Minute, Logger: quiet})
	if err != nil {
		panic(err)
	}
	go pub.Run(ctx)
	// And the proof API: web.RegisterProofs(mux, log, logger).

	// Some events, and a checkpoint now rather than at the next tick.
	for i := range 5 {
		ev, _ := eventstore.NewEventData("case.noted", 1, map[string]int{"n": i}, eventstore.Metadata{})
		store.Append(ctx, "case-1", eventstore.Any, ev)
	}
	cp, _, _ := pub.Publish(ctx)
	log.WaitFor(ctx, cp.Position)
	p, _ := log.ProveInclusion(ctx, transparency.LeafRef{Position: 3}, 0)
	fmt.Println("checkpoint of", cp.Size, "leaves at position", cp.Position)
	fmt.Println("position 3 is leaf", p.LeafIndex, "proof checks:", p.Verify() == nil)
	// Output:
	// checkpoint of 5 leaves at position 6
	// position 3 is leaf 2 proof checks: true
}

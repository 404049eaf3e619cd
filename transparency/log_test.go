package transparency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/eventstore/storetest"
	"github.com/pdis/collab-ledger/projections"
)

// mth is RFC 6962's Merkle Tree Hash, written from section 2.1 and nothing
// else, to check the tree against the RFC rather than against tlog.
func mth(leaves [][]byte) [32]byte {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return sha256.Sum256(append([]byte{0}, leaves[0]...))
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := mth(leaves[:k]), mth(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

func TestTreeIsRFC6962(t *testing.T) {
	ctx := context.Background()
	// RFC 6962 leaf hash of the empty string, and the empty tree's root.
	if h := tlog.RecordHash(nil); hex.EncodeToString(h[:]) != "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d" {
		t.Fatalf("leaf hash of \"\": %x", h)
	}
	l, err := Open(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := l.Root(ctx, 0); hex.EncodeToString(r[:]) != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatalf("empty root %x", r)
	}
	s := newSynth(3, 1)
	var evs []eventstore.Event
	var data [][]byte
	for i := range 70 {
		ev := s.event(i)
		evs = append(evs, ev)
		data = append(data, ev.Hash[:])
		if err := l.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
		got, err := l.Root(ctx, int64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if got != mth(data) {
			t.Fatalf("root of %d leaves %v, RFC 6962 MTH %x", i+1, got, mth(data))
		}
	}
	for size := int64(1); size <= 70; size++ {
		root := mth(data[:size])
		for i := range size {
			p, err := l.ProveInclusion(ctx, LeafRef{ID: evs[i].ID}, size)
			if err != nil {
				t.Fatal(err)
			}
			if p.LeafHash != LeafHash(evs[i].Hash) || p.RootHash != root || p.Position != evs[i].Position || p.LeafIndex != i {
				t.Fatalf("proof of leaf %d in %d: %+v", i, size, p)
			}
			if err := p.Verify(); err != nil {
				t.Fatal(err)
			}
			// A proof for the wrong leaf hash fails.
			p.LeafHash[0] ^= 1
			if p.Verify() == nil {
				t.Fatalf("a proof of leaf %d checked with another leaf hash passed", i)
			}
		}
		for from := int64(1); from <= size; from++ {
			c, err := l.ProveConsistency(ctx, from, size)
			if err != nil {
				t.Fatal(err)
			}
			if c.FromRoot != mth(data[:from]) || c.ToRoot != root {
				t.Fatalf("consistency %d..%d roots", from, size)
			}
			if err := c.Verify(); err != nil {
				t.Fatal(err)
			}
			if from < size {
				c.FromRoot[0] ^= 1
				if c.Verify() == nil {
					t.Fatalf("consistency %d..%d with a wrong old root passed", from, size)
				}
			}
		}
	}
	// Bad sizes.
	if _, err := l.ProveInclusion(ctx, LeafRef{Position: 5}, 71); !errors.Is(err, ErrInvalidSize) {
		t.Fatalf("size beyond the tree: %v", err)
	}
	if _, err := l.ProveInclusion(ctx, LeafRef{Position: 5}, 3); !errors.Is(err, ErrInvalidSize) {
		t.Fatalf("leaf beyond the size: %v", err)
	}
	if _, err := l.ProveInclusion(ctx, LeafRef{ID: uuid.New()}, 3); !errors.Is(err, ErrUnknownEvent) {
		t.Fatalf("unknown event: %v", err)
	}
	if _, err := l.ProveInclusion(ctx, LeafRef{Position: 5}, 0); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("no checkpoint: %v", err)
	}
	for _, c := range [][2]int64{{0, 5}, {6, 5}, {5, 71}} {
		if _, err := l.ProveConsistency(ctx, c[0], c[1]); !errors.Is(err, ErrInvalidSize) {
			t.Fatalf("consistency %v: %v", c, err)
		}
	}
}

// openBolt opens a fresh embedded store.
func openBolt(t testing.TB) (*bbolt.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := bbolt.Open(context.Background(), bbolt.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// TestFollowAndPublish runs the log as the server does: Follow on the
// embedded store, a publisher, proofs and the latest checkpoint.
func TestFollowAndPublish(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k := newKeys(t, DefaultOrigin)
	store, _ := openBolt(t)
	l, err := Open(ctx, Config{Verifiers: k.verifiers})
	if err != nil {
		t.Fatal(err)
	}
	followed := make(chan error, 1)
	go func() { followed <- l.Follow(ctx, store) }()
	pub, err := NewPublisher(PublisherConfig{Log: l, Store: store, Signer: k.signer, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := pub.Publish(ctx); ok || err != nil {
		t.Fatalf("publish on an empty log: %v %v", ok, err)
	}
	var ids []uuid.UUID
	for i := range 25 {
		res, err := store.Append(ctx, "case-1", eventstore.Any, storetest.Event(t, "case.noted", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Events[0].ID)
	}
	e, err := l.Entry(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if e.Included {
		t.Fatalf("included before any checkpoint: %+v", e)
	}
	if s, err := l.Status(ctx, store); err != nil || s.State != projections.StateRunning {
		t.Fatalf("status while following: %+v %v", s, err)
	}
	cp, ok, err := pub.Publish(ctx)
	if err != nil || !ok || cp.Size != 25 || cp.Position != 26 {
		t.Fatalf("publish: %+v %v %v", cp, ok, err)
	}
	if err := l.WaitFor(ctx, cp.Position); err != nil {
		t.Fatal(err)
	}
	latest, err := l.Latest(ctx)
	if err != nil || latest.Size != 25 || latest.Position != 26 || string(latest.Note) != string(cp.Note) {
		t.Fatalf("latest %+v %v", latest, err)
	}
	// Nothing new but the checkpoint itself: no new checkpoint.
	if _, ok, err := pub.Publish(ctx); ok || err != nil {
		t.Fatalf("publish after only a checkpoint: %v %v", ok, err)
	}
	for _, id := range ids {
		e, err := l.Entry(ctx, id)
		if err != nil || !e.Included || e.Proof == nil || e.CheckpointSize != 25 {
			t.Fatalf("entry %s: %+v %v", id, e, err)
		}
	}
	// A page's entries at once say what Entry says of each: the 25
	// events included, the checkpoint event pending, an unknown event
	// neither.
	cpEvents, _ := store.ReadStream(ctx, CheckpointStream, 1, 1)
	page := append(slices.Clone(ids), cpEvents[0].ID, uuid.New())
	entries, err := l.Entries(ctx, page)
	if err != nil || len(entries) != len(page) {
		t.Fatalf("entries of a page: %d %v", len(entries), err)
	}
	for i, id := range page {
		one, err := l.Entry(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		one.Proof = nil
		if entries[i] != one {
			t.Fatalf("entries[%d] %+v, Entry says %+v", i, entries[i], one)
		}
	}
	if e := entries[len(page)-2]; !e.Pending || e.LeafIndex != 25 {
		t.Fatalf("the checkpoint event's entry: %+v", e)
	}
	p, err := l.ProveInclusion(ctx, LeafRef{Position: 3}, 0)
	if err != nil || p.Checkpoint == "" || p.TreeSize != 25 {
		t.Fatalf("proof against the latest checkpoint: %+v %v", p, err)
	}
	opened, err := OpenCheckpoint([]byte(p.Checkpoint), k.verifiers, DefaultOrigin)
	if err != nil || eventstore.Hash(opened.Root) != p.RootHash {
		t.Fatalf("the proof's checkpoint: %+v %v", opened, err)
	}
	// The checkpoint event is leaf 25: pending until the next checkpoint.
	if _, err := l.ProveInclusion(ctx, LeafRef{Position: 26}, 0); !errors.Is(err, ErrNotCheckpointed) {
		t.Fatalf("checkpoint event's own proof: %v", err)
	}
	if _, err := store.Append(ctx, "case-1", eventstore.Any, storetest.Event(t, "case.noted", 99)); err != nil {
		t.Fatal(err)
	}
	cp2, ok, err := pub.Publish(ctx)
	if err != nil || !ok || cp2.Size != 27 {
		t.Fatalf("second publish: %+v %v %v", cp2, ok, err)
	}
	if err := l.WaitFor(ctx, cp2.Position); err != nil {
		t.Fatal(err)
	}
	c, err := l.ProveConsistency(ctx, cp.Size, 0)
	if err != nil || c.Verify() != nil || c.To != 27 || c.Checkpoint == "" {
		t.Fatalf("consistency between the checkpoints: %+v %v", c, err)
	}
	// A publisher on a tree that does not extend the latest checkpoint
	// refuses: a checkpoint event claiming another root.
	bad, err := SignCheckpoint(k.signer, DefaultOrigin, 5, tlog.Hash{1})
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := CheckpointEvent(bad)
	res, err := store.Append(ctx, CheckpointStream, eventstore.Any, ev)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.WaitFor(ctx, res.Position); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(ctx, "case-1", eventstore.Any, storetest.Event(t, "case.noted", 100)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pub.Publish(ctx); !errors.Is(err, ErrRootMismatch) {
		t.Fatalf("publish over a mismatching checkpoint: %v", err)
	}
	if _, err := l.Entries(ctx, ids[:3]); !errors.Is(err, ErrRootMismatch) {
		t.Fatalf("entries under a mismatching checkpoint: %v", err)
	}
	cancel()
	if err := <-followed; !errors.Is(err, context.Canceled) {
		t.Fatalf("follow ended with %v", err)
	}
}

// TestFollowResumes restarts a durable-like tree: Follow continues from the
// tree's position without re-adding leaves.
func TestFollowResumes(t *testing.T) {
	ctx := context.Background()
	store, _ := openBolt(t)
	for i := range 10 {
		if _, err := store.Append(ctx, "s", eventstore.Any, storetest.Event(t, "x.y", i)); err != nil {
			t.Fatal(err)
		}
	}
	hs := NewMemoryStore()
	run := func(n eventstore.Position) *Log {
		l, err := Open(ctx, Config{Store: hs})
		if err != nil {
			t.Fatal(err)
		}
		fctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- l.Follow(fctx, store) }()
		if err := l.WaitFor(ctx, n); err != nil {
			t.Fatal(err)
		}
		cancel()
		<-done
		return l
	}
	run(10)
	for i := range 5 {
		if _, err := store.Append(ctx, "s", eventstore.Any, storetest.Event(t, "x.y", 10+i)); err != nil {
			t.Fatal(err)
		}
	}
	l := run(15)
	if st := l.State(); st.Size != 15 || st.Position != 15 {
		t.Fatalf("after resuming: %+v", st)
	}
}

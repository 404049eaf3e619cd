package transparency

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/eventstore/storetest"
)

// testHashStore is the suite every HashStore passes. open returns an empty
// store; reopen, for durable stores, opens the same store again.
func testHashStore(t *testing.T, open func(t *testing.T) (HashStore, func() HashStore)) {
	ctx := context.Background()
	k := newKeys(t, DefaultOrigin)

	t.Run("AppendReadLookUp", func(t *testing.T) {
		store, reopen := open(t)
		l, err := Open(ctx, Config{Store: store})
		if err != nil {
			t.Fatal(err)
		}
		evs := synthLog(t, 40, 10, 3, k)
		// Uneven batches: 1, 2, 3, ... leaves per commit.
		for i, n := 0, 1; i < len(evs); n++ {
			j := min(i+n, len(evs))
			if err := l.Append(ctx, evs[i:j]...); err != nil {
				t.Fatal(err)
			}
			i = j
		}
		st, err := store.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size != int64(len(evs)) || st.Position != evs[len(evs)-1].Position || !sameState(st, l.State()) {
			t.Fatalf("state %+v, want size %d at position %d", st, len(evs), evs[len(evs)-1].Position)
		}
		if st.Checkpoint.Size != 40+3 || st.Checkpoint.Position != evs[len(evs)-1].Position || st.ContentSize != int64(len(evs))-1 {
			t.Fatalf("checkpoint state %+v", st)
		}
		ref := referenceTree(evs)
		for size := int64(1); size <= int64(len(evs)); size++ {
			got, err := l.Root(ctx, size)
			if err != nil {
				t.Fatal(err)
			}
			if want := ref.root(t, size); got != want {
				t.Fatalf("root of %d leaves: %v, reference %v", size, got, want)
			}
		}
		for _, size := range []int64{1, 2, 7, 16, 33, int64(len(evs))} {
			for _, i := range []int64{0, size / 2, size - 1} {
				p, err := l.ProveInclusion(ctx, LeafRef{ID: evs[i].ID}, size)
				if err != nil || p.Verify() != nil || p.RootHash != eventstore.Hash(ref.root(t, size)) || p.LeafHash != LeafHash(evs[i].Hash) {
					t.Fatalf("inclusion of leaf %d in %d: %+v %v", i, size, p, err)
				}
			}
			c, err := l.ProveConsistency(ctx, max(1, size/3), size)
			if err != nil || c.Verify() != nil || c.ToRoot != eventstore.Hash(ref.root(t, size)) {
				t.Fatalf("consistency to %d: %+v %v", size, c, err)
			}
		}
		for i, ev := range evs {
			n, leaf, err := store.LeafByID(ctx, ev.ID)
			if err != nil || n != int64(i) || leaf.Position != ev.Position || leaf.ID != ev.ID {
				t.Fatalf("leaf of %s: %d %+v %v", ev.ID, n, leaf, err)
			}
			n, leaf, err = store.LeafByPosition(ctx, ev.Position)
			if err != nil || n != int64(i) || leaf.ID != ev.ID {
				t.Fatalf("leaf at %d: %d %+v %v", ev.Position, n, leaf, err)
			}
		}
		// A page's worth of IDs in one lookup, unknown ones and repeats
		// included, in the order asked.
		page := []uuid.UUID{evs[len(evs)-1].ID, uuid.New(), evs[0].ID, evs[7].ID, evs[0].ID}
		if got, err := store.LeafIndexes(ctx, page); err != nil || !slices.Equal(got, []int64{int64(len(evs) - 1), -1, 0, 7, 0}) {
			t.Fatalf("leaf indexes of a page: %v %v", got, err)
		}
		if got, err := store.LeafIndexes(ctx, nil); err != nil || len(got) != 0 {
			t.Fatalf("leaf indexes of no IDs: %v %v", got, err)
		}
		if _, _, err := store.LeafByID(ctx, uuid.New()); !errors.Is(err, ErrUnknownEvent) {
			t.Fatalf("unknown ID: %v", err)
		}
		if _, _, err := store.LeafByPosition(ctx, 9999); !errors.Is(err, ErrUnknownEvent) {
			t.Fatalf("unknown position: %v", err)
		}
		if _, err := store.ReadHashes(ctx, []int64{tlog.StoredHashCount(st.Size)}); err == nil {
			t.Fatal("read a hash beyond the tree")
		}
		if reopen == nil {
			return
		}
		store.Close()
		again := reopen()
		defer again.Close()
		l2, err := Open(ctx, Config{Store: again})
		if err != nil {
			t.Fatal(err)
		}
		if !sameState(l2.State(), st) {
			t.Fatalf("reopened state %+v, want %+v", l2.State(), st)
		}
		more := synthLog(t, 45, 10, 3, k)[len(evs):]
		for i := range more {
			more[i].Position += 1000 // any later positions
		}
		if err := l2.Append(ctx, more...); err != nil {
			t.Fatal(err)
		}
		r1, _ := l2.Root(ctx, l2.State().Size)
		ref = referenceTree(append(append([]eventstore.Event{}, evs...), more...))
		if r1 != ref.root(t, l2.State().Size) {
			t.Fatal("root after reopening and appending differs from the reference")
		}
	})

	t.Run("StaleBatchWritesNothing", func(t *testing.T) {
		store, _ := open(t)
		defer store.Close()
		evs := synthLog(t, 4, 0, 1, k)
		l, err := Open(ctx, Config{Store: store})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Append(ctx, evs[:2]...); err != nil {
			t.Fatal(err)
		}
		// A batch computed from size 1 while the tree is at 2.
		b := Batch{From: State{Size: 1, Position: 1}, To: State{Size: 2, Position: 3},
			Leaves: []Leaf{{Position: 3, ID: evs[2].ID}}, Hashes: make([]tlog.Hash, tlog.StoredHashCount(2)-tlog.StoredHashCount(1))}
		if err := store.Commit(ctx, b); !errors.Is(err, ErrTreeMoved) {
			t.Fatalf("stale batch: %v, want ErrTreeMoved", err)
		}
		if _, _, err := store.LeafByID(ctx, evs[2].ID); !errors.Is(err, ErrUnknownEvent) {
			t.Fatalf("a refused batch left its leaf: %v", err)
		}
		// A batch that repeats an event ID fails as a whole.
		dup := evs[3]
		dup.ID = evs[0].ID
		dup.Hash = eventstore.ContentHash(dup)
		if err := l.Append(ctx, evs[2], dup); err == nil {
			t.Fatal("a batch repeating an event ID was committed")
		}
		if _, _, err := store.LeafByID(ctx, evs[2].ID); !errors.Is(err, ErrUnknownEvent) {
			t.Fatalf("a failed batch left part of itself: %v", err)
		}
		if st, _ := store.Load(ctx); st.Size != 2 || l.State().Size != 2 {
			t.Fatalf("after failed batches: store %+v, log %+v", st, l.State())
		}
		if err := l.Append(ctx, evs[2:]...); err != nil {
			t.Fatalf("append after failed batches: %v", err)
		}
	})

	t.Run("RefusesChangedAndOutOfOrder", func(t *testing.T) {
		store, _ := open(t)
		defer store.Close()
		evs := synthLog(t, 5, 0, 1, k)
		l, err := Open(ctx, Config{Store: store})
		if err != nil {
			t.Fatal(err)
		}
		bad := evs[2]
		bad.Data = []byte(`{"note":"changed"}`)
		err = l.Append(ctx, evs[0], evs[1], bad, evs[3])
		if !errors.Is(err, ErrContentChanged) {
			t.Fatalf("changed event: %v", err)
		}
		if l.State().Size != 2 {
			t.Fatalf("the events before a changed one are kept: size %d, want 2", l.State().Size)
		}
		if err := l.Append(ctx, evs[0]); !errors.Is(err, ErrNotAfter) {
			t.Fatalf("old position: %v", err)
		}
	})
}

func sameState(a, b State) bool {
	return a.Size == b.Size && a.Position == b.Position && a.ContentSize == b.ContentSize &&
		a.Checkpoint.Size == b.Checkpoint.Size && a.Checkpoint.Root == b.Checkpoint.Root &&
		string(a.Checkpoint.Note) == string(b.Checkpoint.Note) && a.Checkpoint.Position == b.Checkpoint.Position
}

// refTree is the plain tlog way of keeping a tree: every stored hash in a
// slice, as the Go checksum database's documentation shows.
type refTree struct{ hashes []tlog.Hash }

func referenceTree(evs []eventstore.Event) *refTree {
	r := &refTree{}
	for i, ev := range evs {
		hs, err := tlog.StoredHashes(int64(i), ev.Hash[:], r)
		if err != nil {
			panic(err)
		}
		r.hashes = append(r.hashes, hs...)
	}
	return r
}

func (r *refTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = r.hashes[x]
	}
	return out, nil
}

func (r *refTree) root(t testing.TB, n int64) tlog.Hash {
	h, err := tlog.TreeHash(n, r)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestMemoryStore(t *testing.T) {
	testHashStore(t, func(t *testing.T) (HashStore, func() HashStore) { return NewMemoryStore(), nil })
}

func TestPostgresStore(t *testing.T) {
	testHashStore(t, func(t *testing.T) (HashStore, func() HashStore) {
		db := pgtest.New(t)
		ctx := context.Background()
		open := func() HashStore {
			s, err := OpenPostgres(ctx, PostgresConfig{URL: db.URL})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		return open(), open
	})
}

func TestPostgresSchemaParameter(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	u, err := pgtest.WithParam(db.BaseURL, "schema", db.Schema+"_tl")
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenPostgres(ctx, PostgresConfig{URL: u})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t.Cleanup(func() {
		if _, err := s.pool.Exec(context.Background(), "DROP SCHEMA "+db.Schema+"_tl CASCADE"); err != nil {
			t.Log(err)
		}
	})
	st, err := s.Load(ctx)
	if err != nil || st.Size != 0 {
		t.Fatalf("load from a fresh schema: %+v %v", st, err)
	}
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1", db.Schema+"_tl").Scan(&n); err != nil || n != 3 {
		t.Fatalf("tables in the schema: %d %v", n, err)
	}
}

// TestTwoWritersPostgres runs two servers' trees on one PostgreSQL tree
// while the log grows: each takes up what the other committed, and both end
// with the same tree.
func TestTwoWritersPostgres(t *testing.T) {
	db := pgtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, _ := openBolt(t)
	var logs []*Log
	done := make(chan error, 2)
	for range 2 {
		hs, err := OpenPostgres(ctx, PostgresConfig{URL: db.URL})
		if err != nil {
			t.Fatal(err)
		}
		defer hs.Close()
		l, err := Open(ctx, Config{Store: hs, MaxBatch: 7})
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, l)
		go func() { done <- l.Follow(ctx, store) }()
	}
	var evs []eventstore.Event
	for i := range 300 {
		res, err := store.Append(ctx, fmt.Sprintf("s-%d", i%5), eventstore.Any, storetest.Event(t, "x.y", i))
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, res.Events...)
	}
	want := referenceTree(evs).root(t, 300)
	for i, l := range logs {
		wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
		err := l.WaitFor(wctx, 300)
		wcancel()
		if err != nil {
			st0, _ := logs[0].Store().Load(ctx)
			t.Fatalf("tree %d did not reach position 300: %v; states %+v / %+v, stored %+v", i, err, logs[0].State(), logs[1].State(), st0)
		}
		if got, err := l.Root(ctx, 300); err != nil || got != want || l.Failed() != nil {
			t.Fatalf("tree %d: root %v %v (failed: %v)", i, got, err, l.Failed())
		}
	}
	cancel()
	for range 2 {
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("follow ended with %v", err)
		}
	}
}

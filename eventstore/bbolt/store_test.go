package bbolt

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/storetest"
)

func openAt(t testing.TB, path string, mutate ...func(*Config)) *Store {
	t.Helper()
	cfg := Config{Path: path}
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.RunWith(t, func(t testing.TB) (eventstore.Store, func(testing.TB) eventstore.Store) {
		path := filepath.Join(t.TempDir(), "ledger.db")
		reopen := func(t testing.TB) eventstore.Store {
			s := openAt(t, path)
			t.Cleanup(func() { s.Close() })
			return s
		}
		return reopen(t), reopen
	}, storetest.Options{DensePositions: true, Guarded: func(t testing.TB, guards map[string]eventstore.Guard) eventstore.Store {
		s := openAt(t, filepath.Join(t.TempDir(), "ledger.db"), func(c *Config) { c.Guards = guards })
		t.Cleanup(func() { s.Close() })
		return s
	}})
}

func TestOpenByURL(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "ledger.db")
	s, err := eventstore.Open(context.Background(), "file:"+path+"?batch=16", eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.(*Store).cfg.MaxBatchEvents; got != 16 {
		t.Fatalf("batch from URL = %d, want 16", got)
	}
	if _, err := eventstore.Open(context.Background(), "nosuch://x", eventstore.Config{}); !errors.Is(err, eventstore.ErrUnknownScheme) {
		t.Fatalf("unknown scheme: %v", err)
	}
}

func TestSecondOpenFailsClearly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openAt(t, path)
	defer s.Close()
	_, err := Open(context.Background(), Config{Path: path, LockTimeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
}

// TestGroupCommit: concurrent appends share commits, and every acknowledged
// event is stored.
func TestGroupCommit(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "ledger.db"))
	defer s.Close()
	const writers, per = 64, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				if _, err := s.Append(context.Background(), "g-"+string(rune('a'+w%26))+string(rune('a'+w/26)), eventstore.Any, storetest.Event(t, "test.happened", i)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	commits, batched := s.Stats()
	if commits >= writers*per || batched == 0 {
		t.Fatalf("%d commits for %d appends (%d batched): no group commit", commits, writers*per, batched)
	}
	if h, _ := s.Head(context.Background()); h != writers*per {
		t.Fatalf("head %d, want %d", h, writers*per)
	}
	if err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestFailedBatchFailsEveryCaller: when the commit fails, every caller whose
// append was in the batch gets an error and nothing is stored; a retry with
// the same IDs then stores each event once.
func TestFailedBatchFailsEveryCaller(t *testing.T) {
	var mu sync.Mutex
	fail := true
	gate := make(chan struct{})
	s := openAt(t, filepath.Join(t.TempDir(), "ledger.db"), func(c *Config) {
		c.beforeCommit = func() error {
			mu.Lock()
			defer mu.Unlock()
			if fail {
				<-gate
				return errors.New("disk on fire")
			}
			return nil
		}
	})
	defer s.Close()
	const n = 16
	evs := make([]eventstore.EventData, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		evs[i] = storetest.Event(t, "test.happened", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Append(context.Background(), "fail", eventstore.Any, evs[i])
		}()
	}
	time.Sleep(100 * time.Millisecond) // let the appends queue behind the first, stuck commit
	close(gate)
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			t.Fatalf("append %d in a failed batch: %v, want an error", i, err)
		}
	}
	if h, _ := s.Head(context.Background()); h != 0 {
		t.Fatalf("a failed batch stored events: head %d", h)
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	for i := range n {
		if _, err := s.Append(context.Background(), "fail", eventstore.Any, evs[i]); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Append(context.Background(), "fail", eventstore.Any, evs[i]); err != nil {
			t.Fatalf("second retry: %v", err)
		}
	}
	got, _ := s.ReadStream(context.Background(), "fail", 1, 100)
	if len(got) != n {
		t.Fatalf("after retries the stream has %d events, want %d", len(got), n)
	}
}

func TestCodecRoundTrip(t *testing.T) {
	ev := storetest.Event(t, "test.happened", 7)
	ev.Metadata.OccurredAt = time.Date(2019, 1, 25, 1, 2, 3, 456000, time.UTC)
	prepared, err := eventstore.Config{}.WithDefaults().Prepare("s", []eventstore.EventData{ev})
	if err != nil {
		t.Fatal(err)
	}
	e := eventstore.Seal("s", 3, time.Now().UTC().Truncate(time.Microsecond), prepared)[0]
	e.Position = 9
	got, err := decodeRecord(9, encodeRecord(nil, &e, link{version: 3, prev: 5, skip: 2}))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != e.ID || got.Stream != e.Stream || got.Version != 3 || string(got.Data) != string(e.Data) ||
		got.Metadata != e.Metadata || !got.RecordedAt.Equal(e.RecordedAt) || got.Hash != e.Hash || got.Type != e.Type {
		t.Fatalf("round trip:\n%+v\n%+v", e, got)
	}
	if err := got.Verify(); err != nil {
		t.Fatal(err)
	}
	rec := encodeRecord(nil, &e, link{version: 3, prev: 5, skip: 2})
	if l, err := decodeLink(9, rec); err != nil || l != (link{version: 3, prev: 5, skip: 2}) {
		t.Fatalf("links: %+v %v", l, err)
	}
	for _, bad := range [][]byte{rec[:10], rec[:len(rec)-1], append(rec[:len(rec):len(rec)], 0)} {
		if _, err := decodeRecord(1, bad); !errors.Is(err, errCorrupt) {
			t.Fatalf("corrupt record decoded: %v", err)
		}
	}
}

// TestStreamChains: reading any window of long, interleaved streams
// through the chain links returns exactly that window.
func TestStreamChains(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "ledger.db"))
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	lengths := map[string]uint64{}
	for range 600 {
		stream := fmt.Sprintf("chain-%d", rng.IntN(3))
		n := 1 + rng.IntN(12)
		evs := make([]eventstore.EventData, n)
		for i := range evs {
			evs[i] = storetest.Event(t, "test.happened", i)
		}
		if _, err := s.Append(ctx, stream, eventstore.Exact(lengths[stream]), evs...); err != nil {
			t.Fatal(err)
		}
		lengths[stream] += uint64(n)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatal(err)
	}
	for range 300 {
		stream := fmt.Sprintf("chain-%d", rng.IntN(3))
		from := 1 + rng.Uint64N(lengths[stream]+2)
		limit := 1 + rng.IntN(700)
		got, err := s.ReadStream(ctx, stream, from, limit)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if from <= lengths[stream] {
			want = int(min(uint64(limit), lengths[stream]-from+1))
		}
		if len(got) != want {
			t.Fatalf("%s from %d limit %d: %d events, want %d", stream, from, limit, len(got), want)
		}
		for i, e := range got {
			if e.Stream != stream || e.Version != from+uint64(i) {
				t.Fatalf("%s from %d: event %d is %s/%d", stream, from, i, e.Stream, e.Version)
			}
		}
	}
}

// TestSameIDTwiceInOneBatch: two appends of one group commit carrying the
// same event ID: the same stream and expectation get the stored event back
// (an idempotent retry), another stream a duplicate error, and the event is
// stored once. (It guards any change to when the commit writes its ID index.)
func TestSameIDTwiceInOneBatch(t *testing.T) {
	gate := make(chan struct{})
	var once sync.Once
	s := openAt(t, filepath.Join(t.TempDir(), "ledger.db"), func(c *Config) {
		c.beforeCommit = func() error {
			once.Do(func() { <-gate })
			return nil
		}
	})
	defer s.Close()
	ctx := context.Background()
	first := make(chan error, 1)
	go func() {
		_, err := s.Append(ctx, "first", eventstore.Any, storetest.Event(t, "test.happened", 0))
		first <- err
	}()
	time.Sleep(50 * time.Millisecond) // the first commit is now held in beforeCommit
	ev := storetest.Event(t, "test.happened", 1)
	others := []eventstore.EventData{storetest.Event(t, "test.happened", 2), storetest.Event(t, "test.happened", 3)}
	type outcome struct {
		res eventstore.AppendResult
		err error
	}
	calls := []struct {
		stream string
		events []eventstore.EventData
	}{
		{"same", []eventstore.EventData{ev}},
		{"other", []eventstore.EventData{others[0]}},
		{"same", []eventstore.EventData{ev}},
		{"elsewhere", []eventstore.EventData{others[1], ev}},
	}
	out := make([]outcome, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].res, out[i].err = s.Append(ctx, c.stream, eventstore.Any, c.events...)
		}()
		time.Sleep(10 * time.Millisecond) // queue them in this order
	}
	close(gate)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if commits, _ := s.Stats(); commits != 2 {
		t.Fatalf("%d commits, want 2 (the held one and one batch of the rest)", commits)
	}
	for i := range 3 {
		if out[i].err != nil {
			t.Fatalf("append %d: %v", i, out[i].err)
		}
	}
	if out[0].res.Position != out[2].res.Position || out[0].res.Version != 1 {
		t.Fatalf("retry in the same batch: %+v, first %+v", out[2].res, out[0].res)
	}
	if !errors.Is(out[3].err, eventstore.ErrDuplicateEvent) {
		t.Fatalf("same ID in another stream in the same batch: %v, want ErrDuplicateEvent", out[3].err)
	}
	if h, _ := s.Head(ctx); h != 3 {
		t.Fatalf("head %d, want 3 (first, same, other)", h)
	}
	got, ok, err := s.FindEvent(ctx, ev.ID)
	if err != nil || !ok || got.Stream != "same" || got.Position != out[0].res.Position {
		t.Fatalf("FindEvent: %+v %v %v", got, ok, err)
	}
	if got, ok, _ := s.FindEvent(ctx, others[0].ID); !ok || got.Stream != "other" {
		t.Fatalf("FindEvent other: %+v %v", got, ok)
	}
	if _, ok, _ := s.FindEvent(ctx, others[1].ID); ok {
		t.Fatal("the refused append's other event is stored")
	}
	if err := s.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

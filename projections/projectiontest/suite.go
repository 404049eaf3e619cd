package projectiontest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/projections"
)

// Opener returns a fresh, empty backend for t, closed when t ends, and a
// function that opens another handle on the same storage (as a restarted
// process would), or nil for a backend that does not outlive its process.
type Opener func(t *testing.T) (b projections.Backend, reopen func() projections.Backend)

// Run runs the shared suite against the backends open returns.
func Run(t *testing.T, open Opener) {
	s := suite{open: open}
	t.Run("Documents", s.documents)
	t.Run("CommitIsAtomic", s.commitAtomic)
	t.Run("Generations", s.generations)
	t.Run("OutboxAndMark", s.outbox)
	t.Run("ProjectEqualsRebuild", s.projectEqualsRebuild)
	t.Run("PoisonStopsOnlyItsProjection", func(t *testing.T) { s.poison(t, false) })
	t.Run("PanicStopsOnlyItsProjection", func(t *testing.T) { s.poison(t, true) })
	t.Run("RestartResumes", s.restartResumes)
	t.Run("RebuildBesideAndSwitch", s.rebuildBeside)
	t.Run("VersionChangeRebuildsAtStart", s.versionChange)
	t.Run("ConcurrentWriters", s.concurrentWriters)
	t.Run("IntegrationEvents", s.integration)
	t.Run("ChangedMovesWithWrites", s.changed)
}

type suite struct{ open Opener }

// Ctx returns a context that ends with t (or after a minute).
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// NewStore opens an embedded log in t's temporary folder.
func NewStore(t testing.TB) *bbolt.Store {
	t.Helper()
	s, err := bbolt.Open(context.Background(), bbolt.Config{Path: filepath.Join(t.TempDir(), "ledger.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Append appends n events of type typ to stream, in one append.
func Append(t testing.TB, s eventstore.Store, stream, typ string, n int) eventstore.AppendResult {
	t.Helper()
	evs := make([]eventstore.EventData, n)
	for i := range evs {
		var err error
		evs[i], err = eventstore.NewEventData(typ, 1, map[string]any{"n": i}, eventstore.Metadata{ActorID: "actor-" + stream, ActorRole: "pdis"})
		if err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.Append(context.Background(), stream, eventstore.Any, evs...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Fill appends n events over `streams` streams in appends of `per`.
func Fill(t testing.TB, s eventstore.Store, prefix string, n, streams, per int) {
	t.Helper()
	for i := 0; i < n; i += per {
		Append(t, s, fmt.Sprintf("%s%d", prefix, (i/per)%streams), "test.happened", min(per, n-i))
	}
}

// Running is a Runner running in the background.
type Running struct {
	*projections.Runner
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// Stop stops the runner and waits for it.
func (r *Running) Stop(t testing.TB) {
	t.Helper()
	if err := r.stop(); err != nil {
		t.Errorf("runner: %v", err)
	}
}

func (r *Running) stop() error {
	r.once.Do(func() {
		r.cancel()
		select {
		case r.err = <-r.done:
		case <-time.After(30 * time.Second):
			r.err = errors.New("runner did not stop in 30 s")
		}
	})
	return r.err
}

// Start runs a Runner with cfg until Stop or the end of t. Retries are
// quick and few unless cfg says otherwise; logs are discarded unless
// testing.Verbose.
func Start(t testing.TB, cfg projections.RunnerConfig) *Running {
	t.Helper()
	if cfg.Retry.MaxRetries == 0 {
		cfg.Retry = projections.RetryConfig{MaxRetries: 2, InitialInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond}
	}
	if cfg.Logger == nil {
		cfg.Logger = TestLogger()
	}
	r, err := projections.NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := &Running{Runner: r, cancel: cancel, done: make(chan error, 1)}
	go func() { run.done <- r.Run(ctx) }()
	select {
	case <-r.Ready():
	case err := <-run.done:
		t.Fatalf("runner stopped at start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("runner not ready in 30 s")
	}
	t.Cleanup(func() {
		if err := run.stop(); err != nil {
			t.Errorf("runner: %v", err)
		}
	})
	return run
}

// TestLogger logs at warning level and above when testing is verbose, and
// not at all otherwise.
func TestLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(testWriter{}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type testWriter struct{}

func (testWriter) Write(p []byte) (int, error) { return fmt.Print(string(p)) }

// Dump returns every committed document of a generation (0: the active
// one), "collection/key" → JSON.
func Dump(t testing.TB, b projections.Backend, projection string, gen uint64) map[string]string {
	t.Helper()
	ctx := context.Background()
	if gen == 0 {
		gens, err := b.Generations(ctx, projection)
		if err != nil {
			t.Fatal(err)
		}
		gen = gens.Active
	}
	out := map[string]string{}
	err := b.Dump(ctx, projection, gen, func(c, k string, raw []byte) error {
		out[c+"/"+k] = string(raw)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Rebuilt returns the documents of a clean rebuild of p from the log, up to
// upTo (0: its head): the oracle the suite compares the Runner's read
// models with. It is deliberately naive, sharing nothing with the Runner's
// batches: every event up to upTo, in log order, applied to one map of
// documents (Put encodes as json.Marshal does, or keeps an Encoded as is).
func Rebuilt(t testing.TB, s eventstore.Store, p projections.Projection, upTo eventstore.Position) map[string]string {
	t.Helper()
	ctx := context.Background()
	if upTo == 0 {
		h, err := s.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		upTo = h
	}
	tx := plainTx{}
	for after := eventstore.Position(0); after < upTo; {
		evs, err := s.ReadAll(ctx, after, 1024)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			if ev.Position > upTo {
				break
			}
			if err := p.Apply(ctx, tx, ev); err != nil {
				t.Fatalf("rebuild %s: apply %s at %d: %v", p.Name(), ev.Type, ev.Position, err)
			}
		}
		after = evs[len(evs)-1].Position
	}
	out := map[string]string{}
	for ref, raw := range tx {
		out[ref.Collection+"/"+ref.Key] = string(raw)
	}
	return out
}

// plainTx is Rebuilt's projections.Tx: documents in a map.
type plainTx map[projections.DocRef][]byte

func (tx plainTx) Get(_ context.Context, collection, key string, v any) (bool, error) {
	raw, ok := tx[projections.DocRef{Collection: collection, Key: key}]
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

func (tx plainTx) Scan(_ context.Context, collection, prefix string, fn func(key string, raw []byte) error) error {
	var keys []string
	for ref := range tx {
		if ref.Collection == collection && strings.HasPrefix(ref.Key, prefix) {
			keys = append(keys, ref.Key)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := fn(k, tx[projections.DocRef{Collection: collection, Key: k}]); err != nil {
			return err
		}
	}
	return nil
}

func (tx plainTx) Put(_ context.Context, collection, key string, v any) error {
	raw, ok := v.(projections.Encoded)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return err
		}
	}
	tx[projections.DocRef{Collection: collection, Key: key}] = raw
	return nil
}

func (tx plainTx) Delete(_ context.Context, collection, key string) error {
	delete(tx, projections.DocRef{Collection: collection, Key: key})
	return nil
}

// SameDocs fails t, naming the first differences, unless got equals want.
func SameDocs(t testing.TB, what string, got, want map[string]string) {
	t.Helper()
	if maps.Equal(got, want) {
		return
	}
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			diffs = append(diffs, fmt.Sprintf("%s: got %.120q, want %.120q", k, got[k], want[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: unexpected %.120q", k, got[k]))
		}
	}
	if len(diffs) > 8 {
		diffs = append(diffs[:8], fmt.Sprintf("... %d more", len(diffs)-8))
	}
	t.Fatalf("%s: %d documents, want %d; differences:\n%s", what, len(got), len(want), strings.Join(diffs, "\n"))
}

// Eventually polls cond until it holds or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func statusOf(t testing.TB, r *projections.Runner, name string) projections.Status {
	t.Helper()
	st, err := r.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.Projection == name {
			return s
		}
	}
	t.Fatalf("no status for %s", name)
	return projections.Status{}
}

// scanOnly hides a Reader's optional interfaces.
type scanOnly struct{ projections.Reader }

func (s suite) documents(t *testing.T) {
	ctx := Ctx(t)
	b, _ := s.open(t)
	if _, err := b.Reader("docs").Get(ctx, "c", "k", new(any)); !errors.Is(err, projections.ErrNoActiveGeneration) {
		t.Fatalf("read before any generation: %v, want ErrNoActiveGeneration", err)
	}
	if err := b.Reader("docs").Scan(ctx, "c", "", func(string, []byte) error { return nil }); !errors.Is(err, projections.ErrNoActiveGeneration) {
		t.Fatalf("scan before any generation: %v, want ErrNoActiveGeneration", err)
	}
	if err := projections.ScanPages(ctx, b.Reader("docs"), "c", []projections.Page{{Prefix: "a/"}}, func(int, string, []byte) error { return nil }); !errors.Is(err, projections.ErrNoActiveGeneration) {
		t.Fatalf("pages before any generation: %v, want ErrNoActiveGeneration", err)
	}
	cp, err := b.CreateGeneration(ctx, "docs", 3)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Generation == 0 || cp.Version != 3 || cp.Position != 0 || cp.State != projections.StateRunning {
		t.Fatalf("first generation: %+v", cp)
	}
	err = b.Commit(ctx, projections.Commit{Projection: "docs", Generation: cp.Generation, From: 0, To: 7, Changes: []projections.Change{
		{Collection: "c", Key: "a/1", Doc: []byte(`{"v":1}`)},
		{Collection: "c", Key: "a/2", Doc: []byte(`{"v":"二"}`)},
		{Collection: "c", Key: "b/1", Doc: []byte(`{"v":3}`)},
		{Collection: "d", Key: "a/1", Doc: []byte(`[1,2]`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	r := b.Reader("docs")
	var v struct{ V any }
	if ok, err := r.Get(ctx, "c", "a/2", &v); err != nil || !ok || v.V != "二" {
		t.Fatalf("get c/a/2: %v %v %v", ok, err, v)
	}
	if ok, err := r.Get(ctx, "c", "zz", &v); err != nil || ok {
		t.Fatalf("get missing: %v %v", ok, err)
	}
	var keys []string
	err = r.Scan(ctx, "c", "a/", func(k string, raw []byte) error { keys = append(keys, k+"="+string(raw)); return nil })
	if err != nil || strings.Join(keys, " ") != `a/1={"v":1} a/2={"v":"二"}` {
		t.Fatalf("scan c a/: %q %v", keys, err)
	}
	stop := errors.New("stop")
	n := 0
	if err := r.Scan(ctx, "c", "", func(string, []byte) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("scan stopped by fn: %v after %d", err, n)
	}
	// Pages: after a key, at most limit, with the backend's ScanPage and
	// with the fallback over Scan.
	if _, ok := r.(projections.PageReader); !ok {
		t.Errorf("the backend's reader has no ScanPage")
	}
	for _, rd := range []projections.Reader{r, scanOnly{r}} {
		for _, c := range []struct {
			prefix, after string
			limit         int
			want          string
		}{
			{"", "", 0, "a/1 a/2 b/1"},
			{"", "", 2, "a/1 a/2"},
			{"", "a/1", 0, "a/2 b/1"},
			{"", "a/1", 1, "a/2"},
			{"a/", "a/2", 5, ""},
			{"a/", "", 1, "a/1"},
			{"b/", "a/9", 0, "b/1"},
			{"a/", "a/", 0, "a/1 a/2"},
			{"", "b/1", 3, ""},
		} {
			var keys []string
			err := projections.ScanPage(ctx, rd, "c", c.prefix, c.after, c.limit, func(k string, _ []byte) error { keys = append(keys, k); return nil })
			if err != nil || strings.Join(keys, " ") != c.want {
				t.Errorf("%T: page of %q after %q limit %d: %q %v, want %q", rd, c.prefix, c.after, c.limit, keys, err, c.want)
			}
		}
	}
	var seen []string
	pages := []projections.Page{{Prefix: "b/"}, {Prefix: "a/", After: "a/1"}, {Prefix: "x/"}, {Prefix: "", Limit: 2}}
	err = projections.ScanPages(ctx, r, "c", pages, func(i int, k string, _ []byte) error { seen = append(seen, fmt.Sprint(i, ":", k)); return nil })
	if want := "0:b/1 1:a/2 3:a/1 3:a/2"; err != nil || strings.Join(seen, " ") != want {
		t.Errorf("pages %+v: %q %v, want %q", pages, seen, err, want)
	}
	if err := projections.ScanPages(ctx, r, "c", pages, func(int, string, []byte) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("pages stopped by fn: %v", err)
	}
	got, err := b.LoadMany(ctx, "docs", cp.Generation, []projections.DocRef{{Collection: "c", Key: "a/1"}, {Collection: "d", Key: "a/1"}, {Collection: "d", Key: "none"}})
	if err != nil || len(got) != 2 || string(got[projections.DocRef{Collection: "d", Key: "a/1"}]) != `[1,2]` {
		t.Fatalf("load many: %q %v", got, err)
	}
	// Delete and overwrite.
	err = b.Commit(ctx, projections.Commit{Projection: "docs", Generation: cp.Generation, From: 7, To: 9, Changes: []projections.Change{
		{Collection: "c", Key: "a/1"},
		{Collection: "c", Key: "b/1", Doc: []byte(`{"v":4}`)},
		{Collection: "c", Key: "never"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	SameDocs(t, "after delete", Dump(t, b, "docs", 0), map[string]string{"c/a/2": `{"v":"二"}`, "c/b/1": `{"v":4}`, "d/a/1": `[1,2]`})
	gens, err := b.Generations(ctx, "docs")
	if err != nil || gens.Active != cp.Generation || len(gens.All) != 1 || gens.All[0].Position != 9 {
		t.Fatalf("generations: %+v %v", gens, err)
	}
	if err := b.SetState(ctx, "docs", cp.Generation, projections.StateFailed, "boom", 10); err != nil {
		t.Fatal(err)
	}
	gens, _ = b.Generations(ctx, "docs")
	if c := gens.All[0]; c.State != projections.StateFailed || c.Error != "boom" || c.ErrorPosition != 10 || c.Position != 9 {
		t.Fatalf("failed state: %+v", c)
	}
	if err := b.SetState(ctx, "docs", cp.Generation, projections.StateRunning, "", 0); err != nil {
		t.Fatal(err)
	}
	gens, _ = b.Generations(ctx, "docs")
	if c := gens.All[0]; c.State != projections.StateRunning || c.Error != "" || c.ErrorPosition != 0 {
		t.Fatalf("running again: %+v", c)
	}
}

func (s suite) commitAtomic(t *testing.T) {
	ctx := Ctx(t)
	b, _ := s.open(t)
	cp, err := b.CreateGeneration(ctx, "atomic", 1)
	if err != nil {
		t.Fatal(err)
	}
	ok := projections.Commit{Projection: "atomic", Generation: cp.Generation, From: 0, To: 5, Changes: []projections.Change{{Collection: "c", Key: "k", Doc: []byte(`1`)}}}
	if err := b.Commit(ctx, ok); err != nil {
		t.Fatal(err)
	}
	// A commit whose checkpoint expectation is stale writes nothing at all,
	// though its documents come first.
	stale := projections.Commit{Projection: "atomic", Generation: cp.Generation, From: 3, To: 9,
		Changes: []projections.Change{{Collection: "c", Key: "k", Doc: []byte(`2`)}, {Collection: "c", Key: "new", Doc: []byte(`3`)}},
		Outbox:  []projections.IntegrationEvent{{ID: uuid.NewString(), Projection: "atomic", Name: "x", Payload: []byte(`{}`), SourcePosition: 9}},
		Mark:    9,
	}
	if err := b.Commit(ctx, stale); !errors.Is(err, projections.ErrCheckpointMoved) {
		t.Fatalf("stale commit: %v, want ErrCheckpointMoved", err)
	}
	SameDocs(t, "after refused commit", Dump(t, b, "atomic", 0), map[string]string{"c/k": `1`})
	gens, _ := b.Generations(ctx, "atomic")
	if gens.All[0].Position != 5 {
		t.Fatalf("checkpoint moved to %d by a refused commit", gens.All[0].Position)
	}
	if ob, err := b.Outbox(ctx, "atomic"); err != nil || len(ob) != 0 {
		t.Fatalf("outbox after refused commit: %v %v", ob, err)
	}
	if m, err := b.InitMark(ctx, "atomic", 0); err != nil || m != 0 {
		t.Fatalf("mark after refused commit: %d %v", m, err)
	}
	// A commit to a generation that does not exist fails too.
	if err := b.Commit(ctx, projections.Commit{Projection: "atomic", Generation: cp.Generation + 10, From: 0, To: 1}); err == nil {
		t.Fatal("commit to a missing generation succeeded")
	}

	// At the projection level: an event that fails mid-batch keeps none of
	// its writes, and the checkpoint stops just before it.
	store := NewStore(t)
	Fill(t, store, "s", 50, 5, 10)
	poison := Append(t, store, "s0", PoisonType, 1).Position
	Fill(t, store, "t", 49, 7, 7)
	bad := &atomic.Bool{}
	bad.Store(true)
	ctr := &Counter{ProjectionName: "mid", Poisoned: bad}
	b2, _ := s.open(t)
	r := Start(t, projections.RunnerConfig{Store: store, Backend: b2, Projections: []projections.Projection{ctr}})
	Eventually(t, 20*time.Second, "projection to fail", func() bool { return statusOf(t, r.Runner, "mid").State == projections.StateFailed })
	st := statusOf(t, r.Runner, "mid")
	if st.Checkpoint != poison-1 || st.ErrorPosition != poison || !strings.Contains(st.Error, "poison") {
		t.Fatalf("status: %+v, want checkpoint %d, error at %d", st, poison-1, poison)
	}
	SameDocs(t, "mid-batch failure", Dump(t, b2, "mid", 0), Rebuilt(t, store, ctr, poison-1))
}

func (s suite) generations(t *testing.T) {
	ctx := Ctx(t)
	b, _ := s.open(t)
	g1, err := b.CreateGeneration(ctx, "gens", 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(ctx, projections.Commit{Projection: "gens", Generation: g1.Generation, To: 2, Changes: []projections.Change{{Collection: "c", Key: "k", Doc: []byte(`"one"`)}}}); err != nil {
		t.Fatal(err)
	}
	g2, err := b.CreateGeneration(ctx, "gens", 2)
	if err != nil {
		t.Fatal(err)
	}
	if g2.Generation <= g1.Generation || g2.State != projections.StateBuilding || g2.Position != 0 {
		t.Fatalf("second generation: %+v after %+v", g2, g1)
	}
	if err := b.Commit(ctx, projections.Commit{Projection: "gens", Generation: g2.Generation, To: 3, Changes: []projections.Change{{Collection: "c", Key: "k", Doc: []byte(`"two"`)}, {Collection: "c", Key: "j", Doc: []byte(`"new"`)}}}); err != nil {
		t.Fatal(err)
	}
	var v string
	if _, err := b.Reader("gens").Get(ctx, "c", "k", &v); err != nil || v != "one" {
		t.Fatalf("queries read %q (%v) while generation 2 builds, want one", v, err)
	}
	if _, err := b.GenerationReader("gens", g2.Generation).Get(ctx, "c", "k", &v); err != nil || v != "two" {
		t.Fatalf("generation reader: %q %v", v, err)
	}
	gens, _ := b.Generations(ctx, "gens")
	if gens.Active != g1.Generation || len(gens.All) != 2 {
		t.Fatalf("generations: %+v", gens)
	}
	if err := b.DropGeneration(ctx, "gens", g1.Generation); err == nil {
		t.Fatal("dropped the active generation")
	}
	if err := b.Activate(ctx, "gens", g2.Generation); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Reader("gens").Get(ctx, "c", "k", &v); err != nil || v != "two" {
		t.Fatalf("after switch queries read %q (%v), want two", v, err)
	}
	gens, _ = b.Generations(ctx, "gens")
	if gens.Active != g2.Generation || len(gens.All) != 1 || gens.All[0].State != projections.StateRunning || gens.All[0].Position != 3 {
		t.Fatalf("after switch: %+v", gens)
	}
	if _, _, err := b.Load(ctx, "gens", g1.Generation, "c", "k"); err == nil {
		if raw, ok, _ := b.Load(ctx, "gens", g1.Generation, "c", "k"); ok {
			t.Fatalf("old generation's documents survive the switch: %s", raw)
		}
	}
	g3, err := b.CreateGeneration(ctx, "gens", 3)
	if err != nil {
		t.Fatal(err)
	}
	if g3.Generation <= g2.Generation {
		t.Fatalf("generation numbers reused: %d after %d", g3.Generation, g2.Generation)
	}
	if err := b.Commit(ctx, projections.Commit{Projection: "gens", Generation: g3.Generation, To: 1, Changes: []projections.Change{{Collection: "c", Key: "x", Doc: []byte(`1`)}}}); err != nil {
		t.Fatal(err)
	}
	if err := b.DropGeneration(ctx, "gens", g3.Generation); err != nil {
		t.Fatal(err)
	}
	gens, _ = b.Generations(ctx, "gens")
	if len(gens.All) != 1 || gens.Active != g2.Generation {
		t.Fatalf("after drop: %+v", gens)
	}
	// Projections are independent.
	if _, err := b.Reader("other").Get(ctx, "c", "k", &v); !errors.Is(err, projections.ErrNoActiveGeneration) {
		t.Fatalf("another projection: %v", err)
	}
}

func (s suite) outbox(t *testing.T) {
	ctx := Ctx(t)
	b, _ := s.open(t)
	if m, err := b.InitMark(ctx, "ob", 40); err != nil || m != 40 {
		t.Fatalf("first mark: %d %v", m, err)
	}
	if m, err := b.InitMark(ctx, "ob", 10); err != nil || m != 40 {
		t.Fatalf("mark is set once: %d %v", m, err)
	}
	g, _ := b.CreateGeneration(ctx, "ob", 1)
	e1 := projections.IntegrationEvent{ID: uuid.NewString(), Projection: "ob", Name: "n", Key: "k1", Payload: []byte(`{"a":1}`), SourceEventID: uuid.New(), SourcePosition: 41, OccurredAt: time.Date(2019, 1, 25, 1, 2, 3, 0, time.UTC)}
	e2 := projections.IntegrationEvent{ID: uuid.NewString(), Projection: "ob", Name: "n", Key: "k2", Payload: []byte(`{}`), SourceEventID: uuid.New(), SourcePosition: 42}
	if err := b.Commit(ctx, projections.Commit{Projection: "ob", Generation: g.Generation, To: 42, Outbox: []projections.IntegrationEvent{e1, e2}, Mark: 42}); err != nil {
		t.Fatal(err)
	}
	if m, _ := b.InitMark(ctx, "ob", 0); m != 42 {
		t.Fatalf("commit did not raise the mark: %d", m)
	}
	ob, err := b.Outbox(ctx, "ob")
	if err != nil || len(ob) != 2 || ob[0].ID != e1.ID || ob[1].ID != e2.ID {
		t.Fatalf("outbox: %+v %v", ob, err)
	}
	if got := ob[0]; got.Name != "n" || got.Key != "k1" || string(got.Payload) != `{"a":1}` || got.SourceEventID != e1.SourceEventID || got.SourcePosition != 41 || !got.OccurredAt.Equal(e1.OccurredAt) {
		t.Fatalf("outbox event: %+v, want %+v", got, e1)
	}
	if err := b.DeleteOutbox(ctx, "ob", []string{e1.ID}); err != nil {
		t.Fatal(err)
	}
	if ob, _ := b.Outbox(ctx, "ob"); len(ob) != 1 || ob[0].ID != e2.ID {
		t.Fatalf("outbox after delete: %+v", ob)
	}
}

func (s suite) projectEqualsRebuild(t *testing.T) {
	store := NewStore(t)
	b, reopen := s.open(t)
	ctr := &Counter{}
	Fill(t, store, "pre", 700, 9, 25)
	r := Start(t, projections.RunnerConfig{Store: store, Backend: b, Projections: []projections.Projection{ctr}})
	ctx := Ctx(t)
	for i := range 30 {
		Append(t, store, fmt.Sprintf("live%d", i%4), "test.marked", 1+i%3)
		if i%5 == 4 {
			Append(t, store, fmt.Sprintf("live%d", i%4), "test.unmarked", 1)
		}
	}
	if err := r.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	live := Dump(t, b, "counter", 0)
	SameDocs(t, "live read model vs clean rebuild", live, Rebuilt(t, store, ctr, 0))
	var g GlobalDoc
	if _, err := r.Reader("counter").Get(ctx, "global", "all", &g); err != nil {
		t.Fatal(err)
	}
	head, _ := store.Head(ctx)
	if g.Count != int(head) || g.Last != head {
		t.Fatalf("global: %+v, head %d", g, head)
	}
	st := statusOf(t, r.Runner, "counter")
	if st.State != projections.StateRunning || st.Checkpoint != head || st.Head != head || st.Lag != 0 || st.Generation == 0 {
		t.Fatalf("status: %+v", st)
	}
	r.Stop(t)

	// Restart: a durable backend resumes where it was; memory rebuilds
	// from the log. Either way the read model is the same.
	b2 := projections.Backend(projections.NewMemoryBackend())
	if reopen != nil {
		b2 = reopen()
	}
	Append(t, store, "after", "test.happened", 3)
	r2 := Start(t, projections.RunnerConfig{Store: store, Backend: b2, Projections: []projections.Projection{ctr}})
	if err := r2.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	SameDocs(t, "after restart", Dump(t, b2, "counter", 0), Rebuilt(t, store, ctr, 0))
}

func (s suite) poison(t *testing.T, panics bool) {
	ctx := Ctx(t)
	store := NewStore(t)
	b, _ := s.open(t)
	bad := &atomic.Bool{}
	bad.Store(true)
	victim := &Counter{ProjectionName: "victim", Poisoned: bad, Panic: panics}
	bystander := &Counter{ProjectionName: "bystander"}
	r := Start(t, projections.RunnerConfig{Store: store, Backend: b, Projections: []projections.Projection{victim, bystander}})
	Fill(t, store, "a", 20, 3, 4)
	pos := Append(t, store, "a0", PoisonType, 1).Position
	Fill(t, store, "b", 20, 3, 4)
	Eventually(t, 20*time.Second, "victim to fail", func() bool { return statusOf(t, r.Runner, "victim").State == projections.StateFailed })
	st := statusOf(t, r.Runner, "victim")
	want := "poison"
	if panics {
		want = "panic: poison pill"
	}
	if st.ErrorPosition != pos || st.Checkpoint != pos-1 || !strings.Contains(st.Error, want) {
		t.Fatalf("victim status: %+v; want failed at %d with %q", st, pos, want)
	}
	// The others go on, live.
	Fill(t, store, "c", 10, 2, 5)
	head, _ := store.Head(ctx)
	if err := r.WaitFor(ctx, "bystander", head); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(t, r.Runner, "bystander"); st.State != projections.StateRunning || st.Lag != 0 {
		t.Fatalf("bystander: %+v", st)
	}
	// The victim does not skip: still at the event before the poison.
	time.Sleep(50 * time.Millisecond)
	if st := statusOf(t, r.Runner, "victim"); st.Checkpoint != pos-1 || st.Lag != uint64(head-pos+1) {
		t.Fatalf("victim moved on: %+v", st)
	}
	SameDocs(t, "failed projection", Dump(t, b, "victim", 0), Rebuilt(t, store, victim, pos-1))
	// Fix the cause, restart: it resumes at the poison event.
	bad.Store(false)
	if err := r.Restart(ctx, "victim"); err != nil {
		t.Fatal(err)
	}
	if err := r.WaitFor(ctx, "victim", head); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(t, r.Runner, "victim"); st.State != projections.StateRunning || st.Error != "" || st.Checkpoint != head {
		t.Fatalf("victim after restart: %+v", st)
	}
	SameDocs(t, "restarted projection", Dump(t, b, "victim", 0), Rebuilt(t, store, victim, 0))
}

func (s suite) restartResumes(t *testing.T) {
	ctx := Ctx(t)
	b, reopen := s.open(t)
	if reopen == nil {
		t.Skip("the backend does not outlive its process: ProjectEqualsRebuild covers its restart")
	}
	store := NewStore(t)
	bad := &atomic.Bool{}
	bad.Store(true)
	ctr := &Counter{ProjectionName: "resume", Poisoned: bad}
	Fill(t, store, "a", 30, 3, 5)
	pos := Append(t, store, "a1", PoisonType, 1).Position
	Fill(t, store, "b", 30, 3, 5)
	r := Start(t, projections.RunnerConfig{Store: store, Backend: b, Projections: []projections.Projection{ctr}})
	Eventually(t, 20*time.Second, "projection to fail", func() bool { return statusOf(t, r.Runner, "resume").State == projections.StateFailed })
	r.Stop(t)
	// The failure is stored, for `collabledger status` with no server.
	b2 := reopen()
	st, err := projections.ReadStatus(ctx, store, b2, []projections.Projection{ctr})
	if err != nil {
		t.Fatal(err)
	}
	if st[0].State != projections.StateFailed || st[0].ErrorPosition != pos || st[0].Checkpoint != pos-1 || !strings.Contains(st[0].Error, "poison") {
		t.Fatalf("stored status: %+v", st[0])
	}
	bad.Store(false) // the fix
	r2 := Start(t, projections.RunnerConfig{Store: store, Backend: b2, Projections: []projections.Projection{ctr}})
	if err := r2.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	SameDocs(t, "resumed", Dump(t, b2, "resume", 0), Rebuilt(t, store, ctr, 0))
	if st := statusOf(t, r2.Runner, "resume"); st.State != projections.StateRunning || st.Error != "" {
		t.Fatalf("after resume: %+v", st)
	}
}

func (s suite) rebuildBeside(t *testing.T) {
	ctx := Ctx(t)
	store := NewStore(t)
	b, _ := s.open(t)
	ctr := &Counter{}
	Fill(t, store, "s", 3000, 11, 50)
	r := Start(t, projections.RunnerConfig{Store: store, Backend: b, Projections: []projections.Projection{ctr}, MaxBatch: 64})
	if err := r.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := b.Generations(ctx, "counter")

	// Queries keep working, never see less than before, while writers
	// append and the rebuild runs.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var queryErr atomic.Value
	var queries atomic.Int64
	wg.Add(2)
	go func() {
		defer wg.Done()
		last := 0
		for {
			select {
			case <-stop:
				return
			default:
			}
			var g GlobalDoc
			ok, err := r.Reader("counter").Get(ctx, "global", "all", &g)
			if err != nil || !ok || g.Count < last {
				queryErr.Store(fmt.Sprintf("query during rebuild: ok=%v err=%v count=%d after %d", ok, err, g.Count, last))
				return
			}
			last = g.Count
			queries.Add(1)
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			Append(t, store, fmt.Sprintf("w%d", i%3), "test.happened", 2)
			time.Sleep(2 * time.Millisecond)
		}
	}()
	gen, err := r.Rebuild(ctx, "counter")
	if err != nil {
		t.Fatal(err)
	}
	if gen <= before.Active {
		t.Fatalf("rebuild generation %d, active was %d", gen, before.Active)
	}
	if st := statusOf(t, r.Runner, "counter"); st.Rebuild == nil && st.Generation != gen {
		t.Fatalf("status during rebuild: %+v", st)
	}
	if _, err := r.Rebuild(ctx, "counter"); err == nil && statusOf(t, r.Runner, "counter").Generation != gen {
		t.Fatal("a second rebuild started while one runs")
	}
	if err := r.WaitActive(ctx, "counter", gen); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	close(stop)
	wg.Wait()
	if e := queryErr.Load(); e != nil {
		t.Fatal(e)
	}
	if queries.Load() == 0 {
		t.Fatal("no query ran during the rebuild")
	}
	if err := r.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	gens, _ := b.Generations(ctx, "counter")
	if gens.Active != gen || len(gens.All) != 1 {
		t.Fatalf("after rebuild: %+v", gens)
	}
	st := statusOf(t, r.Runner, "counter")
	if st.State != projections.StateRunning || st.Generation != gen || st.Rebuild != nil {
		t.Fatalf("status after rebuild: %+v", st)
	}
	SameDocs(t, "rebuilt read model", Dump(t, b, "counter", 0), Rebuilt(t, store, ctr, 0))
}

// changed: Runner.Changed moves to the commit of an event the projection
// wrote for, stays where it was through events it ignores (as the public
// pages' directory relies on: a checkpoint appended to the log must not
// make it rebuild), and moves when a rebuilt generation becomes active.
func (s suite) changed(t *testing.T) {
	ctx := Ctx(t)
	store := NewStore(t)
	b, _ := s.open(t)
	r := Start(t, projections.RunnerConfig{Store: store, Backend: b, Projections: []projections.Projection{Marker{}}})
	changed := func() eventstore.Position {
		t.Helper()
		if err := r.WaitCaughtUp(ctx); err != nil {
			t.Fatal(err)
		}
		p, err := r.Changed("marker")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if _, err := r.Changed("nope"); !errors.Is(err, projections.ErrUnknownProjection) {
		t.Fatalf("Changed of an unknown projection: %v", err)
	}
	start := changed()
	marked := Append(t, store, "a", "test.marked", 1)
	if got := changed(); got != marked.Position {
		t.Fatalf("after a marked event at %d: Changed %d (was %d)", marked.Position, got, start)
	}
	for range 3 {
		Append(t, store, "b", "test.happened", 5)
	}
	if got := changed(); got != marked.Position {
		t.Fatalf("after events it ignores: Changed %d, want %d (the last write)", got, marked.Position)
	}
	Append(t, store, "b", "test.happened", 2)
	again := Append(t, store, "a", "test.marked", 1)
	if got := changed(); got != again.Position {
		t.Fatalf("after a second marked event at %d: Changed %d", again.Position, got)
	}
	// A rebuilt generation's documents are new to queries: it moves.
	Append(t, store, "b", "test.happened", 3)
	gen, err := r.Rebuild(ctx, "marker")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WaitActive(ctx, "marker", gen); err != nil {
		t.Fatal(err)
	}
	if got := changed(); got <= again.Position {
		t.Fatalf("after the rebuilt generation switched: Changed %d, want past %d", got, again.Position)
	}
}

func (s suite) versionChange(t *testing.T) {
	ctx := Ctx(t)
	b, reopen := s.open(t)
	if reopen == nil {
		t.Skip("the backend does not outlive its process: it is rebuilt at every start")
	}
	store := NewStore(t)
	Fill(t, store, "s", 500, 5, 50)
	v1 := &Counter{ProjectionName: "versioned", ProjectionVer: 1}
	r := Start(t, projections.RunnerConfig{Store: store, Backend: b, Projections: []projections.Projection{v1}})
	if err := r.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	r.Stop(t)
	g1, _ := b.Generations(ctx, "versioned")

	v2 := &Counter{ProjectionName: "versioned", ProjectionVer: 2}
	b2 := reopen()
	r2 := Start(t, projections.RunnerConfig{Store: store, Backend: b2, Projections: []projections.Projection{v2}})
	Fill(t, store, "t", 30, 3, 3)
	head, _ := store.Head(ctx)
	Eventually(t, 20*time.Second, "rebuild for version 2 to switch", func() bool {
		g, _ := b2.Generations(ctx, "versioned")
		a, _ := g.Get(g.Active)
		return a.Version == 2 && a.Position == head && len(g.All) == 1
	})
	g2, _ := b2.Generations(ctx, "versioned")
	if g2.Active <= g1.Active {
		t.Fatalf("generation %d after %d", g2.Active, g1.Active)
	}
	st := statusOf(t, r2.Runner, "versioned")
	if st.Version != 2 || st.StoredVersion != 2 || st.State != projections.StateRunning {
		t.Fatalf("status: %+v", st)
	}
	SameDocs(t, "version 2", Dump(t, b2, "versioned", 0), Rebuilt(t, store, v2, 0))
}

func (s suite) concurrentWriters(t *testing.T) {
	ctx := Ctx(t)
	store := NewStore(t)
	b, _ := s.open(t)
	ctr := &Counter{}
	r := Start(t, projections.RunnerConfig{Store: store, Backend: b, Projections: []projections.Projection{ctr}})
	const writers, appends = 8, 60
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range appends {
				Append(t, store, fmt.Sprintf("writer%d", w), "test.happened", 1+i%3)
			}
		}()
	}
	wg.Wait()
	if err := r.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	for w := range writers {
		d, ok, err := projections.Get[StreamDoc](ctx, r.Reader("counter"), "streams", fmt.Sprintf("writer%d", w))
		if err != nil || !ok {
			t.Fatalf("writer %d: %v %v", w, ok, err)
		}
		for i, v := range d.Versions {
			if v != uint64(i+1) {
				t.Fatalf("writer %d: versions folded out of order or twice: %v", w, d.Versions)
			}
		}
	}
	SameDocs(t, "8 writers", Dump(t, b, "counter", 0), Rebuilt(t, store, ctr, 0))
}

func (s suite) integration(t *testing.T) {
	ctx := Ctx(t)
	store := NewStore(t)
	Fill(t, store, "hist", 30, 1, 10) // history: announced by nobody
	b, reopen := s.open(t)
	bad := &atomic.Bool{}
	bad.Store(true)
	ctr := &Counter{ProjectionName: "milestones", Thresholds: []int{3, 5}, Poisoned: bad}
	r := Start(t, projections.RunnerConfig{Store: store, Backend: b, Projections: []projections.Projection{ctr}})
	msgs, err := r.Integration().Subscribe(ctx, projections.DefaultTopic)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []*message.Message
	go func() {
		for m := range msgs {
			mu.Lock()
			got = append(got, m)
			mu.Unlock()
			m.Ack()
		}
	}()
	received := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, m := range got {
			out = append(out, m.Metadata.Get(projections.MetaName)+" "+m.Metadata.Get(projections.MetaKey))
		}
		// The in-process channel does not keep the order of publication.
		slices.Sort(out)
		return out
	}
	res := Append(t, store, "p1", "test.happened", 4)
	Append(t, store, "p2", "test.happened", 2)
	Append(t, store, "p1", "test.happened", 2)
	// A poisoned event announces and fails: its announcement is dropped.
	Append(t, store, "p3", PoisonType, 1)
	Eventually(t, 10*time.Second, "two announcements", func() bool { return len(received()) == 2 })
	Eventually(t, 10*time.Second, "failure", func() bool { return statusOf(t, r.Runner, "milestones").State == projections.StateFailed })
	time.Sleep(50 * time.Millisecond)
	if g := received(); !slices.Equal(g, []string{"test.milestone_reached p1/3", "test.milestone_reached p1/5"}) {
		t.Fatalf("announcements: %q", g)
	}
	mu.Lock()
	m0 := got[0]
	if m0.Metadata.Get(projections.MetaKey) != "p1/3" {
		m0 = got[1]
	}
	mu.Unlock()
	if want := projections.IntegrationEventID("milestones", res.Events[2].ID, "test.milestone_reached", "p1/3"); m0.UUID != want {
		t.Fatalf("message UUID %s, want %s (derived from the source event)", m0.UUID, want)
	}
	if m0.Metadata.Get(projections.MetaSourcePosition) != fmt.Sprint(res.Events[2].Position) || !strings.Contains(string(m0.Payload), `"threshold":3`) {
		t.Fatalf("message: %v %s", m0.Metadata, m0.Payload)
	}
	bad.Store(false)
	if err := r.Restart(ctx, "milestones"); err != nil {
		t.Fatal(err)
	}
	if err := r.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	// A rebuild folds everything again and announces nothing again.
	gen, err := r.Rebuild(ctx, "milestones")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WaitActive(ctx, "milestones", gen); err != nil {
		t.Fatal(err)
	}
	Append(t, store, "p2", "test.happened", 1) // p2 reaches 3
	Eventually(t, 10*time.Second, "third announcement", func() bool { return len(received()) == 3 })
	time.Sleep(50 * time.Millisecond)
	if g := received(); len(g) != 3 || !slices.Contains(g, "test.milestone_reached p2/3") {
		t.Fatalf("after rebuild: %q", g)
	}
	if ob, _ := b.Outbox(ctx, "milestones"); len(ob) != 0 {
		t.Fatalf("published events left in the outbox: %+v", ob)
	}
	if reopen == nil {
		return
	}
	// A restart of a durable read model announces nothing again either.
	r.Stop(t)
	b2 := reopen()
	r2 := Start(t, projections.RunnerConfig{Store: store, Backend: b2, Projections: []projections.Projection{ctr}})
	msgs2, err := r2.Integration().Subscribe(ctx, projections.DefaultTopic)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Rebuild(ctx, "milestones"); err != nil {
		t.Fatal(err)
	}
	Append(t, store, "p4", "test.happened", 3)
	select {
	case m := <-msgs2:
		m.Ack()
		if m.Metadata.Get(projections.MetaKey) != "p4/3" {
			t.Fatalf("after restart and rebuild announced %s %s", m.Metadata.Get(projections.MetaName), m.Metadata.Get(projections.MetaKey))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no announcement after restart")
	}
	select {
	case m := <-msgs2:
		t.Fatalf("announced again: %s", m.Metadata.Get(projections.MetaKey))
	case <-time.After(100 * time.Millisecond):
	}
}

package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/postgres"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/eventstore/storetest"
)

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testLogger logs to the test's output: warnings and errors only.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func openStore(t testing.TB, url string, cfg postgres.Config) *postgres.Store {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	s, err := postgres.Open(testCtx(t), url, cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

// withParam is pgtest.WithParam, failing t on error.
func withParam(t testing.TB, conn, key, value string) string {
	t.Helper()
	u, err := pgtest.WithParam(conn, key, value)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// opener gives each storetest test its own fresh schema; params are extra
// connection parameters, key then value.
func opener(params ...string) storetest.Opener {
	return func(t testing.TB) (eventstore.Store, func(testing.TB) eventstore.Store) {
		u := pgtest.URL(t)
		for i := 0; i+1 < len(params); i += 2 {
			u = withParam(t, u, params[i], params[i+1])
		}
		open := func(t testing.TB) eventstore.Store { return openStore(t, u, postgres.Config{}) }
		return open(t), open
	}
}

func TestConformance(t *testing.T) {
	storetest.RunWith(t, opener(), storetest.Options{DensePositions: true, Guarded: func(t testing.TB, guards map[string]eventstore.Guard) eventstore.Store {
		return openStore(t, pgtest.URL(t), postgres.Config{Config: eventstore.Config{Guards: guards}})
	}})
}

// TestConformanceSimpleProtocol runs the suite with pgx's simple protocol
// (as behind PgBouncer in transaction mode): text results, so reads take
// the generic scanning path.
func TestConformanceSimpleProtocol(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	storetest.Run(t, opener("default_query_exec_mode", "simple_protocol"))
}

func event(t testing.TB, n int) eventstore.EventData {
	t.Helper()
	return storetest.Event(t, "test.happened", n)
}

func mustAppend(t testing.TB, s eventstore.Store, stream string, exp eventstore.Expectation, evs ...eventstore.EventData) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(testCtx(t), stream, exp, evs...)
	if err != nil {
		t.Fatalf("append %s: %v", stream, err)
	}
	return res
}

// collect subscribes from after and sends what it sees on the returned
// channel until ctx ends.
func collect(ctx context.Context, t testing.TB, s eventstore.Store, after eventstore.Position) <-chan eventstore.Event {
	out := make(chan eventstore.Event, 1024)
	go func() {
		defer close(out)
		for ev, err := range s.Subscribe(ctx, after) {
			if err != nil {
				if ctx.Err() == nil {
					t.Errorf("subscription: %v", err)
				}
				return
			}
			out <- ev
		}
	}()
	return out
}

func receive(t testing.TB, ch <-chan eventstore.Event, n int, within time.Duration) []eventstore.Event {
	t.Helper()
	var got []eventstore.Event
	deadline := time.After(within)
	for len(got) < n {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("subscription ended after %d of %d events", len(got), n)
			}
			got = append(got, ev)
		case <-deadline:
			t.Fatalf("subscription saw %d of %d events within %v", len(got), n, within)
		}
	}
	return got
}

func assertNothingWithin(t testing.TB, ch <-chan eventstore.Event, d time.Duration) {
	t.Helper()
	select {
	case ev := <-ch:
		t.Fatalf("subscription saw event at position %d, want nothing yet", ev.Position)
	case <-time.After(d):
	}
}

// TestStalledWriter: one store's append transaction stops between its
// INSERT and its COMMIT (holding positions 4 and 5) while another store on
// the same schema, like a second process, appends. The second append must
// wait for the first commit, and a subscriber must see 1..6 in order with
// no gap.
func TestStalledWriter(t *testing.T) {
	db := pgtest.New(t)
	var stall atomic.Bool
	entered := make(chan struct{})
	release := make(chan struct{})
	a := openStore(t, db.URL, postgres.WithBeforeCommit(postgres.Config{}, func(ctx context.Context, tx pgx.Tx) error {
		if stall.Load() {
			close(entered)
			<-release
		}
		return nil
	}))
	defer a.Close()
	b := openStore(t, db.URL, postgres.Config{PollInterval: 20 * time.Millisecond})
	defer b.Close()
	ctx := testCtx(t)

	mustAppend(t, a, "a", eventstore.NoStream, event(t, 1), event(t, 2), event(t, 3))
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub := collect(subCtx, t, b, 0)
	receive(t, sub, 3, 5*time.Second)

	stall.Store(true)
	aDone := make(chan eventstore.AppendResult, 1)
	appendTo := func(s eventstore.Store, stream string, exp eventstore.Expectation, done chan<- eventstore.AppendResult, evs ...eventstore.EventData) {
		res, err := s.Append(ctx, stream, exp, evs...)
		if err != nil {
			t.Errorf("append %s: %v", stream, err)
		}
		done <- res
	}
	go appendTo(a, "a", eventstore.Exact(3), aDone, event(t, 4), event(t, 5))
	<-entered // a holds the append lock with positions 4 and 5 inserted, not committed
	bDone := make(chan eventstore.AppendResult, 1)
	go appendTo(b, "b", eventstore.NoStream, bDone, event(t, 6))

	assertNothingWithin(t, sub, 300*time.Millisecond)
	select {
	case res := <-bDone:
		t.Fatalf("second store committed position %d while the first still held 4 and 5", res.Position)
	default:
	}
	if h, err := b.Head(ctx); err != nil || h != 3 {
		t.Fatalf("head during the stall = %d, %v; want 3", h, err)
	}
	if evs, err := b.ReadAll(ctx, 3, 10); err != nil || len(evs) != 0 {
		t.Fatalf("read during the stall = %d events, %v; want none", len(evs), err)
	}

	close(release)
	ra, rb := <-aDone, <-bDone
	if t.Failed() {
		t.FailNow()
	}
	if ra.Events[0].Position != 4 || ra.Position != 5 || rb.Position != 6 {
		t.Fatalf("positions: first store %d..%d, second %d; want 4..5 and 6", ra.Events[0].Position, ra.Position, rb.Position)
	}
	got := receive(t, sub, 3, 5*time.Second)
	for i, ev := range got {
		if ev.Position != eventstore.Position(4+i) {
			t.Fatalf("subscription event %d at position %d, want %d", i, ev.Position, 4+i)
		}
	}
	if got[2].ID != rb.Events[0].ID {
		t.Fatalf("position 6 is %s, want the second store's event %s", got[2].ID, rb.Events[0].ID)
	}
}

// TestGroupCommit: 64 goroutines append at once; the writer must have
// committed several appends per transaction, and every acknowledged event
// must read back as acknowledged.
func TestGroupCommit(t *testing.T) {
	s := openStore(t, pgtest.URL(t), postgres.Config{})
	defer s.Close()
	const writers, per = 64, 8
	var mu sync.Mutex
	acked := map[eventstore.Position]eventstore.Event{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range per {
				res, err := s.Append(context.Background(), fmt.Sprintf("w%d", w), eventstore.Exact(uint64(i)), event(t, i))
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
				mu.Lock()
				for _, e := range res.Events {
					acked[e.Position] = e
				}
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	st := s.Stats()
	t.Logf("stats: %+v", st)
	if st.MaxBatchAppends < 2 || st.Batches >= st.Appends {
		t.Fatalf("no group commit: %d batches for %d appends, at most %d per batch", st.Batches, st.Appends, st.MaxBatchAppends)
	}
	if st.Events != writers*per || len(acked) != writers*per {
		t.Fatalf("stored %d events, acknowledged %d, want %d", st.Events, len(acked), writers*per)
	}
	all, err := s.ReadAll(testCtx(t), 0, 10*writers*per)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != writers*per {
		t.Fatalf("read %d events, want %d", len(all), writers*per)
	}
	for i, e := range all {
		if e.Position != eventstore.Position(i+1) {
			t.Fatalf("event %d at position %d", i, e.Position)
		}
		want := acked[e.Position]
		if want.ID != e.ID || want.Hash != e.Hash || want.Version != e.Version || !want.RecordedAt.Equal(e.RecordedAt) {
			t.Fatalf("position %d: read %+v, acknowledged %+v", e.Position, e, want)
		}
		if err := e.Verify(); err != nil {
			t.Fatal(err)
		}
	}
}

var errInjected = errors.New("injected commit failure")

// TestFailedBatch: when a batch's commit fails, every caller in it gets the
// error and nothing is stored; retrying with the same IDs then stores each
// append exactly once.
func TestFailedBatch(t *testing.T) {
	var calls atomic.Int32
	hold := make(chan struct{})
	s := openStore(t, pgtest.URL(t), postgres.WithBeforeCommit(postgres.Config{}, func(ctx context.Context, tx pgx.Tx) error {
		switch calls.Add(1) {
		case 1:
			<-hold // let the next appends queue up behind this batch
		case 2:
			return errInjected
		}
		return nil
	}))
	defer s.Close()
	ctx := testCtx(t)

	firstDone := make(chan error, 1)
	go func() {
		_, err := s.Append(ctx, "first", eventstore.NoStream, event(t, 0))
		firstDone <- err
	}()
	for calls.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	const n = 8
	batch := make([][]eventstore.EventData, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		batch[i] = []eventstore.EventData{event(t, i), event(t, i+100)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Append(ctx, fmt.Sprintf("s%d", i), eventstore.NoStream, batch[i]...)
		}()
	}
	for s.Queued() < n {
		time.Sleep(time.Millisecond)
	}
	close(hold)
	if err := <-firstDone; err != nil {
		t.Fatalf("first append: %v", err)
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, errInjected) {
			t.Fatalf("append %d of the failed batch: %v, want the injected failure", i, err)
		}
	}
	if st := s.Stats(); st.FailedBatches != 1 || st.Events != 1 {
		t.Fatalf("stats %+v: want 1 failed batch and 1 stored event", st)
	}
	if h, _ := s.Head(ctx); h != 1 {
		t.Fatalf("head %d after the failed batch, want 1", h)
	}
	// Retry with the same IDs, concurrently: stored once each.
	results := make([]eventstore.AppendResult, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = s.Append(ctx, fmt.Sprintf("s%d", i), eventstore.NoStream, batch[i]...)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("retry %d: %v", i, errs[i])
		}
		again, err := s.Append(ctx, fmt.Sprintf("s%d", i), eventstore.NoStream, batch[i]...)
		if err != nil || again.Position != results[i].Position || again.Version != 2 {
			t.Fatalf("second retry %d: %+v, %v; first retry answered position %d", i, again, err, results[i].Position)
		}
	}
	if h, _ := s.Head(ctx); h != 1+2*n {
		t.Fatalf("head %d after retries, want %d", h, 1+2*n)
	}
}

// TestCommitConnectionLost: the writer's connection dies just before
// COMMIT. The callers get ErrUnavailable, nothing is stored, and the next
// append works on a new connection.
func TestCommitConnectionLost(t *testing.T) {
	db := pgtest.New(t)
	admin, err := pgx.Connect(testCtx(t), db.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	var kill atomic.Bool
	s := openStore(t, db.URL, postgres.WithBeforeCommit(postgres.Config{}, func(ctx context.Context, tx pgx.Tx) error {
		if !kill.CompareAndSwap(true, false) {
			return nil
		}
		pid := tx.Conn().PgConn().PID()
		if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend($1, 5000)", pid); err != nil {
			return err
		}
		return nil
	}))
	defer s.Close()
	ctx := testCtx(t)
	ev := event(t, 1)
	kill.Store(true)
	_, err = s.Append(ctx, "x", eventstore.NoStream, ev)
	if !errors.Is(err, eventstore.ErrUnavailable) || eventstore.Code(err) != "store_unavailable" {
		t.Fatalf("append whose commit lost its connection: %v, want ErrUnavailable", err)
	}
	if h, _ := s.Head(ctx); h != 0 {
		t.Fatalf("head %d, want 0", h)
	}
	res := mustAppend(t, s, "x", eventstore.NoStream, ev)
	if res.Position != 1 {
		t.Fatalf("retry stored at %d, want 1", res.Position)
	}
}

// TestNotifyWakesOtherStore: with polling effectively off, a subscriber on
// one store sees another store's appends through LISTEN/NOTIFY, also after
// its LISTEN connection was killed and re-established.
func TestNotifyWakesOtherStore(t *testing.T) {
	db := pgtest.New(t)
	a := openStore(t, db.URL, postgres.Config{PollInterval: time.Hour})
	defer a.Close()
	b := openStore(t, db.URL, postgres.Config{})
	defer b.Close()
	ctx := testCtx(t)
	for a.ListenerPID() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub := collect(subCtx, t, a, 0)
	time.Sleep(50 * time.Millisecond) // let the subscription go idle
	mustAppend(t, b, "b", eventstore.Any, event(t, 1))
	receive(t, sub, 1, 5*time.Second)

	// Kill a's LISTEN connection; b appends while it may still be away.
	admin, err := pgx.Connect(ctx, db.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend($1, 5000)", a.ListenerPID()); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, b, "b", eventstore.Any, event(t, 2))
	receive(t, sub, 1, 5*time.Second) // by notification or by the head published on reconnect
	deadline := time.Now().Add(10 * time.Second)
	for a.ListenerConnects() < 2 || a.ListenerPID() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("LISTEN connection not re-established")
		}
		time.Sleep(10 * time.Millisecond)
	}
	mustAppend(t, b, "b", eventstore.Any, event(t, 3))
	receive(t, sub, 1, 5*time.Second)
}

// TestLocalWakeup: the writer wakes the store's own subscribers at once,
// with polling effectively off.
func TestLocalWakeup(t *testing.T) {
	s := openStore(t, pgtest.URL(t), postgres.Config{PollInterval: time.Hour})
	defer s.Close()
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	sub := collect(ctx, t, s, 0)
	for i := range 5 {
		time.Sleep(20 * time.Millisecond)
		mustAppend(t, s, "x", eventstore.Any, event(t, i))
		receive(t, sub, 1, 2*time.Second)
	}
}

// TestStaleHeadDoesNotSpin: if the notifier was told of a head the log does
// not have (a table emptied under a running store), subscribers fall back
// to polling instead of re-reading in a tight loop.
func TestStaleHeadDoesNotSpin(t *testing.T) {
	s := openStore(t, pgtest.URL(t), postgres.Config{PollInterval: 100 * time.Millisecond})
	defer s.Close()
	mustAppend(t, s, "x", eventstore.Any, event(t, 1))
	s.Publish(1000)
	ctx, cancel := context.WithCancel(testCtx(t))
	sub := collect(ctx, t, s, 0)
	receive(t, sub, 1, 2*time.Second)
	before := s.SubscribeReads()
	time.Sleep(500 * time.Millisecond)
	reads := s.SubscribeReads() - before
	cancel()
	if reads > 10 {
		t.Fatalf("%d reads in 500ms with a 100ms poll interval: the subscription spins", reads)
	}
	// And a real append still arrives.
	ctx2, cancel2 := context.WithCancel(testCtx(t))
	defer cancel2()
	sub2 := collect(ctx2, t, s, 1)
	mustAppend(t, s, "x", eventstore.Any, event(t, 2))
	receive(t, sub2, 1, 2*time.Second)
}

// TestOpenURL: eventstore.Open with a postgres:// URL whose schema
// parameter names a schema that does not exist yet; two stores opened at
// once migrate it once; reopening applies nothing again.
func TestOpenURL(t *testing.T) {
	db := pgtest.New(t)
	schema := db.Schema + "_url"
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), db.BaseURL)
		if err == nil {
			_, _ = conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			_ = conn.Close(context.Background())
		}
	})
	if !strings.HasPrefix(db.BaseURL, "postgres://") && !strings.HasPrefix(db.BaseURL, "postgresql://") {
		t.Skip("DATABASE_URL is not a postgres:// URL")
	}
	u, err := url.Parse(db.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("schema", schema)
	q.Set("poll_interval", "50ms")
	u.RawQuery = q.Encode()
	ctx := testCtx(t)

	stores := make([]eventstore.Store, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = eventstore.Open(ctx, u.String(), eventstore.Config{Logger: testLogger(t)})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
	}
	if ps, ok := stores[0].(*postgres.Store); !ok || ps.Schema() != schema {
		t.Fatalf("store is %T in schema %v, want *postgres.Store in %s", stores[0], stores[0], schema)
	}
	mustAppend(t, stores[0], "s", eventstore.NoStream, event(t, 1))
	mustAppend(t, stores[1], "s", eventstore.Exact(1), event(t, 2))
	for _, s := range stores {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	u2 := strings.Replace(u.String(), "postgres://", "postgresql://", 1)
	s, err := eventstore.Open(ctx, u2, eventstore.Config{Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if evs, err := s.ReadStream(ctx, "s", 1, 10); err != nil || len(evs) != 2 {
		t.Fatalf("after reopen: %d events, %v", len(evs), err)
	}
	conn, err := pgx.Connect(ctx, db.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+schema+".schema_migrations").Scan(&n); err != nil || n != 1 {
		t.Fatalf("schema_migrations has %d rows (%v), want 1", n, err)
	}
}

// TestAppendOnly: the events table refuses UPDATE, DELETE and TRUNCATE.
func TestAppendOnly(t *testing.T) {
	db := pgtest.New(t)
	s := openStore(t, db.URL, postgres.Config{})
	defer s.Close()
	mustAppend(t, s, "x", eventstore.Any, event(t, 1))
	ctx := testCtx(t)
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, stmt := range []string{
		"UPDATE events SET type = 'x'",
		"DELETE FROM events",
		"TRUNCATE events",
	} {
		if _, err := conn.Exec(ctx, stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", stmt, err)
		}
	}
}

// TestUnreachable: a server that is not there gives ErrUnavailable.
func TestUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx, "postgres://127.0.0.1:1/none?sslmode=disable&connect_timeout=2", postgres.Config{})
	if !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("open of a closed port: %v, want ErrUnavailable", err)
	}
}

// TestCloseWhileAppending: appends racing Close either succeed or fail with
// ErrClosed, and none hangs.
func TestCloseWhileAppending(t *testing.T) {
	s := openStore(t, pgtest.URL(t), postgres.Config{})
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				_, err := s.Append(context.Background(), fmt.Sprintf("w%d", w), eventstore.Any, event(t, i))
				if errors.Is(err, eventstore.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("appends hang after Close")
	}
	if err := s.Close(); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("second close: %v, want ErrClosed", err)
	}
}

func TestConfig(t *testing.T) {
	bad := []postgres.Config{
		{MaxBatch: -1},
		{PollInterval: -time.Second},
		{Schema: strings.Repeat("s", 64)},
		{Config: eventstore.Config{MaxEventSize: -1}},
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: Validate passed", c)
		}
	}
	if err := (postgres.Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	d := postgres.Config{}.WithDefaults()
	if d.MaxBatch != postgres.DefaultMaxBatch || d.PollInterval != postgres.DefaultPollInterval || d.Logger == nil || d.MaxAppendEvents == 0 {
		t.Errorf("defaults not filled: %+v", d)
	}

	conn, cfg, err := postgres.SplitConnString("postgres://u:p@h:5432/db?sslmode=disable&schema=ledger&max_batch=7&poll_interval=250ms&application_name=x", postgres.Config{Schema: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Schema != "ledger" || cfg.MaxBatch != 7 || cfg.PollInterval != 250*time.Millisecond {
		t.Errorf("parameters not applied: %+v", cfg)
	}
	if strings.Contains(conn, "schema") || strings.Contains(conn, "max_batch") || strings.Contains(conn, "poll_interval") ||
		!strings.Contains(conn, "sslmode=disable") || !strings.Contains(conn, "application_name=x") {
		t.Errorf("connection string %q: store parameters not stripped or pgx ones lost", conn)
	}
	for _, s := range []string{"postgres://h/db?max_batch=0", "postgres://h/db?poll_interval=soon", "postgres://h/db?schema="} {
		if _, _, err := postgres.SplitConnString(s, postgres.Config{}); err == nil {
			t.Errorf("%s: accepted", s)
		}
	}
	kv := "host=h dbname=db"
	if conn, _, err := postgres.SplitConnString(kv, postgres.Config{}); err != nil || conn != kv {
		t.Errorf("keyword/value string changed to %q (%v)", conn, err)
	}
}

// TestMixedBatch: one group-commit transaction holding a new append, a
// retry whose expectation still passes (found only by the insert's ID
// conflict), a retry whose expectation fails, a conflict, a reused ID, an
// append that depends on an earlier one of the same batch, and a retry of
// that earlier one. Each gets the outcome it would get alone.
func TestMixedBatch(t *testing.T) {
	var calls atomic.Int32
	hold := make(chan struct{})
	s := openStore(t, pgtest.URL(t), postgres.WithBeforeCommit(postgres.Config{}, func(ctx context.Context, tx pgx.Tx) error {
		if calls.Add(1) == 2 {
			<-hold
		}
		return nil
	}))
	defer s.Close()
	ctx := testCtx(t)
	storedEv := []eventstore.EventData{event(t, 1), event(t, 2)}
	stored := mustAppend(t, s, "stored", eventstore.NoStream, storedEv...)

	// Hold the writer in a second batch so that the next appends queue up.
	holder := event(t, 0)
	go func() {
		if _, err := s.Append(ctx, "holder", eventstore.Any, holder); err != nil {
			t.Errorf("holder: %v", err)
		}
	}()
	for calls.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	newEv := event(t, 3)
	type call struct {
		name   string
		stream string
		exp    eventstore.Expectation
		evs    []eventstore.EventData
		res    eventstore.AppendResult
		err    error
		done   chan struct{}
	}
	calls2 := []*call{
		{name: "new", stream: "new", exp: eventstore.NoStream, evs: []eventstore.EventData{newEv}},
		{name: "retry any", stream: "stored", exp: eventstore.Any, evs: storedEv},
		{name: "retry exact", stream: "stored", exp: eventstore.NoStream, evs: storedEv},
		{name: "conflict", stream: "stored", exp: eventstore.Exact(1), evs: []eventstore.EventData{event(t, 4)}},
		{name: "reused id", stream: "other", exp: eventstore.Any, evs: []eventstore.EventData{storedEv[0]}},
		{name: "after new", stream: "new", exp: eventstore.Exact(1), evs: []eventstore.EventData{event(t, 5)}},
		{name: "retry of new", stream: "new", exp: eventstore.NoStream, evs: []eventstore.EventData{newEv}},
	}
	for i, c := range calls2 {
		c.done = make(chan struct{})
		go func() {
			defer close(c.done)
			c.res, c.err = s.Append(ctx, c.stream, c.exp, c.evs...)
		}()
		for s.Queued() < i+1 {
			time.Sleep(time.Millisecond)
		}
	}
	batchesBefore := s.Stats().Batches
	close(hold)
	for _, c := range calls2 {
		<-c.done
	}
	if n := s.Stats().Batches - batchesBefore; n != 2 {
		t.Fatalf("%d batches committed, want 2 (the holder's and the mixed one)", n)
	}
	byName := map[string]*call{}
	for _, c := range calls2 {
		byName[c.name] = c
	}
	ok := func(name string) eventstore.AppendResult {
		t.Helper()
		c := byName[name]
		if c.err != nil {
			t.Fatalf("%s: %v", name, c.err)
		}
		return c.res
	}
	first := ok("new")
	if first.Version != 1 {
		t.Fatalf("new: version %d", first.Version)
	}
	for _, name := range []string{"retry any", "retry exact"} {
		if r := ok(name); r.Position != stored.Position || r.Version != 2 || r.Events[0].Hash != stored.Events[0].Hash {
			t.Fatalf("%s answered %+v, want the original %+v", name, r, stored)
		}
	}
	var ce *eventstore.ConflictError
	if !errors.As(byName["conflict"].err, &ce) || ce.Actual != 2 {
		t.Fatalf("conflict: %v", byName["conflict"].err)
	}
	if !errors.Is(byName["reused id"].err, eventstore.ErrDuplicateEvent) {
		t.Fatalf("reused id: %v", byName["reused id"].err)
	}
	if r := ok("after new"); r.Version != 2 || r.Position != first.Position+1 {
		t.Fatalf("after new: %+v (new at %d)", r, first.Position)
	}
	if r := ok("retry of new"); r.Position != first.Position || r.Events[0].Hash != first.Events[0].Hash {
		t.Fatalf("retry of new: %+v, want %+v", r, first)
	}
	all, err := s.ReadAll(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range all {
		if e.Position != eventstore.Position(i+1) {
			t.Fatalf("hole: event %d at position %d", i, e.Position)
		}
	}
	if len(all) != 5 { // stored×2, holder, new, after new
		t.Fatalf("log holds %d events, want 5", len(all))
	}
}

// TestRetryFoundByInsert: a batch whose only stored IDs belong to a retry
// with expectation Any (no conflict to prompt a lookup) meets them on the
// insert, rolls back and runs again with a lookup; the other append of the
// batch is stored once.
func TestRetryFoundByInsert(t *testing.T) {
	var calls atomic.Int32
	hold := make(chan struct{})
	s := openStore(t, pgtest.URL(t), postgres.WithBeforeCommit(postgres.Config{}, func(ctx context.Context, tx pgx.Tx) error {
		if calls.Add(1) == 2 {
			<-hold
		}
		return nil
	}))
	defer s.Close()
	ctx := testCtx(t)
	storedEv := []eventstore.EventData{event(t, 1), event(t, 2)}
	stored := mustAppend(t, s, "stored", eventstore.NoStream, storedEv...)
	go func() {
		if _, err := s.Append(ctx, "holder", eventstore.Any, event(t, 0)); err != nil {
			t.Errorf("holder: %v", err)
		}
	}()
	for calls.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	type outcome struct {
		res eventstore.AppendResult
		err error
	}
	retry, fresh := make(chan outcome, 1), make(chan outcome, 1)
	go func() {
		r, err := s.Append(ctx, "stored", eventstore.Any, storedEv...)
		retry <- outcome{r, err}
	}()
	for s.Queued() < 1 {
		time.Sleep(time.Millisecond)
	}
	go func() {
		r, err := s.Append(ctx, "fresh", eventstore.NoStream, event(t, 3))
		fresh <- outcome{r, err}
	}()
	for s.Queued() < 2 {
		time.Sleep(time.Millisecond)
	}
	close(hold)
	r, f := <-retry, <-fresh
	if r.err != nil || r.res.Position != stored.Position || r.res.Events[1].Hash != stored.Events[1].Hash {
		t.Fatalf("retry: %+v, %v; want the original %+v", r.res, r.err, stored)
	}
	if f.err != nil || f.res.Position != 4 || f.res.Version != 1 {
		t.Fatalf("fresh append: %+v, %v; want version 1 at position 4", f.res, f.err)
	}
	if all, _ := s.ReadAll(ctx, 0, 10); len(all) != 4 {
		t.Fatalf("log holds %d events, want 4", len(all))
	}
	if calls.Load() != 3 {
		t.Fatalf("before-commit hook ran %d times, want 3 (the retried batch commits once)", calls.Load())
	}
}

// TestReadPaths: with pgx's default protocol reads take the raw binary
// decoding path, with the simple protocol the generic one, and both give
// the same events.
func TestReadPaths(t *testing.T) {
	db := pgtest.New(t)
	fast := openStore(t, db.URL, postgres.Config{})
	defer fast.Close()
	slow := openStore(t, withParam(t, db.URL, "default_query_exec_mode", "simple_protocol"), postgres.Config{})
	defer slow.Close()
	ctx := testCtx(t)
	ev := event(t, 1)
	ev.Metadata.CausationID = "cause"
	ev.Metadata.OccurredAt = time.Date(2019, 3, 1, 10, 0, 0, 123456000, time.UTC)
	mustAppend(t, fast, "x", eventstore.NoStream, ev, event(t, 2))
	for _, c := range []struct {
		s    *postgres.Store
		want bool
	}{{fast, true}, {slow, false}} {
		if got, err := c.s.ReadsBinary(ctx); err != nil || got != c.want {
			t.Fatalf("binary decoding = %v, %v; want %v", got, err, c.want)
		}
	}
	a, err := fast.ReadAll(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	b, err := slow.ReadAll(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("read %d and %d events, want 2", len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.ID != y.ID || x.Stream != y.Stream || x.Version != y.Version || x.Position != y.Position || x.Type != y.Type ||
			x.SchemaVersion != y.SchemaVersion || string(x.Data) != string(y.Data) || x.Metadata != y.Metadata ||
			x.RecordedAt != y.RecordedAt || x.Hash != y.Hash {
			t.Fatalf("event %d decodes differently:\n binary %+v\n   text %+v", i, x, y)
		}
		if err := x.Verify(); err != nil {
			t.Fatal(err)
		}
	}
}

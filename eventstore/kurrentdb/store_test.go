package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/storetest"
	"github.com/pdis/collab-ledger/internal/testenv"
)

// testMaxEventSize keeps the suite's "largest event that fits" under a
// stock server's 1 MiB append limit once the metadata is added.
const testMaxEventSize = 512 << 10

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func testConfig() Config {
	return Config{Config: eventstore.Config{MaxEventSize: testMaxEventSize, Logger: quiet}}
}

// TestConformance runs the shared suite against a real server. Without
// KURRENTDB_URL it skips (through testenv, so `make test` lists it and
// COLLABLEDGER_REQUIRE_KURRENTDB=1 makes it fail instead).
func TestConformance(t *testing.T) {
	url := os.Getenv("KURRENTDB_URL")
	if url == "" {
		testenv.Missing(t, "kurrentdb", "KURRENTDB_URL not set: KurrentDB conformance tests need a server, e.g. docker compose up kurrentdb; then KURRENTDB_URL=esdb://localhost:2113?tls=false")
	}
	runConformance(t, url, testConfig())
}

// TestConformanceFakeServer runs the shared suite against the in-memory
// fake (see fakeServer), once as is and once with subscriptions dropped
// every few events, which exercises resubscription.
func TestConformanceFakeServer(t *testing.T) {
	for _, drop := range []int{0, 7} {
		t.Run(fmt.Sprintf("drop%d", drop), func(t *testing.T) {
			f := startFake(t)
			f.set(func(f *fakeServer) { f.dropAfter = drop })
			runConformance(t, f.url(), testConfig())
		})
	}
}

func runConformance(t *testing.T, url string, cfg Config) {
	storetest.RunWith(t, func(t testing.TB) (eventstore.Store, func(testing.TB) eventstore.Store) {
		open := func(t testing.TB) eventstore.Store {
			return openTest(t, url, cfg)
		}
		return open(t), open
	}, storetest.Options{DensePositions: false, MaxEventSize: testMaxEventSize, Guarded: func(t testing.TB, guards map[string]eventstore.Guard) eventstore.Store {
		c := cfg
		c.Guards = guards
		return openTest(t, url, c)
	}})
}

func openTest(t testing.TB, url string, cfg Config) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, url, cfg)
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func ev(t testing.TB, n int) eventstore.EventData { return storetest.Event(t, "test.happened", n) }

// closedPort returns a localhost address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("cannot listen on localhost: %v", err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

func TestOpenUnreachable(t *testing.T) {
	addr := closedPort(t)
	for _, url := range []string{
		"esdb://" + addr + "?tls=false&maxDiscoverAttempts=1",
		"kurrentdb://admin:s3cret@" + addr + "?tls=false&maxDiscoverAttempts=1",
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err := eventstore.Open(ctx, url, eventstore.Config{Logger: quiet})
		cancel()
		if !errors.Is(err, eventstore.ErrUnavailable) {
			t.Fatalf("open %s: %v, want ErrUnavailable", url, err)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("error leaks the password: %v", err)
		}
	}
}

func TestOpenGivesUpWithContext(t *testing.T) {
	addr := closedPort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	// Ten discovery attempts a second apart would take far longer than the
	// context allows.
	_, err := Open(ctx, "esdb://"+addr+"?tls=false&discoveryInterval=1000", testConfig())
	if !errors.Is(err, eventstore.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("open: %v, want ErrUnavailable and DeadlineExceeded", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("open took %v after its context ended", time.Since(start))
	}
}

func TestOpenRejectsBadSettings(t *testing.T) {
	ctx := ctxT(t)
	for _, url := range []string{"nosuch://h:1", "esdb://h:1?append_attempts=x"} {
		if _, err := Open(ctx, url, Config{}); err == nil || errors.Is(err, eventstore.ErrUnavailable) {
			t.Errorf("open %s: %v, want a configuration error", url, err)
		}
	}
	if _, err := Open(ctx, "esdb://h:1?tls=false", Config{ReadBatch: 1}); err == nil {
		t.Error("read batch 1 accepted")
	}
}

// unconnected returns a store whose server does not exist; only calls that
// fail before any I/O may be made on it.
func unconnected(t *testing.T) *Store {
	t.Helper()
	conf, cfg, err := clientConfig("esdb://"+closedPort(t)+"?tls=false&maxDiscoverAttempts=1", testConfig())
	if err != nil {
		t.Fatal(err)
	}
	s, err := newStore("test", conf, cfg.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestNoIOBeforeValidation(t *testing.T) {
	s := unconnected(t)
	ctx := ctxT(t)
	if _, err := s.Append(ctx, "$claimed", eventstore.Any, ev(t, 0)); !errors.Is(err, eventstore.ErrInvalidStream) {
		t.Fatalf("append to a $ stream: %v", err)
	}
	if _, err := s.Append(ctx, "ok", eventstore.Any); !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Fatalf("append of nothing: %v", err)
	}
	if _, err := s.ReadStream(ctx, "", 1, 1); !errors.Is(err, eventstore.ErrInvalidStream) {
		t.Fatalf("read of an empty name: %v", err)
	}
	s.cfg.ClaimStreamPrefix = "ids-"
	if _, err := s.Append(ctx, "ids-123", eventstore.Any, ev(t, 0)); !errors.Is(err, eventstore.ErrInvalidStream) {
		t.Fatalf("append to a claim stream: %v", err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Append(cancelled, "ok", eventstore.Any, ev(t, 0)); !errors.Is(err, context.Canceled) {
		t.Fatalf("append with a cancelled context: %v", err)
	}
	if _, err := s.ReadAll(cancelled, 0, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("read with a cancelled context: %v", err)
	}
	for _, err := range s.Subscribe(cancelled, 0) {
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("subscribe with a cancelled context: %v", err)
		}
		break
	}
	if got, err := s.ReadAll(ctx, 0, 0); err != nil || got != nil {
		t.Fatalf("read all limit 0 = %v, %v", got, err)
	}
}

func TestClosedWithoutServer(t *testing.T) {
	s := unconnected(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	ctx := ctxT(t)
	if _, err := s.Append(ctx, "x", eventstore.Any, ev(t, 0)); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("append: %v", err)
	}
	if _, err := s.ReadStream(ctx, "x", 1, 1); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("read stream: %v", err)
	}
	if _, err := s.Head(ctx); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("head: %v", err)
	}
	for _, err := range s.Subscribe(ctx, 0) {
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Fatalf("subscribe: %v", err)
		}
		break
	}
}

// The tests below run against the fake server.

func TestClaimsStayOutOfTheLog(t *testing.T) {
	f := startFake(t)
	s := openTest(t, f.url(), testConfig())
	ctx := ctxT(t)
	res, err := s.Append(ctx, "proposal-1", eventstore.NoStream, ev(t, 1), ev(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	claims := 0
	for name := range f.streams {
		if strings.HasPrefix(name, DefaultClaimStreamPrefix) {
			claims++
		}
	}
	f.mu.Unlock()
	if claims != 2 {
		t.Fatalf("%d claim streams, want 2", claims)
	}
	all, err := s.ReadAll(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].ID != res.Events[0].ID || all[1].ID != res.Events[1].ID {
		t.Fatalf("log holds %d events: %+v", len(all), all)
	}
	if h, err := s.Head(ctx); err != nil || h != res.Position {
		t.Fatalf("head = %d, %v; want %d", h, err, res.Position)
	}
}

func TestRetryBeyondTheTail(t *testing.T) {
	f := startFake(t)
	cfg := testConfig()
	cfg.RetryWindow = 1
	s := openTest(t, f.url(), cfg)
	ctx := ctxT(t)
	batch := []eventstore.EventData{ev(t, 1), ev(t, 2)}
	first, err := s.Append(ctx, "case-1", eventstore.Any, batch...)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		if _, err := s.Append(ctx, "case-1", eventstore.Any, ev(t, 10+i)); err != nil {
			t.Fatal(err)
		}
	}
	again, err := s.Append(ctx, "case-1", eventstore.Any, batch...)
	if err != nil {
		t.Fatalf("retry far behind the tail: %v", err)
	}
	if again.Version != first.Version || again.Position != first.Position || again.Events[0].Hash != first.Events[0].Hash {
		t.Fatalf("retry answered %d@%d, first answer %d@%d", again.Version, again.Position, first.Version, first.Position)
	}
	// The same retry expecting the version the first append expected: the
	// stream has moved on, but the append is still a retry, not a conflict.
	again, err = s.Append(ctx, "case-1", eventstore.NoStream, batch...)
	if err != nil || again.Position != first.Position {
		t.Fatalf("retry with NoStream far behind the tail: %+v, %v", again, err)
	}
	// Half of the batch again, with another event: a reused ID.
	if _, err := s.Append(ctx, "case-1", eventstore.Any, batch[1], ev(t, 99)); !errors.Is(err, eventstore.ErrDuplicateEvent) {
		t.Fatalf("reused ID far behind the tail: %v", err)
	}
	got, _ := s.ReadStream(ctx, "case-1", 1, 100)
	if len(got) != 8 {
		t.Fatalf("stream has %d events, want 8", len(got))
	}
}

func TestDuplicateReportsWhere(t *testing.T) {
	f := startFake(t)
	s := openTest(t, f.url(), testConfig())
	ctx := ctxT(t)
	e := ev(t, 1)
	if _, err := s.Append(ctx, "a", eventstore.NoStream, ev(t, 0), e); err != nil {
		t.Fatal(err)
	}
	_, err := s.Append(ctx, "b", eventstore.NoStream, e)
	var dup *eventstore.DuplicateEventError
	if !errors.As(err, &dup) || dup.ID != e.ID || dup.Stream != "a" || dup.Version != 2 {
		t.Fatalf("duplicate in another stream: %v (%+v)", err, dup)
	}
	if eventstore.Code(err) != "duplicate_event_id" {
		t.Fatalf("code %q", eventstore.Code(err))
	}
	// The ID decides before the expectation, as in the other stores.
	if _, err := s.Append(ctx, "b", eventstore.Exact(7), e); !errors.As(err, &dup) || dup.Stream != "a" {
		t.Fatalf("duplicate with an unmet expectation: %v", err)
	}
	var ce *eventstore.ConflictError
	if _, err := s.Append(ctx, "b", eventstore.Exact(7), ev(t, 5)); !errors.As(err, &ce) || ce.Actual != 0 {
		t.Fatalf("new event with an unmet expectation: %v", err)
	}
}

func TestConcurrentAny(t *testing.T) {
	f := startFake(t)
	cfg := testConfig()
	cfg.AppendAttempts = 100
	s := openTest(t, f.url(), cfg)
	const writers, per = 8, 10
	var wg sync.WaitGroup
	versions := make(chan uint64, writers*per)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				res, err := s.Append(context.Background(), "hot", eventstore.Any, ev(t, i))
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
				versions <- res.Version
			}
		}()
	}
	wg.Wait()
	close(versions)
	seen := map[uint64]bool{}
	for v := range versions {
		if seen[v] {
			t.Fatalf("version %d acknowledged twice", v)
		}
		seen[v] = true
	}
	got, err := s.ReadStream(ctxT(t), "hot", 1, 1000)
	if err != nil || len(got) != writers*per {
		t.Fatalf("stream has %d events (%v), want %d", len(got), err, writers*per)
	}
	for i, e := range got {
		if err := e.Verify(); err != nil || e.Version != uint64(i+1) {
			t.Fatalf("event %d: version %d, %v", i, e.Version, err)
		}
	}
}

func TestContentionGivesUp(t *testing.T) {
	f := startFake(t)
	cfg := testConfig()
	cfg.AppendAttempts = 3
	cfg.RetryBackoff = time.Millisecond
	s := openTest(t, f.url(), cfg)
	ctx := ctxT(t)
	if _, err := s.Append(ctx, "busy", eventstore.NoStream, ev(t, 0)); err != nil {
		t.Fatal(err)
	}
	// Another writer gets in between every read and write of the store.
	f.set(func(f *fakeServer) { f.interfere = map[string]bool{"busy": true} })
	_, err := s.Append(ctx, "busy", eventstore.Any, ev(t, 1))
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || ce.Actual != 4 || !ce.Expected.IsAny() {
		t.Fatalf("any under endless contention: %v, want a conflict at version 4 after 3 attempts", err)
	}
	_, err = s.Append(ctx, "busy", eventstore.Exact(4), ev(t, 2))
	if !errors.As(err, &ce) || ce.Actual != 5 {
		t.Fatalf("exact under contention: %v, want a conflict at version 5", err)
	}
	_, err = s.Append(ctx, "busy", eventstore.StreamExists, ev(t, 3))
	if !errors.As(err, &ce) {
		t.Fatalf("stream exists under contention: %v, want a conflict", err)
	}
}

func TestForeignEvents(t *testing.T) {
	f := startFake(t)
	s := openTest(t, f.url(), testConfig())
	ctx := ctxT(t)
	start, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "mine", eventstore.NoStream, ev(t, 0)); err != nil {
		t.Fatal(err)
	}
	f.writeForeign("orders-1")
	if _, err := s.ReadAll(ctx, start, 10); !errors.Is(err, ErrForeignEvent) {
		t.Fatalf("read all over a foreign event: %v, want ErrForeignEvent", err)
	}
	if _, err := s.Head(ctx); !errors.Is(err, ErrForeignEvent) {
		t.Fatalf("head on a foreign event: %v, want ErrForeignEvent", err)
	}
	if _, err := s.ReadStream(ctx, "orders-1", 1, 10); !errors.Is(err, ErrForeignEvent) {
		t.Fatalf("read of a foreign stream: %v, want ErrForeignEvent", err)
	}
	for _, err := range s.Subscribe(ctx, start) {
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrForeignEvent) {
			t.Fatalf("subscription over a foreign event: %v", err)
		}
		break
	}

	lenient := openTest(t, f.url()+"&skip_foreign=true", testConfig())
	all, err := lenient.ReadAll(ctx, start, 10)
	if err != nil || len(all) != 1 || all[0].Stream != "mine" {
		t.Fatalf("read all skipping foreign events: %d events, %v", len(all), err)
	}
	h, err := lenient.Head(ctx)
	if err != nil || h != all[0].Position {
		t.Fatalf("head skipping foreign events = %d, %v; want %d", h, err, all[0].Position)
	}
}

func TestVerifyOnRead(t *testing.T) {
	f := startFake(t)
	s := openTest(t, f.url()+"&verify=true", testConfig())
	ctx := ctxT(t)
	if _, err := s.Append(ctx, "v", eventstore.NoStream, ev(t, 0)); err != nil {
		t.Fatal(err)
	}
	f.set(func(f *fakeServer) { f.streams["v"][0].data = []byte(`{"n":666}`) })
	if _, err := s.ReadStream(ctx, "v", 1, 10); !errors.Is(err, eventstore.ErrHashMismatch) {
		t.Fatalf("read of a tampered event: %v, want ErrHashMismatch", err)
	}
	if _, err := s.ReadAll(ctx, 0, 10); !errors.Is(err, eventstore.ErrHashMismatch) {
		t.Fatalf("read all over a tampered event: %v, want ErrHashMismatch", err)
	}
}

func TestOldServerWithoutPositions(t *testing.T) {
	f := startFake(t)
	f.set(func(f *fakeServer) { f.oldServer = true })
	s := openTest(t, f.url(), testConfig())
	if _, err := s.Append(ctxT(t), "x", eventstore.NoStream, ev(t, 0)); !errors.Is(err, errNoPosition) {
		t.Fatalf("append on a server without stream positions: %v", err)
	}
}

func TestAppendSizeLimits(t *testing.T) {
	f := startFake(t)
	cfg := testConfig()
	cfg.MaxAppendSize = 2000
	s := openTest(t, f.url(), cfg)
	ctx := ctxT(t)
	big := ev(t, 0)
	big.Data = []byte(`{"blob":"` + strings.Repeat("x", 3000) + `"}`)
	if _, err := s.Append(ctx, "big", eventstore.NoStream, big); !errors.Is(err, eventstore.ErrEventTooLarge) {
		t.Fatalf("append over MaxAppendSize: %v", err)
	}
	// With the check off, the server's refusal says the same.
	f.set(func(f *fakeServer) { f.maxAppendSize = 2000 })
	cfg.MaxAppendSize = -1
	s2 := openTest(t, f.url(), cfg)
	if _, err := s2.Append(ctx, "big", eventstore.NoStream, big); !errors.Is(err, eventstore.ErrEventTooLarge) {
		t.Fatalf("append the server refuses as too large: %v", err)
	}
	if got, _ := s2.ReadStream(ctx, "big", 1, 1); len(got) != 0 {
		t.Fatal("a refused append stored events")
	}
}

func TestUnavailableThenRetry(t *testing.T) {
	f := startFake(t)
	s := openTest(t, f.url(), testConfig())
	ctx := ctxT(t)
	batch := []eventstore.EventData{ev(t, 1), ev(t, 2)}
	f.set(func(f *fakeServer) { f.failAppends = 1 })
	if _, err := s.Append(ctx, "u", eventstore.NoStream, batch...); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("append while the server is not ready: %v, want ErrUnavailable", err)
	}
	res, err := s.Append(ctx, "u", eventstore.NoStream, batch...)
	if err != nil || res.Version != 2 {
		t.Fatalf("retry: %+v, %v", res, err)
	}
}

func TestServerGone(t *testing.T) {
	f := startFake(t)
	cfg := testConfig()
	cfg.ResubscribeAttempts = 2
	cfg.RetryBackoff = time.Millisecond
	s := openTest(t, f.url(), cfg)
	ctx := ctxT(t)
	if _, err := s.Append(ctx, "g", eventstore.NoStream, ev(t, 0)); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	seen := make(chan struct{}, 1)
	go func() {
		var last error
		for _, err := range s.Subscribe(ctx, 0) {
			if err != nil {
				last = err
				continue
			}
			select {
			case seen <- struct{}{}:
			default:
			}
		}
		errc <- last
	}()
	<-seen
	f.srv.Stop()
	select {
	case err := <-errc:
		if !errors.Is(err, eventstore.ErrUnavailable) {
			t.Fatalf("subscription after the server went away: %v, want ErrUnavailable", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("subscription did not give up")
	}
	if _, err := s.Head(ctx); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("head after the server went away: %v, want ErrUnavailable", err)
	}
	// The client gives up on its connection for good after a failed
	// discovery; the store replaces it, so later calls try again.
	if _, err := s.Head(ctx); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("second head: %v, want ErrUnavailable", err)
	}
}

func TestCloseEndsSubscription(t *testing.T) {
	f := startFake(t)
	s := openTest(t, f.url(), testConfig())
	errc := make(chan error, 1)
	go func() {
		var last error
		for _, err := range s.Subscribe(context.Background(), 0) {
			last = err
		}
		errc <- last
	}()
	time.Sleep(50 * time.Millisecond)
	s.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Fatalf("subscription ended with %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("close did not end the subscription")
	}
}

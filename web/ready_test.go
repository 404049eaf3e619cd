package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/web"
)

// flaky counts events; it fails every event of type "test.poison" while
// failing is set, and blocks on an event of type "test.slow" until release
// is closed.
type flaky struct {
	failing *atomic.Bool
	release chan struct{}
}

func (flaky) Name() string { return "flaky" }
func (flaky) Version() int { return 1 }
func (f flaky) Apply(ctx context.Context, tx projections.Tx, ev eventstore.Event) error {
	switch ev.Type {
	case "test.poison":
		if f.failing.Load() {
			return errors.New("the poison is still poisonous")
		}
	case "test.slow":
		select {
		case <-f.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return projections.Update(ctx, tx, "count", "all", func(n *int) error { *n++; return nil })
}

// TestReadyTellsTheTruth, through real HTTP: /readyz answers 200 once the
// projections have caught up; 503 naming the failure while a projection is
// failed, which restarts itself and is ready again once the cause is gone;
// 503 while a projection is too far behind, then stalled; /healthz answers
// 200 throughout.
func TestReadyTellsTheTruth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	store, err := bbolt.Open(ctx, bbolt.Config{Path: filepath.Join(t.TempDir(), "l.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	appendType := func(typ string, n int) {
		t.Helper()
		for range n {
			ev, _ := eventstore.NewEventData(typ, 1, map[string]int{"n": 1}, eventstore.Metadata{})
			if _, err := store.Append(ctx, "s", eventstore.Any, ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendType("test.happened", 5)

	p := flaky{failing: &atomic.Bool{}, release: make(chan struct{})}
	runner, err := projections.NewRunner(projections.RunnerConfig{
		Store: store, Projections: []projections.Projection{p},
		Logger:       slog.New(slog.DiscardHandler),
		Retry:        projections.RetryConfig{MaxRetries: 1, InitialInterval: 10 * time.Millisecond},
		RestartAfter: 100 * time.Millisecond, RestartAfterMax: 200 * time.Millisecond,
		StalledAfter: 1500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runner.Run(rctx) }()
	defer func() {
		stop()
		<-done
	}()
	h, err := web.New(web.Config{Store: store, StoreKind: "file", ReadSide: runner, ReadyMaxLag: 3, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	get := func(path string) (int, []byte) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b
	}
	ready := func() (int, web.Readiness) {
		t.Helper()
		code, b := get(web.ReadyPath)
		var rd web.Readiness
		if err := json.Unmarshal(b, &rd); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		return code, rd
	}
	// until polls /readyz until ok holds, checking /healthz each time.
	until := func(what string, ok func(int, web.Readiness) bool) web.Readiness {
		t.Helper()
		for {
			code, rd := ready()
			if ok(code, rd) {
				return rd
			}
			if hc, b := get("/healthz"); hc != http.StatusOK {
				t.Fatalf("while waiting for %s: /healthz %d %s", what, hc, b)
			}
			select {
			case <-ctx.Done():
				t.Fatalf("no %s: last %d %+v", what, code, rd)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	problem := func(substr string) func(int, web.Readiness) bool {
		return func(code int, rd web.Readiness) bool {
			return code == http.StatusServiceUnavailable && rd.Status == "not ready" && len(rd.Problems) == 1 && strings.Contains(rd.Problems[0], substr)
		}
	}
	readyAt := func(head uint64) func(int, web.Readiness) bool {
		return func(code int, rd web.Readiness) bool {
			return code == http.StatusOK && rd.Status == "ready" && rd.Head == head && len(rd.Jobs) == 1 &&
				rd.Jobs[0].Checkpoint == eventstore.Position(head) && rd.Jobs[0].State == projections.StateRunning && len(rd.Problems) == 0
		}
	}

	until("ready after catching up", readyAt(5))

	// A failed projection: not ready, says why; it restarts itself, with
	// longer pauses, and is ready again once the cause is gone.
	p.failing.Store(true)
	appendType("test.poison", 1)
	rd := until("the failure", problem("flaky failed at position 6: "))
	if !strings.Contains(rd.Problems[0], "the poison is still poisonous") || !strings.Contains(rd.Problems[0], "restarting itself at") {
		t.Errorf("problem: %q", rd.Problems[0])
	}
	until("a second restart", func(code int, rd web.Readiness) bool {
		return code == http.StatusServiceUnavailable && len(rd.Jobs) == 1 && rd.Jobs[0].Restarts >= 2
	})
	p.failing.Store(false)
	rd = until("ready after the restart", readyAt(6))
	if rd.Jobs[0].Restarts != 0 || rd.Jobs[0].NextRestart != nil || rd.Jobs[0].Error != "" {
		t.Errorf("recovered job: %+v", rd.Jobs[0])
	}

	// Too far behind, then stalled; ready once it moves again.
	appendType("test.slow", 1)
	appendType("test.happened", 4)
	until("too far behind", problem("flaky is 5 events behind the log (more than 3)"))
	until("stalled", problem("flaky stalled: checkpoint 6 has not moved since"))
	close(p.release)
	until("ready after the stall", readyAt(11))

	// Without a store, nothing is ready.
	store.Close()
	code, rd := ready()
	if code != http.StatusServiceUnavailable || !strings.Contains(fmt.Sprint(rd.Problems), "event store: store_closed") {
		t.Errorf("closed store: %d %+v", code, rd)
	}
}

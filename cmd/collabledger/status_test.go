package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/web"
)

// startServe runs `collabledger serve` on a fresh embedded store and returns
// its base URL; the server stops when the test ends.
func startServe(t *testing.T, store string, extra ...string) string {
	t.Helper()
	base, stop := serveStoppable(t, store, extra...)
	t.Cleanup(stop)
	return base
}

// serveStoppable runs `collabledger serve` and returns its base URL and
// what stops it (once).
func serveStoppable(t *testing.T, store string, extra ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--store", store}, extra...), pw, io.Discard)
		pw.Close()
	}()
	stop := sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			var buf strings.Builder
			pprof.Lookup("goroutine").WriteTo(&buf, 1)
			t.Errorf("serve did not stop:\n%s", buf.String())
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		stop()
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	return regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line), stop
}

// TestStatusAndRebuild: the server runs every read model; status shows
// them caught up with the log; a staff token rebuilds one beside the
// running one, and it switches.
func TestStatusAndRebuild(t *testing.T) {
	store := "file:" + filepath.Join(t.TempDir(), "ledger.db")
	staff, _, err := runCapture(t, "tokens", "create", "--store", store, "--role", "pdis", "--actor", "staff-1")
	if err != nil {
		t.Fatal(err)
	}
	po, _, err := runCapture(t, "tokens", "create", "--store", store, "--role", "auditor", "--actor", "auditor-1")
	if err != nil {
		t.Fatal(err)
	}
	staff, po = strings.TrimSpace(staff), strings.TrimSpace(po)
	base := startServe(t, store, "--checkpoint-interval", "100ms")

	var out string
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _, err = runCapture(t, "status", "--server", base)
		if err != nil && !strings.Contains(err.Error(), "not ready") { // status fails while /readyz would
			t.Fatal(err)
		}
		// Two token events in the log: every projection at position 2, lag 0.
		if strings.Count(out, "running") >= len(projectionNames()) && !regexp.MustCompile(`running\s+[01]\s`).MatchString(out) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("projections did not catch up:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, name := range projectionNames() {
		// (3 once the first checkpoint, every 100 ms, is in the log)
		if !regexp.MustCompile(name + `\s+running\s+[23]\s+0\s`).MatchString(out) {
			t.Fatalf("status does not show %s at position 2 or 3 with no lag:\n%s", name, out)
		}
	}

	if _, _, err := runCapture(t, "rebuild", "--server", base, "--token", po, "tallies"); err == nil || !strings.Contains(err.Error(), "403 forbidden") {
		t.Fatalf("a PO rebuilding: %v", err)
	}
	if _, _, err := runCapture(t, "rebuild", "--server", base, "--token", staff, "nosuch"); err == nil || !strings.Contains(err.Error(), "404 not_found") {
		t.Fatalf("rebuilding an unknown projection: %v", err)
	}
	out, _, err = runCapture(t, "rebuild", "--server", base, "--token", staff, "tallies")
	if err != nil || !strings.Contains(out, "switched to generation 2") {
		t.Fatalf("rebuild: %v\n%s", err, out)
	}
	// The server signs checkpoints with a key it made beside the store, and
	// proves inclusion against them.
	deadline = time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/api/v1/proofs/inclusion?position=1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no inclusion proof for position 1 after 10 s: %d", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
	pub := filepath.Join(filepath.Dir(strings.TrimPrefix(store, "file:")), "ledger-checkpoint.pub")
	if out, _, err := runCapture(t, "verify", "--server", base, "--key", pub, "--position", "1"); err != nil {
		t.Fatalf("verify against the server: %v\n%s", err, out)
	}
	// The report to the Premier is served too.
	rep, err := http.Get(base + "/reports?from=2026-01-01&to=2026-12-31&format=json")
	if err != nil {
		t.Fatal(err)
	}
	rep.Body.Close()
	if rep.StatusCode != 200 || !strings.HasPrefix(rep.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("/reports: %d %s", rep.StatusCode, rep.Header.Get("Content-Type"))
	}
	resp, err := http.Get(base + "/api/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status endpoint: %d", resp.StatusCode)
	}
}

// TestPrintStatusNotes: a failed projection shows when it restarts itself,
// a stalled one since when it has not moved.
func TestPrintStatusNotes(t *testing.T) {
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	var b strings.Builder
	printStatus(&b, web.StatusReport{Head: 20, Projections: []projections.Status{
		{Projection: "trail", State: projections.StateFailed, Checkpoint: 9, Lag: 11, Error: "boom", ErrorPosition: 10, Restarts: 3, NextRestart: &at},
		{Projection: "tallies", State: projections.StateRunning, Checkpoint: 5, Lag: 15, Stalled: true, LastMoved: at},
	}})
	out := b.String()
	for _, want := range []string{
		"failed at position 10: boom; restarting itself at 2026-12-06T12:00:00Z (3 failures in a row)",
		"stalled: no progress since 2026-12-06T12:00:00Z",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

// TestServeReady: the server answers GET /readyz, ready once every read
// model has caught up with the log, listing each of them.
func TestServeReady(t *testing.T) {
	base := startServe(t, "file:"+filepath.Join(t.TempDir(), "ledger.db"))
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + web.ReadyPath)
		if err != nil {
			t.Fatal(err)
		}
		var rd web.Readiness
		err = json.NewDecoder(resp.Body).Decode(&rd)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == http.StatusOK {
			if rd.Status != "ready" || len(rd.Jobs) != len(projectionList()) {
				t.Fatalf("ready: %+v", rd)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 30 s: %d %+v", resp.StatusCode, rd)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStatusCalendarWarning (#14 item 6): from 1 October, status says when
// next year's office calendar is not loaded (on stderr), and not once
// --calendar loads it.
func TestStatusCalendarWarning(t *testing.T) {
	store := "file:" + filepath.Join(t.TempDir(), "ledger.db")
	_, stderr, err := runCapture(t, "status", "--store", store)
	if err != nil {
		t.Fatal(err)
	}
	want := web.CalendarWarning(calendar.Taiwan(), time.Now())
	if (want != "") != strings.Contains(stderr, "warning: calendar:") {
		t.Fatalf("status stderr %q, want the warning %q", stderr, want)
	}
	if want == "" {
		return
	}
	// Next year loaded (a year of the official shape, weekends only).
	next := time.Now().In(calendar.Taipei).Year() + 1
	var b strings.Builder
	b.WriteString("[")
	for d := calendar.NewDate(next, time.January, 1); d.Year() == next; d = d.AddDays(1) {
		if b.Len() > 1 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"date":%q,"week":"","isHoliday":%t,"description":""}`, d.String(), d.IsWeekend())
	}
	b.WriteString("]")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d.json", next)), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err = runCapture(t, "status", "--store", store, "--calendar", dir); err != nil || strings.Contains(stderr, "warning: calendar:") {
		t.Fatalf("with %d loaded: %q %v", next, stderr, err)
	}
}

package web_test

import (
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPagesCost measures the pages of the load test's case of 100,000
// events one request at a time: wall time (p50) and the process's CPU time
// per request (server and client, from getrusage), which a busy shared
// machine disturbs less than latencies under load; and the case page as of
// an earlier position (the first request folds the case's streams up to
// it; the next take the fold from the cache). Opt-in:
//
//	COLLABLEDGER_PAGES_LOAD=1 go test ./web -run TestPagesCost -count=1 -v
//
// (COLLABLEDGER_PAGES_READ_MODELS=postgres: read models in PostgreSQL.)
func TestPagesCost(t *testing.T) {
	if os.Getenv("COLLABLEDGER_PAGES_LOAD") != "1" {
		t.Skip("set COLLABLEDGER_PAGES_LOAD=1 to run")
	}
	tl := newLoadLedger(t)
	pe := newPagesEnvOn(t, loadReadModels(t), tl.tweak)
	pe.bigCase("90", 20, 1000, 4)
	pe.caughtUp()
	tl.checkpoint(t)
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	const n = 200
	for _, path := range []string{"/cases/90", "/meetings/90-m0", "/meetings/90-m0?page=5", "/api/v1/cases/90/trail?limit=100", "/cases/90?asof=60000"} {
		get := func() {
			resp, err := http.Get(pe.srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatal(resp.Status)
			}
		}
		n := n
		if strings.Contains(path, "asof=") {
			// The first request folds the case as of that point; the
			// fold is kept for the next (a position cannot change).
			c0, s := cpu(), time.Now()
			get()
			t.Logf("%-36s first: %6.2f ms, CPU %6.2f ms (the fold)", path, float64(time.Since(s))/1e6, float64(cpu()-c0)/1e6)
			n = 50
		}
		for range 10 {
			get()
		}
		walls := make([]time.Duration, n)
		c0 := cpu()
		for i := range walls {
			s := time.Now()
			get()
			walls[i] = time.Since(s)
		}
		c := (cpu() - c0) / time.Duration(n)
		sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
		t.Logf("%-36s p50 %6.2f ms  p90 %6.2f ms  CPU %6.2f ms/request", path,
			float64(walls[n/2])/1e6, float64(walls[n*9/10])/1e6, float64(c)/1e6)
	}
}

// Package testenv decides, in one place, what a test does when an outside
// service or the shared data it needs is missing: skip with a plain reason
// (recorded for `make test` to print), or fail when the environment says the
// service is required (as CI does).
//
//	url := testenv.Require(t, "postgres", reachable, "PostgreSQL at "+url+" is not reachable: "+err.Error())
//
// COLLABLEDGER_REQUIRE_<SERVICE>=1 (POSTGRES, NATS, SHARED, CHROMIUM,
// KURRENTDB, WITNESS) turns the skip into a failure. COLLABLEDGER_SKIP_LOG names a
// file to which every skip appends one line.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var logMu sync.Mutex

// Required reports whether the environment requires service (its
// COLLABLEDGER_REQUIRE_<SERVICE> is "1" or "true").
func Required(service string) bool {
	v := os.Getenv("COLLABLEDGER_REQUIRE_" + strings.ToUpper(service))
	return v == "1" || strings.EqualFold(v, "true")
}

// Missing ends the test because service is unavailable: a failure when the
// service is required, otherwise a skip whose reason is also appended to
// $COLLABLEDGER_SKIP_LOG.
func Missing(tb testing.TB, service, reason string) {
	tb.Helper()
	if Required(service) {
		tb.Fatalf("%s is required (COLLABLEDGER_REQUIRE_%s is set) but unavailable: %s", service, strings.ToUpper(service), reason)
	}
	if path := os.Getenv("COLLABLEDGER_SKIP_LOG"); path != "" {
		logMu.Lock()
		if f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			oneLine := strings.Join(strings.Fields(reason), " ")
			fmt.Fprintf(f, "%s\t%s\t%s\n", service, tb.Name(), oneLine)
			f.Close()
		}
		logMu.Unlock()
	}
	tb.Skipf("skipped: %s unavailable: %s", service, reason)
}

// RepoRoot returns the repository's root folder (where go.mod is).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// SharedDir returns the shared folder beside the repository (../shared,
// or $COLLABLEDGER_SHARED), which holds the seeds and the real archives
// that tests read in place. It skips, or fails when required, if absent.
func SharedDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("COLLABLEDGER_SHARED")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), "..", "shared")
	}
	if st, err := os.Stat(filepath.Join(dir, "DESIGN.md")); err != nil || st.IsDir() {
		Missing(tb, "shared", fmt.Sprintf("the shared data folder %s is absent (set COLLABLEDGER_SHARED to its path)", dir))
	}
	return dir
}

// RunWithoutRace runs test name of the package in the current folder in a
// child `go test` built without the race detector, and fails tb if it fails.
// Tests over the whole shared archive are CPU-heavy: under the race detector
// they would take minutes, so a race build checks a sample in process (which
// still exercises the concurrency) and the whole archive in the child. It
// reports false if there is no go command to run one.
func RunWithoutRace(tb testing.TB, name string) bool {
	tb.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		return false
	}
	start := time.Now()
	cmd := exec.Command(goBin, "test", "-count=1", "-timeout=10m", "-run", "^"+name+"$", ".")
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GOFLAGS=") {
			kv = strings.ReplaceAll(kv, "-race", "")
		}
		env = append(env, kv)
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Errorf("%s on the whole archive, without the race detector, failed: %v\n%s", name, err, out)
		return true
	}
	tb.Logf("%s on the whole archive, without the race detector: %s in %s", name, strings.TrimSpace(string(out)), time.Since(start).Round(time.Second))
	return true
}

// CPUTime is the process's user and system CPU time so far: on a busy
// machine it says what an operation costs better than the wall clock.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

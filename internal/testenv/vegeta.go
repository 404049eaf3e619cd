package testenv

import (
	"encoding/json"
	"fmt"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Vegeta returns the vegeta load generator (on PATH or in GOPATH/bin), and
// skips tb when there is none: the load tests that use it are opt-in.
func Vegeta(tb testing.TB) string {
	tb.Helper()
	if p, err := exec.LookPath("vegeta"); err == nil {
		return p
	}
	p := filepath.Join(build.Default.GOPATH, "bin", "vegeta")
	if _, err := os.Stat(p); err != nil {
		tb.Skip("no vegeta (go install github.com/tsenart/vegeta/v12@latest)")
	}
	return p
}

// Load is what vegeta reports of one attack.
type Load struct {
	Latencies map[string]int64 `json:"latencies"`
	Requests  int              `json:"requests"`
	Success   float64          `json:"success"`
	Errors    []string         `json:"errors"`
}

// Ms returns a latency percentile ("50th", "99th", "max") in milliseconds.
func (l Load) Ms(k string) float64 { return float64(l.Latencies[k]) / 1e6 }

// Attack sends GET url at rate requests per second for d, open loop, with
// vegeta (wrap may pin it to a CPU; nil runs it as is). Bodies are not kept
// and results go to a file, so that neither the generator nor the test
// process spends its memory holding the pages.
func Attack(tb testing.TB, vegeta string, rate int, d time.Duration, url string, wrap func(*exec.Cmd) *exec.Cmd) Load {
	tb.Helper()
	if wrap == nil {
		wrap = func(c *exec.Cmd) *exec.Cmd { return c }
	}
	results := filepath.Join(tb.TempDir(), "results.bin")
	attack := exec.Command(vegeta, "attack", "-rate", fmt.Sprintf("%d/s", rate), "-duration", d.String(), "-keepalive=true",
		"-max-body", "0", "-output", results)
	attack.Stdin = strings.NewReader("GET " + url + "\n")
	if out, err := wrap(attack).CombinedOutput(); err != nil {
		tb.Fatalf("vegeta attack %s: %v\n%s", url, err, out)
	}
	out, err := exec.Command(vegeta, "report", "-type=json", results).Output()
	if err != nil {
		tb.Fatalf("vegeta report %s: %v", url, err)
	}
	var l Load
	if err := json.Unmarshal(out, &l); err != nil {
		tb.Fatalf("vegeta report %s: %v\n%s", url, err, out)
	}
	return l
}

// PinCPUs returns how to run the load generator on a CPU of its own (the
// last), when taskset is at hand and the machine has two CPUs or more, and
// a description of the placement. With server, the server (this process:
// the load tests serve in-process) is also confined to CPU 0, away from the
// generator's, until tb ends; otherwise it has every CPU, as a server
// would.
func PinCPUs(tb testing.TB, server bool) (string, func(*exec.Cmd) *exec.Cmd) {
	tb.Helper()
	taskset, err := exec.LookPath("taskset")
	n := runtime.NumCPU()
	if err != nil || n < 2 {
		return "server and generator share the CPUs", func(c *exec.Cmd) *exec.Cmd { return c }
	}
	last := strconv.Itoa(n - 1)
	where := "generator on CPU " + last + ", server on any"
	if server {
		pid := strconv.Itoa(os.Getpid())
		if out, err := exec.Command(taskset, "-a", "-p", "-c", "0", pid).CombinedOutput(); err != nil {
			tb.Fatalf("taskset: %v\n%s", err, out)
		}
		tb.Cleanup(func() {
			_ = exec.Command(taskset, "-a", "-p", "-c", "0-"+last, pid).Run()
		})
		where = "server on CPU 0, generator on CPU " + last
	}
	return where, func(c *exec.Cmd) *exec.Cmd {
		p := exec.Command(taskset, append([]string{"-c", last}, c.Args...)...)
		p.Stdin = c.Stdin
		return p
	}
}

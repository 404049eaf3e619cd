package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/internal/testenv"
	"github.com/pdis/collab-ledger/transparency"
)

// TestWitnessedServerAndMonitor runs the real witness (litewitness,
// torchwood v0.6.1) beside two servers holding the same checkpoint key: the
// ledger, whose checkpoints the witness cosigns (verify --server --policy
// passes), and a fork with another history, which the witness refuses
// (verify --policy names the missing cosignature) and the monitor, having
// seen the ledger, flags as an equivocation with both signed notes.
func TestWitnessedServerAndMonitor(t *testing.T) {
	lw := testenv.StartLitewitness(t, "witness.test/w1")
	priv, pub := keygen(t)
	vkey, err := os.ReadFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	origin := transparency.KeyName(string(vkey))
	lw.AddLog(t, origin, strings.TrimSpace(string(vkey)))
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.txt")
	if err := os.WriteFile(policy, fmt.Appendf(nil, "# the ledger and its witness\nlog %s\nwitness w1 %s %s\nquorum w1\n", strings.TrimSpace(string(vkey)), lw.VKey, lw.URL), 0o644); err != nil {
		t.Fatal(err)
	}
	serveWith := func(name string, tokens int) string {
		store := "file:" + filepath.Join(dir, name+".db")
		for i := range tokens {
			if _, _, err := runCapture(t, "tokens", "create", "--store", store, "--role", "pdis", "--actor", fmt.Sprintf("staff-%s-%d", name, i)); err != nil {
				t.Fatal(err)
			}
		}
		return startServe(t, store, "--checkpoint-key", priv, "--witness-policy", policy, "--checkpoint-interval", "100ms")
	}
	waitFor := func(what string, ok func() (bool, string)) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			done, last := ok()
			if done {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not after 15 s: %s\nwitness log:\n%s", what, last, lw.Log())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	ledger := serveWith("ledger", 1)
	waitFor("the ledger's checkpoint cosigned", func() (bool, string) {
		out, _, err := runCapture(t, "verify", "--server", ledger, "--policy", policy)
		return err == nil && strings.Contains(out, "cosigned by witness.test/w1"), fmt.Sprint(out, err)
	})
	resp, err := http.Get(ledger + "/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /checkpoint: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	state := filepath.Join(dir, "monitor", "state.json")
	if out, errOut, err := runCapture(t, "monitor", "--server", ledger, "--policy", policy, "--state", state, "--once"); err != nil || !strings.Contains(out, "checkpoint consistent") {
		t.Fatalf("monitor on the ledger: %v\n%s%s", err, out, errOut)
	}

	// The fork: same key and origin, another (longer) history.
	fork := serveWith("fork", 3)
	waitFor("the fork's checkpoint published", func() (bool, string) {
		resp, err := http.Get(fork + "/checkpoint")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == 200, resp.Status
	})
	_, _, err = runCapture(t, "verify", "--server", fork, "--policy", policy)
	if !errors.Is(err, transparency.ErrNotWitnessed) || !strings.Contains(err.Error(), "witness w1: no cosignature") || exitCode(err) != 1 {
		t.Fatalf("verify the fork with the policy: %v", err)
	}
	_, errOut, err := runCapture(t, "monitor", "--server", fork, "--policy", policy, "--state", state, "--once")
	if !errors.Is(err, transparency.ErrEquivocation) || exitCode(err) != 1 || !strings.Contains(errOut, "evidence:") || strings.Count(errOut, "— "+origin) < 2 {
		t.Fatalf("monitor on the fork: %v\n%s", err, errOut)
	}
	if ev, _ := filepath.Glob(filepath.Join(dir, "monitor", "state-evidence-*.txt")); len(ev) != 1 {
		t.Fatalf("evidence files: %v", ev)
	}
	// The monitor kept the ledger's history, not the fork's: the ledger is
	// still consistent with what it saw.
	if out, errOut, err := runCapture(t, "monitor", "--server", ledger, "--policy", policy, "--state", state, "--once"); err != nil {
		t.Fatalf("monitor on the ledger after the fork: %v\n%s%s", err, out, errOut)
	}
}

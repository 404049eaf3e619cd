package main

import (
	"encoding/json"
	"go/build"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/internal/testenv"
)

// TestPublicPagesUnderLoad measures what the public reads most — the home
// page, the lists and search — with the real PDIS archive and the whole Join
// dataset imported (`import akn --process pdis`, then `import join`), served
// by `collabledger serve` as in production (every read model and the search
// index caught up), under a fixed 200 requests/s from vegeta, open loop,
// 10 s a page. It fails when a page's p99 is 50 ms or more, or a request
// fails. Opt-in, as the imports take minutes and the figures need a quiet
// machine:
//
//	COLLABLEDGER_PUBLIC_LOAD=1 go test ./cmd/collabledger -run TestPublicPagesUnderLoad -count=1 -v -timeout 60m
func TestPublicPagesUnderLoad(t *testing.T) {
	if os.Getenv("COLLABLEDGER_PUBLIC_LOAD") != "1" {
		t.Skip("set COLLABLEDGER_PUBLIC_LOAD=1 to run the public pages' load test")
	}
	vegeta, err := exec.LookPath("vegeta")
	if err != nil {
		vegeta = filepath.Join(build.Default.GOPATH, "bin", "vegeta")
		if _, err := os.Stat(vegeta); err != nil {
			t.Skip("no vegeta (go install github.com/tsenart/vegeta/v12@latest)")
		}
	}
	shared := testenv.SharedDir(t)
	dir := t.TempDir()
	store := "file:" + filepath.Join(dir, "ledger.db")
	secretFile := filepath.Join(dir, "pseudonym.key")
	if err := os.WriteFile(secretFile, []byte(strings.Repeat("5a", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if out, err := runOut("import", "akn", "--store", store, "--process", "pdis", "--quiet", filepath.Join(shared, "data", "pdis-archive")); err != nil {
		t.Fatalf("import the archive: %v\n%s", err, out)
	}
	t.Logf("archive imported in %s", time.Since(start).Round(time.Second))
	start = time.Now()
	if out, err := runOut("import", "join", "--store", store, "--secret-file", secretFile, "--quiet", filepath.Join(shared, "data", "join-archive")); err != nil {
		t.Fatalf("import Join: %v\n%s", err, out)
	}
	t.Logf("Join imported in %s", time.Since(start).Round(time.Second))

	start = time.Now()
	base := startServe(t, store, "--secret-file", secretFile)
	get := func(path string) (int, string) {
		res, err := http.Get(base + path)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	// Ready: every read model caught up, and the search index too.
	for deadline := time.Now().Add(30 * time.Minute); ; time.Sleep(2 * time.Second) {
		code, _ := get("/readyz")
		_, found := get("/search?q=" + url.QueryEscape("神豬"))
		if code == 200 && strings.Contains(found, "開放政府第58次議題協作會議") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not caught up in 30 minutes: /readyz %d", code)
		}
	}
	t.Logf("served and caught up in %s", time.Since(start).Round(time.Second))

	for _, path := range []string{"/", "/proposals", "/proposals?sort=signatures", "/meetings", "/cases", "/monthly", "/ministries",
		"/search?q=" + url.QueryEscape("神豬"), "/search?q=" + url.QueryEscape("健保"), "/search?q=open+government"} {
		code, body := get(path)
		if code != 200 {
			t.Fatalf("%s: %d %.300s", path, code, body)
		}
		results := filepath.Join(t.TempDir(), "results.bin")
		attack := exec.Command(vegeta, "attack", "-rate", "200/s", "-duration", "10s", "-keepalive=true", "-max-body", "0", "-output", results)
		attack.Stdin = strings.NewReader("GET " + base + path + "\n")
		if out, err := attack.CombinedOutput(); err != nil {
			t.Fatalf("vegeta attack %s: %v\n%s", path, err, out)
		}
		out, err := exec.Command(vegeta, "report", "-type=json", results).Output()
		if err != nil {
			t.Fatalf("vegeta report %s: %v", path, err)
		}
		var rep struct {
			Latencies map[string]int64 `json:"latencies"`
			Requests  int              `json:"requests"`
			Success   float64          `json:"success"`
			Errors    []string         `json:"errors"`
		}
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatalf("vegeta report %s: %v\n%s", path, err, out)
		}
		ms := func(k string) float64 { return float64(rep.Latencies[k]) / 1e6 }
		t.Logf("%-32s 200 req/s: p50 %6.2f ms  p99 %6.2f ms  max %7.2f ms  (%d requests, %.0f kB each)",
			path, ms("50th"), ms("99th"), ms("max"), rep.Requests, float64(len(body))/1024)
		if rep.Success != 1 {
			t.Errorf("%s: %.2f%% of requests succeeded: %v", path, 100*rep.Success, rep.Errors)
		}
		if ms("99th") >= 50 {
			t.Errorf("%s: p99 %.2f ms at 200 req/s, target < 50 ms", path, ms("99th"))
		}
	}
}

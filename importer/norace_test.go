package importer_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// runWithoutRace runs test name of this package in a child `go test`
// built without the race detector, and fails t if it fails. The whole
// archive is CPU-heavy (parsing 124 MB of XML, 311,000 events): under the
// race detector it would take minutes, so a race build checks a sample of
// it in process (which still exercises the concurrency) and the whole of it
// in the child. It reports false if there is no go command to run.
func runWithoutRace(t *testing.T, name string) bool {
	t.Helper()
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
		t.Errorf("%s on the whole archive, without the race detector, failed: %v\n%s", name, err, out)
		return true
	}
	t.Logf("%s on the whole archive, without the race detector: %s in %s", name, strings.TrimSpace(string(out)), time.Since(start).Round(time.Second))
	return true
}

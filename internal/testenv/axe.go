package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// AxeVersion is the axe-core release the accessibility tests run (from
// npm; .ci/run installs it).
const AxeVersion = "4.10.3"

// AxeScript returns axe-core's axe.min.js, to inject into pages under test:
// from $COLLABLEDGER_AXE (the file, or the folder npm installed into),
// else ~/.cache/collab-ledger/axe, where .ci/run installs it with
// `npm install --prefix ~/.cache/collab-ledger/axe axe-core@4.10.3`. A
// missing axe-core is a skip, or a failure with COLLABLEDGER_REQUIRE_AXE=1.
func AxeScript(tb testing.TB) string {
	tb.Helper()
	var candidates []string
	if p := os.Getenv("COLLABLEDGER_AXE"); p != "" {
		candidates = append(candidates, p, filepath.Join(p, "node_modules", "axe-core", "axe.min.js"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, ".cache", "collab-ledger", "axe", "node_modules", "axe-core", "axe.min.js"))
	}
	for _, p := range candidates {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				tb.Fatal(err)
			}
			return string(b)
		}
	}
	Missing(tb, "axe", "no axe-core (npm install --prefix ~/.cache/collab-ledger/axe axe-core@"+AxeVersion+")")
	return ""
}

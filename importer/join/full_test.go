package join_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/importer/join"
)

// TestImportWholeDataset imports the whole Join dataset (minutes on this
// machine: set COLLABLEDGER_JOIN_FULL=1) and accounts for every row of
// stats.json: recorded, refused by the rules, or in a proposal without
// metadata; then imports it again and records nothing, skipping the rows
// recorded as made after the close instead of refusing them again.
func TestImportWholeDataset(t *testing.T) {
	if os.Getenv("COLLABLEDGER_JOIN_FULL") != "1" {
		t.Skip("the whole dataset takes minutes: set COLLABLEDGER_JOIN_FULL=1")
	}
	dir := realDir(t)
	raw, err := os.ReadFile(filepath.Join(dir, "stats.json"))
	if err != nil {
		t.Fatal(err)
	}
	var stats struct {
		Published struct {
			Proposals       int `json:"proposals"`
			SignaturesTotal int `json:"signatures_total"`
		} `json:"published"`
	}
	if err := json.Unmarshal(raw, &stats); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	ctx := context.Background()
	withoutMetadata := 0
	sum, err := e.im.ImportDir(ctx, dir, join.DirOptions{}, func(o join.Outcome) {
		for _, w := range o.Warnings {
			if strings.HasPrefix(w, "no title") {
				var n int
				if _, err := fmt.Sscanf(w, "no title or publication in the archive: its %d signatures", &n); err == nil {
					withoutMetadata += n
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", sum)
	refused := 0
	for _, n := range sum.RefusedByRule {
		refused += n
	}
	if sum.Proposals != stats.Published.Proposals || sum.Refused != 0 || sum.Signatures+refused+withoutMetadata != stats.Published.SignaturesTotal {
		t.Fatalf("%d proposals, %d refused; %d signatures + %d refused rows + %d rows without metadata, want %d proposals and %d rows",
			sum.Proposals, sum.Refused, sum.Signatures, refused, withoutMetadata, stats.Published.Proposals, stats.Published.SignaturesTotal)
	}
	again, err := e.im.ImportDir(ctx, dir, join.DirOptions{}, nil)
	if err != nil || again.Events != 0 {
		t.Fatalf("again: %v\n%s", err, again)
	}
	t.Logf("again: %s", again)
	// The rows after the close were recorded as late once, and are not
	// decided again (decision 0056).
	if late := sum.RefusedByRule["proposal.sign.window_closed"]; sum.Late != late || again.LatePresent != late || again.RefusedByRule["proposal.sign.window_closed"] != 0 {
		t.Fatalf("%d rows refused after the close, %d recorded as late; again %d skipped as late, %d refused", late, sum.Late, again.LatePresent, again.RefusedByRule["proposal.sign.window_closed"])
	}
}

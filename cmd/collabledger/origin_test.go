package main

import (
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/transparency"
)

// TestOriginPerDeployment: two embedded stores in one folder get their own
// checkpoint keys, and each log its own origin, derived from the deployment's
// name and the key; --origin overrides it; a key made before (named
// collab-ledger.pdis.tw/log) keeps its log's origin.
func TestOriginPerDeployment(t *testing.T) {
	dir := t.TempDir()
	load := func(storeFile string, args ...string) checkpointKey {
		t.Helper()
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		f := addTransparencyFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		k, err := loadCheckpointKey(f, "file:"+filepath.Join(dir, storeFile))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	a := load("ledger.db", "--deployment", "ledger.moda.gov.tw")
	b := load("rehearsal.db", "--deployment", "ledger.moda.gov.tw")
	if !strings.HasPrefix(a.origin, "ledger.moda.gov.tw/") || !strings.HasPrefix(b.origin, "ledger.moda.gov.tw/") || a.origin == b.origin {
		t.Fatalf("origins %q and %q: want two, each the deployment's name and its key's", a.origin, b.origin)
	}
	if a.signer.Name() != a.origin || b.signer.Name() != b.origin {
		t.Fatalf("key names %q, %q are not the origins", a.signer.Name(), b.signer.Name())
	}
	for _, f := range []string{"ledger-checkpoint.pub", "rehearsal-checkpoint.pub"} {
		if _, err := transparency.ReadVerifierFiles(filepath.Join(dir, f)); err != nil {
			t.Fatalf("each store's public key beside it: %v", err)
		}
	}
	if again := load("ledger.db"); again.origin != a.origin {
		t.Fatalf("the store's key was not kept: origin %q then %q", a.origin, again.origin)
	}
	if o := load("ledger.db", "--origin", "example.test/elsewhere").origin; o != "example.test/elsewhere" {
		t.Fatalf("--origin: %q", o)
	}
	// A key made before origins were per deployment keeps its name.
	legacy := filepath.Join(t.TempDir(), "old.key")
	if err := run(t.Context(), []string{"keygen", "--out", filepath.Dir(legacy), "--name", transparency.DefaultOrigin}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if o := load("ledger.db", "--checkpoint-key", filepath.Join(filepath.Dir(legacy), signerKeyFile)).origin; o != transparency.DefaultOrigin {
		t.Fatalf("legacy key: origin %q", o)
	}
}

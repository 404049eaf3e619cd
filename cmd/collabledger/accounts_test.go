package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/accounts"
)

// TestAccountsLink: the first staff identity is listed on the store, under
// its keyed hash only.
func TestAccountsLink(t *testing.T) {
	dir := t.TempDir()
	storeURL := "file:" + filepath.Join(dir, "ledger.db")
	if err := os.WriteFile(filepath.Join(dir, secretFileName), []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	args := []string{"accounts", "link", "--store", storeURL, "--issuer", "https://id.example", "--subject", "person-1", "--role", "pdis", "--actor", "pdis-1"}
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	store, err := openStore(context.Background(), storeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	secret, err := readSecret(filepath.Join(dir, secretFileName))
	if err != nil {
		t.Fatal(err)
	}
	e, ok, err := accounts.NewService(store, nil).Lookup(context.Background(), accounts.IdentityKey(secret, "https://id.example", "person-1"))
	if err != nil || !ok || e.Actor.ID != "pdis-1" {
		t.Fatalf("listed: %v %v %v", e, ok, err)
	}
	evs, _ := store.ReadStream(context.Background(), accounts.Stream, 1, 10)
	for _, ev := range evs {
		if strings.Contains(string(ev.Data), "person-1") || strings.Contains(string(ev.Data), "id.example") {
			t.Errorf("the log holds the identity: %s", ev.Data)
		}
	}
}

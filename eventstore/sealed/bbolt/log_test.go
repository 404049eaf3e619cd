package bbolt

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pdis/collab-ledger/eventstore"
	_ "github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/eventstore/sealed"
	"github.com/pdis/collab-ledger/eventstore/storetest"
)

// TestLogConformance: a sealed log over the embedded store, sealing the
// "note" of the suite's events, behaves as an event store (retries are
// idempotent because a retry reuses the salts it kept).
func TestLogConformance(t *testing.T) {
	private := func(typ string) []string {
		if typ == "test.happened" {
			return []string{"note"}
		}
		return nil
	}
	open := func(t testing.TB, dir string) eventstore.Store {
		inner, err := eventstore.Open(context.Background(), "file:"+filepath.Join(dir, "ledger.db"), eventstore.Config{})
		if err != nil {
			t.Fatal(err)
		}
		secrets, err := Open(filepath.Join(dir, "ledger.db.secrets"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { secrets.Close() })
		return sealed.NewLog(inner, secrets, sealed.Policy{Fields: private, Actor: func(role string) bool { return role == "pdis" }})
	}
	storetest.Run(t, func(t testing.TB) (eventstore.Store, func(testing.TB) eventstore.Store) {
		dir := t.TempDir()
		return open(t, dir), func(t testing.TB) eventstore.Store { return open(t, dir) }
	})
}

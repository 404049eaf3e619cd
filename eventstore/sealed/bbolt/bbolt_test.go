package bbolt

import (
	"path/filepath"
	"testing"

	"github.com/pdis/collab-ledger/eventstore/sealed"
	"github.com/pdis/collab-ledger/eventstore/sealed/sealedtest"
)

func TestConformance(t *testing.T) {
	sealedtest.Run(t, func(t *testing.T) sealed.Secrets {
		s, err := Open(filepath.Join(t.TempDir(), "ledger.db.secrets"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

package sealed_test

import (
	"testing"

	"github.com/pdis/collab-ledger/eventstore/sealed"
	"github.com/pdis/collab-ledger/eventstore/sealed/sealedtest"
)

func TestMemoryConformance(t *testing.T) {
	sealedtest.Run(t, func(t *testing.T) sealed.Secrets { return sealed.NewMemory() })
}

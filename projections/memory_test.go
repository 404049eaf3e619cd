package projections_test

import (
	"testing"

	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/projectiontest"
)

func TestMemoryBackend(t *testing.T) {
	projectiontest.Run(t, func(t *testing.T) (projections.Backend, func() projections.Backend) {
		return projections.NewMemoryBackend(), nil
	})
}

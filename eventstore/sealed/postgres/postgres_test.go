package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/eventstore/sealed"
	"github.com/pdis/collab-ledger/eventstore/sealed/sealedtest"
)

func TestConformance(t *testing.T) {
	pgtest.Require(t)
	sealedtest.Run(t, func(t *testing.T) sealed.Secrets {
		ctx := context.Background()
		pool, err := pgxpool.New(ctx, pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		s, err := New(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

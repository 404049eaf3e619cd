package postgres_test

import (
	"context"
	"testing"

	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/internal/testenv"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/postgres"
	"github.com/pdis/collab-ledger/projections/projectiontest"
)

// freshURL returns a connection string to a fresh schema for t, or skips
// (fails when COLLABLEDGER_REQUIRE_POSTGRES=1) when PostgreSQL is
// unreachable.
func freshURL(t testing.TB) string {
	t.Helper()
	if err := pgtest.Reachable(); err != nil {
		testenv.Missing(t, "postgres", "PostgreSQL at DATABASE_URL is not reachable: "+err.Error())
	}
	return pgtest.New(t).URL
}

func open(t testing.TB, url string) *postgres.Backend {
	t.Helper()
	b, err := postgres.Open(context.Background(), postgres.Config{URL: url, Logger: projectiontest.TestLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestBackend(t *testing.T) {
	projectiontest.Run(t, func(t *testing.T) (projections.Backend, func() projections.Backend) {
		url := freshURL(t)
		return open(t, url), func() projections.Backend { return open(t, url) }
	})
}

func TestMigrateTwice(t *testing.T) {
	url := freshURL(t)
	open(t, url)
	open(t, url)
}

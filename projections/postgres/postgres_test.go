package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pdis/collab-ledger/eventstore"
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

// TestAnalyzesAGrowingTable: after writing more documents than the table
// held, the backend has PostgreSQL analyze rm_docs itself (autovacuum may
// come late or not at all), so that the planner keeps using the index as
// the table grows: the preload's plan for a table believed empty scanned
// every row, and a catch-up slowed with the square of its documents.
func TestAnalyzesAGrowingTable(t *testing.T) {
	url := freshURL(t)
	b := open(t, url)
	ctx := context.Background()
	cp, err := b.CreateGeneration(ctx, "grow", 1)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	analyzed := func() int64 {
		var n int64
		// Statistics reach pg_stat_user_tables when a session flushes them.
		_ = conn.QueryRow(ctx, `SELECT coalesce(sum(analyze_count + autoanalyze_count), 0) FROM pg_stat_user_tables
			WHERE relname = 'rm_docs' AND schemaname = current_schema()`).Scan(&n)
		return n
	}
	before := analyzed()
	pos := eventstore.Position(0)
	for batch := range 25 {
		changes := make([]projections.Change, 1000)
		for i := range changes {
			changes[i] = projections.Change{Collection: "c", Key: fmt.Sprintf("k/%06d", batch*1000+i), Doc: []byte(`{"v":1}`)}
		}
		if err := b.Commit(ctx, projections.Commit{Projection: "grow", Generation: cp.Generation, From: pos, To: pos + 1, Changes: changes}); err != nil {
			t.Fatal(err)
		}
		pos++
	}
	projectiontest.Eventually(t, 20*time.Second, "rm_docs analyzed", func() bool { return analyzed() > before })
}

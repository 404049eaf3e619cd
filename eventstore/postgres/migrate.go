package postgres

import (
	"context"
	"embed"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pdis/collab-ledger/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the pg_advisory_xact_lock key every store takes while
// it migrates, in any schema of the database: two processes opening the
// same database at once apply each migration once.
const migrationLockKey int64 = 0x636c_6d69_6772_0001 // "clmigr" 1

// migrate creates schema (if not empty) and applies the migrations not yet
// recorded in its schema_migrations table, all in one transaction under an
// advisory lock. It returns the names of the migrations it applied.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string) ([]string, error) {
	return pgmigrate.Apply(ctx, pool, pgmigrate.Set{FS: migrationFiles, Table: "schema_migrations", LockKey: migrationLockKey, Schema: schema})
}

package postgres

import (
	"context"
	"embed"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pdis/collab-ledger/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the pg_advisory_xact_lock key taken while migrating
// the read-model tables ("clrmig" 1), distinct from the event store's.
const migrationLockKey int64 = 0x636c_726d_6967_0001

// migrate applies the migrations not yet recorded in rm_schema_migrations,
// in one transaction under an advisory lock, so that processes opening the
// same database at once apply each once. Tables go to the connection's
// search_path.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	_, err := pgmigrate.Apply(ctx, pool, pgmigrate.Set{FS: migrationFiles, Table: "rm_schema_migrations", LockKey: migrationLockKey})
	return err
}

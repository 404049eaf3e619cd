package sessionstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pdis/collab-ledger/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the pg_advisory_xact_lock key taken while migrating
// the sessions table ("clsess" 1).
const migrationLockKey int64 = 0x636c_7365_7373_0001

// Postgres keeps sessions in the table web_sessions (in the connection's
// search_path): every server on the database sees them.
type Postgres struct {
	pool *pgxpool.Pool
}

var _ Store = (*Postgres)(nil)

// OpenPostgres creates the table if needed and uses pool (which the caller
// closes).
func OpenPostgres(ctx context.Context, pool *pgxpool.Pool) (*Postgres, error) {
	if _, err := pgmigrate.Apply(ctx, pool, pgmigrate.Set{FS: migrationFiles, Table: "sessions_schema_migrations", LockKey: migrationLockKey}); err != nil {
		return nil, fmt.Errorf("sessions: migrate: %w", err)
	}
	return &Postgres{pool: pool}, nil
}

// Put implements Store.
func (s *Postgres) Put(ctx context.Context, key Key, rec Record) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO web_sessions (id_hash, expires, data) VALUES ($1, $2, $3)
		ON CONFLICT (id_hash) DO UPDATE SET expires = EXCLUDED.expires, data = EXCLUDED.data`, key[:], rec.Expires, rec.Data)
	if err != nil {
		return fmt.Errorf("sessions: put: %w", err)
	}
	return nil
}

// Get implements Store.
func (s *Postgres) Get(ctx context.Context, key Key, now time.Time) (Record, bool, error) {
	var rec Record
	err := s.pool.QueryRow(ctx, `SELECT expires, data FROM web_sessions WHERE id_hash = $1 AND expires > $2`, key[:], now).Scan(&rec.Expires, &rec.Data)
	if errors.Is(err, pgx.ErrNoRows) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("sessions: get: %w", err)
	}
	return rec, true, nil
}

// Delete implements Store.
func (s *Postgres) Delete(ctx context.Context, key Key) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM web_sessions WHERE id_hash = $1`, key[:]); err != nil {
		return fmt.Errorf("sessions: delete: %w", err)
	}
	return nil
}

// Sweep implements Store.
func (s *Postgres) Sweep(ctx context.Context, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM web_sessions WHERE expires <= $1`, now); err != nil {
		return fmt.Errorf("sessions: sweep: %w", err)
	}
	return nil
}

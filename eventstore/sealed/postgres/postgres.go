// Package postgres keeps sealed events' secrets in a PostgreSQL table,
// sealed_secrets, beside the log (the PostgreSQL store's, or KurrentDB's).
package postgres

import (
	"context"
	"embed"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pdis/collab-ledger/eventstore/sealed"
	"github.com/pdis/collab-ledger/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the pg_advisory_xact_lock key taken while migrating
// the secrets table ("clseal" 1).
const migrationLockKey int64 = 0x636c_7365_616c_0001

// Store is a sealed.Secrets store in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

var _ sealed.Secrets = (*Store)(nil)

// New creates the table if needed (in the connection's search_path) and
// uses pool.
func New(ctx context.Context, pool *pgxpool.Pool) (*Store, error) {
	if _, err := pgmigrate.Apply(ctx, pool, pgmigrate.Set{FS: migrationFiles, Table: "sealed_schema_migrations", LockKey: migrationLockKey}); err != nil {
		return nil, fmt.Errorf("sealed secrets: migrate: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Put implements sealed.Secrets: one batch, one transaction.
func (s *Store) Put(ctx context.Context, secrets map[uuid.UUID][]sealed.Secret) error {
	if len(secrets) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for event, secs := range secrets {
		for _, sec := range secs {
			b.Queue(`INSERT INTO sealed_secrets (event_id, path, salt, value) VALUES ($1, $2, $3, $4)
				ON CONFLICT (event_id, path) DO UPDATE SET salt = EXCLUDED.salt, value = EXCLUDED.value`,
				event, sec.Path, sec.Salt, []byte(sec.Value))
		}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
	if err != nil {
		return fmt.Errorf("sealed secrets: put: %w", err)
	}
	return nil
}

// Get implements sealed.Secrets: one query for every event asked.
func (s *Store) Get(ctx context.Context, events ...uuid.UUID) (map[uuid.UUID][]sealed.Secret, error) {
	out := map[uuid.UUID][]sealed.Secret{}
	if len(events) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT event_id, path, salt, value FROM sealed_secrets WHERE event_id = ANY($1) ORDER BY event_id, path COLLATE "C"`, events)
	if err != nil {
		return nil, fmt.Errorf("sealed secrets: get: %w", err)
	}
	var id uuid.UUID
	var sec sealed.Secret
	var value []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &sec.Path, &sec.Salt, &value}, func() error {
		out[id] = append(out[id], sealed.Secret{Path: sec.Path, Salt: slices.Clone(sec.Salt), Value: slices.Clone(value)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sealed secrets: get: %w", err)
	}
	return out, nil
}

// Erase implements sealed.Secrets.
func (s *Store) Erase(ctx context.Context, event uuid.UUID, paths ...string) ([]string, error) {
	var rows pgx.Rows
	var err error
	if len(paths) == 0 {
		rows, err = s.pool.Query(ctx, `DELETE FROM sealed_secrets WHERE event_id = $1 RETURNING path`, event)
	} else {
		rows, err = s.pool.Query(ctx, `DELETE FROM sealed_secrets WHERE event_id = $1 AND path = ANY($2) RETURNING path`, event, paths)
	}
	if err != nil {
		return nil, fmt.Errorf("sealed secrets: erase %s: %w", event, err)
	}
	erased, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("sealed secrets: erase %s: %w", event, err)
	}
	slices.Sort(erased)
	return erased, nil
}

// FindPerson implements sealed.Secrets.
func (s *Store) FindPerson(ctx context.Context, value []byte) (map[uuid.UUID][]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT event_id, path FROM sealed_secrets WHERE value = $1`, value)
	if err != nil {
		return nil, fmt.Errorf("sealed secrets: find person: %w", err)
	}
	out := map[uuid.UUID][]string{}
	var id uuid.UUID
	var path string
	_, err = pgx.ForEachRow(rows, []any{&id, &path}, func() error {
		out[id] = append(out[id], path)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sealed secrets: find person: %w", err)
	}
	for _, ps := range out {
		slices.Sort(ps)
	}
	return out, nil
}

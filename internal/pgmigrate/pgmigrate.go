// Package pgmigrate applies a package's embedded, numbered SQL migrations to
// PostgreSQL: each file once, in order, in one transaction under an advisory
// lock, so that processes opening the same database at once apply each
// migration once. The event store and the read models each keep their own
// files and their own record table.
//
//	//go:embed migrations/*.sql
//	var files embed.FS
//	applied, err := pgmigrate.Apply(ctx, pool, pgmigrate.Set{FS: files, Table: "schema_migrations", LockKey: 0x…})
package pgmigrate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Set is one package's migrations.
type Set struct {
	// FS holds the files, named NNNN_description.sql with unique numbers,
	// in the folder "migrations".
	FS fs.FS
	// Table records which migrations were applied.
	Table string
	// LockKey is the pg_advisory_xact_lock key taken while migrating.
	LockKey int64
	// Schema, if set, is created if missing and used for the migration.
	Schema string
}

// Validate reports a set that cannot be applied.
func (s Set) Validate() error {
	if s.FS == nil || s.Table == "" {
		return errors.New("pgmigrate: a set needs its files and a table")
	}
	return nil
}

type migration struct {
	version int
	name    string
	sql     string
}

// load returns the set's migrations in version order.
func (s Set) load() ([]migration, error) {
	paths, err := fs.Glob(s.FS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, p := range paths {
		name := path.Base(p)
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", name)
		}
		body, err := fs.ReadFile(s.FS, p)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: strings.TrimSuffix(name, ".sql"), sql: string(body)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", out[i-1].name, out[i].name, out[i].version)
		}
	}
	return out, nil
}

// Apply applies the set's migrations not yet recorded in its table and
// returns the names of those it applied.
func Apply(ctx context.Context, pool *pgxpool.Pool, set Set) ([]string, error) {
	if err := set.Validate(); err != nil {
		return nil, err
	}
	all, err := set.load()
	if err != nil {
		return nil, err
	}
	table := pgx.Identifier{set.Table}.Sanitize()
	var applied []string
	err = pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", set.LockKey); err != nil {
			return fmt.Errorf("take migration lock: %w", err)
		}
		if set.Schema != "" {
			ident := pgx.Identifier{set.Schema}.Sanitize()
			if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+ident); err != nil {
				return fmt.Errorf("create schema %s: %w", ident, err)
			}
			// The connection's search_path already names the schema; set it
			// again so that a schema created just now is used at once.
			if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+ident); err != nil {
				return fmt.Errorf("set search_path: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+table+` (
			version    integer     PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("create %s: %w", set.Table, err)
		}
		rows, err := tx.Query(ctx, "SELECT version FROM "+table)
		if err != nil {
			return fmt.Errorf("read %s: %w", set.Table, err)
		}
		done, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return fmt.Errorf("read %s: %w", set.Table, err)
		}
		for _, m := range all {
			if slices.Contains(done, int32(m.version)) {
				continue
			}
			// No arguments: pgx sends it with the simple protocol, so a
			// file may hold many statements.
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("apply migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO "+table+" (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
				return fmt.Errorf("record migration %s: %w", m.name, err)
			}
			applied = append(applied, m.name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return applied, nil
}

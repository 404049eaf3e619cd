// Package asofstore keeps the snapshots of cases' as-of folds
// (readmodels.CaseFolds) across restarts, beside the rest of a deployment's
// state: Bolt in a file of its own beside the embedded store, Postgres in a
// table beside the read models. Both implement readmodels.FoldStore; what
// they hold is a cache of the log, checked against it when loaded.
package asofstore

import (
	"context"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	bolt "go.etcd.io/bbolt"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/internal/pgmigrate"
	"github.com/pdis/collab-ledger/readmodels"
)

// Bolt keeps the snapshots in a bbolt file: a bucket per case holding
// each snapshot's header under its sequence number (8 bytes, big-endian),
// each of its parts under the number followed by the part's name, and the
// erasures version under "\xfferasures" (after every snapshot). One server
// only, as the embedded store.
type Bolt struct {
	db *bolt.DB
}

var (
	_ readmodels.FoldStore = (*Bolt)(nil)
	_ readmodels.FoldStore = (*Postgres)(nil)

	bucketCases = []byte("asof-snapshots")
	keyErasures = []byte("\xfferasures")
)

// OpenBolt opens (or creates) the snapshots file at path.
func OpenBolt(path string) (*Bolt, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 10 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("as-of snapshots: open %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketCases)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("as-of snapshots: open %s: %w", path, err)
	}
	return &Bolt{db: db}, nil
}

// Close closes the file.
func (s *Bolt) Close() error { return s.db.Close() }

func seqKey(seq int, part string) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(seq)), part...)
}

// LoadFoldParts implements readmodels.FoldStore.
func (s *Bolt) LoadFoldParts(_ context.Context, id domain.CaseID, part string, seqs []int) ([][]byte, error) {
	out := make([][]byte, len(seqs))
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCases).Bucket([]byte(id))
		if b == nil {
			return errors.New("no snapshots")
		}
		for i, seq := range seqs {
			if v := b.Get(seqKey(seq, part)); v != nil {
				out[i] = append([]byte{}, v...)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("as-of snapshots of case %s: load %s: %w", id, part, err)
	}
	return out, nil
}

// LoadFolds implements readmodels.FoldStore.
func (s *Bolt) LoadFolds(_ context.Context, id domain.CaseID) ([][]byte, error) {
	var out [][]byte
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCases).Bucket([]byte(id))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) != 8 {
				continue // the erasures version
			}
			if binary.BigEndian.Uint64(k) != uint64(len(out)) {
				return fmt.Errorf("snapshot %d missing", len(out))
			}
			out = append(out, append([]byte(nil), v...))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("as-of snapshots of case %s: load: %w", id, err)
	}
	return out, nil
}

// SaveFolds implements readmodels.FoldStore.
func (s *Bolt) SaveFolds(_ context.Context, id domain.CaseID, from int, erasures uint64, folds []readmodels.StoredFold) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		cases := tx.Bucket(bucketCases)
		if from == 0 && cases.Bucket([]byte(id)) != nil {
			if err := cases.DeleteBucket([]byte(id)); err != nil {
				return err
			}
		}
		if from == 0 && len(folds) == 0 {
			return nil
		}
		b, err := cases.CreateBucketIfNotExists([]byte(id))
		if err != nil {
			return err
		}
		c := b.Cursor()
		var stale [][]byte
		for k, _ := c.Seek(seqKey(from, "")); k != nil && k[0] != 0xff; k, _ = c.Next() {
			stale = append(stale, append([]byte(nil), k...))
		}
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		for i, f := range folds {
			if err := b.Put(seqKey(from+i, ""), f.Header); err != nil {
				return err
			}
			for name, part := range f.Parts {
				if err := b.Put(seqKey(from+i, name), part); err != nil {
					return err
				}
			}
		}
		return b.Put(keyErasures, binary.BigEndian.AppendUint64(nil, erasures))
	})
	if err != nil {
		return fmt.Errorf("as-of snapshots of case %s: save from %d: %w", id, from, err)
	}
	return nil
}

// DropFoldsBefore implements readmodels.FoldStore.
func (s *Bolt) DropFoldsBefore(_ context.Context, erasures uint64) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		cases := tx.Bucket(bucketCases)
		var drop [][]byte
		if err := cases.ForEachBucket(func(k []byte) error {
			v := cases.Bucket(k).Get(keyErasures)
			if len(v) != 8 || binary.BigEndian.Uint64(v) < erasures {
				drop = append(drop, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range drop {
			if err := cases.DeleteBucket(k); err != nil {
				return err
			}
		}
		n = len(drop)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("as-of snapshots: drop those folded before erasure %d: %w", erasures, err)
	}
	return n, nil
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the pg_advisory_xact_lock key taken while migrating
// the snapshots table ("clasof" 1).
const migrationLockKey int64 = 0x636c_6173_6f66_0001

// Postgres keeps the snapshots in the table asof_snapshots (in the
// connection's search_path), beside the read models.
type Postgres struct {
	pool *pgxpool.Pool
}

// OpenPostgres creates the table if needed and uses pool (which the caller
// closes).
func OpenPostgres(ctx context.Context, pool *pgxpool.Pool) (*Postgres, error) {
	if _, err := pgmigrate.Apply(ctx, pool, pgmigrate.Set{FS: migrationFiles, Table: "asof_schema_migrations", LockKey: migrationLockKey}); err != nil {
		return nil, fmt.Errorf("as-of snapshots: migrate: %w", err)
	}
	return &Postgres{pool: pool}, nil
}

// LoadFolds implements readmodels.FoldStore.
func (s *Postgres) LoadFolds(ctx context.Context, id domain.CaseID) ([][]byte, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, blob FROM asof_snapshots WHERE case_id = $1 AND part = '' ORDER BY seq`, string(id))
	if err != nil {
		return nil, fmt.Errorf("as-of snapshots of case %s: load: %w", id, err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var (
			seq  int
			blob []byte
		)
		if err := rows.Scan(&seq, &blob); err != nil {
			return nil, fmt.Errorf("as-of snapshots of case %s: load: %w", id, err)
		}
		if seq != len(out) {
			return nil, fmt.Errorf("as-of snapshots of case %s: load: %w", id, errors.New("a snapshot is missing"))
		}
		out = append(out, blob)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("as-of snapshots of case %s: load: %w", id, err)
	}
	return out, nil
}

// LoadFoldParts implements readmodels.FoldStore.
func (s *Postgres) LoadFoldParts(ctx context.Context, id domain.CaseID, part string, seqs []int) ([][]byte, error) {
	rows, err := s.pool.Query(ctx, `SELECT seq, blob FROM asof_snapshots WHERE case_id = $1 AND part = $2 AND seq = ANY($3)`, string(id), part, seqs)
	if err != nil {
		return nil, fmt.Errorf("as-of snapshots of case %s: load %s: %w", id, part, err)
	}
	defer rows.Close()
	at := make(map[int]int, len(seqs))
	for i, seq := range seqs {
		at[seq] = i
	}
	out := make([][]byte, len(seqs))
	for rows.Next() {
		var (
			seq  int
			blob []byte
		)
		if err := rows.Scan(&seq, &blob); err != nil {
			return nil, fmt.Errorf("as-of snapshots of case %s: load %s: %w", id, part, err)
		}
		out[at[seq]] = blob
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("as-of snapshots of case %s: load %s: %w", id, part, err)
	}
	return out, nil
}

// SaveFolds implements readmodels.FoldStore.
func (s *Postgres) SaveFolds(ctx context.Context, id domain.CaseID, from int, erasures uint64, folds []readmodels.StoredFold) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("as-of snapshots of case %s: save from %d: %w", id, from, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit, a no-op
	if _, err := tx.Exec(ctx, `DELETE FROM asof_snapshots WHERE case_id = $1 AND seq >= $2`, string(id), from); err != nil {
		return fmt.Errorf("as-of snapshots of case %s: save from %d: %w", id, from, err)
	}
	rows := [][]any{}
	for i, f := range folds {
		rows = append(rows, []any{string(id), from + i, "", int64(erasures), f.Header})
		for name, part := range f.Parts {
			rows = append(rows, []any{string(id), from + i, name, int64(erasures), part})
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"asof_snapshots"}, []string{"case_id", "seq", "part", "erasures", "blob"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("as-of snapshots of case %s: save from %d: %w", id, from, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("as-of snapshots of case %s: save from %d: %w", id, from, err)
	}
	return nil
}

// DropFoldsBefore implements readmodels.FoldStore.
func (s *Postgres) DropFoldsBefore(ctx context.Context, erasures uint64) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `WITH gone AS (DELETE FROM asof_snapshots WHERE erasures < $1 RETURNING case_id)
		SELECT count(DISTINCT case_id) FROM gone`, int64(erasures)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("as-of snapshots: drop those folded before erasure %d: %w", erasures, err)
	}
	return n, nil
}

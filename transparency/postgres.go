package transparency

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pdis/collab-ledger/internal/pgstats"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pdis/collab-ledger/eventstore"
)

//go:embed migrations/0001_transparency.sql
var migration0001 string

// migrationLockKey is the advisory lock taken while creating the tables.
const migrationLockKey int64 = 0x636c_7472_616e_0001 // "cltran" 1

// PostgresConfig configures a PostgresStore.
type PostgresConfig struct {
	// URL is a pgx connection string (postgres://... or key=value). A
	// "schema" parameter in a postgres:// URL is taken out and used as
	// Schema, so the event store's URL can be given as it is. Used when
	// Pool is nil.
	URL string
	// Pool, if set, is used instead of URL; Close leaves it open.
	Pool *pgxpool.Pool
	// Schema holds the tables (created if missing). Empty: the
	// connection's search_path decides.
	Schema string
}

// Validate reports a setting that cannot work.
func (c PostgresConfig) Validate() error {
	if c.URL == "" && c.Pool == nil {
		return errors.New("transparency postgres config: no URL and no pool")
	}
	if len(c.Schema) > 63 || strings.ContainsRune(c.Schema, 0) {
		return fmt.Errorf("transparency postgres config: bad schema name %q", c.Schema)
	}
	return nil
}

// PostgresStore is the HashStore in PostgreSQL: tables transparency_state,
// transparency_hashes and transparency_leaves (see
// migrations/0001_transparency.sql). Each Commit is one transaction that
// moves the state row only if it is still at the batch's starting size,
// so two writers can never interleave leaves.
type PostgresStore struct {
	pool    *pgxpool.Pool
	ownPool bool
	tState  string
	tHashes string
	tLeaves string
	// stats analyzes the hash and leaf tables as they grow (see pgstats).
	stats *pgstats.Analyzer
}

// OpenPostgres connects, creates the tables if missing and returns the
// store.
func OpenPostgres(ctx context.Context, cfg PostgresConfig) (*PostgresStore, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &PostgresStore{pool: cfg.Pool}
	if s.pool == nil {
		conn, schema, err := splitSchema(cfg.URL)
		if err != nil {
			return nil, err
		}
		if cfg.Schema == "" {
			cfg.Schema = schema
		}
		pc, err := pgxpool.ParseConfig(conn)
		if err != nil {
			return nil, fmt.Errorf("transparency postgres: parse connection string: %w", err)
		}
		if s.pool, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
			return nil, fmt.Errorf("transparency postgres: connect: %w", err)
		}
		s.ownPool = true
	}
	q := func(t string) string {
		if cfg.Schema == "" {
			return t
		}
		return pgx.Identifier{cfg.Schema, t}.Sanitize()
	}
	s.tState, s.tHashes, s.tLeaves = q("transparency_state"), q("transparency_hashes"), q("transparency_leaves")
	s.stats = pgstats.New(s.pool, nil, s.tHashes, s.tLeaves)
	if err := s.migrate(ctx, cfg.Schema); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// splitSchema takes a "schema" parameter out of a postgres:// URL.
func splitSchema(conn string) (string, string, error) {
	lower := strings.ToLower(conn)
	if !strings.HasPrefix(lower, "postgres://") && !strings.HasPrefix(lower, "postgresql://") {
		return conn, "", nil
	}
	u, err := url.Parse(conn)
	if err != nil {
		return "", "", fmt.Errorf("transparency postgres: parse URL: %w", err)
	}
	qv := u.Query()
	schema := qv.Get("schema")
	for _, k := range []string{"schema", "max_batch", "poll_interval"} { // the event store's own parameters
		qv.Del(k)
	}
	u.RawQuery = qv.Encode()
	return u.String(), schema, nil
}

func (s *PostgresStore) migrate(ctx context.Context, schema string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey); err != nil {
			return err
		}
		if schema != "" {
			id := pgx.Identifier{schema}.Sanitize()
			if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+id); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, migration0001)
		return err
	})
	if err != nil {
		return fmt.Errorf("transparency postgres: create tables: %w", err)
	}
	return nil
}

// Durable implements HashStore: true.
func (s *PostgresStore) Durable() bool { return true }

// Load implements HashStore.
func (s *PostgresStore) Load(ctx context.Context) (State, error) {
	var st State
	var note *string
	var cpPos int64
	var pos int64
	err := s.pool.QueryRow(ctx, "SELECT size, position, content_size, checkpoint_note, checkpoint_position FROM "+s.tState+" WHERE id = 1").
		Scan(&st.Size, &pos, &st.ContentSize, &note, &cpPos)
	if err != nil {
		return State{}, fmt.Errorf("load transparency state: %w", err)
	}
	st.Position = eventstore.Position(pos)
	if note != nil {
		text, _, _ := strings.Cut(*note, "\n\n")
		o, size, root, err := ParseCheckpointBody(text + "\n")
		if err != nil {
			return State{}, fmt.Errorf("load transparency state: stored checkpoint: %w", err)
		}
		st.Checkpoint = Checkpoint{Origin: o, Size: size, Root: root, Note: []byte(*note), Position: eventstore.Position(cpPos)}
	}
	return st, nil
}

// ReadHashes implements HashStore.
func (s *PostgresStore) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	rows, err := s.pool.Query(ctx, "SELECT idx, hash FROM "+s.tHashes+" WHERE idx = ANY($1)", indexes)
	if err != nil {
		return nil, fmt.Errorf("read stored hashes: %w", err)
	}
	got := make(map[int64]tlog.Hash, len(indexes))
	var idx int64
	var h []byte
	_, err = pgx.ForEachRow(rows, []any{&idx, &h}, func() error {
		if len(h) != tlog.HashSize {
			return fmt.Errorf("stored hash %d has %d bytes", idx, len(h))
		}
		got[idx] = tlog.Hash(h)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read stored hashes: %w", err)
	}
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		v, ok := got[x]
		if !ok {
			return nil, fmt.Errorf("read stored hash %d: %w: not stored", x, ErrInvalidSize)
		}
		out[i] = v
	}
	return out, nil
}

// Commit implements HashStore: one transaction, its statements pipelined.
func (s *PostgresStore) Commit(ctx context.Context, b Batch) error {
	if err := checkBatch(b); err != nil {
		return err
	}
	idx := make([]int64, len(b.Hashes))
	hs := make([][]byte, len(b.Hashes))
	first := tlog.StoredHashCount(b.From.Size)
	for i := range b.Hashes {
		idx[i] = first + int64(i)
		hs[i] = b.Hashes[i][:]
	}
	leaf := make([]int64, len(b.Leaves))
	pos := make([]int64, len(b.Leaves))
	ids := make([][16]byte, len(b.Leaves))
	for i, l := range b.Leaves {
		leaf[i], pos[i], ids[i] = b.From.Size+int64(i), int64(l.Position), l.ID
	}
	var note *string
	if b.To.Checkpoint.Note != nil {
		n := string(b.To.Checkpoint.Note)
		note = &n
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var batch pgx.Batch
		batch.Queue("UPDATE "+s.tState+" SET size = $1, position = $2, content_size = $3, checkpoint_note = $4, checkpoint_position = $5, updated_at = now() WHERE id = 1 AND size = $6",
			b.To.Size, int64(b.To.Position), b.To.ContentSize, note, int64(b.To.Checkpoint.Position), b.From.Size)
		batch.Queue("INSERT INTO "+s.tHashes+" (idx, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])", idx, hs)
		batch.Queue("INSERT INTO "+s.tLeaves+" (leaf, position, event_id) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::uuid[])", leaf, pos, ids)
		br := tx.SendBatch(ctx, &batch)
		tag, err := br.Exec()
		if err == nil && tag.RowsAffected() != 1 {
			err = fmt.Errorf("commit leaves %d..%d: %w", b.From.Size, b.To.Size, ErrTreeMoved)
		}
		for range 2 {
			if err != nil {
				break
			}
			_, err = br.Exec()
		}
		if cerr := br.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil && !errors.Is(err, ErrTreeMoved) {
			err = fmt.Errorf("commit leaves %d..%d: %w", b.From.Size, b.To.Size, err)
		}
		return err
	})
	if err == nil {
		s.stats.Wrote(len(hs) + len(leaf))
	}
	return err
}

// LeafByID implements HashStore.
func (s *PostgresStore) LeafByID(ctx context.Context, id uuid.UUID) (int64, Leaf, error) {
	return s.leaf(ctx, "event_id", [16]byte(id), "event "+id.String())
}

// LeafByPosition implements HashStore.
func (s *PostgresStore) LeafByPosition(ctx context.Context, pos eventstore.Position) (int64, Leaf, error) {
	return s.leaf(ctx, "position", int64(pos), fmt.Sprintf("position %d", pos))
}

func (s *PostgresStore) leaf(ctx context.Context, col string, v any, what string) (int64, Leaf, error) {
	var i, pos int64
	var id [16]byte
	err := s.pool.QueryRow(ctx, "SELECT leaf, position, event_id FROM "+s.tLeaves+" WHERE "+col+" = $1", v).Scan(&i, &pos, &id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, Leaf{}, fmt.Errorf("%s: %w", what, ErrUnknownEvent)
	}
	if err != nil {
		return 0, Leaf{}, fmt.Errorf("look up %s: %w", what, err)
	}
	return i, Leaf{Position: eventstore.Position(pos), ID: id}, nil
}

// LeafIndexes implements HashStore: one query for all of ids.
func (s *PostgresStore) LeafIndexes(ctx context.Context, ids []uuid.UUID) ([]int64, error) {
	out := make([]int64, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	arg := make([][16]byte, len(ids))
	for i, id := range ids {
		arg[i] = id
	}
	rows, err := s.pool.Query(ctx, "SELECT event_id, leaf FROM "+s.tLeaves+" WHERE event_id = ANY($1::uuid[])", arg)
	if err != nil {
		return nil, fmt.Errorf("look up %d leaves: %w", len(ids), err)
	}
	got := make(map[uuid.UUID]int64, len(ids))
	var id [16]byte
	var leaf int64
	if _, err := pgx.ForEachRow(rows, []any{&id, &leaf}, func() error {
		got[id] = leaf
		return nil
	}); err != nil {
		return nil, fmt.Errorf("look up %d leaves: %w", len(ids), err)
	}
	for i, id := range ids {
		if x, ok := got[id]; ok {
			out[i] = x
		} else {
			out[i] = -1
		}
	}
	return out, nil
}

// Close implements HashStore; it closes the pool if the store opened it.
func (s *PostgresStore) Close() error {
	if s.stats != nil {
		s.stats.Wait()
	}
	if s.ownPool && s.pool != nil {
		s.pool.Close()
	}
	return nil
}

// Package postgres keeps projection read models in PostgreSQL through pgx:
// the backend for deployments whose read models must survive a restart and
// be shared by several processes' queries.
//
//	b, err := postgres.Open(ctx, postgres.Config{URL: "postgres://..."})
//	runner, err := projections.NewRunner(projections.RunnerConfig{Store: store, Backend: b, ...})
//
// Open applies the embedded migrations (migrations/*.sql) under an advisory
// lock, into the connection's search_path. Documents live in rm_docs keyed by
// (projection, generation, collection, key); rm_checkpoints holds each
// generation's checkpoint and state, rm_active the generation queries read,
// rm_outbox integration events not yet published. A commit is one
// transaction: a multi-row upsert (unnest) of the batch's documents, the
// deletes, the checkpoint update (conditional on the previous checkpoint),
// the outbox rows and the integration mark, sent in one round trip.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/internal/lease"
	"github.com/pdis/collab-ledger/internal/pgstats"
	"github.com/pdis/collab-ledger/projections"
)

// Config configures the PostgreSQL read-model backend.
type Config struct {
	// URL is a pgx connection string. Set URL or Pool.
	URL string
	// Pool is an existing pool to use instead of URL; Close leaves it open.
	Pool *pgxpool.Pool
	// MaxConns bounds the pool Open creates from URL. Default 8.
	MaxConns int32
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// WithDefaults fills unset fields.
func (c Config) WithDefaults() Config {
	if c.MaxConns == 0 {
		c.MaxConns = 8
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	if (c.URL == "") == (c.Pool == nil) {
		return errors.New("postgres read models config: set exactly one of URL and Pool")
	}
	if c.MaxConns < 1 {
		return fmt.Errorf("postgres read models config: max conns %d, want at least 1", c.MaxConns)
	}
	return nil
}

// Backend is the PostgreSQL read-model backend. It implements
// projections.Backend.
type Backend struct {
	pool    *pgxpool.Pool
	ownPool bool
	log     *slog.Logger
	// stats analyzes rm_docs as it grows (see pgstats).
	stats *pgstats.Analyzer
	// fence, if set, is checked first in every write's transaction
	// (Fenced); audit records each fenced write.
	fence *lease.Fence
	audit bool
}

var (
	_ projections.Backend      = (*Backend)(nil)
	_ projections.Fencer       = (*Backend)(nil)
	_ projections.ActiveLister = (*Backend)(nil)
)

// Fenced implements projections.Fencer: a view of the backend on the same
// pool whose every write first checks, in its own transaction and under a
// share lock on the lease's row (lease.FenceSQL), that f's token is still
// the lease's, and is refused with lease.ErrStale, writing nothing, when it
// is not. The lease table must exist (lease.OpenPostgres on this database).
// Closing the view leaves the pool open.
func (b *Backend) Fenced(f lease.Fence, audit bool) projections.Backend {
	c := &Backend{pool: b.pool, log: b.log, stats: b.stats, fence: &f, audit: audit}
	return c
}

// write runs fn in a transaction that begins with the fence check, if the
// backend is fenced.
func (b *Backend) write(ctx context.Context, what func() string, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
		if b.fence != nil {
			if err := lease.CheckFence(ctx, tx, *b.fence, b.audit, what()); err != nil {
				return err
			}
		}
		return fn(tx)
	})
}

// ActiveCheckpoints implements projections.ActiveLister.
func (b *Backend) ActiveCheckpoints(ctx context.Context) ([]projections.Checkpoint, error) {
	rows, err := b.pool.Query(ctx, `SELECT c.projection, c.generation, c.version, c.position, c.state, c.error, c.error_position, c.updated_at
		FROM rm_active a JOIN rm_checkpoints c ON c.projection = a.projection AND c.generation = a.generation`)
	if err != nil {
		return nil, fmt.Errorf("read active checkpoints: %w", err)
	}
	defer rows.Close()
	var out []projections.Checkpoint
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("read active checkpoints: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read active checkpoints: %w", err)
	}
	return out, nil
}

// Open connects, migrates and returns the backend.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := &Backend{pool: cfg.Pool, log: cfg.Logger}
	if b.pool == nil {
		pc, err := pgxpool.ParseConfig(cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("open postgres read models: parse URL: %w", err)
		}
		pc.MaxConns = cfg.MaxConns
		b.pool, err = pgxpool.NewWithConfig(ctx, pc)
		if err != nil {
			return nil, fmt.Errorf("open postgres read models %s: %w", eventstore.Redact(cfg.URL), err)
		}
		b.ownPool = true
	}
	b.stats = pgstats.New(b.pool, b.log, "rm_docs")
	if err := migrate(ctx, b.pool); err != nil {
		b.Close()
		return nil, fmt.Errorf("open postgres read models: %w", err)
	}
	if err := b.collectGarbage(ctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("open postgres read models: %w", err)
	}
	return b, nil
}

// Pool returns the connection pool.
func (b *Backend) Pool() *pgxpool.Pool { return b.pool }

// Durable implements projections.Backend.
func (b *Backend) Durable() bool { return true }

// Close implements projections.Backend.
func (b *Backend) Close() error {
	if b.fence != nil {
		return nil
	}
	b.stats.Wait()
	if b.ownPool {
		b.pool.Close()
	}
	return nil
}

// collectGarbage deletes the documents of generations that no longer exist
// (dropped or switched away from, after the switch committed).
func (b *Backend) collectGarbage(ctx context.Context) error {
	_, err := b.pool.Exec(ctx, `DELETE FROM rm_docs d WHERE NOT EXISTS (
		SELECT 1 FROM rm_checkpoints c WHERE c.projection = d.projection AND c.generation = d.generation)`)
	if err != nil {
		return fmt.Errorf("delete documents of dropped generations: %w", err)
	}
	return nil
}

func (b *Backend) dropDocs(ctx context.Context, projection string, keep uint64) {
	// Only generations without a checkpoint: a generation created since
	// (a rebuild requested meanwhile) keeps its documents.
	_, err := b.pool.Exec(ctx, `DELETE FROM rm_docs d WHERE projection = $1 AND generation <> $2
		AND NOT EXISTS (SELECT 1 FROM rm_checkpoints c WHERE c.projection = d.projection AND c.generation = d.generation)`, projection, int64(keep))
	if err != nil {
		// Harmless: Open deletes them next time.
		b.log.Warn("postgres read models: delete documents of old generations", "projection", projection, "err", err)
	}
}

const checkpointCols = `projection, generation, version, position, state, error, error_position, updated_at`

func scanCheckpoint(row pgx.Row) (projections.Checkpoint, error) {
	var c projections.Checkpoint
	var gen, pos, errPos int64
	var state string
	err := row.Scan(&c.Projection, &gen, &c.Version, &pos, &state, &c.Error, &errPos, &c.UpdatedAt)
	c.Generation, c.Position, c.ErrorPosition, c.State = uint64(gen), eventstore.Position(pos), eventstore.Position(errPos), projections.State(state)
	c.UpdatedAt = c.UpdatedAt.UTC()
	return c, err
}

// Generations implements projections.Backend.
func (b *Backend) Generations(ctx context.Context, projection string) (projections.Generations, error) {
	var out projections.Generations
	rows, err := b.pool.Query(ctx, `SELECT `+checkpointCols+`, coalesce((SELECT generation FROM rm_active WHERE projection = $1), 0)
		FROM rm_checkpoints WHERE projection = $1 ORDER BY generation`, projection)
	if err != nil {
		return out, fmt.Errorf("read generations of %s: %w", projection, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c projections.Checkpoint
		var gen, pos, errPos, active int64
		var state string
		if err := rows.Scan(&c.Projection, &gen, &c.Version, &pos, &state, &c.Error, &errPos, &c.UpdatedAt, &active); err != nil {
			return out, fmt.Errorf("read generations of %s: %w", projection, err)
		}
		c.Generation, c.Position, c.ErrorPosition, c.State = uint64(gen), eventstore.Position(pos), eventstore.Position(errPos), projections.State(state)
		c.UpdatedAt = c.UpdatedAt.UTC()
		out.Active = uint64(active)
		out.All = append(out.All, c)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("read generations of %s: %w", projection, err)
	}
	return out, nil
}

// CreateGeneration implements projections.Backend.
func (b *Backend) CreateGeneration(ctx context.Context, projection string, version int) (projections.Checkpoint, error) {
	var cp projections.Checkpoint
	err := b.write(ctx, func() string { return "create generation " + projection }, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO rm_projections (projection) VALUES ($1) ON CONFLICT DO NOTHING`, projection); err != nil {
			return err
		}
		// The row lock serialises concurrent creations.
		var gen int64
		if err := tx.QueryRow(ctx, `UPDATE rm_projections SET next_generation = next_generation + 1
			WHERE projection = $1 RETURNING next_generation - 1`, projection).Scan(&gen); err != nil {
			return err
		}
		var hasActive bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM rm_active WHERE projection = $1)`, projection).Scan(&hasActive); err != nil {
			return err
		}
		state := projections.StateBuilding
		if !hasActive {
			state = projections.StateRunning
			if _, err := tx.Exec(ctx, `INSERT INTO rm_active (projection, generation) VALUES ($1, $2)`, projection, gen); err != nil {
				return err
			}
		}
		var err error
		cp, err = scanCheckpoint(tx.QueryRow(ctx, `INSERT INTO rm_checkpoints (projection, generation, version, state)
			VALUES ($1, $2, $3, $4) RETURNING `+checkpointCols, projection, gen, version, string(state)))
		return err
	})
	if err != nil {
		return cp, fmt.Errorf("create generation of %s: %w", projection, err)
	}
	return cp, nil
}

// Activate implements projections.Backend.
func (b *Backend) Activate(ctx context.Context, projection string, gen uint64) error {
	err := b.write(ctx, func() string { return fmt.Sprintf("activate %s@%d", projection, gen) }, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE rm_checkpoints SET state = 'running', error = '', error_position = 0, updated_at = now()
			WHERE projection = $1 AND generation = $2`, projection, int64(gen))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return projections.ErrUnknownGeneration
		}
		if _, err := tx.Exec(ctx, `INSERT INTO rm_active (projection, generation) VALUES ($1, $2)
			ON CONFLICT (projection) DO UPDATE SET generation = EXCLUDED.generation`, projection, int64(gen)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM rm_checkpoints WHERE projection = $1 AND generation <> $2`, projection, int64(gen))
		return err
	})
	if err != nil {
		return fmt.Errorf("activate %s generation %d: %w", projection, gen, err)
	}
	// The old generations' documents are unreachable now; delete them
	// outside the switch so that it stays short.
	b.dropDocs(ctx, projection, gen)
	return nil
}

// DropGeneration implements projections.Backend.
func (b *Backend) DropGeneration(ctx context.Context, projection string, gen uint64) error {
	err := b.write(ctx, func() string { return fmt.Sprintf("drop %s@%d", projection, gen) }, func(tx pgx.Tx) error {
		var active bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM rm_active WHERE projection = $1 AND generation = $2)`, projection, int64(gen)).Scan(&active); err != nil {
			return err
		}
		if active {
			return errors.New("it is the active generation")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rm_checkpoints WHERE projection = $1 AND generation = $2`, projection, int64(gen)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM rm_docs WHERE projection = $1 AND generation = $2`, projection, int64(gen))
		return err
	})
	if err != nil {
		return fmt.Errorf("drop %s generation %d: %w", projection, gen, err)
	}
	return nil
}

// SetState implements projections.Backend.
func (b *Backend) SetState(ctx context.Context, projection string, gen uint64, state projections.State, errMsg string, errPos eventstore.Position) error {
	if state != projections.StateFailed {
		errMsg, errPos = "", 0
	}
	var tag pgconn.CommandTag
	err := b.write(ctx, func() string { return fmt.Sprintf("state %s@%d %s", projection, gen, state) }, func(tx pgx.Tx) error {
		var err error
		tag, err = tx.Exec(ctx, `UPDATE rm_checkpoints SET state = $3, error = $4, error_position = $5, updated_at = now()
			WHERE projection = $1 AND generation = $2`, projection, int64(gen), string(state), errMsg, int64(errPos))
		return err
	})
	if err != nil {
		return fmt.Errorf("set state of %s generation %d: %w", projection, gen, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set state of %s generation %d: %w", projection, gen, projections.ErrUnknownGeneration)
	}
	return nil
}

// Load implements projections.Backend.
func (b *Backend) Load(ctx context.Context, projection string, gen uint64, collection, key string) ([]byte, bool, error) {
	var doc []byte
	err := b.pool.QueryRow(ctx, `SELECT doc FROM rm_docs WHERE projection = $1 AND generation = $2 AND collection = $3 AND key = $4`,
		projection, int64(gen), collection, key).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("load %s/%s of %s generation %d: %w", collection, key, projection, gen, err)
	}
	return doc, true, nil
}

// LoadMany implements projections.Backend.
func (b *Backend) LoadMany(ctx context.Context, projection string, gen uint64, refs []projections.DocRef) (map[projections.DocRef][]byte, error) {
	out := make(map[projections.DocRef][]byte, len(refs))
	if len(refs) == 0 {
		return out, nil
	}
	colls, keys := make([]string, len(refs)), make([]string, len(refs))
	for i, r := range refs {
		colls[i], keys[i] = r.Collection, r.Key
	}
	rows, err := b.pool.Query(ctx, `SELECT d.collection, d.key, d.doc FROM rm_docs d
		JOIN unnest($3::text[], $4::text[]) AS u(c, k) ON d.collection = u.c AND d.key = u.k
		WHERE d.projection = $1 AND d.generation = $2`, projection, int64(gen), colls, keys)
	if err != nil {
		return nil, fmt.Errorf("load %d documents of %s generation %d: %w", len(refs), projection, gen, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r projections.DocRef
		var doc []byte
		if err := rows.Scan(&r.Collection, &r.Key, &doc); err != nil {
			return nil, fmt.Errorf("load documents of %s: %w", projection, err)
		}
		out[r] = doc
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load documents of %s: %w", projection, err)
	}
	return out, nil
}

// prefixEnd returns the least string above every string that starts with
// prefix, in byte order: prefix with its last code point incremented (a
// code point at the top dropped first); "" when there is none (an empty
// prefix). Keys are compared in the "C" collation, byte by byte, and UTF-8
// keeps code point order, so [prefix, prefixEnd) is exactly the keys that
// start with prefix: a range the index answers even in a generic plan,
// where LIKE $n can only filter every row of the collection.
func prefixEnd(prefix string) string {
	for prefix != "" {
		r, size := utf8.DecodeLastRuneInString(prefix)
		prefix = prefix[:len(prefix)-size]
		switch {
		case r == utf8.RuneError && size <= 1, r >= utf8.MaxRune:
			continue
		case r == 0xD7FF:
			return prefix + string(rune(0xE000)) // past the surrogates
		default:
			return prefix + string(r+1)
		}
	}
	return ""
}

// keyRange is the SQL condition and arguments (from $n on) for the keys of
// column that start with prefix and sort after after.
func keyRange(column string, n int, prefix, after string) (string, []any) {
	cond := fmt.Sprintf("%s >= $%d AND %s > $%d", column, n, column, n+1)
	args := []any{prefix, after}
	if end := prefixEnd(prefix); end != "" {
		cond += fmt.Sprintf(" AND %s < $%d", column, n+2)
		args = append(args, end)
	}
	return cond, args
}

// Scan implements projections.Backend.
func (b *Backend) Scan(ctx context.Context, projection string, gen uint64, collection, prefix string, fn func(key string, raw []byte) error) error {
	cond, args := keyRange("key", 4, prefix, "")
	rows, err := b.pool.Query(ctx, `SELECT key, doc FROM rm_docs WHERE projection = $1 AND generation = $2 AND collection = $3
		AND `+cond+` ORDER BY key`, append([]any{projection, int64(gen), collection}, args...)...)
	if err != nil {
		return fmt.Errorf("scan %s/%s* of %s generation %d: %w", collection, prefix, projection, gen, err)
	}
	return eachDoc(rows, func(_ string, key string, doc []byte) error { return fn(key, doc) }, false)
}

// eachDoc calls fn for (collection?, key, doc) rows.
func eachDoc(rows pgx.Rows, fn func(collection, key string, doc []byte) error, withCollection bool) error {
	defer rows.Close()
	var coll, key string
	var doc []byte
	for rows.Next() {
		var err error
		if withCollection {
			err = rows.Scan(&coll, &key, &doc)
		} else {
			err = rows.Scan(&key, &doc)
		}
		if err != nil {
			return fmt.Errorf("read documents: %w", err)
		}
		if err := fn(coll, key, doc); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read documents: %w", err)
	}
	return nil
}

// Dump implements projections.Backend.
func (b *Backend) Dump(ctx context.Context, projection string, gen uint64, fn func(collection, key string, raw []byte) error) error {
	rows, err := b.pool.Query(ctx, `SELECT collection, key, doc FROM rm_docs WHERE projection = $1 AND generation = $2 ORDER BY collection, key`,
		projection, int64(gen))
	if err != nil {
		return fmt.Errorf("dump %s generation %d: %w", projection, gen, err)
	}
	return eachDoc(rows, fn, true)
}

// Commit implements projections.Backend: one transaction, one round trip
// for its statements.
func (b *Backend) Commit(ctx context.Context, c projections.Commit) error {
	var upC, upK, delC, delK []string
	var upD [][]byte
	for _, ch := range c.Changes {
		if ch.Doc == nil {
			delC, delK = append(delC, ch.Collection), append(delK, ch.Key)
		} else {
			upC, upK, upD = append(upC, ch.Collection), append(upK, ch.Key), append(upD, ch.Doc)
		}
	}
	proj, gen := c.Projection, int64(c.Generation)
	batch := &pgx.Batch{}
	if len(upC) > 0 {
		batch.Queue(`INSERT INTO rm_docs (projection, generation, collection, key, doc)
			SELECT $1, $2, u.c, u.k, u.d FROM unnest($3::text[], $4::text[], $5::bytea[]) AS u(c, k, d)
			ON CONFLICT (projection, generation, collection, key) DO UPDATE SET doc = EXCLUDED.doc`, proj, gen, upC, upK, upD)
	}
	if len(delC) > 0 {
		batch.Queue(`DELETE FROM rm_docs d USING unnest($3::text[], $4::text[]) AS u(c, k)
			WHERE d.projection = $1 AND d.generation = $2 AND d.collection = u.c AND d.key = u.k`, proj, gen, delC, delK)
	}
	checkpointAt := batch.Len()
	batch.Queue(`UPDATE rm_checkpoints SET position = $4, updated_at = now()
		WHERE projection = $1 AND generation = $2 AND position = $3`, proj, gen, int64(c.From), int64(c.To))
	if n := len(c.Outbox); n > 0 {
		ids, names, keys, srcIDs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		payloads, srcPos, occurred := make([][]byte, n), make([]int64, n), make([]pgtype.Timestamptz, n)
		for i, e := range c.Outbox {
			ids[i], names[i], keys[i], srcIDs[i] = e.ID, e.Name, e.Key, e.SourceEventID.String()
			payloads[i], srcPos[i] = e.Payload, int64(e.SourcePosition)
			occurred[i] = pgtype.Timestamptz{Time: e.OccurredAt, Valid: !e.OccurredAt.IsZero()}
		}
		batch.Queue(`INSERT INTO rm_outbox (projection, id, name, key, payload, source_event_id, source_position, occurred_at)
			SELECT $1, u.* FROM unnest($2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[], $7::bigint[], $8::timestamptz[])
			AS u(id, name, key, payload, sid, spos, occ) ORDER BY u.spos`, proj, ids, names, keys, payloads, srcIDs, srcPos, occurred)
	}
	if c.Mark > 0 {
		batch.Queue(`INSERT INTO rm_projections AS p (projection, mark) VALUES ($1, $2)
			ON CONFLICT (projection) DO UPDATE SET mark = greatest(coalesce(p.mark, 0), EXCLUDED.mark)`, proj, int64(c.Mark))
	}
	what := func() string { return fmt.Sprintf("commit %s@%d %d..%d", c.Projection, c.Generation, c.From, c.To) }
	err := b.write(ctx, what, func(tx pgx.Tx) error {
		br := tx.SendBatch(ctx, batch)
		for i := range batch.Len() {
			tag, err := br.Exec()
			if err != nil {
				br.Close()
				return err
			}
			if i == checkpointAt && tag.RowsAffected() != 1 {
				br.Close()
				return fmt.Errorf("stored checkpoint is not %d: %w", c.From, projections.ErrCheckpointMoved)
			}
		}
		return br.Close()
	})
	if err != nil {
		return fmt.Errorf("commit %s generation %d (%d..%d, %d documents): %w", c.Projection, c.Generation, c.From, c.To, len(c.Changes), err)
	}
	b.stats.Wrote(len(upC))
	return nil
}

// InitMark implements projections.Backend.
func (b *Backend) InitMark(ctx context.Context, projection string, pos eventstore.Position) (eventstore.Position, error) {
	var mark int64
	err := b.write(ctx, func() string { return "mark " + projection }, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO rm_projections AS p (projection, mark) VALUES ($1, $2)
			ON CONFLICT (projection) DO UPDATE SET mark = coalesce(p.mark, EXCLUDED.mark)
			RETURNING mark`, projection, int64(pos)).Scan(&mark)
	})
	if err != nil {
		return 0, fmt.Errorf("integration mark of %s: %w", projection, err)
	}
	return eventstore.Position(mark), nil
}

// Outbox implements projections.Backend.
func (b *Backend) Outbox(ctx context.Context, projection string) ([]projections.IntegrationEvent, error) {
	rows, err := b.pool.Query(ctx, `SELECT id, name, key, payload, source_event_id, source_position, occurred_at
		FROM rm_outbox WHERE projection = $1 ORDER BY seq`, projection)
	if err != nil {
		return nil, fmt.Errorf("read outbox of %s: %w", projection, err)
	}
	defer rows.Close()
	var out []projections.IntegrationEvent
	for rows.Next() {
		e := projections.IntegrationEvent{Projection: projection}
		var sid string
		var spos int64
		var occ pgtype.Timestamptz
		if err := rows.Scan(&e.ID, &e.Name, &e.Key, &e.Payload, &sid, &spos, &occ); err != nil {
			return nil, fmt.Errorf("read outbox of %s: %w", projection, err)
		}
		e.SourcePosition = eventstore.Position(spos)
		if e.SourceEventID, err = uuid.Parse(sid); err != nil {
			return nil, fmt.Errorf("read outbox of %s: source event id: %w", projection, err)
		}
		if occ.Valid {
			e.OccurredAt = occ.Time.UTC()
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read outbox of %s: %w", projection, err)
	}
	return out, nil
}

// DeleteOutbox implements projections.Backend.
func (b *Backend) DeleteOutbox(ctx context.Context, projection string, ids []string) error {
	err := b.write(ctx, func() string { return "outbox " + projection }, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM rm_outbox WHERE projection = $1 AND id = ANY($2::text[])`, projection, ids)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete from outbox of %s: %w", projection, err)
	}
	return nil
}

// Reader implements projections.Backend: each call reads the active
// generation in one statement, so a switch never shows a mix.
func (b *Backend) Reader(projection string) projections.Reader {
	return reader{b: b, projection: projection}
}

// GenerationReader implements projections.Backend.
func (b *Backend) GenerationReader(projection string, gen uint64) projections.Reader {
	return reader{b: b, projection: projection, gen: gen}
}

type reader struct {
	b          *Backend
	projection string
	gen        uint64 // 0: the active one
}

// genExpr is the SQL for the generation to read.
func (r reader) genExpr() string {
	if r.gen != 0 {
		return fmt.Sprintf("%d::bigint", r.gen)
	}
	return "(SELECT generation FROM rm_active WHERE projection = $1)"
}

func (r reader) Get(ctx context.Context, collection, key string, v any) (bool, error) {
	var gen *int64
	var doc []byte
	err := r.b.pool.QueryRow(ctx, `SELECT g.gen, (SELECT doc FROM rm_docs WHERE projection = $1 AND generation = g.gen AND collection = $2 AND key = $3)
		FROM (SELECT `+r.genExpr()+` AS gen) g`, r.projection, collection, key).Scan(&gen, &doc)
	if err != nil {
		return false, fmt.Errorf("read %s/%s of %s: %w", collection, key, r.projection, err)
	}
	if gen == nil {
		return false, fmt.Errorf("read %s: %w", r.projection, projections.ErrNoActiveGeneration)
	}
	if doc == nil {
		return false, nil
	}
	if err := json.Unmarshal(doc, v); err != nil {
		return true, fmt.Errorf("decode %s/%s: %w", collection, key, err)
	}
	return true, nil
}

func (r reader) Scan(ctx context.Context, collection, prefix string, fn func(key string, raw []byte) error) error {
	return r.ScanPage(ctx, collection, prefix, "", 0, fn)
}

// ScanPage implements projections.PageReader in one statement (and one
// more when it finds nothing: whether there is a generation to read).
func (r reader) ScanPage(ctx context.Context, collection, prefix, after string, limit int, fn func(key string, raw []byte) error) error {
	sql, args := r.pageQuery(collection, projections.Page{Prefix: prefix, After: after, Limit: limit})
	rows, err := r.b.pool.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("scan %s/%s* of %s: %w", collection, prefix, r.projection, err)
	}
	n, err := r.eachPageRow(rows, fn)
	if err != nil || n > 0 {
		return err
	}
	return r.checkActive(r.b.pool.QueryRow(ctx, activeQuery, r.projection))
}

// ScanPages implements projections.MultiPageReader: the pages' statements
// go in one batch, one round trip, after the check that there is a
// generation to read.
func (r reader) ScanPages(ctx context.Context, collection string, pages []projections.Page, fn func(page int, key string, raw []byte) error) error {
	if len(pages) == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	batch.Queue(activeQuery, r.projection)
	for _, p := range pages {
		sql, args := r.pageQuery(collection, p)
		batch.Queue(sql, args...)
	}
	br := r.b.pool.SendBatch(ctx, batch)
	defer br.Close()
	if err := r.checkActive(br.QueryRow()); err != nil {
		return err
	}
	for i, p := range pages {
		rows, err := br.Query()
		if err != nil {
			return fmt.Errorf("scan %s/%s* of %s: %w", collection, p.Prefix, r.projection, err)
		}
		if _, err := r.eachPageRow(rows, func(key string, raw []byte) error { return fn(i, key, raw) }); err != nil {
			return err
		}
	}
	return br.Close()
}

// activeQuery tells whether a projection has an active generation.
const activeQuery = `SELECT EXISTS (SELECT 1 FROM rm_active WHERE projection = $1)`

// checkActive reads activeQuery's answer: ErrNoActiveGeneration when a
// reader of the active generation has none to read.
func (r reader) checkActive(row pgx.Row) error {
	var active bool
	if err := row.Scan(&active); err != nil {
		return fmt.Errorf("read %s: %w", r.projection, err)
	}
	if !active && r.gen == 0 {
		return fmt.Errorf("read %s: %w", r.projection, projections.ErrNoActiveGeneration)
	}
	return nil
}

// pageQuery is the statement reading page p of collection in the
// generation to read: an index range in key order, so that a limit stops
// it early. (A join with the generation, as Get does to tell "no
// generation" apart, would make PostgreSQL sort the whole range first.)
func (r reader) pageQuery(collection string, p projections.Page) (string, []any) {
	lim := "ALL"
	if p.Limit > 0 {
		lim = strconv.Itoa(p.Limit)
	}
	cond, args := keyRange("key", 3, p.Prefix, p.After)
	return `SELECT key, doc FROM rm_docs WHERE projection = $1 AND generation = ` + r.genExpr() + ` AND collection = $2 AND ` + cond + `
		ORDER BY key LIMIT ` + lim, append([]any{r.projection, collection}, args...)
}

// eachPageRow calls fn for the documents of a page's rows and returns how
// many there were.
func (r reader) eachPageRow(rows pgx.Rows, fn func(key string, raw []byte) error) (int, error) {
	defer rows.Close()
	n := 0
	var key string
	var doc []byte
	for rows.Next() {
		if err := rows.Scan(&key, &doc); err != nil {
			return n, fmt.Errorf("scan %s: %w", r.projection, err)
		}
		n++
		if err := fn(key, doc); err != nil {
			return n, err
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("scan %s: %w", r.projection, err)
	}
	return n, nil
}

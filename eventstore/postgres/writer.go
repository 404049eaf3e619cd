package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/pdis/collab-ledger/eventstore"
)

// appendReq is one caller's append, waiting for the writer.
type appendReq struct {
	ctx    context.Context
	stream string
	exp    eventstore.Expectation
	events []eventstore.EventData // prepared
	size   int
	done   chan appendOutcome // buffered: the writer never blocks on it
}

type appendOutcome struct {
	res eventstore.AppendResult
	err error
}

// Append stores events at the end of stream if the stream satisfies exp, all
// or none, and returns once they are committed. The store's single writer
// commits the appends of many callers in one transaction (group commit);
// each append still gets its own outcome. If ctx ends while the append is
// being committed, Append returns ctx's error and the append may or may not
// be stored: retrying it with the same event IDs is safe.
func (s *Store) Append(ctx context.Context, stream string, exp eventstore.Expectation, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if s.closed.Load() {
		return eventstore.AppendResult{}, fmt.Errorf("append %q: %w", stream, eventstore.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %q: %w", stream, err)
	}
	prepared, err := s.cfg.Prepare(stream, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	size := 0
	for _, ev := range prepared {
		size += len(ev.Data)
	}
	req := &appendReq{ctx: ctx, stream: stream, exp: exp, events: prepared, size: size, done: make(chan appendOutcome, 1)}
	select {
	case s.reqs <- req:
	case <-s.stop:
		return eventstore.AppendResult{}, fmt.Errorf("append %q: %w", stream, eventstore.ErrClosed)
	case <-ctx.Done():
		return eventstore.AppendResult{}, fmt.Errorf("append %q: %w", stream, ctx.Err())
	}
	select {
	case out := <-req.done:
		return out.res, out.err
	case <-ctx.Done():
		return eventstore.AppendResult{}, fmt.Errorf("append %q: outcome unknown, retry with the same event IDs: %w", stream, ctx.Err())
	case <-s.writerDone:
		select {
		case out := <-req.done:
			return out.res, out.err
		default:
			return eventstore.AppendResult{}, fmt.Errorf("append %q: %w", stream, eventstore.ErrClosed)
		}
	}
}

func (r *appendReq) reply(res eventstore.AppendResult, err error) {
	r.done <- appendOutcome{res: res, err: err}
}

// writer is the store's only appender. It takes every append waiting in
// s.reqs (up to MaxBatch) and commits them in one transaction, so that
// appends that arrive while a commit is under way share the next one.
func (s *Store) writer() {
	defer close(s.writerDone)
	batch := make([]*appendReq, 0, s.cfg.MaxBatch)
	for {
		batch = batch[:0]
		select {
		case r := <-s.reqs:
			batch = append(batch, r)
		case <-s.stop:
			s.drain()
			return
		}
		size := batch[0].size
	collect:
		for len(batch) < s.cfg.MaxBatch && size < s.cfg.MaxBatchBytes {
			select {
			case r := <-s.reqs:
				batch = append(batch, r)
				size += r.size
			default:
				break collect
			}
		}
		s.commitBatch(batch)
		clear(batch)
	}
}

// drain fails the appends still queued when the store closes.
func (s *Store) drain() {
	for {
		select {
		case r := <-s.reqs:
			r.reply(eventstore.AppendResult{}, fmt.Errorf("append %q: %w", r.stream, eventstore.ErrClosed))
		default:
			return
		}
	}
}

// commitBatch decides and commits one batch and answers its callers.
func (s *Store) commitBatch(batch []*appendReq) {
	live := make([]*appendReq, 0, len(batch))
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.reply(eventstore.AppendResult{}, fmt.Errorf("append %q: %w", r.stream, err))
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	started := time.Now()
	outcomes, head, stored, err := s.runBatch(ctx, live)
	if err != nil {
		s.stats.failed.Add(1)
		if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w: write timeout of %v exceeded: %w", eventstore.ErrUnavailable, s.cfg.WriteTimeout, err)
		}
		s.log.Warn("append batch failed; no append of it was stored", "appends", len(live), "err", err)
		for _, r := range live {
			r.reply(eventstore.AppendResult{}, wrap(err, "append %q", r.stream))
		}
		return
	}
	s.stats.batches.Add(1)
	s.stats.appends.Add(uint64(len(live)))
	s.stats.events.Add(uint64(stored))
	for n := uint64(len(live)); ; {
		cur := s.stats.maxBatch.Load()
		if n <= cur || s.stats.maxBatch.CompareAndSwap(cur, n) {
			break
		}
	}
	if stored > 0 {
		s.tables.Wrote(stored)
		s.publish(head)
		s.log.Debug("committed append batch", "appends", len(live), "events", stored, "head", head, "took", time.Since(started))
	}
	for i, r := range live {
		r.reply(outcomes[i].res, outcomes[i].err)
	}
}

// The writer's statements. The lock key is per schema, so stores in other
// schemas of the same database do not wait for each other. Their shapes
// keep to index scans whatever the table's statistics say, since pgx
// caches them as prepared statements whose generic plans may be made while
// the table is still empty.
const (
	sqlLock     = "SELECT pg_advisory_xact_lock($1)"
	sqlHead     = "SELECT coalesce(max(position), 0) FROM events"
	sqlVersions = `SELECT s.stream, coalesce((SELECT max(e.version) FROM events e WHERE e.stream = s.stream), 0)
		FROM unnest($1::text[]) AS s(stream)`
	sqlFindIDs = `SELECT e.* FROM unnest($1::uuid[]) AS q(id)
		CROSS JOIN LATERAL (SELECT ` + eventColumns + ` FROM events WHERE events.id = q.id LIMIT 1) AS e`
	sqlNotify = "SELECT pg_notify($1, $2)"
)

// insertColumns are the columns of an INSERT, in insertArgs' order.
const insertColumns = `position, stream, version, id, type, schema_version, data,
	actor_id, actor_role, command_id, correlation_id, causation_id, occurred_at, recorded_at, hash`

const numInsertColumns = 15

// insertSizes are the row counts of the INSERT statements a batch is split
// into: a multi-row VALUES statement is cheaper for PostgreSQL to plan and
// run than unnesting column arrays, and a few fixed sizes keep the number
// of prepared statements small. 37 rows go as 32 + 4 + 1.
var insertSizes = []int{64, 32, 16, 8, 4, 2, 1}

// insertSQL holds the INSERT statement for each of insertSizes. Rows whose
// ID is stored already are skipped (ON CONFLICT DO NOTHING), which tryBatch
// notices by the row count.
var insertSQL = func() map[int]string {
	m := make(map[int]string, len(insertSizes))
	for _, n := range insertSizes {
		var b strings.Builder
		b.WriteString("INSERT INTO events (" + insertColumns + ") VALUES ")
		for r := range n {
			if r > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('(')
			for c := range numInsertColumns {
				if c > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "$%d", r*numInsertColumns+c+1)
			}
			b.WriteByte(')')
		}
		b.WriteString(" ON CONFLICT (id) DO NOTHING")
		m[n] = b.String()
	}
	return m
}()

// runBatch runs one group-commit transaction:
//
//  1. BEGIN; take the schema's append advisory lock (held until the
//     transaction ends, so every other writer, in any process, waits);
//     read the head position and the version of each stream involved —
//     one round trip.
//  2. Decide each append in order, in memory: wrong expected version, or
//     accepted with positions head+1, .... Event IDs already stored are
//     looked up only when they can matter, see below.
//  3. Insert the accepted events and NOTIFY the new head — one round trip.
//  4. COMMIT. The lock is released only once the commit is visible, so the
//     next writer's head, and any reader's snapshot, includes it.
//
// An append whose event IDs are stored already (a retry, or a reused ID)
// either fails its expectation, or is accepted and then collides on the
// unique id index (the insert skips such rows with ON CONFLICT DO NOTHING
// and counts fewer rows). In the first case the batch looks its IDs up
// before inserting and decides again with eventstore.CheckRetry; in the
// second it rolls back and runs again, looking IDs up from the start. The
// common case, new IDs, pays for no lookup.
//
// It returns each append's outcome, the new head and how many events were
// stored. An error means nothing was stored and no append is answered.
func (s *Store) runBatch(ctx context.Context, reqs []*appendReq) ([]appendOutcome, eventstore.Position, int, error) {
	out, head, stored, redo, err := s.tryBatch(ctx, reqs, false)
	if err == nil && redo {
		s.log.Debug("append batch met stored event IDs; running it again with a lookup", "appends", len(reqs))
		out, head, stored, _, err = s.tryBatch(ctx, reqs, true)
	}
	return out, head, stored, err
}

// tryBatch is one attempt at runBatch. With lookup it reads the stored
// events with the batch's IDs before deciding; without, it reports redo
// when an accepted event's ID turned out to be stored.
func (s *Store) tryBatch(ctx context.Context, reqs []*appendReq, lookup bool) (out []appendOutcome, head eventstore.Position, stored int, redo bool, err error) {
	streamSet := make(map[string]struct{}, len(reqs))
	var streams []string
	var ids []pgtype.UUID
	for _, r := range reqs {
		if _, ok := streamSet[r.stream]; !ok {
			streamSet[r.stream] = struct{}{}
			streams = append(streams, r.stream)
		}
		for _, ev := range r.events {
			ids = append(ids, pgtype.UUID{Bytes: ev.ID, Valid: true})
		}
	}

	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, 0, 0, false, fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()

	b := &pgx.Batch{}
	b.BeginTx(pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	b.Queue(sqlLock, s.lockKey)
	b.Queue(sqlHead)
	b.Queue(sqlVersions, streams)
	if lookup {
		b.Queue(sqlFindIDs, ids)
	}
	br := conn.SendBatch(ctx, b)
	tx := br.Tx()
	defer func() {
		// After a commit this is a no-op; after a failure it ends the
		// transaction (or the broken connection, which the pool drops).
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tx.Rollback(rctx)
	}()
	var headPos int64
	versions := make(map[string]uint64, len(streams))
	var found map[uuid.UUID]eventstore.Event
	err = func() error {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("take append lock: %w", err)
		}
		if err := br.QueryRow().Scan(&headPos); err != nil {
			return fmt.Errorf("read head: %w", err)
		}
		rows, err := br.Query()
		if err != nil {
			return fmt.Errorf("read stream versions: %w", err)
		}
		for rows.Next() {
			var name string
			var v int64
			if err := rows.Scan(&name, &v); err != nil {
				rows.Close()
				return fmt.Errorf("read stream versions: %w", err)
			}
			versions[name] = uint64(v)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read stream versions: %w", err)
		}
		if lookup {
			rows, err := br.Query()
			if err != nil {
				return fmt.Errorf("look up event IDs: %w", err)
			}
			if found, err = foundEvents(rows); err != nil {
				return fmt.Errorf("look up event IDs: %w", err)
			}
		}
		return nil
	}()
	if cerr := br.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, 0, 0, false, err
	}

	recordedAt := s.cfg.RecordedAt()
	out, accepted, conflicts := decide(reqs, versions, eventstore.Position(headPos), recordedAt, found)
	if conflicts && !lookup {
		// A refused append may be a retry of one already stored: look its
		// IDs up (still under the lock) and decide again.
		rows, err := tx.Query(ctx, sqlFindIDs, ids)
		if err != nil {
			return nil, 0, 0, false, fmt.Errorf("look up event IDs: %w", err)
		}
		if found, err = foundEvents(rows); err != nil {
			return nil, 0, 0, false, fmt.Errorf("look up event IDs: %w", err)
		}
		lookup = true
		out, accepted, _ = decide(reqs, versions, eventstore.Position(headPos), recordedAt, found)
	}
	head = eventstore.Position(headPos) + eventstore.Position(len(accepted))
	if len(accepted) == 0 {
		// Nothing to write: the decisions stand on what the lock-holding
		// reads saw; the deferred rollback ends the transaction.
		return out, head, 0, false, nil
	}

	b = &pgx.Batch{}
	chunks := 0
	for rest := accepted; len(rest) > 0; chunks++ {
		n := insertSizes[0]
		for _, size := range insertSizes {
			if size <= len(rest) {
				n = size
				break
			}
		}
		b.Queue(insertSQL[n], insertArgs(rest[:n], recordedAt)...)
		rest = rest[n:]
	}
	b.Queue(sqlNotify, NotifyChannel, strconv.FormatUint(uint64(head), 10)+" "+s.schema)
	inserted, err := func() (int64, error) {
		br := tx.SendBatch(ctx, b)
		defer br.Close()
		var n int64
		for range chunks {
			tag, err := br.Exec()
			if err != nil {
				return 0, err
			}
			n += tag.RowsAffected()
		}
		if _, err := br.Exec(); err != nil {
			return 0, err
		}
		return n, br.Close()
	}()
	if err != nil {
		return nil, 0, 0, false, fmt.Errorf("insert %d events: %w", len(accepted), err)
	}
	if inserted != int64(len(accepted)) {
		if lookup {
			// The IDs were looked up under the lock, yet some are stored:
			// another writer does not take the lock.
			return nil, 0, 0, false, fmt.Errorf("insert %d events: %d IDs stored meanwhile by a writer that bypasses the append lock", len(accepted), int64(len(accepted))-inserted)
		}
		return nil, 0, 0, true, nil
	}
	if h := s.cfg.hooks; h != nil && h.beforeCommit != nil {
		if err := h.beforeCommit(ctx, tx); err != nil {
			return nil, 0, 0, false, fmt.Errorf("before commit: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, 0, 0, false, fmt.Errorf("commit %d events: %w", len(accepted), err)
	}
	return out, head, len(accepted), false, nil
}

// foundEvents reads sqlFindIDs' rows.
func foundEvents(rows pgx.Rows) (map[uuid.UUID]eventstore.Event, error) {
	evs, err := readEvents(rows, 0)
	if err != nil {
		return nil, err
	}
	found := make(map[uuid.UUID]eventstore.Event, len(evs))
	for _, ev := range evs {
		found[ev.ID] = ev
	}
	return found, nil
}

// decide settles each append of a batch in order, as if they had come one
// by one: positions from head+1, stream versions from versions (which it
// updates), stored events with the batch's IDs from found (nil: not looked
// up). It returns the outcomes, the events to insert, and whether any
// append was refused for its expectation.
func decide(reqs []*appendReq, storedVersions map[string]uint64, head eventstore.Position, recordedAt time.Time, found map[uuid.UUID]eventstore.Event) (out []appendOutcome, accepted []eventstore.Event, conflicts bool) {
	versions := make(map[string]uint64, len(storedVersions))
	for k, v := range storedVersions {
		versions[k] = v
	}
	pending := make(map[uuid.UUID]eventstore.Event)
	locate := func(id uuid.UUID) (eventstore.Located, bool) {
		ev, ok := found[id]
		if !ok {
			ev, ok = pending[id]
		}
		return eventstore.Located{Stream: ev.Stream, Version: ev.Version}, ok
	}
	out = make([]appendOutcome, len(reqs))
	next := head
	for i, r := range reqs {
		seen := false
		for _, ev := range r.events {
			if _, ok := locate(ev.ID); ok {
				seen = true
				break
			}
		}
		if seen {
			retry, err := eventstore.CheckRetry(r.stream, r.exp, r.events, locate)
			if err != nil {
				out[i].err = fmt.Errorf("append %q: %w", r.stream, err)
				continue
			}
			if retry {
				evs := make([]eventstore.Event, len(r.events))
				for j, ev := range r.events {
					e, ok := found[ev.ID]
					if !ok {
						e = pending[ev.ID]
					}
					evs[j] = e
				}
				last := evs[len(evs)-1]
				out[i].res = eventstore.AppendResult{Version: last.Version, Position: last.Position, Events: evs}
				continue
			}
		}
		cur := versions[r.stream]
		if !r.exp.Allows(cur) {
			out[i].err = &eventstore.ConflictError{Stream: r.stream, Expected: r.exp, Actual: cur}
			conflicts = true
			continue
		}
		sealed := eventstore.Seal(r.stream, cur+1, recordedAt, r.events)
		for j := range sealed {
			next++
			sealed[j].Position = next
			pending[sealed[j].ID] = sealed[j]
		}
		versions[r.stream] = cur + uint64(len(sealed))
		last := sealed[len(sealed)-1]
		out[i].res = eventstore.AppendResult{Version: last.Version, Position: last.Position, Events: sealed}
		accepted = append(accepted, sealed...)
	}
	return out, accepted, conflicts
}

// insertArgs lays events out as the parameters of an insertSQL statement.
func insertArgs(evs []eventstore.Event, recordedAt time.Time) []any {
	args := make([]any, 0, len(evs)*numInsertColumns)
	for i := range evs {
		e := &evs[i]
		md := e.Metadata
		var occurred *time.Time
		if !md.OccurredAt.IsZero() {
			occurred = &md.OccurredAt
		}
		args = append(args,
			int64(e.Position), e.Stream, int64(e.Version), pgtype.UUID{Bytes: e.ID, Valid: true}, e.Type,
			int32(e.SchemaVersion), []byte(e.Data),
			md.ActorID, md.ActorRole, md.CommandID, md.CorrelationID, md.CausationID,
			occurred, recordedAt, e.Hash[:])
	}
	return args
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"log/slog"
	"math"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/internal/pgstats"
)

// NotifyChannel is the LISTEN/NOTIFY channel on which every writer
// announces a new head, inside its transaction, as "<head> <schema>".
const NotifyChannel = "collabledger_events"

func init() {
	for _, scheme := range []string{"postgres", "postgresql"} {
		eventstore.Register(scheme, func(ctx context.Context, u *url.URL, cfg eventstore.Config) (eventstore.Store, error) {
			return Open(ctx, u.String(), Config{Config: cfg})
		})
	}
}

// Store is an eventstore.Store kept in PostgreSQL. It is safe for
// concurrent use; several Stores, in one process or many, may share one
// database schema.
type Store struct {
	cfg    Config
	log    *slog.Logger
	pool   *pgxpool.Pool
	schema string // current_schema() of the store's connections
	// lockKey is the pg_advisory_xact_lock key that serialises appends to
	// this schema across every process.
	lockKey int64

	notifier eventstore.Notifier
	// published is the highest head given to notifier.
	published atomic.Uint64

	reqs       chan *appendReq
	stop       chan struct{} // closed by Close: the writer drains and exits
	writerDone chan struct{}

	listenCancel context.CancelFunc
	listenDone   chan struct{}
	closeCtx     context.Context // done once Close has begun
	closeCancel  context.CancelFunc

	closed    atomic.Bool
	closeOnce sync.Once

	stats   statsCounters
	listenG listenState
	// tables analyzes the events table as it grows (see pgstats).
	tables *pgstats.Analyzer
	// subscribeReads counts the reads subscriptions made (for tests).
	subscribeReads atomic.Uint64
}

// Open connects to PostgreSQL, applies the embedded migrations and starts
// the store's writer and listener. connString is a postgres:// URL or a
// keyword/value string that pgx understands; a URL may also carry the
// store's own parameters schema, max_batch and poll_interval, which
// override cfg.
func Open(ctx context.Context, connString string, cfg Config) (*Store, error) {
	connString, cfg, err := splitConnString(connString, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres event store: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	redacted := eventstore.Redact(connString)

	pcfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("open postgres event store %s: %w", redacted, err)
	}
	if cfg.Schema != "" {
		pcfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{cfg.Schema}.Sanitize()
	}
	if pcfg.ConnConfig.RuntimeParams["application_name"] == "" {
		pcfg.ConnConfig.RuntimeParams["application_name"] = "collab-ledger"
	}
	if cfg.MaxConns > 0 {
		pcfg.MaxConns = cfg.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, wrap(err, "open postgres event store %s", redacted)
	}
	s, err := start(ctx, pool, cfg)
	if err != nil {
		pool.Close()
		return nil, wrap(err, "open postgres event store %s", redacted)
	}
	return s, nil
}

func start(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*Store, error) {
	var enc string
	if err := pool.QueryRow(ctx, "SHOW server_encoding").Scan(&enc); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if enc != "UTF8" && enc != "SQL_ASCII" {
		return nil, fmt.Errorf("database encoding is %s: the ledger needs UTF8", enc)
	}
	applied, err := migrate(ctx, pool, cfg.Schema)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var schema *string
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return nil, fmt.Errorf("read current schema: %w", err)
	}
	if schema == nil {
		return nil, errors.New("no schema on the search_path exists")
	}
	h := fnv.New64a()
	h.Write([]byte("collab-ledger append lock\x00" + *schema))

	s := &Store{
		cfg:        cfg,
		log:        cfg.Logger.With("component", "eventstore/postgres", "schema", *schema),
		pool:       pool,
		schema:     *schema,
		lockKey:    int64(h.Sum64()),
		reqs:       make(chan *appendReq, cfg.MaxBatch),
		stop:       make(chan struct{}),
		writerDone: make(chan struct{}),
		listenDone: make(chan struct{}),
	}
	s.tables = pgstats.New(pool, s.log, pgx.Identifier{*schema, "events"}.Sanitize())
	if len(applied) > 0 {
		s.log.Info("applied migrations", "migrations", applied)
	}
	s.closeCtx, s.closeCancel = context.WithCancel(context.Background())
	var listenCtx context.Context
	listenCtx, s.listenCancel = context.WithCancel(context.Background())
	go s.writer()
	go s.listen(listenCtx, pool.Config().ConnConfig.Copy())
	return s, nil
}

// Close stops the store: appends already being committed finish, queued
// ones fail with eventstore.ErrClosed, subscriptions end with
// eventstore.ErrClosed, and the connections are closed. Calls after Close,
// Close included, return eventstore.ErrClosed.
func (s *Store) Close() error {
	first := false
	s.closeOnce.Do(func() {
		first = true
		s.closed.Store(true)
		s.closeCancel()
		close(s.stop)
		s.listenCancel()
		<-s.writerDone
		<-s.listenDone
		s.tables.Wait()
		// Wake every waiting subscriber; they find the store closed.
		s.notifier.Publish(math.MaxUint64)
		s.pool.Close()
	})
	if !first {
		return eventstore.ErrClosed
	}
	return nil
}

// Head returns the position of the last stored event, 0 if there is none.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	if s.closed.Load() {
		return 0, fmt.Errorf("head: %w", eventstore.ErrClosed)
	}
	var head int64
	if err := s.pool.QueryRow(ctx, "SELECT coalesce(max(position), 0) FROM events").Scan(&head); err != nil {
		return 0, s.readErr(err, "head")
	}
	return eventstore.Position(head), nil
}

// ReadStream returns up to limit events of stream with a version of at least
// from, in version order. A stream with no events, or a limit below 1,
// reads as empty.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	if s.closed.Load() {
		return nil, fmt.Errorf("read stream %q: %w", stream, eventstore.ErrClosed)
	}
	if err := eventstore.ValidateStream(stream); err != nil {
		return nil, fmt.Errorf("read stream: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read stream %q: %w", stream, err)
	}
	if limit < 1 {
		return nil, nil
	}
	if from > math.MaxInt64 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, "SELECT "+eventColumns+" FROM events WHERE stream = $1 AND version >= $2 ORDER BY version LIMIT $3",
		stream, int64(from), int64(limit))
	if err != nil {
		return nil, s.readErr(err, "read stream %q", stream)
	}
	evs, err := readEvents(rows, limit)
	if err != nil {
		return nil, s.readErr(err, "read stream %q", stream)
	}
	return evs, nil
}

// ReadAll returns up to limit events with a position greater than after, in
// position order. Positions are dense and committed in order, so what it
// returns never skips an event that could still appear. A limit below 1
// reads as empty.
func (s *Store) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error) {
	if s.closed.Load() {
		return nil, fmt.Errorf("read all: %w", eventstore.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read all after %d: %w", after, err)
	}
	if limit < 1 || after >= math.MaxInt64 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, "SELECT "+eventColumns+" FROM events WHERE position > $1 ORDER BY position LIMIT $2",
		int64(after), int64(limit))
	if err != nil {
		return nil, s.readErr(err, "read all after %d", after)
	}
	evs, err := readEvents(rows, limit)
	if err != nil {
		return nil, s.readErr(err, "read all after %d", after)
	}
	return evs, nil
}

// readErr wraps a read's error, as eventstore.ErrClosed if the store was
// closed meanwhile.
func (s *Store) readErr(err error, format string, args ...any) error {
	if s.closed.Load() {
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), eventstore.ErrClosed)
	}
	return wrap(err, format, args...)
}

// Subscribe yields every event with a position greater than after: first
// the stored ones, then each new one as it is committed, by this store or
// any other process. A caught-up subscriber is woken by this store's writer,
// by NOTIFY from other processes, and at the latest after PollInterval.
func (s *Store) Subscribe(ctx context.Context, after eventstore.Position) iter.Seq2[eventstore.Event, error] {
	if s.closed.Load() {
		return func(yield func(eventstore.Event, error) bool) {
			yield(eventstore.Event{}, fmt.Errorf("subscribe: %w", eventstore.ErrClosed))
		}
	}
	return func(yield func(eventstore.Event, error) bool) {
		w := waiter{s: s}
		for ev, err := range eventstore.Follow(ctx, after, w.read, w.wait) {
			if !yield(ev, err) {
				return
			}
		}
	}
}

// waiter is one subscription's reads and waits.
type waiter struct {
	s *Store
	// publishedAtRead is the notifier's head when the last read began.
	publishedAtRead uint64
}

func (w *waiter) read(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error) {
	w.publishedAtRead = w.s.published.Load()
	w.s.subscribeReads.Add(1)
	return w.s.ReadAll(ctx, after, limit)
}

func (w *waiter) wait(ctx context.Context, after eventstore.Position) error {
	s := w.s
	if s.closed.Load() {
		return fmt.Errorf("subscribe: %w", eventstore.ErrClosed)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.closeCtx, cancel)
	defer stop()

	var err error
	if w.publishedAtRead > uint64(after) {
		// Before the last read began, the notifier had been told of a head
		// beyond after, which was committed by then; yet the read stopped
		// at after. That head is gone (the table was emptied or replaced
		// under a running store), and the notifier would wake us at once
		// for ever: poll instead of spinning.
		t := time.NewTimer(s.cfg.PollInterval)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			err = ctx.Err()
		}
	} else {
		err = s.notifier.Wait(ctx, after, s.cfg.PollInterval)
	}
	if s.closed.Load() {
		return fmt.Errorf("subscribe: %w", eventstore.ErrClosed)
	}
	if err != nil {
		return fmt.Errorf("subscribe after %d: %w", after, err)
	}
	return nil
}

// publish tells waiting subscribers the head is at least head.
func (s *Store) publish(head eventstore.Position) {
	for {
		cur := s.published.Load()
		if uint64(head) <= cur || s.published.CompareAndSwap(cur, uint64(head)) {
			break
		}
	}
	s.notifier.Publish(head)
}

// Stats counts the writer's work since Open.
type Stats struct {
	// Batches is how many group-commit transactions committed.
	Batches uint64
	// FailedBatches is how many failed and were rolled back.
	FailedBatches uint64
	// Appends is how many appends the writer decided (stored, retried,
	// refused).
	Appends uint64
	// Events is how many events it stored.
	Events uint64
	// MaxBatchAppends is the most appends one transaction took.
	MaxBatchAppends uint64
}

type statsCounters struct {
	batches, failed, appends, events, maxBatch atomic.Uint64
}

// Stats returns the writer's counters.
func (s *Store) Stats() Stats {
	return Stats{
		Batches:         s.stats.batches.Load(),
		FailedBatches:   s.stats.failed.Load(),
		Appends:         s.stats.appends.Load(),
		Events:          s.stats.events.Load(),
		MaxBatchAppends: s.stats.maxBatch.Load(),
	}
}

// Schema returns the PostgreSQL schema the store's tables are in.
func (s *Store) Schema() string { return s.schema }

var _ eventstore.Store = (*Store)(nil)

// FindEvent implements eventstore.Finder.
func (s *Store) FindEvent(ctx context.Context, id uuid.UUID) (eventstore.Event, bool, error) {
	if s.closed.Load() {
		return eventstore.Event{}, false, fmt.Errorf("find event %s: %w", id, eventstore.ErrClosed)
	}
	rows, err := s.pool.Query(ctx, "SELECT "+eventColumns+" FROM events WHERE id = $1", id)
	if err != nil {
		return eventstore.Event{}, false, s.readErr(err, "find event %s", id)
	}
	evs, err := readEvents(rows, 1)
	if err != nil {
		return eventstore.Event{}, false, s.readErr(err, "find event %s", id)
	}
	if len(evs) == 0 {
		return eventstore.Event{}, false, nil
	}
	return evs[0], true, nil
}

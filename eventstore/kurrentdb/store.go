package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/pdis/collab-ledger/eventstore"
)

func init() {
	for _, scheme := range Schemes {
		eventstore.Register(scheme, func(ctx context.Context, u *url.URL, cfg eventstore.Config) (eventstore.Store, error) {
			s, err := Open(ctx, u.String(), Config{Config: cfg})
			if err != nil {
				return nil, err
			}
			return s, nil
		})
	}
}

// Store is an event store kept in KurrentDB. It implements
// eventstore.Store and is safe for concurrent use.
type Store struct {
	cfg  Config
	conf esdb.Configuration // for making a new client after the old one gave up
	name string             // the redacted connection string, for errors

	mu  sync.Mutex
	cur *conn

	closed   atomic.Bool
	closeCtx context.Context // done once Close is called; ends subscriptions
	stop     context.CancelFunc
}

var _ eventstore.Store = (*Store)(nil)

// conn is one client of the library and the calls in flight on it.
//
// The library (v4.2.0) has two traps this type exists for. Its Close
// closes a channel that calls still starting may send on (a panic, see
// kurrent-io/EventStore-Client-Go#187), so Close waits for the calls in
// flight first. And when its node discovery fails it stops serving that
// channel for good: calls that were waiting to start never return, and
// later ones fail with "connection closed". So every call runs in its own
// goroutine that the caller can leave (run), and a dead client is replaced
// by a new one (renew), which also releases everyone still waiting on it.
type conn struct {
	client   *esdb.Client
	dead     chan struct{} // closed when the store replaces this client
	inflight sync.WaitGroup
}

// closeWait bounds how long Close waits for calls in flight.
const closeWait = 5 * time.Second

// Open connects to the server a connection string names
// ("esdb://localhost:2113?tls=false", "kurrentdb+discover://user:pass@cluster.example:2113",
// see the client's connection-string documentation) and checks that it can
// read $all. Parameters of this package (retry_window, append_attempts,
// max_append_size, resubscribe_attempts, skip_foreign, verify) may ride in
// the string's query and override cfg. A server that cannot be reached
// yields an error wrapping eventstore.ErrUnavailable.
func Open(ctx context.Context, connString string, cfg Config) (*Store, error) {
	conf, cfg, err := clientConfig(connString, cfg)
	if err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s, err := newStore(redact(connString), conf, cfg)
	if err != nil {
		return nil, err
	}
	if err := s.ping(ctx); err != nil {
		s.shutdown(0)
		return nil, err
	}
	return s, nil
}

// newStore makes a store without contacting the server (the client
// connects on first use).
func newStore(name string, conf *esdb.Configuration, cfg Config) (*Store, error) {
	s := &Store{cfg: cfg, conf: *conf, name: name}
	s.conf.Logger = clientLogger(cfg.Logger)
	cn, err := s.newConn()
	if err != nil {
		return nil, fmt.Errorf("open kurrentdb %s: %w", name, err)
	}
	s.cur = cn
	s.closeCtx, s.stop = context.WithCancel(context.Background())
	return s, nil
}

func (s *Store) newConn() (*conn, error) {
	c := s.conf // the client keeps the pointer it is given
	client, err := esdb.NewClient(&c)
	if err != nil {
		return nil, err
	}
	return &conn{client: client, dead: make(chan struct{})}, nil
}

// ping reads the last record of $all. Giving up because ctx ended counts
// as not reaching the server.
func (s *Store) ping(ctx context.Context) error {
	op := "open kurrentdb " + s.name
	_, err := run(s, ctx, op, func(ctx context.Context, c *esdb.Client) (struct{}, error) {
		rs, err := c.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
		if err != nil {
			return struct{}{}, err
		}
		defer rs.Close()
		if _, err := recv(rs); err != nil && !errors.Is(err, io.EOF) {
			return struct{}{}, err
		}
		return struct{}{}, nil
	})
	if ctxErr := ctx.Err(); err != nil && ctxErr != nil && !errors.Is(err, eventstore.ErrUnavailable) {
		return fmt.Errorf("%s: %w: %w", op, eventstore.ErrUnavailable, ctxErr)
	}
	return err
}

// acquire returns the current client and counts a call in flight on it,
// or fails with ErrClosed.
func (s *Store) acquire() (*conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return nil, eventstore.ErrClosed
	}
	s.cur.inflight.Add(1)
	return s.cur, nil
}

// renew replaces old, a client that gave up after a failed node
// discovery, with a new one that will try again on its next call. The old
// client is not closed: calls may still be stuck inside it.
func (s *Store) renew(old *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() || s.cur != old {
		return
	}
	cn, err := s.newConn()
	if err != nil {
		s.cfg.Logger.Error("kurrentdb: cannot make a new client", "store", s.name, "err", err)
		return
	}
	close(old.dead)
	s.cur = cn
	s.cfg.Logger.Warn("kurrentdb: lost the server; the next call connects again", "store", s.name)
}

type result[T any] struct {
	v   T
	err error
}

// run makes one call into the client library, fn, on the current client,
// in a goroutine the caller leaves when ctx ends (its error), the store
// closes (ErrClosed) or the client dies (ErrUnavailable); fn's context
// ends then too. fn's errors are mapped by fail.
func run[T any](s *Store, ctx context.Context, op string, fn func(ctx context.Context, c *esdb.Client) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("%s: %w", op, err)
	}
	cn, err := s.acquire()
	if err != nil {
		return zero, fmt.Errorf("%s: %w", op, err)
	}
	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.closeCtx, cancel)()
	done := make(chan result[T], 1)
	go func() {
		defer cn.inflight.Done()
		v, err := fn(callCtx, cn.client)
		done <- result[T]{v, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return zero, s.fail(ctx, cn, op, r.err)
		}
		return r.v, nil
	case <-callCtx.Done():
		if s.closed.Load() && ctx.Err() == nil {
			return zero, fmt.Errorf("%s: %w", op, eventstore.ErrClosed)
		}
		return zero, fmt.Errorf("%s: %w", op, ctx.Err())
	case <-cn.dead:
		return zero, fmt.Errorf("%s: %w: lost the server", op, eventstore.ErrUnavailable)
	}
}

// begin starts an operation: ErrClosed after Close, the context's error if
// it is done.
func (s *Store) begin(ctx context.Context, op string) error {
	if s.closed.Load() {
		return fmt.Errorf("%s: %w", op, eventstore.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// Close ends running subscriptions and calls (they return ErrClosed),
// waits for the calls in flight to leave the client library (up to 5 s)
// and closes the connection. Calls after Close return ErrClosed. Closing
// twice is a no-op.
func (s *Store) Close() error {
	return s.shutdown(closeWait)
}

// shutdown closes the store, waiting up to wait for the calls in flight.
// Calls still in flight then (stuck in a node discovery, say) keep the
// client open until they leave: closing it under them could make the
// library panic.
func (s *Store) shutdown(wait time.Duration) error {
	s.mu.Lock()
	if s.closed.Swap(true) {
		s.mu.Unlock()
		return nil
	}
	cn := s.cur
	s.mu.Unlock()
	s.stop()
	idle := make(chan struct{})
	go func() {
		cn.inflight.Wait()
		close(idle)
	}()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
		go func() {
			<-idle
			cn.client.Close()
		}()
		if wait > 0 {
			s.cfg.Logger.Warn("kurrentdb: calls still in the client at close; it closes when they end", "store", s.name)
		}
		return nil
	}
	if err := cn.client.Close(); err != nil {
		return fmt.Errorf("close kurrentdb %s: %w", s.name, err)
	}
	return nil
}

// recv reads the next event of a read, turning the library's panic on a
// message it does not know into an error.
func recv(rs *esdb.ReadStream) (ev *esdb.ResolvedEvent, err error) {
	defer func() {
		if r := recover(); r != nil {
			ev, err = nil, fmt.Errorf("kurrentdb client: unexpected read response: %v", r)
		}
	}()
	return rs.Recv()
}

// decode converts a record that is not a system record, verifying its hash
// if configured.
func (s *Store) decode(rec *esdb.RecordedEvent) (eventstore.Event, error) {
	ev, err := fromRecorded(rec)
	if err != nil {
		return ev, err
	}
	if s.cfg.VerifyOnRead {
		if err := ev.Verify(); err != nil {
			return ev, err
		}
	}
	return ev, nil
}

// ledgerRecord says what to do with a record met while scanning $all:
// skip (system, or foreign with SkipForeignEvents), keep, or fail
// (foreign otherwise).
func (s *Store) ledgerRecord(rec *esdb.RecordedEvent) (keep bool, err error) {
	if isSystem(rec) {
		return false, nil
	}
	if isLedgerMetadata(rec.UserMetadata) {
		return true, nil
	}
	if s.cfg.SkipForeignEvents {
		return false, nil
	}
	return false, fmt.Errorf("event %s in %q at revision %d: %w (set skip_foreign if the server is shared)", rec.EventID, rec.StreamID, rec.EventNumber, ErrForeignEvent)
}

// readStream reads up to count events of stream forwards from a version
// (from 1). A missing stream reads as empty.
func (s *Store) readStream(ctx context.Context, op, stream string, from uint64, count int) ([]eventstore.Event, error) {
	return run(s, ctx, op, func(ctx context.Context, c *esdb.Client) ([]eventstore.Event, error) {
		rs, err := c.ReadStream(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Forwards, From: esdb.Revision(revisionOf(from))}, uint64(count))
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		var out []eventstore.Event
		for {
			r, err := recv(rs)
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			if err != nil {
				if classify(err) == kindNotFound {
					return out, nil
				}
				return nil, err
			}
			ev, err := s.decode(r.OriginalEvent())
			if err != nil {
				return nil, err
			}
			out = append(out, ev)
		}
	})
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	op := fmt.Sprintf("read %q", stream)
	if err := eventstore.ValidateStream(stream); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	if from < 1 {
		from = 1
	}
	return s.readStream(ctx, op, stream, from, limit)
}

// ReadAll implements eventstore.Store. It reads $all forwards in pages,
// from the record at after (the server's reads include their start) and
// drops everything up to after, system records and, with
// SkipForeignEvents, foreign ones.
func (s *Store) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error) {
	op := fmt.Sprintf("read log after %d", after)
	if err := s.begin(ctx, op); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	return run(s, ctx, op, func(ctx context.Context, c *esdb.Client) ([]eventstore.Event, error) {
		var out []eventstore.Event
		from := allPosition(after)
		last := uint64(after)
		for len(out) < limit {
			page, err := s.scan(ctx, c, esdb.Forwards, from, func(rec *esdb.RecordedEvent) (bool, error) {
				if rec.Position.Commit <= last {
					return true, nil
				}
				last, from = rec.Position.Commit, rec.Position
				keep, err := s.ledgerRecord(rec)
				if err != nil || !keep {
					return true, err
				}
				ev, err := s.decode(rec)
				if err != nil {
					return false, err
				}
				out = append(out, ev)
				return len(out) < limit, nil
			})
			if err != nil {
				return nil, err
			}
			if page.stopped || page.records < s.cfg.ReadBatch || !page.progressed {
				break
			}
		}
		return out, nil
	})
}

// page says how a scan of one page of $all went.
type page struct {
	records    int  // records the server sent
	progressed bool // at least one was new
	stopped    bool // visit asked to stop
}

// scan reads one page of $all from a position and passes each record to
// visit until visit returns false or an error.
func (s *Store) scan(ctx context.Context, c *esdb.Client, dir esdb.Direction, from esdb.AllPosition, visit func(*esdb.RecordedEvent) (bool, error)) (page, error) {
	var p page
	rs, err := c.ReadAll(ctx, esdb.ReadAllOptions{Direction: dir, From: from}, uint64(s.cfg.ReadBatch))
	if err != nil {
		return p, err
	}
	defer rs.Close()
	start, fromPosition := from.(esdb.Position)
	for {
		r, err := recv(rs)
		if errors.Is(err, io.EOF) {
			return p, nil
		}
		if err != nil {
			return p, err
		}
		p.records++
		rec := r.OriginalEvent()
		if !fromPosition || rec.Position != start {
			p.progressed = true
		}
		more, err := visit(rec)
		if err != nil {
			return p, err
		}
		if !more {
			p.stopped = true
			return p, nil
		}
	}
}

// Head implements eventstore.Store: it reads $all backwards to the first
// record ReadAll would return.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	op := "read head"
	if err := s.begin(ctx, op); err != nil {
		return 0, err
	}
	return run(s, ctx, op, func(ctx context.Context, c *esdb.Client) (eventstore.Position, error) {
		var from esdb.AllPosition = esdb.End{}
		seen := uint64(math.MaxUint64)
		var head eventstore.Position
		for {
			page, err := s.scan(ctx, c, esdb.Backwards, from, func(rec *esdb.RecordedEvent) (bool, error) {
				if rec.Position.Commit >= seen {
					return true, nil
				}
				seen, from = rec.Position.Commit, rec.Position
				keep, err := s.ledgerRecord(rec)
				if err != nil {
					return false, err
				}
				if keep {
					head = eventstore.Position(rec.Position.Commit)
					return false, nil
				}
				return true, nil
			})
			if err != nil {
				return 0, err
			}
			if page.stopped || page.records < s.cfg.ReadBatch || !page.progressed {
				return head, nil
			}
		}
	})
}

// backoff returns the pause before retry number attempt (from 1): base
// doubled per attempt, at most maxBackoff, with up to 50% jitter so that
// contending writers spread out.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits d or until ctx or the store ends.
func (s *Store) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closeCtx.Done():
		return eventstore.ErrClosed
	}
}

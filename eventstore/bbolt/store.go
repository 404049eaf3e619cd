// Package bbolt is the embedded event store: one file, written through
// go.etcd.io/bbolt, with group commit. It is the ledger's default backend
// and needs no server.
//
// Open it directly or through eventstore.Open with a file URL:
//
//	store, err := eventstore.Open(ctx, "file:./data/ledger.db", eventstore.Config{})
//
// One process holds the file at a time (bbolt takes an exclusive lock); a
// second Open waits up to Config.LockTimeout and then fails clearly.
//
// Appends from every goroutine go to one writer goroutine. It takes all
// appends that are waiting, decides each (expectation, idempotent retry,
// duplicate IDs) inside one bbolt transaction, commits it with one fsync,
// and only then answers each caller. A failed commit fails every caller in
// it, and none of their events is stored. Positions are assigned by that
// single writer in commit order, so the global log never has a gap that a
// later commit could fill, and subscriptions simply read on from their last
// position whenever the writer announces a new head.
//
// File layout (buckets): "events" position → record (see codec.go);
// "heads" stream → its version and last position; "ids" event ID →
// position; "meta" format version. A stream's events are found through
// links in the records themselves (each points at the stream's previous
// event and at a skip target), so an append writes only the new records, one
// head and the IDs: a commit of 64 appends to 64 streams dirties a handful of
// pages, not one per stream.
package bbolt

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/pdis/collab-ledger/eventstore"
)

var (
	bucketEvents = []byte("events")
	bucketHeads  = []byte("heads")
	bucketIDs    = []byte("ids")
	bucketMeta   = []byte("meta")
	keyFormat    = []byte("format")
)

// fileFormat is the layout version written in the meta bucket.
const fileFormat = "collabledger-bbolt-2"

// ErrLocked: another process holds the ledger file.
var ErrLocked = errors.New("ledger file is locked by another process")

func init() {
	eventstore.Register("file", func(ctx context.Context, u *url.URL, cfg eventstore.Config) (eventstore.Store, error) {
		c, err := ConfigFromURL(u)
		if err != nil {
			return nil, err
		}
		c.Config = cfg
		return Open(ctx, c)
	})
}

// Config configures the embedded store.
type Config struct {
	eventstore.Config
	// Path is the database file. Its folder is created if missing.
	Path string
	// MaxBatchEvents bounds the events one group commit holds. Default 8192.
	MaxBatchEvents int
	// LockTimeout is how long Open waits for another process to release the
	// file. Default 2 s.
	LockTimeout time.Duration
	// GatherWait is the longest the writer waits for the callers of the
	// previous commit to append again before committing a much smaller
	// batch. Default 200 µs; a lone writer never waits.
	GatherWait time.Duration
	// InitialMmapSize is bbolt's initial memory map, large enough that
	// readers never wait for a remap. Default 1 GiB (address space only).
	InitialMmapSize int
	// PageSize is the page size of a new file (an existing file keeps the
	// one it was created with). Default 32 KiB: bbolt writes each dirty
	// page with its own system call, so a bulk import of 4 KiB pages spent
	// more time in pwrite than in the B+tree (decision 0045).
	PageSize int

	// beforeCommit, for tests, runs inside the write transaction just
	// before commit; an error fails the batch.
	beforeCommit func() error
	// recent, for tests, is the window of recent events' size (default
	// recentCap).
	recent int
}

// ConfigFromURL reads a file URL: "file:./data/ledger.db",
// "file:///var/lib/ledger.db", with optional query parameters batch (max
// events per group commit) and lock_timeout (a Go duration).
func ConfigFromURL(u *url.URL) (Config, error) {
	var c Config
	c.Path = u.Opaque
	if c.Path == "" {
		c.Path = u.Path
	}
	if c.Path == "" {
		return c, fmt.Errorf("open %q: file URL names no path (want file:./data/ledger.db)", u.String())
	}
	if p, err := url.PathUnescape(c.Path); err == nil {
		c.Path = p
	}
	q := u.Query()
	if v := q.Get("batch"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return c, fmt.Errorf("open %q: batch: %w", u.String(), err)
		}
		c.MaxBatchEvents = n
	}
	if v := q.Get("lock_timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return c, fmt.Errorf("open %q: lock_timeout: %w", u.String(), err)
		}
		c.LockTimeout = d
	}
	return c, nil
}

// WithDefaults fills unset fields.
func (c Config) WithDefaults() Config {
	c.Config = c.Config.WithDefaults()
	if c.MaxBatchEvents == 0 {
		c.MaxBatchEvents = 8192
	}
	if c.LockTimeout == 0 {
		c.LockTimeout = 2 * time.Second
	}
	if c.GatherWait == 0 {
		c.GatherWait = 200 * time.Microsecond
	}
	if c.InitialMmapSize == 0 {
		c.InitialMmapSize = 1 << 30
	}
	if c.PageSize == 0 {
		c.PageSize = 32 << 10
	}
	return c
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	if c.Path == "" {
		return errors.New("bbolt config: no path")
	}
	if c.MaxBatchEvents < 1 {
		return fmt.Errorf("bbolt config: max batch events %d, want at least 1", c.MaxBatchEvents)
	}
	if c.PageSize < 4096 || c.PageSize > 1<<20 || c.PageSize&(c.PageSize-1) != 0 {
		return fmt.Errorf("bbolt config: page size %d, want a power of two from 4096 to 1 MiB", c.PageSize)
	}
	return c.Config.Validate()
}

// Store is the embedded event store. It implements eventstore.Store.
type Store struct {
	cfg    Config
	db     *bolt.DB
	reqs   chan *request
	stop   chan struct{}
	done   chan struct{} // closed when the writer has exited
	closed atomic.Bool
	ops    sync.RWMutex // held for reading by every operation, for writing by Close
	notify eventstore.Notifier
	head   atomic.Uint64

	tail recentEvents // the last committed events, for followers (recent.go)

	commits atomic.Uint64 // group commits so far (for tests and metrics)
	batched atomic.Uint64 // appends committed in a batch with others
}

var _ eventstore.Store = (*Store)(nil)

type request struct {
	ctx    context.Context
	stream string
	exp    eventstore.Expectation
	events []eventstore.EventData
	res    eventstore.AppendResult
	err    error
	done   chan struct{}
}

// Open opens or creates the file and starts the writer.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if dir := filepath.Dir(cfg.Path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open %s: %w", cfg.Path, err)
		}
	}
	db, err := bolt.Open(cfg.Path, 0o640, &bolt.Options{
		Timeout:         cfg.LockTimeout,
		FreelistType:    bolt.FreelistMapType,
		InitialMmapSize: cfg.InitialMmapSize,
		PageSize:        cfg.PageSize,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w (waited %s)", cfg.Path, ErrLocked, cfg.LockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", cfg.Path, err)
	}
	s := &Store{cfg: cfg, db: db, reqs: make(chan *request, 1024), stop: make(chan struct{}), done: make(chan struct{})}
	s.tail.keep = cmp.Or(cfg.recent, recentCap)
	var last time.Time
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketEvents, bucketHeads, bucketIDs, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch f := meta.Get(keyFormat); {
		case f == nil:
			if err := meta.Put(keyFormat, []byte(fileFormat)); err != nil {
				return err
			}
		case string(f) != fileFormat:
			return fmt.Errorf("file format %q, this build reads %q", f, fileFormat)
		}
		if k, v := tx.Bucket(bucketEvents).Cursor().Last(); k != nil {
			pos := eventstore.Position(binary.BigEndian.Uint64(k))
			e, err := decodeRecord(pos, v)
			if err != nil {
				return err
			}
			s.head.Store(uint64(pos))
			last = e.RecordedAt
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", cfg.Path, err)
	}
	s.notify.Publish(eventstore.Position(s.head.Load()))
	go s.writer(last)
	return s, nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.cfg.Path }

// Stats reports how many group commits ran and how many appends shared one
// with others.
func (s *Store) Stats() (commits, batchedAppends uint64) {
	return s.commits.Load(), s.batched.Load()
}

// enter marks an operation in flight; it fails once the store is closed.
func (s *Store) enter() error {
	s.ops.RLock()
	if s.closed.Load() {
		s.ops.RUnlock()
		return eventstore.ErrClosed
	}
	return nil
}

func (s *Store) leave() { s.ops.RUnlock() }

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, stream string, exp eventstore.Expectation, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	// The writer is done with the events when Append returns (it waits for
	// the answer even if ctx ends), so they need no copy (decision 0053).
	prepared, err := s.cfg.PrepareShared(stream, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
	}
	if err := s.enter(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
	}
	req := &request{ctx: ctx, stream: stream, exp: exp, events: prepared, done: make(chan struct{})}
	select {
	case s.reqs <- req:
	case <-s.stop:
		s.leave()
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, eventstore.ErrClosed)
	}
	s.leave()
	// Wait for the writer's answer even if ctx ends meanwhile: once queued,
	// the append is decided within one commit, and the caller learns for sure
	// whether it was stored.
	<-req.done
	if req.err != nil {
		return eventstore.AppendResult{}, req.err
	}
	return req.res, nil
}

// writer is the single goroutine that commits appends.
func (s *Store) writer(lastRecorded time.Time) {
	defer close(s.done)
	batch := make([]*request, 0, 256)
	var buf []byte
	lastBatch := 0
	for {
		var first *request
		select {
		case first = <-s.reqs:
		case <-s.stop:
			s.failQueued()
			return
		}
		batch = append(batch[:0], first)
		n := len(first.events)
	drain:
		for n < s.cfg.MaxBatchEvents {
			select {
			case r := <-s.reqs:
				batch = append(batch, r)
				n += len(r.events)
			default:
				break drain
			}
		}
		// The callers answered by the last commit are likely about to
		// append again: if far fewer are waiting than were answered, wait a
		// moment for them, so that one commit carries both cohorts instead
		// of two alternating half-size ones.
		if len(batch) < lastBatch/2 {
			timer := time.NewTimer(s.cfg.GatherWait)
		gather:
			for len(batch) < lastBatch && n < s.cfg.MaxBatchEvents {
				select {
				case r := <-s.reqs:
					batch = append(batch, r)
					n += len(r.events)
				case <-timer.C:
					break gather
				}
			}
			timer.Stop()
		}
		lastBatch = len(batch)
		lastRecorded, buf = s.commit(batch, lastRecorded, buf)
	}
}

// failQueued answers appends still queued at close.
func (s *Store) failQueued() {
	for {
		select {
		case r := <-s.reqs:
			r.err = fmt.Errorf("append %s: %w", r.stream, eventstore.ErrClosed)
			close(r.done)
		default:
			return
		}
	}
}

// commit decides and stores one batch in one transaction.
func (s *Store) commit(batch []*request, lastRecorded time.Time, buf []byte) (time.Time, []byte) {
	recordedAt := s.cfg.RecordedAt()
	if recordedAt.Before(lastRecorded) {
		// Keep recorded-at non-decreasing along the log, even if the wall
		// clock steps back.
		recordedAt = lastRecorded
	}
	head := s.head.Load()
	accepted := 0
	buf = buf[:0]
	var stored [][]eventstore.Event
	err := s.db.Update(func(tx *bolt.Tx) error {
		stored = stored[:0]
		evb, hdb, idb := tx.Bucket(bucketEvents), tx.Bucket(bucketHeads), tx.Bucket(bucketIDs)
		evb.FillPercent, idb.FillPercent = 1.0, 0.9
		for _, r := range batch {
			if err := r.ctx.Err(); err != nil {
				r.err = fmt.Errorf("append %s: %w", r.stream, err)
				continue
			}
			var cur streamHead
			if v := hdb.Get([]byte(r.stream)); v != nil {
				h, err := decodeHead(v)
				if err != nil {
					return fmt.Errorf("stream %s: %w", r.stream, err)
				}
				cur = h
			}
			if pos := idb.Get(r.events[0].ID[:]); pos != nil || anyStored(idb, r.events) {
				res, err := s.retry(tx, r)
				r.res, r.err = res, err
				continue
			}
			if !r.exp.Allows(cur.version) {
				r.err = &eventstore.ConflictError{Stream: r.stream, Expected: r.exp, Actual: cur.version}
				continue
			}
			evs := eventstore.Seal(r.stream, cur.version+1, recordedAt, r.events)
			for i := range evs {
				head++
				evs[i].Position = eventstore.Position(head)
				l := link{version: evs[i].Version, prev: cur.pos}
				if i > 0 {
					l.prev = uint64(evs[i-1].Position)
				}
				switch sv := skipVersion(l.version); {
				case sv == 0:
				case sv > cur.version:
					l.skip = uint64(evs[sv-cur.version-1].Position)
				default:
					p, err := seek(evb, cur, sv)
					if err != nil {
						return fmt.Errorf("stream %s: %w", r.stream, err)
					}
					l.skip = p
				}
				// bbolt keeps references to keys and values until the
				// transaction ends, so each lives in its own part of buf,
				// which is reused only after the commit.
				start := len(buf)
				buf = binary.BigEndian.AppendUint64(buf, head)
				buf = encodeRecord(buf, &evs[i], l)
				pk, rec := buf[start:start+8:start+8], buf[start+8:len(buf):len(buf)]
				if err := evb.Put(pk, rec); err != nil {
					return err
				}
				if err := idb.Put(evs[i].ID[:], pk); err != nil {
					return err
				}
			}
			last := evs[len(evs)-1]
			if err := hdb.Put([]byte(r.stream), encodeHead(streamHead{version: last.Version, pos: uint64(last.Position)})); err != nil {
				return err
			}
			r.res = eventstore.AppendResult{Version: last.Version, Position: last.Position, Events: evs}
			stored = append(stored, evs)
			accepted++
		}
		if s.cfg.beforeCommit != nil {
			return s.cfg.beforeCommit()
		}
		return nil
	})
	if err != nil {
		s.cfg.Logger.Error("event store group commit failed", "path", s.cfg.Path, "appends", len(batch), "err", err)
		for _, r := range batch {
			// Every caller in a failed batch learns that nothing was stored,
			// including those whose outcome had been decided (a retry or a
			// refusal is still their answer, but nothing of theirs is on disk).
			if r.err == nil {
				r.err = fmt.Errorf("append %s: group commit: %w", r.stream, err)
			}
			close(r.done)
		}
		return lastRecorded, buf
	}
	s.commits.Add(1)
	if accepted > 1 {
		s.batched.Add(uint64(accepted))
	}
	s.tail.add(stored)
	s.head.Store(head)
	s.notify.Publish(eventstore.Position(head))
	for _, r := range batch {
		close(r.done)
	}
	if accepted > 0 {
		lastRecorded = recordedAt
	}
	return lastRecorded, buf
}

// anyStored reports whether any of events after the first has its ID
// stored. One cursor serves every look-up (Bucket.Get makes one each).
func anyStored(idb *bolt.Bucket, events []eventstore.EventData) bool {
	if len(events) < 2 {
		return false
	}
	c := idb.Cursor()
	for _, ev := range events[1:] {
		if k, _ := c.Seek(ev.ID[:]); bytes.Equal(k, ev.ID[:]) {
			return true
		}
	}
	return false
}

// retry answers an append some of whose IDs are stored: an idempotent retry
// returns the stored events, anything else a *DuplicateEventError.
func (s *Store) retry(tx *bolt.Tx, r *request) (eventstore.AppendResult, error) {
	evb, idb := tx.Bucket(bucketEvents), tx.Bucket(bucketIDs)
	stored := make(map[uuid.UUID]eventstore.Event, len(r.events))
	var decodeErr error
	locate := func(id uuid.UUID) (eventstore.Located, bool) {
		if e, ok := stored[id]; ok {
			return eventstore.Located{Stream: e.Stream, Version: e.Version}, true
		}
		pk := idb.Get(id[:])
		if pk == nil {
			return eventstore.Located{}, false
		}
		e, err := decodeRecord(eventstore.Position(binary.BigEndian.Uint64(pk)), evb.Get(pk))
		if err != nil {
			decodeErr = err
			return eventstore.Located{}, false
		}
		stored[id] = e
		return eventstore.Located{Stream: e.Stream, Version: e.Version}, true
	}
	ok, err := eventstore.CheckRetry(r.stream, r.exp, r.events, locate)
	if decodeErr != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", r.stream, decodeErr)
	}
	if !ok {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", r.stream, err)
	}
	evs := make([]eventstore.Event, len(r.events))
	for i, ev := range r.events {
		evs[i] = stored[ev.ID]
	}
	last := evs[len(evs)-1]
	return eventstore.AppendResult{Version: last.Version, Position: last.Position, Events: evs}, nil
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	if err := eventstore.ValidateStream(stream); err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	if err := s.enter(); err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	defer s.leave()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	if from < 1 {
		from = 1
	}
	var out []eventstore.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketHeads).Get([]byte(stream))
		if v == nil || limit <= 0 {
			return nil
		}
		h, err := decodeHead(v)
		if err != nil || from > h.version {
			return err
		}
		evb := tx.Bucket(bucketEvents)
		end := min(h.version, from+uint64(limit)-1)
		pos, err := seek(evb, h, end)
		if err != nil {
			return err
		}
		out = make([]eventstore.Event, end-from+1)
		for i := len(out) - 1; i >= 0; i-- {
			val := evb.Get(u64(pos))
			e, err := decodeRecord(eventstore.Position(pos), val)
			if err != nil {
				return err
			}
			if e.Stream != stream || e.Version != from+uint64(i) {
				return fmt.Errorf("%w: position %d holds %s/%d where %s/%d was linked", errCorrupt, pos, e.Stream, e.Version, stream, from+uint64(i))
			}
			out[i] = e
			if i > 0 {
				l, err := decodeLink(pos, val)
				if err != nil {
					return err
				}
				pos = l.prev
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	return out, nil
}

// ReadAll implements eventstore.Store. Events just behind the head come from
// the window of recently committed events (recent.go) rather than from the
// file: the result is a fresh slice, but the events' Data is shared with
// other readers, and callers must not modify it (no caller does).
func (s *Store) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error) {
	if err := s.enter(); err != nil {
		return nil, fmt.Errorf("read log after %d: %w", after, err)
	}
	defer s.leave()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read log after %d: %w", after, err)
	}
	return s.readAll(after, limit, nil)
}

// readAll is ReadAll appending to out[:0] (a fresh slice when out is nil or
// too small): Subscribe reads every batch into the slice of the one before,
// which it has yielded, by value, in full. Called between enter and leave.
func (s *Store) readAll(after eventstore.Position, limit int, out []eventstore.Event) ([]eventstore.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	h := s.head.Load()
	if uint64(after) >= h {
		return out[:0], nil
	}
	if n := int(min(uint64(limit), h-uint64(after))); cap(out) < n {
		out = make([]eventstore.Event, 0, n)
	}
	out = out[:0]
	if out, ok := s.tail.read(out, after, eventstore.Position(h), limit); ok {
		return out, nil
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		for k, v := c.Seek(u64(uint64(after) + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			e, err := decodeRecord(eventstore.Position(binary.BigEndian.Uint64(k)), v)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read log after %d: %w", after, err)
	}
	return out, nil
}

// Subscribe implements eventstore.Store.
func (s *Store) Subscribe(ctx context.Context, after eventstore.Position) iter.Seq2[eventstore.Event, error] {
	wait := func(ctx context.Context, after eventstore.Position) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-s.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		err := s.notify.Wait(ctx, after, 0)
		if s.closed.Load() {
			return eventstore.ErrClosed
		}
		return err
	}
	// The batches of one subscription share one slice: Follow yields each
	// event by value before it reads the next batch, and the events' data
	// never lives in the slice, so a follower of a million events makes no
	// slice per batch (decision 0053). Each range over the sequence has its
	// own.
	return func(yield func(eventstore.Event, error) bool) {
		var batch []eventstore.Event
		read := func(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error) {
			if err := s.enter(); err != nil {
				return nil, fmt.Errorf("read log after %d: %w", after, err)
			}
			defer s.leave()
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("read log after %d: %w", after, err)
			}
			var err error
			batch, err = s.readAll(after, limit, batch)
			return batch, err
		}
		eventstore.Follow(ctx, after, read, wait)(yield)
	}
}

// Head implements eventstore.Store.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	if err := s.enter(); err != nil {
		return 0, fmt.Errorf("head: %w", err)
	}
	defer s.leave()
	return eventstore.Position(s.head.Load()), ctx.Err()
}

// seek follows a stream's chain from its head to the event at version
// target (1 <= target <= h.version) and returns its position. It takes the
// skip link whenever that does not overshoot, so it reads O(log² n)
// records, not n.
func seek(evb *bolt.Bucket, h streamHead, target uint64) (uint64, error) {
	v, p := h.version, h.pos
	for v > target {
		l, err := decodeLink(p, evb.Get(u64(p)))
		if err != nil {
			return 0, err
		}
		if l.version != v {
			return 0, fmt.Errorf("%w: position %d holds version %d where %d was linked", errCorrupt, p, l.version, v)
		}
		if sv := skipVersion(v); sv >= target && sv > 0 && l.skip != 0 {
			v, p = sv, l.skip
		} else {
			v, p = v-1, l.prev
		}
		if p == 0 {
			return 0, fmt.Errorf("%w: chain ends before version %d", errCorrupt, target)
		}
	}
	return p, nil
}

// Check verifies the file's page structure (bbolt's consistency check), that
// positions run 1, 2, 3... with no hole, that every content hash matches,
// and that the ID index, the stream chains and the stream heads agree with
// the events. It reads the whole file.
func (s *Store) Check(ctx context.Context) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	return s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return fmt.Errorf("check %s: %w", s.cfg.Path, err)
		}
		evb, idb, hdb := tx.Bucket(bucketEvents), tx.Bucket(bucketIDs), tx.Bucket(bucketHeads)
		fail := func(format string, args ...any) error {
			return fmt.Errorf("check %s: %w: %s", s.cfg.Path, errCorrupt, fmt.Sprintf(format, args...))
		}
		chains := map[string][]uint64{} // stream → positions by version-1
		var want uint64 = 1
		c := evb.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			pos := binary.BigEndian.Uint64(k)
			if pos != want {
				return fail("position %d where %d was expected", pos, want)
			}
			want++
			e, err := decodeRecord(eventstore.Position(pos), v)
			if err != nil {
				return fmt.Errorf("check %s: %w", s.cfg.Path, err)
			}
			if err := e.Verify(); err != nil {
				return fmt.Errorf("check %s: position %d: %w", s.cfg.Path, pos, err)
			}
			l, err := decodeLink(pos, v)
			if err != nil {
				return err
			}
			chain := chains[e.Stream]
			if e.Version != uint64(len(chain))+1 {
				return fail("position %d: %s version %d follows version %d", pos, e.Stream, e.Version, len(chain))
			}
			var prev, skip uint64
			if len(chain) > 0 {
				prev = chain[len(chain)-1]
			}
			if sv := skipVersion(e.Version); sv > 0 {
				skip = chain[sv-1]
			}
			if l.prev != prev || l.skip != skip {
				return fail("position %d: chain links %d/%d, want %d/%d", pos, l.prev, l.skip, prev, skip)
			}
			chains[e.Stream] = append(chain, pos)
			if p := idb.Get(e.ID[:]); p == nil || binary.BigEndian.Uint64(p) != pos {
				return fail("id index wrong for position %d", pos)
			}
		}
		if n := uint64(idb.Stats().KeyN); n != want-1 {
			return fail("id index holds %d IDs for %d events", n, want-1)
		}
		heads := 0
		err := hdb.ForEach(func(k, v []byte) error {
			heads++
			h, err := decodeHead(v)
			chain := chains[string(k)]
			if err != nil || len(chain) == 0 || h.version != uint64(len(chain)) || h.pos != chain[len(chain)-1] {
				return fail("head of stream %q is %+v, events say version %d", k, h, len(chain))
			}
			return nil
		})
		if err != nil {
			return err
		}
		if heads != len(chains) {
			return fail("%d stream heads for %d streams", heads, len(chains))
		}
		return nil
	})
}

// Close stops the writer after the commit in progress, fails appends still
// queued with ErrClosed, and closes the file.
func (s *Store) Close() error {
	s.ops.Lock()
	if s.closed.Swap(true) {
		s.ops.Unlock()
		return nil
	}
	close(s.stop)
	s.ops.Unlock()
	<-s.done
	s.notify.Publish(eventstore.Position(s.head.Load()))
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.cfg.Path, err)
	}
	return nil
}

// FindEvent implements eventstore.Finder.
func (s *Store) FindEvent(ctx context.Context, id uuid.UUID) (eventstore.Event, bool, error) {
	if err := s.enter(); err != nil {
		return eventstore.Event{}, false, fmt.Errorf("find event %s: %w", id, err)
	}
	defer s.leave()
	if err := ctx.Err(); err != nil {
		return eventstore.Event{}, false, fmt.Errorf("find event %s: %w", id, err)
	}
	var (
		e     eventstore.Event
		found bool
	)
	err := s.db.View(func(tx *bolt.Tx) error {
		pk := tx.Bucket(bucketIDs).Get(id[:])
		if pk == nil {
			return nil
		}
		var err error
		e, err = decodeRecord(eventstore.Position(binary.BigEndian.Uint64(pk)), tx.Bucket(bucketEvents).Get(pk))
		found = err == nil
		return err
	})
	if err != nil {
		return eventstore.Event{}, false, fmt.Errorf("find event %s: %w", id, err)
	}
	return e, found, nil
}

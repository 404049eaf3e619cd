// Package app is the command side of the ledger: it loads an aggregate from
// its stream, lets the pure domain decide, and appends the resulting events
// with optimistic concurrency, retrying a bounded number of times when
// another writer got there first.
//
// A Handler serves one kind of aggregate. Commands for the same stream are
// decided in batches by one goroutine per busy stream: it keeps the
// aggregate's state in memory, decides every waiting command in turn against
// it (each sees the events of those before it), appends all their events
// with one expected version, and answers each caller with its own events or
// its own refusal. A hot proposal with thousands of signers therefore costs
// one load and one append per batch, not one per signature, and duplicates
// are refused by the domain, also when the same signer submits twice at once.
//
//	h := app.NewHandler[*domain.Proposal](store, app.Config{})
//	res, err := h.Handle(ctx, app.Request[*domain.Proposal]{
//		Stream: domain.ProposalStream(id),
//		New:    func() *domain.Proposal { return domain.NewProposal(id) },
//		Actor:  actor,
//		Decide: func(p *domain.Proposal, at time.Time) ([]domain.Event, error) { return p.Sign(cmd, actor, at) },
//	})
//
// Several processes may run Handlers on one store: their appends conflict,
// and the loser reloads the stream and decides again.
//
// Ledger (ledger.go) is the facade adapters use: it executes any command of
// the domain's policy table, loading what the decision needs from other
// aggregates and routing it to the Handler of its stream.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
)

// ErrTooManyConflicts: the stream kept changing under the command; the
// caller may try again later.
var ErrTooManyConflicts = errors.New("too many concurrent changes to the stream")

// Config tunes a Handler. The zero value is usable.
type Config struct {
	// MaxRetries bounds how often a batch is decided again after a
	// concurrency conflict. Default 8.
	MaxRetries int
	// MaxBatch bounds the commands decided in one batch. Default 1024.
	MaxBatch int
	// CacheSize bounds the aggregates kept in memory between commands.
	// Default 4096.
	CacheSize int
	// AppendTimeout bounds one batch's store I/O. Default 30 s.
	AppendTimeout time.Duration
	// Now is the clock for commands without their own time. Default time.Now.
	Now func() time.Time
	// Logger. Default slog.Default().
	Logger *slog.Logger
	// Codec turns the aggregate's events into stored events and back.
	// Default: the domain's event registry (DomainCodec). Aggregates kept
	// outside the domain (package tokens) bring their own.
	Codec Codec
}

// Codec converts between an aggregate's typed events and the type name,
// schema version and JSON data the store keeps.
type Codec interface {
	// Decode returns the typed event of a stored one.
	Decode(eventType string, schemaVersion int, data []byte) (domain.Event, error)
	// Encode returns what to store for e.
	Encode(e domain.Event) (eventType string, schemaVersion int, data []byte, err error)
}

// DomainCodec is the Codec of the domain's events: domain.Decode and
// domain.Encode.
type DomainCodec struct{}

// Decode implements Codec.
func (DomainCodec) Decode(eventType string, schemaVersion int, data []byte) (domain.Event, error) {
	return domain.Decode(eventType, schemaVersion, data)
}

// Encode implements Codec.
func (DomainCodec) Encode(e domain.Event) (string, int, []byte, error) { return domain.Encode(e) }

// WithDefaults returns c with unset fields filled.
func (c Config) WithDefaults() Config {
	if c.MaxRetries == 0 {
		c.MaxRetries = 8
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 1024
	}
	if c.CacheSize == 0 {
		c.CacheSize = 4096
	}
	if c.AppendTimeout == 0 {
		c.AppendTimeout = 30 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Codec == nil {
		c.Codec = DomainCodec{}
	}
	return c
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	if c.MaxRetries < 0 || c.MaxBatch < 0 || c.CacheSize < 0 || c.AppendTimeout < 0 {
		return fmt.Errorf("app config: negative limit in %+v", c)
	}
	return nil
}

// Request is one command for one stream.
type Request[A domain.Aggregate] struct {
	// Stream is the aggregate's stream.
	Stream string
	// New returns the empty aggregate, before its first event.
	New func() A
	// Actor issued the command; it goes into each event's metadata (left
	// out for events the domain marks anonymous).
	Actor domain.Actor
	// CommandID, CorrelationID and CausationID go into the events'
	// metadata. A missing CommandID is generated.
	CommandID, CorrelationID, CausationID string
	// At is when the command's act happened. Zero means now; a time given
	// explicitly (an import of a 2019 meeting) is also recorded as the
	// events' occurred-at.
	At time.Time
	// AtReason says why At is in the past; it goes into each event
	// (domain.Occurred.BackdateReason).
	AtReason string
	// Decide asks the domain; it must not change the aggregate (the handler
	// applies the returned events).
	Decide func(agg A, at time.Time) ([]domain.Event, error)
	// EventID, when set, gives the ID of the command's i-th event (from
	// 0) instead of a random one: for commands whose ID the client chose
	// (see idempotency.go).
	EventID func(i int) uuid.UUID
	// Sign, when set on a request of a Handler of proposals, is the
	// signature the request decides instead of Decide: the handler decides
	// the consecutive signatures of a batch with one
	// (*domain.Proposal).SignMany call, each by Sign's rules against the
	// state the ones before it left (a feed's signatures; decision 0045).
	Sign *domain.SignProposal
}

// Result is what a command stored.
type Result struct {
	// Stream is the stream the command was decided on.
	Stream string
	// CommandID and CorrelationID are the ones recorded in the events'
	// metadata (generated when the request gave none).
	CommandID, CorrelationID string
	// Events are the command's stored events (none if the domain decided
	// nothing needed to change).
	Events []eventstore.Event
	// Version is the stream's version after the command's last event (when
	// it stored none, the version it was decided at).
	Version uint64
}

type job[A domain.Aggregate] struct {
	ctx   context.Context
	req   *Request[A] // in the HandleMany call's slice
	index int         // in the HandleMany call
	at    time.Time
	md    eventstore.Metadata
	data  []eventstore.EventData
	res   Result
	err   error
	done  *sync.WaitGroup // of the HandleMany call: one Done per job
}

type entry[A domain.Aggregate] struct {
	queue   []*job[A]
	running bool
	newFn   func() A
	// Owned by the stream's goroutine while running.
	state  A
	loaded bool
}

// Handler runs commands against one kind of aggregate.
type Handler[A domain.Aggregate] struct {
	store   eventstore.Store
	cfg     Config
	mu      sync.Mutex
	streams map[string]*entry[A]
	buffers sync.Pool // of *batchBuffers, for runBatch

	batches, conflicts uint64 // guarded by mu; for tests and metrics
}

// NewHandler returns a Handler over store.
func NewHandler[A domain.Aggregate](store eventstore.Store, cfg Config) *Handler[A] {
	return &Handler[A]{store: store, cfg: cfg.WithDefaults(), streams: map[string]*entry[A]{},
		buffers: sync.Pool{New: func() any { return new(batchBuffers) }}}
}

// Stats reports the batches appended and the conflicts met so far.
func (h *Handler[A]) Stats() (batches, conflicts uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.batches, h.conflicts
}

// Handle decides and stores one command. It returns the domain's refusal
// (a *domain.RuleError) unchanged, ErrTooManyConflicts after MaxRetries
// conflicts, or the store's error wrapped with the stream.
func (h *Handler[A]) Handle(ctx context.Context, req Request[A]) (Result, error) {
	res, errs := h.HandleMany(ctx, []Request[A]{req})
	return res[0], errs[0]
}

// HandleMany decides and stores many commands at once, each as Handle
// would, and answers each in order: a feed's records for one stream are
// queued together, so they are decided in batches of up to MaxBatch and
// stored with one append per batch. Commands for one stream are decided in
// the order given. A refused command refuses only itself.
func (h *Handler[A]) HandleMany(ctx context.Context, reqs []Request[A]) ([]Result, []error) {
	results, errs := make([]Result, len(reqs)), make([]error, len(reqs))
	h.handleInto(ctx, reqs, results, errs)
	return results, errs
}

// handleInto is HandleMany answering into results and errs (as long as
// reqs, zero), which ExecuteMany passes from its own answers.
func (h *Handler[A]) handleInto(ctx context.Context, reqs []Request[A], results []Result, errs []error) {
	// One allocation for the call's jobs, and one WaitGroup for their
	// answers, rather than a job and a channel per command.
	all := make([]job[A], 0, len(reqs))
	jobs := make([]*job[A], 0, len(reqs))
	var done sync.WaitGroup
	ids := newRandomBlock(len(reqs)) // the command IDs not given
	for i := range reqs {
		req := &reqs[i]
		if req.Stream == "" || req.New == nil || (req.Decide == nil && req.Sign == nil) {
			errs[i] = fmt.Errorf("handle command: %w: request needs a stream, New and Decide or Sign", eventstore.ErrInvalidEvent)
			continue
		}
		if err := ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		j, err := h.newJob(ctx, req, i, &done, ids)
		if err != nil {
			errs[i] = err
			continue
		}
		all = append(all, j)
		jobs = append(jobs, &all[len(all)-1])
	}
	done.Add(len(jobs))
	h.mu.Lock()
	for _, j := range jobs {
		e := h.streams[j.req.Stream]
		if e == nil {
			h.evictIdle()
			e = &entry[A]{newFn: j.req.New}
			h.streams[j.req.Stream] = e
		}
		e.queue = append(e.queue, j)
		if !e.running {
			e.running = true
			go h.drain(j.req.Stream, e)
		}
	}
	h.mu.Unlock()
	done.Wait()
	for _, j := range jobs {
		if j.err != nil {
			errs[j.index] = j.err
			continue
		}
		j.res.Stream, j.res.CommandID, j.res.CorrelationID = j.req.Stream, j.md.CommandID, j.md.CorrelationID
		results[j.index] = j.res
	}
}

// newJob prepares req's job: its time and its events' metadata. A command
// ID not given is a random UUID (version 4) from ids.
func (h *Handler[A]) newJob(ctx context.Context, req *Request[A], index int, done *sync.WaitGroup, ids io.Reader) (job[A], error) {
	j := job[A]{ctx: ctx, req: req, at: req.At, index: index, done: done}
	if j.at.IsZero() {
		j.at = h.cfg.Now()
	} else {
		// As the store keeps it (eventstore.Config.Prepare), so that the
		// embedded store need not copy the events to normalise it.
		j.md.OccurredAt = req.At.UTC().Truncate(time.Microsecond)
	}
	j.md.ActorID, j.md.ActorRole = req.Actor.ID, string(req.Actor.Role)
	j.md.CommandID, j.md.CorrelationID, j.md.CausationID = req.CommandID, req.CorrelationID, req.CausationID
	if j.md.CommandID == "" {
		id, err := uuid.NewRandomFromReader(ids)
		if err != nil {
			return j, fmt.Errorf("command id: %w", err)
		}
		j.md.CommandID = id.String()
	}
	if j.md.CorrelationID == "" {
		j.md.CorrelationID = j.md.CommandID
	}
	return j, nil
}

// evictIdle drops cached aggregates that are not in use once the cache is
// full. Called with h.mu held.
func (h *Handler[A]) evictIdle() {
	if len(h.streams) < h.cfg.CacheSize {
		return
	}
	for name, e := range h.streams {
		if !e.running && len(e.queue) == 0 {
			delete(h.streams, name)
			if len(h.streams) < h.cfg.CacheSize*3/4 {
				return
			}
		}
	}
}

// drain is the stream's goroutine: it decides queued commands in batches
// until the queue is empty.
func (h *Handler[A]) drain(stream string, e *entry[A]) {
	for {
		h.mu.Lock()
		if len(e.queue) == 0 {
			e.running = false
			h.mu.Unlock()
			return
		}
		n := min(len(e.queue), h.cfg.MaxBatch)
		batch := e.queue[:n:n]
		e.queue = e.queue[n:]
		if len(e.queue) == 0 {
			e.queue = nil
		}
		h.mu.Unlock()
		h.runBatch(stream, e, batch)
		for _, j := range batch {
			j.done.Done()
		}
	}
}

// runBatch decides and appends one batch, deciding again after a conflict.
func (h *Handler[A]) runBatch(stream string, e *entry[A], batch []*job[A]) {
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.AppendTimeout)
	defer cancel()
	live := make([]*job[A], 0, len(batch))
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.err = err
			continue
		}
		live = append(live, j)
	}
	// The batch's events to append and its signatures' buffers come from
	// the handler's pool and go back to it: a feed's thousand batches of
	// 8,192 signatures reuse a few (decision 0053). The store copies what
	// it appends (Prepare), and nothing refers to the buffers afterwards.
	b := h.buffers.Get().(*batchBuffers)
	var all []eventstore.EventData
	defer func() {
		for _, j := range live {
			j.data = nil
		}
		b.release(all)
		h.buffers.Put(b)
	}()
	signs := &b.signs
	for attempt := 0; ; attempt++ {
		if err := h.catchUp(ctx, stream, e); err != nil {
			for _, j := range live {
				j.err = err
			}
			return
		}
		before := e.state.Version()
		b.keep(all)
		all = slices.Grow(b.all[:0], len(live)+len(live)/16+1)
		ids := newRandomBlock(cap(all)) // the events' IDs
		for k := 0; k < len(live); {
			j := live[k]
			if j.req.Sign != nil {
				// A run of signatures: decided with one SignMany call.
				m := k + 1
				for m < len(live) && live[m].req.Sign != nil {
					m++
				}
				var err error
				if all, err = h.decideSigns(signs, e, live[k:m], all, ids); err != nil {
					// A programming error (an event that does not apply,
					// an unregistered event type): the state holds events
					// that will not be stored, so nothing of this batch is
					// appended and the state is reloaded.
					e.loaded = false
					for _, j := range live {
						j.err = fmt.Errorf("%s: %w", stream, err)
					}
					return
				}
				k = m
				continue
			}
			k++
			j.data, j.err = nil, nil
			evs, err := domain.DecideAndApply(e.state, func(a A) ([]domain.Event, error) { return j.req.Decide(a, j.at) })
			if err != nil {
				j.err = err
				continue
			}
			start := len(all)
			if all, err = h.encode(all, j, evs, ids); err != nil {
				// A programming error (an unregistered event type): the
				// state holds events that will not be stored, so nothing of
				// this batch is appended and the state is reloaded.
				e.loaded = false
				for _, j := range live {
					j.err = fmt.Errorf("%s: %w", stream, err)
				}
				return
			}
			j.data = all[start:len(all):len(all)]
		}
		if len(all) == 0 {
			for _, j := range live {
				if j.err == nil {
					j.res = Result{Version: before}
				}
			}
			return
		}
		res, err := h.store.Append(ctx, stream, eventstore.Exact(before), all...)
		if err == nil {
			h.mu.Lock()
			h.batches++
			h.mu.Unlock()
			i := 0
			for _, j := range live {
				if j.err == nil {
					evs := res.Events[i : i+len(j.data) : i+len(j.data)]
					j.res = Result{Events: evs, Version: evs[len(evs)-1].Version}
					i += len(j.data)
				}
			}
			return
		}
		// The state now holds events that were not stored: reload it.
		e.loaded = false
		if errors.Is(err, eventstore.ErrConflict) && attempt < h.cfg.MaxRetries {
			h.mu.Lock()
			h.conflicts++
			h.mu.Unlock()
			continue
		}
		if errors.Is(err, eventstore.ErrConflict) {
			err = fmt.Errorf("%s: %w (%d attempts): %w", stream, ErrTooManyConflicts, attempt+1, err)
		}
		for _, j := range live {
			if j.err == nil {
				j.err = err
			}
		}
		return
	}
}

// catchUp loads the aggregate, or applies the events appended since it was
// last seen (by another process).
func (h *Handler[A]) catchUp(ctx context.Context, stream string, e *entry[A]) error {
	if !e.loaded {
		e.state = e.newFn()
	}
	for {
		from := e.state.Version() + 1
		evs, err := h.store.ReadStream(ctx, stream, from, 4096)
		if err != nil {
			return fmt.Errorf("load %s: %w", stream, err)
		}
		for _, se := range evs {
			de, err := h.cfg.Codec.Decode(se.Type, se.SchemaVersion, se.Data)
			if err != nil {
				return fmt.Errorf("load %s at version %d: %w", stream, se.Version, err)
			}
			if err := e.state.Apply(de); err != nil {
				e.loaded = false
				return fmt.Errorf("load %s at version %d: %w", stream, se.Version, err)
			}
		}
		if len(evs) < 4096 {
			e.loaded = true
			return nil
		}
	}
}

// encode appends the events to store for the domain's events to out.
// Their IDs are random UUIDv7s from ids, unless the request derives them.
func (h *Handler[A]) encode(out []eventstore.EventData, j *job[A], evs []domain.Event, ids io.Reader) ([]eventstore.EventData, error) {
	_, domainCodec := h.cfg.Codec.(DomainCodec)
	for i, ev := range evs {
		var reason string
		if j.req.AtReason != "" && !j.req.At.IsZero() {
			reason = j.req.AtReason
		}
		// The hot events have a hand-written encoder that writes the
		// canonical form the store keeps (decision 0045).
		typ, ver, data, canonical := "", 0, []byte(nil), false
		if domainCodec {
			typ, ver, data, canonical = domain.EncodeCanonical(ev, reason)
		}
		if !canonical {
			if reason != "" {
				ev = domain.WithBackdateReason(ev, reason)
			}
			var err error
			if typ, ver, data, err = h.cfg.Codec.Encode(ev); err != nil {
				return nil, err
			}
		}
		var id uuid.UUID
		if j.req.EventID != nil {
			id = j.req.EventID(i)
		} else if v7, err := uuid.NewV7FromReader(ids); err != nil {
			return nil, fmt.Errorf("event id: %w", err)
		} else {
			id = v7
		}
		md := j.md
		if domain.IsAnonymous(ev) {
			// Nothing about the author: no account, no role (the one
			// proposer is a role), and no IDs the client chose, which could
			// tie the event to its other commands.
			// (The Ledger keys a client's command ID of an anonymous
			// command before it gets here; see execMeeting.)
			md.ActorID, md.ActorRole, md.CausationID = "", "", ""
			md.CorrelationID = md.CommandID
		}
		out = append(out, eventstore.EventData{ID: id, Type: typ, SchemaVersion: ver, Data: data, Metadata: md, Canonical: canonical})
	}
	return out, nil
}

// signRun is the buffers a batch's runs of signatures are decided in,
// reused from run to run.
type signRun struct {
	run  []domain.Signing
	evs  []domain.Event
	ends []int
	errs []error
	// used and usedEvents are the most signatures and events a run of the
	// batch used (batchBuffers.release clears that far).
	used, usedEvents int
}

// batchBuffers are what runBatch decides a batch into, pooled by the
// Handler: the events to append and the signatures' buffers.
type batchBuffers struct {
	all   []eventstore.EventData
	signs signRun
}

// keep clears what an attempt's events refer to and keeps their slice for
// the next attempt or batch.
func (b *batchBuffers) keep(all []eventstore.EventData) {
	clear(all)
	if cap(all) > cap(b.all) {
		b.all = all
	}
	b.all = b.all[:0]
}

// release clears what the buffers refer to (events, actors, refusals), so
// a pooled buffer keeps nothing alive: only as far as the batch used them
// (a pooled buffer sized for 8,192 signatures may serve a single command).
func (b *batchBuffers) release(all []eventstore.EventData) {
	b.keep(all)
	clear(b.signs.run[:b.signs.used])
	clear(b.signs.evs[:b.signs.usedEvents])
	clear(b.signs.errs[:b.signs.used])
	b.signs.used, b.signs.usedEvents = 0, 0
}

// ErrNotProposals: a request with Sign was given to a Handler of another
// aggregate.
var ErrNotProposals = errors.New("a signature request for a handler of another aggregate")

// decideSigns decides the jobs' signatures with one SignMany call on the
// stream's proposal, sets each job's refusal, and appends the accepted ones'
// events to all, encoded. An error is a programming error (see runBatch).
func (h *Handler[A]) decideSigns(b *signRun, e *entry[A], jobs []*job[A], all []eventstore.EventData, ids io.Reader) ([]eventstore.EventData, error) {
	p, ok := any(e.state).(*domain.Proposal)
	if !ok {
		return all, fmt.Errorf("decide signatures: %w (%T)", ErrNotProposals, e.state)
	}
	n := len(jobs)
	b.run = slices.Grow(b.run[:0], n)
	for _, j := range jobs {
		b.run = append(b.run, domain.Signing{Cmd: *j.req.Sign, Actor: j.req.Actor, At: j.at})
	}
	b.ends, b.errs = slices.Grow(b.ends[:0], n)[:n], slices.Grow(b.errs[:0], n)[:n]
	// A signature makes one event, now and then two or three.
	evs, err := p.SignMany(slices.Grow(b.evs[:0], n+n/16+2), b.run, b.ends, b.errs)
	b.evs = evs
	b.used, b.usedEvents = max(b.used, n), max(b.usedEvents, len(evs))
	if err != nil {
		return all, fmt.Errorf("decide signatures: %w", err)
	}
	start := 0
	for i, j := range jobs {
		j.data, j.err = nil, b.errs[i]
		if j.err == nil {
			from := len(all)
			if all, err = h.encode(all, j, evs[start:b.ends[i]], ids); err != nil {
				return all, err
			}
			j.data = all[from:len(all):len(all)]
		}
		start = b.ends[i]
	}
	clear(b.evs) // the events are encoded: let them go
	return all, nil
}

package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/internal/lease"
)

// StateRebuilding is a projection's Status while a new generation is being
// built beside the one queries read.
const StateRebuilding State = "rebuilding"

// DefaultTopic is the topic integration events are published to by default.
const DefaultTopic = "collabledger-integration"

// RetryConfig bounds the router's Retry middleware: how often a message that
// failed is handled again before its projection is marked failed.
type RetryConfig struct {
	// MaxRetries after the first attempt. Default 3; -1 for none.
	MaxRetries int
	// InitialInterval is the first pause, multiplied by Multiplier after
	// each retry up to MaxInterval. Defaults 50 ms, 2, 1 s.
	InitialInterval time.Duration
	Multiplier      float64
	MaxInterval     time.Duration
	// MaxElapsedTime bounds all retries of one message. Default 1 min.
	MaxElapsedTime time.Duration
}

// RunnerConfig wires a Runner.
type RunnerConfig struct {
	// Store is the log the projections fold.
	Store eventstore.Store
	// Backend keeps the read models. Default: a new MemoryBackend.
	Backend Backend
	// Projections to run; names must be unique.
	Projections []Projection
	// Publisher receives integration events (see Emit) on Topic. Default:
	// an in-process watermill gochannel, available from Integration.
	Publisher message.Publisher
	// Topic is the integration events' topic. Default DefaultTopic.
	Topic string
	// MaxBatch is the most events applied in one commit. Default 2048:
	// a larger commit amortises the PostgreSQL round trips of catch-up
	// (the trail read model went from 16,000 to 37,000 events/s going from
	// 512 to 2048); live, batches hold what arrived since the last commit.
	MaxBatch int
	// Retry configures the router's Retry middleware.
	Retry RetryConfig
	// Logger defaults to slog.Default(). Watermill's own logs go to it at
	// debug level and below.
	Logger *slog.Logger
	// OnCommit, if set, is called after every commit of any generation (for
	// metrics and tests). It must return quickly.
	OnCommit func(CommitInfo)
	// RestartAfter is how long a failed projection waits before it
	// restarts itself from its checkpoint (the event it failed on is
	// applied again); each failure in a row doubles the wait, up to
	// RestartAfterMax. Default 1 s; negative: a failed projection waits for
	// Restart. A commit past the failed event resets the wait.
	RestartAfter time.Duration
	// RestartAfterMax caps the wait between restarts. Default 5 min.
	RestartAfterMax time.Duration
	// StalledAfter: a projection that has events to fold and has not moved
	// its checkpoint for this long is stalled (Status.Stalled). Default 1 min.
	StalledAfter time.Duration

	// Leases, if set, makes this Runner one of several servers sharing the
	// backend: each projection runs here only while this process holds its
	// lease (LeaseJob), and its writes carry the lease's fencing token (a
	// Fencer backend refuses them, in their own transaction, once the
	// lease has passed on). The others serve reads from the shared read
	// models, follow their checkpoints (FollowEvery) and take over when the
	// holder dies. Nil: this process runs every projection (the in-process
	// lease of a single server), as with the memory backend.
	Leases lease.Manager
	// Lease tunes the campaign for each projection's lease.
	Lease lease.HoldConfig
	// FollowEvery is how often a server reads back the checkpoints of the
	// projections another server runs. Default 50 ms.
	FollowEvery time.Duration
	// RebuildPoll is how often the holder of a projection's lease looks for
	// a rebuild another server asked for. Default 500 ms.
	RebuildPoll time.Duration
}

// CommitInfo describes one commit, for RunnerConfig.OnCommit.
type CommitInfo struct {
	Projection string
	Generation uint64
	// Active says whether queries read this generation.
	Active bool
	// From and To are the checkpoints before and after.
	From, To  eventstore.Position
	Events    int
	Documents int
	At        time.Time
}

// WithDefaults fills unset fields.
func (c RunnerConfig) WithDefaults() RunnerConfig {
	if c.Backend == nil {
		c.Backend = NewMemoryBackend()
	}
	if c.Topic == "" {
		c.Topic = DefaultTopic
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 2048
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.RestartAfter == 0 {
		c.RestartAfter = time.Second
	}
	if c.RestartAfterMax == 0 {
		c.RestartAfterMax = 5 * time.Minute
	}
	if c.StalledAfter == 0 {
		c.StalledAfter = time.Minute
	}
	if c.FollowEvery == 0 {
		c.FollowEvery = 50 * time.Millisecond
	}
	if c.RebuildPoll == 0 {
		c.RebuildPoll = 500 * time.Millisecond
	}
	r := &c.Retry
	if r.MaxRetries == 0 {
		r.MaxRetries = 3
	}
	if r.InitialInterval == 0 {
		r.InitialInterval = 50 * time.Millisecond
	}
	if r.Multiplier == 0 {
		r.Multiplier = 2
	}
	if r.MaxInterval == 0 {
		r.MaxInterval = time.Second
	}
	if r.MaxElapsedTime == 0 {
		r.MaxElapsedTime = time.Minute
	}
	return c
}

// Validate reports settings that cannot work.
func (c RunnerConfig) Validate() error {
	if c.Store == nil {
		return errors.New("projection runner config: no event store")
	}
	if c.MaxBatch < 1 {
		return fmt.Errorf("projection runner config: max batch %d, want at least 1", c.MaxBatch)
	}
	if c.Retry.MaxRetries < -1 {
		return fmt.Errorf("projection runner config: max retries %d, want -1 or more", c.Retry.MaxRetries)
	}
	seen := map[string]bool{}
	for _, p := range c.Projections {
		if p == nil {
			return errors.New("projection runner config: nil projection")
		}
		if !validName(p.Name()) {
			return fmt.Errorf("projection runner config: projection name %q: want 1-64 of a-z 0-9 - _", p.Name())
		}
		if seen[p.Name()] {
			return fmt.Errorf("projection runner config: projection %q registered twice", p.Name())
		}
		if p.Version() < 1 {
			return fmt.Errorf("projection runner config: projection %q has version %d, want at least 1", p.Name(), p.Version())
		}
		seen[p.Name()] = true
	}
	return nil
}

// Runner runs projections: one watermill router, one handler per projection
// generation fed by a LogSubscriber from its checkpoint, with the router's
// Retry and Recoverer middleware. Run catches every projection up and
// follows the log; Status, Rebuild and Restart may be called while it runs.
type Runner struct {
	cfg     RunnerConfig
	log     *slog.Logger
	router  *message.Router
	sub     *LogSubscriber
	channel *gochannel.GoChannel // the default publisher, if used
	pub     message.Publisher
	projs   map[string]*projState
	order   []string

	ready   chan struct{} // closed when Run has set everything up
	runCtx  context.Context
	started atomic.Bool
	seq     atomic.Uint64

	workersMu sync.Mutex
	workers   map[string]*worker // by topic
}

// projState is one projection's runtime state.
type projState struct {
	p Projection

	// ctl serialises Rebuild and Restart.
	ctl sync.Mutex

	mu       sync.Mutex
	active   *worker    // the generation queries read, if running here
	building *worker    // a generation being built beside it
	frozen   Checkpoint // the active generation when it is not running (version changed)
	visible  eventstore.Notifier
	// changed is the position of the last commit that changed the
	// documents queries read, or where they were known to be when that is
	// unknown here (Runner.Changed).
	changed atomic.Uint64

	// markMu serialises the commits of a projection's generations so that
	// each integration event is announced by one of them.
	markMu     sync.Mutex
	mark       eventstore.Position
	pubMu      sync.Mutex
	pubPending atomic.Bool

	// guarded by mu: the failures in a row restarted automatically, the
	// position the last one failed at, when the next restart is due
	restarts    int
	failedAt    eventstore.Position
	nextRestart time.Time

	// With leases (guarded by mu): the lease held here (zero: none), how
	// to stop running under it, and why it could not start here last.
	grant    lease.Grant
	stopLead context.CancelFunc
	leadErr  error

	bmu sync.Mutex
	b   Backend // where writes go: RunnerConfig.Backend, fenced under a lease
}

// worker runs one generation of one projection.
type worker struct {
	r      *Runner
	ps     *projState
	gen    uint64
	topic  string
	target eventstore.Position // a building generation switches once past this

	cp      atomic.Uint64
	moved   atomic.Int64 // when cp last moved (or the worker started), Unix ns
	mu      sync.Mutex   // held while a message is handled
	stopped bool
	handler *message.Handler
	done    chan struct{}
	batch   *batch   // reused by every message handled (under mu)
	refs    []DocRef // the documents to preload, reused likewise

	// guarded by ps.mu
	building bool
	state    State
	lastErr  error
	errPos   eventstore.Position
}

// NewRunner checks cfg and returns a Runner; Run starts it.
func NewRunner(cfg RunnerConfig) (*Runner, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &Runner{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "projections"),
		projs:   map[string]*projState{},
		ready:   make(chan struct{}),
		workers: map[string]*worker{},
	}
	wmLog := watermill.NewSlogLoggerWithLevelMapping(cfg.Logger, map[slog.Level]slog.Level{
		slog.LevelInfo: slog.LevelDebug,
	})
	for _, p := range cfg.Projections {
		r.projs[p.Name()] = &projState{p: p, b: cfg.Backend}
		r.order = append(r.order, p.Name())
	}
	r.pub = cfg.Publisher
	if r.pub == nil {
		r.channel = gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 1024}, wmLog)
		r.pub = r.channel
	}
	sub, err := NewLogSubscriber(SubscriberConfig{
		Store:       cfg.Store,
		Start:       r.start,
		MaxBatch:    cfg.MaxBatch,
		GiveUpAfter: 1, // the Retry middleware has already retried
		OnGiveUp:    r.giveUp,
		Logger:      cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	r.sub = sub
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 15 * time.Second}, wmLog)
	if err != nil {
		return nil, fmt.Errorf("projection runner: %w", err)
	}
	rc := cfg.Retry
	retry := middleware.Retry{
		MaxRetries:      max(rc.MaxRetries, 0),
		InitialInterval: rc.InitialInterval,
		MaxInterval:     rc.MaxInterval,
		Multiplier:      rc.Multiplier,
		MaxElapsedTime:  rc.MaxElapsedTime,
		Logger:          wmLog,
		// A stopped worker's message is not worth retrying.
		ShouldRetry: func(p middleware.RetryParams) bool { return !errors.Is(p.Err, errWorkerStopped) },
	}
	// First added runs outermost: Retry wraps Recoverer, so a panic becomes
	// an error that is retried like any other.
	router.AddMiddleware(retry.Middleware, middleware.Recoverer)
	// The router closes itself when its last handler stops; a failed
	// projection must not take the others' restarts down with it.
	router.AddConsumerHandler("collabledger-keepalive", "keepalive", idleSubscriber{}, func(*message.Message) error { return nil })
	r.router = router
	return r, nil
}

// Integration returns the in-process pub/sub integration events go to when
// RunnerConfig.Publisher was not set (subscribe to RunnerConfig.Topic), or
// nil.
func (r *Runner) Integration() *gochannel.GoChannel { return r.channel }

// Backend returns the read-model backend.
func (r *Runner) Backend() Backend { return r.cfg.Backend }

// Reader reads the committed documents of a projection's active generation:
// what the read models' queries use.
func (r *Runner) Reader(projection string) Reader { return r.cfg.Backend.Reader(projection) }

// Run sets up every projection (creating its first generation, or starting
// a rebuild when its Version changed, or resuming a failed one), catches them
// up and follows the log until ctx ends. It returns nil after ctx ends, or
// the error that kept it from starting.
func (r *Runner) Run(ctx context.Context) error {
	if !r.started.CompareAndSwap(false, true) {
		return errors.New("projection runner: Run called twice")
	}
	r.runCtx = ctx
	if !r.leased() {
		if err := r.setup(ctx); err != nil {
			r.sub.Close()
			return err
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- r.router.Run(ctx) }()
	select {
	case <-r.router.Running():
	case err := <-errc:
		r.sub.Close()
		return fmt.Errorf("projection runner: start router: %w", err)
	}
	close(r.ready)
	if r.leased() {
		r.log.Info("projections: running each where its lease is held", "projections", strings.Join(r.order, ","), "holder", r.cfg.Leases.Holder())
		r.runLeased(ctx)
	} else {
		r.log.Info("projections running", "projections", strings.Join(r.order, ","))
	}
	<-ctx.Done()
	if err := r.router.Close(); err != nil {
		r.log.Warn("projection runner: close router", "err", err)
	}
	err := <-errc
	r.sub.Close()
	if r.channel != nil {
		r.channel.Close()
	}
	if err != nil {
		return fmt.Errorf("projection runner: %w", err)
	}
	return nil
}

// Ready is closed once Run has started every projection.
func (r *Runner) Ready() <-chan struct{} { return r.ready }

func (r *Runner) setup(ctx context.Context) error {
	head, err := r.cfg.Store.Head(ctx)
	if err != nil {
		return fmt.Errorf("projection runner: read log head: %w", err)
	}
	for _, name := range r.order {
		if err := r.setupOne(ctx, r.projs[name], head); err != nil {
			return err
		}
	}
	return nil
}

// setupOne sets a projection up (creating its first generation, or starting
// a rebuild when its Version changed, or resuming a failed one) and starts
// its workers.
func (r *Runner) setupOne(ctx context.Context, ps *projState, head eventstore.Position) error {
	b := ps.backend()
	name := ps.p.Name()
	log := r.log.With("projection", name)
	mark, err := b.InitMark(ctx, name, head)
	if err != nil {
		return fmt.Errorf("projection %s: integration mark: %w", name, err)
	}
	ps.markMu.Lock()
	ps.mark = mark
	ps.markMu.Unlock()
	gens, err := b.Generations(ctx, name)
	if err != nil {
		return fmt.Errorf("projection %s: read generations: %w", name, err)
	}
	version := ps.p.Version()
	var resume *Checkpoint
	for _, g := range gens.All {
		if g.Generation == gens.Active {
			continue
		}
		if g.Version == version && resume == nil {
			resume = &g
			continue
		}
		// An interrupted rebuild for another version, or a second one.
		if err := b.DropGeneration(ctx, name, g.Generation); err != nil {
			return fmt.Errorf("projection %s: drop stale generation %d: %w", name, g.Generation, err)
		}
	}
	active, hasActive := gens.Get(gens.Active)
	switch {
	case !hasActive:
		cp, err := b.CreateGeneration(ctx, name, version)
		if err != nil {
			return fmt.Errorf("projection %s: create generation: %w", name, err)
		}
		log.Info("projection: building first generation", "generation", cp.Generation, "head", head)
		if err := r.startWorker(ctx, ps, cp, false, 0); err != nil {
			return err
		}
	case active.Version != version:
		ps.mu.Lock()
		ps.frozen = active
		ps.mu.Unlock()
		ps.markChanged(active.Position)
		ps.visible.Publish(active.Position)
		log.Info("projection: version changed, rebuilding beside the current read model",
			"generation", active.Generation, "stored_version", active.Version, "version", version)
		if resume == nil {
			cp, err := b.CreateGeneration(ctx, name, version)
			if err != nil {
				return fmt.Errorf("projection %s: create generation: %w", name, err)
			}
			resume = &cp
		}
		if err := r.startWorker(ctx, ps, *resume, true, max(head, active.Position)); err != nil {
			return err
		}
		resume = nil
	default:
		if active.State == StateFailed {
			log.Info("projection: resuming after failure", "generation", active.Generation,
				"checkpoint", active.Position, "failed_at", active.ErrorPosition, "error", active.Error)
		}
		if err := r.startWorker(ctx, ps, active, false, 0); err != nil {
			return err
		}
	}
	if resume != nil {
		// A rebuild of this version was under way: go on with it.
		if err := r.startWorker(ctx, ps, *resume, true, max(head, active.Position)); err != nil {
			return err
		}
	}
	r.flushOutbox(ctx, ps, true)
	return nil
}

// startWorker adds a router handler for generation cp. Before Run has
// started the router, the handler starts with it.
func (r *Runner) startWorker(ctx context.Context, ps *projState, cp Checkpoint, building bool, target eventstore.Position) error {
	name := ps.p.Name()
	state := StateRunning
	if building {
		state = StateBuilding
	}
	if cp.State != state {
		if err := ps.backend().SetState(ctx, name, cp.Generation, state, "", 0); err != nil {
			return fmt.Errorf("projection %s generation %d: set state: %w", name, cp.Generation, err)
		}
	}
	w := &worker{
		r: r, ps: ps, gen: cp.Generation, target: target, building: building, state: state,
		topic: "projection/" + name + "/" + strconv.FormatUint(cp.Generation, 10),
		done:  make(chan struct{}),
	}
	w.cp.Store(uint64(cp.Position))
	w.moved.Store(time.Now().UnixNano())
	ps.mu.Lock()
	if building {
		ps.building = w
	} else {
		ps.active = w
		ps.markChanged(cp.Position)
		ps.visible.Publish(cp.Position)
	}
	ps.mu.Unlock()
	r.workersMu.Lock()
	r.workers[w.topic] = w
	r.workersMu.Unlock()
	handlerName := fmt.Sprintf("%s@%d#%d", name, cp.Generation, r.seq.Add(1))
	w.handler = r.router.AddConsumerHandler(handlerName, w.topic, r.sub, w.handle)
	if r.router.IsRunning() {
		if err := r.router.RunHandlers(r.runCtx); err != nil {
			return fmt.Errorf("projection %s: start handler: %w", name, err)
		}
		go r.watch(w)
	} else {
		// The router starts it; its fields are safe to read once Run is
		// ready.
		go func() {
			<-r.ready
			r.watch(w)
		}()
	}
	return nil
}

// watch waits for a worker's handler to stop and records it.
func (r *Runner) watch(w *worker) {
	<-w.handler.Stopped()
	close(w.done)
	r.workersMu.Lock()
	if r.workers[w.topic] == w {
		delete(r.workers, w.topic)
	}
	r.workersMu.Unlock()
	w.ps.mu.Lock()
	if w.state == StateRunning || w.state == StateBuilding {
		w.state = StateStopped
	}
	w.ps.mu.Unlock()
}

func (r *Runner) worker(topic string) *worker {
	r.workersMu.Lock()
	defer r.workersMu.Unlock()
	return r.workers[topic]
}

// start is the LogSubscriber's Start: a generation's committed checkpoint.
func (r *Runner) start(ctx context.Context, topic string) (eventstore.Position, error) {
	w := r.worker(topic)
	if w == nil {
		return 0, fmt.Errorf("no projection runs on topic %q", topic)
	}
	return eventstore.Position(w.cp.Load()), nil
}

// giveUp is the LogSubscriber's OnGiveUp: the Retry middleware gave up on a
// message, so its generation is marked failed and stops.
func (r *Runner) giveUp(topic string, at eventstore.Position) {
	w := r.worker(topic)
	if w == nil {
		return
	}
	w.mu.Lock()
	stopped := w.stopped
	w.mu.Unlock()
	if stopped {
		return
	}
	ps := w.ps
	name := ps.p.Name()
	ps.mu.Lock()
	err, pos := w.lastErr, w.errPos
	if err == nil {
		err, pos = fmt.Errorf("handler failed after position %d", at), at+1
	}
	w.state = StateFailed
	ps.mu.Unlock()
	attrs := []any{"projection", name, "generation", w.gen, "position", pos, "checkpoint", at, "err", err}
	if pe := (*PanicError)(nil); errors.As(err, &pe) {
		attrs = append(attrs, "stack", pe.Stack)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.runCtx), 10*time.Second)
	defer cancel()
	if err := ps.backend().SetState(ctx, name, w.gen, StateFailed, err.Error(), pos); err != nil {
		r.log.Error("projection: record failure", "projection", name, "generation", w.gen, "err", err)
	}
	if r.cfg.RestartAfter < 0 {
		r.log.Error("projection failed: fix the cause and restart it; it resumes at this event", attrs...)
		return
	}
	if isStale(err) {
		return // the lease passed on: the new holder goes on
	}
	ps.mu.Lock()
	wait := r.cfg.RestartAfter
	for range min(ps.restarts, 30) {
		wait = min(2*wait, r.cfg.RestartAfterMax)
	}
	ps.restarts++
	ps.failedAt = pos
	ps.nextRestart = time.Now().Add(wait)
	attempt := ps.restarts
	ps.mu.Unlock()
	attrs = append(attrs, "restart_in", wait, "failures_in_a_row", attempt)
	r.log.Error("projection failed: it restarts itself from this event after a pause", attrs...)
	go r.restartLater(name, wait)
}

// restartLater restarts a failed projection after wait, unless Run ends
// first (or it was restarted meanwhile: Restart leaves running workers).
func (r *Runner) restartLater(name string, wait time.Duration) {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-r.runCtx.Done():
		return
	case <-t.C:
	}
	if err := r.Restart(r.runCtx, name); err != nil && r.runCtx.Err() == nil {
		r.log.Error("projection: restart after failure", "projection", name, "err", err)
	}
}

var errWorkerStopped = errors.New("projection worker stopped")

// PanicError is a panic in a projection's Apply, as an error of that event.
type PanicError struct {
	Value any
	// Stack is where it panicked; it is logged, not shown in Status.
	Stack string
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// handle is a generation's router handler: it applies a message's events
// that are past the checkpoint and commits them with the new checkpoint.
// When an event fails, the events before it are committed, the event's own
// writes are dropped, and the error is returned (the message is retried,
// then nacked).
func (w *worker) handle(msg *message.Message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return errWorkerStopped
	}
	r, ps := w.r, w.ps
	ctx := msg.Context()
	evs := Events(msg)
	if len(evs) == 0 {
		return nil
	}
	name := ps.p.Name()
	cp := eventstore.Position(w.cp.Load())
	b := w.batch
	if b == nil {
		b = newBatch(ps.backend(), name, w.gen, cp)
		w.batch = b
	} else {
		b.restart(cp)
	}
	ps.markMu.Lock()
	b.emitAbove = ps.mark
	ps.markMu.Unlock()
	if pl, ok := ps.p.(Preloader); ok {
		refs := w.preloadRefs(pl, evs, cp)
		err := b.preload(ctx, refs)
		clear(refs) // keep the slice, not the keys
		if err != nil {
			return w.failed(fmt.Errorf("projection %s generation %d: %w", name, w.gen, err), cp+1)
		}
	}
	n, applyErr := w.applyRun(ctx, b, evs, cp, 0)
	if applyErr != nil && b.poisoned {
		// The failed event may have changed a document's cached value in
		// place (see Update): fold the events before it again from the
		// checkpoint, so that what commits is exactly their effect.
		first := applyErr
		b.restart(cp)
		n, applyErr = w.applyRun(ctx, b, evs, cp, first.Position)
		switch {
		case applyErr == nil:
			applyErr = first
		case b.poisoned:
			b.restart(cp) // it failed earlier the second time: commit nothing
			n = 0
		}
	}
	if b.dirty() {
		if err := w.commit(ctx, b, n); err != nil {
			if !isStale(err) {
				w.resync(ctx)
			}
			return w.failed(err, cp+1)
		}
	}
	if applyErr != nil {
		return w.failed(applyErr, applyErr.Position)
	}
	ps.mu.Lock()
	w.lastErr, w.errPos = nil, 0
	building := w.building
	ps.mu.Unlock()
	if building {
		if err := w.maybeSwitch(ctx); err != nil {
			r.log.Error("projection: switch to rebuilt generation", "projection", name, "generation", w.gen, "err", err)
		}
	}
	return nil
}

// preloadRefs returns the documents pl will read for the events of evs
// after the checkpoint cp, in w.refs. A document named by consecutive
// events is named once (a run of one proposal's signatures names its tally
// once, not once a signature); the batch's preload drops the other
// repeats.
func (w *worker) preloadRefs(pl Preloader, evs []eventstore.Event, cp eventstore.Position) []DocRef {
	refs := w.refs[:0]
	ap, appends := pl.(PreloadAppender)
	for i := range evs {
		if evs[i].Position <= cp {
			continue
		}
		n := len(refs)
		if appends {
			refs = ap.AppendPreload(refs, evs[i])
		} else {
			refs = append(refs, pl.Preload(evs[i])...)
		}
		if len(refs) == n+1 && n > 0 && refs[n] == refs[n-1] {
			refs = refs[:n]
		}
	}
	w.refs = refs
	return refs
}

// applyRun applies the events of evs after the checkpoint cp (and, if stop
// is not 0, before position stop) to b, and stops at the first that fails.
// It returns how many it applied and the failure.
func (w *worker) applyRun(ctx context.Context, b *batch, evs []eventstore.Event, cp, stop eventstore.Position) (int, *ApplyError) {
	n := 0
	for i := range evs {
		ev := &evs[i]
		if ev.Position <= cp {
			continue
		}
		if stop != 0 && ev.Position >= stop {
			break
		}
		if err := b.apply(ctx, ev, safeApply(w.ps.p)); err != nil {
			return n, &ApplyError{Projection: w.ps.p.Name(), Generation: w.gen, Position: ev.Position, EventID: ev.ID.String(), Stream: ev.Stream, Type: ev.Type, Err: err}
		}
		n++
	}
	return n, nil
}

// resync reads the stored checkpoint after a failed commit: a commit whose
// answer was lost (a dropped connection) may have succeeded, and the retry
// must then go on after it rather than fail on a checkpoint that moved.
func (w *worker) resync(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	gens, err := w.r.cfg.Backend.Generations(ctx, w.ps.p.Name())
	if err != nil {
		return
	}
	if cp, ok := gens.Get(w.gen); ok && uint64(cp.Position) > w.cp.Load() {
		w.r.log.Warn("projection: a commit reported as failed was stored; going on after it",
			"projection", w.ps.p.Name(), "generation", w.gen, "checkpoint", cp.Position)
		w.cp.Store(uint64(cp.Position))
		w.ps.markMu.Lock()
		w.ps.mark = max(w.ps.mark, cp.Position)
		w.ps.markMu.Unlock()
		w.r.flushOutbox(ctx, w.ps, true)
	}
}

// failed records why handling stopped at pos, for the status and giveUp.
func (w *worker) failed(err error, pos eventstore.Position) error {
	w.ps.mu.Lock()
	w.lastErr, w.errPos = err, pos
	w.ps.mu.Unlock()
	return err
}

// safeApply turns a panic in Apply into an error of that event, so that the
// events before it still commit and the status names the right one.
func safeApply(p Projection) func(ctx context.Context, tx Tx, ev eventstore.Event) error {
	return func(ctx context.Context, tx Tx, ev eventstore.Event) (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = &PanicError{Value: v, Stack: string(debug.Stack())}
			}
		}()
		return p.Apply(ctx, tx, ev)
	}
}

// commit writes the batch, announces its integration events and tells
// waiters.
func (w *worker) commit(ctx context.Context, b *batch, events int) error {
	r, ps := w.r, w.ps
	c, err := b.commitRequest()
	if err != nil {
		return fmt.Errorf("projection %s generation %d: %w", w.ps.p.Name(), w.gen, err)
	}
	c.Mark = c.To
	ps.markMu.Lock()
	if len(c.Outbox) > 0 {
		kept := c.Outbox[:0:0]
		for _, e := range c.Outbox {
			if e.SourcePosition > ps.mark {
				kept = append(kept, e)
			}
		}
		c.Outbox = kept
	}
	err = ps.backend().Commit(ctx, c)
	if err == nil && c.To > ps.mark {
		ps.mark = c.To
	}
	ps.markMu.Unlock()
	if err != nil {
		if isStale(err) {
			r.stale(ps, err)
		}
		return fmt.Errorf("projection %s generation %d: commit %d..%d: %w", c.Projection, c.Generation, c.From+1, c.To, err)
	}
	w.cp.Store(uint64(c.To))
	w.moved.Store(time.Now().UnixNano())
	b.reset()
	ps.mu.Lock()
	active := ps.active == w
	if ps.restarts > 0 && c.To >= ps.failedAt {
		// past the event it failed on: the next failure waits the least
		r.log.Info("projection: recovered after restarting itself", "projection", c.Projection, "generation", c.Generation, "restarts", ps.restarts, "checkpoint", c.To)
		ps.restarts, ps.nextRestart = 0, time.Time{}
	}
	ps.mu.Unlock()
	if active {
		if len(c.Changes) > 0 {
			ps.markChanged(c.To)
		}
		ps.visible.Publish(c.To)
	}
	if len(c.Outbox) > 0 {
		r.publish(ctx, ps, c.Outbox)
	} else if ps.pubPending.Load() {
		r.flushOutbox(ctx, ps, false)
	}
	if r.cfg.OnCommit != nil {
		r.cfg.OnCommit(CommitInfo{Projection: c.Projection, Generation: c.Generation, Active: active, From: c.From, To: c.To, Events: events, Documents: len(c.Changes), At: time.Now()})
	}
	return nil
}

// publish sends committed integration events and forgets them; on failure
// they stay in the backend's outbox and are sent again after a later commit
// or at the next start.
func (r *Runner) publish(ctx context.Context, ps *projState, evs []IntegrationEvent) {
	ps.pubMu.Lock()
	defer ps.pubMu.Unlock()
	if ps.pubPending.Load() {
		// Older ones first.
		pending, err := ps.backend().Outbox(ctx, ps.p.Name())
		if err != nil {
			r.log.Error("projection: read outbox", "projection", ps.p.Name(), "err", err)
			return
		}
		evs = pending
	}
	r.sendLocked(ctx, ps, evs)
}

func (r *Runner) flushOutbox(ctx context.Context, ps *projState, force bool) {
	ps.pubMu.Lock()
	defer ps.pubMu.Unlock()
	if !force && !ps.pubPending.Load() {
		return
	}
	pending, err := ps.backend().Outbox(ctx, ps.p.Name())
	if err != nil {
		r.log.Error("projection: read outbox", "projection", ps.p.Name(), "err", err)
		return
	}
	r.sendLocked(ctx, ps, pending)
}

func (r *Runner) sendLocked(ctx context.Context, ps *projState, evs []IntegrationEvent) {
	if len(evs) == 0 {
		ps.pubPending.Store(false)
		return
	}
	msgs := make([]*message.Message, len(evs))
	ids := make([]string, len(evs))
	for i, e := range evs {
		msgs[i] = e.Message()
		ids[i] = e.ID
	}
	if err := r.pub.Publish(r.cfg.Topic, msgs...); err != nil {
		ps.pubPending.Store(true)
		r.log.Error("projection: publish integration events; will retry", "projection", ps.p.Name(), "count", len(msgs), "err", err)
		return
	}
	if err := ps.backend().DeleteOutbox(ctx, ps.p.Name(), ids); err != nil {
		ps.pubPending.Store(true)
		r.log.Error("projection: forget published integration events", "projection", ps.p.Name(), "err", err)
		return
	}
	ps.pubPending.Store(false)
}

// maybeSwitch makes a building generation active once it has reached both
// the head the rebuild started at and the checkpoint of the generation
// queries read, so that a switch never shows an older state. It runs in the
// building worker's handler.
func (w *worker) maybeSwitch(ctx context.Context) error {
	ps := w.ps
	cp := eventstore.Position(w.cp.Load())
	if cp < w.target {
		return nil
	}
	ps.mu.Lock()
	old, frozen := ps.active, ps.frozen
	ps.mu.Unlock()
	if old != nil {
		if cp < eventstore.Position(old.cp.Load()) {
			return nil
		}
		old.stop()
		if cp < eventstore.Position(old.cp.Load()) {
			// It moved on before it stopped; the next batch passes it.
			ps.mu.Lock()
			ps.frozen = Checkpoint{Position: eventstore.Position(old.cp.Load())}
			ps.active = nil
			ps.mu.Unlock()
			return nil
		}
	} else if cp < frozen.Position {
		return nil
	}
	name := ps.p.Name()
	if err := ps.backend().Activate(ctx, name, w.gen); err != nil {
		return err
	}
	ps.mu.Lock()
	ps.active, ps.building, ps.frozen = w, nil, Checkpoint{}
	w.building, w.state = false, StateRunning
	ps.mu.Unlock()
	ps.markChanged(cp)
	ps.visible.Publish(cp)
	w.r.log.Info("projection: switched to rebuilt generation", "projection", name, "generation", w.gen, "checkpoint", cp)
	return nil
}

// stop ends the worker once its current message, if any, is done, and
// waits for its handler to stop.
func (w *worker) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	w.handler.Stop()
	<-w.done
}

// Rebuild starts building a new generation of the projection from the start
// of the log, beside the one queries read, and returns its number. Queries
// go on reading the current generation; when the new one has caught up with
// the log's head (as it was when Rebuild was called) and with the current
// generation, it becomes the active one atomically and the old one is
// dropped. Status shows progress; WaitActive waits for the switch.
func (r *Runner) Rebuild(ctx context.Context, projection string) (uint64, error) {
	ps, err := r.waitReady(ctx, projection)
	if err != nil {
		return 0, err
	}
	if !r.leading(ps) {
		return r.requestRebuild(ctx, ps)
	}
	ps.ctl.Lock()
	defer ps.ctl.Unlock()
	ps.mu.Lock()
	busy := ps.building != nil && ps.building.state != StateFailed
	old := ps.building
	ps.mu.Unlock()
	if busy {
		return 0, fmt.Errorf("rebuild %s: generation %d is already being built", projection, old.gen)
	}
	if old != nil {
		old.stop()
		if err := ps.backend().DropGeneration(ctx, projection, old.gen); err != nil {
			return 0, fmt.Errorf("rebuild %s: drop failed rebuild: %w", projection, err)
		}
	}
	head, err := r.cfg.Store.Head(ctx)
	if err != nil {
		return 0, fmt.Errorf("rebuild %s: read head: %w", projection, err)
	}
	cp, err := ps.backend().CreateGeneration(ctx, projection, ps.p.Version())
	if err != nil {
		return 0, fmt.Errorf("rebuild %s: %w", projection, err)
	}
	r.log.Info("projection: rebuilding beside the current read model", "projection", projection, "generation", cp.Generation, "head", head)
	if err := r.startWorker(ctx, ps, cp, true, head); err != nil {
		return 0, err
	}
	return cp.Generation, nil
}

// Restart resumes a failed or stopped projection (and a failed rebuild of
// it) from its checkpoint: the event it failed on is applied again.
func (r *Runner) Restart(ctx context.Context, projection string) error {
	ps, err := r.waitReady(ctx, projection)
	if err != nil {
		return err
	}
	ps.ctl.Lock()
	defer ps.ctl.Unlock()
	gens, err := r.cfg.Backend.Generations(ctx, projection)
	if err != nil {
		return fmt.Errorf("restart %s: %w", projection, err)
	}
	ps.mu.Lock()
	active, building := ps.active, ps.building
	ps.mu.Unlock()
	for _, w := range []*worker{active, building} {
		if w == nil {
			continue
		}
		select {
		case <-w.done:
		default:
			continue // still running
		}
		cp, ok := gens.Get(w.gen)
		if !ok {
			continue
		}
		r.log.Info("projection: restarting", "projection", projection, "generation", w.gen, "checkpoint", cp.Position)
		if err := r.startWorker(ctx, ps, cp, w == building, w.target); err != nil {
			return err
		}
	}
	return nil
}

func (r *Runner) waitReady(ctx context.Context, projection string) (*projState, error) {
	ps := r.projs[projection]
	if ps == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownProjection, projection)
	}
	select {
	case <-r.ready:
		return ps, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// WaitFor returns once the projection's read model (what queries read)
// reflects the log up to pos, or with ctx's error. An HTTP handler that has
// just appended can use it to read its own writes.
func (r *Runner) WaitFor(ctx context.Context, projection string, pos eventstore.Position) error {
	ps := r.projs[projection]
	if ps == nil {
		return fmt.Errorf("%w: %q", ErrUnknownProjection, projection)
	}
	if pos == 0 {
		return nil
	}
	for {
		if err := ps.visible.Wait(ctx, pos-1, 0); err != nil {
			return err
		}
		if r.visible(ps) >= pos {
			return nil
		}
	}
}

// Changed returns a position that moves whenever the documents queries
// read of the projection may have changed: the checkpoint of the last
// commit that wrote any of them (a commit of events the projection ignores,
// such as the transparency log's checkpoints, leaves it where it was), or
// the checkpoint queries read when this server cannot tell (a generation
// started or switched; a read model another server runs under its lease,
// followed through its checkpoints). Whatever a query read while Changed
// returned p reflects at least the commit at p, so a cache of what was
// derived from the read model, kept under p, is exact until Changed moves.
func (r *Runner) Changed(projection string) (eventstore.Position, error) {
	ps := r.projs[projection]
	if ps == nil {
		return 0, fmt.Errorf("%w: %q", ErrUnknownProjection, projection)
	}
	return eventstore.Position(ps.changed.Load()), nil
}

// markChanged moves the projection's Changed position to p (never back).
func (ps *projState) markChanged(p eventstore.Position) {
	for {
		old := ps.changed.Load()
		if uint64(p) <= old || ps.changed.CompareAndSwap(old, uint64(p)) {
			return
		}
	}
}

func (r *Runner) visible(ps *projState) eventstore.Position {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.active != nil {
		return eventstore.Position(ps.active.cp.Load())
	}
	return ps.frozen.Position
}

// WaitCaughtUp returns once every projection's read model reflects the log
// up to its head at the time of the call.
func (r *Runner) WaitCaughtUp(ctx context.Context) error {
	head, err := r.cfg.Store.Head(ctx)
	if err != nil {
		return fmt.Errorf("wait caught up: %w", err)
	}
	for _, name := range r.order {
		if err := r.WaitFor(ctx, name, head); err != nil {
			return err
		}
	}
	return nil
}

// WaitActive returns once generation gen of the projection is the one
// queries read, or with an error if it failed.
func (r *Runner) WaitActive(ctx context.Context, projection string, gen uint64) error {
	ps, err := r.waitReady(ctx, projection)
	if err != nil {
		return err
	}
	if !r.leading(ps) {
		return r.waitActiveStored(ctx, projection, gen)
	}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		ps.mu.Lock()
		var active, building *worker = ps.active, ps.building
		ps.mu.Unlock()
		if active != nil && active.gen == gen {
			return nil
		}
		if building == nil || building.gen != gen {
			return fmt.Errorf("wait for %s generation %d: it is no longer being built", projection, gen)
		}
		ps.mu.Lock()
		failed, lastErr := building.state == StateFailed, building.lastErr
		ps.mu.Unlock()
		if failed {
			return fmt.Errorf("wait for %s generation %d: rebuild failed: %w", projection, gen, lastErr)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// idleSubscriber's subscriptions carry no message and end with their
// context: the router's keep-alive handler.
type idleSubscriber struct{}

func (idleSubscriber) Subscribe(ctx context.Context, _ string) (<-chan *message.Message, error) {
	ch := make(chan *message.Message)
	go func() {
		<-ctx.Done()
		close(ch)
	}()
	return ch, nil
}

func (idleSubscriber) Close() error { return nil }

package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pdis/collab-ledger/eventstore"
)

// Metadata keys of the messages a LogSubscriber sends.
const (
	// MetaFirstPosition and MetaLastPosition are the positions of the
	// message's first and last event; MetaCount how many it carries.
	MetaFirstPosition = "first_position"
	MetaLastPosition  = "last_position"
	MetaCount         = "count"
	// MetaEventID, MetaEventType and MetaStream describe the event of a
	// message that carries exactly one (the usual case once caught up).
	MetaEventID   = "event_id"
	MetaEventType = "event_type"
	MetaStream    = "stream"
)

type eventsKey struct{}

// Events returns the events a LogSubscriber message carries, in global
// order, with their full envelopes (position, type, metadata, hash). They
// travel in the message's context, not its payload: see LogSubscriber.
func Events(msg *message.Message) []eventstore.Event {
	evs, _ := msg.Context().Value(eventsKey{}).([]eventstore.Event)
	return evs
}

// SubscriberConfig configures a LogSubscriber.
type SubscriberConfig struct {
	// Store is the log to read.
	Store eventstore.Store
	// Start returns the position after which a topic's subscription begins:
	// the subscriber's checkpoint for that topic. It is asked at Subscribe
	// and again after every Nack, so that a subscriber resumes exactly after
	// what its handler committed.
	Start func(ctx context.Context, topic string) (eventstore.Position, error)
	// MaxBatch is the most events one message carries. While catching up
	// messages are full; once caught up they usually carry one event.
	// Default 512.
	MaxBatch int
	// Prefetch is how many events are read ahead of the handler. Default
	// 4 × MaxBatch.
	Prefetch int
	// GiveUpAfter is how many Nacks in a row at the same checkpoint end the
	// subscription (its channel is closed and OnGiveUp called). 0: never,
	// redeliver for ever.
	GiveUpAfter int
	// OnGiveUp is called when a subscription ends after GiveUpAfter Nacks,
	// with the topic and the checkpoint it could not get past.
	OnGiveUp func(topic string, at eventstore.Position)
	// RedeliveryDelay is the pause before redelivering after a Nack or a
	// read error. Default 100 ms.
	RedeliveryDelay time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// WithDefaults fills unset fields.
func (c SubscriberConfig) WithDefaults() SubscriberConfig {
	if c.MaxBatch == 0 {
		c.MaxBatch = 512
	}
	if c.Prefetch == 0 {
		c.Prefetch = 4 * c.MaxBatch
	}
	if c.RedeliveryDelay == 0 {
		c.RedeliveryDelay = 100 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports settings that cannot work.
func (c SubscriberConfig) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("log subscriber config: no store")
	case c.Start == nil:
		return errors.New("log subscriber config: no start function")
	case c.MaxBatch < 1:
		return fmt.Errorf("log subscriber config: max batch %d, want at least 1", c.MaxBatch)
	case c.Prefetch < c.MaxBatch:
		return fmt.Errorf("log subscriber config: prefetch %d is below max batch %d", c.Prefetch, c.MaxBatch)
	case c.GiveUpAfter < 0:
		return fmt.Errorf("log subscriber config: give up after %d nacks, want 0 (never) or more", c.GiveUpAfter)
	}
	return nil
}

// LogSubscriber is a watermill message.Subscriber over the global log. Each
// Subscribe(ctx, topic) streams the log, in global order, from after the
// position Start gives for the topic, and then follows it live.
//
// Order is strict: the next message is sent only after the previous one is
// acknowledged. On Nack the subscriber does not move on: it asks Start again
// (the handler may have committed part of the message) and redelivers from
// there, until GiveUpAfter Nacks in a row, when it closes the topic's
// channel, which stops the router's handler.
//
// A message carries a batch of up to MaxBatch events. The events themselves
// travel in the message's context (read them with Events), not encoded in
// the payload: the subscriber and the handlers share one process, and
// re-encoding every event of a million-event catch-up only to decode it
// again would cost more than the projection itself. The metadata gives the
// first and last positions and the count, and for a single event its ID,
// type and stream. Such messages are not meant to cross a process boundary.
//
// A LogSubscriber's subscriptions share one reader of the log (logTap): the
// events a subscription receives while within its window are shared with
// the others and must not be modified.
type LogSubscriber struct {
	cfg     SubscriberConfig
	tap     *logTap
	stopTap context.CancelFunc
	closing chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	mu      sync.Mutex
	closed  bool
}

var _ message.Subscriber = (*LogSubscriber)(nil)

// NewLogSubscriber checks cfg and returns a subscriber.
func NewLogSubscriber(cfg SubscriberConfig) (*LogSubscriber, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	base, stop := context.WithCancel(context.Background())
	tap := newLogTap(base, cfg.Store, cfg.MaxBatch, cfg.Prefetch, tapWindow*cfg.Prefetch)
	return &LogSubscriber{cfg: cfg, tap: tap, stopTap: stop, closing: make(chan struct{})}, nil
}

// tapWindow is the tap's window in Prefetches: a subscription more than
// about that far behind the furthest one reads the log on its own.
const tapWindow = 8

// ErrSubscriberClosed is returned by a subscription or a Follower of a
// LogSubscriber (or Runner) that was closed.
var ErrSubscriberClosed = errors.New("log subscriber: closed")

// Subscribe implements message.Subscriber.
func (s *LogSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrSubscriberClosed
	}
	out := make(chan *message.Message)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(out)
		s.run(ctx, topic, out)
	}()
	return out, nil
}

// Close ends every subscription and waits for them.
func (s *LogSubscriber) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.once.Do(func() { close(s.closing) })
	s.wg.Wait()
	s.stopTap()
	s.tap.wg.Wait()
	return nil
}

func (s *LogSubscriber) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

// run serves one subscription until ctx ends, the subscriber closes or it
// gives up.
func (s *LogSubscriber) run(ctx context.Context, topic string, out chan<- *message.Message) {
	log := s.cfg.Logger.With("topic", topic)
	var (
		nacks  int
		nackAt eventstore.Position
	)
	for {
		if ctx.Err() != nil {
			return
		}
		after, err := s.cfg.Start(ctx, topic)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Error("log subscriber: read checkpoint", "err", err)
			if !s.sleep(ctx, s.cfg.RedeliveryDelay) {
				return
			}
			continue
		}
		if after != nackAt {
			nacks = 0
		}
		nacked, stop := s.deliver(ctx, topic, after, out, log)
		if stop {
			return
		}
		if nacked {
			if ctx.Err() != nil || s.isClosing() {
				return
			}
			nacks++
			nackAt = after
			if s.cfg.GiveUpAfter > 0 && nacks >= s.cfg.GiveUpAfter {
				// Where it stands now, which may be past `after` if the
				// handler committed part of the message.
				at, err := s.cfg.Start(ctx, topic)
				if err != nil {
					at = after
				}
				log.Warn("log subscriber: giving up after nacks", "nacks", nacks, "checkpoint", at)
				if s.cfg.OnGiveUp != nil {
					s.cfg.OnGiveUp(topic, at)
				}
				return
			}
		}
		if !s.sleep(ctx, s.cfg.RedeliveryDelay) {
			return
		}
	}
}

// deliver streams the log after `after` until a Nack (nacked), a read error
// (neither) or the end of the subscription (stop).
func (s *LogSubscriber) deliver(ctx context.Context, topic string, after eventstore.Position, out chan<- *message.Message, log *slog.Logger) (nacked, stop bool) {
	src := &logSource{s: s, ctx: ctx}
	defer src.close()
	next := after
	for {
		evs, err := src.take(next)
		if err != nil {
			if ctx.Err() != nil || s.isClosing() {
				return false, true
			}
			log.Error("log subscriber: read log", "after", next, "err", err)
			return false, false
		}
		if evs[0].Position <= next {
			log.Error("log subscriber: log went backwards", "after", next, "got", evs[0].Position)
			return false, false
		}
		next = evs[len(evs)-1].Position
		msg := newLogMessage(ctx, topic, evs)
		select {
		case out <- msg:
		case <-ctx.Done():
			return false, true
		case <-s.closing:
			return false, true
		}
		select {
		case <-msg.Acked():
		case <-msg.Nacked():
			return true, false
		case <-ctx.Done():
			return false, true
		case <-s.closing:
			return false, true
		}
	}
}

// logSource gives one delivery its events: from the shared tap while it is
// within the tap's window, otherwise from its own reader of the store.
type logSource struct {
	s   *LogSubscriber
	ctx context.Context
	r   *tapReader  // attached to the tap, or
	q   *eventQueue // reading on its own (through fill)

	cancel context.CancelFunc
	filled chan struct{}
}

// take returns the events after next (it is the last position taken).
func (src *logSource) take(next eventstore.Position) ([]eventstore.Event, error) {
	tap := src.s.tap
	for {
		if src.r != nil {
			evs, ok, err := tap.take(src.ctx, src.r, src.s.closing)
			if err != nil || ok {
				return evs, err
			}
			src.r = nil // detached: read on alone
		}
		if src.q == nil {
			if r, ok := tap.attach(next); ok {
				src.r = r
				continue
			}
			src.readAlone(next)
		}
		evs, err := src.q.take(src.ctx, src.s.closing)
		if err != nil {
			return nil, err
		}
		if r, ok := tap.attach(evs[len(evs)-1].Position); ok {
			// Back within the tap's window.
			src.stopReading()
			src.r = r
		}
		return evs, nil
	}
}

// readAlone starts a reader of the store after `after` for this delivery.
func (src *logSource) readAlone(after eventstore.Position) {
	cfg := src.s.cfg
	ctx, cancel := context.WithCancel(src.ctx)
	q, filled := newEventQueue(cfg.MaxBatch, cfg.Prefetch), make(chan struct{})
	go func() {
		defer close(filled)
		q.fill(ctx, cfg.Store, after)
	}()
	src.q, src.cancel, src.filled = q, cancel, filled
}

func (src *logSource) stopReading() {
	if src.q != nil {
		src.cancel()
		<-src.filled
		src.q = nil
	}
}

func (src *logSource) close() {
	if src.r != nil {
		src.s.tap.release(src.r)
		src.r = nil
	}
	src.stopReading()
}

func (s *LogSubscriber) isClosing() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

func newLogMessage(ctx context.Context, topic string, evs []eventstore.Event) *message.Message {
	first, last := evs[0], evs[len(evs)-1]
	var uuid string
	if len(evs) == 1 {
		uuid = first.ID.String()
	} else {
		uuid = topic + ":" + strconv.FormatUint(uint64(first.Position), 10) + "-" + strconv.FormatUint(uint64(last.Position), 10)
	}
	msg := message.NewMessage(uuid, nil)
	msg.Metadata.Set(MetaFirstPosition, strconv.FormatUint(uint64(first.Position), 10))
	msg.Metadata.Set(MetaLastPosition, strconv.FormatUint(uint64(last.Position), 10))
	msg.Metadata.Set(MetaCount, strconv.Itoa(len(evs)))
	if len(evs) == 1 {
		msg.Metadata.Set(MetaEventID, first.ID.String())
		msg.Metadata.Set(MetaEventType, first.Type)
		msg.Metadata.Set(MetaStream, first.Stream)
	}
	msg.SetContext(context.WithValue(ctx, eventsKey{}, evs))
	return msg
}

// eventQueue hands events from the log reader to the message loop: the
// reader appends one at a time into chunks of one batch each and waits when
// it is Prefetch ahead; the loop takes the oldest chunk, full or not, and
// waits only when there is nothing. So a message is full while catching up
// and holds the one new event live, without a timer, and no event is copied
// twice.
type eventQueue struct {
	mu     sync.Mutex
	chunks [][]eventstore.Event
	n      int // events in chunks
	batch  int
	max    int
	err    error
	ready  chan struct{} // something to take (capacity 1)
	space  chan struct{} // room to add (capacity 1)
}

func newEventQueue(batch, max int) *eventQueue {
	return &eventQueue{batch: batch, max: max, ready: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (q *eventQueue) fill(ctx context.Context, store eventstore.Store, after eventstore.Position) {
	for ev, err := range store.Subscribe(ctx, after) {
		if err != nil {
			q.mu.Lock()
			q.err = err
			q.mu.Unlock()
			signal(q.ready)
			return
		}
		for {
			q.mu.Lock()
			if q.n < q.max {
				last := len(q.chunks) - 1
				if last < 0 || len(q.chunks[last]) == q.batch {
					q.chunks = append(q.chunks, make([]eventstore.Event, 0, q.batch))
					last++
				}
				q.chunks[last] = append(q.chunks[last], ev)
				q.n++
				q.mu.Unlock()
				signal(q.ready)
				break
			}
			q.mu.Unlock()
			select {
			case <-q.space:
			case <-ctx.Done():
				return
			}
		}
	}
}

// take returns the oldest 1 to batch events, waiting for the first; or the
// reader's error.
func (q *eventQueue) take(ctx context.Context, closing <-chan struct{}) ([]eventstore.Event, error) {
	for {
		q.mu.Lock()
		if q.n > 0 {
			out := q.chunks[0]
			q.chunks[0] = nil
			q.chunks = q.chunks[1:]
			q.n -= len(out)
			q.mu.Unlock()
			signal(q.space)
			return out, nil
		}
		err := q.err
		q.mu.Unlock()
		if err != nil {
			return nil, err
		}
		select {
		case <-q.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-closing:
			return nil, ErrSubscriberClosed
		}
	}
}

package projections_test

import (
	"context"
	"errors"
	"iter"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/projectiontest"
)

// TestLogSubscriber uses the subscriber on its own, with a plain watermill
// router: events arrive in order, in batches while catching up, with their
// metadata; a Nack redelivers from the checkpoint the handler reports,
// without skipping.
func TestLogSubscriber(t *testing.T) {
	ctx := projectiontest.Ctx(t)
	store := projectiontest.NewStore(t)
	projectiontest.Fill(t, store, "s", 300, 3, 50)
	var mu sync.Mutex
	var checkpoint eventstore.Position = 10
	var seen []eventstore.Position
	nacked := false
	sub, router := newSubscriberRouter(t, projections.SubscriberConfig{
		Store:           store,
		MaxBatch:        64,
		RedeliveryDelay: time.Millisecond,
		Start: func(_ context.Context, topic string) (eventstore.Position, error) {
			if topic != "t" {
				return 0, errors.New("unknown topic")
			}
			mu.Lock()
			defer mu.Unlock()
			return checkpoint, nil
		},
	})
	router.AddConsumerHandler("h", "t", sub, func(msg *message.Message) error {
		evs := projections.Events(msg)
		mu.Lock()
		defer mu.Unlock()
		if len(evs) == 0 || len(evs) > 64 || strconv.Itoa(len(evs)) != msg.Metadata.Get(projections.MetaCount) ||
			msg.Metadata.Get(projections.MetaFirstPosition) != strconv.FormatUint(uint64(evs[0].Position), 10) ||
			msg.Metadata.Get(projections.MetaLastPosition) != strconv.FormatUint(uint64(evs[len(evs)-1].Position), 10) {
			t.Errorf("message %v with %d events", msg.Metadata, len(evs))
		}
		if len(evs) == 1 && (msg.Metadata.Get(projections.MetaEventType) != evs[0].Type || msg.Metadata.Get(projections.MetaStream) != evs[0].Stream) {
			t.Errorf("single-event message metadata %v", msg.Metadata)
		}
		for _, ev := range evs {
			if ev.Position != checkpoint+1 {
				t.Errorf("got %d after checkpoint %d", ev.Position, checkpoint)
				return nil
			}
			if ev.Type == "" || ev.Metadata.ActorID == "" || ev.Hash == (eventstore.Hash{}) {
				t.Errorf("event without its envelope: %+v", ev)
			}
			if ev.Position == 150 && !nacked {
				// Fail half way through a message: what came before counts.
				nacked = true
				return errors.New("transient")
			}
			seen = append(seen, ev.Position)
			checkpoint = ev.Position
		}
		return nil
	})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- router.Run(rctx) }()
	projectiontest.Append(t, store, "live", "test.live", 1)
	projectiontest.Eventually(t, 10*time.Second, "all events", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return checkpoint == 301
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sub.Close()
	if !nacked || len(seen) != 291 {
		t.Fatalf("nacked %v, saw %d events", nacked, len(seen))
	}
}

// countingStore counts the events its subscriptions hand out.
type countingStore struct {
	eventstore.Store
	read atomic.Int64
}

func (s *countingStore) Subscribe(ctx context.Context, after eventstore.Position) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		for ev, err := range s.Store.Subscribe(ctx, after) {
			if err == nil {
				s.read.Add(1)
			}
			if !yield(ev, err) {
				return
			}
		}
	}
}

// TestLogSubscriberSharesOneReader: the subscriptions of one subscriber
// share one reader of the log (decision 0040). Each still gets every event
// once, in order; one that falls far behind (its handler blocked) reads the
// log on its own, catches up, and shares the reader again for what comes
// after.
func TestLogSubscriberSharesOneReader(t *testing.T) {
	ctx := projectiontest.Ctx(t)
	store := &countingStore{Store: projectiontest.NewStore(t)}
	projectiontest.Fill(t, store, "s", 3000, 7, 50)
	const maxBatch = 16 // so the window is 8 × 64 events, and the slow topic falls out of it
	topics := []string{"a", "b", "c", "slow"}
	var mu sync.Mutex
	last := map[string]eventstore.Position{}
	release := make(chan struct{})
	// Every topic has its first message before any goes on, so that all
	// four start within the reader's window.
	var started sync.WaitGroup
	started.Add(len(topics))
	first := map[string]*sync.Once{}
	for _, topic := range topics {
		first[topic] = &sync.Once{}
	}
	sub, router := newSubscriberRouter(t, projections.SubscriberConfig{
		Store:    store,
		MaxBatch: maxBatch,
		Start:    func(context.Context, string) (eventstore.Position, error) { return 0, nil },
	})
	for _, topic := range topics {
		router.AddConsumerHandler("h-"+topic, topic, sub, func(msg *message.Message) error {
			first[topic].Do(func() {
				started.Done()
				started.Wait()
			})
			if topic == "slow" {
				<-release
			}
			evs := projections.Events(msg)
			mu.Lock()
			defer mu.Unlock()
			if len(evs) == 0 || len(evs) > maxBatch {
				t.Errorf("%s: a message of %d events", topic, len(evs))
			}
			for _, ev := range evs {
				if ev.Position != last[topic]+1 {
					t.Errorf("%s: got %d after %d", topic, ev.Position, last[topic])
				}
				last[topic] = ev.Position
			}
			return nil
		})
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- router.Run(rctx) }()
	at := func(topic string) eventstore.Position {
		mu.Lock()
		defer mu.Unlock()
		return last[topic]
	}
	projectiontest.Eventually(t, 20*time.Second, "the fast topics", func() bool {
		return at("a") == 3000 && at("b") == 3000 && at("c") == 3000
	})
	if n := store.read.Load(); n > 3000+4*64 {
		t.Errorf("three subscriptions and a blocked one read %d events of 3,000 from the store", n)
	}
	close(release)
	projectiontest.Eventually(t, 20*time.Second, "the slow topic", func() bool { return at("slow") == 3000 })
	before := store.read.Load()
	projectiontest.Fill(t, store, "live", 1000, 3, 10)
	projectiontest.Eventually(t, 20*time.Second, "every topic", func() bool {
		for _, topic := range topics {
			if at(topic) != 4000 {
				return false
			}
		}
		return true
	})
	if n := store.read.Load() - before; n > 1000+2*64 {
		t.Errorf("four subscriptions read %d events of 1,000 appended live", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sub.Close()
}

// newSubscriberRouter returns a LogSubscriber of cfg and a plain watermill
// router to add its handlers to.
func newSubscriberRouter(t *testing.T, cfg projections.SubscriberConfig) (*projections.LogSubscriber, *message.Router) {
	t.Helper()
	cfg.Logger = projectiontest.TestLogger()
	sub, err := projections.NewLogSubscriber(cfg)
	if err != nil {
		t.Fatal(err)
	}
	router, err := message.NewRouter(message.RouterConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sub, router
}

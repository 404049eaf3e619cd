package projections_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
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
	sub, err := projections.NewLogSubscriber(projections.SubscriberConfig{
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
		Logger: projectiontest.TestLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	router, err := message.NewRouter(message.RouterConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
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

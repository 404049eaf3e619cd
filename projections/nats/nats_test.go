package nats_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"slices"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"github.com/pdis/collab-ledger/internal/testenv"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/nats"
	"github.com/pdis/collab-ledger/projections/projectiontest"
)

// natsURL returns the server to test against (NATS_URL, or the default),
// skipping t, or failing it when COLLABLEDGER_REQUIRE_NATS=1, when it is
// unreachable.
func natsURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("NATS_URL")
	if url == "" {
		url = nats.DefaultURL
	}
	conn, err := natsgo.Connect(url, natsgo.Timeout(2*time.Second))
	if err != nil {
		testenv.Missing(t, "nats", "NATS at "+url+" is not reachable: "+err.Error())
	}
	js, err := conn.JetStream()
	if err == nil {
		_, err = js.AccountInfo()
	}
	conn.Close()
	if err != nil {
		testenv.Missing(t, "nats", "NATS at "+url+" has no JetStream: "+err.Error())
	}
	return url
}

// freshStream returns a stream name of t's own, deleted when t ends.
func freshStream(t *testing.T, url string) string {
	var b [6]byte
	rand.Read(b[:])
	name := "clt_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		conn, err := natsgo.Connect(url)
		if err != nil {
			return
		}
		defer conn.Close()
		if js, err := conn.JetStream(); err == nil {
			js.DeleteStream(name)
		}
	})
	return name
}

func TestIntegrationEventsThroughJetStream(t *testing.T) {
	url := natsURL(t)
	ctx := projectiontest.Ctx(t)
	cfg := nats.Config{URL: url, Stream: freshStream(t, url), Logger: projectiontest.TestLogger()}
	pub, err := nats.NewPublisher(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	store := projectiontest.NewStore(t)
	ctr := &projectiontest.Counter{ProjectionName: "milestones", Thresholds: []int{3}}
	r := projectiontest.Start(t, projections.RunnerConfig{Store: store, Backend: projections.NewMemoryBackend(), Projections: []projections.Projection{ctr}, Publisher: pub, Topic: cfg.Stream})
	res := projectiontest.Append(t, store, "proposal-1", "test.happened", 4)
	projectiontest.Append(t, store, "proposal-2", "test.happened", 3)
	if err := r.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}

	sub, err := nats.NewSubscriber(ctx, cfg, "test-consumer")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	msgs, err := sub.Subscribe(ctx, cfg.Stream)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for len(keys) < 2 {
		select {
		case m := <-msgs:
			keys = append(keys, m.Metadata.Get(projections.MetaKey))
			if m.Metadata.Get(projections.MetaKey) == "proposal-1/3" {
				want := projections.IntegrationEventID("milestones", res.Events[2].ID, "test.milestone_reached", "proposal-1/3")
				if m.UUID != want || m.Metadata.Get(projections.MetaName) != "test.milestone_reached" {
					t.Errorf("message %s %v, want UUID %s", m.UUID, m.Metadata, want)
				}
			}
			m.Ack()
		case <-time.After(10 * time.Second):
			t.Fatalf("received %q of 2 announcements", keys)
		}
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"proposal-1/3", "proposal-2/3"}) {
		t.Fatalf("announcements %q", keys)
	}

	// A re-sent announcement (as after a crash between commit and publish)
	// carries the same UUID and JetStream drops it.
	ob := projections.IntegrationEvent{ID: projections.IntegrationEventID("milestones", res.Events[2].ID, "test.milestone_reached", "proposal-1/3"),
		Projection: "milestones", Name: "test.milestone_reached", Key: "proposal-1/3", Payload: []byte(`{}`), SourceEventID: res.Events[2].ID}
	if err := pub.Publish(cfg.Stream, ob.Message()); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-msgs:
		t.Fatalf("duplicate delivered: %s %s", m.UUID, m.Metadata.Get(projections.MetaKey))
	case <-time.After(300 * time.Millisecond):
	}
	conn, err := nats.Connect(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	js, _ := conn.JetStream()
	info, err := js.StreamInfo(cfg.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 2 {
		t.Fatalf("stream holds %d messages, want 2", info.State.Msgs)
	}
}

func TestConfig(t *testing.T) {
	if err := (nats.Config{Stream: "a.b"}).Validate(); err == nil {
		t.Fatal("a stream name with a dot passed")
	}
	if err := (nats.Config{}).WithDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
}

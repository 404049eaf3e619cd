// Package nats publishes the projections' integration events to NATS
// JetStream through watermill-nats: the tested external transport, for
// systems outside the ledger that care about milestones and deadlines.
//
//	pub, err := nats.NewPublisher(ctx, nats.Config{URL: "nats://127.0.0.1:4222"})
//	runner, err := projections.NewRunner(projections.RunnerConfig{..., Publisher: pub, Topic: nats.DefaultStream})
//
// The topic is both the JetStream stream's name and its subject. The stream
// is created if missing, with a duplicate window (Config.DuplicateWindow):
// every message carries its watermill UUID as Nats-Msg-Id, and integration
// event UUIDs are derived from their source event, so a re-sent
// announcement (after a crash between commit and publish) is dropped by the
// server within the window, and by consumers that remember UUIDs after it.
// Publish returns once JetStream has stored the message.
package nats

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	natsgo "github.com/nats-io/nats.go"

	"github.com/pdis/collab-ledger/projections"
)

// DefaultURL is the NATS server of a development machine and of CI.
const DefaultURL = "nats://127.0.0.1:4222"

// DefaultStream is the default stream (and subject) of integration events.
const DefaultStream = projections.DefaultTopic

// Config configures the connection and the stream.
type Config struct {
	// URL of the NATS server. Default DefaultURL.
	URL string
	// Stream is the stream and subject name the Runner's topic must equal.
	// Default DefaultStream. NATS stream names may not hold '.', '*', '>'
	// or spaces.
	Stream string
	// DuplicateWindow is how long JetStream remembers message IDs to drop
	// duplicates. Default 24 h.
	DuplicateWindow time.Duration
	// ConnectTimeout bounds the first connection. Default 5 s.
	ConnectTimeout time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// WithDefaults fills unset fields.
func (c Config) WithDefaults() Config {
	if c.URL == "" {
		c.URL = DefaultURL
	}
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = 24 * time.Hour
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	if c.DuplicateWindow < 0 || c.ConnectTimeout < 0 {
		return errors.New("nats config: negative duration")
	}
	for _, r := range c.Stream {
		if r == '.' || r == '*' || r == '>' || r == ' ' || r == '\t' {
			return fmt.Errorf("nats config: stream name %q holds %q", c.Stream, r)
		}
	}
	return nil
}

// Connect connects to the server named by cfg.
func Connect(ctx context.Context, cfg Config) (*natsgo.Conn, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	timeout := cfg.ConnectTimeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = time.Until(dl)
	}
	conn, err := natsgo.Connect(cfg.URL, natsgo.Timeout(timeout), natsgo.Name("collabledger"))
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", cfg.URL, err)
	}
	return conn, nil
}

// EnsureStream creates the stream if it is missing.
func EnsureStream(ctx context.Context, conn *natsgo.Conn, cfg Config) error {
	cfg = cfg.WithDefaults()
	js, err := conn.JetStream(natsgo.Context(ctx))
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	if _, err := js.StreamInfo(cfg.Stream, natsgo.Context(ctx)); err == nil {
		return nil
	} else if !errors.Is(err, natsgo.ErrStreamNotFound) {
		return fmt.Errorf("jetstream stream %s: %w", cfg.Stream, err)
	}
	_, err = js.AddStream(&natsgo.StreamConfig{
		Name:       cfg.Stream,
		Subjects:   []string{cfg.Stream},
		Storage:    natsgo.FileStorage,
		Duplicates: cfg.DuplicateWindow,
	}, natsgo.Context(ctx))
	if err != nil && !errors.Is(err, natsgo.ErrStreamNameAlreadyInUse) {
		return fmt.Errorf("create jetstream stream %s: %w", cfg.Stream, err)
	}
	return nil
}

// NewPublisher connects, makes sure the stream exists and returns a
// watermill publisher to it that sets Nats-Msg-Id to each message's UUID.
// Closing the publisher closes the connection.
func NewPublisher(ctx context.Context, cfg Config) (*wmnats.Publisher, error) {
	cfg = cfg.WithDefaults()
	conn, err := Connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := EnsureStream(ctx, conn, cfg); err != nil {
		conn.Close()
		return nil, err
	}
	pub, err := wmnats.NewPublisherWithNatsConn(conn, wmnats.PublisherPublishConfig{
		Marshaler:         &wmnats.NATSMarshaler{},
		SubjectCalculator: wmnats.DefaultSubjectCalculator,
		JetStream:         wmnats.JetStreamConfig{TrackMsgId: true},
	}, watermill.NewSlogLogger(cfg.Logger))
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("nats publisher: %w", err)
	}
	return pub, nil
}

// NewSubscriber returns a watermill subscriber to the stream for a consumer
// named durable (its position survives restarts): how another Go system
// reads the integration events. The stream must exist (NewPublisher or
// EnsureStream makes it).
func NewSubscriber(ctx context.Context, cfg Config, durable string) (*wmnats.Subscriber, error) {
	cfg = cfg.WithDefaults()
	if durable == "" {
		return nil, errors.New("nats subscriber: no durable name")
	}
	conn, err := Connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	sub, err := wmnats.NewSubscriberWithNatsConn(conn, wmnats.SubscriberSubscriptionConfig{
		Unmarshaler:       &wmnats.NATSMarshaler{},
		SubjectCalculator: wmnats.DefaultSubjectCalculator,
		AckWaitTimeout:    30 * time.Second,
		CloseTimeout:      5 * time.Second,
		JetStream: wmnats.JetStreamConfig{
			DurablePrefix:    durable,
			SubscribeOptions: []natsgo.SubOpt{natsgo.DeliverAll(), natsgo.AckExplicit()},
		},
	}, watermill.NewSlogLogger(cfg.Logger))
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("nats subscriber: %w", err)
	}
	return sub, nil
}

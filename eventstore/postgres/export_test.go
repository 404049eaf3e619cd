package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/pdis/collab-ledger/eventstore"
)

// WithBeforeCommit returns cfg with a hook that runs after each batch's rows
// are inserted and before its COMMIT; an error rolls the batch back.
func WithBeforeCommit(cfg Config, f func(ctx context.Context, tx pgx.Tx) error) Config {
	cfg.hooks = &hooks{beforeCommit: f}
	return cfg
}

// Queued is how many appends wait for the writer.
func (s *Store) Queued() int { return len(s.reqs) }

// ListenerPID is the LISTEN connection's backend PID, 0 while disconnected.
func (s *Store) ListenerPID() uint32 { return s.listenG.pid.Load() }

// ListenerConnects counts the LISTEN connections established so far.
func (s *Store) ListenerConnects() uint64 { return s.listenG.connects.Load() }

// SubscribeReads counts the reads subscriptions made.
func (s *Store) SubscribeReads() uint64 { return s.subscribeReads.Load() }

// Publish tells the store's subscribers the head is at least p.
func (s *Store) Publish(p uint64) { s.publish(eventstorePosition(p)) }

// SplitConnString exposes splitConnString.
var SplitConnString = splitConnString

func eventstorePosition(p uint64) eventstore.Position { return eventstore.Position(p) }

// ReadsBinary reports whether ReadAll decodes rows itself (the fast path)
// rather than through rows.Scan; it needs at least one stored event.
func (s *Store) ReadsBinary(ctx context.Context) (bool, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+eventColumns+" FROM events ORDER BY position LIMIT 1")
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var d decoder
	var ev eventstore.Event
	for rows.Next() {
		if err := d.decode(rows, &ev); err != nil {
			return false, err
		}
	}
	return d.binary, rows.Err()
}

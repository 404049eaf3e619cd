package postgres

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pdis/collab-ledger/eventstore"
)

// Backoff between attempts to re-establish the LISTEN connection.
const (
	listenBackoffMin = 100 * time.Millisecond
	listenBackoffMax = 5 * time.Second
)

// listenState is what tests observe of the listener.
type listenState struct {
	// pid is the listening backend's process ID, 0 while disconnected.
	pid atomic.Uint32
	// connects counts successful LISTENs.
	connects atomic.Uint64
}

// listen keeps a dedicated connection LISTENing on NotifyChannel and
// publishes the heads other writers announce for this schema, so that their
// appends wake this store's subscribers at once. When the connection breaks
// it reconnects with backoff; after each (re)connect it publishes the
// current head, since notifications sent while it was away are lost.
// Subscribers poll every PollInterval regardless, so nothing is missed in
// the meantime, only delayed.
func (s *Store) listen(ctx context.Context, cc *pgx.ConnConfig) {
	defer close(s.listenDone)
	backoff := listenBackoffMin
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, cc, &backoff)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("LISTEN connection lost; subscribers poll until it is back", "err", err, "retry_in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		backoff = min(2*backoff, listenBackoffMax)
	}
}

// listenOnce connects, LISTENs and publishes notifications until the
// connection fails or ctx ends.
func (s *Store) listenOnce(ctx context.Context, cc *pgx.ConnConfig, backoff *time.Duration) error {
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return err
	}
	defer func() {
		s.listenG.pid.Store(0)
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{NotifyChannel}.Sanitize()); err != nil {
		return err
	}
	var head int64
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(position), 0) FROM events").Scan(&head); err != nil {
		return err
	}
	s.listenG.pid.Store(conn.PgConn().PID())
	if s.listenG.connects.Add(1) > 1 {
		s.log.Info("LISTEN connection re-established")
	}
	*backoff = listenBackoffMin
	s.publish(eventstore.Position(head))
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		headStr, schema, ok := strings.Cut(n.Payload, " ")
		if !ok || schema != s.schema {
			continue
		}
		if h, err := strconv.ParseUint(headStr, 10, 64); err == nil {
			s.publish(eventstore.Position(h))
		}
	}
}

package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/pdis/collab-ledger/eventstore"
)

// Subscribe implements eventstore.Store with a catch-up subscription to
// $all: the server sends the stored events after `after`, then each new
// one, in $all order. A server-side filter drops events whose type starts
// with '$'; the store also drops '$' streams, anything at or before the
// last position it yielded, and (with SkipForeignEvents) foreign events.
//
// When the server drops the subscription (a restart, a broken connection,
// a leader change), Subscribe subscribes again from the last position it
// yielded, so the consumer sees no gap and no duplicate. After
// ResubscribeAttempts failures in a row it yields an error wrapping
// eventstore.ErrUnavailable. It yields ctx's error when ctx ends, and
// ErrClosed when the store is closed.
func (s *Store) Subscribe(ctx context.Context, after eventstore.Position) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		op := fmt.Sprintf("subscribe after %d", after)
		if err := s.begin(ctx, op); err != nil {
			yield(eventstore.Event{}, err)
			return
		}
		subCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(s.closeCtx, cancel)()

		// ended is the error to yield when the subscription stopped because
		// the caller or the store ended it.
		ended := func() error {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			if s.closed.Load() {
				return fmt.Errorf("%s: %w", op, eventstore.ErrClosed)
			}
			return nil
		}
		last := uint64(after)
		failures := 0
		// retry pauses before resubscribing after a failure, or returns
		// the error to yield.
		retry := func(err error) error {
			if e := ended(); e != nil {
				return e
			}
			failures++
			if !retryable(err) || failures > s.cfg.ResubscribeAttempts {
				return err
			}
			s.cfg.Logger.Warn("kurrentdb: subscription lost, resubscribing", "store", s.name, "after", last, "attempt", failures, "err", err)
			if e := s.sleep(subCtx, backoff(s.cfg.RetryBackoff, failures)); e != nil {
				if e2 := ended(); e2 != nil {
					return e2
				}
				return fmt.Errorf("%s: %w", op, e)
			}
			return nil
		}

		for {
			sub, err := s.subscribe(subCtx, op, last)
			if err != nil {
				if e := retry(err); e != nil {
					yield(eventstore.Event{}, e)
					return
				}
				continue
			}
			err = s.follow(sub, &last, &failures, yield)
			sub.Close()
			if errors.Is(err, errStopped) {
				return
			}
			if e := retry(err); e != nil {
				yield(eventstore.Event{}, e)
				return
			}
		}
	}
}

// subscribe starts a subscription to $all after position last. Like run,
// it makes the call in a goroutine the caller can leave; unlike run, the
// subscription lives on with ctx after the call returns.
func (s *Store) subscribe(ctx context.Context, op string, last uint64) (*esdb.Subscription, error) {
	cn, err := s.acquire()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	done := make(chan result[*esdb.Subscription], 1)
	go func() {
		defer cn.inflight.Done()
		sub, err := cn.client.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{
			From:   allPosition(eventstore.Position(last)),
			Filter: esdb.ExcludeSystemEventsFilter(),
		})
		done <- result[*esdb.Subscription]{sub, err}
	}()
	abandon := func() {
		go func() {
			if r := <-done; r.v != nil {
				r.v.Close()
			}
		}()
	}
	select {
	case r := <-done:
		if r.err != nil {
			return nil, s.fail(ctx, cn, op, r.err)
		}
		return r.v, nil
	case <-ctx.Done():
		abandon()
		return nil, fmt.Errorf("%s: %w", op, ctx.Err())
	case <-cn.dead:
		abandon()
		return nil, fmt.Errorf("%s: %w: lost the server", op, eventstore.ErrUnavailable)
	}
}

// errStopped: the consumer stopped ranging, or an error was yielded.
var errStopped = errors.New("subscription stopped")

// follow yields the events a subscription delivers until it drops
// (returning the drop's error, wrapping ErrUnavailable) or the consumer
// stops (errStopped). It advances *last past every record it has dealt
// with and resets *failures whenever an event arrives.
func (s *Store) follow(sub *esdb.Subscription, last *uint64, failures *int, yield func(eventstore.Event, error) bool) error {
	for {
		se := sub.Recv()
		switch {
		case se.EventAppeared != nil:
			rec := se.EventAppeared.OriginalEvent()
			if rec == nil {
				continue
			}
			p := rec.Position.Commit
			if p <= *last {
				continue
			}
			*failures = 0
			keep, err := s.ledgerRecord(rec)
			if err == nil && keep {
				var ev eventstore.Event
				if ev, err = s.decode(rec); err == nil {
					if !yield(ev, nil) {
						return errStopped
					}
				}
			}
			if err != nil {
				yield(eventstore.Event{}, fmt.Errorf("subscribe: %w", err))
				return errStopped
			}
			*last = p
		case se.SubscriptionDropped != nil:
			return fmt.Errorf("subscription dropped after position %d: %w: %w", *last, eventstore.ErrUnavailable, se.SubscriptionDropped.Error)
		}
		// Checkpoints, caught-up and fell-behind notices need nothing: the
		// store resumes from the last event it delivered.
	}
}

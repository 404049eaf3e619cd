package accounts

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
)

// Service executes the list's commands against the event store and answers
// lookups from a copy of the list that catches up with the stream on every
// call, so a change recorded by another server is seen at the next call.
type Service struct {
	store eventstore.Store
	now   func() time.Time

	mu  sync.Mutex
	dir *Directory
}

// NewService returns the list kept in store; a nil clock is time.Now.
func NewService(store eventstore.Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now, dir: New()}
}

// catchUp folds the events stored after the copy's version. The caller
// holds mu.
func (s *Service) catchUp(ctx context.Context) error {
	for {
		evs, err := s.store.ReadStream(ctx, Stream, s.dir.Version()+1, 1024)
		if err != nil {
			return fmt.Errorf("read %s: %w", Stream, err)
		}
		for _, ev := range evs {
			e, err := decode(ev.Type, ev.Data)
			if err != nil {
				return fmt.Errorf("%s version %d: %w", Stream, ev.Version, err)
			}
			s.dir.Apply(e)
		}
		if len(evs) < 1024 {
			return nil
		}
	}
}

// Lookup returns the entry listed under key, if any, as the stream says now.
func (s *Service) Lookup(ctx context.Context, key string) (Entry, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.catchUp(ctx); err != nil {
		return Entry{}, false, err
	}
	e, ok := s.dir.Lookup(key)
	return e, ok, nil
}

// Entries returns every listed identity, as the stream says now.
func (s *Service) Entries(ctx context.Context) ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.catchUp(ctx); err != nil {
		return nil, err
	}
	return s.dir.Entries(), nil
}

// Execute decides cmd as by and appends its events with the exact version
// decided on, deciding again (up to five times) when another writer got
// there first. A refusal is a *domain.RuleError and stores nothing.
func (s *Service) Execute(ctx context.Context, by domain.Actor, cmd Command, commandID string) ([]eventstore.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range 5 {
		if err := s.catchUp(ctx); err != nil {
			return nil, err
		}
		evs, err := s.dir.Decide(cmd, by, s.now())
		if err != nil || len(evs) == 0 {
			return nil, err
		}
		md := eventstore.Metadata{ActorID: by.ID, ActorRole: string(by.Role), CommandID: commandID, CorrelationID: commandID}
		data := make([]eventstore.EventData, len(evs))
		for i, e := range evs {
			if data[i], err = eventstore.NewEventData(e.eventType(), 1, e, md); err != nil {
				return nil, err
			}
		}
		res, err := s.store.Append(ctx, Stream, eventstore.Exact(s.dir.Version()), data...)
		if errors.Is(err, eventstore.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("accounts: append: %w", err)
		}
		for _, e := range evs {
			s.dir.Apply(e)
		}
		return res.Events, nil
	}
	return nil, fmt.Errorf("accounts: %w: five writers in a row got there first", eventstore.ErrConflict)
}

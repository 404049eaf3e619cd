// Package sessionstore keeps the pages' sign-in sessions where every
// server of a ledger sees them and a restart does not lose them: in
// PostgreSQL when the deployment has it, else in a bbolt file beside the
// embedded store; in memory for tests and servers that keep no state.
//
// A session is kept by the SHA-256 of its ID, never the ID itself (the
// browser's cookie holds that), with its expiry and an opaque record the
// web layer encodes (package web, session.go). Expired sessions are
// neither returned nor kept: Sweep deletes them.
//
//	s, err := sessionstore.OpenPostgres(ctx, pool)
//	err = s.Put(ctx, sha256.Sum256([]byte(id)), sessionstore.Record{Expires: exp, Data: data})
//	rec, ok, err := s.Get(ctx, key, time.Now())
package sessionstore

import (
	"context"
	"sync"
	"time"
)

// Key is the SHA-256 of a session's ID.
type Key = [32]byte

// Record is what is kept of a session.
type Record struct {
	// Expires is when the session ends, whatever else happens.
	Expires time.Time
	// Data is the web layer's encoding of the session.
	Data []byte
}

// Store keeps sessions. Implementations are safe for concurrent use.
type Store interface {
	// Put keeps rec under key, replacing what was there.
	Put(ctx context.Context, key Key, rec Record) error
	// Get returns the record under key; ok is false if there is none or
	// it expired at now.
	Get(ctx context.Context, key Key, now time.Time) (rec Record, ok bool, err error)
	// Delete forgets key (no error if unknown).
	Delete(ctx context.Context, key Key) error
	// Sweep deletes every record expired at now.
	Sweep(ctx context.Context, now time.Time) error
}

// Memory keeps sessions in the process: lost at restart, not shared. The
// zero value is not usable; call NewMemory.
type Memory struct {
	mu sync.Mutex
	m  map[Key]Record
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{m: map[Key]Record{}} }

// Put implements Store.
func (s *Memory) Put(_ context.Context, key Key, rec Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = Record{Expires: rec.Expires, Data: append([]byte(nil), rec.Data...)}
	return nil
}

// Get implements Store.
func (s *Memory) Get(_ context.Context, key Key, now time.Time) (Record, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.m[key]
	if !ok || !now.Before(rec.Expires) {
		return Record{}, false, nil
	}
	return rec, true, nil
}

// Delete implements Store.
func (s *Memory) Delete(_ context.Context, key Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

// Sweep implements Store.
func (s *Memory) Sweep(_ context.Context, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, rec := range s.m {
		if !now.Before(rec.Expires) {
			delete(s.m, k)
		}
	}
	return nil
}

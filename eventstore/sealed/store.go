package sealed

import (
	"bytes"
	"context"
	"slices"
	"sync"

	"github.com/google/uuid"
)

// Secrets keeps the secrets of sealed events beside the log, where they can
// be erased without touching the log: a bbolt bucket for the embedded
// store (sealed/bbolt), a PostgreSQL table (sealed/postgres), and for
// KurrentDB a PostgreSQL table as well (an event stream cannot forget: its
// events are immutable and scavenging is not erasure; see
// docs/content-hash.md). Implementations pass sealedtest.Run.
type Secrets interface {
	// Put keeps the secrets of events, by event ID, at once (one durable
	// write for an append of many events). Putting the same secrets again
	// is harmless (an append retried).
	Put(ctx context.Context, secrets map[uuid.UUID][]Secret) error
	// Get returns the secrets still kept for the given events, each in path
	// order (none for an unknown event or one whose secrets were erased).
	Get(ctx context.Context, events ...uuid.UUID) (map[uuid.UUID][]Secret, error)
	// Erase deletes the secrets of an event at the given paths (every path
	// if none is given) and returns the paths it deleted.
	Erase(ctx context.Context, event uuid.UUID, paths ...string) ([]string, error)
	// FindPerson returns, by event, the paths of every secret whose value
	// is value (a person's pseudonym or actor ID as canonical JSON, quotes
	// included), each event's in path order. It deletes nothing: an
	// erasure records what it will erase first, then erases each event
	// (see app's erasure).
	FindPerson(ctx context.Context, value []byte) (map[uuid.UUID][]string, error)
}

// Memory is a Secrets store in memory, for tests and the as-of folds.
type Memory struct {
	mu sync.Mutex
	m  map[uuid.UUID][]Secret
}

var _ Secrets = (*Memory)(nil)

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{m: map[uuid.UUID][]Secret{}} }

// Put implements Secrets.
func (s *Memory) Put(_ context.Context, secrets map[uuid.UUID][]Secret) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for event, secs := range secrets {
		kept := s.m[event]
		for _, sec := range secs {
			i := slices.IndexFunc(kept, func(k Secret) bool { return k.Path == sec.Path })
			if i >= 0 {
				kept[i] = clone(sec)
			} else {
				kept = append(kept, clone(sec))
			}
		}
		slices.SortFunc(kept, byPath)
		s.m[event] = kept
	}
	return nil
}

// Get implements Secrets.
func (s *Memory) Get(_ context.Context, events ...uuid.UUID) (map[uuid.UUID][]Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[uuid.UUID][]Secret{}
	for _, event := range events {
		for _, sec := range s.m[event] {
			out[event] = append(out[event], clone(sec))
		}
	}
	return out, nil
}

// Erase implements Secrets.
func (s *Memory) Erase(_ context.Context, event uuid.UUID, paths ...string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var erased []string
	kept := s.m[event][:0]
	for _, sec := range s.m[event] {
		if len(paths) == 0 || slices.Contains(paths, sec.Path) {
			erased = append(erased, sec.Path)
			continue
		}
		kept = append(kept, sec)
	}
	if len(kept) == 0 {
		delete(s.m, event)
	} else {
		s.m[event] = kept
	}
	return erased, nil
}

// FindPerson implements Secrets.
func (s *Memory) FindPerson(_ context.Context, value []byte) (map[uuid.UUID][]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[uuid.UUID][]string{}
	for id, secs := range s.m {
		for _, sec := range secs { // kept in path order
			if bytes.Equal(sec.Value, value) {
				out[id] = append(out[id], sec.Path)
			}
		}
	}
	return out, nil
}

func clone(s Secret) Secret {
	return Secret{Path: s.Path, Salt: slices.Clone(s.Salt), Value: slices.Clone(s.Value)}
}

func byPath(a, b Secret) int {
	switch {
	case a.Path < b.Path:
		return -1
	case a.Path > b.Path:
		return 1
	}
	return 0
}

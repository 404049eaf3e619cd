package readmodels

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
)

// An index kept on disk (SearchConfig.Dir) resumes where it stopped, so a
// restart does not read the whole log again — minutes on the real data —
// before search answers. It is used only while it is the index of the log
// it follows, as this version makes it; otherwise it is rebuilt from the
// start of the log (decision 0039).

// searchSchema is the version of what the index holds: its mapping and the
// documents it makes of events. Bump it when either changes; an index on
// disk of another version is rebuilt.
const searchSchema = 3 // 3: no _all field, term vectors or doc values but the facet's (decision 0046)

var (
	// searchSchemaKey keeps the index's searchSchema.
	searchSchemaKey = []byte("collabledger.schema")
	// searchCheckpointID keeps the ID of the event at the checkpoint.
	searchCheckpointID = []byte("collabledger.checkpoint.id")
	// searchErasureKey is set when the index reads an erasure recorded
	// after it began that names an event without its stream: the erased
	// values may be in documents it cannot find, and a rebuild (the log
	// then gives their commitments) is what removes them. An erasure
	// naming streams is carried out in place (search_erase.go).
	searchErasureKey = []byte("collabledger.erasure")
	// searchBeganKey keeps the log's head when the index began: what was
	// erased by then was never in it.
	searchBeganKey = []byte("collabledger.began")
)

// OpenSearch opens the index kept in cfg.Dir (a new one if there is none)
// for the log in store, and rebuilds it from the start of the log when it
// is not that log's index as this version makes it: made by another
// version, or for another log (the event at its checkpoint is not the one
// it recorded: a store replaced or restored from a backup), or when it has
// read an erasure it could not carry out in place (search_erase.go).
// Without cfg.Dir it is NewSearch.
func OpenSearch(ctx context.Context, cfg SearchConfig, store eventstore.Store) (*Search, error) {
	s, err := NewSearch(cfg)
	if err != nil || cfg.Dir == "" {
		return s, err
	}
	why, err := s.stale(ctx, store)
	if err == nil && why != "" {
		s.log.Warn("search index: rebuilding it from the start of the log", "dir", cfg.Dir, "why", why)
		if err := s.Close(); err != nil {
			return nil, fmt.Errorf("search index %s: close before rebuilding: %w", cfg.Dir, err)
		}
		if err := os.RemoveAll(cfg.Dir); err != nil {
			return nil, fmt.Errorf("search index %s: remove before rebuilding: %w", cfg.Dir, err)
		}
		if s, err = NewSearch(cfg); err != nil {
			return nil, err
		}
	}
	if err == nil && s.Position() == 0 {
		err = s.begin(ctx, store)
	}
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// begin records the log's head as the index begins.
func (s *Search) begin(ctx context.Context, store eventstore.Store) error {
	head, err := store.Head(ctx)
	if err != nil {
		return fmt.Errorf("search index %s: %w", s.dir, err)
	}
	if err := s.idx.SetInternal(searchBeganKey, fmt.Appendf(nil, "%d", head)); err != nil {
		return fmt.Errorf("search index %s: %w", s.dir, err)
	}
	s.began = uint64(head)
	return nil
}

// stale says why the index is not store's as this version makes it ("":
// it is).
func (s *Search) stale(ctx context.Context, store eventstore.Store) (string, error) {
	schema, err := s.idx.GetInternal(searchSchemaKey)
	if err != nil {
		return "", fmt.Errorf("search index %s: %w", s.dir, err)
	}
	if string(schema) != strconv.Itoa(searchSchema) {
		return fmt.Sprintf("made by version %q, this is %d", schema, searchSchema), nil
	}
	if erased, err := s.idx.GetInternal(searchErasureKey); err != nil || len(erased) > 0 {
		return "it has read an erasure naming an event without its stream", err
	}
	pos := s.Position()
	if pos == 0 {
		return "", nil
	}
	id, err := s.idx.GetInternal(searchCheckpointID)
	if err != nil {
		return "", fmt.Errorf("search index %s: %w", s.dir, err)
	}
	evs, err := store.ReadAll(ctx, pos-1, 1)
	if err != nil {
		return "", fmt.Errorf("search index %s: read the event at its checkpoint %d: %w", s.dir, pos, err)
	}
	if len(evs) == 0 || evs[0].Position != pos || evs[0].ID.String() != string(id) {
		return fmt.Sprintf("the event at its checkpoint %d is not the one it read (another log)", pos), nil
	}
	return "", nil
}

// setCheckpoint adds the index's checkpoint (the event at) to b, and has
// the index note when b has reached the disk (scorch writes batches in
// memory and persists them soon after: Close waits for it).
func (s *Search) setCheckpoint(b *bleve.Batch, at eventstore.Position, id string) {
	b.SetInternal(searchCheckpoint, fmt.Appendf(nil, "%d", at))
	b.SetInternal(searchCheckpointID, []byte(id))
	s.written.Store(uint64(at))
	b.SetPersistedCallback(func(err error) {
		for p := s.persisted.Load(); err == nil && p < uint64(at) && !s.persisted.CompareAndSwap(p, uint64(at)); p = s.persisted.Load() {
		}
	})
}

// stop writes what p holds and the checkpoint at after (the last event
// read), unless it is stored already.
func (s *Search) stop(p *pendingBatch, after eventstore.Position, afterID string, stored eventstore.Position) error {
	if p.b.Size() > 0 {
		return s.flush(p)
	}
	if stored >= after || s.temp {
		return nil
	}
	s.setCheckpoint(p.b, after, afterID)
	if err := s.idx.Batch(p.b); err != nil {
		return fmt.Errorf("search index: checkpoint %d: %w", after, err)
	}
	return nil
}

// searchPersistWait is how long Close waits for the index's last batch to
// reach the disk.
const searchPersistWait = 10 * time.Second

// waitPersisted waits (searchPersistWait at most) until the last
// checkpoint written is on disk, so that a restart resumes from it.
func (s *Search) waitPersisted() {
	for deadline := time.Now().Add(searchPersistWait); s.persisted.Load() < s.written.Load() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}

// recallTypes are the events remember reads.
var recallTypes = map[string]bool{"meeting.scheduled": true, "transcript.utterance_recorded": true, "transcript.utterance_inserted": true,
	"transcript.speaker_reattributed": true, "transcript.utterance_split": true}

// recall reads the log up to the index's checkpoint for what indexing
// keeps in memory (each meeting's title and case, each utterance's
// speaker), which an index resumed from disk has not read: seconds, where
// indexing the log again takes minutes.
func (s *Search) recall(ctx context.Context, store eventstore.Store, upTo eventstore.Position) error {
	start := time.Now()
	for after := eventstore.Position(0); after < upTo; {
		events, err := store.ReadAll(ctx, after, 10*searchBatch)
		if err != nil {
			return fmt.Errorf("search index: recall the log after %d: %w", after, err)
		}
		if len(events) == 0 {
			break
		}
		s.mu.Lock()
		for _, ev := range events {
			if ev.Position > upTo {
				break
			}
			if _, known := domain.EventSchemaVersion(ev.Type); !known || !recallTypes[ev.Type] {
				continue
			}
			e, err := decode(ctx, ev)
			if err != nil {
				s.mu.Unlock()
				return fmt.Errorf("search index: recall: %w", err)
			}
			s.remember(e)
		}
		s.mu.Unlock()
		after = events[len(events)-1].Position
	}
	// Answers given meanwhile named no meeting: the cache is left with
	// them.
	s.gen.Add(1)
	if upTo > 0 {
		s.log.Info("search index resumed", "at", upTo, "meetings", len(s.meetings), "recalled in", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

package transparency

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pdis/collab-ledger/eventstore"
)

// GuardConfig configures a CheckpointGuard.
type GuardConfig struct {
	// Verifiers are the keys a checkpoint appended to CheckpointStream must
	// be signed with: the server's own public key (ReadSignerFile derives
	// it from the signing key). Nil closes the stream: every append to it
	// is refused, as it should be in every process that publishes no
	// checkpoints.
	Verifiers note.Verifiers
	// Origin is the log's name every checkpoint must carry. Default
	// DefaultOrigin.
	Origin string
}

// CheckpointGuard keeps CheckpointStream for signed checkpoints of this
// log, at the store: given to eventstore.Config.Guards (see Guards), it
// runs in every backend's Append before anything is written, whoever holds
// the store. It lets an append through only when every event is a
// checkpoint event exactly as CheckpointEvent makes it:
//
//   - of type CheckpointType, schema version 1;
//   - its note signed by one of the trusted keys, for this log's origin,
//     and a well-formed C2SP checkpoint (origin, tree size, root hash);
//   - its data exactly that checkpoint's (origin, size, root hash, note),
//     so nothing unsigned rides along;
//   - its ID the one derived from the checkpoint, so that a checkpoint is
//     stored once and an old one cannot be appended again under a new ID
//     (the store's ID uniqueness refuses a replay);
//   - its tree size not smaller than that of the latest checkpoint this
//     guard accepted or was told of (Observe), and not the same size with
//     another root.
//
// Anything else is refused with eventstore.ErrStreamGuarded wrapping
// ErrSignatureInvalid (the signature) or ErrBadCheckpoint (the rest), and
// nothing is stored. The size check is as far as this process knows:
// a process's guard learns of the log's checkpoints from the tree
// (Config.Guard) and from its own appends; verification checks every
// checkpoint against every other regardless.
//
// A CheckpointGuard is safe for concurrent use.
type CheckpointGuard struct {
	verifiers note.Verifiers
	origin    string

	mu     sync.Mutex
	latest Checkpoint // the largest checkpoint accepted or observed (Size and Root)
}

// NewCheckpointGuard returns a guard for CheckpointStream.
func NewCheckpointGuard(cfg GuardConfig) *CheckpointGuard {
	if cfg.Origin == "" {
		cfg.Origin = DefaultOrigin
	}
	return &CheckpointGuard{verifiers: cfg.Verifiers, origin: cfg.Origin}
}

// Guards returns the guards to put in eventstore.Config.Guards:
// CheckpointStream, guarded by g.
func (g *CheckpointGuard) Guards() map[string]eventstore.Guard {
	return map[string]eventstore.Guard{CheckpointStream: g.Check}
}

// Check is the eventstore.Guard of CheckpointStream: nil when every event
// is a signed checkpoint of this log that may follow the latest (see
// CheckpointGuard), else why not.
func (g *CheckpointGuard) Check(stream string, events []eventstore.EventData) error {
	if g.verifiers == nil {
		return fmt.Errorf("%w: this process holds no checkpoint key: only the server's checkpoint publisher appends to %s", eventstore.ErrStreamGuarded, stream)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	latest := g.latest
	for i := range events {
		if events[i].Type == CosignatureType {
			if err := g.checkCosignature(&events[i]); err != nil {
				return fmt.Errorf("event %d (%s): %w", i, events[i].ID, err)
			}
			continue
		}
		cp, err := g.checkpointOf(stream, &events[i])
		if err != nil {
			return fmt.Errorf("event %d (%s): %w", i, events[i].ID, err)
		}
		switch {
		case latest.Note == nil, cp.Size > latest.Size:
		case cp.Size < latest.Size:
			return fmt.Errorf("event %d (%s): %w: tree size %d after the checkpoint of %d leaves (tree sizes never go backwards)",
				i, events[i].ID, ErrBadCheckpoint, cp.Size, latest.Size)
		case cp.Root != latest.Root:
			return fmt.Errorf("event %d (%s): %w: root %s for %d leaves, the checkpoint already published signed %s",
				i, events[i].ID, ErrBadCheckpoint, cp.Root, cp.Size, latest.Root)
		}
		latest = cp
	}
	g.latest = latest
	return nil
}

// checkpointOf checks one event and returns its checkpoint.
func (g *CheckpointGuard) checkpointOf(stream string, ed *eventstore.EventData) (Checkpoint, error) {
	if ed.Type != CheckpointType || ed.SchemaVersion != 1 {
		return Checkpoint{}, fmt.Errorf("%w: type %s (schema version %d): only %s, schema version 1, belongs on %s",
			ErrBadCheckpoint, ed.Type, ed.SchemaVersion, CheckpointType, stream)
	}
	ev := eventstore.Event{ID: ed.ID, Stream: stream, Type: ed.Type, SchemaVersion: ed.SchemaVersion, Data: ed.Data}
	cp, err := ReadCheckpointEvent(&ev, g.verifiers, g.origin)
	if errors.Is(err, ErrContentChanged) {
		// Nothing was changed after the fact: the event is written so.
		return Checkpoint{}, fmt.Errorf("%w: %s", ErrBadCheckpoint, strings.TrimPrefix(err.Error(), ErrContentChanged.Error()+": "))
	}
	if err != nil {
		return Checkpoint{}, err
	}
	want, err := CheckpointEvent(cp)
	if err != nil {
		return Checkpoint{}, err
	}
	data, err := eventstore.CanonicalJSON(want.Data)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint event data: %w", err)
	}
	if !bytes.Equal(data, ed.Data) {
		return Checkpoint{}, fmt.Errorf("%w: the data is not exactly the signed checkpoint's (origin, size, rootHash, note): %.200s", ErrBadCheckpoint, ed.Data)
	}
	if ed.ID != want.ID {
		return Checkpoint{}, fmt.Errorf("%w: event ID %s, the checkpoint's is %s (derived from its origin, size and root)", ErrBadCheckpoint, ed.ID, want.ID)
	}
	return cp, nil
}

// checkCosignature lets a witness's cosignature through when it is exactly
// as CosignatureEvent makes it, of a checkpoint of this log, and valid
// under the witness key it names.
func (g *CheckpointGuard) checkCosignature(ed *eventstore.EventData) error {
	if ed.SchemaVersion != 1 {
		return fmt.Errorf("%w: %s schema version %d, want 1", ErrBadCheckpoint, ed.Type, ed.SchemaVersion)
	}
	var d CosignatureData
	if err := json.Unmarshal(ed.Data, &d); err != nil {
		return fmt.Errorf("%w: cosignature data: %v", ErrBadCheckpoint, err)
	}
	if d.Origin != g.origin {
		return fmt.Errorf("%w: a cosignature of log %q, this log is %q", ErrBadCheckpoint, d.Origin, g.origin)
	}
	c, err := cosignatureOf(d)
	if err != nil {
		return err
	}
	want, err := CosignatureEvent(c)
	if err != nil {
		return err
	}
	data, err := eventstore.CanonicalJSON(want.Data)
	if err != nil {
		return fmt.Errorf("cosignature event data: %w", err)
	}
	if !bytes.Equal(data, ed.Data) || ed.ID != want.ID {
		return fmt.Errorf("%w: the cosignature event's data or ID is not exactly the cosignature's: %.200s", ErrBadCheckpoint, ed.Data)
	}
	return nil
}

// Observe tells the guard of a checkpoint published in the log, so that it
// refuses one of a smaller tree. A checkpoint that does not verify with the
// guard's keys, or is not larger than the latest known, is ignored. The
// tree calls it for every checkpoint it reads (Config.Guard).
func (g *CheckpointGuard) Observe(cp Checkpoint) {
	if g.verifiers == nil || cp.Note == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.latest.Note != nil && cp.Size <= g.latest.Size {
		return
	}
	signed, err := OpenCheckpoint(cp.Note, g.verifiers, g.origin)
	if err != nil || signed.Size != cp.Size || signed.Root != cp.Root {
		return
	}
	g.latest = signed
}

// Latest returns the tree size and root of the latest checkpoint the guard
// accepted or was told of (size 0, ok false: none).
func (g *CheckpointGuard) Latest() (size int64, root tlog.Hash, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.latest.Size, g.latest.Root, g.latest.Note != nil
}

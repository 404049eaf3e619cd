package transparency

import (
	"errors"
	"fmt"

	"github.com/pdis/collab-ledger/eventstore"
)

// The kinds of tampering verification names. A *Problem wraps exactly one of
// them, so callers branch with errors.Is.
var (
	// ErrContentChanged: an event's content no longer hashes to its stored
	// content hash, its record cannot be read, or (when the stored hash was
	// rewritten too) the tree over the events no longer matches a signed
	// checkpoint.
	ErrContentChanged = errors.New("content changed")
	// ErrEventMissing: a position or a stream version is absent from the
	// log, or the log holds fewer leaves than a signed checkpoint covers.
	ErrEventMissing = errors.New("event missing")
	// ErrOrderChanged: events appear in another order than they were
	// appended: positions not increasing, a stream's versions out of order,
	// or a checkpoint placed before events it covers.
	ErrOrderChanged = errors.New("order changed")
	// ErrSignatureInvalid: a checkpoint is not signed by a trusted key, its
	// signature does not verify, or its signed text is not a checkpoint of
	// this log.
	ErrSignatureInvalid = errors.New("signature invalid")
)

// Errors of the log itself and of proof requests.
var (
	// ErrUnknownEvent: no leaf of the tree holds that event ID or position.
	ErrUnknownEvent = errors.New("event not in the transparency log")
	// ErrInvalidSize: a tree size is out of range (above the tree's size, or
	// a consistency proof from a larger size to a smaller one).
	ErrInvalidSize = errors.New("invalid tree size")
	// ErrNoCheckpoint: no checkpoint has been published yet.
	ErrNoCheckpoint = errors.New("no checkpoint published yet")
	// ErrNotCheckpointed: the leaf is in the tree but not yet covered by the
	// checkpoint asked about; the next checkpoint will cover it.
	ErrNotCheckpointed = errors.New("event not yet covered by a checkpoint")
	// ErrTreeMoved: the hash store's tree is not at the size an append
	// started from (another writer appended); nothing was written.
	ErrTreeMoved = errors.New("transparency tree moved")
	// ErrNotAfter: an appended leaf's position is not after the tree's last
	// leaf.
	ErrNotAfter = errors.New("leaf position not after the tree's last leaf")
	// ErrRootMismatch: the tree the server holds does not match its own
	// latest published checkpoint; the publisher refuses to sign over it.
	ErrRootMismatch = errors.New("tree does not match the latest published checkpoint")
	// ErrBadCheckpoint: an append to CheckpointStream is not a checkpoint
	// event as CheckpointEvent makes it (another type, data or ID than its
	// signed checkpoint's), or its tree size goes backwards; the
	// CheckpointGuard refuses it.
	ErrBadCheckpoint = errors.New("not a checkpoint event of this log")
)

// Problem is one finding of verification: what kind of tampering, where it
// was first visible and why. errors.Is(p, ErrContentChanged) (or the
// other kinds) holds for it.
type Problem struct {
	// Kind is ErrContentChanged, ErrEventMissing, ErrOrderChanged,
	// ErrSignatureInvalid or (with a witness policy) ErrNotWitnessed.
	Kind error
	// Position is the first bad global position (for a missing event, the
	// position where it should be). 0 when only an export line is known.
	Position eventstore.Position
	// Leaf is the index of the leaf at or just before the problem.
	Leaf int64
	// Line is the export line, when verifying an export (0 otherwise).
	Line int
	// EventID is the event at Position, when known.
	EventID string
	// Detail says what was found.
	Detail string
}

// Error says where, what kind and why: "position 42: content changed: …".
func (p *Problem) Error() string {
	where := ""
	switch {
	case p.Position > 0 && p.Line > 0:
		where = fmt.Sprintf("position %d (export line %d): ", p.Position, p.Line)
	case p.Position > 0:
		where = fmt.Sprintf("position %d: ", p.Position)
	case p.Line > 0:
		where = fmt.Sprintf("export line %d: ", p.Line)
	}
	return where + p.Kind.Error() + ": " + p.Detail
}

// Unwrap returns the problem's kind.
func (p *Problem) Unwrap() error { return p.Kind }

// Code returns the stable machine-readable code of err's sentinel, or "" if
// it has none.
func Code(err error) string {
	for _, c := range []struct {
		err  error
		code string
	}{
		{ErrContentChanged, "content_changed"},
		{ErrEventMissing, "event_missing"},
		{ErrOrderChanged, "order_changed"},
		{ErrSignatureInvalid, "signature_invalid"},
		{ErrUnknownEvent, "unknown_event"},
		{ErrInvalidSize, "invalid_size"},
		{ErrNoCheckpoint, "no_checkpoint"},
		{ErrNotCheckpointed, "not_yet_checkpointed"},
		{ErrTreeMoved, "tree_moved"},
		{ErrNotAfter, "leaf_not_after"},
		{ErrRootMismatch, "root_mismatch"},
		{ErrBadCheckpoint, "bad_checkpoint"},
		{ErrNotWitnessed, "not_witnessed"},
		{ErrEquivocation, "equivocation"},
		{ErrRollback, "rollback"},
		{ErrWitnessRefused, "witness_refused"},
		{ErrWitnessUnavailable, "witness_unavailable"},
	} {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return ""
}

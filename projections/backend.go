package projections

import (
	"context"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
)

// State is where a projection generation stands.
type State string

// States a generation (and so a projection) can be in.
const (
	// StateRunning: the generation is active and follows the log.
	StateRunning State = "running"
	// StateBuilding: the generation is being built beside the active one
	// and is not yet queried.
	StateBuilding State = "building"
	// StateFailed: the generation stopped at an event it could not apply;
	// Checkpoint.Error and ErrorPosition say which and why.
	StateFailed State = "failed"
	// StateStopped: not running in this process (Status only).
	StateStopped State = "stopped"
)

// Checkpoint is the stored state of one generation of a projection: how far
// into the log its documents reflect, and whether it failed.
type Checkpoint struct {
	Projection string
	// Generation numbers the builds of a projection from 1; the Runner
	// builds generation g+1 beside g to rebuild without downtime.
	Generation uint64
	// Version is the Projection.Version the generation was built with.
	Version int
	// Position is the last event whose changes are committed (0: none).
	Position eventstore.Position
	State    State
	// Error and ErrorPosition describe the event a failed generation could
	// not apply.
	Error         string
	ErrorPosition eventstore.Position
	UpdatedAt     time.Time
}

// Generations lists a projection's generations.
type Generations struct {
	// Active is the generation queries read, 0 if none.
	Active uint64
	// All lists every generation, by ascending number.
	All []Checkpoint
}

// Get returns the checkpoint of generation gen.
func (g Generations) Get(gen uint64) (Checkpoint, bool) {
	for _, c := range g.All {
		if c.Generation == gen {
			return c, true
		}
	}
	return Checkpoint{}, false
}

// Change is one document write of a commit.
type Change struct {
	Collection string
	Key        string
	// Doc is the document's JSON; nil deletes the document.
	Doc []byte
	// valid is set by the batch for documents it encoded or checked
	// itself, so that the memory backend need not check them again.
	valid bool
}

// Commit is one atomic step of a projection generation: its document changes,
// the checkpoint moving from From to To, and the integration events the
// changes gave rise to.
type Commit struct {
	Projection string
	Generation uint64
	// From is the checkpoint the batch started at; the commit fails with
	// ErrCheckpointMoved, writing nothing, if the stored one differs.
	From eventstore.Position
	// To is the new checkpoint: the last event the batch applied.
	To      eventstore.Position
	Changes []Change
	// Outbox holds integration events to publish once the commit is
	// durable; the backend keeps them until DeleteOutbox.
	Outbox []IntegrationEvent
	// Mark raises the projection's integration high-water mark (see
	// Backend.InitMark) to at least this position; 0 leaves it.
	Mark eventstore.Position
}

// Backend stores read-model documents with their checkpoints. Every method
// that writes is atomic; Commit writes a batch's documents and its checkpoint
// in one transaction, so that a crash at any moment neither loses nor
// double-applies an event. Queries (Reader) see committed state only.
//
// MemoryBackend and projections/postgres implement it and pass the shared
// suite in projections/projectiontest. Backends are safe for concurrent use.
type Backend interface {
	// Durable reports whether the documents survive the process. A
	// non-durable backend is rebuilt from the log at every start.
	Durable() bool

	// Generations lists the projection's generations and the active one.
	Generations(ctx context.Context, projection string) (Generations, error)
	// CreateGeneration adds a generation numbered above every existing one,
	// empty, at position 0, in StateBuilding with the given version. If the
	// projection has no active generation the new one becomes active (in
	// StateRunning).
	CreateGeneration(ctx context.Context, projection string, version int) (Checkpoint, error)
	// Activate makes gen the active generation, in StateRunning, and deletes
	// every other generation with its documents, atomically for queries.
	Activate(ctx context.Context, projection string, gen uint64) error
	// DropGeneration deletes a generation that is not active, with its
	// documents.
	DropGeneration(ctx context.Context, projection string, gen uint64) error
	// SetState records a generation's state and error without moving its
	// checkpoint. A state other than StateFailed clears the error.
	SetState(ctx context.Context, projection string, gen uint64, state State, errMsg string, errPos eventstore.Position) error

	// Load returns the committed document (collection, key) of a
	// generation. The bytes must not be modified.
	Load(ctx context.Context, projection string, gen uint64, collection, key string) ([]byte, bool, error)
	// LoadMany returns the committed documents among refs that exist.
	LoadMany(ctx context.Context, projection string, gen uint64, refs []DocRef) (map[DocRef][]byte, error)
	// Scan calls fn for the committed documents of a generation's collection
	// whose key starts with prefix, in byte order of keys.
	Scan(ctx context.Context, projection string, gen uint64, collection, prefix string, fn func(key string, raw []byte) error) error
	// Dump calls fn for every committed document of a generation, ordered
	// by collection and key.
	Dump(ctx context.Context, projection string, gen uint64, fn func(collection, key string, raw []byte) error) error

	// Commit applies c atomically: every change, the checkpoint and the
	// outbox, or nothing.
	Commit(ctx context.Context, c Commit) error

	// InitMark sets the projection's integration high-water mark to pos if
	// it has none, and returns the mark. Integration events are published
	// only for log events above the mark, which every commit raises: a
	// rebuild or a restart never announces an event twice.
	InitMark(ctx context.Context, projection string, pos eventstore.Position) (eventstore.Position, error)
	// Outbox returns the integration events committed but not yet deleted,
	// in commit order.
	Outbox(ctx context.Context, projection string) ([]IntegrationEvent, error)
	// DeleteOutbox forgets published integration events by ID.
	DeleteOutbox(ctx context.Context, projection string, ids []string) error

	// Reader reads the committed documents of the projection's active
	// generation, whichever it is at the time of each call. Calls fail
	// with ErrNoActiveGeneration before the first generation exists.
	Reader(projection string) Reader
	// GenerationReader reads the committed documents of one generation.
	GenerationReader(projection string, gen uint64) Reader

	// Close releases the backend.
	Close() error
}

package transparency

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/export"
)

// VerifyConfig configures a verification.
type VerifyConfig struct {
	// Verifiers are the trusted public keys. Required.
	Verifiers note.Verifiers
	// Origin is the log's name every checkpoint must carry. Default
	// DefaultOrigin.
	Origin string
	// Checkpoints are signed checkpoint notes obtained outside the log (the
	// one an auditor saved yesterday, or fetched from the API): each must
	// verify, and the log must hold at least its size and match its root.
	// This is what catches events removed from the end of the log together
	// with the checkpoints after them.
	Checkpoints [][]byte
	// SparsePositions turns off the check that positions are dense (1, 2,
	// 3, ...), for logs from a store whose positions are not (KurrentDB).
	// Removed events are then found by stream versions and checkpoints
	// only.
	SparsePositions bool
	// Workers is how many goroutines recompute content hashes. Default
	// GOMAXPROCS.
	Workers int
	// MaxProblems bounds the problems a Report lists. Default 100.
	MaxProblems int
	// Policy, if set, is the witness policy: some verified checkpoint
	// must carry the cosignatures its quorum asks for (kept in the log as
	// cosignature events, or as extra signature lines of a checkpoint
	// given), and so must every checkpoint given in Checkpoints; otherwise
	// a problem of kind ErrNotWitnessed names what is missing.
	Policy *Policy
}

// WithDefaults returns c with unset fields filled in.
func (c VerifyConfig) WithDefaults() VerifyConfig {
	if c.Origin == "" {
		c.Origin = DefaultOrigin
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.MaxProblems == 0 {
		c.MaxProblems = 100
	}
	return c
}

// Validate reports a setting that cannot work.
func (c VerifyConfig) Validate() error {
	if c.Verifiers == nil {
		return errors.New("verify: no public key to check checkpoints with")
	}
	if c.Workers < 0 || c.MaxProblems < 0 {
		return fmt.Errorf("verify: workers %d and max problems %d must not be negative", c.Workers, c.MaxProblems)
	}
	return nil
}

// Report is the outcome of a verification.
type Report struct {
	// Events is how many events were read; Leaves how many became leaves
	// of the recomputed tree.
	Events, Leaves int64
	// LastPosition is the position of the last event read.
	LastPosition eventstore.Position
	// Checkpoints are the checkpoints that verified: signed by a trusted
	// key and matching the recomputed tree. Those from the log come first,
	// in log order, then those given in VerifyConfig.Checkpoints.
	Checkpoints []Checkpoint
	// Latest is the verified checkpoint of the largest size (Size 0 and no
	// Note: none).
	Latest Checkpoint
	// Problems are the findings, by position; at most MaxProblems.
	Problems []*Problem
	// MoreProblems counts findings left out of Problems.
	MoreProblems int
	// Explained counts checkpoints whose root did not match only because
	// of an earlier problem already listed.
	Explained int
	// Witnessed is the largest verified checkpoint that meets
	// VerifyConfig.Policy (none without a policy), and Cosignatures its
	// valid cosignatures by the policy's witnesses.
	Witnessed    Checkpoint
	Cosignatures []Cosignature

	tree    *memTree
	leaves  chunked[leafInfo]
	elapsed time.Duration
}

// leafInfo is what verification keeps of each leaf.
type leafInfo struct {
	pos      eventstore.Position
	recorded int64 // Unix µs
	id       uuid.UUID
	line     int32
}

// Err returns the first problem (a *Problem), or nil when the log verified.
func (r *Report) Err() error {
	if len(r.Problems) == 0 {
		return nil
	}
	return r.Problems[0]
}

// Uncovered is the number of leaves after the latest verified checkpoint:
// events appended since, which no signature covers yet.
func (r *Report) Uncovered() int64 { return r.Leaves - r.Latest.Size }

// Elapsed is how long the verification took.
func (r *Report) Elapsed() time.Duration { return r.elapsed }

// Root returns the recomputed tree's root hash at size.
func (r *Report) Root(size int64) (tlog.Hash, error) { return r.tree.root(size) }

// Find returns the leaf index of the event ref names in the recomputed tree
// (ErrUnknownEvent if none).
func (r *Report) Find(ref LeafRef) (int64, error) {
	for i := range r.leaves.n {
		li := r.leaves.at(i)
		if ref.ID != uuid.Nil && li.id == ref.ID || ref.ID == uuid.Nil && li.pos == ref.Position {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%s: %w", ref, ErrUnknownEvent)
}

// ProveInclusion proves, over the recomputed tree, that the event ref names
// is a leaf of the tree of size leaves (0: of the latest verified
// checkpoint, whose note the proof then carries).
func (r *Report) ProveInclusion(ref LeafRef, size int64) (InclusionProof, error) {
	i, err := r.Find(ref)
	if err != nil {
		return InclusionProof{}, err
	}
	li := r.leaves.at(i)
	p := InclusionProof{EventID: li.id, Position: li.pos, LeafIndex: i, TreeSize: size}
	if size == 0 {
		if r.Latest.Note == nil {
			return p, fmt.Errorf("prove %s: %w", ref, ErrNoCheckpoint)
		}
		p.TreeSize, p.Checkpoint = r.Latest.Size, string(r.Latest.Note)
	}
	if p.TreeSize > r.Leaves || p.TreeSize < 1 {
		return p, fmt.Errorf("prove %s: %w: %d, the log has %d leaves", ref, ErrInvalidSize, p.TreeSize, r.Leaves)
	}
	if i >= p.TreeSize {
		return p, fmt.Errorf("prove %s (leaf %d): %w of %d leaves", ref, i, ErrNotCheckpointed, p.TreeSize)
	}
	proof, err := tlog.ProveRecord(p.TreeSize, i, r.tree.reader())
	if err != nil {
		return p, fmt.Errorf("prove %s: %w", ref, err)
	}
	root, err := r.tree.root(p.TreeSize)
	if err != nil {
		return p, err
	}
	p.LeafHash, p.RootHash, p.Proof = eventstore.Hash(r.tree.hashes.at(tlog.StoredHashIndex(0, i))), eventstore.Hash(root), fromTlog(proof)
	return p, nil
}

// ProveConsistency proves, over the recomputed tree, that the tree of from
// leaves is a prefix of the tree of to leaves.
func (r *Report) ProveConsistency(from, to int64) (ConsistencyProof, error) {
	if from < 1 || from > to || to > r.Leaves {
		return ConsistencyProof{}, fmt.Errorf("prove consistency from %d to %d: %w: want 1 <= from <= to <= %d", from, to, ErrInvalidSize, r.Leaves)
	}
	proof, err := tlog.ProveTree(to, from, r.tree.reader())
	if err != nil {
		return ConsistencyProof{}, fmt.Errorf("prove consistency from %d to %d: %w", from, to, err)
	}
	fr, err := r.tree.root(from)
	if err != nil {
		return ConsistencyProof{}, err
	}
	tr, err := r.tree.root(to)
	if err != nil {
		return ConsistencyProof{}, err
	}
	return ConsistencyProof{From: from, To: to, FromRoot: eventstore.Hash(fr), ToRoot: eventstore.Hash(tr), Proof: fromTlog(proof)}, nil
}

// memTree is a tree kept in memory, built leaf by leaf.
type memTree struct {
	hashes chunked[tlog.Hash]
	front  frontier
	n      int64
}

// add appends a leaf (its RFC 6962 leaf hash) and the stored hashes it
// completes, in tlog's order (tlog.StoredHashesForRecordHash): the leaf,
// then the root of each complete subtree it closes, level by level, each
// the node hash of the frontier's subtree to its left and the one below.
// No allocation: this runs once per event on the verifier's one goroutine.
func (t *memTree) add(leaf tlog.Hash) {
	h := leaf
	t.hashes.append(h)
	level := 0
	for t.n>>level&1 == 1 {
		h = tlog.NodeHash(t.front[level], h)
		t.hashes.append(h)
		level++
	}
	t.front[level] = h
	t.n++
}

func (t *memTree) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			if x < 0 || x >= t.hashes.n {
				return nil, fmt.Errorf("stored hash %d: %w", x, ErrInvalidSize)
			}
			out[i] = t.hashes.at(x)
		}
		return out, nil
	})
}

func (t *memTree) root(size int64) (tlog.Hash, error) {
	if size < 0 || size > t.n {
		return tlog.Hash{}, fmt.Errorf("root of tree size %d: %w: the tree has %d leaves", size, ErrInvalidSize, t.n)
	}
	if size == t.n {
		return tlog.TreeHash(size, t.front.reader(size))
	}
	return tlog.TreeHash(size, t.reader())
}

// rec is one event read and hashed by a worker.
type rec struct {
	ev      eventstore.Event
	content eventstore.Hash
	leaf    tlog.Hash
	line    int
	bad     *Problem // the line or record could not be read
}

// chunk is a run of input handed to one worker.
type chunk struct {
	arena   []byte
	offs    []int // line i is arena[offs[i]:offs[i+1]]
	lineNo  []int
	events  []eventstore.Event
	bad     *Problem // an unreadable record after the events
	badSkip eventstore.Position
	out     []rec
	done    chan struct{}
}

func (c *chunk) work() {
	defer close(c.done)
	if c.events != nil {
		c.out = make([]rec, len(c.events))
		for i := range c.events {
			r := &c.out[i]
			r.ev = c.events[i]
			r.content = eventstore.ContentHash(r.ev)
			r.leaf = tlog.RecordHash(r.content[:])
		}
		return
	}
	n := len(c.offs) - 1
	c.out = slices.Grow(c.out[:0], n)[:n]
	for i := range n {
		r := &c.out[i]
		*r = rec{line: c.lineNo[i]}
		line := c.arena[c.offs[i]:c.offs[i+1]]
		ev, err := decodeExportLine(line)
		if err != nil {
			r.bad = &Problem{Kind: ErrContentChanged, Line: r.line, Leaf: -1,
				Detail: fmt.Sprintf("the line is not a well-formed exported event: %v", err)}
			var pos struct {
				Position uint64 `json:"position"`
			}
			if json.Unmarshal(line, &pos) == nil {
				r.bad.Position = eventstore.Position(pos.Position)
			}
			continue
		}
		r.ev = ev
		r.content = eventstore.ContentHash(ev)
		r.leaf = tlog.RecordHash(r.content[:])
	}
}

// pipeline runs produce (which sends chunks with send) with workers hashing
// each chunk, and calls consume for each chunk's records in input order.
func pipeline(ctx context.Context, workers int, produce func(send func(*chunk) bool) error, consume func(*chunk)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	todo := make(chan *chunk, workers*2)
	ordered := make(chan *chunk, workers*4)
	for range workers {
		go func() {
			for c := range todo {
				c.work()
			}
		}()
	}
	var perr error
	go func() {
		defer close(ordered)
		defer close(todo)
		perr = produce(func(c *chunk) bool {
			c.done = make(chan struct{})
			select {
			case ordered <- c:
			case <-ctx.Done():
				return false
			}
			todo <- c
			return true
		})
	}()
	for c := range ordered {
		<-c.done
		consume(c)
	}
	if perr != nil {
		return perr
	}
	return ctx.Err()
}

// chunkLines is how many export lines a worker takes at a time.
const chunkLines = 1024

// VerifyExport verifies an export (export.Writer's JSON Lines) offline: it
// recomputes every content hash, rebuilds the tree and checks every
// checkpoint in it, and those in cfg.Checkpoints, against the trusted keys.
// The error is for reading and configuration; what verification found is
// in the report (Report.Err).
func VerifyExport(ctx context.Context, r io.Reader, cfg VerifyConfig) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	v := newVerifier(cfg.WithDefaults())
	start := time.Now()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), export.MaxLine)
	produce := func(send func(*chunk) bool) error {
		line := 0
		c := newLineChunk()
		for sc.Scan() {
			line++
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			c.arena = append(c.arena, b...)
			c.offs = append(c.offs, len(c.arena))
			c.lineNo = append(c.lineNo, line)
			if len(c.lineNo) == chunkLines {
				if !send(c) {
					return ctx.Err()
				}
				c = newLineChunk()
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("read export line %d: %w", line+1, err)
		}
		if len(c.lineNo) > 0 {
			send(c)
		}
		return ctx.Err()
	}
	consume := func(c *chunk) {
		v.consume(c)
		lineChunks.Put(c) // the verifier keeps no reference into a chunk
	}
	if err := pipeline(ctx, v.cfg.Workers, produce, consume); err != nil {
		return nil, err
	}
	return v.finish(start), nil
}

// lineChunks recycles export chunks: their arenas and records.
var lineChunks = sync.Pool{New: func() any { return &chunk{} }}

// newLineChunk returns an empty chunk for export lines.
func newLineChunk() *chunk {
	c := lineChunks.Get().(*chunk)
	c.arena, c.offs, c.lineNo = c.arena[:0], append(c.offs[:0], 0), c.lineNo[:0]
	clear(c.out)
	c.out, c.done = c.out[:0], nil
	return c
}

// maxUnreadable is how many records in a row VerifyStore reports as
// unreadable before it takes the store itself to be failing.
const maxUnreadable = 16

// VerifyStore verifies the log of a store, up to its head when called, as
// VerifyExport does an export. A record the store cannot read is reported
// as changed content at the position after the last one read.
func VerifyStore(ctx context.Context, store eventstore.Store, cfg VerifyConfig) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	v := newVerifier(cfg.WithDefaults())
	start := time.Now()
	head, err := store.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	produce := func(send func(*chunk) bool) error {
		var after eventstore.Position
		unreadable := 0
		for after < head {
			batch, err := store.ReadAll(ctx, after, 4096)
			if err != nil {
				if ctx.Err() != nil || v.cfg.SparsePositions || errors.Is(err, eventstore.ErrUnavailable) || errors.Is(err, eventstore.ErrClosed) {
					return fmt.Errorf("verify: read the log after %d: %w", after, err)
				}
				// Read one at a time to find the record that cannot be read.
				batch, err = store.ReadAll(ctx, after, 1)
				if err != nil {
					// Many in a row is the store failing, not a record.
					if unreadable++; unreadable > maxUnreadable {
						return fmt.Errorf("verify: read the log after %d: %w", after, err)
					}
					c := &chunk{events: []eventstore.Event{}, badSkip: after + 1, bad: &Problem{Kind: ErrContentChanged, Position: after + 1,
						Detail: fmt.Sprintf("the stored record cannot be read: %v", err)}}
					if !send(c) {
						return ctx.Err()
					}
					after++
					continue
				}
			}
			unreadable = 0
			if len(batch) == 0 {
				break
			}
			for len(batch) > 0 && batch[len(batch)-1].Position > head {
				batch = batch[:len(batch)-1]
			}
			if len(batch) == 0 {
				break
			}
			after = batch[len(batch)-1].Position
			if !send(&chunk{events: batch}) {
				return ctx.Err()
			}
		}
		return nil
	}
	if err := pipeline(ctx, v.cfg.Workers, produce, v.consume); err != nil {
		return nil, err
	}
	return v.finish(start), nil
}

// gap is a run of positions absent where the log went on.
type gap struct {
	from, to eventstore.Position
	leaf     int64
	line     int
}

// svKey names one version of one stream.
type svKey struct {
	stream  string
	version uint64
}

// streamAt is a stream's last version seen and its position.
type streamAt struct {
	version uint64
	pos     eventstore.Position
}

// svJump is a stream whose version went up by more than one.
type svJump struct {
	stream    string
	want, got uint64
	prev, pos eventstore.Position
	leaf      int64
	line      int
	id        uuid.UUID
	foundAt   eventstore.Position
	found     bool
}

// pendingCP is a checkpoint waiting for the tree to reach its size.
type pendingCP struct {
	cp       Checkpoint
	leaf     int64
	line     int
	external int // 1-based index in VerifyConfig.Checkpoints, 0 if from the log
}

// mismatch is a checkpoint whose root the recomputed tree does not match.
type mismatch struct {
	pendingCP
	got tlog.Hash
}

// verifier holds the state of one verification; consume runs on one
// goroutine.
type verifier struct {
	cfg      VerifyConfig
	r        *Report
	tree     memTree
	lastPos  eventstore.Position
	seen     []uint64 // dense positions seen
	gaps     []gap
	streams  map[string]*streamAt
	jumps    []svJump
	wanted   map[svKey]int
	pending  []pendingCP
	verified []pendingCP
	cosigs   []Cosignature // cosignature events of this log that verify under their own key
	mism     []mismatch
	problems []*Problem
}

func newVerifier(cfg VerifyConfig) *verifier {
	v := &verifier{cfg: cfg, r: &Report{}, streams: make(map[string]*streamAt), wanted: make(map[svKey]int)}
	v.r.tree = &v.tree
	return v
}

func (v *verifier) problem(p *Problem) { v.problems = append(v.problems, p) }

func (v *verifier) consume(c *chunk) {
	for i := range c.out {
		v.add(&c.out[i])
	}
	if c.bad != nil {
		c.bad.Leaf = v.tree.n
		v.problem(c.bad)
		v.lastPos = max(v.lastPos, c.badSkip)
		v.markSeen(c.badSkip)
	}
}

// maxDensePosition bounds the positions the dense check tracks in its
// bitmap.
const maxDensePosition = 1 << 36

func (v *verifier) markSeen(p eventstore.Position) {
	// A dense log's positions stay near the count of events read; a wild
	// one (a forged line) is reported as a gap without growing the bitmap.
	if v.cfg.SparsePositions || p >= maxDensePosition || uint64(p) > 2*uint64(v.r.Events)+1<<22 {
		return
	}
	w := int(p >> 6)
	if w >= len(v.seen) {
		v.seen = slices.Grow(v.seen, w+1-len(v.seen))[:w+1]
	}
	v.seen[w] |= 1 << (p & 63)
}

func (v *verifier) wasSeen(p eventstore.Position) bool {
	w := int(p >> 6)
	return w < len(v.seen) && v.seen[w]&(1<<(p&63)) != 0
}

// inGap reports whether p lies in a gap noticed earlier.
func (v *verifier) inGap(p eventstore.Position) bool {
	i := sort.Search(len(v.gaps), func(i int) bool { return v.gaps[i].to >= p })
	return i < len(v.gaps) && v.gaps[i].from <= p
}

// gapBetween reports whether a gap lies between positions lo and hi.
func (v *verifier) gapBetween(lo, hi eventstore.Position) bool {
	i := sort.Search(len(v.gaps), func(i int) bool { return v.gaps[i].to > lo })
	return i < len(v.gaps) && v.gaps[i].from < hi
}

func (v *verifier) add(r *rec) {
	if r.bad != nil {
		r.bad.Leaf = v.tree.n
		v.problem(r.bad)
		if p := r.bad.Position; p > v.lastPos {
			// A line that names its position but cannot be read: do not
			// also report that position as missing.
			v.lastPos = p
			v.markSeen(p)
		}
		return
	}
	ev := &r.ev
	i := v.tree.n
	v.r.Events++
	v.r.LastPosition = ev.Position
	// Positions: increasing, and dense unless told otherwise.
	if ev.Position <= v.lastPos && i > 0 {
		if v.cfg.SparsePositions || !v.inGap(ev.Position) {
			v.problem(&Problem{Kind: ErrOrderChanged, Position: ev.Position, Leaf: i, Line: r.line, EventID: ev.ID.String(),
				Detail: fmt.Sprintf("event %s at position %d comes after position %d", ev.ID, ev.Position, v.lastPos)})
		}
	} else {
		if !v.cfg.SparsePositions && ev.Position != v.lastPos+1 {
			v.gaps = append(v.gaps, gap{from: v.lastPos + 1, to: ev.Position - 1, leaf: i, line: r.line})
		}
		v.lastPos = ev.Position
	}
	v.markSeen(ev.Position)
	// Content.
	if r.content != ev.Hash {
		v.problem(&Problem{Kind: ErrContentChanged, Position: ev.Position, Leaf: i, Line: r.line, EventID: ev.ID.String(),
			Detail: fmt.Sprintf("event %s (%s version %d, %s) hashes to %s, its stored content hash is %s", ev.ID, ev.Stream, ev.Version, ev.Type, r.content, ev.Hash)})
	}
	// Stream versions: each stream's events appear as versions 1, 2, 3, ...
	// (Event strings may share a chunk's memory: the verifier keeps copies
	// only.)
	last := v.streams[ev.Stream]
	if last == nil {
		last = &streamAt{}
		v.streams[strings.Clone(ev.Stream)] = last
	}
	switch {
	case ev.Version == last.version+1:
		*last = streamAt{ev.Version, ev.Position}
	case ev.Version > last.version+1:
		stream := strings.Clone(ev.Stream)
		v.jumps = append(v.jumps, svJump{stream: stream, want: last.version + 1, got: ev.Version, prev: last.pos, pos: ev.Position, leaf: i, line: r.line, id: ev.ID})
		for w := last.version + 1; w < ev.Version && w < last.version+1+64; w++ {
			v.wanted[svKey{stream, w}] = len(v.jumps) - 1
		}
		*last = streamAt{ev.Version, ev.Position}
	default:
		k := svKey{ev.Stream, ev.Version}
		if j, ok := v.wanted[k]; ok {
			delete(v.wanted, k)
			if !v.jumps[j].found {
				v.jumps[j].found, v.jumps[j].foundAt = true, ev.Position
			}
		} else if v.cfg.SparsePositions || !v.inGap(ev.Position) {
			v.problem(&Problem{Kind: ErrOrderChanged, Position: ev.Position, Leaf: i, Line: r.line, EventID: ev.ID.String(),
				Detail: fmt.Sprintf("stream %q version %d appears after version %d", ev.Stream, ev.Version, last.version)})
		}
	}
	// Checkpoints published in the log.
	if IsCheckpointEvent(ev) {
		cp, err := ReadCheckpointEvent(ev, v.cfg.Verifiers, v.cfg.Origin)
		switch {
		case err != nil:
			kind := ErrSignatureInvalid
			if errors.Is(err, ErrContentChanged) {
				kind = ErrContentChanged
			}
			v.problem(&Problem{Kind: kind, Position: ev.Position, Leaf: i, Line: r.line, EventID: ev.ID.String(),
				Detail: fmt.Sprintf("checkpoint event %s: %s", ev.ID, strings.TrimPrefix(err.Error(), kind.Error()+": "))})
		default:
			// A checkpoint covers only leaves before it. One covering more
			// was moved earlier, unless (dense positions) events before it
			// are missing, which is reported as such.
			if cp.Size > i && (v.cfg.SparsePositions || cp.Size > int64(ev.Position)-1) {
				v.problem(&Problem{Kind: ErrOrderChanged, Position: ev.Position, Leaf: i, Line: r.line, EventID: ev.ID.String(),
					Detail: fmt.Sprintf("the checkpoint at leaf %d covers %d leaves: it was moved before events it covers", i, cp.Size)})
			}
			v.pending = append(v.pending, pendingCP{cp: cp, leaf: i, line: r.line})
		}
	} else if IsCosignatureEvent(ev) {
		c, err := ReadCosignatureEvent(ev)
		if err != nil {
			kind := ErrSignatureInvalid
			if errors.Is(err, ErrContentChanged) {
				kind = ErrContentChanged
			}
			v.problem(&Problem{Kind: kind, Position: ev.Position, Leaf: i, Line: r.line, EventID: ev.ID.String(),
				Detail: fmt.Sprintf("cosignature event %s: %s", ev.ID, strings.TrimPrefix(err.Error(), kind.Error()+": "))})
		} else if c.Origin == v.cfg.Origin {
			v.cosigs = append(v.cosigs, c)
		}
	} else if ev.Stream == CheckpointStream {
		// Only signed checkpoints belong there (the store's guard takes
		// nothing else): this one was written around it.
		v.problem(&Problem{Kind: ErrSignatureInvalid, Position: ev.Position, Leaf: i, Line: r.line, EventID: ev.ID.String(),
			Detail: fmt.Sprintf("event %s of type %s on stream %s is not a signed checkpoint", ev.ID, ev.Type, CheckpointStream)})
	}
	v.tree.add(r.leaf)
	v.r.leaves.append(leafInfo{pos: ev.Position, recorded: ev.RecordedAt.UnixMicro(), id: ev.ID, line: int32(r.line)})
	if len(v.pending) > 0 {
		keep := v.pending[:0]
		for _, p := range v.pending {
			if p.cp.Size <= v.tree.n {
				v.check(p)
			} else {
				keep = append(keep, p)
			}
		}
		v.pending = keep
	}
}

// check compares a checkpoint with the recomputed tree.
func (v *verifier) check(p pendingCP) {
	root, err := v.tree.root(p.cp.Size)
	if err != nil || root != p.cp.Root {
		v.mism = append(v.mism, mismatch{pendingCP: p, got: root})
		return
	}
	if n := len(v.verified); n > 0 {
		// Successive checkpoints must be consistent: the smaller tree a
		// prefix of the larger.
		a, b := v.verified[n-1].cp, p.cp
		if a.Size > b.Size {
			a, b = b, a
		}
		if a.Size > 0 {
			proof, err := tlog.ProveTree(b.Size, a.Size, v.tree.reader())
			if err == nil {
				err = tlog.CheckTree(proof, b.Size, b.Root, a.Size, a.Root)
			}
			if err != nil {
				v.mism = append(v.mism, mismatch{pendingCP: p, got: root})
				return
			}
		}
	}
	v.verified = append(v.verified, p)
}

func (v *verifier) leafPos(i int64) eventstore.Position {
	if i >= 0 && i < v.r.leaves.n {
		return v.r.leaves.at(i).pos
	}
	return v.lastPos + 1
}

func (v *verifier) finish(start time.Time) *Report {
	r := v.r
	r.Leaves = v.tree.n
	// Checkpoints still waiting cover more leaves than the log holds.
	for _, p := range v.pending {
		v.missingTail(p)
	}
	// Checkpoints the auditor brought.
	for k, msg := range v.cfg.Checkpoints {
		cp, err := OpenCheckpoint(msg, v.cfg.Verifiers, v.cfg.Origin)
		if err != nil {
			v.problem(&Problem{Kind: ErrSignatureInvalid, Leaf: -1,
				Detail: fmt.Sprintf("checkpoint given (#%d): %s", k+1, strings.TrimPrefix(err.Error(), ErrSignatureInvalid.Error()+": "))})
			continue
		}
		p := pendingCP{cp: cp, leaf: -1, external: k + 1}
		if cp.Size > v.tree.n {
			v.missingTail(p)
			continue
		}
		v.check(p)
	}
	// Gaps: missing, unless the position turned up later (moved).
	for _, g := range v.gaps {
		first := g.from
		for p := g.from; p <= g.to && p < g.from+1<<20; p++ {
			if !v.wasSeen(p) {
				first = p
				break
			}
		}
		switch {
		case v.wasSeen(g.from):
			v.problem(&Problem{Kind: ErrOrderChanged, Position: g.from, Leaf: g.leaf, Line: g.line,
				Detail: fmt.Sprintf("position %d is out of place: position %d comes before it, and it appears later", g.from, g.to+1)})
			if first != g.from && !v.wasSeen(first) {
				v.problem(&Problem{Kind: ErrEventMissing, Position: first, Leaf: g.leaf, Line: g.line,
					Detail: fmt.Sprintf("no event at position %d", first)})
			}
		case g.from == g.to:
			v.problem(&Problem{Kind: ErrEventMissing, Position: g.from, Leaf: g.leaf, Line: g.line,
				Detail: fmt.Sprintf("no event at position %d: the log goes from position %d to %d", g.from, g.from-1, g.to+1)})
		default:
			v.problem(&Problem{Kind: ErrEventMissing, Position: g.from, Leaf: g.leaf, Line: g.line,
				Detail: fmt.Sprintf("no events at positions %d to %d: the log goes from position %d to %d", g.from, g.to, g.from-1, g.to+1)})
		}
	}
	// Stream version jumps: reordered if the skipped version turned up
	// later, missing if not.
	for _, j := range v.jumps {
		if j.found {
			v.problem(&Problem{Kind: ErrOrderChanged, Position: j.pos, Leaf: j.leaf, Line: j.line, EventID: j.id.String(),
				Detail: fmt.Sprintf("stream %q version %d at position %d comes before its version %d (at position %d)", j.stream, j.got, j.pos, j.want, j.foundAt)})
			continue
		}
		if !v.cfg.SparsePositions && v.gapBetween(j.prev, j.pos) {
			continue // a position gap names the missing event
		}
		v.problem(&Problem{Kind: ErrEventMissing, Position: j.pos, Leaf: j.leaf, Line: j.line, EventID: j.id.String(),
			Detail: fmt.Sprintf("stream %q goes from version %d to version %d at position %d: version %d is missing", j.stream, j.want-1, j.got, j.pos, j.want)})
	}
	// Checkpoints that do not match: explained by an earlier problem, or
	// named here.
	firstBad := int64(1<<63 - 1)
	for _, p := range v.problems {
		if p.Leaf >= 0 && p.Leaf < firstBad {
			firstBad = p.Leaf
		}
	}
	slices.SortFunc(v.mism, func(a, b mismatch) int { return cmp.Compare(a.cp.Size, b.cp.Size) })
	for _, m := range v.mism {
		if firstBad < m.cp.Size {
			r.Explained++
			continue
		}
		var good int64
		for _, p := range v.verified {
			if p.cp.Size < m.cp.Size && p.cp.Size > good {
				good = p.cp.Size
			}
		}
		v.problem(v.classify(m, good))
		firstBad = min(firstBad, good)
	}
	slices.SortStableFunc(v.problems, func(a, b *Problem) int {
		pa, pb := a.Position, b.Position
		if pa == 0 {
			pa = 1<<63 - 1
		}
		if pb == 0 {
			pb = 1<<63 - 1
		}
		return cmp.Or(cmp.Compare(pa, pb), cmp.Compare(a.Leaf, b.Leaf))
	})
	if len(v.problems) > v.cfg.MaxProblems {
		r.MoreProblems = len(v.problems) - v.cfg.MaxProblems
		v.problems = v.problems[:v.cfg.MaxProblems]
	}
	for _, p := range v.verified {
		cp := p.cp
		r.Checkpoints = append(r.Checkpoints, cp)
		if r.Latest.Note == nil || cp.Size > r.Latest.Size || cp.Size == r.Latest.Size && r.Latest.Position == 0 && cp.Position > 0 {
			r.Latest = cp
		}
	}
	if v.cfg.Policy != nil {
		v.witnessed()
		if len(v.problems) > v.cfg.MaxProblems {
			r.MoreProblems += len(v.problems) - v.cfg.MaxProblems
			v.problems = v.problems[:v.cfg.MaxProblems]
		}
	}
	r.Problems = v.problems
	r.elapsed = time.Since(start)
	return r
}

// witnessed applies the witness policy: the largest verified checkpoint
// that meets it becomes Report.Witnessed; none, or a checkpoint given that
// does not meet it, is a problem naming what is missing.
func (v *verifier) witnessed() {
	r := v.r
	lines := func(cp Checkpoint) []string {
		out := SignatureLines(cp.Note)
		for _, c := range v.cosigs {
			if c.Size == cp.Size && c.Root == cp.Root {
				out = append(out, c.Line)
			}
		}
		return out
	}
	// Checkpoints given by the auditor must each be witnessed.
	for _, p := range v.verified {
		if p.external == 0 {
			continue
		}
		if _, err := v.cfg.Policy.Witnessed(p.cp, lines(p.cp)); err != nil {
			v.problems = append(v.problems, &Problem{Kind: ErrNotWitnessed, Leaf: -1,
				Detail: fmt.Sprintf("%s: %s", p.where(), strings.TrimPrefix(err.Error(), ErrNotWitnessed.Error()+": "))})
		}
	}
	var latestErr error
	for _, cp := range r.Checkpoints {
		valid, err := v.cfg.Policy.Witnessed(cp, lines(cp))
		switch {
		case err != nil:
			if cp.Size == r.Latest.Size {
				latestErr = err
			}
		case r.Witnessed.Note == nil || cp.Size > r.Witnessed.Size:
			r.Witnessed, r.Cosignatures = cp, valid
		}
	}
	if r.Witnessed.Note == nil {
		detail := "no signed checkpoint to check the policy against"
		if latestErr != nil {
			detail = fmt.Sprintf("no checkpoint meets the witness policy (the latest: %s)", strings.TrimPrefix(latestErr.Error(), ErrNotWitnessed.Error()+": "))
		}
		v.problems = append(v.problems, &Problem{Kind: ErrNotWitnessed, Position: r.Latest.Position, Leaf: -1, Detail: detail})
	}
}

// reorderMatches reports whether the first size leaves give root once
// put back in order: leaves k and j (where the recorded-at times first go
// backwards) swapped back, leaf j moved back to k, leaf k moved back to j,
// or leaves good to size-1 sorted by recorded-at time. The stores record
// times in log order, so events moved give the signed root again one of
// these ways; a recorded-at time changed (with the content hash
// recomputed) does not.
func (v *verifier) reorderMatches(good, size, k, j int64, root tlog.Hash) bool {
	if j >= size {
		return false
	}
	base := make([]int64, size)
	for i := range base {
		base[i] = int64(i)
	}
	swapped := slices.Clone(base)
	swapped[k], swapped[j] = swapped[j], swapped[k]
	jToK := slices.Insert(slices.Delete(slices.Clone(base), int(j), int(j)+1), int(k), j)
	kToJ := slices.Insert(slices.Delete(slices.Clone(base), int(k), int(k)+1), int(j), k)
	byTime := slices.Clone(base)
	slices.SortStableFunc(byTime[good:], func(a, b int64) int { return cmp.Compare(v.r.leaves.at(a).recorded, v.r.leaves.at(b).recorded) })
	for _, order := range [][]int64{swapped, jToK, kToJ, byTime} {
		var t memTree
		for _, i := range order {
			t.add(v.tree.hashes.at(tlog.StoredHashIndex(0, i)))
		}
		if got, err := t.root(size); err == nil && got == root {
			return true
		}
	}
	return false
}

// where describes a checkpoint's origin for messages.
func (p pendingCP) where() string {
	if p.external > 0 {
		return fmt.Sprintf("the checkpoint given (#%d)", p.external)
	}
	return fmt.Sprintf("the checkpoint at position %d", p.cp.Position)
}

// missingTail reports a checkpoint that covers more leaves than the log
// holds.
func (v *verifier) missingTail(p pendingCP) {
	pos := eventstore.Position(0)
	if !v.cfg.SparsePositions {
		pos = v.lastPos + 1
	}
	v.problem(&Problem{Kind: ErrEventMissing, Position: pos, Leaf: v.tree.n,
		Detail: fmt.Sprintf("%s covers %d leaves but the log holds %d: the last %d events it covers are missing", p.where(), p.cp.Size, v.tree.n, p.cp.Size-v.tree.n)})
}

// classify names the first bad leaf for a checkpoint whose root does not
// match, when no finding before it explains why: every event in leaves
// good..size-1 hashes to its stored content hash and nothing is missing, so
// either an event was rewritten together with its stored hash, or events
// were reordered in a way positions and stream versions do not show. A
// recorded-at time going backwards (the stores record them in log order)
// tells the second.
func (v *verifier) classify(m mismatch, good int64) *Problem {
	size := m.cp.Size
	info := func(i int64) leafInfo { return v.r.leaves.at(i) }
	for j := good + 1; j < v.r.leaves.n; j++ {
		if info(j).recorded >= info(j-1).recorded {
			continue
		}
		t := info(j).recorded
		k := good + int64(sort.Search(int(j-good), func(x int) bool { return info(good+int64(x)).recorded > t }))
		if k < size {
			a, b := info(k), info(j)
			if !v.reorderMatches(good, size, k, j, m.cp.Root) {
				// Put in recorded-time order, the same events do not give
				// the signed root: not a reordering, but a recorded-at time
				// (or more) changed and the content hash recomputed.
				return &Problem{Kind: ErrContentChanged, Position: b.pos, Leaf: j, Line: int(b.line), EventID: b.id.String(),
					Detail: fmt.Sprintf("event %s at position %d says it was recorded at %s, before event %s at position %d (recorded %s), and the same events in recorded-time order do not give the root %s signs for %d leaves: a recorded-at time was changed together with the content hash",
						b.id, b.pos, time.UnixMicro(b.recorded).UTC().Format(eventstore.TimeLayout), a.id, a.pos,
						time.UnixMicro(a.recorded).UTC().Format(eventstore.TimeLayout), m.where(), size)}
			}
			return &Problem{Kind: ErrOrderChanged, Position: a.pos, Leaf: k, Line: int(a.line), EventID: a.id.String(),
				Detail: fmt.Sprintf("event %s at position %d was recorded at %s, after event %s at position %d (recorded %s); %s (size %d) does not match the log, and does once its events are put back in recorded-time order",
					a.id, a.pos, time.UnixMicro(a.recorded).UTC().Format(eventstore.TimeLayout), b.id, b.pos,
					time.UnixMicro(b.recorded).UTC().Format(eventstore.TimeLayout), m.where(), size)}
		}
		break
	}
	first, last := v.leafPos(good), v.leafPos(size-1)
	p := &Problem{Kind: ErrContentChanged, Position: first, Leaf: good,
		Detail: fmt.Sprintf("%s signs root %s for %d leaves, the log's events give %s: an event at positions %d to %d was changed together with its stored content hash, or reordered",
			m.where(), m.cp.Root, size, m.got, first, last)}
	if good < v.r.leaves.n {
		p.Line = int(info(good).line)
	}
	return p
}

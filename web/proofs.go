package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/transparency"
)

// ProofSource answers for the transparency log: its latest signed
// checkpoint and proofs over its tree. *transparency.Log implements it.
type ProofSource interface {
	// Latest returns the latest published checkpoint
	// (transparency.ErrNoCheckpoint if none).
	Latest(ctx context.Context) (transparency.Checkpoint, error)
	// Witnessed returns the latest checkpoint with its witnesses'
	// cosignature lines after its signature.
	Witnessed(ctx context.Context) (transparency.Checkpoint, error)
	// ProveInclusion proves an event is a leaf of the tree of size leaves
	// (0: the latest checkpoint's).
	ProveInclusion(ctx context.Context, ref transparency.LeafRef, size int64) (transparency.InclusionProof, error)
	// ProveConsistency proves the tree of from leaves is a prefix of the
	// tree of to leaves (to 0: the latest checkpoint's).
	ProveConsistency(ctx context.Context, from, to int64) (transparency.ConsistencyProof, error)
	// Entry reports an event's standing in the latest checkpoint.
	Entry(ctx context.Context, id uuid.UUID) (transparency.Entry, error)
	// Entries reports the standing of a page's events in the latest
	// checkpoint, in one lookup, without proofs.
	Entries(ctx context.Context, ids []uuid.UUID) ([]transparency.Entry, error)
}

// RegisterProofs adds the transparency API to mux:
//
//	GET /checkpoint                                         the C2SP checkpoint: the signed note with the
//	                                                        witnesses' cosignature lines (text/plain)
//	GET /api/v1/checkpoints/latest                          the signed checkpoint (JSON, or the
//	                                                        note as text/plain: Accept: text/plain or ?format=note),
//	                                                        with the witnesses' cosignatures too
//	GET /api/v1/proofs/inclusion?event=ID|position=N[&size=S]  inclusion proof (default: in the latest checkpoint)
//	GET /api/v1/proofs/consistency?from=A[&to=B]            consistency proof (default to: the latest checkpoint)
//
// Hashes are lowercase hex; the checkpoint note is the C2SP
// tlog-checkpoint text with its signature lines. Errors are an ErrorBody,
// {"error": {"code": …, "message": …}}, with a stable code: 400
// missing_parameter, conflicting_parameters, invalid_event_id,
// invalid_position, invalid_size; 404 unknown_event, no_checkpoint; 409
// not_yet_checkpointed (the event is after the latest checkpoint); 503
// unavailable. A nil logger means slog.Default().
//
// It returns the route patterns it registered (for the OpenAPI check).
func RegisterProofs(mux *http.ServeMux, src ProofSource, logger *slog.Logger) []string {
	if logger == nil {
		logger = slog.Default()
	}
	p := &proofs{src: src, log: logger}
	routes := []struct {
		path string
		h    http.HandlerFunc
	}{{LatestCheckpointPath, p.latest}, {InclusionProofPath, p.inclusion}, {ConsistencyProofPath, p.consistency}, {CheckpointPath, p.checkpoint}}
	patterns := make([]string, 0, len(routes))
	for _, r := range routes {
		mux.HandleFunc("GET "+r.path, r.h)
		patterns = append(patterns, "GET "+r.path)
	}
	return patterns
}

// The proof API's paths.
const (
	LatestCheckpointPath = "/api/v1/checkpoints/latest"
	InclusionProofPath   = "/api/v1/proofs/inclusion"
	ConsistencyProofPath = "/api/v1/proofs/consistency"
	// CheckpointPath is the C2SP checkpoint endpoint (tlog-tiles'
	// <prefix>/checkpoint): the latest checkpoint, cosigned.
	CheckpointPath = "/checkpoint"
)

// InclusionProofURL is the API path of an event's inclusion proof in the
// latest checkpoint, for the public pages' "verify" links.
func InclusionProofURL(id uuid.UUID) string {
	return InclusionProofPath + "?event=" + url.QueryEscape(id.String())
}

// LedgerBadge is what a public case or transcript page shows beside an
// entry: whether the latest signed checkpoint includes it, with a link to
// its proof.
type LedgerBadge struct {
	// Included: the latest checkpoint covers the event and its inclusion
	// proof checks out against the signed root.
	Included bool `json:"included"`
	// Pending: the event is in the tree but after the latest checkpoint;
	// the next one will cover it.
	Pending bool `json:"pending"`
	// LeafIndex is the event's leaf, -1 if the tree does not hold it yet.
	LeafIndex int64 `json:"leafIndex"`
	// CheckpointSize is the latest checkpoint's size (0: none yet).
	CheckpointSize int64 `json:"checkpointSize"`
	// ProofURL links to the event's inclusion proof.
	ProofURL string `json:"proofUrl"`
}

// Badge reports an event's LedgerBadge, for the pages.
func Badge(ctx context.Context, src ProofSource, id uuid.UUID) (LedgerBadge, error) {
	e, err := src.Entry(ctx, id)
	if err != nil {
		return LedgerBadge{LeafIndex: -1}, err
	}
	return LedgerBadge{Included: e.Included, Pending: e.Pending, LeafIndex: e.LeafIndex, CheckpointSize: e.CheckpointSize,
		ProofURL: InclusionProofURL(id)}, nil
}

// Badges reports the LedgerBadge of each event of ids, for a page of
// entries, with one lookup in the tree (Entries) instead of one per entry.
func Badges(ctx context.Context, src ProofSource, ids []uuid.UUID) ([]LedgerBadge, error) {
	es, err := src.Entries(ctx, ids)
	if err != nil {
		return nil, err
	}
	if len(es) != len(ids) {
		return nil, fmt.Errorf("ledger badges: %d entries for %d events", len(es), len(ids))
	}
	out := make([]LedgerBadge, len(ids))
	for i, e := range es {
		out[i] = LedgerBadge{Included: e.Included, Pending: e.Pending, LeafIndex: e.LeafIndex, CheckpointSize: e.CheckpointSize,
			ProofURL: InclusionProofURL(ids[i])}
	}
	return out, nil
}

// CheckpointJSON is the JSON form of GET /api/v1/checkpoints/latest.
type CheckpointJSON struct {
	Origin   string          `json:"origin"`
	Size     int64           `json:"size"`
	RootHash eventstore.Hash `json:"rootHash"`
	// Note is the signed checkpoint, as text/plain serves it.
	Note string `json:"note"`
	// Position is where the checkpoint's event is in the log.
	Position eventstore.Position `json:"position"`
}

// Stable error codes of the proof API, in the code of its ErrorBody.
const (
	// CodeMissingParameter: neither event nor position, or no from (400).
	CodeMissingParameter = "missing_parameter"
	// CodeConflictingParameters: both event and position (400).
	CodeConflictingParameters = "conflicting_parameters"
	// CodeInvalidEventID: event is not a UUID (400).
	CodeInvalidEventID = "invalid_event_id"
	// CodeInvalidPosition: position is not a global position (400).
	CodeInvalidPosition = "invalid_position"
	// CodeInvalidSize: a tree size that is not a number, or out of range
	// for the tree (400).
	CodeInvalidSize = "invalid_size"
	// CodeUnknownEvent: the tree holds no such event (404).
	CodeUnknownEvent = "unknown_event"
	// CodeNoCheckpoint: no checkpoint has been published yet (404).
	CodeNoCheckpoint = "no_checkpoint"
	// CodeNotYetCheckpointed: the event is after the latest checkpoint;
	// the next one will cover it (409).
	CodeNotYetCheckpointed = "not_yet_checkpointed"
)

type proofs struct {
	src ProofSource
	log *slog.Logger
}

const proofTimeout = 10 * time.Second

func (p *proofs) latest(w http.ResponseWriter, r *http.Request) {
	p.serveCheckpoint(w, r, r.URL.Query().Get("format") == "note" || prefersText(r.Header.Get("Accept")))
}

// checkpoint serves the C2SP checkpoint: the signed note followed by the
// witnesses' cosignature lines, as text/plain.
func (p *proofs) checkpoint(w http.ResponseWriter, r *http.Request) {
	p.serveCheckpoint(w, r, true)
}

// serveCheckpoint serves the latest checkpoint with its cosignatures: the
// note as text/plain, or JSON.
func (p *proofs) serveCheckpoint(w http.ResponseWriter, r *http.Request, text bool) {
	ctx, cancel := context.WithTimeout(r.Context(), proofTimeout)
	defer cancel()
	cp, err := p.src.Witnessed(ctx)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if text {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(cp.Note)
		return
	}
	writeJSON(w, http.StatusOK, CheckpointJSON{Origin: cp.Origin, Size: cp.Size, RootHash: eventstore.Hash(cp.Root), Note: string(cp.Note), Position: cp.Position})
}

// prefersText reports whether an Accept header asks for text/plain before
// JSON.
func prefersText(accept string) bool {
	t, j := strings.Index(accept, "text/plain"), strings.Index(accept, "application/json")
	return t >= 0 && (j < 0 || t < j)
}

func (p *proofs) inclusion(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var ref transparency.LeafRef
	ev, pos := q.Get("event"), q.Get("position")
	switch {
	case ev == "" && pos == "":
		proofBadRequest(w, r, CodeMissingParameter, "give event=ID or position=N")
		return
	case ev != "" && pos != "":
		proofBadRequest(w, r, CodeConflictingParameters, "give event=ID or position=N, not both")
		return
	case ev != "":
		id, err := uuid.Parse(ev)
		if err != nil {
			proofBadRequest(w, r, CodeInvalidEventID, "event: not a UUID")
			return
		}
		ref.ID = id
	default:
		n, err := strconv.ParseUint(pos, 10, 63)
		if err != nil || n == 0 {
			proofBadRequest(w, r, CodeInvalidPosition, "position: want a global position, 1 or more")
			return
		}
		ref.Position = eventstore.Position(n)
	}
	size, ok := sizeParam(w, r, q, "size")
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), proofTimeout)
	defer cancel()
	proof, err := p.src.ProveInclusion(ctx, ref, size)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	writeProof(w, proof, size != 0)
}

func (p *proofs) consistency(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("from") == "" {
		proofBadRequest(w, r, CodeMissingParameter, "give from=A (and optionally to=B)")
		return
	}
	from, ok := sizeParam(w, r, q, "from")
	if !ok {
		return
	}
	to, ok := sizeParam(w, r, q, "to")
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), proofTimeout)
	defer cancel()
	proof, err := p.src.ProveConsistency(ctx, from, to)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	writeProof(w, proof, to != 0)
}

// sizeParam reads an optional tree size (0 when absent).
func sizeParam(w http.ResponseWriter, r *http.Request, q url.Values, name string) (int64, bool) {
	s := q.Get(name)
	if s == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		writeError(w, r, slog.Default(), newAPIError(http.StatusBadRequest, CodeInvalidSize, name+": want a tree size, 1 or more").zh(name+"：須為樹的大小，1 或以上"))
		return 0, false
	}
	return n, true
}

// writeProof answers a proof. One over explicit sizes (a fixed tree) never
// changes and may be cached; one against the latest checkpoint may not.
func writeProof(w http.ResponseWriter, v any, fixed bool) {
	cc := "no-cache"
	if fixed {
		cc = "public, max-age=86400, immutable"
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", cc)
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}

func proofBadRequest(w http.ResponseWriter, r *http.Request, code, msg string) {
	writeError(w, r, slog.Default(), newAPIError(http.StatusBadRequest, code, msg).zh(proofMessagesZH[msg]))
}

// proofMessagesZH are proofBadRequest's messages in Chinese.
var proofMessagesZH = map[string]string{
	"give event=ID or position=N":                 "請給 event=ID 或 position=N",
	"give event=ID or position=N, not both":       "請給 event=ID 或 position=N，不要兩者都給",
	"event: not a UUID":                           "event：不是 UUID",
	"position: want a global position, 1 or more": "position：須為帳本的位置，1 或以上",
	"give from=A (and optionally to=B)":           "請給 from=A（可再給 to=B）",
}

// fail answers an error from the proof source: the transparency log's
// refusals by the one error mapping (classify), anything else as the log
// being unable to answer now (503).
func (p *proofs) fail(w http.ResponseWriter, r *http.Request, err error) {
	if classify(err).status == http.StatusInternalServerError {
		err = &apiError{status: http.StatusServiceUnavailable, detail: ErrorDetail{Code: CodeUnavailable, Message: "the transparency log cannot answer now"}, msgZH: "透明紀錄現在無法回答", cause: err}
	}
	writeError(w, r, p.log, err)
}

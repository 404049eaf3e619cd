package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pdis/collab-ledger/eventstore"
)

// Projection folds the global log into read-model documents. It is pure fold
// code: everything it keeps goes through the Tx it is given, so that the same
// projection runs unchanged on every Backend, and a batch that fails leaves
// no trace.
type Projection interface {
	// Name identifies the projection for ever, as "tallies". It names its
	// checkpoint, its documents and its router handler; use lowercase
	// letters, digits, '-' and '_'.
	Name() string
	// Version is the version of the fold logic, from 1. Bump it when Apply
	// changes what it writes: the Runner then rebuilds the projection from
	// the log beside the current one and switches when it has caught up.
	Version() int
	// Apply folds one event into the documents. Events arrive in global
	// order, each exactly once as far as the committed state can tell. An
	// error stops the projection at this event (after the router's
	// retries): nothing Apply wrote for it is kept, and the checkpoint stays
	// just before it. Apply must not keep state of its own between calls.
	Apply(ctx context.Context, tx Tx, ev eventstore.Event) error
}

// Reader reads documents: committed ones for queries, or a batch's view of
// them (its own writes included) inside Apply. Values are JSON documents.
type Reader interface {
	// Get decodes the document (collection, key) into v and reports whether
	// it exists. v is left untouched when it does not.
	Get(ctx context.Context, collection, key string, v any) (bool, error)
	// Scan calls fn for every document of collection whose key starts with
	// prefix, in byte order of keys, with the document's JSON. raw is valid
	// only during the call and must not be modified. An error from fn stops
	// the scan and is returned.
	Scan(ctx context.Context, collection, prefix string, fn func(key string, raw []byte) error) error
}

// PageReader is an optional interface of a Reader that reads one page of a
// long run of documents: those of collection whose keys start with prefix
// and sort after after ("": from the first), at most limit of them (0: no
// limit), in byte order of keys. A backend behind a network answers it with
// one bounded query, where a Scan stopped early would still have had every
// document of prefix sent. Both backends implement it; ScanPage serves any
// Reader.
type PageReader interface {
	ScanPage(ctx context.Context, collection, prefix, after string, limit int, fn func(key string, raw []byte) error) error
}

// ScanPage calls fn for the page of documents PageReader describes, with
// r's ScanPage if it has one, else with Scan. An error from fn stops it and
// is returned.
func ScanPage(ctx context.Context, r Reader, collection, prefix, after string, limit int, fn func(key string, raw []byte) error) error {
	if pr, ok := r.(PageReader); ok {
		return pr.ScanPage(ctx, collection, prefix, after, limit, fn)
	}
	n := 0
	err := r.Scan(ctx, collection, prefix, func(key string, raw []byte) error {
		if key <= after {
			return nil
		}
		if limit > 0 && n == limit {
			return errPageFull
		}
		n++
		return fn(key, raw)
	})
	if errors.Is(err, errPageFull) {
		return nil
	}
	return err
}

// Page names one page for ScanPages: the documents whose keys start with
// Prefix and sort after After, at most Limit of them (0: all).
type Page struct {
	Prefix, After string
	Limit         int
}

// MultiPageReader is an optional interface of a Reader that reads several
// pages of a collection at once: a backend behind a network sends them in
// one round trip. fn sees each page's documents in key order, the pages in
// order; an error from fn stops it and is returned.
type MultiPageReader interface {
	ScanPages(ctx context.Context, collection string, pages []Page, fn func(page int, key string, raw []byte) error) error
}

// ScanPages reads pages with r's ScanPages if it has one, else one ScanPage
// at a time.
func ScanPages(ctx context.Context, r Reader, collection string, pages []Page, fn func(page int, key string, raw []byte) error) error {
	if mr, ok := r.(MultiPageReader); ok {
		return mr.ScanPages(ctx, collection, pages, fn)
	}
	for i, p := range pages {
		err := ScanPage(ctx, r, collection, p.Prefix, p.After, p.Limit, func(key string, raw []byte) error { return fn(i, key, raw) })
		if err != nil {
			return err
		}
	}
	return nil
}

// errPageFull ends ScanPage's Scan once the page is full.
var errPageFull = errors.New("page full")

// Tx is what a projection's Apply sees: the documents of its own read model
// by (collection, key), JSON-encoded values, with its writes visible to its
// later reads in the same batch.
type Tx interface {
	Reader
	// Put stores v, encoded as JSON, as the document (collection, key). An
	// Encoded is stored as is, not re-encoded: the caller must not change
	// it afterwards.
	Put(ctx context.Context, collection, key string, v any) error
	// Delete removes the document (collection, key); deleting a missing
	// document is not an error.
	Delete(ctx context.Context, collection, key string) error
}

// DocRef names one document of a projection.
type DocRef struct {
	Collection string
	Key        string
}

// Preloader is an optional interface of a Projection that knows which
// documents an event will read. The Runner asks it for every event of a
// batch before applying any, so that a backend behind a network (PostgreSQL)
// loads them all in one round trip instead of one per event. Leaving a
// document out only costs a round trip; naming one that is not read only
// costs a row.
type Preloader interface {
	Preload(ev eventstore.Event) []DocRef
}

// PreloadAppender is an optional interface of a Preloader that appends an
// event's documents to refs (and returns it), as refs = append(refs,
// Preload(ev)...) would, without a slice of its own for every event: the
// Runner asks a projection that folds every signature of a bulk import for
// a batch's documents, a million times an import.
type PreloadAppender interface {
	AppendPreload(refs []DocRef, ev eventstore.Event) []DocRef
}

// Get reads the document (collection, key) as a T: its value and whether it
// exists (the zero T when it does not).
func Get[T any](ctx context.Context, r Reader, collection, key string) (T, bool, error) {
	var v T
	ok, err := r.Get(ctx, collection, key, &v)
	return v, ok, err
}

// Update reads the document (collection, key) as a T (the zero T when
// missing), lets fn change it and stores the result. An error from fn is
// returned and nothing is stored.
//
// Inside the Runner's Apply, a document that several events of one batch
// update is decoded once and encoded once, at commit: fn then changes the
// value the previous Update left, which is what decoding that one's
// encoding would give, provided T survives a JSON round trip unchanged
// (no field the JSON leaves out, as `json:"-"` or unexported ones, that fn
// relies on).
func Update[T any](ctx context.Context, tx Tx, collection, key string, fn func(v *T) error) error {
	if b, ok := tx.(*batch); ok {
		return update(ctx, b, collection, key, fn)
	}
	v, _, err := Get[T](ctx, tx, collection, key)
	if err != nil {
		return err
	}
	if err := fn(&v); err != nil {
		return err
	}
	return tx.Put(ctx, collection, key, v)
}

// ScanAll decodes every document of collection whose key starts with prefix
// as a T and calls fn with it, in key order.
func ScanAll[T any](ctx context.Context, r Reader, collection, prefix string, fn func(key string, v T) error) error {
	return r.Scan(ctx, collection, prefix, func(key string, raw []byte) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("decode %s/%s: %w", collection, key, err)
		}
		return fn(key, v)
	})
}

// Errors callers branch on with errors.Is.
var (
	// ErrUnknownProjection: no projection of that name is registered.
	ErrUnknownProjection = errors.New("unknown projection")
	// ErrNoActiveGeneration: the projection has no read model to query yet.
	ErrNoActiveGeneration = errors.New("projection has no active generation")
	// ErrCheckpointMoved: a commit expected the checkpoint somewhere it no
	// longer is (another runner, or a generation that was switched away);
	// nothing was written.
	ErrCheckpointMoved = errors.New("projection checkpoint moved")
	// ErrUnknownGeneration: the generation does not exist (any more).
	ErrUnknownGeneration = errors.New("unknown projection generation")
)

// ApplyError reports the event a projection could not apply. It is what a
// failed projection's status shows.
type ApplyError struct {
	Projection string
	Generation uint64
	// Position, EventID, Stream and Type say which event failed.
	Position eventstore.Position
	EventID  string
	Stream   string
	Type     string
	Err      error
}

func (e *ApplyError) Error() string {
	return fmt.Sprintf("projection %s (generation %d): apply %s event %s at position %d in %s: %v",
		e.Projection, e.Generation, e.Type, e.EventID, e.Position, e.Stream, e.Err)
}

// Unwrap returns the projection's error.
func (e *ApplyError) Unwrap() error { return e.Err }

// validName reports whether a projection or collection name is usable: 1 to
// 64 of [a-z0-9_-].
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

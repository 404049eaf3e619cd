package readmodels

import (
	"context"

	"github.com/blevesearch/bleve/v2"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// Decoded returns p folding every event decoded, without its JSON fast
// paths (p itself when it has none).
func Decoded(p projections.Projection) projections.Projection {
	switch p.(type) {
	case Trail:
		return Trail{path: decodedFold}
	case Transcripts:
		return Transcripts{path: decodedFold}
	case Tallies:
		return Tallies{path: decodedFold}
	case Counties:
		return Counties{path: decodedFold}
	case Signatures:
		return Signatures{path: decodedFold}
	}
	return p
}

// TakesFastPath reports whether p's fast path folds ev (rather than
// leaving it to the decoded fold), into a scratch Tx.
func TakesFastPath(p projections.Projection, ev eventstore.Event) bool {
	ctx := context.Background()
	var fast func(context.Context, projections.Tx, eventstore.Event) (bool, error)
	switch p.(type) {
	case Trail:
		fast = fastEntry
	case Transcripts:
		fast = fastTranscript
	case Tallies:
		fast = fastSigned
	case Counties:
		fast = fastCounty
	case Signatures:
		fast = fastSignature
	default:
		return false
	}
	for range 2 { // the first event of a type may only teach fastEntry its plan
		if done, err := fast(ctx, newMemTx(nil), ev); done {
			return err == nil
		}
	}
	return false
}

// SearchDocs returns every document of the index, by ID.
func SearchDocs(s *Search) (map[string]SearchDoc, error) {
	req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), 100000, 0, false)
	req.Fields = []string{"*"}
	res, err := s.idx.Search(req)
	if err != nil {
		return nil, err
	}
	out := make(map[string]SearchDoc, len(res.Hits))
	for _, h := range res.Hits {
		out[h.ID] = docOf(h.Fields)
	}
	return out, nil
}

// PlantSearchDoc writes d as the document id straight into the index, as
// an index made when d held what the log no longer gives would hold it.
func PlantSearchDoc(s *Search, id string, d SearchDoc) error { return s.idx.Index(id, d) }

// OnSignedRead sets a function called for every signature the read models
// read from its JSON rather than take as another fold read it (readSigned),
// until the test ends. Set it before any fold runs.
func OnSignedRead(t interface{ Cleanup(func()) }, fn func(ev eventstore.Event)) {
	onSignedRead = fn
	t.Cleanup(func() { onSignedRead = nil })
}

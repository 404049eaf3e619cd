package readmodels

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/pdis/collab-ledger/eventstore"
)

// The query side of the Search read model (its indexing is in search.go).
//
// A query asks bleve for one page (its top-N collector keeps From+Size hits
// while it counts them all) with the stored fields of that page only. The
// answers are kept in a cache keyed by the words, the kind, the page and the
// index's generation — a counter moved only when a batch that changes the
// documents is written, not by the many events that index nothing — so a
// common word asked for by many people is searched once per change of the
// index, and concurrent identical searches run once (decision 0039).

// SearchQuery is a search.
type SearchQuery struct {
	// Text is what was typed: words (Chinese or English), all of which a
	// result contains (each word's every CJK bigram); "quoted phrases" are
	// one word.
	Text string
	// Kind, if set, selects one kind of result.
	Kind   string
	Offset int
	Limit  int
}

// SearchHit is a result.
type SearchHit struct {
	SearchDoc
	// ID is the index's document ID.
	ID    string  `json:"id"`
	Score float64 `json:"score"`
	// Snippet is the text around the first place a word matched.
	Snippet string `json:"snippet"`
}

// SearchResult is a page of results.
type SearchResult struct {
	Total uint64      `json:"total"`
	Hits  []SearchHit `json:"hits"`
	// Meetings are the meetings with the most results, most first.
	Meetings []MeetingHits `json:"meetings,omitempty"`
	// Position is the log position the index reflected.
	Position eventstore.Position `json:"position"`
	// Took is how long bleve took to answer (when the answer was
	// computed: a cached answer took that long once).
	Took time.Duration `json:"took"`
}

// MeetingHits is a meeting and how many results it holds.
type MeetingHits struct {
	MeetingID string `json:"meetingId"`
	Title     string `json:"title"`
	CaseID    string `json:"caseId,omitempty"`
	Hits      int    `json:"hits"`
}

// ErrEmptySearch: nothing to search for.
var ErrEmptySearch = errors.New("nothing to search for")

// DefaultSearchCacheBytes is the answers' cache budget SearchConfig uses
// for 0.
const DefaultSearchCacheBytes = 32 << 20

// searchKey names one answer: a page of a search at one generation of the
// index. The facet (the meetings with the most results) is the same for
// every page, and kept under the key with offset -1.
type searchKey struct {
	words         string // the words, lower case, joined by \x1f
	kind          string
	offset, limit int
	gen           uint64
}

func (k searchKey) String() string {
	return k.words + "\x1e" + k.kind + "\x1e" + strconv.Itoa(k.offset) + "\x1e" + strconv.Itoa(k.limit) + "\x1e" + strconv.FormatUint(k.gen, 10)
}

// Generation counts the writes to the index that changed its documents:
// two answers at the same generation are the same.
func (s *Search) Generation() uint64 { return s.gen.Load() }

// SearchCacheStats are the answers' cache counters.
type SearchCacheStats struct {
	Hits, Misses uint64
	Entries      int
	Bytes        int
	// Searches is how many searches the index ran.
	Searches uint64
}

// CacheStats returns the answers' cache counters.
func (s *Search) CacheStats() SearchCacheStats {
	st := s.cache.Stats()
	return SearchCacheStats{Hits: st.Hits, Misses: st.Misses, Entries: st.Entries, Bytes: st.Cost, Searches: s.searches.Load()}
}

// Query searches the index. The answer's Hits and Meetings may be shared
// with other callers (they come from a cache): do not modify them.
func (s *Search) Query(ctx context.Context, q SearchQuery) (SearchResult, error) {
	words := searchWords(q.Text)
	if len(words) == 0 {
		return SearchResult{}, ErrEmptySearch
	}
	if q.Limit <= 0 {
		q.Limit = 20
	}
	q.Offset = max(q.Offset, 0)
	// The position first, then the generation: the documents of the
	// generation read reflect at least that position.
	pos := s.Position()
	key := searchKey{words: strings.ToLower(strings.Join(words, "\x1f")), kind: q.Kind, offset: q.Offset, limit: q.Limit, gen: s.gen.Load()}
	for {
		if res, ok := s.cache.Get(key); ok {
			res.Position = pos
			return res, nil
		}
		ch := s.flight.DoChan(key.String(), func() (any, error) {
			// A search that ended between the Get above and here has
			// left its answer.
			if res, ok := s.cache.Get(key); ok {
				return res, nil
			}
			res, err := s.query(ctx, words, q, key)
			if err == nil {
				s.cache.Put(key, res, resultCost(res))
			}
			return res, err
		})
		select {
		case <-ctx.Done():
			return SearchResult{}, fmt.Errorf("search %q: %w", q.Text, ctx.Err())
		case r := <-ch:
			// The search ran under the context of whoever asked first: if
			// that one gave up, ask again under this one.
			if r.Err != nil && r.Shared && ctx.Err() == nil && (errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, context.DeadlineExceeded)) {
				continue
			}
			if r.Err != nil {
				return SearchResult{}, r.Err
			}
			res := r.Val.(SearchResult)
			res.Position = pos
			return res, nil
		}
	}
}

// query asks the index for one page of a search, and for the meetings
// with the most results unless they are in the cache.
func (s *Search) query(ctx context.Context, words []string, q SearchQuery, key searchKey) (SearchResult, error) {
	var must []query.Query
	for _, w := range words {
		var any []query.Query
		for _, f := range []string{"text", "title", "speaker"} {
			// Every bigram (or word) of w, in any order: without term
			// vectors (a smaller index) a phrase query cannot run, and
			// CJK bigrams all present almost always mean the phrase.
			mq := bleve.NewMatchQuery(w)
			mq.SetField(f)
			mq.SetOperator(query.MatchQueryOperatorAnd)
			any = append(any, mq)
		}
		must = append(must, bleve.NewDisjunctionQuery(any...))
	}
	if q.Kind != "" {
		kq := bleve.NewTermQuery(q.Kind)
		kq.SetField("kind")
		must = append(must, kq)
	}
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(must...), q.Limit, q.Offset, false)
	req.Fields = []string{"*"}
	// Best first; equal scores in the index's order. Sorting them by date
	// and ID as well read both for every result, not only the page's: two
	// thirds of a common word's search (decision 0039).
	req.SortBy([]string{"-_score"})
	facetKey := key
	facetKey.offset, facetKey.limit = -1, 0
	meetings, haveFacet := s.cache.Get(facetKey)
	if !haveFacet {
		req.AddFacet("meetings", bleve.NewFacetRequest("meetingId", 5))
	}
	s.searches.Add(1)
	res, err := s.idx.SearchInContext(ctx, req)
	if err != nil {
		return SearchResult{}, fmt.Errorf("search %q: %w", q.Text, err)
	}
	out := SearchResult{Total: res.Total, Took: res.Took, Hits: make([]SearchHit, 0, len(res.Hits)), Meetings: meetings.Meetings}
	if f := res.Facets["meetings"]; !haveFacet && f != nil && f.Terms != nil {
		s.mu.Lock()
		for _, t := range f.Terms.Terms() {
			if t.Term == "" {
				continue // the results that belong to no meeting
			}
			mi := s.meetings[t.Term]
			out.Meetings = append(out.Meetings, MeetingHits{MeetingID: t.Term, Title: mi.title, CaseID: mi.caseID, Hits: t.Count})
		}
		s.mu.Unlock()
		facet := SearchResult{Meetings: out.Meetings}
		s.cache.Put(facetKey, facet, resultCost(facet))
	}
	for _, h := range res.Hits {
		d := docOf(h.Fields)
		out.Hits = append(out.Hits, SearchHit{SearchDoc: d, ID: h.ID, Score: h.Score, Snippet: snippet(d.Text, words)})
	}
	return out, nil
}

// resultCost is about how many bytes an answer holds.
func resultCost(r SearchResult) int {
	n := 128
	for _, h := range r.Hits {
		n += 256 + len(h.Title) + len(h.Text) + len(h.Speaker) + len(h.Snippet) + len(h.ID)
	}
	for _, m := range r.Meetings {
		n += 64 + len(m.MeetingID) + len(m.Title) + len(m.CaseID)
	}
	return n
}

// searchWords splits what was typed into words and "quoted phrases".
func searchWords(text string) []string {
	var out []string
	for i, part := range strings.Split(text, `"`) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if i%2 == 1 {
			out = append(out, part)
			continue
		}
		out = append(out, strings.Fields(part)...)
	}
	if len(out) > 16 {
		out = out[:16]
	}
	return out
}

// snippet returns up to about 120 characters of text around the first
// word found in it.
func snippet(text string, words []string) string {
	lower := strings.ToLower(text)
	at := -1
	for _, w := range words {
		if i := strings.Index(lower, strings.ToLower(w)); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	const before, width = 40, 120
	start := 0
	if at > 0 {
		start = at
		for n := 0; n < before && start > 0; n++ {
			_, size := utf8.DecodeLastRuneInString(text[:start])
			start -= size
		}
	}
	r := []rune(text[start:])
	out := string(r[:min(len(r), width)])
	if start > 0 {
		out = "…" + out
	}
	if len(r) > width {
		out += "…"
	}
	return strings.ReplaceAll(out, "\n", " ")
}

// docOf reads a document back from a hit's stored fields.
func docOf(f map[string]any) SearchDoc {
	str := func(k string) string { v, _ := f[k].(string); return v }
	d := SearchDoc{Kind: str("kind"), Title: str("title"), Text: str("text"), Speaker: str("speaker"), ProposalID: str("proposalId"),
		CaseID: str("caseId"), MeetingID: str("meetingId"), UtteranceID: str("utteranceId"), NoteID: str("noteId"),
		QuestionID: str("questionId"), RecommendationID: str("recommendationId")}
	if t, err := time.Parse(time.RFC3339, str("occurredAt")); err == nil {
		d.OccurredAt = t
	}
	if p, ok := f["position"].(float64); ok {
		d.Position = uint64(p)
	}
	return d
}

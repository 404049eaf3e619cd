package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/readmodels"
)

// Search across titles, proposals, transcripts and notes (the Search read
// model, readmodels/search.go), in Chinese and English.
//
//	GET /search?q=&kind=&page=                 the search page
//	GET /api/v1/search?q=&kind=&offset=&limit= the same as JSON
//	GET /meetings/{id}/utterances/{uid}        an utterance: redirects to its place in the transcript

// Searcher answers searches: *readmodels.Search is one.
type Searcher interface {
	Query(ctx context.Context, q readmodels.SearchQuery) (readmodels.SearchResult, error)
	Position() eventstore.Position
	// Generation moves whenever the answers may have changed.
	Generation() uint64
}

// searchKinds are the kinds of result a search can be narrowed to.
var searchKinds = []string{"utterance", "note", "question", "proposal", "case", "recommendation", "meeting"}

// SearchPath is the search route of the query API.
const SearchPath = "/api/v1/search"

func (s *server) registerSearch(mux *http.ServeMux) {
	mux.HandleFunc("GET /search", s.liveOnly(s.pageSearch))
	mux.HandleFunc("GET "+SearchPath, s.liveOnly(s.query(s.apiSearch)))
	mux.HandleFunc("GET /meetings/{id}/utterances/{uid}", s.liveOnly(s.pageUtterance))
}

// searchQueryOf reads a search's parameters; msg turns a problem into a
// message in the caller's language.
func searchQueryOf(r *http.Request, size int, msg func(key string) string) (readmodels.SearchQuery, error) {
	q := r.URL.Query()
	sq := readmodels.SearchQuery{Text: strings.TrimSpace(q.Get("q")), Kind: q.Get("kind"), Limit: size}
	if len([]rune(sq.Text)) > 200 {
		return sq, badRequest(msg("search.err.long")).zh(tr(LangZhHant, "search.err.long"))
	}
	if sq.Kind != "" && !slices.Contains(searchKinds, sq.Kind) {
		return sq, badRequest(msg("search.err.kind")).zh(tr(LangZhHant, "search.err.kind"))
	}
	return sq, nil
}

func (s *server) apiSearch(ctx context.Context, r *http.Request) (any, readmodels.View, error) {
	if s.cfg.Search == nil {
		return nil, readmodels.Public, newAPIError(http.StatusServiceUnavailable, CodeUnavailable, "this server runs no search index").zh("這個伺服器沒有執行搜尋索引")
	}
	en := func(k string) string { return tr(LangEn, k) }
	sq, err := searchQueryOf(r, 20, en)
	if err != nil {
		return nil, readmodels.Public, err
	}
	if sq.Offset, err = intParam(r.URL.Query().Get("offset"), 0, 0, 10000); err != nil {
		return nil, readmodels.Public, badParam("offset", err)
	}
	if sq.Limit, err = intParam(r.URL.Query().Get("limit"), 20, 1, 100); err != nil {
		return nil, readmodels.Public, badParam("limit", err)
	}
	res, err := s.cfg.Search.Query(ctx, sq)
	if errors.Is(err, readmodels.ErrEmptySearch) {
		return nil, readmodels.Public, badRequest(en("search.err.empty")).zh(tr(LangZhHant, "search.err.empty"))
	}
	return res, readmodels.Public, err
}

// SearchData is the search page's data.
type SearchData struct {
	Q, Kind string
	Kinds   []string
	// Searched says a search ran (there was something to search for).
	Searched bool
	Result   readmodels.SearchResult
	Hits     []SearchRow
	Paging   ListPaging
	// Behind is how many events the index has still to read.
	Behind uint64
}

// SearchRow is a result as the page shows it.
type SearchRow struct {
	readmodels.SearchHit
	Link string
	// Lang is the language the result's text looks to be in.
	Lang string
}

const searchPageSize = 20

func (s *server) pageSearch(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	p := newPage(w, r, "")
	p.Title = p.T("search.title")
	if s.cfg.Search == nil {
		s.pageError(w, r, p, newAPIError(http.StatusServiceUnavailable, CodeUnavailable, p.T("search.err.none")))
		return
	}
	sq, err := searchQueryOf(r, searchPageSize, p.T)
	page := 1
	if err == nil {
		if page, err = intParam(r.URL.Query().Get("page"), 1, 1, 500); err != nil {
			err = badRequest(p.T("list.err.page"))
		}
	}
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	d := SearchData{Q: sq.Text, Kind: sq.Kind, Kinds: searchKinds}
	// The generation before the answer: the answer is at least as recent.
	gen := s.cfg.Search.Generation()
	if head, err := s.cfg.Store.Head(ctx); err == nil && head > s.cfg.Search.Position() {
		d.Behind = uint64(head - s.cfg.Search.Position())
	}
	key, kept := s.keptSearchPage(w, r, p, gen, d.Behind)
	if kept {
		return
	}
	if sq.Text != "" {
		sq.Offset = (page - 1) * searchPageSize
		res, err := s.cfg.Search.Query(ctx, sq)
		if err != nil && !errors.Is(err, readmodels.ErrEmptySearch) {
			s.pageError(w, r, p, err)
			return
		}
		d.Searched, d.Result = err == nil, res
		for _, h := range res.Hits {
			d.Hits = append(d.Hits, SearchRow{SearchHit: h, Link: searchLink(h.SearchDoc), Lang: textLang(h.Text + h.Title)})
		}
		total := int(min(res.Total, 500*searchPageSize))
		d.Paging = ListPaging{Total: int(res.Total), From: sq.Offset + 1}
		d.Paging.Pager = newPager(r, page, (total+searchPageSize-1)/searchPageSize, "")
	}
	if sq.Text != "" {
		p.Title = sq.Text + " · " + p.T("search.title")
	}
	p.Data = d
	var keep func([]byte)
	if key.uri != "" {
		keep = func(body []byte) {
			if p.Status == http.StatusOK && p.Who == nil {
				s.searchPages.Put(key, bytes.Clone(body), len(body)+len(key.uri))
			}
		}
	}
	s.renderKeep(w, r, "search", p, keep)
}

// searchPagesBytes bounds the rendered search pages kept.
const searchPagesBytes = 16 << 20

// searchPageKey names a rendered search page: the index's generation, how
// far behind the log it was (the page says so), the language, and the
// request's path and query (the words, kind and page, and the links).
type searchPageKey struct {
	gen, behind uint64
	lang, uri   string
}

// keptSearchPage answers r with the search page kept for it, if there is
// one; otherwise it returns the key to keep the page under once rendered
// (uri empty: not to be kept). As the lists' pages (keptListPage), only
// pages for someone not signed in are kept.
func (s *server) keptSearchPage(w http.ResponseWriter, r *http.Request, p *Page, gen, behind uint64) (searchPageKey, bool) {
	s.decorate(r, p)
	if p.Who != nil || p.View != readmodels.Public {
		return searchPageKey{}, false
	}
	k := searchPageKey{gen: gen, behind: behind, lang: p.Lang, uri: r.URL.RequestURI()}
	body, ok := s.searchPages.Get(k)
	if ok {
		writePage(w, p, body)
	}
	return k, ok
}

// searchLink is where a result leads: the utterance, note or question in
// its meeting, the recommendation in its case, the proposal, the case.
func searchLink(d readmodels.SearchDoc) string {
	m := "/meetings/" + url.PathEscape(d.MeetingID)
	switch d.Kind {
	case "utterance":
		return m + "/utterances/" + url.PathEscape(d.UtteranceID)
	case "note":
		return m + "#note-" + d.NoteID
	case "question":
		return m + "#q-" + d.QuestionID
	case "meeting":
		return m
	case "proposal":
		return "/proposals/" + url.PathEscape(d.ProposalID)
	case "recommendation":
		return "/cases/" + url.PathEscape(d.CaseID) + "#rec-" + d.RecommendationID
	}
	return "/cases/" + url.PathEscape(d.CaseID)
}

// textLang guesses whether text is Chinese or English: Chinese if it holds
// any Han character.
func textLang(text string) string {
	for _, r := range text {
		if r >= 0x3400 && r <= 0x9fff || r >= 0xf900 && r <= 0xfaff {
			return LangZhHant
		}
	}
	return LangEn
}

// pageUtterance redirects to the transcript page that holds an utterance,
// at its anchor.
func (s *server) pageUtterance(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	p := newPage(w, r, "")
	id, uid := r.PathValue("id"), r.PathValue("uid")
	m, _, err := s.meetingAt(ctx, domain.MeetingID(id), readmodels.Public, readmodels.Window{Offset: 0, Limit: 1})
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	if m.Transcript != nil {
		for i, u := range m.Transcript.Utterances {
			if u.UtteranceID == uid {
				target := "/meetings/" + url.PathEscape(id)
				if page := i/utterancePageSize + 1; page > 1 {
					target += "?page=" + strconv.Itoa(page)
				}
				http.Redirect(w, r, target+"#u-"+uid, http.StatusSeeOther)
				return
			}
		}
	}
	s.pageError(w, r, p, notFound("utterance "+uid))
}

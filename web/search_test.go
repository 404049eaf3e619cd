package web_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/readmodels"
	"github.com/pdis/collab-ledger/web"
)

// withSearch runs the search read model over the test's store.
func withSearch(t *testing.T) func(*web.Config) {
	return func(cfg *web.Config) {
		idx, err := readmodels.NewSearch(readmodels.SearchConfig{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			// The store closes first (its cleanup was registered later).
			if err := idx.Run(ctx, cfg.Store); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, eventstore.ErrClosed) {
				t.Errorf("search index: %v", err)
			}
		}()
		t.Cleanup(func() { cancel(); <-done; _ = idx.Close() })
		cfg.Search = idx
		searchIndexes[t.Name()] = idx
	}
}

var searchIndexes = map[string]*readmodels.Search{}

// searchCaughtUp waits for the index to read the whole log.
func (pe *pagesEnv) searchCaughtUp() {
	pe.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	head, err := pe.store.Head(ctx)
	if err != nil {
		pe.t.Fatal(err)
	}
	if err := searchIndexes[pe.t.Name()].WaitFor(ctx, head); err != nil {
		pe.t.Fatal(err)
	}
}

// TestSearch: titles, proposals, transcripts (as edited) and notes are
// found in Chinese and English through the real HTTP routes; what the
// public may not see is not; a result leads to the utterance.
func TestSearch(t *testing.T) {
	pe := newPagesEnv(t, withSearch(t))
	pe.story()
	pe.searchCaughtUp()

	for _, c := range []struct{ q, want, not string }{
		{"神豬", `href="/proposals/p-1"`, "zzz"},
		{"神豬", `href="/cases/57"`, "zzz"},
		{"壓力很大", `href="/meetings/m-1/utterances/u-1"`, "zzz"},     // the speaker's edited words
		{"joining", `href="/meetings/m-1/utterances/u-2"`, "zzz"},  // corrected English, any case
		{"THANK", "Audrey Tang", "zzz"},                            // English, case folded; the speaker shown
		{"業務單位", `href="/meetings/m-1#note-n-2"`, "<script>alert"}, // a note, its markup escaped
		{"壓力有一點大", "search.count", "#note-n-1"},                    // the removed note is gone
		{"重複的問題", "找到 0 筆", "q-2"},                                 // the archived question too
		{"專責PO", `href="/cases/57#rec-r1"`, "zzz"},                 // a recommendation
		{`"PO共識營"`, `href="/meetings/m-1"`, "zzz"},                 // a meeting's name
	} {
		code, body, _ := pe.get("/search?q=" + urlQuery(c.q))
		if code != 200 {
			t.Errorf("search %s: %d", c.q, code)
			continue
		}
		if c.want != "search.count" {
			mustContain(t, "search "+c.q, body, c.want)
		}
		mustNotContain(t, "search "+c.q, body, c.not)
	}
	// Narrowed to a kind.
	_, body, _ := pe.get("/search?q=" + urlQuery("神豬") + "&kind=proposal")
	mustContain(t, "kind", body, `href="/proposals/p-1"`)
	mustNotContain(t, "kind", body, `href="/cases/57"`)

	// The utterance's link leads to its place in the transcript.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(pe.srv.URL + "/meetings/m-1/utterances/u-1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/meetings/m-1#u-u-1" {
		t.Errorf("utterance link: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// JSON, and refusals in the page's language.
	code, js, _ := pe.get("/api/v1/search?q=" + urlQuery("神豬"))
	if code != 200 || !strings.Contains(js, `"proposalId":"p-1"`) {
		t.Errorf("api search: %d %s", code, js)
	}
	for path, want := range map[string]string{
		"/api/v1/search?q=":             "請輸入要搜尋的字詞",
		"/api/v1/search?q=&lang=en":     "Type something to search for",
		"/search?q=x&kind=nope":         "搜尋種類不明",
		"/search?q=x&kind=nope&lang=en": "Unknown kind of result",
	} {
		code, body, _ := pe.get(path)
		if code != 400 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want 400 with %q: %s", path, code, want, body)
		}
	}
}

func urlQuery(s string) string {
	r := strings.NewReplacer(" ", "+", `"`, "%22", "#", "%23", "&", "%26")
	return r.Replace(s)
}

// TestSearchPageKept: the search page is rendered once per generation of
// the index and language for the signed-out (the same page again, the
// other language's its own), and a new document with the words shows at
// once (it moved the generation).
func TestSearchPageKept(t *testing.T) {
	pe := newPagesEnv(t, withSearch(t))
	pe.story()
	pe.searchCaughtUp()
	q := "/search?q=" + urlQuery("神豬")
	_, zh1, _ := pe.get(q)
	_, zh2, _ := pe.get(q)
	_, en, _ := pe.get(q + "&lang=en")
	if zh1 != zh2 {
		t.Error("the same search twice: two pages")
	}
	mustContain(t, "English", en, `lang="en"`, "Search")
	mustContain(t, "Chinese", zh1, `href="/proposals/p-1"`)
	mustNotContain(t, "Chinese", zh1, `href="/proposals/p-9"`)
	proposer := domain.Actor{ID: string(domain.Pseudonym(apiSecret, "F123456780")), Role: domain.RoleProposer}
	pe.do("2019-02-01 10:00", proposer, domain.SubmitProposal{ProposalID: "p-9", Title: "神豬新議", Summary: "再議神豬"})
	pe.caughtUp()
	pe.searchCaughtUp()
	_, zh3, _ := pe.get(q)
	mustContain(t, "after a new proposal", zh3, `href="/proposals/p-9"`, `href="/proposals/p-1"`)
}

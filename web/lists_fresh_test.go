package web_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/tokens"
	"github.com/pdis/collab-ledger/web"
)

// TestListsKeptAcrossUnrelatedAppends: the lists' directory is built from
// the read models it reads, not from the log's head. A signed checkpoint
// appended to the log (what moves the head most often on a running server)
// and tokens issued (events no list reads) leave the build and the
// rendered pages as they were; a signature that
// establishes a proposal rebuilds it, and the lists and the home page show
// the proposal moved from collecting to awaiting a response.
func TestListsKeptAcrossUnrelatedAppends(t *testing.T) {
	tl := newLoadLedger(t)
	pe := newPagesEnv(t, tl.tweak)
	pe.story()
	pe.homeStory()
	h := pe.srv.Config.Handler

	_, collecting, _ := pe.get("/proposals?state=collecting")
	mustContain(t, "collecting before", collecting, "公園增設飲水機")
	_, home, _ := pe.get("/")
	mustContain(t, "home before", home, "公園增設飲水機")
	_, cases, _ := pe.get("/cases")
	build := web.DirectoryBuild(h)
	if build == 0 {
		t.Fatal("no directory after the lists were read")
	}

	ctx := context.Background()
	before, err := tl.store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := pe.tokens.Issue(ctx, testIssuer, tokens.Request{Role: domain.RoleAuditor, ActorID: fmt.Sprintf("auditor-%d", i)}); err != nil {
			t.Fatal(err)
		}
		tl.checkpoint(t)
		pe.caughtUp()
		for _, path := range []string{"/", "/proposals?state=collecting", "/ministries"} {
			if code, _, _ := pe.get(path); code != 200 {
				t.Fatalf("%s: %d", path, code)
			}
		}
	}
	after, err := tl.store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after <= before {
		t.Fatalf("the checkpoints did not move the head (%d → %d)", before, after)
	}
	if got := web.DirectoryBuild(h); got != build {
		t.Fatalf("checkpoints appended (head %d → %d) rebuilt the directory: build %d → %d", before, after, build, got)
	}
	if _, again, _ := pe.get("/proposals?state=collecting"); again != collecting {
		t.Error("the collecting list read otherwise after checkpoints alone")
	}
	if _, again, _ := pe.get("/cases"); again != cases {
		t.Error("the case index read otherwise after checkpoints alone")
	}

	// The second valid signature establishes p-now (threshold 2).
	c2 := citizenActor("A200000002")
	now := time.Now()
	pe.now.Store(&now)
	if _, err := pe.ledger.Execute(ctx, c2, domain.SignProposal{ProposalID: "p-now", Signer: domain.SignerID(c2.ID)}, app.WithOccurredAt(now)); err != nil {
		t.Fatal(err)
	}
	pe.caughtUp()
	if got := web.DirectoryBuild(h); got == build {
		t.Fatal("a signature did not rebuild the directory")
	}
	_, collecting, _ = pe.get("/proposals?state=collecting")
	mustNotContain(t, "collecting after the signature", collecting, "公園增設飲水機")
	_, awaiting, _ := pe.get("/proposals?state=awaiting")
	mustContain(t, "awaiting after the signature", awaiting, "公園增設飲水機")
	_, home, _ = pe.get("/")
	i, j := strings.Index(home, `id="collecting"`), strings.Index(home, `id="awaiting"`)
	if i < 0 || j < i {
		t.Fatal("home: no collecting or awaiting section")
	}
	mustNotContain(t, "home collecting after the signature", home[i:j], "公園增設飲水機")
	mustContain(t, "home awaiting after the signature", home[j:], "公園增設飲水機")
}

// manyProposals records n published proposals, t-000 … (titles numbered
// so that their title order is known), for moi and mohw in turn.
func (pe *pagesEnv) manyProposals(n int) {
	pe.t.Helper()
	proposer := domain.Actor{ID: string(domain.Pseudonym(apiSecret, "F223456789")), Role: domain.RoleProposer}
	ctx := context.Background()
	at := time.Now().Add(-24 * time.Hour)
	pe.now.Store(&at)
	for i := range n {
		id := domain.ProposalID(fmt.Sprintf("t-%03d", i))
		ministry := []domain.MinistryID{"moi", "mohw"}[i%2]
		if _, err := pe.ledger.Execute(ctx, proposer, domain.SubmitProposal{ProposalID: id, Title: fmt.Sprintf("分頁提案%03d", i), Summary: "分頁"}, app.WithOccurredAt(at)); err != nil {
			pe.t.Fatal(err)
		}
		if _, err := pe.ledger.Execute(ctx, staffActor, domain.PublishProposal{ProposalID: id, CompetentMinistry: ministry}, app.WithOccurredAt(at)); err != nil {
			pe.t.Fatal(err)
		}
	}
	pe.caughtUp()
}

// TestListsPaging: a long list is shown 50 rows a page, in the order its
// sort asks, with links to every page that keep the filters and the sort
// (the current page marked aria-current) in both languages; a page read
// again is the same page.
func TestListsPaging(t *testing.T) {
	pe := newPagesEnv(t)
	pe.story()
	pe.manyProposals(120)

	rowIDs := regexp.MustCompile(`<code>(t-\d{3})</code>`)
	ids := func(body string) []string {
		var out []string
		for _, m := range rowIDs.FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	want := func(from, to int) []string {
		var out []string
		for i := from; i < to; i++ {
			out = append(out, fmt.Sprintf("t-%03d", i))
		}
		return out
	}
	for _, c := range []struct {
		path      string
		from, to  int
		count     string
		links     []string
		current   string
		notLinked string
	}{
		// Title order: the story's 停止神豬比重 (p-1, moi's) sorts first.
		{"/proposals?sort=title", 0, 49, "共 121 筆", []string{`href="/proposals?page=2&amp;sort=title"`, `href="/proposals?page=3&amp;sort=title"`}, `<span aria-current="page">1</span>`, `href="/proposals?page=1&amp;sort=title"`},
		{"/proposals?sort=title&page=2", 49, 99, "共 121 筆", []string{`href="/proposals?page=1&amp;sort=title"`, `href="/proposals?page=3&amp;sort=title"`}, `<span aria-current="page">2</span>`, `href="/proposals?page=2&amp;sort=title"`},
		{"/proposals?sort=title&page=3", 99, 120, "共 121 筆", []string{`href="/proposals?page=2&amp;sort=title"`}, `<span aria-current="page">3</span>`, `page=4`},
		// moi's are p-1 and the even ones: 61, on two pages.
		{"/proposals?sort=title&ministry=moi&page=2&lang=en", -1, -1, "61 in all", []string{`href="/proposals?ministry=moi&amp;page=1&amp;sort=title"`}, `<span aria-current="page">2</span>`, `page=3`},
		{"/proposals?q=%E5%88%86%E9%A0%81%E6%8F%90%E6%A1%88&state=collecting&sort=title&page=3", 100, 120, "共 120 筆", []string{`href="/proposals?page=1&amp;q=%E5%88%86%E9%A0%81%E6%8F%90%E6%A1%88&amp;sort=title&amp;state=collecting"`}, `<span aria-current="page">3</span>`, `page=4`},
	} {
		for range 2 { // the second answer comes from the kept page
			code, body, _ := pe.get(c.path)
			if code != 200 {
				t.Fatalf("%s: %d", c.path, code)
			}
			got := ids(body)
			if c.from >= 0 && strings.Join(got, " ") != strings.Join(want(c.from, c.to), " ") {
				t.Errorf("%s: rows %v, want t-%03d … t-%03d", c.path, got, c.from, c.to-1)
			}
			if c.from < 0 {
				var even []string
				for i := 98; i < 120; i += 2 {
					even = append(even, fmt.Sprintf("t-%03d", i))
				}
				if strings.Join(got, " ") != strings.Join(even, " ") {
					t.Errorf("%s: rows %v, want %v", c.path, got, even)
				}
			}
			mustContain(t, c.path, body, append(c.links, c.current, c.count)...)
			mustNotContain(t, c.path, body, c.notLinked)
		}
	}
	_, en, _ := pe.get("/proposals?sort=title&page=2&lang=en")
	mustContain(t, "English pager", en, `<nav class="pager" aria-label="Pages">`)
	_, zh, _ := pe.get("/proposals?sort=title&page=2&lang=zh-Hant")
	mustContain(t, "Chinese pager", zh, `<nav class="pager" aria-label="分頁">`)
}

// TestListPagesKeptOnlyForTheSignedOut: the home page and the lists kept
// rendered for people not signed in are never answered to someone signed
// in (whose pages name them and carry their sign-out form), nor the other
// way round.
func TestListPagesKeptOnlyForTheSignedOut(t *testing.T) {
	e := newSigninEnv(t, func(si *web.SignIn) { si.OIDC = nil; si.Dev = true })
	anon, alice := e.browser(), e.browser()
	if resp, _ := alice.post(e.url+"/signin/dev", url.Values{"role": {"citizen"}, "id": {"alice"}, "return": {"/me"}}); resp.Request.URL.Path != "/me" {
		t.Fatalf("development sign-in: at %s", resp.Request.URL.Path)
	}
	for _, path := range []string{"/", "/proposals", "/meetings", "/monthly", "/ministries", "/cases"} {
		for range 2 {
			if _, page := anon.get(e.url + path); !strings.Contains(page, `id="signin-link"`) || strings.Contains(page, `id="me-link"`) {
				t.Errorf("%s signed out: no sign-in link, or someone's", path)
			}
			if _, page := alice.get(e.url + path); !strings.Contains(page, `id="me-link"`) || strings.Contains(page, `id="signin-link"`) {
				t.Errorf("%s signed in: the signed-out page", path)
			}
		}
	}
}

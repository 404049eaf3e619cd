package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pdis/collab-ledger/internal/testenv"
	"github.com/pdis/collab-ledger/reports"
	"github.com/pdis/collab-ledger/web"
)

// publicPages is one page of every public kind, over the pages' stories:
// the home page, each list, a case with its trail, a proposal, a meeting
// with its transcript, a monthly vote, a ministry, search results, the
// report to the Premier, the PO registry (the ministries list), and the
// page that says something does not exist.
var publicPages = []struct{ kind, path string }{
	{"home", "/"},
	{"case list", "/cases"},
	{"proposal list", "/proposals"},
	{"meeting list", "/meetings"},
	{"monthly vote list", "/monthly"},
	{"ministries and the PO registry", "/ministries"},
	{"case and its trail", "/cases/57"},
	{"case with the chain from a voice", "/cases/60"},
	{"proposal", "/proposals/p-1"},
	{"meeting and transcript", "/meetings/m-1"},
	{"monthly vote", "/monthly/2019-03"},
	{"ministry", "/ministries/moi"},
	{"ministry co-organising a proposal (its co-organised table)", "/ministries/mohw"},
	{"search", "/search?q=%E7%A5%9E%E8%B1%AC"},
	{"report to the Premier", "/reports?from=2019-01-01&to=2019-12-31"},
	{"not found", "/cases/nope"},
}

// TestPublicPagesAccessible: axe-core (WCAG 2.1 A and AA) finds no
// violation on every kind of public page, in both languages, at 1280 px and
// at 390 px; at 390 px nothing runs off the screen and no table squeezes a
// text into a column a character or two wide; on an English page every
// Chinese text people wrote is marked lang="zh-Hant" (and the page has no
// Chinese of its own). One Chromium serves every check.
func TestPublicPagesAccessible(t *testing.T) {
	script := testenv.AxeScript(t)
	bctx := testenv.Chromium(t, testenv.Browser{Timeout: 6 * time.Minute})
	if err := chromedp.Run(bctx); err != nil {
		t.Fatal(err)
	}
	pe := newPagesEnv(t, withSearch(t), func(cfg *web.Config) {
		cfg.Reports = reports.NewService(cfg.Store, reports.ServiceOptions{})
	})
	pe.story()
	pe.chainStory()
	pe.homeStory()
	pe.searchCaughtUp()
	checked := 0
	for _, lang := range []string{"zh-Hant", "en"} {
		for _, pg := range publicPages {
			what := fmt.Sprintf("%s %s (%s)", pg.kind, pg.path, lang)
			sep := "?"
			if strings.Contains(pg.path, "?") {
				sep = "&"
			}
			ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
			if err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(pe.srv.URL+pg.path+sep+"lang="+lang),
				chromedp.WaitVisible("main", chromedp.ByQuery)); err != nil {
				cancel()
				t.Fatalf("%s: %v", what, err)
			}
			for _, width := range []int64{1280, 390} {
				if err := chromedp.Run(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
					t.Fatal(err)
				}
				checked++
				axeReport(t, ctx, script, fmt.Sprintf("%s at %d px", what, width))
				if width == 390 {
					for _, p := range layoutProblems(t, ctx) {
						t.Errorf("%s at 390 px: %s", what, p)
					}
				}
			}
			if lang == "en" {
				for _, p := range unmarkedChinese(t, ctx) {
					t.Errorf("%s: Chinese text without lang=\"zh-Hant\": %s", what, p)
				}
			}
			cancel()
		}
	}
	t.Logf("%d page checks", checked)
}

// layoutProblems lists what does not fit the narrow screen: the document
// wider than the viewport, an element reaching past its right edge (in a
// region that does not scroll on its own), and table cells so narrow that
// their text wraps a character or two per line.
func layoutProblems(t *testing.T, ctx context.Context) []string {
	t.Helper()
	var out []string
	err := chromedp.Run(ctx, chromedp.Evaluate(`(() => {
  const out = [];
  const vw = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > vw + 1) out.push("the page is " + document.documentElement.scrollWidth + " px wide");
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) { const s = getComputedStyle(p); if (s.overflowX === "auto" || s.overflowX === "scroll") return true; } return false; };
  for (const el of document.querySelectorAll("main *")) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > vw + 1 && !scrolls(el)) { out.push("<" + el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + el.className : "") + "> reaches " + Math.round(r.right) + " px"); if (out.length > 5) break; }
  }
  for (const c of document.querySelectorAll("main th, main td")) {
    const text = c.innerText.trim();
    if (text.length < 4) continue;
    const fs = parseFloat(getComputedStyle(c).fontSize);
    const r = c.getBoundingClientRect();
    if (r.width > 2 && r.width < 2.5 * fs && r.height > 3 * fs) { out.push("a cell " + Math.round(r.width) + " px wide holds " + JSON.stringify(text.slice(0, 20))); if (out.length > 10) break; }
  }
  return out;
})()`, &out))
	if err != nil {
		t.Fatalf("layout: %v", err)
	}
	return out
}

// unmarkedChinese lists text of Han characters on an English page that is
// not inside an element marked lang="zh-Hant".
func unmarkedChinese(t *testing.T, ctx context.Context) []string {
	t.Helper()
	var out []string
	err := chromedp.Run(ctx, chromedp.Evaluate(`(() => {
  const out = [];
  const han = /\p{Script=Han}/u;
  const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = w.nextNode(); n; n = w.nextNode()) {
    if (!han.test(n.textContent)) continue;
    const p = n.parentElement;
    if (p.closest("script, style, [hidden]")) continue;
    const marked = p.closest("[lang]");
    if (marked && marked.lang === "zh-Hant") continue;
    out.push(p.tagName.toLowerCase() + (p.id ? "#" + p.id : "") + ": " + JSON.stringify(n.textContent.trim().slice(0, 30)));
    if (out.length > 8) break;
  }
  return out;
})()`, &out))
	if err != nil {
		t.Fatalf("lang: %v", err)
	}
	return out
}

// TestBadRequestInPageLanguage: a malformed query on a page is refused in
// the page's language.
func TestBadRequestInPageLanguage(t *testing.T) {
	pe := newPagesEnv(t)
	pe.story()
	for path, want := range map[string]string{
		"/meetings/m-1?page=x":         "頁碼須為正整數。",
		"/meetings/m-1?page=x&lang=en": "The page must be a positive whole number.",
	} {
		code, body, _ := pe.get(path)
		if code != 400 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want 400 with %q", path, code, want)
		}
	}
}

package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pdis/collab-ledger/internal/testenv"
)

// TestPagerAccessible: the proposals list of 330 (7 pages) on its first, a
// middle and its last page, in both languages: axe-core (WCAG 2.1 A and
// AA) finds no violation at 1280 px and at 390 px, nothing runs off the
// narrow screen, and the pager's keyboard stops are its links in document
// order (first, previous, the pages, next, last; nothing sets a tabindex),
// the current page not one of them.
func TestPagerAccessible(t *testing.T) {
	script := testenv.AxeScript(t)
	bctx := testenv.Chromium(t, testenv.Browser{Timeout: 4 * time.Minute})
	if err := chromedp.Run(bctx); err != nil {
		t.Fatal(err)
	}
	pe := newPagesEnv(t)
	pe.story()
	pe.manyProposals(330)
	for _, c := range []struct {
		path  string
		stops []string // the pager's links, in tab order
	}{
		{"/proposals?page=1&lang=zh-Hant", []string{"2", "3", "4", "5", "下一頁", "最後一頁"}},
		{"/proposals?page=4&lang=en", []string{"First", "Previous", "2", "3", "5", "6", "Next", "Last"}},
		{"/proposals?page=7&lang=zh-Hant", []string{"第一頁", "上一頁", "3", "4", "5", "6"}},
		{"/proposals?page=4&lang=zh-Hant", []string{"第一頁", "上一頁", "2", "3", "5", "6", "下一頁", "最後一頁"}},
	} {
		ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
		if err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(pe.srv.URL+c.path),
			chromedp.WaitVisible("nav.pager", chromedp.ByQuery)); err != nil {
			cancel()
			t.Fatalf("%s: %v", c.path, err)
		}
		for _, width := range []int64{1280, 390} {
			if err := chromedp.Run(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
				t.Fatal(err)
			}
			axeReport(t, ctx, script, fmt.Sprintf("%s at %d px", c.path, width))
			if width == 390 {
				for _, p := range layoutProblems(t, ctx) {
					t.Errorf("%s at 390 px: %s", c.path, p)
				}
			}
		}
		var stops []string
		if err := chromedp.Run(ctx, chromedp.Evaluate(`[...document.querySelectorAll("nav.pager a, nav.pager [tabindex]")].filter(e => e.tabIndex >= 0).map(e => e.textContent.trim())`, &stops)); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(stops) != fmt.Sprint(c.stops) {
			t.Errorf("%s: the pager's keyboard stops %q, want %q", c.path, stops, c.stops)
		}
		cancel()
	}
}

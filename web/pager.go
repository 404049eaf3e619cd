package web

import (
	"net/http"
	"strconv"
)

// pagerRadius is how many pages either side of the current one the pager
// links by number.
const pagerRadius = 2

// Pager is the links between the pages of a long list: first, previous, a
// window of pages around the current one (GapBefore and GapAfter say that
// pages are left out before and after it: an ellipsis), next and last,
// and "page N of M". It is the zero Pager (shown as nothing) for a list of
// one page.
type Pager struct {
	// Page is the current page and Pages how many there are (from 1).
	Page, Pages int
	// First, Prev, Next and Last are the URLs of those pages; "" where
	// there is none (First and Prev on the first page, Next and Last on
	// the last).
	First, Prev, Next, Last string
	// Window is the pages linked by number, the current one marked.
	Window []PageLink
	// GapBefore and GapAfter: pages are left out between the first page
	// and the window, and between the window and the last.
	GapBefore, GapAfter bool
}

// newPager returns the pager of page (from 1) of pages for the list r
// asked for: each link is r's URL with its page parameter set, and
// fragment ("" or "#id") appended.
func newPager(r *http.Request, page, pages int, fragment string) Pager {
	if pages <= 1 {
		return Pager{}
	}
	url := func(n int) string {
		return withQuery(r.URL, map[string]string{"page": strconv.Itoa(n)}) + fragment
	}
	g := Pager{Page: page, Pages: pages}
	if page > 1 {
		g.First, g.Prev = url(1), url(min(page, pages+1)-1)
	}
	if page < pages {
		g.Next, g.Last = url(page+1), url(pages)
	}
	// The window keeps its width at either end: pages 1–5 on page 1.
	lo := max(1, min(page-pagerRadius, pages-2*pagerRadius))
	hi := min(pages, lo+2*pagerRadius)
	for n := lo; n <= hi; n++ {
		g.Window = append(g.Window, PageLink{N: n, URL: url(n), Current: n == page})
	}
	g.GapBefore, g.GapAfter = lo > 1, hi < pages
	return g
}

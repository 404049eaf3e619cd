package web

import (
	"bytes"
	"html/template"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// TestPagerOf42Pages: the pager of a 42-page list (the proposals' on the
// real data) on its first, a middle and its last page, in both languages:
// first and previous (not on page 1), a window of five pages around the
// current one (marked aria-current, not a link) with an ellipsis where
// pages are left out, next and last (not on page 42), and "page N of M",
// in a nav named for screen readers; every link keeps the list's filters.
func TestPagerOf42Pages(t *testing.T) {
	tmpl := template.Must(template.New("t").Funcs(pageFuncs).ParseFS(templateFS, "templates/partials.html"))
	render := func(lang string, page int) string {
		t.Helper()
		r := httptest.NewRequest("GET", "/proposals?state=collecting&page=9", nil)
		var b bytes.Buffer
		if err := tmpl.ExecuteTemplate(&b, "listpager", []any{&Page{Lang: lang}, ListPaging{Pager: newPager(r, page, 42, "")}}); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(b.String())
	}
	link := func(n int, label string) string {
		return `<a href="/proposals?page=` + strconv.Itoa(n) + `&amp;state=collecting" aria-label="` + label + `">` + strconv.Itoa(n) + `</a>`
	}
	nav := func(label, at, items string) string {
		return `<nav class="pager" aria-label="` + label + `">` + "\n" + `<p class="pager-at">` + at + `</p>` + "\n<ul>" + items + "</ul>\n</nav>"
	}
	li := func(s ...string) string { return "<li>" + strings.Join(s, "</li><li>") + "</li>" }
	url := func(n int) string { return `/proposals?page=` + strconv.Itoa(n) + `&amp;state=collecting` }
	gap := `<li class="gap" aria-hidden="true">…</li>`
	for _, c := range []struct {
		lang string
		page int
		want string
	}{
		{LangZhHant, 1, nav("分頁", "第 1 頁，共 42 頁",
			li(`<span aria-current="page">1</span>`, link(2, "第 2 頁"), link(3, "第 3 頁"), link(4, "第 4 頁"), link(5, "第 5 頁"))+gap+
				li(`<a rel="next" href="`+url(2)+`">下一頁</a>`, `<a href="`+url(42)+`">最後一頁</a>`))},
		{LangZhHant, 21, nav("分頁", "第 21 頁，共 42 頁",
			li(`<a href="`+url(1)+`">第一頁</a>`, `<a rel="prev" href="`+url(20)+`">上一頁</a>`)+gap+
				li(link(19, "第 19 頁"), link(20, "第 20 頁"), `<span aria-current="page">21</span>`, link(22, "第 22 頁"), link(23, "第 23 頁"))+gap+
				li(`<a rel="next" href="`+url(22)+`">下一頁</a>`, `<a href="`+url(42)+`">最後一頁</a>`))},
		{LangEn, 42, nav("Pages", "Page 42 of 42",
			li(`<a href="`+url(1)+`">First</a>`, `<a rel="prev" href="`+url(41)+`">Previous</a>`)+gap+
				li(link(38, "Page 38"), link(39, "Page 39"), link(40, "Page 40"), link(41, "Page 41"), `<span aria-current="page">42</span>`))},
		{LangEn, 21, nav("Pages", "Page 21 of 42",
			li(`<a href="`+url(1)+`">First</a>`, `<a rel="prev" href="`+url(20)+`">Previous</a>`)+gap+
				li(link(19, "Page 19"), link(20, "Page 20"), `<span aria-current="page">21</span>`, link(22, "Page 22"), link(23, "Page 23"))+gap+
				li(`<a rel="next" href="`+url(22)+`">Next</a>`, `<a href="`+url(42)+`">Last</a>`))},
	} {
		if got := render(c.lang, c.page); got != c.want {
			t.Errorf("page %d of 42 (%s):\n got  %s\n want %s", c.page, c.lang, got, c.want)
		}
	}
	if got := render(LangEn, 3); !strings.Contains(got, li(`<a href="`+url(1)+`">First</a>`, `<a rel="prev" href="`+url(2)+`">Previous</a>`)+li(link(1, "Page 1"))) {
		t.Errorf("page 3: the window reaches page 1, so no ellipsis before it: %s", got)
	}
	r := httptest.NewRequest("GET", "/proposals", nil)
	if g := newPager(r, 1, 1, ""); g.Window != nil {
		t.Errorf("a list of one page has a pager: %+v", g)
	}
}

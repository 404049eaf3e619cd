package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/internal/testenv"
	"github.com/pdis/collab-ledger/reports"
	"github.com/pdis/collab-ledger/reports/reportstest"
)

// reportVoters is how many ministries, besides the story's three, vote in
// the browser test's monthly meeting: enough for the ballots table to run
// over more than one A4 page.
const reportVoters = 40

// TestReportBrowser serves reportstest's story with `collabledger serve`
// (the report at GET /reports, the trail in the query API) and reads the
// report in headless Chromium as a person would: the headings, the
// checkpoint, key figures in their tables, the language switch to English
// and back, each chart's table of numbers, a figure's query link and an
// event's trail entry followed. Then it prints the page to an A4 PDF and
// checks, from the PDF's text (pdftotext), that no table is cut off, no row
// is split across pages, a table continued on another page repeats its
// header and no chart is split (a long one is scaled to fit); and that
// these checks catch a table too wide for the page, a header that does not
// repeat and a chart taller than a page.
// COLLABLEDGER_REPORT_PDF=FILE keeps the PDF.
func TestReportBrowser(t *testing.T) {
	bctx := testenv.Chromium(t, testenv.Browser{Width: 1024, Height: 1400, Timeout: 3 * time.Minute})
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		testenv.Missing(t, "chromium", "no pdftotext on PATH to read the printed report (apt-get install -y poppler-utils)")
	}
	srv, head := serveReportStory(t)
	reportURL := srv + "/reports?from=" + reportstest.From + "&to=" + reportstest.To

	// The page in Chinese, as served.
	var lang, title, checkpoint, checkpointText string
	var headings []string
	err = chromedp.Run(bctx,
		chromedp.Navigate(reportURL),
		chromedp.WaitVisible("#report-title", chromedp.ByQuery),
		chromedp.Evaluate(`document.documentElement.lang`, &lang),
		chromedp.Text("#report-title", &title, chromedp.ByQuery),
		chromedp.AttributeValue("#checkpoint", "data-checkpoint", &checkpoint, nil, chromedp.ByQuery),
		chromedp.Text("#checkpoint", &checkpointText, chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('main h2')).map(h => h.innerText)`, &headings),
	)
	if err != nil {
		t.Fatalf("the report page: %v", err)
	}
	if lang != "zh-Hant" || !strings.HasPrefix(title, "參與流程報告") {
		t.Errorf("the page reads lang %q, title %q", lang, title)
	}
	if checkpoint != strconv.FormatUint(head, 10) || !strings.HasPrefix(checkpointText, fmt.Sprintf("%d (%d 筆事件)", head, head)) {
		t.Errorf("the checkpoint reads %q (%q); the log's head is %d", checkpointText, checkpoint, head)
	}
	wantHeadings := []string{"本期重點（與前期比較）", "案件一覽", "逾期未回應名單", "附錄：各項數字與來源", "提案", "部會回應期限（2 個月）", "各部會回應期限", "參與官每月會議", "各部會投票數", "新立案件（依來源）",
		"期末各階段案件數", "期間內各階段停留日數（合計）", "各階段平均停留日數（期間內離開該階段者）", "主辦案件最多的部會",
		"各階段會議場次", "逐字稿", "利害關係人盤點涵蓋率", "建議與院長裁示", "部會回應（依結果）"}
	if len(headings) != len(wantHeadings) {
		t.Errorf("headings %q", headings)
	}
	for i, h := range headings {
		if i < len(wantHeadings) && !strings.HasPrefix(h, wantHeadings[i]+" ") {
			t.Errorf("heading %d reads %q, want %q first", i+1, h, wantHeadings[i])
		}
	}

	// Key figures, as their tables show them (label, value).
	rows := readRows(t, bctx)
	for key, want := range map[string][2]string{
		"proposals.published":             {"已公開提案", "5"},
		"proposals.established_share":     {"成案比例（成案／成案＋逾期）", "80%"},
		"proposals.days_to_establishment": {"公開至成案平均日數", "16.25 d"},
		"deadlines.missed":                {"逾期（未回應或逾期回應）", "2"},
		"deadlines.moi.met":               {"內政部：如期回應", "1"},
		"ballots.moi":                     {"內政部", "1"},
		"ballots.x40":                     {"測試部40", "1"},
		"cases.stage_days.meetings":       {"協作會議", "63 d"},
		"cases.stage_mean_days.topic_set": {"設定議題", "4.48 d"},
		"ministries.mot":                  {"交通部", "1"},
		"transcripts.edits":               {"期間內逐字稿修改次數", "3"},
		"coverage.share":                  {"出席涵蓋率", "50%"},
		"responses.deferred":              {"暫緩", "1"},
	} {
		r, ok := rows[key]
		if !ok || !strings.HasPrefix(r[0], want[0]) || r[1] != want[1] {
			t.Errorf("row %s reads %q, want %q", key, r, want)
		}
	}

	// Each chart has its table of numbers: aria-details names it, and each
	// bar's value is in it.
	var charts []struct {
		Key, Table string
		Bars       []string
		Values     []string
	}
	if err := chromedp.Run(bctx, chromedp.Evaluate(`Array.from(document.querySelectorAll('svg[role=img]')).map(s => {
		const t = document.getElementById(s.getAttribute('aria-details'));
		return {Key: s.closest('section').id, Table: t ? t.tagName + ' ' + t.closest('section').id : '',
			Bars: Array.from(s.querySelectorAll('g > g > text')).map(x => x.textContent),
			Values: t ? Array.from(t.querySelectorAll('tbody td.num')).map(x => x.innerText) : []};
	})`, &charts)); err != nil {
		t.Fatal(err)
	}
	if len(charts) < 8 {
		t.Errorf("%d charts", len(charts))
	}
	for _, c := range charts {
		if c.Table != "TABLE "+c.Key {
			t.Errorf("chart %s: its table is %q", c.Key, c.Table)
		}
		for i, b := range c.Bars {
			if i >= len(c.Values) || c.Values[i] != b {
				t.Errorf("chart %s: bar %d reads %q, the table %q", c.Key, i+1, b, c.Values)
			}
		}
	}

	// To English and back: the same report (the same checkpoint), other
	// labels.
	var enTitle, enCheckpoint string
	err = chromedp.Run(bctx,
		chromedp.Click("#lang-switch", chromedp.ByQuery),
		chromedp.WaitVisible(`html[lang="en"] #report-title`, chromedp.ByQuery),
	)
	if err == nil {
		err = testenv.WhileDocumentSettles(func() error {
			return chromedp.Run(bctx,
				chromedp.Text("#report-title", &enTitle, chromedp.ByQuery),
				chromedp.AttributeValue("#checkpoint", "data-checkpoint", &enCheckpoint, nil, chromedp.ByQuery),
			)
		})
	}
	if err != nil {
		t.Fatalf("switch to English: %v", err)
	}
	rows = readRows(t, bctx)
	if !strings.HasPrefix(enTitle, "Participation report") || enCheckpoint != checkpoint {
		t.Errorf("in English: title %q, checkpoint %s", enTitle, enCheckpoint)
	}
	for key, want := range map[string][2]string{
		"proposals.published": {"Proposals published", "5"},
		"ballots.moi":         {"Ministry of the Interior", "1"},
		"deadlines.mohw.due":  {"Ministry of Health and Welfare: due", "1"},
		"responses.adopted":   {"Adopted", "1"},
	} {
		if r := rows[key]; !strings.HasPrefix(r[0], want[0]) || r[1] != want[1] {
			t.Errorf("in English, row %s reads %q, want %q", key, r, want)
		}
	}
	err = chromedp.Run(bctx,
		chromedp.Click("#lang-switch", chromedp.ByQuery),
		chromedp.WaitVisible(`html[lang="zh-Hant"] #report-title`, chromedp.ByQuery),
	)
	if err == nil {
		err = testenv.WhileDocumentSettles(func() error {
			return chromedp.Run(bctx, chromedp.Text("#report-title", &title, chromedp.ByQuery))
		})
	}
	if err != nil || !strings.HasPrefix(title, "參與流程報告") {
		t.Errorf("back to Chinese: %v, title %q", err, title)
	}

	// A figure's query: the figure and its events as JSON, at the
	// checkpoint.
	var body string
	browse(t, bctx, "the query of deadlines.missed",
		chromedp.Click(`tr[id="deadlines.missed"] a.query`, chromedp.ByQuery),
		chromedp.WaitReady("body > pre", chromedp.ByQuery),
		chromedp.Text("body > pre", &body, chromedp.ByQuery),
	)
	var fig reports.Report
	err = json.Unmarshal([]byte(body), &fig)
	if f, ok := fig.Figure("deadlines.missed"); err != nil || !ok || fig.At != head || len(fig.Sections) != 1 || f.Value != 2 || len(f.Source.Events) != 5 {
		t.Errorf("the query of deadlines.missed answers %v: %.300s", err, body)
	}

	// An event behind a figure: its trail entry.
	var entryURL, entryID string
	var opened bool
	browse(t, bctx, "back to the report, the deferred response's events",
		chromedp.Navigate(reportURL),
		chromedp.WaitVisible(`tr[id="responses.deferred"] summary`, chromedp.ByQuery),
		chromedp.Click(`tr[id="responses.deferred"] summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`tr[id="responses.deferred"] a.entry`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('tr[id="responses.deferred"] details').open`, &opened),
		chromedp.AttributeValue(`tr[id="responses.deferred"] a.entry`, "href", &entryURL, nil, chromedp.ByQuery),
		chromedp.AttributeValue(`tr[id="responses.deferred"] a.entry`, "title", &entryID, nil, chromedp.ByQuery),
	)
	browse(t, bctx, "the trail entry "+entryURL,
		chromedp.Click(`tr[id="responses.deferred"] a.entry`, chromedp.ByQuery),
		chromedp.WaitReady("body > pre", chromedp.ByQuery),
		chromedp.Text("body > pre", &body, chromedp.ByQuery),
	)
	if !opened {
		t.Error("the events' <details> did not open")
	}
	var trail struct {
		Page struct {
			Entries []struct {
				Subject, Type, EventID string
				Data                   struct{ Verdict, Ministry string }
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &trail); err != nil || len(trail.Page.Entries) != 1 {
		t.Fatalf("the trail entry at %s: %v: %.300s", entryURL, err, body)
	}
	if e := trail.Page.Entries[0]; e.Subject != "case-c-1" || e.Type != "case.response_recorded" || e.EventID != entryID || e.Data.Verdict != "deferred" || e.Data.Ministry != "mot" {
		t.Errorf("the entry of the deferred response reads %+v (event %s)", e, entryID)
	}

	// Printed to A4.
	if err := chromedp.Run(bctx, chromedp.Navigate(reportURL), chromedp.WaitVisible("#report-title", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	pr := printReport(t, bctx, pdftotext, "")
	if len(pr.problems) > 0 {
		t.Errorf("the printed report:\n%s", strings.Join(pr.problems, "\n"))
	}
	if len(pr.spanning) == 0 {
		t.Errorf("no table runs over more than one of the %d pages: the check of repeated headers checked nothing", len(pr.pages))
	}
	t.Logf("printed: %d A4 pages; tables over several pages: %v", len(pr.pages), pr.spanning)
	checkPrintedBriefing(t, pr, fig, head)

	// The checks see what they must: a table wider than the page loses its
	// right column, a header that is not repeated is missed.
	if wide := printReport(t, bctx, pdftotext, `table { width: 1400px !important; table-layout: auto !important; }`); !hasProblem(wide.problems, "not in the PDF") {
		t.Errorf("a table wider than the page passed: %q", wide.problems)
	}
	if noRepeat := printReport(t, bctx, pdftotext, `thead { display: table-row-group !important; }`); !hasProblem(noRepeat.problems, "header") {
		t.Errorf("a table without its header on its next page passed: %q", noRepeat.problems)
	}
	if tall := printReport(t, bctx, pdftotext, `figure.chart svg { max-height: none !important; height: 300mm !important; }`); !hasProblem(tall.problems, "the chart of ballots") {
		t.Errorf("a chart taller than a page passed: %q", tall.problems)
	}
}

// serveReportStory records reportstest's story through app.Ledger on an
// embedded store, starts `collabledger serve` on it (startServe), and waits for the
// trail to reach the log's head. It returns the server's URL and the head.
func serveReportStory(t *testing.T) (string, uint64) {
	t.Helper()
	path, head := recordReportStory(t)
	// --deadline-check=0: the log stays as recorded (the server would
	// otherwise record p5's missed deadline, by the machine's clock).
	base := startServe(t, "file:"+path, "--deadline-check=0")
	// The last event of the story, publishing p7, is an entry of its trail.
	last := fmt.Sprintf("%s/api/v1/trails/proposal-p7?after=%d&limit=1", base, head-1)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var trail struct {
			Page struct{ Entries []json.RawMessage }
		}
		resp, err := http.Get(last)
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&trail)
			resp.Body.Close()
		}
		if err == nil && len(trail.Page.Entries) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the trail did not reach position %d: %v", head, err)
		}
	}
	return base, head
}

// recordReportStory records reportstest's story (with reportVoters more
// voting ministries) through app.Ledger on an embedded store in t's
// temporary folder, and returns its path and the log's head.
func recordReportStory(t *testing.T) (string, uint64) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	store, err := eventstore.Open(ctx, "file:"+path, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("report-browser-secret-0123456789abcdef")
	writeSecret(t, filepath.Dir(path), secret)
	l, err := app.NewLedger(store, reportstest.Config(secret))
	if err != nil {
		t.Fatal(err)
	}
	if err := reportstest.Record(ctx, l, reportstest.Options{Voters: reportVoters}); err != nil {
		t.Fatal(err)
	}
	head, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	store.Close()
	return path, uint64(head)
}

// writeSecret writes the pseudonym secret a store's events were recorded
// with beside it, where serve reads it.
func writeSecret(t *testing.T, dir string, secret []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, secretFileName), []byte(hex.EncodeToString(secret)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// browse runs actions in the browser, failing the test (with what) on an
// error or after 30 seconds.
func browse(t *testing.T, bctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	ctx, cancel := context.WithTimeout(bctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// readRows returns the page's figure rows by key: the row header's text and
// the value cell's.
func readRows(t *testing.T, bctx context.Context) map[string][2]string {
	t.Helper()
	var rows map[string][2]string
	if err := chromedp.Run(bctx, chromedp.Evaluate(`Object.fromEntries(Array.from(document.querySelectorAll('main tbody tr')).map(r =>
		[r.id, [r.cells[0].innerText, r.cells[1].innerText]]))`, &rows)); err != nil {
		t.Fatal(err)
	}
	return rows
}

// printed is a report printed to PDF and checked.
type printed struct {
	pages    []string // each page's text, without white space
	spanning []string // the tables printed over more than one page
	problems []string
}

// printTable is one table of the page as the print media shows it.
type printTable struct {
	ID      string
	Caption string
	Head    []string
	Rows    [][]string
}

// printReport prints the current page (with extraCSS added, if any) to an
// A4 PDF, extracts its text page by page with pdftotext, and checks it
// against the page's tables and charts: every cell's text is in the PDF
// (nothing cut off at the page's edge), each row's text is on one page (no
// row split), on each page a table continues onto its header comes right
// before its first row there, and each chart is whole on one page.
func printReport(t *testing.T, bctx context.Context, pdftotext, extraCSS string) printed {
	t.Helper()
	var tables []printTable
	var charts map[string][]string // section → its chart's texts, in order
	err := chromedp.Run(bctx,
		chromedp.Evaluate(`document.getElementById('test-print-css')?.remove();
			if (`+strconv.Quote(extraCSS)+`) { const s = document.createElement('style'); s.id = 'test-print-css'; s.textContent = `+strconv.Quote(extraCSS)+`; document.head.append(s); }`, nil),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('main table')).map(t => ({
			ID: t.id, Caption: t.caption ? t.caption.innerText : '',
			Head: Array.from(t.tHead.rows[0].cells).map(c => c.innerText),
			Rows: Array.from(t.tBodies[0].rows).map(r => Array.from(r.cells).map(c => c.innerText)),
		}))`, &tables),
		chromedp.Evaluate(`Object.fromEntries(Array.from(document.querySelectorAll('main svg[role=img]')).map(s =>
			[s.closest('section').id, Array.from(s.querySelectorAll('text')).map(x => x.textContent)]))`, &charts),
	)
	if err != nil {
		t.Fatal(err)
	}
	var pdf []byte
	err = chromedp.Run(bctx, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		pdf, _, err = page.PrintToPDF().
			WithPaperWidth(8.27).WithPaperHeight(11.69). // A4, in inches
			WithPreferCSSPageSize(true).
			Do(ctx)
		return err
	}))
	if err != nil {
		t.Fatalf("print to PDF: %v", err)
	}
	file := filepath.Join(t.TempDir(), "report.pdf")
	if keep := os.Getenv("COLLABLEDGER_REPORT_PDF"); keep != "" && extraCSS == "" {
		file = keep // to look at
	}
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	// -raw: the text in the order it was drawn, cell after cell.
	out, err := exec.Command(pdftotext, "-raw", "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	var p printed
	for _, pg := range strings.Split(strings.TrimSuffix(string(out), "\f"), "\f") {
		p.pages = append(p.pages, squeeze(pg))
	}
	all := strings.Join(p.pages, "")
	for id, texts := range charts {
		on := onOnePage(p.pages, squeeze(strings.Join(texts, "")))
		if on < 0 {
			p.problems = append(p.problems, fmt.Sprintf("the chart of %s is on no single page (split or cut off)", id))
			continue
		}
		// A chart taller than the page is sliced: the next page starts
		// with a slice of it (a bar's label and value).
		for i := 0; i+1 < len(texts) && on+1 < len(p.pages); i += 2 {
			if strings.HasPrefix(p.pages[on+1], squeeze(texts[i]+texts[i+1])) {
				p.problems = append(p.problems, fmt.Sprintf("the chart of %s continues on page %d", id, on+2))
				break
			}
		}
	}
	for _, tb := range tables {
		header := squeeze(strings.Join(tb.Head, ""))
		for _, c := range append([]string{tb.Caption}, tb.Head...) {
			if !strings.Contains(all, squeeze(c)) {
				p.problems = append(p.problems, fmt.Sprintf("table %s: %q is not in the PDF", tb.ID, c))
			}
		}
		first, last := -1, -1
		pageRows := map[int][]string{} // page → the table's rows on it, in order
		for _, r := range tb.Rows {
			for _, c := range r {
				if !strings.Contains(all, squeeze(c)) {
					p.problems = append(p.problems, fmt.Sprintf("table %s: cell %q is not in the PDF", tb.ID, c))
				}
			}
			row := squeeze(strings.Join(r, ""))
			on := onOnePage(p.pages, row)
			if on < 0 {
				p.problems = append(p.problems, fmt.Sprintf("table %s: row %q is on no single page (split or cut off)", tb.ID, r))
				continue
			}
			pageRows[on] = append(pageRows[on], row)
			if first < 0 {
				first = on
			}
			last = on
		}
		if first < 0 || last == first {
			continue
		}
		p.spanning = append(p.spanning, fmt.Sprintf("%s (pages %d–%d)", tb.ID, first+1, last+1))
		for i := first + 1; i <= last; i++ {
			if rows := pageRows[i]; len(rows) > 0 && !strings.Contains(p.pages[i], header+rows[0]) {
				p.problems = append(p.problems, fmt.Sprintf("table %s continues on page %d without its header", tb.ID, i+1))
			}
		}
	}
	return p
}

// onOnePage returns the first page whose text holds text, or -1.
func onOnePage(pages []string, text string) int {
	for i, pg := range pages {
		if strings.Contains(pg, text) {
			return i
		}
	}
	return -1
}

// squeeze drops white space: pdftotext breaks lines where the page did.
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func hasProblem(problems []string, part string) bool {
	for _, p := range problems {
		if strings.Contains(p, part) {
			return true
		}
	}
	return false
}

// checkPrintedBriefing checks the printed report leads with the briefing:
// the headlines on the first page alone, the cases and who is late next
// (with their events), the figures as an appendix; and that every figure
// prints its event positions and the short link to its proof (not only in
// a collapsed <details>): fig is deadlines.missed narrowed, as its query
// answered.
func checkPrintedBriefing(t *testing.T, pr printed, fig reports.Report, head uint64) {
	t.Helper()
	all := strings.Join(pr.pages, "")
	first := pr.pages[0]
	for _, want := range []string{"本期重點（與前期比較）", "公開提案 Proposals published 5 1 +4", "成案 Proposals established 4 0 +4", "回應期限屆至 Responses due 4 0 +4", "新立案件 Cases opened 3 0 +3", "部會回應 Ministry responses 4 0 +4"} {
		if !strings.Contains(first, squeeze(want)) {
			t.Errorf("the first printed page lacks %q", want)
		}
	}
	if strings.Contains(first, squeeze("案件一覽")) || strings.Contains(first, squeeze("附錄：各項數字與來源")) {
		t.Error("the summary shares its page with the cases or the appendix")
	}
	for _, want := range []string{
		"Join提案p1c-1結案內政部", "建議一：內政部採納；衛生福利部部分採納", "建議二：內政部不採納；交通部暫緩", "請各部會本於權責辦理：請各部會本諸權責辦理",
		"衛福部提案c-2分工衛生福利部", "院交辦案c-3設定議題交通部",
		"內政部提案p2p22026-03-2498尚未回應", "交通部提案p5p52026-06-1020尚未回應", "衛生福利部提案p4p42026-05-1552026-05-20",
		"證明: /api/v1/trails/case-c-1", "證明: /api/v1/trails/proposal-p2",
	} {
		if !strings.Contains(all, squeeze(want)) {
			t.Errorf("the printed briefing lacks %q", want)
		}
	}
	f, ok := fig.Figure("deadlines.missed")
	if !ok {
		t.Fatal("no deadlines.missed")
	}
	var ps []string
	for _, r := range f.Source.Events {
		ps = append(ps, strconv.FormatUint(r.Position, 10))
	}
	printedEvents := squeeze("事件位置: " + strings.Join(ps, " ") + " 證明: /reports?at=" + strconv.FormatUint(head, 10) + "&figure=deadlines.missed&format=json&from=2026-01-01&to=2026-06-30")
	if !strings.Contains(all, printedEvents) {
		t.Errorf("the printed appendix lacks deadlines.missed's events and proof %q", printedEvents)
	}
}

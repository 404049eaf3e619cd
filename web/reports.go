package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/internal/lru"
	"github.com/pdis/collab-ledger/reports"
)

// ReportsPath serves the period report to the Premier (package reports
// computes and renders it; Config.Reports).
const ReportsPath = "/reports"

// reportContentTypes are the formats /reports answers in.
var reportContentTypes = map[string]string{
	"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "markdown": "text/markdown; charset=utf-8",
	"csv": "application/zip", "json": "application/json",
}

// renderedReportBytes bounds the renderings of reports kept (a year's
// JSON is tens of megabytes, a fraction of a second to encode).
const renderedReportBytes = 192 << 20

// reportKey names one rendering of a computed report.
type reportKey struct {
	from, to       int64
	ministry       string
	at             eventstore.Position
	format, figure string
	lang           reports.Lang
}

// reportRendering is a rendered report and what its headers say.
type reportRendering struct {
	body   []byte
	at     uint64
	source string
	// filename is the file the CSV report's zip is offered as ("": none).
	filename string
}

// registerReports serves GET /reports?from=DATE&to=DATE
// [&ministry=CODE][&format=html|md|csv|json][&lang=zh-Hant|en][&at=POSITION]
// [&figure=KEY].
//
// A report is computed at a log position: at, or the head when the request
// came (Config.Reports keeps recent ones, and this handler their
// renderings while it does). The response names the position
// (X-Ledger-Position), whether the report was kept (X-Report-Cache: hit or
// miss) and what it was computed from (X-Report-Source: read-model or
// log). figure=KEY (with format=json) answers the report narrowed to that
// figure: each figure's query link on the page. Errors are answered as
// every other: an error page for the HTML format, the JSON ErrorBody for
// the others.
func (s *server) registerReports(mux *http.ServeMux) {
	if s.cfg.Reports == nil {
		return
	}
	s.reportRenderings = lru.New[reportKey, reportRendering](renderedReportBytes)
	mux.HandleFunc("GET "+ReportsPath, s.report)
}

func (s *server) report(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "html"
	}
	fail := func(err error) {
		if format == "html" {
			s.pageError(w, r, newPage(w, r, ""), err)
			return
		}
		writeError(w, r, s.cfg.Logger, err)
	}
	if q.Get("from") == "" && q.Get("to") == "" {
		// No period: this year to date, as a link that keeps its period.
		now := time.Now().In(calendar.Taipei)
		q.Set("from", time.Date(now.Year(), 1, 1, 0, 0, 0, 0, calendar.Taipei).Format(time.DateOnly))
		q.Set("to", now.Format(time.DateOnly))
		u := *r.URL
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
		return
	}
	p, err := reports.DatePeriod(q.Get("from"), q.Get("to"))
	if err != nil {
		fail(badRequest("from and to must be dates (YYYY-MM-DD): " + err.Error()).zh("from 與 to 須為日期（YYYY-MM-DD）：" + err.Error()))
		return
	}
	lang, err := reports.ParseLang(q.Get("lang"))
	if err != nil {
		fail(badRequest(err.Error()).zh("lang 須為 zh-Hant 或 en（" + err.Error() + "）"))
		return
	}
	figure := q.Get("figure")
	if _, ok := reportContentTypes[format]; !ok || (figure != "" && format != "json") {
		format = "json"
		fail(badRequest(fmt.Sprintf("unknown format %q (html, md, csv, json; figure= answers json)", q.Get("format"))).
			zh(fmt.Sprintf("未知的格式 %q（html、md、csv、json；figure= 只回答 json）", q.Get("format"))))
		return
	}
	var at uint64
	if v := q.Get("at"); v != "" {
		if at, err = strconv.ParseUint(v, 10, 64); err != nil {
			fail(badRequest("at must be a log position").zh("at 須為帳本的位置"))
			return
		}
	}
	f := reports.Filter{Ministry: q.Get("ministry")}
	links := reports.ServerLinks
	pos := eventstore.Position(at)
	if pos == 0 {
		if pos, err = s.cfg.Reports.Head(r.Context()); err != nil {
			fail(err)
			return
		}
	}
	key := reportKey{from: p.From.UnixNano(), to: p.To.UnixNano(), ministry: f.Ministry, at: pos, format: format, figure: figure, lang: lang}
	if s.cfg.Reports.Keeps(p, f, pos) {
		// Renderings follow their report: kept while it is.
		if out, ok := s.reportRenderings.Get(key); ok {
			writeReport(w, format, lang, out, true)
			return
		}
	}
	c, err := s.cfg.Reports.Report(r.Context(), p, f, pos)
	if err != nil {
		fail(err)
		return
	}
	rep := c.Report
	if figure != "" {
		var ok bool
		if rep, ok = reports.Narrow(rep, figure); !ok {
			fail(notFound(fmt.Sprintf("figure %q in the report", figure)))
			return
		}
	}
	var buf bytes.Buffer
	if format == "html" {
		err = reports.WriteHTMLLinked(&buf, rep, lang, links)
	} else {
		err = reports.Write(&buf, rep, format, lang)
	}
	if err != nil {
		fail(fmt.Errorf("render the report as %s: %w", format, err))
		return
	}
	out := reportRendering{body: buf.Bytes(), at: rep.At, source: c.Source}
	if format == "csv" {
		out.filename = reports.CSVFileName(rep)
	}
	if s.cfg.Reports.Keeps(p, f, pos) {
		s.reportRenderings.Put(key, out, len(out.body))
	}
	writeReport(w, format, lang, out, c.Hit)
}

// writeReport sends a rendered report with its headers.
func writeReport(w http.ResponseWriter, format string, lang reports.Lang, out reportRendering, hit bool) {
	h := w.Header()
	h.Set("Content-Type", reportContentTypes[format])
	h.Set("Content-Language", string(lang))
	h.Set("X-Ledger-Position", strconv.FormatUint(out.at, 10))
	h.Set("X-Report-Cache", map[bool]string{true: "hit", false: "miss"}[hit])
	h.Set("X-Report-Source", out.source)
	if out.filename != "" {
		h.Set("Content-Disposition", `attachment; filename="`+out.filename+`"`)
	}
	_, _ = w.Write(out.body)
}

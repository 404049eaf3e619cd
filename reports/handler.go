package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/internal/lru"
)

// HandlerOptions tune HandlerWith. The zero value is the server's page.
type HandlerOptions struct {
	// Links are where the HTML page links to. Default ServerLinks.
	Links Links
	// CacheEntries bounds the reports kept computed. Default 32; negative:
	// no cache.
	CacheEntries int
	// CacheEvents bounds the event references (Figure.Source.Events) the
	// cached reports hold together, which is what their memory grows with
	// (about 100 bytes each). Default 1<<20. A report holding more is
	// served but not kept.
	CacheEvents int
	// Logger. Default slog.Default().
	Logger *slog.Logger
	// Inputs is the report-inputs read model (readmodels.ReportInputsLog)
	// to compute reports
	// from, instead of folding the log: a report at a position the read
	// model has reached (any position up to its checkpoint, since its
	// documents are keyed by position) is computed from it, the same byte
	// for byte and about ten times fewer events to fold. A position beyond
	// its checkpoint (the log's head just after an append, or while the
	// read model catches up) waits up to InputsWait for it, then folds the
	// log instead; so does a report the read model fails to give. Nil:
	// always the log.
	Inputs InputsLog
	// InputsWait bounds that wait. Default 2 s; negative: no wait.
	InputsWait time.Duration
}

// Handler serves the report as a page with the default options (see
// HandlerWith). Mount it at /reports.
func Handler(src Log) http.Handler { return HandlerWith(src, HandlerOptions{}) }

// HandlerWith serves the report: GET /reports?from=DATE&to=DATE
// [&ministry=CODE][&format=html|md|csv|json][&lang=zh-Hant|en][&at=POSITION]
// [&figure=KEY].
//
// A report is computed at a log position: at, or the head when the request
// came; from HandlerOptions.Inputs, the report-inputs read model, when it
// has reached that position, else by folding the log. Computed reports are cached by (from, to, ministry, position), so a
// repeated request at the same position (a reload, the language switch, a
// figure's query link, another format) is served without folding the log
// again, and a new event moves the head and so gives a fresh report.
// Concurrent requests for the same report compute it once. The response
// names the position (X-Ledger-Position), whether it came from the cache
// (X-Report-Cache: hit or miss) and what it was computed from
// (X-Report-Source: read-model or log).
//
// figure=KEY (with format=json) answers the report narrowed to that figure:
// its period, ministry and checkpoint, and one section holding the one
// figure with its events; 404 if the report has no such figure. It is each
// figure's query link on the page.
func HandlerWith(src Log, opts HandlerOptions) http.Handler {
	if opts.Links == (Links{}) {
		opts.Links = ServerLinks
	}
	if opts.CacheEntries == 0 {
		opts.CacheEntries = 32
	}
	if opts.CacheEvents == 0 {
		opts.CacheEvents = 1 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.InputsWait == 0 {
		opts.InputsWait = 2 * time.Second
	}
	h := &handler{src: src, opts: opts, cache: newReportCache(opts.CacheEntries, opts.CacheEvents)}
	if opts.CacheEntries >= 0 {
		h.rendered = lru.New[renderKey, rendering](renderedBytes)
	}
	return h
}

type handler struct {
	src   Log
	opts  HandlerOptions
	cache *reportCache
	// rendered keeps recent renderings of the reports cache keeps (a
	// year's JSON is tens of megabytes, a fraction of a second to encode).
	rendered *lru.Cache[renderKey, rendering]
}

// renderKey names one rendering of a computed report.
type renderKey struct {
	report         cacheKey
	format, figure string
	lang           Lang
}

// rendering is a rendered report and what its headers say.
type rendering struct {
	body   []byte
	at     uint64
	source string
}

// renderedBytes bounds the renderings kept.
const renderedBytes = 192 << 20

var contentTypes = map[string]string{
	"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "markdown": "text/markdown; charset=utf-8",
	"csv": "text/csv; charset=utf-8", "json": "application/json",
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
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
	p, err := DatePeriod(q.Get("from"), q.Get("to"))
	if err != nil {
		http.Error(w, "from and to must be dates (YYYY-MM-DD): "+err.Error(), http.StatusBadRequest)
		return
	}
	lang, err := ParseLang(q.Get("lang"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	format := q.Get("format")
	if format == "" {
		format = "html"
	}
	figure := q.Get("figure")
	if _, ok := contentTypes[format]; !ok || (figure != "" && format != "json") {
		http.Error(w, fmt.Sprintf("unknown format %q (html, md, csv, json; figure= answers json)", format), http.StatusBadRequest)
		return
	}
	var at uint64
	if s := q.Get("at"); s != "" {
		if at, err = strconv.ParseUint(s, 10, 64); err != nil {
			http.Error(w, "at must be a log position", http.StatusBadRequest)
			return
		}
	}
	head, err := h.src.Head(r.Context())
	if err != nil {
		h.opts.Logger.Error("report: read the log's head", "err", err)
		http.Error(w, "the log is unavailable", http.StatusServiceUnavailable)
		return
	}
	pos := head
	if at > 0 {
		if eventstore.Position(at) > head {
			http.Error(w, fmt.Sprintf("position %d is beyond the log's head %d", at, head), http.StatusUnprocessableEntity)
			return
		}
		pos = eventstore.Position(at)
	}
	f := Filter{Ministry: q.Get("ministry")}
	key := cacheKey{from: p.From.UnixNano(), to: p.To.UnixNano(), ministry: f.Ministry, at: pos}
	rkey := renderKey{report: key, format: format, figure: figure, lang: lang}
	if h.rendered != nil && h.cache.holds(key) {
		// Renderings follow their report: kept while it is.
		if out, ok := h.rendered.Get(rkey); ok {
			h.write(w, format, lang, out, true)
			return
		}
	}
	rep, hit, err := h.cache.get(r.Context(), key, func(ctx context.Context) (Report, error) {
		start := time.Now()
		rep, err := h.compute(ctx, p, f, pos)
		if err == nil {
			h.opts.Logger.Debug("report computed", "from", q.Get("from"), "to", q.Get("to"), "ministry", f.Ministry, "at", rep.At, "events", rep.Events, "source", rep.source, "took", time.Since(start))
		}
		return rep, err
	})
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			http.Error(w, "report: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		h.opts.Logger.Error("report: compute", "at", pos, "err", err)
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
		return
	}
	if figure != "" {
		var ok bool
		if rep, ok = narrow(rep, figure); !ok {
			http.Error(w, fmt.Sprintf("the report has no figure %q", figure), http.StatusNotFound)
			return
		}
	}
	var buf bytes.Buffer
	if format == "html" {
		err = WriteHTMLLinked(&buf, rep, lang, h.opts.Links)
	} else {
		err = Write(&buf, rep, format, lang)
	}
	if err != nil {
		h.opts.Logger.Error("report: render", "format", format, "err", err)
		http.Error(w, "report: render: "+err.Error(), http.StatusInternalServerError)
		return
	}
	out := rendering{body: buf.Bytes(), at: rep.At, source: rep.source}
	if h.rendered != nil && h.cache.holds(key) {
		h.rendered.Put(rkey, out, len(out.body))
	}
	h.write(w, format, lang, out, hit)
}

// write sends a rendered report with its headers.
func (h *handler) write(w http.ResponseWriter, format string, lang Lang, out rendering, hit bool) {
	w.Header().Set("Content-Type", contentTypes[format])
	w.Header().Set("Content-Language", string(lang))
	w.Header().Set("X-Ledger-Position", strconv.FormatUint(out.at, 10))
	w.Header().Set("X-Report-Cache", map[bool]string{true: "hit", false: "miss"}[hit])
	w.Header().Set("X-Report-Source", out.source)
	_, _ = w.Write(out.body)
}

// compute computes the report at pos from the read model when there is one
// and it reaches pos (waiting up to InputsWait for it), else from the log,
// and records which in Report.source.
func (h *handler) compute(ctx context.Context, p Period, f Filter, pos eventstore.Position) (Report, error) {
	if in := h.opts.Inputs; in != nil {
		cp, err := in.Head(ctx)
		if err == nil && cp < pos {
			err = fmt.Errorf("report inputs: checkpoint %d is behind position %d", cp, pos)
			if h.opts.InputsWait > 0 {
				wctx, cancel := context.WithTimeout(ctx, h.opts.InputsWait)
				err = in.WaitFor(wctx, pos)
				cancel()
			}
		}
		if err == nil {
			var rep Report
			if rep, err = Compute(ctx, in, p, f, pos); err == nil {
				rep.source = sourceInputs
				return rep, nil
			}
		}
		if ctx.Err() != nil {
			return Report{}, ctx.Err()
		}
		h.opts.Logger.Debug("report: folding the log, not the read model", "at", pos, "reason", err)
	}
	rep, err := Compute(ctx, h.src, p, f, pos)
	rep.source = sourceLog
	return rep, err
}

// Where a served report was computed from (X-Report-Source).
const (
	sourceInputs = "read-model"
	sourceLog    = "log"
)

// narrow returns rep with only the figure key (in its section).
func narrow(rep Report, key string) (Report, bool) {
	for _, s := range rep.Sections {
		for _, f := range s.Figures {
			if f.Key == key {
				s.Figures = []Figure{f}
				rep.Sections = []Section{s}
				return rep, true
			}
		}
	}
	return rep, false
}

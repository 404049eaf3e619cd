package reports

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/pdis/collab-ledger/eventstore"
)

// Handler serves the report as a page: GET /reports?from=DATE&to=DATE
// [&ministry=CODE][&format=html|md|csv|json][&lang=zh-Hant|en][&at=POSITION].
// It folds src on each request (a year over a million events takes under a
// second in memory). Mount it at /reports.
func Handler(src Log) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		q := r.URL.Query()
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
		var at uint64
		if s := q.Get("at"); s != "" {
			if at, err = strconv.ParseUint(s, 10, 64); err != nil {
				http.Error(w, "at must be a log position", http.StatusBadRequest)
				return
			}
		}
		rep, err := Compute(r.Context(), src, p, Filter{Ministry: q.Get("ministry")}, eventstore.Position(at))
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, rep, format, lang); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", map[string]string{
			"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "markdown": "text/markdown; charset=utf-8",
			"csv": "text/csv; charset=utf-8", "json": "application/json",
		}[format])
		w.Header().Set("Content-Language", string(lang))
		w.Header().Set("X-Ledger-Position", strconv.FormatUint(rep.At, 10))
		_, _ = w.Write(buf.Bytes())
	})
}

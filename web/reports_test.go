package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/reports"
	"github.com/pdis/collab-ledger/reports/reportstest"
	"github.com/pdis/collab-ledger/web"
)

// reportServer serves the reports story (reports/reportstest) recorded
// through the command side on an embedded store; it returns the server's
// URL and the log's head.
func reportServer(t *testing.T) (string, uint64) {
	t.Helper()
	ctx := context.Background()
	store, err := bbolt.Open(ctx, bbolt.Config{Path: filepath.Join(t.TempDir(), "ledger.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	l, err := app.NewLedger(store, reportstest.Config([]byte("web reports test secret 0123456789")))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := reportstest.Record(ctx, l, reportstest.Options{}); err != nil {
		t.Fatal(err)
	}
	head, _ := store.Head(ctx)
	h, err := web.New(web.Config{Store: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Reports: reports.NewService(store, reports.ServiceOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL, uint64(head)
}

// TestReportsServed: GET /reports in each format and language; a figure's
// query; the renderings of a report kept come from the cache; bad input
// answers in the one error format (the JSON ErrorBody, or the error page
// for the HTML format) with a stable code.
func TestReportsServed(t *testing.T) {
	base, head := reportServer(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	period := "/reports?from=" + reportstest.From + "&to=" + reportstest.To
	at := strconv.FormatUint(head-5, 10)
	for _, c := range []struct {
		url          string
		status       int
		ctype, code  string
		cache, ledAt string
	}{
		{period, 200, "text/html; charset=utf-8", "", "miss", strconv.FormatUint(head, 10)},
		{period + "&lang=en", 200, "text/html; charset=utf-8", "", "hit", ""},
		{period + "&format=csv&lang=en", 200, "application/zip", "", "hit", ""},
		{period + "&format=md", 200, "text/markdown; charset=utf-8", "", "hit", ""},
		{period + "&format=json&ministry=moi&at=" + at, 200, "application/json", "", "miss", at},
		{period + "&format=json&ministry=moi&at=" + at, 200, "application/json", "", "hit", at},
		{period + "&format=json&figure=deadlines.open", 200, "application/json", "", "hit", ""},
		{"/reports?from=nope&to=2026-06-30&format=json", 400, "application/json; charset=utf-8", web.CodeBadRequest, "", ""},
		{period + "&format=pdf", 400, "application/json; charset=utf-8", web.CodeBadRequest, "", ""},
		{period + "&format=json&at=999999", 400, "application/json; charset=utf-8", web.CodeBadRequest, "", ""},
		{period + "&figure=deadlines.open", 400, "application/json; charset=utf-8", web.CodeBadRequest, "", ""},
		{period + "&format=json&figure=nosuch", 404, "application/json; charset=utf-8", web.CodeNotFound, "", ""},
		{period + "&lang=fr&format=csv", 400, "application/json; charset=utf-8", web.CodeBadRequest, "", ""},
		{period + "&at=x", 400, "text/html; charset=utf-8", "", "", ""},
		{"/reports?from=2026-01-01", 400, "text/html; charset=utf-8", "", "", ""},
		{"/reports?lang=en", 302, "", "", "", ""},
	} {
		resp, err := noRedirect.Get(base + c.url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d, want %d: %.300s", c.url, resp.StatusCode, c.status, body)
			continue
		}
		if c.ctype != "" && resp.Header.Get("Content-Type") != c.ctype {
			t.Errorf("%s: content type %q, want %q", c.url, resp.Header.Get("Content-Type"), c.ctype)
		}
		if c.code != "" {
			var eb web.ErrorBody
			if err := json.Unmarshal(body, &eb); err != nil || eb.Error.Code != c.code {
				t.Errorf("%s: %s, want the error code %s", c.url, body, c.code)
			}
		}
		if c.cache != "" && resp.Header.Get("X-Report-Cache") != c.cache {
			t.Errorf("%s: X-Report-Cache %q, want %q", c.url, resp.Header.Get("X-Report-Cache"), c.cache)
		}
		if c.ledAt != "" && resp.Header.Get("X-Ledger-Position") != c.ledAt {
			t.Errorf("%s: X-Ledger-Position %q, want %q", c.url, resp.Header.Get("X-Ledger-Position"), c.ledAt)
		}
		if c.status == 400 && strings.HasPrefix(c.ctype, "text/html") && !strings.Contains(string(body), "<html") {
			t.Errorf("%s: the HTML format's error is not a page: %.200s", c.url, body)
		}
		if c.ctype == "application/zip" {
			// The CSV report: a zip of tables, offered as a file named by
			// its period, the briefing's cases among them.
			if got := resp.Header.Get("Content-Disposition"); got != `attachment; filename="report-`+reportstest.From+"-"+reportstest.To+`.zip"` {
				t.Errorf("%s: Content-Disposition %q", c.url, got)
			}
			zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
			if err != nil || len(zr.File) != len(reports.CSVTables) || zr.File[2].Name != "3-cases.csv" {
				t.Errorf("%s: not the zip of the CSV tables: %v", c.url, err)
			}
		}
		if c.status == 302 {
			now := time.Now().In(calendar.Taipei)
			want := fmt.Sprintf("/reports?from=%d-01-01&lang=en&to=%s", now.Year(), now.Format(time.DateOnly))
			if got := resp.Header.Get("Location"); got != want {
				t.Errorf("%s: redirected to %q, want %q (this year to date)", c.url, got, want)
			}
		}
	}
}

package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/web"
)

// TestRouterRefusalsInTheErrorFormat (#14 item 13): what the router
// refuses before any route (a method the path is not served for, a body
// or a header over the limit, an unknown path under /api/) answers the
// JSON error format with a stable code, as every other error does (each
// was plain text); every answer says X-Content-Type-Options: nosniff, and
// pages a Referrer-Policy.
func TestRouterRefusalsInTheErrorFormat(t *testing.T) {
	pe := newPagesEnv(t)
	pe.story()
	pe.caughtUp()
	base := pe.srv.URL
	do := func(method, path string, body io.Reader, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, body)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp, raw
	}
	for _, c := range []struct {
		name, method, path string
		body               io.Reader
		header             []string
		status             int
		code, allow        string
	}{
		{"405 on the health check", "POST", "/healthz", nil, nil, 405, web.CodeMethodNotAllowed, "GET, HEAD"},
		{"405 on a command", "GET", web.CommandsPath + "proposal.sign", nil, nil, 405, web.CodeMethodNotAllowed, "POST"},
		{"405 on the tokens", "DELETE", web.TokensPath, nil, nil, 405, web.CodeMethodNotAllowed, "GET, HEAD, POST"},
		{"405 on a page", "POST", "/cases/57", nil, nil, 405, web.CodeMethodNotAllowed, ""},
		{"unknown API path", "GET", "/api/v1/nope", nil, []string{"Accept", "text/html"}, 404, web.CodeNotFound, ""},
		{"unknown API path, POST", "POST", "/api/v2/commands/x", strings.NewReader("{}"), nil, 404, web.CodeNotFound, ""},
		{"413 body", "POST", web.CommandsPath + "proposal.sign", strings.NewReader(strings.Repeat("x", 65<<20)), []string{"Content-Type", "application/json"}, 413, web.CodeTooLarge, ""},
		{"431 header", "GET", "/healthz", nil, []string{"X-Padding", strings.Repeat("p", 100<<10)}, 431, web.CodeHeadersTooLarge, ""},
	} {
		resp, raw := do(c.method, c.path, c.body, c.header...)
		var eb web.ErrorBody
		if resp.StatusCode != c.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || json.Unmarshal(raw, &eb) != nil || eb.Error.Code != c.code {
			t.Errorf("%s: %d %s %.200s, want %d with code %s", c.name, resp.StatusCode, resp.Header.Get("Content-Type"), raw, c.status, c.code)
			continue
		}
		if c.allow != "" && resp.Header.Get("Allow") != c.allow {
			t.Errorf("%s: Allow %q, want %q", c.name, resp.Header.Get("Allow"), c.allow)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", c.name)
		}
	}

	// Every answer says nosniff; pages (and their errors) a Referrer-Policy.
	for _, c := range []struct {
		path string
		page bool
	}{
		{"/healthz", false}, {web.OpenAPIPath, false}, {"/api/v1/cases", false}, {"/api/v1/cases/57", false},
		{"/", true}, {"/cases/57", true}, {"/meetings/m-1", true}, {"/cases/nope", true}, {"/no/such/page", true},
		{"/static/style.css", false},
	} {
		resp, _ := do("GET", c.path, nil)
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s (%d): no X-Content-Type-Options: nosniff", c.path, resp.StatusCode)
		}
		if c.page && resp.Header.Get("Referrer-Policy") != web.ReferrerPolicy {
			t.Errorf("%s (%d): Referrer-Policy %q", c.path, resp.StatusCode, resp.Header.Get("Referrer-Policy"))
		}
	}
	// A page path that is not found is still the page, for a browser.
	if resp, raw := do("GET", "/no/such/page", nil, "Accept", "text/html"); resp.StatusCode != 404 || !strings.Contains(string(raw), "<html") {
		t.Errorf("an unknown page: %d %.100s", resp.StatusCode, raw)
	}
}

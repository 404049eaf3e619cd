package web

import (
	"net/http"
	"strconv"
	"strings"
)

// Codes of the refusals the router makes before any route is chosen.
const (
	// CodeMethodNotAllowed: the path is served, but not for this method;
	// Allow lists the methods that are (405).
	CodeMethodNotAllowed = "method_not_allowed"
	// CodeHeadersTooLarge: the request's header is over the limit (431).
	CodeHeadersTooLarge = "headers_too_large"
)

// ReferrerPolicy is the Referrer-Policy of every answer: a page's address
// (which may name a case, a meeting or an as-of point) is sent to the
// ledger's own pages only, never to the sites its pages link to.
const ReferrerPolicy = "same-origin"

// DefaultMaxHeaderBytes bounds a request's header (Config.MaxHeaderBytes).
// An http.Server in front should allow more (serve allows 1 MiB), so that
// this router, not the server's plain-text answer, refuses it.
const DefaultMaxHeaderBytes = 64 << 10

// router is the handler New returns: every answer carries
// X-Content-Type-Options: nosniff and the Referrer-Policy, and what the
// mux would refuse on its own (an unknown path under /api/, a method the
// path is not served for, a body or header over the limits) is answered
// in the one error format, by the one error mapping, like every other
// error: the JSON ErrorBody under /api/ and for requests that are not for
// a page, the error page otherwise.
type router struct {
	s   *server
	mux *http.ServeMux
	// maxBody is the largest body any route takes.
	maxBody int64
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", ReferrerPolicy)
	if n := headerBytes(r); n > rt.s.cfg.MaxHeaderBytes {
		rt.refuse(w, r, newAPIError(http.StatusRequestHeaderFieldsTooLarge, CodeHeadersTooLarge,
			"the request's header is "+strconv.Itoa(n)+" bytes, over the limit of "+byteSize(int64(rt.s.cfg.MaxHeaderBytes))).
			zh("請求標頭有 "+strconv.Itoa(n)+" 位元組，超過上限 "+byteSize(int64(rt.s.cfg.MaxHeaderBytes))))
		return
	}
	if r.ContentLength > rt.maxBody {
		rt.refuse(w, r, newAPIError(http.StatusRequestEntityTooLarge, CodeTooLarge, "the body is over the limit of "+byteSize(rt.maxBody)).zh("內容超過上限 "+byteSize(rt.maxBody)))
		return
	}
	handler, pattern := rt.mux.Handler(r)
	if isAPI(r) && (pattern == "" || pattern == catchAll) {
		// No API route takes this request: the pages' catch-all does not
		// count under /api/.
		if allow := rt.allowed(r); allow != "" {
			h.Set("Allow", allow)
			rt.refuse(w, r, newAPIError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, r.Method+" is not served at "+r.URL.Path+"; allowed: "+allow).zh(r.URL.Path+" 不接受 "+r.Method+"；可用："+allow))
			return
		}
		rt.refuse(w, r, newAPIError(http.StatusNotFound, CodeNotFound, "no route "+r.URL.Path+"; see "+OpenAPIPath).zh("沒有路徑 "+r.URL.Path+"；請見 "+OpenAPIPath))
		return
	}
	if pattern == "" {
		// The mux has no route: find out whether it is the path or the
		// method it refuses, and answer that in the error format.
		probe := &statusProbe{header: http.Header{}}
		handler.ServeHTTP(probe, r)
		switch probe.status {
		case http.StatusMethodNotAllowed:
			allow := probe.header.Get("Allow")
			h.Set("Allow", allow)
			rt.refuse(w, r, newAPIError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, r.Method+" is not served at "+r.URL.Path+"; allowed: "+allow).zh(r.URL.Path+" 不接受 "+r.Method+"；可用："+allow))
			return
		case http.StatusNotFound:
			rt.refuse(w, r, newAPIError(http.StatusNotFound, CodeNotFound, "no route "+r.URL.Path).zh("沒有路徑 "+r.URL.Path))
			return
		}
	}
	rt.mux.ServeHTTP(w, r)
}

// catchAll is the pattern of the pages' "not found" page.
const catchAll = "GET /"

// allowed lists the methods an API route serves r's path with, "" if none.
func (rt *router) allowed(r *http.Request) string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := *r
		probe.Method = m
		if _, p := rt.mux.Handler(&probe); p != "" && p != catchAll {
			out = append(out, m)
		}
	}
	return strings.Join(out, ", ")
}

// refuse answers a router-level refusal: the error page for a page's
// request, the JSON ErrorBody otherwise.
func (rt *router) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if !isAPI(r) && rt.s.cfg.Queries != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && wantsHTML(r) {
		rt.s.pageError(w, r, newPage(w, r, ""), err)
		return
	}
	writeError(w, r, rt.s.cfg.Logger, err)
}

// isAPI reports whether r is for the JSON API.
func isAPI(r *http.Request) bool {
	return r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/")
}

// wantsHTML reports whether r's client asks for HTML (a browser).
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// headerBytes is the size of r's request line and header as sent, roughly.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// statusProbe records what the mux's own refusal handler answers, without
// sending it.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header { return p.header }

func (p *statusProbe) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}

func (p *statusProbe) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}

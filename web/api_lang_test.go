package web_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/web"
)

// TestQueryAPIErrorsInBothLanguages: the query API's errors (an unknown
// case, a bad parameter, a malformed as-of, the auditor view without a
// token, no route) answer in the language asked for: Accept-Language, then
// ?lang=, Traditional Chinese by default, as the pages choose; the code and
// rule are the same in both.
func TestQueryAPIErrorsInBothLanguages(t *testing.T) {
	e := newPagesEnv(t)
	for _, c := range []struct {
		path       string
		status     int
		code, want string // want: a word of the Chinese message
	}{
		{"/api/v1/cases/no-such-case", 404, web.CodeNotFound, "找不到 案件 no-such-case"},
		{"/api/v1/cases?limit=abc", 400, web.CodeBadRequest, "須為"},
		{"/api/v1/cases/57?asof=0", 400, web.CodeBadRequest, "位置從 1 開始"},
		{"/api/v1/cases/57?view=auditor", 401, web.CodeUnauthenticated, "Bearer"},
		{"/api/v1/nowhere", 404, web.CodeNotFound, "沒有路徑"},
	} {
		get := func(query, acceptLanguage string) (web.ErrorDetail, http.Header) {
			t.Helper()
			u := e.srv.URL + c.path
			if query != "" {
				u += map[bool]string{true: "&", false: "?"}[strings.Contains(u, "?")] + query
			}
			req, _ := http.NewRequest("GET", u, nil)
			if acceptLanguage != "" {
				req.Header.Set("Accept-Language", acceptLanguage)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var eb web.ErrorBody
			if err := json.NewDecoder(resp.Body).Decode(&eb); err != nil || resp.StatusCode != c.status || eb.Error.Code != c.code {
				t.Fatalf("GET %s (%s): %d %+v (%v), want %d %s", u, acceptLanguage, resp.StatusCode, eb.Error, err, c.status, c.code)
			}
			return eb.Error, resp.Header
		}
		zhDefault, h := get("", "")
		zh, _ := get("", "zh-Hant")
		en, hEn := get("", "en-US,en;q=0.8")
		enByQuery, _ := get("lang=en", "zh-TW")
		if !strings.Contains(zhDefault.Message, c.want) || zh != zhDefault || h.Get("Content-Language") != "zh-Hant" {
			t.Errorf("%s: Chinese %q / %q (Content-Language %q), want %q in it", c.path, zhDefault.Message, zh.Message, h.Get("Content-Language"), c.want)
		}
		if hasHan(en.Message) || en != enByQuery || hEn.Get("Content-Language") != "en" || !strings.Contains(hEn.Get("Vary"), "Accept-Language") {
			t.Errorf("%s: English %q / by ?lang= %q (%v)", c.path, en.Message, enByQuery.Message, hEn)
		}
		if en.Code != zh.Code || en.Rule != zh.Rule {
			t.Errorf("%s: code or rule differs by language: %+v %+v", c.path, en, zh)
		}
	}
}

// TestEveryAPIErrorIsBilingual: every error the web package answers with
// is worded in both languages. It reads the package's source: each
// newAPIError, badRequest or asOfRefused call must have its Chinese
// wording set (.zh(...)), unless its message is already the page's
// language (p.T, p.TF) or it is inside the helpers that set it for their
// callers (classify: by kind, checked over HTTP); each &apiError{...}
// literal must set msgZH. A new error without
// Chinese fails here.
func TestEveryAPIErrorIsBilingual(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	helpers := map[string]bool{"newAPIError": true, "badRequest": true, "badParam": true, "notFound": true, "asOfRefused": true, "proofBadRequest": true, "classify": true}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if ok && helpers[fd.Name.Name] {
				continue
			}
			// the calls whose result gets .zh(...)
			withZH := map[ast.Expr]bool{}
			ast.Inspect(d, func(n ast.Node) bool {
				if c, ok := n.(*ast.CallExpr); ok {
					if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "zh" {
						withZH[sel.X] = true
					}
				}
				return true
			})
			ast.Inspect(d, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.CallExpr:
					id, ok := x.Fun.(*ast.Ident)
					if !ok || (id.Name != "newAPIError" && id.Name != "badRequest" && id.Name != "asOfRefused") {
						return true
					}
					checked++
					if withZH[x] || pageLanguage(x.Args) {
						return true
					}
					t.Errorf("%s: %s without its Chinese wording (.zh)", fset.Position(x.Pos()), id.Name)
				case *ast.CompositeLit:
					if id, ok := x.Type.(*ast.Ident); !ok || id.Name != "apiError" {
						return true
					}
					checked++
					for _, el := range x.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok && kv.Key.(*ast.Ident).Name == "msgZH" {
							return true
						}
					}
					t.Errorf("%s: an apiError without msgZH", fset.Position(x.Pos()))
				}
				return true
			})
		}
	}
	if checked < 50 {
		t.Fatalf("checked %d errors; the walk lost them", checked)
	}
}

// pageLanguage reports whether a message argument is a page's catalogue
// text (p.T(...), p.TF(...)): already in the page's language.
func pageLanguage(args []ast.Expr) bool {
	for _, a := range args {
		if c, ok := a.(*ast.CallExpr); ok {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "T" || sel.Sel.Name == "TF") {
				return true
			}
		}
	}
	return false
}

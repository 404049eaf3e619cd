package domain

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// refusalCalls maps each function of the domain that words a refusal or a
// message to the position of its format argument.
var refusalCalls = map[string]int{"violated": 1, "forbidden": 1, "notFound": 1, "conflict": 1, "msgf": 0, "refusal": 2}

// termCalls maps each function that takes a term (what an ID or a date is
// of) to the position of that argument.
var termCalls = map[string]int{"checkID": 0, "validID": 1, "checkDate": 0, "checkInstant": 0}

// domainSources parses the domain's non-test files.
func domainSources(t *testing.T) (*token.FileSet, map[string]*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*ast.File{}
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = f
	}
	return fset, files
}

// TestEveryRefusalHasBothLanguages reads every refusal the domain can
// decide from its source (each call of violated, forbidden, notFound,
// conflict, refusal and msgf) and checks that its format is a literal with
// a Traditional Chinese wording in refusalsZH that uses every argument with
// a verb of the same kind; and that every term a refusal names an ID or a
// date by has a Chinese name. Nothing is listed by hand: a new refusal
// without a translation fails here, naming its file and line.
func TestEveryRefusalHasBothLanguages(t *testing.T) {
	fset, files := domainSources(t)
	formats, terms := 0, 0
	used := map[string]bool{}
	for name, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if cl, ok := n.(*ast.CompositeLit); ok && name != "errors.go" {
				if id, ok := cl.Type.(*ast.Ident); ok && id.Name == "RuleError" {
					t.Errorf("%s: a RuleError made by hand has no Chinese wording; use violated, forbidden, notFound, conflict or refusal", fset.Position(cl.Pos()))
				}
			}
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn, ok := call.Fun.(*ast.Ident)
			if !ok {
				return true
			}
			if i, ok := termCalls[fn.Name]; ok && len(call.Args) > i {
				if s, ok := stringLit(call.Args[i]); ok {
					terms++
					if _, ok := termsZH[s]; !ok {
						t.Errorf("%s: term %q has no Chinese name: add it to termsZH in domain/refusals_zh.go", fset.Position(call.Pos()), s)
					}
				}
			}
			i, ok := refusalCalls[fn.Name]
			if !ok || len(call.Args) <= i || name == "errors.go" && fn.Name == "refusal" {
				return true
			}
			pos := fset.Position(call.Pos())
			format, ok := stringLit(call.Args[i])
			if !ok {
				t.Errorf("%s: %s's format is not a string literal, so its translation cannot be checked", pos, fn.Name)
				return true
			}
			formats++
			used[format] = true
			zh, ok := refusalsZH[format]
			if !ok {
				t.Errorf("%s: %q has no Chinese wording: add it to refusalsZH in domain/refusals_zh.go", pos, format)
				return true
			}
			if err := sameArguments(format, zh); err != nil {
				t.Errorf("%s: %q → %q: %v", pos, format, zh, err)
			}
			if format != "%v" && !hasHan(zh) {
				t.Errorf("%s: %q's Chinese wording %q has no Chinese", pos, format, zh)
			}
			return true
		})
	}
	if formats < 200 || terms < 20 {
		t.Fatalf("found %d refusal formats and %d terms in the source; the parser lost them", formats, terms)
	}
	for f := range refusalsZH {
		if !used[f] {
			t.Errorf("refusalsZH has %q, which no refusal uses", f)
		}
	}
}

// TestRefusalsNameDomainValuesInChinese: a refusal decided by the domain
// reads in Chinese with the Chinese names of the values it quotes, and in
// English as before.
func TestRefusalsNameDomainValuesInChinese(t *testing.T) {
	err := Authorize("case.open", Actor{ID: "a1", Role: RoleCitizen})
	var re *RuleError
	if !errors.As(err, &re) {
		t.Fatalf("citizen opening a case: %v, want a RuleError", err)
	}
	if !strings.HasPrefix(re.Msg, "citizen may not case.open") {
		t.Errorf("English %q", re.Msg)
	}
	if zh := re.Message(true); !strings.HasPrefix(zh, "「民眾」不能執行 case.open") {
		t.Errorf("Chinese %q", zh)
	}
	err = validID("case.open", "case", "a b")
	if !errors.As(err, &re) || re.Message(true) != `案件 代號 "a b" 含有字元 ' '；只能使用 A-Z a-z 0-9 . _ : -` {
		t.Errorf("bad ID: %q", re.Message(true))
	}
	if re.Message(false) != re.Msg || !strings.Contains(re.Msg, "case ID") {
		t.Errorf("bad ID in English: %q", re.Msg)
	}
}

// sameArguments reports whether zh consumes the arguments of the English
// format en, each with a verb that prints it in the same way.
func sameArguments(en, zh string) error {
	verbs := verbRE.FindAllStringSubmatch(en, -1)
	var args []any
	var want []string
	for i, v := range verbs {
		switch v[4] {
		case "%":
			continue
		case "d":
			args = append(args, 9100+i)
			want = append(want, strconv.Itoa(9100+i))
		case "U":
			args = append(args, rune(0x2460+i))
			want = append(want, fmt.Sprintf("%U", rune(0x2460+i)))
		case "T":
			args = append(args, struct{ T9 int }{})
			want = append(want, "T9")
		default:
			s := fmt.Sprintf("arg%d", i)
			args = append(args, s)
			want = append(want, s)
		}
	}
	out := fmt.Sprintf(zh, args...)
	if strings.Contains(out, "%!") {
		return fmt.Errorf("the Chinese verbs do not fit the arguments: %s", out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			return fmt.Errorf("the Chinese wording drops an argument: %s", out)
		}
	}
	return nil
}

// verbRE matches a verb of a format; its fourth group is the verb's letter.
var verbRE = regexp.MustCompile(`%(?:\[\d+\])?([-+# 0]*)(\d*)(\.\d+)?([a-zA-Z%])`)

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// TestEveryWrittenReasonIsNamed reads every Reason the domain, the
// application and the importers write into an event or a command from their
// source: one that is not a person's (a literal, or text built from
// literals) must be a SystemReason, whose names the pages show in their
// language; a reason that comes with a Rule (a candidate skipped by a rule)
// is shown by its rule, which the web catalogue names
// (web.TestRuleReasonsAreNamed).
func TestEveryWrittenReasonIsNamed(t *testing.T) {
	fset := token.NewFileSet()
	checked := 0
	for _, dir := range []string{".", "../app", "../importer"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "testdata") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				cl, ok := n.(*ast.CompositeLit)
				if !ok || (dir != "." && !isDomainType(cl.Type)) {
					return true // outside the domain, only its commands and events
				}
				var reason ast.Expr
				byRule := false
				for _, el := range cl.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					switch k, _ := kv.Key.(*ast.Ident); {
					case k == nil:
					case k.Name == "Reason":
						reason = kv.Value
					case k.Name == "Rule":
						byRule = true
					}
				}
				if reason == nil || byRule {
					return true
				}
				checked++
				if call, ok := reason.(*ast.CallExpr); ok && len(call.Args) == 1 {
					if fn, ok := call.Fun.(*ast.Ident); ok && fn.Name == "string" {
						if _, ok := systemReasonConst(call.Args[0]); ok {
							return true
						}
					}
				}
				ast.Inspect(reason, func(m ast.Node) bool {
					if lit, ok := m.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						t.Errorf("%s: Reason %s is written by the system: make it a SystemReason with names (domain/names.go), so pages show it in their language", fset.Position(lit.Pos()), lit.Value)
					}
					return true
				})
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 15 {
		t.Fatalf("found %d reasons in the source; the parser lost them", checked)
	}
	for _, r := range []SystemReason{ReasonReportedToPremier, ReasonPremiersDirective, ReasonFirstResponse, ReasonJoinPublishedDeadline} {
		if n, ok := ReasonName(string(r)); !ok || n.ZH == "" || n.EN == "" {
			t.Errorf("%q has no names", r)
		}
	}
}

// isDomainType reports whether e names a type of package domain.
func isDomainType(e ast.Expr) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && x.Name == "domain"
}

// systemReasonConst reports whether e names a Reason* constant.
func systemReasonConst(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name, strings.HasPrefix(x.Name, "Reason")
	case *ast.SelectorExpr:
		return x.Sel.Name, strings.HasPrefix(x.Sel.Name, "Reason")
	}
	return "", false
}

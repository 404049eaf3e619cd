package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"testing"

	"github.com/pdis/collab-ledger/internal/testenv"
)

// TestLayering: the module's import graph, as `go list` reads it, keeps
// every rule (docs/architecture.md).
func TestLayering(t *testing.T) {
	pkgs := modulePackages(t)
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	for _, v := range Check(pkgs) {
		t.Error(v)
	}
	// the rules saw the packages they are about
	for _, want := range []string{"domain", "eventstore", "projections", "web", "readmodels"} {
		if !slices.ContainsFunc(pkgs, func(p Package) bool { return p.ImportPath == Module+"/"+want }) {
			t.Errorf("no package %s in the graph", want)
		}
	}
}

// TestRulesCatch: each rule reports what breaks it, and only that.
func TestRulesCatch(t *testing.T) {
	m := func(p string) string { return Module + "/" + p }
	base := []Package{
		{ImportPath: m("domain"), Name: "domain", Imports: []string{"encoding/json", "net/url", "github.com/google/uuid", m("akn"), m("domain/calendar")}},
		{ImportPath: m("domain/calendar"), Name: "calendar", Imports: []string{"embed", "time"}},
		{ImportPath: m("domain/calendar/internal/gen"), Name: "main", Imports: []string{"os", "path/filepath"}},
		{ImportPath: m("akn"), Name: "akn", Imports: []string{"encoding/xml", "io"}},
		{ImportPath: m("eventstore"), Name: "eventstore", Imports: []string{"context", m("internal/pgstats")}},
		{ImportPath: m("projections"), Name: "projections", Imports: []string{m("eventstore")}},
		{ImportPath: m("readmodels"), Name: "readmodels", Imports: []string{m("projections"), m("domain")}},
		{ImportPath: m("web"), Name: "web", Imports: []string{"net/http", m("readmodels")}},
		{ImportPath: m("cmd/collabledger"), Name: "main", Imports: []string{"net/http", "os"}},
		{ImportPath: m("internal/testenv"), Name: "testenv", Imports: []string{"net/http/httptest"}},
		{ImportPath: m("internal/testoidc"), Name: "testoidc", Imports: []string{"net/http"}},
		{ImportPath: m("reports"), Name: "reports", Imports: []string{m("readmodels")}},
		{ImportPath: m("transparency"), Name: "transparency", Imports: []string{"net/http"}},
	}
	if v := Check(base); len(v) != 0 {
		t.Fatalf("a clean graph: %v", v)
	}
	for _, c := range []struct {
		name string
		pkg  Package
		want Violation
	}{
		{"domain reads a file", Package{m("domain"), "domain", []string{"os"}}, Violation{RuleDomainPure, m("domain"), "os"}},
		{"domain calls out", Package{m("domain/calendar"), "calendar", []string{"net"}}, Violation{RuleDomainPure, m("domain/calendar"), "net"}},
		{"domain uses an adapter", Package{m("domain"), "domain", []string{m("eventstore")}}, Violation{RuleDomainPure, m("domain"), m("eventstore")}},
		{"domain uses a driver", Package{m("domain"), "domain", []string{"github.com/jackc/pgx/v5"}}, Violation{RuleDomainPure, m("domain"), "github.com/jackc/pgx/v5"}},
		{"what domain uses does I/O", Package{m("akn"), "akn", []string{"os"}}, Violation{RuleDomainPure, m("akn"), "os"}},
		{"a read model serves HTTP", Package{m("readmodels"), "readmodels", []string{"net/http"}}, Violation{RuleHTTPInWeb, m("readmodels"), "net/http"}},
		{"a test helper outside internal/test*", Package{m("eventstore/storetest"), "storetest", []string{"net/http/httptest"}}, Violation{RuleHTTPInWeb, m("eventstore/storetest"), "net/http/httptest"}},
		{"an internal package that is no test helper", Package{m("internal/pgstats"), "pgstats", []string{"net/http"}}, Violation{RuleHTTPInWeb, m("internal/pgstats"), "net/http"}},
		{"the reports serve HTTP again", Package{m("reports"), "reports", []string{"net/http"}}, Violation{RuleHTTPInWeb, m("reports"), "net/http"}},
		{"the witness client moved", Package{m("transparency"), "transparency", nil}, Violation{RuleStaleException, m("transparency"), "net/http"}},
		{"the store reads a read model", Package{m("eventstore/bbolt"), "bbolt", []string{m("readmodels")}}, Violation{RuleStoreAtBottom, m("eventstore/bbolt"), m("readmodels")}},
		{"the store reads a projection", Package{m("eventstore"), "eventstore", []string{m("projections")}}, Violation{RuleStoreAtBottom, m("eventstore"), m("projections")}},
		{"the framework reads a read model", Package{m("projections/postgres"), "postgres", []string{m("readmodels")}}, Violation{RuleFrameworkOnly, m("projections/postgres"), m("readmodels")}},
	} {
		pkgs := slices.Clone(base)
		i := slices.IndexFunc(pkgs, func(p Package) bool { return p.ImportPath == c.pkg.ImportPath })
		if i < 0 {
			pkgs = append(pkgs, c.pkg)
		} else {
			pkgs[i] = c.pkg
		}
		if got := Check(pkgs); !slices.Equal(got, []Violation{c.want}) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

// modulePackages lists the module's packages with `go list`.
func modulePackages(t *testing.T) []Package {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the layering rules need the go command: %v", err)
	}
	cmd := exec.Command(goBin, "list", "-e", "-json=ImportPath,Name,Imports,Error", "./...")
	cmd.Dir = testenv.RepoRoot()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			Package
			Error *struct{ Err string }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		if p.Error != nil {
			t.Fatalf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, p.Package)
	}
	return pkgs
}

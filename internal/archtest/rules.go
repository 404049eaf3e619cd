package archtest

import (
	"fmt"
	"slices"
	"strings"
)

// Module is the module's import path.
const Module = "github.com/pdis/collab-ledger"

// Package is what the rules read of one package of the module: its import
// path, its name and the imports of its non-test files (test files may
// import what they need: they are not linked into anything).
type Package struct {
	ImportPath string
	Name       string
	Imports    []string
}

// Violation is one import that breaks a rule.
type Violation struct {
	Rule    string
	Package string
	Import  string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s imports %s: %s", v.Package, v.Import, v.Rule)
}

// Rule texts, as Check reports them.
const (
	RuleDomainPure     = "domain decides without I/O: it imports no adapter and no I/O package (only domain/..., the pure format package akn, the standard library's pure packages and github.com/google/uuid)"
	RuleHTTPInWeb      = "net/http only in web, cmd and test helpers (internal/test*, such as internal/testenv; _test.go files)"
	RuleStoreAtBottom  = "eventstore is the bottom layer: it imports no projection, read model or anything above it (only eventstore/..., internal/... and domain/...)"
	RuleFrameworkOnly  = "projections is the framework: it imports no read model or anything above it (only projections/..., eventstore/..., internal/... and domain/...)"
	RuleStaleException = "a listed exception that is no longer needed: remove it from HTTPExceptions"
)

// HTTPExceptions are the packages outside web and cmd that import net/http
// today, each with why. Check reports an exception that no longer imports
// net/http, so that the list only shrinks.
var HTTPExceptions = map[string]string{
	// Outbound HTTP clients, not faces: the witness client posts
	// checkpoints to witnesses (C2SP tlog-witness) and the monitor fetches
	// other ledgers' checkpoints.
	Module + "/transparency": "witness and monitor clients call other servers",
}

// domainThirdParty are the modules domain may import besides the standard
// library.
var domainThirdParty = []string{"github.com/google/uuid"}

// ioPackage reports whether a standard-library package does I/O (or
// reads the environment, the clock aside, or randomness): what a decision
// must not depend on. net/url and net/netip only parse values.
func ioPackage(p string) bool {
	switch {
	case p == "net/url" || p == "net/netip":
		return false
	case p == "net" || strings.HasPrefix(p, "net/"),
		p == "os" || strings.HasPrefix(p, "os/"),
		strings.HasPrefix(p, "database/sql"),
		p == "syscall", p == "io/ioutil", p == "plugin",
		p == "log" || p == "log/slog" || p == "log/syslog",
		p == "crypto/rand", p == "math/rand" || p == "math/rand/v2":
		return true
	}
	return false
}

// under reports whether import path p is the module's package dir or below
// it.
func under(p, dir string) bool {
	full := Module + "/" + dir
	return p == full || strings.HasPrefix(p, full+"/")
}

func inModule(p string) bool { return p == Module || strings.HasPrefix(p, Module+"/") }

// standard reports whether p is a standard-library package (no dot in its
// first element).
func standard(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".")
}

// Check returns every import of pkgs that breaks a rule, sorted.
func Check(pkgs []Package) []Violation {
	var out []Violation
	byPath := map[string]Package{}
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	add := func(rule, pkg, imp string) { out = append(out, Violation{rule, pkg, imp}) }

	// domain, and the module packages it reaches, are pure.
	pure := func(p string) bool { return under(p, "domain") || p == Module+"/akn" }
	seen := map[string]bool{}
	var visit func(path string)
	visit = func(path string) {
		if seen[path] {
			return
		}
		seen[path] = true
		p, ok := byPath[path]
		if !ok || p.Name == "main" { // a go:generate program is not linked into domain
			return
		}
		for _, imp := range p.Imports {
			switch {
			case inModule(imp):
				if !pure(imp) {
					add(RuleDomainPure, path, imp)
					continue
				}
				visit(imp)
			case standard(imp):
				if ioPackage(imp) {
					add(RuleDomainPure, path, imp)
				}
			case !slices.ContainsFunc(domainThirdParty, func(m string) bool { return imp == m || strings.HasPrefix(imp, m+"/") }):
				add(RuleDomainPure, path, imp)
			}
		}
	}
	for _, p := range pkgs {
		if under(p.ImportPath, "domain") {
			visit(p.ImportPath)
		}
	}

	for _, p := range pkgs {
		path := p.ImportPath
		// net/http in the faces only.
		http := slices.ContainsFunc(p.Imports, func(imp string) bool { return imp == "net/http" || strings.HasPrefix(imp, "net/http/") })
		face := under(path, "web") || under(path, "cmd") || strings.HasPrefix(path, Module+"/internal/test")
		_, excepted := HTTPExceptions[path]
		if http && !face && !excepted {
			for _, imp := range p.Imports {
				if imp == "net/http" || strings.HasPrefix(imp, "net/http/") {
					add(RuleHTTPInWeb, path, imp)
				}
			}
		}
		if excepted && !http {
			add(RuleStaleException, path, "net/http")
		}
		// The layers below the read side.
		for _, imp := range p.Imports {
			if !inModule(imp) {
				continue
			}
			low := under(imp, "eventstore") || under(imp, "internal") || under(imp, "domain")
			if under(path, "eventstore") && !low {
				add(RuleStoreAtBottom, path, imp)
			}
			if under(path, "projections") && !low && !under(imp, "projections") {
				add(RuleFrameworkOnly, path, imp)
			}
		}
	}
	slices.SortFunc(out, func(a, b Violation) int { return strings.Compare(a.String(), b.String()) })
	return slices.Compact(out)
}

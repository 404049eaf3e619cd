package domain

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// nameGroups maps each named type of domain values to its catalogue group.
// A new type of domain value shown to people belongs here and in names.
var nameGroups = map[string]string{
	"CaseStage":           NamesStage,
	"CaseSourceKind":      NamesSource,
	"CandidateKind":       NamesCandidate,
	"Verdict":             NamesVerdict,
	"DirectiveKind":       NamesDirective,
	"ProposalStatus":      NamesStatus,
	"MeetingKind":         NamesKind,
	"Phase":               NamesPhase,
	"StakeholderCategory": NamesCategory,
	"ParticipantRole":     NamesRole,
	"Role":                NamesActor,
	"PORole":              NamesPORole,
	"Board":               NamesBoard,
	"ConceptSection":      NamesSection,
	"RecordingKind":       NamesRecording,
	"UtteranceKind":       NamesUtterance,
	"SystemReason":        NamesReason,
}

// domainValues reads the package's source and returns every constant value
// of the types in nameGroups (and the untyped Change* constants), as
// catalogue keys.
func domainValues(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	keys := map[string]string{} // key → constant name
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				group := ""
				if id, ok := vs.Type.(*ast.Ident); ok {
					group = nameGroups[id.Name]
				} else if vs.Type == nil && len(vs.Names) == 1 && strings.HasPrefix(vs.Names[0].Name, "Change") {
					group = NamesChange
				}
				if group == "" {
					continue
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: constant %s is not a string literal", fset.Position(n.Pos()), n.Name)
					}
					v, _ := strconv.Unquote(lit.Value)
					if v != "" {
						keys[group+"."+v] = n.Name
					}
				}
			}
		}
	}
	return keys
}

// TestEveryDomainValueHasBothNames: each value of a stage, phase, source,
// verdict, role, kind … has a Traditional Chinese and an English name, and
// the catalogue names nothing that is not a domain value.
func TestEveryDomainValueHasBothNames(t *testing.T) {
	values := domainValues(t)
	if len(values) < 60 {
		t.Fatalf("found only %d domain values in the source; the parser lost them", len(values))
	}
	for key, constant := range values {
		group, value, _ := strings.Cut(key, ".")
		n, ok := NameOf(group, value)
		if !ok {
			t.Errorf("%s (%q) has no names: add %q: {ZH, EN} to names in domain/names.go", constant, value, key)
			continue
		}
		if strings.TrimSpace(n.ZH) == "" || strings.TrimSpace(n.EN) == "" {
			t.Errorf("%s: names %+v lack a language", key, n)
		}
	}
	for _, key := range NameKeys() {
		if _, ok := values[key]; !ok {
			t.Errorf("catalogue key %q names no domain value", key)
		}
	}
}

// TestNamesUsePDISWording pins the wording reconciled to PDIS's own words.
func TestNamesUsePDISWording(t *testing.T) {
	for v, want := range map[string]string{
		StageTopicSet.Name().ZH: "設定議題", StageDirective.Name().ZH: "院長裁示", StageResponses.Name().ZH: "部會回應",
		PhaseDiscover.Name().ZH: "發現問題", PhaseDefine.Name().ZH: "定義問題", PhaseDevelop.Name().ZH: "概念發展",
	} {
		if v != want {
			t.Errorf("name %q, want %q", v, want)
		}
	}
}

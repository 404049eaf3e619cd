package web

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/readmodels"
)

// TestCatalogueComplete: both languages have every label, and every value
// of the domain's enumerations the pages show has a label in each.
func TestCatalogueComplete(t *testing.T) {
	zh, en := catalogue[LangZhHant], catalogue[LangEn]
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("%s: no English label", k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("%s: no Chinese label", k)
		}
	}
	values := map[string][]string{
		"stage":     strs(allStages),
		"source":    strs(allSources),
		"verdict":   {string(domain.VerdictAdopted), string(domain.VerdictPartly), string(domain.VerdictNotAdopted), string(domain.VerdictDeferred)},
		"directive": {string(domain.DirectiveWithinAuthority), string(domain.DirectiveSpecific)},
		"status":    {string(domain.ProposalStatusSubmitted), string(domain.ProposalStatusPublished), string(domain.ProposalStatusEstablished), string(domain.ProposalStatusExpired)},
		"kind":      {string(domain.MeetingCollaborative), string(domain.MeetingPreMeeting), string(domain.MeetingWorking), string(domain.MeetingOther), string(domain.MeetingPOMonthly)},
		"phase":     {string(domain.PhaseDiscover), string(domain.PhaseDefine), string(domain.PhaseDevelop), string(domain.PhaseDeliver)},
		"category": {string(domain.StakeholderProposer), string(domain.StakeholderGovernment), string(domain.StakeholderIndustry), string(domain.StakeholderCivilSociety),
			string(domain.StakeholderAcademia), string(domain.StakeholderAffectedPublic), string(domain.StakeholderOther)},
		"role": {string(domain.ParticipantHost), string(domain.ParticipantProposer), string(domain.ParticipantMinistry), string(domain.ParticipantStakeholder),
			string(domain.ParticipantExpert), string(domain.ParticipantObserver), string(domain.ParticipantStenographer)},
		"actor": {string(domain.RoleCitizen), string(domain.RoleProposer), string(domain.RolePO), string(domain.RolePDIS), string(domain.RoleStenographer),
			string(domain.RoleSecretariat), string(domain.RoleMinistry), string(domain.RoleAuditor)},
		"board":     {string(domain.BoardMindMap), string(domain.BoardConceptSheet)},
		"change":    {domain.ChangeRecorded, domain.ChangeEdited, domain.ChangeCorrected, domain.ChangeReverted, domain.ChangeSplit, domain.ChangeMerged},
		"candidate": {string(domain.CandidateEstablishedProposal), string(domain.CandidateMinistryProposal), string(domain.CandidatePDISProposal), string(domain.CandidateEYAssignment)},
		"recording": {string(domain.RecordingVideo), string(domain.RecordingLiveStream), string(domain.RecordingAudio)},
		"step": {readmodels.StepProposal, readmodels.StepSignatures, readmodels.StepProposalResponse, readmodels.StepVote, readmodels.StepCaseOpened,
			readmodels.StepOrganisers, readmodels.StepStage, readmodels.StepResearch, readmodels.StepRecommendation, readmodels.StepReport,
			readmodels.StepDirective, readmodels.StepResponse, readmodels.StepMeeting, readmodels.StepParticipation, readmodels.StepNote,
			readmodels.StepQuestion, readmodels.StepTranscript, readmodels.StepUtterance, readmodels.StepTranscriptEdit},
	}
	values["field"] = append(values["field"], detailFields...)
	for kind, vs := range values {
		for _, v := range vs {
			for _, lang := range []string{LangZhHant, LangEn} {
				if _, ok := catalogue[lang][kind+"."+v]; !ok {
					t.Errorf("%s.%s: no %s label", kind, v, lang)
				}
			}
		}
	}
}

// TestLanguageNegotiation: ?lang= wins, then the cookie, then
// Accept-Language; Traditional Chinese is the default and wins ties.
func TestLanguageNegotiation(t *testing.T) {
	for _, c := range []struct {
		url, cookie, accept, want string
		chosen                    bool
	}{
		{"/", "", "", LangZhHant, false},
		{"/?lang=en", "", "", LangEn, true},
		{"/?lang=zh-Hant", "en", "en", LangZhHant, true},
		{"/?lang=fr", "en", "", LangEn, false},
		{"/", "zh-Hant", "en", LangZhHant, false},
		{"/", "", "en-US,en;q=0.9", LangEn, false},
		{"/", "", "fr, en;q=0.8, zh-TW;q=0.8", LangZhHant, false},
		{"/", "", "ja", LangZhHant, false},
		{"/", "", "zh-Hant-TW", LangZhHant, false},
	} {
		r := httptest.NewRequest("GET", c.url, nil)
		if c.cookie != "" {
			r.Header.Set("Cookie", langCookie+"="+c.cookie)
		}
		if c.accept != "" {
			r.Header.Set("Accept-Language", c.accept)
		}
		got, chosen := langOf(r)
		if got != c.want || chosen != c.chosen {
			t.Errorf("%s cookie %q accept %q: %s %v, want %s %v", c.url, c.cookie, c.accept, got, chosen, c.want, c.chosen)
		}
	}
}

// TestEveryRuleErrorIsBilingual reads every Go source of the module: a
// refusal made outside the domain goes through domain.NewRuleError with a
// Chinese wording (never a RuleError built by hand, never an empty or
// Chinese-less literal), so that a form or page in Traditional Chinese never
// shows an English refusal. The domain's own refusals are checked by
// domain.TestEveryRefusalHasBothLanguages.
func TestEveryRuleErrorIsBilingual(t *testing.T) {
	fset := token.NewFileSet()
	calls := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || filepath.ToSlash(path) == "../domain/errors.go" {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CompositeLit:
				if sel, ok := x.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "RuleError" {
					t.Errorf("%s: a RuleError built by hand has no Chinese wording; use domain.NewRuleError", fset.Position(x.Pos()))
				}
			case *ast.CallExpr:
				sel, ok := x.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "NewRuleError" || len(x.Args) != 4 {
					return true
				}
				calls++
				if lit, ok := x.Args[3].(*ast.BasicLit); ok {
					s, _ := strconv.Unquote(lit.Value)
					if !strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
						t.Errorf("%s: the Chinese wording %q has no Chinese", fset.Position(x.Pos()), s)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 20 {
		t.Fatalf("found %d calls of domain.NewRuleError; the walk lost them", calls)
	}
}

// TestRefusalInPageLanguage: a form's refusal reads in the page's
// language, with the domain's Chinese wording on a Chinese page.
func TestRefusalInPageLanguage(t *testing.T) {
	err := domain.Authorize("case.open", domain.Actor{ID: "x", Role: domain.RoleCitizen})
	var re *domain.RuleError
	if !errors.As(err, &re) {
		t.Fatalf("%v is not a refusal", err)
	}
	zh := ruleMessage(&Page{Lang: LangZhHant}, re)
	en := ruleMessage(&Page{Lang: LangEn}, re)
	if !strings.Contains(zh, "不能執行") || strings.Contains(zh, "may not") {
		t.Errorf("Chinese page: %q", zh)
	}
	if !strings.Contains(en, "may not") {
		t.Errorf("English page: %q", en)
	}
}

// TestRuleReasonsAreNamed: a reason the domain writes together with the
// rule that decided it (a candidate skipped by a rule) is shown by that
// rule, so every such rule in the domain's source has a "skip.<rule>"
// label in both languages.
func TestRuleReasonsAreNamed(t *testing.T) {
	fset := token.NewFileSet()
	paths, err := filepath.Glob("../domain/*.go")
	if err != nil {
		t.Fatal(err)
	}
	rules := 0
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			var rule string
			hasReason := false
			for _, el := range cl.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				k, _ := kv.Key.(*ast.Ident)
				switch {
				case k == nil:
				case k.Name == "Reason":
					hasReason = true
				case k.Name == "Rule":
					if lit, ok := kv.Value.(*ast.BasicLit); ok {
						rule, _ = strconv.Unquote(lit.Value)
					}
				}
			}
			if !hasReason || rule == "" {
				return true
			}
			rules++
			for _, lang := range []string{LangZhHant, LangEn} {
				if _, ok := catalogue[lang]["skip."+rule]; !ok {
					t.Errorf("%s: the reason written with rule %s has no %s label skip.%s", fset.Position(cl.Pos()), rule, lang, rule)
				}
			}
			return true
		})
	}
	if rules == 0 {
		t.Fatal("found no reason written with its rule; the parser lost them")
	}
}

// TestSingularInEnglish: a count of one reads in the singular in English,
// every singular label has its plural in the catalogue with the same
// arguments, and Chinese is unchanged.
func TestSingularInEnglish(t *testing.T) {
	for key, one := range singularEn {
		many, ok := catalogue[LangEn][key]
		if !ok {
			t.Errorf("%s: a singular without a label", key)
			continue
		}
		// The same arguments: as many as the plural takes, each used.
		args := make([]any, strings.Count(many, "%"))
		for i := range args {
			args[i] = i + 1
		}
		if got := fmt.Sprintf(one, args...); strings.Contains(got, "%!") {
			t.Errorf("%s: the singular does not take the plural's %d arguments: %s", key, len(args), got)
		}
	}
	for _, c := range []struct {
		lang, key string
		args      []any
		want      string
	}{
		{LangEn, "list.dayslate", []any{1}, "1 day late"},
		{LangEn, "list.dayslate", []any{2}, "2 days late"},
		{LangEn, "list.dayslate", []any{0}, "0 days late"},
		{LangEn, "ministry.summary", []any{1, 1, 0, 0, 0}, "1 proposal: 1 answered on time, 0 answered late, 0 overdue, 0 awaiting a response."},
		{LangZhHant, "list.dayslate", []any{1}, "逾期 1 日"},
		{LangEn, "ledger.summary.all", []any{1, 7}, "✓ The one utterance is included in checkpoint of size 7; its “proof” link gives its inclusion proof."},
		{LangEn, "ledger.summary.all", []any{2, 7}, "✓ All 2 utterances are included in checkpoint of size 7; each utterance’s “proof” link gives its inclusion proof."},
	} {
		if got := formatLabel(c.lang, c.key, c.args...); got != c.want {
			t.Errorf("%s %s %v: %q, want %q", c.lang, c.key, c.args, got, c.want)
		}
	}
}

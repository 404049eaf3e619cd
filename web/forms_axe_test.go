package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/internal/testenv"
	"github.com/pdis/collab-ledger/web"
)

// axeViolation is one violation axe-core reports.
type axeViolation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// axeCheck runs axe-core (WCAG 2.1 A and AA rules) on the page shown and
// returns its violations.
func axeCheck(t *testing.T, ctx context.Context, script string) []axeViolation {
	t.Helper()
	var loaded bool
	if err := chromedp.Run(ctx, chromedp.Evaluate(`typeof axe !== "undefined"`, &loaded)); err != nil {
		t.Fatalf("axe: %v", err)
	}
	if !loaded {
		if err := chromedp.Run(ctx, chromedp.Evaluate(script, nil)); err != nil {
			t.Fatalf("axe: %v", err)
		}
	}
	var raw string
	err := chromedp.Run(ctx, chromedp.Evaluate(`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}).then(r => JSON.stringify({violations: r.violations, passes: r.passes.length}))`, &raw, awaitPromise))
	if err != nil {
		t.Fatalf("axe: %v", err)
	}
	var res struct {
		Violations []axeViolation `json:"violations"`
		Passes     int            `json:"passes"`
	}
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		t.Fatalf("axe's answer: %v", err)
	}
	if res.Passes == 0 {
		t.Fatalf("axe checked nothing")
	}
	return res.Violations
}

// TestFormsAccessible: axe-core finds no violation on the form pages —
// the sign-in page, each role's own page, each role's main form, a form of
// every kind of field, a refused form with its error summary, the
// accounts page, the speaker's form with its word-diff preview and a
// confirmation — in both languages, at 1280 px and at 390 px.
// It checks every command's form as well, once each, for the first role
// that may use it (two to five minutes on a busy machine);
// COLLABLEDGER_FORMS_AXE_QUICK=1 leaves those out while working on forms.
func TestFormsAccessible(t *testing.T) {
	script := testenv.AxeScript(t)
	bctx := testenv.Chromium(t, testenv.Browser{Timeout: 15 * time.Minute})
	if err := chromedp.Run(bctx); err != nil {
		t.Fatal(err)
	}
	e := newSigninEnv(t, func(si *web.SignIn) { si.Dev = true })
	e.publishedProposal("p-1")
	bob := domain.Actor{ID: string(domain.Pseudonym(apiSecret, "bob")), Role: domain.RoleCitizen}
	e.do(bob, domain.SignProposal{ProposalID: "p-1", Signer: domain.SignerID(bob.ID), County: "臺北市"}) // a row of the staff's signature list
	e.do(staffActor, domain.ScheduleMeeting{MeetingID: "m-1", Kind: domain.MeetingOther, Phase: domain.PhaseDiscover, Title: "會議", StartsAt: time.Now().Add(time.Hour)})
	e.do(domain.Actor{ID: "steno-1", Role: domain.RoleStenographer}, domain.StartTranscript{MeetingID: "m-1"})
	e.do(domain.Actor{ID: "steno-1", Role: domain.RoleStenographer}, domain.RecordUtterance{MeetingID: "m-1", UtteranceID: "u-1", Kind: domain.UtteranceSpeech,
		Speaker: domain.Speaker{ActorID: "po-moi-1", Name: "內政部PO"}, Paragraphs: []string{"我們會在一週內公開。"}})
	e.do(staffActor, domain.PublishTranscript{MeetingID: "m-1"})
	e.caughtUp()
	all := os.Getenv("COLLABLEDGER_FORMS_AXE_QUICK") != "1"
	// Each role's main form, and a form of every kind of field.
	forms := map[domain.Role][]string{
		domain.RoleCitizen:      {domain.CmdSubmitProposal},
		domain.RolePO:           {domain.CmdCastBallot},
		domain.RolePDIS:         {domain.CmdChangeStage, domain.CmdOpenMonthlyMeeting, domain.CmdScheduleMeeting, domain.CmdRecordAttendance, domain.CmdRegisterPO},
		domain.RoleStenographer: {domain.CmdRecordUtterance},
		domain.RoleSecretariat:  {domain.CmdRecordDirective},
		domain.RoleMinistry:     {domain.CmdRecordResponse},
	}
	roles := formRoles
	pages := 0
	// COLLABLEDGER_SCREENSHOTS=docs/images saves each role's main form
	// (Traditional Chinese, 1280 px) for docs/pages.md.
	shots := os.Getenv("COLLABLEDGER_SCREENSHOTS")
	shoot := func(ctx context.Context, lang, name string) {
		t.Helper()
		if shots == "" || lang != "zh-Hant" {
			return
		}
		var buf []byte
		if err := chromedp.Run(ctx, chromedp.FullScreenshot(&buf, 100)); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shots, "forms-"+name+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// check runs axe on the page shown at 1280 px, then at 390 px.
	check := func(ctx context.Context, what string) {
		t.Helper()
		for _, width := range []int64{1280, 390} {
			if err := chromedp.Run(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
				t.Fatal(err)
			}
			pages++
			axeReport(t, ctx, script, fmt.Sprintf("%s at %d px", what, width))
		}
		if err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
			t.Fatal(err)
		}
	}
	{
		for _, lang := range []string{"zh-Hant", "en"} {
			seen := map[string]bool{} // each command's form once per language
			for _, a := range roles {
				ctx, cancel := context.WithTimeout(bctx, 3*time.Minute)
				run := func(what string, actions ...chromedp.Action) {
					t.Helper()
					if err := chromedp.Run(ctx, actions...); err != nil {
						t.Fatalf("%s (%s): %v", what, lang, err)
					}
				}
				visit := func(path, ready string) {
					t.Helper()
					run(path, chromedp.Navigate(e.url+path), chromedp.WaitVisible(ready, chromedp.ByQuery))
					check(ctx, fmt.Sprintf("%s %s (%s)", a, path, lang))
				}
				run("sign in as "+a.String(),
					chromedp.EmulateViewport(1280, 900),
					chromedp.Navigate(e.url+"/signin?lang="+lang),
					chromedp.WaitVisible("#dev-form", chromedp.ByQuery),
					chromedp.SetValue("#dev-role", string(a.Role), chromedp.ByQuery),
					chromedp.SetValue("#dev-id", a.ID, chromedp.ByQuery))
				if a.Ministry != "" {
					run("ministry", chromedp.SetValue("#dev-ministry", string(a.Ministry), chromedp.ByQuery))
				}
				if a.Role == domain.RoleCitizen {
					check(ctx, fmt.Sprintf("/signin (%s)", lang))
					shoot(ctx, lang, "signin")
				}
				run("submit", chromedp.Click("#dev-submit", chromedp.ByQuery), chromedp.WaitVisible("#me-title", chromedp.ByQuery))
				check(ctx, fmt.Sprintf("%s /me (%s)", a, lang))
				names := forms[a.Role]
				if all {
					names = nil
					for _, c := range app.Commands() {
						if !seen[c.Name] && domain.Authorize(c.Name, a) == nil && !strings.HasPrefix(c.Name, "transcript.import") && !strings.HasPrefix(c.Name, "case.import") && c.Name != domain.CmdSplitUtterance {
							names = append(names, c.Name)
							seen[c.Name] = true
						}
					}
					if len(names) == 0 { // the role's main form, for its screenshot
						names = forms[a.Role][:1]
					}
				}
				for i, name := range names {
					visit("/act/"+name, "#form-title")
					if i == 0 {
						shoot(ctx, lang, string(a.Role))
					}
				}
				switch a.Role {
				case domain.RoleCitizen:
					// A refused form (the error summary, the field's message),
					// then a recorded one (the confirmation).
					run("refused", chromedp.Navigate(e.url+"/act/proposal.sign"), chromedp.WaitVisible("#form-title", chromedp.ByQuery),
						chromedp.Click("#submit", chromedp.ByQuery), chromedp.WaitVisible("#error-summary", chromedp.ByQuery))
					check(ctx, fmt.Sprintf("a refused form (%s)", lang))
					shoot(ctx, lang, "refused")
					run("submit a proposal", chromedp.Navigate(e.url+"/act/proposal.submit"), chromedp.WaitVisible("#form-title", chromedp.ByQuery),
						chromedp.SetValue("#f-title", "標題", chromedp.ByQuery), chromedp.SetValue("#f-summary", "摘要", chromedp.ByQuery),
						chromedp.Click("#submit", chromedp.ByQuery), chromedp.WaitVisible("#recorded-title", chromedp.ByQuery))
					check(ctx, fmt.Sprintf("a confirmation (%s)", lang))
				case domain.RolePO:
					run("preview", chromedp.Navigate(e.url+"/speak/m-1/u-1"), chromedp.WaitVisible("#f-paragraphs", chromedp.ByQuery),
						chromedp.SetValue("#f-paragraphs", "我們會在三天內公開。", chromedp.ByQuery),
						chromedp.Click("#preview-button", chromedp.ByQuery), chromedp.WaitVisible("#preview", chromedp.ByQuery))
					check(ctx, fmt.Sprintf("the speaker's form with its preview (%s)", lang))
					shoot(ctx, lang, "speaker")
				case domain.RolePDIS:
					visit("/admin/accounts", "#accounts-title")
					visit("/admin/proposals/p-1/signatures", "#signatures-title")
				}
				run("sign out", chromedp.Click("#signout", chromedp.ByQuery), chromedp.WaitVisible("#signin-link", chromedp.ByQuery))
				cancel()
			}
		}
	}
	t.Logf("%d pages checked", pages)
}

// formRoles is one signed-in actor of each role that has forms.
var formRoles = []domain.Actor{
	{ID: "alice", Role: domain.RoleCitizen},
	{ID: "po-moi-1", Role: domain.RolePO, Ministry: "moi"},
	{ID: "pdis-1", Role: domain.RolePDIS},
	{ID: "steno-1", Role: domain.RoleStenographer},
	{ID: "ey-sec-1", Role: domain.RoleSecretariat},
	{ID: "moi-official", Role: domain.RoleMinistry, Ministry: "moi"},
}

// axeReport runs axe-core on the page shown and reports each violation
// as an error of what.
func axeReport(t *testing.T, ctx context.Context, script, what string) {
	t.Helper()
	for _, v := range axeCheck(t, ctx, script) {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, jsonString(n.Target))
		}
		t.Errorf("%s: %s (%s) at %v", what, v.ID, v.Help, where)
	}
}

func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

package web_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/internal/testenv"
	"github.com/pdis/collab-ledger/web"
)

// TestFormsKeyboard: a form works by keyboard alone: Tab reaches each
// field in order, typing fills it, a select moves with the arrow keys,
// and Enter on the button sends it.
func TestFormsKeyboard(t *testing.T) {
	bctx := testenv.Chromium(t, testenv.Browser{Timeout: 2 * time.Minute})
	if err := chromedp.Run(bctx); err != nil {
		t.Fatal(err)
	}
	e := newSigninEnv(t, func(si *web.SignIn) { si.Dev = true })
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()
	run := func(what string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	active := func() string {
		var id string
		run("focus", chromedp.Evaluate(`document.activeElement ? document.activeElement.id : ""`, &id))
		return id
	}
	// tabTo presses Tab until the element with id has the focus.
	tabTo := func(id string) {
		t.Helper()
		for range 40 {
			if active() == id {
				return
			}
			run("tab", chromedp.KeyEvent(kb.Tab))
		}
		t.Fatalf("Tab never reaches #%s", id)
	}
	// Sign in by keyboard: the role select, the name, Enter.
	run("sign-in page", chromedp.Navigate(e.url+"/signin?lang=en"), chromedp.WaitVisible("#dev-form", chromedp.ByQuery))
	tabTo("dev-role")
	tabTo("dev-id")
	run("type a name", chromedp.KeyEvent("alice"))
	tabTo("dev-submit")
	run("Enter", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible("#me-title", chromedp.ByQuery))
	// A citizen submits a proposal by keyboard.
	run("form", chromedp.Navigate(e.url+"/act/proposal.submit"), chromedp.WaitVisible("#form-title", chromedp.ByQuery))
	tabTo("f-title")
	run("type the title", chromedp.KeyEvent("Open bus data"))
	tabTo("f-summary")
	run("type the summary", chromedp.KeyEvent("Publish real-time bus positions."))
	tabTo("submit")
	run("Enter", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible("#recorded-title", chromedp.ByQuery))
	var made string
	run("made", chromedp.Text("#made", &made, chromedp.ByQuery))
	if !strings.Contains(made, "p-") {
		t.Errorf("the confirmation shows no proposal ID: %q", made)
	}
	// A refusal by keyboard: the summary's link takes the focus to the field.
	run("form", chromedp.Navigate(e.url+"/act/proposal.sign"), chromedp.WaitVisible("#form-title", chromedp.ByQuery))
	tabTo("submit")
	run("Enter", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible("#error-summary", chromedp.ByQuery))
	var link string
	run("summary link", chromedp.AttributeValue("#error-summary a", "href", &link, nil, chromedp.ByQuery))
	if !strings.HasSuffix(link, "#f-proposalId") {
		t.Errorf("the error summary links to %q, not the field", link)
	}
}

// TestEveryFormByKeyboard: every command's form, for the first role that
// may use it, works by keyboard alone: Tab reaches each of its fields in
// the order they are shown and then the button; on the way each kind of
// field takes the keyboard (typing fills a text, number or text area, the
// arrow keys move a select and set a date, Space ticks a checkbox); Enter on the button
// sends the form, and the server answers with the confirmation or the
// error summary.
func TestEveryFormByKeyboard(t *testing.T) {
	bctx := testenv.Chromium(t, testenv.Browser{Timeout: 6 * time.Minute})
	if err := chromedp.Run(bctx); err != nil {
		t.Fatal(err)
	}
	e := newSigninEnv(t, func(si *web.SignIn) { si.Dev = true })
	e.publishedProposal("p-1")
	e.caughtUp()
	roles := append(slices.Clone(formRoles), domain.Actor{ID: "auditor-1", Role: domain.RoleAuditor})
	done := map[string]bool{}
	kinds := map[string]int{}
	steps := 0
	for _, a := range roles {
		var names []string
		for _, c := range app.Commands() {
			if !done[c.Name] && domain.Authorize(c.Name, a) == nil && !strings.HasPrefix(c.Name, "transcript.import") && c.Name != domain.CmdSplitUtterance {
				names = append(names, c.Name)
				done[c.Name] = true
			}
		}
		if len(names) == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(bctx, 3*time.Minute)
		run := func(what string, actions ...chromedp.Action) {
			t.Helper()
			if err := chromedp.Run(ctx, actions...); err != nil {
				t.Fatalf("%s as %s: %v", what, a, err)
			}
		}
		run("sign in", chromedp.Navigate(e.url+"/signin?lang=en"), chromedp.WaitVisible("#dev-form", chromedp.ByQuery),
			chromedp.SetValue("#dev-role", string(a.Role), chromedp.ByQuery), chromedp.SetValue("#dev-id", a.ID, chromedp.ByQuery))
		if a.Ministry != "" {
			run("ministry", chromedp.SetValue("#dev-ministry", string(a.Ministry), chromedp.ByQuery))
		}
		run("submit", chromedp.Click("#dev-submit", chromedp.ByQuery), chromedp.WaitVisible("#me-title", chromedp.ByQuery))
		for _, name := range names {
			run(name, chromedp.Navigate(e.url+"/act/"+name), chromedp.WaitVisible("#form-title", chromedp.ByQuery))
			// The controls as shown, in order: what Tab must visit.
			var want []struct{ ID, Kind string }
			run("controls", chromedp.Evaluate(`Array.from(document.querySelectorAll("#form input:not([type=hidden]), #form select, #form textarea, #form button"))
  .filter(e => e.checkVisibility()).map(e => ({ID: e.id, Kind: e.tagName === "INPUT" ? e.type : e.tagName.toLowerCase()}))`, &want))
			if len(want) == 0 || want[len(want)-1].ID != "submit" {
				t.Errorf("%s: the form's controls %v do not end with its button", name, want)
				continue
			}
			var active, kind string
			focus := func() {
				run("focus", chromedp.Evaluate(`document.activeElement.id`, &active))
			}
			focus()
			for range 40 { // from the top of the page to the form's first control
				if active == want[0].ID {
					break
				}
				run("tab", chromedp.KeyEvent(kb.Tab))
				focus()
			}
			for i, c := range want {
				if active != c.ID {
					t.Errorf("%s: Tab reaches #%s where #%s (control %d) should be", name, active, c.ID, i+1)
					break
				}
				kind = c.Kind
				kinds[kind]++
				var changed bool
				switch kind {
				case "text", "number", "textarea", "url", "search":
					run("type", chromedp.KeyEvent("7"))
					run("typed", chromedp.Evaluate(`document.activeElement.value.endsWith("7")`, &changed))
				case "select":
					run("arrow", chromedp.Evaluate(`(() => { const s = document.activeElement; window.__before = s.selectedIndex; return s.options.length > 1; })()`, &changed))
					if changed {
						run("arrow down", chromedp.KeyEvent(kb.ArrowDown))
						run("moved", chromedp.Evaluate(`document.activeElement.selectedIndex !== window.__before`, &changed))
					} else {
						changed = true // one option: nothing to move to
					}
				case "checkbox":
					run("space", chromedp.KeyEvent(" "))
					run("ticked", chromedp.Evaluate(`document.activeElement.checked`, &changed))
				case "date", "datetime-local":
					changed = true // checked once its every part is set, below
				default:
					changed = true // the button
				}
				if !changed {
					t.Errorf("%s: #%s (%s) does not take the keyboard", name, c.ID, kind)
				}
				if c.ID == "submit" {
					break
				}
				// A date's day, month and year (and time) take a Tab each;
				// the arrow keys set each part.
				for range 8 {
					if kind == "date" || kind == "datetime-local" {
						run("arrow up", chromedp.KeyEvent(kb.ArrowUp))
					}
					run("tab", chromedp.KeyEvent(kb.Tab))
					focus()
					if active != c.ID {
						break
					}
				}
				if kind == "date" || kind == "datetime-local" {
					var set bool
					run("set", chromedp.Evaluate(`document.getElementById(`+strconv.Quote(c.ID)+`).value !== ""`, &set))
					if !set {
						t.Errorf("%s: #%s (%s) is not set by the arrow keys", name, c.ID, kind)
					}
				}
			}
			if active != "submit" {
				continue
			}
			var step bool
			run("step?", chromedp.Evaluate(`document.querySelector("#form.step") !== null`, &step))
			if step {
				// a form that first asks where to look: Enter opens the
				// whole form with it chosen (or, nothing chosen, says so)
				run("Enter", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible("#form:not(.step), #error-summary", chromedp.ByQuery))
				steps++
				continue
			}
			run("Enter", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible("#recorded-title, #error-summary", chromedp.ByQuery))
		}
		run("sign out", chromedp.Click("#signout", chromedp.ByQuery), chromedp.WaitVisible("#signin-link", chromedp.ByQuery))
		cancel()
	}
	if len(done) < 40 {
		t.Errorf("only %d forms reached", len(done))
	}
	for _, k := range []string{"text", "select", "checkbox", "textarea", "number", "date", "datetime-local", "button"} {
		if kinds[k] == 0 {
			t.Errorf("no form had a field of kind %s", k)
		}
	}
	t.Logf("%d forms by keyboard (%d first asked where to look); controls by kind %v", len(done), steps, kinds)
}

package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

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

package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/internal/testenv"
	"github.com/pdis/collab-ledger/web"
)

// TestAssignLeadsFormInTheBrowser: a proposal published without a lead
// and established shows no assignment link to the public; a staff member
// signed in finds it on the proposal page, ticks 交通部 in the form, and
// the page then names 交通部 (in English, the Ministry of Transportation
// and Communications) as the ministry that owes the answer
// (decision 0056).
func TestAssignLeadsFormInTheBrowser(t *testing.T) {
	bctx := testenv.Chromium(t, testenv.Browser{Timeout: 3 * time.Minute})
	if err := chromedp.Run(bctx); err != nil {
		t.Fatal(err)
	}
	e := newSigninEnv(t, func(si *web.SignIn) { si.Dev = true })
	proposer := domain.Actor{ID: string(domain.Pseudonym(apiSecret, "proposer")), Role: domain.RoleCitizen}
	e.do(staffActor, domain.RegisterMinistry{MinistryID: "mot", Name: "交通部"})
	e.do(staffActor, domain.RegisterMinistry{MinistryID: "moi", Name: "內政部"})
	e.do(proposer, domain.SubmitProposal{ProposalID: "p-1", Title: "寵物友善乘車", Summary: "讓寵物搭車"})
	e.do(staffActor, domain.PublishProposal{ProposalID: "p-1", NotYetAssigned: true, Threshold: 1})
	bob := domain.Actor{ID: string(domain.Pseudonym(apiSecret, "bob")), Role: domain.RoleCitizen}
	e.do(bob, domain.SignProposal{ProposalID: "p-1", Signer: domain.SignerID(bob.ID)})
	e.caughtUp()
	p := &person{t: t, e: e, bctx: bctx}

	p.run("the public page", chromedp.Navigate(e.url+"/proposals/p-1?lang=en"), chromedp.WaitVisible("#proposal-status", chromedp.ByQuery))
	if n := countNodes(p, "#assign-leads-link"); n != 0 {
		t.Fatalf("the public sees %d assignment links", n)
	}
	p.run("sign in as staff", chromedp.Navigate(e.url+"/signin?lang=en"), chromedp.WaitVisible("#dev-form", chromedp.ByQuery),
		chromedp.SetValue("#dev-role", string(domain.RolePDIS), chromedp.ByQuery), chromedp.SetValue("#dev-id", "staff-2", chromedp.ByQuery),
		chromedp.Click("#dev-submit", chromedp.ByQuery), chromedp.WaitVisible("#me-title", chromedp.ByQuery))
	p.run("the staff's page", chromedp.Navigate(e.url+"/proposals/p-1?lang=en"), chromedp.WaitVisible("#assign-leads-link", chromedp.ByQuery),
		chromedp.Click("#assign-leads-link", chromedp.ByQuery), chromedp.WaitVisible("#form-title", chromedp.ByQuery))
	if got := p.text("#form-title"); got != "Assign a proposal's lead ministries" {
		t.Errorf("form title %q", got)
	}
	p.run("tick 交通部 and send", chromedp.Click(`input[name="leads"][value="mot"]`, chromedp.ByQuery),
		chromedp.Click("#submit", chromedp.ByQuery), chromedp.WaitVisible("#recorded-title, #error-summary", chromedp.ByQuery))
	if n := countNodes(p, "#error-summary"); n != 0 {
		var html string
		p.run("refusal", chromedp.OuterHTML("#error-summary", &html, chromedp.ByQuery))
		t.Fatalf("refused: %s", html)
	}
	e.caughtUp()
	p.run("the page again", chromedp.Navigate(e.url+"/proposals/p-1?lang=en"), chromedp.WaitVisible("#proposal-status", chromedp.ByQuery))
	var facts string
	p.run("read the facts", chromedp.Text("dl.facts", &facts, chromedp.ByQuery))
	if !strings.Contains(facts, "Competent ministry\nMinistry of Transportation and Communications") || countNodes(p, `dl.facts a[href="/ministries/mot"]`) != 1 {
		t.Errorf("the page does not name 交通部 as the ministry that owes the answer: %q", facts)
	}
	stored, err := e.store.ReadStream(context.Background(), domain.ProposalStream("p-1"), 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if last := stored[len(stored)-1]; last.Type != "proposal.leads_assigned" || last.Metadata.ActorID != "staff-2" {
		t.Errorf("last event %s by %s", last.Type, last.Metadata.ActorID)
	}
}

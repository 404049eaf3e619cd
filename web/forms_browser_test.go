package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/internal/testenv"
	"github.com/pdis/collab-ledger/web"
)

// person drives Chromium through the pages as the people of the case.
type person struct {
	t    *testing.T
	e    *signinEnv
	bctx context.Context
}

func (p *person) run(what string, actions ...chromedp.Action) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.bctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		var html string
		_ = chromedp.Run(p.bctx, chromedp.OuterHTML("main", &html, chromedp.ByQuery))
		p.t.Fatalf("%s: %v\n%s", what, err, html)
	}
}

// signIn goes through the provider's login page in the browser.
func (p *person) signIn(username, password string) {
	p.t.Helper()
	p.run("sign in as "+username,
		chromedp.Navigate(p.e.url+"/signin?return=/me"),
		chromedp.Click("#signin-oidc", chromedp.ByQuery),
		chromedp.WaitVisible("#username", chromedp.ByQuery),
		chromedp.SendKeys("#username", username, chromedp.ByQuery),
		chromedp.SendKeys("#password", password, chromedp.ByQuery),
		chromedp.Click(`button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#me-title", chromedp.ByQuery),
	)
}

func (p *person) signOut() {
	p.t.Helper()
	p.run("sign out", chromedp.Click("#signout", chromedp.ByQuery), chromedp.WaitVisible("#signin-link", chromedp.ByQuery))
}

// text reads an element's text.
func (p *person) text(sel string) string {
	p.t.Helper()
	var s string
	p.run("read "+sel, chromedp.Text(sel, &s, chromedp.ByQuery))
	return strings.TrimSpace(s)
}

// act fills a command's form (fields by member name) and sends it; it
// returns the IDs the server made.
func (p *person) act(cmd string, fields map[string]string) map[string]string {
	p.t.Helper()
	// The form opened as from a page that carries what it is about (the
	// pickers then have it chosen); what a person types is typed.
	q := url.Values{}
	for k, v := range fields {
		q.Set(k, v)
	}
	actions := []chromedp.Action{chromedp.Navigate(p.e.url + "/act/" + cmd + "?" + q.Encode()), chromedp.WaitVisible("#form-title", chromedp.ByQuery)}
	for k, v := range fields {
		sel := "#f-" + strings.ReplaceAll(k, ".", "\\.")
		actions = append(actions, chromedp.Evaluate(fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (e && e.type !== "checkbox") e.value = %q; })()`, sel, v), nil))
	}
	actions = append(actions, chromedp.Click("#submit", chromedp.ByQuery), chromedp.WaitVisible("#recorded-title, #error-summary", chromedp.ByQuery))
	p.run(cmd, actions...)
	var errs []string
	p.run(cmd+": errors", chromedp.Evaluate(`Array.from(document.querySelectorAll("#error-summary li")).map(e => e.textContent)`, &errs))
	if len(errs) > 0 {
		p.t.Fatalf("%s %v refused: %v", cmd, fields, errs)
	}
	made := map[string]string{}
	p.run(cmd+": made", chromedp.Evaluate(`Object.fromEntries(Array.from(document.querySelectorAll("#made code")).map(e => [e.id.slice(5), e.textContent]))`, &made))
	return made
}

// TestFormsWholeCase drives a whole new case through the pages in
// Chromium with eight people signed in through the real provider: the PO
// registry, a proposal three citizens sign, the monthly vote, the case's
// stages, a meeting with notes, an anonymous question and a transcript, a
// speaker's own correction inside the window (refused after it and on
// another's words), a recommendation, the report, the directive, the
// ministry's responses and the close; then it reads each step back from
// the case's trail.
func TestFormsWholeCase(t *testing.T) {
	bctx := testenv.Chromium(t, testenv.Browser{Lang: "zh-TW", Timeout: 3 * time.Minute})
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, calendar.Taipei) // a Monday
	e := newSigninEnv(t, func(si *web.SignIn) { si.SessionTTL = 90 * 24 * time.Hour })
	e.now.Store(&start)
	at := func(d time.Duration) { n := start.Add(d); e.now.Store(&n) }
	e.listStaff("sub-staff", domain.Actor{ID: "pdis-1", Role: domain.RolePDIS})
	if err := chromedp.Run(bctx); err != nil { // start the browser on the test's context
		t.Fatal(err)
	}
	p := &person{t: t, e: e, bctx: bctx}

	// Citizens: their pseudonyms, from their own pages.
	pseudonym := map[string]string{}
	for _, c := range []string{"citizen-a", "citizen-b", "citizen-c"} {
		p.signIn(c, "pw-"+c[len(c)-1:])
		pseudonym[c] = p.text("#me-actor")
		p.signOut()
	}
	// Staff: the registry's ministry (the accounts pick it by name), the accounts, the POs.
	p.signIn("staff", "pw-staff")
	p.act("registry.register_ministry", map[string]string{"ministryId": "moi", "name": "內政部"})
	for _, a := range []struct{ sub, role, id, ministry, label string }{
		{"sub-po-moi", "po", "po-moi-1", "moi", "內政部主任PO"},
		{"sub-steno", "stenographer", "steno-1", "", "速記"},
		{"sub-sec", "secretariat", "ey-sec-1", "", "行政院秘書處"},
		{"sub-moi", "ministry", "moi-official", "moi", "內政部"},
	} {
		actions := []chromedp.Action{chromedp.Navigate(e.url + "/admin/accounts")}
		for sel, v := range map[string]string{"#f-issuer": e.op.Issuer, "#f-subject": a.sub, "#f-role": a.role, "#f-actorId": a.id, "#f-ministry": a.ministry, "#f-label": a.label} {
			if v != "" {
				actions = append(actions, chromedp.SetValue(sel, v, chromedp.ByQuery))
			}
		}
		actions = append(actions, chromedp.Click("#submit", chromedp.ByQuery), chromedp.WaitVisible("#acct-"+a.id, chromedp.ByQuery))
		p.run("list "+a.id, actions...)
	}
	if list := p.text("#accounts"); !strings.Contains(list, "po-moi-1") || !strings.Contains(list, "moi-official") {
		t.Fatalf("the accounts list: %s", list)
	}
	p.act("registry.register_po", map[string]string{"poId": "po-moi-1", "name": "內政部主任PO", "ministry": "moi", "role": "chief", "year": "2026"})
	p.signOut()

	// A citizen proposes; staff publish; three citizens sign.
	p.signIn("citizen-a", "pw-a")
	proposal := p.act("proposal.submit", map[string]string{"title": "公開會議逐字稿", "summary": "請公開所有協作會議的逐字稿"})["proposalId"]
	p.signOut()
	if proposal == "" {
		t.Fatal("no proposal ID made")
	}
	p.signIn("staff", "pw-staff")
	p.act("proposal.publish", map[string]string{"proposalId": proposal, "competentMinistry": "moi"})
	p.signOut()
	for _, c := range []string{"citizen-a", "citizen-b", "citizen-c"} {
		at(time.Hour)
		p.signIn(c, "pw-"+c[len(c)-1:])
		p.act("proposal.sign", map[string]string{"proposalId": proposal})
		p.signOut()
	}

	// The monthly vote.
	at(2 * time.Hour)
	p.signIn("staff", "pw-staff")
	p.act("monthly.open", map[string]string{"meetingId": "2026-11", "heldOn": "2026-11-02"})
	cand := p.act("monthly.add_candidate", map[string]string{"meetingId": "2026-11", "kind": "established_proposal", "title": "公開會議逐字稿", "organiser": "moi", "sourceRef": proposal})["candidateId"]
	p.signOut()
	e.caughtUp()
	p.signIn("po-moi", "pw-po")
	if tasks := p.text("#tasks"); !strings.Contains(tasks, "2026-11") {
		t.Errorf("the PO's tasks do not list the open ballot: %q", tasks)
	}
	p.act("monthly.cast_ballot", map[string]string{"meetingId": "2026-11", "choices": cand})
	p.signOut()
	p.signIn("staff", "pw-staff")
	p.act("monthly.close", map[string]string{"meetingId": "2026-11"})

	// The case and its stages.
	at(24 * time.Hour)
	caseID := p.act("case.open", map[string]string{"title": "公開會議逐字稿", "sourceKind": "voted_topic", "monthlyMeetingId": "2026-11", "candidateId": cand})["caseId"]
	p.act("case.assign_lead", map[string]string{"caseId": caseID, "ministry": "moi", "reason": "主管機關"})
	p.act("case.change_stage", map[string]string{"caseId": caseID, "to": "division_of_labour", "reason": "分工"})
	p.signOut()
	p.signIn("po-moi", "pw-po")
	p.act("case.add_stakeholder", map[string]string{"caseId": caseID, "category": "proposer", "name": "提案人"})
	p.signOut()
	p.signIn("staff", "pw-staff")
	for _, st := range []string{"research", "pre_meeting", "meetings"} {
		p.act("case.change_stage", map[string]string{"caseId": caseID, "to": st, "reason": "進入" + st})
	}
	// The meeting: participants, notes, a question, the transcript.
	meeting := p.act("meeting.schedule", map[string]string{"caseId": caseID, "kind": "collaborative", "phase": "discover", "title": "逐字稿協作會議", "startsAt": "2026-11-10T09:30"})["meetingId"]
	p.act("meeting.add_participant", map[string]string{"meetingId": meeting, "name": "提案人", "role": "proposer", "account": pseudonym["citizen-a"]})
	p.act("meeting.add_note", map[string]string{"meetingId": meeting, "board": "mind_map", "text": "逐字稿要能搜尋"})
	p.signOut()
	p.signIn("citizen-a", "pw-a")
	p.act("meeting.post_question", map[string]string{"meetingId": meeting, "text": "何時公開？"})
	p.signOut()
	p.signIn("steno", "pw-steno")
	p.act("transcript.start", map[string]string{"meetingId": meeting})
	u1 := p.act("transcript.record_utterance", map[string]string{"meetingId": meeting, "kind": "speech", "speaker.actorId": "po-moi-1", "speaker.name": "內政部主任PO", "paragraphs": "我們會在一週內公開。"})["utteranceId"]
	u2 := p.act("transcript.record_utterance", map[string]string{"meetingId": meeting, "kind": "speech", "speaker.name": "主持人", "paragraphs": "謝謝大家。"})["utteranceId"]
	p.signOut()
	p.signIn("staff", "pw-staff")
	p.act("transcript.publish", map[string]string{"meetingId": meeting})
	p.signOut()

	// The speaker corrects their own words inside the window, with a
	// preview of the word diff and the window's end.
	at(3 * 24 * time.Hour)
	e.caughtUp()
	p.signIn("po-moi", "pw-po")
	if tasks := p.text("#tasks"); !strings.Contains(tasks, "一週內公開") || !strings.Contains(tasks, "2026-11-") {
		t.Errorf("the speaker's tasks do not list their words with the window's end: %q", tasks)
	}
	var windowEnd string
	p.run("the speaker's form",
		chromedp.Navigate(e.url+"/speak/"+meeting+"/"+u1),
		chromedp.WaitVisible("#f-paragraphs", chromedp.ByQuery),
		chromedp.Text("#window-end", &windowEnd, chromedp.ByQuery),
		chromedp.SetValue("#f-paragraphs", "我們會在三天內公開。", chromedp.ByQuery),
		chromedp.Click("#preview-button", chromedp.ByQuery),
		chromedp.WaitVisible("#preview", chromedp.ByQuery))
	if preview := p.text("#preview"); !strings.Contains(preview, "三天") || !strings.Contains(preview, "一週") {
		t.Errorf("the preview does not show the word diff: %q", preview)
	}
	if !strings.Contains(windowEnd, "2026-11-") {
		t.Errorf("the window's end shown: %q", windowEnd)
	}
	p.run("record the correction", chromedp.Click("#submit", chromedp.ByQuery), chromedp.WaitVisible("#recorded-title", chromedp.ByQuery))
	// Another's words: no form, and the server refuses a post.
	p.run("another's words", chromedp.Navigate(e.url+"/speak/"+meeting+"/"+u2), chromedp.WaitVisible("#edit-refused", chromedp.ByQuery))
	if n := countNodes(p, "#f-paragraphs"); n != 0 {
		t.Errorf("a form on another's words")
	}
	p.signOut()

	// After the window: no form, and the server refuses.
	at(30 * 24 * time.Hour)
	p.signIn("po-moi", "pw-po")
	p.run("after the window", chromedp.Navigate(e.url+"/speak/"+meeting+"/"+u1), chromedp.WaitVisible("#edit-refused", chromedp.ByQuery))
	if n := countNodes(p, "#f-paragraphs"); n != 0 {
		t.Errorf("a form after the window")
	}
	p.signOut()

	// Recommendations, the report, the directive, the responses, closed.
	p.signIn("staff", "pw-staff")
	rec := p.act("case.record_recommendation", map[string]string{"caseId": caseID, "meetingId": meeting, "text": "一週內公開逐字稿", "addressees": "moi"})["recommendationId"]
	p.act("case.report_to_premier", map[string]string{"caseId": caseID, "summary": "協作會議結論"})
	p.signOut()
	p.signIn("secretariat", "pw-sec")
	p.act("case.record_directive", map[string]string{"caseId": caseID, "kind": "within_authority", "text": "請內政部本於權責辦理"})
	p.signOut()
	e.caughtUp()
	p.signIn("moi", "pw-moi")
	if tasks := p.text("#tasks"); !strings.Contains(tasks, "一週內公開逐字稿") || !strings.Contains(tasks, proposal) || !strings.Contains(tasks, "期限") {
		t.Errorf("the ministry's tasks do not list the recommendation and the proposal with its due date: %q", tasks)
	}
	p.act("case.record_response", map[string]string{"caseId": caseID, "recommendationId": rec, "verdict": "adopted", "reasons": "採納", "followUp": "十二月上線"})
	p.act("proposal.respond", map[string]string{"proposalId": proposal, "summary": "將公開逐字稿", "link": "https://example.gov.tw/r/1"})
	p.signOut()
	p.signIn("staff", "pw-staff")
	p.act("case.change_stage", map[string]string{"caseId": caseID, "to": "closed", "reason": "全部回應"})
	p.signOut()

	// Each step, read back from the trail.
	e.caughtUp()
	var trail, stage string
	p.run("the case page", chromedp.Navigate(e.url+"/cases/"+caseID+"?lang=en"), chromedp.WaitVisible("#trail", chromedp.ByQuery),
		chromedp.Text("#trail", &trail, chromedp.ByQuery), chromedp.Text("#case-stage", &stage, chromedp.ByQuery))
	if stage != "Closed" {
		t.Errorf("the case's stage: %q", stage)
	}
	for _, want := range []string{"pdis-1", "po-moi-1", "ey-sec-1", "moi-official", "steno-1",
		"Proposal", "Signatures", "Proposal response", "Topic vote", "Case opened", "Organisers", "Stage", "Research",
		"Meeting", "Participation", "Note", "Question", "Transcript", "Transcript edit", "Recommendation", "Report", "Directive", "Ministry response",
		"逐字稿要能搜尋", "何時公開？", "一週內公開逐字稿", "請內政部本於權責辦理", "Adopted"} {
		if !strings.Contains(trail, want) {
			t.Errorf("the trail does not show %q", want)
		}
	}
	// The question is anonymous: no citizen's pseudonym on the trail.
	for c, ps := range pseudonym {
		if strings.Contains(trail, ps) {
			t.Errorf("the trail shows %s's pseudonym", c)
		}
	}
}

// caughtUp waits until the read models reflect the log.
func (e *signinEnv) caughtUp() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.runner.WaitCaughtUp(ctx); err != nil {
		e.t.Fatal(err)
	}
}

// countNodes counts the elements matching sel.
func countNodes(p *person, sel string) int {
	var n int
	p.run("count "+sel, chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll(%q).length`, sel), &n))
	return n
}

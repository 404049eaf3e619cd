package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/readmodels"
	"github.com/pdis/collab-ledger/web"
)

// devSignIn signs b in through the development sign-in.
func (e *signinEnv) devSignIn(b *browser, a domain.Actor) {
	e.t.Helper()
	resp, page := b.post(e.url+"/signin/dev", url.Values{"role": {string(a.Role)}, "id": {a.ID}, "ministry": {string(a.Ministry)}, "return": {"/me"}})
	if resp.Request.URL.Path != "/me" {
		e.t.Fatalf("development sign-in as %s: at %s\n%s", a, resp.Request.URL.Path, page)
	}
}

var sigRow = regexp.MustCompile(`<tr id="sig-([0-9a-f-]{36})">`)

// TestStaffSignaturesPicker: staff find a signature among a proposal's
// 120 without typing an ID — a page of 50 at a time in the order they
// were made, a time range, the start of a pseudonym — and invalidate it
// from the list's link: the form has it chosen, the list then marks it
// invalidated with the reason, and the form's picker no longer offers it.
// Others are refused the list; the public proposal page shows no
// pseudonym. Real HTTP, the real store, the real read models.
func TestStaffSignaturesPicker(t *testing.T) {
	e := newSigninEnv(t, func(si *web.SignIn) { si.Dev = true })
	e.publishedProposal("p-1")
	start := *e.now.Load()
	signers := make([]domain.Actor, 120)
	for i := range signers {
		at := start.Add(time.Duration(i+1) * time.Minute)
		e.now.Store(&at)
		signers[i] = domain.Actor{ID: string(domain.Pseudonym(apiSecret, fmt.Sprintf("signer-%d", i))), Role: domain.RoleCitizen}
		county := ""
		if i%2 == 0 {
			county = "臺北市"
		}
		// signed a minute apart, as an import of a platform's signatures
		// records them (occurred-at)
		if _, err := e.ledger.Execute(context.Background(), signers[i], domain.SignProposal{ProposalID: "p-1", Signer: domain.SignerID(signers[i].ID), County: county},
			app.WithOccurredAt(at), app.WithOccurredAtReason("imported from the platform")); err != nil {
			t.Fatal(err)
		}
	}
	e.caughtUp()
	list := "/admin/proposals/p-1/signatures"

	staff := e.browser()
	e.devSignIn(staff, domain.Actor{ID: "pdis-1", Role: domain.RolePDIS})
	var seen []string
	next := e.url + list + "?lang=en"
	for pages := 0; next != ""; pages++ {
		resp, page := staff.get(next)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", next, resp.StatusCode, page)
		}
		rows := sigRow.FindAllStringSubmatch(page, -1)
		if want := min(50, 120-len(seen)); len(rows) != want {
			t.Fatalf("page %d: %d rows, want %d", pages+1, len(rows), want)
		}
		for _, m := range rows {
			seen = append(seen, m[1])
		}
		next = ""
		if m := regexp.MustCompile(`id="signatures-next" href="([^"]+)"`).FindStringSubmatch(page); m != nil {
			next = e.url + html.UnescapeString(m[1])
		}
		if pages == 0 && (!strings.Contains(page, "Taipei City") || !strings.Contains(page, signers[0].ID[:12])) {
			t.Errorf("the first page lacks the county or the first signer's short pseudonym")
		}
	}
	for i, id := range seen {
		if id != domain.SignatureIDFor("p-1", domain.SignerID(signers[i].ID)).String() {
			t.Fatalf("row %d is %s, not the %dth signature made", i, id, i+1)
		}
	}

	// A time range: the 10th to the 19th minute (Taipei), 10 signatures.
	from, to := start.Add(10*time.Minute), start.Add(20*time.Minute)
	_, page := staff.get(e.url + list + "?lang=zh-Hant&" + url.Values{"from": {from.In(time.FixedZone("", 8*3600)).Format("2006-01-02T15:04")}, "to": {to.In(time.FixedZone("", 8*3600)).Format("2006-01-02T15:04")}}.Encode())
	if rows := sigRow.FindAllStringSubmatch(page, -1); len(rows) != 10 || rows[0][1] != seen[9] {
		t.Errorf("10th to 19th minute: %d rows, first %v\n%s", len(rows), rows, page)
	}
	// The start of a pseudonym.
	target := signers[77]
	_, page = staff.get(e.url + list + "?signer=" + target.ID[:10])
	rows := sigRow.FindAllStringSubmatch(page, -1)
	if len(rows) != 1 || rows[0][1] != seen[77] {
		t.Fatalf("by pseudonym prefix %s: %v", target.ID[:10], rows)
	}
	if resp, _ := staff.get(e.url + list + "?signer=XYZ"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a prefix that is no pseudonym's: %d", resp.StatusCode)
	}

	// Invalidate it from the list's link: the form has it chosen.
	link := html.UnescapeString(regexp.MustCompile(`class="invalidate" href="([^"]+)"`).FindStringSubmatch(page)[1])
	resp, form := staff.get(e.url + link)
	if resp.StatusCode != http.StatusOK || !strings.Contains(form, `<select id="f-signatureId" name="signatureId"`) || !strings.Contains(form, `value="`+seen[77]+`" selected`) ||
		!strings.Contains(form, `<select id="f-proposalId" name="proposalId"`) || !strings.Contains(form, `id="find" href="`+list+`"`) {
		t.Fatalf("the invalidation form from the list:\n%s", form)
	}
	h := hidden(form)
	h.Set("proposalId", "p-1")
	h.Set("signatureId", seen[77])
	h.Set("reason", "同一人重複連署")
	resp, recorded := staff.post(e.url+"/act/"+domain.CmdInvalidateSignature, h)
	if resp.Request.URL.Path == "/act/"+domain.CmdInvalidateSignature || !strings.Contains(recorded, "proposal.signature_invalidated") {
		t.Fatalf("invalidating: at %s\n%s", resp.Request.URL.Path, recorded)
	}
	e.caughtUp()
	_, page = staff.get(e.url + list + "?signer=" + target.ID[:10])
	if !strings.Contains(page, "已註銷於") || !strings.Contains(page, "同一人重複連署") || strings.Contains(page, `class="invalidate"`) {
		t.Errorf("the list does not mark the invalidated signature:\n%s", page)
	}
	_, form = staff.get(e.url + "/act/" + domain.CmdInvalidateSignature + "?proposalId=p-1")
	if strings.Contains(form, `value="`+seen[77]+`"`) || !strings.Contains(form, `value="`+seen[0]+`"`) {
		t.Errorf("the picker still offers the invalidated signature, or not the latest valid one")
	}
	sigs, err := readmodels.SignaturesOf(context.Background(), e.runner.Reader(readmodels.SignaturesName), "p-1", readmodels.SignatureQuery{SignerPrefix: target.ID})
	if err != nil || len(sigs.Signatures) != 1 || sigs.Signatures[0].Invalidated == nil {
		t.Errorf("the read model: %+v, %v", sigs, err)
	}

	// Nobody else sees the list; the public page shows no pseudonym.
	for _, a := range []domain.Actor{{ID: "alice", Role: domain.RoleCitizen}, {ID: "po-moi-1", Role: domain.RolePO, Ministry: "moi"}} {
		b := e.browser()
		e.devSignIn(b, a)
		if resp, page := b.get(e.url + list); resp.StatusCode != http.StatusForbidden || strings.Contains(page, signers[0].ID[:12]) {
			t.Errorf("%s: %d", a, resp.StatusCode)
		}
	}
	if resp, _ := e.browser().get(e.url + list); resp.Request.URL.Path != "/signin" {
		t.Errorf("signed out: at %s", resp.Request.URL.Path)
	}
	if _, page := e.browser().get(e.url + "/proposals/p-1"); strings.Contains(page, signers[0].ID[:12]) || strings.Contains(page, target.ID[:12]) {
		t.Errorf("the public proposal page shows a pseudonym")
	}
}

package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/tokens"
	"github.com/pdis/collab-ledger/web"
)

// legacyToken records a token for actor the way the ledger did before a
// PO's token needed the registry (a token.issued of schema version 1,
// appended without a decision), as a store from then holds them, and
// waits until the server knows it.
func (e *apiEnv) legacyToken(actor domain.Actor) string {
	e.t.Helper()
	ctx := context.Background()
	tok := tokens.Prefix + strings.Repeat("L", 40) + actor.ID
	data, err := eventstore.NewEventData(tokens.EventIssued, 1, map[string]any{
		"hash": tokens.HashOf(tok).String(), "actorId": actor.ID, "role": actor.Role, "ministry": actor.Ministry,
		"issuedAt": e.now.Load().UTC(), "note": "issued before the registry check",
	}, eventstore.Metadata{ActorID: "cli:ops"})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.raw.Append(ctx, tokens.Stream, eventstore.Any, data); err != nil {
		e.t.Fatal(err)
	}
	if err := e.tokens.Sync(ctx); err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// TestPOAuthorityFromTheRegistry (#14 item 2): every PO's command is
// checked against the PO registry as it stands when it is decided, whatever
// the token says: an unregistered PO, a PO acting for a ministry other than
// their own, a retired PO and a PO not registered for this year are
// refused with their rule and change nothing (each was 201). A PO's token
// is issued only for a registered PO, expires with the registration, and
// retiring the PO revokes it at once.
func TestPOAuthorityFromTheRegistry(t *testing.T) {
	e := newAPI(t, nil)
	staff := e.token(staffActor, time.Time{})
	for _, m := range []string{"moj", "moi"} {
		e.must(staff, "registry.register_ministry", map[string]any{"ministryId": m, "name": m})
	}
	register := func(id, ministry string, year int) {
		e.must(staff, "registry.register_po", map[string]any{"poId": id, "name": id, "ministry": ministry, "role": "unit", "year": year})
	}
	register("po-moj-1", "moj", 2026)
	register("po-moi-1", "moi", 2026)
	register("po-moj-2025", "moj", 2025)
	register("po-moj-retired", "moj", 2026)
	e.must(staff, "registry.retire_po", map[string]any{"poId": "po-moj-retired", "reason": "moved"})
	e.must(staff, "case.open", map[string]any{"caseId": "c-1", "title": "議題", "sourceKind": "ey_assignment", "ref": "EY-1"})
	e.must(staff, "case.assign_lead", map[string]any{"caseId": "c-1", "ministry": "moj"})
	stakeholder := func(id string) map[string]any {
		return map[string]any{"caseId": "c-1", "stakeholderId": id, "category": "civil_society", "name": "協會 " + id}
	}

	// Tokens the registry does not back, as an older ledger issued them.
	for _, c := range []struct {
		name  string
		actor domain.Actor
		rule  string
	}{
		{"unregistered PO", domain.Actor{ID: "po-ghost", Role: domain.RolePO, Ministry: "moj"}, domain.RulePOUnregistered},
		{"PO of another ministry", domain.Actor{ID: "po-moi-1", Role: domain.RolePO, Ministry: "moj"}, domain.RulePOOtherMinistry},
		{"retired PO", domain.Actor{ID: "po-moj-retired", Role: domain.RolePO, Ministry: "moj"}, domain.RulePORetired},
		{"PO of an earlier year", domain.Actor{ID: "po-moj-2025", Role: domain.RolePO, Ministry: "moj"}, domain.RulePONotRegisteredForYear},
	} {
		tok := e.legacyToken(c.actor)
		e.refused(tok, "case.add_stakeholder", stakeholder("s-"+c.actor.ID), http.StatusForbidden, web.CodeForbidden, c.rule)
		e.refused(tok, "case.record_interview", map[string]any{"caseId": "c-1", "interviewId": "i-" + c.actor.ID, "stakeholders": []string{}, "summary": "訪談"}, http.StatusForbidden, web.CodeForbidden, c.rule)
		// Nor is a new token issued for them.
		if status, eb := e.admin("POST", web.TokensPath, staff, `{"role":"po","ministry":"`+string(c.actor.Ministry)+`","actorId":"`+c.actor.ID+`"}`, nil); status != http.StatusUnprocessableEntity || eb.Rule != c.rule {
			t.Errorf("%s: a new token: %d %+v, want 422 %s", c.name, status, eb, c.rule)
		}
	}

	// A registered PO's token works, and ends with the registration year.
	var created web.TokenCreated
	if status, eb := e.admin("POST", web.TokensPath, staff, `{"role":"po","ministry":"moj","actorId":"po-moj-1"}`, &created); status != http.StatusCreated {
		t.Fatalf("PO token: %d %+v", status, eb)
	}
	if want := time.Date(2027, 1, 1, 0, 0, 0, 0, calendar.Taipei); !created.ExpiresAt.Equal(want) {
		t.Errorf("a PO's token expires at %s, want the end of 2026 in Taipei (%s)", created.ExpiresAt, want)
	}
	e.must(created.Token, "case.add_stakeholder", stakeholder("s-ok"))

	// Retiring the PO revokes the token before the answer is sent.
	e.must(staff, "registry.retire_po", map[string]any{"poId": "po-moj-1", "reason": "left"})
	if r := e.post(created.Token, "case.add_stakeholder", stakeholder("s-after")); r.status != http.StatusUnauthorized || r.err.Code != web.CodeUnauthenticated {
		t.Fatalf("the retired PO's token: %d %+v", r.status, r.err)
	}
	var list web.TokenList
	if status, _ := e.admin("GET", web.TokensPath, staff, "", &list); status != http.StatusOK {
		t.Fatal(status)
	}
	for _, tk := range list.Tokens {
		if tk.Hash == created.Hash && (tk.Status != tokens.StatusRevoked || tk.Revoked.Reason != "PO retired") {
			t.Errorf("the retired PO's token is listed %s %+v", tk.Status, tk.Revoked)
		}
	}
}

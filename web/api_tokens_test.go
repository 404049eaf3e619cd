package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/tokens"
	"github.com/pdis/collab-ledger/web"
)

// admin sends an admin request and decodes the answer into out (an
// ErrorBody for 4xx and 5xx).
func (e *apiEnv) admin(method, path, token, body string, out any) (int, web.ErrorDetail) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		var eb web.ErrorBody
		if err := json.Unmarshal(raw, &eb); err != nil || eb.Error.Code == "" {
			e.t.Fatalf("%s %s: %d: %q is not an error envelope", method, path, resp.StatusCode, raw)
		}
		return resp.StatusCode, eb.Error
	}
	if out != nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(out); err != nil {
			e.t.Fatalf("%s %s: %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, web.ErrorDetail{}
}

func TestTokenAdminAPI(t *testing.T) {
	e := newAPI(t, nil)
	ctx := context.Background()
	staff := e.token(domain.Actor{ID: "staff-1", Role: domain.RolePDIS}, time.Time{})
	po := e.token(domain.Actor{ID: "po-moj", Role: domain.RolePO, Ministry: "MOJ"}, time.Time{})
	tokensIn := func() int {
		all, err := tokens.NewService(e.raw, tokens.Config{}).List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	before := tokensIn()

	// Refused, each with its code, and nothing recorded.
	pseudonym := string(domain.Pseudonym(apiSecret, "A123456789"))
	refusals := []struct {
		name, token, body string
		status            int
		code, rule        string
	}{
		{"no token", "", `{"role":"po","actorId":"po-2","ministry":"MOJ"}`, 401, web.CodeUnauthenticated, ""},
		{"unknown token", "clt_nope", `{"role":"po","actorId":"po-2","ministry":"MOJ"}`, 401, web.CodeUnauthenticated, ""},
		{"not staff", po, `{"role":"po","actorId":"po-2","ministry":"MOJ"}`, 403, web.CodeForbidden, web.RuleTokensStaffOnly},
		{"unknown role", staff, `{"role":"king","actorId":"k"}`, 422, web.CodeRuleViolated, tokens.RuleGrantInvalid},
		{"po without ministry", staff, `{"role":"po","actorId":"po-2"}`, 422, web.CodeRuleViolated, tokens.RuleGrantInvalid},
		{"citizen by actor ID", staff, `{"role":"citizen","actorId":"A123456789"}`, 422, web.CodeRuleViolated, tokens.RuleIdentityRequired},
		{"citizen by a pseudonym", staff, `{"role":"citizen","actorId":"` + pseudonym + `"}`, 422, web.CodeRuleViolated, tokens.RuleIdentityRequired},
		{"staff by identity", staff, `{"role":"pdis","identity":"A123456789"}`, 422, web.CodeRuleViolated, tokens.RuleIdentityOnlyForCitizens},
		{"bad duration", staff, `{"role":"auditor","actorId":"aud-1","expiresIn":"soon"}`, 400, web.CodeBadRequest, ""},
		{"negative duration", staff, `{"role":"auditor","actorId":"aud-1","expiresIn":"-1h"}`, 400, web.CodeBadRequest, ""},
		{"unknown member", staff, `{"role":"auditor","actorId":"aud-1","admin":true}`, 400, web.CodeBadRequest, ""},
		{"malformed", staff, `{"role":`, 400, web.CodeBadRequest, ""},
	}
	for _, c := range refusals {
		status, e2 := e.admin("POST", web.TokensPath, c.token, c.body, nil)
		if status != c.status || e2.Code != c.code || (c.rule != "" && e2.Rule != c.rule) {
			t.Errorf("%s: %d %+v, want %d %s %s", c.name, status, e2, c.status, c.code, c.rule)
		}
	}
	if n := tokensIn(); n != before {
		t.Fatalf("refused requests recorded %d tokens", n-before)
	}

	// Issued: the new token works at once for its actor, with its role.
	var created web.TokenCreated
	if status, e2 := e.admin("POST", web.TokensPath, staff, `{"role":"citizen","identity":"A123456789","expiresIn":"1h"}`, &created); status != 201 {
		t.Fatalf("create: %d %+v", status, e2)
	}
	if !strings.HasPrefix(created.Token, tokens.Prefix) || created.Hash != tokens.HashOf(created.Token) || created.ActorID != pseudonym ||
		created.Role != domain.RoleCitizen || created.ExpiresAt.Sub(created.IssuedAt).Round(time.Second) != time.Hour {
		t.Fatalf("created %+v", created)
	}
	if err := e.tokens.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	actor, err := e.tokens.Authenticate(ctx, created.Token)
	if err != nil || actor.ID != pseudonym || actor.Role != domain.RoleCitizen {
		t.Fatalf("the new token authenticates %+v, %v", actor, err)
	}
	// The log records who issued it, and only the hash.
	evs, err := e.raw.ReadStream(ctx, tokens.Stream, 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Metadata.ActorID != "staff-1" || bytes.Contains(last.Data, []byte(created.Token)) || bytes.Contains(last.Data, []byte("A123456789")) {
		t.Fatalf("token event: actor %q, data %s", last.Metadata.ActorID, last.Data)
	}

	// Listed, with its status; a PO may not list.
	var list web.TokenList
	if status, e2 := e.admin("GET", web.TokensPath, staff, "", &list); status != 200 {
		t.Fatalf("list: %d %+v", status, e2)
	}
	if len(list.Tokens) != before+1 || list.Tokens[len(list.Tokens)-1].Hash != created.Hash || list.Tokens[len(list.Tokens)-1].Status != "active" {
		t.Fatalf("list: %+v", list)
	}
	if status, e2 := e.admin("GET", web.TokensPath, po, "", nil); status != 403 || e2.Rule != web.RuleTokensStaffOnly {
		t.Fatalf("list as po: %d %+v", status, e2)
	}

	// Revoked by a prefix of its hash: it stops working; again is a conflict.
	revoke := strings.Replace(web.TokenRevokePath, "{hash}", created.Hash.String()[:12], 1)
	for _, c := range []struct {
		path, body string
		status     int
		code       string
	}{
		{strings.Replace(web.TokenRevokePath, "{hash}", "abc", 1), "", 400, web.CodeBadRequest},
		{strings.Replace(web.TokenRevokePath, "{hash}", "zzzzzzzzzz", 1), "", 400, web.CodeBadRequest},
		{strings.Replace(web.TokenRevokePath, "{hash}", strings.Repeat("0", 16), 1), "", 404, web.CodeNotFound},
		{revoke, `{"reason":1}`, 400, web.CodeBadRequest},
	} {
		if status, e2 := e.admin("POST", c.path, staff, c.body, nil); status != c.status || e2.Code != c.code {
			t.Errorf("revoke %s %s: %d %+v, want %d %s", c.path, c.body, status, e2, c.status, c.code)
		}
	}
	var revoked web.TokenInfo
	if status, e2 := e.admin("POST", revoke, staff, `{"reason":"kiosk retired"}`, &revoked); status != 200 {
		t.Fatalf("revoke: %d %+v", status, e2)
	}
	if revoked.Status != "revoked" || revoked.Revoked == nil || revoked.Revoked.Reason != "kiosk retired" {
		t.Fatalf("revoked %+v", revoked)
	}
	if status, e2 := e.admin("POST", revoke, staff, "", nil); status != 409 || e2.Code != web.CodeConflict || e2.Rule != tokens.RuleAlreadyRevoked {
		t.Fatalf("revoke again: %d %+v", status, e2)
	}
	if err := e.tokens.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.tokens.Authenticate(ctx, created.Token); err == nil {
		t.Fatal("a revoked token still authenticates")
	}
}

// TestTokenRevocationsDecidedOnce (#13): revocations of one token sent at
// once through the admin API record one token.revoked; the others are
// refused with tokens.revoke.already_revoked (the revocation is decided on
// the tokens stream and appended with its exact version, not read and then
// appended blindly).
func TestTokenRevocationsDecidedOnce(t *testing.T) {
	e := newAPI(t, nil)
	ctx := context.Background()
	staff := e.token(staffActor, time.Time{})
	for round := range 5 {
		tok := e.token(auditorActor, time.Time{})
		path := strings.Replace(web.TokenRevokePath, "{hash}", tokens.HashOf(tok).String()[:16], 1)
		const n = 4
		codes := make(chan int, n)
		rules := make(chan string, n)
		for range n {
			go func() {
				req, _ := http.NewRequest("POST", e.srv.URL+path, nil)
				req.Header.Set("Authorization", "Bearer "+staff)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					codes <- 0
					rules <- err.Error()
					return
				}
				var eb web.ErrorBody
				_ = json.NewDecoder(resp.Body).Decode(&eb)
				resp.Body.Close()
				codes <- resp.StatusCode
				rules <- eb.Error.Rule
			}()
		}
		ok := 0
		for range n {
			code, rule := <-codes, <-rules
			switch {
			case code == http.StatusOK:
				ok++
			case code != http.StatusConflict || rule != tokens.RuleAlreadyRevoked:
				t.Fatalf("round %d: %d %s", round, code, rule)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d revocations succeeded, want 1", round, ok)
		}
	}
	evs, err := e.raw.ReadStream(ctx, tokens.Stream, 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	revoked := 0
	for _, ev := range evs {
		if ev.Type == tokens.EventRevoked {
			revoked++
		}
	}
	if revoked != 5 {
		t.Fatalf("%d token.revoked events for 5 tokens", revoked)
	}
}

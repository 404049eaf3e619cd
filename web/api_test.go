package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/eventstore/sealed"
	"github.com/pdis/collab-ledger/tokens"
	"github.com/pdis/collab-ledger/web"
)

var (
	apiSecret = []byte("web test secret, never used in production")
	apiNow    = time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.Taipei)

	staffActor   = domain.Actor{ID: "staff-1", Role: domain.RolePDIS}
	poActor      = domain.Actor{ID: "po-moj-chief", Role: domain.RolePO, Ministry: "moj"}
	auditorActor = domain.Actor{ID: "auditor-1", Role: domain.RoleAuditor}
)

// identities maps the pseudonyms citizenActor made back to their
// identities, for apiEnv.token: a citizen's token is asked for by identity.
var identities sync.Map

func citizenActor(identity string) domain.Actor {
	id := string(domain.Pseudonym(apiSecret, identity))
	identities.Store(id, identity)
	return domain.Actor{ID: id, Role: domain.RoleCitizen}
}

// faultyStore is the real store with switchable faults: every append
// conflicts, or the store is unreachable.
type faultyStore struct {
	eventstore.Store
	conflict, unavailable atomic.Bool
}

func (s *faultyStore) Append(ctx context.Context, stream string, exp eventstore.Expectation, evs ...eventstore.EventData) (eventstore.AppendResult, error) {
	switch {
	case s.unavailable.Load():
		return eventstore.AppendResult{}, fmt.Errorf("append: %w", eventstore.ErrUnavailable)
	case s.conflict.Load() && stream != tokens.Stream:
		return eventstore.AppendResult{}, &eventstore.ConflictError{Stream: stream, Expected: exp, Actual: 99}
	}
	return s.Store.Append(ctx, stream, exp, evs...)
}

// apiEnv is the real HTTP handler over a real embedded store.
type apiEnv struct {
	t      *testing.T
	store  *faultyStore
	raw    eventstore.Store
	ledger *app.Ledger
	tokens *tokens.Service
	srv    *httptest.Server
	now    atomic.Pointer[time.Time]
}

func newAPI(t *testing.T, tweak func(*web.Config)) *apiEnv {
	return newAPIWith(t, nil, tweak)
}

// newAPIWith is newAPI with the personal data sealed into secrets (nil:
// not sealed): the store is a sealed.Log over the embedded store, and
// ledger.erase deletes from secrets.
func newAPIWith(t *testing.T, secrets *sealed.Memory, tweak func(*web.Config)) *apiEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	raw, err := bbolt.Open(ctx, bbolt.Config{Path: filepath.Join(t.TempDir(), "ledger.db")})
	if err != nil {
		t.Fatal(err)
	}
	e := &apiEnv{t: t, raw: raw, store: &faultyStore{Store: raw}}
	e.now.Store(&apiNow)
	clock := func() time.Time { return *e.now.Load() }
	var ledgerStore eventstore.Store = e.store
	var erasable app.Erasable
	if secrets != nil {
		log := sealed.NewLog(raw, secrets, sealed.Policy{Fields: domain.PrivateFields, Actor: domain.IsPseudonymousRole})
		e.store, ledgerStore, erasable = &faultyStore{Store: log}, log, secrets
	}
	e.ledger, err = app.NewLedger(ledgerStore, app.LedgerConfig{
		Proposal: domain.ProposalConfig{Threshold: 2, Window: domain.Period{Days: 60}, Milestones: []int{1}, ResponseDeadline: domain.Period{Months: 2}},
		Secret:   apiSecret,
		Handler:  app.Config{Now: clock, Logger: quiet},
		Erasable: erasable,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.tokens = tokens.NewService(e.store, tokens.Config{Secret: apiSecret, Now: clock, Logger: quiet})
	go e.tokens.Run(ctx)
	cfg := web.Config{Store: e.store, StoreKind: "file", Logger: quiet, Ledger: e.ledger, Tokens: e.tokens}
	if tweak != nil {
		tweak(&cfg)
	}
	h, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(func() {
		e.srv.Close()
		cancel()
		e.ledger.Close()
		raw.Close()
	})
	return e
}

// token issues a token for actor (a citizen's by the identity given to
// citizenActor; a PO's once the PO is registered, which it does first)
// and waits until the server knows it.
func (e *apiEnv) token(actor domain.Actor, expires time.Time) string {
	e.t.Helper()
	ctx := context.Background()
	req := tokens.Request{Role: actor.Role, Ministry: actor.Ministry, ActorID: actor.ID}
	if actor.Role == domain.RoleCitizen || actor.Role == domain.RoleProposer {
		identity, ok := identities.Load(actor.ID)
		if !ok {
			e.t.Fatalf("token for %s: not a citizenActor", actor)
		}
		req.ActorID, req.Identity = "", identity.(string)
	}
	if actor.Role == domain.RolePO {
		e.registerPO(actor)
	}
	if !expires.IsZero() {
		req.Lifetime = expires.Sub(*e.now.Load())
		if req.Lifetime <= 0 {
			// An expired token: issued an hour before it expired.
			was := *e.now.Load()
			past := expires.Add(-time.Hour)
			e.now.Store(&past)
			defer e.now.Store(&was)
			req.Lifetime = time.Hour
		}
	}
	tok, err := e.tokens.Issue(ctx, testIssuer, req)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.tokens.Sync(ctx); err != nil {
		e.t.Fatal(err)
	}
	return tok.Token
}

// testIssuer issues the tests' tokens.
var testIssuer = domain.Actor{ID: "test", Role: domain.RolePDIS}

// registerPO registers a PO actor (and its ministry) for the current year
// as its ministry's chief PO, unless the registry has it.
func (e *apiEnv) registerPO(actor domain.Actor) {
	e.t.Helper()
	ctx := context.Background()
	year := calendar.DateOf(*e.now.Load()).Year()
	for _, cmd := range []domain.Command{
		domain.RegisterMinistry{MinistryID: actor.Ministry, Name: string(actor.Ministry)},
		domain.RegisterPO{POID: actor.ID, Name: actor.ID, Ministry: actor.Ministry, Role: domain.POChief, Year: year},
	} {
		if _, err := e.ledger.Execute(ctx, testIssuer, cmd); err != nil && !errors.Is(err, domain.ErrConflictingState) {
			e.t.Fatalf("register %s: %v", actor, err)
		}
	}
}

type reply struct {
	status int
	header http.Header
	result web.CommandResult
	err    web.ErrorDetail
	body   []byte
}

// post sends a command; body is marshalled unless it is a string or
// []byte. headers are name, value pairs ("Content-Type" overrides).
func (e *apiEnv) post(token, name string, body any, headers ...string) reply {
	e.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			e.t.Fatal(err)
		}
	}
	req, _ := http.NewRequest("POST", e.srv.URL+web.CommandsPath+name, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	r := reply{status: resp.StatusCode, header: resp.Header}
	r.body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode < 300 {
		if err := json.Unmarshal(r.body, &r.result); err != nil {
			e.t.Fatalf("%s: %d %s: %v", name, resp.StatusCode, r.body, err)
		}
	} else {
		var eb web.ErrorBody
		dec := json.NewDecoder(bytes.NewReader(r.body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&eb); err != nil || eb.Error.Code == "" || eb.Error.Message == "" {
			e.t.Fatalf("%s: %d: body %q is not an error envelope (%v)", name, resp.StatusCode, r.body, err)
		}
		r.err = eb.Error
	}
	return r
}

// must posts and fails the test unless the command was stored.
func (e *apiEnv) must(token, name string, body any, headers ...string) web.CommandResult {
	e.t.Helper()
	r := e.post(token, name, body, headers...)
	if r.status != http.StatusCreated {
		e.t.Fatalf("%s: %d %s", name, r.status, r.body)
	}
	return r.result
}

func (e *apiEnv) head() eventstore.Position {
	e.t.Helper()
	h, err := e.raw.Head(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

func hexHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestCommandAPIHappyPath: a proposal submitted, published and signed past
// its threshold; an archived meeting imported with the date it happened,
// its transcript and a later version with nested changes; an import of the
// same content again (200, nothing stored).
func TestCommandAPIHappyPath(t *testing.T) {
	e := newAPI(t, nil)
	staff := e.token(staffActor, time.Time{})
	proposer := e.token(domain.Actor{ID: citizenActor("F100000001").ID, Role: domain.RoleProposer}, apiNow.Add(time.Hour))
	alice, bob := citizenActor("A100000001"), citizenActor("A100000002")
	aliceTok, bobTok := e.token(alice, apiNow.Add(time.Hour)), e.token(bob, apiNow.Add(time.Hour))

	res := e.must(proposer, "proposal.submit", map[string]any{"proposalId": "p-1", "title": "寵物友善乘車", "summary": "..."})
	if res.Command != "proposal.submit" || res.Stream != "proposal-p-1" || res.Version != 1 || len(res.Events) != 1 || res.CommandID == "" || res.CorrelationID == "" {
		t.Fatalf("submit: %+v", res)
	}
	e.must(staff, "proposal.publish", map[string]any{"proposalId": "p-1", "competentMinistry": "moj"}, web.HeaderCommandID, "cmd-publish-1", web.HeaderCorrelationID, "corr-1")
	// A citizen signs with their token alone: the signer is their pseudonym.
	res = e.must(aliceTok, "proposal.sign", map[string]any{"proposalId": "p-1"})
	if got := []string{res.Events[0].Type, res.Events[1].Type}; got[0] != "proposal.signed" || got[1] != "proposal.milestone_reached" {
		t.Fatalf("sign: %v", got)
	}
	res = e.must(bobTok, "proposal.sign", map[string]any{"proposalId": "p-1", "signer": bob.ID})
	if last := res.Events[len(res.Events)-1]; last.Type != "proposal.established" {
		t.Fatalf("second signature: %+v", res.Events)
	}
	// The answer is what the store holds: IDs, positions, content hashes.
	stored, err := e.raw.ReadStream(context.Background(), "proposal-p-1", 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	last := stored[len(stored)-1]
	if ev := res.Events[len(res.Events)-1]; ev.ID != last.ID || ev.Hash != last.Hash || ev.Position != uint64(last.Position) || ev.Version != last.Version || last.Verify() != nil {
		t.Fatalf("answer %+v, stored %+v", ev, last)
	}
	if md := stored[1].Metadata; md.CommandID != "cmd-publish-1" || md.CorrelationID != "corr-1" || md.ActorID != "staff-1" {
		t.Fatalf("publish metadata %+v", md)
	}
	if md := stored[2].Metadata; md.ActorID != alice.ID || md.ActorRole != "citizen" {
		t.Fatalf("signature metadata %+v", md)
	}

	// An archived meeting, dated when it happened.
	held := time.Date(2019, 1, 25, 9, 0, 0, 0, calendar.Taipei)
	at := []string{web.HeaderOccurredAt, held.Format(time.RFC3339), web.HeaderOccurredAtReason, "PDIS archive"}
	res = e.must(staff, "meeting.schedule", map[string]any{"meetingId": "m-1", "kind": "other", "title": "PO共識營（第二場）", "startsAt": held, "imported": true}, at...)
	if !res.Events[0].OccurredAt.Equal(held) {
		t.Fatalf("imported meeting occurred at %v", res.Events[0].OccurredAt)
	}
	imp := map[string]any{"meetingId": "m-1", "source": "2019-01-25.an.xml", "contentHash": hexHash("v1"), "utterances": []map[string]any{
		{"utteranceId": "u-1", "kind": "speech", "speaker": map[string]any{"name": "甲", "ref": "甲"}, "paragraphs": []string{"可備預見。"}},
		{"utteranceId": "u-2", "kind": "speech", "speaker": map[string]any{"name": "乙", "ref": "乙"}, "paragraphs": []string{"其實是丙說的。"}},
	}}
	res = e.must(staff, "transcript.import", imp, at...)
	if len(res.Events) != 4 {
		t.Fatalf("import stored %d events", len(res.Events))
	}
	// The same content again: nothing to change, nothing stored.
	head := e.head()
	if r := e.post(staff, "transcript.import", imp, at...); r.status != http.StatusOK || len(r.result.Events) != 0 || e.head() != head {
		t.Fatalf("import again: %d %s", r.status, r.body)
	}
	e.must(staff, "transcript.publish", map[string]any{"meetingId": "m-1"}, at...)
	res = e.must(staff, "transcript.import_version", map[string]any{
		"meetingId": "m-1", "revision": 2, "source": "02-abc.an.xml", "contentHash": hexHash("v2"), "editor": "Audrey Tang", "reason": "* 修正錯字",
		"changes": []map[string]any{
			{"command": "transcript.correct_utterance", "body": map[string]any{"meetingId": "m-1", "utteranceId": "u-1", "paragraphs": []string{"可被預見。"}}},
			{"command": "transcript.reattribute_speaker", "body": map[string]any{"meetingId": "m-1", "utteranceId": "u-2", "speaker": map[string]any{"name": "丙", "ref": "丙"}}},
		},
	})
	var types []string
	for _, ev := range res.Events {
		types = append(types, ev.Type)
	}
	if strings.Join(types, " ") != "transcript.version_imported transcript.utterance_corrected transcript.speaker_reattributed" {
		t.Fatalf("import version stored %v", types)
	}
}

// TestCommandAPIErrors: every error status, with its code and rule, and a
// rejected request changes nothing.
func TestCommandAPIErrors(t *testing.T) {
	e := newAPI(t, nil)
	staff := e.token(staffActor, time.Time{})
	po := e.token(poActor, time.Time{})
	auditor := e.token(auditorActor, time.Time{})
	alice := citizenActor("A100000001")
	aliceTok := e.token(alice, time.Time{})
	expired := e.token(citizenActor("A100000009"), apiNow.Add(-time.Second))
	revoked := e.token(citizenActor("A100000008"), time.Time{})
	if _, err := e.tokens.Revoke(context.Background(), testIssuer, tokens.HashOf(revoked).String()[:12], "lost laptop"); err != nil {
		t.Fatal(err)
	}
	if err := e.tokens.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.must(aliceTok, "proposal.submit", map[string]any{"proposalId": "p-1", "title": "開放資料"})
	e.must(staff, "proposal.publish", map[string]any{"proposalId": "p-1", "competentMinistry": "moj"})
	e.must(aliceTok, "proposal.sign", map[string]any{"proposalId": "p-1"})

	sign := map[string]any{"proposalId": "p-1"}
	for _, c := range []struct {
		name          string
		token, cmd    string
		body          any
		headers       []string
		status        int
		code, rule    string
		wwwAuthHeader bool
	}{
		{"malformed JSON", staff, "proposal.publish", `{"proposalId":`, nil, 400, web.CodeBadRequest, "", false},
		{"unknown member", staff, "proposal.publish", `{"proposalId":"p-1","bogus":1}`, nil, 400, web.CodeBadRequest, "", false},
		{"wrong type", staff, "proposal.publish", `{"proposalId":5}`, nil, 400, web.CodeBadRequest, "", false},
		{"two objects", staff, "proposal.publish", `{"proposalId":"p-1"} {}`, nil, 400, web.CodeBadRequest, "", false},
		{"not an object", staff, "proposal.publish", `null`, nil, 400, web.CodeBadRequest, "", false},
		{"empty body", staff, "proposal.publish", ``, nil, 400, web.CodeBadRequest, "", false},
		{"bad nested change", staff, "transcript.import_version", `{"meetingId":"m-1","changes":[{"command":"transcript.correct_utterance","body":{"nope":1}}]}`, nil, 400, web.CodeBadRequest, "", false},
		{"malformed occurred-at", staff, "proposal.publish", sign, []string{web.HeaderOccurredAt, "yesterday"}, 400, web.CodeBadRequest, "", false},
		{"malformed command ID", staff, "proposal.publish", sign, []string{web.HeaderCommandID, strings.Repeat("x", 200)}, 400, web.CodeBadRequest, "", false},
		{"no token", "", "proposal.sign", sign, nil, 401, web.CodeUnauthenticated, "", true},
		{"not a bearer token", "", "proposal.sign", sign, []string{"Authorization", "Basic dXNlcjpwYXNz"}, 401, web.CodeUnauthenticated, "", true},
		{"unknown token", "clt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "proposal.sign", sign, nil, 401, web.CodeUnauthenticated, "", true},
		{"expired token", expired, "proposal.sign", sign, nil, 401, web.CodeUnauthenticated, "", true},
		{"revoked token", revoked, "proposal.sign", sign, nil, 401, web.CodeUnauthenticated, "", true},
		{"PO does a staff command", po, "proposal.publish", map[string]any{"proposalId": "p-1", "competentMinistry": "moj"}, nil, 403, web.CodeForbidden, domain.RuleRoleNotAllowed, false},
		{"auditor does any command", auditor, "proposal.sign", sign, nil, 403, web.CodeForbidden, domain.RuleRoleNotAllowed, false},
		{"citizen signs as another", aliceTok, "proposal.sign", map[string]any{"proposalId": "p-1", "signer": citizenActor("A100000002").ID}, nil, 403, web.CodeForbidden, domain.RuleSignSelfOnly, false},
		{"citizen backdates", aliceTok, "proposal.sign", sign, []string{web.HeaderOccurredAt, "2019-01-01T00:00:00Z"}, 403, web.CodeForbidden, web.RuleOccurredAtStaffOnly, false},
		{"unknown command", staff, "proposal.frobnicate", sign, nil, 404, web.CodeNotFound, "policy.unknown_command", false},
		{"unknown proposal", aliceTok, "proposal.sign", map[string]any{"proposalId": "p-404"}, nil, 404, web.CodeNotFound, "proposal.sign.not_found", false},
		{"second signature", aliceTok, "proposal.sign", sign, nil, 409, web.CodeConflict, "proposal.sign.once_per_signer", false},
		{"body over 1 MiB", staff, "proposal.publish", `{"proposalId":"` + strings.Repeat("x", 1<<20) + `"}`, nil, 413, web.CodeTooLarge, "", false},
		{"not JSON", staff, "proposal.publish", sign, []string{"Content-Type", "text/plain"}, 415, web.CodeUnsupportedMediaType, "", false},
		{"no content type", staff, "proposal.publish", sign, []string{"Content-Type", ""}, 415, web.CodeUnsupportedMediaType, "", false},
		{"ill-formed ID", aliceTok, "proposal.sign", map[string]any{"proposalId": "p 1"}, nil, 422, web.CodeRuleViolated, "proposal.sign.id_invalid", false},
		{"missing ministry", staff, "proposal.publish", map[string]any{"proposalId": "p-2"}, nil, 422, web.CodeRuleViolated, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			head := e.head()
			r := e.post(c.token, c.cmd, c.body, c.headers...)
			if r.status != c.status || r.err.Code != c.code || (c.rule != "" && r.err.Rule != c.rule) {
				t.Fatalf("%d %+v, want %d %s %s", r.status, r.err, c.status, c.code, c.rule)
			}
			if c.wwwAuthHeader && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: %v", r.header)
			}
			// The same refusal in each language (decision 0042): the
			// code and rule stay, the message follows Accept-Language,
			// Traditional Chinese by default as on the pages.
			en := e.post(c.token, c.cmd, c.body, append(slices.Clone(c.headers), "Accept-Language", "en-GB,en;q=0.9")...)
			zh := e.post(c.token, c.cmd, c.body, append(slices.Clone(c.headers), "Accept-Language", "zh-TW,zh;q=0.9,en;q=0.8")...)
			for _, l := range []struct {
				name string
				r    reply
				han  bool
			}{{"en", en, false}, {"zh-Hant", zh, true}, {"zh-Hant", r, true}} {
				if l.r.status != c.status || l.r.err.Code != c.code || l.r.err.Rule != r.err.Rule {
					t.Errorf("%s: %d %+v, want %d %+v", l.name, l.r.status, l.r.err, c.status, r.err)
				}
				if hasHan(l.r.err.Message) != l.han || l.r.header.Get("Content-Language") != l.name {
					t.Errorf("%s (Content-Language %q): message %q", l.name, l.r.header.Get("Content-Language"), l.r.err.Message)
				}
			}
			if after := e.head(); after != head {
				t.Fatalf("a rejected request moved the head from %d to %d", head, after)
			}
		})
	}

	// 409 wrong_expected_version: the stream keeps changing under the
	// command (every append conflicts).
	t.Run("wrong expected version", func(t *testing.T) {
		e.store.conflict.Store(true)
		defer e.store.conflict.Store(false)
		head := e.head()
		r := e.post(aliceTok, "proposal.submit", map[string]any{"proposalId": "p-9", "title": "x"})
		if r.status != 409 || r.err.Code != web.CodeWrongExpectedVersion || e.head() != head {
			t.Fatalf("%d %+v", r.status, r.err)
		}
	})
	// 503: the store is unreachable.
	t.Run("store unavailable", func(t *testing.T) {
		e.store.unavailable.Store(true)
		defer e.store.unavailable.Store(false)
		head := e.head()
		r := e.post(aliceTok, "proposal.submit", map[string]any{"proposalId": "p-9", "title": "x"})
		if r.status != 503 || r.err.Code != web.CodeUnavailable || r.header.Get("Retry-After") == "" || e.head() != head {
			t.Fatalf("%d %+v", r.status, r.err)
		}
	})
}

// TestCommandAPITimeoutAndClosedStore: a request that runs out of time,
// and a closed store, answer 503 and store nothing.
func TestCommandAPITimeoutAndClosedStore(t *testing.T) {
	e := newAPI(t, func(c *web.Config) { c.RequestTimeout = time.Nanosecond })
	staff := e.token(staffActor, time.Time{})
	body := map[string]any{"ministryId": "moj", "name": "法務部"}
	if r := e.post(staff, "registry.register_ministry", body); r.status != 503 || r.err.Code != web.CodeUnavailable || e.head() != 1 {
		t.Fatalf("timeout: %d %+v, head %d", r.status, r.err, e.head())
	}

	e2 := newAPI(t, nil)
	staff2 := e2.token(staffActor, time.Time{})
	e2.raw.Close()
	if r := e2.post(staff2, "registry.register_ministry", body); r.status != 503 || r.err.Code != web.CodeUnavailable {
		t.Fatalf("closed store: %d %+v", r.status, r.err)
	}
}

// TestAuthMatrixSample: an auditor token can do no command; a PO token no
// staff command; a PO acts for its own ministry only.
func TestAuthMatrixSample(t *testing.T) {
	e := newAPI(t, nil)
	auditor := e.token(auditorActor, time.Time{})
	po := e.token(poActor, time.Time{})
	staff := e.token(staffActor, time.Time{})
	head := e.head()
	for _, c := range app.Commands() {
		r := e.post(auditor, c.Name, `{}`)
		if r.status != 403 || r.err.Code != web.CodeForbidden || r.err.Rule != domain.RuleRoleNotAllowed {
			t.Errorf("auditor %s: %d %+v", c.Name, r.status, r.err)
		}
		staffOnly := len(c.Policy.Roles) == 1 && c.Policy.Roles[0] == domain.RolePDIS
		if staffOnly {
			if r := e.post(po, c.Name, `{}`); r.status != 403 || r.err.Rule != domain.RuleRoleNotAllowed {
				t.Errorf("PO %s: %d %+v", c.Name, r.status, r.err)
			}
		}
	}
	if e.head() != head {
		t.Fatal("refused commands moved the head")
	}
	// A chief PO registers a PO of another ministry: refused by its rule.
	// (e.token registered the chief PO of moj, as their token needs.)
	e.must(staff, "registry.register_ministry", map[string]any{"ministryId": "moi", "name": "內政部"})
	head = e.head()
	r := e.post(po, "registry.register_po", map[string]any{"poId": "po-moi-x", "name": "X", "ministry": "moi", "role": "unit", "year": 2026})
	if r.status != 403 || r.err.Rule != domain.RuleRegistryChiefOfMinistry || e.head() != head {
		t.Fatalf("cross-ministry registration: %d %+v", r.status, r.err)
	}
	e.must(po, "registry.register_po", map[string]any{"poId": "po-moj-unit", "name": "法務部PO", "ministry": "moj", "role": "unit", "year": 2026})
}

// TestTokens: only hashes reach the log; the index follows issues and
// revocations live and is rebuilt from the log after a restart; a
// citizen's token stands for a pseudonym, never a raw identity.
func TestTokens(t *testing.T) {
	e := newAPI(t, nil)
	ctx := context.Background()
	tok := e.token(poActor, apiNow.Add(720*time.Hour))
	if !strings.HasPrefix(tok, tokens.Prefix) || len(tok) != len(tokens.Prefix)+43 {
		t.Fatalf("token %q", tok)
	}
	if actor, err := e.tokens.Authenticate(ctx, tok); err != nil || actor != poActor {
		t.Fatalf("authenticate: %v %v", actor, err)
	}
	if _, err := e.tokens.Issue(ctx, testIssuer, tokens.Request{Role: domain.RoleCitizen, ActorID: "A123456789"}); domain.RuleOf(err) != tokens.RuleIdentityRequired {
		t.Fatalf("a token for a citizen by actor ID: %v", err)
	}
	all, err := e.raw.ReadAll(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range all {
		if bytes.Contains(ev.Data, []byte(tok)) || bytes.Contains(ev.Data, []byte(strings.TrimPrefix(tok, tokens.Prefix))) {
			t.Fatalf("the token itself is in the log: %s", ev.Data)
		}
	}
	list, err := e.tokens.List(ctx)
	if err != nil || len(list) != 1 || list[0].Hash != tokens.HashOf(tok) || list[0].Role != domain.RolePO || list[0].Ministry != "moj" || list[0].Status != tokens.StatusActive {
		t.Fatalf("list: %+v %v", list, err)
	}
	// A restarted server knows the token from the log.
	fresh := tokens.NewService(e.store, tokens.Config{Now: func() time.Time { return apiNow }})
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go fresh.Run(rctx)
	if err := fresh.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Authenticate(ctx, tok); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	// Revocation takes effect on the running servers.
	if _, err := e.tokens.Revoke(ctx, testIssuer, "0000", ""); !errors.Is(err, tokens.ErrHashPrefix) {
		t.Fatalf("revoked with a 4-digit prefix: %v", err)
	}
	prefix := list[0].Hash.String()[:10]
	if _, err := e.tokens.Revoke(ctx, testIssuer, prefix, "rotated"); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Revoke(ctx, testIssuer, prefix, "again"); domain.RuleOf(err) != tokens.RuleAlreadyRevoked {
		t.Fatalf("revoke twice: %v", err)
	}
	for _, svc := range []*tokens.Service{e.tokens, fresh} {
		if err := svc.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, tok); !errors.Is(err, tokens.ErrUnauthenticated) {
			t.Fatalf("revoked token authenticates: %v", err)
		}
	}
	if r := e.post(tok, "proposal.sign", map[string]any{"proposalId": "p-1"}); r.status != 401 {
		t.Fatalf("revoked token over HTTP: %d", r.status)
	}
}

// TestOpenAPIServed: the document is served as YAML.
func TestOpenAPIServed(t *testing.T) {
	e := newAPI(t, nil)
	resp, err := http.Get(e.srv.URL + web.OpenAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/yaml") || !bytes.Contains(body, []byte("openapi: 3.1.0")) {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// hasHan reports whether s has a Chinese character.
func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

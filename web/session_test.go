package web_test

import (
	"context"
	"errors"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/accounts"
	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/internal/testoidc"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/readmodels"
	"github.com/pdis/collab-ledger/tokens"
	"github.com/pdis/collab-ledger/web"
)

// signinEnv is the ledger's server with sign-in through a real OpenID
// provider (zitadel's, on loopback), the real command side, the real read
// models and a real embedded store.
type signinEnv struct {
	t        *testing.T
	store    eventstore.Store
	ledger   *app.Ledger
	runner   *projections.Runner
	accounts *accounts.Service
	op       *testoidc.Provider
	url      string
	now      atomic.Pointer[time.Time]
}

const (
	oidcClientID     = "collab-ledger"
	oidcClientSecret = "test-client-secret"
)

// The people of the provider: citizens and staff, by username.
var providerUsers = []testoidc.User{
	{Username: "citizen-a", Password: "pw-a", ID: "sub-citizen-a"},
	{Username: "citizen-b", Password: "pw-b", ID: "sub-citizen-b"},
	{Username: "citizen-c", Password: "pw-c", ID: "sub-citizen-c"},
	{Username: "staff", Password: "pw-staff", ID: "sub-staff"},
	{Username: "po-moi", Password: "pw-po", ID: "sub-po-moi"},
	{Username: "steno", Password: "pw-steno", ID: "sub-steno"},
	{Username: "secretariat", Password: "pw-sec", ID: "sub-sec"},
	{Username: "moi", Password: "pw-moi", ID: "sub-moi"},
}

func newSigninEnv(t *testing.T, tweak func(*web.SignIn)) *signinEnv {
	t.Helper()
	e := &signinEnv{t: t}
	start := time.Now()
	e.now.Store(&start)
	clock := func() time.Time { return *e.now.Load() }
	ctx, cancel := context.WithCancel(context.Background())
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := bbolt.Open(ctx, bbolt.Config{Path: filepath.Join(t.TempDir(), "ledger.db")})
	if err != nil {
		t.Fatal(err)
	}
	e.store = store
	e.ledger, err = app.NewLedger(store, app.LedgerConfig{
		Proposal: domain.ProposalConfig{Threshold: 3, Window: domain.Period{Days: 60}, Milestones: []int{1}, ResponseDeadline: domain.Period{Months: 2}},
		Secret:   apiSecret, Handler: app.Config{Now: clock, Logger: quiet},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.runner, err = projections.NewRunner(projections.RunnerConfig{Store: store, Projections: readmodels.All(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := e.runner.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("runner: %v", err)
		}
	}()
	toks := tokens.NewService(store, tokens.Config{Secret: apiSecret, Now: clock, Logger: quiet})
	go toks.Run(ctx)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.url = "http://" + ln.Addr().String()
	e.op = testoidc.Start(t, oidcClientID, oidcClientSecret, e.url+"/signin/callback", providerUsers...)
	e.accounts = accounts.NewService(store, clock)
	si := &web.SignIn{Secret: apiSecret, Accounts: e.accounts, Now: clock,
		OIDC: &web.OIDCConfig{Issuer: e.op.Issuer, ClientID: oidcClientID, ClientSecret: oidcClientSecret, RedirectURL: e.url + "/signin/callback"}}
	if tweak != nil {
		tweak(si)
	}
	h, err := web.New(web.Config{Store: store, StoreKind: "file", Logger: quiet, Ledger: e.ledger, Tokens: toks, Queries: e.runner, SignIn: si})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		e.ledger.Close()
		store.Close()
	})
	return e
}

// listStaff lists a provider user as a ledger actor, as the first staff
// member is listed (by the operator, through the accounts service).
func (e *signinEnv) listStaff(subject string, actor domain.Actor) {
	e.t.Helper()
	key := accounts.IdentityKey(apiSecret, e.op.Issuer, subject)
	if _, err := e.accounts.Execute(context.Background(), domain.Actor{ID: "operator", Role: domain.RolePDIS}, accounts.Link{Key: key, Actor: actor}, ""); err != nil {
		e.t.Fatal(err)
	}
}

// do executes a command directly (the parts of a story no test is about).
func (e *signinEnv) do(actor domain.Actor, cmd domain.Command) {
	e.t.Helper()
	if _, err := e.ledger.Execute(context.Background(), actor, cmd); err != nil {
		e.t.Fatalf("%s as %s: %v", cmd.CommandName(), actor, err)
	}
}

// browser is an HTTP client with its own cookies: one person's browser.
type browser struct {
	t      *testing.T
	c      *http.Client
	header http.Header
}

func (e *signinEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, c: &http.Client{Jar: jar, Timeout: 20 * time.Second}, header: http.Header{}}
}

func (b *browser) get(u string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	return b.send(req)
}

func (b *browser) post(u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(req)
}

func (b *browser) send(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	for k, v := range b.header {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)">`)

// hidden returns the hidden inputs of a page.
func hidden(page string) url.Values {
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// signIn goes through the provider's login page as username.
func (e *signinEnv) signIn(b *browser, username, password string) string {
	e.t.Helper()
	resp, page := b.get(e.url + "/signin/oidc?return=/me")
	if !strings.HasPrefix(resp.Request.URL.String(), e.op.Issuer+"/login/username") {
		e.t.Fatalf("sign-in led to %s, not the provider's login page", resp.Request.URL)
	}
	id := resp.Request.URL.Query().Get("authRequestID")
	if !strings.Contains(page, `name="password"`) {
		e.t.Fatalf("the provider's login page has no password field:\n%s", page)
	}
	resp, page = b.post(e.op.Issuer+"/login/username", url.Values{"id": {id}, "username": {username}, "password": {password}})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/me" {
		e.t.Fatalf("after the login: %d at %s:\n%s", resp.StatusCode, resp.Request.URL, page)
	}
	return page
}

// form opens a form and posts it with values, returning the response.
func (b *browser) form(formURL string, values url.Values) (*http.Response, string, url.Values) {
	b.t.Helper()
	resp, page := b.get(formURL)
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("GET %s: %d\n%s", formURL, resp.StatusCode, page)
	}
	h := hidden(page)
	for k, v := range values {
		h[k] = v
	}
	action := formURL
	if i := strings.IndexByte(action, '?'); i >= 0 {
		action = action[:i]
	}
	resp, page = b.post(action, h)
	return resp, page, h
}

func (e *signinEnv) publishedProposal(id domain.ProposalID) {
	e.t.Helper()
	proposer := domain.Actor{ID: string(domain.Pseudonym(apiSecret, "proposer")), Role: domain.RoleCitizen}
	e.do(staffActor, domain.RegisterMinistry{MinistryID: "moi", Name: "內政部"})
	e.do(proposer, domain.SubmitProposal{ProposalID: id, Title: "開放政府資料", Summary: "請公開資料"})
	e.do(staffActor, domain.PublishProposal{ProposalID: id, CompetentMinistry: "moi"})
}

// signatures counts the proposal's signature events in the log.
func (e *signinEnv) signatures(id domain.ProposalID) []string {
	e.t.Helper()
	evs, err := e.store.ReadStream(context.Background(), domain.ProposalStream(id), 1, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var signers []string
	for _, ev := range evs {
		if ev.Type == "proposal.signed" {
			signers = append(signers, ev.Metadata.ActorID)
		}
	}
	return signers
}

// TestSignInCitizenSignsOnce: a citizen signs in through the provider's
// login page, is a pseudonym of the provider's issuer and subject (the
// identity is nowhere in the log), signs a proposal through its form, and
// however often the form is sent (the same form twice, a fresh form
// again) the proposal counts one signature.
func TestSignInCitizenSignsOnce(t *testing.T) {
	e := newSigninEnv(t, nil)
	e.publishedProposal("p-1")
	b := e.browser()
	me := e.signIn(b, "citizen-a", "pw-a")
	want := string(domain.Pseudonym(apiSecret, e.op.Issuer+"\x00sub-citizen-a"))
	if !strings.Contains(me, want) {
		t.Fatalf("the citizen's page does not show their pseudonym %s", want)
	}
	e.caughtUp()
	if _, page := b.get(e.url + "/proposals/p-1"); !strings.Contains(page, `href="/act/proposal.sign?proposalId=p-1"`) {
		t.Errorf("the proposal's page does not link to its signing form")
	}
	resp, page, sent := b.form(e.url+"/act/proposal.sign?proposalId=p-1", url.Values{"proposalId": {"p-1"}})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path == "/act/proposal.sign" {
		t.Fatalf("signing: %d at %s\n%s", resp.StatusCode, resp.Request.URL, page)
	}
	if !strings.Contains(page, "proposal.signed") {
		t.Errorf("the confirmation does not list the signature event:\n%s", page)
	}
	// The same form again (double click, back button): nothing more.
	resp, page = b.post(e.url+"/act/proposal.sign", sent)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "proposal.signed") {
		t.Errorf("the same form sent again: %d\n%s", resp.StatusCode, page)
	}
	// A fresh form: refused by the rule, shown next to the field.
	resp, page, _ = b.form(e.url+"/act/proposal.sign?proposalId=p-1", url.Values{"proposalId": {"p-1"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `class="error-summary"`) || !strings.Contains(page, "簽") && !strings.Contains(page, "附議") {
		t.Errorf("a second signature: %d\n%s", resp.StatusCode, page)
	}
	if got := e.signatures("p-1"); len(got) != 1 || got[0] != want {
		t.Errorf("signatures in the log: %v, want one by %s", got, want)
	}
	// The identity is nowhere in the log.
	evs, _ := e.store.ReadAll(context.Background(), 0, 10000)
	for _, ev := range evs {
		if strings.Contains(string(ev.Data), "sub-citizen-a") || strings.Contains(ev.Metadata.ActorID, "sub-citizen-a") {
			t.Errorf("event %s holds the raw identity", ev.Type)
		}
	}
}

// TestSignInSecurity: cross-site posts are refused and change nothing;
// a session ID planted before sign-in is not the one after it (no
// fixation), nor is the one of an earlier sign-in; sign-out ends the
// session on the server; an expired session records nothing; a citizen
// cannot sign as another; a staff identity taken off the list, and a PO
// retired while signed in, are refused at their next command.
func TestSignInSecurity(t *testing.T) {
	e := newSigninEnv(t, nil)
	e.publishedProposal("p-1")
	u, _ := url.Parse(e.url)

	t.Run("cross-site post", func(t *testing.T) {
		b := e.browser()
		e.signIn(b, "citizen-a", "pw-a")
		_, page := b.get(e.url + "/act/proposal.sign?proposalId=p-1")
		form := hidden(page)
		form.Set("proposalId", "p-1")
		for _, h := range []http.Header{
			{"Sec-Fetch-Site": {"cross-site"}},
			{"Origin": {"https://evil.example"}},
		} {
			b.header = h
			resp, _ := b.post(e.url+"/act/proposal.sign", form)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("cross-site post with %v: %d, want 403", h, resp.StatusCode)
			}
		}
		b.header = http.Header{}
		noToken := url.Values{"proposalId": {"p-1"}, "cid": {form.Get("cid")}}
		if resp, _ := b.post(e.url+"/act/proposal.sign", noToken); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a post without the session's token: %d, want 403", resp.StatusCode)
		}
		if got := e.signatures("p-1"); len(got) != 0 {
			t.Errorf("refused posts recorded %d signatures", len(got))
		}
	})

	t.Run("fixation and sign-out", func(t *testing.T) {
		b := e.browser()
		planted := &http.Cookie{Name: "session", Value: "attacker-chosen-session-id", Path: "/"}
		b.c.Jar.SetCookies(u, []*http.Cookie{planted})
		e.signIn(b, "citizen-b", "pw-b")
		first := sessionCookie(b, u)
		if first == "" || first == planted.Value {
			t.Fatalf("the session after sign-in is %q", first)
		}
		attacker := e.browser()
		attacker.c.Jar.SetCookies(u, []*http.Cookie{planted})
		if resp, _ := attacker.get(e.url + "/me"); resp.Request.URL.Path != "/signin" {
			t.Errorf("the planted ID is signed in: at %s", resp.Request.URL.Path)
		}
		e.signIn(b, "citizen-b", "pw-b")
		second := sessionCookie(b, u)
		if second == first {
			t.Errorf("signing in again kept the session ID")
		}
		old := e.browser()
		old.c.Jar.SetCookies(u, []*http.Cookie{{Name: "session", Value: first, Path: "/"}})
		if resp, _ := old.get(e.url + "/me"); resp.Request.URL.Path != "/signin" {
			t.Errorf("the earlier session still works after a new sign-in")
		}
		_, page := b.get(e.url + "/me")
		if resp, _ := b.post(e.url+"/signout", url.Values{"csrf": {hidden(page).Get("csrf")}}); resp.Request.URL.Path != "/" {
			t.Errorf("sign-out led to %s", resp.Request.URL.Path)
		}
		replay := e.browser()
		replay.c.Jar.SetCookies(u, []*http.Cookie{{Name: "session", Value: second, Path: "/"}})
		if resp, _ := replay.get(e.url + "/me"); resp.Request.URL.Path != "/signin" {
			t.Errorf("the session works after sign-out")
		}
	})

	t.Run("expired session", func(t *testing.T) {
		b := e.browser()
		e.signIn(b, "citizen-c", "pw-c")
		_, page := b.get(e.url + "/act/proposal.sign?proposalId=p-1")
		form := hidden(page)
		form.Set("proposalId", "p-1")
		later := e.now.Load().Add(9 * time.Hour)
		e.now.Store(&later)
		resp, page := b.post(e.url+"/act/proposal.sign", form)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "重新登入") {
			t.Errorf("an expired session's post: %d\n%s", resp.StatusCode, page)
		}
		if got := e.signatures("p-1"); len(got) != 0 {
			t.Errorf("an expired session signed: %v", got)
		}
	})

	t.Run("a citizen cannot sign as another", func(t *testing.T) {
		b := e.browser()
		e.signIn(b, "citizen-a", "pw-a")
		other := string(domain.Pseudonym(apiSecret, e.op.Issuer+"\x00sub-citizen-b"))
		self := string(domain.Pseudonym(apiSecret, e.op.Issuer+"\x00sub-citizen-a"))
		b.form(e.url+"/act/proposal.sign?proposalId=p-1", url.Values{"proposalId": {"p-1"}, "signer": {other}})
		if got := e.signatures("p-1"); len(got) != 1 || got[0] != self {
			t.Errorf("signatures %v, want only citizen a's own %s", got, self)
		}
	})

	t.Run("PO retired while signed in", func(t *testing.T) {
		e.do(staffActor, domain.RegisterPO{POID: "po-moi-1", Name: "內政部PO", Ministry: "moi", Role: domain.POChief, Year: time.Now().Year()})
		e.do(staffActor, domain.OpenMonthlyMeeting{MeetingID: "mm-1", HeldOn: mustDate(t, time.Now().In(time.UTC).Format("2006-01-02"))})
		e.do(staffActor, domain.AddCandidate{MeetingID: "mm-1", CandidateID: "c-1", Kind: domain.CandidatePDISProposal, Title: "議題一", Organiser: "moi"})
		e.listStaff("sub-po-moi", domain.Actor{ID: "po-moi-1", Role: domain.RolePO, Ministry: "moi"})
		b := e.browser()
		e.signIn(b, "po-moi", "pw-po")
		_, page := b.get(e.url + "/act/monthly.cast_ballot?meetingId=mm-1")
		form := hidden(page)
		form.Set("meetingId", "mm-1")
		form.Set("choices", "c-1")
		e.do(staffActor, domain.RetirePO{POID: "po-moi-1", Reason: "調職"})
		resp, page := b.post(e.url+"/act/monthly.cast_ballot", form)
		if resp.StatusCode == http.StatusOK || !strings.Contains(page, `class="error-summary"`) {
			t.Errorf("a retired PO's ballot: %d\n%s", resp.StatusCode, page)
		}
		evs, _ := e.store.ReadStream(context.Background(), domain.MonthlyMeetingStream("mm-1"), 1, 100)
		for _, ev := range evs {
			if ev.Type == "monthly.ballot_cast" {
				t.Errorf("a retired PO's ballot was recorded")
			}
		}
		// Taken off the list of accounts: refused at the next command.
		key := accounts.IdentityKey(apiSecret, e.op.Issuer, "sub-po-moi")
		if _, err := e.accounts.Execute(context.Background(), staffActor, accounts.Unlink{Key: key, Reason: "離職"}, ""); err != nil {
			t.Fatal(err)
		}
		form.Set("cid", "6f1c1b9e-8d5a-4c1e-9a39-0d1c1f2e3a4b")
		resp, page = b.post(e.url+"/act/monthly.cast_ballot", form)
		if resp.StatusCode == http.StatusOK || !strings.Contains(page, "帳號清單") {
			t.Errorf("an unlisted identity's command: %d\n%s", resp.StatusCode, page)
		}
	})
}

func sessionCookie(b *browser, u *url.URL) string {
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "session" {
			return c.Value
		}
	}
	return ""
}

func mustDate(t *testing.T, s string) calendar.Date {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDevSignIn: on loopback the development sign-in signs in as the actor
// picked, every page says it is on, and a citizen's ID is a pseudonym of
// the name typed.
func TestDevSignIn(t *testing.T) {
	e := newSigninEnv(t, func(si *web.SignIn) { si.OIDC = nil; si.Dev = true })
	b := e.browser()
	for _, path := range []string{"/", "/signin", "/no-such-page"} {
		if _, page := b.get(e.url + path); !strings.Contains(page, `id="dev-banner"`) {
			t.Errorf("%s has no development banner", path)
		}
	}
	_, page := b.get(e.url + "/signin")
	if !strings.Contains(page, `id="dev-form"`) {
		t.Fatalf("no development sign-in form on loopback:\n%s", page)
	}
	resp, page := b.post(e.url+"/signin/dev", url.Values{"role": {"citizen"}, "id": {"alice"}, "return": {"/me"}})
	want := string(domain.Pseudonym(apiSecret, "dev\x00alice"))
	if resp.Request.URL.Path != "/me" || !strings.Contains(page, want) {
		t.Errorf("development sign-in as citizen alice: at %s, page lacks %s", resp.Request.URL.Path, want)
	}
	resp, _ = b.post(e.url+"/signin/dev", url.Values{"role": {"po"}, "id": {"po-moi-1"}, "return": {"/me"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a PO without a ministry: %d", resp.StatusCode)
	}
}

// TestTokensPage: staff issue a machine's token from the page (shown once,
// the log keeping only its hash), the API takes it, a re-sent form issues
// no second token, and a token revoked from the page no longer works.
func TestTokensPage(t *testing.T) {
	e := newSigninEnv(t, nil)
	e.listStaff("sub-staff", domain.Actor{ID: "pdis-1", Role: domain.RolePDIS})
	b := e.browser()
	e.signIn(b, "staff", "pw-staff")
	resp, page, sent := b.form(e.url+"/admin/tokens", url.Values{"role": {"pdis"}, "actorId": {"importer-1"}, "days": {"30"}})
	tok := regexp.MustCompile(`<code id="token-value">(clt_[A-Za-z0-9_-]+)</code>`).FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || tok == nil {
		t.Fatalf("issuing: %d\n%s", resp.StatusCode, page)
	}
	api := func() int {
		req, _ := http.NewRequest("GET", e.url+"/api/v1/admin/tokens", nil)
		req.Header.Set("Authorization", "Bearer "+tok[1])
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r.StatusCode
	}
	if got := api(); got != http.StatusOK {
		t.Fatalf("the issued token at the API: %d", got)
	}
	if _, again := b.post(e.url+"/admin/tokens", sent); strings.Contains(again, `id="token-value"`) {
		t.Errorf("the same form sent again issued another token")
	}
	evs, _ := e.store.ReadStream(context.Background(), tokens.Stream, 1, 100)
	if len(evs) != 1 || strings.Contains(string(evs[0].Data), tok[1]) {
		t.Fatalf("the tokens stream: %d events (want 1, holding no token)", len(evs))
	}
	_, page = b.get(e.url + "/admin/tokens")
	short := regexp.MustCompile(`name="revoke" value="([0-9a-f]{16})"`).FindStringSubmatch(page)
	if short == nil {
		t.Fatalf("no revoke form:\n%s", page)
	}
	form := hidden(page)
	form.Set("revoke", short[1])
	form.Set("reason", "不再使用")
	b.post(e.url+"/admin/tokens", form)
	if got := api(); got != http.StatusUnauthorized {
		t.Errorf("a revoked token at the API: %d", got)
	}
}

package web

// Sign-in through an OpenID provider (the authorization code flow with
// PKCE, a nonce and a state bound to the browser by a short-lived cookie).
//
//	GET /signin/oidc?return=/path   → the provider's login page
//	GET <RedirectURL's path>        ← the provider's answer: the ID token is
//	                                  verified, the person resolved, a session begun
//
// Who a person is: their provider's issuer and subject. A listed staff
// identity (accounts.IdentityKey) acts as the actor the list names; anyone
// else acts as a citizen, under domain.Pseudonym(secret, issuer NUL
// subject). Neither the issuer nor the subject is stored.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/pdis/collab-ledger/accounts"
	"github.com/pdis/collab-ledger/domain"
)

// OIDCConfig connects an OpenID provider.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL (discovery at
	// Issuer/.well-known/openid-configuration).
	Issuer string
	// ClientID and ClientSecret are the ledger's client at the provider.
	ClientID, ClientSecret string
	// RedirectURL is where the provider sends the browser back: this
	// server's URL ending in the callback path, e.g.
	// https://ledger.example/signin/callback. An https URL makes the
	// session cookie Secure.
	RedirectURL string
	// HTTPClient talks to the provider. Default http.DefaultClient.
	HTTPClient *http.Client
}

// Validate reports a configuration that cannot sign anyone in.
func (c *OIDCConfig) Validate() error {
	if c.Issuer == "" || c.ClientID == "" || c.RedirectURL == "" {
		return errBoth("oidc: issuer, client ID and redirect URL are required", "oidc：須設定發行者（issuer）、client ID 與重新導向網址")
	}
	u, err := url.Parse(c.RedirectURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Path == "" || u.Path == "/" {
		return errBoth(fmt.Sprintf("oidc: redirect URL %q is not an absolute http(s) URL with a path", c.RedirectURL), fmt.Sprintf("oidc：重新導向網址 %q 不是含路徑的完整 http(s) 網址", c.RedirectURL))
	}
	return nil
}

const (
	signinStateCookie = "signin_state"
	signinStateTTL    = 10 * time.Minute
)

// oidcClient is the ledger's client of one provider; the provider is
// discovered at the first sign-in (and again after a failure).
type oidcClient struct {
	cfg OIDCConfig

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier

	pendingMu sync.Mutex
	pending   map[string]pendingSignIn
}

// pendingSignIn is a sign-in sent to the provider and not yet back.
type pendingSignIn struct {
	nonce, verifier, returnTo string
	expires                   time.Time
}

func newOIDCClient(cfg OIDCConfig) *oidcClient {
	return &oidcClient{cfg: cfg, pending: map[string]pendingSignIn{}}
}

func (o *oidcClient) context(ctx context.Context) context.Context {
	if o.cfg.HTTPClient != nil {
		return oidc.ClientContext(ctx, o.cfg.HTTPClient)
	}
	return ctx
}

// discover returns the OAuth 2 configuration and the ID token verifier.
func (o *oidcClient) discover(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.oauth != nil {
		return o.oauth, o.verifier, nil
	}
	// The provider keeps the context for fetching its keys later: not the
	// request's.
	p, err := oidc.NewProvider(o.context(context.WithoutCancel(ctx)), o.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("oidc: discover %s: %w", o.cfg.Issuer, err)
	}
	o.oauth = &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: o.cfg.RedirectURL, Scopes: []string{oidc.ScopeOpenID}}
	o.verifier = p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID})
	return o.oauth, o.verifier, nil
}

func (o *oidcClient) remember(state string, p pendingSignIn) {
	o.pendingMu.Lock()
	defer o.pendingMu.Unlock()
	now := time.Now()
	for k, v := range o.pending {
		if now.After(v.expires) {
			delete(o.pending, k)
		}
	}
	o.pending[state] = p
}

// take returns and forgets the pending sign-in of state.
func (o *oidcClient) take(state string) (pendingSignIn, bool) {
	o.pendingMu.Lock()
	defer o.pendingMu.Unlock()
	p, ok := o.pending[state]
	delete(o.pending, state)
	if !ok || time.Now().After(p.expires) {
		return pendingSignIn{}, false
	}
	return p, true
}

// localPath returns p if it is a path of this site, else "/me".
func localPath(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return "/me"
	}
	return p
}

// oidcStart sends the browser to the provider.
func (s *server) oidcStart(w http.ResponseWriter, r *http.Request) {
	conf, _, err := s.oidc.discover(r.Context())
	if err != nil {
		s.cfg.Logger.Error("sign-in", "err", err)
		e := newAPIError(http.StatusServiceUnavailable, CodeUnavailable, "identity provider unavailable: "+s.oidc.cfg.Issuer).zh("無法連線身分提供者：" + s.oidc.cfg.Issuer)
		e.cause = err
		e.page = func(p *Page, _ *http.Request) ErrorData {
			return ErrorData{Heading: p.T("signin.unavailable.title"), Message: p.TF("signin.unavailable.body", s.oidc.cfg.Issuer)}
		}
		s.pageError(w, r, newPage(w, r, ""), e)
		return
	}
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	s.oidc.remember(state, pendingSignIn{nonce: nonce, verifier: verifier, returnTo: localPath(r.URL.Query().Get("return")), expires: time.Now().Add(signinStateTTL)})
	http.SetCookie(w, &http.Cookie{Name: signinStateCookie, Value: state, Path: "/", MaxAge: int(signinStateTTL.Seconds()),
		HttpOnly: true, Secure: s.secureRequest(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// oidcCallback verifies the provider's answer and begins the session.
func (s *server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	refuse := func(msg string, err error) {
		s.cfg.Logger.Warn("sign-in refused", "reason", msg, "err", err)
		p := newPage(w, r, "")
		p.Status = http.StatusUnauthorized
		p.Title = p.T("signin.failed")
		p.Data = ErrorData{Heading: p.T("signin.failed"), Message: p.T("signin.failed.body")}
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && (re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client" || re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized) {
			// the server's configuration, not the person: say so
			s.cfg.Logger.Error("sign-in: the provider refused the client's credentials", "issuer", s.oidc.cfg.Issuer, "client", s.oidc.cfg.ClientID, "err", err)
			p.Status = http.StatusServiceUnavailable
			p.Data = ErrorData{Heading: p.T("signin.failed"), Message: p.T("signin.client_refused"), Code: CodeUnavailable}
		}
		s.render(w, r, "error", p)
	}
	c, err := r.Cookie(signinStateCookie)
	state := q.Get("state")
	if err != nil || state == "" || c.Value != state {
		refuse("state does not match this browser's", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: signinStateCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secureRequest(r), SameSite: http.SameSiteLaxMode})
	pend, ok := s.oidc.take(state)
	if !ok {
		refuse("unknown or expired state", nil)
		return
	}
	if e := q.Get("error"); e != "" {
		refuse("provider: "+e, nil)
		return
	}
	conf, verifier, err := s.oidc.discover(r.Context())
	if err != nil {
		refuse("discovery", err)
		return
	}
	ctx := s.oidc.context(r.Context())
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pend.verifier))
	if err != nil {
		refuse("code exchange", err)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		refuse("no ID token", nil)
		return
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		refuse("ID token", err)
		return
	}
	if idt.Nonce != pend.nonce {
		refuse("nonce does not match", nil)
		return
	}
	sess, err := s.resolveIdentity(r.Context(), idt.Issuer, idt.Subject)
	if err != nil {
		refuse("resolve identity", err)
		return
	}
	if err := s.beginSession(w, r, sess); err != nil {
		refuse("keep the session", err)
		return
	}
	http.Redirect(w, r, pend.returnTo, http.StatusSeeOther)
}

// resolveIdentity returns the session of a verified identity: the listed
// staff actor, or a citizen under their pseudonym.
func (s *server) resolveIdentity(ctx context.Context, issuer, subject string) (*session, error) {
	si := s.cfg.SignIn
	sess := &session{issuer: issuer, subject: subject}
	if si.Accounts != nil {
		key := accounts.IdentityKey(si.Secret, issuer, subject)
		e, ok, err := si.Accounts.Lookup(ctx, key)
		if err != nil {
			return nil, err
		}
		if ok {
			sess.actor, sess.identityKey = e.Actor, key
			return sess, nil
		}
	}
	sess.actor = domain.Actor{ID: string(citizenPseudonym(si.Secret, issuer, subject)), Role: domain.RoleCitizen}
	return sess, nil
}

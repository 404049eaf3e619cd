package web

// Sessions of the pages.
//
// A person signs in (oidc.go, or the development sign-in of
// session_dev.go) and gets a server-side session: a random 32-byte ID in a
// cookie, the server keeping only the ID's SHA-256 with the actor the
// session acts as. The cookie is HttpOnly and SameSite=Lax, Secure (and
// named __Host-session) whenever the ledger is reached over HTTPS, and has
// no Max-Age: it ends with the browser, and the server ends the session
// after SignIn.SessionTTL in any case. Every sign-in makes a new ID and
// ends the session the browser had (no fixation); sign-out ends it.
//
// Each session carries a CSRF token that every form posts back; the form
// routes also pass through http.CrossOriginProtection, which refuses a
// cross-site POST from any modern browser before the token is looked at.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pdis/collab-ledger/accounts"
	"github.com/pdis/collab-ledger/domain"
)

// SignIn configures signing in to the pages. A nil SignIn in Config serves
// no sign-in and no forms.
type SignIn struct {
	// Secret is the ledger's pseudonym secret: a citizen's actor is
	// domain.Pseudonym(Secret, issuer NUL subject), a staff identity's key
	// accounts.IdentityKey(Secret, issuer, subject). Required.
	Secret []byte
	// OIDC connects an OpenID provider; nil: none.
	OIDC *OIDCConfig
	// Dev offers the development sign-in (pick any actor) to requests
	// that arrive on a loopback address, and only to them. Every page says
	// so while it is on.
	Dev bool
	// Accounts maps staff identities to actors; required with OIDC.
	Accounts *accounts.Service
	// DevActors are offered ready-made by the development sign-in (the
	// demo's people).
	DevActors []DevActor
	// SessionTTL ends a session this long after sign-in. Default 8 hours.
	SessionTTL time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Session cookie names: __Host- when Secure (the browser then refuses it
// from anything but this host over HTTPS, with Path=/).
const (
	sessionCookieSecure = "__Host-session"
	sessionCookiePlain  = "session"
	maxDoneForms        = 256
)

// session is one signed-in browser.
type session struct {
	actor domain.Actor
	// identityKey is the accounts key of a staff identity, checked again
	// at every command (unlisted staff are refused at once); "" for
	// citizens and development sign-ins.
	identityKey string
	// issuer and subject are shown to the person on their own page, so
	// that they can tell staff which identity to list; never stored.
	issuer, subject string
	dev             bool
	csrf            string
	created         time.Time
	expires         time.Time
	// done maps the command IDs of forms already recorded to where they
	// led, so that a form posted twice records once.
	done  map[string]doneForm
	order []string
}

// doneForm is what a recorded form led to.
type doneForm struct {
	Command string
	Result  RecordedView
}

// sessions keeps the sessions in memory, keyed by the SHA-256 of their ID.
type sessions struct {
	mu  sync.Mutex
	m   map[[32]byte]*session
	ttl time.Duration
	now func() time.Time
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{m: map[[32]byte]*session{}, ttl: ttl, now: now}
}

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error()) // never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// start makes a new session for actor and returns its ID.
func (ss *sessions) start(s *session) string {
	id := randomToken()
	now := ss.now()
	s.csrf, s.created, s.expires, s.done = randomToken(), now, now.Add(ss.ttl), map[string]doneForm{}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for k, old := range ss.m { // sweep the expired
		if !now.Before(old.expires) {
			delete(ss.m, k)
		}
	}
	ss.m[sha256.Sum256([]byte(id))] = s
	return id
}

// get returns the live session of id, or nil.
func (ss *sessions) get(id string) *session {
	if id == "" {
		return nil
	}
	k := sha256.Sum256([]byte(id))
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[k]
	if !ok {
		return nil
	}
	if !ss.now().Before(s.expires) {
		delete(ss.m, k)
		return nil
	}
	return s
}

// end ends the session of id.
func (ss *sessions) end(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, sha256.Sum256([]byte(id)))
}

// recorded returns what the form with command ID cid led to, if recorded.
func (ss *sessions) recorded(s *session, cid string) (doneForm, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	d, ok := s.done[cid]
	return d, ok
}

// remember records that the form with command ID cid led to d.
func (ss *sessions) remember(s *session, cid string, d doneForm) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if _, ok := s.done[cid]; !ok {
		s.order = append(s.order, cid)
	}
	s.done[cid] = d
	for len(s.order) > maxDoneForms {
		delete(s.done, s.order[0])
		s.order = s.order[1:]
	}
}

// secureRequest reports whether the browser reached the ledger over HTTPS:
// the connection is TLS, or the configured redirect URL is https (a TLS
// proxy in front).
func (s *server) secureRequest(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	si := s.cfg.SignIn
	return si != nil && si.OIDC != nil && strings.HasPrefix(si.OIDC.RedirectURL, "https://")
}

func (s *server) sessionCookieName(r *http.Request) string {
	if s.secureRequest(r) {
		return sessionCookieSecure
	}
	return sessionCookiePlain
}

// currentSession returns the request's live session and its ID, or nil.
func (s *server) currentSession(r *http.Request) (*session, string) {
	if s.sessions == nil {
		return nil, ""
	}
	c, err := r.Cookie(s.sessionCookieName(r))
	if err != nil {
		return nil, ""
	}
	return s.sessions.get(c.Value), c.Value
}

// beginSession ends the browser's current session, if any, starts sess and
// sets its cookie: a new ID at every sign-in.
func (s *server) beginSession(w http.ResponseWriter, r *http.Request, sess *session) {
	if _, old := s.currentSession(r); old != "" {
		s.sessions.end(old)
	}
	id := s.sessions.start(sess)
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(r), Value: id, Path: "/", HttpOnly: true,
		Secure: s.secureRequest(r), SameSite: http.SameSiteLaxMode})
}

// endSession ends the browser's session and clears its cookie.
func (s *server) endSession(w http.ResponseWriter, r *http.Request) {
	if _, id := s.currentSession(r); id != "" {
		s.sessions.end(id)
	}
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(r), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secureRequest(r), SameSite: http.SameSiteLaxMode})
}

// validCSRF reports whether the form's token is the session's.
func validCSRF(sess *session, r *http.Request) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.csrf)) == 1
}

// sessionActor returns the actor a session acts as now: a staff identity
// taken off the list, or listed as someone else, no longer acts as the
// actor it signed in as.
func (s *server) sessionActor(ctx context.Context, sess *session) (domain.Actor, error) {
	if sess.identityKey == "" || s.cfg.SignIn.Accounts == nil {
		return sess.actor, nil
	}
	e, ok, err := s.cfg.SignIn.Accounts.Lookup(ctx, sess.identityKey)
	if err != nil {
		return domain.Actor{}, err
	}
	if !ok || e.Actor != sess.actor {
		return domain.Actor{}, domain.NewRuleError(domain.ErrForbidden, RuleAccountUnlisted, "this identity is no longer listed as "+sess.actor.String()+"; sign in again", "這個身分已不再列為 "+sess.actor.String()+"；請重新登入")
	}
	return sess.actor, nil
}

// RuleAccountUnlisted refuses a command from a staff session whose identity
// was taken off the list of accounts (or listed as another actor) after it
// signed in.
const RuleAccountUnlisted = "session.account_unlisted"

// citizenPseudonym is a citizen's actor ID: the keyed pseudonym of their
// provider's issuer and subject.
func citizenPseudonym(secret []byte, issuer, subject string) domain.SignerID {
	return domain.Pseudonym(secret, issuer+"\x00"+subject)
}

package web

// Sessions of the pages.
//
// A person signs in (oidc.go, or the development sign-in of
// session_dev.go) and gets a server-side session: a random 32-byte ID in a
// cookie, the server keeping only the ID's SHA-256 with the actor the
// session acts as, in SignIn.Sessions (PostgreSQL: every server sees it;
// a bbolt file: it survives a restart; decision 0036). The cookie is HttpOnly and SameSite=Lax, Secure (and
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
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pdis/collab-ledger/accounts"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/sessionstore"
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
	// Sessions keeps the sessions: sessionstore.Postgres to share them
	// between servers, sessionstore.Bolt to keep them over a restart of
	// the embedded server. Nil: in memory (lost at restart).
	Sessions sessionstore.Store
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
	// that they can tell staff which identity to list; kept only sealed
	// with a key derived from the session's ID (sealedIdentity).
	issuer, subject string
	sealedIdentity  []byte
	// key is the SHA-256 of the session's ID, what the store keys it by.
	key     sessionstore.Key
	dev     bool
	csrf    string
	created time.Time
	expires time.Time
	// done maps the command IDs of forms already recorded to where they
	// led, so that a form posted twice records once.
	done  map[string]doneForm
	order []string
}

// doneForm is what a recorded form led to.
type doneForm struct {
	Command string       `json:"command"`
	Result  RecordedView `json:"result"`
}

// sessions keeps the sessions in a sessionstore.Store (SignIn.Sessions:
// PostgreSQL shared by every server, a bbolt file beside the embedded
// store, or memory), keyed by the SHA-256 of their ID. What is kept names
// nobody by itself: the identity a person signed in with is sealed with a
// key derived from the session's ID, which only their browser holds.
type sessions struct {
	store sessionstore.Store
	ttl   time.Duration
	now   func() time.Time
	log   *slog.Logger
	// mu serialises this process's read-modify-write of a session's
	// recorded forms. Two servers recording forms of one session at the
	// same instant may each keep only their own; the ledger still records
	// each command once (its command ID).
	mu sync.Mutex
}

func newSessions(store sessionstore.Store, ttl time.Duration, now func() time.Time, log *slog.Logger) *sessions {
	return &sessions{store: store, ttl: ttl, now: now, log: log}
}

func randomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error()) // never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// storedSession is a session as kept.
type storedSession struct {
	Actor       domain.Actor `json:"actor"`
	IdentityKey string       `json:"identityKey,omitempty"`
	// Identity is issuer NUL subject, sealed (AES-256-GCM, nonce first)
	// with identityKeyOf(the session's ID).
	Identity []byte       `json:"identity,omitempty"`
	Dev      bool         `json:"dev,omitempty"`
	CSRF     string       `json:"csrf"`
	Created  time.Time    `json:"created"`
	Expires  time.Time    `json:"expires"`
	Done     []storedForm `json:"done,omitempty"`
}

// storedForm is a recorded form, in the order recorded.
type storedForm struct {
	CID  string   `json:"cid"`
	Form doneForm `json:"form"`
}

// identityKeyOf is the key a session's identity is sealed with.
func identityKeyOf(id string) []byte {
	k := sha256.Sum256([]byte("collab-ledger session identity\x00" + id))
	return k[:]
}

func identityAEAD(id string) cipher.AEAD {
	block, err := aes.NewCipher(identityKeyOf(id))
	if err != nil {
		panic("aes: " + err.Error()) // a 32-byte key never fails
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("gcm: " + err.Error())
	}
	return aead
}

// sealIdentity seals issuer and subject for the session of id; nil if both
// are empty.
func sealIdentity(id, issuer, subject string) []byte {
	if issuer == "" && subject == "" {
		return nil
	}
	aead := identityAEAD(id)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return aead.Seal(nonce, nonce, []byte(issuer+"\x00"+subject), nil)
}

// openIdentity opens what sealIdentity sealed ("", "" if it cannot).
func openIdentity(id string, sealed []byte) (issuer, subject string) {
	aead := identityAEAD(id)
	if len(sealed) < aead.NonceSize() {
		return "", ""
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], nil)
	if err != nil {
		return "", ""
	}
	issuer, subject, _ = strings.Cut(string(plain), "\x00")
	return issuer, subject
}

// put keeps s.
func (ss *sessions) put(ctx context.Context, s *session) error {
	st := storedSession{Actor: s.actor, IdentityKey: s.identityKey, Identity: s.sealedIdentity, Dev: s.dev, CSRF: s.csrf, Created: s.created, Expires: s.expires}
	for _, cid := range s.order {
		st.Done = append(st.Done, storedForm{CID: cid, Form: s.done[cid]})
	}
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("session: encode: %w", err)
	}
	return ss.store.Put(ctx, s.key, sessionstore.Record{Expires: s.expires, Data: data})
}

// start keeps a new session and returns its ID.
func (ss *sessions) start(ctx context.Context, s *session) (string, error) {
	id := randomToken()
	now := ss.now()
	s.key = sha256.Sum256([]byte(id))
	s.csrf, s.created, s.expires, s.done, s.order = randomToken(), now, now.Add(ss.ttl), map[string]doneForm{}, nil
	s.sealedIdentity = sealIdentity(id, s.issuer, s.subject)
	if err := ss.store.Sweep(ctx, now); err != nil { // the expired go
		ss.log.Warn("sessions: sweep", "err", err)
	}
	if err := ss.put(ctx, s); err != nil {
		return "", err
	}
	return id, nil
}

// get returns the live session of id, or nil.
func (ss *sessions) get(ctx context.Context, id string) *session {
	if id == "" {
		return nil
	}
	key := sha256.Sum256([]byte(id))
	rec, ok, err := ss.store.Get(ctx, key, ss.now())
	if err != nil {
		ss.log.Error("sessions: get", "err", err)
		return nil
	}
	if !ok {
		return nil
	}
	var st storedSession
	if err := json.Unmarshal(rec.Data, &st); err != nil {
		ss.log.Error("sessions: decode", "err", err)
		return nil
	}
	if !ss.now().Before(st.Expires) {
		return nil
	}
	s := &session{key: key, actor: st.Actor, identityKey: st.IdentityKey, sealedIdentity: st.Identity, dev: st.Dev, csrf: st.CSRF,
		created: st.Created, expires: st.Expires, done: make(map[string]doneForm, len(st.Done))}
	s.issuer, s.subject = openIdentity(id, st.Identity)
	for _, f := range st.Done {
		if _, dup := s.done[f.CID]; !dup {
			s.order = append(s.order, f.CID)
		}
		s.done[f.CID] = f.Form
	}
	return s
}

// end ends the session of id.
func (ss *sessions) end(ctx context.Context, id string) {
	if err := ss.store.Delete(ctx, sha256.Sum256([]byte(id))); err != nil {
		ss.log.Error("sessions: end", "err", err)
	}
}

// recorded returns what the form with command ID cid led to, if recorded.
func (ss *sessions) recorded(s *session, cid string) (doneForm, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	d, ok := s.done[cid]
	return d, ok
}

// remember records that the form with command ID cid led to d, and keeps
// it with the session, so that any server answers the form posted again.
func (ss *sessions) remember(ctx context.Context, s *session, cid string, d doneForm) {
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
	if err := ss.put(ctx, s); err != nil {
		ss.log.Error("sessions: remember a recorded form", "err", err)
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
	return s.sessions.get(r.Context(), c.Value), c.Value
}

// beginSession ends the browser's current session, if any, starts sess and
// sets its cookie: a new ID at every sign-in.
func (s *server) beginSession(w http.ResponseWriter, r *http.Request, sess *session) error {
	if _, old := s.currentSession(r); old != "" {
		s.sessions.end(r.Context(), old)
	}
	id, err := s.sessions.start(r.Context(), sess)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(r), Value: id, Path: "/", HttpOnly: true,
		Secure: s.secureRequest(r), SameSite: http.SameSiteLaxMode})
	return nil
}

// endSession ends the browser's session and clears its cookie.
func (s *server) endSession(w http.ResponseWriter, r *http.Request) {
	if _, id := s.currentSession(r); id != "" {
		s.sessions.end(r.Context(), id)
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

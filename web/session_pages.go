package web

// The sign-in pages and the routes of the forms.
//
//	GET  /signin            how to sign in: the provider, and on loopback the development sign-in
//	GET  /signin/oidc       → the provider (oidc.go)
//	POST /signin/dev        the development sign-in (loopback only)
//	POST /signout           ends the session
//	GET  /me                who you are, your tasks and your forms (tasks.go)
//	GET|POST /act/{command} a command's form (forms.go)
//	GET|POST /admin/accounts  staff's list of accounts (forms_accounts.go)
//	GET|POST /admin/tokens    the API's bearer tokens for machines (forms_tokens.go)

import (
	"embed"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/pdis/collab-ledger/domain"
)

//go:embed templates/forms/*.html
var formsFS embed.FS

var (
	formsOnce sync.Once
	formTmpl  map[string]*template.Template
	formsErr  error
)

// formPageNames are the forms' templates, each executed within layout.html.
var formPageNames = []string{"signin", "me", "form", "recorded", "accounts", "edit", "tokens", "signatures"}

// partials.html holds the error summary and the field, shared by the forms.

func loadFormPages() (map[string]*template.Template, error) {
	formsOnce.Do(func() {
		formTmpl = map[string]*template.Template{}
		for _, name := range formPageNames {
			t, err := template.New("layout.html").Funcs(pageFuncs).ParseFS(templateFS, "templates/layout.html")
			if err == nil {
				t, err = t.ParseFS(formsFS, "templates/forms/partials.html", "templates/forms/"+name+".html")
			}
			if err != nil {
				formsErr = fmt.Errorf("form template %s: %w", name, err)
				return
			}
			formTmpl[name] = t
		}
	})
	return formTmpl, formsErr
}

// DevActor is one actor the development sign-in offers ready-made (the
// demo's people).
type DevActor struct {
	// Label names the actor on the sign-in page.
	Label string
	Actor domain.Actor
}

// Who is the signed-in person as every page shows them.
type Who struct {
	Actor domain.Actor
	// RoleText is the role's label in the page's language.
	RoleText string
	Dev      bool
	CSRF     string
}

// registerSignIn adds the sign-in pages and the forms to mux.
func (s *server) registerSignIn(mux *http.ServeMux) error {
	if _, err := loadFormPages(); err != nil {
		return err
	}
	cop := http.NewCrossOriginProtection()
	post := func(pattern string, h http.HandlerFunc) { mux.Handle("POST "+pattern, cop.Handler(h)) }
	mux.HandleFunc("GET /signin", s.signinPage)
	post("/signout", s.signout)
	post("/signin/dev", s.devSignIn)
	if s.oidc != nil {
		mux.HandleFunc("GET /signin/oidc", s.oidcStart)
		u, _ := url.Parse(s.cfg.SignIn.OIDC.RedirectURL)
		mux.HandleFunc("GET "+u.Path, s.oidcCallback)
	}
	mux.HandleFunc("GET /me", s.mePage)
	mux.HandleFunc("GET /me/recorded/{cid}", s.recordedPage)
	mux.HandleFunc("GET /act/{command}", s.formPage)
	post("/act/{command}", s.formPost)
	mux.HandleFunc("GET /admin/accounts", s.accountsPage)
	post("/admin/accounts", s.accountsPost)
	mux.HandleFunc("GET /admin/tokens", s.tokensPage)
	mux.HandleFunc("GET /admin/proposals/{id}/signatures", s.signaturesPage)
	post("/admin/tokens", s.tokensPost)
	mux.HandleFunc("GET /speak/{meeting}/{utterance}", s.editPage)
	post("/speak/{meeting}/{utterance}", s.editPost)
	return nil
}

// renderForms renders one of the forms' pages.
func (s *server) renderForms(w http.ResponseWriter, r *http.Request, name string, p *Page) {
	tmpls, err := loadFormPages()
	if err != nil {
		writeError(w, r, s.cfg.Logger, fmt.Errorf("form pages: %w", err))
		return
	}
	s.renderWith(w, r, tmpls[name], name, p)
}

// decorate adds who is signed in, and the development banner, to a page.
func (s *server) decorate(r *http.Request, p *Page) {
	if s.cfg.SignIn == nil || p.decorated {
		return
	}
	p.decorated = true
	p.SignInOn = true
	p.DevBanner = s.cfg.SignIn.Dev
	if sess, _ := s.currentSession(r); sess != nil {
		p.Who = &Who{Actor: sess.actor, RoleText: p.L("actor", sess.actor.Role), Dev: sess.dev, CSRF: sess.csrf}
	}
}

// loopback reports whether the request came in on a loopback address from
// a loopback address: the only requests the development sign-in serves.
func loopback(r *http.Request) bool {
	la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	tcp, ok := la.(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SignInView is the sign-in page's data.
type SignInView struct {
	Return string
	OIDC   bool
	// Dev is set when the development sign-in serves this request;
	// DevRefused when it is on but the request is not on loopback.
	Dev, DevRefused bool
	Presets         []DevActor
	Roles           []domain.Role
	Message         string
}

func (s *server) signinPage(w http.ResponseWriter, r *http.Request) {
	p := newPage(w, r, "")
	p.Title = p.T("signin.title")
	si := s.cfg.SignIn
	v := SignInView{Return: localPath(r.URL.Query().Get("return")), OIDC: s.oidc != nil, Presets: s.devActors,
		Roles: []domain.Role{domain.RoleCitizen, domain.RolePO, domain.RolePDIS, domain.RoleStenographer, domain.RoleSecretariat, domain.RoleMinistry}}
	if si.Dev {
		v.Dev, v.DevRefused = loopback(r), !loopback(r)
	}
	switch r.URL.Query().Get("why") {
	case "expired":
		v.Message = p.T("signin.expired")
	case "required":
		v.Message = p.T("signin.required")
	}
	p.Data = v
	s.renderForms(w, r, "signin", p)
}

// devSignIn signs in as the actor picked, on loopback only.
func (s *server) devSignIn(w http.ResponseWriter, r *http.Request) {
	p := newPage(w, r, "")
	if !s.cfg.SignIn.Dev || !loopback(r) {
		s.pageError(w, r, p, domain.NewRuleError(domain.ErrForbidden, "signin.dev_loopback_only", "the development sign-in works only on a loopback address", "開發用登入只在本機回送位址上提供"))
		return
	}
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, p, badRequest("the form could not be read").zh("無法讀取表單"))
		return
	}
	var actor domain.Actor
	if i := r.PostFormValue("preset"); i != "" {
		for _, d := range s.devActors {
			if d.Actor.String() == i {
				actor = d.Actor
			}
		}
	} else {
		actor = domain.Actor{ID: strings.TrimSpace(r.PostFormValue("id")), Role: domain.Role(r.PostFormValue("role")), Ministry: domain.MinistryID(strings.TrimSpace(r.PostFormValue("ministry")))}
		if actor.Role == domain.RoleCitizen && actor.ID != "" {
			// A development citizen is a pseudonym too, of the name typed.
			actor.ID = string(citizenPseudonym(s.cfg.SignIn.Secret, "dev", actor.ID))
		}
	}
	if err := actor.Validate(); err != nil || actor.Role == domain.RoleAuditor {
		s.pageError(w, r, p, badRequest("pick a role and an actor ID (and a ministry for a PO or a ministry)").zh("請選擇角色並填入行動者代號（PO 與部會帳號另須填部會）"))
		return
	}
	if err := s.beginSession(w, r, &session{actor: actor, dev: true}); err != nil {
		s.pageError(w, r, p, err)
		return
	}
	http.Redirect(w, r, localPath(r.PostFormValue("return")), http.StatusSeeOther)
}

func (s *server) signout(w http.ResponseWriter, r *http.Request) {
	sess, _ := s.currentSession(r)
	if sess != nil && !validCSRF(sess, r) {
		s.pageError(w, r, newPage(w, r, ""), domain.NewRuleError(domain.ErrForbidden, "session.csrf", "the form's token does not match", "表單的驗證碼不符"))
		return
	}
	s.endSession(w, r)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// requireSession returns the request's session, or sends the browser to
// sign in.
func (s *server) requireSession(w http.ResponseWriter, r *http.Request) (*session, *Page, bool) {
	p := newPage(w, r, "")
	sess, _ := s.currentSession(r)
	if sess == nil {
		http.Redirect(w, r, "/signin?why=required&return="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil, p, false
	}
	w.Header().Set("Cache-Control", "private, no-store")
	return sess, p, true
}

// requirePostSession reads a posted form and returns its session: a form
// without a live session, or with another session's token, changes
// nothing.
func (s *server) requirePostSession(w http.ResponseWriter, r *http.Request) (*session, *Page, bool) {
	p := newPage(w, r, "")
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, p, badRequest("the form could not be read").zh("無法讀取表單"))
		return nil, p, false
	}
	sess, _ := s.currentSession(r)
	if sess == nil {
		p.Status = http.StatusUnauthorized
		p.Title = p.T("signin.expired.title")
		p.Data = ErrorData{Heading: p.T("signin.expired.title"), Message: p.T("signin.expired")}
		s.render(w, r, "error", p)
		return nil, p, false
	}
	if !validCSRF(sess, r) {
		s.pageError(w, r, p, domain.NewRuleError(domain.ErrForbidden, "session.csrf", "the form's token does not match", "表單的驗證碼不符"))
		return nil, p, false
	}
	return sess, p, true
}

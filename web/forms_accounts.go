package web

// Staff's list of accounts: which signed-in identity acts as which PO,
// staff member, stenographer, secretariat or ministry account (package
// accounts). Staff enter the person's issuer and subject (shown to the
// person on their own page); only their keyed hash is recorded.

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/accounts"
	"github.com/pdis/collab-ledger/domain"
)

// AccountsView is the data of /admin/accounts.
type AccountsView struct {
	FormView
	Entries []accounts.Entry
	Roles   []domain.Role
}

func (s *server) accountsPage(w http.ResponseWriter, r *http.Request) {
	sess, p, ok := s.requireSession(w, r)
	if !ok {
		return
	}
	s.renderAccounts(w, r, p, sess, func(string) string { return "" }, uuid.NewString(), nil, http.StatusOK)
}

var accountFields = []formField{
	{name: "issuer", kind: "text", label: "field.issuer"},
	{name: "subject", kind: "text", label: "field.subject"},
	{name: "role", kind: "select", label: "field.actorRole", enum: "actor", vals: []string{string(domain.RolePO), string(domain.RolePDIS), string(domain.RoleStenographer), string(domain.RoleSecretariat), string(domain.RoleMinistry)}},
	{name: "actorId", kind: "text", label: "field.actorId"},
	{name: "ministry", kind: "text", label: "field.ministry"},
	{name: "label", kind: "text", label: "field.label"},
}

func (s *server) renderAccounts(w http.ResponseWriter, r *http.Request, p *Page, sess *session, values func(string) string, cid string, errs []FieldError, status int) {
	if sess.actor.Role != domain.RolePDIS || s.cfg.SignIn.Accounts == nil {
		s.pageError(w, r, p, domain.NewRuleError(domain.ErrForbidden, accounts.RuleStaffOnly, "staff only", "僅限 PDIS 工作人員"))
		return
	}
	list, err := s.cfg.SignIn.Accounts.Entries(r.Context())
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	fv := adminForm(p, sess, "accounts.title", "/admin/accounts", accountFields, values, cid, errs, status)
	s.pickers(r, p, sess.actor, "", values, fv.Fields) // the ministry from the registry, by name
	fv.Command, fv.Submit = "accounts.link", p.T("accounts.link")
	p.Data = AccountsView{FormView: fv, Entries: list}
	s.renderForms(w, r, "accounts", p)
}

func (s *server) accountsPost(w http.ResponseWriter, r *http.Request) {
	sess, p, ok := s.requirePostSession(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	cid, actor, ok := s.adminPost(ctx, w, r, p, sess, "/admin/accounts")
	if !ok {
		return
	}
	get := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	var cmd accounts.Command
	var errs []FieldError
	if key := get("unlink"); key != "" {
		cmd = accounts.Unlink{Key: key, Reason: get("reason")}
	} else {
		if get("issuer") == "" {
			errs = append(errs, FieldError{Field: "f-issuer", Message: p.T("accounts.issuer.missing")})
		}
		if get("subject") == "" {
			errs = append(errs, FieldError{Field: "f-subject", Message: p.T("accounts.subject.missing")})
		}
		if len(errs) > 0 {
			s.renderAccounts(w, r, p, sess, r.PostFormValue, cid, errs, http.StatusUnprocessableEntity)
			return
		}
		cmd = accounts.Link{Key: accounts.IdentityKey(s.cfg.SignIn.Secret, get("issuer"), get("subject")),
			Actor: domain.Actor{ID: get("actorId"), Role: domain.Role(get("role")), Ministry: domain.MinistryID(get("ministry"))}, Label: get("label")}
	}
	if _, err := s.cfg.SignIn.Accounts.Execute(ctx, actor, cmd, cid); err != nil {
		var re *domain.RuleError
		if !errors.As(err, &re) {
			s.pageError(w, r, p, err)
			return
		}
		field := "f-actorId"
		switch re.Rule {
		case accounts.RuleCitizenRole:
			field = "f-role"
		case accounts.RuleNotLinked, accounts.RuleReasonMissing:
			field = ""
		}
		if strings.Contains(re.Msg, "ministry") {
			field = "f-ministry"
		}
		s.renderAccounts(w, r, p, sess, r.PostFormValue, cid, []FieldError{{Field: field, Message: ruleMessage(p, re)}}, http.StatusUnprocessableEntity)
		return
	}
	s.sessions.remember(r.Context(), sess, cid, doneForm{Command: "accounts"})
	http.Redirect(w, r, "/admin/accounts", http.StatusSeeOther)
}

// adminForm starts a staff page's form: its title (marked when refused),
// status and fields.
func adminForm(p *Page, sess *session, title, action string, fields []formField, values func(string) string, cid string, errs []FieldError, status int) FormView {
	byField := map[string]string{}
	for _, e := range errs {
		byField[e.Field] = e.Message
	}
	p.Title = p.T(title)
	if len(errs) > 0 {
		p.Title = p.T("form.error.prefix") + p.Title
	}
	p.Status = status
	return FormView{Action: action, Fields: fieldViews(p, fields, values, byField), Errors: errs, ErrorTitle: p.T("form.error.summary"), CSRF: sess.csrf, CID: cid}
}

// adminPost starts a staff page's post: its command ID, and the actor the
// session acts as now. A form already recorded, or a session that no
// longer acts, is answered here (ok false).
func (s *server) adminPost(ctx context.Context, w http.ResponseWriter, r *http.Request, p *Page, sess *session, page string) (cid string, actor domain.Actor, ok bool) {
	cid = r.PostFormValue("cid")
	if _, err := uuid.Parse(cid); err != nil {
		cid = uuid.NewString()
	}
	if _, done := s.sessions.recorded(sess, cid); done {
		http.Redirect(w, r, page, http.StatusSeeOther)
		return "", domain.Actor{}, false
	}
	actor, err := s.sessionActor(ctx, sess)
	if err != nil {
		s.pageError(w, r, p, err)
		return "", domain.Actor{}, false
	}
	return cid, actor, true
}

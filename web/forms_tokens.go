package web

// Staff issue and revoke the API's bearer tokens (for machines: importers,
// dashboards) from a page, through the tokens service, as the JSON routes
// and the command line do.
//
//	GET  /admin/tokens   every token issued, with its status; the form to issue one
//	POST /admin/tokens   issue (the token is shown once, never stored) or revoke=<hash>

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/tokens"
)

// TokensView is the data of /admin/tokens.
type TokensView struct {
	FormView
	Tokens []tokens.Listed
	// Issued is the token just issued, shown this once.
	Issued string
}

var tokenFields = []formField{
	{name: "role", kind: "select", label: "field.actorRole", enum: "actor", vals: []string{string(domain.RolePDIS), string(domain.RolePO), string(domain.RoleStenographer), string(domain.RoleSecretariat), string(domain.RoleMinistry), string(domain.RoleAuditor)}},
	{name: "actorId", kind: "text", label: "field.actorId"},
	{name: "ministry", kind: "text", label: "field.ministry"},
	{name: "days", kind: "number", label: "field.lifetimeDays"},
}

func (s *server) tokensPage(w http.ResponseWriter, r *http.Request) {
	sess, p, ok := s.requireSession(w, r)
	if !ok {
		return
	}
	s.renderTokens(w, r, p, sess, func(k string) string {
		if k == "days" {
			return "90"
		}
		return ""
	}, uuid.NewString(), nil, "", http.StatusOK)
}

func (s *server) renderTokens(w http.ResponseWriter, r *http.Request, p *Page, sess *session, values func(string) string, cid string, errs []FieldError, issued string, status int) {
	if sess.actor.Role != domain.RolePDIS {
		s.pageError(w, r, p, domain.NewRuleError(domain.ErrForbidden, tokens.RuleStaffOnly, "staff only", "僅限 PDIS 工作人員"))
		return
	}
	list, err := s.cfg.Tokens.List(r.Context())
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	fv := adminForm(p, sess, "tokens.title", "/admin/tokens", tokenFields, values, cid, errs, status)
	s.pickers(r, p, sess.actor, "", values, fv.Fields) // the ministry from the registry, by name
	fv.Command, fv.Submit = "tokens.issue", p.T("tokens.issue")
	p.Data = TokensView{FormView: fv, Tokens: list, Issued: issued}
	s.renderForms(w, r, "tokens", p)
}

func (s *server) tokensPost(w http.ResponseWriter, r *http.Request) {
	sess, p, ok := s.requirePostSession(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	cid, actor, ok := s.adminPost(ctx, w, r, p, sess, "/admin/tokens")
	if !ok {
		return
	}
	get := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	refused := func(field string, err error) {
		var re *domain.RuleError
		if !errors.As(err, &re) {
			s.pageError(w, r, p, err)
			return
		}
		s.renderTokens(w, r, p, sess, r.PostFormValue, cid, []FieldError{{Field: field, Message: ruleMessage(p, re)}}, "", http.StatusUnprocessableEntity)
	}
	if hash := get("revoke"); hash != "" {
		if _, err := s.cfg.Tokens.Revoke(ctx, actor, hash, get("reason")); err != nil {
			refused("", err)
			return
		}
		s.sessions.remember(r.Context(), sess, cid, doneForm{Command: "tokens.revoke"})
		http.Redirect(w, r, "/admin/tokens", http.StatusSeeOther)
		return
	}
	days, err := strconv.Atoi(get("days"))
	if err != nil || days < 0 {
		s.renderTokens(w, r, p, sess, r.PostFormValue, cid, []FieldError{{Field: "f-days", Message: p.T("form.invalid.number")}}, "", http.StatusUnprocessableEntity)
		return
	}
	if domain.Role(get("role")) == domain.RoleCitizen || domain.Role(get("role")) == domain.RoleProposer {
		s.renderTokens(w, r, p, sess, r.PostFormValue, cid, []FieldError{{Field: "f-role", Message: p.T("tokens.citizens")}}, "", http.StatusUnprocessableEntity)
		return
	}
	tok, err := s.cfg.Tokens.Issue(ctx, actor, tokens.Request{Role: domain.Role(get("role")), ActorID: get("actorId"), Ministry: domain.MinistryID(get("ministry")),
		Lifetime: time.Duration(days) * 24 * time.Hour})
	if err != nil {
		field := "f-actorId"
		if strings.Contains(err.Error(), "ministry") {
			field = "f-ministry"
		}
		refused(field, err)
		return
	}
	s.sessions.remember(r.Context(), sess, cid, doneForm{Command: "tokens.issue"})
	s.renderTokens(w, r, p, sess, func(string) string { return "" }, uuid.NewString(), nil, tok.Token, http.StatusOK)
}

package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/domain"
)

// Paths of the token administration routes: PDIS staff issue, list and
// revoke the API's bearer tokens on a running server (the command line's
// `collabledger tokens … --server URL`), which the embedded store needs as
// the server holds its file.
const (
	TokensPath      = "/api/v1/admin/tokens"
	TokenRevokePath = "/api/v1/admin/tokens/{hash}/revoke"
)

// Rules the token routes name in their 403 and 400 answers.
const (
	RuleTokensStaffOnly = "admin.tokens.staff_only"
	RuleTokenGrant      = "admin.tokens.grant_invalid"
)

// DefaultTokenLifetime is how long a token issued without expiresIn works.
const DefaultTokenLifetime = 720 * time.Hour

// TokenRequest is the body of POST /api/v1/admin/tokens. A citizen's or
// proposer's actorId is their pseudonym: the API never takes a raw
// identity.
type TokenRequest struct {
	Role     domain.Role       `json:"role"`
	Ministry domain.MinistryID `json:"ministry,omitempty"`
	ActorID  string            `json:"actorId"`
	// ExpiresIn is how long the token works, as a Go duration ("720h");
	// "0" for ever; empty DefaultTokenLifetime.
	ExpiresIn string `json:"expiresIn,omitempty"`
	Note      string `json:"note,omitempty"`
}

// TokenCreated is the body of a 201 answer to POST /api/v1/admin/tokens:
// the token, shown this once, and what the log records of it.
type TokenCreated struct {
	Token string `json:"token"`
	TokenIssued
}

// TokenInfo is one token as GET /api/v1/admin/tokens lists it.
type TokenInfo struct {
	TokenRecord
	// Status is active, expired or revoked.
	Status string `json:"status"`
}

// TokenList is the body of GET /api/v1/admin/tokens.
type TokenList struct {
	Tokens []TokenInfo `json:"tokens"`
}

// RevokeRequest is the optional body of a revocation.
type RevokeRequest struct {
	Reason string `json:"reason,omitempty"`
}

// syncer is an Authenticator that can catch up with the log on demand
// (TokenIndex): an issued token then works, and a revoked one stops
// working, before the answer is sent.
type syncer interface {
	Sync(ctx context.Context) error
}

// syncTokens brings the authenticator up to date with the tokens stream.
func (s *server) syncTokens(ctx context.Context) error {
	if sy, ok := s.cfg.Tokens.(syncer); ok {
		if err := sy.Sync(ctx); err != nil {
			return fmt.Errorf("sync tokens: %w", err)
		}
	}
	return nil
}

func (s *server) registerTokens(handle func(string, http.HandlerFunc)) {
	if s.cfg.Tokens == nil {
		return
	}
	handle("POST "+TokensPath, s.asStaff(RuleTokensStaffOnly, tokensStaffOnly, s.createToken))
	handle("GET "+TokensPath, s.asStaff(RuleTokensStaffOnly, tokensStaffOnly, s.listTokens))
	handle("POST "+TokenRevokePath, s.asStaff(RuleTokensStaffOnly, tokensStaffOnly, s.revokeToken))
}

const tokensStaffOnly = "only PDIS staff manage tokens"

// asStaff serves h to PDIS staff (others get 403 naming rule, with msg),
// writing the error it returns.
func (s *server) asStaff(rule, msg string, h func(ctx context.Context, w http.ResponseWriter, r *http.Request, staff domain.Actor) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := s.queryContext(r)
		defer cancel()
		actor, err := s.staff(r, rule, msg)
		if err == nil {
			err = h(ctx, w, r, actor)
		}
		if err != nil {
			writeError(w, r, s.cfg.Logger, err)
		}
	}
}

// staff authenticates r and requires PDIS staff.
func (s *server) staff(r *http.Request, rule, msg string) (domain.Actor, error) {
	actor, err := s.authenticate(r)
	if err != nil {
		return actor, err
	}
	if actor.Role != domain.RolePDIS {
		e := newAPIError(http.StatusForbidden, CodeForbidden, msg)
		e.detail.Rule = rule
		return actor, e
	}
	return actor, nil
}

// createToken issues a token (POST /api/v1/admin/tokens).
func (s *server) createToken(ctx context.Context, w http.ResponseWriter, r *http.Request, actor domain.Actor) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	var req TokenRequest
	if err := strictDecode(body, &req); err != nil {
		return newAPIError(http.StatusBadRequest, CodeBadRequest, err.Error())
	}
	now := time.Now()
	grant := TokenGrant{Note: strings.TrimSpace(req.Note), ExpiresAt: now.Add(DefaultTokenLifetime)}
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d < 0 {
			return newAPIError(http.StatusBadRequest, CodeBadRequest, `expiresIn must be a non-negative duration such as "720h" ("0": for ever)`)
		}
		grant.ExpiresAt = time.Time{}
		if d > 0 {
			grant.ExpiresAt = now.Add(d)
		}
	}
	if !req.Role.Valid() {
		e := newAPIError(http.StatusBadRequest, CodeBadRequest, "role must be one of "+joinRoles())
		e.detail.Rule = RuleTokenGrant
		return e
	}
	grant.Actor, err = domain.NewActor(req.ActorID, req.Role, req.Ministry)
	if err == nil {
		err = validGrantActor(grant.Actor)
	}
	if err != nil {
		e := newAPIError(http.StatusBadRequest, CodeBadRequest, err.Error())
		e.detail.Rule = RuleTokenGrant
		return e
	}
	token, issued, err := IssueToken(ctx, s.cfg.Store, grant, actor.ID, now)
	if err != nil {
		return err
	}
	if err := s.syncTokens(ctx); err != nil {
		return err
	}
	s.cfg.Logger.Info("token issued", "hash", issued.Hash[:16], "actor", grant.Actor.String(), "by", actor.ID)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, TokenCreated{Token: token, TokenIssued: issued})
	return nil
}

// listTokens lists every token issued (GET /api/v1/admin/tokens).
func (s *server) listTokens(ctx context.Context, w http.ResponseWriter, r *http.Request, _ domain.Actor) error {
	records, err := ListTokens(ctx, s.cfg.Store)
	if err != nil {
		return err
	}
	now := time.Now()
	out := TokenList{Tokens: make([]TokenInfo, 0, len(records))}
	for _, rec := range records {
		status := "active"
		switch {
		case rec.Revoked != nil:
			status = "revoked"
		case !rec.Active(now):
			status = "expired"
		}
		out.Tokens = append(out.Tokens, TokenInfo{TokenRecord: rec, Status: status})
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
	return nil
}

// revokeToken revokes one token by a prefix of its hash.
func (s *server) revokeToken(ctx context.Context, w http.ResponseWriter, r *http.Request, actor domain.Actor) error {
	var req RevokeRequest
	if r.ContentLength != 0 {
		body, err := s.readBody(w, r)
		if err != nil {
			return err
		}
		if err := strictDecode(body, &req); err != nil {
			return newAPIError(http.StatusBadRequest, CodeBadRequest, err.Error())
		}
	}
	rec, err := RevokeToken(ctx, s.cfg.Store, r.PathValue("hash"), strings.TrimSpace(req.Reason), actor.ID, time.Now())
	switch {
	case errors.Is(err, ErrTokenNotFound):
		err = newAPIError(http.StatusNotFound, CodeNotFound, err.Error())
	case errors.Is(err, ErrTokenAmbiguous), errors.Is(err, ErrTokenRevoked):
		err = newAPIError(http.StatusConflict, CodeConflict, err.Error())
	case errors.Is(err, ErrTokenHashPrefix):
		err = newAPIError(http.StatusBadRequest, CodeBadRequest, err.Error())
	}
	if err != nil {
		return err
	}
	if err := s.syncTokens(ctx); err != nil {
		return err
	}
	s.cfg.Logger.Info("token revoked", "hash", rec.Hash[:16], "by", actor.ID)
	writeJSON(w, http.StatusOK, TokenInfo{TokenRecord: rec, Status: "revoked"})
	return nil
}

func joinRoles() string {
	var b strings.Builder
	for i, r := range domain.Roles() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(r))
	}
	return b.String()
}

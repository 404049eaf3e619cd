package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/tokens"
)

// Paths of the token administration routes: PDIS staff issue, list and
// revoke the API's bearer tokens on a running server (the command line's
// `collabledger tokens … --server URL`), which the embedded store needs as
// the server holds its file.
const (
	TokensPath      = "/api/v1/admin/tokens"
	TokenRevokePath = "/api/v1/admin/tokens/{hash}/revoke"
)

// Rules the token routes name in their 403 answers.
const (
	// RuleTokensStaffOnly: only PDIS staff manage tokens.
	RuleTokensStaffOnly = tokens.RuleStaffOnly
)

// DefaultTokenLifetime is how long a token issued without expiresIn works.
const DefaultTokenLifetime = 720 * time.Hour

// TokenService is what the API authenticates bearer tokens with and
// administers them through; *tokens.Service is the ledger's.
type TokenService interface {
	// Authenticate returns the actor a bearer token stands for, or an error
	// wrapping tokens.ErrUnauthenticated.
	Authenticate(ctx context.Context, token string) (domain.Actor, error)
	// Issue makes a token, as by.
	Issue(ctx context.Context, by domain.Actor, req tokens.Request) (tokens.Token, error)
	// Revoke revokes the token whose hash starts with hashPrefix, as by.
	Revoke(ctx context.Context, by domain.Actor, hashPrefix, reason string) (tokens.Record, error)
	// List returns every token issued, with its status.
	List(ctx context.Context) ([]tokens.Listed, error)
}

// TokenRequest is the body of POST /api/v1/admin/tokens. A citizen's or
// proposer's token is asked for by their verified identity: the server
// computes their pseudonym with its secret, and keeps the identity nowhere.
// Anyone else's is asked for by actor ID.
type TokenRequest struct {
	Role     domain.Role       `json:"role"`
	Ministry domain.MinistryID `json:"ministry,omitempty"`
	// ActorID is the actor of a token for anyone but a citizen or
	// proposer (a staff account, a PO's registry ID).
	ActorID string `json:"actorId,omitempty"`
	// Identity is a citizen's or proposer's verified identity.
	Identity string `json:"identity,omitempty"`
	// ExpiresIn is how long the token works, as a Go duration ("720h");
	// "0" for ever; empty DefaultTokenLifetime, or for a PO the end of
	// their registration, which ends a PO's token in any case.
	ExpiresIn string `json:"expiresIn,omitempty"`
}

// TokenCreated is the body of a 201 answer to POST /api/v1/admin/tokens:
// the token, shown this once, and what the log records of it.
type TokenCreated struct {
	Token string `json:"token"`
	tokens.Record
}

// TokenInfo is one token as GET /api/v1/admin/tokens lists it: its record
// and its status (active, expired or revoked).
type TokenInfo = tokens.Listed

// TokenList is the body of GET /api/v1/admin/tokens.
type TokenList struct {
	Tokens []TokenInfo `json:"tokens"`
}

// RevokeRequest is the optional body of a revocation.
type RevokeRequest struct {
	Reason string `json:"reason,omitempty"`
}

func (s *server) registerTokens(handle func(string, http.HandlerFunc)) {
	if s.cfg.Tokens == nil {
		return
	}
	handle("POST "+TokensPath, s.asStaff(RuleTokensStaffOnly, tokensStaffOnly, tokensStaffOnlyZH, s.createToken))
	handle("GET "+TokensPath, s.asStaff(RuleTokensStaffOnly, tokensStaffOnly, tokensStaffOnlyZH, s.listTokens))
	handle("POST "+TokenRevokePath, s.asStaff(RuleTokensStaffOnly, tokensStaffOnly, tokensStaffOnlyZH, s.revokeToken))
}

const (
	tokensStaffOnly   = "only PDIS staff manage tokens"
	tokensStaffOnlyZH = "只有 PDIS 工作人員能管理權杖"
)

// asStaff serves h to PDIS staff (others get 403 naming rule, with msg
// in English and msgZH in Chinese), writing the error it returns.
func (s *server) asStaff(rule, msg, msgZH string, h func(ctx context.Context, w http.ResponseWriter, r *http.Request, staff domain.Actor) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := s.queryContext(r)
		defer cancel()
		actor, err := s.staff(r, rule, msg, msgZH)
		if err == nil {
			err = h(ctx, w, r, actor)
		}
		if err != nil {
			writeError(w, r, s.cfg.Logger, err)
		}
	}
}

// staff authenticates r and requires PDIS staff; the refusal says msg
// (English) or msgZH.
func (s *server) staff(r *http.Request, rule, msg, msgZH string) (domain.Actor, error) {
	actor, err := s.authenticate(r)
	if err != nil {
		return actor, err
	}
	if actor.Role != domain.RolePDIS {
		e := newAPIError(http.StatusForbidden, CodeForbidden, msg).zh(msgZH)
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
		return newAPIError(http.StatusBadRequest, CodeBadRequest, err.Error()).zh(decodeZH(err))
	}
	tr := tokens.Request{Role: req.Role, Ministry: req.Ministry, ActorID: req.ActorID, Identity: req.Identity}
	lifetime := DefaultTokenLifetime
	if req.Role == domain.RolePO {
		lifetime = 0 // a PO's token ends with their registration
	}
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d < 0 {
			return newAPIError(http.StatusBadRequest, CodeBadRequest, `expiresIn must be a non-negative duration such as "720h" ("0": for ever)`).zh(`expiresIn 須為不小於零的時間長度，例如 "720h"（"0"：永久）`)
		}
		lifetime = d
	}
	tr.Lifetime = lifetime
	issued, err := s.cfg.Tokens.Issue(ctx, actor, tr)
	if err != nil {
		return err
	}
	s.cfg.Logger.Info("token issued", "hash", issued.Record.Hash.Short(), "actor", issued.Record.Actor().String(), "by", actor.ID)
	writeJSON(w, http.StatusCreated, TokenCreated{Token: issued.Token, Record: issued.Record})
	return nil
}

// listTokens lists every token issued (GET /api/v1/admin/tokens).
func (s *server) listTokens(ctx context.Context, w http.ResponseWriter, r *http.Request, _ domain.Actor) error {
	records, err := s.cfg.Tokens.List(ctx)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, TokenList{Tokens: records})
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
			return newAPIError(http.StatusBadRequest, CodeBadRequest, err.Error()).zh(decodeZH(err))
		}
	}
	rec, err := s.cfg.Tokens.Revoke(ctx, actor, r.PathValue("hash"), strings.TrimSpace(req.Reason))
	if err != nil {
		return err
	}
	s.cfg.Logger.Info("token revoked", "hash", rec.Hash.Short(), "by", actor.ID)
	writeJSON(w, http.StatusOK, TokenInfo{Record: rec, Status: tokens.StatusRevoked})
	return nil
}

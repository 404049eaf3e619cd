package web

import (
	"context"
	_ "embed" // the OpenAPI document
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/tokens"
)

// The JSON command API.
//
//	POST /api/v1/commands/{name}     one route per command of the policy table
//	GET  /api/v1/openapi.yaml        the OpenAPI 3.1 description of the API
//
// {name} is the policy table's command name ("proposal.sign"); the body is
// the command as JSON (see commands_json.go and openapi.yaml); the caller is
// the actor of its bearer token. Optional headers: X-Command-ID,
// X-Correlation-ID and X-Causation-ID go into the events' metadata;
// X-Occurred-At (RFC 3339) records an act that happened earlier (an
// import), from staff tokens only. A stored command answers 201 with its
// events (200 when the domain found nothing to change); errors answer an
// ErrorBody with a stable code, and a refused request stores nothing.

// OpenAPIPath is where the OpenAPI document is served.
const OpenAPIPath = "/api/v1/openapi.yaml"

// CommandsPath is the prefix of the command routes.
const CommandsPath = "/api/v1/commands/"

// Headers of the command API.
const (
	HeaderCommandID     = "X-Command-ID"
	HeaderCorrelationID = "X-Correlation-ID"
	HeaderCausationID   = "X-Causation-ID"
	HeaderOccurredAt    = "X-Occurred-At"
	// HeaderOccurredAtReason says why a command is back-dated; required
	// with X-Occurred-At.
	HeaderOccurredAtReason = "X-Occurred-At-Reason"
)

// RuleOccurredAtStaffOnly refuses an X-Occurred-At from a non-staff token:
// only staff (the importer) record acts dated in the past.
const RuleOccurredAtStaffOnly = "api.occurred_at.staff_only"

// RuleOccurredAtReasonRequired refuses an X-Occurred-At without an
// X-Occurred-At-Reason: a back-dated command says why, and its events
// keep the reason (domain.Occurred.BackdateReason).
const RuleOccurredAtReasonRequired = "api.occurred_at.reason_required"

//go:embed openapi.yaml
var openAPIDocument []byte

// CommandExecutor executes commands; *app.Ledger is the one the server
// uses.
type CommandExecutor interface {
	Execute(ctx context.Context, actor domain.Actor, cmd domain.Command, opts ...app.Option) (app.Result, error)
}

// CommandResult is the body of a stored command.
type CommandResult struct {
	// Command is the command's name.
	Command string `json:"command"`
	// CommandID and CorrelationID are as recorded in the events' metadata.
	CommandID     string `json:"commandId"`
	CorrelationID string `json:"correlationId"`
	// Stream is the stream the command was decided on.
	Stream string `json:"stream"`
	// Version is the stream's version after the command.
	Version uint64 `json:"version"`
	// Events are the stored events, in order (empty: nothing changed).
	Events []StoredEvent `json:"events"`
}

// StoredEvent is one stored event as the API shows it.
type StoredEvent struct {
	ID            uuid.UUID       `json:"id"`
	Stream        string          `json:"stream"`
	Version       uint64          `json:"version"`
	Position      uint64          `json:"position"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schemaVersion"`
	Hash          eventstore.Hash `json:"hash"`
	RecordedAt    time.Time       `json:"recordedAt"`
	OccurredAt    time.Time       `json:"occurredAt"`
	// BackdateReason is set when a client dated the event in the past
	// (X-Occurred-At): why.
	BackdateReason string          `json:"backdateReason,omitempty"`
	Data           json.RawMessage `json:"data"`
}

// registerAPI adds the command API's routes to mux and returns their
// patterns.
func (s *server) registerAPI(mux *http.ServeMux) []string {
	var patterns []string
	handle := func(pattern string, h http.HandlerFunc) {
		mux.HandleFunc(pattern, h)
		patterns = append(patterns, pattern)
	}
	handle("GET "+OpenAPIPath, serveOpenAPI)
	s.registerReadSide(handle)
	if s.cfg.Proofs != nil {
		patterns = append(patterns, RegisterProofs(mux, s.cfg.Proofs, s.cfg.Logger)...)
	}
	s.registerQueries(handle)
	s.registerTokens(handle)
	s.registerFeeds(handle)
	s.registerMetrics(handle)
	s.registerExport(handle)
	if s.cfg.Ledger == nil {
		return patterns
	}
	for _, c := range app.Commands() {
		handle("POST "+CommandsPath+c.Name, s.command(c.Name))
	}
	handle("POST "+CommandsPath+"{name}", s.unknownCommand)
	return patterns
}

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIDocument)
}

func (s *server) unknownCommand(w http.ResponseWriter, r *http.Request) {
	e := newAPIError(http.StatusNotFound, CodeNotFound, "no command "+r.PathValue("name")+"; see "+OpenAPIPath).zh("沒有指令 " + r.PathValue("name") + "；請見 " + OpenAPIPath)
	e.detail.Rule = "policy.unknown_command"
	writeError(w, r, s.cfg.Logger, e)
}

// command serves one command's route.
func (s *server) command(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		res, status, err := s.execute(ctx, w, r, name)
		if err != nil {
			writeError(w, r, s.cfg.Logger, err)
			return
		}
		if name == domain.CmdRetirePO && len(res.Events) > 0 {
			s.awaitTokens(ctx)
		}
		out := CommandResult{Command: name, CommandID: res.CommandID, CorrelationID: res.CorrelationID, Stream: res.Stream, Version: res.Version, Events: make([]StoredEvent, len(res.Events))}
		for i, e := range res.Events {
			out.Events[i] = StoredEvent{ID: e.ID, Stream: e.Stream, Version: e.Version, Position: uint64(e.Position), Type: e.Type, SchemaVersion: e.SchemaVersion,
				Hash: e.Hash, RecordedAt: e.RecordedAt, OccurredAt: e.OccurredAt(), BackdateReason: domain.BackdateReason(e.Data), Data: e.Data}
		}
		writeJSON(w, status, out)
	}
}

// awaitTokens waits until the token service has followed the log to its
// head, so that what a command changes of the tokens (a retired PO's are
// revoked) holds before the answer is sent. A service that cannot wait, or
// a wait that fails, is logged: the registry check refuses a retired PO's
// commands in any case.
func (s *server) awaitTokens(ctx context.Context) {
	sy, ok := s.cfg.Tokens.(interface{ Sync(context.Context) error })
	if !ok {
		return
	}
	if err := sy.Sync(ctx); err != nil {
		s.cfg.Logger.Warn("tokens: waiting for the revocation of a retired PO's tokens", "err", err)
	}
}

// execute authenticates, reads and executes one command.
func (s *server) execute(ctx context.Context, w http.ResponseWriter, r *http.Request, name string) (app.Result, int, error) {
	actor, err := s.authenticate(r)
	if err != nil {
		return app.Result{}, 0, err
	}
	// A refused actor learns nothing about the body or the state.
	if err := domain.Authorize(name, actor); err != nil {
		return app.Result{}, 0, err
	}
	opts, err := commandOptions(r, actor)
	if err != nil {
		return app.Result{}, 0, err
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return app.Result{}, 0, err
	}
	cmd, err := decodeCommand(name, body)
	if err != nil {
		return app.Result{}, 0, newAPIError(http.StatusBadRequest, CodeBadRequest, err.Error()).zh(decodeZH(err))
	}
	res, err := s.cfg.Ledger.Execute(ctx, actor, asCaller(cmd, actor), opts...)
	if err != nil {
		return app.Result{}, 0, err
	}
	if len(res.Events) == 0 {
		return res, http.StatusOK, nil
	}
	return res, http.StatusCreated, nil
}

// asCaller fills what the API takes from the caller rather than the body:
// a signature's signer is the caller's own pseudonym.
func asCaller(cmd domain.Command, actor domain.Actor) domain.Command {
	if c, ok := cmd.(domain.SignProposal); ok && c.Signer == "" {
		c.Signer = domain.SignerID(actor.ID)
		return c
	}
	return cmd
}

// authenticate returns the actor of the request's bearer token.
func (s *server) authenticate(r *http.Request) (domain.Actor, error) {
	h := r.Header.Get("Authorization")
	scheme, token, found := strings.Cut(h, " ")
	if h == "" || !found || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return domain.Actor{}, newAPIError(http.StatusUnauthorized, CodeUnauthenticated, "send Authorization: Bearer <token>").zh("請以 Authorization: Bearer <權杖> 送出")
	}
	actor, err := s.cfg.Tokens.Authenticate(r.Context(), strings.TrimSpace(token))
	if err != nil {
		msg := "invalid token"
		if errors.Is(err, tokens.ErrUnauthenticated) {
			msg = err.Error()
		}
		return domain.Actor{}, &apiError{status: http.StatusUnauthorized, detail: ErrorDetail{Code: CodeUnauthenticated, Message: msg}, msgZH: "權杖無效、已撤銷或已過期（" + msg + "）", cause: err}
	}
	return actor, nil
}

// commandOptions reads the optional headers.
func commandOptions(r *http.Request, actor domain.Actor) ([]app.Option, error) {
	var opts []app.Option
	for _, h := range []struct {
		name string
		opt  func(string) app.Option
	}{{HeaderCommandID, app.WithCommandID}, {HeaderCorrelationID, app.WithCorrelationID}, {HeaderCausationID, app.WithCausationID}} {
		v := r.Header.Get(h.name)
		if v == "" {
			continue
		}
		if len(v) > 128 || strings.ContainsFunc(v, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
			return nil, newAPIError(http.StatusBadRequest, CodeBadRequest, h.name+" must be 1 to 128 printable ASCII characters").zh(h.name + " 須為 1 到 128 個可列印的 ASCII 字元")
		}
		opts = append(opts, h.opt(v))
	}
	if v := r.Header.Get(HeaderOccurredAt); v != "" {
		at, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, newAPIError(http.StatusBadRequest, CodeBadRequest, HeaderOccurredAt+" must be an RFC 3339 time").zh(HeaderOccurredAt + " 須為 RFC 3339 時間")
		}
		if actor.Role != domain.RolePDIS {
			e := newAPIError(http.StatusForbidden, CodeForbidden, "only staff record acts that happened earlier").zh("只有工作人員能記錄先前發生的事")
			e.detail.Rule = RuleOccurredAtStaffOnly
			return nil, e
		}
		reason := strings.TrimSpace(r.Header.Get(HeaderOccurredAtReason))
		if reason == "" || len(reason) > 500 || !utf8.ValidString(reason) {
			e := newAPIError(http.StatusUnprocessableEntity, CodeRuleViolated, "a back-dated command says why in "+HeaderOccurredAtReason+" (1 to 500 bytes of UTF-8; percent-encode what is not ASCII)").
				zh("回溯記錄的指令須在 " + HeaderOccurredAtReason + " 說明原因（1 到 500 位元組的 UTF-8；非 ASCII 字元請以百分比編碼）")
			e.detail.Rule = RuleOccurredAtReasonRequired
			return nil, e
		}
		if u, err := url.PathUnescape(reason); err == nil && utf8.ValidString(u) {
			reason = u
		}
		opts = append(opts, app.WithOccurredAt(at), app.WithOccurredAtReason(reason))
	}
	return opts, nil
}

// readBody checks the content type and reads the body, up to the limit.
func (s *server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, newAPIError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "send the command as Content-Type: application/json").zh("請以 Content-Type: application/json 送出指令")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, newAPIError(http.StatusRequestEntityTooLarge, CodeTooLarge, "the body is over the limit of "+byteSize(tooLarge.Limit)).zh("內容超過上限 " + byteSize(tooLarge.Limit))
		}
		return nil, &apiError{status: http.StatusBadRequest, detail: ErrorDetail{Code: CodeBadRequest, Message: "could not read the body"}, msgZH: "無法讀取請求內容", cause: err}
	}
	if off := invalidUTF8(body); off >= 0 {
		return nil, newAPIError(http.StatusBadRequest, CodeInvalidUTF8, "the body is not UTF-8 at byte "+itoa(int64(off))+" (a JSON decoder would silently replace it with U+FFFD)").
			zh("內容在第 " + itoa(int64(off)) + " 個位元組不是 UTF-8（JSON 解碼器會默默換成 U+FFFD）")
	}
	return body, nil
}

// invalidUTF8 returns the offset of the first byte of body that is not
// UTF-8, or of a \u escape of a lone surrogate (which JSON decoders turn
// into U+FFFD as silently), or -1 when there is none.
func invalidUTF8(body []byte) int {
	if !utf8.Valid(body) {
		off := 0
		for off < len(body) {
			r, n := utf8.DecodeRune(body[off:])
			if r == utf8.RuneError && n <= 1 {
				return off
			}
			off += n
		}
	}
	for i := 0; i+5 < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		if body[i+1] != 'u' {
			i++ // an escaped character, perhaps a backslash
			continue
		}
		r, ok := hex4(body[i+2:])
		if !ok {
			continue
		}
		switch {
		case r >= 0xD800 && r < 0xDC00:
			// A high surrogate must be followed by an escaped low one.
			if i+11 < len(body) && body[i+6] == '\\' && body[i+7] == 'u' {
				if lo, ok := hex4(body[i+8:]); ok && lo >= 0xDC00 && lo < 0xE000 {
					i += 11
					continue
				}
			}
			return i
		case r >= 0xDC00 && r < 0xE000:
			return i
		}
		i += 5
	}
	return -1
}

// hex4 reads four hex digits.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return itoa(n>>10) + " KiB"
	}
	return itoa(n) + " bytes"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/reports"
	"github.com/pdis/collab-ledger/tokens"
	"github.com/pdis/collab-ledger/transparency"
)

// Stable error codes of the JSON command API, in the "code" of every error
// body. Clients branch on them; messages may change.
const (
	// CodeBadRequest: malformed JSON, an unknown field, a value of the wrong
	// type, a malformed header (400).
	CodeBadRequest = "bad_request"
	// CodeInvalidUTF8: the body is not valid UTF-8, or a JSON string in it
	// escapes half a surrogate pair (400). Nothing is replaced and stored.
	CodeInvalidUTF8 = "invalid_utf8"
	// CodeUnauthenticated: no bearer token, or one that is unknown, revoked
	// or expired (401).
	CodeUnauthenticated = "unauthenticated"
	// CodeForbidden: the actor may not issue the command; "rule" says which
	// rule refused it (403).
	CodeForbidden = "forbidden"
	// CodeNotFound: an unknown command, or the command names something that
	// does not exist (404).
	CodeNotFound = "not_found"
	// CodeConflict: the aggregate is in the wrong state for the command
	// (409).
	CodeConflict = "conflict"
	// CodeWrongExpectedVersion: the stream kept changing under the command;
	// try again (409).
	CodeWrongExpectedVersion = "wrong_expected_version"
	// CodeTooLarge: the body, or an event it would store, is over the limit
	// (413).
	CodeTooLarge = "too_large"
	// CodeUnsupportedMediaType: the body is not application/json (415).
	CodeUnsupportedMediaType = "unsupported_media_type"
	// CodeRuleViolated: the command breaks a domain rule (422).
	CodeRuleViolated = "rule_violated"
	// CodeUnavailable: the event store cannot be reached, or the request ran
	// out of time (503).
	CodeUnavailable = "unavailable"
	// CodeInternal: a fault of the server (500).
	CodeInternal = "internal"
)

// ErrorBody is the body of every error answer of the command API:
//
//	{"error":{"code":"forbidden","message":"…","rule":"policy.role_not_allowed"}}
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the content of an ErrorBody.
type ErrorDetail struct {
	// Code is one of the Code constants.
	Code string `json:"code"`
	// Message explains the error to a person.
	Message string `json:"message"`
	// Rule is the domain's stable rule code for a refused command
	// ("proposal.sign.self_only"), empty otherwise.
	Rule string `json:"rule,omitempty"`
}

// apiError is an error with the HTTP status and body it is answered with.
type apiError struct {
	status int
	detail ErrorDetail
	cause  error
	// page, if set, is what an error page says about it, in the page's
	// language.
	page func(p *Page, r *http.Request) ErrorData
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%d %s: %s: %v", e.status, e.detail.Code, e.detail.Message, e.cause)
	}
	return fmt.Sprintf("%d %s: %s", e.status, e.detail.Code, e.detail.Message)
}

func (e *apiError) Unwrap() error { return e.cause }

func newAPIError(status int, code, msg string) *apiError {
	return &apiError{status: status, detail: ErrorDetail{Code: code, Message: msg}}
}

// classify maps an error of the application to its answer: the domain's
// refusals by kind (with their rule), the store's failures, timeouts.
func classify(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var re *domain.RuleError
	if errors.As(err, &re) {
		e := &apiError{detail: ErrorDetail{Message: re.Msg, Rule: re.Rule}, cause: err}
		switch {
		case errors.Is(err, domain.ErrForbidden):
			e.status, e.detail.Code = http.StatusForbidden, CodeForbidden
		case errors.Is(err, domain.ErrNotFound):
			e.status, e.detail.Code = http.StatusNotFound, CodeNotFound
		case errors.Is(err, domain.ErrConflictingState):
			e.status, e.detail.Code = http.StatusConflict, CodeConflict
		default:
			e.status, e.detail.Code = http.StatusUnprocessableEntity, CodeRuleViolated
		}
		return e
	}
	e := &apiError{cause: err}
	switch {
	case errors.Is(err, transparency.ErrInvalidSize):
		e.status, e.detail = http.StatusBadRequest, ErrorDetail{Code: CodeInvalidSize, Message: err.Error()}
	case errors.Is(err, transparency.ErrUnknownEvent):
		e.status, e.detail = http.StatusNotFound, ErrorDetail{Code: CodeUnknownEvent, Message: err.Error()}
	case errors.Is(err, transparency.ErrNoCheckpoint):
		e.status, e.detail = http.StatusNotFound, ErrorDetail{Code: CodeNoCheckpoint, Message: err.Error()}
	case errors.Is(err, transparency.ErrNotCheckpointed):
		e.status, e.detail = http.StatusConflict, ErrorDetail{Code: CodeNotYetCheckpointed, Message: err.Error()}
	case errors.Is(err, reports.ErrBeyondHead):
		e.status, e.detail = http.StatusBadRequest, ErrorDetail{Code: CodeBadRequest, Message: err.Error()}
	case errors.Is(err, tokens.ErrHashPrefix):
		e.status, e.detail = http.StatusBadRequest, ErrorDetail{Code: CodeBadRequest, Message: tokens.ErrHashPrefix.Error()}
	case errors.Is(err, tokens.ErrUnauthenticated):
		e.status, e.detail = http.StatusUnauthorized, ErrorDetail{Code: CodeUnauthenticated, Message: "invalid token"}
	case errors.Is(err, eventstore.ErrConflict), errors.Is(err, app.ErrTooManyConflicts):
		e.status, e.detail = http.StatusConflict, ErrorDetail{Code: CodeWrongExpectedVersion, Message: "the stream kept changing under the command; try again"}
	case errors.Is(err, eventstore.ErrEventTooLarge):
		e.status, e.detail = http.StatusRequestEntityTooLarge, ErrorDetail{Code: CodeTooLarge, Message: "an event of the command is over the store's size limit"}
	case errors.Is(err, context.DeadlineExceeded):
		e.status, e.detail = http.StatusServiceUnavailable, ErrorDetail{Code: CodeUnavailable, Message: "the request ran out of time"}
	case errors.Is(err, eventstore.ErrUnavailable), errors.Is(err, eventstore.ErrClosed):
		e.status, e.detail = http.StatusServiceUnavailable, ErrorDetail{Code: CodeUnavailable, Message: "the event store is unavailable"}
	default:
		e.status, e.detail = http.StatusInternalServerError, ErrorDetail{Code: CodeInternal, Message: "internal error"}
	}
	return e
}

// writeError answers err as an ErrorBody, logging server-side faults.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	e := classify(err)
	switch {
	case e.status >= 500:
		logger.Error("command API", "method", r.Method, "path", r.URL.Path, "status", e.status, "err", err)
	case e.status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="collab-ledger"`)
	}
	if e.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	writeJSON(w, e.status, ErrorBody{Error: e.detail})
}

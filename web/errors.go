package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

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
	// detail's Message is in English; zh is the same message in
	// Traditional Chinese ("" only for what a test allows: messages already
	// in the page's language).
	detail ErrorDetail
	msgZH  string
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

// zh sets the message in Traditional Chinese and returns e.
func (e *apiError) zh(msg string) *apiError {
	e.msgZH = msg
	return e
}

// in returns the error's detail with its message in lang (the English one
// when it has no Chinese wording).
func (e *apiError) in(lang string) ErrorDetail {
	d := e.detail
	if lang == LangZhHant && e.msgZH != "" {
		d.Message = e.msgZH
	}
	return d
}

// bothLang is an error worded in both languages, for errors made below
// the HTTP layer (decoding a command's body) that an answer shows.
type bothLang struct{ en, zhMsg string }

func (e *bothLang) Error() string { return e.en }

// errBoth returns an error worded in English and Traditional Chinese.
func errBoth(en, zh string) error { return &bothLang{en: en, zhMsg: zh} }

// zhOf returns err's Traditional Chinese wording: a refusal's, or a
// bothLang's; "" if it has none.
func zhOf(err error) string {
	var re *domain.RuleError
	if errors.As(err, &re) {
		return re.Message(true)
	}
	var b *bothLang
	if errors.As(err, &b) {
		return b.zhMsg
	}
	return ""
}

// apiLang is the language of the JSON API's messages: as the pages choose
// (?lang=, the lang cookie, then Accept-Language; Traditional Chinese
// wins ties and is the default).
func apiLang(r *http.Request) string {
	lang, _ := langOf(r)
	return lang
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
		e := &apiError{detail: ErrorDetail{Message: re.Msg, Rule: re.Rule}, msgZH: re.Message(true), cause: err}
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
	detail := func(status int, code, en, zh string) {
		e.status, e.detail, e.msgZH = status, ErrorDetail{Code: code, Message: en}, zh
	}
	switch {
	case errors.Is(err, transparency.ErrInvalidSize):
		detail(http.StatusBadRequest, CodeInvalidSize, err.Error(), "查核點的大小不對（"+err.Error()+"）")
	case errors.Is(err, transparency.ErrUnknownEvent):
		detail(http.StatusNotFound, CodeUnknownEvent, err.Error(), "帳本中沒有這個事件（"+err.Error()+"）")
	case errors.Is(err, transparency.ErrNoCheckpoint):
		detail(http.StatusNotFound, CodeNoCheckpoint, err.Error(), "透明紀錄還沒有任何查核點（"+err.Error()+"）")
	case errors.Is(err, transparency.ErrNotCheckpointed):
		detail(http.StatusConflict, CodeNotYetCheckpointed, err.Error(), "這個事件尚未納入查核點，請稍後再試（"+err.Error()+"）")
	case errors.Is(err, reports.ErrBeyondHead):
		detail(http.StatusBadRequest, CodeBadRequest, err.Error(), "要求的位置超過帳本目前的最後一筆（"+err.Error()+"）")
	case errors.Is(err, tokens.ErrHashPrefix):
		detail(http.StatusBadRequest, CodeBadRequest, tokens.ErrHashPrefix.Error(), "權杖雜湊的前綴無效或不只符合一個權杖（"+tokens.ErrHashPrefix.Error()+"）")
	case errors.Is(err, tokens.ErrUnauthenticated):
		detail(http.StatusUnauthorized, CodeUnauthenticated, "invalid token", "權杖無效")
	case errors.Is(err, eventstore.ErrConflict), errors.Is(err, app.ErrTooManyConflicts):
		detail(http.StatusConflict, CodeWrongExpectedVersion, "the stream kept changing under the command; try again", "事件串在指令執行時一直變動，請再試一次")
	case errors.Is(err, eventstore.ErrEventTooLarge):
		detail(http.StatusRequestEntityTooLarge, CodeTooLarge, "an event of the command is over the store's size limit", "這個指令的一個事件超過儲存的大小上限")
	case errors.Is(err, context.DeadlineExceeded):
		detail(http.StatusServiceUnavailable, CodeUnavailable, "the request ran out of time", "請求逾時")
	case errors.Is(err, eventstore.ErrUnavailable), errors.Is(err, eventstore.ErrClosed):
		detail(http.StatusServiceUnavailable, CodeUnavailable, "the event store is unavailable", "事件儲存暫時無法使用")
	default:
		detail(http.StatusInternalServerError, CodeInternal, "internal error", "伺服器內部錯誤")
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
	lang := apiLang(r)
	w.Header().Set("Content-Language", lang)
	addVary(w.Header(), "Accept-Language")
	writeJSON(w, e.status, ErrorBody{Error: e.in(lang)})
}

// addVary adds names to h's Vary header, once.
func addVary(h http.Header, names ...string) {
	have := strings.Join(h.Values("Vary"), ",")
	for _, n := range names {
		if !strings.Contains(strings.ToLower(have), strings.ToLower(n)) {
			h.Add("Vary", n)
		}
	}
}

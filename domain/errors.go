package domain

import (
	"errors"
	"fmt"
)

// Sentinel kinds of refusal. Every refusal a decision returns is a *RuleError
// whose Kind is one of the first four; errors.Is(err, ErrForbidden) etc. tell
// them apart, so that an HTTP layer can map them (403, 422, 404, 409).
var (
	// ErrForbidden: the actor may not do this: their role is not allowed the
	// command, or a per-command check failed (a PO acting for another
	// ministry, a speaker editing another's words). HTTP 403.
	ErrForbidden = errors.New("forbidden")
	// ErrRuleViolated: the command breaks a domain rule or is malformed (a
	// signature after the window closed, a ballot with too many choices, a
	// missing reason). HTTP 422.
	ErrRuleViolated = errors.New("rule violated")
	// ErrNotFound: the command names something that does not exist (an
	// unknown proposal, utterance, candidate). HTTP 404.
	ErrNotFound = errors.New("not found")
	// ErrConflictingState: the command is valid but the aggregate is in the
	// wrong state for it, often because of a concurrent change (a second
	// signature by the same signer, a ballot after close, submitting an
	// existing proposal). HTTP 409.
	ErrConflictingState = errors.New("conflicting state")
	// ErrInvalidEvent: Apply was given an event that cannot follow the events
	// already applied (a corrupt or misrouted stream). It is not a refusal of
	// a command and never comes from a decision.
	ErrInvalidEvent = errors.New("invalid event for aggregate state")
)

// RuleError is a refused command: which rule refused it, a human message, and
// the kind of refusal (one of ErrForbidden, ErrRuleViolated, ErrNotFound,
// ErrConflictingState). Rule is a stable code such as
// "transcript.edit.own_words_only", safe to show, log and match on; Msg may
// change between releases.
type RuleError struct {
	// Rule is the stable rule code, "<aggregate>.<command>.<rule>".
	Rule string
	// Msg explains the refusal in terms of the command's data.
	Msg string
	// Kind is the sentinel the error wraps.
	Kind error
	// MsgZH is Msg in Traditional Chinese. Every refusal the domain decides
	// carries it (refusalsZH); others make it with NewRuleError.
	MsgZH string
}

// NewRuleError is a refusal decided outside the domain (by the application,
// the tokens, the accounts or the pages), worded in English (en) and in
// Traditional Chinese (zh); kind is one of ErrForbidden, ErrRuleViolated,
// ErrNotFound, ErrConflictingState.
func NewRuleError(kind error, rule, en, zh string) *RuleError {
	return &RuleError{Rule: rule, Msg: en, MsgZH: zh, Kind: kind}
}

// Message is the refusal's message in Traditional Chinese (zh true) or in
// English; a refusal made without a Chinese wording gives the English.
func (e *RuleError) Message(zh bool) string {
	if zh && e.MsgZH != "" {
		return e.MsgZH
	}
	return e.Msg
}

// Error returns "<rule>: <msg>".
func (e *RuleError) Error() string { return e.Rule + ": " + e.Msg }

// Unwrap returns the error's Kind, so errors.Is(err, ErrForbidden) works.
func (e *RuleError) Unwrap() error { return e.Kind }

// RuleOf returns the rule code of the *RuleError in err's chain, or "".
func RuleOf(err error) string {
	var re *RuleError
	if errors.As(err, &re) {
		return re.Rule
	}
	return ""
}

func forbidden(rule, format string, args ...any) error {
	return refusal(ErrForbidden, rule, format, args...)
}

func violated(rule, format string, args ...any) error {
	return refusal(ErrRuleViolated, rule, format, args...)
}

func notFound(rule, format string, args ...any) error {
	return refusal(ErrNotFound, rule, format, args...)
}

func conflict(rule, format string, args ...any) error {
	return refusal(ErrConflictingState, rule, format, args...)
}

// refusal decides a RuleError's message in both languages: the English
// format with the arguments as they are, the Chinese one from refusalsZH
// with every named domain value in its Chinese name.
func refusal(kind error, rule, format string, args ...any) *RuleError {
	return &RuleError{Rule: rule, Msg: fmt.Sprintf(format, args...), MsgZH: sprintfZH(format, args...), Kind: kind}
}

// message is an error worded in both languages, made by msgf; a refusal
// formatting it in Chinese takes its Chinese wording.
type message struct{ en, zh string }

func (m *message) Error() string { return m.en }

// msgf is fmt.Errorf in both languages (the Chinese format from refusalsZH).
func msgf(format string, args ...any) error {
	return &message{en: fmt.Sprintf(format, args...), zh: sprintfZH(format, args...)}
}

// both is the refusal's message in both languages, to be quoted by another.
func (e *RuleError) both() *message { return &message{en: e.Msg, zh: e.Message(true)} }

// sprintfZH formats args by format's Chinese wording in refusalsZH (the
// English format if it has none, which a test forbids), naming domain
// values, terms and nested messages in Chinese.
func sprintfZH(format string, args ...any) string {
	if f, ok := refusalsZH[format]; ok {
		format = f
	}
	as := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case *message:
			a = v.zh
		case term:
			a = v.zh()
		case interface{ Name() Name }:
			if n := v.Name(); n.ZH != "" {
				a = n.ZH
			}
		}
		as[i] = a
	}
	return fmt.Sprintf(format, as...)
}

func badEvent(aggregate string, e Event, format string, args ...any) error {
	return fmt.Errorf("apply %s to %s: %s: %w", e.EventType(), aggregate, fmt.Sprintf(format, args...), ErrInvalidEvent)
}

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
	return &RuleError{Rule: rule, Msg: fmt.Sprintf(format, args...), Kind: ErrForbidden}
}

func violated(rule, format string, args ...any) error {
	return &RuleError{Rule: rule, Msg: fmt.Sprintf(format, args...), Kind: ErrRuleViolated}
}

func notFound(rule, format string, args ...any) error {
	return &RuleError{Rule: rule, Msg: fmt.Sprintf(format, args...), Kind: ErrNotFound}
}

func conflict(rule, format string, args ...any) error {
	return &RuleError{Rule: rule, Msg: fmt.Sprintf(format, args...), Kind: ErrConflictingState}
}

func badEvent(aggregate string, e Event, format string, args ...any) error {
	return fmt.Errorf("apply %s to %s: %s: %w", e.EventType(), aggregate, fmt.Sprintf(format, args...), ErrInvalidEvent)
}

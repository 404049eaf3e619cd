// Package tokens is the ledger's bearer tokens: the token aggregate (the
// "tokens" stream of token.issued and token.revoked events, decided like the
// domain's aggregates), the Service that issues and revokes tokens through
// the command side, and the index that authenticates a presented token
// against the log.
//
// A token is "clt_" and 43 characters of base64url: 32 random bytes. It is
// shown once, when it is issued, and never stored: the log keeps only its
// SHA-256, with the actor it stands for (ID, role, and for a PO or a
// ministry the ministry) and its expiry. A citizen's actor ID is their keyed
// pseudonym, computed by the server from the identity it is given; the
// identity is stored nowhere. Tokens therefore work on every backend,
// survive restarts and are audited like everything else, and nobody who
// reads the log (or an export of it) can use one.
//
//	svc := tokens.NewService(store, tokens.Config{Secret: secret})
//	go svc.Run(ctx) // follow the log: the index, and revocations on a PO's retirement
//	issued, err := svc.Issue(ctx, staff, tokens.Request{Role: domain.RolePO, ActorID: "po-moj-1", Ministry: "moj"})
//	actor, err := svc.Authenticate(ctx, issued.Token)
//
// A PO's token stands for a PO of the registry: it is issued only for a PO
// registered for the current year with that ministry, expires with the
// registration (the end of its last year, Taipei time), and is revoked when
// the PO retires.
package tokens

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/domain"
)

// Stream is the stream of token.issued and token.revoked events.
const Stream = "tokens"

// Event types of the tokens stream.
const (
	EventIssued  = "token.issued"
	EventRevoked = "token.revoked"
)

// Prefix starts every token, so that a leaked one is easy to spot.
const Prefix = "clt_"

// Rule codes of the token decisions' refusals (in a *domain.RuleError).
const (
	// RuleStaffOnly: only PDIS staff issue and revoke tokens.
	RuleStaffOnly = "tokens.staff_only"
	// RuleGrantInvalid: the actor a token would stand for is malformed
	// (no ID, unknown role, a ministry missing or out of place).
	RuleGrantInvalid = "tokens.grant_invalid"
	// RulePseudonymRequired: a citizen's or proposer's token stands for
	// their keyed pseudonym, computed by the server from their identity.
	RulePseudonymRequired = "tokens.citizen.pseudonym_required"
	// RuleIdentityRequired: a citizen's or proposer's token is asked for by
	// their verified identity, never by a pseudonym computed elsewhere.
	RuleIdentityRequired = "tokens.citizen.identity_required"
	// RuleIdentityOnlyForCitizens: only a citizen's or proposer's token is
	// asked for by identity.
	RuleIdentityOnlyForCitizens = "tokens.identity.citizens_only"
	// RuleLifetimeNegative: a token would expire before it is issued.
	RuleLifetimeNegative = "tokens.issue.lifetime_negative"
	// RuleHashExists: a token with the same hash exists (never in practice:
	// 256 random bits).
	RuleHashExists = "tokens.issue.hash_exists"
	// RuleNotFound: no token's hash starts with the prefix given.
	RuleNotFound = "tokens.revoke.not_found"
	// RuleAmbiguous: more than one token's hash starts with the prefix.
	RuleAmbiguous = "tokens.revoke.ambiguous"
	// RuleAlreadyRevoked: the token is revoked already.
	RuleAlreadyRevoked = "tokens.revoke.already_revoked"
)

// Errors callers branch on.
var (
	// ErrUnauthenticated: no token, or one that is malformed, unknown,
	// revoked or expired.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrHashPrefix: a token's hash prefix is not 8 to 64 hex digits.
	ErrHashPrefix = errors.New("a token's hash prefix is 8 to 64 hex digits")
	// ErrNoSecret: a citizen's token was asked for by identity from a
	// Service that has no pseudonym secret.
	ErrNoSecret = errors.New("no pseudonym secret: this service cannot compute a citizen's pseudonym")
)

// Hash is the SHA-256 of a token: what the log stores. Its JSON and text
// form is 64 lower-case hex digits.
type Hash [sha256.Size]byte

// HashOf returns the hash of token.
func HashOf(token string) Hash { return sha256.Sum256([]byte(token)) }

// String returns the hash in lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Short returns the first 16 hex digits: enough to name a token to revoke.
func (h Hash) Short() string { return h.String()[:16] }

// MarshalText implements encoding.TextMarshaler.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: 64 lower-case hex
// digits.
func (h *Hash) UnmarshalText(b []byte) error {
	if len(b) != 2*sha256.Size || strings.ToLower(string(b)) != string(b) {
		return fmt.Errorf("token hash %q: want 64 lower-case hex digits", b)
	}
	if _, err := hex.Decode(h[:], b); err != nil {
		return fmt.Errorf("token hash %q: %w", b, err)
	}
	return nil
}

// HashPrefix is the start of a token's hash, 8 to 64 lower-case hex digits:
// how people name a token to revoke (`tokens list` shows 16).
type HashPrefix struct{ s string }

// ParseHashPrefix validates a hash prefix (case and surrounding space do
// not matter). The error wraps ErrHashPrefix.
func ParseHashPrefix(s string) (HashPrefix, error) {
	p := strings.ToLower(strings.TrimSpace(s))
	if len(p) < 8 || len(p) > 64 || strings.Trim(p, "0123456789abcdef") != "" {
		return HashPrefix{}, fmt.Errorf("%q: %w", s, ErrHashPrefix)
	}
	return HashPrefix{p}, nil
}

// String returns the prefix.
func (p HashPrefix) String() string { return p.s }

// matches reports whether h starts with p.
func (p HashPrefix) matches(h Hash) bool { return p.s != "" && strings.HasPrefix(h.String(), p.s) }

// newToken returns a fresh random token: Prefix and 32 random bytes in
// base64url.
func newToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new token: %w", err)
	}
	return Prefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// wellFormed reports whether token could be one of ours (before hashing).
func wellFormed(token string) bool {
	return strings.HasPrefix(token, Prefix) && len(token) <= 128
}

// Grant is what a new token stands for: a validated actor, and how long
// it works.
type Grant struct {
	actor    domain.Actor
	lifetime time.Duration
}

// NewGrant validates the actor a token would stand for: a well-formed
// actor, and for a citizen or proposer their pseudonym (64 lower-case hex
// digits), never a raw identity. A token of the grant works for lifetime
// from when it is issued; 0: for ever (a PO's token is still bounded by
// their registration). The refusal is a *domain.RuleError
// (RuleGrantInvalid, RulePseudonymRequired).
func NewGrant(actor domain.Actor, lifetime time.Duration) (Grant, error) {
	if err := actor.Validate(); err != nil {
		return Grant{}, refusedAs(RuleGrantInvalid, domain.ErrRuleViolated, err, "", "")
	}
	if citizenRole(actor.Role) && !domain.SignerID(actor.ID).Valid() {
		return Grant{}, domain.NewRuleError(domain.ErrRuleViolated, RulePseudonymRequired,
			fmt.Sprintf("a %s's token stands for their pseudonym, computed by the server from their identity; %q is not one", actor.Role, actor.ID),
			fmt.Sprintf("%s 的權杖代表其假名，由伺服器從其身分算出；%q 不是假名", actor.Role.Name().ZH, actor.ID))
	}
	if lifetime < 0 {
		return Grant{}, domain.NewRuleError(domain.ErrRuleViolated, RuleLifetimeNegative, fmt.Sprintf("a token's lifetime %s is negative", lifetime), fmt.Sprintf("權杖的有效期間 %s 是負的", lifetime))
	}
	return Grant{actor: actor, lifetime: lifetime}, nil
}

// Actor returns the actor the grant stands for.
func (g Grant) Actor() domain.Actor { return g.actor }

// Lifetime returns how long a token of the grant works; 0: for ever.
func (g Grant) Lifetime() time.Duration { return g.lifetime }

// citizenRole reports whether a role acts under a pseudonym.
func citizenRole(r domain.Role) bool { return r == domain.RoleCitizen || r == domain.RoleProposer }

// ---- events ----

// Issued is the body of a token.issued event: the hash of a token and the
// actor it stands for. It never holds the token, nor anyone's identity (a
// citizen's actor ID is their pseudonym).
//
// Schema version 2; version 1 also held a free-text note, dropped when read.
type Issued struct {
	// Hash is the token's SHA-256.
	Hash Hash `json:"hash" ledger:"public"`
	// ActorID, Role and Ministry are the actor the token authenticates.
	// The actor ID (a citizen's pseudonym) is personal: a sealed ledger
	// keeps it beside the log, so the public export does not link a
	// citizen's tokens to anything, and an erasure can forget it.
	ActorID  string            `json:"actorId" ledger:"personal"`
	Role     domain.Role       `json:"role"`
	Ministry domain.MinistryID `json:"ministry,omitempty"`
	// IssuedAt is when the token was made.
	IssuedAt time.Time `json:"issuedAt"`
	// ExpiresAt is when it stops working; zero: never.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
}

// Revoked is the body of a token.revoked event.
type Revoked struct {
	// Hash is the revoked token's hash.
	Hash Hash `json:"hash" ledger:"public"`
	// Reason says why (staff's words, which may name the person).
	Reason string `json:"reason,omitempty" ledger:"confidential"`
	// RevokedAt is when it was revoked.
	RevokedAt time.Time `json:"revokedAt"`
}

// privateFields are the private paths of the token events, read from their
// tags (domain.Classify).
var privateFields = map[string][]string{
	EventIssued:  mustClassify[Issued](),
	EventRevoked: mustClassify[Revoked](),
}

func mustClassify[T any]() []string {
	private, unclassified := domain.Classify(reflect.TypeFor[T]())
	if len(unclassified) > 0 {
		panic(fmt.Sprintf("tokens: %T has unclassified fields %v", *new(T), unclassified))
	}
	return private
}

// PrivateFields returns the JSON paths of the personal and confidential
// fields of a token event type (none for other types): what a sealed
// ledger keeps beside the log (see eventstore/sealed).
func PrivateFields(eventType string) []string { return privateFields[eventType] }

// EventType implements domain.Event.
func (Issued) EventType() string { return EventIssued }

// SchemaVersion implements domain.Event.
func (Issued) SchemaVersion() int { return 2 }

// OccurredAt implements domain.Event.
func (e Issued) OccurredAt() time.Time { return e.IssuedAt }

// EventType implements domain.Event.
func (Revoked) EventType() string { return EventRevoked }

// SchemaVersion implements domain.Event.
func (Revoked) SchemaVersion() int { return 1 }

// OccurredAt implements domain.Event.
func (e Revoked) OccurredAt() time.Time { return e.RevokedAt }

// ---- state ----

// Record is one issued token as the log tells it.
type Record struct {
	// Hash is the token's SHA-256.
	Hash Hash `json:"hash" ledger:"public"`
	// ActorID, Role and Ministry are the actor the token authenticates.
	// The actor ID (a citizen's pseudonym) is personal: a sealed ledger
	// keeps it beside the log, so the public export does not link a
	// citizen's tokens to anything, and an erasure can forget it.
	ActorID  string            `json:"actorId" ledger:"personal"`
	Role     domain.Role       `json:"role"`
	Ministry domain.MinistryID `json:"ministry,omitempty"`
	// IssuedAt is when the token was made.
	IssuedAt time.Time `json:"issuedAt"`
	// ExpiresAt is when it stops working; zero: never.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// Revoked is set once a token.revoked event names the token.
	Revoked *Revocation `json:"revoked,omitempty"`
}

// Revocation is when and why a token was revoked.
type Revocation struct {
	// Reason says why.
	Reason string `json:"reason,omitempty"`
	// RevokedAt is when.
	RevokedAt time.Time `json:"revokedAt"`
}

// Actor returns the actor the token stands for.
func (r Record) Actor() domain.Actor {
	return domain.Actor{ID: r.ActorID, Role: r.Role, Ministry: r.Ministry}
}

// Status of a token at a time.
const (
	StatusActive  = "active"
	StatusExpired = "expired"
	StatusRevoked = "revoked"
)

// Status returns StatusActive, StatusExpired or StatusRevoked at now.
func (r Record) Status(now time.Time) string {
	switch {
	case r.Revoked != nil:
		return StatusRevoked
	case !r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt):
		return StatusExpired
	}
	return StatusActive
}

// Active reports whether the token works at now.
func (r Record) Active(now time.Time) bool { return r.Status(now) == StatusActive }

func recordOf(e Issued) Record {
	return Record{Hash: e.Hash, ActorID: e.ActorID, Role: e.Role, Ministry: e.Ministry, IssuedAt: e.IssuedAt, ExpiresAt: e.ExpiresAt}
}

// Set is the state of the tokens stream: every token issued, in order,
// with its revocation. It is the aggregate the token decisions (Issue,
// Revoke, RevokeHolder) are made on.
type Set struct {
	version uint64
	records []Record
	byHash  map[Hash]int
}

// NewSet returns the empty state, before the stream's first event.
func NewSet() *Set { return &Set{byHash: map[Hash]int{}} }

// Version implements domain.Aggregate.
func (s *Set) Version() uint64 { return s.version }

// Apply implements domain.Aggregate. A revocation of an unknown or already
// revoked token (possible in logs written before revocations were decided
// with an expected version) changes nothing.
func (s *Set) Apply(e domain.Event) error {
	switch e := e.(type) {
	case Issued:
		if _, dup := s.byHash[e.Hash]; dup {
			return fmt.Errorf("apply %s to %s: hash %s issued twice: %w", e.EventType(), Stream, e.Hash.Short(), domain.ErrInvalidEvent)
		}
		s.byHash[e.Hash] = len(s.records)
		s.records = append(s.records, recordOf(e))
	case Revoked:
		if i, ok := s.byHash[e.Hash]; ok && s.records[i].Revoked == nil {
			s.records[i].Revoked = &Revocation{Reason: e.Reason, RevokedAt: e.RevokedAt}
		}
	default:
		return fmt.Errorf("apply %s to %s: not a token event: %w", e.EventType(), Stream, domain.ErrInvalidEvent)
	}
	s.version++
	return nil
}

// Records returns every token issued, in order, with its revocation.
func (s *Set) Records() []Record {
	out := make([]Record, len(s.records))
	for i, r := range s.records {
		if r.Revoked != nil {
			rev := *r.Revoked
			r.Revoked = &rev
		}
		out[i] = r
	}
	return out
}

// Lookup returns the token whose hash starts with p: a refusal
// (RuleNotFound, RuleAmbiguous) when not exactly one does.
func (s *Set) Lookup(p HashPrefix) (Record, error) {
	found := -1
	for i, r := range s.records {
		if !p.matches(r.Hash) {
			continue
		}
		if found >= 0 {
			return Record{}, domain.NewRuleError(domain.ErrConflictingState, RuleAmbiguous,
				fmt.Sprintf("more than one token's hash starts with %s; give more digits", p),
				fmt.Sprintf("不只一個權杖的雜湊值以 %s 開頭；請多給幾位數字", p))
		}
		found = i
	}
	if found < 0 {
		return Record{}, domain.NewRuleError(domain.ErrNotFound, RuleNotFound, fmt.Sprintf("no token's hash starts with %s", p), fmt.Sprintf("沒有權杖的雜湊值以 %s 開頭", p))
	}
	return s.Records()[found], nil
}

// ---- decisions ----

func staffOnly(by domain.Actor, what, whatZH string) error {
	if err := by.Validate(); err != nil {
		return err
	}
	if by.Role != domain.RolePDIS {
		return domain.NewRuleError(domain.ErrForbidden, RuleStaffOnly, "only PDIS staff "+what+" tokens", "只有 PDIS 工作人員可以"+whatZH+"權杖")
	}
	return nil
}

// Issue decides the issue of the token with hash h for g, by staff at at.
// A PO's token needs reg, the PO registry as it stands: the PO must be
// registered for at's year with the token's ministry and not retired (the
// refusal names the registry's rule: domain.RulePOUnregistered, …), and the
// token expires with the registration, at the end of its last year in
// Taipei, if not earlier.
func (s *Set) Issue(h Hash, g Grant, by domain.Actor, at time.Time, reg *domain.Registry) ([]domain.Event, error) {
	if err := staffOnly(by, "issue", "核發"); err != nil {
		return nil, err
	}
	if g.actor.ID == "" {
		return nil, domain.NewRuleError(domain.ErrRuleViolated, RuleGrantInvalid, "a token needs a grant (tokens.NewGrant)", "權杖需要授權內容（tokens.NewGrant）")
	}
	if _, dup := s.byHash[h]; dup {
		return nil, domain.NewRuleError(domain.ErrConflictingState, RuleHashExists, "a token with this hash exists", "已有相同雜湊值的權杖")
	}
	at = at.UTC().Round(0)
	var expires time.Time
	if g.lifetime > 0 {
		expires = at.Add(g.lifetime)
	}
	if g.actor.Role == domain.RolePO {
		if reg == nil {
			reg = domain.NewRegistry()
		}
		if err := reg.CheckPO(g.actor, at); err != nil {
			// The grant, not the staff member, is refused.
			var re *domain.RuleError
			if errors.As(err, &re) {
				return nil, refusedAs(re.Rule, domain.ErrRuleViolated, re, "a PO's token stands for a registered PO: ", "PO 的權杖只代表已登錄的 PO：")
			}
			return nil, err
		}
		end, _ := reg.RegistrationEnd(g.actor.ID, at)
		if expires.IsZero() || end.Before(expires) {
			expires = end.UTC()
		}
	}
	return []domain.Event{Issued{
		Hash: h, ActorID: g.actor.ID, Role: g.actor.Role, Ministry: g.actor.Ministry,
		IssuedAt: at, ExpiresAt: expires,
	}}, nil
}

// Revoke decides the revocation of the one token whose hash starts with p,
// by staff at at.
func (s *Set) Revoke(p HashPrefix, reason string, by domain.Actor, at time.Time) ([]domain.Event, error) {
	if err := staffOnly(by, "revoke", "撤銷"); err != nil {
		return nil, err
	}
	r, err := s.Lookup(p)
	if err != nil {
		return nil, err
	}
	if r.Revoked != nil {
		return nil, domain.NewRuleError(domain.ErrConflictingState, RuleAlreadyRevoked,
			fmt.Sprintf("token %s was revoked at %s", r.Hash.Short(), r.Revoked.RevokedAt.Format(time.RFC3339)),
			fmt.Sprintf("權杖 %s 已於 %s 撤銷", r.Hash.Short(), r.Revoked.RevokedAt.Format(time.RFC3339)))
	}
	return []domain.Event{Revoked{Hash: r.Hash, Reason: strings.TrimSpace(reason), RevokedAt: at.UTC().Round(0)}}, nil
}

// RevokeHolder decides the revocation of every token of holder (same ID and
// role) that is active at at and was issued before issuedBefore: the
// consequence of a fact about the holder (a PO retired), so it needs no
// staff member. None to revoke decides no events.
func (s *Set) RevokeHolder(holder domain.Actor, issuedBefore time.Time, reason string, at time.Time) []domain.Event {
	var out []domain.Event
	for _, r := range s.records {
		if r.Active(at) && r.ActorID == holder.ID && r.Role == holder.Role && r.IssuedAt.Before(issuedBefore) {
			out = append(out, Revoked{Hash: r.Hash, Reason: reason, RevokedAt: at.UTC().Round(0)})
		}
	}
	return out
}

// refusedAs is a refusal under rule and kind that quotes err (a refusal of
// the domain, in both its languages, or another error), after a prefix in
// each language.
func refusedAs(rule string, kind error, err error, en, zh string) *domain.RuleError {
	var re *domain.RuleError
	if errors.As(err, &re) {
		return domain.NewRuleError(kind, rule, en+re.Msg, zh+re.Message(true))
	}
	return domain.NewRuleError(kind, rule, en+err.Error(), zh+err.Error())
}

package web

// Bearer tokens.
//
// A token is "clt_" and 43 characters of base64url: 32 random bytes. It is
// shown once, when it is issued (collabledger tokens create), and never
// stored: the log keeps only its SHA-256, in a token.issued event of the
// "tokens" stream, with the actor it stands for (ID, role, ministry) and its
// expiry; token.revoked ends it. Tokens therefore work on every backend,
// survive restarts and are audited like everything else, and nobody who
// reads the log (or an export of it) can use one.
//
// The server keeps an index of token hashes in memory (TokenIndex), read
// from the tokens stream at start and then following the log, so a token
// issued or revoked by the CLI while the server runs takes effect at once.
//
// Citizens: the API never takes a raw identity. An identity provider
// adapter (or `tokens create --role citizen --identity X`) verifies the
// person, computes their keyed pseudonym domain.Pseudonym(secret, X) — an
// HMAC-SHA256 under the server's secret — and issues a token for that
// pseudonym; only the pseudonym is stored. A citizen's token therefore signs
// as the pseudonym, and one person has one pseudonym under one secret.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
)

// TokensStream is the stream of token.issued and token.revoked events.
const TokensStream = "tokens"

// Event types of the tokens stream.
const (
	EventTokenIssued  = "token.issued"
	EventTokenRevoked = "token.revoked"
)

// TokenPrefix starts every token, so that a leaked one is easy to spot.
const TokenPrefix = "clt_"

// Errors of token handling.
var (
	// ErrUnauthenticated: no token, or one that is malformed, unknown,
	// revoked or expired.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrTokenNotFound: no issued token matches a hash prefix.
	ErrTokenNotFound = errors.New("no such token")
	// ErrTokenAmbiguous: a hash prefix matches more than one token.
	ErrTokenAmbiguous = errors.New("hash prefix matches more than one token")
	// ErrTokenRevoked: the token is already revoked.
	ErrTokenRevoked = errors.New("token already revoked")
	// ErrTokenHashPrefix: a hash prefix is not 8 to 64 hex digits.
	ErrTokenHashPrefix = errors.New("a token's hash prefix is 8 to 64 hex digits")
)

// TokenIssued is the body of a token.issued event: the SHA-256 of a token
// and whom it stands for. It never holds the token.
type TokenIssued struct {
	// Hash is the lower-case hex SHA-256 of the token.
	Hash string `json:"hash"`
	// ActorID, Role and Ministry are the actor the token authenticates.
	ActorID  string            `json:"actorId"`
	Role     domain.Role       `json:"role"`
	Ministry domain.MinistryID `json:"ministry,omitempty"`
	// IssuedAt is when the token was made.
	IssuedAt time.Time `json:"issuedAt"`
	// ExpiresAt is when it stops working; zero: never.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// Note says what the token is for.
	Note string `json:"note,omitempty"`
}

// TokenRevoked is the body of a token.revoked event.
type TokenRevoked struct {
	// Hash is the revoked token's hash.
	Hash string `json:"hash"`
	// Reason says why.
	Reason string `json:"reason,omitempty"`
	// RevokedAt is when it was revoked.
	RevokedAt time.Time `json:"revokedAt"`
}

// TokenRecord is one issued token as the log tells it.
type TokenRecord struct {
	TokenIssued
	// Revoked is set once a token.revoked event names the token.
	Revoked *TokenRevoked `json:"revoked,omitempty"`
}

// Actor returns the actor the token stands for.
func (r TokenRecord) Actor() domain.Actor {
	return domain.Actor{ID: r.ActorID, Role: r.Role, Ministry: r.Ministry}
}

// Active reports whether the token works at now.
func (r TokenRecord) Active(now time.Time) bool {
	return r.Revoked == nil && (r.ExpiresAt.IsZero() || now.Before(r.ExpiresAt))
}

// TokenGrant is what a new token stands for.
type TokenGrant struct {
	// Actor is the actor the token authenticates. A citizen's or proposer's
	// ID must be their pseudonym.
	Actor domain.Actor
	// ExpiresAt ends the token; zero: never.
	ExpiresAt time.Time
	// Note says what the token is for.
	Note string
}

// NewToken returns a fresh random token: TokenPrefix and 32 random bytes in
// base64url.
func NewToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new token: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// HashToken returns the lower-case hex SHA-256 of a token: what the log
// stores.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// validGrantActor checks the actor a token would stand for.
func validGrantActor(a domain.Actor) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if (a.Role == domain.RoleCitizen || a.Role == domain.RoleProposer) && !domain.SignerID(a.ID).Valid() {
		return fmt.Errorf("%s: a citizen's token stands for their pseudonym (64 lower-case hex digits), not %q", app.RuleCitizenPseudonym, a.ID)
	}
	return nil
}

// IssueToken makes a token for grant and records its hash in the tokens
// stream, as issuedBy at now. It returns the token, which is not stored
// anywhere and must be handed to its holder now.
func IssueToken(ctx context.Context, store eventstore.Store, grant TokenGrant, issuedBy string, now time.Time) (string, TokenIssued, error) {
	if err := validGrantActor(grant.Actor); err != nil {
		return "", TokenIssued{}, fmt.Errorf("issue token: %w", err)
	}
	token, err := NewToken()
	if err != nil {
		return "", TokenIssued{}, err
	}
	ev := TokenIssued{
		Hash: HashToken(token), ActorID: grant.Actor.ID, Role: grant.Actor.Role, Ministry: grant.Actor.Ministry,
		IssuedAt: now.UTC(), Note: grant.Note,
	}
	if !grant.ExpiresAt.IsZero() {
		ev.ExpiresAt = grant.ExpiresAt.UTC()
	}
	data, err := eventstore.NewEventData(EventTokenIssued, 1, ev, eventstore.Metadata{ActorID: issuedBy})
	if err != nil {
		return "", TokenIssued{}, err
	}
	if _, err := store.Append(ctx, TokensStream, eventstore.Any, data); err != nil {
		return "", TokenIssued{}, fmt.Errorf("issue token: %w", err)
	}
	return token, ev, nil
}

// ListTokens returns every token issued, in order, with its revocation.
func ListTokens(ctx context.Context, store eventstore.Store) ([]TokenRecord, error) {
	var out []TokenRecord
	byHash := map[string]int{}
	_, err := readTokens(ctx, store, 1, func(ev eventstore.Event) error {
		return foldToken(ev, func(iss TokenIssued) {
			if _, dup := byHash[iss.Hash]; !dup {
				byHash[iss.Hash] = len(out)
				out = append(out, TokenRecord{TokenIssued: iss})
			}
		}, func(rev TokenRevoked) {
			if i, ok := byHash[rev.Hash]; ok && out[i].Revoked == nil {
				out[i].Revoked = &rev
			}
		})
	})
	return out, err
}

// RevokeToken revokes the one token whose hash starts with hashPrefix (at
// least 8 hex digits), as revokedBy at now.
func RevokeToken(ctx context.Context, store eventstore.Store, hashPrefix, reason, revokedBy string, now time.Time) (TokenRecord, error) {
	hashPrefix = strings.ToLower(strings.TrimSpace(hashPrefix))
	if len(hashPrefix) < 8 || len(hashPrefix) > 64 || strings.Trim(hashPrefix, "0123456789abcdef") != "" {
		return TokenRecord{}, fmt.Errorf("revoke token %q: %w", hashPrefix, ErrTokenHashPrefix)
	}
	all, err := ListTokens(ctx, store)
	if err != nil {
		return TokenRecord{}, err
	}
	var match []TokenRecord
	for _, r := range all {
		if strings.HasPrefix(r.Hash, hashPrefix) {
			match = append(match, r)
		}
	}
	switch {
	case len(match) == 0:
		return TokenRecord{}, fmt.Errorf("revoke token %s: %w", hashPrefix, ErrTokenNotFound)
	case len(match) > 1:
		return TokenRecord{}, fmt.Errorf("revoke token %s: %w (%d)", hashPrefix, ErrTokenAmbiguous, len(match))
	case match[0].Revoked != nil:
		return match[0], fmt.Errorf("revoke token %s: %w", hashPrefix, ErrTokenRevoked)
	}
	rev := TokenRevoked{Hash: match[0].Hash, Reason: reason, RevokedAt: now.UTC()}
	data, err := eventstore.NewEventData(EventTokenRevoked, 1, rev, eventstore.Metadata{ActorID: revokedBy})
	if err != nil {
		return TokenRecord{}, err
	}
	if _, err := store.Append(ctx, TokensStream, eventstore.Any, data); err != nil {
		return TokenRecord{}, fmt.Errorf("revoke token: %w", err)
	}
	match[0].Revoked = &rev
	return match[0], nil
}

// readTokens calls f with every event of the tokens stream from version
// from on, and returns the last version read (from-1 if none).
func readTokens(ctx context.Context, store eventstore.Store, from uint64, f func(eventstore.Event) error) (uint64, error) {
	last := from - 1
	for {
		evs, err := store.ReadStream(ctx, TokensStream, last+1, 1024)
		if err != nil {
			return last, fmt.Errorf("read %s: %w", TokensStream, err)
		}
		for _, ev := range evs {
			if err := f(ev); err != nil {
				return last, err
			}
			last = ev.Version
		}
		if len(evs) < 1024 {
			return last, nil
		}
	}
}

// foldToken decodes one event of the tokens stream.
func foldToken(ev eventstore.Event, issued func(TokenIssued), revoked func(TokenRevoked)) error {
	switch ev.Type {
	case EventTokenIssued:
		var iss TokenIssued
		if err := json.Unmarshal(ev.Data, &iss); err != nil {
			return fmt.Errorf("%s version %d: %w", TokensStream, ev.Version, err)
		}
		issued(iss)
	case EventTokenRevoked:
		var rev TokenRevoked
		if err := json.Unmarshal(ev.Data, &rev); err != nil {
			return fmt.Errorf("%s version %d: %w", TokensStream, ev.Version, err)
		}
		revoked(rev)
	}
	return nil
}

// Authenticator turns a bearer token into the actor it stands for, or an
// error wrapping ErrUnauthenticated. TokenIndex is the ledger's own; an
// identity provider adapter can be another.
type Authenticator interface {
	Authenticate(token string) (domain.Actor, error)
}

// TokenIndex authenticates bearer tokens against the token hashes of the
// log, kept in memory: read from the tokens stream when Run starts, then
// following the log live. Lookups hash the presented token and compare the
// stored hash in constant time; the token itself is never kept.
type TokenIndex struct {
	store  eventstore.Store
	logger *slog.Logger
	now    func() time.Time

	mu      sync.RWMutex
	byHash  map[[sha256.Size]byte]*TokenRecord
	version uint64              // of the tokens stream, folded
	pos     eventstore.Position // of the log, followed
	changed chan struct{}
}

// NewTokenIndex returns an empty index over store; Run fills it. A nil
// logger means slog.Default(), a nil clock time.Now.
func NewTokenIndex(store eventstore.Store, logger *slog.Logger, now func() time.Time) *TokenIndex {
	if logger == nil {
		logger = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	return &TokenIndex{store: store, logger: logger, now: now, byHash: map[[sha256.Size]byte]*TokenRecord{}, changed: make(chan struct{})}
}

// Authenticate implements Authenticator.
func (x *TokenIndex) Authenticate(token string) (domain.Actor, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 128 {
		return domain.Actor{}, fmt.Errorf("%w: malformed token", ErrUnauthenticated)
	}
	h := sha256.Sum256([]byte(token))
	x.mu.RLock()
	rec, ok := x.byHash[h]
	var r TokenRecord
	if ok {
		r = *rec
	}
	x.mu.RUnlock()
	var stored [sha256.Size]byte
	if ok {
		if b, err := hex.DecodeString(r.Hash); err == nil && len(b) == sha256.Size {
			copy(stored[:], b)
		}
	}
	if subtle.ConstantTimeCompare(stored[:], h[:]) != 1 || !ok {
		return domain.Actor{}, fmt.Errorf("%w: unknown token", ErrUnauthenticated)
	}
	if r.Revoked != nil {
		return domain.Actor{}, fmt.Errorf("%w: token revoked", ErrUnauthenticated)
	}
	if !r.Active(x.now()) {
		return domain.Actor{}, fmt.Errorf("%w: token expired", ErrUnauthenticated)
	}
	return r.Actor(), nil
}

// Sync waits until the index has folded every event stored now.
func (x *TokenIndex) Sync(ctx context.Context) error {
	head, err := x.store.Head(ctx)
	if err != nil {
		return fmt.Errorf("token index: %w", err)
	}
	for {
		x.mu.RLock()
		pos, ch := x.pos, x.changed
		x.mu.RUnlock()
		if pos >= head {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("token index at %d of %d: %w", pos, head, ctx.Err())
		}
	}
}

// Run reads the tokens stream and follows the log until ctx ends,
// retrying (with a pause) when the store fails. It returns ctx's error.
func (x *TokenIndex) Run(ctx context.Context) error {
	pause := 100 * time.Millisecond
	for {
		err := x.follow(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		x.logger.Warn("token index: following the log failed; retrying", "err", err, "retry_in", pause)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
}

func (x *TokenIndex) follow(ctx context.Context) error {
	x.mu.RLock()
	pos, version := x.pos, x.version
	x.mu.RUnlock()
	if pos == 0 {
		// First run: read the tokens stream, then follow from the head it
		// was read at. Events appended in between are read twice and
		// folded once (by stream version).
		head, err := x.store.Head(ctx)
		if err != nil {
			return err
		}
		if _, err := readTokens(ctx, x.store, version+1, x.fold); err != nil {
			return err
		}
		x.advance(head)
		pos = head
	}
	for ev, err := range x.store.Subscribe(ctx, pos) {
		if err != nil {
			return err
		}
		if ev.Stream == TokensStream {
			if err := x.fold(ev); err != nil {
				return err
			}
		}
		x.advance(ev.Position)
	}
	return ctx.Err()
}

// fold applies one event of the tokens stream, once.
func (x *TokenIndex) fold(ev eventstore.Event) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if ev.Version <= x.version {
		return nil
	}
	err := foldToken(ev, func(iss TokenIssued) {
		b, err := hex.DecodeString(iss.Hash)
		if err != nil || len(b) != sha256.Size {
			x.logger.Warn("token index: token.issued with a malformed hash ignored", "version", ev.Version)
			return
		}
		var h [sha256.Size]byte
		copy(h[:], b)
		if _, dup := x.byHash[h]; !dup {
			x.byHash[h] = &TokenRecord{TokenIssued: iss}
		}
	}, func(rev TokenRevoked) {
		b, err := hex.DecodeString(rev.Hash)
		if err != nil || len(b) != sha256.Size {
			return
		}
		var h [sha256.Size]byte
		copy(h[:], b)
		if r, ok := x.byHash[h]; ok && r.Revoked == nil {
			r.Revoked = &rev
		}
	})
	if err != nil {
		return err
	}
	x.version = ev.Version
	return nil
}

// advance records that the log is folded up to p.
func (x *TokenIndex) advance(p eventstore.Position) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if p <= x.pos && x.pos != 0 {
		return
	}
	x.pos = p
	close(x.changed)
	x.changed = make(chan struct{})
}

package tokens

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/sealed"
)

// readBatch is how many events one read of a stream takes.
const readBatch = 1024

// Config is what a Service works with. The zero value is usable by a
// Service that never issues a citizen's token.
type Config struct {
	// Secret keys citizens' pseudonyms: a citizen's token is asked for by
	// identity, and the Service computes domain.Pseudonym(Secret, identity).
	// Every server of one ledger must use the same secret.
	Secret []byte
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger. Default slog.Default().
	Logger *slog.Logger
}

// Service issues, revokes, lists and authenticates tokens. Issue and
// Revoke are decided on the tokens stream's state and appended with its
// exact version (the command side's app.Handler, with this package's
// Codec); Authenticate looks a token up in an index of the stream that Run
// keeps following the log, so a token issued or revoked elsewhere (by the
// command line, by another server) takes effect at once.
//
// Run also carries out a PO's retirement: when the registry records
// registry.po_retired, every token of that PO is revoked.
type Service struct {
	store eventstore.Store
	cfg   Config
	cmds  *app.Handler[*Set]

	// catchUp serialises reads of the tokens stream into idx.
	catchUp sync.Mutex
	mu      sync.RWMutex
	idx     *Set
	pos     eventstore.Position // of the log, followed by Run
	changed chan struct{}
}

// NewService returns a Service over store. Call Run to authenticate
// against tokens issued by others.
func NewService(store eventstore.Store, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{
		store: store, cfg: cfg,
		cmds: app.NewHandler[*Set](store, app.Config{Now: cfg.Now, Logger: cfg.Logger, Codec: Codec{}, CacheSize: 1}),
		idx:  NewSet(), changed: make(chan struct{}),
	}
}

// Request asks for a token.
type Request struct {
	// Role is the role the token acts as.
	Role domain.Role
	// Ministry is the ministry or agency a PO or ministry token acts for.
	Ministry domain.MinistryID
	// ActorID is the actor of a token for anyone but a citizen or proposer:
	// a staff account, a PO's registry ID.
	ActorID string
	// Identity is a citizen's or proposer's verified identity (a national
	// ID, an identity provider's subject): the token stands for its
	// pseudonym, computed here; the identity is kept nowhere.
	Identity string
	// Lifetime is how long the token works from when it is issued; 0: for
	// ever (a PO's token ends with their registration in any case).
	Lifetime time.Duration
}

// Token is a token just issued: the token itself, shown this once, and
// what the log records of it.
type Token struct {
	// Token is the bearer token. It is stored nowhere.
	Token string
	// Record is what the log holds of it.
	Record Record
}

// grant turns a request into the grant it asks for, computing a citizen's
// pseudonym.
func (s *Service) grant(req Request) (Grant, error) {
	id := strings.TrimSpace(req.ActorID)
	identity := strings.TrimSpace(req.Identity)
	switch {
	case citizenRole(req.Role) && id != "":
		return Grant{}, domain.NewRuleError(domain.ErrRuleViolated, RuleIdentityRequired,
			fmt.Sprintf("a %s's token is asked for by their verified identity; the server computes their pseudonym", req.Role),
			fmt.Sprintf("%s 的權杖須以其驗證過的身分申請；假名由伺服器算出", req.Role.Name().ZH))
	case citizenRole(req.Role) && identity == "":
		return Grant{}, domain.NewRuleError(domain.ErrRuleViolated, RuleIdentityRequired,
			fmt.Sprintf("a %s's token needs their verified identity", req.Role),
			fmt.Sprintf("%s 的權杖需要其驗證過的身分", req.Role.Name().ZH))
	case !citizenRole(req.Role) && identity != "":
		return Grant{}, domain.NewRuleError(domain.ErrRuleViolated, RuleIdentityOnlyForCitizens,
			"only a citizen's or proposer's token is asked for by identity; give the actor ID",
			"只有公民或提案人的權杖以身分申請；其他角色請提供行動者代號")
	case citizenRole(req.Role):
		if len(s.cfg.Secret) == 0 {
			return Grant{}, ErrNoSecret
		}
		id = string(domain.Pseudonym(s.cfg.Secret, identity))
	}
	return NewGrant(domain.Actor{ID: id, Role: req.Role, Ministry: req.Ministry}, req.Lifetime)
}

// Issue makes a token for req, as by (PDIS staff), and records its hash.
// A refusal is a *domain.RuleError (RuleStaffOnly, RuleGrantInvalid,
// RuleIdentityRequired, a PO registry rule, …); nothing is then recorded.
// The token works at once on this Service.
func (s *Service) Issue(ctx context.Context, by domain.Actor, req Request) (Token, error) {
	g, err := s.grant(req)
	if err != nil {
		return Token{}, fmt.Errorf("issue token: %w", err)
	}
	token, err := newToken()
	if err != nil {
		return Token{}, err
	}
	h := HashOf(token)
	var reg *domain.Registry
	if g.actor.Role == domain.RolePO {
		if reg, err = s.registry(ctx); err != nil {
			return Token{}, fmt.Errorf("issue token: %w", err)
		}
	}
	res, err := s.cmds.Handle(ctx, app.Request[*Set]{Stream: Stream, New: NewSet, Actor: by,
		Decide: func(set *Set, at time.Time) ([]domain.Event, error) { return set.Issue(h, g, by, at, reg) }})
	if err != nil {
		return Token{}, fmt.Errorf("issue token: %w", err)
	}
	rec, err := s.recorded(ctx, res, h)
	if err != nil {
		return Token{}, err
	}
	return Token{Token: token, Record: rec}, nil
}

// Revoke revokes the one token whose hash starts with hashPrefix (8 to 64
// hex digits; else an error wrapping ErrHashPrefix), as by (PDIS staff).
// A refusal is a *domain.RuleError (RuleNotFound, RuleAmbiguous,
// RuleAlreadyRevoked, RuleStaffOnly). The token stops working at once on
// this Service.
func (s *Service) Revoke(ctx context.Context, by domain.Actor, hashPrefix, reason string) (Record, error) {
	p, err := ParseHashPrefix(hashPrefix)
	if err != nil {
		return Record{}, fmt.Errorf("revoke token: %w", err)
	}
	var h Hash
	res, err := s.cmds.Handle(ctx, app.Request[*Set]{Stream: Stream, New: NewSet, Actor: by,
		Decide: func(set *Set, at time.Time) ([]domain.Event, error) {
			evs, err := set.Revoke(p, reason, by, at)
			if err == nil {
				h = evs[0].(Revoked).Hash
			}
			return evs, err
		}})
	if err != nil {
		return Record{}, fmt.Errorf("revoke token %s: %w", p, err)
	}
	return s.recorded(ctx, res, h)
}

// recorded brings the index up to the events a command stored and returns
// the record of hash h.
func (s *Service) recorded(ctx context.Context, res app.Result, h Hash) (Record, error) {
	if err := s.readTokens(ctx); err != nil {
		return Record{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.idx.byHash[h]
	if !ok {
		return Record{}, fmt.Errorf("token %s: not in the tokens stream at version %d", h.Short(), res.Version)
	}
	return s.idx.Records()[i], nil
}

// Listed is a token as List shows it: its record and its status now.
type Listed struct {
	Record
	// Status is StatusActive, StatusExpired or StatusRevoked.
	Status string `json:"status"`
}

// List returns every token issued, in order, with its revocation and its
// status, as the tokens stream holds them now.
func (s *Service) List(ctx context.Context) ([]Listed, error) {
	if err := s.readTokens(ctx); err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Listed, 0, len(s.idx.records))
	for _, r := range s.idx.Records() {
		out = append(out, Listed{Record: r, Status: r.Status(now)})
	}
	return out, nil
}

// Authenticate returns the actor token stands for, or an error wrapping
// ErrUnauthenticated (malformed, unknown, revoked, expired). It answers
// from the index: tokens issued elsewhere are known once Run has read
// them (Sync waits for that).
func (s *Service) Authenticate(_ context.Context, token string) (domain.Actor, error) {
	if !wellFormed(token) {
		return domain.Actor{}, fmt.Errorf("%w: malformed token", ErrUnauthenticated)
	}
	h := HashOf(token)
	s.mu.RLock()
	i, ok := s.idx.byHash[h]
	var r Record
	if ok {
		r = s.idx.records[i]
	}
	s.mu.RUnlock()
	switch {
	case !ok:
		return domain.Actor{}, fmt.Errorf("%w: unknown token", ErrUnauthenticated)
	case r.Revoked != nil:
		return domain.Actor{}, fmt.Errorf("%w: token revoked", ErrUnauthenticated)
	case !r.Active(s.cfg.Now()):
		return domain.Actor{}, fmt.Errorf("%w: token expired", ErrUnauthenticated)
	case sealed.IsErased(r.ActorID):
		// A lawful erasure deleted the actor ID: the token stands for no one.
		return domain.Actor{}, fmt.Errorf("%w: the token's actor was erased", ErrUnauthenticated)
	}
	return r.Actor(), nil
}

// readTokens folds the tokens stream's events after the index's version
// into the index.
func (s *Service) readTokens(ctx context.Context) error {
	s.catchUp.Lock()
	defer s.catchUp.Unlock()
	codec := Codec{}
	for {
		s.mu.RLock()
		from := s.idx.Version() + 1
		s.mu.RUnlock()
		evs, err := s.store.ReadStream(ctx, Stream, from, readBatch)
		if err != nil {
			return fmt.Errorf("read %s: %w", Stream, err)
		}
		decoded := make([]domain.Event, len(evs))
		for i, ev := range evs {
			if decoded[i], err = codec.Decode(ev.Type, ev.SchemaVersion, ev.Data); err != nil {
				return fmt.Errorf("%s version %d: %w", Stream, ev.Version, err)
			}
		}
		s.mu.Lock()
		for i, ev := range evs {
			if err = s.idx.Apply(decoded[i]); err != nil {
				err = fmt.Errorf("%s version %d: %w", Stream, ev.Version, err)
				break
			}
		}
		s.mu.Unlock()
		if err != nil {
			return err
		}
		if len(evs) < readBatch {
			return nil
		}
	}
}

// registry loads the PO registry as it stands.
func (s *Service) registry(ctx context.Context) (*domain.Registry, error) {
	reg := domain.NewRegistry()
	err := s.readStream(ctx, domain.RegistryStream(), func(ev eventstore.Event, de domain.Event) error { return reg.Apply(de) })
	return reg, err
}

// readStream calls f with every event of a domain stream, decoded.
func (s *Service) readStream(ctx context.Context, stream string, f func(eventstore.Event, domain.Event) error) error {
	for from := uint64(1); ; {
		evs, err := s.store.ReadStream(ctx, stream, from, readBatch)
		if err != nil {
			return fmt.Errorf("read %s: %w", stream, err)
		}
		for _, ev := range evs {
			de, err := domain.Decode(ev.Type, ev.SchemaVersion, ev.Data)
			if err == nil {
				err = f(ev, de)
			}
			if err != nil {
				return fmt.Errorf("%s version %d: %w", stream, ev.Version, err)
			}
			from = ev.Version + 1
		}
		if len(evs) < readBatch {
			return nil
		}
	}
}

// Sync waits until the index has read every event stored now (Run must be
// running).
func (s *Service) Sync(ctx context.Context) error {
	head, err := s.store.Head(ctx)
	if err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	for {
		s.mu.RLock()
		pos, ch := s.pos, s.changed
		s.mu.RUnlock()
		if pos >= head {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("tokens index at %d of %d: %w", pos, head, ctx.Err())
		}
	}
}

// Run follows the log until ctx ends: it keeps the index up to date and
// revokes the tokens of each PO the registry retires. It retries, with a
// pause, when the store fails, and returns ctx's error.
func (s *Service) Run(ctx context.Context) error {
	pause := 100 * time.Millisecond
	for {
		err := s.follow(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.cfg.Logger.Warn("tokens: following the log failed; retrying", "err", err, "retry_in", pause)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
}

func (s *Service) follow(ctx context.Context) error {
	s.mu.RLock()
	pos := s.pos
	s.mu.RUnlock()
	if pos == 0 {
		// First run: read the tokens stream, and carry out the retirements
		// recorded while no server followed the log; then follow from the
		// head they were read at.
		head, err := s.store.Head(ctx)
		if err != nil {
			return err
		}
		if err := s.readTokens(ctx); err != nil {
			return err
		}
		err = s.readStream(ctx, domain.RegistryStream(), func(ev eventstore.Event, de domain.Event) error {
			if r, ok := de.(domain.PORetired); ok && ev.Position <= head {
				return s.retired(ctx, ev, r)
			}
			return nil
		})
		if err != nil {
			return err
		}
		s.advance(head)
		pos = head
	}
	registry := domain.RegistryStream()
	for ev, err := range s.store.Subscribe(ctx, pos) {
		if err != nil {
			return err
		}
		switch {
		case ev.Stream == Stream:
			if err := s.readTokens(ctx); err != nil {
				return err
			}
		case ev.Stream == registry && ev.Type == (domain.PORetired{}).EventType():
			de, err := domain.Decode(ev.Type, ev.SchemaVersion, ev.Data)
			if err != nil {
				return fmt.Errorf("%s version %d: %w", registry, ev.Version, err)
			}
			if err := s.retired(ctx, ev, de.(domain.PORetired)); err != nil {
				return err
			}
		}
		s.advance(ev.Position)
	}
	return ctx.Err()
}

// retired revokes the tokens of the PO that ev retired, issued before the
// retirement was recorded, as a consequence of it (its actor, caused by
// it).
func (s *Service) retired(ctx context.Context, ev eventstore.Event, r domain.PORetired) error {
	holder := domain.Actor{ID: r.POID, Role: domain.RolePO}
	at := s.cfg.Now()
	s.mu.RLock()
	pending := len(s.idx.RevokeHolder(holder, ev.RecordedAt, "", at)) > 0
	s.mu.RUnlock()
	if !pending {
		return nil
	}
	by := domain.Actor{ID: ev.Metadata.ActorID, Role: domain.Role(ev.Metadata.ActorRole)}
	res, err := s.cmds.Handle(ctx, app.Request[*Set]{Stream: Stream, New: NewSet, Actor: by,
		CorrelationID: ev.Metadata.CorrelationID, CausationID: ev.ID.String(),
		Decide: func(set *Set, at time.Time) ([]domain.Event, error) {
			return set.RevokeHolder(holder, ev.RecordedAt, "PO retired", at), nil
		}})
	if err != nil {
		return fmt.Errorf("revoke the tokens of retired PO %s: %w", r.POID, err)
	}
	s.cfg.Logger.Info("tokens: revoked the tokens of a retired PO", "po", r.POID, "tokens", len(res.Events))
	return s.readTokens(ctx)
}

// advance records that the log is followed up to p.
func (s *Service) advance(p eventstore.Position) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p <= s.pos {
		return
	}
	s.pos = p
	close(s.changed)
	s.changed = make(chan struct{})
}

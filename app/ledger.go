package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/readmodels"
)

// ErrUnrouted: a command of the policy table that the Ledger does not know
// how to execute (a command added to the domain without a route here). It
// is a programming error; the tests list every command.
var ErrUnrouted = errors.New("command has no route in the ledger")

// Rule codes of the refusals the Ledger itself makes before the domain
// decides.
const (
	// RuleCitizenPseudonym: a citizen or proposer acts under their keyed
	// pseudonym (64 lower-case hex digits), never a raw identity.
	RuleCitizenPseudonym = "app.actor.pseudonym_required"
)

// LedgerConfig is what the Ledger decides with. NewLedger fills unset
// fields with the process's defaults.
type LedgerConfig struct {
	// Proposal holds the signature threshold, window, milestones and
	// response deadline. Default domain.DefaultProposalConfig().
	Proposal domain.ProposalConfig
	// Monthly holds the ballot and topic numbers. Default
	// domain.DefaultMonthlyConfig().
	Monthly domain.MonthlyConfig
	// Transcript holds the edit window. Default
	// domain.DefaultTranscriptConfig().
	Transcript domain.TranscriptConfig
	// Calendar counts working days. Default calendar.Taiwan().
	Calendar *calendar.Calendar
	// Secret keys the pseudonyms of verified citizens (see Pseudonym). It
	// may be empty for a Ledger that never computes one.
	Secret []byte
	// Handler tunes the per-stream handlers (retries, batches, the clock).
	Handler Config
	// DependencyCacheSize bounds the aggregates kept in memory as
	// dependencies of other decisions, per kind. Default 1024.
	DependencyCacheSize int
	// Logger. Default Handler.Logger, else slog.Default().
	Logger *slog.Logger
	// Erasable is the secrets store of a sealed log, which ledger.erase
	// deletes from; nil refuses every erasure (RuleEraseNotSealed).
	Erasable Erasable
	// Observe, if set, is told of every command Execute and ExecuteMany
	// answer: its name, the error returned (nil: accepted) and how long it
	// took. It must not block (metrics.Metrics.ObserveCommand).
	Observe func(command string, err error, took time.Duration)
}

func (c LedgerConfig) withDefaults() LedgerConfig {
	if c.Proposal.Threshold == 0 {
		c.Proposal = domain.DefaultProposalConfig()
	}
	if c.Monthly.MaxChoices == 0 {
		c.Monthly = domain.DefaultMonthlyConfig()
	}
	if c.Transcript.EditWindowWorkingDays == 0 {
		c.Transcript = domain.DefaultTranscriptConfig()
	}
	if c.Calendar == nil {
		c.Calendar = calendar.Taiwan()
	}
	if c.DependencyCacheSize == 0 {
		c.DependencyCacheSize = 1024
	}
	c.Handler = c.Handler.WithDefaults()
	if c.Logger == nil {
		c.Logger = c.Handler.Logger
	}
	return c
}

// Validate reports a configuration the Ledger cannot decide with.
func (c LedgerConfig) Validate() error {
	if err := c.Proposal.Validate(); err != nil {
		return fmt.Errorf("ledger config: %w", err)
	}
	if err := c.Monthly.Validate(); err != nil {
		return fmt.Errorf("ledger config: %w", err)
	}
	if err := c.Transcript.Validate(); err != nil {
		return fmt.Errorf("ledger config: %w", err)
	}
	if c.DependencyCacheSize < 0 {
		return fmt.Errorf("ledger config: negative dependency cache size %d", c.DependencyCacheSize)
	}
	return c.Handler.Validate()
}

// Ledger executes every command of the domain's policy table: it checks the
// actor, loads what the decision needs from other aggregates (the registry
// for a ballot, the monthly meeting a case is opened from, the meeting a
// transcript belongs to, the voted meetings for the 45-day rule), and hands
// the command to the Handler of the stream it changes, which decides it in
// a batch and appends with an exact expected version.
//
//	l, err := app.NewLedger(store, app.LedgerConfig{Secret: secret})
//	defer l.Close()
//	res, err := l.Execute(ctx, actor, domain.SignProposal{ProposalID: "p-1", Signer: domain.SignerID(actor.ID)})
//
// Dependencies are read through a cache that catches up with their streams
// on every use, so a decision sees every event stored before its command
// arrived. A dependency may have moved on by the time the events are
// appended (the registry retires the PO after the ballot was decided): the
// append's expected version covers only the changed stream, as in any
// event-sourced system; the log records both, in order.
type Ledger struct {
	store eventstore.Store
	cfg   LedgerConfig

	proposals   *Handler[*domain.Proposal]
	registry    *Handler[*domain.Registry]
	monthly     *Handler[*domain.MonthlyMeeting]
	cases       *Handler[*domain.Case]
	meetings    *Handler[*domain.Meeting]
	transcripts *Handler[*domain.Transcript]
	erasures    *Handler[*domain.Erasures]

	depProposals *loader[*domain.Proposal]
	depRegistry  *loader[*domain.Registry]
	depMonthly   *loader[*domain.MonthlyMeeting]
	depCases     *loader[*domain.Case]
	depMeetings  *loader[*domain.Meeting]
	// depTranscripts loads the transcript a recommendation's utterance
	// sources are checked against.
	depTranscripts *loader[*domain.Transcript]

	voted *readmodels.VotedIndex
	// commands finds the commands of client-given IDs; keys serialises
	// each such ID's attempts (idempotency.go).
	commands *CommandIndex
	keys     keyLocks
	// votedTurn makes the commands that read the voted meetings decide one
	// at a time, so each sees the ones before it: a one-slot semaphore.
	votedTurn chan struct{}

	stop context.CancelFunc
	done chan struct{}
}

// NewLedger returns a Ledger over store and starts following the log for
// its voted-meetings and command indexes. Close stops it.
func NewLedger(store eventstore.Store, cfg LedgerConfig) (*Ledger, error) {
	if store == nil {
		return nil, errors.New("new ledger: no event store")
	}
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	l := &Ledger{
		store: store, cfg: cfg,
		proposals:      NewHandler[*domain.Proposal](store, cfg.Handler),
		registry:       NewHandler[*domain.Registry](store, cfg.Handler),
		monthly:        NewHandler[*domain.MonthlyMeeting](store, cfg.Handler),
		cases:          NewHandler[*domain.Case](store, cfg.Handler),
		meetings:       NewHandler[*domain.Meeting](store, cfg.Handler),
		transcripts:    NewHandler[*domain.Transcript](store, cfg.Handler),
		erasures:       NewHandler[*domain.Erasures](store, cfg.Handler),
		depProposals:   newLoader[*domain.Proposal](store, cfg.DependencyCacheSize),
		depRegistry:    newLoader[*domain.Registry](store, 1),
		depMonthly:     newLoader[*domain.MonthlyMeeting](store, cfg.DependencyCacheSize),
		depCases:       newLoader[*domain.Case](store, cfg.DependencyCacheSize),
		depMeetings:    newLoader[*domain.Meeting](store, cfg.DependencyCacheSize),
		depTranscripts: newLoader[*domain.Transcript](store, cfg.DependencyCacheSize),
		voted:          readmodels.NewVotedIndex(),
		commands:       newCommandIndex(),
		votedTurn:      make(chan struct{}, 1),
		stop:           stop,
		done:           make(chan struct{}),
	}
	go func() {
		defer close(l.done)
		l.follow(ctx)
	}()
	return l, nil
}

// Close stops following the log. It does not close the store.
func (l *Ledger) Close() error {
	l.stop()
	<-l.done
	return nil
}

// VotedMeetings returns the Ledger's index of voted meetings.
func (l *Ledger) VotedMeetings() *readmodels.VotedIndex { return l.voted }

// Pseudonym returns the keyed pseudonym of a verified identity under the
// Ledger's secret: what an identity provider adapter turns a verified
// citizen into before anything else sees them. It panics without a secret.
func (l *Ledger) Pseudonym(verifiedIdentity string) domain.SignerID {
	return domain.Pseudonym(l.cfg.Secret, verifiedIdentity)
}

// Option sets how Execute records a command.
type Option func(*call)

// WithCommandID records id as the command's ID (default: a new UUID).
func WithCommandID(id string) Option { return func(c *call) { c.commandID = id } }

// WithCorrelationID records id as the correlation ID (default: the command
// ID).
func WithCorrelationID(id string) Option { return func(c *call) { c.correlationID = id } }

// WithCausationID records id as the ID of what caused the command.
func WithCausationID(id string) Option { return func(c *call) { c.causationID = id } }

// WithOccurredAt decides the command as of t and records t as the events'
// occurred-at: for an act that happened before it is recorded (an imported
// 2019 meeting). Adapters should allow it only to importers and staff.
func WithOccurredAt(t time.Time) Option { return func(c *call) { c.at = t } }

// WithOccurredAtReason records why a command is dated in the past (with
// WithOccurredAt) in its events (domain.Occurred.BackdateReason), so that
// every view can mark them as back-dated and say why.
func WithOccurredAtReason(reason string) Option { return func(c *call) { c.atReason = reason } }

// Rule codes of back-dating.
const (
	// RuleOccurredAtFuture refuses an occurred-at later than now: it
	// records facts from the past, and a date to come would make pages say
	// a window closed that is still open.
	RuleOccurredAtFuture = "command.occurred_at.future"
)

// clockSkew is how far an occurred-at may be ahead of the server's clock
// (the client's clock may run a little fast).
const clockSkew = time.Minute

// call is one command being executed.
type call struct {
	actor                                 domain.Actor
	cmd                                   domain.Command
	commandID, correlationID, causationID string
	at                                    time.Time
	atReason                              string
	// eventID derives the events' IDs of a command with a client-given
	// ID (nil: random IDs).
	eventID func(i int) uuid.UUID
	// registry is the PO registry a PO actor is checked against when the
	// command is decided (nil for other actors, and for registry commands,
	// which check against the aggregate itself).
	registry *loaded[*domain.Registry]
}

// Execute decides cmd as actor and stores its events. A refusal is the
// domain's *domain.RuleError (errors.Is it with domain.ErrForbidden,
// ErrRuleViolated, ErrNotFound or ErrConflictingState), and nothing is
// stored; ErrTooManyConflicts and the store's errors (eventstore.ErrUnavailable,
// ...) come wrapped. A Result with no events means the domain found nothing
// to change (an import of content already imported).
func (l *Ledger) Execute(ctx context.Context, actor domain.Actor, cmd domain.Command, opts ...Option) (Result, error) {
	if l.cfg.Observe == nil || cmd == nil {
		return l.execute(ctx, actor, cmd, opts...)
	}
	start := time.Now()
	res, err := l.execute(ctx, actor, cmd, opts...)
	l.cfg.Observe(cmd.CommandName(), err, time.Since(start))
	return res, err
}

func (l *Ledger) execute(ctx context.Context, actor domain.Actor, cmd domain.Command, opts ...Option) (Result, error) {
	cmd, err := admit(actor, cmd)
	if err != nil {
		return Result{}, err
	}
	name := cmd.CommandName()
	r, ok := routes[name]
	if !ok {
		return Result{}, fmt.Errorf("execute %s: %w", name, ErrUnrouted)
	}
	c := call{actor: actor, cmd: cmd}
	for _, o := range opts {
		o(&c)
	}
	if !c.at.IsZero() {
		if err := occurredInPast(c.at, l.cfg.Handler.Now()); err != nil {
			return Result{}, err
		}
	}
	if actor.Role == domain.RolePO && r.aggregate != AggregateRegistry {
		// A PO's authority comes from the registry as it stands when the
		// command is decided, never from the credential alone.
		var err error
		if c.registry, err = l.depRegistry.load(ctx, domain.RegistryStream(), domain.NewRegistry); err != nil {
			return Result{}, err
		}
	}
	l.keyAccounts(&c)
	if c.commandID == "" {
		return r.exec(l, ctx, c)
	}
	// A client-given ID: the same command again gets the original answer.
	fp, err := fingerprint(c)
	if err != nil {
		return Result{}, err
	}
	unlock, err := l.keys.lock(ctx, c.commandID)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	if res, found, err := l.replay(ctx, c, fp); found || err != nil {
		return res, err
	}
	c.eventID = func(i int) uuid.UUID { return derivedEventID(c.commandID, fp, i) }
	return r.exec(l, ctx, c)
}

// occurredInPast refuses a back-dated occurred-at that is after now (beyond
// the allowed clock skew): only facts from the past are back-dated. A zero
// at is not back-dated and passes.
func occurredInPast(at, now time.Time) error {
	if at.IsZero() || !at.After(now.Add(clockSkew)) {
		return nil
	}
	return domain.NewRuleError(domain.ErrRuleViolated, RuleOccurredAtFuture,
		fmt.Sprintf("occurred-at %s is after now (%s): only facts from the past are back-dated", at.Format(time.RFC3339), now.UTC().Format(time.RFC3339)),
		fmt.Sprintf("發生時間 %s 晚於現在（%s）：只有過去的事實可以補記", at.Format(time.RFC3339), now.UTC().Format(time.RFC3339)))
}

// admit takes a command by value and refuses it before any read when the
// actor may not issue it or a citizen does not act under a pseudonym.
func admit(actor domain.Actor, cmd domain.Command) (domain.Command, error) {
	if cmd == nil {
		return nil, domain.NewRuleError(domain.ErrForbidden, "policy.unknown_command", "no command", "沒有指令")
	}
	if v := reflect.ValueOf(cmd); v.Kind() == reflect.Pointer && !v.IsNil() {
		if elem, ok := v.Elem().Interface().(domain.Command); ok {
			cmd = elem // the domain's decisions take commands by value
		}
	}
	if err := domain.Authorize(cmd.CommandName(), actor); err != nil {
		return nil, err
	}
	if (actor.Role == domain.RoleCitizen || actor.Role == domain.RoleProposer) && !domain.SignerID(actor.ID).Valid() {
		return nil, domain.NewRuleError(domain.ErrForbidden, RuleCitizenPseudonym, "a citizen acts under their keyed pseudonym (64 lower-case hex digits), never a raw identity", "公民以金鑰假名（64 個小寫十六進位數字）行事，絕不使用原始身分")
	}
	return cmd, nil
}

// keyAccounts turns the accounts of a meeting's participants into
// meeting-bound keyed digests, which are all the log keeps of them
// (domain/questions.go): AddParticipant's Account becomes its AccountKey,
// and a question's asker becomes its AuthorKey. A command ID the asker
// chose could name them ("alice-q1"), and correlation and causation IDs
// tie commands together: a question records a keyed digest of the first
// and neither of the others.
func (l *Ledger) keyAccounts(c *call) {
	switch x := c.cmd.(type) {
	case domain.AddParticipant:
		x.AccountKey = ""
		if x.Account != "" {
			x.AccountKey = domain.ParticipantKey(l.cfg.Secret, x.MeetingID, x.Account)
			x.Account = ""
		}
		c.cmd = x
	case domain.PostQuestion:
		x.AuthorKey = domain.ParticipantKey(l.cfg.Secret, x.MeetingID, c.actor.ID)
		c.cmd = x
		if c.commandID != "" {
			c.commandID = "q-" + domain.ParticipantKey(l.cfg.Secret, x.MeetingID, "command\x00"+c.commandID)[:32]
		}
		c.correlationID, c.causationID = "", ""
	}
}

// request builds a Handler request for c on stream. A PO actor is checked
// against the registry first, at the time the command is decided.
func request[A domain.Aggregate](c call, stream string, newFn func() A, decide func(A, time.Time) ([]domain.Event, error)) Request[A] {
	if reg := c.registry; reg != nil {
		// The closure keeps the actor alone, not c: a feed's million
		// signatures would each move their call to the heap.
		inner, actor := decide, c.actor
		decide = func(a A, at time.Time) ([]domain.Event, error) {
			if _, err := reg.read(func(r *domain.Registry) ([]domain.Event, error) { return nil, r.CheckPO(actor, at) }); err != nil {
				return nil, err
			}
			return inner(a, at)
		}
	}
	return Request[A]{
		Stream: stream, New: newFn, Actor: c.actor,
		CommandID: c.commandID, CorrelationID: c.correlationID, CausationID: c.causationID,
		At: c.at, AtReason: c.atReason, Decide: decide, EventID: c.eventID,
	}
}

// checkTarget refuses a command whose target ID could not name a stream,
// before any read: the rule code is the domain's "<command>.id_invalid".
func checkTarget(c call, id string) error {
	if wellFormedID(id) {
		return nil
	}
	return domain.NewRuleError(domain.ErrRuleViolated, c.cmd.CommandName()+".id_invalid",
		fmt.Sprintf("%q is not an identifier: 1 to 128 characters from A-Z a-z 0-9 . _ : -", id),
		fmt.Sprintf("%q 不是有效的代號：須為 1 到 128 個 A-Z a-z 0-9 . _ : - 字元", id))
}

// wellFormedID mirrors the domain's identifier rule, to keep ill-formed IDs
// out of stream names and dependency loads (the domain refuses them in the
// decision too).
func wellFormedID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

func (l *Ledger) execProposal(ctx context.Context, id string, c call) (Result, error) {
	if err := checkTarget(c, id); err != nil {
		return Result{}, err
	}
	pid := domain.ProposalID(id)
	var reg *loaded[*domain.Registry]
	if _, ok := c.cmd.(domain.AssignLeads); ok {
		// The leads assigned must be registered ministries.
		var err error
		if reg, err = l.depRegistry.load(ctx, domain.RegistryStream(), domain.NewRegistry); err != nil {
			return Result{}, err
		}
	}
	return l.proposals.Handle(ctx, request(c, domain.ProposalStream(pid), func() *domain.Proposal { return domain.NewProposal(pid) },
		func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
			if x, ok := c.cmd.(domain.AssignLeads); ok {
				return reg.read(func(r *domain.Registry) ([]domain.Event, error) { return p.AssignLeads(x, c.actor, at, r) })
			}
			return p.Decide(c.cmd, c.actor, at, l.cfg.Proposal)
		}))
}

func (l *Ledger) execRegistry(ctx context.Context, _ string, c call) (Result, error) {
	return l.registry.Handle(ctx, request(c, domain.RegistryStream(), domain.NewRegistry,
		func(r *domain.Registry, at time.Time) ([]domain.Event, error) {
			if err := domain.Authorize(c.cmd.CommandName(), c.actor); err != nil {
				return nil, err
			}
			if err := r.CheckPO(c.actor, at); err != nil {
				return nil, err
			}
			return r.Decide(c.cmd, c.actor, at)
		}))
}

func (l *Ledger) execMonthly(ctx context.Context, id string, c call) (Result, error) {
	if err := checkTarget(c, id); err != nil {
		return Result{}, err
	}
	mid := domain.MonthlyMeetingID(id)
	var (
		source  *loaded[*domain.Proposal]
		reg     *loaded[*domain.Registry]
		history domain.VotedMeetings
		err     error
	)
	switch x := c.cmd.(type) {
	case domain.AddCandidate:
		if x.Kind == domain.CandidateEstablishedProposal && wellFormedID(x.SourceRef) {
			ref := domain.ProposalID(x.SourceRef)
			if source, err = l.depProposals.load(ctx, domain.ProposalStream(ref), func() *domain.Proposal { return domain.NewProposal(ref) }); err != nil {
				return Result{}, err
			}
		}
	case domain.CastBallot:
		if reg, err = l.depRegistry.load(ctx, domain.RegistryStream(), domain.NewRegistry); err != nil {
			return Result{}, err
		}
	case domain.CloseMonthlyMeeting:
		unlock, err := l.votedSync(ctx)
		if err != nil {
			return Result{}, err
		}
		defer unlock()
		history = l.voted
	}
	return l.monthly.Handle(ctx, request(c, domain.MonthlyMeetingStream(mid), func() *domain.MonthlyMeeting { return domain.NewMonthlyMeeting(mid) },
		func(m *domain.MonthlyMeeting, at time.Time) ([]domain.Event, error) {
			decide := func(src *domain.Proposal, r *domain.Registry) ([]domain.Event, error) {
				return m.Decide(c.cmd, c.actor, at, l.cfg.Monthly, src, r, history, l.cfg.Calendar)
			}
			switch {
			case source != nil:
				return source.read(func(p *domain.Proposal) ([]domain.Event, error) { return decide(p, nil) })
			case reg != nil:
				return reg.read(func(r *domain.Registry) ([]domain.Event, error) { return decide(nil, r) })
			}
			return decide(nil, nil)
		}))
}

func (l *Ledger) execCase(ctx context.Context, id string, c call) (Result, error) {
	if err := checkTarget(c, id); err != nil {
		return Result{}, err
	}
	cid := domain.CaseID(id)
	var (
		topic      *loaded[*domain.MonthlyMeeting]
		meeting    *loaded[*domain.Meeting]
		transcript *loaded[*domain.Transcript]
		err        error
	)
	switch x := c.cmd.(type) {
	case domain.OpenCase:
		if x.SourceKind == domain.SourceVotedTopic && wellFormedID(string(x.MonthlyMeetingID)) {
			mid := x.MonthlyMeetingID
			if topic, err = l.depMonthly.load(ctx, domain.MonthlyMeetingStream(mid), func() *domain.MonthlyMeeting { return domain.NewMonthlyMeeting(mid) }); err != nil {
				return Result{}, err
			}
		}
	case domain.RecordRecommendation:
		if meeting, err = l.loadMeeting(ctx, x.MeetingID); err != nil {
			return Result{}, err
		}
		if citesUtterances(x.Sources) && meeting != nil {
			mid := x.MeetingID
			if transcript, err = l.depTranscripts.load(ctx, domain.TranscriptStream(mid), func() *domain.Transcript { return domain.NewTranscript(mid) }); err != nil {
				return Result{}, err
			}
		}
	}
	return l.cases.Handle(ctx, request(c, domain.CaseStream(cid), func() *domain.Case { return domain.NewCase(cid) },
		func(cs *domain.Case, at time.Time) ([]domain.Event, error) {
			switch {
			case topic != nil:
				return topic.read(func(t *domain.MonthlyMeeting) ([]domain.Event, error) { return cs.Decide(c.cmd, c.actor, at, t, nil) })
			case transcript != nil:
				rec := c.cmd.(domain.RecordRecommendation)
				return meeting.read(func(m *domain.Meeting) ([]domain.Event, error) {
					return transcript.read(func(t *domain.Transcript) ([]domain.Event, error) {
						return cs.RecordRecommendationFrom(rec, c.actor, at, m, t)
					})
				})
			case meeting != nil:
				return meeting.read(func(m *domain.Meeting) ([]domain.Event, error) { return cs.Decide(c.cmd, c.actor, at, nil, m) })
			}
			return cs.Decide(c.cmd, c.actor, at, nil, nil)
		}))
}

func (l *Ledger) execMeeting(ctx context.Context, id string, c call) (Result, error) {
	if err := checkTarget(c, id); err != nil {
		return Result{}, err
	}
	mid := domain.MeetingID(id)
	var (
		owner   *loaded[*domain.Case]
		history domain.VotedMeetings
	)
	if x, ok := c.cmd.(domain.ScheduleMeeting); ok {
		unlock, err := l.votedSync(ctx)
		if err != nil {
			return Result{}, err
		}
		defer unlock()
		history = l.voted
		if wellFormedID(string(x.CaseID)) {
			cid := x.CaseID
			if owner, err = l.depCases.load(ctx, domain.CaseStream(cid), func() *domain.Case { return domain.NewCase(cid) }); err != nil {
				return Result{}, err
			}
		}
	}
	return l.meetings.Handle(ctx, request(c, domain.MeetingStream(mid), func() *domain.Meeting { return domain.NewMeeting(mid) },
		func(m *domain.Meeting, at time.Time) ([]domain.Event, error) {
			if owner != nil {
				return owner.read(func(cs *domain.Case) ([]domain.Event, error) {
					return m.Decide(c.cmd, c.actor, at, cs, l.cfg.Monthly, history)
				})
			}
			return m.Decide(c.cmd, c.actor, at, nil, l.cfg.Monthly, history)
		}))
}

func (l *Ledger) execTranscript(ctx context.Context, id string, c call) (Result, error) {
	if err := checkTarget(c, id); err != nil {
		return Result{}, err
	}
	mid := domain.MeetingID(id)
	var meeting *loaded[*domain.Meeting]
	switch c.cmd.(type) {
	case domain.StartTranscript, domain.ImportTranscript:
		var err error
		if meeting, err = l.loadMeeting(ctx, mid); err != nil {
			return Result{}, err
		}
	}
	return l.transcripts.Handle(ctx, request(c, domain.TranscriptStream(mid), func() *domain.Transcript { return domain.NewTranscript(mid) },
		func(t *domain.Transcript, at time.Time) ([]domain.Event, error) {
			if _, live := c.cmd.(domain.EditUtterance); live && !c.at.IsZero() && c.atReason != "" {
				// A speaker's edit is a live act: a client back-dating it
				// (the API's X-Occurred-At, which needs a reason) has its
				// window judged by the time it is recorded too. The only
				// role that may both back-date and edit is staff; a staff
				// speaker cannot reopen their own window. (In-process
				// replays of a recorded history, the demo and the importers,
				// pass WithOccurredAt alone.)
				if _, err := t.Decide(c.cmd, c.actor, l.cfg.Handler.Now(), nil, l.cfg.Transcript, l.cfg.Calendar); err != nil {
					return nil, err
				}
			}
			if meeting != nil {
				return meeting.read(func(m *domain.Meeting) ([]domain.Event, error) {
					return t.Decide(c.cmd, c.actor, at, m, l.cfg.Transcript, l.cfg.Calendar)
				})
			}
			return t.Decide(c.cmd, c.actor, at, nil, l.cfg.Transcript, l.cfg.Calendar)
		}))
}

// loadMeeting loads a meeting as a dependency; nil for an ill-formed ID
// (the domain then refuses the command).
func (l *Ledger) loadMeeting(ctx context.Context, id domain.MeetingID) (*loaded[*domain.Meeting], error) {
	if !wellFormedID(string(id)) {
		return nil, nil
	}
	return l.depMeetings.load(ctx, domain.MeetingStream(id), func() *domain.Meeting { return domain.NewMeeting(id) })
}

// votedSync takes the voted-meetings lock and waits until the index has
// folded every event stored now. The caller must call unlock.
func (l *Ledger) votedSync(ctx context.Context) (unlock func(), err error) {
	select {
	case l.votedTurn <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("voted meetings: waiting for the turn: %w", ctx.Err())
	}
	unlock = func() { <-l.votedTurn }
	head, err := l.store.Head(ctx)
	if err == nil {
		err = l.voted.WaitFor(ctx, head)
	}
	if err != nil {
		unlock()
		return nil, fmt.Errorf("voted meetings: %w", err)
	}
	return unlock, nil
}

// citesUtterances reports whether a recommendation cites an utterance (its
// transcript is then loaded to check it).
func citesUtterances(sources []domain.RecommendationSource) bool {
	for _, s := range sources {
		if s.Kind == domain.SourceUtterance {
			return true
		}
	}
	return false
}

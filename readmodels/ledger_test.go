package readmodels_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
)

// ledger drives commands through the command side (app.Handler) against a
// store, as the server does.
type ledger struct {
	t           testing.TB
	store       eventstore.Store
	proposals   *app.Handler[*domain.Proposal]
	registry    *app.Handler[*domain.Registry]
	monthly     *app.Handler[*domain.MonthlyMeeting]
	cases       *app.Handler[*domain.Case]
	meetings    *app.Handler[*domain.Meeting]
	transcripts *app.Handler[*domain.Transcript]
	erasures    *app.Handler[*domain.Erasures]
	// last is the last event stored.
	last eventstore.Event
}

func newLedger(t testing.TB, store eventstore.Store) *ledger {
	cfg := app.Config{}
	return &ledger{t: t, store: store,
		proposals:   app.NewHandler[*domain.Proposal](store, cfg),
		registry:    app.NewHandler[*domain.Registry](store, cfg),
		monthly:     app.NewHandler[*domain.MonthlyMeeting](store, cfg),
		cases:       app.NewHandler[*domain.Case](store, cfg),
		meetings:    app.NewHandler[*domain.Meeting](store, cfg),
		transcripts: app.NewHandler[*domain.Transcript](store, cfg),
		erasures:    app.NewHandler[*domain.Erasures](store, cfg),
	}
}

var (
	secret       = []byte("readmodels test secret")
	staff        = domain.Actor{ID: "staff-ghost", Role: domain.RolePDIS}
	stenographer = domain.Actor{ID: "steno-1", Role: domain.RoleStenographer}
	secretariat  = domain.Actor{ID: "ey-sec-1", Role: domain.RoleSecretariat}
	moiPO        = domain.Actor{ID: "po-moi-chief", Role: domain.RolePO, Ministry: "moi"}
	mohwPO       = domain.Actor{ID: "po-mohw-chief", Role: domain.RolePO, Ministry: "mohw"}
	motPO        = domain.Actor{ID: "po-mot-chief", Role: domain.RolePO, Ministry: "mot"}
	moiMinistry  = domain.Actor{ID: "moi-official", Role: domain.RoleMinistry, Ministry: "moi"}
	mohwMinistry = domain.Actor{ID: "mohw-official", Role: domain.RoleMinistry, Ministry: "mohw"}
	proposer     = domain.Actor{ID: string(domain.Pseudonym(secret, "PROPOSER")), Role: domain.RoleProposer}
	speakerA     = domain.Actor{ID: "speaker-a", Role: domain.RoleCitizen}
)

func citizen(n int) domain.Actor {
	return domain.Actor{ID: string(domain.Pseudonym(secret, fmt.Sprintf("A%09d", n))), Role: domain.RoleCitizen}
}

func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// handle runs one command and fails the test if it is refused.
func handle[A domain.Aggregate](l *ledger, h *app.Handler[A], stream string, newFn func() A, actor domain.Actor, at time.Time, decide func(A, time.Time) ([]domain.Event, error)) app.Result {
	l.t.Helper()
	res, err := h.Handle(context.Background(), app.Request[A]{Stream: stream, New: newFn, Actor: actor, At: at, Decide: decide})
	if err != nil {
		l.t.Fatalf("%s: %v", stream, err)
	}
	if n := len(res.Events); n > 0 {
		l.last = res.Events[n-1]
	}
	return res
}

// load rebuilds an aggregate from its stream, for decisions that need
// another aggregate.
func load[A domain.Aggregate](l *ledger, stream string, agg A) A {
	l.t.Helper()
	evs, err := l.store.ReadStream(context.Background(), stream, 1, 1<<20)
	if err != nil {
		l.t.Fatal(err)
	}
	for _, ev := range evs {
		e, err := domain.Decode(ev.Type, ev.SchemaVersion, ev.Data)
		if err != nil {
			l.t.Fatal(err)
		}
		if err := agg.Apply(e); err != nil {
			l.t.Fatal(err)
		}
	}
	return agg
}

func (l *ledger) proposal(id domain.ProposalID, actor domain.Actor, at time.Time, decide func(*domain.Proposal, time.Time) ([]domain.Event, error)) app.Result {
	l.t.Helper()
	return handle(l, l.proposals, domain.ProposalStream(id), func() *domain.Proposal { return domain.NewProposal(id) }, actor, at, decide)
}

// erase records an erasure of the given event's paths (the story keeps no
// secrets store: it records the event as the command side would after
// deleting them).
func (l *ledger) erase(actor domain.Actor, at time.Time, cmd domain.Erase, erased []domain.ErasedField) app.Result {
	l.t.Helper()
	return handle(l, l.erasures, domain.ErasuresStream(), domain.NewErasures, actor, at, func(e *domain.Erasures, at time.Time) ([]domain.Event, error) {
		return e.Decide(cmd, actor, at, erased)
	})
}

func (l *ledger) reg(actor domain.Actor, at time.Time, decide func(*domain.Registry, time.Time) ([]domain.Event, error)) app.Result {
	l.t.Helper()
	return handle(l, l.registry, domain.RegistryStream(), domain.NewRegistry, actor, at, decide)
}

func (l *ledger) vote(id domain.MonthlyMeetingID, actor domain.Actor, at time.Time, decide func(*domain.MonthlyMeeting, time.Time) ([]domain.Event, error)) app.Result {
	l.t.Helper()
	return handle(l, l.monthly, domain.MonthlyMeetingStream(id), func() *domain.MonthlyMeeting { return domain.NewMonthlyMeeting(id) }, actor, at, decide)
}

func (l *ledger) kase(id domain.CaseID, actor domain.Actor, at time.Time, decide func(*domain.Case, time.Time) ([]domain.Event, error)) app.Result {
	l.t.Helper()
	return handle(l, l.cases, domain.CaseStream(id), func() *domain.Case { return domain.NewCase(id) }, actor, at, decide)
}

func (l *ledger) meeting(id domain.MeetingID, actor domain.Actor, at time.Time, decide func(*domain.Meeting, time.Time) ([]domain.Event, error)) app.Result {
	l.t.Helper()
	return handle(l, l.meetings, domain.MeetingStream(id), func() *domain.Meeting { return domain.NewMeeting(id) }, actor, at, decide)
}

func (l *ledger) transcript(id domain.MeetingID, actor domain.Actor, at time.Time, decide func(*domain.Transcript, time.Time) ([]domain.Event, error)) app.Result {
	l.t.Helper()
	return handle(l, l.transcripts, domain.TranscriptStream(id), func() *domain.Transcript { return domain.NewTranscript(id) }, actor, at, decide)
}

func (l *ledger) loadCase(id domain.CaseID) *domain.Case {
	return load(l, domain.CaseStream(id), domain.NewCase(id))
}

func (l *ledger) loadMeeting(id domain.MeetingID) *domain.Meeting {
	return load(l, domain.MeetingStream(id), domain.NewMeeting(id))
}

// Times of the story, Asia/Taipei.
var (
	tStart = time.Date(2026, 1, 5, 9, 0, 0, 0, calendar.Taipei)
	day    = 24 * time.Hour
)

// smallProposals are Join's rules scaled down: 5 signatures, milestones at
// 2 and 4.
var smallProposals = domain.ProposalConfig{Threshold: 5, Window: domain.Period{Days: 60}, Milestones: []int{2, 4}, ResponseDeadline: domain.Period{Months: 2}}

// registerNetwork registers three ministries and their chief POs.
func (l *ledger) registerNetwork(at time.Time) {
	for _, m := range []domain.RegisterMinistry{{MinistryID: "moi", Name: "內政部"}, {MinistryID: "mohw", Name: "衛生福利部"}, {MinistryID: "mot", Name: "交通部"}} {
		l.reg(staff, at, func(r *domain.Registry, at time.Time) ([]domain.Event, error) {
			return r.RegisterMinistry(m, staff, at)
		})
	}
	for _, p := range []domain.RegisterPO{
		{POID: moiPO.ID, Name: "內政部主任PO", Ministry: "moi", Role: domain.POChief, Year: 2026},
		{POID: mohwPO.ID, Name: "衛福部主任PO", Ministry: "mohw", Role: domain.POChief, Year: 2026},
		{POID: motPO.ID, Name: "交通部主任PO", Ministry: "mot", Role: domain.POChief, Year: 2026},
		{POID: "po-mot-unit", Name: "交通部PO", Ministry: "mot", Role: domain.POUnit, Year: 2026},
	} {
		l.reg(staff, at, func(r *domain.Registry, at time.Time) ([]domain.Event, error) { return r.RegisterPO(p, staff, at) })
	}
	l.reg(staff, at, func(r *domain.Registry, at time.Time) ([]domain.Event, error) {
		return r.RenewPO(domain.RenewPO{POID: "po-mot-unit", Year: 2027}, staff, at)
	})
	l.reg(staff, at, func(r *domain.Registry, at time.Time) ([]domain.Event, error) {
		return r.ChangePORole(domain.ChangePORole{POID: motPO.ID, Role: domain.POUnit, Reason: "handover"}, staff, at)
	})
	l.reg(staff, at, func(r *domain.Registry, at time.Time) ([]domain.Event, error) {
		return r.RetirePO(domain.RetirePO{POID: "po-mot-unit", Reason: "moved on"}, staff, at)
	})
}

// establish submits, publishes and signs proposal id with n citizens
// (numbered from first), one every hour from at.
func (l *ledger) establish(id domain.ProposalID, at time.Time, first, n int) {
	l.establishWith(domain.PublishProposal{ProposalID: id, CompetentMinistry: "moi", CoOrganisers: []domain.MinistryID{"mohw"}}, at, first, n)
}

// establishWith is establish with the ministries pub names.
func (l *ledger) establishWith(pub domain.PublishProposal, at time.Time, first, n int) {
	id := pub.ProposalID
	l.proposal(id, proposer, at, func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return p.Submit(domain.SubmitProposal{ProposalID: id, Title: "提案 " + string(id), Summary: "摘要"}, proposer, at)
	})
	l.proposal(id, staff, at.Add(time.Hour), func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return p.Publish(pub, staff, at, smallProposals)
	})
	for i := range n {
		c := citizen(first + i)
		l.proposal(id, c, at.Add(time.Duration(2+i)*time.Hour), func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
			return p.Sign(domain.SignProposal{ProposalID: id, Signer: domain.SignerID(c.ID)}, c, at)
		})
	}
}

// Package demo generates the built-in demo data: a small but complete story
// of the participation process, recorded through the real command side
// (app.Ledger.Execute: policy checks, domain decisions, events with content
// hashes), with each act's occurred-at set to when it happened, so that an
// as-of view shows the history unfolding from 2019 to today.
//
// The story is written by this package; nothing is read from files at run
// time. It holds:
//
//   - the PO registry: six ministries and agencies, chief and unit POs,
//     yearly renewals from 2019 and one PO retired;
//   - five proposals with signature curves: demo-p1 established past 5,000
//     (milestones 1,000 and 3,000) and answered on time; demo-p2 established,
//     its deadline of 23 November extended to 23 January, then missed and
//     answered late; demo-p3 expired below the threshold; demo-p4 still
//     collecting; demo-p5 submitted, awaiting review;
//   - two PO monthly meetings (2024-04, 2026-10) with candidates of every
//     kind, ballots from several ministries, and the tally;
//   - three collaboration cases: demo-case-1 through every stage to closed
//     (three collaborative meetings with notes, anonymous questions,
//     recordings and transcripts edited, reverted and reattributed; five
//     recommendations answered with every verdict); demo-case-2 in research;
//     demo-case-3 from an Executive Yuan assignment, in the meetings stage.
//
// Load is idempotent: a ledger that already holds demo-p1 is left as it is.
package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
)

// Identifiers of the demo's showcase records, for links and tests.
const (
	// MarkerProposal is the first demo proposal; its presence means the
	// demo is loaded.
	MarkerProposal domain.ProposalID = "demo-p1"
	// ProposalLateResponse is the proposal whose extended deadline was
	// missed.
	ProposalLateResponse domain.ProposalID = "demo-p2"
	// ProposalExpired is the proposal that expired below the threshold.
	ProposalExpired domain.ProposalID = "demo-p3"
	// ProposalCollecting is the proposal still collecting signatures.
	ProposalCollecting domain.ProposalID = "demo-p4"
	// ProposalSubmitted is the proposal awaiting review.
	ProposalSubmitted domain.ProposalID = "demo-p5"
	// MonthlyMeeting is the PO monthly meeting that selected the showcase
	// case's topic.
	MonthlyMeeting domain.MonthlyMeetingID = "2024-04"
	// MonthlyMeetingRecent is the PO monthly meeting of October 2026.
	MonthlyMeetingRecent domain.MonthlyMeetingID = "2026-10"
	// ShowcaseCase is the case that went through every stage to closed.
	ShowcaseCase domain.CaseID = "demo-case-1"
	// ResearchCase is the case in the research stage.
	ResearchCase domain.CaseID = "demo-case-2"
	// AssignmentCase is the case opened from an Executive Yuan assignment.
	AssignmentCase domain.CaseID = "demo-case-3"
	// ShowcaseMeeting is the showcase case's first collaborative meeting,
	// whose transcript was edited, reverted and reattributed.
	ShowcaseMeeting domain.MeetingID = "demo-case-1-discover"
	// CorrelationID is recorded on every demo command, so that the demo's
	// events can be told from real ones.
	CorrelationID = "demo"
)

// Options tune Load.
type Options struct {
	// Store is the store the ledger writes to; Load reads the marker
	// proposal from it. Required.
	Store eventstore.Store
	// Now anchors the parts of the story that are "current" (the proposal
	// still collecting signatures, the one just submitted). Default
	// time.Now().
	Now time.Time
}

// Summary says what Load did.
type Summary struct {
	// AlreadyLoaded: the ledger already held the demo; nothing was done.
	AlreadyLoaded bool
	// Commands and Events count what was executed and stored (Commands
	// includes every signature).
	Commands, Events int
	// Signatures is the number of signatures recorded.
	Signatures int
	// Elapsed is how long the load took.
	Elapsed time.Duration
	// Proposals, Cases and Meetings list the demo's records, in story order.
	Proposals []domain.ProposalID
	Cases     []domain.CaseID
	Meetings  []domain.MeetingID
	// MonthlyMeetings lists the PO monthly meetings.
	MonthlyMeetings []domain.MonthlyMeetingID
	// ShowcaseCase, ShowcaseMeeting and ShowcaseProposal are the records a
	// first visit should open.
	ShowcaseCase     domain.CaseID
	ShowcaseMeeting  domain.MeetingID
	ShowcaseProposal domain.ProposalID
}

// Loaded reports whether store already holds the demo (its marker
// proposal has events).
func Loaded(ctx context.Context, store eventstore.Store) (bool, error) {
	evs, err := store.ReadStream(ctx, domain.ProposalStream(MarkerProposal), 1, 1)
	if err != nil {
		return false, fmt.Errorf("demo: read marker proposal %s: %w", MarkerProposal, err)
	}
	return len(evs) > 0, nil
}

// Load records the demo through ledger, unless opts.Store already holds it.
// The ledger must have a pseudonym secret (signers are pseudonymised with
// it) and the default process numbers (5,000 signatures, 60 days, 10
// working days). A refusal by the domain is returned wrapped with the step
// that caused it; what was stored before it stays stored.
func Load(ctx context.Context, ledger *app.Ledger, opts Options) (Summary, error) {
	start := time.Now()
	if ledger == nil || opts.Store == nil {
		return Summary{}, errors.New("demo: load needs a ledger and its store")
	}
	done, err := Loaded(ctx, opts.Store)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{ShowcaseCase: ShowcaseCase, ShowcaseMeeting: ShowcaseMeeting, ShowcaseProposal: MarkerProposal}
	if done {
		sum.AlreadyLoaded = true
		sum.Elapsed = time.Since(start)
		return sum, nil
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	s := newScript(ledger, now)
	if err := s.write(); err != nil {
		return Summary{}, err
	}
	if err := s.run(ctx, &sum); err != nil {
		return sum, err
	}
	sum.Proposals, sum.Cases, sum.Meetings, sum.MonthlyMeetings = s.proposals, s.cases, s.meetings, s.monthlies
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// step is one act of the story: a command, or one moment's signatures on a
// proposal (decided concurrently, so the command side batches them).
type step struct {
	at      time.Time
	actor   domain.Actor
	cmd     domain.Command
	signers []domain.SignerID
	pid     domain.ProposalID
}

// script is the story being written, then run in time order.
type script struct {
	ledger *app.Ledger
	now    time.Time
	cal    *calendar.Calendar
	steps  []step

	proposals []domain.ProposalID
	cases     []domain.CaseID
	meetings  []domain.MeetingID
	monthlies []domain.MonthlyMeetingID
}

func newScript(l *app.Ledger, now time.Time) *script {
	return &script{ledger: l, now: now, cal: calendar.Taiwan()}
}

// do adds a command at a moment.
func (s *script) do(at time.Time, actor domain.Actor, cmd domain.Command) {
	s.steps = append(s.steps, step{at: at, actor: actor, cmd: cmd})
}

// sign adds one moment's signatures.
func (s *script) sign(at time.Time, pid domain.ProposalID, signers []domain.SignerID) {
	if len(signers) > 0 {
		s.steps = append(s.steps, step{at: at, pid: pid, signers: signers})
	}
}

// run executes the steps in time order (story order among equal times).
func (s *script) run(ctx context.Context, sum *Summary) error {
	slices.SortStableFunc(s.steps, func(a, b step) int { return a.at.Compare(b.at) })
	for _, st := range s.steps {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		opts := []app.Option{app.WithOccurredAt(st.at), app.WithCorrelationID(CorrelationID)}
		if st.cmd != nil {
			res, err := s.ledger.Execute(ctx, st.actor, st.cmd, opts...)
			if err != nil {
				return fmt.Errorf("demo: %s as %s at %s: %w", st.cmd.CommandName(), st.actor, st.at.Format(time.RFC3339), err)
			}
			if len(res.Events) == 0 {
				return fmt.Errorf("demo: %s as %s at %s stored nothing", st.cmd.CommandName(), st.actor, st.at.Format(time.RFC3339))
			}
			sum.Commands++
			sum.Events += len(res.Events)
			continue
		}
		n, err := s.signAll(ctx, st, opts)
		sum.Commands += len(st.signers)
		sum.Signatures += len(st.signers)
		sum.Events += n
		if err != nil {
			return err
		}
	}
	return nil
}

// signAll decides one moment's signatures concurrently and returns the
// number of events stored.
func (s *script) signAll(ctx context.Context, st step, opts []app.Option) (int, error) {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		events int
		first  error
	)
	for _, signer := range st.signers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			actor := domain.Actor{ID: string(signer), Role: domain.RoleCitizen}
			res, err := s.ledger.Execute(ctx, actor, domain.SignProposal{ProposalID: st.pid, Signer: signer}, opts...)
			mu.Lock()
			defer mu.Unlock()
			events += len(res.Events)
			if err != nil && first == nil {
				first = fmt.Errorf("demo: sign %s at %s: %w", st.pid, st.at.Format(time.RFC3339), err)
			}
		}()
	}
	wg.Wait()
	return events, first
}

// at parses a moment of the story, "2006-01-02 15:04", Asia/Taipei.
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Taipei)
	if err != nil {
		panic("demo: bad time " + s)
	}
	return t
}

package readmodels

import (
	"context"
	"fmt"
	"sync"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
)

// VotedIndex is the read model of voted meetings, the domain.VotedMeetings
// the command side (app.Ledger) hands its decisions: the dates of each
// organising ministry's collaborative meetings on voted topics, folded from
// the meeting.scheduled events (Voted: true) of the whole log. It lives in
// memory and folds the log from the beginning (Fold), fed by the Ledger's
// own reader of the log rather than by a projections.Runner: the command
// side needs it in every process that decides commands, including those
// that run no read models.
//
// Consistency: the index is eventually consistent with the log. The Ledger
// makes it exact where it matters: before deciding a command that reads it
// (meeting.schedule, monthly.close) it waits until the index has folded
// every event stored when the command arrived, and it decides those
// commands one at a time, so within one process a schedule always sees
// every voted meeting scheduled before it. Two processes scheduling voted
// meetings of the same organiser at the same moment on different meeting
// streams can both pass the 45-day check; the rule is re-checked whenever
// a later meeting is scheduled and when the next vote is tallied, and an
// auditor sees both meetings in the log.
type VotedIndex struct {
	mu    sync.RWMutex
	dates map[domain.MinistryID][]votedMeeting
	pos   eventstore.Position
	err   error
	// changed is closed by the next fold; made only while someone waits,
	// so a bulk import's million events make no channel each.
	changed chan struct{}
}

// votedMeeting is one voted meeting of an organiser: its date and case.
type votedMeeting struct {
	date calendar.Date
	kase domain.CaseID
}

// NewVotedIndex returns an empty index, at position 0: Follow fills it.
func NewVotedIndex() *VotedIndex {
	return &VotedIndex{dates: map[domain.MinistryID][]votedMeeting{}}
}

// VotedMeetingDates implements domain.VotedMeetings.
func (v *VotedIndex) VotedMeetingDates(organiser domain.MinistryID, except domain.CaseID) []calendar.Date {
	v.mu.RLock()
	defer v.mu.RUnlock()
	var out []calendar.Date
	for _, m := range v.dates[organiser] {
		if except == "" || m.kase != except {
			out = append(out, m.date)
		}
	}
	return out
}

// Position returns the position of the last event the index has folded.
func (v *VotedIndex) Position() eventstore.Position {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.pos
}

// WaitFor returns once the index has folded every event up to position p,
// or with ctx's error (wrapping the index's last read error, if any).
func (v *VotedIndex) WaitFor(ctx context.Context, p eventstore.Position) error {
	for {
		v.mu.Lock()
		pos, lastErr := v.pos, v.err
		if pos >= p {
			v.mu.Unlock()
			return nil
		}
		if v.changed == nil {
			v.changed = make(chan struct{})
		}
		ch := v.changed
		v.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			if lastErr != nil {
				return fmt.Errorf("voted meetings index at %d of %d: %w (last read error: %w)", pos, p, ctx.Err(), lastErr)
			}
			return fmt.Errorf("voted meetings index at %d of %d: %w", pos, p, ctx.Err())
		}
	}
}

// Fold applies one stored event of the log, in position order; an event
// at or before the index's position is ignored. Follow calls it; a process
// that reads the log once for several indexes (app.Ledger) calls it
// instead of Follow.
func (v *VotedIndex) Fold(ev eventstore.Event) error {
	var add domain.MeetingScheduled
	isVoted := false
	if ev.Type == (domain.MeetingScheduled{}).EventType() {
		e, err := domain.Decode(ev.Type, ev.SchemaVersion, ev.Data)
		if err != nil {
			return fmt.Errorf("voted meetings index at position %d: %w", ev.Position, err)
		}
		if s, ok := e.(domain.MeetingScheduled); ok && s.Voted && s.Organiser != "" {
			add, isVoted = s, true
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if ev.Position <= v.pos {
		return nil
	}
	if isVoted {
		v.dates[add.Organiser] = append(v.dates[add.Organiser], votedMeeting{date: calendar.DateOf(add.StartsAt), kase: add.CaseID})
	}
	v.pos = ev.Position
	v.err = nil
	if v.changed != nil {
		close(v.changed)
		v.changed = nil
	}
	return nil
}

// SetErr records a failure to read the log, which WaitFor reports to its
// waiters until the next fold.
func (v *VotedIndex) SetErr(err error) {
	v.mu.Lock()
	v.err = err
	v.mu.Unlock()
}

package readmodels

import (
	"context"
	"errors"
	"fmt"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
)

// ErrNotYet: the subject exists in the log, but not as of the point asked
// for: nothing of it had happened (occurred-at clock) or been recorded
// (recorded-at clock, position) by then.
var ErrNotYet = errors.New("did not exist yet")

// ProposalAsOf folds a proposal as it stood at a point: its own stream, and
// the opening of each case opened from it (cases: the live tally's Cases,
// which can only grow), into fresh in-memory read models. Query it with
// Proposal(ctx, snap.Reader(TalliesName), id, v). The error wraps ErrNotYet
// when the proposal had no event by then.
func ProposalAsOf(ctx context.Context, store eventstore.Store, id domain.ProposalID, cases []string, at AsOf) (*Snapshot, error) {
	return subjectAsOf(ctx, store, "proposal "+string(id), []string{domain.ProposalStream(id)}, caseStreamsOf(cases), at)
}

// MonthlyAsOf folds a PO monthly meeting as it stood at a point: its own
// stream, and the opening of each case it selected (cases: the live
// tally's Cases). Query it with Monthly(ctx, snap.Reader(TalliesName), id).
// The error wraps ErrNotYet when the meeting had no event by then.
func MonthlyAsOf(ctx context.Context, store eventstore.Store, id domain.MonthlyMeetingID, cases []string, at AsOf) (*Snapshot, error) {
	return subjectAsOf(ctx, store, "monthly meeting "+string(id), []string{domain.MonthlyMeetingStream(id)}, caseStreamsOf(cases), at)
}

// MeetingAsOf folds a meeting as it stood at a point: its stream and its
// transcript's. Query it with Meeting(ctx, snap.Reader(TranscriptsName), id,
// v). The error wraps ErrNotYet when the meeting had no event by then.
func MeetingAsOf(ctx context.Context, store eventstore.Store, id domain.MeetingID, at AsOf) (*Snapshot, error) {
	return subjectAsOf(ctx, store, "meeting "+string(id), []string{domain.MeetingStream(id), domain.TranscriptStream(id)}, nil, at)
}

func caseStreamsOf(cases []string) []string {
	out := make([]string, len(cases))
	for i, c := range cases {
		out[i] = domain.CaseStream(domain.CaseID(c))
	}
	return out
}

// subjectAsOf folds streams in full and the first event of each of heads
// (a case's opening) as of at. The subject did not exist yet when none of
// streams' events is part of the view.
func subjectAsOf(ctx context.Context, store eventstore.Store, what string, streams, heads []string, at AsOf) (*Snapshot, error) {
	if err := at.validate(); err != nil {
		return nil, err
	}
	snap, err := foldStreamsHeads(ctx, store, streams, heads, at)
	if err != nil {
		return nil, fmt.Errorf("%s as of %s: %w", what, describeAsOf(at), err)
	}
	if snap.own == 0 {
		return nil, fmt.Errorf("%s as of %s: %w", what, describeAsOf(at), ErrNotYet)
	}
	return snap, nil
}

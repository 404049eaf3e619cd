package readmodels

import (
	"context"

	"github.com/pdis/collab-ledger/projections"
)

// The lists the public pages show: every proposal, meeting and PO monthly
// vote, read from the read models that fold them. Each is a scan of one
// collection; the pages keep what they derive from them between changes
// of the log (web/directory.go).

// ProposalList returns every proposal's tally as view v may see it, by ID.
func ProposalList(ctx context.Context, r projections.Reader, v View) ([]ProposalTally, error) {
	var out []ProposalTally
	err := projections.ScanAll(ctx, r, collProposals, "", func(_ string, p ProposalTally) error {
		out = append(out, p.For(v))
		return nil
	})
	return out, wrap(err, "proposals")
}

// MonthlyList returns every PO monthly meeting's vote, by ID.
func MonthlyList(ctx context.Context, r projections.Reader) ([]MonthlyTally, error) {
	var out []MonthlyTally
	err := projections.ScanAll(ctx, r, collMonthly, "", func(_ string, m MonthlyTally) error {
		out = append(out, m)
		return nil
	})
	return out, wrap(err, "monthly meetings")
}

// MeetingList returns every meeting the Transcripts read model knows, as
// view v may see it, without its transcript's utterances, notes or
// questions (Meeting reads those), by ID.
func MeetingList(ctx context.Context, r projections.Reader, v View) ([]MeetingRecord, error) {
	var out []MeetingRecord
	err := projections.ScanAll(ctx, r, collMeetings, "", func(_ string, m MeetingRecord) error {
		m.Participants, m.Recordings = nil, nil
		out = append(out, m.For(v))
		return nil
	})
	return out, wrap(err, "meetings")
}

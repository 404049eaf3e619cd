package readmodels

import (
	"context"

	"github.com/pdis/collab-ledger/domain"
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

// UtteranceOf returns one utterance of a meeting as it reads now (without
// its versions), as view v may see it; ok is false for an unknown or, for
// public views, removed one.
func UtteranceOf(ctx context.Context, r projections.Reader, meeting domain.MeetingID, id string, v View) (Utterance, bool, error) {
	u, ok, err := projections.Get[Utterance](ctx, r, collUtterances, childKey(meeting, id))
	if err != nil || !ok || u.Removed != nil && !v.auditor() {
		return Utterance{}, false, wrap(err, "utterance %s/%s", meeting, id)
	}
	if !v.auditor() {
		u.Speaker = publicSpeaker(u.Speaker)
	}
	// Its current text is its latest version's.
	err = projections.ScanAll(ctx, r, collVersions, childKey(meeting, id)+"/", func(_ string, ver UtteranceVersion) error {
		if ver.Version >= u.Version {
			u.Paragraphs, u.Version = ver.Paragraphs, ver.Version
		}
		return nil
	})
	u.Versions = nil
	return u, true, wrap(err, "utterance %s/%s", meeting, id)
}

// NoteOf returns one note of a meeting as view v may see it; ok is false
// for an unknown or, for public views, removed one.
func NoteOf(ctx context.Context, r projections.Reader, meeting domain.MeetingID, id string, v View) (Note, bool, error) {
	n, ok, err := projections.Get[Note](ctx, r, collNotes, childKey(meeting, id))
	if err != nil || !ok || n.Removed != nil && !v.auditor() {
		return Note{}, false, wrap(err, "note %s/%s", meeting, id)
	}
	return n.For(v), true, nil
}

// QuestionOf returns one anonymous question of a meeting; ok is false for
// an unknown or, for public views, archived one.
func QuestionOf(ctx context.Context, r projections.Reader, meeting domain.MeetingID, id string, v View) (Question, bool, error) {
	q, ok, err := projections.Get[Question](ctx, r, collQuestions, childKey(meeting, id))
	if err != nil || !ok || q.Archived != nil && !v.auditor() {
		return Question{}, false, wrap(err, "question %s/%s", meeting, id)
	}
	return q, true, nil
}

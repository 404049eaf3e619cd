package importer

import (
	"slices"

	"github.com/pdis/collab-ledger/akn"
	"github.com/pdis/collab-ledger/domain"
)

// ChangesNormalised is Changes, with the transcript's normalisation
// (domain.NormaliseTranscript: full-width punctuation, width, spacing)
// first when it brings the transcript nearer to target: when fewer
// utterances need a correction after it than without it. Going from a
// stenographer's raw record to the published text is such a case: the
// normalisation is then recorded once, and only the real wording changes
// as corrections.
func ChangesNormalised(meeting domain.MeetingID, cur []domain.CurrentUtterance, target []akn.Utterance, newID func(int) domain.UtteranceID) []domain.Command {
	plain := Changes(meeting, cur, target, newID)
	norm := make([]domain.CurrentUtterance, len(cur))
	changed := false
	for i, u := range cur {
		norm[i] = u
		norm[i].Paragraphs = domain.NormaliseParagraphs(u.Paragraphs)
		changed = changed || !slices.Equal(norm[i].Paragraphs, u.Paragraphs)
	}
	if !changed {
		return plain
	}
	alt := Changes(meeting, norm, target, newID)
	if corrections(alt) >= corrections(plain) {
		return plain
	}
	return append([]domain.Command{domain.NormaliseTranscript{MeetingID: meeting}}, alt...)
}

// corrections counts the changes that rewrite an utterance's words.
func corrections(cs []domain.Command) int {
	n := 0
	for _, c := range cs {
		switch c.(type) {
		case domain.CorrectUtterance, domain.SplitUtterance, domain.MergeUtterances:
			n++
		}
	}
	return n
}

package domain

// A recommendation records what it came from — its sources — so that the
// chain from a voice to a response can be followed: this ministry's
// response answers this recommendation, which was raised by these words,
// notes, questions or stakeholders at this meeting.

// RecommendationSourceKind says what kind of thing a source is.
type RecommendationSourceKind string

// Kinds of recommendation source.
const (
	// SourceUtterance: something said at the meeting (an utterance of its
	// transcript, not deleted).
	SourceUtterance RecommendationSourceKind = "utterance"
	// SourceNote: a mind-map or concept-sheet note of the meeting, not
	// removed.
	SourceNote RecommendationSourceKind = "note"
	// SourceQuestion: an anonymous question of the meeting, not archived.
	SourceQuestion RecommendationSourceKind = "question"
	// SourceStakeholder: a stakeholder of the case's inventory (their input
	// as heard in interviews and meetings).
	SourceStakeholder RecommendationSourceKind = "stakeholder"
	// SourceProposal: the Join proposal the case came from.
	SourceProposal RecommendationSourceKind = "proposal"
)

// RecommendationSource is one thing a recommendation came from: an
// utterance, note or question of the meeting the recommendation was made
// at, a stakeholder of the case, or the case's proposal.
type RecommendationSource struct {
	Kind RecommendationSourceKind `json:"kind"`
	// ID is the utterance's, note's, question's, stakeholder's or
	// proposal's ID.
	ID string `json:"id" ledger:"public"`
}

// maxRecommendationSources bounds a recommendation's sources.
const maxRecommendationSources = 50

// checkSources refuses a source that does not belong to the case: an
// utterance, note or question that is not the meeting's (or was deleted,
// removed or archived), a stakeholder not in the case's inventory, a
// proposal other than the one the case came from, or the same source
// twice. meeting is the recommendation's meeting; transcript is its
// transcript (nil: none loaded, and no utterance can be cited).
func (c *Case) checkSources(sources []RecommendationSource, meeting *Meeting, transcript *Transcript) error {
	if len(sources) > maxRecommendationSources {
		return violated("case.record_recommendation.too_many_sources", "a recommendation cites at most %d sources, got %d", maxRecommendationSources, len(sources))
	}
	seen := map[RecommendationSource]bool{}
	for _, s := range sources {
		if err := validID(CmdRecordRecommendation, "source", s.ID); err != nil {
			return err
		}
		if seen[s] {
			return violated("case.record_recommendation.duplicate_source", "%s %s cited twice", s.Kind, s.ID)
		}
		seen[s] = true
		ok := false
		switch s.Kind {
		case SourceUtterance:
			if transcript != nil && transcript.MeetingID() == meeting.ID() {
				_, _, found := transcript.Utterance(UtteranceID(s.ID))
				ok = found && !transcript.Deleted(UtteranceID(s.ID))
			}
		case SourceNote:
			_, removed, found := meeting.NoteText(NoteID(s.ID))
			ok = found && !removed
		case SourceQuestion:
			st, found := meeting.questions[QuestionID(s.ID)]
			ok = found && st != questionArchived
		case SourceStakeholder:
			_, ok = c.stakeholders[StakeholderID(s.ID)]
		case SourceProposal:
			ok = c.source.CandidateKind == CandidateEstablishedProposal && c.source.SourceRef == s.ID
		default:
			return violated("case.record_recommendation.source_kind", "unknown kind of source %q", s.Kind)
		}
		if !ok {
			return violated("case.record_recommendation.source_not_of_case", "source %s %s is not of meeting %s or case %s (or no longer public)", s.Kind, s.ID, meeting.ID(), c.id)
		}
	}
	return nil
}

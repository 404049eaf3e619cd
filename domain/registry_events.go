package domain

// init registers every event type of the domain with the decoding registry.
// A test checks that every type here is applied by its aggregate and
// round-trips through Encode and Decode.
func init() {
	// Proposal
	register[ProposalSubmitted]()
	register[ProposalPublished]()
	register[ProposalSigned]()
	register[ProposalMilestoneReached]()
	register[ProposalEstablished]()
	register[ProposalSignatureInvalidated]()
	register[ProposalExpired]()
	register[ProposalResponseDeadlineExtended]()
	register[ProposalResponded]()
	register[ProposalResponseDeadlineMissed]()
	// PO registry
	register[MinistryRegistered]()
	register[PORegistered]()
	register[PORenewed]()
	register[PORetired]()
	register[PORoleChanged]()
	// Monthly meeting
	register[MonthlyMeetingOpened]()
	register[MonthlyCandidateAdded]()
	register[MonthlyBallotCast]()
	register[MonthlyMeetingClosed]()
	// Case
	register[CaseOpened]()
	register[CaseLeadAssigned]()
	register[CaseCoOrganiserAdded]()
	register[CaseCoOrganiserRemoved]()
	register[CaseStageChanged]()
	register[CaseStakeholderAdded]()
	register[CaseInterviewRecorded]()
	register[CaseMaterialAdded]()
	register[CaseRecommendationRecorded]()
	register[CaseReportedToPremier]()
	register[CaseDirectiveRecorded]()
	register[CaseResponseRecorded]()
	register[CaseProposalLinked]()
	register[CaseRecordEnded]()
	// Meeting
	register[MeetingScheduled]()
	register[MeetingParticipantAdded]()
	register[MeetingAttendanceRecorded]()
	register[MeetingNoteAdded]()
	register[MeetingNoteRevised]()
	register[MeetingNoteRemoved]()
	register[MeetingQuestionPosted]()
	register[MeetingQuestionAnswered]()
	register[MeetingQuestionArchived]()
	register[MeetingRecordingAdded]()
	register[MeetingClosed]()
	// Erasures
	register[DataErased]()
	// Transcript
	register[TranscriptStarted]()
	register[TranscriptUtteranceRecorded]()
	register[TranscriptPublished]()
	register[TranscriptUtteranceEdited]()
	register[TranscriptEditReverted]()
	register[TranscriptSpeakerReattributed]()
	register[TranscriptImported]()
	register[TranscriptVersionImported]()
	register[TranscriptUtteranceCorrected]()
	register[TranscriptUtteranceInserted]()
	register[TranscriptUtteranceDeleted]()
	register[TranscriptUtteranceSplit]()
	register[TranscriptUtterancesMerged]()
	register[TranscriptUtteranceReclassified]()
}

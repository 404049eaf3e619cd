// Package domain is the pure model of Taiwan's open-government participation
// process: Join proposals and their signatures, the Participation Officer
// (PO) registry, PO monthly meetings that vote on topics, collaboration
// cases with their stage machine and outcomes, meetings (notes, anonymous
// questions, recordings) and their transcripts.
//
// It does no I/O: no store, no clock, no randomness. Time is passed in ("at",
// when the thing happened, which for an import is in the past), identifiers
// are chosen by the caller, and anything from another aggregate a decision
// needs is passed in as a loaded aggregate or a small look-up interface.
//
// # Aggregates and streams
//
// One aggregate is one event stream:
//
//	Proposal        ProposalStream(id)        "proposal-<id>"      submit, publish, sign, expire, respond
//	Registry        RegistryStream()          "po-registry"        ministries, agencies, POs (one stream)
//	MonthlyMeeting  MonthlyMeetingStream(id)  "po-monthly-<id>"    candidates, ballots, tally
//	Case            CaseStream(id)            "case-<id>"          stages, organisers, inventory, outcomes
//	Meeting         MeetingStream(id)         "meeting-<id>"       participants, notes, questions, recordings
//	Transcript      TranscriptStream(id)      "transcript-<id>"    utterances, every version, imports, staff changes
//
// # The decider shape
//
// Each aggregate's state is rebuilt by applying its events in order:
//
//	p := domain.NewProposal(id)
//	for _, stored := range streamEvents {
//		e, err := domain.Decode(stored.Type, stored.SchemaVersion, stored.Data)
//		...
//		if err := p.Apply(e); err != nil { ... } // corrupt stream: ErrInvalidEvent
//	}
//
// A decision is a method that takes a command, the actor, the time and any
// configuration or look-up it needs, and returns new events or a refusal. It
// never changes the state:
//
//	events, err := p.Sign(domain.SignProposal{ProposalID: id, Signer: s}, actor, now)
//
// Each aggregate also has a Decide method that dispatches any of its
// commands. To decide many commands on one loaded state (a hot proposal),
// use DecideAndApply in a loop: each accepted decision's events are applied
// before the next is decided, in O(1) per signature, and refused commands
// leave the state untouched; then append all accepted events with the
// version the state was loaded at.
//
// # Events and the registry
//
// Every event type is a struct with a stable name ("proposal.signed"), a
// schema version and camelCase JSON, and embeds Occurred (its "at"). Encode
// and Decode convert between typed events and (type, version, JSON);
// EventTypes lists every type. Events carry the domain-relevant actor
// references (the ministry that voted, the speaker who edited) and reasons;
// who issued the command goes into the envelope metadata, except for
// Anonymous events (anonymous questions), whose author must not be recorded
// anywhere. Copy Event.OccurredAt into the envelope's OccurredAt.
//
// # Who may do what
//
// Policy is the single table of which roles may issue which command, with
// the per-command checks (a PO acts for its own ministry, a speaker edits
// only their own words). Every decision calls Authorize first. A refusal is a
// *RuleError with a stable Rule code and a Kind: ErrForbidden (403),
// ErrRuleViolated (422), ErrNotFound (404) or ErrConflictingState (409). A
// refused command returns no events.
//
// # Imports and staff changes to transcripts
//
// A transcript from elsewhere (an Akoma Ntoso archive, a stenographer's raw
// record) is recorded by one ImportTranscript decision: transcript.started,
// transcript.imported (the source and a content hash) and every
// utterance, decided with "at" = when the meeting happened. A later version
// is one ImportTranscriptVersion decision: transcript.version_imported and
// the staff changes it contains, each its own event with an editor (who it
// is attributed to, never the speaker) and a reason: utterance_corrected,
// utterance_inserted, utterance_deleted, utterance_split,
// utterances_merged, utterance_reclassified, speaker_reattributed (which
// also assigns a speaker to a raw record's unattributed speech). Content or
// revisions already imported decide no events. Meetings, cases and
// monthly meetings recorded from an archive are marked imported
// (ScheduleMeeting.Imported, SourceImported, OpenMonthlyMeeting.Imported).
// Paragraphs are strings in the safe inline subset of package akn.
//
// # Configuration
//
// ProposalConfig, MonthlyConfig and TranscriptConfig hold the numbers (5,000
// signatures, 60 days, milestones, 2 months; choices per ballot, topics,
// 45 days; 10 working days). The numbers in force are recorded in the
// event that opens the process (proposal.published, monthly.opened,
// transcript.published), so a later change of configuration never rewrites
// the rules of a running proposal, vote or edit window. Working days come
// from the calendar subpackage.
package domain

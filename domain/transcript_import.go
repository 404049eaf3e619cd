package domain

import (
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Staff changes to a transcript and the import of transcripts from
// elsewhere (an Akoma Ntoso archive, a stenographer's raw record).
//
// A speaker edits only their own words (EditUtterance). Everything else
// that changes a transcript after it was recorded is a staff change with an
// editor and a reason: a correction of the text (CorrectUtterance), an
// utterance the record missed (InsertUtterance), one that should not be
// there (DeleteUtterance), one that is really two (SplitUtterance), several
// that are really one (MergeUtterances), a line that is narration rather
// than speech (ReclassifyUtterance), and a misattributed speaker
// (ReattributeSpeaker). Each is its own event, so the trail says what kind
// of change was made, never "delete everything, add everything".
//
// The editor of a staff change is who it is attributed to (an archive's
// committer, a PDIS editor): never the speaker, whose own edits are
// transcript.utterance_edited. The actor who issued the command (the
// importer) is in the envelope.
//
// ImportTranscript records a whole transcript in one decision (started,
// imported, and every utterance), and ImportTranscriptVersion records one
// later version as the staff changes it contains, so that an import is one
// append per transcript and per version. Both are idempotent on the
// content hash and revision: content or revisions already imported decide
// no events.

// ---- commands ----

// ImportedUtterance is one utterance of an imported transcript.
type ImportedUtterance struct {
	UtteranceID UtteranceID
	Kind        UtteranceKind
	// Speaker of a speech; empty for narration and headings, and for a
	// speech whose speaker is not known yet (a stenographer's raw record:
	// speakers are assigned afterwards with ReattributeSpeaker).
	Speaker    Speaker
	Paragraphs []string
}

// ImportTranscript records a transcript from a source in one decision.
type ImportTranscript struct {
	MeetingID MeetingID
	// Source names where the transcript came from (a file name, an Akoma
	// Ntoso FRBR URI, "raw:<file>").
	Source string
	// ContentHash is the lower-case hex SHA-256 the importer computed over
	// the utterances; importing the same content again decides nothing.
	ContentHash string
	Utterances  []ImportedUtterance
}

// ImportTranscriptVersion records a later version of an imported
// transcript as the staff changes it contains, dated and attributed as its
// source says.
type ImportTranscriptVersion struct {
	MeetingID MeetingID
	// Revision numbers the version (the import is revision 1). A
	// revision not greater than the last imported one was imported before
	// and decides nothing.
	Revision int
	// Source names the version (a file, a commit).
	Source string
	// ContentHash is the SHA-256 of the version's utterances; a version
	// whose content is the transcript's current content decides nothing
	// (a version reverting to older content is recorded).
	ContentHash string
	// Editor is who the version is attributed to; Reason why it was made
	// (a commit message). They are the default of every change.
	Editor, Reason string
	// Changes are CorrectUtterance, InsertUtterance, DeleteUtterance,
	// SplitUtterance, MergeUtterances, ReclassifyUtterance and
	// ReattributeSpeaker commands, decided in order, each against the
	// transcript as the previous ones left it.
	Changes []Command
}

// CorrectUtterance: staff correct the text of an utterance, which need not
// be their own words (a typo, a truncated sentence completed).
type CorrectUtterance struct {
	MeetingID   MeetingID
	UtteranceID UtteranceID
	Paragraphs  []string
	// Editor is who the correction is attributed to (default: the actor).
	Editor string
	Reason string
}

// InsertUtterance: staff insert an utterance the record missed, after
// After ("" for the very beginning).
type InsertUtterance struct {
	MeetingID   MeetingID
	UtteranceID UtteranceID
	After       UtteranceID
	Kind        UtteranceKind
	Speaker     Speaker
	Paragraphs  []string
	Editor      string
	Reason      string
}

// DeleteUtterance: staff remove an utterance from the transcript; it stays
// in the trail.
type DeleteUtterance struct {
	MeetingID   MeetingID
	UtteranceID UtteranceID
	Editor      string
	Reason      string
}

// UtterancePart is one new utterance split off another.
type UtterancePart struct {
	UtteranceID UtteranceID
	Kind        UtteranceKind
	Speaker     Speaker
	Paragraphs  []string
}

// SplitUtterance: staff split an utterance: it keeps Paragraphs, and Parts
// follow it as new utterances, in order.
type SplitUtterance struct {
	MeetingID   MeetingID
	UtteranceID UtteranceID
	Paragraphs  []string
	Parts       []UtterancePart
	Editor      string
	Reason      string
}

// MergeUtterances: staff merge the utterances Merged, which directly follow
// UtteranceID in order, into it; it then reads Paragraphs.
type MergeUtterances struct {
	MeetingID   MeetingID
	UtteranceID UtteranceID
	Merged      []UtteranceID
	Paragraphs  []string
	Editor      string
	Reason      string
}

// ReclassifyUtterance: staff change an utterance's kind (a raw record's
// "(與會者皆無意見)" line is narration, not speech). A speech needs a
// speaker unless it is not known yet; narration and headings have none.
type ReclassifyUtterance struct {
	MeetingID   MeetingID
	UtteranceID UtteranceID
	Kind        UtteranceKind
	Speaker     Speaker
	Editor      string
	Reason      string
}

// CommandName implements Command.
func (ImportTranscript) CommandName() string { return CmdImportTranscript }

// CommandName implements Command.
func (ImportTranscriptVersion) CommandName() string { return CmdImportVersion }

// CommandName implements Command.
func (CorrectUtterance) CommandName() string { return CmdCorrectUtterance }

// CommandName implements Command.
func (InsertUtterance) CommandName() string { return CmdInsertUtterance }

// CommandName implements Command.
func (DeleteUtterance) CommandName() string { return CmdDeleteUtterance }

// CommandName implements Command.
func (SplitUtterance) CommandName() string { return CmdSplitUtterance }

// CommandName implements Command.
func (MergeUtterances) CommandName() string { return CmdMergeUtterances }

// CommandName implements Command.
func (ReclassifyUtterance) CommandName() string { return CmdReclassifyUtterance }

// ---- events ----

// TranscriptImported: the transcript was imported from Source; the
// utterances follow as transcript.utterance_recorded events. It marks
// every event of the stream after it as imported: their "at" is when the
// thing happened, not when it was recorded.
type TranscriptImported struct {
	MeetingID   MeetingID `json:"meetingId"`
	Source      string    `json:"source" ledger:"public"`
	ContentHash string    `json:"contentHash" ledger:"public"`
	Utterances  int       `json:"utterances"`
	Occurred
}

// TranscriptVersionImported: a later version of the transcript was
// imported; its changes follow as their own events (Changes of them).
type TranscriptVersionImported struct {
	MeetingID   MeetingID `json:"meetingId"`
	Revision    int       `json:"revision"`
	Source      string    `json:"source" ledger:"public"`
	ContentHash string    `json:"contentHash" ledger:"public"`
	Editor      string    `json:"editor" ledger:"public"`
	Reason      string    `json:"reason" ledger:"public"`
	Changes     int       `json:"changes"`
	Occurred
}

// TranscriptUtteranceCorrected: staff corrected an utterance's text;
// Version is its new version number. Editor is who the correction is
// attributed to, never taken for the speaker.
type TranscriptUtteranceCorrected struct {
	MeetingID   MeetingID   `json:"meetingId"`
	UtteranceID UtteranceID `json:"utteranceId"`
	Version     int         `json:"version"`
	Paragraphs  []string    `json:"paragraphs" ledger:"public,withdrawable=utterance"`
	Editor      string      `json:"editor" ledger:"public"`
	Reason      string      `json:"reason" ledger:"public"`
	Occurred
}

// TranscriptUtteranceInserted: staff inserted an utterance after After
// ("" for the beginning).
type TranscriptUtteranceInserted struct {
	MeetingID   MeetingID     `json:"meetingId"`
	UtteranceID UtteranceID   `json:"utteranceId"`
	After       UtteranceID   `json:"after,omitempty"`
	Kind        UtteranceKind `json:"kind"`
	Speaker     *Speaker      `json:"speaker,omitempty"`
	Paragraphs  []string      `json:"paragraphs" ledger:"public,withdrawable=utterance"`
	Editor      string        `json:"editor" ledger:"public"`
	Reason      string        `json:"reason" ledger:"public"`
	Occurred
}

// TranscriptUtteranceDeleted: staff removed an utterance from the
// transcript (it stays in the trail).
type TranscriptUtteranceDeleted struct {
	MeetingID   MeetingID   `json:"meetingId"`
	UtteranceID UtteranceID `json:"utteranceId"`
	Editor      string      `json:"editor" ledger:"personal"`
	Reason      string      `json:"reason" ledger:"confidential"`
	Occurred
}

// SplitPart is a new utterance of a split.
type SplitPart struct {
	UtteranceID UtteranceID   `json:"utteranceId"`
	Kind        UtteranceKind `json:"kind"`
	Speaker     *Speaker      `json:"speaker,omitempty"`
	Paragraphs  []string      `json:"paragraphs" ledger:"public"`
}

// TranscriptUtteranceSplit: staff split an utterance: it keeps Paragraphs
// as its new version Version, and Parts follow it.
type TranscriptUtteranceSplit struct {
	MeetingID   MeetingID   `json:"meetingId"`
	UtteranceID UtteranceID `json:"utteranceId"`
	Version     int         `json:"version"`
	Paragraphs  []string    `json:"paragraphs" ledger:"public,withdrawable=utterance"`
	Parts       []SplitPart `json:"parts"`
	Editor      string      `json:"editor" ledger:"public"`
	Reason      string      `json:"reason" ledger:"public"`
	Occurred
}

// TranscriptUtterancesMerged: staff merged the utterances Merged (which
// followed UtteranceID) into UtteranceID, which reads Paragraphs as its new
// version Version.
type TranscriptUtterancesMerged struct {
	MeetingID   MeetingID     `json:"meetingId"`
	UtteranceID UtteranceID   `json:"utteranceId"`
	Merged      []UtteranceID `json:"merged"`
	Version     int           `json:"version"`
	Paragraphs  []string      `json:"paragraphs" ledger:"public,withdrawable=utterance"`
	Editor      string        `json:"editor" ledger:"public"`
	Reason      string        `json:"reason" ledger:"public"`
	Occurred
}

// TranscriptUtteranceReclassified: staff changed an utterance's kind.
type TranscriptUtteranceReclassified struct {
	MeetingID   MeetingID     `json:"meetingId"`
	UtteranceID UtteranceID   `json:"utteranceId"`
	From        UtteranceKind `json:"from"`
	To          UtteranceKind `json:"to"`
	Speaker     *Speaker      `json:"speaker,omitempty"`
	Editor      string        `json:"editor" ledger:"public"`
	Reason      string        `json:"reason" ledger:"public"`
	Occurred
}

// EventType implements Event.
func (TranscriptImported) EventType() string { return "transcript.imported" }

// EventType implements Event.
func (TranscriptVersionImported) EventType() string { return "transcript.version_imported" }

// EventType implements Event.
func (TranscriptUtteranceCorrected) EventType() string { return "transcript.utterance_corrected" }

// EventType implements Event.
func (TranscriptUtteranceInserted) EventType() string { return "transcript.utterance_inserted" }

// EventType implements Event.
func (TranscriptUtteranceDeleted) EventType() string { return "transcript.utterance_deleted" }

// EventType implements Event.
func (TranscriptUtteranceSplit) EventType() string { return "transcript.utterance_split" }

// EventType implements Event.
func (TranscriptUtterancesMerged) EventType() string { return "transcript.utterances_merged" }

// EventType implements Event.
func (TranscriptUtteranceReclassified) EventType() string {
	return "transcript.utterance_reclassified"
}

// SchemaVersion implements Event.
func (TranscriptImported) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (TranscriptVersionImported) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (TranscriptUtteranceCorrected) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (TranscriptUtteranceInserted) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (TranscriptUtteranceDeleted) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (TranscriptUtteranceSplit) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (TranscriptUtterancesMerged) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (TranscriptUtteranceReclassified) SchemaVersion() int { return 1 }

// ---- decisions ----

func validHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// speakerFor checks an utterance's kind and speaker and returns the
// speaker to record (nil for narration, headings and unattributed speech).
func speakerFor(cmd string, kind UtteranceKind, s Speaker) (*Speaker, error) {
	if !kind.valid() {
		return nil, violated(cmd+".kind_invalid", "unknown utterance kind %q", kind)
	}
	if kind != UtteranceSpeech {
		if s != (Speaker{}) {
			return nil, violated(cmd+".narration_has_no_speaker", "%s has no speaker", kind)
		}
		return nil, nil
	}
	if s == (Speaker{}) {
		return nil, nil // a speech whose speaker is assigned afterwards
	}
	if strings.TrimSpace(s.Name) == "" {
		return nil, violated(cmd+".speaker_name_required", "a speaker has a name")
	}
	return &s, nil
}

// Import decides ImportTranscript: on a transcript not started yet, of a
// scheduled meeting, it records the start, the import marker and every
// utterance in one decision. Content already imported (the same hash)
// decides no events; other content on an existing transcript is refused
// (import it as a version).
func (t *Transcript) Import(cmd ImportTranscript, actor Actor, at time.Time, meeting *Meeting) ([]Event, error) {
	if err := t.begin(cmd, cmd.MeetingID, actor, at, false); err != nil {
		return nil, err
	}
	const name = CmdImportTranscript
	if !validHash(cmd.ContentHash) {
		return nil, violated(name+".hash_invalid", "content hash must be 64 lower-case hex digits")
	}
	if t.started {
		if t.hashes[cmd.ContentHash] {
			return nil, nil
		}
		return nil, conflict(name+".exists", "transcript %s is already recorded with other content; import the new content as a version", t.id)
	}
	if strings.TrimSpace(cmd.Source) == "" {
		return nil, violated(name+".source_required", "an import names its source")
	}
	if meeting == nil || meeting.ID() != cmd.MeetingID || !meeting.Scheduled() {
		return nil, notFound(name+".meeting_not_found", "meeting %s does not exist", cmd.MeetingID)
	}
	if len(cmd.Utterances) == 0 {
		return nil, violated(name+".empty", "transcript %s has no utterances", cmd.MeetingID)
	}
	occ := occurred(at)
	events := make([]Event, 0, len(cmd.Utterances)+2)
	events = append(events,
		TranscriptStarted{MeetingID: t.id, Occurred: occ},
		TranscriptImported{MeetingID: t.id, Source: cmd.Source, ContentHash: cmd.ContentHash, Utterances: len(cmd.Utterances), Occurred: occ})
	seen := make(map[UtteranceID]bool, len(cmd.Utterances))
	for i, u := range cmd.Utterances {
		if err := checkID("utterance", string(u.UtteranceID)); err != nil {
			return nil, violated(name+".id_invalid", "utterance %d: %v", i+1, err)
		}
		if seen[u.UtteranceID] {
			return nil, violated(name+".duplicate_utterance", "utterance %s twice", u.UtteranceID)
		}
		seen[u.UtteranceID] = true
		sp, err := speakerFor(name, u.Kind, u.Speaker)
		if err != nil {
			return nil, err
		}
		if err := validParagraphs(name, u.Paragraphs); err != nil {
			return nil, violated(RuleOf(err), "utterance %s: %v", u.UtteranceID, err.(*RuleError).both())
		}
		events = append(events, TranscriptUtteranceRecorded{MeetingID: t.id, UtteranceID: u.UtteranceID, Seq: i + 1, Kind: u.Kind, Speaker: sp, Paragraphs: u.Paragraphs, Occurred: occ})
	}
	return events, nil
}

// ImportVersion decides ImportTranscriptVersion: the version marker and
// its changes, each decided against the transcript as the changes before it
// left it. A revision already imported, or content the transcript already
// has, decides no events.
func (t *Transcript) ImportVersion(cmd ImportTranscriptVersion, actor Actor, at time.Time) ([]Event, error) {
	if err := t.begin(cmd, cmd.MeetingID, actor, at, true); err != nil {
		return nil, err
	}
	const name = CmdImportVersion
	if !validHash(cmd.ContentHash) {
		return nil, violated(name+".hash_invalid", "content hash must be 64 lower-case hex digits")
	}
	if cmd.ContentHash == t.contentHash || cmd.Revision <= t.revision {
		// The transcript reads so already, or this revision was imported.
		return nil, nil
	}
	if strings.TrimSpace(cmd.Source) == "" {
		return nil, violated(name+".source_required", "a version names its source")
	}
	if strings.TrimSpace(cmd.Editor) == "" {
		cmd.Editor = actor.ID
	}
	if strings.TrimSpace(cmd.Reason) == "" {
		return nil, violated(name+".reason_required", "a version says why it was made")
	}
	marker := TranscriptVersionImported{MeetingID: t.id, Revision: cmd.Revision, Source: cmd.Source, ContentHash: cmd.ContentHash, Editor: cmd.Editor, Reason: cmd.Reason, Changes: len(cmd.Changes), Occurred: occurred(at)}
	events := []Event{marker}
	if len(cmd.Changes) == 0 {
		return events, nil
	}
	work := t.clone()
	if err := work.Apply(marker); err != nil {
		return nil, err
	}
	for i, c := range cmd.Changes {
		c = withDefaults(c, cmd.Editor, cmd.Reason)
		var evs []Event
		var err error
		if r, ok := c.(ReattributeSpeaker); ok {
			evs, err = work.ReattributeSpeaker(r, actor, at)
		} else {
			evs, err = work.decideChange(c, actor, at)
		}
		if err != nil {
			return nil, violatedAt(err, i+1)
		}
		if err := ApplyAll(work, evs...); err != nil {
			return nil, err
		}
		events = append(events, evs...)
	}
	return events, nil
}

func violatedAt(err error, n int) error {
	if re, ok := err.(*RuleError); ok {
		return refusal(re.Kind, re.Rule, "change %d: %v", n, re.both())
	}
	return err
}

// withDefaults fills a change's editor and reason from its version.
func withDefaults(c Command, editor, reason string) Command {
	fill := func(e, r *string) {
		if strings.TrimSpace(*e) == "" {
			*e = editor
		}
		if strings.TrimSpace(*r) == "" {
			*r = reason
		}
	}
	switch x := c.(type) {
	case CorrectUtterance:
		fill(&x.Editor, &x.Reason)
		return x
	case InsertUtterance:
		fill(&x.Editor, &x.Reason)
		return x
	case DeleteUtterance:
		fill(&x.Editor, &x.Reason)
		return x
	case SplitUtterance:
		fill(&x.Editor, &x.Reason)
		return x
	case MergeUtterances:
		fill(&x.Editor, &x.Reason)
		return x
	case ReclassifyUtterance:
		fill(&x.Editor, &x.Reason)
		return x
	case NormaliseTranscript:
		fill(&x.Editor, &x.Reason)
		return x
	case ReattributeSpeaker:
		if strings.TrimSpace(x.Reason) == "" {
			x.Reason = reason
		}
		return x
	}
	return c
}

// staffChange checks what every staff change needs: the actor, the time,
// the transcript, an editor (default the actor) and a reason.
func (t *Transcript) staffChange(cmd Command, id MeetingID, actor Actor, at time.Time, editor *string, reason string) error {
	if err := t.begin(cmd, id, actor, at, true); err != nil {
		return err
	}
	if strings.TrimSpace(*editor) == "" {
		*editor = actor.ID
	}
	if strings.TrimSpace(reason) == "" {
		return violated(cmd.CommandName()+".reason_required", "a staff change to a transcript needs a reason")
	}
	return nil
}

func (t *Transcript) newID(cmd string, id UtteranceID) error {
	if err := validID(cmd, "utterance", string(id)); err != nil {
		return err
	}
	if _, dup := t.byID[id]; dup {
		return conflict(cmd+".exists", "utterance %s already exists", id)
	}
	return nil
}

// decideChange decides one staff change.
func (t *Transcript) decideChange(c Command, actor Actor, at time.Time) ([]Event, error) {
	switch x := c.(type) {
	case CorrectUtterance:
		return t.Correct(x, actor, at)
	case InsertUtterance:
		return t.Insert(x, actor, at)
	case DeleteUtterance:
		return t.Delete(x, actor, at)
	case SplitUtterance:
		return t.Split(x, actor, at)
	case MergeUtterances:
		return t.Merge(x, actor, at)
	case ReclassifyUtterance:
		return t.Reclassify(x, actor, at)
	case NormaliseTranscript:
		return t.Normalise(x, actor, at)
	}
	return nil, violated(CmdImportVersion+".change_invalid", "%T is not a staff change to a transcript", c)
}

// Correct decides CorrectUtterance: staff, with a reason, at any time after
// the transcript started.
func (t *Transcript) Correct(cmd CorrectUtterance, actor Actor, at time.Time) ([]Event, error) {
	if err := t.staffChange(cmd, cmd.MeetingID, actor, at, &cmd.Editor, cmd.Reason); err != nil {
		return nil, err
	}
	if err := validParagraphs(CmdCorrectUtterance, cmd.Paragraphs); err != nil {
		return nil, err
	}
	u, err := t.utterance(CmdCorrectUtterance, cmd.UtteranceID)
	if err != nil {
		return nil, err
	}
	if slices.Equal(u.versions[len(u.versions)-1].Paragraphs, cmd.Paragraphs) {
		return nil, conflict("transcript.correct_utterance.unchanged", "utterance %s already reads so", u.id)
	}
	return []Event{TranscriptUtteranceCorrected{MeetingID: t.id, UtteranceID: u.id, Version: len(u.versions) + 1, Paragraphs: slices.Clone(cmd.Paragraphs), Editor: cmd.Editor, Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

// Insert decides InsertUtterance.
func (t *Transcript) Insert(cmd InsertUtterance, actor Actor, at time.Time) ([]Event, error) {
	if err := t.staffChange(cmd, cmd.MeetingID, actor, at, &cmd.Editor, cmd.Reason); err != nil {
		return nil, err
	}
	if err := t.newID(CmdInsertUtterance, cmd.UtteranceID); err != nil {
		return nil, err
	}
	sp, err := speakerFor(CmdInsertUtterance, cmd.Kind, cmd.Speaker)
	if err != nil {
		return nil, err
	}
	if err := validParagraphs(CmdInsertUtterance, cmd.Paragraphs); err != nil {
		return nil, err
	}
	if cmd.After != "" {
		if _, err := t.utterance(CmdInsertUtterance, cmd.After); err != nil {
			return nil, err
		}
	}
	return []Event{TranscriptUtteranceInserted{MeetingID: t.id, UtteranceID: cmd.UtteranceID, After: cmd.After, Kind: cmd.Kind, Speaker: sp, Paragraphs: slices.Clone(cmd.Paragraphs), Editor: cmd.Editor, Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

// Delete decides DeleteUtterance.
func (t *Transcript) Delete(cmd DeleteUtterance, actor Actor, at time.Time) ([]Event, error) {
	if err := t.staffChange(cmd, cmd.MeetingID, actor, at, &cmd.Editor, cmd.Reason); err != nil {
		return nil, err
	}
	u, err := t.utterance(CmdDeleteUtterance, cmd.UtteranceID)
	if err != nil {
		return nil, err
	}
	return []Event{TranscriptUtteranceDeleted{MeetingID: t.id, UtteranceID: u.id, Editor: cmd.Editor, Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

// Split decides SplitUtterance: at least one part, each new.
func (t *Transcript) Split(cmd SplitUtterance, actor Actor, at time.Time) ([]Event, error) {
	if err := t.staffChange(cmd, cmd.MeetingID, actor, at, &cmd.Editor, cmd.Reason); err != nil {
		return nil, err
	}
	u, err := t.utterance(CmdSplitUtterance, cmd.UtteranceID)
	if err != nil {
		return nil, err
	}
	if err := validParagraphs(CmdSplitUtterance, cmd.Paragraphs); err != nil {
		return nil, err
	}
	if len(cmd.Parts) == 0 {
		return nil, violated("transcript.split_utterance.parts_required", "a split makes at least one new utterance")
	}
	parts := make([]SplitPart, len(cmd.Parts))
	seen := map[UtteranceID]bool{}
	for i, p := range cmd.Parts {
		if err := t.newID(CmdSplitUtterance, p.UtteranceID); err != nil {
			return nil, err
		}
		if seen[p.UtteranceID] {
			return nil, violated("transcript.split_utterance.duplicate_part", "part %s twice", p.UtteranceID)
		}
		seen[p.UtteranceID] = true
		sp, err := speakerFor(CmdSplitUtterance, p.Kind, p.Speaker)
		if err != nil {
			return nil, err
		}
		if err := validParagraphs(CmdSplitUtterance, p.Paragraphs); err != nil {
			return nil, err
		}
		parts[i] = SplitPart{UtteranceID: p.UtteranceID, Kind: p.Kind, Speaker: sp, Paragraphs: slices.Clone(p.Paragraphs)}
	}
	return []Event{TranscriptUtteranceSplit{MeetingID: t.id, UtteranceID: u.id, Version: len(u.versions) + 1, Paragraphs: slices.Clone(cmd.Paragraphs), Parts: parts, Editor: cmd.Editor, Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

// Merge decides MergeUtterances: the merged utterances must directly
// follow the kept one, in order.
func (t *Transcript) Merge(cmd MergeUtterances, actor Actor, at time.Time) ([]Event, error) {
	if err := t.staffChange(cmd, cmd.MeetingID, actor, at, &cmd.Editor, cmd.Reason); err != nil {
		return nil, err
	}
	u, err := t.utterance(CmdMergeUtterances, cmd.UtteranceID)
	if err != nil {
		return nil, err
	}
	if err := validParagraphs(CmdMergeUtterances, cmd.Paragraphs); err != nil {
		return nil, err
	}
	if len(cmd.Merged) == 0 {
		return nil, violated("transcript.merge_utterances.merged_required", "a merge names the utterances merged")
	}
	pos := t.index(u.id)
	for i, id := range cmd.Merged {
		if _, err := t.utterance(CmdMergeUtterances, id); err != nil {
			return nil, err
		}
		if pos+1+i >= len(t.utterances) || t.utterances[pos+1+i].id != id {
			return nil, violated("transcript.merge_utterances.not_adjacent", "utterance %s does not directly follow %s", id, u.id)
		}
	}
	return []Event{TranscriptUtterancesMerged{MeetingID: t.id, UtteranceID: u.id, Merged: slices.Clone(cmd.Merged), Version: len(u.versions) + 1, Paragraphs: slices.Clone(cmd.Paragraphs), Editor: cmd.Editor, Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

// Reclassify decides ReclassifyUtterance.
func (t *Transcript) Reclassify(cmd ReclassifyUtterance, actor Actor, at time.Time) ([]Event, error) {
	if err := t.staffChange(cmd, cmd.MeetingID, actor, at, &cmd.Editor, cmd.Reason); err != nil {
		return nil, err
	}
	u, err := t.utterance(CmdReclassifyUtterance, cmd.UtteranceID)
	if err != nil {
		return nil, err
	}
	sp, err := speakerFor(CmdReclassifyUtterance, cmd.Kind, cmd.Speaker)
	if err != nil {
		return nil, err
	}
	if u.kind == cmd.Kind {
		return nil, conflict("transcript.reclassify_utterance.unchanged", "utterance %s is already %s", u.id, u.kind)
	}
	return []Event{TranscriptUtteranceReclassified{MeetingID: t.id, UtteranceID: u.id, From: u.kind, To: cmd.Kind, Speaker: sp, Editor: cmd.Editor, Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

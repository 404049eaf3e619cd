package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/akn"
	"github.com/pdis/collab-ledger/domain/calendar"
)

// UtteranceKind tells speech from narration.
type UtteranceKind string

// Utterance kinds.
const (
	// UtteranceSpeech is words said at the microphone by a speaker.
	UtteranceSpeech UtteranceKind = "speech"
	// UtteranceNarration is a line of the stenographer's narration with no
	// speaker, such as "（與會者皆無意見）".
	UtteranceNarration UtteranceKind = "narration"
	// UtteranceHeading is the heading of a section within the transcript
	// (an Akoma Ntoso debateSection after the first); it has no speaker.
	UtteranceHeading UtteranceKind = "heading"
)

func (k UtteranceKind) valid() bool {
	return k == UtteranceSpeech || k == UtteranceNarration || k == UtteranceHeading
}

// Speaker is who said an utterance: the name shown in the transcript and,
// if known, the actor ID of the person, which is what lets them edit their
// own words. An imported speaker also keeps its reference in the source
// (the Akoma Ntoso TLCPerson id), so that an export names the same person.
type Speaker struct {
	// ActorID is the speaker's actor ID; empty if the speaker has no account.
	ActorID string `json:"actorId,omitempty" ledger:"personal"`
	// Name is the name shown, e.g. "唐鳳" or "交通部PO楊惠如".
	Name string `json:"name" ledger:"public"`
	// Ref is the person's identifier in the imported source (the TLCPerson
	// id of an Akoma Ntoso file); empty for live recordings.
	Ref string `json:"ref,omitempty" ledger:"public"`
	// Undeclared: the source names this speaker without declaring them
	// (a speech by="#x" with no TLCPerson x); Name is then the reference.
	Undeclared bool `json:"undeclared,omitempty" ledger:"public"`
}

// UtteranceVersion is one version of an utterance's text.
type UtteranceVersion struct {
	// Version counts from 1 (as recorded).
	Version int
	// Paragraphs is the text, one string per paragraph.
	Paragraphs []string
	// Editor is the actor ID of the speaker who edited, or for a staff
	// correction the editor it is attributed to ("" for the recorded
	// version and reverts).
	Editor string
	// Change says how the version arose: "recorded", "edited",
	// "corrected", "reverted", "split", "merged" or "inserted".
	Change string
	// Reason is the staff's reason for a correction, revert, split or
	// merge ("" for the recorded version and speakers' own edits).
	Reason string
	// At is when the version was made.
	At time.Time
}

// Version change kinds (UtteranceVersion.Change).
const (
	ChangeRecorded  = "recorded"
	ChangeEdited    = "edited"
	ChangeCorrected = "corrected"
	ChangeReverted  = "reverted"
	ChangeSplit     = "split"
	ChangeMerged    = "merged"
	ChangeInserted  = "inserted"
)

// ---- commands ----

// StartTranscript starts the transcript of a meeting.
type StartTranscript struct {
	MeetingID MeetingID
}

// RecordUtterance records the next utterance (the stenographer's order),
// spoken at the decision's time.
type RecordUtterance struct {
	MeetingID   MeetingID
	UtteranceID UtteranceID
	Kind        UtteranceKind
	// Speaker is required for speech and must be empty for narration.
	Speaker    Speaker
	Paragraphs []string
}

// PublishTranscript publishes the transcript, opening the edit window.
type PublishTranscript struct {
	MeetingID MeetingID
}

// EditUtterance replaces the text of one of the actor's own utterances.
type EditUtterance struct {
	MeetingID   MeetingID
	UtteranceID UtteranceID
	Paragraphs  []string
}

// RevertEdit restores an earlier version of an utterance as a new version,
// with a reason.
type RevertEdit struct {
	MeetingID   MeetingID
	UtteranceID UtteranceID
	ToVersion   int
	Reason      string
}

// ReattributeSpeaker fixes a misattributed speaker, with a reason.
type ReattributeSpeaker struct {
	MeetingID   MeetingID
	UtteranceID UtteranceID
	Speaker     Speaker
	Reason      string
}

// CommandName implements Command.
func (StartTranscript) CommandName() string { return CmdStartTranscript }

// CommandName implements Command.
func (RecordUtterance) CommandName() string { return CmdRecordUtterance }

// CommandName implements Command.
func (PublishTranscript) CommandName() string { return CmdPublishTranscript }

// CommandName implements Command.
func (EditUtterance) CommandName() string { return CmdEditUtterance }

// CommandName implements Command.
func (RevertEdit) CommandName() string { return CmdRevertEdit }

// CommandName implements Command.
func (ReattributeSpeaker) CommandName() string { return CmdReattribute }

// ---- events ----

// TranscriptStarted: the stenographer began the meeting's transcript.
type TranscriptStarted struct {
	MeetingID MeetingID `json:"meetingId"`
	Occurred
}

// TranscriptUtteranceRecorded: the stenographer recorded utterance number
// Seq (from 1, in speaking order); this is its version 1.
type TranscriptUtteranceRecorded struct {
	MeetingID   MeetingID     `json:"meetingId"`
	UtteranceID UtteranceID   `json:"utteranceId"`
	Seq         int           `json:"seq"`
	Kind        UtteranceKind `json:"kind"`
	Speaker     *Speaker      `json:"speaker,omitempty"`
	Paragraphs  []string      `json:"paragraphs" ledger:"public,withdrawable=utterance"`
	Occurred
}

// TranscriptPublished: the transcript was published; speakers may edit
// their own words until EditWindowClosesAt, the end of the
// EditWindowWorkingDays-th working day after publication (Asia/Taipei).
// CalendarFallbackYears lists years the working-day calendar did not cover
// and counted by weekends only.
type TranscriptPublished struct {
	MeetingID             MeetingID `json:"meetingId"`
	Utterances            int       `json:"utterances"`
	EditWindowWorkingDays int       `json:"editWindowWorkingDays"`
	EditWindowClosesAt    time.Time `json:"editWindowClosesAt"`
	CalendarFallbackYears []int     `json:"calendarFallbackYears,omitempty"`
	Occurred
}

// TranscriptUtteranceEdited: the speaker Editor edited their own utterance;
// Version is the new version number.
type TranscriptUtteranceEdited struct {
	MeetingID   MeetingID   `json:"meetingId"`
	UtteranceID UtteranceID `json:"utteranceId"`
	Version     int         `json:"version"`
	Editor      string      `json:"editor" ledger:"personal"`
	Paragraphs  []string    `json:"paragraphs" ledger:"public,withdrawable=utterance"`
	Occurred
}

// TranscriptEditReverted: staff restored version ToVersion as new version
// Version.
type TranscriptEditReverted struct {
	MeetingID   MeetingID   `json:"meetingId"`
	UtteranceID UtteranceID `json:"utteranceId"`
	ToVersion   int         `json:"toVersion"`
	Version     int         `json:"version"`
	Paragraphs  []string    `json:"paragraphs" ledger:"public,withdrawable=utterance"`
	Reason      string      `json:"reason" ledger:"public"`
	Occurred
}

// TranscriptSpeakerReattributed: staff fixed the speaker of an utterance.
type TranscriptSpeakerReattributed struct {
	MeetingID   MeetingID   `json:"meetingId"`
	UtteranceID UtteranceID `json:"utteranceId"`
	From        Speaker     `json:"from"`
	To          Speaker     `json:"to"`
	Reason      string      `json:"reason" ledger:"public"`
	Occurred
}

// EventType implements Event.
func (TranscriptStarted) EventType() string { return "transcript.started" }

// EventType implements Event.
func (TranscriptUtteranceRecorded) EventType() string { return "transcript.utterance_recorded" }

// EventType implements Event.
func (TranscriptPublished) EventType() string { return "transcript.published" }

// EventType implements Event.
func (TranscriptUtteranceEdited) EventType() string { return "transcript.utterance_edited" }

// EventType implements Event.
func (TranscriptEditReverted) EventType() string { return "transcript.edit_reverted" }

// EventType implements Event.
func (TranscriptSpeakerReattributed) EventType() string { return "transcript.speaker_reattributed" }

// SchemaVersion implements Event.
func (TranscriptStarted) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (TranscriptUtteranceRecorded) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (TranscriptPublished) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (TranscriptUtteranceEdited) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (TranscriptEditReverted) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (TranscriptSpeakerReattributed) SchemaVersion() int { return 1 }

// ---- state ----

type utterance struct {
	id       UtteranceID
	seq      int
	kind     UtteranceKind
	speaker  Speaker
	versions []UtteranceVersion
	deleted  bool
}

// Transcript is the state of one meeting's transcript stream: its
// utterances in order with every version, and the edit window. It is its
// own aggregate, apart from Meeting, because it has its own life (recorded
// live by the stenographer while hosts write notes, edited for weeks after
// the meeting closed, imported for meetings long past) and its own volume
// (hundreds of utterances and edits).
type Transcript struct {
	id      MeetingID
	version uint64

	started     bool
	published   bool
	publishedAt time.Time
	closesAt    time.Time
	// utterances are the live utterances in transcript order; byID also
	// holds deleted and merged-away ones, which stay in the trail.
	utterances []*utterance
	byID       map[UtteranceID]*utterance
	recorded   int // utterances recorded (their seq numbers)

	imported    bool
	source      string
	contentHash string          // of the latest imported content
	hashes      map[string]bool // every imported content hash
	revision    int             // latest imported revision (1 = the import)
}

// NewTranscript returns the empty state of meeting id's transcript stream.
func NewTranscript(id MeetingID) *Transcript {
	return &Transcript{id: id, byID: map[UtteranceID]*utterance{}, hashes: map[string]bool{}}
}

// clone returns a deep copy of the state that later applies cannot change
// through shared memory (version slices are clipped so appends copy).
func (t *Transcript) clone() *Transcript {
	c := *t
	c.byID = make(map[UtteranceID]*utterance, len(t.byID))
	for id, u := range t.byID {
		cu := *u
		cu.versions = slices.Clip(u.versions)
		c.byID[id] = &cu
	}
	c.utterances = make([]*utterance, len(t.utterances))
	for i, u := range t.utterances {
		c.utterances[i] = c.byID[u.id]
	}
	c.hashes = make(map[string]bool, len(t.hashes))
	for h := range t.hashes {
		c.hashes[h] = true
	}
	return &c
}

// MeetingID returns the meeting the transcript belongs to.
func (t *Transcript) MeetingID() MeetingID { return t.id }

// Version implements Aggregate.
func (t *Transcript) Version() uint64 { return t.version }

// Started reports whether the transcript exists.
func (t *Transcript) Started() bool { return t.started }

// Published reports whether the transcript is published.
func (t *Transcript) Published() bool { return t.published }

// PublishedAt returns when the transcript was published (zero before).
func (t *Transcript) PublishedAt() time.Time { return t.publishedAt }

// EditWindowClosesAt returns the end of the edit window (zero before
// publication).
func (t *Transcript) EditWindowClosesAt() time.Time { return t.closesAt }

// Imported reports whether the transcript was imported (transcript.imported)
// and from which source.
func (t *Transcript) Imported() (bool, string) { return t.imported, t.source }

// ContentHash returns the content hash of the latest imported content
// (the import or the latest imported version), "" if none.
func (t *Transcript) ContentHash() string { return t.contentHash }

// HasImported reports whether content with this hash was imported before
// (as the transcript or as any of its versions).
func (t *Transcript) HasImported(contentHash string) bool { return t.hashes[contentHash] }

// Revision returns the latest imported revision: 1 after the import, n
// after importing version n; 0 if nothing was imported.
func (t *Transcript) Revision() int { return t.revision }

// Utterances returns the IDs of the live utterances in order (deleted and
// merged-away utterances are left out).
func (t *Transcript) Utterances() []UtteranceID {
	out := make([]UtteranceID, len(t.utterances))
	for i, u := range t.utterances {
		out[i] = u.id
	}
	return out
}

// CurrentUtterance is one live utterance as it reads now.
type CurrentUtterance struct {
	ID         UtteranceID
	Kind       UtteranceKind
	Speaker    Speaker
	Paragraphs []string
	// Version is the number of the current version.
	Version int
}

// Current returns the live utterances in order with their current text.
// The paragraphs are shared with the state: do not modify them.
func (t *Transcript) Current() []CurrentUtterance {
	out := make([]CurrentUtterance, len(t.utterances))
	for i, u := range t.utterances {
		v := u.versions[len(u.versions)-1]
		out[i] = CurrentUtterance{ID: u.id, Kind: u.kind, Speaker: u.speaker, Paragraphs: v.Paragraphs, Version: v.Version}
	}
	return out
}

// Utterance returns an utterance's speaker and every version, oldest first.
// Deleted utterances are found too (see Deleted).
func (t *Transcript) Utterance(id UtteranceID) (Speaker, []UtteranceVersion, bool) {
	u, ok := t.byID[id]
	if !ok {
		return Speaker{}, nil, false
	}
	vs := make([]UtteranceVersion, len(u.versions))
	for i, v := range u.versions {
		v.Paragraphs = slices.Clone(v.Paragraphs)
		vs[i] = v
	}
	return u.speaker, vs, true
}

// UtteranceKindOf returns an utterance's kind.
func (t *Transcript) UtteranceKindOf(id UtteranceID) (UtteranceKind, bool) {
	u, ok := t.byID[id]
	if !ok {
		return "", false
	}
	return u.kind, true
}

// Deleted reports whether an utterance was deleted or merged into another.
func (t *Transcript) Deleted(id UtteranceID) bool {
	u, ok := t.byID[id]
	return ok && u.deleted
}

// index returns the position of a live utterance in t.utterances, or -1.
func (t *Transcript) index(id UtteranceID) int {
	for i, u := range t.utterances {
		if u.id == id {
			return i
		}
	}
	return -1
}

func (t *Transcript) insertAt(pos int, u *utterance) {
	t.utterances = slices.Insert(t.utterances, pos, u)
	t.byID[u.id] = u
}

func newVersion(u *utterance, e Event, paragraphs []string, editor, change, reason string) UtteranceVersion {
	return UtteranceVersion{Version: len(u.versions) + 1, Paragraphs: paragraphs, Editor: editor, Change: change, Reason: reason, At: e.OccurredAt()}
}

// Apply implements Aggregate.
func (t *Transcript) Apply(e Event) error {
	const agg = "transcript"
	if _, isStart := e.(TranscriptStarted); !isStart && !t.started {
		return badEvent(agg, e, "transcript %s not started", t.id)
	}
	live := func(id UtteranceID) (*utterance, error) {
		u, ok := t.byID[id]
		if !ok || u.deleted {
			return nil, badEvent(agg, e, "no live utterance %s", id)
		}
		return u, nil
	}
	switch e := e.(type) {
	case TranscriptStarted:
		if t.started {
			return badEvent(agg, e, "transcript %s already started", t.id)
		}
		t.started = true
	case TranscriptImported:
		if t.imported || t.recorded > 0 {
			return badEvent(agg, e, "transcript %s already has utterances", t.id)
		}
		t.imported, t.source, t.contentHash, t.revision = true, e.Source, e.ContentHash, 1
		t.hashes[e.ContentHash] = true
	case TranscriptVersionImported:
		if e.Revision <= t.revision {
			return badEvent(agg, e, "revision %d after revision %d", e.Revision, t.revision)
		}
		t.contentHash, t.revision = e.ContentHash, e.Revision
		t.hashes[e.ContentHash] = true
	case TranscriptUtteranceRecorded:
		if t.published {
			return badEvent(agg, e, "transcript %s already published", t.id)
		}
		if _, dup := t.byID[e.UtteranceID]; dup || e.Seq != t.recorded+1 {
			return badEvent(agg, e, "utterance %s (seq %d) out of order", e.UtteranceID, e.Seq)
		}
		u := &utterance{id: e.UtteranceID, seq: e.Seq, kind: e.Kind, versions: []UtteranceVersion{{Version: 1, Paragraphs: e.Paragraphs, Change: ChangeRecorded, At: e.At}}}
		if e.Speaker != nil {
			u.speaker = *e.Speaker
		}
		t.recorded++
		t.insertAt(len(t.utterances), u)
	case TranscriptPublished:
		if t.published {
			return badEvent(agg, e, "transcript %s already published", t.id)
		}
		t.published, t.publishedAt, t.closesAt = true, e.At, e.EditWindowClosesAt
	case TranscriptUtteranceEdited:
		u, ok := t.byID[e.UtteranceID]
		if !ok || e.Version != len(u.versions)+1 {
			return badEvent(agg, e, "utterance %s version %d out of order", e.UtteranceID, e.Version)
		}
		u.versions = append(u.versions, UtteranceVersion{Version: e.Version, Paragraphs: e.Paragraphs, Editor: e.Editor, Change: ChangeEdited, At: e.At})
	case TranscriptEditReverted:
		u, ok := t.byID[e.UtteranceID]
		if !ok || e.Version != len(u.versions)+1 {
			return badEvent(agg, e, "utterance %s version %d out of order", e.UtteranceID, e.Version)
		}
		u.versions = append(u.versions, UtteranceVersion{Version: e.Version, Paragraphs: e.Paragraphs, Change: ChangeReverted, Reason: e.Reason, At: e.At})
	case TranscriptSpeakerReattributed:
		u, ok := t.byID[e.UtteranceID]
		if !ok {
			return badEvent(agg, e, "no utterance %s", e.UtteranceID)
		}
		u.speaker = e.To
	case TranscriptUtteranceCorrected:
		u, err := live(e.UtteranceID)
		if err != nil {
			return err
		}
		if e.Version != len(u.versions)+1 {
			return badEvent(agg, e, "utterance %s version %d out of order", e.UtteranceID, e.Version)
		}
		u.versions = append(u.versions, newVersion(u, e, e.Paragraphs, e.Editor, ChangeCorrected, e.Reason))
	case TranscriptUtteranceInserted:
		if _, dup := t.byID[e.UtteranceID]; dup {
			return badEvent(agg, e, "utterance %s exists", e.UtteranceID)
		}
		pos := 0
		if e.After != "" {
			if pos = t.index(e.After); pos < 0 {
				return badEvent(agg, e, "no live utterance %s to insert after", e.After)
			}
			pos++
		}
		u := &utterance{id: e.UtteranceID, kind: e.Kind}
		if e.Speaker != nil {
			u.speaker = *e.Speaker
		}
		u.versions = []UtteranceVersion{{Version: 1, Paragraphs: e.Paragraphs, Editor: e.Editor, Change: ChangeInserted, Reason: e.Reason, At: e.At}}
		t.insertAt(pos, u)
	case TranscriptUtteranceDeleted:
		u, err := live(e.UtteranceID)
		if err != nil {
			return err
		}
		u.deleted = true
		t.utterances = slices.Delete(t.utterances, t.index(u.id), t.index(u.id)+1)
	case TranscriptUtteranceSplit:
		u, err := live(e.UtteranceID)
		if err != nil {
			return err
		}
		if e.Version != len(u.versions)+1 {
			return badEvent(agg, e, "utterance %s version %d out of order", e.UtteranceID, e.Version)
		}
		pos := t.index(u.id)
		for i, p := range e.Parts {
			if _, dup := t.byID[p.UtteranceID]; dup {
				return badEvent(agg, e, "utterance %s exists", p.UtteranceID)
			}
			nu := &utterance{id: p.UtteranceID, kind: p.Kind, versions: []UtteranceVersion{{Version: 1, Paragraphs: p.Paragraphs, Editor: e.Editor, Change: ChangeSplit, Reason: e.Reason, At: e.At}}}
			if p.Speaker != nil {
				nu.speaker = *p.Speaker
			}
			t.insertAt(pos+1+i, nu)
		}
		u.versions = append(u.versions, newVersion(u, e, e.Paragraphs, e.Editor, ChangeSplit, e.Reason))
	case TranscriptUtterancesMerged:
		u, err := live(e.UtteranceID)
		if err != nil {
			return err
		}
		if e.Version != len(u.versions)+1 {
			return badEvent(agg, e, "utterance %s version %d out of order", e.UtteranceID, e.Version)
		}
		pos := t.index(u.id)
		for i, id := range e.Merged {
			if pos+1+i >= len(t.utterances) || t.utterances[pos+1+i].id != id {
				return badEvent(agg, e, "utterance %s does not follow %s", id, e.UtteranceID)
			}
		}
		for _, m := range t.utterances[pos+1 : pos+1+len(e.Merged)] {
			m.deleted = true
		}
		t.utterances = slices.Delete(t.utterances, pos+1, pos+1+len(e.Merged))
		u.versions = append(u.versions, newVersion(u, e, e.Paragraphs, e.Editor, ChangeMerged, e.Reason))
	case TranscriptNormalised:
		if err := t.applyNormalised(e); err != nil {
			return err
		}
	case TranscriptUtteranceReclassified:
		u, err := live(e.UtteranceID)
		if err != nil {
			return err
		}
		if u.kind != e.From {
			return badEvent(agg, e, "utterance %s is %s, not %s", u.id, u.kind, e.From)
		}
		u.kind, u.speaker = e.To, Speaker{}
		if e.Speaker != nil {
			u.speaker = *e.Speaker
		}
	default:
		return badEvent(agg, e, "not a transcript event")
	}
	t.version++
	return nil
}

// ---- decisions ----

func (t *Transcript) begin(cmd Command, id MeetingID, actor Actor, at time.Time, exist bool) error {
	name := cmd.CommandName()
	if err := Authorize(name, actor); err != nil {
		return err
	}
	if err := requireAt(name, at); err != nil {
		return err
	}
	if id != t.id {
		return violated(name+".wrong_aggregate", "command for transcript %s decided on transcript %s", id, t.id)
	}
	if exist && !t.started {
		return notFound(name+".not_found", "transcript %s does not exist", t.id)
	}
	return nil
}

// validParagraphs checks an utterance's text: at least one paragraph, none
// empty, each in the canonical form of the safe inline subset
// (docs/akoma-ntoso.md), the same rule the importer holds a file's
// paragraphs to (akn.Sanitize), so the record never holds what its own
// format forbids, whichever way the text came in.
func validParagraphs(cmd string, ps []string) error {
	if len(ps) == 0 {
		return violated(cmd+".text_required", "an utterance has at least one paragraph")
	}
	for i, p := range ps {
		if strings.TrimSpace(p) == "" {
			return violated(cmd+".empty_paragraph", "paragraph %d is empty", i+1)
		}
		if safe := akn.Sanitize(p); safe != p {
			return violated(cmd+RuleSuffixParagraphUnsafe, "paragraph %d is not in the safe inline subset (escaped text with <i> <b> <a href> <br/> <ul> <ol> <li> <blockquote>, white space collapsed); in that form it reads %q", i+1, safe)
		}
	}
	return nil
}

// RuleSuffixParagraphUnsafe ends the rule code ("transcript.edit_utterance"
// + it) that refuses a paragraph outside the safe inline subset.
const RuleSuffixParagraphUnsafe = ".paragraph_unsafe"

func (t *Transcript) utterance(cmd string, id UtteranceID) (*utterance, error) {
	u, ok := t.byID[id]
	if !ok {
		return nil, notFound(cmd+".utterance_not_found", "transcript %s has no utterance %s", t.id, id)
	}
	if u.deleted {
		return nil, conflict(cmd+".utterance_deleted", "utterance %s of transcript %s was deleted", id, t.id)
	}
	return u, nil
}

// Start decides StartTranscript. meeting is the loaded meeting.
func (t *Transcript) Start(cmd StartTranscript, actor Actor, at time.Time, meeting *Meeting) ([]Event, error) {
	if err := t.begin(cmd, cmd.MeetingID, actor, at, false); err != nil {
		return nil, err
	}
	if meeting == nil || meeting.ID() != cmd.MeetingID || !meeting.Scheduled() {
		return nil, notFound("transcript.start.meeting_not_found", "meeting %s does not exist", cmd.MeetingID)
	}
	if t.started {
		return nil, conflict("transcript.start.exists", "transcript %s already started", t.id)
	}
	return []Event{TranscriptStarted{MeetingID: t.id, Occurred: occurred(at)}}, nil
}

// RecordUtterance decides RecordUtterance: before publication; speech has a
// named speaker, narration none.
func (t *Transcript) RecordUtterance(cmd RecordUtterance, actor Actor, at time.Time) ([]Event, error) {
	if err := t.begin(cmd, cmd.MeetingID, actor, at, true); err != nil {
		return nil, err
	}
	if err := validID(CmdRecordUtterance, "utterance", string(cmd.UtteranceID)); err != nil {
		return nil, err
	}
	var sp *Speaker
	switch cmd.Kind {
	case UtteranceSpeech:
		if strings.TrimSpace(cmd.Speaker.Name) == "" {
			return nil, violated("transcript.record_utterance.speaker_required", "speech has a speaker")
		}
		s := cmd.Speaker
		sp = &s
	case UtteranceNarration, UtteranceHeading:
		if cmd.Speaker != (Speaker{}) {
			return nil, violated("transcript.record_utterance.narration_has_no_speaker", "%s has no speaker", cmd.Kind)
		}
	default:
		return nil, violated("transcript.record_utterance.kind_invalid", "unknown utterance kind %q", cmd.Kind)
	}
	if err := validParagraphs(CmdRecordUtterance, cmd.Paragraphs); err != nil {
		return nil, err
	}
	if t.published {
		return nil, conflict("transcript.record_utterance.published", "transcript %s is published", t.id)
	}
	if _, dup := t.byID[cmd.UtteranceID]; dup {
		return nil, conflict("transcript.record_utterance.exists", "utterance %s already recorded", cmd.UtteranceID)
	}
	return []Event{TranscriptUtteranceRecorded{MeetingID: t.id, UtteranceID: cmd.UtteranceID, Seq: t.recorded + 1, Kind: cmd.Kind, Speaker: sp, Paragraphs: slices.Clone(cmd.Paragraphs), Occurred: occurred(at)}}, nil
}

// Publish decides PublishTranscript: once, with at least one utterance. The
// edit window closes at the end of the cfg.EditWindowWorkingDays-th working
// day after the publication date by cal; years cal does not cover are
// counted by weekends only and listed in the event.
func (t *Transcript) Publish(cmd PublishTranscript, actor Actor, at time.Time, cfg TranscriptConfig, cal *calendar.Calendar) ([]Event, error) {
	if err := t.begin(cmd, cmd.MeetingID, actor, at, true); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, violated("transcript.publish.config_invalid", "invalid configuration: %v", err)
	}
	if cal == nil {
		cal = calendar.WeekendsOnly()
	}
	if t.published {
		return nil, conflict("transcript.publish.already_published", "transcript %s is published", t.id)
	}
	if len(t.utterances) == 0 {
		return nil, violated("transcript.publish.empty", "transcript %s has no utterances", t.id)
	}
	closes := cal.WindowEnd(at, cfg.EditWindowWorkingDays)
	fallback := cal.FallbackYears(calendar.DateOf(at), calendar.DateOf(closes.Add(-time.Nanosecond)))
	return []Event{TranscriptPublished{MeetingID: t.id, Utterances: len(t.utterances), EditWindowWorkingDays: cfg.EditWindowWorkingDays, EditWindowClosesAt: closes.UTC(), CalendarFallbackYears: fallback, Occurred: occurred(at)}}, nil
}

// Edit decides EditUtterance: a speaker edits only their own words, only
// after publication and before the edit window closes (by at, so an import
// of a past edit is judged by when it happened).
func (t *Transcript) Edit(cmd EditUtterance, actor Actor, at time.Time) ([]Event, error) {
	if err := t.begin(cmd, cmd.MeetingID, actor, at, true); err != nil {
		return nil, err
	}
	u, err := t.utterance(CmdEditUtterance, cmd.UtteranceID)
	if err != nil {
		return nil, err
	}
	if u.speaker.ActorID == "" || u.speaker.ActorID != actor.ID {
		return nil, forbidden(RuleEditOwnWordsOnly, "utterance %s is not %s's own words", cmd.UtteranceID, actor.ID)
	}
	if err := validParagraphs(CmdEditUtterance, cmd.Paragraphs); err != nil {
		return nil, err
	}
	if !t.published {
		return nil, conflict("transcript.edit.not_published", "transcript %s is not published yet", t.id)
	}
	if at.Before(t.publishedAt) || !at.Before(t.closesAt) {
		return nil, violated("transcript.edit.window_closed", "the edit window of transcript %s is %s to %s", t.id, t.publishedAt.Format(time.RFC3339), t.closesAt.Format(time.RFC3339))
	}
	cur := u.versions[len(u.versions)-1]
	if slices.Equal(cur.Paragraphs, cmd.Paragraphs) {
		return nil, conflict("transcript.edit.unchanged", "utterance %s already reads so", cmd.UtteranceID)
	}
	return []Event{TranscriptUtteranceEdited{MeetingID: t.id, UtteranceID: u.id, Version: len(u.versions) + 1, Editor: actor.ID, Paragraphs: slices.Clone(cmd.Paragraphs), Occurred: occurred(at)}}, nil
}

// RevertEdit decides RevertEdit: staff restore an earlier version as a new
// one, with a reason, at any time.
func (t *Transcript) RevertEdit(cmd RevertEdit, actor Actor, at time.Time) ([]Event, error) {
	if err := t.begin(cmd, cmd.MeetingID, actor, at, true); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Reason) == "" {
		return nil, violated("transcript.revert_edit.reason_required", "a revert needs a reason")
	}
	u, err := t.utterance(CmdRevertEdit, cmd.UtteranceID)
	if err != nil {
		return nil, err
	}
	if cmd.ToVersion < 1 || cmd.ToVersion >= len(u.versions) {
		return nil, notFound("transcript.revert_edit.version_not_found", "utterance %s has versions 1..%d; revert to an earlier one", u.id, len(u.versions))
	}
	target := u.versions[cmd.ToVersion-1].Paragraphs
	if slices.Equal(target, u.versions[len(u.versions)-1].Paragraphs) {
		return nil, conflict("transcript.revert_edit.unchanged", "utterance %s already reads as version %d", u.id, cmd.ToVersion)
	}
	return []Event{TranscriptEditReverted{MeetingID: t.id, UtteranceID: u.id, ToVersion: cmd.ToVersion, Version: len(u.versions) + 1, Paragraphs: slices.Clone(target), Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

// ReattributeSpeaker decides ReattributeSpeaker: staff fix the speaker of a
// speech, with a reason.
func (t *Transcript) ReattributeSpeaker(cmd ReattributeSpeaker, actor Actor, at time.Time) ([]Event, error) {
	if err := t.begin(cmd, cmd.MeetingID, actor, at, true); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Reason) == "" {
		return nil, violated("transcript.reattribute_speaker.reason_required", "a reattribution needs a reason")
	}
	if strings.TrimSpace(cmd.Speaker.Name) == "" {
		return nil, violated("transcript.reattribute_speaker.speaker_required", "the new speaker has a name")
	}
	u, err := t.utterance(CmdReattribute, cmd.UtteranceID)
	if err != nil {
		return nil, err
	}
	if u.kind != UtteranceSpeech {
		return nil, violated("transcript.reattribute_speaker.narration", "utterance %s is %s and has no speaker", u.id, u.kind)
	}
	if u.speaker == cmd.Speaker {
		return nil, conflict("transcript.reattribute_speaker.unchanged", "utterance %s is already attributed so", u.id)
	}
	return []Event{TranscriptSpeakerReattributed{MeetingID: t.id, UtteranceID: u.id, From: u.speaker, To: cmd.Speaker, Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

// Decide dispatches any transcript command to its decision, with the
// dependencies some need (nil where unused).
func (t *Transcript) Decide(cmd Command, actor Actor, at time.Time, meeting *Meeting, cfg TranscriptConfig, cal *calendar.Calendar) ([]Event, error) {
	switch x := cmd.(type) {
	case StartTranscript:
		return t.Start(x, actor, at, meeting)
	case RecordUtterance:
		return t.RecordUtterance(x, actor, at)
	case PublishTranscript:
		return t.Publish(x, actor, at, cfg, cal)
	case EditUtterance:
		return t.Edit(x, actor, at)
	case RevertEdit:
		return t.RevertEdit(x, actor, at)
	case ReattributeSpeaker:
		return t.ReattributeSpeaker(x, actor, at)
	case ImportTranscript:
		return t.Import(x, actor, at, meeting)
	case ImportTranscriptVersion:
		return t.ImportVersion(x, actor, at)
	case CorrectUtterance, InsertUtterance, DeleteUtterance, SplitUtterance, MergeUtterances, ReclassifyUtterance, NormaliseTranscript:
		return t.decideChange(x, actor, at)
	}
	return nil, violated("transcript.unknown_command", "%T is not a transcript command", cmd)
}

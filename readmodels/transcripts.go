package readmodels

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// TranscriptsName is the name of the Transcripts projection.
const TranscriptsName = "transcripts"

// Collections of the Transcripts projection.
const (
	collMeetings   = "meetings"   // <meeting id> → MeetingRecord (without its lists)
	collUtterances = "utterances" // <meeting id>/<utterance id> → Utterance (without its versions)
	collVersions   = "versions"   // <meeting id>/<utterance id>/<version> → UtteranceVersion
	collNotes      = "notes"      // <meeting id>/<note id> → Note
	collQuestions  = "questions"  // <meeting id>/<question id> → Question
	// Stamps: the position of the last event that changed anything of a
	// meeting (changes) and the last that placed or removed one of its
	// utterances (layouts), so that MeetingCache knows when an answer it
	// keeps is still current.
	collChanges = "changes" // <meeting id> → position
	collLayouts = "layouts" // <meeting id> → position
)

// Transcripts is the read model of meetings as their pages show them: the
// meeting, its participants and recordings, its transcript with the
// current text of each utterance and every earlier version (who changed it,
// when, why), reattributions and the edit window, its notes with their
// revisions and its anonymous questions. Removed notes, archived questions
// and deleted utterances are kept for auditors.
//
// Apply is O(1) per event: each utterance, each version of its text, each
// note and each question is a document of its own. A new version only
// writes its own document, and recording an utterance only its own two (the
// transcript order is rebuilt by the query from where each utterance was
// placed). Every event also stamps its meeting's position in two small
// documents, which MeetingCache reads to know whether an answer it keeps
// is still current.
//
// The zero Transcripts is the Runner's: utterances and their versions are
// written from the event's JSON (fastTranscript); the as-of fold uses the
// decoded fold for every event and writes no stamps (see foldPath).
type Transcripts struct {
	path foldPath
}

var _ projections.Preloader = Transcripts{}

// Name implements projections.Projection.
func (Transcripts) Name() string { return TranscriptsName }

// Version implements projections.Projection.
func (Transcripts) Version() int { return 3 }

// Apply implements projections.Projection.
func (t Transcripts) Apply(ctx context.Context, tx projections.Tx, ev eventstore.Event) error {
	if t.path == asOfFold {
		// never cached: no stamps
		return transcriptsTable.apply(ctx, tx, ev)
	}
	done := false
	var err error
	if t.path == fastFold {
		done, err = fastTranscript(ctx, tx, ev)
	}
	if !done {
		err = transcriptsTable.apply(ctx, tx, ev)
	}
	if err != nil {
		return err
	}
	return stampMeeting(ctx, tx, ev)
}

// stampMeeting records ev's position as the last change of its meeting,
// and as the last change of its transcript's layout when ev placed or
// removed an utterance. Both are blind writes of a number: a batch of
// events of one meeting commits each once.
func stampMeeting(ctx context.Context, tx projections.Tx, ev eventstore.Event) error {
	if !transcriptsTable.handles(ev.Type) {
		return nil
	}
	id := string(domain.MeetingOfStream(ev.Stream))
	if id == "" {
		return nil
	}
	pos := projections.Encoded(strconv.AppendUint(nil, uint64(ev.Position), 10))
	if err := tx.Put(ctx, collChanges, id, pos); err != nil {
		return err
	}
	if layoutEvents[ev.Type] {
		return tx.Put(ctx, collLayouts, id, pos)
	}
	return nil
}

// layoutEvents are the events that place or remove an utterance.
var layoutEvents = map[string]bool{
	domain.TranscriptUtteranceRecorded{}.EventType(): true,
	domain.TranscriptUtteranceInserted{}.EventType(): true,
	domain.TranscriptUtteranceSplit{}.EventType():    true,
	domain.TranscriptUtteranceDeleted{}.EventType():  true,
	domain.TranscriptUtterancesMerged{}.EventType():  true,
}

// Preload implements projections.Preloader: the meeting's document and the
// utterance, note or question the event names.
func (Transcripts) Preload(ev eventstore.Event) []projections.DocRef {
	if !transcriptsTable.handles(ev.Type) {
		return nil
	}
	id := string(domain.MeetingOfStream(ev.Stream))
	if id == "" {
		return nil
	}
	switch ev.Type {
	case "transcript.utterance_recorded", "transcript.utterance_inserted", "transcript.utterance_edited",
		"transcript.edit_reverted", "transcript.utterance_corrected", "transcript.utterance_split",
		"meeting.note_added", "meeting.question_posted":
		return nil // new documents only
	}
	refs := []projections.DocRef{{Collection: collMeetings, Key: id}}
	if u := idField(ev.Data, "utteranceId"); u != "" {
		refs = append(refs, projections.DocRef{Collection: collUtterances, Key: id + "/" + u})
	}
	if n := idField(ev.Data, "noteId"); n != "" {
		refs = append(refs, projections.DocRef{Collection: collNotes, Key: id + "/" + n})
	}
	if q := idField(ev.Data, "questionId"); q != "" {
		refs = append(refs, projections.DocRef{Collection: collQuestions, Key: id + "/" + q})
	}
	return refs
}

// ---- documents ----

// MeetingRecord is a meeting as its page shows it.
type MeetingRecord struct {
	MeetingID        string             `json:"meetingId"`
	CaseID           string             `json:"caseId,omitempty"`
	MonthlyMeetingID string             `json:"monthlyMeetingId,omitempty"`
	Kind             domain.MeetingKind `json:"kind,omitempty"`
	Phase            domain.Phase       `json:"phase,omitempty"`
	Title            string             `json:"title,omitempty"`
	StartsAt         time.Time          `json:"startsAt,omitzero"`
	Organiser        string             `json:"organiser,omitempty"`
	Voted            bool               `json:"voted,omitempty"`
	Imported         bool               `json:"imported,omitempty"`
	Scheduled        *Stamp             `json:"scheduled,omitempty"`
	Closed           *Stamp             `json:"closed,omitempty"`
	Participants     []Participant      `json:"participants,omitempty"`
	Recordings       []Recording        `json:"recordings,omitempty"`
	// Transcript is the meeting's transcript, once started.
	Transcript *Transcript `json:"transcript,omitempty"`
	// Notes are the mind-map and concept-sheet notes in the order written;
	// Questions the anonymous questions in the order posted (filled by the
	// query). Public views leave out removed notes and archived questions
	// and only count them.
	Notes             []Note     `json:"notes,omitempty"`
	Questions         []Question `json:"questions,omitempty"`
	RemovedNotes      int        `json:"removedNotes,omitempty"`
	ArchivedQuestions int        `json:"archivedQuestions,omitempty"`
}

// Participant is a participant of a meeting.
type Participant struct {
	ParticipantID string                 `json:"participantId"`
	Name          string                 `json:"name"`
	Role          domain.ParticipantRole `json:"role"`
	Ministry      string                 `json:"ministry,omitempty"`
	StakeholderID string                 `json:"stakeholderId,omitempty"`
	// Present is the latest attendance recorded (nil: none recorded).
	Present *bool `json:"present,omitempty"`
	Added   Stamp `json:"added"`
}

// Recording is a recording or live-stream link.
type Recording struct {
	RecordingID string               `json:"recordingId"`
	Kind        domain.RecordingKind `json:"kind"`
	URL         string               `json:"url"`
	SHA256      string               `json:"sha256,omitempty"`
	Stamp
}

// Transcript is a meeting's transcript.
type Transcript struct {
	Started *Stamp `json:"started,omitempty"`
	// Imported is set when the transcript came from elsewhere (an archive):
	// its events' occurred-at times are then the original times.
	Imported *TranscriptImport `json:"imported,omitempty"`
	// Versions are later versions imported, in order.
	Versions []VersionImport `json:"versions,omitempty"`
	// Normalisations are the transcript's normalisations of width,
	// punctuation and spacing, each one change of many utterances (their
	// versions say Change "normalised").
	Normalisations []Normalisation `json:"normalisations,omitempty"`
	// Published opens the edit window.
	Published *Publication `json:"published,omitempty"`
	// Utterances in transcript order (filled by the query). Public views
	// leave out deleted and merged-away utterances; auditor views keep them
	// in place, marked Removed.
	Utterances []Utterance `json:"utterances,omitempty"`
	// Live counts the utterances in the transcript; Removed those deleted or
	// merged into another.
	Live    int `json:"live"`
	Removed int `json:"removed,omitempty"`
}

// TranscriptImport says where an imported transcript came from.
type TranscriptImport struct {
	Source      string `json:"source"`
	ContentHash string `json:"contentHash"`
	Utterances  int    `json:"utterances"`
	Stamp
}

// Normalisation is one normalisation of a transcript's width, punctuation
// and spacing (domain.TranscriptNormalised).
type Normalisation struct {
	Rules string `json:"rules"`
	// Utterances is how many utterances it changed.
	Utterances int    `json:"utterances"`
	Editor     string `json:"editor"`
	Reason     string `json:"reason"`
	Stamp
}

// VersionImport is a later version of an imported transcript.
type VersionImport struct {
	Revision    int    `json:"revision"`
	Source      string `json:"source"`
	ContentHash string `json:"contentHash"`
	Editor      string `json:"editor" erase:"editor"`
	Reason      string `json:"reason" erase:"reason"`
	Changes     int    `json:"changes"`
	Stamp
}

// Publication is the transcript's publication and its edit window: each
// speaker may edit their own words from publication until ClosesAt.
type Publication struct {
	Utterances            int       `json:"utterances"`
	EditWindowWorkingDays int       `json:"editWindowWorkingDays"`
	EditWindowClosesAt    time.Time `json:"editWindowClosesAt"`
	// CalendarFallbackYears are years the working-day calendar did not
	// cover (counted by weekends only).
	CalendarFallbackYears []int `json:"calendarFallbackYears,omitempty"`
	Stamp
}

// EditWindowOpen reports whether speakers may still edit their words at
// now.
func (p Publication) EditWindowOpen(now time.Time) bool {
	return !now.Before(p.OccurredAt) && now.Before(p.EditWindowClosesAt)
}

// Utterance is one utterance with its current text and every version.
type Utterance struct {
	UtteranceID string `json:"utteranceId"`
	// Seq is the stenographer's number (0 for utterances inserted or split
	// off later).
	Seq     int                  `json:"seq,omitempty"`
	Kind    domain.UtteranceKind `json:"kind"`
	Speaker *domain.Speaker      `json:"speaker,omitempty"`
	// Paragraphs is the current text, Version its number.
	Paragraphs []string `json:"paragraphs"`
	Version    int      `json:"version"`
	// Origin says how the utterance entered the transcript.
	Origin Origin `json:"origin"`
	// Versions are every version, oldest first, the current one last.
	Versions          []UtteranceVersion `json:"versions"`
	Reattributions    []Reattribution    `json:"reattributions,omitempty"`
	Reclassifications []Reclassification `json:"reclassifications,omitempty"`
	// Removed is set when staff deleted the utterance or merged it into
	// another: auditors only.
	Removed *UtteranceRemoval `json:"removed,omitempty"`
}

// Origin says how an utterance entered the transcript.
type Origin struct {
	// How is "recorded" (by the stenographer, or imported), "inserted" or
	// "split" (off another utterance, SplitFrom).
	How string `json:"how"`
	// After is the utterance it was placed after ("" for the beginning or,
	// for recorded ones, the end).
	After     string `json:"after,omitempty"`
	SplitFrom string `json:"splitFrom,omitempty"`
	// Part numbers a split's new utterances from 1.
	Part int `json:"part,omitempty"`
	Stamp
}

// UtteranceVersion is one version of an utterance's text: who made it,
// when, how and why.
type UtteranceVersion struct {
	Version    int      `json:"version"`
	Paragraphs []string `json:"paragraphs"`
	// Change is recorded, edited (by the speaker), corrected, reverted,
	// split or merged (domain.Change*).
	Change string `json:"change"`
	// Editor is the speaker who edited, or whom a staff change is
	// attributed to; the envelope's actor (in the stamp) issued it.
	Editor string `json:"editor,omitempty" erase:"editor"`
	Reason string `json:"reason,omitempty" erase:"reason"`
	// ToVersion is the version a revert restored.
	ToVersion int `json:"toVersion,omitempty"`
	Stamp
}

// Reattribution is a change of an utterance's speaker.
type Reattribution struct {
	From   domain.Speaker `json:"from"`
	To     domain.Speaker `json:"to"`
	Reason string         `json:"reason" erase:"reason"`
	// Account says how the speaker's account changed, without naming it
	// (public views drop the IDs): "linked", "unlinked", "changed", or ""
	// when it did not.
	Account string `json:"account,omitempty"`
	Stamp
}

// accountChange is Reattribution.Account for a change from one speaker to
// another.
func accountChange(from, to domain.Speaker) string {
	switch {
	case from.ActorID == to.ActorID:
		return ""
	case from.ActorID == "":
		return "linked"
	case to.ActorID == "":
		return "unlinked"
	}
	return "changed"
}

// Reclassification is a change of an utterance's kind.
type Reclassification struct {
	From    domain.UtteranceKind `json:"from"`
	To      domain.UtteranceKind `json:"to"`
	Speaker *domain.Speaker      `json:"speaker,omitempty"`
	Editor  string               `json:"editor" erase:"editor"`
	Reason  string               `json:"reason" erase:"reason"`
	Stamp
}

// UtteranceRemoval is the deletion of an utterance or its merge into
// another.
type UtteranceRemoval struct {
	// How is "deleted" or "merged".
	How string `json:"how"`
	// Into is the utterance it was merged into.
	Into   string `json:"into,omitempty"`
	Editor string `json:"editor" erase:"editor"`
	Reason string `json:"reason" erase:"reason"`
	Stamp
}

// Note is a mind-map or concept-sheet note with every revision.
type Note struct {
	NoteID  string                `json:"noteId"`
	Board   domain.Board          `json:"board"`
	Sheet   string                `json:"sheet,omitempty"`
	Section domain.ConceptSection `json:"section,omitempty"`
	Parent  string                `json:"parent,omitempty"`
	// Text is the current text.
	Text      string         `json:"text"`
	Revisions []NoteRevision `json:"revisions"`
	// Removed is set when the note was removed: auditors only.
	Removed *Removal `json:"removed,omitempty"`
}

// NoteRevision is one revision of a note's text (1: as written).
type NoteRevision struct {
	Revision int    `json:"revision"`
	Text     string `json:"text"`
	Reason   string `json:"reason,omitempty" erase:"reason"`
	Stamp
}

// Removal is the removal of a note or the archiving of a question: why,
// and (in the stamp) who and when.
type Removal struct {
	Reason string `json:"reason,omitempty" erase:"reason"`
	Stamp
}

// Question is an anonymous question. Its author is recorded nowhere.
type Question struct {
	QuestionID string  `json:"questionId"`
	Text       string  `json:"text"`
	Posted     Stamp   `json:"posted"`
	Answer     *Answer `json:"answer,omitempty"`
	// Archived is set when the hosts archived it: auditors only.
	Archived *Removal `json:"archived,omitempty"`
}

// Answer is the hosts' answer to a question.
type Answer struct {
	Text string `json:"text"`
	Stamp
}

// ---- fold ----

var transcriptsTable = func() *table {
	t := newTable(TranscriptsName)
	// Meeting stream.
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MeetingScheduled) error {
		return updateMeeting(ctx, tx, e.MeetingID, func(m *MeetingRecord) error {
			s := stampOf(ev)
			m.CaseID, m.MonthlyMeetingID, m.Kind, m.Phase, m.Title = string(e.CaseID), string(e.MonthlyMeetingID), e.Kind, e.Phase, e.Title
			m.StartsAt, m.Organiser, m.Voted, m.Imported, m.Scheduled = e.StartsAt.UTC(), string(e.Organiser), e.Voted, e.Imported, &s
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MeetingParticipantAdded) error {
		return updateMeeting(ctx, tx, e.MeetingID, func(m *MeetingRecord) error {
			m.Participants = append(m.Participants, Participant{ParticipantID: string(e.ParticipantID), Name: e.Name, Role: e.Role, Ministry: string(e.Ministry), StakeholderID: string(e.StakeholderID), Added: stampOf(ev)})
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MeetingAttendanceRecorded) error {
		return updateMeeting(ctx, tx, e.MeetingID, func(m *MeetingRecord) error {
			for i := range m.Participants {
				if m.Participants[i].ParticipantID == string(e.ParticipantID) {
					p := e.Present
					m.Participants[i].Present = &p
				}
			}
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MeetingRecordingAdded) error {
		return updateMeeting(ctx, tx, e.MeetingID, func(m *MeetingRecord) error {
			m.Recordings = append(m.Recordings, Recording{RecordingID: string(e.RecordingID), Kind: e.Kind, URL: e.URL, SHA256: e.SHA256, Stamp: stampOf(ev)})
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MeetingClosed) error {
		return updateMeeting(ctx, tx, e.MeetingID, func(m *MeetingRecord) error {
			s := stampOf(ev)
			m.Closed = &s
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MeetingNoteAdded) error {
		s := stampOf(ev)
		n := Note{NoteID: string(e.NoteID), Board: e.Board, Sheet: e.Sheet, Section: e.Section, Parent: string(e.Parent), Text: e.Text,
			Revisions: []NoteRevision{{Revision: 1, Text: e.Text, Stamp: s}}}
		return tx.Put(ctx, collNotes, childKey(e.MeetingID, string(e.NoteID)), n)
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MeetingNoteRevised) error {
		return projections.Update(ctx, tx, collNotes, childKey(e.MeetingID, string(e.NoteID)), func(n *Note) error {
			n.NoteID = string(e.NoteID)
			n.Text = e.Text
			n.Revisions = append(n.Revisions, NoteRevision{Revision: e.Revision, Text: e.Text, Reason: e.Reason, Stamp: stampOf(ev)})
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MeetingNoteRemoved) error {
		return projections.Update(ctx, tx, collNotes, childKey(e.MeetingID, string(e.NoteID)), func(n *Note) error {
			n.NoteID = string(e.NoteID)
			n.Removed = &Removal{Reason: e.Reason, Stamp: stampOf(ev)}
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MeetingQuestionPosted) error {
		return tx.Put(ctx, collQuestions, childKey(e.MeetingID, string(e.QuestionID)), Question{QuestionID: string(e.QuestionID), Text: e.Text, Posted: stampOf(ev)})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MeetingQuestionAnswered) error {
		return projections.Update(ctx, tx, collQuestions, childKey(e.MeetingID, string(e.QuestionID)), func(q *Question) error {
			q.QuestionID = string(e.QuestionID)
			q.Answer = &Answer{Text: e.Answer, Stamp: stampOf(ev)}
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MeetingQuestionArchived) error {
		return projections.Update(ctx, tx, collQuestions, childKey(e.MeetingID, string(e.QuestionID)), func(q *Question) error {
			q.QuestionID = string(e.QuestionID)
			q.Archived = &Removal{Reason: e.Reason, Stamp: stampOf(ev)}
			return nil
		})
	})
	// Transcript stream.
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.TranscriptStarted) error {
		return updateTranscript(ctx, tx, e.MeetingID, func(tr *Transcript) error {
			s := stampOf(ev)
			tr.Started = &s
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.TranscriptImported) error {
		return updateTranscript(ctx, tx, e.MeetingID, func(tr *Transcript) error {
			tr.Imported = &TranscriptImport{Source: e.Source, ContentHash: e.ContentHash, Utterances: e.Utterances, Stamp: stampOf(ev)}
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.TranscriptVersionImported) error {
		return updateTranscript(ctx, tx, e.MeetingID, func(tr *Transcript) error {
			tr.Versions = append(tr.Versions, VersionImport{Revision: e.Revision, Source: e.Source, ContentHash: e.ContentHash, Editor: e.Editor, Reason: e.Reason, Changes: e.Changes, Stamp: stampOf(ev)})
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.TranscriptPublished) error {
		return updateTranscript(ctx, tx, e.MeetingID, func(tr *Transcript) error {
			tr.Published = &Publication{Utterances: e.Utterances, EditWindowWorkingDays: e.EditWindowWorkingDays, EditWindowClosesAt: e.EditWindowClosesAt.UTC(), CalendarFallbackYears: e.CalendarFallbackYears, Stamp: stampOf(ev)}
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.TranscriptUtteranceRecorded) error {
		s := stampOf(ev)
		u := Utterance{UtteranceID: string(e.UtteranceID), Seq: e.Seq, Kind: e.Kind, Speaker: e.Speaker, Origin: Origin{How: "recorded", Stamp: s}}
		return putUtterance(ctx, tx, e.MeetingID, u, UtteranceVersion{Version: 1, Paragraphs: e.Paragraphs, Change: domain.ChangeRecorded, Stamp: s})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.TranscriptUtteranceInserted) error {
		s := stampOf(ev)
		u := Utterance{UtteranceID: string(e.UtteranceID), Kind: e.Kind, Speaker: e.Speaker, Origin: Origin{How: "inserted", After: string(e.After), Stamp: s}}
		return putUtterance(ctx, tx, e.MeetingID, u, UtteranceVersion{Version: 1, Paragraphs: e.Paragraphs, Change: domain.ChangeCorrected, Editor: e.Editor, Reason: e.Reason, Stamp: s})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.TranscriptUtteranceEdited) error {
		return addVersion(ctx, tx, e.MeetingID, e.UtteranceID, UtteranceVersion{Version: e.Version, Paragraphs: e.Paragraphs, Change: domain.ChangeEdited, Editor: e.Editor, Stamp: stampOf(ev)})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.TranscriptEditReverted) error {
		return addVersion(ctx, tx, e.MeetingID, e.UtteranceID, UtteranceVersion{Version: e.Version, Paragraphs: e.Paragraphs, Change: domain.ChangeReverted, Reason: e.Reason, ToVersion: e.ToVersion, Stamp: stampOf(ev)})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.TranscriptUtteranceCorrected) error {
		return addVersion(ctx, tx, e.MeetingID, e.UtteranceID, UtteranceVersion{Version: e.Version, Paragraphs: e.Paragraphs, Change: domain.ChangeCorrected, Editor: e.Editor, Reason: e.Reason, Stamp: stampOf(ev)})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.TranscriptNormalised) error {
		s := stampOf(ev)
		for _, n := range e.Utterances {
			if err := addVersion(ctx, tx, e.MeetingID, n.UtteranceID, UtteranceVersion{Version: n.Version, Paragraphs: n.Paragraphs, Change: domain.ChangeNormalised, Editor: e.Editor, Reason: e.Reason, Stamp: s}); err != nil {
				return err
			}
		}
		return updateTranscript(ctx, tx, e.MeetingID, func(tr *Transcript) error {
			tr.Normalisations = append(tr.Normalisations, Normalisation{Rules: e.Rules, Utterances: len(e.Utterances), Editor: e.Editor, Reason: e.Reason, Stamp: s})
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.TranscriptSpeakerReattributed) error {
		return updateUtterance(ctx, tx, e.MeetingID, e.UtteranceID, func(u *Utterance) error {
			to := e.To
			u.Speaker = &to
			u.Reattributions = append(u.Reattributions, Reattribution{From: e.From, To: e.To, Reason: e.Reason, Account: accountChange(e.From, e.To), Stamp: stampOf(ev)})
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.TranscriptUtteranceReclassified) error {
		return updateUtterance(ctx, tx, e.MeetingID, e.UtteranceID, func(u *Utterance) error {
			u.Kind, u.Speaker = e.To, e.Speaker
			u.Reclassifications = append(u.Reclassifications, Reclassification{From: e.From, To: e.To, Speaker: e.Speaker, Editor: e.Editor, Reason: e.Reason, Stamp: stampOf(ev)})
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.TranscriptUtteranceDeleted) error {
		return updateUtterance(ctx, tx, e.MeetingID, e.UtteranceID, func(u *Utterance) error {
			u.Removed = &UtteranceRemoval{How: "deleted", Editor: e.Editor, Reason: e.Reason, Stamp: stampOf(ev)}
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.TranscriptUtteranceSplit) error {
		s := stampOf(ev)
		err := addVersion(ctx, tx, e.MeetingID, e.UtteranceID, UtteranceVersion{Version: e.Version, Paragraphs: e.Paragraphs, Change: domain.ChangeSplit, Editor: e.Editor, Reason: e.Reason, Stamp: s})
		if err != nil {
			return err
		}
		after := string(e.UtteranceID)
		for i, p := range e.Parts {
			u := Utterance{UtteranceID: string(p.UtteranceID), Kind: p.Kind, Speaker: p.Speaker, Origin: Origin{How: "split", After: after, SplitFrom: string(e.UtteranceID), Part: i + 1, Stamp: s}}
			if err := putUtterance(ctx, tx, e.MeetingID, u, UtteranceVersion{Version: 1, Paragraphs: p.Paragraphs, Change: domain.ChangeSplit, Editor: e.Editor, Reason: e.Reason, Stamp: s}); err != nil {
				return err
			}
			after = string(p.UtteranceID)
		}
		return nil
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.TranscriptUtterancesMerged) error {
		s := stampOf(ev)
		err := addVersion(ctx, tx, e.MeetingID, e.UtteranceID, UtteranceVersion{Version: e.Version, Paragraphs: e.Paragraphs, Change: domain.ChangeMerged, Editor: e.Editor, Reason: e.Reason, Stamp: s})
		if err != nil {
			return err
		}
		for _, id := range e.Merged {
			err := updateUtterance(ctx, tx, e.MeetingID, id, func(u *Utterance) error {
				u.Removed = &UtteranceRemoval{How: "merged", Into: string(e.UtteranceID), Editor: e.Editor, Reason: e.Reason, Stamp: s}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	t.ignore("proposals are the tallies'", "proposal.submitted", "proposal.published", "proposal.signed", "proposal.milestone_reached",
		"proposal.established", "proposal.signature_invalidated", "proposal.expired", "proposal.response_deadline_extended",
		"proposal.responded", "proposal.response_added", "proposal.response_deadline_missed",
		"proposal.signature_list_missing", "proposal.late_signatures_recorded", "proposal.leads_assigned")
	t.ignore("the PO registry is not a meeting's", "registry.ministry_registered", "registry.po_registered", "registry.po_renewed", "registry.po_retired", "registry.po_role_changed")
	on(t, forgetInMeetings)
	t.ignore("votes are the tallies'", "monthly.opened", "monthly.candidate_added", "monthly.ballot_cast", "monthly.closed", "monthly.held")
	t.ignore("cases are the case board's (a meeting names its case when scheduled)", "case.proposal_linked", "case.no_proposal_recorded", "case.record_ended", "case.opened", "case.lead_assigned", "case.co_organiser_added",
		"case.co_organiser_removed", "case.stage_changed", "case.stakeholder_added", "case.interview_recorded", "case.material_added",
		"case.recommendation_recorded", "case.reported_to_premier", "case.directive_recorded", "case.response_recorded")
	return t
}()

// childKey is the key of a meeting's utterance, note or question.
func childKey(meeting domain.MeetingID, id string) string { return string(meeting) + "/" + id }

func updateMeeting(ctx context.Context, tx projections.Tx, id domain.MeetingID, fn func(m *MeetingRecord) error) error {
	return projections.Update(ctx, tx, collMeetings, string(id), func(m *MeetingRecord) error {
		if m.MeetingID == "" {
			m.MeetingID = string(id)
		}
		return fn(m)
	})
}

func updateTranscript(ctx context.Context, tx projections.Tx, id domain.MeetingID, fn func(t *Transcript) error) error {
	return updateMeeting(ctx, tx, id, func(m *MeetingRecord) error {
		if m.Transcript == nil {
			m.Transcript = &Transcript{}
		}
		return fn(m.Transcript)
	})
}

func updateUtterance(ctx context.Context, tx projections.Tx, meeting domain.MeetingID, id domain.UtteranceID, fn func(u *Utterance) error) error {
	return projections.Update(ctx, tx, collUtterances, childKey(meeting, string(id)), func(u *Utterance) error {
		if u.UtteranceID == "" {
			u.UtteranceID = string(id)
		}
		return fn(u)
	})
}

// addVersion stores a new version of an utterance's text, as a document of
// its own.
func addVersion(ctx context.Context, tx projections.Tx, meeting domain.MeetingID, id domain.UtteranceID, v UtteranceVersion) error {
	return tx.Put(ctx, collVersions, childKey(meeting, string(id))+"/"+posKey(eventstore.Position(v.Version)), v)
}

// putUtterance stores a new utterance and its first version.
func putUtterance(ctx context.Context, tx projections.Tx, meeting domain.MeetingID, u Utterance, first UtteranceVersion) error {
	if err := tx.Put(ctx, collUtterances, childKey(meeting, u.UtteranceID), u); err != nil {
		return err
	}
	return addVersion(ctx, tx, meeting, domain.UtteranceID(u.UtteranceID), first)
}

// ---- queries ----

// errUtteranceVanished: an utterance listed while ordering a page was gone
// when read in full (a generation switched between the two reads).
var errUtteranceVanished = errors.New("utterance not found")

// utterancePlace is the part of an Utterance that orders it: where it was
// placed (not by whom or when) and its removal.
type utterancePlace struct {
	UtteranceID string            `json:"utteranceId"`
	Seq         int               `json:"seq,omitempty"`
	Origin      placeOrigin       `json:"origin"`
	Removed     *UtteranceRemoval `json:"removed,omitempty"`
}

// placeOrigin is the part of an Origin that places an utterance: decoding
// only that much (not the stamp's actor, event and times) halves the cost
// of ordering a long transcript.
type placeOrigin struct {
	How       string              `json:"how"`
	After     string              `json:"after,omitempty"`
	SplitFrom string              `json:"splitFrom,omitempty"`
	Part      int                 `json:"part,omitempty"`
	Position  eventstore.Position `json:"position"`
}

// placeOf returns an utterance's place.
func placeOf(u Utterance) utterancePlace {
	o := u.Origin
	return utterancePlace{UtteranceID: u.UtteranceID, Seq: u.Seq, Removed: u.Removed,
		Origin: placeOrigin{How: o.How, After: o.After, SplitFrom: o.SplitFrom, Part: o.Part, Position: o.Position}}
}

// utterance returns the place as an Utterance with only its ID and place.
func (p utterancePlace) utterance() Utterance {
	o := p.Origin
	return Utterance{UtteranceID: p.UtteranceID, Seq: p.Seq, Removed: p.Removed,
		Origin: Origin{How: o.How, After: o.After, SplitFrom: o.SplitFrom, Part: o.Part, Stamp: Stamp{Position: o.Position}}}
}

// Window is a range of a transcript's utterances, in transcript order.
type Window struct {
	Offset, Limit int
}

// Meeting returns a meeting's page as view v may see it: the meeting, its
// transcript in order with every version, its notes and questions; and
// whether the meeting is known.
//
// With a Window, only the utterances inside it are read in full, with their
// versions and current text; those outside it carry only their ID and place
// (their origin's how, after, split, part and position, and their removal):
// a page showing 100 utterances of a long transcript reads those only.
func Meeting(ctx context.Context, r projections.Reader, id domain.MeetingID, v View, window ...Window) (MeetingRecord, bool, error) {
	var w *Window
	if len(window) > 0 {
		w = &window[0]
	}
	return meeting(ctx, r, id, v, w, transcriptOrder)
}

// orderFunc returns a transcript's utterances in order as view v sees
// them, each with only its ID and place, and the live and removed counts.
type orderFunc func(ctx context.Context, r projections.Reader, id domain.MeetingID, v View) ([]Utterance, int, int, error)

// transcriptOrder reads every utterance's place and puts them in order.
func transcriptOrder(ctx context.Context, r projections.Reader, id domain.MeetingID, v View) ([]Utterance, int, int, error) {
	var us []Utterance
	// Ordering needs only each utterance's place: decode that much (or, on
	// an as-of snapshot, take it from the utterances it holds as values).
	err := scanDocsDecoded(ctx, r, collUtterances, string(id)+"/", nil, placeOf, decodePlace, func(_ string, p utterancePlace) error {
		us = append(us, p.utterance())
		return nil
	})
	if err != nil {
		return nil, 0, 0, wrap(err, "transcript of meeting %s", id)
	}
	us, live, removed := orderUtterances(us, v)
	return us, live, removed, nil
}

// meeting is Meeting, with the transcript's order of a windowed query
// from order.
func meeting(ctx context.Context, r projections.Reader, id domain.MeetingID, v View, window *Window, order orderFunc) (MeetingRecord, bool, error) {
	m, ok, err := projections.Get[MeetingRecord](ctx, r, collMeetings, string(id))
	if err != nil || !ok {
		return MeetingRecord{}, ok, wrap(err, "meeting %s", id)
	}
	prefix := string(id) + "/"
	m.Notes, m.Questions, m.RemovedNotes, m.ArchivedQuestions = nil, nil, 0, 0
	if m.Transcript != nil {
		t := *m.Transcript
		m.Transcript = &t
		if window == nil {
			versions := map[string][]UtteranceVersion{}
			err := scanDocs(ctx, r, collVersions, prefix, nil, func(key string, v UtteranceVersion) error {
				u := key[len(prefix):strings.LastIndexByte(key, '/')]
				versions[u] = append(versions[u], v)
				return nil
			})
			if err != nil {
				return MeetingRecord{}, false, wrap(err, "versions of meeting %s", id)
			}
			var us []Utterance
			err = scanDocs(ctx, r, collUtterances, prefix, nil, func(_ string, u Utterance) error {
				u.Versions = versions[u.UtteranceID]
				us = append(us, u)
				return nil
			})
			if err != nil {
				return MeetingRecord{}, false, wrap(err, "transcript of meeting %s", id)
			}
			m.Transcript.Utterances, m.Transcript.Live, m.Transcript.Removed = orderUtterances(us, v)
		} else {
			all, live, removed, err := order(ctx, r, id, v)
			if err != nil {
				return MeetingRecord{}, false, err
			}
			m.Transcript.Utterances, m.Transcript.Live, m.Transcript.Removed = all, live, removed
			lo := min(max(window.Offset, 0), len(all))
			hi := min(lo+max(window.Limit, 0), len(all))
			for i := lo; i < hi; i++ {
				full, ok, err := projections.Get[Utterance](ctx, r, collUtterances, prefix+all[i].UtteranceID)
				if err != nil || !ok {
					return MeetingRecord{}, false, wrap(cmp.Or(err, errUtteranceVanished), "utterance %s of meeting %s", all[i].UtteranceID, id)
				}
				all[i] = full
				uprefix := prefix + all[i].UtteranceID + "/"
				err = scanDocs(ctx, r, collVersions, uprefix, nil, func(_ string, uv UtteranceVersion) error {
					all[i].Versions = append(all[i].Versions, uv)
					return nil
				})
				if err != nil {
					return MeetingRecord{}, false, wrap(err, "versions of meeting %s", id)
				}
				if n := len(all[i].Versions); n > 0 {
					cur := all[i].Versions[n-1]
					all[i].Paragraphs, all[i].Version = cur.Paragraphs, cur.Version
				}
			}
		}
	}
	err = scanDocs(ctx, r, collNotes, prefix, nil, func(_ string, n Note) error {
		if n.Removed != nil {
			m.RemovedNotes++
			if !v.auditor() {
				return nil
			}
		}
		m.Notes = append(m.Notes, n.For(v))
		return nil
	})
	if err != nil {
		return MeetingRecord{}, false, wrap(err, "notes of meeting %s", id)
	}
	err = scanDocs(ctx, r, collQuestions, prefix, nil, func(_ string, q Question) error {
		if q.Archived != nil {
			m.ArchivedQuestions++
			if !v.auditor() {
				return nil
			}
		}
		m.Questions = append(m.Questions, q)
		return nil
	})
	if err != nil {
		return MeetingRecord{}, false, wrap(err, "questions of meeting %s", id)
	}
	slices.SortStableFunc(m.Notes, func(a, b Note) int { return cmp.Compare(a.Revisions[0].Position, b.Revisions[0].Position) })
	slices.SortStableFunc(m.Questions, func(a, b Question) int { return cmp.Compare(a.Posted.Position, b.Posted.Position) })
	return m.For(v), true, nil
}

// For returns a note as view v may see it.
func (n Note) For(v View) Note {
	if len(n.Revisions) == 0 {
		n.Revisions = []NoteRevision{{Revision: 1, Text: n.Text}}
	}
	if v.auditor() {
		return n
	}
	n.Revisions = mapStamps(n.Revisions, func(x *NoteRevision) *Stamp { return &x.Stamp }, v)
	return n
}

// For returns the meeting as view v may see it: public views leave out the
// pseudonyms of citizens and proposers in every stamp, and the actor IDs
// behind speakers' names (and so the editor of a speaker's own edit).
// (Removed notes, archived questions and deleted utterances are left out by
// Meeting.)
func (m MeetingRecord) For(v View) MeetingRecord {
	if v.auditor() {
		return m
	}
	m.Scheduled = stampPtrFor(m.Scheduled, v)
	m.Closed = stampPtrFor(m.Closed, v)
	m.Participants = mapStamps(m.Participants, func(x *Participant) *Stamp { return &x.Added }, v)
	if m.Transcript != nil {
		t := *m.Transcript
		t.Utterances = slices.Clone(t.Utterances)
		for i := range t.Utterances {
			u := &t.Utterances[i]
			u.Speaker = publicSpeaker(u.Speaker)
			u.Origin.Stamp = u.Origin.Stamp.For(v)
			u.Versions = mapStamps(u.Versions, func(x *UtteranceVersion) *Stamp { return &x.Stamp }, v)
			for j := range u.Versions {
				if u.Versions[j].Change == domain.ChangeEdited {
					u.Versions[j].Editor = "" // the speaker's actor ID
				}
			}
			u.Reattributions = mapStamps(u.Reattributions, func(x *Reattribution) *Stamp { return &x.Stamp }, v)
			for j := range u.Reattributions {
				u.Reattributions[j].From.ActorID, u.Reattributions[j].To.ActorID = "", ""
			}
			u.Reclassifications = mapStamps(u.Reclassifications, func(x *Reclassification) *Stamp { return &x.Stamp }, v)
			for j := range u.Reclassifications {
				u.Reclassifications[j].Speaker = publicSpeaker(u.Reclassifications[j].Speaker)
			}
		}
		m.Transcript = &t
	}
	return m
}

// publicSpeaker returns a copy of s without its actor ID: public views
// name speakers, and leave the accounts behind the names to auditors.
func publicSpeaker(s *domain.Speaker) *domain.Speaker {
	if s == nil || s.ActorID == "" {
		return s
	}
	c := *s
	c.ActorID = ""
	return &c
}

// orderUtterances puts a transcript's utterances in transcript order by
// replaying where each was placed (recorded at the end, inserted after
// another or at the beginning, split off after its source), in the order
// they were placed. Removed utterances keep their place; public views leave
// them out. It returns the utterances with their current text filled in,
// the live count and the removed count.
func orderUtterances(us []Utterance, v View) (out []Utterance, live, removed int) {
	slices.SortFunc(us, func(a, b Utterance) int {
		return cmp.Or(cmp.Compare(a.Origin.Position, b.Origin.Position), cmp.Compare(a.Origin.Part, b.Origin.Part), cmp.Compare(a.Seq, b.Seq))
	})
	// A doubly linked list over indexes: -1 is the head sentinel.
	n := len(us)
	next := make([]int, n+1) // next[i+1] is the follower of i; next[0] of the head
	for i := range next {
		next[i] = -2 // not placed
	}
	next[0] = -1 // empty list
	tail := -1
	index := make(map[string]int, n)
	for i := range us {
		index[us[i].UtteranceID] = i
	}
	insertAfter := func(after, i int) {
		nx := next[after+1]
		next[i+1] = nx
		next[after+1] = i
		if after == tail {
			tail = i
		}
	}
	for i, u := range us {
		switch {
		case u.Origin.How == "recorded" || u.Origin.How == "":
			insertAfter(tail, i)
		case u.Origin.After == "":
			insertAfter(-1, i)
		default:
			a, ok := index[u.Origin.After]
			if !ok || next[a+1] == -2 {
				insertAfter(tail, i) // its anchor is unknown here: keep it, at the end
			} else {
				insertAfter(a, i)
			}
		}
	}
	out = make([]Utterance, 0, n)
	for i := next[0]; i >= 0; i = next[i+1] {
		u := us[i]
		if len(u.Versions) > 0 {
			cur := u.Versions[len(u.Versions)-1]
			u.Paragraphs, u.Version = cur.Paragraphs, cur.Version
		}
		if u.Removed != nil {
			removed++
			if !v.auditor() {
				continue
			}
		} else {
			live++
		}
		out = append(out, u)
	}
	return out, live, removed
}

// forgetInMeetings folds an erasure: in each meeting whose events it
// erased, the erased values give way to their commitments (as a rebuild
// would show them) and the events' stamps are marked; the meeting's last
// change moves to the erasure, so cached pages are drawn again.
func forgetInMeetings(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.DataErased) error {
	for stream, erased := range erasuresOf(ev, e) {
		id := domain.MeetingOfStream(stream)
		if id == "" {
			continue
		}
		prefix := string(id) + "/"
		err := errors.Join(
			forgetDoc[MeetingRecord](ctx, tx, collMeetings, string(id), erased),
			forgetDocs[UtteranceVersion](ctx, tx, collVersions, prefix, erased),
			forgetDocs[Note](ctx, tx, collNotes, prefix, erased),
			forgetDocs[Question](ctx, tx, collQuestions, prefix, erased),
			forgetSpeakers(ctx, tx, prefix, erased),
		)
		if err != nil {
			return err
		}
		pos := projections.Encoded(strconv.AppendUint(nil, uint64(ev.Position), 10))
		if err := tx.Put(ctx, collChanges, string(id), pos); err != nil {
			return err
		}
	}
	return nil
}

// forgetSpeakers forgets in a meeting's utterances: their histories, and
// the speaker in force, which came from the last reattribution, else from
// the utterance's origin (its part's, for a split).
func forgetSpeakers(ctx context.Context, tx projections.Tx, prefix string, erased map[string]*erasedEvent) error {
	forgetOne := func(u *Utterance) bool {
		changed := forget(u, erased)
		if u.Speaker == nil || u.Speaker.ActorID == "" {
			return changed
		}
		var c string
		var ok bool
		if n := len(u.Reattributions); n > 0 {
			if r := u.Reattributions[n-1]; r.Erased != nil && r.To.ActorID != u.Speaker.ActorID {
				c, ok = r.To.ActorID, true
			}
		} else if o := erased[u.Origin.EventID]; o != nil {
			path := "speaker.actorId"
			if u.Origin.How == domain.ChangeSplit { // parts are numbered from 1
				path = "parts." + strconv.Itoa(u.Origin.Part-1) + ".speaker.actorId"
			}
			c, ok = o.with(path)
		}
		if ok && c != u.Speaker.ActorID {
			s := *u.Speaker
			s.ActorID = c
			u.Speaker = &s
			changed = true
		}
		return changed
	}
	var keys []string
	err := projections.ScanAll(ctx, tx, collUtterances, prefix, func(key string, u Utterance) error {
		if forgetOne(&u) {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, key := range keys {
		if err := projections.Update(ctx, tx, collUtterances, key, func(u *Utterance) error {
			forgetOne(u)
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// decodePlace decodes an utterance's place from its document's JSON, as
// json.Unmarshal into an utterancePlace would, without encoding/json's
// reflection and validation pass: ordering a 6,000-utterance transcript
// read from stored snapshots decodes every utterance's place (decision
// 0047). It walks the compact JSON the read models write (topFields) and
// takes only the place's fields; a removal (rare) is decoded with
// encoding/json. JSON it does not take (spaces, a malformed document) is
// handed to json.Unmarshal, so the answer and the errors are its.
func decodePlace(raw []byte) (utterancePlace, error) {
	if p, ok := scanPlace(raw); ok {
		return p, nil
	}
	var p utterancePlace
	err := json.Unmarshal(raw, &p)
	return p, err
}

// scanPlace is decodePlace's walk; false when the JSON is not what it takes.
func scanPlace(raw []byte) (utterancePlace, bool) {
	var p utterancePlace
	ok := true
	err := topFields(raw, func(name string, v []byte) {
		if !ok || string(v) == "null" {
			return
		}
		switch name {
		case "utteranceId":
			p.UtteranceID, ok = placeString(v)
		case "seq":
			p.Seq, ok = rawIntValue(v)
		case "removed":
			p.Removed = new(UtteranceRemoval)
			ok = json.Unmarshal(v, p.Removed) == nil
		case "origin":
			ok = scanPlaceOrigin(v, &p.Origin)
		default:
			ok = !foldsTo(name, "utteranceId", "seq", "removed", "origin")
		}
	})
	return p, ok && err == nil
}

// scanPlaceOrigin decodes a placeOrigin's fields from an origin's JSON.
func scanPlaceOrigin(raw []byte, o *placeOrigin) bool {
	ok := true
	err := topFields(raw, func(name string, v []byte) {
		if !ok || string(v) == "null" {
			return
		}
		switch name {
		case "how":
			o.How, ok = placeString(v)
		case "after":
			o.After, ok = placeString(v)
		case "splitFrom":
			o.SplitFrom, ok = placeString(v)
		case "part":
			o.Part, ok = rawIntValue(v)
		case "position":
			var n uint64
			n, ok = rawUint(v)
			o.Position = eventstore.Position(n)
		default:
			ok = !foldsTo(name, "how", "after", "splitFrom", "part", "position")
		}
	})
	return ok && err == nil
}

// rawIntValue returns the int a raw JSON number holds; false for anything
// but a plain decimal integer (encoding/json then decides).
func rawIntValue(v []byte) (int, bool) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	if !rawInt(v) || (len(v) > 1 && v[0] == '0') {
		return 0, false
	}
	n, err := strconv.Atoi(string(v))
	if neg {
		n = -n
	}
	return n, err == nil
}

// rawUint returns the uint64 a raw JSON number holds; false for anything
// but a plain decimal integer.
func rawUint(v []byte) (uint64, bool) {
	if !rawInt(v) || (len(v) > 1 && v[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	return n, err == nil
}

// placeString returns the string a raw JSON string holds, when it is valid
// UTF-8 without control characters (else encoding/json decides, which
// replaces invalid bytes).
func placeString(v []byte) (string, bool) {
	for _, c := range v {
		if c < 0x20 {
			return "", false
		}
	}
	if !utf8.Valid(v) {
		return "", false
	}
	return rawString(v)
}

// foldsTo reports whether name matches one of names case-insensitively, as
// encoding/json would match a field (scanPlace then leaves it to it).
func foldsTo(name string, names ...string) bool {
	for _, n := range names {
		if len(n) == len(name) && strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"
)

// MeetingKind is what kind of meeting it is.
type MeetingKind string

// Meeting kinds.
const (
	// MeetingCollaborative: a collaborative meeting of a case, with a phase.
	MeetingCollaborative MeetingKind = "collaborative"
	// MeetingPreMeeting: agencies agree the core problem and red lines.
	MeetingPreMeeting MeetingKind = "pre_meeting"
	// MeetingWorking: a working meeting of a case.
	MeetingWorking MeetingKind = "working"
	// MeetingOther: any other meeting (a consensus camp, an imported
	// meeting); it may have no case.
	MeetingOther MeetingKind = "other"
	// MeetingPOMonthly: a PO monthly meeting's session, attached to its
	// monthly meeting (MonthlyMeetingID) and to no case.
	MeetingPOMonthly MeetingKind = "po_monthly"
)

// Phase is the double-diamond phase of a collaborative meeting.
type Phase string

// Phases.
const (
	PhaseDiscover Phase = "discover"
	PhaseDefine   Phase = "define"
	PhaseDevelop  Phase = "develop"
	PhaseDeliver  Phase = "deliver"
)

func (p Phase) valid() bool {
	return p == PhaseDiscover || p == PhaseDefine || p == PhaseDevelop || p == PhaseDeliver
}

// ParticipantRole is a participant's role in a meeting.
type ParticipantRole string

// Participant roles.
const (
	ParticipantHost         ParticipantRole = "host"
	ParticipantProposer     ParticipantRole = "proposer"
	ParticipantMinistry     ParticipantRole = "ministry"
	ParticipantStakeholder  ParticipantRole = "stakeholder"
	ParticipantExpert       ParticipantRole = "expert"
	ParticipantObserver     ParticipantRole = "observer"
	ParticipantStenographer ParticipantRole = "stenographer"
)

func (r ParticipantRole) valid() bool {
	switch r {
	case ParticipantHost, ParticipantProposer, ParticipantMinistry, ParticipantStakeholder, ParticipantExpert, ParticipantObserver, ParticipantStenographer:
		return true
	}
	return false
}

// Board is where a note is written.
type Board string

// Boards.
const (
	// BoardMindMap is the mind map / issue-context table.
	BoardMindMap Board = "mind_map"
	// BoardConceptSheet is a concept-development sheet.
	BoardConceptSheet Board = "concept_sheet"
)

// ConceptSection is a section of a concept-development sheet.
type ConceptSection string

// Concept-development sheet sections, in the sheet's order: problem →
// sub-problems → solutions → risks and obstacles → how to overcome them →
// responsible unit → vision.
const (
	SectionProblem         ConceptSection = "problem"
	SectionSubProblem      ConceptSection = "sub_problem"
	SectionSolution        ConceptSection = "solution"
	SectionRisk            ConceptSection = "risk"
	SectionOvercome        ConceptSection = "overcome"
	SectionResponsibleUnit ConceptSection = "responsible_unit"
	SectionVision          ConceptSection = "vision"
)

// ConceptSections returns the sections in sheet order.
func ConceptSections() []ConceptSection {
	return []ConceptSection{SectionProblem, SectionSubProblem, SectionSolution, SectionRisk, SectionOvercome, SectionResponsibleUnit, SectionVision}
}

// RecordingKind is the kind of a recording link.
type RecordingKind string

// Recording kinds.
const (
	RecordingVideo      RecordingKind = "video"
	RecordingLiveStream RecordingKind = "livestream"
	RecordingAudio      RecordingKind = "audio"
)

// ---- commands ----

// ScheduleMeeting schedules a meeting of a case (or, for MeetingOther, of no
// case; for MeetingPOMonthly, of a monthly meeting) starting at StartsAt.
type ScheduleMeeting struct {
	MeetingID MeetingID
	CaseID    CaseID
	Kind      MeetingKind
	Phase     Phase
	Title     string
	StartsAt  time.Time
	// MonthlyMeetingID is the PO monthly meeting a MeetingPOMonthly session
	// belongs to.
	MonthlyMeetingID MonthlyMeetingID
	// Imported marks a meeting recorded from an archive after the fact.
	// Scheduling the same imported meeting again decides nothing, and a
	// collaborative meeting of an imported case may have no phase (the
	// archive does not say).
	Imported bool
}

// AddParticipant invites a participant with a role.
type AddParticipant struct {
	MeetingID     MeetingID
	ParticipantID ParticipantID
	Name          string
	Role          ParticipantRole
	// Ministry is required for the ministry role.
	Ministry MinistryID
	// StakeholderID links to the case's stakeholder inventory, if any.
	StakeholderID StakeholderID
	// Account is the account the participant acts under (a citizen's
	// pseudonym, a PO's or an official's account ID), so that they may post
	// anonymous questions; optional. It is never stored: the command side
	// turns it into AccountKey (see ParticipantKey) and clears it, and the
	// domain refuses it in the clear.
	Account string
	// AccountKey is ParticipantKey of Account, set by the command side;
	// whatever a client sends is ignored.
	AccountKey string `json:"-"`
}

// RecordAttendance records whether a participant attended.
type RecordAttendance struct {
	MeetingID     MeetingID
	ParticipantID ParticipantID
	Present       bool
}

// AddNote adds a note to the mind map or a concept-development sheet.
type AddNote struct {
	MeetingID MeetingID
	NoteID    NoteID
	Board     Board
	// Sheet names the concept-development sheet (concept_sheet only).
	Sheet string
	// Section is the sheet section (concept_sheet only).
	Section ConceptSection
	// Parent is the note this one hangs from on the mind map, if any.
	Parent NoteID
	Text   string
}

// ReviseNote changes a note's text.
type ReviseNote struct {
	MeetingID MeetingID
	NoteID    NoteID
	Text      string
	Reason    string
}

// RemoveNote removes a note, with a reason; it stays in the trail.
type RemoveNote struct {
	MeetingID MeetingID
	NoteID    NoteID
	Reason    string
}

// PostQuestion posts an anonymous question.
type PostQuestion struct {
	MeetingID  MeetingID
	QuestionID QuestionID
	Text       string
	// AuthorKey is ParticipantKey of the asker's account, set by the
	// command side to check that they are a participant; it is recorded
	// nowhere. Whatever a client sends is ignored.
	AuthorKey string `json:"-"`
}

// AnswerQuestion answers an anonymous question.
type AnswerQuestion struct {
	MeetingID  MeetingID
	QuestionID QuestionID
	Answer     string
}

// ArchiveQuestion archives an anonymous question.
type ArchiveQuestion struct {
	MeetingID  MeetingID
	QuestionID QuestionID
	Reason     string
}

// AddRecording links a recording or live stream.
type AddRecording struct {
	MeetingID   MeetingID
	RecordingID RecordingID
	Kind        RecordingKind
	URL         string
	// SHA256 of the recording file, if known (lower-case hex).
	SHA256 string
}

// CloseMeeting closes the meeting: no more notes, questions or attendance.
type CloseMeeting struct {
	MeetingID MeetingID
}

// CommandName implements Command.
func (ScheduleMeeting) CommandName() string { return CmdScheduleMeeting }

// CommandName implements Command.
func (AddParticipant) CommandName() string { return CmdAddParticipant }

// CommandName implements Command.
func (RecordAttendance) CommandName() string { return CmdRecordAttendance }

// CommandName implements Command.
func (AddNote) CommandName() string { return CmdAddNote }

// CommandName implements Command.
func (ReviseNote) CommandName() string { return CmdReviseNote }

// CommandName implements Command.
func (RemoveNote) CommandName() string { return CmdRemoveNote }

// CommandName implements Command.
func (PostQuestion) CommandName() string { return CmdPostQuestion }

// CommandName implements Command.
func (AnswerQuestion) CommandName() string { return CmdAnswerQuestion }

// CommandName implements Command.
func (ArchiveQuestion) CommandName() string { return CmdArchiveQuestion }

// CommandName implements Command.
func (AddRecording) CommandName() string { return CmdAddRecording }

// CommandName implements Command.
func (CloseMeeting) CommandName() string { return CmdCloseMeeting }

// ---- events ----

// MeetingScheduled: a meeting was scheduled. Voted is true for a
// collaborative meeting of a case from a voted topic; Organiser is then the
// case's lead ministry (the organiser-spacing rule applies to it).
type MeetingScheduled struct {
	MeetingID MeetingID   `json:"meetingId"`
	CaseID    CaseID      `json:"caseId,omitempty"`
	Kind      MeetingKind `json:"kind"`
	Phase     Phase       `json:"phase,omitempty"`
	Title     string      `json:"title" ledger:"public"`
	StartsAt  time.Time   `json:"startsAt"`
	Organiser MinistryID  `json:"organiser,omitempty"`
	Voted     bool        `json:"voted,omitempty"`
	// MonthlyMeetingID is the monthly meeting of a po_monthly session.
	MonthlyMeetingID MonthlyMeetingID `json:"monthlyMeetingId,omitempty"`
	// Imported marks a meeting recorded from an archive after the fact.
	Imported bool `json:"imported,omitempty"`
	Occurred
}

// MeetingParticipantAdded: a participant was invited.
type MeetingParticipantAdded struct {
	MeetingID     MeetingID       `json:"meetingId"`
	ParticipantID ParticipantID   `json:"participantId" ledger:"public"`
	Name          string          `json:"name" ledger:"public"`
	Role          ParticipantRole `json:"role"`
	Ministry      MinistryID      `json:"ministry,omitempty"`
	StakeholderID StakeholderID   `json:"stakeholderId,omitempty"`
	// AccountKey is the participant's ParticipantKey, when they were
	// invited with an account (so that they may post questions).
	AccountKey string `json:"accountKey,omitempty" ledger:"personal"`
	Occurred
}

// MeetingAttendanceRecorded: a participant's attendance.
type MeetingAttendanceRecorded struct {
	MeetingID     MeetingID     `json:"meetingId"`
	ParticipantID ParticipantID `json:"participantId" ledger:"public"`
	Present       bool          `json:"present"`
	Occurred
}

// MeetingNoteAdded: a note was written.
type MeetingNoteAdded struct {
	MeetingID MeetingID      `json:"meetingId"`
	NoteID    NoteID         `json:"noteId"`
	Board     Board          `json:"board"`
	Sheet     string         `json:"sheet,omitempty" ledger:"public"`
	Section   ConceptSection `json:"section,omitempty"`
	Parent    NoteID         `json:"parent,omitempty"`
	Text      string         `json:"text" ledger:"public,withdrawable=note"`
	Occurred
}

// MeetingNoteRevised: a note's text changed; Revision counts from 2 (the
// added text is revision 1).
type MeetingNoteRevised struct {
	MeetingID MeetingID `json:"meetingId"`
	NoteID    NoteID    `json:"noteId"`
	Revision  int       `json:"revision"`
	Text      string    `json:"text" ledger:"public,withdrawable=note"`
	Reason    string    `json:"reason,omitempty" ledger:"public"`
	Occurred
}

// MeetingNoteRemoved: a note was removed (it stays in the auditors' view).
type MeetingNoteRemoved struct {
	MeetingID MeetingID `json:"meetingId"`
	NoteID    NoteID    `json:"noteId"`
	Reason    string    `json:"reason" ledger:"confidential"`
	Occurred
}

// MeetingQuestionPosted: an anonymous question. Its author is recorded
// nowhere, not even in the envelope (see Anonymous).
type MeetingQuestionPosted struct {
	MeetingID  MeetingID  `json:"meetingId"`
	QuestionID QuestionID `json:"questionId"`
	Text       string     `json:"text" ledger:"public,withdrawable=question"`
	Occurred
}

// AnonymousAuthor implements Anonymous.
func (MeetingQuestionPosted) AnonymousAuthor() {}

// MeetingQuestionAnswered: the hosts answered a question.
type MeetingQuestionAnswered struct {
	MeetingID  MeetingID  `json:"meetingId"`
	QuestionID QuestionID `json:"questionId"`
	Answer     string     `json:"answer" ledger:"public,withdrawable=question"`
	Occurred
}

// MeetingQuestionArchived: the hosts archived a question.
type MeetingQuestionArchived struct {
	MeetingID  MeetingID  `json:"meetingId"`
	QuestionID QuestionID `json:"questionId"`
	Reason     string     `json:"reason,omitempty" ledger:"confidential"`
	Occurred
}

// MeetingRecordingAdded: a recording or live-stream link.
type MeetingRecordingAdded struct {
	MeetingID   MeetingID     `json:"meetingId"`
	RecordingID RecordingID   `json:"recordingId"`
	Kind        RecordingKind `json:"kind"`
	URL         string        `json:"url" ledger:"public"`
	SHA256      string        `json:"sha256,omitempty" ledger:"public"`
	Occurred
}

// MeetingClosed: the meeting ended.
type MeetingClosed struct {
	MeetingID MeetingID `json:"meetingId"`
	Occurred
}

// EventType implements Event.
func (MeetingScheduled) EventType() string { return "meeting.scheduled" }

// EventType implements Event.
func (MeetingParticipantAdded) EventType() string { return "meeting.participant_added" }

// EventType implements Event.
func (MeetingAttendanceRecorded) EventType() string { return "meeting.attendance_recorded" }

// EventType implements Event.
func (MeetingNoteAdded) EventType() string { return "meeting.note_added" }

// EventType implements Event.
func (MeetingNoteRevised) EventType() string { return "meeting.note_revised" }

// EventType implements Event.
func (MeetingNoteRemoved) EventType() string { return "meeting.note_removed" }

// EventType implements Event.
func (MeetingQuestionPosted) EventType() string { return "meeting.question_posted" }

// EventType implements Event.
func (MeetingQuestionAnswered) EventType() string { return "meeting.question_answered" }

// EventType implements Event.
func (MeetingQuestionArchived) EventType() string { return "meeting.question_archived" }

// EventType implements Event.
func (MeetingRecordingAdded) EventType() string { return "meeting.recording_added" }

// EventType implements Event.
func (MeetingClosed) EventType() string { return "meeting.closed" }

// SchemaVersion implements Event.
func (MeetingScheduled) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (MeetingParticipantAdded) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (MeetingAttendanceRecorded) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (MeetingNoteAdded) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (MeetingNoteRevised) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (MeetingNoteRemoved) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (MeetingQuestionPosted) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (MeetingQuestionAnswered) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (MeetingQuestionArchived) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (MeetingRecordingAdded) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (MeetingClosed) SchemaVersion() int { return 1 }

// ---- state ----

type note struct {
	text     string
	revision int
	removed  bool
}

type questionState int

const (
	questionPosted questionState = iota
	questionAnswered
	questionArchived
)

// Meeting is the state of one meeting's stream: participants, attendance,
// notes, anonymous questions, recordings. Its transcript is a separate
// aggregate (Transcript).
type Meeting struct {
	id      MeetingID
	version uint64

	scheduled    bool
	sched        MeetingScheduled
	closed       bool
	participants map[ParticipantID]bool
	accountKeys  map[string]bool
	notes        map[NoteID]*note
	questions    map[QuestionID]questionState
	recordings   map[RecordingID]bool
}

// NewMeeting returns the empty state of meeting id's stream.
func NewMeeting(id MeetingID) *Meeting {
	return &Meeting{id: id, participants: map[ParticipantID]bool{}, accountKeys: map[string]bool{}, notes: map[NoteID]*note{}, questions: map[QuestionID]questionState{}, recordings: map[RecordingID]bool{}}
}

// ID returns the meeting's ID.
func (m *Meeting) ID() MeetingID { return m.id }

// Version implements Aggregate.
func (m *Meeting) Version() uint64 { return m.version }

// Scheduled reports whether the meeting exists.
func (m *Meeting) Scheduled() bool { return m.scheduled }

// Closed reports whether the meeting has ended.
func (m *Meeting) Closed() bool { return m.closed }

// CaseID returns the meeting's case ("" for a meeting of no case).
func (m *Meeting) CaseID() CaseID { return m.sched.CaseID }

// Kind returns the meeting's kind.
func (m *Meeting) Kind() MeetingKind { return m.sched.Kind }

// StartsAt returns when the meeting starts.
func (m *Meeting) StartsAt() time.Time { return m.sched.StartsAt }

// Title returns the meeting's title.
func (m *Meeting) Title() string { return m.sched.Title }

// Imported reports whether the meeting was recorded from an archive.
func (m *Meeting) Imported() bool { return m.sched.Imported }

// MonthlyMeetingID returns the monthly meeting of a po_monthly session.
func (m *Meeting) MonthlyMeetingID() MonthlyMeetingID { return m.sched.MonthlyMeetingID }

// NoteText returns a note's current text and whether it was removed.
func (m *Meeting) NoteText(id NoteID) (text string, removed, ok bool) {
	n, ok := m.notes[id]
	if !ok {
		return "", false, false
	}
	return n.text, n.removed, true
}

// Apply implements Aggregate.
func (m *Meeting) Apply(e Event) error {
	const agg = "meeting"
	if _, isSched := e.(MeetingScheduled); !isSched && !m.scheduled {
		return badEvent(agg, e, "meeting %s not scheduled", m.id)
	}
	switch e := e.(type) {
	case MeetingScheduled:
		if m.scheduled {
			return badEvent(agg, e, "meeting %s already scheduled", m.id)
		}
		m.scheduled, m.sched = true, e
	case MeetingParticipantAdded:
		m.participants[e.ParticipantID] = true
		if e.AccountKey != "" {
			m.accountKeys[e.AccountKey] = true
		}
	case MeetingAttendanceRecorded:
	case MeetingNoteAdded:
		m.notes[e.NoteID] = &note{text: e.Text, revision: 1}
	case MeetingNoteRevised:
		n, ok := m.notes[e.NoteID]
		if !ok {
			return badEvent(agg, e, "no note %s", e.NoteID)
		}
		n.text, n.revision = e.Text, e.Revision
	case MeetingNoteRemoved:
		n, ok := m.notes[e.NoteID]
		if !ok {
			return badEvent(agg, e, "no note %s", e.NoteID)
		}
		n.removed = true
	case MeetingQuestionPosted:
		m.questions[e.QuestionID] = questionPosted
	case MeetingQuestionAnswered:
		m.questions[e.QuestionID] = questionAnswered
	case MeetingQuestionArchived:
		m.questions[e.QuestionID] = questionArchived
	case MeetingRecordingAdded:
		m.recordings[e.RecordingID] = true
	case MeetingClosed:
		m.closed = true
	default:
		return badEvent(agg, e, "not a meeting event")
	}
	m.version++
	return nil
}

// ---- decisions ----

// begin authorises and checks the aggregate; open requires the meeting to
// exist and, if live, not to be closed.
func (m *Meeting) begin(cmd Command, id MeetingID, actor Actor, at time.Time, exist, live bool) error {
	name := cmd.CommandName()
	if err := Authorize(name, actor); err != nil {
		return err
	}
	if err := requireAt(name, at); err != nil {
		return err
	}
	if id != m.id {
		return violated(name+".wrong_aggregate", "command for meeting %s decided on meeting %s", id, m.id)
	}
	if exist && !m.scheduled {
		return notFound(name+".not_found", "meeting %s does not exist", m.id)
	}
	if live && m.closed {
		return conflict(name+".closed", "meeting %s is closed", m.id)
	}
	return nil
}

// Schedule decides ScheduleMeeting. c is the loaded case (nil only for
// MeetingOther without a case). A collaborative meeting of a case from a
// voted topic is organised by the case's lead, which may not host another
// voted meeting within cfg.MinDaysBetweenMeetingsSameOrganiser days (per
// history).
func (m *Meeting) Schedule(cmd ScheduleMeeting, actor Actor, at time.Time, c *Case, cfg MonthlyConfig, history VotedMeetings) ([]Event, error) {
	if err := m.begin(cmd, cmd.MeetingID, actor, at, false, false); err != nil {
		return nil, err
	}
	if err := validID(CmdScheduleMeeting, "meeting", string(cmd.MeetingID)); err != nil {
		return nil, err
	}
	if m.scheduled && cmd.Imported && m.sched.Imported && m.sched.CaseID == cmd.CaseID && m.sched.Kind == cmd.Kind &&
		m.sched.Title == cmd.Title && m.sched.StartsAt.Equal(cmd.StartsAt) && m.sched.MonthlyMeetingID == cmd.MonthlyMeetingID {
		return nil, nil // the same imported meeting, imported again
	}
	switch cmd.Kind {
	case MeetingCollaborative, MeetingPreMeeting, MeetingWorking, MeetingOther, MeetingPOMonthly:
	default:
		return nil, violated("meeting.schedule.kind_invalid", "unknown meeting kind %q", cmd.Kind)
	}
	if (cmd.Kind == MeetingPOMonthly) != (cmd.MonthlyMeetingID != "") {
		return nil, violated("meeting.schedule.monthly_meeting", "a po_monthly meeting, and only one, names its monthly meeting")
	}
	if cmd.MonthlyMeetingID != "" {
		if err := validID(CmdScheduleMeeting, "monthly meeting", string(cmd.MonthlyMeetingID)); err != nil {
			return nil, err
		}
		if cmd.CaseID != "" {
			return nil, violated("meeting.schedule.monthly_has_no_case", "a po_monthly meeting belongs to no case")
		}
	}
	importedCase := cmd.Imported && c != nil && c.ID() == cmd.CaseID && c.SourceKind() == SourceImported
	if cmd.Kind == MeetingCollaborative && !cmd.Phase.valid() && !(importedCase && cmd.Phase == "") {
		return nil, violated("meeting.schedule.phase_required", "a collaborative meeting has a phase (discover, define, develop, deliver), not %q", cmd.Phase)
	}
	if cmd.Kind != MeetingCollaborative && cmd.Phase != "" && !cmd.Phase.valid() {
		return nil, violated("meeting.schedule.phase_invalid", "unknown phase %q", cmd.Phase)
	}
	if strings.TrimSpace(cmd.Title) == "" {
		return nil, violated("meeting.schedule.title_required", "meeting %s has no title", cmd.MeetingID)
	}
	if cmd.StartsAt.IsZero() {
		return nil, violated("meeting.schedule.start_required", "meeting %s has no start time", cmd.MeetingID)
	}
	if err := checkInstant("startsAt", cmd.StartsAt); err != nil {
		return nil, err
	}
	ev := MeetingScheduled{MeetingID: m.id, CaseID: cmd.CaseID, Kind: cmd.Kind, Phase: cmd.Phase, Title: cmd.Title, StartsAt: cmd.StartsAt.UTC(), MonthlyMeetingID: cmd.MonthlyMeetingID, Imported: cmd.Imported, Occurred: occurred(at)}
	if cmd.CaseID == "" {
		if cmd.Kind != MeetingOther && cmd.Kind != MeetingPOMonthly {
			return nil, violated("meeting.schedule.case_required", "a %s meeting belongs to a case", cmd.Kind)
		}
	} else {
		if c == nil || c.ID() != cmd.CaseID || !c.Opened() {
			return nil, notFound("meeting.schedule.case_not_found", "case %s does not exist", cmd.CaseID)
		}
		if c.Stage() == StageClosed {
			return nil, conflict("meeting.schedule.case_closed", "case %s is closed", cmd.CaseID)
		}
		ev.Organiser = c.Lead()
		if cmd.Kind == MeetingCollaborative && c.SourceKind() == SourceVotedTopic {
			if c.Lead() == "" {
				return nil, violated("meeting.schedule.lead_required", "case %s has no lead ministry to organise the meeting", c.ID())
			}
			ev.Voted = true
			day := calendar.DateOf(cmd.StartsAt)
			if history != nil {
				for _, d := range history.VotedMeetingDates(c.Lead(), c.ID()) {
					if gap := day.DaysSince(d); gap < cfg.MinDaysBetweenMeetingsSameOrganiser && gap > -cfg.MinDaysBetweenMeetingsSameOrganiser {
						return nil, violated("meeting.schedule.organiser_spacing", "%s hosts another voted topic's meeting on %s, %d days from %s; at least %d days apart", c.Lead(), d, abs(gap), day, cfg.MinDaysBetweenMeetingsSameOrganiser)
					}
				}
			}
		}
	}
	if m.scheduled {
		return nil, conflict("meeting.schedule.exists", "meeting %s already exists", m.id)
	}
	return []Event{ev}, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// AddParticipant decides AddParticipant.
func (m *Meeting) AddParticipant(cmd AddParticipant, actor Actor, at time.Time) ([]Event, error) {
	if err := m.begin(cmd, cmd.MeetingID, actor, at, true, true); err != nil {
		return nil, err
	}
	if err := validID(CmdAddParticipant, "participant", string(cmd.ParticipantID)); err != nil {
		return nil, err
	}
	if !cmd.Role.valid() {
		return nil, violated("meeting.add_participant.role_invalid", "unknown participant role %q", cmd.Role)
	}
	if strings.TrimSpace(cmd.Name) == "" {
		return nil, violated("meeting.add_participant.name_required", "participant %s has no name", cmd.ParticipantID)
	}
	if cmd.Role == ParticipantMinistry && cmd.Ministry == "" {
		return nil, violated("meeting.add_participant.ministry_required", "a ministry participant names the ministry")
	}
	if cmd.AccountKey != "" && !validSHA256(cmd.AccountKey) || cmd.Account != "" {
		return nil, violated("meeting.add_participant.account_not_keyed", "a participant's account is stored only as its ParticipantKey (64 lower-case hex digits)")
	}
	if m.participants[cmd.ParticipantID] {
		return nil, conflict("meeting.add_participant.exists", "participant %s already invited", cmd.ParticipantID)
	}
	return []Event{MeetingParticipantAdded{MeetingID: m.id, ParticipantID: cmd.ParticipantID, Name: cmd.Name, Role: cmd.Role, Ministry: cmd.Ministry, StakeholderID: cmd.StakeholderID, AccountKey: cmd.AccountKey, Occurred: occurred(at)}}, nil
}

// RecordAttendance decides RecordAttendance.
func (m *Meeting) RecordAttendance(cmd RecordAttendance, actor Actor, at time.Time) ([]Event, error) {
	if err := m.begin(cmd, cmd.MeetingID, actor, at, true, true); err != nil {
		return nil, err
	}
	if !m.participants[cmd.ParticipantID] {
		return nil, notFound("meeting.record_attendance.participant_not_found", "meeting %s has no participant %s", m.id, cmd.ParticipantID)
	}
	return []Event{MeetingAttendanceRecorded{MeetingID: m.id, ParticipantID: cmd.ParticipantID, Present: cmd.Present, Occurred: occurred(at)}}, nil
}

// AddNote decides AddNote: while the meeting is open.
func (m *Meeting) AddNote(cmd AddNote, actor Actor, at time.Time) ([]Event, error) {
	if err := m.begin(cmd, cmd.MeetingID, actor, at, true, true); err != nil {
		return nil, err
	}
	if err := validID(CmdAddNote, "note", string(cmd.NoteID)); err != nil {
		return nil, err
	}
	switch cmd.Board {
	case BoardMindMap:
		if cmd.Section != "" || cmd.Sheet != "" {
			return nil, violated("meeting.add_note.section_on_mind_map", "a mind-map note has no sheet or section")
		}
	case BoardConceptSheet:
		if !slices.Contains(ConceptSections(), cmd.Section) || strings.TrimSpace(cmd.Sheet) == "" {
			return nil, violated("meeting.add_note.section_required", "a concept-sheet note names its sheet and one of the sections %v", ConceptSections())
		}
	default:
		return nil, violated("meeting.add_note.board_invalid", "unknown board %q", cmd.Board)
	}
	if strings.TrimSpace(cmd.Text) == "" {
		return nil, violated("meeting.add_note.text_required", "note %s has no text", cmd.NoteID)
	}
	if cmd.Parent != "" {
		if p, ok := m.notes[cmd.Parent]; !ok || p.removed {
			return nil, notFound("meeting.add_note.parent_not_found", "meeting %s has no note %s", m.id, cmd.Parent)
		}
	}
	if _, dup := m.notes[cmd.NoteID]; dup {
		return nil, conflict("meeting.add_note.exists", "note %s already exists", cmd.NoteID)
	}
	return []Event{MeetingNoteAdded{MeetingID: m.id, NoteID: cmd.NoteID, Board: cmd.Board, Sheet: cmd.Sheet, Section: cmd.Section, Parent: cmd.Parent, Text: cmd.Text, Occurred: occurred(at)}}, nil
}

func (m *Meeting) liveNote(cmd string, id NoteID) (*note, error) {
	n, ok := m.notes[id]
	if !ok {
		return nil, notFound(cmd+".note_not_found", "meeting %s has no note %s", m.id, id)
	}
	if n.removed {
		return nil, conflict(cmd+".removed", "note %s was removed", id)
	}
	return n, nil
}

// ReviseNote decides ReviseNote (also after the meeting closed).
func (m *Meeting) ReviseNote(cmd ReviseNote, actor Actor, at time.Time) ([]Event, error) {
	if err := m.begin(cmd, cmd.MeetingID, actor, at, true, false); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Text) == "" {
		return nil, violated("meeting.revise_note.text_required", "a revision has text")
	}
	n, err := m.liveNote(CmdReviseNote, cmd.NoteID)
	if err != nil {
		return nil, err
	}
	if n.text == cmd.Text {
		return nil, conflict("meeting.revise_note.unchanged", "note %s already reads so", cmd.NoteID)
	}
	return []Event{MeetingNoteRevised{MeetingID: m.id, NoteID: cmd.NoteID, Revision: n.revision + 1, Text: cmd.Text, Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

// RemoveNote decides RemoveNote: with a reason, also after the meeting
// closed (a participant contests a note as out of context).
func (m *Meeting) RemoveNote(cmd RemoveNote, actor Actor, at time.Time) ([]Event, error) {
	if err := m.begin(cmd, cmd.MeetingID, actor, at, true, false); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Reason) == "" {
		return nil, violated("meeting.remove_note.reason_required", "removing a note needs a reason")
	}
	if _, err := m.liveNote(CmdRemoveNote, cmd.NoteID); err != nil {
		return nil, err
	}
	return []Event{MeetingNoteRemoved{MeetingID: m.id, NoteID: cmd.NoteID, Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

// PostQuestion decides PostQuestion: while the meeting is open, by one of
// its hosts (PDIS staff) or a participant invited with an account, whose
// ParticipantKey the command side hands in cmd.AuthorKey. The event does
// not name the author and is Anonymous (see questions.go).
func (m *Meeting) PostQuestion(cmd PostQuestion, actor Actor, at time.Time) ([]Event, error) {
	if err := m.begin(cmd, cmd.MeetingID, actor, at, true, true); err != nil {
		return nil, err
	}
	if actor.Role != RolePDIS && (cmd.AuthorKey == "" || !m.accountKeys[cmd.AuthorKey]) {
		return nil, forbidden(RuleQuestionParticipantsOnly, "only the participants of meeting %s post questions in it", m.id)
	}
	if err := validID(CmdPostQuestion, "question", string(cmd.QuestionID)); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Text) == "" {
		return nil, violated("meeting.post_question.text_required", "a question has text")
	}
	if _, dup := m.questions[cmd.QuestionID]; dup {
		return nil, conflict("meeting.post_question.exists", "question %s already exists", cmd.QuestionID)
	}
	return []Event{MeetingQuestionPosted{MeetingID: m.id, QuestionID: cmd.QuestionID, Text: cmd.Text, Occurred: occurred(at)}}, nil
}

// AnswerQuestion decides AnswerQuestion (also after the meeting): once, not
// after archiving.
func (m *Meeting) AnswerQuestion(cmd AnswerQuestion, actor Actor, at time.Time) ([]Event, error) {
	if err := m.begin(cmd, cmd.MeetingID, actor, at, true, false); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Answer) == "" {
		return nil, violated("meeting.answer_question.answer_required", "an answer has text")
	}
	st, ok := m.questions[cmd.QuestionID]
	if !ok {
		return nil, notFound("meeting.answer_question.not_found", "meeting %s has no question %s", m.id, cmd.QuestionID)
	}
	switch st {
	case questionAnswered:
		return nil, conflict("meeting.answer_question.already_answered", "question %s is answered", cmd.QuestionID)
	case questionArchived:
		return nil, conflict("meeting.answer_question.archived", "question %s is archived", cmd.QuestionID)
	}
	return []Event{MeetingQuestionAnswered{MeetingID: m.id, QuestionID: cmd.QuestionID, Answer: cmd.Answer, Occurred: occurred(at)}}, nil
}

// ArchiveQuestion decides ArchiveQuestion (answered or not, once).
func (m *Meeting) ArchiveQuestion(cmd ArchiveQuestion, actor Actor, at time.Time) ([]Event, error) {
	if err := m.begin(cmd, cmd.MeetingID, actor, at, true, false); err != nil {
		return nil, err
	}
	st, ok := m.questions[cmd.QuestionID]
	if !ok {
		return nil, notFound("meeting.archive_question.not_found", "meeting %s has no question %s", m.id, cmd.QuestionID)
	}
	if st == questionArchived {
		return nil, conflict("meeting.archive_question.already_archived", "question %s is archived", cmd.QuestionID)
	}
	return []Event{MeetingQuestionArchived{MeetingID: m.id, QuestionID: cmd.QuestionID, Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

// AddRecording decides AddRecording (also after the meeting).
func (m *Meeting) AddRecording(cmd AddRecording, actor Actor, at time.Time) ([]Event, error) {
	if err := m.begin(cmd, cmd.MeetingID, actor, at, true, false); err != nil {
		return nil, err
	}
	if err := validID(CmdAddRecording, "recording", string(cmd.RecordingID)); err != nil {
		return nil, err
	}
	if cmd.Kind != RecordingVideo && cmd.Kind != RecordingLiveStream && cmd.Kind != RecordingAudio {
		return nil, violated("meeting.add_recording.kind_invalid", "unknown recording kind %q", cmd.Kind)
	}
	if !validLink(cmd.URL) {
		return nil, violated("meeting.add_recording.url_invalid", "recording link must be an absolute http(s) URL")
	}
	if cmd.SHA256 != "" && !validSHA256(cmd.SHA256) {
		return nil, violated("meeting.add_recording.hash_invalid", "SHA-256 must be 64 lower-case hex digits")
	}
	if m.recordings[cmd.RecordingID] {
		return nil, conflict("meeting.add_recording.exists", "recording %s already linked", cmd.RecordingID)
	}
	return []Event{MeetingRecordingAdded{MeetingID: m.id, RecordingID: cmd.RecordingID, Kind: cmd.Kind, URL: cmd.URL, SHA256: cmd.SHA256, Occurred: occurred(at)}}, nil
}

// Close decides CloseMeeting.
func (m *Meeting) Close(cmd CloseMeeting, actor Actor, at time.Time) ([]Event, error) {
	if err := m.begin(cmd, cmd.MeetingID, actor, at, true, true); err != nil {
		return nil, err
	}
	return []Event{MeetingClosed{MeetingID: m.id, Occurred: occurred(at)}}, nil
}

// Decide dispatches any meeting command to its decision, with the
// dependencies ScheduleMeeting needs (nil where unused).
func (m *Meeting) Decide(cmd Command, actor Actor, at time.Time, c *Case, cfg MonthlyConfig, history VotedMeetings) ([]Event, error) {
	switch x := cmd.(type) {
	case ScheduleMeeting:
		return m.Schedule(x, actor, at, c, cfg, history)
	case AddParticipant:
		return m.AddParticipant(x, actor, at)
	case RecordAttendance:
		return m.RecordAttendance(x, actor, at)
	case AddNote:
		return m.AddNote(x, actor, at)
	case ReviseNote:
		return m.ReviseNote(x, actor, at)
	case RemoveNote:
		return m.RemoveNote(x, actor, at)
	case PostQuestion:
		return m.PostQuestion(x, actor, at)
	case AnswerQuestion:
		return m.AnswerQuestion(x, actor, at)
	case ArchiveQuestion:
		return m.ArchiveQuestion(x, actor, at)
	case AddRecording:
		return m.AddRecording(x, actor, at)
	case CloseMeeting:
		return m.Close(x, actor, at)
	}
	return nil, violated("meeting.unknown_command", "%T is not a meeting command", cmd)
}

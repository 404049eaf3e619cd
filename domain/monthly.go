package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"
)

// CandidateKind is where a candidate topic of a monthly meeting comes from.
type CandidateKind string

// Candidate kinds.
const (
	// CandidateEstablishedProposal: a Join proposal that reached the
	// threshold. SourceRef is its ProposalID.
	CandidateEstablishedProposal CandidateKind = "established_proposal"
	// CandidateMinistryProposal: a ministry's own proposal.
	CandidateMinistryProposal CandidateKind = "ministry_proposal"
	// CandidatePDISProposal: a PDIS proposal.
	CandidatePDISProposal CandidateKind = "pdis_proposal"
	// CandidateEYAssignment: an assignment from the Executive Yuan.
	CandidateEYAssignment CandidateKind = "ey_assignment"
)

func (k CandidateKind) valid() bool {
	switch k {
	case CandidateEstablishedProposal, CandidateMinistryProposal, CandidatePDISProposal, CandidateEYAssignment:
		return true
	}
	return false
}

// VotedMeetings tells on which dates each organising ministry hosts or
// hosted collaborative meetings on voted topics (held or scheduled). A
// projection of meeting.scheduled events (Voted: true) provides it; the
// domain uses it for the rule that the same organiser may not host another
// voted topic's meeting within MinDaysBetweenMeetingsSameOrganiser days.
// The rule spaces topics, not the meetings of one topic: a case holds a
// discover → define → develop series, as the health-insurance-card case
// did, so the meetings of the case being scheduled do not count.
type VotedMeetings interface {
	// VotedMeetingDates returns the dates of organiser's voted meetings,
	// leaving out those of case except ("": leave out none).
	VotedMeetingDates(organiser MinistryID, except CaseID) []calendar.Date
}

// VotedMeetingDates is a VotedMeetings held in a map. It knows no cases:
// every date counts, whatever except says.
type VotedMeetingDates map[MinistryID][]calendar.Date

// VotedMeetingDates implements VotedMeetings.
func (v VotedMeetingDates) VotedMeetingDates(organiser MinistryID, _ CaseID) []calendar.Date {
	return v[organiser]
}

// ---- commands ----

// OpenMonthlyMeeting opens a PO monthly meeting held on HeldOn. Topics it
// selects are for meetings in the following month.
type OpenMonthlyMeeting struct {
	MeetingID MonthlyMeetingID
	HeldOn    calendar.Date
	// Imported marks a monthly meeting recorded from an archive after the
	// fact (its candidates and ballots are not in the archive).
	Imported bool
}

// AddCandidate presents a candidate topic.
type AddCandidate struct {
	MeetingID   MonthlyMeetingID
	CandidateID CandidateID
	Kind        CandidateKind
	Title       string
	// Organiser is the ministry that would organise the collaborative
	// meeting (for a Join proposal, its competent ministry).
	Organiser MinistryID
	// SourceRef names the source: the ProposalID of an established proposal,
	// a document number of an assignment, ...
	SourceRef string
}

// CastBallot casts the ballot of the actor's ministry.
type CastBallot struct {
	MeetingID MonthlyMeetingID
	Choices   []CandidateID
}

// CloseMonthlyMeeting closes the vote, tallies it and selects the topics.
type CloseMonthlyMeeting struct {
	MeetingID MonthlyMeetingID
}

// CommandName implements Command.
func (OpenMonthlyMeeting) CommandName() string { return CmdOpenMonthlyMeeting }

// CommandName implements Command.
func (AddCandidate) CommandName() string { return CmdAddCandidate }

// CommandName implements Command.
func (CastBallot) CommandName() string { return CmdCastBallot }

// CommandName implements Command.
func (CloseMonthlyMeeting) CommandName() string { return CmdCloseMonthlyMeeting }

// ---- events ----

// MonthlyMeetingOpened: a monthly meeting opened, under the rules recorded
// here (a snapshot of MonthlyConfig).
type MonthlyMeetingOpened struct {
	MeetingID                           MonthlyMeetingID `json:"meetingId"`
	HeldOn                              calendar.Date    `json:"heldOn"`
	MaxChoices                          int              `json:"maxChoices"`
	TopicsSelected                      int              `json:"topicsSelected"`
	MaxTopicsSelected                   int              `json:"maxTopicsSelected"`
	MinDaysBetweenMeetingsSameOrganiser int              `json:"minDaysBetweenMeetingsSameOrganiser"`
	// Imported marks a monthly meeting recorded from an archive.
	Imported bool `json:"imported,omitempty"`
	Occurred
}

// MonthlyCandidateAdded: a candidate topic was presented.
type MonthlyCandidateAdded struct {
	MeetingID   MonthlyMeetingID `json:"meetingId"`
	CandidateID CandidateID      `json:"candidateId"`
	Kind        CandidateKind    `json:"kind"`
	Title       string           `json:"title" ledger:"public"`
	Organiser   MinistryID       `json:"organiser"`
	SourceRef   string           `json:"sourceRef,omitempty" ledger:"public"`
	Occurred
}

// MonthlyBallotCast: a ministry's ballot, cast by PO.
type MonthlyBallotCast struct {
	MeetingID MonthlyMeetingID `json:"meetingId"`
	Ministry  MinistryID       `json:"ministry"`
	PO        string           `json:"po" ledger:"public"`
	Choices   []CandidateID    `json:"choices"`
	Occurred
}

// TallyEntry is one candidate's votes.
type TallyEntry struct {
	CandidateID CandidateID `json:"candidateId"`
	Votes       int         `json:"votes"`
}

// SelectedTopic is a topic the vote selected, for a collaborative meeting in
// MeetingMonth ("2006-01") organised by Organiser, no earlier than
// EarliestDate: the first working day under the organiser-spacing rule.
type SelectedTopic struct {
	CandidateID  CandidateID   `json:"candidateId"`
	Kind         CandidateKind `json:"kind"`
	Title        string        `json:"title" ledger:"public"`
	Organiser    MinistryID    `json:"organiser"`
	SourceRef    string        `json:"sourceRef,omitempty" ledger:"public"`
	Votes        int           `json:"votes"`
	MeetingMonth string        `json:"meetingMonth" ledger:"public"`
	EarliestDate calendar.Date `json:"earliestDate"`
	// CalendarProvisional: the office calendar did not cover MeetingMonth's
	// year when the vote was tallied, so EarliestDate skipped weekends only
	// (holidays unknown).
	CalendarProvisional bool `json:"calendarProvisional,omitempty"`
}

// SkippedCandidate is a candidate with enough votes that a rule kept out.
type SkippedCandidate struct {
	CandidateID CandidateID `json:"candidateId"`
	Rule        string      `json:"rule" ledger:"public"`
	Reason      string      `json:"reason" ledger:"public"`
}

// MonthlyMeetingClosed: the vote closed; Tally lists every candidate in rank
// order (votes, then the order presented), Selected the chosen topics.
type MonthlyMeetingClosed struct {
	MeetingID MonthlyMeetingID   `json:"meetingId"`
	Ballots   int                `json:"ballots"`
	Tally     []TallyEntry       `json:"tally"`
	Selected  []SelectedTopic    `json:"selected"`
	Skipped   []SkippedCandidate `json:"skipped"`
	Occurred
}

// EventType implements Event.
func (MonthlyMeetingOpened) EventType() string { return "monthly.opened" }

// EventType implements Event.
func (MonthlyCandidateAdded) EventType() string { return "monthly.candidate_added" }

// EventType implements Event.
func (MonthlyBallotCast) EventType() string { return "monthly.ballot_cast" }

// EventType implements Event.
func (MonthlyMeetingClosed) EventType() string { return "monthly.closed" }

// SchemaVersion implements Event.
func (MonthlyMeetingOpened) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (MonthlyCandidateAdded) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (MonthlyBallotCast) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (MonthlyMeetingClosed) SchemaVersion() int { return 1 }

// ---- state ----

// MonthlyMeeting is the state of one PO monthly meeting's stream.
type MonthlyMeeting struct {
	id      MonthlyMeetingID
	version uint64

	opened     bool
	heldOn     calendar.Date
	cfg        MonthlyConfig
	candidates []MonthlyCandidateAdded
	byID       map[CandidateID]int
	ballots    map[MinistryID][]CandidateID
	closed     *MonthlyMeetingClosed
	imported   bool
	held       *MonthlyMeetingHeld
}

// NewMonthlyMeeting returns the empty state of monthly meeting id's stream.
func NewMonthlyMeeting(id MonthlyMeetingID) *MonthlyMeeting {
	return &MonthlyMeeting{id: id, byID: map[CandidateID]int{}, ballots: map[MinistryID][]CandidateID{}}
}

// ID returns the meeting's ID.
func (m *MonthlyMeeting) ID() MonthlyMeetingID { return m.id }

// Version implements Aggregate.
func (m *MonthlyMeeting) Version() uint64 { return m.version }

// Opened reports whether the meeting exists.
func (m *MonthlyMeeting) Opened() bool { return m.opened }

// Closed reports whether the vote is closed.
func (m *MonthlyMeeting) Closed() bool { return m.closed != nil }

// HeldOn returns the meeting date.
func (m *MonthlyMeeting) HeldOn() calendar.Date { return m.heldOn }

// Ballots returns the number of ballots cast.
func (m *MonthlyMeeting) Ballots() int { return len(m.ballots) }

// Selected returns the selected topic candidate, if the closed vote selected
// it.
func (m *MonthlyMeeting) Selected(id CandidateID) (SelectedTopic, bool) {
	if m.closed == nil {
		return SelectedTopic{}, false
	}
	for _, s := range m.closed.Selected {
		if s.CandidateID == id {
			return s, true
		}
	}
	return SelectedTopic{}, false
}

// Apply implements Aggregate.
func (m *MonthlyMeeting) Apply(e Event) error {
	const agg = "monthly meeting"
	switch e := e.(type) {
	case MonthlyMeetingOpened:
		if m.opened {
			return badEvent(agg, e, "meeting %s already opened", m.id)
		}
		m.opened, m.heldOn, m.imported = true, e.HeldOn, e.Imported
		m.cfg = MonthlyConfig{MaxChoices: e.MaxChoices, TopicsSelected: e.TopicsSelected, MaxTopicsSelected: e.MaxTopicsSelected, MinDaysBetweenMeetingsSameOrganiser: e.MinDaysBetweenMeetingsSameOrganiser}
	case MonthlyCandidateAdded:
		if !m.opened || m.closed != nil {
			return badEvent(agg, e, "meeting %s not open", m.id)
		}
		if _, dup := m.byID[e.CandidateID]; dup {
			return badEvent(agg, e, "candidate %s twice", e.CandidateID)
		}
		m.byID[e.CandidateID] = len(m.candidates)
		m.candidates = append(m.candidates, e)
	case MonthlyBallotCast:
		if !m.opened || m.closed != nil {
			return badEvent(agg, e, "meeting %s not open", m.id)
		}
		if _, dup := m.ballots[e.Ministry]; dup {
			return badEvent(agg, e, "second ballot of %s", e.Ministry)
		}
		m.ballots[e.Ministry] = e.Choices
	case MonthlyMeetingClosed:
		if !m.opened || m.closed != nil {
			return badEvent(agg, e, "meeting %s not open", m.id)
		}
		m.closed = &e
	case MonthlyMeetingHeld:
		if !m.opened || !m.imported || m.held != nil {
			return badEvent(agg, e, "meeting %s not an imported meeting still to be recorded as held", m.id)
		}
		m.held = &e
	default:
		return badEvent(agg, e, "not a monthly meeting event")
	}
	m.version++
	return nil
}

// ---- decisions ----

func (m *MonthlyMeeting) begin(cmd Command, id MonthlyMeetingID, actor Actor, at time.Time, mustBeOpen bool) error {
	name := cmd.CommandName()
	if err := Authorize(name, actor); err != nil {
		return err
	}
	if err := requireAt(name, at); err != nil {
		return err
	}
	if id != m.id {
		return violated(name+".wrong_aggregate", "command for monthly meeting %s decided on %s", id, m.id)
	}
	if mustBeOpen {
		if !m.opened {
			return notFound(name+".not_found", "monthly meeting %s does not exist", m.id)
		}
		if m.closed != nil {
			return conflict(name+".closed", "monthly meeting %s is closed", m.id)
		}
	}
	return nil
}

// Open decides OpenMonthlyMeeting, recording cfg as the meeting's rules.
func (m *MonthlyMeeting) Open(cmd OpenMonthlyMeeting, actor Actor, at time.Time, cfg MonthlyConfig) ([]Event, error) {
	if err := m.begin(cmd, cmd.MeetingID, actor, at, false); err != nil {
		return nil, err
	}
	if err := validID(CmdOpenMonthlyMeeting, "monthly meeting", string(cmd.MeetingID)); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, violated("monthly.open.config_invalid", "invalid configuration: %v", err)
	}
	if cmd.HeldOn == (calendar.Date{}) {
		return nil, violated("monthly.open.date_required", "monthly meeting %s has no date", cmd.MeetingID)
	}
	if err := checkDate("heldOn", cmd.HeldOn); err != nil {
		return nil, err
	}
	if m.opened {
		return nil, conflict("monthly.open.exists", "monthly meeting %s already exists", m.id)
	}
	return []Event{MonthlyMeetingOpened{
		MeetingID: m.id, HeldOn: cmd.HeldOn,
		MaxChoices: cfg.MaxChoices, TopicsSelected: cfg.TopicsSelected, MaxTopicsSelected: cfg.MaxTopicsSelected,
		MinDaysBetweenMeetingsSameOrganiser: cfg.MinDaysBetweenMeetingsSameOrganiser,
		Imported:                            cmd.Imported,
		Occurred:                            occurred(at),
	}}, nil
}

// AddCandidate decides AddCandidate. For an established proposal, source
// must be the loaded proposal named by SourceRef (nil otherwise). A PO may
// add only its own ministry's proposals, the secretariat only assignments.
// Candidates may not be added once voting has started.
func (m *MonthlyMeeting) AddCandidate(cmd AddCandidate, actor Actor, at time.Time, source *Proposal) ([]Event, error) {
	if err := m.begin(cmd, cmd.MeetingID, actor, at, false); err != nil {
		return nil, err
	}
	switch actor.Role {
	case RolePO:
		if cmd.Kind != CandidateMinistryProposal || cmd.Organiser != actor.Ministry {
			return nil, forbidden(RuleCandidatePOOwnMinistry, "a PO of %s may add only %s's own proposals", actor.Ministry, actor.Ministry)
		}
	case RoleSecretariat:
		if cmd.Kind != CandidateEYAssignment {
			return nil, forbidden(RuleCandidateSecretariatAssignments, "the secretariat may add only Executive Yuan assignments")
		}
	}
	if err := validID(CmdAddCandidate, "candidate", string(cmd.CandidateID)); err != nil {
		return nil, err
	}
	if !cmd.Kind.valid() {
		return nil, violated("monthly.add_candidate.kind_invalid", "unknown candidate kind %q", cmd.Kind)
	}
	if strings.TrimSpace(cmd.Title) == "" {
		return nil, violated("monthly.add_candidate.title_required", "candidate %s has no title", cmd.CandidateID)
	}
	if err := validID(CmdAddCandidate, "organiser ministry", string(cmd.Organiser)); err != nil {
		return nil, err
	}
	if cmd.Kind == CandidateEstablishedProposal {
		if source == nil || string(source.ID()) != cmd.SourceRef {
			return nil, violated("monthly.add_candidate.proposal_required", "candidate %s must name its proposal and the proposal must be given", cmd.CandidateID)
		}
		if !source.IsEstablished() {
			return nil, violated("monthly.add_candidate.proposal_not_established", "proposal %s is not established", cmd.SourceRef)
		}
	}
	if !m.opened {
		return nil, notFound("monthly.add_candidate.not_found", "monthly meeting %s does not exist", m.id)
	}
	if m.closed != nil {
		return nil, conflict("monthly.add_candidate.closed", "monthly meeting %s is closed", m.id)
	}
	if len(m.ballots) > 0 {
		return nil, conflict("monthly.add_candidate.voting_started", "voting in %s has started", m.id)
	}
	if _, dup := m.byID[cmd.CandidateID]; dup {
		return nil, conflict("monthly.add_candidate.exists", "candidate %s already presented", cmd.CandidateID)
	}
	if cmd.SourceRef != "" {
		for _, c := range m.candidates {
			if c.Kind == cmd.Kind && c.SourceRef == cmd.SourceRef {
				return nil, conflict("monthly.add_candidate.duplicate_source", "%s %s is already candidate %s", cmd.Kind, cmd.SourceRef, c.CandidateID)
			}
		}
	}
	return []Event{MonthlyCandidateAdded{MeetingID: m.id, CandidateID: cmd.CandidateID, Kind: cmd.Kind, Title: cmd.Title, Organiser: cmd.Organiser, SourceRef: cmd.SourceRef, Occurred: occurred(at)}}, nil
}

// CastBallot decides CastBallot: one ballot per ministry, from an active PO
// of that ministry (per reg, the loaded PO registry), with 1 to MaxChoices
// distinct presented candidates, before the vote closes.
func (m *MonthlyMeeting) CastBallot(cmd CastBallot, actor Actor, at time.Time, reg *Registry) ([]Event, error) {
	if err := m.begin(cmd, cmd.MeetingID, actor, at, false); err != nil {
		return nil, err
	}
	if reg == nil {
		reg = NewRegistry()
	}
	po, ok := reg.PO(actor.ID)
	if !ok || !po.ActiveIn(yearOf(at)) {
		return nil, forbidden(RuleBallotActivePO, "%s is not a PO registered for %d and not retired", actor.ID, yearOf(at))
	}
	if po.Ministry != actor.Ministry {
		return nil, forbidden(RuleBallotOwnMinistry, "PO %s is registered with %s, not %s", actor.ID, po.Ministry, actor.Ministry)
	}
	ministry := reg.TopMinistry(po.Ministry)
	if len(cmd.Choices) == 0 {
		return nil, violated("monthly.cast_ballot.no_choice", "a ballot chooses at least one candidate")
	}
	if !m.opened {
		return nil, notFound("monthly.cast_ballot.not_found", "monthly meeting %s does not exist", m.id)
	}
	if m.closed != nil {
		return nil, conflict("monthly.cast_ballot.closed", "the vote of %s is closed", m.id)
	}
	if len(cmd.Choices) > m.cfg.MaxChoices {
		return nil, violated("monthly.cast_ballot.too_many_choices", "%d choices, at most %d", len(cmd.Choices), m.cfg.MaxChoices)
	}
	seen := map[CandidateID]bool{}
	for _, c := range cmd.Choices {
		if seen[c] {
			return nil, violated("monthly.cast_ballot.duplicate_choice", "candidate %s chosen twice", c)
		}
		seen[c] = true
		if _, ok := m.byID[c]; !ok {
			return nil, notFound("monthly.cast_ballot.unknown_candidate", "no candidate %s in %s", c, m.id)
		}
	}
	if _, dup := m.ballots[ministry]; dup {
		return nil, conflict("monthly.cast_ballot.one_per_ministry", "%s has already voted in %s", ministry, m.id)
	}
	return []Event{MonthlyBallotCast{MeetingID: m.id, Ministry: ministry, PO: actor.ID, Choices: slices.Clone(cmd.Choices), Occurred: occurred(at)}}, nil
}

// Close decides CloseMonthlyMeeting: tally, rank (votes, then the order
// presented), and select TopicsSelected topics, more on a tie at the last
// place up to MaxTopicsSelected. A candidate whose organiser cannot host a
// meeting in the following month at least MinDaysBetweenMeetingsSameOrganiser
// days from its other voted meetings (per history, plus the topics selected
// before it in this vote) is skipped, and the next one considered.
func (m *MonthlyMeeting) Close(cmd CloseMonthlyMeeting, actor Actor, at time.Time, history VotedMeetings, cal *calendar.Calendar) ([]Event, error) {
	if err := m.begin(cmd, cmd.MeetingID, actor, at, true); err != nil {
		return nil, err
	}
	votes := make([]int, len(m.candidates))
	for _, choices := range m.ballots {
		for _, c := range choices {
			votes[m.byID[c]]++
		}
	}
	order := make([]int, len(m.candidates))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return votes[b] - votes[a] })

	closed := MonthlyMeetingClosed{MeetingID: m.id, Ballots: len(m.ballots), Tally: []TallyEntry{}, Selected: []SelectedTopic{}, Skipped: []SkippedCandidate{}, Occurred: occurred(at)}
	for _, i := range order {
		closed.Tally = append(closed.Tally, TallyEntry{CandidateID: m.candidates[i].CandidateID, Votes: votes[i]})
	}
	if cal == nil {
		cal = calendar.Taiwan()
	}
	first := calendar.NewDate(m.heldOn.Year(), m.heldOn.Month()+1, 1)
	last := calendar.NewDate(first.Year(), first.Month()+1, 0)
	provisional := !cal.Covers(first.Year())
	booked := map[MinistryID][]calendar.Date{}
	lastVotes := -1
	for _, i := range order {
		c, v := m.candidates[i], votes[i]
		if v == 0 {
			break
		}
		n := len(closed.Selected)
		if n >= m.cfg.MaxTopicsSelected || (n >= m.cfg.TopicsSelected && v < lastVotes) {
			break
		}
		dates := booked[c.Organiser]
		if history != nil {
			dates = append(slices.Clone(history.VotedMeetingDates(c.Organiser, "")), dates...)
		}
		day, ok := earliestSpacedDay(first, last, dates, m.cfg.MinDaysBetweenMeetingsSameOrganiser, cal)
		if !ok {
			closed.Skipped = append(closed.Skipped, SkippedCandidate{CandidateID: c.CandidateID, Rule: "monthly.close.organiser_spacing",
				Reason: string(c.Organiser) + " cannot host another voted meeting in " + first.String()[:7] + " at least the minimum number of days from its other voted meetings"})
			continue
		}
		booked[c.Organiser] = append(booked[c.Organiser], day)
		lastVotes = v
		closed.Selected = append(closed.Selected, SelectedTopic{CandidateID: c.CandidateID, Kind: c.Kind, Title: c.Title, Organiser: c.Organiser, SourceRef: c.SourceRef, Votes: v, MeetingMonth: first.String()[:7], EarliestDate: day, CalendarProvisional: provisional})
	}
	return []Event{closed}, nil
}

// earliestSpacedDay returns the first working day (per cal) in [first,
// last] at least minDays away from every date in booked: a meeting is not
// held on 1 January or a weekend.
func earliestSpacedDay(first, last calendar.Date, booked []calendar.Date, minDays int, cal *calendar.Calendar) (calendar.Date, bool) {
	for d := first; !d.After(last); d = d.AddDays(1) {
		ok := cal.IsWorkingDay(d)
		for _, b := range booked {
			if gap := d.DaysSince(b); gap < minDays && gap > -minDays {
				ok = false
				break
			}
		}
		if ok {
			return d, true
		}
	}
	return calendar.Date{}, false
}

// Decide dispatches any monthly meeting command to its decision, with the
// dependencies each may need (nil where unused).
func (m *MonthlyMeeting) Decide(cmd Command, actor Actor, at time.Time, cfg MonthlyConfig, source *Proposal, reg *Registry, history VotedMeetings, cal *calendar.Calendar) ([]Event, error) {
	switch c := cmd.(type) {
	case OpenMonthlyMeeting:
		return m.Open(c, actor, at, cfg)
	case AddCandidate:
		return m.AddCandidate(c, actor, at, source)
	case CastBallot:
		return m.CastBallot(c, actor, at, reg)
	case CloseMonthlyMeeting:
		return m.Close(c, actor, at, history, cal)
	case RecordMonthlyHeld:
		return m.RecordHeld(c, actor, at)
	}
	return nil, violated("monthly.unknown_command", "%T is not a monthly meeting command", cmd)
}

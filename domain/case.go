package domain

import (
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"time"
)

// CaseStage is a collaboration case's stage.
type CaseStage string

// Case stages, in process order.
const (
	StageTopicSet         CaseStage = "topic_set"
	StageDivisionOfLabour CaseStage = "division_of_labour"
	StageResearch         CaseStage = "research"
	StagePreMeeting       CaseStage = "pre_meeting"
	StageMeetings         CaseStage = "meetings"
	StageReported         CaseStage = "reported_to_premier"
	StageDirective        CaseStage = "directive"
	StageResponses        CaseStage = "responses"
	StageClosed           CaseStage = "closed"
)

// CaseStages returns every stage in process order.
func CaseStages() []CaseStage {
	return []CaseStage{StageTopicSet, StageDivisionOfLabour, StageResearch, StagePreMeeting, StageMeetings, StageReported, StageDirective, StageResponses, StageClosed}
}

// Transition is an allowed stage change and the command that makes it.
type Transition struct {
	From CaseStage
	To   CaseStage
	// Via is the command name that makes the change: CmdChangeStage for
	// the host's moves, or the outcome command that implies it.
	Via string
}

// caseTransitions is the explicit stage machine. Everything not listed is
// refused. Any open stage before responses may also be closed early (the case
// is withdrawn), always with a reason.
var caseTransitions = []Transition{
	{StageTopicSet, StageDivisionOfLabour, CmdChangeStage},
	{StageDivisionOfLabour, StageResearch, CmdChangeStage},
	{StageResearch, StagePreMeeting, CmdChangeStage},
	{StagePreMeeting, StageMeetings, CmdChangeStage},
	{StageMeetings, StageReported, CmdReportToPremier},
	{StageReported, StageDirective, CmdRecordDirective},
	{StageDirective, StageResponses, CmdRecordResponse},
	{StageResponses, StageClosed, CmdChangeStage},
	{StageTopicSet, StageClosed, CmdChangeStage},
	{StageDivisionOfLabour, StageClosed, CmdChangeStage},
	{StageResearch, StageClosed, CmdChangeStage},
	{StagePreMeeting, StageClosed, CmdChangeStage},
	{StageMeetings, StageClosed, CmdChangeStage},
	{StageReported, StageClosed, CmdChangeStage},
	{StageDirective, StageClosed, CmdChangeStage},
}

// CaseTransitions returns the stage machine's allowed transitions.
func CaseTransitions() []Transition { return slices.Clone(caseTransitions) }

// transitionVia returns the command that makes from → to, if allowed.
func transitionVia(from, to CaseStage) (string, bool) {
	for _, t := range caseTransitions {
		if t.From == from && t.To == to {
			return t.Via, true
		}
	}
	return "", false
}

// CaseSourceKind is where a case comes from.
type CaseSourceKind string

// Case source kinds.
const (
	// SourceVotedTopic: a topic selected by a PO monthly meeting.
	SourceVotedTopic CaseSourceKind = "voted_topic"
	// SourceAssignment: an assignment from the Executive Yuan without a vote.
	SourceAssignment CaseSourceKind = "ey_assignment"
	// SourceImported: a case reconstructed from an archive (the PDIS
	// transcripts); Ref names the archive's reference. The archive does not
	// record the vote, the lead ministry or the phases, so an imported case
	// may reach research without a lead, and its collaborative meetings may
	// have no phase.
	SourceImported CaseSourceKind = "imported"
)

// StakeholderCategory classifies a stakeholder so that inclusion can be
// checked: every category inventoried and invited.
type StakeholderCategory string

// Stakeholder categories.
const (
	StakeholderProposer       StakeholderCategory = "proposer"
	StakeholderGovernment     StakeholderCategory = "government"
	StakeholderIndustry       StakeholderCategory = "industry"
	StakeholderCivilSociety   StakeholderCategory = "civil_society"
	StakeholderAcademia       StakeholderCategory = "academia"
	StakeholderAffectedPublic StakeholderCategory = "affected_public"
	StakeholderOther          StakeholderCategory = "other"
)

// StakeholderCategories returns every category.
func StakeholderCategories() []StakeholderCategory {
	return []StakeholderCategory{StakeholderProposer, StakeholderGovernment, StakeholderIndustry, StakeholderCivilSociety, StakeholderAcademia, StakeholderAffectedPublic, StakeholderOther}
}

// DirectiveKind classifies the Premier's directive.
type DirectiveKind string

// Directive kinds.
const (
	// DirectiveWithinAuthority: "ministries act within their authority"
	// (本諸職權), the usual directive.
	DirectiveWithinAuthority DirectiveKind = "within_authority"
	// DirectiveSpecific: the Premier directs something specific.
	DirectiveSpecific DirectiveKind = "specific"
)

// Verdict is a ministry's response to a recommendation.
type Verdict string

// Verdicts.
const (
	VerdictAdopted    Verdict = "adopted"
	VerdictPartly     Verdict = "partly_adopted"
	VerdictNotAdopted Verdict = "not_adopted"
	VerdictDeferred   Verdict = "deferred"
)

func (v Verdict) valid() bool {
	switch v {
	case VerdictAdopted, VerdictPartly, VerdictNotAdopted, VerdictDeferred:
		return true
	}
	return false
}

// ---- commands ----

// OpenCase opens a collaboration case. For a voted topic, MonthlyMeetingID
// and CandidateID name the selected topic; for an assignment, Ref names the
// assignment (a document number).
type OpenCase struct {
	CaseID           CaseID
	Title            string
	SourceKind       CaseSourceKind
	MonthlyMeetingID MonthlyMeetingID
	CandidateID      CandidateID
	Ref              string
}

// AssignLead assigns the lead ministry, or reassigns it (a reason is then
// required). Every assignment is kept.
type AssignLead struct {
	CaseID   CaseID
	Ministry MinistryID
	Reason   string
}

// AddCoOrganiser adds a co-organising ministry.
type AddCoOrganiser struct {
	CaseID   CaseID
	Ministry MinistryID
	Reason   string
}

// RemoveCoOrganiser removes a co-organising ministry, with a reason.
type RemoveCoOrganiser struct {
	CaseID   CaseID
	Ministry MinistryID
	Reason   string
}

// ChangeStage moves the case along the stage machine, with a reason.
type ChangeStage struct {
	CaseID CaseID
	To     CaseStage
	Reason string
}

// AddStakeholder adds an entry to the stakeholder inventory.
type AddStakeholder struct {
	CaseID        CaseID
	StakeholderID StakeholderID
	Category      StakeholderCategory
	Name          string
	Note          string
}

// RecordInterview records a stakeholder interview (held at the decision's
// time).
type RecordInterview struct {
	CaseID       CaseID
	InterviewID  InterviewID
	Stakeholders []StakeholderID
	Summary      string
}

// AddMaterial records a material by its SHA-256 and link, never its content.
type AddMaterial struct {
	CaseID     CaseID
	MaterialID MaterialID
	Title      string
	// SHA256 is the lower-case hex SHA-256 of the material's bytes.
	SHA256 string
	// URL is where the material is published (http or https).
	URL string
	// SuppliedBy is the supplying ministry; for a PO or ministry actor it is
	// their own ministry and may be left empty.
	SuppliedBy MinistryID
}

// RecordRecommendation records a recommendation made at the end of a
// meeting of the case: never a decision, addressed to the ministries that
// must respond.
type RecordRecommendation struct {
	CaseID           CaseID
	RecommendationID RecommendationID
	MeetingID        MeetingID
	Text             string
	Addressees       []MinistryID
	// Sources are what it came from (sources.go): utterances, notes and
	// questions of MeetingID, stakeholders of the case, its proposal.
	Sources []RecommendationSource
}

// ReportToPremier records the report of the case's recommendations to the
// Premier.
type ReportToPremier struct {
	CaseID  CaseID
	Summary string
	Link    string
}

// RecordDirective records the Premier's directive.
type RecordDirective struct {
	CaseID CaseID
	Kind   DirectiveKind
	Text   string
}

// RecordResponse records the actor ministry's response to a recommendation.
// A later response by the same ministry to the same recommendation
// supersedes the earlier one (both stay in the trail).
type RecordResponse struct {
	CaseID           CaseID
	RecommendationID RecommendationID
	Verdict          Verdict
	Reasons          string
	FollowUp         string
}

// CommandName implements Command.
func (OpenCase) CommandName() string { return CmdOpenCase }

// CommandName implements Command.
func (AssignLead) CommandName() string { return CmdAssignLead }

// CommandName implements Command.
func (AddCoOrganiser) CommandName() string { return CmdAddCoOrganiser }

// CommandName implements Command.
func (RemoveCoOrganiser) CommandName() string { return CmdRemoveCoOrganiser }

// CommandName implements Command.
func (ChangeStage) CommandName() string { return CmdChangeStage }

// CommandName implements Command.
func (AddStakeholder) CommandName() string { return CmdAddStakeholder }

// CommandName implements Command.
func (RecordInterview) CommandName() string { return CmdRecordInterview }

// CommandName implements Command.
func (AddMaterial) CommandName() string { return CmdAddMaterial }

// CommandName implements Command.
func (RecordRecommendation) CommandName() string { return CmdRecordRecommendation }

// CommandName implements Command.
func (ReportToPremier) CommandName() string { return CmdReportToPremier }

// CommandName implements Command.
func (RecordDirective) CommandName() string { return CmdRecordDirective }

// CommandName implements Command.
func (RecordResponse) CommandName() string { return CmdRecordResponse }

// ---- events ----

// CaseOpened: a case opened at stage topic_set, from its source.
type CaseOpened struct {
	CaseID           CaseID           `json:"caseId"`
	Title            string           `json:"title" ledger:"public"`
	SourceKind       CaseSourceKind   `json:"sourceKind"`
	MonthlyMeetingID MonthlyMeetingID `json:"monthlyMeetingId,omitempty"`
	CandidateID      CandidateID      `json:"candidateId,omitempty"`
	CandidateKind    CandidateKind    `json:"candidateKind,omitempty"`
	// SourceRef is the candidate's source (a ProposalID, ...) or the
	// assignment reference.
	SourceRef string `json:"sourceRef,omitempty" ledger:"public"`
	// Organiser is the organising ministry the vote named, if any.
	Organiser MinistryID `json:"organiser,omitempty"`
	Occurred
}

// CaseLeadAssigned: the lead ministry was assigned (Previous empty) or
// reassigned.
type CaseLeadAssigned struct {
	CaseID   CaseID     `json:"caseId"`
	Ministry MinistryID `json:"ministry"`
	Previous MinistryID `json:"previous,omitempty"`
	Reason   string     `json:"reason,omitempty" ledger:"public"`
	Occurred
}

// CaseCoOrganiserAdded: a co-organising ministry was added.
type CaseCoOrganiserAdded struct {
	CaseID   CaseID     `json:"caseId"`
	Ministry MinistryID `json:"ministry"`
	Reason   string     `json:"reason,omitempty" ledger:"public"`
	Occurred
}

// CaseCoOrganiserRemoved: a co-organising ministry was removed.
type CaseCoOrganiserRemoved struct {
	CaseID   CaseID     `json:"caseId"`
	Ministry MinistryID `json:"ministry"`
	Reason   string     `json:"reason" ledger:"public"`
	Occurred
}

// CaseStageChanged: the case moved from one stage to another. Withdrawn is
// true when it closed before the responses stage.
type CaseStageChanged struct {
	CaseID    CaseID    `json:"caseId"`
	From      CaseStage `json:"from"`
	To        CaseStage `json:"to"`
	Reason    string    `json:"reason" ledger:"public"`
	Withdrawn bool      `json:"withdrawn,omitempty"`
	Occurred
}

// CaseStakeholderAdded: a stakeholder entered the inventory.
type CaseStakeholderAdded struct {
	CaseID        CaseID              `json:"caseId"`
	StakeholderID StakeholderID       `json:"stakeholderId"`
	Category      StakeholderCategory `json:"category"`
	Name          string              `json:"name" ledger:"public"`
	Note          string              `json:"note,omitempty" ledger:"public"`
	Occurred
}

// CaseInterviewRecorded: stakeholders were interviewed.
type CaseInterviewRecorded struct {
	CaseID       CaseID          `json:"caseId"`
	InterviewID  InterviewID     `json:"interviewId"`
	Stakeholders []StakeholderID `json:"stakeholders"`
	Summary      string          `json:"summary" ledger:"public"`
	Occurred
}

// CaseMaterialAdded: a material was supplied, by hash and link.
type CaseMaterialAdded struct {
	CaseID     CaseID     `json:"caseId"`
	MaterialID MaterialID `json:"materialId"`
	Title      string     `json:"title" ledger:"public"`
	SHA256     string     `json:"sha256" ledger:"public"`
	URL        string     `json:"url" ledger:"public"`
	SuppliedBy MinistryID `json:"suppliedBy,omitempty"`
	Occurred
}

// CaseRecommendationRecorded: a meeting of the case ended with a
// recommendation (never a decision).
type CaseRecommendationRecorded struct {
	CaseID           CaseID           `json:"caseId"`
	RecommendationID RecommendationID `json:"recommendationId"`
	MeetingID        MeetingID        `json:"meetingId"`
	Text             string           `json:"text" ledger:"public"`
	Addressees       []MinistryID     `json:"addressees"`
	// Sources are what the recommendation came from, each checked to
	// belong to the meeting or the case.
	Sources []RecommendationSource `json:"sources,omitempty"`
	Occurred
}

// CaseReportedToPremier: the recommendations were reported to the Premier.
type CaseReportedToPremier struct {
	CaseID          CaseID             `json:"caseId"`
	Summary         string             `json:"summary" ledger:"public"`
	Link            string             `json:"link,omitempty" ledger:"public"`
	Recommendations []RecommendationID `json:"recommendations"`
	Occurred
}

// CaseDirectiveRecorded: the Premier's directive.
type CaseDirectiveRecorded struct {
	CaseID CaseID        `json:"caseId"`
	Kind   DirectiveKind `json:"kind"`
	Text   string        `json:"text" ledger:"public"`
	Occurred
}

// CaseResponseRecorded: a ministry's response to a recommendation.
type CaseResponseRecorded struct {
	CaseID           CaseID           `json:"caseId"`
	RecommendationID RecommendationID `json:"recommendationId"`
	Ministry         MinistryID       `json:"ministry"`
	Verdict          Verdict          `json:"verdict"`
	Reasons          string           `json:"reasons" ledger:"public"`
	FollowUp         string           `json:"followUp,omitempty" ledger:"public"`
	Occurred
}

// EventType implements Event.
func (CaseOpened) EventType() string { return "case.opened" }

// EventType implements Event.
func (CaseLeadAssigned) EventType() string { return "case.lead_assigned" }

// EventType implements Event.
func (CaseCoOrganiserAdded) EventType() string { return "case.co_organiser_added" }

// EventType implements Event.
func (CaseCoOrganiserRemoved) EventType() string { return "case.co_organiser_removed" }

// EventType implements Event.
func (CaseStageChanged) EventType() string { return "case.stage_changed" }

// EventType implements Event.
func (CaseStakeholderAdded) EventType() string { return "case.stakeholder_added" }

// EventType implements Event.
func (CaseInterviewRecorded) EventType() string { return "case.interview_recorded" }

// EventType implements Event.
func (CaseMaterialAdded) EventType() string { return "case.material_added" }

// EventType implements Event.
func (CaseRecommendationRecorded) EventType() string { return "case.recommendation_recorded" }

// EventType implements Event.
func (CaseReportedToPremier) EventType() string { return "case.reported_to_premier" }

// EventType implements Event.
func (CaseDirectiveRecorded) EventType() string { return "case.directive_recorded" }

// EventType implements Event.
func (CaseResponseRecorded) EventType() string { return "case.response_recorded" }

// SchemaVersion implements Event.
func (CaseOpened) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (CaseLeadAssigned) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (CaseCoOrganiserAdded) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (CaseCoOrganiserRemoved) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (CaseStageChanged) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (CaseStakeholderAdded) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (CaseInterviewRecorded) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (CaseMaterialAdded) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (CaseRecommendationRecorded) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (CaseReportedToPremier) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (CaseDirectiveRecorded) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (CaseResponseRecorded) SchemaVersion() int { return 1 }

// ---- state ----

type recommendation struct {
	id         RecommendationID
	addressees []MinistryID
	responses  map[MinistryID]Verdict
}

// Case is the state of one collaboration case's stream.
type Case struct {
	id      CaseID
	version uint64

	opened       bool
	title        string
	source       CaseOpened
	stage        CaseStage
	lead         MinistryID
	coOrganisers []MinistryID
	stakeholders map[StakeholderID]StakeholderCategory
	interviews   map[InterviewID]bool
	materials    map[MaterialID]bool
	recs         []*recommendation
	recByID      map[RecommendationID]*recommendation
	// linked is the Join proposal an imported case was linked to;
	// noProposal: a person reviewed it as from no Join proposal;
	// recordEnded and lastRecordAt say the archive's record ended.
	linked       ProposalID
	noProposal   bool
	recordEnded  bool
	lastRecordAt time.Time
}

// NewCase returns the empty state of case id's stream.
func NewCase(id CaseID) *Case {
	return &Case{id: id, stakeholders: map[StakeholderID]StakeholderCategory{}, interviews: map[InterviewID]bool{}, materials: map[MaterialID]bool{}, recByID: map[RecommendationID]*recommendation{}}
}

// ID returns the case's ID.
func (c *Case) ID() CaseID { return c.id }

// Version implements Aggregate.
func (c *Case) Version() uint64 { return c.version }

// Opened reports whether the case exists.
func (c *Case) Opened() bool { return c.opened }

// Title returns the case's title.
func (c *Case) Title() string { return c.title }

// Stage returns the case's stage.
func (c *Case) Stage() CaseStage { return c.stage }

// Lead returns the lead ministry ("" before the division of labour).
func (c *Case) Lead() MinistryID { return c.lead }

// CoOrganisers returns the co-organising ministries.
func (c *Case) CoOrganisers() []MinistryID { return slices.Clone(c.coOrganisers) }

// SourceKind returns where the case came from.
func (c *Case) SourceKind() CaseSourceKind { return c.source.SourceKind }

// IsOrganiser reports whether m is the lead or a co-organiser.
func (c *Case) IsOrganiser(m MinistryID) bool {
	return m != "" && (m == c.lead || slices.Contains(c.coOrganisers, m))
}

// StakeholderCategoriesCovered returns the categories with at least one
// stakeholder in the inventory, in StakeholderCategories order.
func (c *Case) StakeholderCategoriesCovered() []StakeholderCategory {
	var out []StakeholderCategory
	for _, cat := range StakeholderCategories() {
		for _, x := range c.stakeholders {
			if x == cat {
				out = append(out, cat)
				break
			}
		}
	}
	return out
}

// UnansweredRecommendations returns, per recommendation without a response
// from every addressee, the addressees still to respond.
func (c *Case) UnansweredRecommendations() map[RecommendationID][]MinistryID {
	out := map[RecommendationID][]MinistryID{}
	for _, r := range c.recs {
		for _, m := range r.addressees {
			if _, ok := r.responses[m]; !ok {
				out[r.id] = append(out[r.id], m)
			}
		}
	}
	return out
}

// Apply implements Aggregate.
func (c *Case) Apply(e Event) error {
	const agg = "case"
	if _, isOpen := e.(CaseOpened); !isOpen && !c.opened {
		return badEvent(agg, e, "case %s not opened", c.id)
	}
	switch e := e.(type) {
	case CaseOpened:
		if c.opened {
			return badEvent(agg, e, "case %s already opened", c.id)
		}
		c.opened, c.title, c.source, c.stage = true, e.Title, e, StageTopicSet
	case CaseLeadAssigned:
		c.lead = e.Ministry
		c.coOrganisers = slices.DeleteFunc(c.coOrganisers, func(m MinistryID) bool { return m == e.Ministry })
	case CaseCoOrganiserAdded:
		c.coOrganisers = append(c.coOrganisers, e.Ministry)
	case CaseCoOrganiserRemoved:
		c.coOrganisers = slices.DeleteFunc(c.coOrganisers, func(m MinistryID) bool { return m == e.Ministry })
	case CaseStageChanged:
		if e.From != c.stage {
			return badEvent(agg, e, "case %s is at %s, not %s", c.id, c.stage, e.From)
		}
		if _, ok := transitionVia(e.From, e.To); !ok {
			return badEvent(agg, e, "transition %s → %s not allowed", e.From, e.To)
		}
		c.stage = e.To
		c.recordEnded = false
	case CaseProposalLinked:
		c.linked, c.noProposal = e.ProposalID, false
	case CaseNoProposalRecorded:
		c.linked, c.noProposal = "", true
	case CaseRecordEnded:
		c.recordEnded, c.lastRecordAt = true, e.LastRecordAt
	case CaseStakeholderAdded:
		c.stakeholders[e.StakeholderID] = e.Category
	case CaseInterviewRecorded:
		c.interviews[e.InterviewID] = true
	case CaseMaterialAdded:
		c.materials[e.MaterialID] = true
	case CaseRecommendationRecorded:
		r := &recommendation{id: e.RecommendationID, addressees: e.Addressees, responses: map[MinistryID]Verdict{}}
		c.recs = append(c.recs, r)
		c.recByID[r.id] = r
	case CaseReportedToPremier, CaseDirectiveRecorded:
		// The accompanying case.stage_changed moves the stage.
	case CaseResponseRecorded:
		r, ok := c.recByID[e.RecommendationID]
		if !ok {
			return badEvent(agg, e, "no recommendation %s", e.RecommendationID)
		}
		r.responses[e.Ministry] = e.Verdict
	default:
		return badEvent(agg, e, "not a case event")
	}
	c.version++
	return nil
}

// ---- decisions ----

func (c *Case) begin(cmd Command, id CaseID, actor Actor, at time.Time, mustExist bool) error {
	name := cmd.CommandName()
	if err := Authorize(name, actor); err != nil {
		return err
	}
	if err := requireAt(name, at); err != nil {
		return err
	}
	if id != c.id {
		return violated(name+".wrong_aggregate", "command for case %s decided on case %s", id, c.id)
	}
	if mustExist {
		if !c.opened {
			return notFound(name+".not_found", "case %s does not exist", c.id)
		}
		if c.stage == StageClosed {
			return conflict(name+".closed", "case %s is closed", c.id)
		}
	}
	return nil
}

// requireOrganiserActor checks the per-command rule for PO and ministry
// actors: they must act for the lead or a co-organising ministry.
func (c *Case) requireOrganiserActor(actor Actor) error {
	if (actor.Role == RolePO || actor.Role == RoleMinistry) && !c.IsOrganiser(actor.Ministry) {
		return forbidden(RuleCaseOrganiserPO, "%s is neither the lead nor a co-organiser of case %s", actor.Ministry, c.id)
	}
	return nil
}

// Open decides OpenCase. For a voted topic, topic must be the loaded monthly
// meeting named by the command, closed, with the candidate selected. The
// secretariat may open only cases from assignments.
func (c *Case) Open(cmd OpenCase, actor Actor, at time.Time, topic *MonthlyMeeting) ([]Event, error) {
	if err := c.begin(cmd, cmd.CaseID, actor, at, false); err != nil {
		return nil, err
	}
	if actor.Role == RoleSecretariat && cmd.SourceKind != SourceAssignment {
		return nil, forbidden(RuleCaseOpenSecretariatAssignments, "the secretariat opens only cases from assignments")
	}
	if err := validID(CmdOpenCase, "case", string(cmd.CaseID)); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Title) == "" {
		return nil, violated("case.open.title_required", "case %s has no title", cmd.CaseID)
	}
	ev := CaseOpened{CaseID: c.id, Title: cmd.Title, SourceKind: cmd.SourceKind, Occurred: occurred(at)}
	switch cmd.SourceKind {
	case SourceVotedTopic:
		if topic == nil || topic.ID() != cmd.MonthlyMeetingID {
			return nil, violated("case.open.topic_required", "case %s must name its monthly meeting and the meeting must be given", cmd.CaseID)
		}
		sel, ok := topic.Selected(cmd.CandidateID)
		if !ok {
			return nil, violated("case.open.topic_not_selected", "candidate %s was not selected by monthly meeting %s", cmd.CandidateID, cmd.MonthlyMeetingID)
		}
		ev.MonthlyMeetingID, ev.CandidateID, ev.CandidateKind, ev.SourceRef, ev.Organiser = cmd.MonthlyMeetingID, cmd.CandidateID, sel.Kind, sel.SourceRef, sel.Organiser
	case SourceAssignment:
		if strings.TrimSpace(cmd.Ref) == "" {
			return nil, violated("case.open.assignment_ref_required", "an assignment case names its assignment")
		}
		ev.SourceRef = cmd.Ref
	case SourceImported:
		if strings.TrimSpace(cmd.Ref) == "" {
			return nil, violated("case.open.import_ref_required", "an imported case names its archive reference")
		}
		ev.SourceRef = cmd.Ref
	default:
		return nil, violated("case.open.source_invalid", "unknown case source %q", cmd.SourceKind)
	}
	if c.opened {
		return nil, conflict("case.open.exists", "case %s already exists", c.id)
	}
	return []Event{ev}, nil
}

// AssignLead decides AssignLead. Reassigning needs a reason; the new lead
// stops being a co-organiser.
func (c *Case) AssignLead(cmd AssignLead, actor Actor, at time.Time) ([]Event, error) {
	if err := c.begin(cmd, cmd.CaseID, actor, at, true); err != nil {
		return nil, err
	}
	if err := validID(CmdAssignLead, "ministry", string(cmd.Ministry)); err != nil {
		return nil, err
	}
	if c.lead == cmd.Ministry {
		return nil, conflict("case.assign_lead.unchanged", "%s already leads case %s", cmd.Ministry, c.id)
	}
	if c.lead != "" && strings.TrimSpace(cmd.Reason) == "" {
		return nil, violated("case.assign_lead.reason_required", "reassigning the lead of case %s from %s needs a reason", c.id, c.lead)
	}
	return []Event{CaseLeadAssigned{CaseID: c.id, Ministry: cmd.Ministry, Previous: c.lead, Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

// AddCoOrganiser decides AddCoOrganiser.
func (c *Case) AddCoOrganiser(cmd AddCoOrganiser, actor Actor, at time.Time) ([]Event, error) {
	if err := c.begin(cmd, cmd.CaseID, actor, at, true); err != nil {
		return nil, err
	}
	if err := validID(CmdAddCoOrganiser, "ministry", string(cmd.Ministry)); err != nil {
		return nil, err
	}
	if c.IsOrganiser(cmd.Ministry) {
		return nil, conflict("case.add_co_organiser.already_organiser", "%s already organises case %s", cmd.Ministry, c.id)
	}
	return []Event{CaseCoOrganiserAdded{CaseID: c.id, Ministry: cmd.Ministry, Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

// RemoveCoOrganiser decides RemoveCoOrganiser.
func (c *Case) RemoveCoOrganiser(cmd RemoveCoOrganiser, actor Actor, at time.Time) ([]Event, error) {
	if err := c.begin(cmd, cmd.CaseID, actor, at, true); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Reason) == "" {
		return nil, violated("case.remove_co_organiser.reason_required", "removing a co-organiser needs a reason")
	}
	if !slices.Contains(c.coOrganisers, cmd.Ministry) {
		return nil, notFound("case.remove_co_organiser.not_co_organiser", "%s does not co-organise case %s", cmd.Ministry, c.id)
	}
	return []Event{CaseCoOrganiserRemoved{CaseID: c.id, Ministry: cmd.Ministry, Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

// ChangeStage decides ChangeStage: only transitions the table allows via
// this command, each with a reason; research needs a lead; closing after
// responses needs every addressee's response to every recommendation.
func (c *Case) ChangeStage(cmd ChangeStage, actor Actor, at time.Time) ([]Event, error) {
	if err := c.begin(cmd, cmd.CaseID, actor, at, true); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Reason) == "" {
		return nil, violated("case.change_stage.reason_required", "a stage change needs a reason")
	}
	via, ok := transitionVia(c.stage, cmd.To)
	if !ok {
		return nil, violated("case.change_stage.not_allowed", "case %s cannot go from %s to %s", c.id, c.stage, cmd.To)
	}
	if via != CmdChangeStage {
		return nil, violated("case.change_stage.requires_outcome", "case %s goes from %s to %s by %s, not by a stage change", c.id, c.stage, cmd.To, via)
	}
	if cmd.To == StageResearch && c.lead == "" && c.source.SourceKind != SourceImported {
		return nil, violated("case.change_stage.lead_required", "case %s has no lead ministry yet", c.id)
	}
	withdrawn := cmd.To == StageClosed && c.stage != StageResponses
	if cmd.To == StageClosed && !withdrawn {
		if open := c.UnansweredRecommendations(); len(open) > 0 {
			return nil, violated("case.change_stage.unanswered_recommendations", "case %s has %d recommendations without every response", c.id, len(open))
		}
	}
	return []Event{CaseStageChanged{CaseID: c.id, From: c.stage, To: cmd.To, Reason: cmd.Reason, Withdrawn: withdrawn, Occurred: occurred(at)}}, nil
}

// AddStakeholder decides AddStakeholder.
func (c *Case) AddStakeholder(cmd AddStakeholder, actor Actor, at time.Time) ([]Event, error) {
	if err := c.begin(cmd, cmd.CaseID, actor, at, true); err != nil {
		return nil, err
	}
	if err := c.requireOrganiserActor(actor); err != nil {
		return nil, err
	}
	if err := validID(CmdAddStakeholder, "stakeholder", string(cmd.StakeholderID)); err != nil {
		return nil, err
	}
	if !slices.Contains(StakeholderCategories(), cmd.Category) {
		return nil, violated("case.add_stakeholder.category_invalid", "unknown stakeholder category %q", cmd.Category)
	}
	if strings.TrimSpace(cmd.Name) == "" {
		return nil, violated("case.add_stakeholder.name_required", "stakeholder %s has no name", cmd.StakeholderID)
	}
	if _, dup := c.stakeholders[cmd.StakeholderID]; dup {
		return nil, conflict("case.add_stakeholder.exists", "stakeholder %s already in case %s", cmd.StakeholderID, c.id)
	}
	return []Event{CaseStakeholderAdded{CaseID: c.id, StakeholderID: cmd.StakeholderID, Category: cmd.Category, Name: cmd.Name, Note: cmd.Note, Occurred: occurred(at)}}, nil
}

// RecordInterview decides RecordInterview.
func (c *Case) RecordInterview(cmd RecordInterview, actor Actor, at time.Time) ([]Event, error) {
	if err := c.begin(cmd, cmd.CaseID, actor, at, true); err != nil {
		return nil, err
	}
	if err := c.requireOrganiserActor(actor); err != nil {
		return nil, err
	}
	if err := validID(CmdRecordInterview, "interview", string(cmd.InterviewID)); err != nil {
		return nil, err
	}
	if len(cmd.Stakeholders) == 0 {
		return nil, violated("case.record_interview.stakeholder_required", "an interview names the stakeholders interviewed")
	}
	if strings.TrimSpace(cmd.Summary) == "" {
		return nil, violated("case.record_interview.summary_required", "interview %s has no summary", cmd.InterviewID)
	}
	for _, s := range cmd.Stakeholders {
		if _, ok := c.stakeholders[s]; !ok {
			return nil, notFound("case.record_interview.stakeholder_not_found", "stakeholder %s is not in case %s's inventory", s, c.id)
		}
	}
	if c.interviews[cmd.InterviewID] {
		return nil, conflict("case.record_interview.exists", "interview %s already recorded", cmd.InterviewID)
	}
	return []Event{CaseInterviewRecorded{CaseID: c.id, InterviewID: cmd.InterviewID, Stakeholders: slices.Clone(cmd.Stakeholders), Summary: cmd.Summary, Occurred: occurred(at)}}, nil
}

// AddMaterial decides AddMaterial.
func (c *Case) AddMaterial(cmd AddMaterial, actor Actor, at time.Time) ([]Event, error) {
	if err := c.begin(cmd, cmd.CaseID, actor, at, true); err != nil {
		return nil, err
	}
	if err := c.requireOrganiserActor(actor); err != nil {
		return nil, err
	}
	if err := validID(CmdAddMaterial, "material", string(cmd.MaterialID)); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Title) == "" {
		return nil, violated("case.add_material.title_required", "material %s has no title", cmd.MaterialID)
	}
	if !validSHA256(cmd.SHA256) {
		return nil, violated("case.add_material.hash_invalid", "material %s: SHA-256 must be 64 lower-case hex digits", cmd.MaterialID)
	}
	if !validLink(cmd.URL) {
		return nil, violated("case.add_material.url_invalid", "material %s: link must be an absolute http(s) URL", cmd.MaterialID)
	}
	by := cmd.SuppliedBy
	if actor.Role == RolePO || actor.Role == RoleMinistry {
		if by != "" && by != actor.Ministry {
			return nil, forbidden(RuleCaseOrganiserPO, "%s may supply material only as itself", actor.Ministry)
		}
		by = actor.Ministry
	}
	if c.materials[cmd.MaterialID] {
		return nil, conflict("case.add_material.exists", "material %s already recorded", cmd.MaterialID)
	}
	return []Event{CaseMaterialAdded{CaseID: c.id, MaterialID: cmd.MaterialID, Title: cmd.Title, SHA256: cmd.SHA256, URL: cmd.URL, SuppliedBy: by, Occurred: occurred(at)}}, nil
}

func validSHA256(s string) bool {
	if len(s) != 64 || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func validLink(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// RecordRecommendation decides RecordRecommendation, while the case is in
// its meetings stage. meeting must be the loaded meeting named by the
// command, a meeting of this case. A recommendation citing utterances is
// decided by RecordRecommendationFrom, with the meeting's transcript.
func (c *Case) RecordRecommendation(cmd RecordRecommendation, actor Actor, at time.Time, meeting *Meeting) ([]Event, error) {
	return c.RecordRecommendationFrom(cmd, actor, at, meeting, nil)
}

// RecordRecommendationFrom is RecordRecommendation with the meeting's
// transcript, against which cited utterances are checked.
func (c *Case) RecordRecommendationFrom(cmd RecordRecommendation, actor Actor, at time.Time, meeting *Meeting, transcript *Transcript) ([]Event, error) {
	if err := c.begin(cmd, cmd.CaseID, actor, at, true); err != nil {
		return nil, err
	}
	if err := validID(CmdRecordRecommendation, "recommendation", string(cmd.RecommendationID)); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Text) == "" {
		return nil, violated("case.record_recommendation.text_required", "recommendation %s has no text", cmd.RecommendationID)
	}
	if len(cmd.Addressees) == 0 {
		return nil, violated("case.record_recommendation.addressee_required", "recommendation %s names no ministry to respond", cmd.RecommendationID)
	}
	seen := map[MinistryID]bool{}
	for _, m := range cmd.Addressees {
		if err := validID(CmdRecordRecommendation, "ministry", string(m)); err != nil {
			return nil, err
		}
		if seen[m] {
			return nil, violated("case.record_recommendation.duplicate_addressee", "%s addressed twice", m)
		}
		seen[m] = true
	}
	if meeting == nil || meeting.ID() != cmd.MeetingID || !meeting.Scheduled() || meeting.CaseID() != c.id {
		return nil, violated("case.record_recommendation.meeting_not_of_case", "meeting %s is not a meeting of case %s", cmd.MeetingID, c.id)
	}
	if c.stage != StageMeetings {
		return nil, conflict("case.record_recommendation.wrong_stage", "case %s is at %s, recommendations come in the meetings stage", c.id, c.stage)
	}
	if _, dup := c.recByID[cmd.RecommendationID]; dup {
		return nil, conflict("case.record_recommendation.exists", "recommendation %s already recorded", cmd.RecommendationID)
	}
	if err := c.checkSources(cmd.Sources, meeting, transcript); err != nil {
		return nil, err
	}
	return []Event{CaseRecommendationRecorded{CaseID: c.id, RecommendationID: cmd.RecommendationID, MeetingID: cmd.MeetingID, Text: cmd.Text, Addressees: slices.Clone(cmd.Addressees), Sources: slices.Clone(cmd.Sources), Occurred: occurred(at)}}, nil
}

// ReportToPremier decides ReportToPremier: from the meetings stage, with at
// least one recommendation; it moves the case to reported_to_premier.
func (c *Case) ReportToPremier(cmd ReportToPremier, actor Actor, at time.Time) ([]Event, error) {
	if err := c.begin(cmd, cmd.CaseID, actor, at, true); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Summary) == "" {
		return nil, violated("case.report_to_premier.summary_required", "the report has no summary")
	}
	if c.stage != StageMeetings {
		return nil, conflict("case.report_to_premier.wrong_stage", "case %s is at %s", c.id, c.stage)
	}
	if len(c.recs) == 0 {
		return nil, violated("case.report_to_premier.no_recommendations", "case %s has no recommendation to report", c.id)
	}
	ids := make([]RecommendationID, len(c.recs))
	for i, r := range c.recs {
		ids[i] = r.id
	}
	return []Event{
		CaseReportedToPremier{CaseID: c.id, Summary: cmd.Summary, Link: cmd.Link, Recommendations: ids, Occurred: occurred(at)},
		CaseStageChanged{CaseID: c.id, From: c.stage, To: StageReported, Reason: string(ReasonReportedToPremier), Occurred: occurred(at)},
	}, nil
}

// RecordDirective decides RecordDirective: after the report; it moves the
// case to directive.
func (c *Case) RecordDirective(cmd RecordDirective, actor Actor, at time.Time) ([]Event, error) {
	if err := c.begin(cmd, cmd.CaseID, actor, at, true); err != nil {
		return nil, err
	}
	if cmd.Kind != DirectiveWithinAuthority && cmd.Kind != DirectiveSpecific {
		return nil, violated("case.record_directive.kind_invalid", "unknown directive kind %q", cmd.Kind)
	}
	if strings.TrimSpace(cmd.Text) == "" {
		return nil, violated("case.record_directive.text_required", "the directive has no text")
	}
	if c.stage != StageReported {
		return nil, conflict("case.record_directive.wrong_stage", "case %s is at %s, not reported to the Premier", c.id, c.stage)
	}
	return []Event{
		CaseDirectiveRecorded{CaseID: c.id, Kind: cmd.Kind, Text: cmd.Text, Occurred: occurred(at)},
		CaseStageChanged{CaseID: c.id, From: c.stage, To: StageDirective, Reason: string(ReasonPremiersDirective), Occurred: occurred(at)},
	}, nil
}

// RecordResponse decides RecordResponse: an addressed ministry responds,
// with reasons, after the directive; the first response moves the case to
// responses.
func (c *Case) RecordResponse(cmd RecordResponse, actor Actor, at time.Time) ([]Event, error) {
	if err := c.begin(cmd, cmd.CaseID, actor, at, true); err != nil {
		return nil, err
	}
	if !cmd.Verdict.valid() {
		return nil, violated("case.record_response.verdict_invalid", "unknown verdict %q", cmd.Verdict)
	}
	if strings.TrimSpace(cmd.Reasons) == "" {
		return nil, violated("case.record_response.reasons_required", "a response gives its reasons")
	}
	r, ok := c.recByID[cmd.RecommendationID]
	if !ok {
		return nil, notFound("case.record_response.recommendation_not_found", "case %s has no recommendation %s", c.id, cmd.RecommendationID)
	}
	if !slices.Contains(r.addressees, actor.Ministry) {
		return nil, forbidden(RuleResponseAddressee, "recommendation %s is not addressed to %s", r.id, actor.Ministry)
	}
	if c.stage != StageDirective && c.stage != StageResponses {
		return nil, conflict("case.record_response.wrong_stage", "case %s is at %s; responses follow the directive", c.id, c.stage)
	}
	events := []Event{CaseResponseRecorded{CaseID: c.id, RecommendationID: r.id, Ministry: actor.Ministry, Verdict: cmd.Verdict, Reasons: cmd.Reasons, FollowUp: cmd.FollowUp, Occurred: occurred(at)}}
	if c.stage == StageDirective {
		events = append(events, CaseStageChanged{CaseID: c.id, From: c.stage, To: StageResponses, Reason: string(ReasonFirstResponse), Occurred: occurred(at)})
	}
	return events, nil
}

// Decide dispatches any case command to its decision, with the dependencies
// each may need (nil where unused).
func (c *Case) Decide(cmd Command, actor Actor, at time.Time, topic *MonthlyMeeting, meeting *Meeting) ([]Event, error) {
	switch x := cmd.(type) {
	case OpenCase:
		return c.Open(x, actor, at, topic)
	case AssignLead:
		return c.AssignLead(x, actor, at)
	case AddCoOrganiser:
		return c.AddCoOrganiser(x, actor, at)
	case RemoveCoOrganiser:
		return c.RemoveCoOrganiser(x, actor, at)
	case ChangeStage:
		return c.ChangeStage(x, actor, at)
	case AddStakeholder:
		return c.AddStakeholder(x, actor, at)
	case RecordInterview:
		return c.RecordInterview(x, actor, at)
	case AddMaterial:
		return c.AddMaterial(x, actor, at)
	case RecordRecommendation:
		return c.RecordRecommendation(x, actor, at, meeting)
	case ReportToPremier:
		return c.ReportToPremier(x, actor, at)
	case RecordDirective:
		return c.RecordDirective(x, actor, at)
	case RecordResponse:
		return c.RecordResponse(x, actor, at)
	case LinkCaseProposal:
		return c.LinkProposal(x, actor, at)
	case EndCaseRecord:
		return c.EndRecord(x, actor, at)
	case RecordNoProposal:
		return c.RecordNoProposal(x, actor, at)
	}
	return nil, violated("case.unknown_command", "%T is not a case command", cmd)
}

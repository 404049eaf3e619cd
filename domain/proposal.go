package domain

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/pdis/collab-ledger/domain/calendar"
)

// ProposalStatus is where a proposal is in the Join process.
type ProposalStatus string

// Proposal statuses.
const (
	// ProposalStatusNone: nothing has been submitted under this ID.
	ProposalStatusNone ProposalStatus = ""
	// ProposalStatusSubmitted: submitted, not yet published.
	ProposalStatusSubmitted ProposalStatus = "submitted"
	// ProposalStatusPublished: open for signatures.
	ProposalStatusPublished ProposalStatus = "published"
	// ProposalStatusEstablished: reached the threshold within the window.
	ProposalStatusEstablished ProposalStatus = "established"
	// ProposalStatusExpired: the window closed below the threshold.
	ProposalStatusExpired ProposalStatus = "expired"
)

// ---- commands ----

// SubmitProposal submits a proposal on Join. The actor becomes its proposer.
type SubmitProposal struct {
	ProposalID ProposalID
	Title      string
	Summary    string
}

// PublishProposal opens a submitted proposal for signatures and names the
// ministries that must respond if it is established (its lead ministries)
// and the ones that answer their parts (its co-organisers).
type PublishProposal struct {
	ProposalID ProposalID
	// CompetentMinistry is the first lead ministry: it must respond if the
	// proposal is established. It may be empty only for a proposal fed
	// from Join before Join named one (NotYetAssigned); any ministry's
	// first answer is then the response.
	CompetentMinistry MinistryID
	// OtherLeads are the further lead ministries, when a proposal has
	// several (Join names up to three): each owes its own answer by the
	// response deadline (decision 0048). Refused with NotYetAssigned.
	OtherLeads []MinistryID
	// CoOrganisers are the co-organising ministries: each may answer its
	// part (proposal.add_response), none owes an answer. Join names some on
	// proposals it has not assigned a lead yet.
	CoOrganisers []MinistryID
	// NotYetAssigned says that no competent ministry is named yet, as Join
	// publishes some proposals; it is refused together with a ministry.
	NotYetAssigned bool
	// Threshold, when positive, is the number of signatures the platform
	// published for this proposal (Join's endorseGoal), replacing the
	// configured threshold; milestones at or above it are dropped.
	Threshold int
	// SigningClosesAt, when set, is when signing closes as the platform
	// published it (Join's endorseDueDate), replacing publication time plus
	// the configured window. It must be after the publication.
	SigningClosesAt time.Time
}

// SignProposal signs a proposal as Signer, the actor's own pseudonym.
type SignProposal struct {
	ProposalID ProposalID
	Signer     SignerID
	// County and District are where the signer lives, as the platform
	// gives it (Join's 居住縣市 and 鄉鎮市區), when it does: never more
	// precise than a district, and optional.
	County   string
	District string
}

// MaxPlaceLen bounds a signature's county or district, in bytes.
const MaxPlaceLen = 64

// InvalidateSignature removes a signature from the tally (fraud), keeping it
// in the trail.
type InvalidateSignature struct {
	ProposalID  ProposalID
	SignatureID uuid.UUID
	Reason      string
}

// ExpireProposal records that the signing window closed below the threshold.
type ExpireProposal struct {
	ProposalID ProposalID
}

// ExtendResponseDeadline moves the proposal's response deadline to the end
// of NewDueDate (announced extension by a lead ministry that has not
// answered yet; the deadline is one for every lead).
type ExtendResponseDeadline struct {
	ProposalID ProposalID
	NewDueDate calendar.Date
	Reason     string
}

// RespondToProposal records a lead ministry's response to an established
// proposal: its first answer, which the response deadline counts (each lead
// owes its own). Without a lead (NotYetAssigned) any ministry's first
// answer is the response.
type RespondToProposal struct {
	ProposalID ProposalID
	Summary    string
	// Link is where the full response is published.
	Link string
}

// MarkResponseOverdue records that the response deadline passed: one
// ProposalResponseDeadlineMissed for each lead ministry that had not
// answered.
type MarkResponseOverdue struct {
	ProposalID ProposalID
}

// CommandName implements Command.
func (SubmitProposal) CommandName() string { return CmdSubmitProposal }

// CommandName implements Command.
func (PublishProposal) CommandName() string { return CmdPublishProposal }

// CommandName implements Command.
func (SignProposal) CommandName() string { return CmdSignProposal }

// CommandName implements Command.
func (InvalidateSignature) CommandName() string { return CmdInvalidateSignature }

// CommandName implements Command.
func (ExpireProposal) CommandName() string { return CmdExpireProposal }

// CommandName implements Command.
func (ExtendResponseDeadline) CommandName() string { return CmdExtendResponseDeadline }

// CommandName implements Command.
func (RespondToProposal) CommandName() string { return CmdRespondToProposal }

// CommandName implements Command.
func (MarkResponseOverdue) CommandName() string { return CmdMarkResponseOverdue }

// ---- events ----

// ProposalSubmitted: a citizen submitted a proposal.
type ProposalSubmitted struct {
	ProposalID ProposalID `json:"proposalId"`
	Title      string     `json:"title" ledger:"public"`
	Summary    string     `json:"summary" ledger:"public"`
	// Proposer is the proposer's actor ID (their pseudonym).
	Proposer string `json:"proposer" ledger:"personal"`
	Occurred
}

// ProposalPublished: the proposal is open for signatures, under the rules
// recorded here (a snapshot of ProposalConfig).
//
// Schema (version 1, fields only added): competentMinistry is the first
// lead ministry ("" when none is assigned yet). Since decision 0048 the
// event also names every lead in leads (competentMinistry first) and the
// co-organisers in coOrganisers, whenever the publication names any
// ministry; an event without them (written before) names only
// competentMinistry, and its co-organisers are not known (LeadMinistries,
// NamesMinistries).
type ProposalPublished struct {
	ProposalID        ProposalID   `json:"proposalId"`
	CompetentMinistry MinistryID   `json:"competentMinistry"`
	Leads             []MinistryID `json:"leads,omitempty"`
	CoOrganisers      []MinistryID `json:"coOrganisers,omitempty"`
	Threshold         int          `json:"threshold"`
	Milestones        []int        `json:"milestones"`
	// SigningClosesAt is the first instant at which signatures are refused.
	SigningClosesAt  time.Time `json:"signingClosesAt"`
	ResponseDeadline Period    `json:"responseDeadline"`
	Occurred
}

// ProposalSigned: a signature was accepted. Count is the number of valid
// signatures including this one.
type ProposalSigned struct {
	ProposalID  ProposalID `json:"proposalId"`
	SignatureID uuid.UUID  `json:"signatureId"`
	Signer      SignerID   `json:"signer" ledger:"personal"`
	Count       int        `json:"count"`
	// County and District are the signer's county and district as the
	// platform gave them (left out when it gave none). Pages show the county
	// only; the district is finer than the public needs.
	County   string `json:"county,omitempty" ledger:"public"`
	District string `json:"district,omitempty" ledger:"confidential"`
	Occurred
}

// ProposalMilestoneReached: the valid count first reached a milestone, with
// the signature that reached it. Recorded once per milestone.
type ProposalMilestoneReached struct {
	ProposalID  ProposalID `json:"proposalId"`
	Milestone   int        `json:"milestone"`
	SignatureID uuid.UUID  `json:"signatureId"`
	Occurred
}

// ProposalEstablished: the signature SignatureID, at At, brought the valid
// count to the threshold. Recorded exactly once per proposal; it stays a
// historical fact even if signatures are invalidated later.
//
// Schema (version 1, fields only added): competentMinistry is the first
// lead; leads (since decision 0048) every lead that owes an answer by
// responseDueAt, left out by events written before (which owe one answer,
// competentMinistry's: LeadMinistries).
type ProposalEstablished struct {
	ProposalID  ProposalID `json:"proposalId"`
	SignatureID uuid.UUID  `json:"signatureId"`
	Signer      SignerID   `json:"signer" ledger:"personal"`
	Count       int        `json:"count"`
	Threshold   int        `json:"threshold"`
	// CompetentMinistry (the first lead) and every other lead in Leads
	// must respond by ResponseDueAt.
	CompetentMinistry MinistryID   `json:"competentMinistry"`
	Leads             []MinistryID `json:"leads,omitempty"`
	ResponseDueAt     time.Time    `json:"responseDueAt"`
	Occurred
}

// ProposalSignatureInvalidated: staff removed a signature from the tally.
// Count is the number of valid signatures after the removal.
type ProposalSignatureInvalidated struct {
	ProposalID  ProposalID `json:"proposalId"`
	SignatureID uuid.UUID  `json:"signatureId"`
	Signer      SignerID   `json:"signer" ledger:"personal"`
	Reason      string     `json:"reason" ledger:"confidential"`
	Count       int        `json:"count"`
	// County is the removed signature's county as its ProposalSigned
	// recorded it (left out when it had none), so that the public count of
	// valid signatures by county can subtract it (decision 0033).
	County string `json:"county,omitempty" ledger:"public"`
	Occurred
}

// ProposalExpired: the signing window closed with Count valid signatures,
// below the threshold.
type ProposalExpired struct {
	ProposalID ProposalID `json:"proposalId"`
	Count      int        `json:"count"`
	Threshold  int        `json:"threshold"`
	Occurred
}

// ProposalResponseDeadlineExtended: a lead ministry (Ministry) announced a
// later deadline; it is the proposal's, in force for every lead.
type ProposalResponseDeadlineExtended struct {
	ProposalID    ProposalID `json:"proposalId"`
	Ministry      MinistryID `json:"ministry"`
	PreviousDueAt time.Time  `json:"previousDueAt"`
	DueAt         time.Time  `json:"dueAt"`
	Reason        string     `json:"reason" ledger:"public"`
	Occurred
}

// ProposalResponded: a lead ministry (Ministry) gave its first answer, its
// response; OnTime says whether it met the deadline DueAt in force. Each
// lead's first answer is one such event (decision 0048: a proposal with
// several leads has several, one per lead; events before it have at most
// one, the competent ministry's). Without a lead, the first answer of
// any ministry.
type ProposalResponded struct {
	ProposalID ProposalID `json:"proposalId"`
	Ministry   MinistryID `json:"ministry"`
	Summary    string     `json:"summary" ledger:"public"`
	Link       string     `json:"link,omitempty" ledger:"public"`
	DueAt      time.Time  `json:"dueAt"`
	OnTime     bool       `json:"onTime"`
	Occurred
}

// ProposalResponseDeadlineMissed: the deadline DueAt passed without
// Ministry's response: one event for each lead that had not answered
// (decision 0048); Ministry is "" for a proposal without a lead.
type ProposalResponseDeadlineMissed struct {
	ProposalID ProposalID `json:"proposalId"`
	Ministry   MinistryID `json:"ministry"`
	DueAt      time.Time  `json:"dueAt"`
	Occurred
}

// EventType implements Event.
func (ProposalSubmitted) EventType() string { return "proposal.submitted" }

// EventType implements Event.
func (ProposalPublished) EventType() string { return "proposal.published" }

// EventType implements Event.
func (ProposalSigned) EventType() string { return "proposal.signed" }

// EventType implements Event.
func (ProposalMilestoneReached) EventType() string { return "proposal.milestone_reached" }

// EventType implements Event.
func (ProposalEstablished) EventType() string { return "proposal.established" }

// EventType implements Event.
func (ProposalSignatureInvalidated) EventType() string { return "proposal.signature_invalidated" }

// EventType implements Event.
func (ProposalExpired) EventType() string { return "proposal.expired" }

// EventType implements Event.
func (ProposalResponseDeadlineExtended) EventType() string {
	return "proposal.response_deadline_extended"
}

// EventType implements Event.
func (ProposalResponded) EventType() string { return "proposal.responded" }

// EventType implements Event.
func (ProposalResponseDeadlineMissed) EventType() string { return "proposal.response_deadline_missed" }

// SchemaVersion implements Event.
func (ProposalSubmitted) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (ProposalPublished) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (ProposalSigned) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (ProposalMilestoneReached) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (ProposalEstablished) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (ProposalSignatureInvalidated) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (ProposalExpired) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (ProposalResponseDeadlineExtended) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (ProposalResponded) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (ProposalResponseDeadlineMissed) SchemaVersion() int { return 1 }

// ---- state ----

type signature struct {
	id      uuid.UUID
	signer  SignerID
	at      time.Time
	county  string
	invalid bool
}

// Proposal is the state of one proposal's stream: its status, the rules
// recorded at publication, its signatures (one per signer) and the response.
// Deciding and applying a signature is O(1): the signer set is a map and the
// tally a counter.
type Proposal struct {
	id      ProposalID
	version uint64

	status            ProposalStatus
	title             string
	proposer          string
	competentMinistry MinistryID

	publishedAt      time.Time
	signingClosesAt  time.Time
	threshold        int
	milestones       []int
	milestonesDone   int
	responseDeadline Period

	signers map[SignerID]*signature
	byID    map[uuid.UUID]*signature
	valid   int

	// leads are every lead ministry (competentMinistry first);
	// coOrganisers the co-organising ministries; named says the
	// publication named them all (decision 0048), not only the competent
	// ministry as events before it did.
	leads        []MinistryID
	coOrganisers []MinistryID
	named        bool

	establishedBy uuid.UUID
	establishedAt time.Time
	responseDueAt time.Time
	// answered are the ministries whose first answer is recorded as their
	// response (ProposalResponded): leads, or without a lead the one that
	// answered first; missed the ones recorded as having missed the
	// deadline.
	answered map[MinistryID]bool
	missed   map[MinistryID]bool
	// responses are the recorded responses by ministry and time
	// (responseKey): the competent ministry's and the further ones.
	responses map[string]bool

	// listMissing: the platform's record has no signature list (until a
	// signature arrives); lateRows the runs of the platform's rows
	// recorded as made after the close (decision 0056).
	listMissing bool
	lateRows    []rowRange
}

// NewProposal returns the empty state of proposal id's stream.
func NewProposal(id ProposalID) *Proposal {
	return &Proposal{id: id, signers: map[SignerID]*signature{}, byID: map[uuid.UUID]*signature{}}
}

// ID returns the proposal's ID.
func (p *Proposal) ID() ProposalID { return p.id }

// Version implements Aggregate.
func (p *Proposal) Version() uint64 { return p.version }

// Status returns the proposal's status. An established proposal stays
// established after its window closes.
func (p *Proposal) Status() ProposalStatus { return p.status }

// Title returns the proposal's title.
func (p *Proposal) Title() string { return p.title }

// Proposer returns the proposer's actor ID.
func (p *Proposal) Proposer() string { return p.proposer }

// CompetentMinistry returns the first lead ministry ("" when none is
// assigned).
func (p *Proposal) CompetentMinistry() MinistryID { return p.competentMinistry }

// Leads returns every lead ministry, each owing its own answer (none when
// no lead is assigned).
func (p *Proposal) Leads() []MinistryID { return slices.Clone(p.leads) }

// CoOrganisers returns the co-organising ministries the publication named.
func (p *Proposal) CoOrganisers() []MinistryID { return slices.Clone(p.coOrganisers) }

// IsLead reports whether m is one of the proposal's lead ministries.
func (p *Proposal) IsLead(m MinistryID) bool { return slices.Contains(p.leads, m) }

// SigningClosesAt returns the first instant at which signatures are refused.
func (p *Proposal) SigningClosesAt() time.Time { return p.signingClosesAt }

// ValidSignatures returns the tally: signatures accepted minus invalidated.
func (p *Proposal) ValidSignatures() int { return p.valid }

// HasSigned reports whether signer has a signature on the proposal (valid or
// invalidated).
func (p *Proposal) HasSigned(signer SignerID) bool { _, ok := p.signers[signer]; return ok }

// IsEstablished reports whether the proposal has been established.
func (p *Proposal) IsEstablished() bool { return !p.establishedAt.IsZero() }

// Establishment returns the signature that established the proposal and when.
func (p *Proposal) Establishment() (uuid.UUID, time.Time, bool) {
	return p.establishedBy, p.establishedAt, p.IsEstablished()
}

// ResponseDueAt returns the response deadline in force (zero before
// establishment).
func (p *Proposal) ResponseDueAt() time.Time { return p.responseDueAt }

// Responded reports whether the proposal is answered: every lead ministry
// has responded (without a lead: some ministry has).
func (p *Proposal) Responded() bool {
	if len(p.leads) == 0 {
		return len(p.answered) > 0
	}
	for _, m := range p.leads {
		if !p.answered[m] {
			return false
		}
	}
	return true
}

// LeadResponded reports whether ministry m's response (its first answer as
// a lead) is recorded.
func (p *Proposal) LeadResponded(m MinistryID) bool { return p.answered[m] }

// mayRespond reports whether m's answer now would be a response (its first
// as a lead, or the first of any ministry without a lead).
func (p *Proposal) mayRespond(m MinistryID) bool {
	if len(p.leads) == 0 {
		return len(p.answered) == 0
	}
	return p.IsLead(m) && !p.answered[m]
}

// LeadMinistries returns every lead the event names: leads, or, in an event
// written before decision 0048, competentMinistry alone (none if empty).
func (e ProposalPublished) LeadMinistries() []MinistryID {
	return leadsOf(e.Leads, e.CompetentMinistry)
}

// NamesMinistries reports whether the event names every lead and
// co-organiser (decision 0048), not only the competent ministry as events
// written before did.
func (e ProposalPublished) NamesMinistries() bool { return len(e.Leads) > 0 || len(e.CoOrganisers) > 0 }

// LeadMinistries returns every lead owing an answer: leads, or, in an event
// written before decision 0048, competentMinistry alone (none if empty).
func (e ProposalEstablished) LeadMinistries() []MinistryID {
	return leadsOf(e.Leads, e.CompetentMinistry)
}

func leadsOf(leads []MinistryID, competent MinistryID) []MinistryID {
	if len(leads) > 0 {
		return slices.Clone(leads)
	}
	if competent != "" {
		return []MinistryID{competent}
	}
	return nil
}

// Apply implements Aggregate.
func (p *Proposal) Apply(e Event) error {
	const agg = "proposal"
	switch e := e.(type) {
	case ProposalSubmitted:
		if p.status != ProposalStatusNone {
			return badEvent(agg, e, "proposal %s already submitted", p.id)
		}
		p.status, p.title, p.proposer = ProposalStatusSubmitted, e.Title, e.Proposer
	case ProposalPublished:
		if p.status != ProposalStatusSubmitted {
			return badEvent(agg, e, "proposal %s is %q", p.id, p.status)
		}
		p.status = ProposalStatusPublished
		p.competentMinistry = e.CompetentMinistry
		p.leads, p.coOrganisers, p.named = e.LeadMinistries(), slices.Clone(e.CoOrganisers), e.NamesMinistries()
		p.publishedAt, p.signingClosesAt = e.At, e.SigningClosesAt
		p.threshold, p.milestones, p.responseDeadline = e.Threshold, e.Milestones, e.ResponseDeadline
	case ProposalSigned:
		if p.status != ProposalStatusPublished && p.status != ProposalStatusEstablished {
			return badEvent(agg, e, "proposal %s is %q", p.id, p.status)
		}
		if _, dup := p.signers[e.Signer]; dup {
			return badEvent(agg, e, "signer already signed proposal %s", p.id)
		}
		if e.Count != p.valid+1 {
			return badEvent(agg, e, "count %d does not follow %d", e.Count, p.valid)
		}
		s := &signature{id: e.SignatureID, signer: e.Signer, at: e.At, county: e.County}
		p.signers[e.Signer], p.byID[e.SignatureID] = s, s
		p.valid++
	case ProposalMilestoneReached:
		if p.milestonesDone >= len(p.milestones) || p.milestones[p.milestonesDone] != e.Milestone {
			return badEvent(agg, e, "milestone %d is not the next of %v", e.Milestone, p.milestones)
		}
		p.milestonesDone++
	case ProposalEstablished:
		if p.status != ProposalStatusPublished {
			return badEvent(agg, e, "proposal %s is %q", p.id, p.status)
		}
		p.status = ProposalStatusEstablished
		p.establishedBy, p.establishedAt, p.responseDueAt = e.SignatureID, e.At, e.ResponseDueAt
	case ProposalSignatureInvalidated:
		s, ok := p.byID[e.SignatureID]
		if !ok || s.invalid {
			return badEvent(agg, e, "no valid signature %s", e.SignatureID)
		}
		s.invalid = true
		p.valid--
	case ProposalExpired:
		if p.status != ProposalStatusPublished {
			return badEvent(agg, e, "proposal %s is %q", p.id, p.status)
		}
		p.status = ProposalStatusExpired
	case ProposalResponseDeadlineExtended:
		if !p.IsEstablished() {
			return badEvent(agg, e, "proposal %s is not established", p.id)
		}
		p.responseDueAt = e.DueAt
	case ProposalResponded:
		if !p.IsEstablished() || !p.mayRespond(e.Ministry) {
			return badEvent(agg, e, "proposal %s cannot take a response of %s", p.id, e.Ministry)
		}
		if p.answered == nil {
			p.answered = map[MinistryID]bool{}
		}
		p.answered[e.Ministry] = true
		p.noteResponse(e.Ministry, e.At)
	case ProposalResponseAdded:
		if !p.IsEstablished() {
			return badEvent(agg, e, "proposal %s is not established", p.id)
		}
		p.noteResponse(e.Ministry, e.At)
	case ProposalResponseDeadlineMissed:
		if !p.IsEstablished() {
			return badEvent(agg, e, "proposal %s is not established", p.id)
		}
		if p.missed == nil {
			p.missed = map[MinistryID]bool{}
		}
		p.missed[e.Ministry] = true
	default:
		if ok, err := p.applyFact(e); ok {
			return err
		}
		return badEvent(agg, e, "not a proposal event")
	}
	p.version++
	return nil
}

// ---- decisions ----

func (p *Proposal) check(cmd Command, id ProposalID, actor Actor, at time.Time) error {
	if err := Authorize(cmd.CommandName(), actor); err != nil {
		return err
	}
	if err := requireAt(cmd.CommandName(), at); err != nil {
		return err
	}
	if id != p.id {
		return violated(cmd.CommandName()+".wrong_aggregate", "command for proposal %s decided on proposal %s", id, p.id)
	}
	return nil
}

func (p *Proposal) requireExists(cmd string) error {
	if p.status == ProposalStatusNone {
		return notFound(cmd+".not_found", "proposal %s does not exist", p.id)
	}
	return nil
}

// Submit decides SubmitProposal.
func (p *Proposal) Submit(cmd SubmitProposal, actor Actor, at time.Time) ([]Event, error) {
	if err := p.check(cmd, cmd.ProposalID, actor, at); err != nil {
		return nil, err
	}
	if err := validID(CmdSubmitProposal, "proposal", string(cmd.ProposalID)); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Title) == "" {
		return nil, violated("proposal.submit.title_required", "proposal %s has no title", cmd.ProposalID)
	}
	if p.status != ProposalStatusNone {
		return nil, conflict("proposal.submit.exists", "proposal %s already exists", p.id)
	}
	return []Event{ProposalSubmitted{ProposalID: p.id, Title: cmd.Title, Summary: cmd.Summary, Proposer: actor.ID, Occurred: occurred(at)}}, nil
}

// Publish decides PublishProposal, recording cfg as the proposal's rules.
func (p *Proposal) Publish(cmd PublishProposal, actor Actor, at time.Time, cfg ProposalConfig) ([]Event, error) {
	if err := p.check(cmd, cmd.ProposalID, actor, at); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, violated("proposal.publish.config_invalid", "invalid configuration: %v", err)
	}
	leads, err := publishedMinistries(cmd)
	if err != nil {
		return nil, err
	}
	if cmd.Threshold < 0 {
		return nil, violated("proposal.publish.threshold_invalid", "threshold %d is negative", cmd.Threshold)
	}
	closes := cfg.Window.AddTo(at).UTC()
	if !cmd.SigningClosesAt.IsZero() {
		if !cmd.SigningClosesAt.After(at) {
			return nil, violated("proposal.publish.closes_before_publication", "signing would close at %s, before publication at %s", cmd.SigningClosesAt.Format(time.RFC3339), at.Format(time.RFC3339))
		}
		closes = cmd.SigningClosesAt.UTC()
	}
	threshold, milestones := cfg.Threshold, append([]int{}, cfg.Milestones...)
	if cmd.Threshold > 0 {
		threshold = cmd.Threshold
		milestones = slices.DeleteFunc(milestones, func(m int) bool { return m >= threshold })
	}
	if err := p.requireExists(CmdPublishProposal); err != nil {
		return nil, err
	}
	if p.status != ProposalStatusSubmitted {
		return nil, conflict("proposal.publish.already_published", "proposal %s is %s", p.id, p.status)
	}
	pub := ProposalPublished{
		ProposalID:        p.id,
		CompetentMinistry: cmd.CompetentMinistry,
		Threshold:         threshold,
		Milestones:        milestones,
		SigningClosesAt:   closes,
		ResponseDeadline:  cfg.ResponseDeadline,
		Occurred:          occurred(at),
	}
	if len(leads) > 0 || len(cmd.CoOrganisers) > 0 {
		pub.Leads, pub.CoOrganisers = leads, slices.Clone(cmd.CoOrganisers)
	}
	return []Event{pub}, nil
}

// publishedMinistries checks the ministries a publication names and
// returns its leads, the competent ministry first: each a valid ID, none
// named twice, no lead together with NotYetAssigned.
func publishedMinistries(cmd PublishProposal) ([]MinistryID, error) {
	if cmd.NotYetAssigned && (cmd.CompetentMinistry != "" || len(cmd.OtherLeads) > 0) {
		return nil, violated("proposal.publish.ministry_and_unassigned", "proposal %s names ministry %s and says none is assigned", cmd.ProposalID, cmp.Or(cmd.CompetentMinistry, firstOf(cmd.OtherLeads)))
	}
	var leads []MinistryID
	if !cmd.NotYetAssigned {
		leads = append([]MinistryID{cmd.CompetentMinistry}, cmd.OtherLeads...)
	}
	seen := map[MinistryID]bool{}
	for _, m := range slices.Concat(leads, cmd.CoOrganisers) {
		if err := validID(CmdPublishProposal, "ministry", string(m)); err != nil {
			return nil, err
		}
		if seen[m] {
			return nil, violated("proposal.publish.ministry_repeated", "proposal %s names ministry %s twice", cmd.ProposalID, m)
		}
		seen[m] = true
	}
	return leads, nil
}

func firstOf(ms []MinistryID) MinistryID {
	if len(ms) == 0 {
		return ""
	}
	return ms[0]
}

// Sign decides SignProposal: one signature per signer, only within the
// window. The signature that brings the valid count to the threshold also
// establishes the proposal (exactly once); the first to reach each milestone
// records it (once each). Signatures after establishment are accepted until
// the window closes and never re-establish.
func (p *Proposal) Sign(cmd SignProposal, actor Actor, at time.Time) ([]Event, error) {
	return p.appendSign(nil, cmd, actor, at)
}

// validPlace checks a county or district: valid UTF-8 without control
// characters, at most MaxPlaceLen bytes.
func validPlace(s string) error {
	if len(s) > MaxPlaceLen {
		return msgf("longer than %d bytes", MaxPlaceLen)
	}
	if !utf8.ValidString(s) {
		return msgf("not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return msgf("has control character %U", r)
		}
	}
	return nil
}

// dueAt is the end (24:00 Asia/Taipei) of the day that is period after t's
// date.
func dueAt(t time.Time, period Period) time.Time {
	return calendar.DateOf(period.AddTo(t)).End().UTC()
}

// InvalidateSignature decides InvalidateSignature. The signature leaves the
// tally but stays in the trail; its signer cannot sign again. An
// establishment is never undone.
func (p *Proposal) InvalidateSignature(cmd InvalidateSignature, actor Actor, at time.Time) ([]Event, error) {
	if err := p.check(cmd, cmd.ProposalID, actor, at); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Reason) == "" {
		return nil, violated("proposal.invalidate_signature.reason_required", "invalidating a signature needs a reason")
	}
	if err := p.requireExists(CmdInvalidateSignature); err != nil {
		return nil, err
	}
	s, ok := p.byID[cmd.SignatureID]
	if !ok {
		return nil, notFound("proposal.invalidate_signature.not_found", "proposal %s has no signature %s", p.id, cmd.SignatureID)
	}
	if s.invalid {
		return nil, conflict("proposal.invalidate_signature.already_invalid", "signature %s is already invalidated", cmd.SignatureID)
	}
	return []Event{ProposalSignatureInvalidated{ProposalID: p.id, SignatureID: s.id, Signer: s.signer, Reason: cmd.Reason, Count: p.valid - 1, County: s.county, Occurred: occurred(at)}}, nil
}

// Expire decides ExpireProposal: only after the window closed, only below
// the threshold.
func (p *Proposal) Expire(cmd ExpireProposal, actor Actor, at time.Time) ([]Event, error) {
	if err := p.check(cmd, cmd.ProposalID, actor, at); err != nil {
		return nil, err
	}
	if err := p.requireExists(CmdExpireProposal); err != nil {
		return nil, err
	}
	switch p.status {
	case ProposalStatusSubmitted:
		return nil, conflict("proposal.expire.not_published", "proposal %s is not published", p.id)
	case ProposalStatusEstablished:
		return nil, conflict("proposal.expire.established", "proposal %s is established", p.id)
	case ProposalStatusExpired:
		return nil, conflict("proposal.expire.already_expired", "proposal %s already expired", p.id)
	}
	if at.Before(p.signingClosesAt) {
		return nil, violated("proposal.expire.window_open", "signing on proposal %s is open until %s", p.id, p.signingClosesAt.Format(time.RFC3339))
	}
	return []Event{ProposalExpired{ProposalID: p.id, Count: p.valid, Threshold: p.threshold, Occurred: occurred(at)}}, nil
}

// establishedLeads is what ProposalEstablished records as its leads: every
// lead when the publication named them (decision 0048), nothing for a
// proposal published before (its competentMinistry says it all).
func (p *Proposal) establishedLeads() []MinistryID {
	if !p.named {
		return nil
	}
	return slices.Clone(p.leads)
}

// requireResponder checks that actor's ministry may respond now: a lead (or
// any ministry without a lead) of an established proposal that has not
// given its response yet.
func (p *Proposal) requireResponder(cmd string, actor Actor) error {
	if err := p.requireExists(cmd); err != nil {
		return err
	}
	if len(p.leads) > 0 && !p.IsLead(actor.Ministry) {
		if len(p.leads) == 1 {
			return forbidden(RuleResponseOwnMinistry, "%s is not the competent ministry %s of proposal %s", actor.Ministry, p.competentMinistry, p.id)
		}
		return forbidden(RuleResponseOwnMinistry, "%s is not a lead ministry of proposal %s (%s)", actor.Ministry, p.id, joinMinistries(p.leads))
	}
	if !p.IsEstablished() {
		return conflict(cmd+".not_established", "proposal %s is not established", p.id)
	}
	if !p.mayRespond(actor.Ministry) {
		if len(p.leads) > 1 {
			return conflict(cmd+".already_responded", "%s has already responded to proposal %s", actor.Ministry, p.id)
		}
		return conflict(cmd+".already_responded", "proposal %s already has a response", p.id)
	}
	return nil
}

func joinMinistries(ms []MinistryID) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = string(m)
	}
	return strings.Join(s, ", ")
}

// ExtendResponseDeadline decides ExtendResponseDeadline: a lead ministry
// announces a later deadline, with a reason, before it responds; the
// deadline is the proposal's, for every lead.
func (p *Proposal) ExtendResponseDeadline(cmd ExtendResponseDeadline, actor Actor, at time.Time) ([]Event, error) {
	if err := p.check(cmd, cmd.ProposalID, actor, at); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Reason) == "" {
		return nil, violated("proposal.extend_response_deadline.reason_required", "an extension needs a reason")
	}
	if err := p.requireResponder(CmdExtendResponseDeadline, actor); err != nil {
		return nil, err
	}
	if err := checkDate("newDueDate", cmd.NewDueDate); err != nil {
		return nil, err
	}
	due := cmd.NewDueDate.End().UTC()
	if !due.After(p.responseDueAt) {
		return nil, violated("proposal.extend_response_deadline.not_later", "new deadline %s is not after %s", cmd.NewDueDate, p.responseDueAt.Format(time.RFC3339))
	}
	return []Event{ProposalResponseDeadlineExtended{ProposalID: p.id, Ministry: actor.Ministry, PreviousDueAt: p.responseDueAt, DueAt: due, Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

// Respond decides RespondToProposal; the event says whether the deadline was
// met.
func (p *Proposal) Respond(cmd RespondToProposal, actor Actor, at time.Time) ([]Event, error) {
	if err := p.check(cmd, cmd.ProposalID, actor, at); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Summary) == "" {
		return nil, violated("proposal.respond.summary_required", "a response needs a summary")
	}
	if err := p.requireResponder(CmdRespondToProposal, actor); err != nil {
		return nil, err
	}
	return []Event{ProposalResponded{ProposalID: p.id, Ministry: actor.Ministry, Summary: cmd.Summary, Link: cmd.Link, DueAt: p.responseDueAt, OnTime: at.Before(p.responseDueAt), Occurred: occurred(at)}}, nil
}

// MarkResponseOverdue decides MarkResponseOverdue: after the deadline, one
// ProposalResponseDeadlineMissed for each lead that has not answered and is
// not marked yet (without a lead: one, while no ministry has answered).
func (p *Proposal) MarkResponseOverdue(cmd MarkResponseOverdue, actor Actor, at time.Time) ([]Event, error) {
	if err := p.check(cmd, cmd.ProposalID, actor, at); err != nil {
		return nil, err
	}
	if err := p.requireExists(CmdMarkResponseOverdue); err != nil {
		return nil, err
	}
	if !p.IsEstablished() {
		return nil, conflict("proposal.mark_response_overdue.not_established", "proposal %s is not established", p.id)
	}
	if p.Responded() {
		return nil, conflict("proposal.mark_response_overdue.responded", "proposal %s has a response", p.id)
	}
	owing := p.leads
	if len(owing) == 0 {
		owing = []MinistryID{""}
	}
	var events []Event
	for _, m := range owing {
		if !p.answered[m] && !p.missed[m] {
			events = append(events, ProposalResponseDeadlineMissed{ProposalID: p.id, Ministry: m, DueAt: p.responseDueAt, Occurred: occurred(at)})
		}
	}
	if len(events) == 0 {
		return nil, conflict("proposal.mark_response_overdue.already_marked", "proposal %s is already marked overdue", p.id)
	}
	if at.Before(p.responseDueAt) {
		return nil, violated("proposal.mark_response_overdue.not_due", "the response is due at %s", p.responseDueAt.Format(time.RFC3339))
	}
	return events, nil
}

// Decide dispatches any proposal command to its decision. cfg is used only
// by PublishProposal. AssignLeads is decided here without the registry
// (every ministry unknown): the command side decides it with the registry
// by (*Proposal).AssignLeads.
func (p *Proposal) Decide(cmd Command, actor Actor, at time.Time, cfg ProposalConfig) ([]Event, error) {
	switch c := cmd.(type) {
	case SubmitProposal:
		return p.Submit(c, actor, at)
	case PublishProposal:
		return p.Publish(c, actor, at, cfg)
	case SignProposal:
		return p.Sign(c, actor, at)
	case InvalidateSignature:
		return p.InvalidateSignature(c, actor, at)
	case ExpireProposal:
		return p.Expire(c, actor, at)
	case ExtendResponseDeadline:
		return p.ExtendResponseDeadline(c, actor, at)
	case RespondToProposal:
		return p.Respond(c, actor, at)
	case AddProposalResponse:
		return p.AddResponse(c, actor, at)
	case MarkResponseOverdue:
		return p.MarkResponseOverdue(c, actor, at)
	case RecordSignatureListMissing:
		return p.RecordSignatureListMissing(c, actor, at)
	case RecordLateSignatures:
		return p.RecordLateSignatures(c, actor, at)
	case AssignLeads:
		return p.AssignLeads(c, actor, at, nil)
	}
	return nil, violated("proposal.unknown_command", "%T is not a proposal command", cmd)
}

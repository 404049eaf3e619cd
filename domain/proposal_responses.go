package domain

import (
	"slices"
	"strings"
	"time"
)

// Join publishes more than one answer to an established proposal: each
// ministry named on it answers its own part, and a ministry answers again
// as the work goes on (decision 0041). Each lead ministry's first answer is
// proposal.respond, which meets (or misses) the deadline, one per lead
// (decision 0048); every other published answer (co-organisers' parts, a
// lead's later answers) is proposal.add_response → proposal.response_added,
// its own event, so the proposal's page and trail show them all and the
// deadline's figures count one response per lead.
//
// Who may add one: a lead after its response, or a co-organiser, when the
// publication named them (decision 0048); any ministry when it did not (a
// proposal published before, or one without any ministry named).

// CmdAddProposalResponse names AddProposalResponse.
const CmdAddProposalResponse = "proposal.add_response"

// AddProposalResponse records a further published response to an
// established proposal by the actor's ministry: a co-organiser's answer to
// its part, or a later answer of a lead that responded before. A lead's
// first answer is RespondToProposal.
type AddProposalResponse struct {
	ProposalID ProposalID
	Summary    string
	// Link is where the full response is published.
	Link string
}

// CommandName implements Command.
func (AddProposalResponse) CommandName() string { return CmdAddProposalResponse }

// ProposalResponseAdded: a ministry published a further response (not a
// lead's first, which is ProposalResponded).
type ProposalResponseAdded struct {
	ProposalID ProposalID `json:"proposalId"`
	Ministry   MinistryID `json:"ministry"`
	Summary    string     `json:"summary" ledger:"public"`
	Link       string     `json:"link,omitempty" ledger:"public"`
	Occurred
}

// EventType implements Event.
func (ProposalResponseAdded) EventType() string { return "proposal.response_added" }

// SchemaVersion implements Event.
func (ProposalResponseAdded) SchemaVersion() int { return 1 }

// responseKey identifies a recorded response: its ministry and when it was
// published.
func responseKey(m MinistryID, at time.Time) string {
	return string(m) + "@" + at.UTC().Format(time.RFC3339Nano)
}

// noteResponse remembers a recorded response (ProposalResponded or
// ProposalResponseAdded).
func (p *Proposal) noteResponse(m MinistryID, at time.Time) {
	if p.responses == nil {
		p.responses = map[string]bool{}
	}
	p.responses[responseKey(m, at)] = true
}

// HasResponse reports whether ministry m's response published at at is
// recorded (as the competent ministry's response or as a further one).
func (p *Proposal) HasResponse(m MinistryID, at time.Time) bool {
	return p.responses[responseKey(m, at)]
}

// Responses returns how many responses are recorded, the competent
// ministry's and the further ones.
func (p *Proposal) Responses() int { return len(p.responses) }

// AddResponse decides AddProposalResponse: by a ministry the proposal names
// (when its publication named them), on an established proposal, not a
// lead's first answer (that is RespondToProposal, which the deadline
// counts; without a lead, nobody's first), not one recorded already (the
// same ministry at the same time).
func (p *Proposal) AddResponse(cmd AddProposalResponse, actor Actor, at time.Time) ([]Event, error) {
	if err := p.check(cmd, cmd.ProposalID, actor, at); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Summary) == "" {
		return nil, violated("proposal.add_response.summary_required", "a response needs a summary")
	}
	if err := p.requireExists(CmdAddProposalResponse); err != nil {
		return nil, err
	}
	if actor.Ministry == "" {
		return nil, violated("proposal.add_response.no_ministry", "a response is a ministry's: the actor names no ministry")
	}
	if !p.IsEstablished() {
		return nil, conflict("proposal.add_response.not_established", "proposal %s is not established", p.id)
	}
	if p.named && !p.IsLead(actor.Ministry) && !slices.Contains(p.coOrganisers, actor.Ministry) {
		return nil, forbidden(RuleResponseNamedMinistry, "%s is neither a lead ministry nor a co-organiser of proposal %s", actor.Ministry, p.id)
	}
	if p.mayRespond(actor.Ministry) {
		if len(p.leads) > 1 {
			return nil, conflict("proposal.add_response.respond_first", "%s's first answer to proposal %s is its response as a lead ministry (proposal.respond), which the deadline counts", actor.Ministry, p.id)
		}
		return nil, conflict("proposal.add_response.respond_first", "the competent ministry's first answer to proposal %s is a response (proposal.respond), which meets its deadline", p.id)
	}
	if p.HasResponse(actor.Ministry, at) {
		return nil, conflict("proposal.add_response.duplicate", "%s's response of %s to proposal %s is recorded already", actor.Ministry, at.UTC().Format(time.RFC3339), p.id)
	}
	return []Event{ProposalResponseAdded{ProposalID: p.id, Ministry: actor.Ministry, Summary: cmd.Summary, Link: cmd.Link, Occurred: occurred(at)}}, nil
}

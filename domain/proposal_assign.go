package domain

import (
	"slices"
	"time"
)

// PDIS assigns the ministries of a proposal published without them (Join
// publishes proposals before it names their leads) once it is established,
// or adds a lead to one (decision 0056). From the assignment each lead owes
// its own answer by the proposal's one deadline, as a lead named at
// publication does (decision 0048).

// CmdAssignLeads names AssignLeads.
const CmdAssignLeads = "proposal.assign_leads"

// AssignLeads names further lead ministries of a published proposal, and
// optionally co-organisers, each registered in the PO registry.
type AssignLeads struct {
	ProposalID ProposalID
	// Leads are the ministries that owe an answer (at least one).
	Leads []MinistryID
	// CoOrganisers may answer their parts.
	CoOrganisers []MinistryID
}

// CommandName implements Command.
func (AssignLeads) CommandName() string { return CmdAssignLeads }

// ProposalLeadsAssigned: staff named Leads as further lead ministries of
// the proposal (and CoOrganisers), after its publication; each owes its own
// answer by the proposal's deadline, DueAt when it is established (zero
// before).
type ProposalLeadsAssigned struct {
	ProposalID   ProposalID   `json:"proposalId"`
	Leads        []MinistryID `json:"leads"`
	CoOrganisers []MinistryID `json:"coOrganisers,omitempty"`
	DueAt        time.Time    `json:"dueAt,omitzero"`
	Occurred
}

// EventType implements Event.
func (ProposalLeadsAssigned) EventType() string { return "proposal.leads_assigned" }

// SchemaVersion implements Event.
func (ProposalLeadsAssigned) SchemaVersion() int { return 1 }

// AssignLeads decides AssignLeads against the PO registry reg (nil: no
// ministry is registered): at least one lead; every ministry a valid ID,
// registered, named once and not named by the proposal already; the
// proposal published, not expired, not answered yet.
func (p *Proposal) AssignLeads(cmd AssignLeads, actor Actor, at time.Time, reg *Registry) ([]Event, error) {
	const name = CmdAssignLeads
	if err := p.check(cmd, cmd.ProposalID, actor, at); err != nil {
		return nil, err
	}
	if len(cmd.Leads) == 0 {
		return nil, violated("proposal.assign_leads.leads_required", "assigning the ministries of proposal %s names at least one lead", cmd.ProposalID)
	}
	seen := map[MinistryID]bool{}
	for _, m := range slices.Concat(cmd.Leads, cmd.CoOrganisers) {
		if err := validID(name, "ministry", string(m)); err != nil {
			return nil, err
		}
		if seen[m] {
			return nil, violated("proposal.assign_leads.ministry_repeated", "proposal %s names ministry %s twice", cmd.ProposalID, m)
		}
		seen[m] = true
		if _, ok := registered(reg, m); !ok {
			return nil, violated("proposal.assign_leads.ministry_unknown", "ministry %s is not in the registry", m)
		}
	}
	if err := p.requirePublished(name); err != nil {
		return nil, err
	}
	if p.status == ProposalStatusExpired {
		return nil, conflict("proposal.assign_leads.expired", "proposal %s expired: no ministry owes it an answer", p.id)
	}
	for m := range seen {
		if p.IsLead(m) || slices.Contains(p.coOrganisers, m) {
			return nil, conflict("proposal.assign_leads.already_named", "proposal %s names ministry %s already", p.id, m)
		}
	}
	if p.IsEstablished() && p.Responded() {
		return nil, conflict("proposal.assign_leads.answered", "proposal %s is answered already", p.id)
	}
	return []Event{ProposalLeadsAssigned{ProposalID: p.id, Leads: slices.Clone(cmd.Leads), CoOrganisers: slices.Clone(cmd.CoOrganisers), DueAt: p.responseDueAt, Occurred: occurred(at)}}, nil
}

// registered looks m up in reg (nil holds nothing).
func registered(reg *Registry, m MinistryID) (MinistryInfo, bool) {
	if reg == nil {
		return MinistryInfo{}, false
	}
	return reg.Ministry(m)
}

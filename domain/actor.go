package domain

import "fmt"

// Role is what an actor acts as. Roles are fixed by the process; the policy
// table (Policy) says which roles may issue which command.
type Role string

// The roles of the process.
const (
	// RoleCitizen is a verified citizen on Join: signs proposals, submits
	// them, posts anonymous questions, edits their own words in a transcript.
	RoleCitizen Role = "citizen"
	// RoleProposer is a citizen acting as the proposer of a proposal.
	RoleProposer Role = "proposer"
	// RolePO is a Participation Officer, acting for their ministry or agency
	// (Actor.Ministry).
	RolePO Role = "po"
	// RolePDIS is PDIS staff: hosts meetings, moves case stages, keeps the
	// PO registry, invalidates fraudulent signatures, publishes transcripts.
	RolePDIS Role = "pdis"
	// RoleStenographer records a meeting's transcript.
	RoleStenographer Role = "stenographer"
	// RoleSecretariat is the Executive Yuan secretariat: records reports to
	// the Premier and the Premier's directives, and assignments.
	RoleSecretariat Role = "secretariat"
	// RoleMinistry is a ministry acting officially (Actor.Ministry): responds
	// to proposals and recommendations, supplies material.
	RoleMinistry Role = "ministry"
	// RoleAuditor reads only; no command allows it.
	RoleAuditor Role = "auditor"
)

// Roles returns every role, in a fixed order.
func Roles() []Role {
	return []Role{RoleCitizen, RoleProposer, RolePO, RolePDIS, RoleStenographer, RoleSecretariat, RoleMinistry, RoleAuditor}
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles() {
		if r == x {
			return true
		}
	}
	return false
}

// actsForMinistry reports whether the role acts on behalf of a ministry and
// so must name one.
func (r Role) actsForMinistry() bool { return r == RolePO || r == RoleMinistry }

// Actor is who issues a command: an ID (a citizen's signer pseudonym, a
// staff account), a role, and for POs and ministries the ministry or agency
// they act for. The command side builds it from an authenticated session;
// the domain trusts the fields but checks they are consistent.
type Actor struct {
	// ID identifies the actor. For citizens it is their SignerID pseudonym,
	// never a raw identity.
	ID string
	// Role is what the actor acts as.
	Role Role
	// Ministry is the ministry or agency a PO or ministry actor acts for;
	// empty for other roles.
	Ministry MinistryID
}

// NewActor returns a validated Actor.
func NewActor(id string, role Role, ministry MinistryID) (Actor, error) {
	a := Actor{ID: id, Role: role, Ministry: ministry}
	if err := a.Validate(); err != nil {
		return Actor{}, err
	}
	return a, nil
}

// Validate checks that the actor has an ID, a known role, and a ministry if
// and only if the role acts for one.
func (a Actor) Validate() error {
	switch {
	case a.ID == "":
		return forbidden("policy.actor.invalid", "actor has no ID")
	case !a.Role.Valid():
		return forbidden("policy.actor.invalid", "actor %s has unknown role %q", a.ID, a.Role)
	case a.Role.actsForMinistry() && a.Ministry == "":
		return forbidden("policy.actor.invalid", "actor %s with role %s names no ministry", a.ID, a.Role)
	case !a.Role.actsForMinistry() && a.Ministry != "":
		return forbidden("policy.actor.invalid", "actor %s with role %s may not act for ministry %s", a.ID, a.Role, a.Ministry)
	}
	if a.Ministry != "" {
		if err := checkID("ministry", string(a.Ministry)); err != nil {
			return forbidden("policy.actor.invalid", "actor %s: %v", a.ID, err)
		}
	}
	return nil
}

// String returns "role:id" or "role:id@ministry".
func (a Actor) String() string {
	if a.Ministry != "" {
		return fmt.Sprintf("%s:%s@%s", a.Role, a.ID, a.Ministry)
	}
	return fmt.Sprintf("%s:%s", a.Role, a.ID)
}

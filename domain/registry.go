package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"
)

// PORole is a Participation Officer's role in their ministry.
type PORole string

// PO roles.
const (
	// POChief is the chief PO of a ministry (one active per ministry).
	POChief PORole = "chief"
	// POUnit is a unit PO (a department or an agency).
	POUnit PORole = "unit"
)

func (r PORole) valid() bool { return r == POChief || r == POUnit }

// ---- commands ----

// RegisterMinistry registers a ministry, or an agency under Parent.
type RegisterMinistry struct {
	MinistryID MinistryID
	Name       string
	// Parent is the ministry an agency belongs to; empty for a ministry.
	Parent MinistryID
}

// RegisterPO registers a PO for a year (new, or returning after
// retirement). POID is the PO's actor ID.
type RegisterPO struct {
	POID     string
	Name     string
	Ministry MinistryID
	Role     PORole
	Year     int
}

// RenewPO renews a PO's registration for another year.
type RenewPO struct {
	POID string
	Year int
}

// RetirePO retires a PO; a retired PO may not vote.
type RetirePO struct {
	POID   string
	Reason string
}

// ChangePORole makes a PO chief or unit PO.
type ChangePORole struct {
	POID   string
	Role   PORole
	Reason string
}

// CommandName implements Command.
func (RegisterMinistry) CommandName() string { return CmdRegisterMinistry }

// CommandName implements Command.
func (RegisterPO) CommandName() string { return CmdRegisterPO }

// CommandName implements Command.
func (RenewPO) CommandName() string { return CmdRenewPO }

// CommandName implements Command.
func (RetirePO) CommandName() string { return CmdRetirePO }

// CommandName implements Command.
func (ChangePORole) CommandName() string { return CmdChangePORole }

// ---- events ----

// MinistryRegistered: a ministry (or an agency under Parent) joined the PO
// network.
type MinistryRegistered struct {
	MinistryID MinistryID `json:"ministryId"`
	Name       string     `json:"name" ledger:"public"`
	Parent     MinistryID `json:"parent,omitempty"`
	Occurred
}

// PORegistered: a PO was registered for Year.
type PORegistered struct {
	POID     string     `json:"poId" ledger:"public"`
	Name     string     `json:"name" ledger:"public"`
	Ministry MinistryID `json:"ministry"`
	Role     PORole     `json:"role"`
	Year     int        `json:"year"`
	Occurred
}

// PORenewed: a PO's registration was renewed for Year.
type PORenewed struct {
	POID     string     `json:"poId" ledger:"public"`
	Ministry MinistryID `json:"ministry"`
	Year     int        `json:"year"`
	Occurred
}

// PORetired: a PO retired.
type PORetired struct {
	POID     string     `json:"poId" ledger:"public"`
	Ministry MinistryID `json:"ministry"`
	Reason   string     `json:"reason,omitempty" ledger:"public"`
	Occurred
}

// PORoleChanged: a PO's role changed.
type PORoleChanged struct {
	POID     string     `json:"poId" ledger:"public"`
	Ministry MinistryID `json:"ministry"`
	From     PORole     `json:"from"`
	To       PORole     `json:"to"`
	Reason   string     `json:"reason" ledger:"public"`
	Occurred
}

// EventType implements Event.
func (MinistryRegistered) EventType() string { return "registry.ministry_registered" }

// EventType implements Event.
func (PORegistered) EventType() string { return "registry.po_registered" }

// EventType implements Event.
func (PORenewed) EventType() string { return "registry.po_renewed" }

// EventType implements Event.
func (PORetired) EventType() string { return "registry.po_retired" }

// EventType implements Event.
func (PORoleChanged) EventType() string { return "registry.po_role_changed" }

// SchemaVersion implements Event.
func (MinistryRegistered) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (PORegistered) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (PORenewed) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (PORetired) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (PORoleChanged) SchemaVersion() int { return 1 }

// ---- state ----

// MinistryInfo describes a registered ministry or agency.
type MinistryInfo struct {
	ID     MinistryID
	Name   string
	Parent MinistryID
}

// POInfo describes a registered PO.
type POInfo struct {
	ID       string
	Name     string
	Ministry MinistryID
	Role     PORole
	// Years are the years the PO is registered for, ascending.
	Years   []int
	Retired bool
}

// ActiveIn reports whether the PO may act in year: registered for it and
// not retired.
func (p POInfo) ActiveIn(year int) bool { return !p.Retired && slices.Contains(p.Years, year) }

// Registry is the state of the one PO registry stream: every ministry,
// agency and PO. One stream, because it is small (a few hundred events a
// year), its invariants cross ministries (a PO belongs to one ministry at a
// time, an agency's parent must exist) and a ballot needs one consistent
// look-up.
type Registry struct {
	version    uint64
	ministries map[MinistryID]MinistryInfo
	pos        map[string]*POInfo
}

// NewRegistry returns the empty registry state.
func NewRegistry() *Registry {
	return &Registry{ministries: map[MinistryID]MinistryInfo{}, pos: map[string]*POInfo{}}
}

// Version implements Aggregate.
func (r *Registry) Version() uint64 { return r.version }

// Ministry returns a registered ministry or agency.
func (r *Registry) Ministry(id MinistryID) (MinistryInfo, bool) {
	m, ok := r.ministries[id]
	return m, ok
}

// TopMinistry returns the ministry an agency belongs to (following parents),
// or id itself for a ministry or an unregistered ID.
func (r *Registry) TopMinistry(id MinistryID) MinistryID {
	for range len(r.ministries) + 1 {
		m, ok := r.ministries[id]
		if !ok || m.Parent == "" {
			return id
		}
		id = m.Parent
	}
	return id
}

// PO returns a registered PO (active or retired).
func (r *Registry) PO(id string) (POInfo, bool) {
	p, ok := r.pos[id]
	if !ok {
		return POInfo{}, false
	}
	c := *p
	c.Years = slices.Clone(p.Years)
	return c, true
}

// activeChief returns the active chief PO of top ministry top, if any,
// other than except.
func (r *Registry) activeChief(top MinistryID, except string) (string, bool) {
	for id, p := range r.pos {
		if id != except && !p.Retired && p.Role == POChief && r.TopMinistry(p.Ministry) == top {
			return id, true
		}
	}
	return "", false
}

// Apply implements Aggregate.
func (r *Registry) Apply(e Event) error {
	const agg = "po registry"
	switch e := e.(type) {
	case MinistryRegistered:
		if _, dup := r.ministries[e.MinistryID]; dup {
			return badEvent(agg, e, "ministry %s already registered", e.MinistryID)
		}
		r.ministries[e.MinistryID] = MinistryInfo{ID: e.MinistryID, Name: e.Name, Parent: e.Parent}
	case PORegistered:
		if p, ok := r.pos[e.POID]; ok && !p.Retired {
			return badEvent(agg, e, "PO %s is registered", e.POID)
		}
		years := []int{e.Year}
		if p, ok := r.pos[e.POID]; ok {
			years = append(slices.Clone(p.Years), e.Year)
			slices.Sort(years)
			years = slices.Compact(years)
		}
		r.pos[e.POID] = &POInfo{ID: e.POID, Name: e.Name, Ministry: e.Ministry, Role: e.Role, Years: years}
	case PORenewed:
		p, ok := r.pos[e.POID]
		if !ok || p.Retired {
			return badEvent(agg, e, "PO %s is not active", e.POID)
		}
		p.Years = append(p.Years, e.Year)
		slices.Sort(p.Years)
	case PORetired:
		p, ok := r.pos[e.POID]
		if !ok || p.Retired {
			return badEvent(agg, e, "PO %s is not active", e.POID)
		}
		p.Retired = true
	case PORoleChanged:
		p, ok := r.pos[e.POID]
		if !ok || p.Retired {
			return badEvent(agg, e, "PO %s is not active", e.POID)
		}
		p.Role = e.To
	default:
		return badEvent(agg, e, "not a registry event")
	}
	r.version++
	return nil
}

// ---- decisions ----

func (r *Registry) begin(cmd Command, actor Actor, at time.Time) error {
	if err := Authorize(cmd.CommandName(), actor); err != nil {
		return err
	}
	return requireAt(cmd.CommandName(), at)
}

// requireChiefFor checks the per-command rule for PO actors: they must be
// the active chief PO of the same (top) ministry as target.
func (r *Registry) requireChiefFor(actor Actor, target MinistryID) error {
	if actor.Role != RolePO {
		return nil
	}
	p, ok := r.pos[actor.ID]
	if !ok || p.Retired || p.Role != POChief || p.Ministry != actor.Ministry {
		return forbidden(RuleRegistryChiefOfMinistry, "PO %s is not an active chief PO of %s", actor.ID, actor.Ministry)
	}
	if r.TopMinistry(actor.Ministry) != r.TopMinistry(target) {
		return forbidden(RuleRegistryChiefOfMinistry, "chief PO of %s may not act for %s", actor.Ministry, target)
	}
	return nil
}

func validYear(cmd string, y int) error {
	if y < 2000 || y > 2200 {
		return violated(cmd+".year_invalid", "year %d out of range", y)
	}
	return nil
}

// RegisterMinistry decides RegisterMinistry.
func (r *Registry) RegisterMinistry(cmd RegisterMinistry, actor Actor, at time.Time) ([]Event, error) {
	if err := r.begin(cmd, actor, at); err != nil {
		return nil, err
	}
	if err := validID(CmdRegisterMinistry, "ministry", string(cmd.MinistryID)); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Name) == "" {
		return nil, violated("registry.register_ministry.name_required", "ministry %s has no name", cmd.MinistryID)
	}
	if _, dup := r.ministries[cmd.MinistryID]; dup {
		return nil, conflict("registry.register_ministry.exists", "ministry %s is already registered", cmd.MinistryID)
	}
	if cmd.Parent != "" {
		if _, ok := r.ministries[cmd.Parent]; !ok {
			return nil, notFound("registry.register_ministry.parent_not_found", "parent ministry %s is not registered", cmd.Parent)
		}
	}
	return []Event{MinistryRegistered{MinistryID: cmd.MinistryID, Name: cmd.Name, Parent: cmd.Parent, Occurred: occurred(at)}}, nil
}

// RegisterPO decides RegisterPO: one active registration per person, one
// active chief PO per ministry.
func (r *Registry) RegisterPO(cmd RegisterPO, actor Actor, at time.Time) ([]Event, error) {
	if err := r.begin(cmd, actor, at); err != nil {
		return nil, err
	}
	if err := validID(CmdRegisterPO, "PO", cmd.POID); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Name) == "" {
		return nil, violated("registry.register_po.name_required", "PO %s has no name", cmd.POID)
	}
	if !cmd.Role.valid() {
		return nil, violated("registry.register_po.role_invalid", "PO role %q is neither chief nor unit", cmd.Role)
	}
	if err := validYear(CmdRegisterPO, cmd.Year); err != nil {
		return nil, err
	}
	if _, ok := r.ministries[cmd.Ministry]; !ok {
		return nil, notFound("registry.register_po.ministry_not_found", "ministry %s is not registered", cmd.Ministry)
	}
	if err := r.requireChiefFor(actor, cmd.Ministry); err != nil {
		return nil, err
	}
	if p, ok := r.pos[cmd.POID]; ok && !p.Retired {
		return nil, conflict("registry.register_po.already_registered", "PO %s is registered with %s; renew or retire instead", cmd.POID, p.Ministry)
	}
	if cmd.Role == POChief {
		if other, ok := r.activeChief(r.TopMinistry(cmd.Ministry), cmd.POID); ok {
			return nil, conflict("registry.po.one_chief_per_ministry", "%s already has chief PO %s", r.TopMinistry(cmd.Ministry), other)
		}
	}
	return []Event{PORegistered{POID: cmd.POID, Name: cmd.Name, Ministry: cmd.Ministry, Role: cmd.Role, Year: cmd.Year, Occurred: occurred(at)}}, nil
}

func (r *Registry) activePO(cmd string, id string) (*POInfo, error) {
	p, ok := r.pos[id]
	if !ok {
		return nil, notFound(cmd+".po_not_found", "PO %s is not registered", id)
	}
	if p.Retired {
		return nil, conflict(cmd+".retired", "PO %s is retired", id)
	}
	return p, nil
}

// RenewPO decides RenewPO.
func (r *Registry) RenewPO(cmd RenewPO, actor Actor, at time.Time) ([]Event, error) {
	if err := r.begin(cmd, actor, at); err != nil {
		return nil, err
	}
	if err := validYear(CmdRenewPO, cmd.Year); err != nil {
		return nil, err
	}
	p, err := r.activePO(CmdRenewPO, cmd.POID)
	if err != nil {
		return nil, err
	}
	if err := r.requireChiefFor(actor, p.Ministry); err != nil {
		return nil, err
	}
	if slices.Contains(p.Years, cmd.Year) {
		return nil, conflict("registry.renew_po.already_registered_for_year", "PO %s is already registered for %d", cmd.POID, cmd.Year)
	}
	return []Event{PORenewed{POID: p.ID, Ministry: p.Ministry, Year: cmd.Year, Occurred: occurred(at)}}, nil
}

// RetirePO decides RetirePO.
func (r *Registry) RetirePO(cmd RetirePO, actor Actor, at time.Time) ([]Event, error) {
	if err := r.begin(cmd, actor, at); err != nil {
		return nil, err
	}
	p, err := r.activePO(CmdRetirePO, cmd.POID)
	if err != nil {
		return nil, err
	}
	if err := r.requireChiefFor(actor, p.Ministry); err != nil {
		return nil, err
	}
	return []Event{PORetired{POID: p.ID, Ministry: p.Ministry, Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

// ChangePORole decides ChangePORole.
func (r *Registry) ChangePORole(cmd ChangePORole, actor Actor, at time.Time) ([]Event, error) {
	if err := r.begin(cmd, actor, at); err != nil {
		return nil, err
	}
	if !cmd.Role.valid() {
		return nil, violated("registry.change_po_role.role_invalid", "PO role %q is neither chief nor unit", cmd.Role)
	}
	if strings.TrimSpace(cmd.Reason) == "" {
		return nil, violated("registry.change_po_role.reason_required", "a role change needs a reason")
	}
	p, err := r.activePO(CmdChangePORole, cmd.POID)
	if err != nil {
		return nil, err
	}
	if p.Role == cmd.Role {
		return nil, conflict("registry.change_po_role.unchanged", "PO %s is already %s", cmd.POID, cmd.Role)
	}
	if cmd.Role == POChief {
		if other, ok := r.activeChief(r.TopMinistry(p.Ministry), p.ID); ok {
			return nil, conflict("registry.po.one_chief_per_ministry", "%s already has chief PO %s", r.TopMinistry(p.Ministry), other)
		}
	}
	return []Event{PORoleChanged{POID: p.ID, Ministry: p.Ministry, From: p.Role, To: cmd.Role, Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

// Decide dispatches any registry command to its decision.
func (r *Registry) Decide(cmd Command, actor Actor, at time.Time) ([]Event, error) {
	switch c := cmd.(type) {
	case RegisterMinistry:
		return r.RegisterMinistry(c, actor, at)
	case RegisterPO:
		return r.RegisterPO(c, actor, at)
	case RenewPO:
		return r.RenewPO(c, actor, at)
	case RetirePO:
		return r.RetirePO(c, actor, at)
	case ChangePORole:
		return r.ChangePORole(c, actor, at)
	}
	return nil, violated("registry.unknown_command", "%T is not a registry command", cmd)
}

// yearOf returns the Asia/Taipei year of t.
func yearOf(t time.Time) int { return calendar.DateOf(t).Year() }

// CheckPO checks a PO actor against the registry as it stands: a PO acts
// only while registered, for the ministry or agency they are registered
// with, not retired, and registered for the year (Taipei) of at. Actors of
// other roles pass. The refusal is a *RuleError of kind ErrForbidden with
// RulePOUnregistered, RulePORetired, RulePOOtherMinistry or
// RulePONotRegisteredForYear. The command side checks every PO's command
// with it, so a PO's authority comes from the registry, never from the
// credential they present.
func (r *Registry) CheckPO(actor Actor, at time.Time) error {
	if actor.Role != RolePO {
		return nil
	}
	p, ok := r.pos[actor.ID]
	switch {
	case !ok:
		return forbidden(RulePOUnregistered, "%s is not a PO of the PO registry", actor.ID)
	case p.Retired:
		return forbidden(RulePORetired, "PO %s is retired", actor.ID)
	case p.Ministry != actor.Ministry:
		return forbidden(RulePOOtherMinistry, "PO %s is registered with %s, not %s", actor.ID, p.Ministry, actor.Ministry)
	case !slices.Contains(p.Years, yearOf(at)):
		return forbidden(RulePONotRegisteredForYear, "PO %s is not registered for %d", actor.ID, yearOf(at))
	}
	return nil
}

// RegistrationEnd returns when the registration of PO id in force at at
// ends: the end (24:00, Taipei) of the last year of the unbroken run of
// registered years that holds at's year. False if the PO is not registered
// for at's year or is retired.
func (r *Registry) RegistrationEnd(id string, at time.Time) (time.Time, bool) {
	p, ok := r.pos[id]
	y := yearOf(at)
	if !ok || p.Retired || !slices.Contains(p.Years, y) {
		return time.Time{}, false
	}
	for slices.Contains(p.Years, y+1) {
		y++
	}
	return calendar.NewDate(y+1, time.January, 1).Start(), true
}

package readmodels

import (
	"context"
	"slices"
	"strings"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// DirectoryName is the name of the Directory projection.
const DirectoryName = "directory"

// Collections of the Directory projection.
const (
	collMinistries = "ministries" // <ministry id> → MinistryEntry
	collPOs        = "pos"        // <po id> → POEntry
)

// Directory is the read model of the PO registry as the public sees it:
// every registered ministry and agency with its name and parent, and every
// Participation Officer's public fields (name, ministry, role, the years
// registered, retired or not). It is what turns a ministry code into the
// name the pages show, and a name typed into a filter back into codes.
//
// Apply is O(1) per event: a registry event reads and writes one small
// document.
type Directory struct{}

// Name implements projections.Projection.
func (Directory) Name() string { return DirectoryName }

// Version implements projections.Projection.
func (Directory) Version() int { return 1 }

// Apply implements projections.Projection.
func (Directory) Apply(ctx context.Context, tx projections.Tx, ev eventstore.Event) error {
	return directoryTable.apply(ctx, tx, ev)
}

// Preload implements projections.Preloader: the PO's document.
func (Directory) Preload(ev eventstore.Event) []projections.DocRef {
	if !directoryTable.handles(ev.Type) {
		return nil
	}
	if id := idField(ev.Data, "poId"); id != "" {
		return []projections.DocRef{{Collection: collPOs, Key: id}}
	}
	return nil
}

// MinistryEntry is a registered ministry or agency.
type MinistryEntry struct {
	MinistryID string `json:"ministryId"`
	// Name is the name the registry recorded (in Chinese).
	Name string `json:"name"`
	// Parent is the ministry an agency belongs to; empty for a ministry.
	Parent     string `json:"parent,omitempty"`
	Registered Stamp  `json:"registered"`
}

// POEntry is a Participation Officer's public record in the registry.
type POEntry struct {
	POID     string        `json:"poId"`
	Name     string        `json:"name"`
	Ministry string        `json:"ministry"`
	Role     domain.PORole `json:"role"`
	// Years are the years registered for, ascending.
	Years   []int `json:"years"`
	Retired bool  `json:"retired,omitempty"`
	// Registered is the first registration; LastChange the latest event.
	Registered Stamp `json:"registered"`
	LastChange Stamp `json:"lastChange"`
}

var directoryTable = func() *table {
	t := newTable(DirectoryName)
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MinistryRegistered) error {
		return tx.Put(ctx, collMinistries, string(e.MinistryID), MinistryEntry{MinistryID: string(e.MinistryID), Name: e.Name, Parent: string(e.Parent), Registered: stampOf(ev)})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.PORegistered) error {
		return updatePO(ctx, tx, ev, e.POID, func(p *POEntry) {
			p.Name, p.Ministry, p.Role = e.Name, string(e.Ministry), e.Role
			p.Registered = stampOf(ev)
			addYear(p, e.Year)
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.PORenewed) error {
		return updatePO(ctx, tx, ev, e.POID, func(p *POEntry) { addYear(p, e.Year) })
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.PORetired) error {
		return updatePO(ctx, tx, ev, e.POID, func(p *POEntry) { p.Retired = true })
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.PORoleChanged) error {
		return updatePO(ctx, tx, ev, e.POID, func(p *POEntry) { p.Role = e.To })
	})
	for _, ty := range domain.EventTypes() {
		if !t.handles(ty) {
			t.ignore("not the PO registry", ty)
		}
	}
	return t
}()

func updatePO(ctx context.Context, tx projections.Tx, ev eventstore.Event, id string, fn func(p *POEntry)) error {
	return projections.Update(ctx, tx, collPOs, id, func(p *POEntry) error {
		if p.POID == "" {
			p.POID = id
		}
		fn(p)
		p.LastChange = stampOf(ev)
		return nil
	})
}

func addYear(p *POEntry, y int) {
	if i, found := slices.BinarySearch(p.Years, y); !found {
		p.Years = slices.Insert(p.Years, i, y)
	}
}

// Ministries returns every registered ministry and agency, by ID.
func Ministries(ctx context.Context, r projections.Reader) ([]MinistryEntry, error) {
	var out []MinistryEntry
	err := projections.ScanAll(ctx, r, collMinistries, "", func(_ string, m MinistryEntry) error {
		out = append(out, m)
		return nil
	})
	return out, wrap(err, "ministries")
}

// POs returns the registry's POs (of one ministry, or all for ""), by
// ministry and then by name.
func POs(ctx context.Context, r projections.Reader, ministry string) ([]POEntry, error) {
	var out []POEntry
	err := projections.ScanAll(ctx, r, collPOs, "", func(_ string, p POEntry) error {
		if ministry == "" || p.Ministry == ministry {
			out = append(out, p)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b POEntry) int {
		if c := strings.Compare(a.Ministry, b.Ministry); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, wrap(err, "pos")
}

package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/sealed"
)

// Erasable is the secrets store an erasure deletes from: a
// sealed.Secrets (the store beside a sealed log; see eventstore/sealed).
type Erasable interface {
	// Get returns the secrets still kept for the given events.
	Get(ctx context.Context, events ...uuid.UUID) (map[uuid.UUID][]sealed.Secret, error)
	// Erase deletes an event's secrets at the given paths (every path if
	// none is given) and returns the paths it deleted; deleting what is
	// gone already deletes nothing.
	Erase(ctx context.Context, event uuid.UUID, paths ...string) ([]string, error)
	// FindPerson returns, by event, the paths of every secret whose value
	// is value (canonical JSON), deleting nothing.
	FindPerson(ctx context.Context, value []byte) (map[uuid.UUID][]string, error)
}

// RuleEraseNotSealed refuses an erasure on a ledger without a secrets
// store: its events hold their values in the log, which cannot forget.
const RuleEraseNotSealed = "ledger.erase.not_sealed"

// execErase records first, then deletes: it finds what the secrets store
// keeps of the target (deleting nothing), records DataErased listing each
// event with its stream and paths, and only then deletes exactly what the
// event lists. A crash after the record leaves values the record says are
// erased: FinishErasures, run at start-up, deletes them (deleting is
// idempotent). So an acknowledged erasure is always carried out, and a
// value is never deleted without its erasure on the record
// (docs/decisions/0037-erasure-in-place.md).
func (l *Ledger) execErase(ctx context.Context, _ string, c call) (Result, error) {
	cmd := c.cmd.(domain.Erase)
	if err := domain.CheckEraseTarget(cmd); err != nil {
		return Result{}, err
	}
	if l.cfg.Erasable == nil {
		return Result{}, domain.NewRuleError(domain.ErrRuleViolated, RuleEraseNotSealed,
			"this ledger keeps no sealed values (serve --secrets): there is nothing erasable",
			"這個帳本沒有保存密封值（serve --secrets）：沒有可以刪除的資料")
	}
	found, err := l.findErasable(ctx, cmd)
	if err != nil {
		return Result{}, err
	}
	res, err := l.erasures.Handle(ctx, request(c, domain.ErasuresStream(), domain.NewErasures,
		func(e *domain.Erasures, at time.Time) ([]domain.Event, error) {
			return e.Decide(c.cmd, c.actor, at, found)
		}))
	if err != nil {
		return res, err
	}
	for _, ev := range res.Events {
		if err := l.carryOut(ctx, ev); err != nil {
			return res, err
		}
	}
	return res, nil
}

// findErasable returns what the secrets store keeps of the erasure's
// target, each event with its stream where the store can look it up.
func (l *Ledger) findErasable(ctx context.Context, cmd domain.Erase) ([]domain.ErasedField, error) {
	byEvent := map[uuid.UUID][]string{}
	if cmd.EventID != "" {
		id := uuid.MustParse(cmd.EventID) // CheckEraseTarget parsed it
		kept, err := l.cfg.Erasable.Get(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("erase event %s: %w", id, err)
		}
		for _, s := range kept[id] {
			byEvent[id] = append(byEvent[id], s.Path)
		}
	} else {
		value, err := json.Marshal(cmd.Person)
		if err != nil {
			return nil, fmt.Errorf("erase person: %w", err)
		}
		if byEvent, err = l.cfg.Erasable.FindPerson(ctx, value); err != nil {
			return nil, fmt.Errorf("erase person: %w", err)
		}
	}
	// The sealed form (a sealed.Log's inner store) holds the commitments.
	store := l.store
	if s, ok := store.(interface{ Inner() eventstore.Store }); ok {
		store = s.Inner()
	}
	finder, _ := store.(eventstore.Finder)
	out := make([]domain.ErasedField, 0, len(byEvent))
	for id, paths := range byEvent {
		f := domain.ErasedField{EventID: id.String(), Paths: slices.Clone(paths)}
		if finder != nil {
			ev, ok, err := finder.FindEvent(ctx, id)
			switch {
			case errors.Is(err, errors.ErrUnsupported):
			case err != nil:
				return nil, fmt.Errorf("erase: find event %s: %w", id, err)
			case ok:
				f.Stream = ev.Stream
				if f.Commitments, err = commitmentsAt(ev, f.Paths); err != nil {
					return nil, fmt.Errorf("erase: event %s: %w", id, err)
				}
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// commitmentsAt returns the commitment of each path of a stored (sealed)
// event, in the order of paths; nil if one is not committed (the store
// is not sealed).
func commitmentsAt(ev eventstore.Event, paths []string) ([]string, error) {
	cs, err := sealed.Commitments(ev.Data)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(paths))
	for i, p := range paths {
		c, ok := cs[p]
		if p == sealed.ActorPath {
			c, ok = ev.Metadata.ActorID, sealed.IsErased(ev.Metadata.ActorID)
		}
		if !ok {
			return nil, nil
		}
		out[i] = c
	}
	return out, nil
}

// carryOut deletes the values and salts an erasure event lists.
func (l *Ledger) carryOut(ctx context.Context, ev eventstore.Event) error {
	if ev.Type != (domain.DataErased{}).EventType() {
		return nil
	}
	var d domain.DataErased
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return fmt.Errorf("erasure %s: %w", ev.ID, err)
	}
	for _, f := range d.Erased {
		id, err := uuid.Parse(f.EventID)
		if err != nil {
			return fmt.Errorf("erasure %s: event %q: %w", ev.ID, f.EventID, err)
		}
		if len(f.Paths) == 0 {
			continue // never "every path": only what was recorded
		}
		if _, err := l.cfg.Erasable.Erase(ctx, id, f.Paths...); err != nil {
			return fmt.Errorf("erasure %s: erase event %s: %w", ev.ID, id, err)
		}
	}
	return nil
}

// FinishErasures carries out every recorded erasure again, deleting what
// a crash between recording an erasure and deleting its values left
// behind; it returns how many erasures it read. Deleting is idempotent,
// so it is safe to run at every start (serve does) and costs one read of
// the erasures stream. A ledger without a secrets store has nothing to
// finish.
func (l *Ledger) FinishErasures(ctx context.Context) (int, error) {
	if l.cfg.Erasable == nil {
		return 0, nil
	}
	n := 0
	for from := uint64(1); ; {
		evs, err := l.store.ReadStream(ctx, domain.ErasuresStream(), from, 256)
		if err != nil {
			return n, fmt.Errorf("finish erasures: %w", err)
		}
		for _, ev := range evs {
			if err := l.carryOut(ctx, ev); err != nil {
				return n, fmt.Errorf("finish erasures: %w", err)
			}
			n++
		}
		if len(evs) < 256 {
			return n, nil
		}
		from = evs[len(evs)-1].Version + 1
	}
}

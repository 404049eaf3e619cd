package app

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
)

// Erasable is the secrets store an erasure deletes from: a
// sealed.Secrets (the store beside a sealed log; see eventstore/sealed).
type Erasable interface {
	// Erase deletes an event's secrets (every path if none is given) and
	// returns the paths it deleted.
	Erase(ctx context.Context, event uuid.UUID, paths ...string) ([]string, error)
	// ErasePerson deletes every secret whose value is value (canonical
	// JSON) and returns the paths it deleted, by event.
	ErasePerson(ctx context.Context, value []byte) (map[uuid.UUID][]string, error)
}

// RuleEraseNotSealed refuses an erasure on a ledger without a secrets
// store: its events hold their values in the log, which cannot forget.
const RuleEraseNotSealed = "ledger.erase.not_sealed"

// execErase erases first, then records: the deletion is idempotent (a
// retry deletes what is left, or nothing), and the DataErased event is
// appended only after the secrets store acknowledged the deletion, so an
// acknowledged erasure event always corresponds to an actual deletion.
// A crash between the two leaves a deletion without its record; an
// erasure by event ID repeated then is refused as not found, and the
// operator records it again by the same command once told (see
// docs/decisions/0025-salted-commitments.md, addendum).
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
	erased := map[string][]string{}
	if cmd.EventID != "" {
		id := uuid.MustParse(cmd.EventID) // CheckEraseTarget parsed it
		paths, err := l.cfg.Erasable.Erase(ctx, id)
		if err != nil {
			return Result{}, fmt.Errorf("erase event %s: %w", id, err)
		}
		erased[id.String()] = paths
	} else {
		value, err := json.Marshal(cmd.Person)
		if err != nil {
			return Result{}, fmt.Errorf("erase person: %w", err)
		}
		byEvent, err := l.cfg.Erasable.ErasePerson(ctx, value)
		if err != nil {
			return Result{}, fmt.Errorf("erase person: %w", err)
		}
		for id, paths := range byEvent {
			erased[id.String()] = paths
		}
	}
	return l.erasures.Handle(ctx, request(c, domain.ErasuresStream(), domain.NewErasures,
		func(e *domain.Erasures, at time.Time) ([]domain.Event, error) {
			return e.Decide(c.cmd, c.actor, at, erased)
		}))
}

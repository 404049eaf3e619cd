package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore/sealed"
)

// lcSealedEvent is an event whose sealed signer the lifecycle's secrets
// store keeps, for ledger.erase to delete.
var lcSealedEvent = uuid.MustParse("0190c1c2-0000-7000-8000-0000000000e1")

// lcSecrets is a secrets store that keeps one secret of lcSealedEvent.
func lcSecrets(t testing.TB) app.Erasable {
	t.Helper()
	m := sealed.NewMemory()
	if err := m.Put(context.Background(), map[uuid.UUID][]sealed.Secret{
		lcSealedEvent: {{Path: "signer", Salt: make([]byte, sealed.SaltSize), Value: []byte(`"signer-lc"`)}},
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

// erasureSteps: an erasure needs a reason and a legal basis, and staff;
// it erases what is kept and records the events and paths; a second
// erasure of the same finds nothing and records nothing.
func erasureSteps() []step {
	basis := "個人資料保護法第11條第3項"
	return []step{
		refused("2020-06-01 09:00", lcStaff, domain.Erase{Person: "signer-lc", LegalBasis: basis}, domain.ErrRuleViolated, domain.RuleEraseReasonRequired),
		refused("2020-06-01 09:00", lcCitizen(1), domain.Erase{Person: "signer-lc", Reason: "請求", LegalBasis: basis}, domain.ErrForbidden, domain.RuleRoleNotAllowed),
		ok("2020-06-01 09:00", lcStaff, domain.Erase{Person: "signer-lc", Reason: "當事人請求刪除", LegalBasis: basis}, "ledger.data_erased"),
		refused("2020-06-01 09:05", lcStaff, domain.Erase{EventID: lcSealedEvent.String(), Reason: "再次", LegalBasis: basis}, domain.ErrNotFound, domain.RuleEraseTargetNotFound),
	}
}

// TestEraseNotSealed: a ledger without a secrets store refuses, stores
// nothing.
func TestEraseNotSealed(t *testing.T) {
	store := backends["bbolt"]
	s, _ := store(t)
	l, err := app.NewLedger(s, app.LedgerConfig{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = l.Execute(context.Background(), lcStaff, domain.Erase{Person: "x", Reason: "r", LegalBasis: "b"})
	if domain.RuleOf(err) != app.RuleEraseNotSealed {
		t.Fatalf("erase on an unsealed ledger: %v", err)
	}
	if head, _ := s.Head(context.Background()); head != 0 {
		t.Errorf("head moved to %d", head)
	}
}

// failingErase is a secrets store that dies before deleting: the crash
// between recording an erasure and carrying it out.
type failingErase struct{ app.Erasable }

func (failingErase) Erase(context.Context, uuid.UUID, ...string) ([]string, error) {
	return nil, errors.New("crash before the deletion")
}

// TestErasureCrashIsFinishedAtStart: an erasure is recorded first, naming
// the event's stream; if the deletion then fails (a crash), the values are
// still kept, and FinishErasures at the next start deletes exactly what
// the record lists, once; running it again deletes nothing more.
func TestErasureCrashIsFinishedAtStart(t *testing.T) {
	ctx := context.Background()
	s, _ := backends["bbolt"](t)
	secrets := lcSecrets(t).(*sealed.Memory)
	other := uuid.MustParse("0190c1c2-0000-7000-8000-0000000000e2")
	if err := secrets.Put(ctx, map[uuid.UUID][]sealed.Secret{other: {{Path: "signer", Salt: make([]byte, sealed.SaltSize), Value: []byte(`"someone-else"`)}}}); err != nil {
		t.Fatal(err)
	}
	crashing, err := app.NewLedger(s, app.LedgerConfig{Secret: secret, Erasable: failingErase{secrets}})
	if err != nil {
		t.Fatal(err)
	}
	cmd := domain.Erase{Person: "signer-lc", Reason: "當事人請求刪除", LegalBasis: "個人資料保護法第11條第3項"}
	if _, err := crashing.Execute(ctx, lcStaff, cmd); err == nil {
		t.Fatal("the crashing deletion reported success")
	}
	crashing.Close()
	recorded, err := s.ReadStream(ctx, domain.ErasuresStream(), 1, 10)
	if err != nil || len(recorded) != 1 || recorded[0].Type != "ledger.data_erased" {
		t.Fatalf("the erasure was not recorded before the deletion: %d events, %v", len(recorded), err)
	}
	if kept, _ := secrets.Get(ctx, lcSealedEvent); len(kept[lcSealedEvent]) != 1 {
		t.Fatal("the crashed deletion deleted")
	}

	l, err := app.NewLedger(s, app.LedgerConfig{Secret: secret, Erasable: secrets})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for range 2 { // idempotent
		if n, err := l.FinishErasures(ctx); err != nil || n != 1 {
			t.Fatalf("finish erasures: %d, %v", n, err)
		}
	}
	if kept, _ := secrets.Get(ctx, lcSealedEvent, other); len(kept[lcSealedEvent]) != 0 || len(kept[other]) != 1 {
		t.Fatalf("after finishing: %v", kept)
	}
	if _, err := l.Execute(ctx, lcStaff, cmd); domain.RuleOf(err) != domain.RuleEraseTargetNotFound {
		t.Fatalf("erasing again: %v", err)
	}
}

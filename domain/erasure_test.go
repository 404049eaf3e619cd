package domain

import (
	"errors"
	"strings"
	"testing"
)

// TestEraseDecision: staff only, a reason and a legal basis, one target,
// and something actually erased; the event names events and paths only,
// never the person.
func TestEraseDecision(t *testing.T) {
	const ev = "0190c1c2-0000-7000-8000-000000000001"
	ok := Erase{Person: "signer-007", Reason: "當事人請求", LegalBasis: "個資法第11條"}
	erased := []ErasedField{{EventID: ev, Stream: "proposal-p1", Paths: []string{"signer", "$metadata.actorId"}}, {EventID: "0190c1c2-0000-7000-8000-000000000002"}}
	for _, tc := range []struct {
		name   string
		cmd    Erase
		actor  Actor
		erased []ErasedField
		kind   error
		rule   string
	}{
		{"a citizen", ok, actorFor(RoleCitizen), erased, ErrForbidden, RuleRoleNotAllowed},
		{"no reason", Erase{Person: "signer-007", Reason: " ", LegalBasis: "x"}, staff, erased, ErrRuleViolated, RuleEraseReasonRequired},
		{"no legal basis", Erase{Person: "signer-007", Reason: "x"}, staff, erased, ErrRuleViolated, RuleEraseLegalBasisRequired},
		{"no target", Erase{Reason: "x", LegalBasis: "y"}, staff, erased, ErrRuleViolated, RuleEraseOneTarget},
		{"two targets", Erase{Person: "p", EventID: ev, Reason: "x", LegalBasis: "y"}, staff, erased, ErrRuleViolated, RuleEraseOneTarget},
		{"an event ID that is no UUID", Erase{EventID: "e-1", Reason: "x", LegalBasis: "y"}, staff, erased, ErrRuleViolated, RuleEraseOneTarget},
		{"nothing erased", ok, staff, []ErasedField{{EventID: ev}}, ErrNotFound, RuleEraseTargetNotFound},
	} {
		evs, err := NewErasures().Decide(tc.cmd, tc.actor, t0, tc.erased)
		if !errors.Is(err, tc.kind) || RuleOf(err) != tc.rule || evs != nil {
			t.Errorf("%s: %v, %v; want %v %s", tc.name, evs, err, tc.kind, tc.rule)
		}
	}
	e := NewErasures()
	evs, err := DecideAndApply(e, func(e *Erasures) ([]Event, error) { return e.Decide(ok, staff, t0, erased) })
	if err != nil || len(evs) != 1 {
		t.Fatalf("erase: %v, %v", evs, err)
	}
	d := evs[0].(DataErased)
	if d.Target != "person" || len(d.Erased) != 1 || d.Erased[0].EventID != ev || d.Erased[0].Stream != "proposal-p1" || strings.Join(d.Erased[0].Paths, ",") != "$metadata.actorId,signer" {
		t.Errorf("event = %+v", d)
	}
	_, _, data, err := Encode(d)
	if err != nil || strings.Contains(string(data), "signer-007") {
		t.Errorf("the erasure event names the person: %s (%v)", data, err)
	}
	if got, ok := e.Of(ev); !ok || got.Reason != "當事人請求" || e.Version() != 1 {
		t.Errorf("Of(%s) = %+v, %v", ev, got, ok)
	}
	if k, id, err := ParseStream(ErasuresStream()); err != nil || k != StreamErasures || id != "" || StreamName(k, "") != ErasuresStream() {
		t.Errorf("ParseStream(%s) = %s %q %v", ErasuresStream(), k, id, err)
	}
}

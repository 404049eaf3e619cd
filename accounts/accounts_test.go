package accounts

import (
	"errors"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
)

// TestDecide: only staff keep the list; citizens are never listed; a key
// is a keyed hash; unlinking needs a listed key and a reason; listing the
// same again records nothing.
func TestDecide(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	staff := domain.Actor{ID: "pdis-1", Role: domain.RolePDIS}
	key := IdentityKey([]byte("secret"), "https://id.example", "sub-1")
	po := domain.Actor{ID: "po-1", Role: domain.RolePO, Ministry: "moi"}
	d := New()
	for _, c := range []struct {
		by   domain.Actor
		cmd  Command
		rule string
	}{
		{po, Link{Key: key, Actor: po}, RuleStaffOnly},
		{staff, Link{Key: "sub-1", Actor: po}, RuleKeyInvalid},
		{staff, Link{Key: key, Actor: domain.Actor{ID: "c", Role: domain.RoleCitizen}}, RuleCitizenRole},
		{staff, Link{Key: key, Actor: domain.Actor{ID: "po-1", Role: domain.RolePO}}, RuleActorInvalid},
		{staff, Unlink{Key: key, Reason: "x"}, RuleNotLinked},
	} {
		_, err := d.Decide(c.cmd, c.by, at)
		var re *domain.RuleError
		if !errors.As(err, &re) || re.Rule != c.rule {
			t.Errorf("%T by %s: %v, want %s", c.cmd, c.by, err, c.rule)
		}
	}
	evs, err := d.Decide(Link{Key: key, Actor: po}, staff, at)
	if err != nil || len(evs) != 1 {
		t.Fatalf("link: %v %v", evs, err)
	}
	d.Apply(evs[0])
	if e, ok := d.Lookup(key); !ok || e.Actor != po {
		t.Errorf("lookup: %v %v", e, ok)
	}
	if again, err := d.Decide(Link{Key: key, Actor: po}, staff, at); err != nil || len(again) != 0 {
		t.Errorf("the same link again: %v %v", again, err)
	}
	if _, err := d.Decide(Unlink{Key: key}, staff, at); domain.RuleOf(err) != RuleReasonMissing {
		t.Errorf("unlink without a reason: %v", err)
	}
	if IdentityKey([]byte("secret"), "https://id.example", "sub-1") == string(domain.Pseudonym([]byte("secret"), "https://id.example\x00sub-1")) {
		t.Errorf("the identity key is the citizen pseudonym")
	}
}

// Package accounts keeps the list that maps staff identities to ledger
// actors: which person, signed in through the identity provider, acts as
// which PO, PDIS staff member, stenographer, secretariat or ministry
// account. Citizens are not listed: a citizen's actor is their keyed
// pseudonym, computed at sign-in.
//
// The list is an event-sourced aggregate of its own stream ("accounts"):
// account.linked and account.unlinked events, decided by a pure Decide
// (no I/O) and appended with an exact expected version (Service). An
// identity is never stored in clear: the stream holds only its key,
// IdentityKey(secret, issuer, subject), an HMAC-SHA256 under the ledger's
// secret that is domain-separated from citizens' pseudonyms, so that the
// list cannot be joined with anyone's signatures.
package accounts

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/domain"
)

// Stream is the stream of the list.
const Stream = "accounts"

// Event types of the stream.
const (
	EventLinked   = "account.linked"
	EventUnlinked = "account.unlinked"
)

// Rule codes of the refusals.
const (
	RuleStaffOnly     = "accounts.staff_only"
	RuleKeyInvalid    = "accounts.key_invalid"
	RuleActorInvalid  = "accounts.actor_invalid"
	RuleCitizenRole   = "accounts.citizen_not_listed"
	RuleNotLinked     = "accounts.not_linked"
	RuleReasonMissing = "accounts.reason_missing"
	RuleAlreadyLinked = "accounts.already_linked"
)

// IdentityKey is the key an identity is listed under: HMAC-SHA256(secret,
// "collab-ledger account" NUL issuer NUL subject), hex. The prefix keeps it
// apart from a citizen's pseudonym of the same person.
func IdentityKey(secret []byte, issuer, subject string) string {
	if len(secret) == 0 {
		panic("accounts.IdentityKey: empty secret")
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("collab-ledger account\x00" + issuer + "\x00" + subject))
	return hex.EncodeToString(m.Sum(nil))
}

// ValidKey reports whether k has the shape of an IdentityKey.
func ValidKey(k string) bool {
	return len(k) == 64 && strings.Trim(k, "0123456789abcdef") == ""
}

// Linked records that the identity with key Key acts as the actor.
type Linked struct {
	Key      string            `json:"key"`
	ActorID  string            `json:"actorId"`
	Role     domain.Role       `json:"role"`
	Ministry domain.MinistryID `json:"ministry,omitempty"`
	// Label is a name staff recognise the account by ("交通部PO楊惠如").
	Label string    `json:"label,omitempty"`
	At    time.Time `json:"at"`
}

// Unlinked records that the identity no longer acts as anyone.
type Unlinked struct {
	Key    string    `json:"key"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Event is Linked or Unlinked.
type Event interface{ eventType() string }

func (Linked) eventType() string   { return EventLinked }
func (Unlinked) eventType() string { return EventUnlinked }

// Link is the command to list an identity as an actor (or change the
// actor it is listed as).
type Link struct {
	Key   string
	Actor domain.Actor
	Label string
}

// Unlink is the command to take an identity off the list.
type Unlink struct {
	Key    string
	Reason string
}

// Command is Link or Unlink.
type Command interface{ command() }

func (Link) command()   {}
func (Unlink) command() {}

// Entry is one listed identity.
type Entry struct {
	Key   string
	Actor domain.Actor
	Label string
	Since time.Time
}

// Directory is the list, folded from its stream.
type Directory struct {
	version uint64
	byKey   map[string]Entry
	order   []string
}

// New returns the empty list.
func New() *Directory { return &Directory{byKey: map[string]Entry{}} }

// Version is the number of events folded.
func (d *Directory) Version() uint64 { return d.version }

// Lookup returns the actor an identity key is listed as.
func (d *Directory) Lookup(key string) (Entry, bool) {
	e, ok := d.byKey[key]
	return e, ok
}

// Entries returns the listed identities, in the order first listed.
func (d *Directory) Entries() []Entry {
	out := make([]Entry, 0, len(d.byKey))
	for _, k := range d.order {
		if e, ok := d.byKey[k]; ok {
			out = append(out, e)
		}
	}
	return out
}

// Apply folds one event.
func (d *Directory) Apply(e Event) {
	d.version++
	switch x := e.(type) {
	case Linked:
		if _, ok := d.byKey[x.Key]; !ok {
			d.order = append(d.order, x.Key)
		}
		d.byKey[x.Key] = Entry{Key: x.Key, Actor: domain.Actor{ID: x.ActorID, Role: x.Role, Ministry: x.Ministry}, Label: x.Label, Since: x.At}
	case Unlinked:
		delete(d.byKey, x.Key)
	}
}

// refuse is a refusal worded in English (en) and Traditional Chinese (zh).
func refuse(rule string, kind error, en, zh string) error {
	return domain.NewRuleError(kind, rule, en, zh)
}

// Decide decides cmd as by at at: the events to record, or a refusal
// (*domain.RuleError). It changes nothing.
func (d *Directory) Decide(cmd Command, by domain.Actor, at time.Time) ([]Event, error) {
	if by.Role != domain.RolePDIS {
		return nil, refuse(RuleStaffOnly, domain.ErrForbidden, "only PDIS staff keep the list of accounts", "只有 PDIS 工作人員可以管理帳號清單")
	}
	switch c := cmd.(type) {
	case Link:
		if !ValidKey(c.Key) {
			return nil, refuse(RuleKeyInvalid, domain.ErrRuleViolated, "an identity key is 64 lower-case hex digits", "身分金鑰是 64 個小寫十六進位數字")
		}
		if err := c.Actor.Validate(); err != nil {
			return nil, refuse(RuleActorInvalid, domain.ErrRuleViolated, err.Error(), messageZH(err))
		}
		if c.Actor.Role == domain.RoleCitizen || c.Actor.Role == domain.RoleProposer {
			return nil, refuse(RuleCitizenRole, domain.ErrRuleViolated, "citizens sign in under their pseudonym and are not listed", "公民以假名登入，不列入帳號清單")
		}
		if len(c.Label) > 200 {
			return nil, refuse(RuleActorInvalid, domain.ErrRuleViolated, "a label is at most 200 bytes", "名稱最多 200 位元組")
		}
		if e, ok := d.byKey[c.Key]; ok && e.Actor == c.Actor && e.Label == c.Label {
			return nil, nil // listed as asked already
		}
		return []Event{Linked{Key: c.Key, ActorID: c.Actor.ID, Role: c.Actor.Role, Ministry: c.Actor.Ministry, Label: c.Label, At: at.UTC()}}, nil
	case Unlink:
		if _, ok := d.byKey[c.Key]; !ok {
			return nil, refuse(RuleNotLinked, domain.ErrNotFound, "no account is listed under that key", "沒有帳號列在這個金鑰下")
		}
		if strings.TrimSpace(c.Reason) == "" {
			return nil, refuse(RuleReasonMissing, domain.ErrRuleViolated, "say why the account is taken off the list", "請說明為何把帳號移出清單")
		}
		return []Event{Unlinked{Key: c.Key, Reason: c.Reason, At: at.UTC()}}, nil
	}
	return nil, refuse("policy.unknown_command", domain.ErrForbidden, fmt.Sprintf("unknown command %T", cmd), fmt.Sprintf("未知的指令 %T", cmd))
}

// decode turns a stored event into its struct.
func decode(typ string, data []byte) (Event, error) {
	switch typ {
	case EventLinked:
		var e Linked
		err := json.Unmarshal(data, &e)
		return e, err
	case EventUnlinked:
		var e Unlinked
		err := json.Unmarshal(data, &e)
		return e, err
	}
	return nil, fmt.Errorf("accounts: unknown event type %q", typ)
}

// messageZH is err's Chinese wording when it is a refusal of the domain.
func messageZH(err error) string {
	var re *domain.RuleError
	if errors.As(err, &re) {
		return re.Message(true)
	}
	return err.Error()
}

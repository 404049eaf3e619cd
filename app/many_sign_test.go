package app_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
)

// TestExecuteManySignaturesAsExecuteOneByOne gives ExecuteMany a long run of
// signatures on two proposals, which its handler decides in runs with
// (*domain.Proposal).SignMany, with refusals of every kind, invalidations
// and an expiry between them and more signatures than one batch holds, and
// executes the same items one by one with Execute on a second ledger: each
// item must be answered the same (the same refusal codes) and both stores
// must hold the same events in the same order.
func TestExecuteManySignaturesAsExecuteOneByOne(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(2, 45))
	base := tp("2019-01-02 09:00")
	at := func(min int) time.Time { return base.Add(time.Duration(min) * time.Minute) }
	var items []app.Item
	for _, id := range []domain.ProposalID{"pm-1", "pm-2"} {
		items = append(items,
			app.Item{Actor: lcProposer, Command: domain.SubmitProposal{ProposalID: id, Title: "批次"}, At: at(0)},
			app.Item{Actor: lcStaff, Command: domain.PublishProposal{ProposalID: id, CompetentMinistry: "moi"}, At: at(0)})
	}
	expired := false
	for i := range 2600 {
		id, c := domain.ProposalID("pm-1"), lcCitizen(1+rng.IntN(1800))
		if i%7 == 0 {
			id, c = "pm-2", lcCitizen(1) // stays below the threshold
		}
		cmd := domain.SignProposal{ProposalID: id, Signer: domain.SignerID(c.ID), County: "臺中市", District: "西屯區"}
		when := at(1 + i)
		switch rng.IntN(30) {
		case 0:
			cmd.County = "臺中\x07市"
		case 1:
			c = lcCitizen(90_000 + i) // signs as someone else
		case 2:
			when = at(-30) // before publication
		case 3:
			when = at(61 * 24 * 60) // after the window
		case 4:
			sid := domain.SignatureIDFor("pm-1", domain.SignerID(lcCitizen(1+rng.IntN(1800)).ID))
			items = append(items, app.Item{Actor: lcStaff, Command: domain.InvalidateSignature{ProposalID: "pm-1", SignatureID: sid, Reason: "重複"}, At: when})
		case 5:
			if !expired && i > 1300 {
				expired = true
				items = append(items, app.Item{Actor: lcStaff, Command: domain.ExpireProposal{ProposalID: "pm-2"}, At: at(61 * 24 * 60)})
			}
		}
		items = append(items, app.Item{Actor: c, Command: cmd, At: when})
	}

	now := &lcClock{now: tp("2019-06-01 12:00")}
	manyStore, _ := backends["bbolt"](t)
	oneStore, _ := backends["bbolt"](t)
	many, one := newLedger(t, manyStore, now), newLedger(t, oneStore, now)
	res, errs := many.ExecuteMany(ctx, items)
	accepted, refused := 0, 0
	for i, it := range items {
		want, werr := one.Execute(ctx, it.Actor, it.Command, app.WithOccurredAt(it.At))
		if rule(werr) != rule(errs[i]) || (werr == nil) != (errs[i] == nil) {
			t.Fatalf("item %d (%T): ExecuteMany answered %v, Execute %v", i, it.Command, errs[i], werr)
		}
		if len(res[i].Events) != len(want.Events) || res[i].Stream != want.Stream || res[i].Version != want.Version {
			t.Fatalf("item %d (%T): ExecuteMany stored %d events at version %d of %q, Execute %d at %d of %q",
				i, it.Command, len(res[i].Events), res[i].Version, res[i].Stream, len(want.Events), want.Version, want.Stream)
		}
		if _, ok := it.Command.(domain.SignProposal); ok {
			if werr == nil {
				accepted++
			} else {
				refused++
			}
		}
	}
	if accepted < 1000 || refused < 500 || !expired {
		t.Fatalf("%d signatures accepted, %d refused, expired %v: the items do not exercise the runs", accepted, refused, expired)
	}
	for _, id := range []domain.ProposalID{"pm-1", "pm-2"} {
		got, err := manyStore.ReadStream(ctx, domain.ProposalStream(id), 1, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		want, err := oneStore.ReadStream(ctx, domain.ProposalStream(id), 1, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d events through ExecuteMany, %d one by one", id, len(got), len(want))
		}
		for k := range got {
			g, w := got[k], want[k]
			if g.Type != w.Type || string(g.Data) != string(w.Data) || g.Version != w.Version ||
				g.Metadata.ActorID != w.Metadata.ActorID || g.Metadata.ActorRole != w.Metadata.ActorRole ||
				!g.Metadata.OccurredAt.Equal(w.Metadata.OccurredAt) {
				t.Fatalf("%s event %d: ExecuteMany stored %s %s %+v, one by one %s %s %+v", id, k, g.Type, g.Data, g.Metadata, w.Type, w.Data, w.Metadata)
			}
		}
	}
}

// rule is an error's domain rule code ("" for none or another error).
func rule(err error) string {
	var re *domain.RuleError
	if errors.As(err, &re) {
		return re.Rule
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

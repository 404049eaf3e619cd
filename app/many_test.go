package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
)

// TestExecuteMany: a proposal's commands given together are decided in
// order against one state and answered each in its place; a refused one
// (a duplicate signer, a citizen without a pseudonym) refuses only itself;
// a command of another aggregate goes through Execute; an occurred-at after
// now is refused as Execute refuses it, and a command with its own ID is
// answered once however often it comes.
func TestExecuteMany(t *testing.T) {
	store, _ := backends["bbolt"](t)
	clock := &lcClock{now: tp("2019-01-02 12:00")}
	l := newLedger(t, store, clock)
	ctx := context.Background()
	at := func(s string) []app.Option { return []app.Option{app.WithOccurredAt(tp(s))} }
	sign := func(n int, when string) app.Item {
		c := lcCitizen(n)
		it := app.Item{Actor: c, Command: domain.SignProposal{ProposalID: "pm-1", Signer: domain.SignerID(c.ID), County: "臺北市"}}
		if n == 2 {
			it.At = tp(when) // the same as WithOccurredAt, without an Option
		} else {
			it.Options = at(when)
		}
		return it
	}
	items := []app.Item{
		{Actor: lcProposer, Command: domain.SubmitProposal{ProposalID: "pm-1", Title: "批次"}, Options: at("2019-01-02 09:00")},
		{Actor: lcStaff, Command: &domain.PublishProposal{ProposalID: "pm-1", CompetentMinistry: "moi"}, Options: at("2019-01-02 09:00")},
		sign(1, "2019-01-02 10:00"),
		sign(1, "2019-01-02 10:01"), // the same signer again
		{Actor: domain.Actor{ID: "A123456789", Role: domain.RoleCitizen}, Command: domain.SignProposal{ProposalID: "pm-1", Signer: "A123456789"}, Options: at("2019-01-02 10:02")},
		sign(2, "2019-01-02 10:03"),
		sign(3, "2019-01-02 10:04"),
		{Actor: lcStaff, Command: domain.RegisterMinistry{MinistryID: "moi", Name: "內政部"}, At: tp("2019-01-02 08:00")},
		sign(4, "2019-01-02 13:00"), // an hour after now
		{Actor: lcCitizen(5), Command: domain.SignProposal{ProposalID: "pm-1", Signer: domain.SignerID(lcCitizen(5).ID)}, Options: append(at("2019-01-02 10:05"), app.WithCommandID("c5"))},
		{Actor: lcCitizen(5), Command: domain.SignProposal{ProposalID: "pm-1", Signer: domain.SignerID(lcCitizen(5).ID)}, Options: append(at("2019-01-02 10:05"), app.WithCommandID("c5"))}, // sent again
	}
	res, errs := l.ExecuteMany(ctx, items)
	want := []string{"", "", "", domain.ErrConflictingState.Error(), app.RuleCitizenPseudonym, "", "", "", app.RuleOccurredAtFuture, "", ""}
	for i, err := range errs {
		switch {
		case want[i] == "" && err != nil:
			t.Errorf("item %d refused: %v", i, err)
		case want[i] == app.RuleCitizenPseudonym || want[i] == app.RuleOccurredAtFuture:
			var re *domain.RuleError
			if !errors.As(err, &re) || re.Rule != want[i] {
				t.Errorf("item %d: %v, want %s", i, err, want[i])
			}
		case want[i] != "" && !errors.Is(err, domain.ErrConflictingState):
			t.Errorf("item %d: %v, want a conflict", i, err)
		}
	}
	if n := len(res[6].Events); n != 2 || res[6].Events[1].Type != "proposal.established" {
		t.Errorf("the third signer's events: %d, want signed and established", n)
	}
	if res[2].Events[0].Metadata.OccurredAt.IsZero() || res[2].Stream != domain.ProposalStream("pm-1") {
		t.Errorf("first signature: %+v", res[2])
	}
	if len(res[7].Events) == 0 || res[7].Stream != domain.RegistryStream() || !res[7].Events[0].Metadata.OccurredAt.Equal(tp("2019-01-02 08:00")) {
		t.Errorf("registry command: %+v", res[7])
	}
	if len(res[5].Events) == 0 || !res[5].Events[0].Metadata.OccurredAt.Equal(tp("2019-01-02 10:03")) {
		t.Errorf("second signer (Item.At): %+v", res[5])
	}
	if len(res[9].Events) != 1 || len(res[10].Events) != 1 || res[9].Events[0].ID != res[10].Events[0].ID {
		t.Errorf("a command sent twice with its ID: %+v, then %+v; want the same answer", res[9], res[10])
	}
	evs, err := store.ReadStream(ctx, domain.ProposalStream("pm-1"), 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2+4+2+1 {
		t.Errorf("%d events on the proposal, want 9 (submitted, published, 4 signed, 2 milestones, established)", len(evs))
	}
}

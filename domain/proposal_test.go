package domain

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pdis/collab-ledger/domain/calendar"
)

func sign(p *Proposal, n int, at time.Time) ([]Event, error) {
	a := citizenActor(n)
	return DecideAndApply(p, func(p *Proposal) ([]Event, error) {
		return p.Sign(SignProposal{ProposalID: p.ID(), Signer: SignerID(a.ID)}, a, at)
	})
}

func count[E Event](evs []Event) int {
	n := 0
	for _, e := range evs {
		if _, ok := e.(E); ok {
			n++
		}
	}
	return n
}

func TestThe5000thSignatureEstablishesTheProposalOnce(t *testing.T) {
	p := publishedProposal(t, DefaultProposalConfig())
	var all []Event
	for i := 1; i <= 5200; i++ {
		evs, err := sign(p, i, t0.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatalf("signature %d refused: %v", i, err)
		}
		all = append(all, evs...)
	}
	if n := count[ProposalEstablished](all); n != 1 {
		t.Fatalf("%d established events, want exactly 1", n)
	}
	var est ProposalEstablished
	var milestones []ProposalMilestoneReached
	for _, e := range all {
		switch e := e.(type) {
		case ProposalEstablished:
			est = e
		case ProposalMilestoneReached:
			milestones = append(milestones, e)
		}
	}
	if est.SignatureID != SignatureIDFor("p-1", signer(5000)) || est.Signer != signer(5000) || est.Count != 5000 {
		t.Errorf("established by %s (%s) at count %d, want the 5,000th signature", est.SignatureID, est.Signer, est.Count)
	}
	if want := t0.Add(5000 * time.Second).UTC(); !est.At.Equal(want) {
		t.Errorf("established at %s, want the 5,000th signature's time %s", est.At, want)
	}
	// Established 2019-01-07 ~11:23 Taipei: due by the end of 2019-03-07.
	if want := time.Date(2019, 3, 8, 0, 0, 0, 0, calendar.Taipei); !est.ResponseDueAt.Equal(want) {
		t.Errorf("response due %s, want %s", est.ResponseDueAt, want)
	}
	if len(milestones) != 2 || milestones[0].Milestone != 1000 || milestones[1].Milestone != 3000 ||
		milestones[0].SignatureID != SignatureIDFor("p-1", signer(1000)) || milestones[1].SignatureID != SignatureIDFor("p-1", signer(3000)) {
		t.Errorf("milestones = %+v, want 1,000 and 3,000 once each, by those signatures", milestones)
	}
	if p.ValidSignatures() != 5200 || p.Status() != ProposalStatusEstablished {
		t.Errorf("after 5,200 signatures: count %d, status %s", p.ValidSignatures(), p.Status())
	}
}

func TestSignatureRules(t *testing.T) {
	closes := t0.Add(60 * 24 * time.Hour)
	tests := []struct {
		name  string
		setup func(t *testing.T) *Proposal
		actor Actor
		cmd   SignProposal
		at    time.Time
		kind  error
		rule  string
	}{
		{"a signer signs a proposal only once", func(t *testing.T) *Proposal {
			p := publishedProposal(t, DefaultProposalConfig())
			sign(p, 1, t0.Add(time.Minute))
			return p
		}, citizenActor(1), SignProposal{ProposalID: "p-1", Signer: signer(1)}, t0.Add(time.Hour), ErrConflictingState, "proposal.sign.once_per_signer"},
		{"a signature as the window closes is refused", func(t *testing.T) *Proposal { return publishedProposal(t, DefaultProposalConfig()) },
			citizenActor(1), SignProposal{ProposalID: "p-1", Signer: signer(1)}, closes, ErrRuleViolated, "proposal.sign.window_closed"},
		{"a signature after the window closes is refused", func(t *testing.T) *Proposal { return publishedProposal(t, DefaultProposalConfig()) },
			citizenActor(1), SignProposal{ProposalID: "p-1", Signer: signer(1)}, closes.Add(time.Hour), ErrRuleViolated, "proposal.sign.window_closed"},
		{"an established proposal refuses signatures after its window", func(t *testing.T) *Proposal { return establishedProposal(t) },
			citizenActor(1), SignProposal{ProposalID: "p-1", Signer: signer(1)}, closes, ErrRuleViolated, "proposal.sign.window_closed"},
		{"a signature dated before publication is refused", func(t *testing.T) *Proposal { return publishedProposal(t, DefaultProposalConfig()) },
			citizenActor(1), SignProposal{ProposalID: "p-1", Signer: signer(1)}, t0.Add(-time.Hour), ErrRuleViolated, "proposal.sign.before_publication"},
		{"an unpublished proposal takes no signatures", func(t *testing.T) *Proposal { return submittedProposal(t) },
			citizenActor(1), SignProposal{ProposalID: "p-1", Signer: signer(1)}, t0, ErrConflictingState, "proposal.sign.not_published"},
		{"an unknown proposal is not found", func(t *testing.T) *Proposal { return NewProposal("p-1") },
			citizenActor(1), SignProposal{ProposalID: "p-1", Signer: signer(1)}, t0, ErrNotFound, "proposal.sign.not_found"},
		{"a raw identity is never accepted as a signer", func(t *testing.T) *Proposal { return publishedProposal(t, DefaultProposalConfig()) },
			Actor{ID: "A123456789", Role: RoleCitizen}, SignProposal{ProposalID: "p-1", Signer: "A123456789"}, t0, ErrRuleViolated, "proposal.sign.signer_not_pseudonym"},
		{"a citizen cannot sign in another's name", func(t *testing.T) *Proposal { return publishedProposal(t, DefaultProposalConfig()) },
			citizenActor(1), SignProposal{ProposalID: "p-1", Signer: signer(2)}, t0.Add(time.Hour), ErrForbidden, RuleSignSelfOnly},
		{"a command for another proposal is refused", func(t *testing.T) *Proposal { return publishedProposal(t, DefaultProposalConfig()) },
			citizenActor(1), SignProposal{ProposalID: "p-9", Signer: signer(1)}, t0.Add(time.Hour), ErrRuleViolated, "proposal.sign.wrong_aggregate"},
		{"a decision needs a time", func(t *testing.T) *Proposal { return publishedProposal(t, DefaultProposalConfig()) },
			citizenActor(1), SignProposal{ProposalID: "p-1", Signer: signer(1)}, time.Time{}, ErrRuleViolated, "proposal.sign.time_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.setup(t)
			before := p.Version()
			evs, err := p.Sign(tt.cmd, tt.actor, tt.at)
			wantRule(t, evs, err, tt.kind, tt.rule)
			if p.Version() != before {
				t.Errorf("a refused decision changed the state")
			}
		})
	}
}

func TestTheSameSignerSubmittingTwiceAtOnceSignsOnce(t *testing.T) {
	p := publishedProposal(t, smallConfig)
	// Two requests of the same signer land in one batch: decided in order
	// against one state, the second is refused.
	batch := []int{7, 7, 8, 7}
	accepted := 0
	for _, n := range batch {
		if _, err := sign(p, n, t0.Add(time.Minute)); err == nil {
			accepted++
		} else if RuleOf(err) != "proposal.sign.once_per_signer" {
			t.Fatalf("unexpected refusal %v", err)
		}
	}
	if accepted != 2 || p.ValidSignatures() != 2 {
		t.Errorf("accepted %d, tally %d; want 2 and 2", accepted, p.ValidSignatures())
	}
}

func TestInvalidationExcludesTheSignatureAndKeepsTheTrail(t *testing.T) {
	p := publishedProposal(t, smallConfig)
	sign(p, 1, t0.Add(time.Minute))
	sign(p, 2, t0.Add(2*time.Minute))
	sig2 := SignatureIDFor("p-1", signer(2))
	inv, err := DecideAndApply(p, func(p *Proposal) ([]Event, error) {
		return p.InvalidateSignature(InvalidateSignature{ProposalID: "p-1", SignatureID: sig2, Reason: "冒名附議"}, staff, t0.Add(3*time.Minute))
	})
	wantOK(t, inv, err)
	if e := inv[0].(ProposalSignatureInvalidated); e.Count != 1 || e.Signer != signer(2) || e.Reason != "冒名附議" {
		t.Errorf("invalidation event %+v", e)
	}
	if p.ValidSignatures() != 1 || !p.HasSigned(signer(2)) {
		t.Errorf("tally %d (want 1), signer 2 still on the trail: %v", p.ValidSignatures(), p.HasSigned(signer(2)))
	}
	// The invalidated signer cannot sign again.
	evs, err := sign(p, 2, t0.Add(4*time.Minute))
	wantRule(t, evs, err, ErrConflictingState, "proposal.sign.once_per_signer")
	// Twice is a conflict, an unknown signature not found, no reason a violation.
	evs, err = p.InvalidateSignature(InvalidateSignature{ProposalID: "p-1", SignatureID: sig2, Reason: "again"}, staff, t0.Add(5*time.Minute))
	wantRule(t, evs, err, ErrConflictingState, "proposal.invalidate_signature.already_invalid")
	evs, err = p.InvalidateSignature(InvalidateSignature{ProposalID: "p-1", SignatureID: uuid.New(), Reason: "x"}, staff, t0.Add(5*time.Minute))
	wantRule(t, evs, err, ErrNotFound, "proposal.invalidate_signature.not_found")
	evs, err = p.InvalidateSignature(InvalidateSignature{ProposalID: "p-1", SignatureID: SignatureIDFor("p-1", signer(1)), Reason: " "}, staff, t0.Add(5*time.Minute))
	wantRule(t, evs, err, ErrRuleViolated, "proposal.invalidate_signature.reason_required")
	// Milestone 2 was reached at signature 2 and is not reached again; the
	// threshold is crossed by signature 4 (count back to 3).
	sign(p, 3, t0.Add(6*time.Minute))
	evs, _ = sign(p, 3+1, t0.Add(7*time.Minute))
	if count[ProposalMilestoneReached](evs) != 0 || count[ProposalEstablished](evs) != 1 {
		t.Errorf("4th signer: %v, want established and no repeated milestone", types(evs))
	}
	if est := evs[len(evs)-1].(ProposalEstablished); est.Signer != signer(4) || est.Count != 3 {
		t.Errorf("established by %s at %d", est.Signer, est.Count)
	}
}

func TestInvalidationBelowTheThresholdDoesNotUnestablish(t *testing.T) {
	p := establishedProposal(t)
	evs, err := DecideAndApply(p, func(p *Proposal) ([]Event, error) {
		return p.InvalidateSignature(InvalidateSignature{ProposalID: "p-1", SignatureID: SignatureIDFor("p-1", signer(103)), Reason: "fraud"}, staff, t0.Add(10*time.Hour))
	})
	wantOK(t, evs, err)
	if !p.IsEstablished() || p.Status() != ProposalStatusEstablished || p.ValidSignatures() != 2 {
		t.Errorf("after invalidating the establishing signature: established %v, status %s, tally %d", p.IsEstablished(), p.Status(), p.ValidSignatures())
	}
	// Signatures keep counting and never re-establish.
	evs, _ = sign(p, 200, t0.Add(11*time.Hour))
	if count[ProposalEstablished](evs) != 0 {
		t.Errorf("a later signature re-established: %v", types(evs))
	}
}

func TestExpiry(t *testing.T) {
	closes := t0.Add(60 * 24 * time.Hour)
	p := publishedProposal(t, DefaultProposalConfig())
	evs, err := p.Expire(ExpireProposal{ProposalID: "p-1"}, staff, closes.Add(-time.Second))
	wantRule(t, evs, err, ErrRuleViolated, "proposal.expire.window_open")
	evs, err = DecideAndApply(p, func(p *Proposal) ([]Event, error) { return p.Expire(ExpireProposal{ProposalID: "p-1"}, staff, closes) })
	wantOK(t, evs, err)
	if p.Status() != ProposalStatusExpired {
		t.Errorf("status %s", p.Status())
	}
	evs, err = p.Expire(ExpireProposal{ProposalID: "p-1"}, staff, closes)
	wantRule(t, evs, err, ErrConflictingState, "proposal.expire.already_expired")
	evs, err = sign(p, 1, closes.Add(-time.Hour)) // even dated inside the window
	wantRule(t, evs, err, ErrRuleViolated, "proposal.sign.window_closed")

	e := establishedProposal(t)
	evs, err = e.Expire(ExpireProposal{ProposalID: "p-1"}, staff, closes)
	wantRule(t, evs, err, ErrConflictingState, "proposal.expire.established")
	evs, err = submittedProposal(t).Expire(ExpireProposal{ProposalID: "p-1"}, staff, closes)
	wantRule(t, evs, err, ErrConflictingState, "proposal.expire.not_published")
}

func TestSubmitAndPublishRules(t *testing.T) {
	proposer := actorFor(RoleProposer)
	evs, err := NewProposal("p-2").Submit(SubmitProposal{ProposalID: "p-2"}, proposer, t0)
	wantRule(t, evs, err, ErrRuleViolated, "proposal.submit.title_required")
	evs, err = NewProposal("提案").Submit(SubmitProposal{ProposalID: "提案", Title: "x"}, proposer, t0)
	wantRule(t, evs, err, ErrRuleViolated, "proposal.submit.id_invalid")
	evs, err = submittedProposal(t).Submit(SubmitProposal{ProposalID: "p-1", Title: "again"}, proposer, t0)
	wantRule(t, evs, err, ErrConflictingState, "proposal.submit.exists")
	evs, _ = NewProposal("p-2").Submit(SubmitProposal{ProposalID: "p-2", Title: "x"}, proposer, t0)
	if evs[0].(ProposalSubmitted).Proposer != proposer.ID {
		t.Errorf("the proposer is the submitting actor")
	}

	evs, err = NewProposal("p-1").Publish(PublishProposal{ProposalID: "p-1", CompetentMinistry: "moi"}, staff, t0, DefaultProposalConfig())
	wantRule(t, evs, err, ErrNotFound, "proposal.publish.not_found")
	evs, err = submittedProposal(t).Publish(PublishProposal{ProposalID: "p-1", CompetentMinistry: "moi"}, staff, t0, ProposalConfig{})
	wantRule(t, evs, err, ErrRuleViolated, "proposal.publish.config_invalid")
	evs, err = publishedProposal(t, DefaultProposalConfig()).Publish(PublishProposal{ProposalID: "p-1", CompetentMinistry: "moi"}, staff, t0, DefaultProposalConfig())
	wantRule(t, evs, err, ErrConflictingState, "proposal.publish.already_published")

	evs, _ = submittedProposal(t).Publish(PublishProposal{ProposalID: "p-1", CompetentMinistry: "moi"}, staff, t0, DefaultProposalConfig())
	pub := evs[0].(ProposalPublished)
	if pub.Threshold != 5000 || !pub.SigningClosesAt.Equal(t0.Add(60*24*time.Hour)) || pub.ResponseDeadline != (Period{Months: 2}) {
		t.Errorf("published snapshot %+v", pub)
	}
}

func TestMinistryResponseDeadline(t *testing.T) {
	// Established at 2019-01-07 13:00 Taipei: due by the end of 2019-03-07.
	due := time.Date(2019, 3, 8, 0, 0, 0, 0, calendar.Taipei)
	if got := establishedProposal(t).ResponseDueAt(); !got.Equal(due) {
		t.Fatalf("due %s, want %s", got, due)
	}
	tests := []struct {
		name   string
		actor  Actor
		at     time.Time
		onTime bool
		rule   string
		kind   error
	}{
		{"the competent ministry responds on the last day, on time", moiMinistry, due.Add(-time.Minute), true, "", nil},
		{"a response after the deadline is recorded as late", moiMinistry, due, false, "", nil},
		{"another ministry cannot respond", mohwMinistry, due.Add(-time.Hour), false, RuleResponseOwnMinistry, ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := establishedProposal(t)
			evs, err := p.Respond(RespondToProposal{ProposalID: "p-1", Summary: "回應"}, tt.actor, tt.at)
			if tt.rule != "" {
				wantRule(t, evs, err, tt.kind, tt.rule)
				return
			}
			wantOK(t, evs, err)
			if r := evs[0].(ProposalResponded); r.OnTime != tt.onTime || !r.DueAt.Equal(due) || r.Ministry != "moi" {
				t.Errorf("response %+v, want onTime %v", r, tt.onTime)
			}
		})
	}

	t.Run("an announced extension moves the deadline; the response is then on time", func(t *testing.T) {
		p := establishedProposal(t)
		evs, err := DecideAndApply(p, func(p *Proposal) ([]Event, error) {
			return p.ExtendResponseDeadline(ExtendResponseDeadline{ProposalID: "p-1", NewDueDate: calendar.MustParseDate("2019-05-07"), Reason: "公告延長"}, moiMinistry, due.Add(-48*time.Hour))
		})
		wantOK(t, evs, err)
		if e := evs[0].(ProposalResponseDeadlineExtended); !e.PreviousDueAt.Equal(due) || !e.DueAt.Equal(time.Date(2019, 5, 8, 0, 0, 0, 0, calendar.Taipei)) {
			t.Errorf("extension %+v", e)
		}
		evs, err = p.MarkResponseOverdue(MarkResponseOverdue{ProposalID: "p-1"}, staff, due.Add(time.Hour))
		wantRule(t, evs, err, ErrRuleViolated, "proposal.mark_response_overdue.not_due")
		evs, _ = p.Respond(RespondToProposal{ProposalID: "p-1", Summary: "回應"}, moiMinistry, due.Add(30*24*time.Hour))
		if !evs[0].(ProposalResponded).OnTime {
			t.Errorf("response within the extension is on time")
		}
		evs, err = p.ExtendResponseDeadline(ExtendResponseDeadline{ProposalID: "p-1", NewDueDate: calendar.MustParseDate("2019-04-01"), Reason: "x"}, moiMinistry, due)
		wantRule(t, evs, err, ErrRuleViolated, "proposal.extend_response_deadline.not_later")
		evs, err = p.ExtendResponseDeadline(ExtendResponseDeadline{ProposalID: "p-1", NewDueDate: calendar.MustParseDate("2019-06-01")}, moiMinistry, due)
		wantRule(t, evs, err, ErrRuleViolated, "proposal.extend_response_deadline.reason_required")
	})

	t.Run("a missed deadline is recorded once, and a late response still counts", func(t *testing.T) {
		p := establishedProposal(t)
		evs, err := DecideAndApply(p, func(p *Proposal) ([]Event, error) {
			return p.MarkResponseOverdue(MarkResponseOverdue{ProposalID: "p-1"}, staff, due)
		})
		wantOK(t, evs, err)
		evs, err = p.MarkResponseOverdue(MarkResponseOverdue{ProposalID: "p-1"}, staff, due.Add(time.Hour))
		wantRule(t, evs, err, ErrConflictingState, "proposal.mark_response_overdue.already_marked")
		evs, err = DecideAndApply(p, func(p *Proposal) ([]Event, error) {
			return p.Respond(RespondToProposal{ProposalID: "p-1", Summary: "遲來的回應"}, moiMinistry, due.Add(48*time.Hour))
		})
		wantOK(t, evs, err)
		evs, err = p.Respond(RespondToProposal{ProposalID: "p-1", Summary: "again"}, moiMinistry, due.Add(49*time.Hour))
		wantRule(t, evs, err, ErrConflictingState, "proposal.respond.already_responded")
		evs, err = p.MarkResponseOverdue(MarkResponseOverdue{ProposalID: "p-1"}, staff, due.Add(49*time.Hour))
		wantRule(t, evs, err, ErrConflictingState, "proposal.mark_response_overdue.responded")
	})

	t.Run("no response or extension before establishment", func(t *testing.T) {
		p := publishedProposal(t, smallConfig)
		evs, err := p.Respond(RespondToProposal{ProposalID: "p-1", Summary: "x"}, moiMinistry, t0.Add(time.Hour))
		wantRule(t, evs, err, ErrConflictingState, "proposal.respond.not_established")
		evs, err = p.MarkResponseOverdue(MarkResponseOverdue{ProposalID: "p-1"}, staff, t0.Add(time.Hour))
		wantRule(t, evs, err, ErrConflictingState, "proposal.mark_response_overdue.not_established")
		evs, err = p.Respond(RespondToProposal{ProposalID: "p-1"}, moiMinistry, t0.Add(time.Hour))
		wantRule(t, evs, err, ErrRuleViolated, "proposal.respond.summary_required")
	})
}

func TestPseudonymsHideTheIdentity(t *testing.T) {
	a, b := Pseudonym(testSecret, "A123456789"), Pseudonym(testSecret, "A123456789")
	if a != b || !a.Valid() {
		t.Errorf("pseudonym not deterministic or malformed: %s %s", a, b)
	}
	if Pseudonym([]byte("another secret"), "A123456789") == a || Pseudonym(testSecret, "B123456789") == a {
		t.Errorf("pseudonym does not depend on secret and identity")
	}
	if SignerID("A123456789").Valid() || SignerID(strings.ToUpper(string(a))).Valid() {
		t.Errorf("a raw identity or upper-case hex passes as a pseudonym")
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Pseudonym with an empty secret did not panic")
		}
	}()
	Pseudonym(nil, "A123456789")
}

// TestPseudonymsReuseTheKey: the reused HMAC of Pseudonyms gives what
// Pseudonym gives, identity after identity (a reset that left state behind
// would change the second one on).
func TestPseudonymsReuseTheKey(t *testing.T) {
	ps := NewPseudonyms(testSecret)
	for _, id := range []string{"A123456789", "join:abc#1", "", "join:abc#2", strings.Repeat("長", 100), "A123456789"} {
		if got, want := ps.Of(id), Pseudonym(testSecret, id); got != want {
			t.Errorf("Pseudonyms.Of(%q) = %s, want %s", id, got, want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Errorf("NewPseudonyms with an empty secret did not panic")
		}
	}()
	NewPseudonyms(nil)
}

// Property: for random interleavings of sign, duplicate-sign and invalidate
// commands from many signers against one state, there is exactly one
// established event once the tally reaches the threshold (none before),
// naming the signature whose acceptance brought the tally there; each
// milestone is recorded once; the tally equals the distinct valid signers;
// and replaying the decided events (through JSON) rebuilds the same tally.
func TestSignatureRaceProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(5000, 60))
	cfg := ProposalConfig{Threshold: 40, Window: Period{Days: 60}, Milestones: []int{10, 25}, ResponseDeadline: Period{Months: 2}}
	for round := 0; round < 150; round++ {
		p := publishedProposal(t, cfg)
		signers := 20 + rng.IntN(60)
		type op struct {
			signer     int
			invalidate bool
		}
		var ops []op
		for s := 1; s <= signers; s++ {
			for range 1 + rng.IntN(3) { // the same signer often submits twice at once
				ops = append(ops, op{signer: s})
			}
			if rng.IntN(6) == 0 {
				ops = append(ops, op{signer: s, invalidate: true})
			}
		}
		rng.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })

		var all []Event
		valid := map[SignerID]bool{}
		everSigned := map[SignerID]bool{}
		maxTally := 0
		at := t0
		for _, o := range ops {
			at = at.Add(time.Second)
			s := signer(o.signer)
			var evs []Event
			var err error
			if o.invalidate {
				evs, err = DecideAndApply(p, func(p *Proposal) ([]Event, error) {
					return p.InvalidateSignature(InvalidateSignature{ProposalID: "p-1", SignatureID: SignatureIDFor("p-1", s), Reason: "fraud"}, staff, at)
				})
				if err == nil {
					delete(valid, s)
				} else if !everSigned[s] && RuleOf(err) != "proposal.invalidate_signature.not_found" {
					t.Fatalf("round %d: invalidate unsigned: %v", round, err)
				}
			} else {
				evs, err = sign(p, o.signer, at)
				if everSigned[s] {
					if RuleOf(err) != "proposal.sign.once_per_signer" {
						t.Fatalf("round %d: second signature of %d: %v", round, o.signer, err)
					}
				} else if err != nil {
					t.Fatalf("round %d: first signature of %d refused: %v", round, o.signer, err)
				} else {
					everSigned[s], valid[s] = true, true
				}
			}
			all = append(all, evs...)
			if len(valid) > maxTally {
				maxTally = len(valid)
			}
			if p.ValidSignatures() != len(valid) {
				t.Fatalf("round %d: tally %d, distinct valid signers %d", round, p.ValidSignatures(), len(valid))
			}
		}
		wantEst := 0
		if maxTally >= cfg.Threshold {
			wantEst = 1
		}
		if n := count[ProposalEstablished](all); n != wantEst {
			t.Fatalf("round %d: %d established events, want %d (max tally %d)", round, n, wantEst, maxTally)
		}
		reached := map[int]int{}
		for i, e := range all {
			switch e := e.(type) {
			case ProposalMilestoneReached:
				reached[e.Milestone]++
			case ProposalEstablished:
				signed, ok := all[i-1].(ProposalSigned)
				if !ok || signed.SignatureID != e.SignatureID || signed.Count != cfg.Threshold || e.Count != cfg.Threshold {
					t.Fatalf("round %d: established %+v does not follow the signature reaching the threshold (%+v)", round, e, all[i-1])
				}
			}
		}
		for _, m := range cfg.Milestones {
			if want := map[bool]int{true: 1, false: 0}[maxTally >= m]; reached[m] != want {
				t.Fatalf("round %d: milestone %d recorded %d times, want %d", round, m, reached[m], want)
			}
		}
		// Replay through the registry's JSON encoding.
		replay := publishedProposal(t, cfg)
		for _, e := range all {
			typ, v, data, err := Encode(e)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Decode(typ, v, data)
			if err != nil {
				t.Fatal(err)
			}
			if err := replay.Apply(d); err != nil {
				t.Fatalf("round %d: replay: %v", round, err)
			}
		}
		if replay.ValidSignatures() != p.ValidSignatures() || replay.IsEstablished() != p.IsEstablished() || replay.Version() != p.Version() {
			t.Fatalf("round %d: replay differs", round)
		}
		// No raw identity anywhere in the events.
		raw, _ := json.Marshal(all)
		if strings.Contains(string(raw), "A12345") {
			t.Fatalf("round %d: a raw identity leaked into the events", round)
		}
	}
}

// BenchmarkSignHotProposal shows a decision plus apply is O(1) in the number
// of signatures already on the proposal.
func BenchmarkSignHotProposal(b *testing.B) {
	p := publishedProposal(b, DefaultProposalConfig())
	ids := make([]Actor, b.N)
	for i := range ids {
		ids[i] = citizenActor(i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := ids[i]
		if _, err := DecideAndApply(p, func(p *Proposal) ([]Event, error) {
			return p.Sign(SignProposal{ProposalID: "p-1", Signer: SignerID(a.ID)}, a, t0.Add(time.Second))
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestInvalidationCarriesTheCounty: the invalidation names the removed
// signature's county (and nothing finer), so the count by county can
// subtract it; a signature without a county gives none.
func TestInvalidationCarriesTheCounty(t *testing.T) {
	p := publishedProposal(t, smallConfig)
	for n, county := range map[int]string{1: "臺北市", 2: ""} {
		a := citizenActor(n)
		_, err := DecideAndApply(p, func(p *Proposal) ([]Event, error) {
			return p.Sign(SignProposal{ProposalID: p.ID(), Signer: SignerID(a.ID), County: county, District: "大安區"}, a, t0.Add(time.Duration(n)*time.Minute))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for n, want := range map[int]string{1: "臺北市", 2: ""} {
		evs, err := DecideAndApply(p, func(p *Proposal) ([]Event, error) {
			return p.InvalidateSignature(InvalidateSignature{ProposalID: "p-1", SignatureID: SignatureIDFor("p-1", signer(n)), Reason: "冒名附議"}, staff, t0.Add(time.Hour+time.Duration(n)*time.Minute))
		})
		wantOK(t, evs, err)
		if e := evs[0].(ProposalSignatureInvalidated); e.County != want {
			t.Errorf("signature %d: invalidation county %q, want %q", n, e.County, want)
		}
	}
}

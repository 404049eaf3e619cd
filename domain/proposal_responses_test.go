package domain

import (
	"testing"
	"time"
)

func TestFurtherResponses(t *testing.T) {
	due := establishedProposal(t).ResponseDueAt()
	at := due.Add(-10 * 24 * time.Hour)
	add := func(p *Proposal, a Actor, at time.Time, summary string) ([]Event, error) {
		return p.AddResponse(AddProposalResponse{ProposalID: "p-1", Summary: summary}, a, at)
	}

	t.Run("another ministry answers its part before the competent ministry; the deadline is still open", func(t *testing.T) {
		p := establishedProposal(t)
		evs, err := DecideAndApply(p, func(p *Proposal) ([]Event, error) { return add(p, mohwMinistry, at, "衛福部主政部分的回應") })
		wantOK(t, evs, err)
		if e := evs[0].(ProposalResponseAdded); e.Ministry != "mohw" || e.Summary != "衛福部主政部分的回應" || !e.At.Equal(at) {
			t.Errorf("added %+v", e)
		}
		if p.Responded() || !p.HasResponse("mohw", at) || p.Responses() != 1 {
			t.Errorf("responded %v, has %v, %d responses", p.Responded(), p.HasResponse("mohw", at), p.Responses())
		}
		evs, err = add(p, mohwMinistry, at, "衛福部主政部分的回應")
		wantRule(t, evs, err, ErrConflictingState, "proposal.add_response.duplicate")
	})

	t.Run("the competent ministry's first answer is a response, its later ones further responses", func(t *testing.T) {
		p := establishedProposal(t)
		evs, err := add(p, moiMinistry, at, "初步回應")
		wantRule(t, evs, err, ErrConflictingState, "proposal.add_response.respond_first")
		evs, err = DecideAndApply(p, func(p *Proposal) ([]Event, error) {
			return p.Respond(RespondToProposal{ProposalID: "p-1", Summary: "初步回應"}, moiMinistry, at)
		})
		wantOK(t, evs, err)
		evs, err = add(p, moiMinistry, at, "初步回應")
		wantRule(t, evs, err, ErrConflictingState, "proposal.add_response.duplicate")
		evs, err = DecideAndApply(p, func(p *Proposal) ([]Event, error) {
			return add(p, moiMinistry, due.Add(30*24*time.Hour), "後續辦理情形")
		})
		wantOK(t, evs, err)
		if p.Responses() != 2 {
			t.Errorf("%d responses, want 2", p.Responses())
		}
	})

	t.Run("refused: no summary, not established, not a ministry", func(t *testing.T) {
		evs, err := add(establishedProposal(t), mohwMinistry, at, " ")
		wantRule(t, evs, err, ErrRuleViolated, "proposal.add_response.summary_required")
		evs, err = add(publishedProposal(t, smallConfig), mohwMinistry, t0.Add(time.Hour), "x")
		wantRule(t, evs, err, ErrConflictingState, "proposal.add_response.not_established")
		evs, err = add(establishedProposal(t), staff, at, "x")
		wantRule(t, evs, err, ErrForbidden, "policy.role_not_allowed")
		evs, err = add(NewProposal("p-1"), mohwMinistry, at, "x")
		wantRule(t, evs, err, ErrNotFound, "proposal.add_response.not_found")
	})
}

package domain

import (
	"crypto/sha1"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Signing is one signature of a run decided by (*Proposal).SignMany: the
// command, who issues it and when.
type Signing struct {
	Cmd   SignProposal
	Actor Actor
	At    time.Time
}

// SignMany decides a run of signatures on p in the order given, each by the
// rules of Sign against the state the accepted ones before it left (their
// milestones, the establishment, the window, duplicates), and applies each
// accepted signature's events before deciding the next; a refused signature
// changes nothing. It is how a feed's signatures on one proposal are decided
// without a decision call per signature (decision 0045).
//
// The accepted events are appended to out, which is returned: signing i's
// events are out[ends[i-1]:ends[i]] (from len(out) at the call for i = 0)
// and errs[i] is its refusal, nil when it was accepted. ends and errs must
// be as long as run (SignMany panics otherwise: a programming error). An error returned by SignMany itself means an event
// could not be applied (a programming error): p is then in an undefined
// state and must be reloaded.
func (p *Proposal) SignMany(out []Event, run []Signing, ends []int, errs []error) ([]Event, error) {
	if len(ends) != len(run) || len(errs) != len(run) {
		panic(fmt.Sprintf("domain: SignMany of %d signings given %d ends and %d errors", len(run), len(ends), len(errs)))
	}
	for i := range run {
		s := &run[i]
		start := len(out)
		evs, err := p.appendSign(out, s.Cmd, s.Actor, s.At)
		if err != nil {
			ends[i], errs[i] = start, err
			continue
		}
		for _, e := range evs[start:] {
			if err := p.Apply(e); err != nil {
				return evs, fmt.Errorf("apply decided events: %w", err)
			}
		}
		out, ends[i], errs[i] = evs, len(evs), nil
	}
	return out, nil
}

// signatureID is SignatureIDFor's UUIDv5, computed as uuid.NewSHA1 does but
// in a buffer on the stack: it is decided for every signature of a feed
// (decision 0045). IDs too long for the buffer go the general way.
func signatureID(proposal ProposalID, signer SignerID) uuid.UUID {
	var buf [16 + 256]byte
	n := len(signatureNamespace) + len(proposal) + 1 + len(signer)
	if n > len(buf) {
		return uuid.NewSHA1(signatureNamespace, []byte(string(proposal)+"\x00"+string(signer)))
	}
	b := append(append(append(append(buf[:0], signatureNamespace[:]...), proposal...), 0), signer...)
	sum := sha1.Sum(b)
	var id uuid.UUID
	copy(id[:], sum[:])
	id[6] = (id[6] & 0x0f) | 0x50 // version 5
	id[8] = (id[8] & 0x3f) | 0x80 // RFC 4122 variant
	return id
}

// appendSign is Sign appending its events to out.
func (p *Proposal) appendSign(out []Event, cmd SignProposal, actor Actor, at time.Time) ([]Event, error) {
	if err := p.check(cmd, cmd.ProposalID, actor, at); err != nil {
		return nil, err
	}
	if !cmd.Signer.Valid() {
		return nil, violated("proposal.sign.signer_not_pseudonym", "signer must be a pseudonym (64 hex digits), never a raw identity")
	}
	if string(cmd.Signer) != actor.ID {
		return nil, forbidden(RuleSignSelfOnly, "actor %s may sign only as themself", actor.ID)
	}
	if err := validPlace(cmd.County); err != nil {
		return nil, violated("proposal.sign.county_invalid", "county: %v", err)
	}
	if err := validPlace(cmd.District); err != nil {
		return nil, violated("proposal.sign.district_invalid", "district: %v", err)
	}
	if err := p.requireExists(CmdSignProposal); err != nil {
		return nil, err
	}
	switch p.status {
	case ProposalStatusSubmitted:
		return nil, conflict("proposal.sign.not_published", "proposal %s is not published", p.id)
	case ProposalStatusExpired:
		return nil, violated("proposal.sign.window_closed", "proposal %s expired", p.id)
	}
	if !at.Before(p.signingClosesAt) {
		return nil, violated("proposal.sign.window_closed", "signing on proposal %s closed at %s", p.id, p.signingClosesAt.Format(time.RFC3339))
	}
	if at.Before(p.publishedAt) {
		return nil, violated("proposal.sign.before_publication", "proposal %s was published at %s", p.id, p.publishedAt.Format(time.RFC3339))
	}
	if _, dup := p.signers[cmd.Signer]; dup {
		return nil, conflict("proposal.sign.once_per_signer", "signer has already signed proposal %s", p.id)
	}
	id := SignatureIDFor(p.id, cmd.Signer)
	count := p.valid + 1
	events := append(out, ProposalSigned{ProposalID: p.id, SignatureID: id, Signer: cmd.Signer, Count: count, County: cmd.County, District: cmd.District, Occurred: occurred(at)})
	for i := p.milestonesDone; i < len(p.milestones) && count >= p.milestones[i]; i++ {
		events = append(events, ProposalMilestoneReached{ProposalID: p.id, Milestone: p.milestones[i], SignatureID: id, Occurred: occurred(at)})
	}
	if !p.IsEstablished() && count >= p.threshold {
		events = append(events, ProposalEstablished{
			ProposalID:        p.id,
			SignatureID:       id,
			Signer:            cmd.Signer,
			Count:             count,
			Threshold:         p.threshold,
			CompetentMinistry: p.competentMinistry,
			Leads:             p.establishedLeads(),
			ResponseDueAt:     dueAt(at, p.responseDeadline),
			Occurred:          occurred(at),
		})
	}
	return events, nil
}

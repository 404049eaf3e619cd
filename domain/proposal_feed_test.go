package domain

import (
	"testing"
	"time"
)

// TestPublishWithThePlatformsNumbers: a proposal fed from Join is published
// with the goal and close Join published, or with no ministry yet.
func TestPublishWithThePlatformsNumbers(t *testing.T) {
	staff := actorFor(RolePDIS)
	closes := time.Date(2019, 3, 4, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	tests := map[string]struct {
		cmd            PublishProposal
		rule           string
		threshold      int
		milestones     []int
		closes         time.Time
		wantMinistry   MinistryID
		wantRefusedErr error
	}{
		"explicit numbers": {cmd: PublishProposal{ProposalID: "p-1", CompetentMinistry: "315000000H", Threshold: 2000, SigningClosesAt: closes},
			threshold: 2000, milestones: []int{1000}, closes: closes.UTC(), wantMinistry: "315000000H"},
		"configured numbers": {cmd: PublishProposal{ProposalID: "p-1", CompetentMinistry: "moi"},
			threshold: 5000, milestones: []int{1000, 3000}, closes: t0.Add(60 * 24 * time.Hour).UTC(), wantMinistry: "moi"},
		"no ministry yet": {cmd: PublishProposal{ProposalID: "p-1", NotYetAssigned: true},
			threshold: 5000, milestones: []int{1000, 3000}, closes: t0.Add(60 * 24 * time.Hour).UTC()},
		"no ministry":               {cmd: PublishProposal{ProposalID: "p-1"}, rule: "proposal.publish.id_invalid", wantRefusedErr: ErrRuleViolated},
		"ministry and none":         {cmd: PublishProposal{ProposalID: "p-1", CompetentMinistry: "moi", NotYetAssigned: true}, rule: "proposal.publish.ministry_and_unassigned", wantRefusedErr: ErrRuleViolated},
		"closes before publication": {cmd: PublishProposal{ProposalID: "p-1", CompetentMinistry: "moi", SigningClosesAt: t0.Add(-time.Second)}, rule: "proposal.publish.closes_before_publication", wantRefusedErr: ErrRuleViolated},
		"negative threshold":        {cmd: PublishProposal{ProposalID: "p-1", CompetentMinistry: "moi", Threshold: -1}, rule: "proposal.publish.threshold_invalid", wantRefusedErr: ErrRuleViolated},
		"closes at the publication": {cmd: PublishProposal{ProposalID: "p-1", CompetentMinistry: "moi", SigningClosesAt: t0}, rule: "proposal.publish.closes_before_publication", wantRefusedErr: ErrRuleViolated},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := submittedProposal(t)
			evs, err := DecideAndApply(p, func(p *Proposal) ([]Event, error) { return p.Publish(tc.cmd, staff, t0, DefaultProposalConfig()) })
			if tc.rule != "" {
				wantRule(t, evs, err, tc.wantRefusedErr, tc.rule)
				return
			}
			wantOK(t, evs, err)
			pub := evs[0].(ProposalPublished)
			if pub.Threshold != tc.threshold || len(pub.Milestones) != len(tc.milestones) || !pub.SigningClosesAt.Equal(tc.closes) || pub.CompetentMinistry != tc.wantMinistry {
				t.Fatalf("published %+v, want threshold %d, milestones %v, closes %s, ministry %q", pub, tc.threshold, tc.milestones, tc.closes, tc.wantMinistry)
			}
			for i, m := range tc.milestones {
				if pub.Milestones[i] != m {
					t.Fatalf("milestones %v, want %v", pub.Milestones, tc.milestones)
				}
			}
			if !p.SigningClosesAt().Equal(tc.closes) {
				t.Fatalf("state closes at %s, want %s", p.SigningClosesAt(), tc.closes)
			}
		})
	}
}

// TestSignatureKeepsCountyAndDistrict: the place as the platform gives it
// is kept on the event; a malformed one is refused.
func TestSignatureKeepsCountyAndDistrict(t *testing.T) {
	p := publishedProposal(t, DefaultProposalConfig())
	a := citizenActor(1)
	evs, err := DecideAndApply(p, func(p *Proposal) ([]Event, error) {
		return p.Sign(SignProposal{ProposalID: p.ID(), Signer: SignerID(a.ID), County: "高雄市", District: "鹽埕區"}, a, t0.Add(time.Hour))
	})
	wantOK(t, evs, err)
	if s := evs[0].(ProposalSigned); s.County != "高雄市" || s.District != "鹽埕區" {
		t.Fatalf("signed %+v, want county 高雄市, district 鹽埕區", s)
	}
	b := citizenActor(2)
	for _, bad := range []SignProposal{
		{ProposalID: p.ID(), Signer: SignerID(b.ID), County: "台\x00北"},
		{ProposalID: p.ID(), Signer: SignerID(b.ID), County: "\xff"},
	} {
		evs, err := p.Sign(bad, b, t0.Add(time.Hour))
		wantRule(t, evs, err, ErrRuleViolated, "proposal.sign.county_invalid")
	}
	evs, err = p.Sign(SignProposal{ProposalID: p.ID(), Signer: SignerID(b.ID), District: string(make([]byte, MaxPlaceLen+1))}, b, t0.Add(time.Hour))
	wantRule(t, evs, err, ErrRuleViolated, "proposal.sign.district_invalid")
}

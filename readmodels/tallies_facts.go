package readmodels

import (
	"context"
	"slices"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// The tallies of decision 0056: a platform's missing signature list, its
// rows made after the close, and lead ministries assigned after the
// publication (each owing its own answer from the assignment, by the
// proposal's deadline, as decision 0048's leads do).
func init() {
	t := talliesTable
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalSignatureListMissing) error {
		return updateProposal(ctx, tx, e.ProposalID, func(p *ProposalTally) error {
			p.SignatureListMissing = true
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalLateSignaturesRecorded) error {
		return updateProposal(ctx, tx, e.ProposalID, func(p *ProposalTally) error {
			p.LateRows += e.Rows
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalLeadsAssigned) error {
		var p ProposalTally
		err := updateProposal(ctx, tx, e.ProposalID, func(x *ProposalTally) error {
			x.Leads = append(x.Leads, ministryStrings(e.Leads)...)
			x.CoOrganisers = append(x.CoOrganisers, ministryStrings(e.CoOrganisers)...)
			if x.CompetentMinistry == "" && len(x.Leads) > 0 {
				x.CompetentMinistry = x.Leads[0]
			}
			if r := x.Response; r != nil {
				// Without a lead, a deadline missed by nobody in
				// particular gives way to the leads now owing.
				r.Leads = slices.DeleteFunc(r.Leads, func(l LeadResponse) bool { return l.Ministry == "" && l.Responded == nil })
				for _, m := range e.Leads {
					r.Leads = append(r.Leads, LeadResponse{Ministry: string(m)})
				}
				if r.Ministry == "" {
					r.Ministry = x.CompetentMinistry
				}
			}
			p = *x
			return nil
		})
		if err != nil || p.Response == nil {
			return err
		}
		// The open deadline lists the leads that now owe their answers.
		r := p.Response
		var d DueResponse
		if _, err := tx.Get(ctx, collDue, dueKey(r.DueAt, string(e.ProposalID)), &d); err != nil {
			return err
		}
		if d.ProposalID == "" {
			d = DueResponse{ProposalID: string(e.ProposalID), DueAt: r.DueAt}
			if p.Established != nil {
				d.Since = p.Established.Stamp
			}
		}
		d.Ministry, d.Owing = r.Ministry, r.owing()
		return putDue(ctx, tx, d)
	})
}

package domain

import (
	"slices"
	"time"
)

// Facts of a platform's record that the ledger keeps so that it need not
// infer them, and an import need not decide them again (decision 0056):
//
//   - proposal.record_signature_list_missing → proposal.signature_list_missing:
//     the platform's record of a published proposal has no signature list
//     (Join's archive holds 189 such proposals), so the proposal's counts
//     are not known rather than 0. A list that arrives later supersedes it:
//     once a signature is recorded the list is no longer missing.
//   - proposal.record_late_signatures → proposal.late_signatures_recorded:
//     the platform's rows FirstRow … LastRow of the signature list were made
//     at or after the close of signing, so none of them counts. Recorded
//     once per run of rows; an import skips rows recorded so, instead of
//     having each refused again.

// Commands of the platform's facts.
const (
	CmdRecordSignatureListMissing = "proposal.record_signature_list_missing"
	CmdRecordLateSignatures       = "proposal.record_late_signatures"
)

// RecordSignatureListMissing records that the platform's record of a
// published proposal has no signature list.
type RecordSignatureListMissing struct {
	ProposalID ProposalID
}

// CommandName implements Command.
func (RecordSignatureListMissing) CommandName() string { return CmdRecordSignatureListMissing }

// RecordLateSignatures records that the rows FirstRow to LastRow (the
// platform's row numbers, inclusive) of the proposal's signature list were
// made at or after the close of signing: the command's time is the first
// row's, LastAt the last row's.
type RecordLateSignatures struct {
	ProposalID ProposalID
	FirstRow   int
	LastRow    int
	LastAt     time.Time
}

// CommandName implements Command.
func (RecordLateSignatures) CommandName() string { return CmdRecordLateSignatures }

// ProposalSignatureListMissing: the platform's record of the proposal has
// no signature list; its counts are not known. A signature recorded after
// it supersedes it (the list arrived).
type ProposalSignatureListMissing struct {
	ProposalID ProposalID `json:"proposalId"`
	Occurred
}

// EventType implements Event.
func (ProposalSignatureListMissing) EventType() string { return "proposal.signature_list_missing" }

// SchemaVersion implements Event.
func (ProposalSignatureListMissing) SchemaVersion() int { return 1 }

// ProposalLateSignaturesRecorded: the platform's rows FirstRow … LastRow
// (Rows of them) were made from the event's time to LastAt, at or after
// the close of signing SigningClosesAt: none counts, and none is decided
// again.
type ProposalLateSignaturesRecorded struct {
	ProposalID      ProposalID `json:"proposalId"`
	FirstRow        int        `json:"firstRow"`
	LastRow         int        `json:"lastRow"`
	Rows            int        `json:"rows"`
	LastAt          time.Time  `json:"lastAt"`
	SigningClosesAt time.Time  `json:"signingClosesAt"`
	Occurred
}

// EventType implements Event.
func (ProposalLateSignaturesRecorded) EventType() string {
	return "proposal.late_signatures_recorded"
}

// SchemaVersion implements Event.
func (ProposalLateSignaturesRecorded) SchemaVersion() int { return 1 }

// rowRange is a run of the platform's row numbers, inclusive.
type rowRange struct{ first, last int }

// SignatureListMissing reports whether the proposal's signature list is
// recorded as missing and no signature arrived since.
func (p *Proposal) SignatureListMissing() bool { return p.listMissing && len(p.signers) == 0 }

// LateRow reports whether the platform's row n is recorded as made after
// the close (ProposalLateSignaturesRecorded).
func (p *Proposal) LateRow(n int) bool {
	for _, r := range p.lateRows {
		if n >= r.first && n <= r.last {
			return true
		}
	}
	return false
}

// LateRows returns how many rows are recorded as made after the close.
func (p *Proposal) LateRows() int {
	n := 0
	for _, r := range p.lateRows {
		n += r.last - r.first + 1
	}
	return n
}

// requirePublished checks that the proposal exists and was published.
func (p *Proposal) requirePublished(cmd string) error {
	if err := p.requireExists(cmd); err != nil {
		return err
	}
	if p.status == ProposalStatusSubmitted {
		return conflict(cmd+".not_published", "proposal %s is not published", p.id)
	}
	return nil
}

// RecordSignatureListMissing decides RecordSignatureListMissing: on a
// published proposal without any signature, once (until a signature
// supersedes it).
func (p *Proposal) RecordSignatureListMissing(cmd RecordSignatureListMissing, actor Actor, at time.Time) ([]Event, error) {
	if err := p.check(cmd, cmd.ProposalID, actor, at); err != nil {
		return nil, err
	}
	if err := p.requirePublished(CmdRecordSignatureListMissing); err != nil {
		return nil, err
	}
	if len(p.signers) > 0 {
		return nil, conflict("proposal.record_signature_list_missing.signatures_recorded", "proposal %s has %d signatures recorded: its list is not missing", p.id, len(p.signers))
	}
	if p.listMissing {
		return nil, conflict("proposal.record_signature_list_missing.already_recorded", "the signature list of proposal %s is recorded as missing already", p.id)
	}
	return []Event{ProposalSignatureListMissing{ProposalID: p.id, Occurred: occurred(at)}}, nil
}

// RecordLateSignatures decides RecordLateSignatures: rows numbered from 1,
// in order, the first made (at) at or after the close of signing, the last
// not before it, none recorded as late before.
func (p *Proposal) RecordLateSignatures(cmd RecordLateSignatures, actor Actor, at time.Time) ([]Event, error) {
	if err := p.check(cmd, cmd.ProposalID, actor, at); err != nil {
		return nil, err
	}
	if cmd.FirstRow < 1 || cmd.LastRow < cmd.FirstRow {
		return nil, violated("proposal.record_late_signatures.rows_invalid", "rows %d to %d are not a run of rows numbered from 1", cmd.FirstRow, cmd.LastRow)
	}
	if cmd.LastAt.IsZero() || cmd.LastAt.Before(at) {
		return nil, violated("proposal.record_late_signatures.last_before_first", "the last row's time %s is before the first row's %s", cmd.LastAt.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	}
	if err := p.requirePublished(CmdRecordLateSignatures); err != nil {
		return nil, err
	}
	if at.Before(p.signingClosesAt) {
		return nil, violated("proposal.record_late_signatures.before_close", "row %d was made at %s, before signing on proposal %s closed at %s", cmd.FirstRow, at.UTC().Format(time.RFC3339), p.id, p.signingClosesAt.Format(time.RFC3339))
	}
	for _, r := range p.lateRows {
		if cmd.FirstRow <= r.last && cmd.LastRow >= r.first {
			return nil, conflict("proposal.record_late_signatures.already_recorded", "rows %d to %d of proposal %s are recorded as late already", r.first, r.last, p.id)
		}
	}
	return []Event{ProposalLateSignaturesRecorded{ProposalID: p.id, FirstRow: cmd.FirstRow, LastRow: cmd.LastRow, Rows: cmd.LastRow - cmd.FirstRow + 1,
		LastAt: cmd.LastAt.UTC(), SigningClosesAt: p.signingClosesAt, Occurred: occurred(at)}}, nil
}

// applyFact applies the facts' events; ok is false for other events.
func (p *Proposal) applyFact(e Event) (bool, error) {
	switch e := e.(type) {
	case ProposalSignatureListMissing:
		if p.status == ProposalStatusNone || p.status == ProposalStatusSubmitted {
			return true, badEvent("proposal", e, "proposal %s is %q", p.id, p.status)
		}
		p.listMissing = true
	case ProposalLateSignaturesRecorded:
		if p.status == ProposalStatusNone || p.status == ProposalStatusSubmitted || e.FirstRow < 1 || e.LastRow < e.FirstRow {
			return true, badEvent("proposal", e, "rows %d to %d of proposal %s (%q)", e.FirstRow, e.LastRow, p.id, p.status)
		}
		p.lateRows = append(p.lateRows, rowRange{e.FirstRow, e.LastRow})
		slices.SortFunc(p.lateRows, func(a, b rowRange) int { return a.first - b.first })
	case ProposalLeadsAssigned:
		if p.status == ProposalStatusNone || p.status == ProposalStatusSubmitted || len(e.Leads) == 0 {
			return true, badEvent("proposal", e, "proposal %s is %q", p.id, p.status)
		}
		p.leads = append(p.leads, e.Leads...)
		p.coOrganisers = append(p.coOrganisers, e.CoOrganisers...)
		if p.competentMinistry == "" {
			p.competentMinistry = p.leads[0]
		}
		p.named = true
	default:
		return false, nil
	}
	p.version++
	return true, nil
}

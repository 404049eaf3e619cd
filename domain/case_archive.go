package domain

import (
	"strings"
	"time"
)

// An imported case (SourceImported) is reconstructed from an archive that
// says less than the ledger would: which Join proposal the case came from
// is inferred (or reviewed) rather than recorded at the vote, and the
// archive's record of the case stops somewhere, usually without saying how
// it ended. Two importer commands record those facts as events, so that
// pages and reports can say them instead of guessing (decision 0028):
//
//	case.import_proposal_link  the Join proposal the case came from, with
//	                           the evidence (a match score or a reviewed
//	                           mapping)
//	case.import_record_end     the archive's record of the case ends: the
//	                           case is historical, its last known stage is
//	                           the one it was at, its outcome is not in the
//	                           archive
//	case.import_no_proposal    a person reviewed the case and found it came
//	                           from no Join proposal in the dataset (a
//	                           ministry's own topic, a proposal after the
//	                           dataset ends…), with the evidence (decision
//	                           0049)

// Importer commands on imported cases.
const (
	CmdLinkCaseProposal = "case.import_proposal_link"
	CmdEndCaseRecord    = "case.import_record_end"
	CmdRecordNoProposal = "case.import_no_proposal"
)

// LinkCaseProposal records the Join proposal an imported case came from.
// A case linked already is linked again only by a reviewed mapping (which
// then replaces the link, keeping the previous one in the event).
type LinkCaseProposal struct {
	CaseID     CaseID
	ProposalID ProposalID
	// Topic is the proposal's title, the case's topic.
	Topic string
	// Ministry is the proposal's lead ministry on Join ("" if none).
	Ministry MinistryID
	// Evidence says why: "match score 27.2 (next 11.9): …" or
	// "reviewed mapping case-links.csv:3".
	Evidence string
	// Reviewed is true when a person's reviewed mapping decided the link.
	Reviewed bool
}

// EndCaseRecord records that the archive's record of an imported case
// ends at LastRecordAt (its last meeting): the case is historical from
// then on, at the stage it had reached.
type EndCaseRecord struct {
	CaseID       CaseID
	LastRecordAt time.Time
	// Archive names the archive whose record ends (pdis-archive).
	Archive string
}

// RecordNoProposal records that a person reviewed an imported case and
// found it came from no Join proposal in the dataset. It replaces a link
// the case had (the event keeps it); a case so reviewed is linked again
// only by a reviewed mapping.
type RecordNoProposal struct {
	CaseID CaseID
	// Evidence says where the review is written and why:
	// "reviewed mapping docs/case-links/pdis-join.csv:40 (2019-05-17
	// transcript: 故宮's own project…)".
	Evidence string
}

// CommandName implements Command.
func (RecordNoProposal) CommandName() string { return CmdRecordNoProposal }

// CommandName implements Command.
func (LinkCaseProposal) CommandName() string { return CmdLinkCaseProposal }

// CommandName implements Command.
func (EndCaseRecord) CommandName() string { return CmdEndCaseRecord }

// CaseProposalLinked: an imported case was linked to the Join proposal it
// came from.
type CaseProposalLinked struct {
	CaseID     CaseID     `json:"caseId"`
	ProposalID ProposalID `json:"proposalId"`
	Topic      string     `json:"topic" ledger:"public"`
	Ministry   MinistryID `json:"ministry,omitempty"`
	Evidence   string     `json:"evidence" ledger:"public"`
	Reviewed   bool       `json:"reviewed,omitempty" ledger:"public"`
	// Previous is the proposal a reviewed mapping replaced, if any.
	Previous ProposalID `json:"previous,omitempty"`
	Occurred
}

// CaseRecordEnded: the archive's record of an imported case ends; the case
// is historical at Stage, its outcome not in the archive.
type CaseRecordEnded struct {
	CaseID       CaseID    `json:"caseId"`
	Stage        CaseStage `json:"stage"`
	LastRecordAt time.Time `json:"lastRecordAt" ledger:"public"`
	Archive      string    `json:"archive" ledger:"public"`
	Occurred
}

// CaseNoProposalRecorded: a person reviewed an imported case and found it
// came from no Join proposal in the dataset.
type CaseNoProposalRecorded struct {
	CaseID   CaseID `json:"caseId"`
	Evidence string `json:"evidence" ledger:"public"`
	// Previous is the proposal the case was linked to before, if any.
	Previous ProposalID `json:"previous,omitempty"`
	Occurred
}

// EventType implements Event.
func (CaseNoProposalRecorded) EventType() string { return "case.no_proposal_recorded" }

// SchemaVersion implements Event.
func (CaseNoProposalRecorded) SchemaVersion() int { return 1 }

// EventType implements Event.
func (CaseProposalLinked) EventType() string { return "case.proposal_linked" }

// EventType implements Event.
func (CaseRecordEnded) EventType() string { return "case.record_ended" }

// SchemaVersion implements Event.
func (CaseProposalLinked) SchemaVersion() int { return 1 }

// SchemaVersion implements Event.
func (CaseRecordEnded) SchemaVersion() int { return 1 }

// LinkedProposal returns the Join proposal an imported case was linked to.
func (c *Case) LinkedProposal() (ProposalID, bool) { return c.linked, c.linked != "" }

// NoProposal reports whether a person reviewed the imported case and
// found it came from no Join proposal in the dataset.
func (c *Case) NoProposal() bool { return c.noProposal }

// Historical reports whether the archive's record of the case has ended
// (and no later stage change has been recorded since).
func (c *Case) Historical() bool { return c.recordEnded }

func (c *Case) requireImported(name string) error {
	if c.source.SourceKind != SourceImported {
		return violated(name+".not_imported", "case %s was not imported from an archive (source %s)", c.id, c.source.SourceKind)
	}
	return nil
}

// LinkProposal decides LinkCaseProposal. Linking again to the same
// proposal records nothing (a re-import); another proposal needs a
// reviewed mapping.
func (c *Case) LinkProposal(cmd LinkCaseProposal, actor Actor, at time.Time) ([]Event, error) {
	if err := c.begin(cmd, cmd.CaseID, actor, at, true); err != nil {
		return nil, err
	}
	if err := c.requireImported(CmdLinkCaseProposal); err != nil {
		return nil, err
	}
	if err := validID(CmdLinkCaseProposal, "proposal", string(cmd.ProposalID)); err != nil {
		return nil, err
	}
	if cmd.Ministry != "" {
		if err := validID(CmdLinkCaseProposal, "ministry", string(cmd.Ministry)); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(cmd.Topic) == "" {
		return nil, violated(CmdLinkCaseProposal+".topic_required", "the link of case %s names the proposal's title", c.id)
	}
	if strings.TrimSpace(cmd.Evidence) == "" {
		return nil, violated(CmdLinkCaseProposal+".evidence_required", "the link of case %s says its evidence (a score or a reviewed mapping)", c.id)
	}
	if c.linked == cmd.ProposalID {
		return nil, nil
	}
	if c.linked != "" && !cmd.Reviewed {
		return nil, conflict(CmdLinkCaseProposal+".already_linked", "case %s is linked to proposal %s; only a reviewed mapping links it to another", c.id, c.linked)
	}
	if c.noProposal && !cmd.Reviewed {
		return nil, conflict(CmdLinkCaseProposal+".reviewed_none", "case %s was reviewed as not from a Join proposal; only a reviewed mapping links it", c.id)
	}
	return []Event{CaseProposalLinked{CaseID: c.id, ProposalID: cmd.ProposalID, Topic: cmd.Topic, Ministry: cmd.Ministry,
		Evidence: cmd.Evidence, Reviewed: cmd.Reviewed, Previous: c.linked, Occurred: occurred(at)}}, nil
}

// RecordNoProposal decides RecordNoProposal. Recording it again records
// nothing (a re-import).
func (c *Case) RecordNoProposal(cmd RecordNoProposal, actor Actor, at time.Time) ([]Event, error) {
	if err := c.begin(cmd, cmd.CaseID, actor, at, true); err != nil {
		return nil, err
	}
	if err := c.requireImported(CmdRecordNoProposal); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cmd.Evidence) == "" {
		return nil, violated(CmdRecordNoProposal+".evidence_required", "case %s: say where the review is written and why", c.id)
	}
	if c.noProposal && c.linked == "" {
		return nil, nil
	}
	return []Event{CaseNoProposalRecorded{CaseID: c.id, Evidence: cmd.Evidence, Previous: c.linked, Occurred: occurred(at)}}, nil
}

// EndRecord decides EndCaseRecord. Ending it again at the same last record
// records nothing (a re-import); the last record cannot be in the future.
func (c *Case) EndRecord(cmd EndCaseRecord, actor Actor, at time.Time) ([]Event, error) {
	if err := c.begin(cmd, cmd.CaseID, actor, at, true); err != nil {
		return nil, err
	}
	if err := c.requireImported(CmdEndCaseRecord); err != nil {
		return nil, err
	}
	if cmd.LastRecordAt.IsZero() || cmd.LastRecordAt.After(at) {
		return nil, violated(CmdEndCaseRecord+".last_record_invalid", "case %s: the last record (%v) must be given and not after %v", c.id, cmd.LastRecordAt, at)
	}
	if strings.TrimSpace(cmd.Archive) == "" {
		return nil, violated(CmdEndCaseRecord+".archive_required", "case %s: name the archive whose record ends", c.id)
	}
	if c.recordEnded && c.lastRecordAt.Equal(cmd.LastRecordAt) {
		return nil, nil
	}
	return []Event{CaseRecordEnded{CaseID: c.id, Stage: c.stage, LastRecordAt: cmd.LastRecordAt.UTC(), Archive: cmd.Archive, Occurred: occurred(at)}}, nil
}

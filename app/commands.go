package app

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/pdis/collab-ledger/domain"
)

// Aggregate names the kind of aggregate a command is decided on.
type Aggregate string

// The aggregates of the domain, one stream each (see domain's package doc).
const (
	AggregateProposal   Aggregate = "proposal"
	AggregateRegistry   Aggregate = "registry"
	AggregateMonthly    Aggregate = "monthly"
	AggregateCase       Aggregate = "case"
	AggregateMeeting    Aggregate = "meeting"
	AggregateTranscript Aggregate = "transcript"
	AggregateErasures   Aggregate = "erasures"
)

// route says how the Ledger executes one command: the Go type of the
// command (its zero value), the aggregate it is decided on, and the
// function that loads what the decision needs and hands it to that
// aggregate's Handler.
type route struct {
	proto     domain.Command
	aggregate Aggregate
	exec      func(l *Ledger, ctx context.Context, c call) (Result, error)
}

// routeTo builds a route for command type C on the aggregate whose ID id
// extracts; run executes it with that ID.
func routeTo[C domain.Command, ID ~string](agg Aggregate, id func(C) ID, run func(l *Ledger, ctx context.Context, id string, c call) (Result, error)) route {
	var zero C
	return route{proto: zero, aggregate: agg, exec: func(l *Ledger, ctx context.Context, c call) (Result, error) {
		x, ok := c.cmd.(C)
		if !ok {
			return Result{}, fmt.Errorf("execute %s: %w: a %T, not a %T", c.cmd.CommandName(), ErrUnrouted, c.cmd, zero)
		}
		return run(l, ctx, string(id(x)), c)
	}}
}

func onProposal[C domain.Command](id func(C) domain.ProposalID) route {
	return routeTo(AggregateProposal, id, (*Ledger).execProposal)
}

func onRegistry[C domain.Command]() route {
	return routeTo(AggregateRegistry, func(C) string { return "" }, (*Ledger).execRegistry)
}

func onMonthly[C domain.Command](id func(C) domain.MonthlyMeetingID) route {
	return routeTo(AggregateMonthly, id, (*Ledger).execMonthly)
}

func onCase[C domain.Command](id func(C) domain.CaseID) route {
	return routeTo(AggregateCase, id, (*Ledger).execCase)
}

func onMeeting[C domain.Command](id func(C) domain.MeetingID) route {
	return routeTo(AggregateMeeting, id, (*Ledger).execMeeting)
}

func onTranscript[C domain.Command](id func(C) domain.MeetingID) route {
	return routeTo(AggregateTranscript, id, (*Ledger).execTranscript)
}

// routes has one entry per command of the policy table; a test checks that
// none is missing.
var routes = map[string]route{
	domain.CmdErase:                      routeTo(AggregateErasures, func(domain.Erase) string { return "" }, (*Ledger).execErase),
	domain.CmdSubmitProposal:             onProposal(func(c domain.SubmitProposal) domain.ProposalID { return c.ProposalID }),
	domain.CmdPublishProposal:            onProposal(func(c domain.PublishProposal) domain.ProposalID { return c.ProposalID }),
	domain.CmdSignProposal:               onProposal(func(c domain.SignProposal) domain.ProposalID { return c.ProposalID }),
	domain.CmdInvalidateSignature:        onProposal(func(c domain.InvalidateSignature) domain.ProposalID { return c.ProposalID }),
	domain.CmdExpireProposal:             onProposal(func(c domain.ExpireProposal) domain.ProposalID { return c.ProposalID }),
	domain.CmdExtendResponseDeadline:     onProposal(func(c domain.ExtendResponseDeadline) domain.ProposalID { return c.ProposalID }),
	domain.CmdRespondToProposal:          onProposal(func(c domain.RespondToProposal) domain.ProposalID { return c.ProposalID }),
	domain.CmdAddProposalResponse:        onProposal(func(c domain.AddProposalResponse) domain.ProposalID { return c.ProposalID }),
	domain.CmdMarkResponseOverdue:        onProposal(func(c domain.MarkResponseOverdue) domain.ProposalID { return c.ProposalID }),
	domain.CmdAssignLeads:                onProposal(func(c domain.AssignLeads) domain.ProposalID { return c.ProposalID }),
	domain.CmdRecordSignatureListMissing: onProposal(func(c domain.RecordSignatureListMissing) domain.ProposalID { return c.ProposalID }),
	domain.CmdRecordLateSignatures:       onProposal(func(c domain.RecordLateSignatures) domain.ProposalID { return c.ProposalID }),

	domain.CmdRegisterMinistry: onRegistry[domain.RegisterMinistry](),
	domain.CmdRegisterPO:       onRegistry[domain.RegisterPO](),
	domain.CmdRenewPO:          onRegistry[domain.RenewPO](),
	domain.CmdRetirePO:         onRegistry[domain.RetirePO](),
	domain.CmdChangePORole:     onRegistry[domain.ChangePORole](),

	domain.CmdOpenMonthlyMeeting:  onMonthly(func(c domain.OpenMonthlyMeeting) domain.MonthlyMeetingID { return c.MeetingID }),
	domain.CmdAddCandidate:        onMonthly(func(c domain.AddCandidate) domain.MonthlyMeetingID { return c.MeetingID }),
	domain.CmdCastBallot:          onMonthly(func(c domain.CastBallot) domain.MonthlyMeetingID { return c.MeetingID }),
	domain.CmdCloseMonthlyMeeting: onMonthly(func(c domain.CloseMonthlyMeeting) domain.MonthlyMeetingID { return c.MeetingID }),
	domain.CmdRecordMonthlyHeld:   onMonthly(func(c domain.RecordMonthlyHeld) domain.MonthlyMeetingID { return c.MeetingID }),

	domain.CmdOpenCase:             onCase(func(c domain.OpenCase) domain.CaseID { return c.CaseID }),
	domain.CmdAssignLead:           onCase(func(c domain.AssignLead) domain.CaseID { return c.CaseID }),
	domain.CmdAddCoOrganiser:       onCase(func(c domain.AddCoOrganiser) domain.CaseID { return c.CaseID }),
	domain.CmdRemoveCoOrganiser:    onCase(func(c domain.RemoveCoOrganiser) domain.CaseID { return c.CaseID }),
	domain.CmdChangeStage:          onCase(func(c domain.ChangeStage) domain.CaseID { return c.CaseID }),
	domain.CmdAddStakeholder:       onCase(func(c domain.AddStakeholder) domain.CaseID { return c.CaseID }),
	domain.CmdRecordInterview:      onCase(func(c domain.RecordInterview) domain.CaseID { return c.CaseID }),
	domain.CmdAddMaterial:          onCase(func(c domain.AddMaterial) domain.CaseID { return c.CaseID }),
	domain.CmdRecordRecommendation: onCase(func(c domain.RecordRecommendation) domain.CaseID { return c.CaseID }),
	domain.CmdReportToPremier:      onCase(func(c domain.ReportToPremier) domain.CaseID { return c.CaseID }),
	domain.CmdRecordDirective:      onCase(func(c domain.RecordDirective) domain.CaseID { return c.CaseID }),
	domain.CmdRecordResponse:       onCase(func(c domain.RecordResponse) domain.CaseID { return c.CaseID }),
	domain.CmdLinkCaseProposal:     onCase(func(c domain.LinkCaseProposal) domain.CaseID { return c.CaseID }),
	domain.CmdEndCaseRecord:        onCase(func(c domain.EndCaseRecord) domain.CaseID { return c.CaseID }),
	domain.CmdRecordNoProposal:     onCase(func(c domain.RecordNoProposal) domain.CaseID { return c.CaseID }),

	domain.CmdScheduleMeeting:  onMeeting(func(c domain.ScheduleMeeting) domain.MeetingID { return c.MeetingID }),
	domain.CmdAddParticipant:   onMeeting(func(c domain.AddParticipant) domain.MeetingID { return c.MeetingID }),
	domain.CmdRecordAttendance: onMeeting(func(c domain.RecordAttendance) domain.MeetingID { return c.MeetingID }),
	domain.CmdAddNote:          onMeeting(func(c domain.AddNote) domain.MeetingID { return c.MeetingID }),
	domain.CmdReviseNote:       onMeeting(func(c domain.ReviseNote) domain.MeetingID { return c.MeetingID }),
	domain.CmdRemoveNote:       onMeeting(func(c domain.RemoveNote) domain.MeetingID { return c.MeetingID }),
	domain.CmdPostQuestion:     onMeeting(func(c domain.PostQuestion) domain.MeetingID { return c.MeetingID }),
	domain.CmdAnswerQuestion:   onMeeting(func(c domain.AnswerQuestion) domain.MeetingID { return c.MeetingID }),
	domain.CmdArchiveQuestion:  onMeeting(func(c domain.ArchiveQuestion) domain.MeetingID { return c.MeetingID }),
	domain.CmdAddRecording:     onMeeting(func(c domain.AddRecording) domain.MeetingID { return c.MeetingID }),
	domain.CmdCloseMeeting:     onMeeting(func(c domain.CloseMeeting) domain.MeetingID { return c.MeetingID }),

	domain.CmdStartTranscript:     onTranscript(func(c domain.StartTranscript) domain.MeetingID { return c.MeetingID }),
	domain.CmdRecordUtterance:     onTranscript(func(c domain.RecordUtterance) domain.MeetingID { return c.MeetingID }),
	domain.CmdPublishTranscript:   onTranscript(func(c domain.PublishTranscript) domain.MeetingID { return c.MeetingID }),
	domain.CmdEditUtterance:       onTranscript(func(c domain.EditUtterance) domain.MeetingID { return c.MeetingID }),
	domain.CmdRevertEdit:          onTranscript(func(c domain.RevertEdit) domain.MeetingID { return c.MeetingID }),
	domain.CmdReattribute:         onTranscript(func(c domain.ReattributeSpeaker) domain.MeetingID { return c.MeetingID }),
	domain.CmdImportTranscript:    onTranscript(func(c domain.ImportTranscript) domain.MeetingID { return c.MeetingID }),
	domain.CmdImportVersion:       onTranscript(func(c domain.ImportTranscriptVersion) domain.MeetingID { return c.MeetingID }),
	domain.CmdCorrectUtterance:    onTranscript(func(c domain.CorrectUtterance) domain.MeetingID { return c.MeetingID }),
	domain.CmdInsertUtterance:     onTranscript(func(c domain.InsertUtterance) domain.MeetingID { return c.MeetingID }),
	domain.CmdDeleteUtterance:     onTranscript(func(c domain.DeleteUtterance) domain.MeetingID { return c.MeetingID }),
	domain.CmdSplitUtterance:      onTranscript(func(c domain.SplitUtterance) domain.MeetingID { return c.MeetingID }),
	domain.CmdMergeUtterances:     onTranscript(func(c domain.MergeUtterances) domain.MeetingID { return c.MeetingID }),
	domain.CmdReclassifyUtterance: onTranscript(func(c domain.ReclassifyUtterance) domain.MeetingID { return c.MeetingID }),
	domain.CmdNormaliseTranscript: onTranscript(func(c domain.NormaliseTranscript) domain.MeetingID { return c.MeetingID }),
}

// CommandInfo describes one command the Ledger executes.
type CommandInfo struct {
	// Name is the command's name in the policy table ("proposal.sign").
	Name string
	// Aggregate is the aggregate the command is decided on.
	Aggregate Aggregate
	// Prototype is the command's zero value: its Go type, for adapters that
	// decode commands (the JSON API) or describe them (its OpenAPI schema).
	Prototype domain.Command
	// Policy is the command's rule in the policy table.
	Policy domain.PolicyRule
}

// catalogue is every routed command of the policy table, in its order,
// built once.
var catalogue = sync.OnceValues(func() ([]CommandInfo, map[string]int) {
	var list []CommandInfo
	index := map[string]int{}
	for _, p := range domain.Policy() {
		r, ok := routes[p.Command]
		if !ok {
			continue
		}
		index[p.Command] = len(list)
		list = append(list, CommandInfo{Name: p.Command, Aggregate: r.aggregate, Prototype: r.proto, Policy: p})
	}
	return list, index
})

func (c CommandInfo) clone() CommandInfo {
	c.Policy.Roles, c.Policy.Checks = slices.Clone(c.Policy.Roles), slices.Clone(c.Policy.Checks)
	return c
}

// Commands lists every command the Ledger executes, in the policy table's
// order. Commands of the policy table that the Ledger cannot route (a
// programming error the tests catch) are left out.
func Commands() []CommandInfo {
	list, _ := catalogue()
	out := make([]CommandInfo, len(list))
	for i, c := range list {
		out[i] = c.clone()
	}
	return out
}

// LookupCommand returns the description of the named command.
func LookupCommand(name string) (CommandInfo, bool) {
	list, index := catalogue()
	i, ok := index[name]
	if !ok {
		return CommandInfo{}, false
	}
	return list[i].clone(), true
}

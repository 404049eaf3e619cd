package domain

import (
	"slices"
	"strings"
)

// Command names, the keys of the policy table.
const (
	CmdSubmitProposal         = "proposal.submit"
	CmdPublishProposal        = "proposal.publish"
	CmdSignProposal           = "proposal.sign"
	CmdInvalidateSignature    = "proposal.invalidate_signature"
	CmdExpireProposal         = "proposal.expire"
	CmdExtendResponseDeadline = "proposal.extend_response_deadline"
	CmdRespondToProposal      = "proposal.respond"
	CmdMarkResponseOverdue    = "proposal.mark_response_overdue"

	CmdRegisterMinistry = "registry.register_ministry"
	CmdRegisterPO       = "registry.register_po"
	CmdRenewPO          = "registry.renew_po"
	CmdRetirePO         = "registry.retire_po"
	CmdChangePORole     = "registry.change_po_role"

	CmdOpenMonthlyMeeting  = "monthly.open"
	CmdAddCandidate        = "monthly.add_candidate"
	CmdCastBallot          = "monthly.cast_ballot"
	CmdCloseMonthlyMeeting = "monthly.close"

	CmdOpenCase             = "case.open"
	CmdAssignLead           = "case.assign_lead"
	CmdAddCoOrganiser       = "case.add_co_organiser"
	CmdRemoveCoOrganiser    = "case.remove_co_organiser"
	CmdChangeStage          = "case.change_stage"
	CmdAddStakeholder       = "case.add_stakeholder"
	CmdRecordInterview      = "case.record_interview"
	CmdAddMaterial          = "case.add_material"
	CmdRecordRecommendation = "case.record_recommendation"
	CmdReportToPremier      = "case.report_to_premier"
	CmdRecordDirective      = "case.record_directive"
	CmdRecordResponse       = "case.record_response"

	CmdScheduleMeeting   = "meeting.schedule"
	CmdAddParticipant    = "meeting.add_participant"
	CmdRecordAttendance  = "meeting.record_attendance"
	CmdAddNote           = "meeting.add_note"
	CmdReviseNote        = "meeting.revise_note"
	CmdRemoveNote        = "meeting.remove_note"
	CmdPostQuestion      = "meeting.post_question"
	CmdAnswerQuestion    = "meeting.answer_question"
	CmdArchiveQuestion   = "meeting.archive_question"
	CmdAddRecording      = "meeting.add_recording"
	CmdCloseMeeting      = "meeting.close"
	CmdStartTranscript   = "transcript.start"
	CmdRecordUtterance   = "transcript.record_utterance"
	CmdPublishTranscript = "transcript.publish"
	CmdEditUtterance     = "transcript.edit_utterance"
	CmdRevertEdit        = "transcript.revert_edit"
	CmdReattribute       = "transcript.reattribute_speaker"

	CmdImportTranscript    = "transcript.import"
	CmdImportVersion       = "transcript.import_version"
	CmdCorrectUtterance    = "transcript.correct_utterance"
	CmdInsertUtterance     = "transcript.insert_utterance"
	CmdDeleteUtterance     = "transcript.delete_utterance"
	CmdSplitUtterance      = "transcript.split_utterance"
	CmdMergeUtterances     = "transcript.merge_utterances"
	CmdReclassifyUtterance = "transcript.reclassify_utterance"
)

// PolicyRule says who may issue a command: the roles allowed, and the
// per-command checks (rule codes) that further restrict an allowed actor
// against the aggregate's state. Role checks happen first, in Authorize; the
// per-command checks happen in the decision, and refuse with ErrForbidden
// and the listed rule code.
type PolicyRule struct {
	// Command is the command name.
	Command string
	// Roles are the roles that may issue it.
	Roles []Role
	// Checks are the rule codes of the per-command actor checks.
	Checks []string
	// Doc says in one line what the checks mean.
	Doc string
}

var (
	anyParticipant = []Role{RoleCitizen, RoleProposer, RolePO, RolePDIS, RoleMinistry, RoleSecretariat}
	staffOnly      = []Role{RolePDIS}
)

// policy is the single declarative table of who may do what. The matrix test
// runs every command with every role against it.
var policy = []PolicyRule{
	{CmdSubmitProposal, []Role{RoleCitizen, RoleProposer}, nil, "a verified citizen submits a proposal and becomes its proposer"},
	{CmdPublishProposal, staffOnly, nil, "staff publish a submitted proposal and name the competent ministry"},
	{CmdSignProposal, []Role{RoleCitizen, RoleProposer}, []string{RuleSignSelfOnly}, "a citizen signs only as themself (signer == actor ID)"},
	{CmdInvalidateSignature, staffOnly, nil, "staff invalidate a signature with a reason"},
	{CmdExpireProposal, staffOnly, nil, "staff (or the scheduler acting as staff) expire a proposal whose window closed"},
	{CmdExtendResponseDeadline, []Role{RoleMinistry}, []string{RuleResponseOwnMinistry}, "only a lead ministry that has not answered extends the deadline"},
	{CmdRespondToProposal, []Role{RoleMinistry}, []string{RuleResponseOwnMinistry}, "only a lead ministry responds, each once (any ministry when none is assigned)"},
	{CmdAddProposalResponse, []Role{RoleMinistry}, []string{RuleResponseNamedMinistry}, "a lead or co-organising ministry adds its further response to an established proposal (a co-organiser's part, or a later answer); a lead's first answer is proposal.respond"},
	{CmdMarkResponseOverdue, staffOnly, nil, "staff record a missed response deadline"},
	{CmdAssignLeads, staffOnly, nil, "staff assign the lead ministries (and co-organisers) of a published proposal, each owing its own answer"},
	{CmdRecordSignatureListMissing, staffOnly, nil, "staff (the Join importer) record that the platform's record has no signature list"},
	{CmdRecordLateSignatures, staffOnly, nil, "staff (the Join importer) record rows of the platform's signature list made after the close"},

	{CmdErase, staffOnly, nil, "staff erase a person's or an event's sealed personal data, with a reason and a legal basis"},

	{CmdRegisterMinistry, staffOnly, nil, "staff register ministries and agencies"},
	{CmdRegisterPO, []Role{RolePDIS, RolePO}, []string{RuleRegistryChiefOfMinistry}, "staff, or the chief PO of the same ministry"},
	{CmdRenewPO, []Role{RolePDIS, RolePO}, []string{RuleRegistryChiefOfMinistry}, "staff, or the chief PO of the same ministry"},
	{CmdRetirePO, []Role{RolePDIS, RolePO}, []string{RuleRegistryChiefOfMinistry}, "staff, or the chief PO of the same ministry"},
	{CmdChangePORole, staffOnly, nil, "staff change a PO's role"},

	{CmdOpenMonthlyMeeting, staffOnly, nil, "staff open the monthly meeting"},
	{CmdAddCandidate, []Role{RolePDIS, RolePO, RoleSecretariat}, []string{RuleCandidatePOOwnMinistry, RuleCandidateSecretariatAssignments}, "staff add any candidate; a PO only its own ministry's proposals; the secretariat only Executive Yuan assignments"},
	{CmdCastBallot, []Role{RolePO}, []string{RuleBallotActivePO, RuleBallotOwnMinistry}, "an active (registered, not retired) PO votes for their own ministry"},
	{CmdCloseMonthlyMeeting, staffOnly, nil, "staff close the vote"},
	{CmdRecordMonthlyHeld, staffOnly, nil, "staff (the importer) record an archived monthly meeting as held, with what its transcript shows"},

	{CmdOpenCase, []Role{RolePDIS, RoleSecretariat}, []string{RuleCaseOpenSecretariatAssignments}, "staff open cases; the secretariat only from assignments"},
	{CmdAssignLead, []Role{RolePDIS, RoleSecretariat}, nil, "staff or the secretariat assign (and reassign) the lead ministry"},
	{CmdAddCoOrganiser, staffOnly, nil, "staff add co-organisers"},
	{CmdRemoveCoOrganiser, staffOnly, nil, "staff remove co-organisers"},
	{CmdChangeStage, staffOnly, nil, "staff (the host) move the stage"},
	{CmdAddStakeholder, []Role{RolePDIS, RolePO}, []string{RuleCaseOrganiserPO}, "staff, or a PO of the lead or a co-organising ministry"},
	{CmdRecordInterview, []Role{RolePDIS, RolePO}, []string{RuleCaseOrganiserPO}, "staff, or a PO of the lead or a co-organising ministry"},
	{CmdAddMaterial, []Role{RolePDIS, RolePO, RoleMinistry}, []string{RuleCaseOrganiserPO}, "staff, or a PO or ministry of the lead or a co-organising ministry"},
	{CmdRecordRecommendation, staffOnly, nil, "the host records recommendations"},
	{CmdReportToPremier, []Role{RolePDIS, RoleSecretariat}, nil, "staff or the secretariat record the report to the Premier"},
	{CmdRecordDirective, []Role{RoleSecretariat}, nil, "the secretariat records the Premier's directive"},
	{CmdRecordResponse, []Role{RoleMinistry}, []string{RuleResponseAddressee}, "a ministry responds only to recommendations addressed to it"},
	{CmdLinkCaseProposal, staffOnly, nil, "staff (the importer) link an imported case to the Join proposal it came from, with the evidence"},
	{CmdEndCaseRecord, staffOnly, nil, "staff (the importer) record that the archive's record of an imported case ends"},
	{CmdRecordNoProposal, staffOnly, nil, "staff (the importer, from a reviewed mapping) record that an imported case came from no Join proposal in the dataset"},

	{CmdScheduleMeeting, staffOnly, nil, "staff schedule meetings"},
	{CmdAddParticipant, staffOnly, nil, "staff invite participants"},
	{CmdRecordAttendance, staffOnly, nil, "staff record attendance"},
	{CmdAddNote, staffOnly, nil, "the host writes notes"},
	{CmdReviseNote, staffOnly, nil, "the host revises notes"},
	{CmdRemoveNote, staffOnly, nil, "the host removes notes, with a reason"},
	{CmdPostQuestion, anyParticipant, []string{RuleQuestionParticipantsOnly}, "a participant of the meeting (invited with their account) or a host posts an anonymous question; nothing records who"},
	{CmdAnswerQuestion, staffOnly, nil, "the host answers questions"},
	{CmdArchiveQuestion, staffOnly, nil, "the host archives questions"},
	{CmdAddRecording, staffOnly, nil, "staff add recording links"},
	{CmdCloseMeeting, staffOnly, nil, "staff close the meeting"},

	{CmdStartTranscript, []Role{RoleStenographer, RolePDIS}, nil, "the stenographer or staff start a transcript"},
	{CmdRecordUtterance, []Role{RoleStenographer}, nil, "only the stenographer records utterances"},
	{CmdPublishTranscript, staffOnly, nil, "staff publish the transcript, opening the edit window"},
	{CmdEditUtterance, anyParticipant, []string{RuleEditOwnWordsOnly}, "a speaker edits only their own words"},
	{CmdRevertEdit, staffOnly, nil, "staff revert a wrong edit, with a reason"},
	{CmdReattribute, staffOnly, nil, "staff fix a misattributed speaker (or assign one to an unattributed speech), with a reason"},
	{CmdImportTranscript, staffOnly, nil, "staff (the importer) record a whole transcript from a source, dated when it happened"},
	{CmdImportVersion, staffOnly, nil, "staff (the importer) record a later version as the staff changes it contains"},
	{CmdCorrectUtterance, staffOnly, nil, "staff correct anyone's words, attributed to an editor, with a reason"},
	{CmdInsertUtterance, staffOnly, nil, "staff insert an utterance the record missed, with a reason"},
	{CmdDeleteUtterance, staffOnly, nil, "staff delete an utterance (kept in the trail), with a reason"},
	{CmdSplitUtterance, staffOnly, nil, "staff split an utterance in two or more, with a reason"},
	{CmdMergeUtterances, staffOnly, nil, "staff merge adjacent utterances, with a reason"},
	{CmdReclassifyUtterance, staffOnly, nil, "staff change an utterance's kind (speech, narration, heading), with a reason"},
	{CmdNormaliseTranscript, staffOnly, nil, "staff normalise a transcript's width, punctuation and spacing in one change, with a reason"},
}

var policyIndex = func() map[string]PolicyRule {
	m := make(map[string]PolicyRule, len(policy))
	for _, r := range policy {
		if _, dup := m[r.Command]; dup {
			panic("domain: command in policy twice: " + r.Command)
		}
		m[r.Command] = r
	}
	return m
}()

// Policy returns the policy table, one rule per command, in a fixed order.
func Policy() []PolicyRule {
	out := make([]PolicyRule, len(policy))
	for i, r := range policy {
		out[i] = PolicyRule{Command: r.Command, Roles: slices.Clone(r.Roles), Checks: slices.Clone(r.Checks), Doc: r.Doc}
	}
	return out
}

// CommandNames returns every command name in the policy table.
func CommandNames() []string {
	out := make([]string, len(policy))
	for i, r := range policy {
		out[i] = r.Command
	}
	return out
}

// Allowed reports whether the policy table lets role issue command (before
// per-command checks).
func Allowed(command string, role Role) bool {
	r, ok := policyIndex[command]
	return ok && slices.Contains(r.Roles, role)
}

// Authorize checks that actor is well formed and that its role may issue
// command. Every decision calls it first, so a refused actor learns nothing
// about the state and nothing is appended. The refusal is a *RuleError with
// rule "policy.role_not_allowed" (or "policy.actor.invalid",
// "policy.unknown_command") and kind ErrForbidden.
func Authorize(command string, actor Actor) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	r, ok := policyIndex[command]
	if !ok {
		return forbidden("policy.unknown_command", "no policy for command %q", command)
	}
	if !slices.Contains(r.Roles, actor.Role) {
		names := make([]string, len(r.Roles))
		for i, x := range r.Roles {
			names[i] = string(x)
		}
		return forbidden(RuleRoleNotAllowed, "%s may not %s (allowed: %s)", actor.Role, command, strings.Join(names, ", "))
	}
	return nil
}

// Rule codes of the policy and of the per-command actor checks.
const (
	RuleRoleNotAllowed                  = "policy.role_not_allowed"
	RuleSignSelfOnly                    = "proposal.sign.self_only"
	RuleResponseOwnMinistry             = "proposal.response.own_ministry_only"
	RuleResponseNamedMinistry           = "proposal.add_response.named_ministry_only"
	RuleRegistryChiefOfMinistry         = "registry.po.chief_of_same_ministry"
	RuleCandidatePOOwnMinistry          = "monthly.candidate.po_own_ministry_proposals_only"
	RuleCandidateSecretariatAssignments = "monthly.candidate.secretariat_assignments_only"
	RuleBallotActivePO                  = "monthly.ballot.active_po_only"
	RuleBallotOwnMinistry               = "monthly.ballot.own_ministry_only"
	RuleCaseOpenSecretariatAssignments  = "case.open.secretariat_assignments_only"
	RuleCaseOrganiserPO                 = "case.organiser_only"
	RuleResponseAddressee               = "case.response.addressee_only"
	RuleEditOwnWordsOnly                = "transcript.edit.own_words_only"

	// RulePOUnregistered: the actor acts as a PO the PO registry does not
	// hold (Registry.CheckPO).
	RulePOUnregistered = "policy.po.unregistered"
	// RulePORetired: the PO the actor acts as is retired.
	RulePORetired = "policy.po.retired"
	// RulePOOtherMinistry: the actor acts for a ministry other than the one
	// their PO is registered with.
	RulePOOtherMinistry = "policy.po.other_ministry"
	// RulePONotRegisteredForYear: the PO is not registered for the year the
	// command is decided in.
	RulePONotRegisteredForYear = "policy.po.not_registered_for_year"
)

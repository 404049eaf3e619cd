package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
)

// The people of the story the lifecycle test tells (2019, Asia/Taipei).
var (
	lcStaff    = domain.Actor{ID: "staff-1", Role: domain.RolePDIS}
	lcSteno    = domain.Actor{ID: "steno-1", Role: domain.RoleStenographer}
	lcSec      = domain.Actor{ID: "ey-sec-1", Role: domain.RoleSecretariat}
	lcAuditor  = domain.Actor{ID: "auditor-1", Role: domain.RoleAuditor}
	lcMoiChief = domain.Actor{ID: "po-moi-chief", Role: domain.RolePO, Ministry: "moi"}
	lcMoiUnit  = domain.Actor{ID: "po-moi-unit", Role: domain.RolePO, Ministry: "moi"}
	lcMoiNew   = domain.Actor{ID: "po-moi-new", Role: domain.RolePO, Ministry: "moi"}
	lcMohw     = domain.Actor{ID: "po-mohw-chief", Role: domain.RolePO, Ministry: "mohw"}
	lcMot      = domain.Actor{ID: "po-mot-chief", Role: domain.RolePO, Ministry: "mot"}
	lcMoi      = domain.Actor{ID: "moi-official", Role: domain.RoleMinistry, Ministry: "moi"}
	lcMohwMin  = domain.Actor{ID: "mohw-official", Role: domain.RoleMinistry, Ministry: "mohw"}
	lcProposer = domain.Actor{ID: string(domain.Pseudonym(secret, "F123456789")), Role: domain.RoleProposer}
)

func lcCitizen(n int) domain.Actor {
	return domain.Actor{ID: string(domain.Pseudonym(secret, fmt.Sprintf("A2%08d", n))), Role: domain.RoleCitizen}
}

func tp(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Taipei)
	if err != nil {
		panic(err)
	}
	return t
}

func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// step is one command of the story: decided at at by actor; either its
// events' types (nil: any, at least one) or its refusal.
type step struct {
	at       string
	actor    domain.Actor
	cmd      domain.Command
	want     []string
	wantKind error
	wantRule string
	// imported: the act is recorded with an explicit occurred-at.
	imported bool
}

func ok(at string, actor domain.Actor, cmd domain.Command, want ...string) step {
	return step{at: at, actor: actor, cmd: cmd, want: want}
}

func refused(at string, actor domain.Actor, cmd domain.Command, kind error, rule string) step {
	return step{at: at, actor: actor, cmd: cmd, wantKind: kind, wantRule: rule}
}

func imported(at string, actor domain.Actor, cmd domain.Command, want ...string) step {
	return step{at: at, actor: actor, cmd: cmd, want: want, imported: true}
}

// lifecycle is the whole process, from an empty ledger to a closed case,
// with every command of the policy table at least once and refusals along
// the way.
func lifecycle() []step {
	sig1 := domain.SignatureIDFor("p-1", domain.SignerID(lcCitizen(1).ID))
	rawIdentity := domain.Actor{ID: "A123456789", Role: domain.RoleCitizen}
	speech := func(id string, sp domain.Speaker, text string) domain.RecordUtterance {
		return domain.RecordUtterance{MeetingID: "m-1", UtteranceID: domain.UtteranceID(id), Kind: domain.UtteranceSpeech, Speaker: sp, Paragraphs: []string{text}}
	}
	imp := func(id, who, text string) domain.ImportedUtterance {
		return domain.ImportedUtterance{UtteranceID: domain.UtteranceID(id), Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{Name: who, Ref: who}, Paragraphs: []string{text}}
	}
	return []step{
		// The PO registry.
		refused("2019-01-02 09:00", lcAuditor, domain.RegisterMinistry{MinistryID: "moi", Name: "內政部"}, domain.ErrForbidden, domain.RuleRoleNotAllowed),
		ok("2019-01-02 09:00", lcStaff, domain.RegisterMinistry{MinistryID: "moi", Name: "內政部"}, "registry.ministry_registered"),
		ok("2019-01-02 09:00", lcStaff, domain.RegisterMinistry{MinistryID: "mohw", Name: "衛生福利部"}),
		ok("2019-01-02 09:00", lcStaff, domain.RegisterMinistry{MinistryID: "mohw-nhia", Name: "中央健康保險署", Parent: "mohw"}),
		ok("2019-01-02 09:00", lcStaff, domain.RegisterMinistry{MinistryID: "mot", Name: "交通部"}),
		ok("2019-01-02 09:10", lcStaff, domain.RegisterPO{POID: "po-moi-chief", Name: "內政部主任PO", Ministry: "moi", Role: domain.POChief, Year: 2019}),
		ok("2019-01-02 09:10", lcStaff, domain.RegisterPO{POID: "po-mohw-chief", Name: "衛福部主任PO", Ministry: "mohw", Role: domain.POChief, Year: 2019}),
		ok("2019-01-02 09:10", lcStaff, domain.RegisterPO{POID: "po-mot-chief", Name: "交通部PO楊惠如", Ministry: "mot", Role: domain.POChief, Year: 2019}),
		ok("2019-01-02 09:20", lcMoiChief, domain.RegisterPO{POID: "po-moi-unit", Name: "內政部PO", Ministry: "moi", Role: domain.POUnit, Year: 2019}),
		refused("2019-01-02 09:25", lcMoiUnit, domain.RegisterPO{POID: "po-moi-x", Name: "X", Ministry: "moi", Role: domain.POUnit, Year: 2019}, domain.ErrForbidden, domain.RuleRegistryChiefOfMinistry),
		ok("2019-01-02 09:30", lcMoiChief, domain.RegisterPO{POID: "po-moi-new", Name: "內政部新任PO", Ministry: "moi", Role: domain.POUnit, Year: 2019}),
		ok("2019-01-03 09:00", lcMoiChief, domain.RenewPO{POID: "po-moi-unit", Year: 2020}),
		ok("2019-01-04 09:00", lcStaff, domain.RetirePO{POID: "po-moi-new", Reason: "調職"}),

		// Proposal p-1: submitted, published, signed past the threshold (3).
		refused("2019-01-05 10:00", rawIdentity, domain.SubmitProposal{ProposalID: "p-1", Title: "停止神豬比重"}, domain.ErrForbidden, app.RuleCitizenPseudonym),
		ok("2019-01-05 10:00", lcProposer, domain.SubmitProposal{ProposalID: "p-1", Title: "停止神豬比重", Summary: "..."}, "proposal.submitted"),
		refused("2019-01-07 10:00", lcMoi, domain.PublishProposal{ProposalID: "p-1", CompetentMinistry: "moi"}, domain.ErrForbidden, domain.RuleRoleNotAllowed),
		ok("2019-01-07 10:00", lcStaff, domain.PublishProposal{ProposalID: "p-1", CompetentMinistry: "moi"}, "proposal.published"),
		ok("2019-01-07 11:00", lcCitizen(1), domain.SignProposal{ProposalID: "p-1", Signer: domain.SignerID(lcCitizen(1).ID)}, "proposal.signed", "proposal.milestone_reached"),
		refused("2019-01-07 11:30", lcCitizen(1), domain.SignProposal{ProposalID: "p-1", Signer: domain.SignerID(lcCitizen(1).ID)}, domain.ErrConflictingState, "proposal.sign.once_per_signer"),
		refused("2019-01-07 11:30", lcCitizen(2), domain.SignProposal{ProposalID: "p-1", Signer: domain.SignerID(lcCitizen(3).ID)}, domain.ErrForbidden, domain.RuleSignSelfOnly),
		refused("2019-01-07 11:30", lcCitizen(2), domain.SignProposal{ProposalID: "p 1", Signer: domain.SignerID(lcCitizen(2).ID)}, domain.ErrRuleViolated, "proposal.sign.id_invalid"),
		ok("2019-01-07 12:00", lcCitizen(2), domain.SignProposal{ProposalID: "p-1", Signer: domain.SignerID(lcCitizen(2).ID)}, "proposal.signed", "proposal.milestone_reached"),
		ok("2019-01-07 13:00", lcCitizen(3), domain.SignProposal{ProposalID: "p-1", Signer: domain.SignerID(lcCitizen(3).ID)}, "proposal.signed", "proposal.established"),
		ok("2019-01-08 09:00", lcStaff, domain.InvalidateSignature{ProposalID: "p-1", SignatureID: sig1, Reason: "重複帳號"}),
		ok("2019-02-01 09:00", lcMoi, domain.ExtendResponseDeadline{ProposalID: "p-1", NewDueDate: calendar.MustParseDate("2019-05-31"), Reason: "公告延長"}),
		ok("2019-02-20 09:00", lcMoi, domain.RespondToProposal{ProposalID: "p-1", Summary: "研議中", Link: "https://join.gov.tw/idea/detail/p-1"}),
		ok("2019-03-20 09:00", lcMoi, domain.AddProposalResponse{ProposalID: "p-1", Summary: "後續辦理情形"}, "proposal.response_added"),
		refused("2019-03-20 09:00", lcMoi, domain.AddProposalResponse{ProposalID: "p-1", Summary: "後續辦理情形"}, domain.ErrConflictingState, "proposal.add_response.duplicate"),

		// p-2 expires below the threshold; p-3's response is overdue.
		ok("2019-01-06 10:00", lcProposer, domain.SubmitProposal{ProposalID: "p-2", Title: "寵物友善乘車"}),
		ok("2019-01-07 10:00", lcStaff, domain.PublishProposal{ProposalID: "p-2", CompetentMinistry: "mot"}),
		refused("2019-02-01 10:00", lcStaff, domain.ExpireProposal{ProposalID: "p-2"}, domain.ErrRuleViolated, "proposal.expire.window_open"),
		ok("2019-03-09 10:00", lcStaff, domain.ExpireProposal{ProposalID: "p-2"}, "proposal.expired"),
		ok("2019-01-06 10:00", lcProposer, domain.SubmitProposal{ProposalID: "p-3", Title: "健保卡虛擬卡"}),
		ok("2019-01-07 10:00", lcStaff, domain.PublishProposal{ProposalID: "p-3", CompetentMinistry: "mohw"}),
		ok("2019-01-08 10:00", lcCitizen(4), domain.SignProposal{ProposalID: "p-3", Signer: domain.SignerID(lcCitizen(4).ID)}),
		ok("2019-01-08 10:00", lcCitizen(5), domain.SignProposal{ProposalID: "p-3", Signer: domain.SignerID(lcCitizen(5).ID)}),
		ok("2019-01-08 10:00", lcCitizen(6), domain.SignProposal{ProposalID: "p-3", Signer: domain.SignerID(lcCitizen(6).ID)}),
		ok("2019-03-09 10:00", lcStaff, domain.MarkResponseOverdue{ProposalID: "p-3"}, "proposal.response_deadline_missed"),
		// Decision 0056: rows of p-2's list after its close; p-4, published
		// without a lead or a signature list, gets its lead.
		ok("2019-03-09 11:00", lcStaff, domain.RecordLateSignatures{ProposalID: "p-2", FirstRow: 1, LastRow: 2, LastAt: time.Date(2019, 3, 9, 12, 0, 0, 0, calendar.Taipei)}, "proposal.late_signatures_recorded"),
		ok("2019-01-06 10:00", lcProposer, domain.SubmitProposal{ProposalID: "p-4", Title: "巷弄路燈"}),
		ok("2019-01-07 10:00", lcStaff, domain.PublishProposal{ProposalID: "p-4", NotYetAssigned: true}),
		refused("2019-03-01 10:00", lcStaff, domain.AssignLeads{ProposalID: "p-4", Leads: []domain.MinistryID{"moc"}}, domain.ErrRuleViolated, "proposal.assign_leads.ministry_unknown"),
		ok("2019-03-01 10:00", lcStaff, domain.AssignLeads{ProposalID: "p-4", Leads: []domain.MinistryID{"mot"}}, "proposal.leads_assigned"),
		ok("2019-03-09 10:00", lcStaff, domain.RecordSignatureListMissing{ProposalID: "p-4"}, "proposal.signature_list_missing"),

		// The PO monthly meeting of March chooses the topics of April.
		ok("2019-03-06 14:00", lcStaff, domain.OpenMonthlyMeeting{MeetingID: "2019-03", HeldOn: calendar.MustParseDate("2019-03-06")}, "monthly.opened"),
		refused("2019-03-06 14:05", lcStaff, domain.AddCandidate{MeetingID: "2019-03", CandidateID: "c0", Kind: domain.CandidateEstablishedProposal, Title: "寵物友善乘車", Organiser: "mot", SourceRef: "p-2"}, domain.ErrRuleViolated, "monthly.add_candidate.proposal_not_established"),
		ok("2019-03-06 14:05", lcStaff, domain.AddCandidate{MeetingID: "2019-03", CandidateID: "c1", Kind: domain.CandidateEstablishedProposal, Title: "停止神豬比重", Organiser: "moi", SourceRef: "p-1"}, "monthly.candidate_added"),
		ok("2019-03-06 14:05", lcMohw, domain.AddCandidate{MeetingID: "2019-03", CandidateID: "c2", Kind: domain.CandidateMinistryProposal, Title: "健保卡虛擬卡", Organiser: "mohw"}),
		ok("2019-03-06 14:05", lcSec, domain.AddCandidate{MeetingID: "2019-03", CandidateID: "c3", Kind: domain.CandidateEYAssignment, Title: "向山致敬", Organiser: "mot", SourceRef: "EY-108-0001"}),
		ok("2019-03-06 14:30", lcMoiChief, domain.CastBallot{MeetingID: "2019-03", Choices: []domain.CandidateID{"c1", "c2"}}, "monthly.ballot_cast"),
		refused("2019-03-06 14:31", lcMoiUnit, domain.CastBallot{MeetingID: "2019-03", Choices: []domain.CandidateID{"c3"}}, domain.ErrConflictingState, "monthly.cast_ballot.one_per_ministry"),
		// A retired PO is refused by the registry check every PO command passes.
		refused("2019-03-06 14:31", lcMoiNew, domain.CastBallot{MeetingID: "2019-03", Choices: []domain.CandidateID{"c3"}}, domain.ErrForbidden, domain.RulePORetired),
		ok("2019-03-06 14:32", lcMohw, domain.CastBallot{MeetingID: "2019-03", Choices: []domain.CandidateID{"c1"}}),
		ok("2019-03-06 14:33", lcMot, domain.CastBallot{MeetingID: "2019-03", Choices: []domain.CandidateID{"c3"}}),
		ok("2019-03-06 15:00", lcStaff, domain.CloseMonthlyMeeting{MeetingID: "2019-03"}, "monthly.closed"),
		ok("2019-03-06 16:00", lcStaff, domain.ChangePORole{POID: "po-mot-chief", Role: domain.POUnit, Reason: "改任單位PO"}),

		// Case 57 from the selected topic c1, through its stages.
		refused("2019-03-07 09:00", lcStaff, domain.OpenCase{CaseID: "57", Title: "停止神豬比重", SourceKind: domain.SourceVotedTopic, MonthlyMeetingID: "2019-03", CandidateID: "c9"}, domain.ErrRuleViolated, "case.open.topic_not_selected"),
		ok("2019-03-07 09:00", lcStaff, domain.OpenCase{CaseID: "57", Title: "停止神豬比重", SourceKind: domain.SourceVotedTopic, MonthlyMeetingID: "2019-03", CandidateID: "c1"}, "case.opened"),
		ok("2019-03-07 09:10", lcStaff, domain.AssignLead{CaseID: "57", Ministry: "moi"}, "case.lead_assigned"),
		ok("2019-03-07 09:20", lcStaff, domain.AddCoOrganiser{CaseID: "57", Ministry: "mohw"}),
		ok("2019-03-07 09:20", lcStaff, domain.AddCoOrganiser{CaseID: "57", Ministry: "mot"}),
		ok("2019-03-07 09:30", lcStaff, domain.RemoveCoOrganiser{CaseID: "57", Ministry: "mot", Reason: "非主管業務"}),
		ok("2019-03-08 09:00", lcStaff, domain.ChangeStage{CaseID: "57", To: domain.StageDivisionOfLabour, Reason: "分工"}, "case.stage_changed"),
		ok("2019-03-08 10:00", lcMoiChief, domain.AddStakeholder{CaseID: "57", StakeholderID: "s-1", Category: domain.StakeholderProposer, Name: "提案人"}),
		refused("2019-03-08 10:00", lcMot, domain.AddStakeholder{CaseID: "57", StakeholderID: "s-2", Category: domain.StakeholderIndustry, Name: "養豬協會"}, domain.ErrForbidden, domain.RuleCaseOrganiserPO),
		ok("2019-03-08 10:00", lcStaff, domain.ChangeStage{CaseID: "57", To: domain.StageResearch, Reason: "研究"}),
		ok("2019-03-12 10:00", lcStaff, domain.RecordInterview{CaseID: "57", InterviewID: "i-1", Stakeholders: []domain.StakeholderID{"s-1"}, Summary: "訪談紀錄"}),
		ok("2019-03-13 10:00", lcMoi, domain.AddMaterial{CaseID: "57", MaterialID: "mat-1", Title: "業務簡報", SHA256: hashOf("brief"), URL: "https://example.org/brief.pdf"}),
		ok("2019-03-20 10:00", lcStaff, domain.ChangeStage{CaseID: "57", To: domain.StagePreMeeting, Reason: "會前會"}),
		ok("2019-04-01 10:00", lcStaff, domain.ChangeStage{CaseID: "57", To: domain.StageMeetings, Reason: "協作會議"}),

		// The collaborative meeting m-1; a second voted meeting of moi within
		// 45 days is refused (the voted-meetings index).
		ok("2019-04-02 10:00", lcStaff, domain.ScheduleMeeting{MeetingID: "m-1", CaseID: "57", Kind: domain.MeetingCollaborative, Phase: domain.PhaseDiscover, Title: "PO共識營", StartsAt: tp("2019-04-16 09:30")}, "meeting.scheduled"),
		// The 45-day rule spaces voted topics, not the meetings of one case.
		ok("2019-04-02 11:00", lcStaff, domain.ScheduleMeeting{MeetingID: "m-3", CaseID: "57", Kind: domain.MeetingCollaborative, Phase: domain.PhaseDefine, Title: "第二場", StartsAt: tp("2019-05-01 09:30")}, "meeting.scheduled"),
		ok("2019-04-16 09:00", lcStaff, domain.AddParticipant{MeetingID: "m-1", ParticipantID: "pt-1", Name: "Ghost", Role: domain.ParticipantHost}),
		ok("2019-04-16 09:00", lcStaff, domain.AddParticipant{MeetingID: "m-1", ParticipantID: "pt-2", Name: "內政部", Role: domain.ParticipantMinistry, Ministry: "moi", Account: lcMoiChief.ID}),
		ok("2019-04-16 09:00", lcStaff, domain.AddParticipant{MeetingID: "m-1", ParticipantID: "pt-3", Name: "民眾", Role: domain.ParticipantObserver, Account: lcCitizen(7).ID}),
		ok("2019-04-16 09:30", lcStaff, domain.RecordAttendance{MeetingID: "m-1", ParticipantID: "pt-1", Present: true}),
		ok("2019-04-16 10:00", lcStaff, domain.AddNote{MeetingID: "m-1", NoteID: "n-1", Board: domain.BoardMindMap, Text: "壓力有一點大"}, "meeting.note_added"),
		ok("2019-04-16 10:05", lcStaff, domain.AddNote{MeetingID: "m-1", NoteID: "n-2", Board: domain.BoardConceptSheet, Sheet: "A", Section: domain.SectionProblem, Text: "業務單位壓力"}),
		ok("2019-04-16 10:10", lcStaff, domain.ReviseNote{MeetingID: "m-1", NoteID: "n-2", Text: "業務單位的壓力", Reason: "較精確"}),
		ok("2019-04-16 10:20", lcStaff, domain.RemoveNote{MeetingID: "m-1", NoteID: "n-1", Reason: "斷章取義"}, "meeting.note_removed"),
		ok("2019-04-16 10:30", lcCitizen(7), domain.PostQuestion{MeetingID: "m-1", QuestionID: "q-1", Text: "院長會聽到嗎？"}, "meeting.question_posted"),
		ok("2019-04-16 10:31", lcMoiChief, domain.PostQuestion{MeetingID: "m-1", QuestionID: "q-2", Text: "重複的問題"}),
		ok("2019-04-16 10:40", lcStaff, domain.AnswerQuestion{MeetingID: "m-1", QuestionID: "q-1", Answer: "會"}),
		ok("2019-04-16 10:41", lcStaff, domain.ArchiveQuestion{MeetingID: "m-1", QuestionID: "q-2", Reason: "重複"}),
		ok("2019-04-16 12:00", lcStaff, domain.AddRecording{MeetingID: "m-1", RecordingID: "rec-1", Kind: domain.RecordingVideo, URL: "https://www.youtube.com/watch?v=x"}),

		// Its transcript: recorded, published, edited by its speaker,
		// reverted by staff, a speaker fixed.
		ok("2019-04-16 09:30", lcSteno, domain.StartTranscript{MeetingID: "m-1"}, "transcript.started"),
		ok("2019-04-16 09:31", lcSteno, speech("u-1", domain.Speaker{ActorID: lcMoiChief.ID, Name: "內政部主任PO"}, "我們壓力有一點大。"), "transcript.utterance_recorded"),
		ok("2019-04-16 09:32", lcSteno, speech("u-2", domain.Speaker{Name: "葉景豪"}, "謝謝。")),
		ok("2019-04-16 09:33", lcSteno, domain.RecordUtterance{MeetingID: "m-1", UtteranceID: "u-3", Kind: domain.UtteranceNarration, Paragraphs: []string{"（與會者皆無意見）"}}),
		ok("2019-04-16 13:00", lcStaff, domain.CloseMeeting{MeetingID: "m-1"}, "meeting.closed"),
		ok("2019-04-19 18:00", lcStaff, domain.PublishTranscript{MeetingID: "m-1"}, "transcript.published"),
		refused("2019-04-20 10:00", lcMohw, domain.EditUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"不是我的話"}}, domain.ErrForbidden, domain.RuleEditOwnWordsOnly),
		ok("2019-04-20 10:00", lcMoiChief, domain.EditUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"我們的壓力很大。"}}, "transcript.utterance_edited"),
		ok("2019-04-22 10:00", lcStaff, domain.RevertEdit{MeetingID: "m-1", UtteranceID: "u-1", ToVersion: 1, Reason: "改動語意"}, "transcript.edit_reverted"),
		ok("2019-04-22 10:05", lcStaff, domain.ReattributeSpeaker{MeetingID: "m-1", UtteranceID: "u-2", Speaker: domain.Speaker{Name: "經濟部PO葉景豪", ActorID: "po-moea"}, Reason: "發言者誤植"}, "transcript.speaker_reattributed"),

		// An archived PO monthly meeting: held, as its transcript shows; no ballots.
		imported("2017-04-10 00:00", lcStaff, domain.OpenMonthlyMeeting{MeetingID: "2017-04", HeldOn: calendar.MustParseDate("2017-04-10"), Imported: true}, "monthly.opened"),
		imported("2017-04-10 00:00", lcStaff, domain.RecordMonthlyHeld{MeetingID: "2017-04", Transcript: "m-2017-04", Speakers: []string{"唐鳳"}, Utterances: 40, Topics: []string{"新一代國家健保憑證規劃案"}}, "monthly.held"),
		refused("2019-03-06 15:01", lcStaff, domain.RecordMonthlyHeld{MeetingID: "2019-03", Transcript: "m-1"}, domain.ErrConflictingState, "monthly.record_held.closed"),
		// An archived meeting, imported with the dates it happened, and its
		// later versions.
		imported("2019-01-25 09:00", lcStaff, domain.ScheduleMeeting{MeetingID: "m-2", Kind: domain.MeetingOther, Title: "PO共識營（第二場）", StartsAt: tp("2019-01-25 09:00"), Imported: true}, "meeting.scheduled"),
		imported("2019-01-25 09:00", lcStaff, domain.ImportTranscript{MeetingID: "m-2", Source: "2019-01-25.an.xml", ContentHash: hashOf("v1"), Utterances: []domain.ImportedUtterance{
			imp("u-1", "甲", "可備預見。"), imp("u-2", "乙", "前半。後半。"), imp("u-3", "甲", "其實是丙說的。"),
			imp("u-4", "甲", "一。"), imp("u-5", "甲", "二。"), imp("u-6", "乙", "重複的一句。"), imp("u-7", "乙", "（與會者皆無意見）"),
		}}, "transcript.started", "transcript.imported", "transcript.utterance_recorded", "transcript.utterance_recorded", "transcript.utterance_recorded", "transcript.utterance_recorded", "transcript.utterance_recorded", "transcript.utterance_recorded", "transcript.utterance_recorded"),
		imported("2019-01-28 09:00", lcStaff, domain.PublishTranscript{MeetingID: "m-2"}),
		imported("2019-01-29 09:00", lcStaff, domain.ImportTranscriptVersion{MeetingID: "m-2", Revision: 2, Source: "02-abc.an.xml", ContentHash: hashOf("v2"), Editor: "Audrey Tang", Reason: "* 修正錯字", Changes: []domain.Command{
			domain.CorrectUtterance{MeetingID: "m-2", UtteranceID: "u-1", Paragraphs: []string{"可被預見。"}},
			domain.ReattributeSpeaker{MeetingID: "m-2", UtteranceID: "u-3", Speaker: domain.Speaker{Name: "丙", Ref: "丙"}},
		}}, "transcript.version_imported", "transcript.utterance_corrected", "transcript.speaker_reattributed"),
		ok("2019-04-23 09:00", lcStaff, domain.CorrectUtterance{MeetingID: "m-2", UtteranceID: "u-1", Paragraphs: []string{"可以預見。"}, Reason: "錯字"}),
		ok("2019-04-23 09:00", lcStaff, domain.CorrectUtterance{MeetingID: "m-2", UtteranceID: "u-4", Paragraphs: []string{"一,二(速記)。"}, Reason: "速記原文"}),
		ok("2019-04-23 09:00", lcStaff, domain.NormaliseTranscript{MeetingID: "m-2", Reason: "全形標點"}, "transcript.normalised"),
		refused("2019-04-23 09:00", lcStaff, domain.NormaliseTranscript{MeetingID: "m-2", Reason: "全形標點"}, domain.ErrConflictingState, "transcript.normalise.unchanged"),
		ok("2019-04-23 09:01", lcStaff, domain.InsertUtterance{MeetingID: "m-2", UtteranceID: "u-8", After: "u-1", Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{Name: "甲", Ref: "甲"}, Paragraphs: []string{"補上漏記的發言。"}, Reason: "漏記"}),
		ok("2019-04-23 09:02", lcStaff, domain.DeleteUtterance{MeetingID: "m-2", UtteranceID: "u-6", Reason: "重複"}),
		ok("2019-04-23 09:03", lcStaff, domain.SplitUtterance{MeetingID: "m-2", UtteranceID: "u-2", Paragraphs: []string{"前半。"}, Parts: []domain.UtterancePart{{UtteranceID: "u-2b", Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{Name: "丙"}, Paragraphs: []string{"後半。"}}}, Reason: "兩人發言"}),
		ok("2019-04-23 09:04", lcStaff, domain.MergeUtterances{MeetingID: "m-2", UtteranceID: "u-4", Merged: []domain.UtteranceID{"u-5"}, Paragraphs: []string{"一。二。"}, Reason: "同一段發言"}),
		ok("2019-04-23 09:05", lcStaff, domain.ReclassifyUtterance{MeetingID: "m-2", UtteranceID: "u-7", Kind: domain.UtteranceNarration, Reason: "旁白"}),

		// A case imported from an archive: linked to its Join proposal, its
		// record ended.
		imported("2017-04-28 09:00", lcStaff, domain.OpenCase{CaseID: "5", Title: "開放政府聯絡人第五次協作會議", SourceKind: domain.SourceImported, Ref: "pdis-archive:第5次協作會議"}, "case.opened"),
		imported("2017-04-28 09:00", lcStaff, domain.LinkCaseProposal{CaseID: "5", ProposalID: "p-8", Topic: "取消第八節課後輔導", Ministry: "moe", Evidence: "match score 11.8"}, "case.proposal_linked"),
		imported("2017-04-28 09:00", lcStaff, domain.EndCaseRecord{CaseID: "5", LastRecordAt: tp("2017-04-28 09:00"), Archive: "pdis-archive"}, "case.record_ended"),
		// Another, which a person reviewed: from no Join proposal.
		imported("2019-04-02 09:00", lcStaff, domain.OpenCase{CaseID: "47", Title: "開放政府第47次議題協作會議", SourceKind: domain.SourceImported, Ref: "pdis-archive:第47次協作會議"}, "case.opened"),
		imported("2019-04-02 09:00", lcStaff, domain.RecordNoProposal{CaseID: "47", Evidence: "reviewed mapping pdis-join.csv:30 (民航局's own draft rules)"}, "case.no_proposal_recorded"),
		// Recommendations, the report, the directive, the responses, closed.
		ok("2019-04-16 15:00", lcStaff, domain.RecordRecommendation{CaseID: "57", RecommendationID: "r1", MeetingID: "m-1", Text: "建議各部會指派專責PO", Addressees: []domain.MinistryID{"moi"}}, "case.recommendation_recorded"),
		refused("2019-04-16 15:00", lcStaff, domain.RecordRecommendation{CaseID: "57", RecommendationID: "r2", MeetingID: "m-2", Text: "別的會議", Addressees: []domain.MinistryID{"moi"}}, domain.ErrRuleViolated, "case.record_recommendation.meeting_not_of_case"),
		ok("2019-05-20 10:00", lcStaff, domain.ReportToPremier{CaseID: "57", Summary: "共識營結論"}, "case.reported_to_premier", "case.stage_changed"),
		refused("2019-05-21 10:00", lcStaff, domain.RecordDirective{CaseID: "57", Kind: domain.DirectiveWithinAuthority, Text: "請各部會本諸職權辦理"}, domain.ErrForbidden, domain.RuleRoleNotAllowed),
		ok("2019-05-21 10:00", lcSec, domain.RecordDirective{CaseID: "57", Kind: domain.DirectiveWithinAuthority, Text: "請各部會本諸職權辦理"}, "case.directive_recorded", "case.stage_changed"),
		refused("2019-06-20 10:00", lcMohwMin, domain.RecordResponse{CaseID: "57", RecommendationID: "r1", Verdict: domain.VerdictAdopted, Reasons: "不是給我們的"}, domain.ErrForbidden, domain.RuleResponseAddressee),
		ok("2019-06-20 10:00", lcMoi, domain.RecordResponse{CaseID: "57", RecommendationID: "r1", Verdict: domain.VerdictPartly, Reasons: "部分採納", FollowUp: "試辦"}, "case.response_recorded", "case.stage_changed"),
		ok("2019-06-30 10:00", lcStaff, domain.ChangeStage{CaseID: "57", To: domain.StageClosed, Reason: "all responded"}, "case.stage_changed"),
		refused("2019-07-01 10:00", lcStaff, domain.ChangeStage{CaseID: "57", To: domain.StageResearch, Reason: "重開"}, domain.ErrConflictingState, "case.change_stage.closed"),
	}
}

// lcClock is the handlers' clock, set by each step.
type lcClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *lcClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *lcClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func newLedger(t testing.TB, store eventstore.Store, clock *lcClock) *app.Ledger {
	t.Helper()
	l, err := app.NewLedger(store, app.LedgerConfig{
		Proposal: domain.ProposalConfig{Threshold: 3, Window: domain.Period{Days: 60}, Milestones: []int{1, 2}, ResponseDeadline: domain.Period{Months: 2}},
		Secret:   secret,
		Handler:  app.Config{Now: clock.Now},
		Erasable: lcSecrets(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestLedgerLifecycle drives every command of the policy table through
// Ledger.Execute, from an empty ledger to a closed case, on each backend.
// A refused command must append nothing.
func TestLedgerLifecycle(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			store, _ := open(t)
			ctx := context.Background()
			clock := &lcClock{}
			l := newLedger(t, store, clock)
			done := map[string]bool{}
			for i, s := range append(lifecycle(), erasureSteps()...) {
				at := tp(s.at)
				clock.set(at)
				var opts []app.Option
				if s.imported {
					opts = append(opts, app.WithOccurredAt(at), app.WithCorrelationID("import-1"))
				}
				head, err := store.Head(ctx)
				if err != nil {
					t.Fatal(err)
				}
				res, err := l.Execute(ctx, s.actor, s.cmd, opts...)
				label := fmt.Sprintf("step %d %s as %s", i, s.cmd.CommandName(), s.actor)
				if s.wantRule != "" || s.wantKind != nil {
					if err == nil {
						t.Fatalf("%s: want a refusal, stored %d events", label, len(res.Events))
					}
					if s.wantKind != nil && !errors.Is(err, s.wantKind) {
						t.Errorf("%s: error %v is not %v", label, err, s.wantKind)
					}
					if s.wantRule != "" && domain.RuleOf(err) != s.wantRule {
						t.Errorf("%s: rule %q, want %q (%v)", label, domain.RuleOf(err), s.wantRule, err)
					}
					if after, _ := store.Head(ctx); after != head {
						t.Fatalf("%s: refused, but the head moved from %d to %d", label, head, after)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", label, err)
				}
				if len(res.Events) == 0 {
					t.Fatalf("%s: accepted with no events", label)
				}
				types := make([]string, len(res.Events))
				for j, e := range res.Events {
					types[j] = e.Type
					if e.Stream != res.Stream || e.Metadata.CommandID != res.CommandID {
						t.Errorf("%s: event %d in %s/%s, result says %s/%s", label, j, e.Stream, e.Metadata.CommandID, res.Stream, res.CommandID)
					}
					if e.Type == "meeting.question_posted" {
						if e.Metadata.ActorID != "" {
							t.Errorf("%s: an anonymous question records its author %q", label, e.Metadata.ActorID)
						}
					} else if e.Metadata.ActorID != s.actor.ID || e.Metadata.ActorRole != string(s.actor.Role) {
						t.Errorf("%s: metadata actor %s/%s", label, e.Metadata.ActorID, e.Metadata.ActorRole)
					}
					if s.imported && (!e.Metadata.OccurredAt.Equal(at) || e.Metadata.CorrelationID != "import-1") {
						t.Errorf("%s: imported event occurred %v, correlation %q", label, e.Metadata.OccurredAt, e.Metadata.CorrelationID)
					}
					if !s.imported && !e.Metadata.OccurredAt.IsZero() {
						t.Errorf("%s: live event records occurred-at %v", label, e.Metadata.OccurredAt)
					}
				}
				if len(s.want) > 0 && !slices.Equal(types, s.want) {
					t.Errorf("%s: events %v, want %v", label, types, s.want)
				}
				done[s.cmd.CommandName()] = true
			}
			for _, name := range domain.CommandNames() {
				if !done[name] {
					t.Errorf("the lifecycle never executed %s", name)
				}
			}
		})
	}
}

// TestEveryPolicyCommandIsRouted: the Ledger knows every command of the
// policy table, and each prototype names its command.
func TestEveryPolicyCommandIsRouted(t *testing.T) {
	infos := app.Commands()
	if len(infos) != len(domain.Policy()) {
		t.Errorf("the ledger routes %d commands, the policy has %d", len(infos), len(domain.Policy()))
	}
	for _, name := range domain.CommandNames() {
		info, ok := app.LookupCommand(name)
		if !ok {
			t.Errorf("%s has no route", name)
			continue
		}
		if info.Prototype.CommandName() != name || info.Policy.Command != name || info.Aggregate == "" {
			t.Errorf("%s: %+v", name, info)
		}
	}
}

// TestLedgerRefusalsBeforeDeciding: the auditor, an unknown command, a
// pointer command.
func TestLedgerRefusalsBeforeDeciding(t *testing.T) {
	store, _ := backends["bbolt"](t)
	ctx := context.Background()
	clock := &lcClock{now: tp("2019-01-02 09:00")}
	l := newLedger(t, store, clock)
	for _, name := range domain.CommandNames() {
		info, _ := app.LookupCommand(name)
		_, err := l.Execute(ctx, lcAuditor, info.Prototype)
		if !errors.Is(err, domain.ErrForbidden) || domain.RuleOf(err) != domain.RuleRoleNotAllowed {
			t.Errorf("auditor %s: %v", name, err)
		}
	}
	if _, err := l.Execute(ctx, lcStaff, nil); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("nil command: %v", err)
	}
	res, err := l.Execute(ctx, lcStaff, &domain.RegisterMinistry{MinistryID: "moi", Name: "內政部"})
	if err != nil || len(res.Events) != 1 || res.Stream != domain.RegistryStream() {
		t.Fatalf("pointer command: %+v %v", res, err)
	}
	if head, _ := store.Head(ctx); head != 1 {
		t.Fatalf("head %d after one command", head)
	}
}

// TestVotedMeetingsSerialised: two voted topics' meetings of the same
// organiser scheduled at once, 10 days apart: exactly one is accepted.
func TestVotedMeetingsSerialised(t *testing.T) {
	store, _ := backends["bbolt"](t)
	ctx := context.Background()
	clock := &lcClock{}
	l := newLedger(t, store, clock)
	for _, s := range lifecycle() {
		if s.cmd.CommandName() == domain.CmdScheduleMeeting {
			break
		}
		if s.wantRule != "" || s.wantKind != nil {
			continue
		}
		clock.set(tp(s.at))
		if _, err := l.Execute(ctx, s.actor, s.cmd); err != nil {
			t.Fatalf("%s: %v", s.cmd.CommandName(), err)
		}
	}
	clock.set(tp("2019-04-02 10:00"))
	// A second voted topic, also led by moi.
	for _, cmd := range []domain.Command{
		domain.OpenCase{CaseID: "58", Title: "向山致敬", SourceKind: domain.SourceVotedTopic, MonthlyMeetingID: "2019-03", CandidateID: "c3"},
		domain.AssignLead{CaseID: "58", Ministry: "moi"},
	} {
		if _, err := l.Execute(ctx, lcStaff, cmd); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, day := range []string{"2019-04-16 09:30", "2019-04-26 09:30"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = l.Execute(ctx, lcStaff, domain.ScheduleMeeting{MeetingID: domain.MeetingID(fmt.Sprintf("m-%d", i+1)), CaseID: domain.CaseID([]string{"57", "58"}[i]), Kind: domain.MeetingCollaborative, Phase: domain.PhaseDiscover, Title: "協作會議", StartsAt: tp(day)})
		}()
	}
	wg.Wait()
	okCount := 0
	for _, err := range errs {
		switch {
		case err == nil:
			okCount++
		case domain.RuleOf(err) != "meeting.schedule.organiser_spacing":
			t.Errorf("schedule: %v", err)
		}
	}
	if okCount != 1 {
		t.Fatalf("%d of 2 voted meetings 10 days apart accepted (%v)", okCount, errs)
	}
	if got := l.VotedMeetings().VotedMeetingDates("moi", ""); len(got) != 1 {
		t.Fatalf("index holds %v", got)
	}
}

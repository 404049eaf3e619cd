package domain

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pdis/collab-ledger/domain/calendar"
)

// expectedPolicy is the issue's "who may do what", written out so that a
// change to the policy table has to change this test too.
var expectedPolicy = map[string]string{
	CmdSubmitProposal:             "citizen proposer",
	CmdPublishProposal:            "pdis",
	CmdSignProposal:               "citizen proposer",
	CmdInvalidateSignature:        "pdis",
	CmdExpireProposal:             "pdis",
	CmdExtendResponseDeadline:     "ministry",
	CmdRespondToProposal:          "ministry",
	CmdAddProposalResponse:        "ministry",
	CmdMarkResponseOverdue:        "pdis",
	CmdAssignLeads:                "pdis",
	CmdRecordSignatureListMissing: "pdis",
	CmdRecordLateSignatures:       "pdis",

	CmdErase:            "pdis",
	CmdRegisterMinistry: "pdis",
	CmdRegisterPO:       "po pdis",
	CmdRenewPO:          "po pdis",
	CmdRetirePO:         "po pdis",
	CmdChangePORole:     "pdis",

	CmdOpenMonthlyMeeting:  "pdis",
	CmdAddCandidate:        "po pdis secretariat",
	CmdCastBallot:          "po",
	CmdCloseMonthlyMeeting: "pdis",
	CmdRecordMonthlyHeld:   "pdis",

	CmdOpenCase:             "pdis secretariat",
	CmdAssignLead:           "pdis secretariat",
	CmdAddCoOrganiser:       "pdis",
	CmdRemoveCoOrganiser:    "pdis",
	CmdChangeStage:          "pdis",
	CmdAddStakeholder:       "po pdis",
	CmdRecordInterview:      "po pdis",
	CmdAddMaterial:          "po pdis ministry",
	CmdRecordRecommendation: "pdis",
	CmdReportToPremier:      "pdis secretariat",
	CmdRecordDirective:      "secretariat",
	CmdRecordResponse:       "ministry",

	CmdScheduleMeeting:  "pdis",
	CmdAddParticipant:   "pdis",
	CmdRecordAttendance: "pdis",
	CmdAddNote:          "pdis",
	CmdReviseNote:       "pdis",
	CmdRemoveNote:       "pdis",
	CmdPostQuestion:     "citizen proposer po pdis secretariat ministry",
	CmdAnswerQuestion:   "pdis",
	CmdArchiveQuestion:  "pdis",
	CmdAddRecording:     "pdis",
	CmdCloseMeeting:     "pdis",

	CmdStartTranscript:   "pdis stenographer",
	CmdRecordUtterance:   "stenographer",
	CmdPublishTranscript: "pdis",
	CmdEditUtterance:     "citizen proposer po pdis secretariat ministry",
	CmdRevertEdit:        "pdis",
	CmdReattribute:       "pdis",

	CmdImportTranscript:    "pdis",
	CmdImportVersion:       "pdis",
	CmdCorrectUtterance:    "pdis",
	CmdInsertUtterance:     "pdis",
	CmdDeleteUtterance:     "pdis",
	CmdSplitUtterance:      "pdis",
	CmdMergeUtterances:     "pdis",
	CmdReclassifyUtterance: "pdis",
	CmdNormaliseTranscript: "pdis",

	CmdLinkCaseProposal: "pdis",
	CmdEndCaseRecord:    "pdis",
	CmdRecordNoProposal: "pdis",
}

// matrixCase decides one command as the canonical actor of role, against a
// fresh state in which that actor passes every per-command check.
type matrixCase func(t *testing.T, role Role) ([]Event, error)

var at = tReport.Add(90 * 24 * time.Hour)

var matrixCases = map[string]matrixCase{
	CmdSubmitProposal: func(t *testing.T, r Role) ([]Event, error) {
		return NewProposal("p-2").Submit(SubmitProposal{ProposalID: "p-2", Title: "寵物友善乘車"}, actorFor(r), t0)
	},
	CmdPublishProposal: func(t *testing.T, r Role) ([]Event, error) {
		return submittedProposal(t).Publish(PublishProposal{ProposalID: "p-1", CompetentMinistry: "moi"}, actorFor(r), t0, DefaultProposalConfig())
	},
	CmdSignProposal: func(t *testing.T, r Role) ([]Event, error) {
		a := actorFor(r)
		return publishedProposal(t, DefaultProposalConfig()).Sign(SignProposal{ProposalID: "p-1", Signer: SignerID(a.ID)}, a, t0.Add(time.Hour))
	},
	CmdInvalidateSignature: func(t *testing.T, r Role) ([]Event, error) {
		return establishedProposal(t).InvalidateSignature(InvalidateSignature{ProposalID: "p-1", SignatureID: SignatureIDFor("p-1", signer(101)), Reason: "fraud"}, actorFor(r), t0.Add(5*time.Hour))
	},
	CmdExpireProposal: func(t *testing.T, r Role) ([]Event, error) {
		return publishedProposal(t, DefaultProposalConfig()).Expire(ExpireProposal{ProposalID: "p-1"}, actorFor(r), t0.Add(61*24*time.Hour))
	},
	CmdExtendResponseDeadline: func(t *testing.T, r Role) ([]Event, error) {
		return establishedProposal(t).ExtendResponseDeadline(ExtendResponseDeadline{ProposalID: "p-1", NewDueDate: calendar.MustParseDate("2019-05-31"), Reason: "公告延長"}, actorFor(r), t0.Add(30*24*time.Hour))
	},
	CmdRespondToProposal: func(t *testing.T, r Role) ([]Event, error) {
		return establishedProposal(t).Respond(RespondToProposal{ProposalID: "p-1", Summary: "研議中"}, actorFor(r), t0.Add(30*24*time.Hour))
	},
	CmdAddProposalResponse: func(t *testing.T, r Role) ([]Event, error) {
		p := establishedProposal(t)
		if _, err := DecideAndApply(p, func(p *Proposal) ([]Event, error) {
			return p.Respond(RespondToProposal{ProposalID: "p-1", Summary: "研議中"}, moiMinistry, t0.Add(30*24*time.Hour))
		}); err != nil {
			t.Fatal(err)
		}
		return p.AddResponse(AddProposalResponse{ProposalID: "p-1", Summary: "後續辦理情形"}, actorFor(r), t0.Add(40*24*time.Hour))
	},
	CmdMarkResponseOverdue: func(t *testing.T, r Role) ([]Event, error) {
		return establishedProposal(t).MarkResponseOverdue(MarkResponseOverdue{ProposalID: "p-1"}, actorFor(r), t0.Add(70*24*time.Hour))
	},
	CmdAssignLeads: func(t *testing.T, r Role) ([]Event, error) {
		return unassignedProposal(t, true).AssignLeads(AssignLeads{ProposalID: "p-1", Leads: []MinistryID{"mot"}}, actorFor(r), t0.Add(30*24*time.Hour), testRegistry(t))
	},
	CmdRecordSignatureListMissing: func(t *testing.T, r Role) ([]Event, error) {
		return publishedProposal(t, smallConfig).RecordSignatureListMissing(RecordSignatureListMissing{ProposalID: "p-1"}, actorFor(r), t0.Add(61*24*time.Hour))
	},
	CmdRecordLateSignatures: func(t *testing.T, r Role) ([]Event, error) {
		close := establishedProposal(t)
		at := close.SigningClosesAt()
		return close.RecordLateSignatures(RecordLateSignatures{ProposalID: "p-1", FirstRow: 4, LastRow: 6, LastAt: at.Add(time.Hour)}, actorFor(r), at)
	},

	CmdErase: func(t *testing.T, r Role) ([]Event, error) {
		return NewErasures().Decide(Erase{Person: "signer-007", Reason: "當事人請求刪除", LegalBasis: "個人資料保護法第11條第3項"}, actorFor(r), t0, []ErasedField{{EventID: "0190c1c2-0000-7000-8000-000000000001", Paths: []string{"signer"}}})
	},
	CmdRegisterMinistry: func(t *testing.T, r Role) ([]Event, error) {
		return testRegistry(t).RegisterMinistry(RegisterMinistry{MinistryID: "moc", Name: "文化部"}, actorFor(r), t0)
	},
	CmdRegisterPO: func(t *testing.T, r Role) ([]Event, error) {
		return testRegistry(t).RegisterPO(RegisterPO{POID: "po-moi-new", Name: "內政部新任PO", Ministry: "moi", Role: POUnit, Year: 2019}, actorFor(r), t0)
	},
	CmdRenewPO: func(t *testing.T, r Role) ([]Event, error) {
		return testRegistry(t).RenewPO(RenewPO{POID: "po-moi-unit", Year: 2020}, actorFor(r), t0)
	},
	CmdRetirePO: func(t *testing.T, r Role) ([]Event, error) {
		return testRegistry(t).RetirePO(RetirePO{POID: "po-moi-unit", Reason: "退休"}, actorFor(r), t0)
	},
	CmdChangePORole: func(t *testing.T, r Role) ([]Event, error) {
		return testRegistry(t).ChangePORole(ChangePORole{POID: "po-moi-chief", Role: POUnit, Reason: "改任單位PO"}, actorFor(r), t0)
	},

	CmdOpenMonthlyMeeting: func(t *testing.T, r Role) ([]Event, error) {
		return NewMonthlyMeeting("2019-04").Open(OpenMonthlyMeeting{MeetingID: "2019-04", HeldOn: calendar.MustParseDate("2019-04-10")}, actorFor(r), tMonthly, DefaultMonthlyConfig())
	},
	CmdAddCandidate: func(t *testing.T, r Role) ([]Event, error) {
		cmd := AddCandidate{MeetingID: "2019-03", CandidateID: "c9", Kind: CandidatePDISProposal, Title: "開放資料", Organiser: "moi"}
		switch r {
		case RolePO:
			cmd.Kind = CandidateMinistryProposal
		case RoleSecretariat:
			cmd.Kind, cmd.SourceRef = CandidateEYAssignment, "EY-108-0099"
		}
		return openMonthly(t).AddCandidate(cmd, actorFor(r), tMonthly, nil)
	},
	CmdCastBallot: func(t *testing.T, r Role) ([]Event, error) {
		return openMonthly(t).CastBallot(CastBallot{MeetingID: "2019-03", Choices: []CandidateID{"c1"}}, actorFor(r), tMonthly, testRegistry(t))
	},
	CmdCloseMonthlyMeeting: func(t *testing.T, r Role) ([]Event, error) {
		return openMonthly(t).Close(CloseMonthlyMeeting{MeetingID: "2019-03"}, actorFor(r), tMonthly, nil, nil)
	},
	CmdRecordMonthlyHeld: func(t *testing.T, r Role) ([]Event, error) {
		return importedMonthly(t).RecordHeld(RecordMonthlyHeld{MeetingID: "2017-04", Transcript: "akn-20170410-x", Speakers: []string{"唐鳳"}, Utterances: 3}, actorFor(r), tMonthly)
	},

	CmdOpenCase: func(t *testing.T, r Role) ([]Event, error) {
		cmd := OpenCase{CaseID: "58", Title: "健保卡虛擬卡", SourceKind: SourceVotedTopic, MonthlyMeetingID: "2019-03", CandidateID: "c2"}
		if r == RoleSecretariat {
			cmd = OpenCase{CaseID: "58", Title: "健保卡虛擬卡", SourceKind: SourceAssignment, Ref: "EY-108-0042"}
		}
		return NewCase("58").Open(cmd, actorFor(r), tCase, closedMonthly(t))
	},
	CmdAssignLead: func(t *testing.T, r Role) ([]Event, error) {
		return openedCase(t).AssignLead(AssignLead{CaseID: "57", Ministry: "mohw", Reason: "主政機關爭議"}, actorFor(r), tCase)
	},
	CmdAddCoOrganiser: func(t *testing.T, r Role) ([]Event, error) {
		return openedCase(t).AddCoOrganiser(AddCoOrganiser{CaseID: "57", Ministry: "mohw"}, actorFor(r), tCase)
	},
	CmdRemoveCoOrganiser: func(t *testing.T, r Role) ([]Event, error) {
		c := openedCase(t)
		do(t, c, func(c *Case) ([]Event, error) {
			return c.AddCoOrganiser(AddCoOrganiser{CaseID: "57", Ministry: "mohw"}, staff, tCase)
		})
		return c.RemoveCoOrganiser(RemoveCoOrganiser{CaseID: "57", Ministry: "mohw", Reason: "非主管業務"}, actorFor(r), tCase)
	},
	CmdChangeStage: func(t *testing.T, r Role) ([]Event, error) {
		return openedCase(t).ChangeStage(ChangeStage{CaseID: "57", To: StageDivisionOfLabour, Reason: "分工"}, actorFor(r), tCase)
	},
	CmdAddStakeholder: func(t *testing.T, r Role) ([]Event, error) {
		return openedCase(t).AddStakeholder(AddStakeholder{CaseID: "57", StakeholderID: "s-9", Category: StakeholderCivilSociety, Name: "台灣動物社會研究會"}, actorFor(r), tCase)
	},
	CmdRecordInterview: func(t *testing.T, r Role) ([]Event, error) {
		c := openedCase(t)
		do(t, c, func(c *Case) ([]Event, error) {
			return c.AddStakeholder(AddStakeholder{CaseID: "57", StakeholderID: "s-1", Category: StakeholderProposer, Name: "提案人"}, staff, tCase)
		})
		return c.RecordInterview(RecordInterview{CaseID: "57", InterviewID: "i-1", Stakeholders: []StakeholderID{"s-1"}, Summary: "訪談紀錄"}, actorFor(r), tCase.Add(time.Hour))
	},
	CmdAddMaterial: func(t *testing.T, r Role) ([]Event, error) {
		return openedCase(t).AddMaterial(AddMaterial{CaseID: "57", MaterialID: "mat-1", Title: "業務簡報", SHA256: strings.Repeat("ab", 32), URL: "https://example.org/brief.pdf"}, actorFor(r), tCase)
	},
	CmdRecordRecommendation: func(t *testing.T, r Role) ([]Event, error) {
		c := caseAt(t, StageMeetings)
		return c.RecordRecommendation(RecordRecommendation{CaseID: "57", RecommendationID: "r9", MeetingID: "m-1", Text: "建議", Addressees: []MinistryID{"moi"}}, actorFor(r), tMeeting, scheduledMeeting(t, c))
	},
	CmdReportToPremier: func(t *testing.T, r Role) ([]Event, error) {
		return caseAt(t, "meetings+rec").ReportToPremier(ReportToPremier{CaseID: "57", Summary: "報告"}, actorFor(r), tReport)
	},
	CmdRecordDirective: func(t *testing.T, r Role) ([]Event, error) {
		return caseAt(t, StageReported).RecordDirective(RecordDirective{CaseID: "57", Kind: DirectiveWithinAuthority, Text: "本諸職權辦理"}, actorFor(r), tReport)
	},
	CmdRecordResponse: func(t *testing.T, r Role) ([]Event, error) {
		return caseAt(t, StageDirective).RecordResponse(RecordResponse{CaseID: "57", RecommendationID: "r1", Verdict: VerdictPartly, Reasons: "部分採納", FollowUp: "試辦"}, actorFor(r), at)
	},

	CmdScheduleMeeting: func(t *testing.T, r Role) ([]Event, error) {
		c := caseAt(t, StageMeetings)
		return NewMeeting("m-2").Schedule(ScheduleMeeting{MeetingID: "m-2", CaseID: "57", Kind: MeetingCollaborative, Phase: PhaseDefine, Title: "第二場", StartsAt: tMeeting.Add(60 * 24 * time.Hour)}, actorFor(r), tCase, c, DefaultMonthlyConfig(), nil)
	},
	CmdAddParticipant: func(t *testing.T, r Role) ([]Event, error) {
		return meetingWithContent(t).AddParticipant(AddParticipant{MeetingID: "m-1", ParticipantID: "pt-2", Name: "衛福部", Role: ParticipantMinistry, Ministry: "mohw"}, actorFor(r), tMeeting)
	},
	CmdRecordAttendance: func(t *testing.T, r Role) ([]Event, error) {
		return meetingWithContent(t).RecordAttendance(RecordAttendance{MeetingID: "m-1", ParticipantID: "pt-1", Present: true}, actorFor(r), tMeeting)
	},
	CmdAddNote: func(t *testing.T, r Role) ([]Event, error) {
		return meetingWithContent(t).AddNote(AddNote{MeetingID: "m-1", NoteID: "n-2", Board: BoardConceptSheet, Sheet: "A", Section: SectionProblem, Text: "業務單位壓力"}, actorFor(r), tMeeting)
	},
	CmdReviseNote: func(t *testing.T, r Role) ([]Event, error) {
		return meetingWithContent(t).ReviseNote(ReviseNote{MeetingID: "m-1", NoteID: "n-1", Text: "院會報告的壓力", Reason: "較精確"}, actorFor(r), tMeeting)
	},
	CmdRemoveNote: func(t *testing.T, r Role) ([]Event, error) {
		return meetingWithContent(t).RemoveNote(RemoveNote{MeetingID: "m-1", NoteID: "n-1", Reason: "斷章取義"}, actorFor(r), tMeeting)
	},
	CmdPostQuestion: func(t *testing.T, r Role) ([]Event, error) {
		return meetingWithContent(t).PostQuestion(withAuthor(PostQuestion{MeetingID: "m-1", QuestionID: "q-2", Text: "問題"}, actorFor(r)), actorFor(r), tMeeting)
	},
	CmdAnswerQuestion: func(t *testing.T, r Role) ([]Event, error) {
		return meetingWithContent(t).AnswerQuestion(AnswerQuestion{MeetingID: "m-1", QuestionID: "q-1", Answer: "會"}, actorFor(r), tMeeting)
	},
	CmdArchiveQuestion: func(t *testing.T, r Role) ([]Event, error) {
		return meetingWithContent(t).ArchiveQuestion(ArchiveQuestion{MeetingID: "m-1", QuestionID: "q-1"}, actorFor(r), tMeeting)
	},
	CmdAddRecording: func(t *testing.T, r Role) ([]Event, error) {
		return meetingWithContent(t).AddRecording(AddRecording{MeetingID: "m-1", RecordingID: "rec-1", Kind: RecordingVideo, URL: "https://www.youtube.com/watch?v=x"}, actorFor(r), tMeeting)
	},
	CmdCloseMeeting: func(t *testing.T, r Role) ([]Event, error) {
		return meetingWithContent(t).Close(CloseMeeting{MeetingID: "m-1"}, actorFor(r), tMeeting.Add(8*time.Hour))
	},

	CmdStartTranscript: func(t *testing.T, r Role) ([]Event, error) {
		return NewTranscript("m-1").Start(StartTranscript{MeetingID: "m-1"}, actorFor(r), tMeeting, scheduledMeeting(t, caseAt(t, StageMeetings)))
	},
	CmdRecordUtterance: func(t *testing.T, r Role) ([]Event, error) {
		return transcriptOf(t).RecordUtterance(RecordUtterance{MeetingID: "m-1", UtteranceID: "u-x", Kind: UtteranceSpeech, Speaker: Speaker{Name: "唐鳳"}, Paragraphs: []string{"謝謝。"}}, actorFor(r), tMeeting)
	},
	CmdPublishTranscript: func(t *testing.T, r Role) ([]Event, error) {
		return transcriptOf(t).Publish(PublishTranscript{MeetingID: "m-1"}, actorFor(r), tPublished, DefaultTranscriptConfig(), calendar.Taiwan())
	},
	CmdEditUtterance: func(t *testing.T, r Role) ([]Event, error) {
		a := actorFor(r)
		tr := publishedTranscript(t, speakerOf(a, "發言人"))
		return tr.Edit(EditUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"修過的發言。"}}, a, tPublished.Add(24*time.Hour))
	},
	CmdRevertEdit: func(t *testing.T, r Role) ([]Event, error) {
		tr := publishedTranscript(t, speakerOf(moiChief, "內政部PO"))
		do(t, tr, func(tr *Transcript) ([]Event, error) {
			return tr.Edit(EditUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"改錯了"}}, moiChief, tPublished.Add(time.Hour))
		})
		return tr.RevertEdit(RevertEdit{MeetingID: "m-1", UtteranceID: "u-1", ToVersion: 1, Reason: "改動他人語意"}, actorFor(r), tPublished.Add(2*time.Hour))
	},
	CmdReattribute: func(t *testing.T, r Role) ([]Event, error) {
		tr := publishedTranscript(t, Speaker{Name: "葉景豪"})
		return tr.ReattributeSpeaker(ReattributeSpeaker{MeetingID: "m-1", UtteranceID: "u-1", Speaker: Speaker{Name: "經濟部PO葉景豪", ActorID: "po-moea"}, Reason: "發言者誤植"}, actorFor(r), tPublished)
	},

	CmdImportTranscript: func(t *testing.T, r Role) ([]Event, error) {
		return NewTranscript("m-1").Import(importFixture(), actorFor(r), tMeeting, scheduledMeeting(t, caseAt(t, StageMeetings)))
	},
	CmdImportVersion: func(t *testing.T, r Role) ([]Event, error) {
		return importedTranscript(t).ImportVersion(ImportTranscriptVersion{MeetingID: "m-1", Revision: 2, Source: "02-abc.an.xml", ContentHash: testHash("v2"), Editor: "Audrey Tang", Reason: "* 修正錯字", Changes: []Command{
			CorrectUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"可被預見。"}},
			SplitUtterance{MeetingID: "m-1", UtteranceID: "u-2", Paragraphs: []string{"前半。"}, Parts: []UtterancePart{{UtteranceID: "v2-1", Kind: UtteranceSpeech, Speaker: Speaker{Name: "乙", Ref: "乙"}, Paragraphs: []string{"後半。"}}}},
			MergeUtterances{MeetingID: "m-1", UtteranceID: "u-4", Merged: []UtteranceID{"u-5"}, Paragraphs: []string{"一。", "二。"}},
			InsertUtterance{MeetingID: "m-1", UtteranceID: "v2-2", After: "u-1", Kind: UtteranceNarration, Paragraphs: []string{"（與會者皆無意見）"}},
			DeleteUtterance{MeetingID: "m-1", UtteranceID: "u-6"},
			ReclassifyUtterance{MeetingID: "m-1", UtteranceID: "u-7", Kind: UtteranceNarration},
			ReattributeSpeaker{MeetingID: "m-1", UtteranceID: "u-3", Speaker: Speaker{Name: "丙", Ref: "丙"}},
		}}, actorFor(r), tPublished.Add(48*time.Hour))
	},
	CmdCorrectUtterance: func(t *testing.T, r Role) ([]Event, error) {
		return importedTranscript(t).Correct(CorrectUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"組工會"}, Editor: "Audrey Tang", Reason: "錯字"}, actorFor(r), tPublished.Add(time.Hour))
	},
	CmdInsertUtterance: func(t *testing.T, r Role) ([]Event, error) {
		return importedTranscript(t).Insert(InsertUtterance{MeetingID: "m-1", UtteranceID: "u-new", After: "u-2", Kind: UtteranceSpeech, Speaker: Speaker{Name: "甲", Ref: "甲"}, Paragraphs: []string{"補上漏記的發言。"}, Reason: "漏記"}, actorFor(r), tPublished.Add(time.Hour))
	},
	CmdDeleteUtterance: func(t *testing.T, r Role) ([]Event, error) {
		return importedTranscript(t).Delete(DeleteUtterance{MeetingID: "m-1", UtteranceID: "u-6", Reason: "重複"}, actorFor(r), tPublished.Add(time.Hour))
	},
	CmdSplitUtterance: func(t *testing.T, r Role) ([]Event, error) {
		return importedTranscript(t).Split(SplitUtterance{MeetingID: "m-1", UtteranceID: "u-2", Paragraphs: []string{"前半。"}, Parts: []UtterancePart{{UtteranceID: "u-2b", Kind: UtteranceSpeech, Speaker: Speaker{Name: "丙"}, Paragraphs: []string{"後半。"}}}, Reason: "兩人發言"}, actorFor(r), tPublished.Add(time.Hour))
	},
	CmdMergeUtterances: func(t *testing.T, r Role) ([]Event, error) {
		return importedTranscript(t).Merge(MergeUtterances{MeetingID: "m-1", UtteranceID: "u-4", Merged: []UtteranceID{"u-5"}, Paragraphs: []string{"一。二。"}, Reason: "同一段發言"}, actorFor(r), tPublished.Add(time.Hour))
	},
	CmdLinkCaseProposal: func(t *testing.T, r Role) ([]Event, error) {
		return importedCase(t).LinkProposal(LinkCaseProposal{CaseID: "5", ProposalID: "f57c0195-aaaa", Topic: "強制取消國中、高中的第八節課後輔導", Ministry: "edu", Evidence: "match score 11.8"}, actorFor(r), tCase)
	},
	CmdEndCaseRecord: func(t *testing.T, r Role) ([]Event, error) {
		return importedCase(t).EndRecord(EndCaseRecord{CaseID: "5", LastRecordAt: tCase, Archive: "pdis-archive"}, actorFor(r), tCase)
	},
	CmdRecordNoProposal: func(t *testing.T, r Role) ([]Event, error) {
		return importedCase(t).RecordNoProposal(RecordNoProposal{CaseID: "5", Evidence: "reviewed mapping pdis-join.csv:9 (a ministry's own topic)"}, actorFor(r), tCase)
	},
	CmdReclassifyUtterance: func(t *testing.T, r Role) ([]Event, error) {
		return importedTranscript(t).Reclassify(ReclassifyUtterance{MeetingID: "m-1", UtteranceID: "u-7", Kind: UtteranceNarration, Reason: "旁白"}, actorFor(r), tPublished.Add(time.Hour))
	},
	CmdNormaliseTranscript: func(t *testing.T, r Role) ([]Event, error) {
		tr := importedTranscript(t)
		do(t, tr, func(tr *Transcript) ([]Event, error) {
			return tr.Correct(CorrectUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"可被預見,組工會(速記)"}, Reason: "速記原文"}, staff, tPublished.Add(time.Hour))
		})
		return tr.Normalise(NormaliseTranscript{MeetingID: "m-1", Reason: "全形標點"}, actorFor(r), tPublished.Add(2*time.Hour))
	},
}

// TestPolicyTableIsTheIssueMatrix checks the policy table against the
// issue's who-may-do-what, command by command.
func TestPolicyTableIsTheIssueMatrix(t *testing.T) {
	if len(Policy()) != len(expectedPolicy) {
		t.Errorf("policy has %d commands, expected %d", len(Policy()), len(expectedPolicy))
	}
	for _, rule := range Policy() {
		want, ok := expectedPolicy[rule.Command]
		if !ok {
			t.Errorf("%s is in the policy but not in the expected matrix", rule.Command)
			continue
		}
		got := make([]string, len(rule.Roles))
		for i, r := range rule.Roles {
			got[i] = string(r)
		}
		slices.Sort(got)
		wantRoles := strings.Fields(want)
		slices.Sort(wantRoles)
		if strings.Join(got, " ") != strings.Join(wantRoles, " ") {
			t.Errorf("%s: roles %q, want %q", rule.Command, strings.Join(got, " "), want)
		}
		if slices.Contains(rule.Roles, RoleAuditor) {
			t.Errorf("%s allows the auditor, who reads only", rule.Command)
		}
	}
}

// TestEveryCommandTimesEveryRole decides every command as every role:
// allowed roles succeed, the others are refused as forbidden with no events.
func TestEveryCommandTimesEveryRole(t *testing.T) {
	for _, cmd := range CommandNames() {
		decide, ok := matrixCases[cmd]
		if !ok {
			t.Errorf("no matrix case for command %s", cmd)
			continue
		}
		for _, role := range Roles() {
			t.Run(cmd+"/"+string(role), func(t *testing.T) {
				evs, err := decide(t, role)
				if Allowed(cmd, role) {
					if err != nil {
						t.Fatalf("%s may %s, but was refused: %v", role, cmd, err)
					}
					if len(evs) == 0 {
						t.Fatalf("%s may %s, but no events were decided", role, cmd)
					}
					return
				}
				wantRule(t, evs, err, ErrForbidden, RuleRoleNotAllowed)
			})
		}
	}
	for cmd := range matrixCases {
		if _, ok := policyIndex[cmd]; !ok {
			t.Errorf("matrix case for %s, which is not in the policy", cmd)
		}
	}
}

// TestEveryCommandTypeNamesAPolicyEntry checks that every command struct's
// name is in the policy table and the aggregate's Decide dispatches it.
func TestEveryCommandTypeNamesAPolicyEntry(t *testing.T) {
	commands := []Command{
		SubmitProposal{}, PublishProposal{}, SignProposal{}, InvalidateSignature{}, ExpireProposal{}, ExtendResponseDeadline{}, RespondToProposal{}, AddProposalResponse{}, MarkResponseOverdue{},
		AssignLeads{}, RecordSignatureListMissing{}, RecordLateSignatures{},
		Erase{},
		RegisterMinistry{}, RegisterPO{}, RenewPO{}, RetirePO{}, ChangePORole{},
		OpenMonthlyMeeting{}, AddCandidate{}, CastBallot{}, CloseMonthlyMeeting{}, RecordMonthlyHeld{},
		OpenCase{}, AssignLead{}, AddCoOrganiser{}, RemoveCoOrganiser{}, ChangeStage{}, AddStakeholder{}, RecordInterview{}, AddMaterial{}, RecordRecommendation{}, ReportToPremier{}, RecordDirective{}, RecordResponse{},
		ScheduleMeeting{}, AddParticipant{}, RecordAttendance{}, AddNote{}, ReviseNote{}, RemoveNote{}, PostQuestion{}, AnswerQuestion{}, ArchiveQuestion{}, AddRecording{}, CloseMeeting{},
		StartTranscript{}, RecordUtterance{}, PublishTranscript{}, EditUtterance{}, RevertEdit{}, ReattributeSpeaker{},
		ImportTranscript{}, ImportTranscriptVersion{}, CorrectUtterance{}, InsertUtterance{}, DeleteUtterance{}, SplitUtterance{}, MergeUtterances{}, ReclassifyUtterance{}, NormaliseTranscript{},
		LinkCaseProposal{}, EndCaseRecord{}, RecordNoProposal{},
	}
	seen := map[string]bool{}
	for _, c := range commands {
		name := c.CommandName()
		if _, ok := policyIndex[name]; !ok {
			t.Errorf("%T names %q, not in the policy", c, name)
		}
		seen[name] = true
		// Every aggregate's Decide knows it: an auditor is refused by the
		// policy, not by "unknown command".
		var err error
		switch {
		case strings.HasPrefix(name, "proposal."):
			_, err = NewProposal("x").Decide(c, auditor, t0, DefaultProposalConfig())
		case strings.HasPrefix(name, "registry."):
			_, err = NewRegistry().Decide(c, auditor, t0)
		case strings.HasPrefix(name, "ledger."):
			_, err = NewErasures().Decide(c, auditor, t0, nil)
		case strings.HasPrefix(name, "monthly."):
			_, err = NewMonthlyMeeting("x").Decide(c, auditor, t0, DefaultMonthlyConfig(), nil, nil, nil, nil)
		case strings.HasPrefix(name, "case."):
			_, err = NewCase("x").Decide(c, auditor, t0, nil, nil)
		case strings.HasPrefix(name, "meeting."):
			_, err = NewMeeting("x").Decide(c, auditor, t0, nil, DefaultMonthlyConfig(), nil)
		case strings.HasPrefix(name, "transcript."):
			_, err = NewTranscript("x").Decide(c, auditor, t0, nil, DefaultTranscriptConfig(), nil)
		}
		if RuleOf(err) != RuleRoleNotAllowed {
			t.Errorf("Decide(%T) as auditor: %v, want %s", c, err, RuleRoleNotAllowed)
		}
	}
	for _, name := range CommandNames() {
		if !seen[name] {
			t.Errorf("policy command %s has no command type", name)
		}
	}
	// A command of another aggregate is not dispatched.
	if _, err := NewProposal("x").Decide(CloseMeeting{}, staff, t0, DefaultProposalConfig()); !errors.Is(err, ErrRuleViolated) {
		t.Errorf("proposal Decide(CloseMeeting) = %v", err)
	}
}

func TestMalformedActorsAreForbidden(t *testing.T) {
	p := publishedProposal(t, DefaultProposalConfig())
	for name, a := range map[string]Actor{
		"no ID":                   {Role: RoleCitizen},
		"unknown role":            {ID: "x", Role: "mayor"},
		"PO without a ministry":   {ID: "x", Role: RolePO},
		"citizen with a ministry": {ID: "x", Role: RoleCitizen, Ministry: "moi"},
		"ministry with a bad ID":  {ID: "x", Role: RoleMinistry, Ministry: "內政部"},
	} {
		t.Run(name, func(t *testing.T) {
			evs, err := p.Sign(SignProposal{ProposalID: "p-1", Signer: signer(1)}, a, t0)
			wantRule(t, evs, err, ErrForbidden, "policy.actor.invalid")
		})
	}
	if _, err := NewActor("staff-1", RolePDIS, ""); err != nil {
		t.Errorf("NewActor(valid) = %v", err)
	}
	if err := Authorize("proposal.fly", staff); RuleOf(err) != "policy.unknown_command" {
		t.Errorf("Authorize(unknown) = %v", err)
	}
	_ = uuid.Nil
}

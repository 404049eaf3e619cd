// Package reportstest records a small period of the participation process
// through the real command side (app.Ledger), for the tests of the period
// report: its figures are worked out by hand in those tests
// (reports/story_test.go), and the server's browser test prints it.
//
// The period is the first half of 2026 (Period); the story runs from
// December 2025 to July 2026 so that the period's edges are exercised. A
// Ledger recording it needs Config (3 signatures establish a proposal).
package reportstest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
)

// Period is the report's period: 2026-01-01 to 2026-06-30, inclusive.
const (
	From = "2026-01-01"
	To   = "2026-06-30"
)

// Config is the Ledger configuration the story is decided with: a
// proposal is established by 3 signatures within 60 days and answered
// within 2 months; the other numbers are the defaults.
func Config(secret []byte) app.LedgerConfig {
	return app.LedgerConfig{
		Proposal: domain.ProposalConfig{Threshold: 3, Window: domain.Period{Days: 60}, ResponseDeadline: domain.Period{Months: 2}},
		Secret:   secret,
	}
}

// Options vary the story.
type Options struct {
	// Voters adds that many ministries (x01, x02, …, registered with a
	// name and a chief PO) whose POs vote in the February monthly meeting
	// for the Join proposal already leading: every figure but the ballots
	// stays as it is, and the ballots table grows a row each (long enough
	// to print over several pages).
	Voters int
}

// The story's people.
var (
	Staff = domain.Actor{ID: "pdis-host-1", Role: domain.RolePDIS}
	sec   = domain.Actor{ID: "ey-sec-1", Role: domain.RoleSecretariat}
	steno = domain.Actor{ID: "steno-1", Role: domain.RoleStenographer}
)

func po(m domain.MinistryID) domain.Actor {
	return domain.Actor{ID: "po-" + string(m) + "-chief", Role: domain.RolePO, Ministry: m}
}

func official(m domain.MinistryID) domain.Actor {
	return domain.Actor{ID: string(m) + "-official", Role: domain.RoleMinistry, Ministry: m}
}

// At is a story time, "2026-01-05 10:00" in Asia/Taipei.
func At(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Taipei)
	if err != nil {
		panic(err)
	}
	return t
}

type step struct {
	at    string
	actor domain.Actor
	cmd   domain.Command
}

// Record records the story through l, each command as its actor at its
// story time (app.WithOccurredAt): a period's proposals signed,
// established, expired, answered on time, late and not at all, one with a
// deadline extended; the February PO monthly meeting's candidates, ballots
// and tally; a Join case through every stage to closed (a pre-meeting, two
// collaborative meetings with attendance, transcripts edited by their
// speaker, recommendations, the report to the Premier, the directive and
// four responses), a ministry's case at the division of labour and an
// Executive Yuan assignment whose lead was reassigned.
func Record(ctx context.Context, l *app.Ledger, opts Options) error {
	citizen := func(n int) domain.Actor {
		return domain.Actor{ID: string(l.Pseudonym(fmt.Sprintf("reportstest-citizen-%d", n))), Role: domain.RoleCitizen}
	}
	proposer := domain.Actor{ID: string(l.Pseudonym("reportstest-proposer")), Role: domain.RoleProposer}
	var steps []step
	add := func(at string, actor domain.Actor, cmd domain.Command) {
		steps = append(steps, step{at, actor, cmd})
	}
	// signs adds n signatures on p, an hour apart, the last at "at".
	signs := func(p domain.ProposalID, n int, at string) {
		last := At(at)
		for i := range n {
			c := citizen(i + 1)
			add(last.Add(-time.Duration(n-1-i)*time.Hour).Format("2006-01-02 15:04"), c, domain.SignProposal{ProposalID: p, Signer: domain.SignerID(c.ID)})
		}
	}
	proposal := func(p domain.ProposalID, m domain.MinistryID, published string) {
		pub := At(published)
		add(pub.Add(-24*time.Hour).Format("2006-01-02 15:04"), proposer, domain.SubmitProposal{ProposalID: p, Title: "提案 " + string(p), Summary: "摘要"})
		add(published, Staff, domain.PublishProposal{ProposalID: p, CompetentMinistry: m})
	}

	// The registry.
	for _, m := range []domain.RegisterMinistry{{MinistryID: "moi", Name: "內政部"}, {MinistryID: "mohw", Name: "衛生福利部"}, {MinistryID: "mot", Name: "交通部"}} {
		add("2025-12-01 09:00", Staff, m)
		add("2025-12-01 09:10", Staff, domain.RegisterPO{POID: po(m.MinistryID).ID, Name: m.Name + "主任PO", Ministry: m.MinistryID, Role: domain.POChief, Year: 2026})
	}
	var voters []domain.MinistryID
	for i := range opts.Voters {
		m := domain.MinistryID(fmt.Sprintf("x%02d", i+1))
		voters = append(voters, m)
		add("2025-12-02 09:00", Staff, domain.RegisterMinistry{MinistryID: m, Name: fmt.Sprintf("測試部%02d", i+1)})
		add("2025-12-02 09:10", Staff, domain.RegisterPO{POID: po(m).ID, Name: fmt.Sprintf("測試部%02d主任PO", i+1), Ministry: m, Role: domain.POChief, Year: 2026})
	}

	// Proposals. p1: published before the period, established in it
	// (21 days), answered on time. p2: established (14 days), never
	// answered, recorded missed. p3: expired. p4: established (10 days),
	// deadline extended, answered after the new deadline. p5: established
	// (20 days), due in the period, not answered yet. p6: published, still
	// open.
	proposal("p1", "moi", "2025-12-15 10:00")
	signs("p1", 3, "2026-01-05 10:00")
	proposal("p2", "moi", "2026-01-10 10:00")
	signs("p2", 3, "2026-01-24 10:00")
	proposal("p3", "mohw", "2026-01-12 10:00")
	signs("p3", 1, "2026-01-20 10:00")
	proposal("p4", "mohw", "2026-02-01 10:00")
	signs("p4", 3, "2026-02-11 10:00")
	add("2026-02-20 10:00", official("moi"), domain.RespondToProposal{ProposalID: "p1", Summary: "本部將研議辦理", Link: "https://join.gov.tw/idea/detail/p1"})
	add("2026-03-14 09:00", Staff, domain.ExpireProposal{ProposalID: "p3"})
	proposal("p5", "mot", "2026-03-21 10:00")
	add("2026-03-25 10:00", Staff, domain.MarkResponseOverdue{ProposalID: "p2"})
	add("2026-04-01 10:00", official("mohw"), domain.ExtendResponseDeadline{ProposalID: "p4", NewDueDate: calendar.MustParseDate("2026-05-15"), Reason: "跨部會協調"})
	signs("p5", 3, "2026-04-10 10:00")
	add("2026-05-20 10:00", official("mohw"), domain.RespondToProposal{ProposalID: "p4", Summary: "逾期回應"})
	proposal("p6", "moi", "2026-06-20 10:00")

	// The February PO monthly meeting: three candidates, a ballot per
	// ministry; the tally selects c1 (p1) and c2.
	add("2026-02-04 14:00", Staff, domain.OpenMonthlyMeeting{MeetingID: "2026-02", HeldOn: calendar.MustParseDate("2026-02-04")})
	add("2026-02-04 14:05", Staff, domain.AddCandidate{MeetingID: "2026-02", CandidateID: "c1", Kind: domain.CandidateEstablishedProposal, Title: "提案 p1", Organiser: "moi", SourceRef: "p1"})
	add("2026-02-04 14:06", po("mohw"), domain.AddCandidate{MeetingID: "2026-02", CandidateID: "c2", Kind: domain.CandidateMinistryProposal, Title: "衛福部提案", Organiser: "mohw"})
	add("2026-02-04 14:07", Staff, domain.AddCandidate{MeetingID: "2026-02", CandidateID: "c3", Kind: domain.CandidatePDISProposal, Title: "PDIS 提案", Organiser: "mot"})
	add("2026-02-04 14:30", po("moi"), domain.CastBallot{MeetingID: "2026-02", Choices: []domain.CandidateID{"c1", "c2"}})
	add("2026-02-04 14:31", po("mohw"), domain.CastBallot{MeetingID: "2026-02", Choices: []domain.CandidateID{"c2", "c1"}})
	add("2026-02-04 14:32", po("mot"), domain.CastBallot{MeetingID: "2026-02", Choices: []domain.CandidateID{"c3", "c1"}})
	for _, m := range voters {
		add("2026-02-04 14:40", po(m), domain.CastBallot{MeetingID: "2026-02", Choices: []domain.CandidateID{"c1"}})
	}
	add("2026-02-04 15:00", Staff, domain.CloseMonthlyMeeting{MeetingID: "2026-02"})

	// Case c-1, from the Join proposal: every stage to closed.
	add("2026-02-05 10:00", Staff, domain.OpenCase{CaseID: "c-1", Title: "Join 提案 p1", SourceKind: domain.SourceVotedTopic, MonthlyMeetingID: "2026-02", CandidateID: "c1"})
	add("2026-02-06 10:00", Staff, domain.AssignLead{CaseID: "c-1", Ministry: "moi"})
	add("2026-02-06 11:00", Staff, domain.AddCoOrganiser{CaseID: "c-1", Ministry: "mohw"})
	add("2026-02-09 10:00", Staff, domain.ChangeStage{CaseID: "c-1", To: domain.StageDivisionOfLabour, Reason: "分工"})
	add("2026-02-16 10:00", Staff, domain.ChangeStage{CaseID: "c-1", To: domain.StageResearch, Reason: "研究"})
	add("2026-02-17 10:00", po("moi"), domain.AddStakeholder{CaseID: "c-1", StakeholderID: "s1", Category: domain.StakeholderCivilSociety, Name: "公民團體"})
	add("2026-02-17 10:05", po("moi"), domain.AddStakeholder{CaseID: "c-1", StakeholderID: "s2", Category: domain.StakeholderIndustry, Name: "產業公會"})
	add("2026-02-17 10:10", Staff, domain.AddStakeholder{CaseID: "c-1", StakeholderID: "s3", Category: domain.StakeholderAcademia, Name: "學者"})
	add("2026-02-25 10:00", Staff, domain.ScheduleMeeting{MeetingID: "m-pre", CaseID: "c-1", Kind: domain.MeetingPreMeeting, Title: "會前會", StartsAt: At("2026-03-05 14:00")})
	add("2026-03-02 10:00", Staff, domain.ChangeStage{CaseID: "c-1", To: domain.StagePreMeeting, Reason: "會前會"})
	add("2026-03-09 10:00", Staff, domain.ChangeStage{CaseID: "c-1", To: domain.StageMeetings, Reason: "協作會議"})
	add("2026-03-09 11:00", Staff, domain.ScheduleMeeting{MeetingID: "m-1", CaseID: "c-1", Kind: domain.MeetingCollaborative, Phase: domain.PhaseDiscover, Title: "第一場協作會議", StartsAt: At("2026-03-16 14:00")})
	add("2026-03-16 13:00", Staff, domain.AddParticipant{MeetingID: "m-1", ParticipantID: "pt-1", Name: "公民團體代表", Role: domain.ParticipantStakeholder, StakeholderID: "s1"})
	add("2026-03-16 13:01", Staff, domain.AddParticipant{MeetingID: "m-1", ParticipantID: "pt-2", Name: "產業公會代表", Role: domain.ParticipantStakeholder, StakeholderID: "s2"})
	add("2026-03-16 14:00", Staff, domain.RecordAttendance{MeetingID: "m-1", ParticipantID: "pt-1", Present: true})
	add("2026-03-16 14:01", Staff, domain.RecordAttendance{MeetingID: "m-1", ParticipantID: "pt-2", Present: false})
	add("2026-03-16 14:00", steno, domain.StartTranscript{MeetingID: "m-1"})
	add("2026-03-16 14:05", steno, domain.RecordUtterance{MeetingID: "m-1", UtteranceID: "u-1", Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{ActorID: po("moi").ID, Name: "內政部主任PO"}, Paragraphs: []string{"我們壓力有一點大。"}})
	add("2026-03-16 17:00", Staff, domain.CloseMeeting{MeetingID: "m-1"})
	add("2026-03-17 10:00", Staff, domain.PublishTranscript{MeetingID: "m-1"})
	add("2026-03-18 10:00", po("moi"), domain.EditUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"我們的壓力很大。"}})
	add("2026-03-19 10:00", po("moi"), domain.EditUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"我們的壓力相當大。"}})
	add("2026-04-20 10:00", Staff, domain.ScheduleMeeting{MeetingID: "m-2", CaseID: "c-1", Kind: domain.MeetingCollaborative, Phase: domain.PhaseDefine, Title: "第二場協作會議", StartsAt: At("2026-05-04 14:00")})
	add("2026-05-04 13:00", Staff, domain.AddParticipant{MeetingID: "m-2", ParticipantID: "pt-3", Name: "學者", Role: domain.ParticipantExpert, StakeholderID: "s3"})
	add("2026-05-04 14:00", Staff, domain.RecordAttendance{MeetingID: "m-2", ParticipantID: "pt-3", Present: true})
	add("2026-05-04 14:00", steno, domain.StartTranscript{MeetingID: "m-2"})
	add("2026-05-04 14:05", steno, domain.RecordUtterance{MeetingID: "m-2", UtteranceID: "u-1", Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{ActorID: po("moi").ID, Name: "內政部主任PO"}, Paragraphs: []string{"定義問題。"}})
	add("2026-05-04 17:00", Staff, domain.CloseMeeting{MeetingID: "m-2"})
	add("2026-05-04 17:10", Staff, domain.RecordRecommendation{CaseID: "c-1", RecommendationID: "r1", MeetingID: "m-2", Text: "建議一", Addressees: []domain.MinistryID{"moi", "mohw"}})
	add("2026-05-04 17:20", Staff, domain.RecordRecommendation{CaseID: "c-1", RecommendationID: "r2", MeetingID: "m-2", Text: "建議二", Addressees: []domain.MinistryID{"moi", "mot"}})
	add("2026-05-05 10:00", Staff, domain.PublishTranscript{MeetingID: "m-2"})
	add("2026-05-06 10:00", po("moi"), domain.EditUtterance{MeetingID: "m-2", UtteranceID: "u-1", Paragraphs: []string{"定義核心問題。"}})
	add("2026-05-11 10:00", Staff, domain.ReportToPremier{CaseID: "c-1", Summary: "協作會議結論"})
	add("2026-05-18 10:00", sec, domain.RecordDirective{CaseID: "c-1", Kind: domain.DirectiveWithinAuthority, Text: "請各部會本諸權責辦理"})
	add("2026-06-01 10:00", official("moi"), domain.RecordResponse{CaseID: "c-1", RecommendationID: "r1", Verdict: domain.VerdictAdopted, Reasons: "採納"})
	add("2026-06-02 10:00", official("mohw"), domain.RecordResponse{CaseID: "c-1", RecommendationID: "r1", Verdict: domain.VerdictPartly, Reasons: "部分採納", FollowUp: "試辦"})
	add("2026-06-03 10:00", official("moi"), domain.RecordResponse{CaseID: "c-1", RecommendationID: "r2", Verdict: domain.VerdictNotAdopted, Reasons: "法規限制"})
	add("2026-06-04 10:00", official("mot"), domain.RecordResponse{CaseID: "c-1", RecommendationID: "r2", Verdict: domain.VerdictDeferred, Reasons: "待預算"})
	add("2026-06-15 10:00", Staff, domain.ChangeStage{CaseID: "c-1", To: domain.StageClosed, Reason: "全部回應"})

	// Case c-2, the ministry's proposal: at the division of labour when
	// the period ends; its working meeting falls after it.
	add("2026-02-05 11:00", Staff, domain.OpenCase{CaseID: "c-2", Title: "衛福部提案", SourceKind: domain.SourceVotedTopic, MonthlyMeetingID: "2026-02", CandidateID: "c2"})
	add("2026-02-10 09:00", Staff, domain.AssignLead{CaseID: "c-2", Ministry: "mohw"})
	add("2026-02-10 10:00", Staff, domain.ChangeStage{CaseID: "c-2", To: domain.StageDivisionOfLabour, Reason: "分工"})
	add("2026-02-11 10:00", po("mohw"), domain.AddStakeholder{CaseID: "c-2", StakeholderID: "s21", Category: domain.StakeholderGovernment, Name: "地方政府"})
	add("2026-06-20 10:00", Staff, domain.ScheduleMeeting{MeetingID: "m-w", CaseID: "c-2", Kind: domain.MeetingWorking, Title: "工作會議", StartsAt: At("2026-07-02 10:00")})

	// Case c-3, an Executive Yuan assignment: moi, then mot, leads.
	add("2026-03-02 10:00", sec, domain.OpenCase{CaseID: "c-3", Title: "院交辦案", SourceKind: domain.SourceAssignment, Ref: "院臺交字第1150000001號"})
	add("2026-03-03 10:00", sec, domain.AssignLead{CaseID: "c-3", Ministry: "moi"})
	add("2026-03-10 10:00", sec, domain.AssignLead{CaseID: "c-3", Ministry: "mot", Reason: "主管機關為交通部"})

	// After the period.
	proposal("p7", "moi", "2026-07-02 10:00")

	// In the order things happened (steps at the same minute as listed).
	slices.SortStableFunc(steps, func(a, b step) int { return At(a.at).Compare(At(b.at)) })
	for _, s := range steps {
		if _, err := l.Execute(ctx, s.actor, s.cmd, app.WithOccurredAt(At(s.at))); err != nil {
			return fmt.Errorf("reportstest: %s %s as %s: %w", s.at, s.cmd.CommandName(), s.actor.ID, err)
		}
	}
	return nil
}

package readmodels_test

import (
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
)

// The story: proposal p-42 is established on Join, selected by the PO
// monthly meeting 2026-01, and becomes case 57, which goes through every
// stage: organisers, research with a stakeholder inventory, a
// collaborative meeting with notes, anonymous questions and a transcript
// its speakers and the staff edit, an imported working-meeting transcript,
// recommendations, the report, the directive and the responses. Around it:
// a proposal that expires and one whose response deadline is missed, so
// that the log holds every domain event type.
const (
	caseID     domain.CaseID           = "57"
	proposalID domain.ProposalID       = "p-42"
	monthlyID  domain.MonthlyMeetingID = "2026-01"
	meetingID  domain.MeetingID        = "m-1"
	importedID domain.MeetingID        = "m-2"
)

// checkpoint is a moment of the story: the last event stored then.
type checkpoint struct {
	name  string
	event eventstore.Event
}

// clock hands out strictly increasing story times, so that the
// occurred-at order of the story is its log order.
type clock struct{ now time.Time }

func (c *clock) after(d time.Duration) time.Time {
	c.now = c.now.Add(d)
	return c.now
}

func (c *clock) tick() time.Time { return c.after(time.Minute) }

// story tells the story through l; mark is called at each checkpoint.
func story(l *ledger, mark func(name string)) {
	c := &clock{now: tStart}
	l.registerNetwork(c.tick())

	// The proposal: submitted, published, signed by six, milestones at 2
	// and 4, established by the fifth; one signature later invalidated.
	at := c.after(day)
	l.establish(proposalID, at, 1, 6)
	c.after(10 * time.Hour)
	mark("established")
	sig3 := domain.SignatureIDFor(proposalID, domain.SignerID(citizen(3).ID))
	l.proposal(proposalID, staff, c.after(day), func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return p.InvalidateSignature(domain.InvalidateSignature{ProposalID: proposalID, SignatureID: sig3, Reason: "duplicate account"}, staff, at)
	})

	// The monthly vote selects it.
	held := c.after(day)
	l.vote(monthlyID, staff, held, func(m *domain.MonthlyMeeting, at time.Time) ([]domain.Event, error) {
		return m.Open(domain.OpenMonthlyMeeting{MeetingID: monthlyID, HeldOn: calendar.DateOf(at)}, staff, at, domain.DefaultMonthlyConfig())
	})
	source := load(l, domain.ProposalStream(proposalID), domain.NewProposal(proposalID))
	l.vote(monthlyID, staff, c.tick(), func(m *domain.MonthlyMeeting, at time.Time) ([]domain.Event, error) {
		return m.AddCandidate(domain.AddCandidate{MeetingID: monthlyID, CandidateID: "c1", Kind: domain.CandidateEstablishedProposal, Title: "健保卡虛擬化", Organiser: "moi", SourceRef: string(proposalID)}, staff, at, source)
	})
	l.vote(monthlyID, staff, c.tick(), func(m *domain.MonthlyMeeting, at time.Time) ([]domain.Event, error) {
		return m.AddCandidate(domain.AddCandidate{MeetingID: monthlyID, CandidateID: "c2", Kind: domain.CandidateMinistryProposal, Title: "長照2.0", Organiser: "mohw"}, staff, at, nil)
	})
	l.vote(monthlyID, staff, c.tick(), func(m *domain.MonthlyMeeting, at time.Time) ([]domain.Event, error) {
		return m.AddCandidate(domain.AddCandidate{MeetingID: monthlyID, CandidateID: "c3", Kind: domain.CandidatePDISProposal, Title: "PO制度", Organiser: "mot"}, staff, at, nil)
	})
	reg := load(l, domain.RegistryStream(), domain.NewRegistry())
	for _, b := range []struct {
		po      domain.Actor
		choices []domain.CandidateID
	}{{moiPO, []domain.CandidateID{"c1"}}, {mohwPO, []domain.CandidateID{"c1", "c2"}}, {motPO, []domain.CandidateID{"c2", "c3"}}} {
		l.vote(monthlyID, b.po, c.tick(), func(m *domain.MonthlyMeeting, at time.Time) ([]domain.Event, error) {
			return m.CastBallot(domain.CastBallot{MeetingID: monthlyID, Choices: b.choices}, b.po, at, reg)
		})
	}
	l.vote(monthlyID, staff, c.tick(), func(m *domain.MonthlyMeeting, at time.Time) ([]domain.Event, error) {
		return m.Close(domain.CloseMonthlyMeeting{MeetingID: monthlyID}, staff, at, domain.VotedMeetingDates{}, nil)
	})
	mark("voted")

	// The case: opened from the topic, organisers, stages, research.
	topic := load(l, domain.MonthlyMeetingStream(monthlyID), domain.NewMonthlyMeeting(monthlyID))
	l.kase(caseID, staff, c.after(day), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.Open(domain.OpenCase{CaseID: caseID, Title: "健保卡虛擬化", SourceKind: domain.SourceVotedTopic, MonthlyMeetingID: monthlyID, CandidateID: "c1"}, staff, at, topic)
	})
	l.kase(caseID, secretariat, c.tick(), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.AssignLead(domain.AssignLead{CaseID: caseID, Ministry: "mohw"}, secretariat, at)
	})
	l.kase(caseID, secretariat, c.tick(), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.AssignLead(domain.AssignLead{CaseID: caseID, Ministry: "moi", Reason: "the card is issued by moi"}, secretariat, at)
	})
	for _, m := range []domain.MinistryID{"mohw", "mot"} {
		l.kase(caseID, staff, c.tick(), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
			return k.AddCoOrganiser(domain.AddCoOrganiser{CaseID: caseID, Ministry: m}, staff, at)
		})
	}
	l.kase(caseID, staff, c.tick(), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.RemoveCoOrganiser(domain.RemoveCoOrganiser{CaseID: caseID, Ministry: "mot", Reason: "not concerned"}, staff, at)
	})
	mark("organised")
	stage := func(to domain.CaseStage, at time.Time) {
		l.kase(caseID, staff, at, func(k *domain.Case, at time.Time) ([]domain.Event, error) {
			return k.ChangeStage(domain.ChangeStage{CaseID: caseID, To: to, Reason: "on to " + string(to)}, staff, at)
		})
	}
	stage(domain.StageDivisionOfLabour, c.after(2*day))
	stage(domain.StageResearch, c.after(3*day))
	for _, s := range []domain.AddStakeholder{
		{CaseID: caseID, StakeholderID: "s-prop", Category: domain.StakeholderProposer, Name: "提案人"},
		{CaseID: caseID, StakeholderID: "s-ind", Category: domain.StakeholderIndustry, Name: "醫院協會"},
		{CaseID: caseID, StakeholderID: "s-cs", Category: domain.StakeholderCivilSociety, Name: "病友團體", Note: "invite early"},
		{CaseID: caseID, StakeholderID: "s-aca", Category: domain.StakeholderAcademia, Name: "資安學者"},
	} {
		l.kase(caseID, moiPO, c.tick(), func(k *domain.Case, at time.Time) ([]domain.Event, error) { return k.AddStakeholder(s, moiPO, at) })
	}
	l.kase(caseID, moiPO, c.tick(), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.RecordInterview(domain.RecordInterview{CaseID: caseID, InterviewID: "i-1", Stakeholders: []domain.StakeholderID{"s-ind"}, Summary: "hospitals want offline mode"}, moiPO, at)
	})
	l.kase(caseID, mohwMinistry, c.tick(), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.AddMaterial(domain.AddMaterial{CaseID: caseID, MaterialID: "mat-1", Title: "健保卡現況", SHA256: hashOf("material"), URL: "https://example.org/m.pdf"}, mohwMinistry, at)
	})
	stage(domain.StagePreMeeting, c.after(7*day))
	stage(domain.StageMeetings, c.after(5*day))
	mark("meetings")

	// The collaborative meeting.
	kase := l.loadCase(caseID)
	l.meeting(meetingID, staff, c.tick(), func(m *domain.Meeting, at time.Time) ([]domain.Event, error) {
		return m.Schedule(domain.ScheduleMeeting{MeetingID: meetingID, CaseID: caseID, Kind: domain.MeetingCollaborative, Phase: domain.PhaseDiscover, Title: "健保卡協作會議", StartsAt: at.Add(5 * day)}, staff, at, kase, domain.DefaultMonthlyConfig(), domain.VotedMeetingDates{})
	})
	c.after(5 * day)
	for _, p := range []domain.AddParticipant{
		{MeetingID: meetingID, ParticipantID: "p-host", Name: "主持人", Role: domain.ParticipantHost},
		{MeetingID: meetingID, ParticipantID: "p-prop", Name: "提案人", Role: domain.ParticipantProposer, StakeholderID: "s-prop", AccountKey: domain.ParticipantKey(nil, meetingID, citizen(90).ID)},
		{MeetingID: meetingID, ParticipantID: "p-ind", Name: "醫院協會代表", Role: domain.ParticipantStakeholder, StakeholderID: "s-ind"},
		{MeetingID: meetingID, ParticipantID: "p-cs", Name: "病友團體代表", Role: domain.ParticipantStakeholder, StakeholderID: "s-cs", AccountKey: domain.ParticipantKey(nil, meetingID, citizen(91).ID)},
		{MeetingID: meetingID, ParticipantID: "p-moi", Name: "內政部", Role: domain.ParticipantMinistry, Ministry: "moi"},
	} {
		l.meeting(meetingID, staff, c.tick(), func(m *domain.Meeting, at time.Time) ([]domain.Event, error) { return m.AddParticipant(p, staff, at) })
	}
	for _, a := range []struct {
		id      domain.ParticipantID
		present bool
	}{{"p-host", true}, {"p-prop", true}, {"p-ind", true}, {"p-cs", false}, {"p-moi", true}, {"p-ind", false}, {"p-ind", true}} {
		l.meeting(meetingID, staff, c.tick(), func(m *domain.Meeting, at time.Time) ([]domain.Event, error) {
			return m.RecordAttendance(domain.RecordAttendance{MeetingID: meetingID, ParticipantID: a.id, Present: a.present}, staff, at)
		})
	}
	l.meeting(meetingID, staff, c.tick(), func(m *domain.Meeting, at time.Time) ([]domain.Event, error) {
		return m.AddNote(domain.AddNote{MeetingID: meetingID, NoteID: "n-1", Board: domain.BoardMindMap, Text: "壓力有一點大"}, staff, at)
	})
	l.meeting(meetingID, staff, c.tick(), func(m *domain.Meeting, at time.Time) ([]domain.Event, error) {
		return m.AddNote(domain.AddNote{MeetingID: meetingID, NoteID: "n-2", Board: domain.BoardConceptSheet, Sheet: "s1", Section: domain.SectionProblem, Text: "卡片遺失"}, staff, at)
	})
	l.meeting(meetingID, staff, c.tick(), func(m *domain.Meeting, at time.Time) ([]domain.Event, error) {
		return m.ReviseNote(domain.ReviseNote{MeetingID: meetingID, NoteID: "n-2", Text: "卡片遺失與補發", Reason: "clearer"}, staff, at)
	})
	l.meeting(meetingID, citizen(90), c.tick(), func(m *domain.Meeting, at time.Time) ([]domain.Event, error) {
		return m.PostQuestion(domain.PostQuestion{MeetingID: meetingID, QuestionID: "q-1", Text: "院長會聽到嗎？", AuthorKey: domain.ParticipantKey(nil, meetingID, citizen(90).ID)}, citizen(90), at)
	})
	l.meeting(meetingID, citizen(91), c.tick(), func(m *domain.Meeting, at time.Time) ([]domain.Event, error) {
		return m.PostQuestion(domain.PostQuestion{MeetingID: meetingID, QuestionID: "q-2", Text: "離題的問題", AuthorKey: domain.ParticipantKey(nil, meetingID, citizen(91).ID)}, citizen(91), at)
	})
	l.meeting(meetingID, staff, c.tick(), func(m *domain.Meeting, at time.Time) ([]domain.Event, error) {
		return m.AnswerQuestion(domain.AnswerQuestion{MeetingID: meetingID, QuestionID: "q-1", Answer: "會的"}, staff, at)
	})
	l.meeting(meetingID, staff, c.tick(), func(m *domain.Meeting, at time.Time) ([]domain.Event, error) {
		return m.ArchiveQuestion(domain.ArchiveQuestion{MeetingID: meetingID, QuestionID: "q-2", Reason: "off topic"}, staff, at)
	})
	l.meeting(meetingID, staff, c.tick(), func(m *domain.Meeting, at time.Time) ([]domain.Event, error) {
		return m.AddRecording(domain.AddRecording{MeetingID: meetingID, RecordingID: "rec-1", Kind: domain.RecordingVideo, URL: "https://example.org/v"}, staff, at)
	})
	// The transcript, recorded live.
	meeting := l.loadMeeting(meetingID)
	l.transcript(meetingID, stenographer, c.tick(), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
		return tr.Start(domain.StartTranscript{MeetingID: meetingID}, stenographer, at, meeting)
	})
	for _, u := range []domain.RecordUtterance{
		{MeetingID: meetingID, UtteranceID: "u-1", Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{ActorID: speakerA.ID, Name: "甲"}, Paragraphs: []string{"我覺得壓力有一點大。"}},
		{MeetingID: meetingID, UtteranceID: "u-2", Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{Name: "主持人"}, Paragraphs: []string{"謝謝。"}},
		{MeetingID: meetingID, UtteranceID: "u-3", Kind: domain.UtteranceNarration, Paragraphs: []string{"（與會者皆無意見）"}},
		{MeetingID: meetingID, UtteranceID: "u-4", Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{Name: "乙"}, Paragraphs: []string{"第一點。第二點。"}},
	} {
		l.transcript(meetingID, stenographer, c.tick(), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
			return tr.RecordUtterance(u, stenographer, at)
		})
	}
	l.meeting(meetingID, staff, c.tick(), func(m *domain.Meeting, at time.Time) ([]domain.Event, error) {
		return m.RemoveNote(domain.RemoveNote{MeetingID: meetingID, NoteID: "n-1", Reason: "out of context"}, staff, at)
	})
	l.meeting(meetingID, staff, c.tick(), func(m *domain.Meeting, at time.Time) ([]domain.Event, error) {
		return m.Close(domain.CloseMeeting{MeetingID: meetingID}, staff, at)
	})
	l.transcript(meetingID, staff, c.after(day), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
		return tr.Publish(domain.PublishTranscript{MeetingID: meetingID}, staff, at, domain.DefaultTranscriptConfig(), calendar.Taiwan())
	})
	mark("published")
	// Edits: the speaker edits their own words; the staff revert, fix a
	// speaker, correct, insert, split, merge, reclassify and delete.
	l.transcript(meetingID, speakerA, c.after(day), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
		return tr.Edit(domain.EditUtterance{MeetingID: meetingID, UtteranceID: "u-1", Paragraphs: []string{"我覺得壓力很大。"}}, speakerA, at)
	})
	l.transcript(meetingID, speakerA, c.tick(), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
		return tr.Edit(domain.EditUtterance{MeetingID: meetingID, UtteranceID: "u-1", Paragraphs: []string{"我覺得壓力不大。"}}, speakerA, at)
	})
	l.transcript(meetingID, staff, c.tick(), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
		return tr.RevertEdit(domain.RevertEdit{MeetingID: meetingID, UtteranceID: "u-1", ToVersion: 2, Reason: "the second edit changed the meaning"}, staff, at)
	})
	l.transcript(meetingID, staff, c.tick(), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
		return tr.ReattributeSpeaker(domain.ReattributeSpeaker{MeetingID: meetingID, UtteranceID: "u-2", Speaker: domain.Speaker{ActorID: staff.ID, Name: "唐鳳"}, Reason: "misattributed"}, staff, at)
	})
	l.transcript(meetingID, staff, c.tick(), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
		return tr.Correct(domain.CorrectUtterance{MeetingID: meetingID, UtteranceID: "u-4", Paragraphs: []string{"第一點。", "第二點。"}, Editor: "editor-1", Reason: "paragraphs"}, staff, at)
	})
	l.transcript(meetingID, staff, c.tick(), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
		return tr.Insert(domain.InsertUtterance{MeetingID: meetingID, UtteranceID: "u-ins", After: "u-1", Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{Name: "丙"}, Paragraphs: []string{"補一句。"}, Reason: "the record missed it"}, staff, at)
	})
	l.transcript(meetingID, staff, c.tick(), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
		return tr.Insert(domain.InsertUtterance{MeetingID: meetingID, UtteranceID: "u-0", Kind: domain.UtteranceHeading, Paragraphs: []string{"開場"}, Reason: "heading"}, staff, at)
	})
	l.transcript(meetingID, staff, c.tick(), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
		return tr.Split(domain.SplitUtterance{MeetingID: meetingID, UtteranceID: "u-4", Paragraphs: []string{"第一點。"}, Parts: []domain.UtterancePart{{UtteranceID: "u-4b", Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{Name: "丁"}, Paragraphs: []string{"第二點。"}}}, Reason: "two speakers"}, staff, at)
	})
	l.transcript(meetingID, staff, c.tick(), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
		return tr.Merge(domain.MergeUtterances{MeetingID: meetingID, UtteranceID: "u-2", Merged: []domain.UtteranceID{"u-3"}, Paragraphs: []string{"謝謝。（與會者皆無意見）"}, Reason: "one line"}, staff, at)
	})
	l.transcript(meetingID, staff, c.tick(), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
		return tr.Reclassify(domain.ReclassifyUtterance{MeetingID: meetingID, UtteranceID: "u-0", Kind: domain.UtteranceNarration, Reason: "not a heading"}, staff, at)
	})
	l.transcript(meetingID, staff, c.tick(), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
		return tr.Delete(domain.DeleteUtterance{MeetingID: meetingID, UtteranceID: "u-ins", Reason: "said off the record"}, staff, at)
	})
	mark("edited")

	// A working meeting whose transcript is imported from an archive, then
	// a later version of it.
	kase = l.loadCase(caseID)
	l.meeting(importedID, staff, c.tick(), func(m *domain.Meeting, at time.Time) ([]domain.Event, error) {
		return m.Schedule(domain.ScheduleMeeting{MeetingID: importedID, CaseID: caseID, Kind: domain.MeetingWorking, Title: "工作會議", StartsAt: at}, staff, at, kase, domain.DefaultMonthlyConfig(), nil)
	})
	wm := l.loadMeeting(importedID)
	l.transcript(importedID, staff, c.tick(), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
		return tr.Import(domain.ImportTranscript{MeetingID: importedID, Source: "archive/m-2.an.xml", ContentHash: hashOf("m-2 v1"), Utterances: []domain.ImportedUtterance{
			{UtteranceID: "w-1", Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{Name: "甲", Ref: "jia"}, Paragraphs: []string{"好,開始(第一案)。"}},
			{UtteranceID: "w-2", Kind: domain.UtteranceSpeech, Paragraphs: []string{"（與會者皆無意見）"}},
		}}, staff, at, wm)
	})
	l.transcript(importedID, staff, c.tick(), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
		return tr.ImportVersion(domain.ImportTranscriptVersion{MeetingID: importedID, Revision: 2, Source: "archive/m-2.v2.an.xml", ContentHash: hashOf("m-2 v2"), Editor: "archivist", Reason: "published version",
			Changes: []domain.Command{
				domain.NormaliseTranscript{MeetingID: importedID},
				domain.CorrectUtterance{MeetingID: importedID, UtteranceID: "w-1", Paragraphs: []string{"好，開始吧（第一案）。"}},
				domain.ReclassifyUtterance{MeetingID: importedID, UtteranceID: "w-2", Kind: domain.UtteranceNarration},
			}}, staff, at)
	})

	// Outcomes: recommendations, report, directive, responses, closed.
	meeting = l.loadMeeting(meetingID)
	for _, r := range []domain.RecordRecommendation{
		{CaseID: caseID, RecommendationID: "r-1", MeetingID: meetingID, Text: "發行虛擬健保卡試辦", Addressees: []domain.MinistryID{"moi", "mohw"}},
		{CaseID: caseID, RecommendationID: "r-2", MeetingID: meetingID, Text: "保留實體卡", Addressees: []domain.MinistryID{"moi"}},
	} {
		l.kase(caseID, staff, c.tick(), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
			return k.RecordRecommendation(r, staff, at, meeting)
		})
	}
	l.kase(caseID, staff, c.after(7*day), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.ReportToPremier(domain.ReportToPremier{CaseID: caseID, Summary: "協作會議結論", Link: "https://example.org/report"}, staff, at)
	})
	l.kase(caseID, secretariat, c.after(5*day), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.RecordDirective(domain.RecordDirective{CaseID: caseID, Kind: domain.DirectiveWithinAuthority, Text: "請各部會本諸職權辦理"}, secretariat, at)
	})
	for _, r := range []struct {
		a       domain.Actor
		rec     domain.RecommendationID
		verdict domain.Verdict
	}{{moiMinistry, "r-1", domain.VerdictAdopted}, {mohwMinistry, "r-1", domain.VerdictPartly}, {mohwMinistry, "r-1", domain.VerdictAdopted}, {moiMinistry, "r-2", domain.VerdictDeferred}} {
		l.kase(caseID, r.a, c.after(day), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
			return k.RecordResponse(domain.RecordResponse{CaseID: caseID, RecommendationID: r.rec, Verdict: r.verdict, Reasons: "because " + string(r.verdict), FollowUp: "pilot"}, r.a, at)
		})
	}
	// The proposal's own response, after an extension.
	l.proposal(proposalID, moiMinistry, c.tick(), func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return p.ExtendResponseDeadline(domain.ExtendResponseDeadline{ProposalID: proposalID, NewDueDate: calendar.DateOf(p.ResponseDueAt()).AddDays(30), Reason: "await the case"}, moiMinistry, at)
	})
	l.proposal(proposalID, moiMinistry, c.tick(), func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return p.Respond(domain.RespondToProposal{ProposalID: proposalID, Summary: "see case 57", Link: "https://example.org/resp"}, moiMinistry, at)
	})
	l.proposal(proposalID, mohwMinistry, c.tick(), func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return p.AddResponse(domain.AddProposalResponse{ProposalID: proposalID, Summary: "衛福部主政部分的回應"}, mohwMinistry, at)
	})
	stage(domain.StageClosed, c.after(3*day))
	mark("closed")

	// An archived monthly meeting: held, as its transcript shows; no vote.
	l.vote("2025-12", staff, c.tick(), func(m *domain.MonthlyMeeting, at time.Time) ([]domain.Event, error) {
		return m.Open(domain.OpenMonthlyMeeting{MeetingID: "2025-12", HeldOn: calendar.MustParseDate("2025-12-01"), Imported: true}, staff, at, domain.DefaultMonthlyConfig())
	})
	l.vote("2025-12", staff, c.tick(), func(m *domain.MonthlyMeeting, at time.Time) ([]domain.Event, error) {
		return m.RecordHeld(domain.RecordMonthlyHeld{MeetingID: "2025-12", Transcript: "akn-20251201-x", Speakers: []string{"唐鳳"}, Utterances: 9, Topics: []string{"健保卡虛擬化的進度"}}, staff, at)
	})
	// Around it: a proposal that expires, one whose deadline is missed.
	l.establish("p-43", c.tick(), 100, 1)
	l.proposal("p-43", staff, c.after(61*day), func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return p.Expire(domain.ExpireProposal{ProposalID: "p-43"}, staff, at)
	})
	l.establish("p-44", c.tick(), 200, 5)
	l.proposal("p-44", staff, c.after(100*day), func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return p.MarkResponseOverdue(domain.MarkResponseOverdue{ProposalID: "p-44"}, staff, at)
	})
	// Join's facts (decision 0056): rows of p-43's list made after its
	// close; p-45 published without its signature list; p-46 published
	// without a lead, its lead assigned once established.
	l.proposal("p-43", staff, c.tick(), func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return p.RecordLateSignatures(domain.RecordLateSignatures{ProposalID: "p-43", FirstRow: 2, LastRow: 3, LastAt: at}, staff, at)
	})
	l.establishWith(domain.PublishProposal{ProposalID: "p-61", NotYetAssigned: true}, c.tick(), 300, 0)
	l.proposal("p-61", staff, c.tick(), func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return p.RecordSignatureListMissing(domain.RecordSignatureListMissing{ProposalID: "p-61"}, staff, at)
	})
	l.establishWith(domain.PublishProposal{ProposalID: "p-62", NotYetAssigned: true, CoOrganisers: []domain.MinistryID{"mohw"}}, c.tick(), 400, 5)
	registry := load(l, domain.RegistryStream(), domain.NewRegistry())
	l.proposal("p-62", staff, c.after(day), func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return p.AssignLeads(domain.AssignLeads{ProposalID: "p-62", Leads: []domain.MinistryID{"mot"}}, staff, at, registry)
	})
	mot := domain.Actor{ID: "mot-official", Role: domain.RoleMinistry, Ministry: "mot"}
	l.proposal("p-62", mot, c.tick(), func(p *domain.Proposal, at time.Time) ([]domain.Event, error) {
		return p.Respond(domain.RespondToProposal{ProposalID: "p-62", Summary: "交通部的回應"}, mot, at)
	})
	// A case imported from an archive, linked to the proposal it came from,
	// whose record in the archive ends.
	const importedCase domain.CaseID = "imp-1"
	l.kase(importedCase, staff, c.tick(), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.Open(domain.OpenCase{CaseID: importedCase, Title: "開放政府聯絡人第一次協作會議", SourceKind: domain.SourceImported, Ref: "pdis-archive:第1次協作會議"}, staff, at, nil)
	})
	l.kase(importedCase, staff, c.tick(), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.LinkProposal(domain.LinkCaseProposal{CaseID: importedCase, ProposalID: proposalID, Topic: "健保卡虛擬化", Ministry: "mohw", Evidence: "score 7.5"}, staff, at)
	})
	// A second imported case a person reviewed: from no Join proposal.
	const reviewedCase domain.CaseID = "imp-2"
	l.kase(reviewedCase, staff, c.tick(), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.Open(domain.OpenCase{CaseID: reviewedCase, Title: "開放政府第47次議題協作會議", SourceKind: domain.SourceImported, Ref: "pdis-archive:第47次協作會議"}, staff, at, nil)
	})
	l.kase(reviewedCase, staff, c.tick(), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.RecordNoProposal(domain.RecordNoProposal{CaseID: reviewedCase, Evidence: "reviewed mapping pdis-join.csv:30 (民航局's own draft rules)"}, staff, at)
	})
	l.kase(reviewedCase, staff, c.tick(), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.EndRecord(domain.EndCaseRecord{CaseID: reviewedCase, LastRecordAt: at.Add(-day), Archive: "pdis-archive"}, staff, at)
	})
	l.kase(importedCase, staff, c.tick(), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.EndRecord(domain.EndCaseRecord{CaseID: importedCase, LastRecordAt: at.Add(-day), Archive: "pdis-archive"}, staff, at)
	})

	// A lawful erasure of one event's sealed fields.
	erasedEvent := l.last.ID.String()
	l.erase(staff, c.tick(), domain.Erase{EventID: erasedEvent, Reason: "當事人請求刪除", LegalBasis: "個人資料保護法第11條第3項"}, []domain.ErasedField{{EventID: erasedEvent, Stream: l.last.Stream, Paths: []string{"$metadata.actorId"}}})
	mark("end")
}

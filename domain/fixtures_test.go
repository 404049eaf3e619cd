package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"
)

// Times of the story the fixtures tell, Asia/Taipei.
var (
	t0          = time.Date(2019, 1, 7, 10, 0, 0, 0, calendar.Taipei) // proposal published
	tMonthly    = time.Date(2019, 3, 6, 14, 0, 0, 0, calendar.Taipei) // PO monthly meeting
	tCase       = time.Date(2019, 3, 7, 9, 0, 0, 0, calendar.Taipei)  // case opened
	tMeeting    = time.Date(2019, 4, 16, 9, 30, 0, 0, calendar.Taipei)
	tPublished  = time.Date(2019, 4, 19, 18, 0, 0, 0, calendar.Taipei) // transcript published (Friday)
	tReport     = time.Date(2019, 5, 20, 10, 0, 0, 0, calendar.Taipei)
	testSecret  = []byte("collab-ledger test secret, never used in production")
	smallConfig = ProposalConfig{Threshold: 3, Window: Period{Days: 60}, Milestones: []int{1, 2}, ResponseDeadline: Period{Months: 2}}
)

func signer(n int) SignerID { return Pseudonym(testSecret, fmt.Sprintf("A12345%04d", n)) }

func citizenActor(n int) Actor { return Actor{ID: string(signer(n)), Role: RoleCitizen} }

var (
	staff        = Actor{ID: "staff-1", Role: RolePDIS}
	stenographer = Actor{ID: "steno-1", Role: RoleStenographer}
	secretariat  = Actor{ID: "ey-sec-1", Role: RoleSecretariat}
	auditor      = Actor{ID: "auditor-1", Role: RoleAuditor}
	moiChief     = Actor{ID: "po-moi-chief", Role: RolePO, Ministry: "moi"}
	moiUnit      = Actor{ID: "po-moi-unit", Role: RolePO, Ministry: "moi"}
	mohwChief    = Actor{ID: "po-mohw-chief", Role: RolePO, Ministry: "mohw"}
	nhiaPO       = Actor{ID: "po-nhia", Role: RolePO, Ministry: "mohw-nhia"}
	motChief     = Actor{ID: "po-mot-chief", Role: RolePO, Ministry: "mot"}
	moiMinistry  = Actor{ID: "moi-official", Role: RoleMinistry, Ministry: "moi"}
	mohwMinistry = Actor{ID: "mohw-official", Role: RoleMinistry, Ministry: "mohw"}
)

// actorFor is the canonical actor of each role in the matrix: one that
// passes every per-command check where the role is allowed.
func actorFor(r Role) Actor {
	switch r {
	case RoleCitizen:
		return citizenActor(1)
	case RoleProposer:
		return Actor{ID: string(signer(900)), Role: RoleProposer}
	case RolePO:
		return moiChief
	case RolePDIS:
		return staff
	case RoleStenographer:
		return stenographer
	case RoleSecretariat:
		return secretariat
	case RoleMinistry:
		return moiMinistry
	case RoleAuditor:
		return auditor
	}
	panic("no actor for role " + string(r))
}

// recorded collects every event the fixtures decided, for the registry
// round-trip test.
var recorded []Event

// do decides and applies, failing the test on a refusal.
func do[A Aggregate](t testing.TB, agg A, decide func(A) ([]Event, error)) []Event {
	t.Helper()
	evs, err := DecideAndApply(agg, decide)
	if err != nil {
		t.Fatalf("setup decision refused: %v", err)
	}
	recorded = append(recorded, evs...)
	return evs
}

// wantRule asserts err is a refusal of kind with rule code rule, and that no
// events came with it.
func wantRule(t testing.TB, evs []Event, err error, kind error, rule string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want refusal %s (%v), got events %v", rule, kind, evs)
	}
	if evs != nil {
		t.Errorf("refusal %v came with events %v", err, evs)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %v is not %v", err, kind)
	}
	if got := RuleOf(err); got != rule {
		t.Errorf("rule = %q, want %q (%v)", got, rule, err)
	}
}

func wantOK(t testing.TB, evs []Event, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	if len(evs) == 0 {
		t.Fatalf("accepted with no events")
	}
}

func types(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.EventType()
	}
	return out
}

// ---- proposal fixtures ----

func submittedProposal(t testing.TB) *Proposal {
	p := NewProposal("p-1")
	proposer := actorFor(RoleProposer)
	do(t, p, func(p *Proposal) ([]Event, error) {
		return p.Submit(SubmitProposal{ProposalID: "p-1", Title: "停止神豬比重", Summary: "..."}, proposer, t0.Add(-48*time.Hour))
	})
	return p
}

func publishedProposal(t testing.TB, cfg ProposalConfig) *Proposal {
	p := submittedProposal(t)
	do(t, p, func(p *Proposal) ([]Event, error) {
		return p.Publish(PublishProposal{ProposalID: "p-1", CompetentMinistry: "moi", CoOrganisers: []MinistryID{"mohw"}}, staff, t0, cfg)
	})
	return p
}

// establishedProposal is published with threshold 3 and signed by citizens
// 101..103, the last at t0+3h.
func establishedProposal(t testing.TB) *Proposal {
	p := publishedProposal(t, smallConfig)
	for i := 1; i <= 3; i++ {
		a := citizenActor(100 + i)
		do(t, p, func(p *Proposal) ([]Event, error) {
			return p.Sign(SignProposal{ProposalID: "p-1", Signer: SignerID(a.ID)}, a, t0.Add(time.Duration(i)*time.Hour))
		})
	}
	return p
}

// ---- registry fixtures ----

func testRegistry(t testing.TB) *Registry {
	r := NewRegistry()
	at := time.Date(2019, 1, 2, 9, 0, 0, 0, calendar.Taipei)
	for _, m := range []RegisterMinistry{
		{MinistryID: "moi", Name: "內政部"},
		{MinistryID: "mohw", Name: "衛生福利部"},
		{MinistryID: "mohw-nhia", Name: "中央健康保險署", Parent: "mohw"},
		{MinistryID: "mot", Name: "交通部"},
	} {
		do(t, r, func(r *Registry) ([]Event, error) { return r.RegisterMinistry(m, staff, at) })
	}
	for _, p := range []RegisterPO{
		{POID: "po-moi-chief", Name: "內政部主任PO", Ministry: "moi", Role: POChief, Year: 2019},
		{POID: "po-moi-unit", Name: "內政部PO", Ministry: "moi", Role: POUnit, Year: 2019},
		{POID: "po-mohw-chief", Name: "衛福部主任PO", Ministry: "mohw", Role: POChief, Year: 2019},
		{POID: "po-nhia", Name: "健保署PO張鈺旋", Ministry: "mohw-nhia", Role: POUnit, Year: 2019},
		{POID: "po-mot-chief", Name: "交通部PO楊惠如", Ministry: "mot", Role: POChief, Year: 2019},
	} {
		do(t, r, func(r *Registry) ([]Event, error) { return r.RegisterPO(p, staff, at) })
	}
	return r
}

// ---- monthly meeting fixtures ----

func openMonthly(t testing.TB) *MonthlyMeeting {
	m := NewMonthlyMeeting("2019-03")
	do(t, m, func(m *MonthlyMeeting) ([]Event, error) {
		return m.Open(OpenMonthlyMeeting{MeetingID: "2019-03", HeldOn: calendar.DateOf(tMonthly)}, staff, tMonthly, DefaultMonthlyConfig())
	})
	for _, c := range []AddCandidate{
		{MeetingID: "2019-03", CandidateID: "c1", Kind: CandidatePDISProposal, Title: "PO制度精進", Organiser: "moi"},
		{MeetingID: "2019-03", CandidateID: "c2", Kind: CandidateMinistryProposal, Title: "健保卡虛擬卡", Organiser: "mohw"},
		{MeetingID: "2019-03", CandidateID: "c3", Kind: CandidateEYAssignment, Title: "向山致敬", Organiser: "mot", SourceRef: "EY-108-0001"},
	} {
		do(t, m, func(m *MonthlyMeeting) ([]Event, error) { return m.AddCandidate(c, staff, tMonthly, nil) })
	}
	return m
}

// closedMonthly: moi and mohw vote c1 and c2, mot votes c1; c1 (2 votes)
// and c2 (2 votes) are selected.
func closedMonthly(t testing.TB) *MonthlyMeeting {
	m := openMonthly(t)
	reg := testRegistry(t)
	for _, b := range []struct {
		a       Actor
		choices []CandidateID
	}{{moiChief, []CandidateID{"c1", "c2"}}, {mohwChief, []CandidateID{"c1", "c2"}}, {motChief, []CandidateID{"c3"}}} {
		do(t, m, func(m *MonthlyMeeting) ([]Event, error) {
			return m.CastBallot(CastBallot{MeetingID: "2019-03", Choices: b.choices}, b.a, tMonthly, reg)
		})
	}
	do(t, m, func(m *MonthlyMeeting) ([]Event, error) {
		return m.Close(CloseMonthlyMeeting{MeetingID: "2019-03"}, staff, tMonthly.Add(time.Hour), nil, nil)
	})
	return m
}

// ---- case fixtures ----

// openedCase is case "57" from the selected topic c1, lead moi.
func openedCase(t testing.TB) *Case {
	c := NewCase("57")
	mm := closedMonthly(t)
	do(t, c, func(c *Case) ([]Event, error) {
		return c.Open(OpenCase{CaseID: "57", Title: "PO制度精進", SourceKind: SourceVotedTopic, MonthlyMeetingID: "2019-03", CandidateID: "c1"}, staff, tCase, mm)
	})
	do(t, c, func(c *Case) ([]Event, error) {
		return c.AssignLead(AssignLead{CaseID: "57", Ministry: "moi"}, staff, tCase)
	})
	return c
}

// caseAt advances the opened case to stage (along the happy path). From
// meetings on it has meeting m-1 and recommendation r1 addressed to moi.
func caseAt(t testing.TB, stage CaseStage) *Case {
	c := openedCase(t)
	path := []CaseStage{StageDivisionOfLabour, StageResearch, StagePreMeeting, StageMeetings}
	for _, s := range path {
		if c.Stage() == stage {
			return c
		}
		do(t, c, func(c *Case) ([]Event, error) {
			return c.ChangeStage(ChangeStage{CaseID: "57", To: s, Reason: "next stage"}, staff, tCase.Add(24*time.Hour))
		})
	}
	if stage == StageMeetings {
		return c
	}
	m := scheduledMeeting(t, c)
	do(t, c, func(c *Case) ([]Event, error) {
		return c.RecordRecommendation(RecordRecommendation{CaseID: "57", RecommendationID: "r1", MeetingID: "m-1", Text: "建議各部會指派專責PO", Addressees: []MinistryID{"moi"}}, staff, tMeeting.Add(6*time.Hour), m)
	})
	if stage == "meetings+rec" {
		return c
	}
	do(t, c, func(c *Case) ([]Event, error) {
		return c.ReportToPremier(ReportToPremier{CaseID: "57", Summary: "共識營結論"}, staff, tReport)
	})
	if stage == StageReported {
		return c
	}
	do(t, c, func(c *Case) ([]Event, error) {
		return c.RecordDirective(RecordDirective{CaseID: "57", Kind: DirectiveWithinAuthority, Text: "請各部會本諸職權辦理"}, secretariat, tReport.Add(24*time.Hour))
	})
	if stage == StageDirective {
		return c
	}
	do(t, c, func(c *Case) ([]Event, error) {
		return c.RecordResponse(RecordResponse{CaseID: "57", RecommendationID: "r1", Verdict: VerdictAdopted, Reasons: "已指派"}, moiMinistry, tReport.Add(30*24*time.Hour))
	})
	if stage == StageResponses {
		return c
	}
	do(t, c, func(c *Case) ([]Event, error) {
		return c.ChangeStage(ChangeStage{CaseID: "57", To: StageClosed, Reason: "all responded"}, staff, tReport.Add(40*24*time.Hour))
	})
	return c
}

// ---- meeting and transcript fixtures ----

func scheduledMeeting(t testing.TB, c *Case) *Meeting {
	m := NewMeeting("m-1")
	do(t, m, func(m *Meeting) ([]Event, error) {
		return m.Schedule(ScheduleMeeting{MeetingID: "m-1", CaseID: c.ID(), Kind: MeetingCollaborative, Phase: PhaseDiscover, Title: "PO共識營", StartsAt: tMeeting}, staff, tCase.Add(48*time.Hour), c, DefaultMonthlyConfig(), nil)
	})
	return m
}

func meetingWithContent(t testing.TB) *Meeting {
	m := scheduledMeeting(t, caseAt(t, StageMeetings))
	do(t, m, func(m *Meeting) ([]Event, error) {
		return m.AddParticipant(AddParticipant{MeetingID: "m-1", ParticipantID: "pt-1", Name: "Ghost", Role: ParticipantHost}, staff, tMeeting)
	})
	// Everyone who asks in the tests is invited with their account.
	for i, a := range []Actor{citizenActor(1), citizenActor(2), citizenActor(5), actorFor(RoleProposer), moiChief, actorFor(RoleSecretariat), actorFor(RoleMinistry)} {
		do(t, m, func(m *Meeting) ([]Event, error) {
			return m.AddParticipant(AddParticipant{MeetingID: "m-1", ParticipantID: ParticipantID(fmt.Sprintf("pt-a%d", i)), Name: "參與者", Role: ParticipantStakeholder, AccountKey: ParticipantKey(nil, "m-1", a.ID)}, staff, tMeeting)
		})
	}
	do(t, m, func(m *Meeting) ([]Event, error) {
		return m.AddNote(AddNote{MeetingID: "m-1", NoteID: "n-1", Board: BoardMindMap, Text: "壓力有一點大"}, staff, tMeeting)
	})
	do(t, m, func(m *Meeting) ([]Event, error) {
		return m.PostQuestion(withAuthor(PostQuestion{MeetingID: "m-1", QuestionID: "q-1", Text: "院長會聽到嗎？"}, citizenActor(5)), citizenActor(5), tMeeting)
	})
	return m
}

// withAuthor is q as the command side hands it to the domain: with the
// asker's ParticipantKey (the tests' ledger has no secret).
func withAuthor(q PostQuestion, asker Actor) PostQuestion {
	q.AuthorKey = ParticipantKey(nil, q.MeetingID, asker.ID)
	return q
}

// transcriptOf starts the transcript of meeting m-1 and records one speech
// per speaker (utterance IDs u-1, u-2, ...) and a narration line last.
func transcriptOf(t testing.TB, speakers ...Speaker) *Transcript {
	m := scheduledMeeting(t, caseAt(t, StageMeetings))
	tr := NewTranscript("m-1")
	do(t, tr, func(tr *Transcript) ([]Event, error) {
		return tr.Start(StartTranscript{MeetingID: "m-1"}, stenographer, tMeeting, m)
	})
	for i, s := range speakers {
		do(t, tr, func(tr *Transcript) ([]Event, error) {
			return tr.RecordUtterance(RecordUtterance{MeetingID: "m-1", UtteranceID: UtteranceID(fmt.Sprintf("u-%d", i+1)), Kind: UtteranceSpeech, Speaker: s, Paragraphs: []string{fmt.Sprintf("%s的發言。", s.Name)}}, stenographer, tMeeting.Add(time.Duration(i)*time.Minute))
		})
	}
	do(t, tr, func(tr *Transcript) ([]Event, error) {
		return tr.RecordUtterance(RecordUtterance{MeetingID: "m-1", UtteranceID: "u-narr", Kind: UtteranceNarration, Paragraphs: []string{"（與會者皆無意見）"}}, stenographer, tMeeting.Add(time.Hour))
	})
	return tr
}

func publishedTranscript(t testing.TB, speakers ...Speaker) *Transcript {
	tr := transcriptOf(t, speakers...)
	do(t, tr, func(tr *Transcript) ([]Event, error) {
		return tr.Publish(PublishTranscript{MeetingID: "m-1"}, staff, tPublished, DefaultTranscriptConfig(), calendar.Taiwan())
	})
	return tr
}

func speakerOf(a Actor, name string) Speaker { return Speaker{ActorID: a.ID, Name: name} }

// testHash is a well-formed content hash named by s.
func testHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// importFixture is an import of meeting m-1's transcript: speeches u-1 to
// u-6 of 甲 and 乙, a line u-7 that is really narration, a heading and a
// narration line.
func importFixture() ImportTranscript {
	sp := func(id, who, text string) ImportedUtterance {
		return ImportedUtterance{UtteranceID: UtteranceID(id), Kind: UtteranceSpeech, Speaker: Speaker{Name: who, Ref: who}, Paragraphs: []string{text}}
	}
	return ImportTranscript{MeetingID: "m-1", Source: "2019-04-16-test.an.xml", ContentHash: testHash("v1"), Utterances: []ImportedUtterance{
		sp("u-1", "甲", "可備預見。"),
		sp("u-2", "乙", "前半。後半。"),
		sp("u-3", "甲", "其實是丙說的。"),
		sp("u-4", "甲", "一。"),
		sp("u-5", "甲", "二。"),
		sp("u-6", "乙", "重複的一句。"),
		sp("u-7", "乙", "（與會者皆無意見）"),
		{UtteranceID: "h-1", Kind: UtteranceHeading, Paragraphs: []string{"第二節"}},
		{UtteranceID: "n-1", Kind: UtteranceNarration, Paragraphs: []string{"（散會）"}},
	}}
}

// importedTranscript is importFixture recorded and published.
func importedTranscript(t testing.TB) *Transcript {
	m := scheduledMeeting(t, caseAt(t, StageMeetings))
	tr := NewTranscript("m-1")
	do(t, tr, func(tr *Transcript) ([]Event, error) { return tr.Import(importFixture(), staff, tMeeting, m) })
	do(t, tr, func(tr *Transcript) ([]Event, error) {
		return tr.Publish(PublishTranscript{MeetingID: "m-1"}, staff, tPublished, DefaultTranscriptConfig(), calendar.Taiwan())
	})
	return tr
}

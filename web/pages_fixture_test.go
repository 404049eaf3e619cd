package web_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore/sealed"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/readmodels"
	"github.com/pdis/collab-ledger/web"
)

// The people of the pages' story (2019, Asia/Taipei).
var (
	pgMoiChief = domain.Actor{ID: "po-moi-chief", Role: domain.RolePO, Ministry: "moi"}
	pgMohw     = domain.Actor{ID: "po-mohw-chief", Role: domain.RolePO, Ministry: "mohw"}
	pgSec      = domain.Actor{ID: "ey-sec-1", Role: domain.RoleSecretariat}
	pgMoi      = domain.Actor{ID: "moi-official", Role: domain.RoleMinistry, Ministry: "moi"}
	pgSteno    = domain.Actor{ID: "steno-1", Role: domain.RoleStenographer}
)

func tpg(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Taipei)
	if err != nil {
		panic(err)
	}
	return t
}

// pagesEnv is the real HTTP handler, the real command side and the real
// projections runner over a real embedded store, with the story recorded.
type pagesEnv struct {
	*apiEnv
	runner *projections.Runner
}

// newPagesEnv starts the server with its read models; tweaks adjust its
// configuration further.
func newPagesEnv(t *testing.T, tweaks ...func(*web.Config)) *pagesEnv {
	t.Helper()
	return newPagesEnvOn(t, nil, tweaks...)
}

// newPagesEnvOn is newPagesEnv with the read models in backend (nil:
// memory).
func newPagesEnvOn(t *testing.T, backend projections.Backend, tweaks ...func(*web.Config)) *pagesEnv {
	t.Helper()
	return newPagesEnvWith(t, nil, backend, tweaks...)
}

// newPagesEnvWith is newPagesEnvOn with personal data sealed into secrets
// (nil: not sealed; see newAPIWith).
func newPagesEnvWith(t *testing.T, secrets *sealed.Memory, backend projections.Backend, tweaks ...func(*web.Config)) *pagesEnv {
	t.Helper()
	pe := &pagesEnv{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	pe.apiEnv = newAPIWith(t, secrets, func(cfg *web.Config) {
		r, err := projections.NewRunner(projections.RunnerConfig{Store: cfg.Store, Backend: backend, Projections: readmodels.All(),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		pe.runner = r
		cfg.Queries = r
		go func() {
			defer close(done)
			if err := r.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("runner: %v", err)
			}
		}()
		for _, tw := range tweaks {
			tw(cfg)
		}
	})
	t.Cleanup(func() { cancel(); <-done })
	return pe
}

// do executes cmd as actor at the story time at.
func (pe *pagesEnv) do(at string, actor domain.Actor, cmd domain.Command) {
	pe.t.Helper()
	now := tpg(at)
	pe.now.Store(&now)
	// The story happened in 2019: its events record that on the occurred-at
	// clock (the recorded-at clock is the machine's).
	if _, err := pe.ledger.Execute(context.Background(), actor, cmd, app.WithOccurredAt(now)); err != nil {
		pe.t.Fatalf("%s %s as %s: %v", at, cmd.CommandName(), actor.ID, err)
	}
}

// caughtUp waits for the read models to reflect the log, and the lists'
// directory the read models.
func (pe *pagesEnv) caughtUp() {
	pe.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pe.runner.WaitCaughtUp(ctx); err != nil {
		pe.t.Fatal(err)
	}
	if err := web.DirectoryFresh(ctx, pe.srv.Config.Handler); err != nil {
		pe.t.Fatal(err)
	}
}

// story records, through app.Ledger.Execute, proposal p-1 established and
// answered, the PO monthly meeting 2019-03 selecting it, and case 57 from
// it through every stage to closed: a collaborative meeting with notes
// (one removed), questions (one answered, one archived) and a transcript
// its speaker edits.
func (pe *pagesEnv) story() {
	pe.t.Helper()
	c1, c2 := citizenActor("A200000001"), citizenActor("A200000002")
	proposer := domain.Actor{ID: string(domain.Pseudonym(apiSecret, "F123456789")), Role: domain.RoleProposer}
	steps := []struct {
		at    string
		actor domain.Actor
		cmd   domain.Command
	}{
		{"2019-01-02 09:00", staffActor, domain.RegisterMinistry{MinistryID: "moi", Name: "內政部"}},
		{"2019-01-02 09:00", staffActor, domain.RegisterMinistry{MinistryID: "mohw", Name: "衛生福利部"}},
		{"2019-01-02 09:10", staffActor, domain.RegisterPO{POID: "po-moi-chief", Name: "內政部主任PO", Ministry: "moi", Role: domain.POChief, Year: 2019}},
		{"2019-01-02 09:10", staffActor, domain.RegisterPO{POID: "po-mohw-chief", Name: "衛福部主任PO", Ministry: "mohw", Role: domain.POChief, Year: 2019}},

		{"2019-01-05 10:00", proposer, domain.SubmitProposal{ProposalID: "p-1", Title: "停止神豬比重", Summary: "神豬比賽應停止"}},
		{"2019-01-07 10:00", staffActor, domain.PublishProposal{ProposalID: "p-1", CompetentMinistry: "moi", CoOrganisers: []domain.MinistryID{"mohw"}}},
		{"2019-01-07 11:00", c1, domain.SignProposal{ProposalID: "p-1", Signer: domain.SignerID(c1.ID)}},
		{"2019-01-09 12:00", c2, domain.SignProposal{ProposalID: "p-1", Signer: domain.SignerID(c2.ID)}},
		{"2019-02-20 09:00", pgMoi, domain.RespondToProposal{ProposalID: "p-1", Summary: "研議中", Link: "https://join.gov.tw/idea/detail/p-1"}},

		{"2019-03-06 14:00", staffActor, domain.OpenMonthlyMeeting{MeetingID: "2019-03", HeldOn: calendar.MustParseDate("2019-03-06")}},
		{"2019-03-06 14:05", staffActor, domain.AddCandidate{MeetingID: "2019-03", CandidateID: "c1", Kind: domain.CandidateEstablishedProposal, Title: "停止神豬比重", Organiser: "moi", SourceRef: "p-1"}},
		{"2019-03-06 14:05", pgMohw, domain.AddCandidate{MeetingID: "2019-03", CandidateID: "c2", Kind: domain.CandidateMinistryProposal, Title: "健保卡虛擬卡", Organiser: "mohw"}},
		{"2019-03-06 14:30", pgMoiChief, domain.CastBallot{MeetingID: "2019-03", Choices: []domain.CandidateID{"c1", "c2"}}},
		{"2019-03-06 14:32", pgMohw, domain.CastBallot{MeetingID: "2019-03", Choices: []domain.CandidateID{"c1"}}},
		{"2019-03-06 15:00", staffActor, domain.CloseMonthlyMeeting{MeetingID: "2019-03"}},

		{"2019-03-07 09:00", staffActor, domain.OpenCase{CaseID: "57", Title: "停止神豬比重", SourceKind: domain.SourceVotedTopic, MonthlyMeetingID: "2019-03", CandidateID: "c1"}},
		{"2019-03-07 09:10", staffActor, domain.AssignLead{CaseID: "57", Ministry: "moi"}},
		{"2019-03-07 09:20", staffActor, domain.AddCoOrganiser{CaseID: "57", Ministry: "mohw"}},
		{"2019-03-08 09:00", staffActor, domain.ChangeStage{CaseID: "57", To: domain.StageDivisionOfLabour, Reason: "分工"}},
		{"2019-03-08 10:00", pgMoiChief, domain.AddStakeholder{CaseID: "57", StakeholderID: "s-1", Category: domain.StakeholderProposer, Name: "提案人"}},
		{"2019-03-08 10:05", pgMoiChief, domain.AddStakeholder{CaseID: "57", StakeholderID: "s-2", Category: domain.StakeholderIndustry, Name: "養豬協會"}},
		{"2019-03-08 11:00", staffActor, domain.ChangeStage{CaseID: "57", To: domain.StageResearch, Reason: "研究"}},
		{"2019-03-20 10:00", staffActor, domain.ChangeStage{CaseID: "57", To: domain.StagePreMeeting, Reason: "會前會"}},
		{"2019-04-01 10:00", staffActor, domain.ChangeStage{CaseID: "57", To: domain.StageMeetings, Reason: "協作會議"}},
		{"2019-04-02 10:00", staffActor, domain.ScheduleMeeting{MeetingID: "m-1", CaseID: "57", Kind: domain.MeetingCollaborative, Phase: domain.PhaseDiscover, Title: "PO共識營", StartsAt: tpg("2019-04-16 09:30")}},
		{"2019-04-16 09:00", staffActor, domain.AddParticipant{MeetingID: "m-1", ParticipantID: "pt-1", Name: "提案人", Role: domain.ParticipantProposer, StakeholderID: "s-1"}},
		{"2019-04-16 09:01", staffActor, domain.AddParticipant{MeetingID: "m-1", ParticipantID: "pt-2", Name: "民眾甲", Role: domain.ParticipantObserver, Account: c1.ID}},
		{"2019-04-16 09:01", staffActor, domain.AddParticipant{MeetingID: "m-1", ParticipantID: "pt-3", Name: "民眾乙", Role: domain.ParticipantObserver, Account: c2.ID}},
		{"2019-04-16 09:30", staffActor, domain.RecordAttendance{MeetingID: "m-1", ParticipantID: "pt-1", Present: true}},
		{"2019-04-16 10:00", staffActor, domain.AddNote{MeetingID: "m-1", NoteID: "n-1", Board: domain.BoardMindMap, Text: "壓力有一點大"}},
		{"2019-04-16 10:05", staffActor, domain.AddNote{MeetingID: "m-1", NoteID: "n-2", Board: domain.BoardMindMap, Text: "<script>alert('x')</script>業務單位"}},
		{"2019-04-16 10:20", staffActor, domain.RemoveNote{MeetingID: "m-1", NoteID: "n-1", Reason: "斷章取義"}},
		{"2019-04-16 10:30", c1, domain.PostQuestion{MeetingID: "m-1", QuestionID: "q-1", Text: "院長會聽到嗎？"}},
		{"2019-04-16 10:31", c2, domain.PostQuestion{MeetingID: "m-1", QuestionID: "q-2", Text: "重複的問題"}},
		{"2019-04-16 10:40", staffActor, domain.AnswerQuestion{MeetingID: "m-1", QuestionID: "q-1", Answer: "會"}},
		{"2019-04-16 10:41", staffActor, domain.ArchiveQuestion{MeetingID: "m-1", QuestionID: "q-2", Reason: "重複"}},
		{"2019-04-16 09:30", pgSteno, domain.StartTranscript{MeetingID: "m-1"}},
		{"2019-04-16 09:31", pgSteno, domain.RecordUtterance{MeetingID: "m-1", UtteranceID: "u-1", Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{ActorID: pgMoiChief.ID, Name: "內政部主任PO"}, Paragraphs: []string{"我們壓力有一點大。"}}},
		{"2019-04-16 09:32", pgSteno, domain.RecordUtterance{MeetingID: "m-1", UtteranceID: "u-2", Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{Name: "Audrey Tang"}, Paragraphs: []string{"Thank you all for coming."}}},
		{"2019-04-16 13:00", staffActor, domain.CloseMeeting{MeetingID: "m-1"}},
		{"2019-04-19 18:00", staffActor, domain.PublishTranscript{MeetingID: "m-1"}},
		{"2019-04-20 10:00", pgMoiChief, domain.EditUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"我們的壓力很大。"}}},
		{"2019-04-22 10:00", staffActor, domain.CorrectUtterance{MeetingID: "m-1", UtteranceID: "u-2", Paragraphs: []string{"Thank you all for joining."}, Reason: "typo"}},
		{"2019-04-16 15:00", staffActor, domain.RecordRecommendation{CaseID: "57", RecommendationID: "r1", MeetingID: "m-1", Text: "建議各部會指派專責PO", Addressees: []domain.MinistryID{"moi"}}},
		{"2019-05-20 10:00", staffActor, domain.ReportToPremier{CaseID: "57", Summary: "共識營結論"}},
		{"2019-05-21 10:00", pgSec, domain.RecordDirective{CaseID: "57", Kind: domain.DirectiveWithinAuthority, Text: "請各部會本諸職權辦理"}},
		{"2019-06-20 10:00", pgMoi, domain.RecordResponse{CaseID: "57", RecommendationID: "r1", Verdict: domain.VerdictPartly, Reasons: "部分採納", FollowUp: "試辦"}},
		{"2019-06-30 10:00", staffActor, domain.ChangeStage{CaseID: "57", To: domain.StageClosed, Reason: "全部回應"}},
		// Another ministry answers its part of p-1 (a further response).
		{"2019-07-01 10:00", domain.Actor{ID: "mohw-official", Role: domain.RoleMinistry, Ministry: "mohw"}, domain.AddProposalResponse{ProposalID: "p-1", Summary: "衛福部補充說明健保資料的部分"}},
	}
	for _, s := range steps {
		pe.do(s.at, s.actor, s.cmd)
	}
	pe.caughtUp()
}

// get fetches path with optional headers ("Name: value") and returns the
// status and body.
func (pe *pagesEnv) get(path string, headers ...string) (int, string, http.Header) {
	pe.t.Helper()
	req, err := http.NewRequest(http.MethodGet, pe.srv.URL+path, nil)
	if err != nil {
		pe.t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		pe.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		pe.t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// mustContain fails for each want missing from body.
func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: missing %q", what, w)
		}
	}
}

func mustNotContain(t *testing.T, what, body string, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(body, w) {
			t.Errorf("%s: unexpectedly contains %q", what, w)
		}
	}
}

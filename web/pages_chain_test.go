package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/internal/testenv"
)

// chainStory records case 60, an Executive Yuan assignment led by moi with
// mohw co-organising: at its meeting m-60 a health official says something
// and a note is written; recommendation r60 cites them and a stakeholder,
// and mohw does not adopt it.
func (pe *pagesEnv) chainStory(atRecommendation ...func()) {
	pe.t.Helper()
	mohwOfficial := domain.Actor{ID: "mohw-official", Role: domain.RoleMinistry, Ministry: "mohw"}
	steps := []struct {
		at    string
		actor domain.Actor
		cmd   domain.Command
	}{
		{"2019-07-01 09:00", pgSec, domain.OpenCase{CaseID: "60", Title: "長照交通接送", SourceKind: domain.SourceAssignment, Ref: "EY-108-0060"}},
		{"2019-07-01 09:10", staffActor, domain.AssignLead{CaseID: "60", Ministry: "moi"}},
		{"2019-07-01 09:20", staffActor, domain.AddCoOrganiser{CaseID: "60", Ministry: "mohw"}},
		{"2019-07-02 09:00", staffActor, domain.ChangeStage{CaseID: "60", To: domain.StageDivisionOfLabour, Reason: "分工"}},
		{"2019-07-02 10:00", staffActor, domain.AddStakeholder{CaseID: "60", StakeholderID: "s-60", Category: domain.StakeholderCivilSociety, Name: "家庭照顧者關懷總會"}},
		{"2019-07-03 09:00", staffActor, domain.ChangeStage{CaseID: "60", To: domain.StageResearch, Reason: "研究"}},
		{"2019-07-04 09:00", staffActor, domain.ChangeStage{CaseID: "60", To: domain.StagePreMeeting, Reason: "會前會"}},
		{"2019-07-05 09:00", staffActor, domain.ChangeStage{CaseID: "60", To: domain.StageMeetings, Reason: "協作會議"}},
		{"2019-07-05 10:00", staffActor, domain.ScheduleMeeting{MeetingID: "m-60", CaseID: "60", Kind: domain.MeetingCollaborative, Phase: domain.PhaseDefine, Title: "長照交通協作會議", StartsAt: tpg("2019-07-20 09:30")}},
		{"2019-07-20 09:30", pgSteno, domain.StartTranscript{MeetingID: "m-60"}},
		{"2019-07-20 09:40", pgSteno, domain.RecordUtterance{MeetingID: "m-60", UtteranceID: "u-60", Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{Name: "陳小明"}, Paragraphs: []string{"偏鄉的長照交通車一週只來一次。"}}},
		{"2019-07-20 10:00", staffActor, domain.AddNote{MeetingID: "m-60", NoteID: "n-60", Board: domain.BoardMindMap, Text: "交通車班次不足"}},
		{"2019-07-20 12:00", staffActor, domain.RecordRecommendation{CaseID: "60", RecommendationID: "r60", MeetingID: "m-60", Text: "增加偏鄉長照交通車班次", Addressees: []domain.MinistryID{"mohw"},
			Sources: []domain.RecommendationSource{{Kind: domain.SourceUtterance, ID: "u-60"}, {Kind: domain.SourceNote, ID: "n-60"}, {Kind: domain.SourceStakeholder, ID: "s-60"}}}},
		{"2019-08-01 10:00", staffActor, domain.ReportToPremier{CaseID: "60", Summary: "協作結論"}},
		{"2019-08-02 10:00", pgSec, domain.RecordDirective{CaseID: "60", Kind: domain.DirectiveWithinAuthority, Text: "請本諸職權辦理"}},
		{"2019-09-01 10:00", mohwOfficial, domain.RecordResponse{CaseID: "60", RecommendationID: "r60", Verdict: domain.VerdictNotAdopted, Reasons: "經費不足"}},
	}
	for _, s := range steps {
		pe.do(s.at, s.actor, s.cmd)
		if _, ok := s.cmd.(domain.RecordRecommendation); ok {
			for _, f := range atRecommendation {
				f()
			}
		}
	}
	pe.caughtUp()
}

// TestChainFromVoiceToResponse: the case page says who raised the
// recommendation a ministry rejected, where, with links; the ministry's
// page links its response back to the recommendation; a source that is not
// the case's is refused.
func TestChainFromVoiceToResponse(t *testing.T) {
	pe := newPagesEnv(t)
	pe.story()
	pe.chainStory(func() {
		// A source of another meeting is refused through the API, and
		// changes nothing.
		tok := pe.token(staffActor, time.Now().Add(time.Hour))
		head := pe.head()
		rep := pe.post(tok, "case.record_recommendation",
			`{"caseId":"60","recommendationId":"r61","meetingId":"m-60","text":"x","addressees":["mohw"],"sources":[{"kind":"utterance","id":"u-1"}]}`)
		if rep.status != 422 || rep.err.Rule != "case.record_recommendation.source_not_of_case" || pe.head() != head {
			t.Errorf("a source of another meeting: %d %s", rep.status, rep.body)
		}
	})

	_, body, _ := pe.get("/cases/60")
	i := strings.Index(body, `id="rec-r60"`)
	if i < 0 {
		t.Fatalf("no recommendation r60 on the case page")
	}
	rec := body[i : i+strings.Index(body[i:], "</tr>")]
	mustContain(t, "recommendation r60", rec, "增加偏鄉長照交通車班次", "提出者：", "陳小明", `href="/meetings/m-60"`, "長照交通協作會議",
		`href="/meetings/m-60/utterances/u-60"`, "偏鄉的長照交通車一週只來一次。", `href="/meetings/m-60#note-n-60"`, "交通車班次不足",
		"家庭照顧者關懷總會", "不採納", "經費不足")
	_, en, _ := pe.get("/cases/60?lang=en")
	mustContain(t, "recommendation r60 en", en, "raised by", `lang="zh-Hant">陳小明`)

	_, ministry, _ := pe.get("/ministries/mohw")
	mustContain(t, "mohw's page", ministry, `href="/cases/60#rec-r60"`, "不採納")

	// The trail's response entry links to the recommendation it answers.
	_, trail, _ := pe.get("/cases/60?after=0&limit=500")
	mustContain(t, "trail", trail, `/cases/60#rec-r60`)

}

// TestBrowserWhoRaisedIt: in Chromium, from the ministry that rejected a
// recommendation to who raised it and what they said.
func TestBrowserWhoRaisedIt(t *testing.T) {
	bctx := testenv.Chromium(t, testenv.Browser{Lang: "zh-TW", Timeout: 90 * time.Second})
	pe := newPagesEnv(t)
	pe.story()
	pe.chainStory()
	var who, said, url string
	err := chromedp.Run(bctx,
		chromedp.Navigate(pe.srv.URL+"/ministries/mohw"),
		chromedp.WaitVisible("#responses", chromedp.ByQuery),
		chromedp.Click(`#responses a[href="/cases/60#rec-r60"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#rec-r60 .sources", chromedp.ByQuery),
		chromedp.Text("#rec-r60 .source-utterance .source-who", &who, chromedp.ByQuery),
		chromedp.Click("#rec-r60 .source-utterance a.source-text", chromedp.ByQuery),
		chromedp.WaitVisible("#u-u-60", chromedp.ByQuery),
		chromedp.Text("#u-u-60", &said, chromedp.ByQuery),
		chromedp.Location(&url),
	)
	if err != nil {
		t.Fatalf("ministry → recommendation → utterance: %v", err)
	}
	if who != "陳小明" || !strings.Contains(said, "偏鄉的長照交通車一週只來一次。") || !strings.HasSuffix(url, "/meetings/m-60#u-u-60") {
		t.Errorf("who %q, said %q, at %q", who, said, url)
	}
}

// TestAsOfDate: a date is accepted for ?asof= (the end of that Taipei
// day): case 57 as of 2019-03-07 on the occurred clock was just opened, its
// topic set, before any meeting; a bad value is refused clearly.
func TestAsOfDate(t *testing.T) {
	pe := newPagesEnv(t)
	pe.story()
	code, body, _ := pe.get("/cases/57?asof=2019-03-07&clock=occurred")
	if code != 200 {
		t.Fatalf("as of a date: %d", code)
	}
	mustContain(t, "as of 2019-03-07", body, "2019-03-07 23:59")
	mustNotContain(t, "as of 2019-03-07", body, "PO共識營", "建議各部會指派專責PO")
	code, _, _ = pe.get("/cases/57?asof=2019-13-45")
	if code != 400 {
		t.Errorf("a bad date: %d", code)
	}
}

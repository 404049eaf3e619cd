package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/web"
)

// TestStagesWaiting: "My tasks" lists the stages that wait on staff, the
// secretariat and the stenographer, each linking to its form with the IDs
// filled in: a case without a lead, recommendations to report, a directive
// to record, a meeting begun and not closed, a transcript to start and to
// publish, a question to answer; and a task done leaves the list.
func TestStagesWaiting(t *testing.T) {
	e := newSigninEnv(t, func(si *web.SignIn) { si.OIDC = nil; si.Dev = true })
	staff := domain.Actor{ID: "pdis-1", Role: domain.RolePDIS}
	sec := domain.Actor{ID: "ey-sec-1", Role: domain.RoleSecretariat}
	steno := domain.Actor{ID: "steno-1", Role: domain.RoleStenographer}
	citizen := domain.Actor{ID: string(domain.Pseudonym(apiSecret, "A200000001")), Role: domain.RoleCitizen}
	now := *e.now.Load()
	e.do(staff, domain.RegisterMinistry{MinistryID: "moi", Name: "內政部"})
	e.do(sec, domain.OpenCase{CaseID: "c-nolead", Title: "無主辦案件", SourceKind: domain.SourceAssignment, Ref: "EY-1"})
	e.do(sec, domain.OpenCase{CaseID: "c-1", Title: "長照交通", SourceKind: domain.SourceAssignment, Ref: "EY-2"})
	e.do(staff, domain.AssignLead{CaseID: "c-1", Ministry: "moi"})
	for _, st := range []domain.CaseStage{domain.StageDivisionOfLabour, domain.StageResearch, domain.StagePreMeeting, domain.StageMeetings} {
		e.do(staff, domain.ChangeStage{CaseID: "c-1", To: st, Reason: "下一步"})
	}
	e.do(staff, domain.ScheduleMeeting{MeetingID: "m-1", CaseID: "c-1", Kind: domain.MeetingCollaborative, Phase: domain.PhaseDiscover, Title: "交通協作會議", StartsAt: now.Add(-2 * time.Hour)})
	e.do(staff, domain.ScheduleMeeting{MeetingID: "m-2", Kind: domain.MeetingOther, Title: "說明會", StartsAt: now.Add(-time.Hour)})
	e.do(staff, domain.ScheduleMeeting{MeetingID: "m-later", Kind: domain.MeetingOther, Title: "下週會議", StartsAt: now.Add(7 * 24 * time.Hour)})
	e.do(staff, domain.AddParticipant{MeetingID: "m-1", ParticipantID: "pt-1", Name: "民眾甲", Role: domain.ParticipantObserver, Account: citizen.ID})
	e.do(citizen, domain.PostQuestion{MeetingID: "m-1", QuestionID: "q-1", Text: "班次會增加嗎？"})
	e.do(steno, domain.StartTranscript{MeetingID: "m-1"})
	e.do(staff, domain.RecordRecommendation{CaseID: "c-1", RecommendationID: "r-1", MeetingID: "m-1", Text: "增加班次", Addressees: []domain.MinistryID{"moi"}})

	tasksOf := func(role, id, want string) string {
		t.Helper()
		b := e.browser()
		b.post(e.url+"/signin/dev", url.Values{"role": {role}, "id": {id}, "return": {"/me"}})
		var page string
		for range 100 { // the read models follow the log
			if _, page = b.get(e.url + "/me?lang=en"); strings.Contains(page, want) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		return page
	}
	page := tasksOf("pdis", "pdis-1", "Answer or archive")
	for _, want := range []string{
		`Assign the lead ministry of “無主辦案件”`, `href="/act/case.assign_lead?caseId=c-nolead"`,
		`Report the 1 recommendations of “長照交通” to the Premier`, `href="/act/case.report_to_premier?caseId=c-1"`,
		`Publish the transcript of “交通協作會議”`, `href="/act/transcript.publish?meetingId=m-1"`,
		`“說明會” has begun: close it when it ends`, `href="/act/meeting.close?meetingId=m-2"`,
		`Answer or archive a question in “交通協作會議”: 班次會增加嗎？`, `href="/act/meeting.answer_question?meetingId=m-1&amp;questionId=q-1"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("staff's tasks lack %s", want)
		}
	}
	for _, bad := range []string{"下週會議", "Record the Premier&#39;s directive"} {
		if strings.Contains(page, bad) {
			t.Errorf("staff's tasks list %s", bad)
		}
	}
	page = tasksOf("stenographer", "steno-1", "start its transcript")
	for _, want := range []string{`“說明會” has begun: start its transcript`, `href="/act/transcript.start?meetingId=m-2"`, `Publish the transcript of “交通協作會議”`} {
		if !strings.Contains(page, want) {
			t.Errorf("the stenographer's tasks lack %s", want)
		}
	}
	if strings.Contains(page, "close it when it ends") {
		t.Errorf("the stenographer's tasks list staff's")
	}

	// Pickers: the question to answer and the recommendation to respond to
	// are chosen by their words, not typed as IDs.
	b := e.browser()
	b.post(e.url+"/signin/dev", url.Values{"role": {"pdis"}, "id": {"pdis-1"}, "return": {"/me"}})
	if _, form := b.get(e.url + "/act/meeting.answer_question?meetingId=m-1&lang=en"); !strings.Contains(form, `<select id="f-questionId"`) ||
		!strings.Contains(form, `<option value="q-1">班次會增加嗎？</option>`) {
		t.Errorf("the answer form offers no picker of the meeting's questions:\n%s", form)
	}
	if _, form := b.get(e.url + "/act/meeting.answer_question?lang=en"); strings.Contains(form, `<select id="f-questionId"`) {
		t.Errorf("the answer form offers a picker before it knows the meeting")
	}
	official := e.browser()
	official.post(e.url+"/signin/dev", url.Values{"role": {"ministry"}, "id": {"moi-official"}, "ministry": {"moi"}, "return": {"/me"}})
	if _, form := official.get(e.url + "/act/case.record_response?caseId=c-1&lang=en"); !strings.Contains(form, `<select id="f-recommendationId"`) ||
		!strings.Contains(form, `<option value="r-1">增加班次</option>`) {
		t.Errorf("the response form offers no picker of the case's recommendations:\n%s", form)
	}

	// Reported: the secretariat's turn, and staff's task is gone.
	e.do(staff, domain.ReportToPremier{CaseID: "c-1", Summary: "結論"})
	e.do(staff, domain.AnswerQuestion{MeetingID: "m-1", QuestionID: "q-1", Answer: "會"})
	e.caughtUp()
	page = tasksOf("secretariat", "ey-sec-1", "Record the Premier&#39;s directive")
	if !strings.Contains(page, `Record the Premier&#39;s directive on “長照交通”`) || !strings.Contains(page, `href="/act/case.record_directive?caseId=c-1"`) {
		t.Errorf("the secretariat's tasks lack the directive:\n%s", page)
	}
	page = tasksOf("pdis", "pdis-1", "Assign the lead")
	if strings.Contains(page, "Report the 1 recommendations") || strings.Contains(page, "Answer or archive a question") {
		t.Errorf("done tasks stay on staff's list")
	}
	// Chinese.
	b = e.browser()
	b.post(e.url+"/signin/dev", url.Values{"role": {"secretariat"}, "id": {"ey-sec-1"}, "return": {"/me"}})
	if _, zh := b.get(e.url + "/me?lang=zh-Hant"); !strings.Contains(zh, "記錄院長對「長照交通」的裁示") {
		t.Errorf("the secretariat's tasks in Chinese lack the directive")
	}
}

// TestEveryLeadIsAskedToRespond: a proposal with three lead ministries
// asks each of them, on its own "My tasks", to respond (decision 0048:
// each lead owes its own answer), and a lead that has answered is no
// longer asked while the others still are. A co-organiser is never asked.
func TestEveryLeadIsAskedToRespond(t *testing.T) {
	e := newSigninEnv(t, func(si *web.SignIn) { si.OIDC = nil; si.Dev = true })
	staff := domain.Actor{ID: "pdis-1", Role: domain.RolePDIS}
	proposer := domain.Actor{ID: string(domain.Pseudonym(apiSecret, "F123456780")), Role: domain.RoleProposer}
	for m, name := range map[domain.MinistryID]string{"cpc": "行政院消費者保護處", "mot": "交通部", "mof": "財政部", "moea": "經濟部"} {
		e.do(staff, domain.RegisterMinistry{MinistryID: m, Name: name})
	}
	e.do(proposer, domain.SubmitProposal{ProposalID: "p-fb", Title: "重視臉書購物詐騙", Summary: "研議如何防制"})
	e.do(staff, domain.PublishProposal{ProposalID: "p-fb", CompetentMinistry: "cpc", OtherLeads: []domain.MinistryID{"mot", "mof"}, CoOrganisers: []domain.MinistryID{"moea"}})
	for _, id := range []string{"A200000011", "A200000012", "A200000013"} {
		c := domain.Actor{ID: string(domain.Pseudonym(apiSecret, id)), Role: domain.RoleCitizen}
		e.do(c, domain.SignProposal{ProposalID: "p-fb", Signer: domain.SignerID(c.ID)})
	}
	e.caughtUp()

	tasksOf := func(m string) string {
		t.Helper()
		b := e.browser()
		b.post(e.url+"/signin/dev", url.Values{"role": {"ministry"}, "id": {m + "-official"}, "ministry": {m}, "return": {"/me"}})
		_, page := b.get(e.url + "/me?lang=en")
		return page
	}
	const task = `href="/act/proposal.respond?proposalId=p-fb"`
	for _, m := range []string{"cpc", "mot", "mof"} {
		if page := tasksOf(m); !strings.Contains(page, "Respond to established proposal p-fb") || !strings.Contains(page, task) {
			t.Errorf("lead %s is not asked to respond:\n%.3000s", m, page)
		}
	}
	if page := tasksOf("moea"); strings.Contains(page, task) {
		t.Errorf("co-organiser moea is asked to respond as a lead")
	}

	e.do(domain.Actor{ID: "mot-official", Role: domain.RoleMinistry, Ministry: "mot"}, domain.RespondToProposal{ProposalID: "p-fb", Summary: "交通部初步說明"})
	e.caughtUp()
	if page := tasksOf("mot"); strings.Contains(page, task) {
		t.Errorf("mot, which has answered, is still asked to respond")
	}
	for _, m := range []string{"cpc", "mof"} {
		if page := tasksOf(m); !strings.Contains(page, task) {
			t.Errorf("lead %s, which has not answered, is no longer asked once mot answered", m)
		}
	}
}

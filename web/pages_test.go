package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/web"
)

// TestPages renders every public page over the story, in both languages,
// and checks what a reader sees.
func TestPages(t *testing.T) {
	pe := newPagesEnv(t)
	pe.story()

	t.Run("case page in Chinese by default", func(t *testing.T) {
		code, body, h := pe.get("/cases/57")
		if code != 200 {
			t.Fatalf("status %d: %s", code, body)
		}
		if h.Get("Content-Language") != "zh-Hant" {
			t.Errorf("Content-Language %q", h.Get("Content-Language"))
		}
		mustContain(t, "case", body,
			`<html lang="zh-Hant">`, `<h1 id="case-title">停止神豬比重</h1>`, `<dd id="case-stage" class="stage">結案</dd>`,
			"階段歷程", "設定議題", "分工", "研究", "會前會", "協作會議", "陳報院長", "院長裁示", "部會回應",
			"主辦機關", "moi", "mohw", // lead and co-organiser
			`<a href="/meetings/m-1">PO共識營</a>`,
			"利害關係人盤點與出席", "提案人", "養豬協會", "產業",
			"建議各部會指派專責PO", "部分採納", "試辦", "請各部會本於權責辦理", "請各部會本諸職權辦理",
			"問責軌跡：這個結果是怎麼來的", "<caption>", `scope="col"`,
			"proposal.established", "monthly.closed", "case.stage_changed", // the trail reaches back to the proposal and the vote
			"proposal.response_added", `id="case-further-responses"`, "衛福部補充說明健保資料的部分", // every ministry's response to the proposal
			`href="/cases/57?lang=en"`, `hreflang="en"`,
		)
	})

	t.Run("language switch, cookie and Accept-Language", func(t *testing.T) {
		code, body, h := pe.get("/cases/57?lang=en")
		if code != 200 {
			t.Fatal(code)
		}
		mustContain(t, "case en", body, `<html lang="en">`, "Accountability trail: how this outcome arose", "Closed", "Lead ministry", "Partly adopted", `href="/cases/57?lang=zh-Hant"`)
		if c := h.Get("Set-Cookie"); !strings.Contains(c, "lang=en") {
			t.Errorf("no language cookie: %q", c)
		}
		_, body, _ = pe.get("/cases/57", "Cookie: lang=en")
		mustContain(t, "cookie", body, `<html lang="en">`)
		_, body, _ = pe.get("/cases/57", "Accept-Language: en-GB,en;q=0.9,zh-TW;q=0.5")
		mustContain(t, "accept-language en", body, `<html lang="en">`)
		_, body, _ = pe.get("/cases/57", "Accept-Language: en;q=0.5, zh-TW")
		mustContain(t, "accept-language zh", body, `<html lang="zh-Hant">`)
	})

	t.Run("trail pages", func(t *testing.T) {
		_, body, _ := pe.get("/cases/57?limit=10")
		i := strings.Index(body, `rel="next" href="`)
		if i < 0 {
			t.Fatal("the trail has more than a page of entries but no next link")
		}
		next := body[i+len(`rel="next" href="`):]
		next = strings.ReplaceAll(next[:strings.IndexByte(next, '"')], "&amp;", "&")
		code, body2, _ := pe.get(next)
		if code != 200 {
			t.Fatalf("%s: %d", next, code)
		}
		mustContain(t, "trail page 2", body2, "問責軌跡（第 11 筆起）", "第一頁")
	})

	t.Run("as-of view says its clock", func(t *testing.T) {
		code, body, _ := pe.get("/cases/57?asof=" + url.QueryEscape(tpg("2019-03-20 12:00").Format(time.RFC3339)) + "&clock=occurred&lang=en")
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		mustContain(t, "as-of", body, "occurred-at clock", `<dd id="case-stage" class="stage">Pre-meeting</dd>`)
		mustNotContain(t, "as-of", body, "PO共識營")
		code, body, _ = pe.get("/cases/57?asof=2019-04-02T11:00:00%2B08:00&clock=occurred&lang=en")
		if code != 200 {
			t.Fatal(code)
		}
		mustContain(t, "as-of occurred", body, "occurred-at clock", "Collaborative meetings")
		code, body, _ = pe.get("/cases/57?asof=" + url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339)) + "&lang=en")
		if code != 200 {
			t.Fatal(code)
		}
		mustContain(t, "as-of recorded", body, "recorded-at clock", `<dd id="case-stage" class="stage">Closed</dd>`)
		code, _, _ = pe.get("/cases/57?asof=yesterday")
		if code != 400 {
			t.Errorf("bad asof: %d", code)
		}
	})

	t.Run("transcript page", func(t *testing.T) {
		code, body, _ := pe.get("/meetings/m-1")
		if code != 200 {
			t.Fatal(code)
		}
		mustContain(t, "meeting", body,
			`<h3 class="speaker">內政部主任PO</h3>`, "<p>我們的壓力很大。</p>", "已修改", "<details", "第 2 版", "發言者修改",
			`<ins><span class="sr-only">新增：</span>的<span class="sr-only">（新增結束）</span></ins>`,
			`<del><span class="sr-only">刪除：</span>有一點<span class="sr-only">（刪除結束）</span></del>`,
			`<del><span class="sr-only">刪除：</span>coming<span class="sr-only">（刪除結束）</span></del>`, // Latin per word
			`<ins><span class="sr-only">新增：</span>joining`,
			"修改期限已於 2019-05-03 24:00", // the edit window's end date (ten working days)
			"院長會聽到嗎？", "會",
			"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;業務單位", // escaped, never raw
			"另有 1 則筆記已移除",
		)
		mustNotContain(t, "meeting public", body, "<script>alert", "壓力有一點大</th>", "重複的問題", "斷章取義")
	})

	t.Run("proposal page", func(t *testing.T) {
		code, body, _ := pe.get("/proposals/p-1?lang=en")
		if code != 200 {
			t.Fatal(code)
		}
		mustContain(t, "proposal", body, "<svg", `<title id="chart-title">Signatures over time</title>`, `<desc id="chart-desc">`, "<polyline",
			"Signatures, invalidations and valid signatures per period", "Established on 2019-01-09 12:00 (2 of 2).",
			"Responded on 2019-02-20 09:00", "within the deadline", `href="/cases/57"`,
			`<h3 id="further-responses-h">Further responses (other ministries&#39; parts, later answers)</h3>`, "衛福部補充說明健保資料的部分")
		_, zh, _ := pe.get("/proposals/p-1")
		mustContain(t, "proposal zh", zh, "連署數隨時間變化", "已成案", "於期限內回應")
	})

	t.Run("monthly page", func(t *testing.T) {
		code, body, _ := pe.get("/monthly/2019-03")
		if code != 200 {
			t.Fatal(code)
		}
		mustContain(t, "monthly", body, "候選題目", "健保卡虛擬卡", "各機關選票", "po-moi-chief", "計票結果", "選出的題目", "停止神豬比重", `href="/cases/57"`)
	})

	t.Run("index filters and search", func(t *testing.T) {
		for _, c := range []struct {
			q    string
			want string
		}{
			{"", "共 1 件"}, {"?stage=closed", "共 1 件"}, {"?stage=research", "共 0 件"}, {"?q=神豬", "共 1 件"}, {"?q=健保", "共 0 件"},
			{"?year=2019", "共 1 件"}, {"?year=2018", "共 0 件"}, {"?ministry=mohw", "共 1 件"}, {"?ministry=mot", "共 0 件"},
			{"?source=voted_topic", "共 1 件"}, {"?source=ey_assignment", "共 0 件"}, {"?lang=en", ">1 case<"},
			// The ministry filter takes names in either language, or part of one.
			{"?ministry=衛生福利部", "共 1 件"}, {"?ministry=health", "共 1 件"}, {"?ministry=內政", "共 1 件"}, {"?ministry=交通部", "共 0 件"},
		} {
			code, body, _ := pe.get("/cases" + c.q)
			if code != 200 || !strings.Contains(body, c.want) {
				t.Errorf("index %s: %d, want %q", c.q, code, c.want)
			}
		}
	})

	t.Run("not found in both languages", func(t *testing.T) {
		for path, want := range map[string]string{
			"/cases/nope": "找不到頁面", "/cases/nope?lang=en": "Not found", "/meetings/nope": "找不到頁面",
			"/proposals/nope?lang=en": "Not found", "/monthly/nope": "找不到頁面", "/no/such/page": "找不到頁面",
		} {
			code, body, _ := pe.get(path)
			if code != 404 || !strings.Contains(body, want) {
				t.Errorf("%s: %d, want 404 with %q", path, code, want)
			}
		}
	})

	t.Run("auditor view needs an auditor's token", func(t *testing.T) {
		if code, body, _ := pe.get("/meetings/m-1?view=auditor"); code != 403 || !strings.Contains(body, "無權查看") {
			t.Errorf("auditor page without a token: %d", code)
		}
		po := pe.token(poActor, apiNow.Add(time.Hour))
		if code, _, _ := pe.get("/meetings/m-1?view=auditor", "Authorization: Bearer "+po); code != 403 {
			t.Errorf("auditor page with a PO's token: %d", code)
		}
		aud := pe.token(auditorActor, apiNow.Add(time.Hour))
		code, body, h := pe.get("/meetings/m-1?view=auditor", "Authorization: Bearer "+aud)
		if code != 200 {
			t.Fatalf("auditor page: %d", code)
		}
		mustContain(t, "auditor meeting", body, "稽核檢視", "壓力有一點大", "斷章取義", "重複的問題")
		if h.Get("Cache-Control") != "private, no-store" {
			t.Errorf("auditor page cached: %q", h.Get("Cache-Control"))
		}
	})

	t.Run("static and print style", func(t *testing.T) {
		code, body, _ := pe.get("/static/style.css")
		if code != 200 || !strings.Contains(body, "@media print") {
			t.Errorf("stylesheet: %d", code)
		}
	})
}

// TestQueryAPI checks every JSON query route over the story.
func TestQueryAPI(t *testing.T) {
	pe := newPagesEnv(t)
	pe.story()
	getJSON := func(path string, v any, headers ...string) int {
		t.Helper()
		code, body, h := pe.get(path, headers...)
		if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("%s: content type %q", path, h.Get("Content-Type"))
		}
		if err := json.Unmarshal([]byte(body), v); err != nil {
			t.Fatalf("%s: %v: %s", path, err, body)
		}
		return code
	}

	var list web.CaseList
	if code := getJSON("/api/v1/cases?stage=closed&q=神豬", &list); code != 200 || list.Total != 1 || list.Cases[0].CaseID != "57" {
		t.Errorf("cases: %d %+v", code, list)
	}
	var cv web.CaseView
	if code := getJSON("/api/v1/cases/57", &cv); code != 200 || cv.Case.Stage != domain.StageClosed || cv.View != "public" || cv.AsOf != nil {
		t.Errorf("case: %d %+v", code, cv)
	}
	var tv web.TrailView
	if code := getJSON("/api/v1/cases/57/trail?limit=5", &tv); code != 200 || len(tv.Page.Entries) != 5 || tv.Page.Next == 0 {
		t.Fatalf("trail: %d %d entries, next %d", code, len(tv.Page.Entries), tv.Page.Next)
	}
	pos := tv.Page.Entries[4].Position
	var all web.TrailView
	getJSON("/api/v1/cases/57/trail?step=case_opened", &all)
	if len(all.Page.Entries) != 1 {
		t.Fatalf("case_opened entries: %d", len(all.Page.Entries))
	}
	opened := all.Page.Entries[0].Position
	var tv2 web.TrailView
	getJSON("/api/v1/cases/57/trail?limit=5&after="+itoa(uint64(tv.Page.Next)), &tv2)
	if len(tv2.Page.Entries) == 0 || tv2.Page.Entries[0].Position <= pos {
		t.Errorf("trail page 2 does not follow page 1")
	}
	var asof web.CaseView
	var eb0 web.ErrorBody
	if code := getJSON("/api/v1/cases/57?asof="+itoa(uint64(opened)), &asof); code != 200 || asof.AsOf == nil || asof.AsOf.Clock != "position" || asof.AsOf.LastFolded > opened || asof.Case.Stage != domain.StageTopicSet {
		t.Errorf("case as of %d: %d %+v", opened, code, asof.AsOf)
	}
	if code := getJSON("/api/v1/cases/57?asof="+itoa(uint64(pos)), &eb0); code != 404 {
		t.Errorf("case as of %d, before it was opened: %d", pos, code)
	}
	var st web.TrailView
	if code := getJSON("/api/v1/trails/"+domain.ProposalStream("p-1"), &st); code != 200 || len(st.Page.Entries) == 0 {
		t.Errorf("proposal trail: %d", code)
	}
	var mv web.MeetingView
	if code := getJSON("/api/v1/meetings/m-1", &mv); code != 200 || mv.Meeting.Transcript == nil || len(mv.Meeting.Transcript.Utterances) != 2 || mv.Meeting.RemovedNotes != 1 {
		t.Errorf("meeting: %d %+v", code, mv.Meeting)
	}
	var pv web.ProposalView
	if code := getJSON("/api/v1/proposals/p-1", &pv); code != 200 || pv.Proposal.Established == nil || pv.Proposal.Proposer != "" {
		t.Errorf("proposal: %d %+v", code, pv.Proposal)
	}
	var inv web.InvalidationList
	if code := getJSON("/api/v1/proposals/p-1/invalidations", &inv); code != 200 || inv.Invalidations == nil {
		t.Errorf("invalidations: %d", code)
	}
	var mt struct {
		MeetingID string `json:"meetingId"`
		Closed    *struct {
			Selected []struct{ Title string } `json:"selected"`
		} `json:"closed"`
	}
	if code := getJSON("/api/v1/monthly/2019-03", &mt); code != 200 || mt.Closed == nil || len(mt.Closed.Selected) == 0 {
		t.Errorf("monthly: %d %+v", code, mt)
	}
	var due web.DueList
	if code := getJSON("/api/v1/responses/due", &due); code != 200 || due.Due == nil {
		t.Errorf("due: %d", code)
	}

	// Errors in the envelope.
	var eb web.ErrorBody
	for path, want := range map[string]struct {
		code int
		err  string
	}{
		"/api/v1/cases/nope":                 {404, web.CodeNotFound},
		"/api/v1/meetings/nope":              {404, web.CodeNotFound},
		"/api/v1/proposals/nope":             {404, web.CodeNotFound},
		"/api/v1/monthly/nope":               {404, web.CodeNotFound},
		"/api/v1/trails/case-nope":           {404, web.CodeNotFound},
		"/api/v1/cases/57?view=auditor":      {401, web.CodeUnauthenticated},
		"/api/v1/cases/57?view=everything":   {400, web.CodeBadRequest},
		"/api/v1/cases/57/trail?limit=99999": {400, web.CodeBadRequest},
		"/api/v1/cases?year=x":               {400, web.CodeBadRequest},
	} {
		eb = web.ErrorBody{}
		if code := getJSON(path, &eb); code != want.code || eb.Error.Code != want.err {
			t.Errorf("%s: %d %+v, want %d %s", path, code, eb, want.code, want.err)
		}
	}
	po := pe.token(poActor, apiNow.Add(time.Hour))
	eb = web.ErrorBody{}
	if code := getJSON("/api/v1/meetings/m-1?view=auditor", &eb, "Authorization: Bearer "+po); code != 403 || eb.Error.Rule != web.RuleAuditorViewRole {
		t.Errorf("auditor view with a PO's token: %d %+v", code, eb)
	}
	for _, actor := range []domain.Actor{auditorActor, staffActor} {
		tok := pe.token(actor, apiNow.Add(time.Hour))
		var am web.MeetingView
		if code := getJSON("/api/v1/meetings/m-1?view=auditor", &am, "Authorization: Bearer "+tok); code != 200 || am.View != "auditor" || len(am.Meeting.Notes) != 2 {
			t.Errorf("auditor view as %s: %d %d notes", actor.Role, code, len(am.Meeting.Notes))
		}
	}
}

// TestQueriesWithoutReadModels: a server without read models serves no
// pages, and its query routes answer 503 in the envelope.
func TestQueriesWithoutReadModels(t *testing.T) {
	e := newAPI(t, nil)
	resp, err := http.Get(e.srv.URL + "/api/v1/cases")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("cases without read models: %d", resp.StatusCode)
	}
	resp, err = http.Get(e.srv.URL + "/cases/57")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("page without read models: %d", resp.StatusCode)
	}
}

func itoa(n uint64) string { return uitoa(n) }

func uitoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestTranscriptPageFresh: the transcript page is answered from caches
// while the meeting is unchanged, and shows an edit, a new utterance and a
// deletion on the very next request.
func TestTranscriptPageFresh(t *testing.T) {
	pe := newPagesEnv(t)
	pe.story()
	get := func() string {
		t.Helper()
		code, body, _ := pe.get("/meetings/m-1?lang=en")
		if code != 200 {
			t.Fatalf("transcript page: %d", code)
		}
		return body
	}
	first := get()
	if again := get(); again != first {
		t.Fatal("the same page, asked twice of an unchanged meeting, differs")
	}
	pe.do("2019-04-23 10:00", staffActor, domain.CorrectUtterance{MeetingID: "m-1", UtteranceID: "u-2", Paragraphs: []string{"一個全新的句子，剛剛更正。"}, Reason: "fresh"})
	pe.caughtUp()
	mustContain(t, "after a correction", get(), "一個全新的句子，剛剛更正。")
	pe.do("2019-04-23 10:05", staffActor, domain.InsertUtterance{MeetingID: "m-1", UtteranceID: "u-new", After: "u-2", Kind: domain.UtteranceSpeech,
		Speaker: domain.Speaker{Name: "新來的"}, Paragraphs: []string{"插入的一段話。"}, Reason: "missed"})
	pe.caughtUp()
	body := get()
	mustContain(t, "after an insertion", body, "插入的一段話。")
	if i, j := strings.Index(body, `id="u-u-2"`), strings.Index(body, `id="u-u-new"`); i < 0 || j < i {
		t.Fatalf("the inserted utterance is not after u-2 (%d, %d)", i, j)
	}
	pe.do("2019-04-23 10:10", staffActor, domain.DeleteUtterance{MeetingID: "m-1", UtteranceID: "u-new", Reason: "duplicate"})
	pe.caughtUp()
	mustNotContain(t, "after a deletion", get(), "插入的一段話。")
}

// TestAsOfCacheFresh: a fold as of a log position is kept and asked again
// answers the same; a fold as of an occurred-at time is not kept, so a
// stakeholder recorded later, as added before that time, shows on the next
// request.
func TestAsOfCacheFresh(t *testing.T) {
	pe := newPagesEnv(t)
	pe.do("2019-01-02 09:00", staffActor, domain.RegisterMinistry{MinistryID: "moi", Name: "內政部"})
	pe.do("2019-01-02 09:10", staffActor, domain.RegisterPO{POID: "po-moi-chief", Name: "內政部主任PO", Ministry: "moi", Role: domain.POChief, Year: 2019})
	pe.do("2019-03-01 09:00", staffActor, domain.OpenCase{CaseID: "58", Title: "補登測試", SourceKind: domain.SourceAssignment, Ref: "EY-58"})
	pe.do("2019-03-01 09:05", staffActor, domain.AssignLead{CaseID: "58", Ministry: "moi"})
	pe.caughtUp()
	card := func(query string) string {
		t.Helper()
		code, body, _ := pe.get("/api/v1/cases/58?" + query)
		if code != 200 {
			t.Fatalf("%s: %d %s", query, code, body)
		}
		return body
	}
	pos := strconv.FormatUint(uint64(pe.head()), 10)
	first := card("asof=" + pos)
	occurred := "asof=" + url.QueryEscape("2019-03-10T12:00:00+08:00") + "&clock=occurred"
	if strings.Contains(card(occurred), "後來補登的利害關係人") {
		t.Fatal("the stakeholder shows before it was recorded")
	}
	// Recorded now, as added on 2019-03-05.
	pe.do("2019-03-05 11:00", pgMoiChief, domain.AddStakeholder{CaseID: "58", StakeholderID: "s-late", Category: domain.StakeholderCivilSociety, Name: "後來補登的利害關係人"})
	pe.caughtUp()
	if again := card("asof=" + pos); again != first {
		t.Error("the fold as of a position changed after a later event")
	}
	mustContain(t, "as of an occurred-at time, after a backdated event", card(occurred), "後來補登的利害關係人")
}

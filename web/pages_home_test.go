package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/internal/testenv"
)

// homeStory adds to the pages' story what is happening now: p-now
// collecting signatures (published a day ago), p-late established in 2019
// and never answered by 衛生福利部 (mohw), and a meeting next week.
func (pe *pagesEnv) homeStory() {
	pe.t.Helper()
	c1, c2 := citizenActor("A200000001"), citizenActor("A200000002")
	proposer := domain.Actor{ID: string(domain.Pseudonym(apiSecret, "F123456789")), Role: domain.RoleProposer}
	now := time.Now()
	steps := []struct {
		at    time.Time
		actor domain.Actor
		cmd   domain.Command
	}{
		{tpg("2019-02-01 10:00"), proposer, domain.SubmitProposal{ProposalID: "p-late", Title: "醫院候診資訊公開", Summary: "公開候診人數"}},
		{tpg("2019-02-02 10:00"), staffActor, domain.PublishProposal{ProposalID: "p-late", CompetentMinistry: "mohw"}},
		{tpg("2019-02-03 10:00"), c1, domain.SignProposal{ProposalID: "p-late", Signer: domain.SignerID(c1.ID)}},
		{tpg("2019-02-04 10:00"), c2, domain.SignProposal{ProposalID: "p-late", Signer: domain.SignerID(c2.ID)}},
		{now.Add(-49 * time.Hour), proposer, domain.SubmitProposal{ProposalID: "p-now", Title: "公園增設飲水機", Summary: "每座公園一台"}},
		{now.Add(-48 * time.Hour), staffActor, domain.PublishProposal{ProposalID: "p-now", CompetentMinistry: "moi"}},
		{now.Add(-47 * time.Hour), c1, domain.SignProposal{ProposalID: "p-now", Signer: domain.SignerID(c1.ID)}},
		{now.Add(-time.Hour), staffActor, domain.ScheduleMeeting{MeetingID: "m-next", Kind: domain.MeetingOther, Title: "飲水機說明會", StartsAt: now.Add(7 * 24 * time.Hour)}},
	}
	for _, s := range steps {
		at := s.at
		pe.now.Store(&at)
		if _, err := pe.ledger.Execute(context.Background(), s.actor, s.cmd, app.WithOccurredAt(at)); err != nil {
			pe.t.Fatalf("%s as %s: %v", s.cmd.CommandName(), s.actor.ID, err)
		}
	}
	pe.caughtUp()
}

// TestHomeAndLists: the home page says what is happening now, and the
// lists filter by names in either language, through real HTTP.
func TestHomeAndLists(t *testing.T) {
	pe := newPagesEnv(t)
	pe.story()
	pe.homeStory()

	code, home, _ := pe.get("/")
	if code != 200 {
		t.Fatalf("home: %d", code)
	}
	section := func(body, id string) string {
		i := strings.Index(body, `id="`+id+`"`)
		if i < 0 {
			t.Fatalf("no section %s", id)
		}
		j := strings.Index(body[i:], "</section>")
		return body[i : i+j]
	}
	mustContain(t, "collecting", section(home, "collecting"), "公園增設飲水機", `value="1"`, "1／2 份有效連署", "內政部")
	mustNotContain(t, "collecting", section(home, "collecting"), "醫院候診資訊公開", "停止神豬比重")
	mustContain(t, "overdue", section(home, "overdue"), "衛生福利部", "醫院候診資訊公開", `href="/ministries/mohw"`)
	mustNotContain(t, "overdue", section(home, "overdue"), "mohw<", "公園增設飲水機")
	mustContain(t, "upcoming", section(home, "upcoming"), "飲水機說明會")
	mustContain(t, "vote", section(home, "vote"), "2019-03", "健保卡虛擬卡")

	// The last day that counts: established 2019-02-04, two months to
	// answer: due at the end of 2019-04-04.
	mustContain(t, "overdue due date", section(home, "overdue"), ">2019-04-04<")

	_, en, _ := pe.get("/?lang=en")
	mustContain(t, "home en", en, "Ministry of Health and Welfare", "What is happening now", `lang="zh-Hant"`)

	for _, c := range []struct{ path, want, not string }{
		{"/proposals?ministry=衛生福利部", "醫院候診資訊公開", "公園增設飲水機"},
		{"/proposals?ministry=Health", "醫院候診資訊公開", "公園增設飲水機"},
		{"/proposals?state=collecting", "公園增設飲水機", "醫院候診資訊公開"},
		{"/proposals?state=overdue", "醫院候診資訊公開", "停止神豬比重"},
		{"/proposals?q=神豬", "停止神豬比重", "公園增設飲水機"},
		{"/proposals?ministry=交通部", `id="unmatched"`, "停止神豬比重"},
		{"/meetings?ministry=內政部&sort=oldest", "PO共識營", "飲水機說明會"},
		{"/meetings?ministry=衛生福利部", "PO共識營", "飲水機說明會"}, // co-organiser of case 57
		{"/meetings?kind=collaborative", "PO共識營", "飲水機說明會"},
		{"/monthly", "停止神豬比重", "zzz"},
		{"/ministries", "內政部主任PO", "po-moi-chief"},
		{"/ministries/mohw", "醫院候診資訊公開", "公園增設飲水機"},
		{"/ministries/moi", "建議各部會指派專責PO", "醫院候診資訊公開"},
	} {
		code, body, _ := pe.get(c.path)
		if code != 200 {
			t.Errorf("%s: %d", c.path, code)
			continue
		}
		mustContain(t, c.path, body, c.want)
		mustNotContain(t, c.path, body, c.not)
	}
	// A name typed as the ministry's address finds it.
	req, _, _ := pe.get("/ministries/%E8%A1%9B%E7%94%9F%E7%A6%8F%E5%88%A9%E9%83%A8")
	if req != 200 {
		t.Errorf("/ministries/衛生福利部: %d", req)
	}
	// Bad filters: a 400 in the page's language.
	for path, want := range map[string]string{
		"/proposals?sort=nope":         "排序須為以下之一",
		"/proposals?state=x&lang=en":   "The state must be one of",
		"/meetings?year=abc&lang=en":   "The year must be a whole number",
		"/ministries/nope":             "找不到頁面",
		"/proposals?page=0&lang=zh-TW": "頁碼須為正整數",
	} {
		code, body, _ := pe.get(path)
		if code != 400 && code != 404 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want %q", path, code, want)
		}
	}
}

// TestBrowserJournalist walks a journalist's first questions in Chromium:
// which proposals are collecting, which ministry is late (and with what),
// at a desktop width and on a 390 px phone, where the lists reflow.
func TestBrowserJournalist(t *testing.T) {
	bctx := testenv.Chromium(t, testenv.Browser{Lang: "zh-TW", Timeout: 90 * time.Second})
	pe := newPagesEnv(t)
	pe.story()
	pe.homeStory()

	var collecting, overdue, ministry string
	var scrollWidth int
	var display string
	err := chromedp.Run(bctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(pe.srv.URL+"/"),
		chromedp.WaitVisible("#home-title", chromedp.ByQuery),
		chromedp.Text("#collecting table", &collecting, chromedp.ByQuery),
		chromedp.Text("#overdue table", &overdue, chromedp.ByQuery),
		chromedp.Evaluate(`document.documentElement.scrollWidth`, &scrollWidth),
		chromedp.Evaluate(`getComputedStyle(document.querySelector('#overdue tbody tr')).display`, &display),
		chromedp.Click(`#overdue a[href="/ministries/mohw"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#ministry-name", chromedp.ByQuery),
		chromedp.Text("#ministry-summary", &ministry, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("home page: %v", err)
	}
	if !strings.Contains(collecting, "公園增設飲水機") || !strings.Contains(overdue, "衛生福利部") || !strings.Contains(overdue, "醫院候診資訊公開") {
		t.Errorf("collecting %q, overdue %q", collecting, overdue)
	}
	if scrollWidth > 390 || display != "block" {
		var wide string
		_ = chromedp.Run(bctx, chromedp.Navigate(pe.srv.URL+"/"), chromedp.WaitVisible("#home-title", chromedp.ByQuery),
			chromedp.Evaluate(`Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 391).slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join('; ')`, &wide))
		t.Errorf("at 390 px the page is %d px wide and a row displays as %q; too wide: %s", scrollWidth, display, wide)
	}
	if !strings.Contains(ministry, "逾期未回應 1") {
		t.Errorf("the ministry's summary reads %q", ministry)
	}

	// What the case looked like before the vote: the monthly vote of
	// 2019-03-06 selected it; as of the day before, through each page's
	// "see an earlier moment" form on the occurred clock, the case did not
	// exist yet, its proposal was already established, and the day after
	// the vote the case had just had its topic set.
	asOf := func(path, date string) chromedp.Tasks {
		return chromedp.Tasks{
			chromedp.Navigate(pe.srv.URL + path),
			chromedp.WaitVisible(".asof-form", chromedp.ByQuery),
			chromedp.SetValue(`.asof-form input[name="asof"]`, date, chromedp.ByQuery),
			chromedp.SetValue(`.asof-form select[name="clock"]`, "occurred", chromedp.ByQuery),
			chromedp.Click(`.asof-form button[type="submit"]`, chromedp.ByQuery),
		}
	}
	var notYet, proposalBanner, proposalStatus, caseBanner, caseStage, liveURL string
	var bannersNow int
	err = chromedp.Run(bctx,
		asOf("/cases/57", "2019-03-05"),
		chromedp.WaitVisible("#error-live", chromedp.ByQuery),
		chromedp.Text("main", &notYet, chromedp.ByQuery),
		asOf("/proposals/p-1", "2019-03-05"),
		chromedp.WaitVisible("#asof-banner", chromedp.ByQuery),
		chromedp.Text("#asof-banner", &proposalBanner, chromedp.ByQuery),
		chromedp.Text("#proposal-status", &proposalStatus, chromedp.ByQuery),
		asOf("/cases/57", "2019-03-07"),
		chromedp.WaitVisible("#asof-banner", chromedp.ByQuery),
		chromedp.Text("#asof-banner", &caseBanner, chromedp.ByQuery),
		chromedp.Text("#case-stage", &caseStage, chromedp.ByQuery),
		chromedp.Click("#asof-live", chromedp.ByQuery),
		chromedp.WaitVisible("#case-title", chromedp.ByQuery),
		chromedp.Location(&liveURL),
		chromedp.Evaluate(`document.querySelectorAll('#asof-banner').length`, &bannersNow),
	)
	if err != nil {
		t.Fatalf("as of before the vote: %v", err)
	}
	if !strings.Contains(notYet, "案件 57 尚未存在") || !strings.Contains(notYet, "2019-03-05 23:59") {
		t.Errorf("the case before the vote: %q", notYet)
	}
	if !strings.Contains(proposalBanner, "發生時鐘") || !strings.Contains(proposalBanner, "2019-03-05 23:59") || proposalStatus != "已成案" {
		t.Errorf("the proposal before the vote: banner %q, status %q", proposalBanner, proposalStatus)
	}
	if !strings.Contains(caseBanner, "2019-03-07 23:59") || caseStage != "設定議題" {
		t.Errorf("the case the day after the vote: banner %q, stage %q", caseBanner, caseStage)
	}
	if !strings.HasSuffix(liveURL, "/cases/57") || bannersNow != 0 {
		t.Errorf("back to now: %s, %d banners", liveURL, bannersNow)
	}
}

// TestHomeImportedMonthlyNotOpen: a PO monthly meeting imported from the
// archive (held, its ballots not in it) never reads as open, on the home
// page or the list, and a vote of another month is called the latest,
// not this month's.
func TestHomeImportedMonthlyNotOpen(t *testing.T) {
	pe := newPagesEnv(t)
	pe.story()
	pe.do("2021-04-20 10:00", staffActor, domain.OpenMonthlyMeeting{MeetingID: "2021-04", HeldOn: calendar.NewDate(2021, time.April, 15), Imported: true})
	pe.caughtUp()

	code, home, _ := pe.get("/?lang=en")
	if code != 200 {
		t.Fatalf("home: %d", code)
	}
	i := strings.Index(home, `id="vote"`)
	if i < 0 {
		t.Fatal("no vote section")
	}
	vote := home[i : i+strings.Index(home[i:], "</section>")]
	mustContain(t, "vote", vote, "2021-04", "The latest PO monthly vote", "its ballots are not in it")
	mustNotContain(t, "vote", vote, "voting open", "This month", "<table")

	_, list, _ := pe.get("/monthly?lang=en")
	j := strings.Index(list, `/monthly/2021-04"`)
	if j < 0 {
		t.Fatal("monthly list: no 2021-04")
	}
	row := list[j : j+strings.Index(list[j:], "</tr>")]
	mustContain(t, "monthly row", row, "its ballots are not in it")
	mustNotContain(t, "monthly row", row, "voting open")
}

package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/web"
)

// occurredAt is the query of an as-of view at the Taipei time s ("2019-01-08
// 12:00") on the occurred-at clock.
func occurredAt(s string) string {
	return "asof=" + url.QueryEscape(tpg(s).Format("2006-01-02T15:04:05Z07:00")) + "&clock=occurred"
}

// TestAsOfEverywhere: through the real HTTP handler over the real store and
// read models, a proposal, a PO monthly meeting, a meeting and a case each
// show an earlier moment on both clocks, with the one banner naming the
// clock and the moment and linking back to now, in both languages and in
// the JSON API (asOf says the point); before the subject existed its page
// says so (404, rule query.asof.not_yet); the lists refuse ?asof= with a
// stable rule, and a malformed one is refused in the page's language.
func TestAsOfEverywhere(t *testing.T) {
	pe := newPagesEnv(t)
	pe.story()
	var t0 = t
	// getJSON decodes into v, which must be fresh (omitted fields keep
	// what v held).
	getJSON := func(path string, v any) int {
		t := t0
		t.Helper()
		code, body, _ := pe.get(path)
		if err := json.Unmarshal([]byte(body), v); err != nil {
			t.Fatalf("%s: %v: %s", path, err, body)
		}
		return code
	}
	page := func(path string, want int) string {
		t0.Helper()
		code, body, _ := pe.get(path)
		if code != want {
			t0.Errorf("%s: %d, want %d", path, code, want)
		}
		return body
	}
	banner := func(what, body string, live string, wants ...string) {
		t.Helper()
		mustContain(t, what, body, append([]string{`id="asof-banner"`, `id="asof-live" href="` + live + `"`}, wants...)...)
	}

	t.Run("proposal", func(t *testing.T) {
		// c1 signed on 7 January, c2 on 9 January.
		var pv web.ProposalView
		if code := getJSON("/api/v1/proposals/p-1?"+occurredAt("2019-01-08 12:00"), &pv); code != 200 || pv.AsOf == nil || pv.AsOf.Clock != "occurred" || !pv.AsOf.At.Equal(tpg("2019-01-08 12:00")) || pv.Proposal.Signatures != 1 || pv.Proposal.Response != nil {
			t.Errorf("proposal as of 8 January: %d %+v signatures %d", code, pv.AsOf, pv.Proposal.Signatures)
		}
		var live web.ProposalView
		if code := getJSON("/api/v1/proposals/p-1", &live); code != 200 || live.AsOf != nil || live.Proposal.Signatures != 2 {
			t.Errorf("proposal now: %d %+v", code, live)
		}
		body := page("/proposals/p-1?"+occurredAt("2019-01-08 12:00")+"&lang=en", 200)
		banner("proposal page", body, "/proposals/p-1", "occurred-at clock", "2019-01-08 12:00")
		mustContain(t, "proposal page", body, `<dt>All signatures</dt><dd>1</dd>`)
		body = page("/proposals/p-1?asof=2019-01-08&clock=occurred&lang=zh-Hant", 200)
		banner("proposal page zh", body, "/proposals/p-1", "時點檢視", "發生時鐘", "2019-01-08 23:59", "回到目前狀態")
		// Before it was submitted (5 January).
		var eb web.ErrorBody
		if code := getJSON("/api/v1/proposals/p-1?asof=2019-01-04&clock=occurred", &eb); code != 404 || eb.Error.Rule != web.RuleAsOfNotYet {
			t.Errorf("proposal before it existed: %d %+v", code, eb)
		}
		body = page("/proposals/p-1?asof=2019-01-04&clock=occurred&lang=en", 404)
		mustContain(t, "not yet", body, "Did not exist yet", "The proposal p-1 did not exist yet", "2019-01-04 23:59", `href="/proposals/p-1"`, "See it now", web.RuleAsOfNotYet)
		body = page("/proposals/p-1?asof=2019-01-04&clock=occurred", 404)
		mustContain(t, "not yet zh", body, "當時尚未存在", "提案 p-1 尚未存在", "查看目前狀態")
		// A position: the proposal's submission.
		var trail web.TrailView
		getJSON("/api/v1/trails/proposal-p-1", &trail)
		submitted := trail.Page.Entries[0].Position
		var first web.ProposalView
		if code := getJSON("/api/v1/proposals/p-1?asof="+itoa(uint64(submitted)), &first); code != 200 || first.AsOf.Clock != "position" || first.AsOf.Position != submitted || first.Proposal.Signatures != 0 || first.Proposal.Published != nil {
			t.Errorf("proposal as of position %d: %d %+v", submitted, code, first)
		}
		// The recorded clock: the story was recorded today, so in 2019 the
		// ledger had recorded nothing of it.
		var eb2 web.ErrorBody
		if code := getJSON("/api/v1/proposals/p-1?asof=2019-06-01", &eb2); code != 404 || eb.Error.Rule != web.RuleAsOfNotYet {
			t.Errorf("proposal as recorded in 2019: %d %+v", code, eb2)
		}
		var inv web.InvalidationList
		if code := getJSON("/api/v1/proposals/p-1/invalidations?"+occurredAt("2019-01-08 12:00"), &inv); code != 200 || inv.AsOf == nil {
			t.Errorf("invalidations as of: %d %+v", code, inv)
		}
	})

	t.Run("monthly", func(t *testing.T) {
		// One ballot at 14:30, the second at 14:32.
		var mv web.MonthlyView
		if code := getJSON("/api/v1/monthly/2019-03?"+occurredAt("2019-03-06 14:31"), &mv); code != 200 || mv.AsOf == nil || mv.AsOf.Clock != "occurred" || len(mv.Ballots) != 1 || mv.Closed != nil || len(mv.Cases) != 0 {
			t.Errorf("vote as of 14:31: %d %+v ballots %d", code, mv.AsOf, len(mv.Ballots))
		}
		var now web.MonthlyView
		if code := getJSON("/api/v1/monthly/2019-03", &now); code != 200 || now.AsOf != nil || len(now.Ballots) != 2 || now.Closed == nil || len(now.Cases) != 1 {
			t.Errorf("vote now: %d %+v", code, now)
		}
		body := page("/monthly/2019-03?"+occurredAt("2019-03-06 14:31")+"&lang=en", 200)
		banner("monthly page", body, "/monthly/2019-03", "occurred-at clock", "2019-03-06 14:31")
		body = page("/monthly/2019-03?asof=2019-03-05&clock=occurred&lang=en", 404)
		mustContain(t, "monthly not yet", body, "The PO monthly meeting 2019-03 did not exist yet")
	})

	t.Run("meeting", func(t *testing.T) {
		// At 10:10 both notes are up (n-1 is removed at 10:20) and no
		// question has been asked.
		var mv web.MeetingView
		if code := getJSON("/api/v1/meetings/m-1?"+occurredAt("2019-04-16 10:10"), &mv); code != 200 || mv.AsOf == nil || len(mv.Meeting.Notes) != 2 || len(mv.Meeting.Questions) != 0 {
			t.Errorf("meeting as of 10:10: %d %+v notes %d questions %d", code, mv.AsOf, len(mv.Meeting.Notes), len(mv.Meeting.Questions))
		}
		var now web.MeetingView
		if code := getJSON("/api/v1/meetings/m-1", &now); code != 200 || now.AsOf != nil || len(now.Meeting.Notes) != 1 {
			t.Errorf("meeting now: %d notes %d", code, len(now.Meeting.Notes))
		}
		body := page("/meetings/m-1?"+occurredAt("2019-04-16 10:10")+"&lang=en", 200)
		banner("meeting page", body, "/meetings/m-1", "occurred-at clock")
		mustContain(t, "meeting page", body, "壓力有一點大")
		body = page("/meetings/m-1?asof=2019-04-01&clock=occurred&lang=en", 404)
		mustContain(t, "meeting not yet", body, "The meeting m-1 did not exist yet")
		if code := getJSON("/api/v1/meetings/nothing?asof=2019-04-01&clock=occurred", &web.ErrorBody{}); code != 404 {
			t.Errorf("unknown meeting as of: %d", code)
		}
	})

	t.Run("case", func(t *testing.T) {
		body := page("/cases/57?asof=2019-03-06&clock=occurred&lang=en", 404)
		mustContain(t, "case not yet", body, "The case 57 did not exist yet", `href="/cases/57"`)
		var eb web.ErrorBody
		if code := getJSON("/api/v1/cases/57/trail?asof=2019-03-06&clock=occurred", &eb); code != 404 || eb.Error.Rule != web.RuleAsOfNotYet {
			t.Errorf("case trail before it existed: %d %+v", code, eb)
		}
		var unknown web.ErrorBody
		if code := getJSON("/api/v1/cases/nothing?asof=2019-03-06&clock=occurred", &unknown); code != 404 || unknown.Error.Rule != "" {
			t.Errorf("unknown case as of: %d %+v", code, unknown)
		}
		body = page("/cases/57?asof=2019-03-08&clock=occurred&after=1&n=2&lang=en", 200)
		banner("case page", body, "/cases/57", "occurred-at clock")
	})

	t.Run("lists refuse", func(t *testing.T) {
		for _, path := range []string{"/", "/cases", "/proposals", "/meetings", "/monthly", "/ministries", "/ministries/moi", "/search?q=x"} {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			body := page(path+sep+"asof=2019-01-08&lang=en", 400)
			mustContain(t, path, body, "This page shows the present only", web.RuleAsOfLiveOnly)
		}
		body := page("/proposals?asof=2019-01-08", 400)
		mustContain(t, "zh", body, "此頁只呈現目前狀態")
		for _, path := range []string{"/api/v1/cases?asof=3", "/api/v1/responses/due?asof=3", "/api/v1/search?q=x&asof=3"} {
			var eb web.ErrorBody
			if code := getJSON(path, &eb); code != 400 || eb.Error.Rule != web.RuleAsOfLiveOnly {
				t.Errorf("%s: %d %+v", path, code, eb)
			}
		}
	})

	t.Run("malformed", func(t *testing.T) {
		body := page("/proposals/p-1?asof=yesterday", 400)
		mustContain(t, "bad value zh", body, "asof 須為紀錄位置", web.RuleAsOfMalformed)
		body = page("/meetings/m-1?asof=2019-01-08&clock=world&lang=en", 400)
		mustContain(t, "bad clock", body, "clock must be recorded", web.RuleAsOfClock)
		var eb web.ErrorBody
		if code := getJSON("/api/v1/monthly/2019-03?asof=0", &eb); code != 400 || eb.Error.Rule != web.RuleAsOfMalformed {
			t.Errorf("position 0: %d %+v", code, eb)
		}
	})
}

package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/web"
)

// TestSpeakerWindowProvisional: a speaker whose edit window reaches a year
// the office calendar does not cover (2027, today) sees its end marked
// provisional on their correction form and in their tasks (#14 item 6).
func TestSpeakerWindowProvisional(t *testing.T) {
	e := newSigninEnv(t, func(si *web.SignIn) { si.OIDC = nil; si.Dev = true })
	published := time.Date(2026, 12, 24, 18, 0, 0, 0, calendar.Taipei)
	e.now.Store(&published)
	staff := domain.Actor{ID: "pdis-1", Role: domain.RolePDIS}
	steno := domain.Actor{ID: "steno-1", Role: domain.RoleStenographer}
	e.do(staff, domain.ScheduleMeeting{MeetingID: "m-1", Kind: domain.MeetingOther, Title: "年末會議", StartsAt: published.Add(-8 * time.Hour)})
	e.do(staff, domain.StartTranscript{MeetingID: "m-1"})
	e.do(steno, domain.RecordUtterance{MeetingID: "m-1", UtteranceID: "u-1", Kind: domain.UtteranceSpeech,
		Speaker: domain.Speaker{ActorID: "pdis-2", Name: "乙"}, Paragraphs: []string{"年底前會公開。"}})
	e.do(staff, domain.PublishTranscript{MeetingID: "m-1"})

	b := e.browser()
	b.post(e.url+"/signin/dev", url.Values{"role": {"pdis"}, "id": {"pdis-2"}, "return": {"/me"}})
	var page string
	for range 100 { // the read models follow the log
		if _, page = b.get(e.url + "/speak/m-1/u-1?lang=en"); strings.Contains(page, `id="window-end"`) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(page, `id="window-provisional"`) || !strings.Contains(page, "2027") {
		t.Errorf("the correction form does not mark its window provisional:\n%s", page)
	}
	_, tasks := b.get(e.url + "/me?lang=en")
	if !strings.Contains(tasks, "open until") || !strings.Contains(tasks, "(Provisional)") {
		t.Errorf("the speaker's tasks do not mark the window provisional:\n%s", tasks)
	}
}

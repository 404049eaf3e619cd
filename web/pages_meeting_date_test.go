package web_test

import (
	"testing"

	"github.com/pdis/collab-ledger/domain"
)

// TestImportedMeetingShowsDateOnly: a meeting imported from the archive
// (which gives its date, not its time) shows its date, not "00:00", on its
// page and in the list; a meeting scheduled with a time still shows it.
func TestImportedMeetingShowsDateOnly(t *testing.T) {
	pe := newPagesEnv(t)
	pe.story()
	pe.do("2019-06-01 10:00", staffActor, domain.ScheduleMeeting{MeetingID: "m-archived", Kind: domain.MeetingOther, Title: "檔案中的會議", StartsAt: tpg("2018-12-20 00:00"), Imported: true})
	pe.do("2019-06-01 10:05", staffActor, domain.ScheduleMeeting{MeetingID: "m-timed", Kind: domain.MeetingOther, Title: "排定時間的會議", StartsAt: tpg("2019-06-20 14:30")})
	pe.caughtUp()

	code, page, _ := pe.get("/meetings/m-archived?lang=en")
	if code != 200 {
		t.Fatalf("meeting: %d", code)
	}
	mustContain(t, "imported meeting", page, `<time datetime="2018-12-20">2018-12-20</time>`)
	mustNotContain(t, "imported meeting", page, "2018-12-20 00:00")
	_, page, _ = pe.get("/meetings/m-timed?lang=en")
	mustContain(t, "timed meeting", page, "2019-06-20 14:30")

	_, list, _ := pe.get("/meetings?year=2018&lang=en")
	mustContain(t, "list", list, `<time datetime="2018-12-20">2018-12-20</time>`)
	mustNotContain(t, "list", list, "2018-12-20 00:00")
}

package web_test

import (
	"testing"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
)

// TestImportedMonthlyMeetingPage: a monthly meeting imported from the
// archive is shown as held, saying its ballots are not in the archive,
// never as a vote still open over empty tables.
func TestImportedMonthlyMeetingPage(t *testing.T) {
	pe := newPagesEnv(t)
	pe.do("2017-04-10 00:00", staffActor, domain.OpenMonthlyMeeting{MeetingID: "2017-04", HeldOn: calendar.MustParseDate("2017-04-10"), Imported: true})
	pe.caughtUp()
	code, body, _ := pe.get("/monthly/2017-04")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	mustContain(t, "imported monthly", body, "此月會自檔案匯入", "選票與計票結果不在檔案中")
	mustNotContain(t, "imported monthly", body, "投票尚未結束", "各機關選票")
	_, en, _ := pe.get("/monthly/2017-04?lang=en")
	mustContain(t, "imported monthly, English", en, "ballots and tally are not in the archive")
	mustNotContain(t, "imported monthly, English", en, "The vote is still open.")
}

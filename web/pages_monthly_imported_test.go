package web_test

import (
	"testing"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
)

// TestImportedMonthlyMeetingPage: a monthly meeting imported from the
// archive is shown as held, saying its ballots are not in the archive,
// never as a vote still open over empty tables, and shows what its
// transcript shows: the transcript, its speakers, the topics it quotes.
func TestImportedMonthlyMeetingPage(t *testing.T) {
	pe := newPagesEnv(t)
	pe.do("2017-04-10 00:00", staffActor, domain.OpenMonthlyMeeting{MeetingID: "2017-04", HeldOn: calendar.MustParseDate("2017-04-10"), Imported: true})
	pe.do("2017-04-10 00:00", staffActor, domain.RecordMonthlyHeld{MeetingID: "2017-04", Transcript: "akn-20170410-0123456789ab", Speakers: []string{"唐鳳", "蔡玉琪"}, Utterances: 58, Topics: []string{"新一代國家健保憑證規劃案"}})
	pe.caughtUp()
	code, body, _ := pe.get("/monthly/2017-04")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	mustContain(t, "imported monthly", body, "此月會自檔案匯入", "選票與計票結果不在檔案中",
		"逐字紀錄所示", `href="/meetings/akn-20170410-0123456789ab"`, "發言者（2 位）", "唐鳳、蔡玉琪", "<dd>58</dd>", "發言中引述的議題標題（1 項）", "<li>新一代國家健保憑證規劃案</li>")
	mustNotContain(t, "imported monthly", body, "投票尚未結束", "各機關選票", "候選題目與得票", "每個機關最多選")
	_, en, _ := pe.get("/monthly/2017-04?lang=en")
	mustContain(t, "imported monthly, English", en, "ballots and tally are not in the archive", "What its transcript shows", "Speakers (2)", "Topic titles its speeches quote (1)")
	mustNotContain(t, "imported monthly, English", en, "The vote is still open.")
}

package web_test

import (
	"net/http"
	"testing"

	"github.com/pdis/collab-ledger/domain"
)

// TestPageReattributionShowsWhatChanged (#14 item 15): a speaker
// reattribution with no text change shows no empty "Edited" bar, and one
// that changes only the account says so instead of "X → X".
func TestPageReattributionShowsWhatChanged(t *testing.T) {
	pe := newPagesEnv(t)
	for _, s := range []struct {
		at    string
		actor domain.Actor
		cmd   domain.Command
	}{
		{"2019-04-02 10:00", staffActor, domain.ScheduleMeeting{MeetingID: "m-1", Kind: domain.MeetingOther, Title: "共識營", StartsAt: tpg("2019-04-16 09:30")}},
		{"2019-04-16 09:30", pgSteno, domain.StartTranscript{MeetingID: "m-1"}},
		{"2019-04-16 09:31", pgSteno, domain.RecordUtterance{MeetingID: "m-1", UtteranceID: "u-1", Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{Name: "甲"}, Paragraphs: []string{"第一句。"}}},
		{"2019-04-16 09:32", pgSteno, domain.RecordUtterance{MeetingID: "m-1", UtteranceID: "u-2", Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{Name: "丙"}, Paragraphs: []string{"第二句。"}}},
		{"2019-04-19 18:00", staffActor, domain.PublishTranscript{MeetingID: "m-1"}},
		{"2019-04-20 10:00", staffActor, domain.ReattributeSpeaker{MeetingID: "m-1", UtteranceID: "u-1", Speaker: domain.Speaker{Name: "乙"}, Reason: "其實是乙說的"}},
		{"2019-04-20 10:05", staffActor, domain.ReattributeSpeaker{MeetingID: "m-1", UtteranceID: "u-2", Speaker: domain.Speaker{Name: "丙", ActorID: pgMoiChief.ID}, Reason: "連結帳號"}},
	} {
		pe.do(s.at, s.actor, s.cmd)
	}
	pe.caughtUp()
	code, body, _ := pe.get("/meetings/m-1?lang=en")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	mustContain(t, "transcript", body, "Speaker corrected: 甲 → 乙", "Speaker corrected: 丙; linked to the speaker&#39;s account")
	mustNotContain(t, "transcript", body, `class="edited-mark"`, "丙 → 丙", pgMoiChief.ID)
	code, body, _ = pe.get("/meetings/m-1")
	if code != http.StatusOK {
		t.Fatalf("%d", code)
	}
	mustContain(t, "transcript (zh)", body, "發言者更正：甲 → 乙", "發言者更正：丙；連結到發言者帳號")
}

package web_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/web"
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

// TestPageDueDatesShowTheLastDay (#14 item 5): a deadline is the end of a
// Taipei day and the page shows that day: the README's "due 23 November,
// extended to 23 January" reads 2024-11-23 → 2025-01-23, not 11-24 →
// 01-24.
func TestPageDueDatesShowTheLastDay(t *testing.T) {
	pe := newPagesEnv(t)
	proposer := domain.Actor{ID: string(domain.Pseudonym(apiSecret, "F123456789")), Role: domain.RoleProposer}
	c1, c2 := citizenActor("A200000001"), citizenActor("A200000002")
	mohw := domain.Actor{ID: "mohw-official", Role: domain.RoleMinistry, Ministry: "mohw"}
	for _, s := range []struct {
		at    string
		actor domain.Actor
		cmd   domain.Command
	}{
		{"2024-09-20 10:00", proposer, domain.SubmitProposal{ProposalID: "p-2", Title: "循環杯", Summary: "..."}},
		{"2024-09-20 11:00", staffActor, domain.PublishProposal{ProposalID: "p-2", CompetentMinistry: "mohw"}},
		{"2024-09-23 09:00", c1, domain.SignProposal{ProposalID: "p-2", Signer: domain.SignerID(c1.ID)}},
		{"2024-09-23 10:00", c2, domain.SignProposal{ProposalID: "p-2", Signer: domain.SignerID(c2.ID)}},
		{"2024-11-15 11:00", mohw, domain.ExtendResponseDeadline{ProposalID: "p-2", NewDueDate: calendar.MustParseDate("2025-01-23"), Reason: "需跨部會研商"}},
		{"2025-01-24 09:00", staffActor, domain.MarkResponseOverdue{ProposalID: "p-2"}},
	} {
		pe.do(s.at, s.actor, s.cmd)
	}
	pe.caughtUp()
	code, body, _ := pe.get("/proposals/p-2?lang=en")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	mustContain(t, "proposal page", body, "2024-11-23 → 2025-01-23", ">2025-01-23</time>", ">2024-11-23</time>")
	mustNotContain(t, "proposal page", body, "2024-11-24", "2025-01-24")
}

// TestAPIBackdating (#14 item 7): an occurred-at in the future is refused;
// a back-dated command needs a reason and is staff-only; a speaker's edit
// window is judged by the time the edit is recorded, so a staff speaker
// cannot reopen it by back-dating; the reason is kept and the event is
// marked as back-dated in the API's answer and on the transcript page.
func TestAPIBackdating(t *testing.T) {
	pe := newPagesEnv(t)
	staff := pe.token(staffActor, time.Time{})
	steno := pe.token(domain.Actor{ID: "steno-1", Role: domain.RoleStenographer}, time.Time{})
	published := time.Date(2026, 1, 5, 18, 0, 0, 0, calendar.Taipei)
	pe.now.Store(&published)
	pe.must(staff, "meeting.schedule", map[string]any{"meetingId": "m-1", "kind": "other", "title": "會議", "startsAt": published.Add(-8 * time.Hour)})
	pe.must(staff, "transcript.start", map[string]any{"meetingId": "m-1"})
	pe.must(steno, "transcript.record_utterance", map[string]any{"meetingId": "m-1", "utteranceId": "u-1", "kind": "speech", "speaker": map[string]any{"name": "PDIS 同仁", "actorId": staffActor.ID}, "paragraphs": []string{"原本的話。"}})
	pe.must(steno, "transcript.record_utterance", map[string]any{"meetingId": "m-1", "utteranceId": "u-2", "kind": "speech", "speaker": map[string]any{"name": "乙"}, "paragraphs": []string{"錯字的話。"}})
	pe.must(staff, "transcript.publish", map[string]any{"meetingId": "m-1"})
	later := time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.Taipei) // long after 10 working days
	pe.now.Store(&later)

	edit := map[string]any{"meetingId": "m-1", "utteranceId": "u-1", "paragraphs": []string{"改過的話。"}}
	inWindow := published.Add(24 * time.Hour).Format(time.RFC3339)
	pe.refused(staff, "transcript.edit_utterance", edit, http.StatusUnprocessableEntity, web.CodeRuleViolated, "transcript.edit.window_closed")
	pe.refused(staff, "transcript.edit_utterance", edit, http.StatusUnprocessableEntity, web.CodeRuleViolated, "transcript.edit.window_closed",
		web.HeaderOccurredAt, inWindow, web.HeaderOccurredAtReason, "補登")
	// No reason; a date to come.
	pe.refused(staff, "transcript.correct_utterance", map[string]any{"meetingId": "m-1", "utteranceId": "u-2", "paragraphs": []string{"正確的話。"}, "reason": "錯字"},
		http.StatusUnprocessableEntity, web.CodeRuleViolated, web.RuleOccurredAtReasonRequired, web.HeaderOccurredAt, inWindow)
	pe.refused(staff, "transcript.correct_utterance", map[string]any{"meetingId": "m-1", "utteranceId": "u-2", "paragraphs": []string{"正確的話。"}, "reason": "錯字"},
		http.StatusUnprocessableEntity, web.CodeRuleViolated, app.RuleOccurredAtFuture, web.HeaderOccurredAt, later.Add(48*time.Hour).Format(time.RFC3339), web.HeaderOccurredAtReason, "預先登記")

	// A staff correction from a paper record, entered late, with its reason.
	res := pe.must(staff, "transcript.correct_utterance", map[string]any{"meetingId": "m-1", "utteranceId": "u-2", "paragraphs": []string{"正確的話。"}, "reason": "錯字"},
		web.HeaderOccurredAt, inWindow, web.HeaderOccurredAtReason, url.PathEscape("依紙本勘誤表補登"))
	if got := res.Events[0].BackdateReason; got != "依紙本勘誤表補登" {
		t.Fatalf("answer's backdate reason %q: %+v", got, res.Events[0])
	}
	pe.caughtUp()
	code, body, _ := pe.get("/meetings/m-1?lang=en")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	mustContain(t, "transcript page", body, `<span class="backdated">back-dated: 依紙本勘誤表補登</span>`)
}

// TestPageSignatureChartCountsValidSignatures (#14 item 14): the chart
// follows the valid signatures over time from the events (an invalidated
// signature comes off), bucketed, with the threshold and the signing
// deadline marked and a data table per bucket.
func TestPageSignatureChartCountsValidSignatures(t *testing.T) {
	pe := newPagesEnv(t)
	proposer := domain.Actor{ID: string(domain.Pseudonym(apiSecret, "F123456789")), Role: domain.RoleProposer}
	c1, c2, c3 := citizenActor("A200000001"), citizenActor("A200000002"), citizenActor("A200000003")
	steps := []struct {
		at    string
		actor domain.Actor
		cmd   domain.Command
	}{
		{"2024-09-20 10:00", proposer, domain.SubmitProposal{ProposalID: "p-3", Title: "循環杯", Summary: "..."}},
		{"2024-09-20 11:00", staffActor, domain.PublishProposal{ProposalID: "p-3", CompetentMinistry: "mohw"}},
		{"2024-09-21 09:10", c1, domain.SignProposal{ProposalID: "p-3", Signer: domain.SignerID(c1.ID)}},
		{"2024-09-21 09:20", c2, domain.SignProposal{ProposalID: "p-3", Signer: domain.SignerID(c2.ID)}},
		{"2024-09-21 11:30", c3, domain.SignProposal{ProposalID: "p-3", Signer: domain.SignerID(c3.ID)}},
	}
	for _, s := range steps {
		pe.do(s.at, s.actor, s.cmd)
	}
	pe.caughtUp()
	sig := domain.SignatureIDFor("p-3", domain.SignerID(c3.ID))
	pe.do("2024-09-21 15:00", staffActor, domain.InvalidateSignature{ProposalID: "p-3", SignatureID: sig, Reason: "重複帳號"})
	pe.caughtUp()
	code, body, _ := pe.get("/proposals/p-3?lang=en")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	// Hourly buckets: 09:00 (+2 → 2), 11:00 (+1 → 3), 15:00 (−1 → 2).
	mustContain(t, "chart", body, `class="deadline"`, `class="threshold"`, "Signing closes",
		`<time datetime="2024-09-21T01:00:00Z">2024-09-21 09:00</time></td><th scope="row" data-label="Signed / invalidated">+2</th><td data-label="Count">2</td>`,
		`<time datetime="2024-09-21T03:00:00Z">2024-09-21 11:00</time></td><th scope="row" data-label="Signed / invalidated">+1</th><td data-label="Count">3</td>`,
		`<time datetime="2024-09-21T07:00:00Z">2024-09-21 15:00</time></td><th scope="row" data-label="Signed / invalidated">+0 / −1</th><td data-label="Count">2</td>`,
		"valid signatures (invalidated ones taken off) from publication to 2024-11-19: 2 now, at most 3")
}

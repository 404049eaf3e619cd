package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/web"
)

// refused posts a command that must be refused with status, code and
// (when given) rule, and checks that nothing was stored.
func (e *apiEnv) refused(token, name string, body any, status int, code, rule string, headers ...string) reply {
	e.t.Helper()
	head := e.head()
	r := e.post(token, name, body, headers...)
	if r.status != status || r.err.Code != code || (rule != "" && r.err.Rule != rule) {
		e.t.Fatalf("%s: %d %+v, want %d %s %s", name, r.status, r.err, status, code, rule)
	}
	if after := e.head(); after != head {
		e.t.Fatalf("%s: a refused command moved the head from %d to %d", name, head, after)
	}
	return r
}

// TestAPIRefusesDatesOutOfRange (#14 item 10): a date or time outside
// 1990–2200 is refused with a stable rule, not clamped and stored
// ("0000-01-01" used to be stored as 1677-09-22).
func TestAPIRefusesDatesOutOfRange(t *testing.T) {
	e := newAPI(t, nil)
	staff := e.token(staffActor, time.Time{})
	for _, heldOn := range []string{"0000-01-01", "1989-12-31", "2201-01-01", "9999-12-31"} {
		e.refused(staff, "monthly.open", map[string]any{"meetingId": "2026-12", "heldOn": heldOn}, http.StatusUnprocessableEntity, web.CodeRuleViolated, domain.RuleDateOutOfRange)
	}
	e.refused(staff, "meeting.schedule", map[string]any{"meetingId": "m-1", "kind": "other", "title": "x", "startsAt": "0005-03-01T00:00:00Z"}, http.StatusUnprocessableEntity, web.CodeRuleViolated, domain.RuleDateOutOfRange)
	e.refused(staff, "registry.register_ministry", map[string]any{"ministryId": "moj", "name": "法務部"}, http.StatusUnprocessableEntity, web.CodeRuleViolated, domain.RuleDateOutOfRange,
		web.HeaderOccurredAt, "1899-01-01T00:00:00Z", web.HeaderOccurredAtReason, "archive")
	// The edges are in range.
	e.must(staff, "monthly.open", map[string]any{"meetingId": "1990-01", "heldOn": "1990-01-01"})
	res := e.must(staff, "monthly.open", map[string]any{"meetingId": "2200-12", "heldOn": "2200-12-31"})
	if got := string(res.Events[0].Data); !strings.Contains(got, `"heldOn":"2200-12-31"`) {
		t.Fatalf("stored %s", got)
	}
}

// TestAPIRefusesInvalidUTF8 (#14 item 11): bytes that are not UTF-8, and
// escaped lone surrogates, are refused with invalid_utf8 instead of being
// replaced by U+FFFD and stored.
func TestAPIRefusesInvalidUTF8(t *testing.T) {
	e := newAPI(t, nil)
	proposer := e.token(domain.Actor{ID: citizenActor("F100000001").ID, Role: domain.RoleProposer}, time.Time{})
	for _, body := range []string{
		"{\"proposalId\":\"p-1\",\"title\":\"bad \xff byte\"}",
		"{\"proposalId\":\"p-1\",\"title\":\"\xe6\xb8\"}", // a truncated 清
		`{"proposalId":"p-1","title":"half a pair \ud800"}`,
		`{"proposalId":"p-1","title":"a low half \udc00 alone"}`,
	} {
		e.refused(proposer, "proposal.submit", []byte(body), http.StatusBadRequest, web.CodeInvalidUTF8, "")
	}
	// A whole pair, an escaped backslash before "u", and plain text are fine.
	res := e.must(proposer, "proposal.submit", []byte(`{"proposalId":"p-1","title":"😀 \ud83d\ude00 \\ud800 清"}`))
	if got := string(res.Events[0].Data); !strings.Contains(got, `😀 😀 \\ud800 清`) {
		t.Fatalf("stored %s", got)
	}
}

// TestAPIParagraphsSafeSubset (#14 item 12): a paragraph sent through the
// API is held to the importer's safe inline subset; <script> is refused,
// not stored verbatim.
func TestAPIParagraphsSafeSubset(t *testing.T) {
	e := newAPI(t, nil)
	staff := e.token(staffActor, time.Time{})
	steno := e.token(domain.Actor{ID: "steno-1", Role: domain.RoleStenographer}, time.Time{})
	e.must(staff, "meeting.schedule", map[string]any{"meetingId": "m-1", "kind": "other", "title": "會議", "startsAt": apiNow})
	e.must(staff, "transcript.start", map[string]any{"meetingId": "m-1"})
	utt := func(id string, ps ...string) map[string]any {
		return map[string]any{"meetingId": "m-1", "utteranceId": id, "kind": "speech", "speaker": map[string]any{"name": "甲"}, "paragraphs": ps}
	}
	rule := domain.CmdRecordUtterance + domain.RuleSuffixParagraphUnsafe
	for _, p := range []string{"<script>alert(1)</script>hi", `<a href="javascript:alert(1)">x</a>`, "<img src=x onerror=alert(1)>", "a < b", "<b>unclosed"} {
		e.refused(steno, "transcript.record_utterance", utt("u-1", "ok", p), http.StatusUnprocessableEntity, web.CodeRuleViolated, rule)
	}
	e.must(steno, "transcript.record_utterance", utt("u-1", `<b>粗體</b> a &lt; b <a href="https://join.gov.tw/">Join</a><br/>`))
}

// votedTopic records, through the API, a PO monthly meeting held on heldOn
// that selects one ministry proposal organised by moi, and returns the
// selected topic as the closing event stored it.
func (e *apiEnv) votedTopic(staff, po, monthly, heldOn string) map[string]any {
	e.t.Helper()
	e.must(staff, "monthly.open", map[string]any{"meetingId": monthly, "heldOn": heldOn})
	e.must(staff, "monthly.add_candidate", map[string]any{"meetingId": monthly, "candidateId": "c1", "kind": "ministry_proposal", "title": "議題 " + monthly, "organiser": "moi"})
	e.must(po, "monthly.cast_ballot", map[string]any{"meetingId": monthly, "choices": []string{"c1"}})
	res := e.must(staff, "monthly.close", map[string]any{"meetingId": monthly})
	var closed struct {
		Selected []map[string]any `json:"selected"`
	}
	if err := json.Unmarshal(res.Events[0].Data, &closed); err != nil || len(closed.Selected) != 1 {
		e.t.Fatalf("monthly %s selected %s (%v)", monthly, res.Events[0].Data, err)
	}
	return closed.Selected[0]
}

// registryWithPO registers moi with its chief PO for 2026 and returns the
// staff and PO tokens.
func (e *apiEnv) registryWithPO() (staff, po string) {
	e.t.Helper()
	staff = e.token(staffActor, time.Time{})
	// A PO's token is issued for a registered PO: e.token registers
	// po-moi-chief (and moi) for 2026 first.
	po = e.token(domain.Actor{ID: "po-moi-chief", Role: domain.RolePO, Ministry: "moi"}, time.Time{})
	return staff, po
}

// TestAPIOrganiserSpacingIsBetweenTopics (#14 item 8): the 45-day rule
// spaces an organiser's voted topics, not the meetings of one case: a case's
// second collaborative meeting 14 days after its first is accepted; another
// voted topic's meeting of the same organiser 14 days later is refused,
// and accepted 49 days later.
func TestAPIOrganiserSpacingIsBetweenTopics(t *testing.T) {
	e := newAPI(t, nil)
	staff, po := e.registryWithPO()
	e.votedTopic(staff, po, "2026-03", "2026-03-04")
	e.votedTopic(staff, po, "2026-04", "2026-04-01")
	for _, c := range []struct{ id, monthly string }{{"case-1", "2026-03"}, {"case-2", "2026-04"}} {
		e.must(staff, "case.open", map[string]any{"caseId": c.id, "title": "議題", "sourceKind": "voted_topic", "monthlyMeetingId": c.monthly, "candidateId": "c1"})
		e.must(staff, "case.assign_lead", map[string]any{"caseId": c.id, "ministry": "moi"})
	}
	meeting := func(id, kase, phase, day string) map[string]any {
		return map[string]any{"meetingId": id, "caseId": kase, "kind": "collaborative", "phase": phase, "title": "協作會議", "startsAt": day + "T09:30:00+08:00"}
	}
	e.must(staff, "meeting.schedule", meeting("m-1", "case-1", "discover", "2026-04-08"))
	e.must(staff, "meeting.schedule", meeting("m-2", "case-1", "define", "2026-04-22"))
	e.must(staff, "meeting.schedule", meeting("m-3", "case-1", "develop", "2026-05-06"))
	e.refused(staff, "meeting.schedule", meeting("m-4", "case-2", "discover", "2026-05-20"), http.StatusUnprocessableEntity, web.CodeRuleViolated, "meeting.schedule.organiser_spacing")
	e.must(staff, "meeting.schedule", meeting("m-4", "case-2", "discover", "2026-06-24"))
}

// TestAPIMonthlyVoteProposesAWorkingDay (#14 item 9): the earliest meeting
// date a vote proposes is a working day of the office calendar, not
// 1 January.
func TestAPIMonthlyVoteProposesAWorkingDay(t *testing.T) {
	e := newAPI(t, nil)
	staff, po := e.registryWithPO()
	if got := e.votedTopic(staff, po, "2025-12", "2025-12-03"); got["earliestDate"] != "2026-01-02" || got["calendarProvisional"] != nil {
		t.Fatalf("December 2025 vote: %v", got)
	}
	// May 2026: 1 May (Labour Day) is a Friday, then a weekend.
	if got := e.votedTopic(staff, po, "2026-04", "2026-04-01"); got["earliestDate"] == "2026-05-02" || got["earliestDate"] == "2026-05-03" {
		t.Fatalf("April 2026 vote: %v", got)
	}
}

// TestAPIAnonymousQuestions (#14 item 3): a question records nothing about
// its author (no account, no role, no client-chosen IDs); only a
// participant of the meeting may ask, and checking it leaves nothing in
// the log that ties the question to them.
func TestAPIAnonymousQuestions(t *testing.T) {
	e := newAPI(t, nil)
	ctx := context.Background()
	staff := e.token(staffActor, time.Time{})
	proposer := domain.Actor{ID: citizenActor("F100000001").ID, Role: domain.RoleProposer}
	alice, bob := citizenActor("A100000001"), citizenActor("A100000002")
	propTok, aliceTok, bobTok := e.token(proposer, time.Time{}), e.token(alice, time.Time{}), e.token(bob, time.Time{})
	e.must(staff, "meeting.schedule", map[string]any{"meetingId": "m-1", "kind": "other", "title": "會議", "startsAt": apiNow})
	e.must(staff, "meeting.schedule", map[string]any{"meetingId": "m-2", "kind": "other", "title": "另一場", "startsAt": apiNow})
	e.must(staff, "meeting.add_participant", map[string]any{"meetingId": "m-1", "participantId": "pt-1", "name": "提案人", "role": "proposer", "account": proposer.ID})
	e.must(staff, "meeting.add_participant", map[string]any{"meetingId": "m-1", "participantId": "pt-2", "name": "民眾", "role": "observer", "account": alice.ID})
	e.must(staff, "meeting.add_participant", map[string]any{"meetingId": "m-2", "participantId": "pt-1", "name": "民眾", "role": "observer", "account": bob.ID})

	// Not a participant of m-1 (bob is one of m-2): refused, nothing stored.
	e.refused(bobTok, "meeting.post_question", map[string]any{"meetingId": "m-1", "questionId": "q-1", "text": "?"}, http.StatusForbidden, web.CodeForbidden, domain.RuleQuestionParticipantsOnly)
	// A client cannot pass for a participant by sending the key.
	e.refused(bobTok, "meeting.post_question", map[string]any{"meetingId": "m-1", "questionId": "q-1", "text": "?", "authorKey": domain.ParticipantKey(apiSecret, "m-1", alice.ID)}, http.StatusBadRequest, web.CodeBadRequest, "")

	before := e.head()
	res := e.must(propTok, "meeting.post_question", map[string]any{"meetingId": "m-1", "questionId": "q-1", "text": "院長會聽到嗎？"},
		web.HeaderCommandID, "proposer-question-1", web.HeaderCorrelationID, "proposer-session", web.HeaderCausationID, "proposer-click")
	e.must(aliceTok, "meeting.post_question", map[string]any{"meetingId": "m-1", "questionId": "q-2", "text": "會有逐字稿嗎？"})
	if res.CommandID == "proposer-question-1" || res.CorrelationID == "proposer-session" {
		t.Fatalf("the answer carries the client's IDs: %+v", res)
	}
	evs, err := e.raw.ReadAll(ctx, before, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("posting two questions stored %d events", len(evs))
	}
	for _, ev := range evs {
		md := ev.Metadata
		if ev.Type != "meeting.question_posted" || md.ActorID != "" || md.ActorRole != "" || md.CausationID != "" || md.CorrelationID != md.CommandID {
			t.Errorf("question %s metadata %+v", ev.Type, md)
		}
		raw, _ := json.Marshal(ev)
		for _, leak := range []string{proposer.ID, alice.ID, "proposer", "citizen", "observer", "pt-1", "pt-2", domain.ParticipantKey(apiSecret, "m-1", proposer.ID), domain.ParticipantKey(apiSecret, "m-1", alice.ID)} {
			if strings.Contains(string(raw), leak) {
				t.Errorf("question event holds %q: %s", leak, raw)
			}
		}
	}
	// The participant list holds digests, never the accounts.
	all, err := e.raw.ReadAll(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range all {
		if ev.Type == "meeting.participant_added" && (strings.Contains(string(ev.Data), alice.ID) || strings.Contains(string(ev.Data), bob.ID) || strings.Contains(string(ev.Data), proposer.ID)) {
			t.Errorf("participant event holds an account: %s", ev.Data)
		}
	}
}

// restart starts a new command side and HTTP server over the same store,
// as a restarted process would (the old ones are closed).
func (e *apiEnv) restart() {
	e.t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	clock := func() time.Time { return *e.now.Load() }
	l, err := app.NewLedger(e.store, app.LedgerConfig{
		Proposal: domain.ProposalConfig{Threshold: 2, Window: domain.Period{Days: 60}, Milestones: []int{1}, ResponseDeadline: domain.Period{Months: 2}},
		Secret:   apiSecret,
		Handler:  app.Config{Now: clock, Logger: quiet},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	h, err := web.New(web.Config{Store: e.store, StoreKind: "file", Logger: quiet, Ledger: l, Tokens: e.tokens})
	if err != nil {
		e.t.Fatal(err)
	}
	e.srv.Close()
	e.ledger.Close()
	e.ledger, e.srv = l, httptest.NewServer(h)
	e.t.Cleanup(e.srv.Close)
}

// TestAPIIdempotentCommandID (#14 item 4): a command sent again with the
// same X-Command-ID gets the original answer (status and body), also after
// a restart; the same ID with a different command is refused (422,
// command.id_reused); nothing is stored twice.
func TestAPIIdempotentCommandID(t *testing.T) {
	e := newAPI(t, nil)
	staff := e.token(staffActor, time.Time{})
	proposer := e.token(domain.Actor{ID: citizenActor("F100000001").ID, Role: domain.RoleProposer}, time.Time{})
	alice := citizenActor("A100000001")
	aliceTok := e.token(alice, time.Time{})
	submit := map[string]any{"proposalId": "p-1", "title": "開放資料"}
	first := e.post(proposer, "proposal.submit", submit, web.HeaderCommandID, "submit-p-1")
	if first.status != http.StatusCreated {
		t.Fatalf("submit: %d %s", first.status, first.body)
	}
	e.must(staff, "proposal.publish", map[string]any{"proposalId": "p-1", "competentMinistry": "moj"})
	sign := e.post(aliceTok, "proposal.sign", map[string]any{"proposalId": "p-1"}, web.HeaderCommandID, "sign-1", web.HeaderCorrelationID, "c-1")
	if sign.status != http.StatusCreated || len(sign.result.Events) != 2 {
		t.Fatalf("sign: %d %s", sign.status, sign.body)
	}
	e.must(staff, "meeting.schedule", map[string]any{"meetingId": "m-1", "kind": "other", "title": "會議", "startsAt": apiNow})
	e.must(staff, "meeting.add_participant", map[string]any{"meetingId": "m-1", "participantId": "pt-1", "name": "民眾", "role": "observer", "account": alice.ID})
	question := map[string]any{"meetingId": "m-1", "questionId": "q-1", "text": "?"}
	asked := e.post(aliceTok, "meeting.post_question", question, web.HeaderCommandID, "q-1")
	if asked.status != http.StatusCreated {
		t.Fatalf("question: %d %s", asked.status, asked.body)
	}

	same := func(label string, want reply, token, name string, body any, headers ...string) {
		t.Helper()
		head := e.head()
		got := e.post(token, name, body, headers...)
		if got.status != want.status || !bytes.Equal(got.body, want.body) {
			t.Fatalf("%s: %d %s, want the original %d %s", label, got.status, got.body, want.status, want.body)
		}
		if e.head() != head {
			t.Fatalf("%s: stored again", label)
		}
	}
	for _, round := range []string{"retry", "retry after a restart"} {
		if round != "retry" {
			e.restart()
		}
		same(round+" submit", first, proposer, "proposal.submit", submit, web.HeaderCommandID, "submit-p-1")
		same(round+" sign", sign, aliceTok, "proposal.sign", map[string]any{"proposalId": "p-1"}, web.HeaderCommandID, "sign-1", web.HeaderCorrelationID, "c-1")
		same(round+" question", asked, aliceTok, "meeting.post_question", question, web.HeaderCommandID, "q-1")
		// The same ID with another command, another actor or another time.
		e.refused(proposer, "proposal.submit", map[string]any{"proposalId": "p-1", "title": "另一個標題"}, http.StatusUnprocessableEntity, web.CodeRuleViolated, app.RuleCommandIDReused, web.HeaderCommandID, "submit-p-1")
		e.refused(proposer, "proposal.submit", map[string]any{"proposalId": "p-2", "title": "開放資料"}, http.StatusUnprocessableEntity, web.CodeRuleViolated, app.RuleCommandIDReused, web.HeaderCommandID, "sign-1")
		e.refused(aliceTok, "proposal.submit", submit, http.StatusUnprocessableEntity, web.CodeRuleViolated, app.RuleCommandIDReused, web.HeaderCommandID, "submit-p-1")
	}
	// Without an ID a second signature is still a second attempt.
	e.refused(aliceTok, "proposal.sign", map[string]any{"proposalId": "p-1"}, http.StatusConflict, web.CodeConflict, "proposal.sign.once_per_signer")
}

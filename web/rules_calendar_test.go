package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/internal/testenv"
	"github.com/pdis/collab-ledger/web"
)

// TestCalendarWarningAndProvisionalDates (#14 item 6): from 1 October
// /healthz warns that next year's office calendar is not loaded; a vote
// whose meeting month is in a year not loaded proposes a date counted on
// weekends only and marks it provisional.
func TestCalendarWarningAndProvisionalDates(t *testing.T) {
	december := time.Date(2026, 12, 6, 9, 0, 0, 0, calendar.Taipei)
	e := newAPI(t, func(c *web.Config) { c.Now = func() time.Time { return december } })
	resp, err := http.Get(e.srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var h web.Health
	if err := json.Unmarshal(body, &h); err != nil || resp.StatusCode != 200 || len(h.Warnings) != 1 || !strings.Contains(h.Warnings[0], "2027") {
		t.Fatalf("healthz in December 2026 without 2027: %d %s", resp.StatusCode, body)
	}
	staff, po := e.registryWithPO()
	got := e.votedTopic(staff, po, "2026-12", "2026-12-02")
	if got["earliestDate"] != "2027-01-01" || got["calendarProvisional"] != true {
		t.Fatalf("December 2026 vote without the 2027 calendar: %v", got)
	}
}

// TestCalendarLoadedYear: the shared data's official 2026 file loaded over
// the built-in calendar agrees with it, and a server with it does not warn
// in September.
func TestCalendarLoadedYear(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.SharedDir(t), "data", "taiwan-calendar", "2026.json"))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.WeekendsOnly().WithOfficialYear(data)
	if err != nil {
		t.Fatal(err)
	}
	for d := calendar.NewDate(2026, 1, 1); d.Year() == 2026; d = d.AddDays(1) {
		if cal.IsWorkingDay(d) != calendar.Taiwan().IsWorkingDay(d) {
			t.Fatalf("%s: loaded %v, built in %v", d, cal.IsWorkingDay(d), calendar.Taiwan().IsWorkingDay(d))
		}
	}
}

// TestPageEditWindowProvisional: a transcript published when its edit
// window reaches a year the calendar does not cover says the window is
// provisional.
func TestPageEditWindowProvisional(t *testing.T) {
	pe := newPagesEnv(t)
	staff := pe.token(staffActor, time.Time{})
	published := time.Date(2026, 12, 24, 18, 0, 0, 0, calendar.Taipei)
	pe.now.Store(&published)
	pe.must(staff, "meeting.schedule", map[string]any{"meetingId": "m-1", "kind": "other", "title": "會議", "startsAt": published.Add(-8 * time.Hour)})
	pe.must(staff, "transcript.start", map[string]any{"meetingId": "m-1"})
	steno := pe.token(pgSteno, time.Time{})
	pe.must(steno, "transcript.record_utterance", map[string]any{"meetingId": "m-1", "utteranceId": "u-1", "kind": "speech", "speaker": map[string]any{"name": "甲"}, "paragraphs": []string{"話。"}})
	pe.must(staff, "transcript.publish", map[string]any{"meetingId": "m-1"})
	pe.caughtUp()
	code, body, _ := pe.get("/meetings/m-1?lang=en")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	mustContain(t, "meeting page", body, `id="calendar-provisional"`, "Provisional", "[2027]")
}

// TestPageMonthlyProvisionalDate: the monthly page marks an earliest
// meeting date counted without the year's office calendar.
func TestPageMonthlyProvisionalDate(t *testing.T) {
	pe := newPagesEnv(t)
	staff, po := pe.registryWithPO()
	pe.votedTopic(staff, po, "2026-12", "2026-12-02")
	pe.caughtUp()
	code, body, _ := pe.get("/monthly/2026-12?lang=en")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	mustContain(t, "monthly page", body, `2027-01-01 <span class="provisional"`, "(Provisional)")
}

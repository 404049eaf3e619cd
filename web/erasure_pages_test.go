package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore/sealed"
)

// TestErasedOnPages: the story on a sealed ledger; a citizen who signed
// and asked a question is erased, and so is a removed note's reason. The
// pages then say when and why ("erased on DATE (reason)") where the values
// were, in both languages, and neither value is on any page, the auditor's
// included; the JSON trail marks the entries.
func TestErasedOnPages(t *testing.T) {
	secrets := sealed.NewMemory()
	pe := newPagesEnvWith(t, secrets, nil)
	pe.story()
	c1 := citizenActor("A200000001")
	aud := pe.token(auditorActor, apiNow.Add(time.Hour))
	auditor := "Authorization: Bearer " + aud
	pages := []string{"/cases/57", "/cases/57?lang=en", "/meetings/m-1", "/proposals/p-1"}
	audPages := []string{"/meetings/m-1?view=auditor", "/cases/57?view=auditor", "/api/v1/cases/57/trail?view=auditor"}
	_, before, _ := pe.get("/meetings/m-1?view=auditor", auditor)
	mustContain(t, "auditor meeting before", before, "斷章取義")
	_, trailBefore, _ := pe.get("/api/v1/cases/57/trail?view=auditor", auditor)
	mustContain(t, "auditor trail before", trailBefore, c1.ID)

	// The removed note's reason, by event.
	var noteRemoved string
	evs, err := pe.raw.ReadAll(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Type == "meeting.note_removed" {
			noteRemoved = ev.ID.String()
		}
	}
	pe.do("2019-07-01 10:00", staffActor, domain.Erase{EventID: noteRemoved, Reason: "當事人請求刪除", LegalBasis: "個人資料保護法第11條第3項"})
	pe.do("2019-07-02 10:00", staffActor, domain.Erase{Person: c1.ID, Reason: "當事人請求刪除", LegalBasis: "個人資料保護法第11條第3項"})
	pe.caughtUp()
	// The pages date an erasure by when it was recorded (in Taipei).
	evs, err = pe.raw.ReadAll(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	day := func(i int) string { return evs[len(evs)+i].RecordedAt.In(calendar.Taipei).Format("2006-01-02") }
	noteDay, personDay := day(-2), day(-1)

	for _, path := range append(pages, audPages...) {
		code, body, _ := pe.get(path, auditor)
		if code != 200 {
			t.Errorf("%s: %d", path, code)
		}
		mustNotContain(t, path, body, c1.ID, "斷章取義")
	}
	_, zh, _ := pe.get("/cases/57")
	mustContain(t, "case page", zh, "已於 "+personDay+" 依法刪除（當事人請求刪除；個人資料保護法第11條第3項）")
	_, en, _ := pe.get("/cases/57?lang=en")
	mustContain(t, "case page (en)", en, "erased on "+personDay+" (當事人請求刪除; 個人資料保護法第11條第3項)")
	_, meeting, _ := pe.get("/meetings/m-1?view=auditor", auditor)
	mustContain(t, "auditor meeting", meeting, "已於 "+noteDay+" 依法刪除")
	_, trail, _ := pe.get("/api/v1/cases/57/trail?view=auditor", auditor)
	if !strings.Contains(trail, `"erased":{"on":"`) {
		t.Errorf("the JSON trail does not mark the erased entries: %.400s", trail)
	}
}

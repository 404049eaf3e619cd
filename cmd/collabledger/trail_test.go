package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/demo"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/readmodels"
)

// TestTrailCommand prints the demo case's accountability trail, live and as
// of earlier moments, through the real command side and store.
func TestTrailCommand(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	store, err := eventstore.Open(ctx, "file:"+path, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := app.NewLedger(store, app.LedgerConfig{Secret: []byte("trail-test-secret-0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(ctx, l, demo.Options{Store: store, Now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	store.Close()
	url := "file:" + path
	trail := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"trail", "--store", url, "--case", string(demo.ShowcaseCase)}, args...), &out, io.Discard)
		return out.String(), err
	}

	var live readmodels.TrailPage
	out, err := trail("--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &live); err != nil {
		t.Fatal(err)
	}
	steps := map[string]bool{}
	for i, e := range live.Entries {
		steps[e.Type] = true
		if i > 0 && e.Position <= live.Entries[i-1].Position {
			t.Fatalf("trail out of log order at entry %d", i)
		}
		if e.EventID == "" || e.RecordedAt.IsZero() || e.OccurredAt.IsZero() {
			t.Fatalf("entry %d lacks its event ID or times: %+v", i, e.Stamp)
		}
	}
	for _, want := range []string{"proposal.established", "monthly.closed", "case.opened", "case.stage_changed", "case.directive_recorded", "case.response_recorded"} {
		if !steps[want] {
			t.Errorf("the live trail has no %s entry", want)
		}
	}

	text, err := trail()
	if err != nil || !strings.Contains(text, "How case "+string(demo.ShowcaseCase)+" arose") || !strings.Contains(text, "case.directive_recorded") {
		t.Fatalf("text trail: %v\n%s", err, text)
	}

	// The text says what happened and who did it, in Taipei time, labelled.
	en, err := trail("--lang", "en")
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{text, en} {
		if !strings.Contains(out, "Times are Taipei time") || !strings.Contains(out, "WHAT") {
			t.Errorf("the text trail does not label its times or has no WHAT column:\n%s", out[:min(len(out), 600)])
		}
	}
	lineOf := func(out, eventID string) string {
		for line := range strings.SplitSeq(out, "\n") {
			if strings.HasSuffix(line, eventID) {
				return line
			}
		}
		return ""
	}
	checked := 0
	for _, e := range live.Entries {
		var moved struct{ To string }
		if e.Type != "case.stage_changed" || json.Unmarshal(e.Data, &moved) != nil || moved.To != "research" {
			continue
		}
		zh, english := lineOf(text, e.EventID), lineOf(en, e.EventID)
		when := e.OccurredAt.In(calendar.Taipei).Format("2006-01-02 15:04")
		if !strings.Contains(zh, when) || !strings.Contains(zh, "研究") || !strings.Contains(english, "Research") {
			t.Errorf("the move to research reads\n%s\n%s\nwant %s (Taipei) and the stage named", zh, english, when)
		}
		checked++
	}
	if checked == 0 {
		t.Error("the demo case's trail has no move to research")
	}

	// The proposal's establishment says when the response is due as the
	// last day that counts (calendar.LastDay of the recorded instant), in
	// both languages.
	dues := 0
	for _, e := range live.Entries {
		var est struct{ ResponseDueAt time.Time }
		if e.Type != "proposal.established" || json.Unmarshal(e.Data, &est) != nil || est.ResponseDueAt.IsZero() {
			continue
		}
		day := calendar.LastDay(est.ResponseDueAt).String()
		zh, english := lineOf(text, e.EventID), lineOf(en, e.EventID)
		if !strings.Contains(zh, "回應期限（最後一日）: "+day) || !strings.Contains(english, "Due (last day): "+day) {
			t.Errorf("the establishment (due %s) reads\n%s\n%s\nwant its last day %s in both languages", est.ResponseDueAt.Format(time.RFC3339), zh, english, day)
		}
		dues++
	}
	if dues == 0 {
		t.Error("the demo case's trail has no establishment with a response deadline")
	}

	// As of the position where the case was opened: the directive is not there yet.
	var opened uint64
	for _, e := range live.Entries {
		if e.Type == "case.opened" {
			opened = uint64(e.Position)
		}
	}
	out, err = trail("--format", "json", "--as-of", strconv.FormatUint(opened, 10))
	if err != nil {
		t.Fatal(err)
	}
	var then readmodels.TrailPage
	if err := json.Unmarshal([]byte(out), &then); err != nil {
		t.Fatal(err)
	}
	if len(then.Entries) == 0 || len(then.Entries) >= len(live.Entries) || uint64(then.Entries[len(then.Entries)-1].Position) != opened {
		t.Fatalf("as of position %d: %d entries ending at %d (live %d)", opened, len(then.Entries), then.Entries[len(then.Entries)-1].Position, len(live.Entries))
	}
	// On the occurred-at clock, as of 2024-01-01 the case did not exist yet.
	if _, err := trail("--as-of", "2024-01-01T00:00:00+08:00", "--clock", "occurred"); err == nil || !strings.Contains(err.Error(), "no case") {
		t.Fatalf("as of before the case: %v", err)
	}
	if _, err := trail("--as-of", "yesterday"); err == nil || exitCode(err) != 2 {
		t.Fatalf("a bad --as-of: %v", err)
	}
}

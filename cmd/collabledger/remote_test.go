package main

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/pdis/collab-ledger/reports/reportstest"
)

// TestServerInsteadOfStore: while `collabledger serve` holds the embedded
// store, trail, report and export opened on the store fail with the stable
// error store_in_use naming the command to use instead, and a command with
// no such way says it needs the server stopped; trail --server and report
// --server answer what trail and report answered from the store.
func TestServerInsteadOfStore(t *testing.T) {
	path, head := recordReportStory(t)
	store := "file:" + path
	at := strconv.FormatUint(head, 10)
	reportArgs := []string{"--from", reportstest.From, "--to", reportstest.To, "--ministry", "moi", "--format", "json", "--at", at}
	wantTrail, _, err := runCapture(t, "trail", "--store", store, "--case", "c-1", "--lang", "en")
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _, err := runCapture(t, "trail", "--store", store, "--case", "c-1", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	wantReport, _, err := runCapture(t, append([]string{"report", "--store", store}, reportArgs...)...)
	if err != nil {
		t.Fatal(err)
	}

	base := startServe(t, store, "--deadline-check=0")
	for _, c := range []struct {
		args    []string
		instead string
	}{
		{[]string{"trail", "--store", store, "--case", "c-1"}, "collabledger trail --server URL"},
		{append([]string{"report", "--store", store}, reportArgs...), "collabledger report --server URL"},
		{[]string{"export", "--store", store}, "collabledger export --server URL"},
		{[]string{"akn", "--store", store, "--meeting", "m-1"}, "akn needs it stopped"},
	} {
		_, _, err := runCapture(t, c.args...)
		if !errors.Is(err, errStoreInUse) || !strings.HasPrefix(err.Error(), "store_in_use: ") || !strings.Contains(err.Error(), c.instead) {
			t.Errorf("%s while serving: %v; want store_in_use naming %q", c.args[0], err, c.instead)
		}
	}

	// The server's read models catch up; then it answers as the store did.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got, _, err := runCapture(t, "trail", "--server", base, "--case", "c-1", "--lang", "en")
		if err == nil && got == wantTrail {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("trail --server: %v\n%s\nwant\n%s", err, got, wantTrail)
		}
	}
	if got, _, err := runCapture(t, "trail", "--server", base, "--case", "c-1", "--format", "json"); err != nil || got != wantJSON {
		t.Errorf("trail --server --format json: %v\n%.400s\nwant\n%.400s", err, got, wantJSON)
	}
	if _, _, err := runCapture(t, "trail", "--server", base, "--case", "no-such"); err == nil || !strings.Contains(err.Error(), "404 not_found") {
		t.Errorf("trail --server of no case: %v", err)
	}
	// The server's refusal comes in the terminal's language, not the
	// pages' default.
	hasHan := func(s string) bool {
		return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
	}
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	for _, c := range []struct {
		lang string
		han  bool
	}{{"en_GB.UTF-8", false}, {"zh_TW.UTF-8", true}, {"", false}} {
		t.Setenv("LANG", c.lang)
		_, _, err := runCapture(t, "trail", "--server", base, "--case", "no-such")
		if err == nil || hasHan(err.Error()) != c.han {
			t.Errorf("LANG=%q: trail --server of no case: %v; want the message in Chinese: %v", c.lang, err, c.han)
		}
	}
	got, _, err := runCapture(t, append([]string{"report", "--server", base}, reportArgs...)...)
	if err != nil || strings.TrimSpace(got) != strings.TrimSpace(wantReport) {
		t.Errorf("report --server: %v\n%.400s\nwant\n%.400s", err, got, wantReport)
	}
}

package calendar

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// sharedCalendarDir finds ../shared/data/taiwan-calendar beside the
// repository root (the directory holding go.mod). It returns "" if absent.
func sharedCalendarDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "data", "taiwan-calendar")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// TestShippedCalendarMatchesOfficialData checks every day of every year in
// the official JSON files, read in place, against the shipped calendar.
func TestShippedCalendarMatchesOfficialData(t *testing.T) {
	dir := sharedCalendarDir(t)
	if dir == "" {
		if os.Getenv("COLLABLEDGER_REQUIRE_SHARED") == "1" {
			t.Fatal("../shared/data/taiwan-calendar not found beside the repository and COLLABLEDGER_REQUIRE_SHARED=1")
		}
		t.Skip("../shared/data/taiwan-calendar not found beside the repository; set COLLABLEDGER_REQUIRE_SHARED=1 to make this a failure")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no calendar files in %s: %v", dir, err)
	}
	cal := Taiwan()
	years := map[int]bool{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var days []struct {
			Date        string `json:"date"`
			IsHoliday   bool   `json:"isHoliday"`
			Description string `json:"description"`
		}
		if err := json.Unmarshal(raw, &days); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, day := range days {
			date, err := ParseDate(day.Date)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			years[date.Year()] = true
			if got := cal.IsWorkingDay(date); got == day.IsHoliday {
				t.Errorf("%s: IsWorkingDay = %v, official isHoliday = %v (%s)", day.Date, got, day.IsHoliday, day.Description)
			}
			if e, ok := cal.Exception(date); ok && e.Description != day.Description {
				t.Errorf("%s: description %q, official %q", day.Date, e.Description, day.Description)
			}
		}
	}
	for y := range years {
		if !cal.Covers(y) {
			t.Errorf("official data has %d but the shipped calendar does not cover it", y)
		}
	}
	for _, y := range cal.Years() {
		if !years[y] {
			t.Errorf("shipped calendar covers %d but the official data has no such year", y)
		}
	}
	for y := 2017; y <= 2026; y++ {
		if !years[y] {
			t.Errorf("official data lacks %d", y)
		}
	}
}

package calendar

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/pdis/collab-ledger/internal/testenv"
)

// TestShippedCalendarMatchesOfficialData checks every day of every year in
// the official JSON files, read in place, against the shipped calendar.
func TestShippedCalendarMatchesOfficialData(t *testing.T) {
	dir := filepath.Join(testenv.SharedDir(t), "data", "taiwan-calendar")
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

// Command gen writes the ledger's compact working-day calendar (taiwan.cal)
// from the yearly JSON files of Taiwan's government office calendar
// (中華民國政府行政機關辦公日曆表, one object per day).
//
// It keeps only the facts: for each year, the Monday-to-Friday days on which
// offices are closed and the Saturdays and Sundays on which they are open,
// with the official description. It is run at development time (go generate
// in domain/calendar); the product never reads the JSON files.
//
// Usage:
//
//	go run ./internal/gen -in ../../../shared/data/taiwan-calendar -out taiwan.cal
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

type day struct {
	Date        string `json:"date"`
	Week        string `json:"week"`
	IsHoliday   bool   `json:"isHoliday"`
	Description string `json:"description"`
}

var weekChars = map[time.Weekday]string{
	time.Sunday: "日", time.Monday: "一", time.Tuesday: "二", time.Wednesday: "三",
	time.Thursday: "四", time.Friday: "五", time.Saturday: "六",
}

const header = `# Taiwan government office calendar (中華民國政府行政機關辦公日曆表), published yearly
# by the Directorate-General of Personnel Administration, Executive Yuan (行政院人事行政總處),
# open data: data.gov.tw dataset 14718, Government Open Data License 1.0 (reuse with attribution).
# Converted via the public repository jacktdry/TaiwanCalendar (snapshot 2026-05-28).
# Restated in collab-ledger's own format by domain/calendar/internal/gen; do not edit by hand.

# Format: "year Y" declares Y covered; "off DATE DESC" is a Monday-Friday with offices
# closed; "work DATE DESC" is a Saturday or Sunday with offices open. Other days follow the
# week. Years not declared fall back to weekends only.
`

func main() {
	in := flag.String("in", "", "directory holding YYYY.json files")
	out := flag.String("out", "taiwan.cal", "file to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	files, err := filepath.Glob(filepath.Join(in, "*.json"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no *.json files in %s", in)
	}
	slices.Sort(files)
	var b bytes.Buffer
	b.WriteString(header)
	for _, f := range files {
		if err := year(&b, f); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	return os.WriteFile(out, b.Bytes(), 0o644)
}

func year(b *bytes.Buffer, file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var days []day
	if err := json.Unmarshal(raw, &days); err != nil {
		return err
	}
	if len(days) < 365 {
		return fmt.Errorf("only %d days", len(days))
	}
	first, err := time.Parse(time.DateOnly, days[0].Date)
	if err != nil {
		return err
	}
	y := first.Year()
	fmt.Fprintf(b, "\nyear %d\n", y)
	seen := map[string]bool{}
	for _, d := range days {
		t, err := time.Parse(time.DateOnly, d.Date)
		if err != nil {
			return err
		}
		if t.Year() != y {
			return fmt.Errorf("%s outside year %d", d.Date, y)
		}
		if seen[d.Date] {
			return fmt.Errorf("%s twice", d.Date)
		}
		seen[d.Date] = true
		if weekChars[t.Weekday()] != d.Week {
			return fmt.Errorf("%s: week %q does not match %s", d.Date, d.Week, t.Weekday())
		}
		weekend := t.Weekday() == time.Saturday || t.Weekday() == time.Sunday
		desc := strings.Join(strings.Fields(d.Description), " ")
		switch {
		case d.IsHoliday && !weekend:
			fmt.Fprintf(b, "off %s %s\n", d.Date, desc)
		case !d.IsHoliday && weekend:
			fmt.Fprintf(b, "work %s %s\n", d.Date, desc)
		}
	}
	if want := time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC).YearDay(); len(seen) != want {
		return fmt.Errorf("%d days, want %d", len(seen), want)
	}
	return nil
}

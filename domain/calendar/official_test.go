package calendar_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"
)

// official2027 is a year in the official format, made here: 1 January and
// a Lunar New Year week off, a make-up working Saturday.
func official2027() []byte {
	var b strings.Builder
	b.WriteString("[")
	for d := calendar.NewDate(2027, time.January, 1); d.Year() == 2027; d = d.AddDays(1) {
		holiday, desc := d.IsWeekend(), ""
		switch d.String() {
		case "2027-01-01":
			holiday, desc = true, "開國紀念日"
		case "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10":
			holiday, desc = true, "春節"
		case "2027-01-23":
			holiday, desc = false, "補行上班"
		}
		if d.Month() != time.January || d.Day() != 1 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"date":%q,"week":"","isHoliday":%t,"description":%q}`, d.String(), holiday, desc)
	}
	b.WriteString("]")
	return []byte(b.String())
}

func TestWithOfficialYear(t *testing.T) {
	base := calendar.Taiwan()
	if base.Covers(2027) || !base.IsWorkingDay(calendar.MustParseDate("2027-01-01")) {
		t.Fatal("the built-in calendar already knows 2027")
	}
	c, err := base.WithOfficialYear(official2027())
	if err != nil {
		t.Fatal(err)
	}
	if !c.Covers(2027) || c.IsWorkingDay(calendar.MustParseDate("2027-01-01")) || !c.IsWorkingDay(calendar.MustParseDate("2027-01-23")) || c.IsWorkingDay(calendar.MustParseDate("2027-02-08")) {
		t.Fatal("2027 not loaded")
	}
	if !c.Covers(2026) || c.IsWorkingDay(calendar.MustParseDate("2026-01-01")) {
		t.Fatal("the built-in years were lost")
	}
	if base.Covers(2027) {
		t.Fatal("loading changed the calendar it was loaded into")
	}
	for _, bad := range []string{`[]`, `{}`, `[{"date":"2027-01-01","isHoliday":true}]`} {
		if _, err := base.WithOfficialYear([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if y, missing := base.MissingNextYear(time.Date(2026, 12, 6, 9, 0, 0, 0, calendar.Taipei)); !missing || y != 2027 {
		t.Fatalf("December 2026 without 2027: %d %v", y, missing)
	}
	if _, missing := base.MissingNextYear(time.Date(2026, 9, 30, 9, 0, 0, 0, calendar.Taipei)); missing {
		t.Fatal("warned before October")
	}
	if _, missing := c.MissingNextYear(time.Date(2026, 12, 6, 9, 0, 0, 0, calendar.Taipei)); missing {
		t.Fatal("warned with 2027 loaded")
	}
}

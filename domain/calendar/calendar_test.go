package calendar

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func d(s string) Date { return MustParseDate(s) }

func TestShippedCalendarCoversTheDataYears(t *testing.T) {
	cal := Taiwan()
	for y := 2017; y <= 2026; y++ {
		if !cal.Covers(y) {
			t.Errorf("Covers(%d) = false, want true", y)
		}
	}
	for _, y := range []int{2016, 2027, 1999} {
		if cal.Covers(y) {
			t.Errorf("Covers(%d) = true, want false (no data shipped)", y)
		}
	}
	if !strings.Contains(cal.Attribution(), "Government Open Data License") {
		t.Errorf("attribution missing licence: %q", cal.Attribution())
	}
}

func TestWorkingDaysByTheRules(t *testing.T) {
	cal := Taiwan()
	tests := []struct {
		name    string
		date    string
		working bool
	}{
		{"an ordinary Monday is a working day", "2019-01-14", true},
		{"an ordinary Saturday is not", "2019-01-12", false},
		{"new year's day 2019 is a holiday", "2019-01-01", false},
		{"make-up Saturday 2019-01-19 is a working day", "2019-01-19", true},
		{"make-up Saturday 2019-02-23 is a working day", "2019-02-23", true},
		{"make-up Saturday 2019-10-05 is a working day", "2019-10-05", true},
		{"2019 Lunar New Year's Eve is off", "2019-02-04", false},
		{"2019 Spring Festival day is off", "2019-02-05", false},
		{"2019 Spring Festival is off on 02-06", "2019-02-06", false},
		{"2019 Spring Festival is off on 02-07", "2019-02-07", false},
		{"2019 bridge day 02-08 is off", "2019-02-08", false},
		{"the day after the 2019 break is a working day", "2019-02-11", true},
		{"2019 bridge day before national day is off", "2019-10-11", false},
		{"2023 little new year's eve is off", "2023-01-20", false},
		{"2023 Spring Festival is off on 01-23", "2023-01-23", false},
		{"2023 make-up holiday 01-25 is off", "2023-01-25", false},
		{"2023 make-up holiday 01-26 is off", "2023-01-26", false},
		{"2023 bridge day 01-27 is off", "2023-01-27", false},
		{"the day after the 2023 break is a working day", "2023-01-30", true},
		{"make-up Saturday 2023-01-07 is a working day", "2023-01-07", true},
		{"make-up Saturday 2023-02-04 is a working day", "2023-02-04", true},
		{"an unknown year's Saturday is off (weekends-only fallback)", "2040-01-07", false},
		{"an unknown year's new year's day is a working day (fallback)", "2041-01-01", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.IsWorkingDay(d(tt.date)); got != tt.working {
				t.Errorf("IsWorkingDay(%s) = %v, want %v", tt.date, got, tt.working)
			}
		})
	}
}

func TestAddWorkingDaysAcrossBreaks(t *testing.T) {
	cal := Taiwan()
	tests := []struct {
		name string
		from string
		n    int
		want string
	}{
		{"zero days is the same day", "2019-02-05", 0, "2019-02-05"},
		{"one working day after Friday 2019-01-18 is the make-up Saturday", "2019-01-18", 1, "2019-01-19"},
		{"one working day after the start of the 2019 break is the day after it", "2019-02-01", 1, "2019-02-11"},
		{"10 working days after a 2019-01-25 publication skip the 2019 break", "2019-01-25", 10, "2019-02-15"},
		{"10 working days after 2023-01-13 skip the 2023 break and land on a make-up Saturday", "2023-01-13", 10, "2023-02-04"},
		{"counting from a holiday starts with the next working day", "2023-01-21", 1, "2023-01-30"},
		{"one working day after Friday 2019-02-22 is the make-up Saturday", "2019-02-22", 1, "2019-02-23"},
		{"backwards: one working day before 2019-02-11 is 2019-02-01", "2019-02-11", -1, "2019-02-01"},
		{"unknown year counts weekends only", "2040-01-06", 5, "2040-01-13"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.AddWorkingDays(d(tt.from), tt.n); got != d(tt.want) {
				t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
			}
		})
	}
}

func TestWindowEndIsTheEndOfTheNthWorkingDayInTaipei(t *testing.T) {
	cal := Taiwan()
	// Published late on Friday 25 January 2019, Taipei time.
	pub := time.Date(2019, 1, 25, 22, 30, 0, 0, Taipei)
	end := cal.WindowEnd(pub, 10)
	want := time.Date(2019, 2, 16, 0, 0, 0, 0, Taipei)
	if !end.Equal(want) {
		t.Fatalf("WindowEnd = %s, want %s", end, want)
	}
	// 23:59 UTC on 24 January is already 25 January in Taipei.
	if got := cal.WindowEnd(time.Date(2019, 1, 24, 23, 59, 0, 0, time.UTC), 10); !got.Equal(want) {
		t.Errorf("WindowEnd from a UTC instant = %s, want %s (the Taipei date counts)", got, want)
	}
}

func TestFallbackYearsSaySoForUnknownYears(t *testing.T) {
	cal := Taiwan()
	if got := cal.FallbackYears(d("2019-01-01"), d("2026-12-31")); len(got) != 0 {
		t.Errorf("FallbackYears(2019..2026) = %v, want none", got)
	}
	got := cal.FallbackYears(d("2026-12-20"), d("2028-01-05"))
	if len(got) != 2 || got[0] != 2027 || got[1] != 2028 {
		t.Errorf("FallbackYears(2026-12..2028-01) = %v, want [2027 2028]", got)
	}
	if w := WeekendsOnly(); w.Covers(2019) || !w.IsWorkingDay(d("2019-01-01")) {
		t.Errorf("WeekendsOnly should cover nothing and treat 2019-01-01 (Tuesday) as working")
	}
}

func TestParseRejectsMalformedCalendars(t *testing.T) {
	tests := map[string]string{
		"off day on a weekend":  "year 2019\noff 2019-01-05 x\n",
		"work day on a weekday": "year 2019\nwork 2019-01-07 x\n",
		"undeclared year":       "year 2019\noff 2020-01-01 x\n",
		"duplicate day":         "year 2019\noff 2019-01-01 a\noff 2019-01-01 b\n",
		"duplicate year":        "year 2019\nyear 2019\n",
		"unknown keyword":       "year 2019\nholiday 2019-01-01\n",
		"bad date":              "year 2019\noff 2019-13-01 x\n",
		"bad year":              "year twenty\n",
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(src)); err == nil {
				t.Errorf("Parse accepted %q", src)
			}
		})
	}
	c, err := Parse([]byte("# source line\n\nyear 2030\noff 2030-01-01 New Year\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.IsWorkingDay(d("2030-01-01")) || c.Attribution() != "source line" {
		t.Errorf("parsed calendar wrong: working=%v attribution=%q", c.IsWorkingDay(d("2030-01-01")), c.Attribution())
	}
	if e, ok := c.Exception(d("2030-01-01")); !ok || e.Description != "New Year" {
		t.Errorf("Exception = %+v, %v", e, ok)
	}
}

func TestDateBasics(t *testing.T) {
	x := NewDate(2019, 1, 32)
	if x.String() != "2019-02-01" || x.Weekday() != time.Friday || x.Year() != 2019 || x.Month() != time.February || x.Day() != 1 {
		t.Errorf("NewDate normalisation wrong: %s %s", x, x.Weekday())
	}
	if !x.Start().Equal(time.Date(2019, 2, 1, 0, 0, 0, 0, Taipei)) || !x.End().Equal(time.Date(2019, 2, 2, 0, 0, 0, 0, Taipei)) {
		t.Errorf("Start/End wrong: %s %s", x.Start(), x.End())
	}
	if DateOf(time.Date(2019, 1, 31, 16, 0, 0, 0, time.UTC)) != x {
		t.Errorf("DateOf should use the Taipei date")
	}
	var y Date
	if err := y.UnmarshalText([]byte("2023-01-07")); err != nil || y != d("2023-01-07") {
		t.Errorf("UnmarshalText = %s, %v", y, err)
	}
	if _, err := ParseDate("2023/01/07"); err == nil {
		t.Errorf("ParseDate accepted a slash date")
	}
	if got := d("2019-03-01").DaysSince(d("2019-02-01")); got != 28 {
		t.Errorf("DaysSince = %d, want 28", got)
	}
	if len(Taiwan().Exceptions(2019)) != 17 {
		t.Errorf("2019 should have 17 exceptions, got %d", len(Taiwan().Exceptions(2019)))
	}
}

// Property: for random dates (covered years and fallback years) and counts,
// AddWorkingDays lands on a working day, is strictly monotone in n, and is
// inverse-consistent with WorkingDaysBetween.
func TestWorkingDayArithmeticProperties(t *testing.T) {
	cal := Taiwan()
	rng := rand.New(rand.NewPCG(2019, 125))
	start := d("2015-06-01")
	span := d("2029-06-01").DaysSince(start)
	for i := 0; i < 3000; i++ {
		from := start.AddDays(rng.IntN(span))
		n := rng.IntN(41) - 20
		got := cal.AddWorkingDays(from, n)
		if n != 0 && !cal.IsWorkingDay(got) {
			t.Fatalf("AddWorkingDays(%s, %d) = %s, not a working day", from, n, got)
		}
		if between := cal.WorkingDaysBetween(from, got); between != n {
			t.Fatalf("WorkingDaysBetween(%s, AddWorkingDays(%s, %d)=%s) = %d, want %d", from, from, n, got, between, n)
		}
		next := cal.AddWorkingDays(from, n+1)
		if !next.After(got) {
			t.Fatalf("not monotone: AddWorkingDays(%s, %d)=%s, (%d)=%s", from, n, got, n+1, next)
		}
		// No working day is skipped: every day strictly between got and next is off.
		for x := got.AddDays(1); x.Before(next); x = x.AddDays(1) {
			if cal.IsWorkingDay(x) {
				t.Fatalf("working day %s skipped between %s and %s", x, got, next)
			}
		}
		// Counting from a date and from its next day differ by whether that day works.
		to := from.AddDays(rng.IntN(60))
		a, b := cal.WorkingDaysBetween(from, to), cal.WorkingDaysBetween(from.AddDays(1), to)
		wantDiff := 0
		if to.After(from) && cal.IsWorkingDay(from.AddDays(1)) {
			wantDiff = 1
		}
		if to.After(from) && a-b != wantDiff {
			t.Fatalf("WorkingDaysBetween(%s,%s)=%d, from next day=%d", from, to, a, b)
		}
	}
}

// TestLastDayOfADeadline: a deadline at the end of a Taipei day (24:00 =
// 00:00 of the next day) counts until that day; one in the middle of a day
// counts on that day; the Taipei day decides, not UTC's.
func TestLastDayOfADeadline(t *testing.T) {
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2018, 11, 10, 0, 0, 0, 0, Taipei), "2018-11-09"},    // Join's local midnight
		{time.Date(2018, 11, 9, 16, 0, 0, 0, time.UTC), "2018-11-09"},  // the same instant in UTC
		{time.Date(2018, 11, 10, 0, 0, 0, 1, Taipei), "2018-11-10"},    // just after midnight
		{time.Date(2018, 11, 10, 17, 0, 0, 0, Taipei), "2018-11-10"},   // mid-day
		{time.Date(2018, 11, 10, 23, 59, 59, 0, Taipei), "2018-11-10"}, // late that day
		{time.Date(2018, 11, 10, 1, 0, 0, 0, time.UTC), "2018-11-10"},  // 09:00 Taipei
		{d("2019-02-15").End(), "2019-02-15"},                          // a window's end
		{Taiwan().WindowEnd(time.Date(2019, 1, 25, 10, 0, 0, 0, Taipei), 10), "2019-02-15"},
	} {
		if got := LastDay(c.at).String(); got != c.want {
			t.Errorf("LastDay(%s) = %s, want %s", c.at.Format(time.RFC3339Nano), got, c.want)
		}
	}
}

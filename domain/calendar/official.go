package calendar

import (
	"encoding/json"
	"fmt"
	"maps"
	"time"
)

// officialDay is one day of the official office calendar as published on
// data.gov.tw (dataset 14718, one JSON array per year, as in
// shared/data/taiwan-calendar/2026.json).
type officialDay struct {
	Date        string `json:"date"`
	Week        string `json:"week"`
	IsHoliday   bool   `json:"isHoliday"`
	Description string `json:"description"`
}

// WithOfficialYear returns a copy of c that covers the year of data, one
// year of the official calendar in the format of data.gov.tw dataset 14718
// (a JSON array of {"date", "week", "isHoliday", "description"}, every day
// of the year). It replaces what c knew of that year. c itself is not
// changed, so decisions already taken with it stand: loading a year
// re-decides nothing. The package does no I/O; the caller reads the file.
func (c *Calendar) WithOfficialYear(data []byte) (*Calendar, error) {
	var days []officialDay
	if err := json.Unmarshal(data, &days); err != nil {
		return nil, fmt.Errorf("official calendar: %w", err)
	}
	if len(days) == 0 {
		return nil, fmt.Errorf("official calendar: no days")
	}
	first, err := ParseDate(days[0].Date)
	if err != nil {
		return nil, fmt.Errorf("official calendar: day 1: %w", err)
	}
	year := first.Year()
	n := NewDate(year+1, time.January, 1).DaysSince(NewDate(year, time.January, 1))
	if len(days) != n {
		return nil, fmt.Errorf("official calendar %d: %d days, want every day of the year (%d)", year, len(days), n)
	}
	out := &Calendar{years: maps.Clone(c.years), exceptions: map[Date]Exception{}, attribution: c.attribution}
	for d, e := range c.exceptions {
		if d.Year() != year {
			out.exceptions[d] = e
		}
	}
	out.years[year] = true
	seen := map[Date]bool{}
	for i, day := range days {
		d, err := ParseDate(day.Date)
		if err != nil {
			return nil, fmt.Errorf("official calendar %d: day %d: %w", year, i+1, err)
		}
		if d.Year() != year || seen[d] {
			return nil, fmt.Errorf("official calendar %d: day %d is %s", year, i+1, d)
		}
		seen[d] = true
		if working := !day.IsHoliday; working == d.IsWeekend() {
			desc := day.Description
			if desc == "" && working {
				desc = "調整上班"
			}
			out.exceptions[d] = Exception{Date: d, Working: working, Description: desc}
		}
	}
	return out, nil
}

// MissingNextYear reports whether, at now, the calendar should already
// cover next year and does not: from 1 October (Taipei) on, next year's
// edit windows and meeting dates are being decided.
func (c *Calendar) MissingNextYear(now time.Time) (year int, missing bool) {
	d := DateOf(now)
	next := d.Year() + 1
	return next, d.Month() >= time.October && !c.Covers(next)
}

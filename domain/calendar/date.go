package calendar

import (
	"fmt"
	"math"
	"time"
)

// Taipei is the Asia/Taipei time zone as a fixed UTC+08:00 offset. Taiwan has
// not observed daylight saving time since 1979, so the fixed offset is exact
// for every date this package deals with, and using it keeps the package free
// of the system's time-zone database (no I/O).
var Taipei = time.FixedZone("Asia/Taipei", 8*60*60)

// Date is a calendar day in Taiwan, without a time of day. The zero Date is
// 1970-01-01. Dates are comparable with == and usable as map keys.
type Date struct {
	n int32 // days since 1970-01-01
}

var epoch = time.Date(1970, time.January, 1, 0, 0, 0, 0, time.UTC)

// NewDate returns the date y-m-d, normalising out-of-range values the way
// time.Date does (NewDate(2019, 1, 32) is 2019-02-01).
func NewDate(y int, m time.Month, d int) Date {
	// Unix seconds rather than t.Sub(epoch): a Duration saturates ~292
	// years from the epoch, which turned "0000-01-01" into 1677-09-22.
	days := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
	if days < math.MinInt32 || days > math.MaxInt32 {
		days = max(min(days, math.MaxInt32), math.MinInt32)
	}
	return Date{n: int32(days)}
}

// DateOf returns the date of instant t in Asia/Taipei.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Taipei).Date()
	return NewDate(y, m, d)
}

// ParseDate parses an ISO date "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("parse date %q: %w", s, err)
	}
	return NewDate(t.Date()), nil
}

// MustParseDate is ParseDate for literals known to be valid; it panics on a
// malformed date.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func (d Date) utc() time.Time { return epoch.AddDate(0, 0, int(d.n)) }

// Year returns the date's year.
func (d Date) Year() int { return d.utc().Year() }

// Month returns the date's month.
func (d Date) Month() time.Month { return d.utc().Month() }

// Day returns the date's day of the month.
func (d Date) Day() int { return d.utc().Day() }

// Weekday returns the date's day of the week.
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// IsWeekend reports whether the date is a Saturday or a Sunday.
func (d Date) IsWeekend() bool {
	wd := d.Weekday()
	return wd == time.Saturday || wd == time.Sunday
}

// AddDays returns the date n days after d (before it if n is negative).
func (d Date) AddDays(n int) Date { return Date{n: d.n + int32(n)} }

// DaysSince returns the number of days from e to d: positive if d is later.
func (d Date) DaysSince(e Date) int { return int(d.n - e.n) }

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.n < e.n }

// After reports whether d is later than e.
func (d Date) After(e Date) bool { return d.n > e.n }

// Start returns the first instant of the date in Asia/Taipei (00:00 +08:00).
func (d Date) Start() time.Time {
	y, m, day := d.utc().Date()
	return time.Date(y, m, day, 0, 0, 0, 0, Taipei)
}

// End returns the instant the date ends in Asia/Taipei: 00:00 +08:00 of the
// next day. An instant t is on the date when d.Start() <= t < d.End().
func (d Date) End() time.Time { return d.AddDays(1).Start() }

// String formats the date as "2006-01-02".
func (d Date) String() string { return d.utc().Format(time.DateOnly) }

// MarshalText implements encoding.TextMarshaler ("2006-01-02").
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler ("2006-01-02").
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// LastDay returns the last day that counts for a deadline at instant t: the
// Taipei date of the last instant before t. A deadline at the end of day D
// (24:00, which is 00:00 of D+1 in Asia/Taipei) has D as its last day; a
// deadline in the middle of D (D 17:00) has D too, counting until that time.
// Every page, report and command that shows a deadline to people shows this
// day, with the instant itself kept for machines.
func LastDay(t time.Time) Date { return DateOf(t.Add(-time.Nanosecond)) }

package domain

import (
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"
)

// The range of dates the process can have: nothing of it happened before
// 1990, and nothing is planned after 2200. A date or time outside it is a
// typo or a malformed value ("0000-01-01"), never a fact, and is refused with
// RuleDateOutOfRange rather than stored.
var (
	// FirstDate is the earliest date a command may carry.
	FirstDate = calendar.NewDate(1990, time.January, 1)
	// LastDate is the latest date a command may carry.
	LastDate = calendar.NewDate(2200, time.December, 31)
)

// RuleDateOutOfRange refuses a date or time outside FirstDate..LastDate (in
// Asia/Taipei): a command's date, its start time, or the time it is
// decided at.
const RuleDateOutOfRange = "command.date_out_of_range"

// checkDate refuses d outside the process's range; what names the value in
// the message.
func checkDate(what string, d calendar.Date) error {
	if d.Before(FirstDate) || d.After(LastDate) {
		return violated(RuleDateOutOfRange, "%s %s is outside %s to %s", term(what), d, FirstDate, LastDate)
	}
	return nil
}

// checkInstant is checkDate for an instant, taken on its Taipei date.
func checkInstant(what string, t time.Time) error {
	if err := checkDate(what, calendar.DateOf(t)); err != nil {
		return violated(RuleDateOutOfRange, "%s %s is outside %s to %s", term(what), t.Format(time.RFC3339), FirstDate, LastDate)
	}
	return nil
}

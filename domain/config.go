package domain

import (
	"errors"
	"fmt"
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"
)

// Period is a span of calendar months and days, added in the Asia/Taipei
// calendar. Months are added first, clamped to the end of a shorter month
// (31 December + 2 months is 28 or 29 February, not 3 March), then days.
type Period struct {
	// Months is the number of calendar months.
	Months int `json:"months,omitempty"`
	// Days is the number of calendar days.
	Days int `json:"days,omitempty"`
}

// AddTo returns t plus the period, keeping t's time of day in Asia/Taipei.
func (p Period) AddTo(t time.Time) time.Time {
	lt := t.In(calendar.Taipei)
	y, m, d := lt.Date()
	target := time.Date(y, m+time.Month(p.Months), 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(target.Year(), target.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if d > last {
		d = last
	}
	h, mi, s := lt.Clock()
	return time.Date(target.Year(), target.Month(), d+p.Days, h, mi, s, lt.Nanosecond(), calendar.Taipei)
}

// IsZero reports whether the period is empty.
func (p Period) IsZero() bool { return p.Months == 0 && p.Days == 0 }

// String returns e.g. "2 months", "60 days", "1 months 3 days".
func (p Period) String() string {
	switch {
	case p.Months != 0 && p.Days != 0:
		return fmt.Sprintf("%d months %d days", p.Months, p.Days)
	case p.Months != 0:
		return fmt.Sprintf("%d months", p.Months)
	default:
		return fmt.Sprintf("%d days", p.Days)
	}
}

// ProposalConfig are the numbers of the Join process. They are read when a
// proposal is published and recorded in its proposal.published event, so a
// later change of configuration never changes the rules of a running
// proposal.
type ProposalConfig struct {
	// Threshold is the number of valid signatures that establishes a
	// proposal (5,000).
	Threshold int
	// Window is how long after publication signatures are accepted (60
	// days). Signing closes at publication time + Window, to the instant.
	Window Period
	// Milestones are earlier signature counts a ministry watches (1,000,
	// 3,000), strictly increasing and below Threshold. Reaching each one is
	// recorded once (proposal.milestone_reached).
	Milestones []int
	// ResponseDeadline is how long the competent ministry has to respond
	// after establishment (2 months): the response is due by the end (24:00
	// Asia/Taipei) of the establishment date plus this period.
	ResponseDeadline Period
}

// DefaultProposalConfig returns Join's numbers: 5,000 signatures within 60
// days, milestones at 1,000 and 3,000, a response within 2 months.
func DefaultProposalConfig() ProposalConfig {
	return ProposalConfig{
		Threshold:        5000,
		Window:           Period{Days: 60},
		Milestones:       []int{1000, 3000},
		ResponseDeadline: Period{Months: 2},
	}
}

// Validate checks the configuration.
func (c ProposalConfig) Validate() error {
	var errs []error
	if c.Threshold < 1 {
		errs = append(errs, fmt.Errorf("threshold %d must be at least 1", c.Threshold))
	}
	if c.Window.Months < 0 || c.Window.Days < 0 || c.Window.IsZero() {
		errs = append(errs, fmt.Errorf("window %s must be positive", c.Window))
	}
	if c.ResponseDeadline.Months < 0 || c.ResponseDeadline.Days < 0 || c.ResponseDeadline.IsZero() {
		errs = append(errs, fmt.Errorf("response deadline %s must be positive", c.ResponseDeadline))
	}
	prev := 0
	for _, m := range c.Milestones {
		if m <= prev || m >= c.Threshold {
			errs = append(errs, fmt.Errorf("milestones %v must be strictly increasing, positive and below the threshold %d", c.Milestones, c.Threshold))
			break
		}
		prev = m
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("proposal config: %w", err)
	}
	return nil
}

// MonthlyConfig are the numbers of the PO monthly meeting. They are read when
// a monthly meeting is opened and recorded in its monthly.opened event.
type MonthlyConfig struct {
	// MaxChoices is how many candidates one ministry's ballot may choose.
	MaxChoices int
	// TopicsSelected is how many topics a vote usually selects (2).
	TopicsSelected int
	// MaxTopicsSelected is the most topics a vote may select (3): a tie at
	// the last selected place selects the tied candidates too, up to this
	// number.
	MaxTopicsSelected int
	// MinDaysBetweenMeetingsSameOrganiser is how many days must separate two
	// collaborative meetings on voted topics hosted by the same organising
	// ministry (45).
	MinDaysBetweenMeetingsSameOrganiser int
}

// DefaultMonthlyConfig returns the PO network's numbers: three choices per
// ballot, two topics (up to three on a tie), 45 days between voted meetings
// of the same organiser.
func DefaultMonthlyConfig() MonthlyConfig {
	return MonthlyConfig{MaxChoices: 3, TopicsSelected: 2, MaxTopicsSelected: 3, MinDaysBetweenMeetingsSameOrganiser: 45}
}

// Validate checks the configuration.
func (c MonthlyConfig) Validate() error {
	var errs []error
	if c.MaxChoices < 1 {
		errs = append(errs, fmt.Errorf("max choices %d must be at least 1", c.MaxChoices))
	}
	if c.TopicsSelected < 1 {
		errs = append(errs, fmt.Errorf("topics selected %d must be at least 1", c.TopicsSelected))
	}
	if c.MaxTopicsSelected < c.TopicsSelected {
		errs = append(errs, fmt.Errorf("max topics selected %d must be at least topics selected %d", c.MaxTopicsSelected, c.TopicsSelected))
	}
	if c.MinDaysBetweenMeetingsSameOrganiser < 0 {
		errs = append(errs, fmt.Errorf("min days between meetings %d must not be negative", c.MinDaysBetweenMeetingsSameOrganiser))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("monthly config: %w", err)
	}
	return nil
}

// TranscriptConfig are the numbers of the transcript rules.
type TranscriptConfig struct {
	// EditWindowWorkingDays is how many working days after publication a
	// speaker may edit their own words (10).
	EditWindowWorkingDays int
}

// DefaultTranscriptConfig returns the 10-working-day edit window.
func DefaultTranscriptConfig() TranscriptConfig {
	return TranscriptConfig{EditWindowWorkingDays: 10}
}

// Validate checks the configuration.
func (c TranscriptConfig) Validate() error {
	if c.EditWindowWorkingDays < 1 {
		return fmt.Errorf("transcript config: edit window %d working days must be at least 1", c.EditWindowWorkingDays)
	}
	return nil
}

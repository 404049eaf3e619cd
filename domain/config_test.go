package domain

import (
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"
)

func TestConfigValidation(t *testing.T) {
	for name, err := range map[string]error{
		"default proposal config":   DefaultProposalConfig().Validate(),
		"default monthly config":    DefaultMonthlyConfig().Validate(),
		"default transcript config": DefaultTranscriptConfig().Validate(),
	} {
		if err != nil {
			t.Errorf("%s invalid: %v", name, err)
		}
	}
	bad := map[string]interface{ Validate() error }{
		"zero threshold":             ProposalConfig{Threshold: 0, Window: Period{Days: 60}, ResponseDeadline: Period{Months: 2}},
		"no window":                  ProposalConfig{Threshold: 5000, ResponseDeadline: Period{Months: 2}},
		"negative window":            ProposalConfig{Threshold: 5000, Window: Period{Days: -1}, ResponseDeadline: Period{Months: 2}},
		"no response deadline":       ProposalConfig{Threshold: 5000, Window: Period{Days: 60}},
		"milestone above threshold":  ProposalConfig{Threshold: 5000, Window: Period{Days: 60}, ResponseDeadline: Period{Months: 2}, Milestones: []int{1000, 6000}},
		"milestones out of order":    ProposalConfig{Threshold: 5000, Window: Period{Days: 60}, ResponseDeadline: Period{Months: 2}, Milestones: []int{3000, 1000}},
		"milestone at the threshold": ProposalConfig{Threshold: 5000, Window: Period{Days: 60}, ResponseDeadline: Period{Months: 2}, Milestones: []int{5000}},
		"no choices":                 MonthlyConfig{MaxChoices: 0, TopicsSelected: 2, MaxTopicsSelected: 3},
		"no topics":                  MonthlyConfig{MaxChoices: 3, TopicsSelected: 0, MaxTopicsSelected: 3},
		"max topics below topics":    MonthlyConfig{MaxChoices: 3, TopicsSelected: 3, MaxTopicsSelected: 2},
		"negative spacing":           MonthlyConfig{MaxChoices: 3, TopicsSelected: 2, MaxTopicsSelected: 3, MinDaysBetweenMeetingsSameOrganiser: -1},
		"no edit window":             TranscriptConfig{},
	}
	for name, c := range bad {
		if c.Validate() == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestPeriodsAddInTheTaipeiCalendar(t *testing.T) {
	tp := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, calendar.Taipei) }
	tests := []struct {
		name string
		p    Period
		from time.Time
		want time.Time
	}{
		{"two months after 23 September is 23 November", Period{Months: 2}, tp(2019, 9, 23, 10), tp(2019, 11, 23, 10)},
		{"two months after 31 December is the end of February", Period{Months: 2}, tp(2019, 12, 31, 10), tp(2020, 2, 29, 10)},
		{"60 days after 7 January 2019 is 8 March", Period{Days: 60}, tp(2019, 1, 7, 10), tp(2019, 3, 8, 10)},
		{"the Taipei date counts, not the UTC date", Period{Months: 1}, time.Date(2019, 1, 31, 17, 0, 0, 0, time.UTC), tp(2019, 3, 1, 1)},
		{"months then days", Period{Months: 1, Days: 1}, tp(2019, 1, 31, 0), tp(2019, 3, 1, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.AddTo(tt.from); !got.Equal(tt.want) {
				t.Errorf("%s + %s = %s, want %s", tt.from, tt.p, got, tt.want)
			}
		})
	}
	if (Period{Months: 2}).String() != "2 months" || (Period{Days: 60}).String() != "60 days" || (Period{Months: 1, Days: 2}).String() != "1 months 2 days" {
		t.Errorf("Period.String wrong")
	}
}

// Package reports computes PDIS's period report (issue 7): proposals,
// response deadlines, monthly meetings, cases, meetings, transcript edits,
// stakeholder coverage and outcomes, for a period and optionally one
// ministry, and renders it as JSON, CSV, Markdown or HTML (Traditional
// Chinese and English).
//
// A report is computed by folding the global log once, up to a position:
// the head when the report is made, or the position asked for (--at). The
// report names that position, and every figure names the query behind it
// and the events (ID and position) it counts, so recomputing at the same
// position gives the same numbers and each number can be traced to the
// trail. See docs/reports.md.
package reports

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
)

// Period is the report's window, [From, To): From inclusive, To exclusive.
// An event falls in the period by when it happened (Event.OccurredAt, the
// world's clock), so imported history is reported at its original time.
type Period struct {
	From, To time.Time
}

// DatePeriod is the period of the whole days from..to (inclusive, Taipei
// time), as the CLI and the page take them ("2026-01-01", "2026-12-31").
func DatePeriod(from, to string) (Period, error) {
	f, err := time.ParseInLocation(time.DateOnly, from, calendar.Taipei)
	if err != nil {
		return Period{}, fmt.Errorf("from: %w", err)
	}
	t, err := time.ParseInLocation(time.DateOnly, to, calendar.Taipei)
	if err != nil {
		return Period{}, fmt.Errorf("to: %w", err)
	}
	if t.Before(f) {
		return Period{}, errors.New("to is before from")
	}
	return Period{From: f, To: t.AddDate(0, 0, 1)}, nil
}

func (p Period) contains(t time.Time) bool {
	return !t.Before(p.From) && t.Before(p.To)
}

// Filter narrows a report to one ministry (empty: all).
type Filter struct {
	// Ministry is a ministry code ("moi"). Proposals (published,
	// established, expired, days to establishment) count when the
	// ministry is one of their lead ministries, whichever of them comes
	// first (decision 0048); the response deadlines by the ministry's own
	// answer as a lead; a co-organiser owes no answer, so the proposals
	// naming the ministry co-organiser are counted apart
	// (proposals.co_organised), in no other figure. Ballots count by the
	// voting ministry, monthly candidates by organiser, cases (and their
	// meetings, recommendations, directives) when the ministry was ever
	// lead or co-organiser (an imported case without an assigned lead:
	// its linked Join proposal's lead), responses by the responding
	// ministry.
	Ministry string
}

// Ref is one event behind a figure.
type Ref struct {
	ID       string `json:"id"`
	Position uint64 `json:"position"`
	// Subject is the accountability trail the event is an entry of
	// (readmodels.Trail: "case-57", "proposal-p1", "po-monthly-2026-02",
	// "meeting-m1"): GET /api/v1/trails/{subject}?after={position-1}&limit=1
	// returns its entry.
	Subject string `json:"subject,omitempty"`
}

// Source says where a figure comes from: the query, its parameters, and the
// events it counted (in log order).
type Source struct {
	Query  string            `json:"query"`
	Params map[string]string `json:"params,omitempty"`
	Events []Ref             `json:"events"`
}

// Figure is one number of the report.
type Figure struct {
	Key string `json:"key"`
	ZH  string `json:"zh"`
	EN  string `json:"en"`
	// Value is the number; Unit is "" (a count), "%" or "days".
	Value  float64 `json:"value"`
	Unit   string  `json:"unit,omitempty"`
	Source Source  `json:"source"`
}

// Section is a group of figures: one table, and a bar chart when Chart.
type Section struct {
	Key     string   `json:"key"`
	ZH      string   `json:"zh"`
	EN      string   `json:"en"`
	Chart   bool     `json:"chart,omitempty"`
	Figures []Figure `json:"figures"`
}

// Report is the computed report.
type Report struct {
	// From and To are the period (To exclusive), RFC 3339.
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Ministry string    `json:"ministry,omitempty"`
	// MinistryZH and MinistryEN name the ministry filtered on (the
	// registry's name as of At, and the English one).
	MinistryZH string `json:"ministryZh,omitempty"`
	MinistryEN string `json:"ministryEn,omitempty"`
	// At is the log position the report was computed at (its checkpoint):
	// every event at or before it was folded, none after.
	At uint64 `json:"at"`
	// Events is how many events of the log are at or before At: those the
	// report was computed over (whether it folded them all, or read the
	// ones it uses from the report-inputs read model).
	Events int `json:"events"`
	// Briefing leads the report: headlines against the previous period,
	// the cases under way and who is late (briefing.go). The sections
	// follow it as an appendix.
	Briefing *Briefing `json:"briefing,omitempty"`
	Sections []Section `json:"sections"`

	// source is what the Service computed it from (Computed.Source).
	source string
}

// Figure returns the figure with key, if any.
func (r *Report) Figure(key string) (Figure, bool) {
	for _, s := range r.Sections {
		for _, f := range s.Figures {
			if f.Key == key {
				return f, true
			}
		}
	}
	return Figure{}, false
}

// Log is what Compute reads: eventstore.Store satisfies it.
type Log interface {
	Head(ctx context.Context) (eventstore.Position, error)
	ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error)
}

// Compute folds src up to its head (or up to at, if at > 0) and computes
// the report for period p and filter f.
func Compute(ctx context.Context, src Log, p Period, f Filter, at eventstore.Position) (Report, error) {
	head, err := src.Head(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("report: read head: %w", err)
	}
	if at > 0 {
		if at > head {
			return Report{}, fmt.Errorf("report: position %d is beyond the log's head %d", at, head)
		}
		head = at
	}
	c := newReportComputer(p, f)
	var after, last eventstore.Position
	for after < head {
		evs, err := src.ReadAll(ctx, after, 4096)
		if err != nil {
			return Report{}, fmt.Errorf("report: read log after %d: %w", after, err)
		}
		if len(evs) == 0 {
			break
		}
		n := len(evs)
		for n > 0 && evs[n-1].Position > head {
			n--
		}
		if err := c.addBatch(evs[:n]); err != nil {
			return Report{}, err
		}
		if n > 0 {
			last = evs[n-1].Position
		}
		if n < len(evs) || n == 0 {
			after = head
		} else {
			after = evs[n-1].Position
		}
		if err := ctx.Err(); err != nil {
			return Report{}, err
		}
	}
	if sl, ok := src.(sparseLog); ok {
		// it served only the events the report reads: the report still
		// names how many the log holds up to its position
		if c.n, err = sl.EventsUpTo(ctx, last, head); err != nil {
			return Report{}, fmt.Errorf("report: count the log's events up to %d: %w", head, err)
		}
	}
	return c.report(uint64(head)), nil
}

// sparseLog is a Log that serves only the events the report reads (the
// report-inputs read model, readmodels.ReportInputsLog).
type sparseLog interface {
	Log
	// EventsUpTo returns how many events the whole log holds at or before
	// position at; last is the position of the last event ReadAll served
	// at or before at (0: none).
	EventsUpTo(ctx context.Context, last, at eventstore.Position) (int, error)
}

// InputsLog is a Log that follows the event log and may be behind it, as
// the report-inputs read model (readmodels.ReportInputsLog) is: its Head
// is how far it has folded, and WaitFor returns once it has reached pos,
// or with ctx's error.
type InputsLog interface {
	Log
	WaitFor(ctx context.Context, pos eventstore.Position) error
}

// ComputeEvents computes the report over events already in memory, in log
// order, up to and including position at (0: all of them).
func ComputeEvents(events []eventstore.Event, p Period, f Filter, at eventstore.Position) (Report, error) {
	c := newReportComputer(p, f)
	n := len(events)
	for n > 0 && at > 0 && events[n-1].Position > at {
		n--
	}
	events = events[:n]
	if at == 0 && n > 0 {
		at = events[n-1].Position
	}
	for len(events) > 0 {
		k := min(len(events), 1<<16)
		if err := c.addBatch(events[:k]); err != nil {
			return Report{}, err
		}
		events = events[k:]
	}
	return c.report(uint64(at)), nil
}

package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/readmodels"
)

// signatureChart is a proposal's valid signatures over time as an SVG line,
// computed from the proposal's events (each signature +1, each invalidated
// signature −1, at the time it happened) and bucketed by hour when the
// signatures span a week or less, by Taipei day otherwise; the threshold is
// a dashed line and the signing deadline a vertical one. The page also
// lists the buckets in a table, the chart's text alternative.
type signatureChart struct {
	Width, Height int
	// Left, Right, Top, Bottom are the plot area's edges.
	Left, Right, Top, Bottom int
	// Line is the polyline's points; ThresholdY the threshold's height.
	Line       string
	Dots       []chartDot
	ThresholdY int
	Threshold  int
	Max        int
	From, To   time.Time
	// DeadlineX is the signing deadline's x (0: not on the chart).
	DeadlineX int
	Deadline  time.Time
	// Desc is the chart's text description.
	Desc string
	// Rows are the chart's buckets for the table.
	Rows []chartRow
}

type chartDot struct{ X, Y int }

// chartRow is one bucket: from At, Signed new signatures and Invalidated
// ones, leaving Count valid signatures at its end.
type chartRow struct {
	At                  time.Time
	Signed, Invalidated int
	Count               int
}

// signatureDelta is one change of the valid count: +1 or −1 at a time.
type signatureDelta struct {
	at    time.Time
	delta int
}

// signatureDeltas reads the proposal's stream for its signatures and
// invalidations (those part of the view at, if set), in the order they
// happened.
func (s *server) signatureDeltas(ctx context.Context, id domain.ProposalID, at *readmodels.AsOf) ([]signatureDelta, error) {
	var out []signatureDelta
	signed, invalidated := (domain.ProposalSigned{}).EventType(), (domain.ProposalSignatureInvalidated{}).EventType()
	for from := uint64(1); ; {
		evs, err := s.cfg.Store.ReadStream(ctx, domain.ProposalStream(id), from, 4096)
		if err != nil {
			return nil, fmt.Errorf("signature chart of %s: %w", id, err)
		}
		for _, ev := range evs {
			if at != nil && !at.Includes(&ev) {
				continue
			}
			d := 0
			switch ev.Type {
			case signed:
				d = 1
			case invalidated:
				d = -1
			default:
				continue
			}
			var o struct {
				At time.Time `json:"at"`
			}
			if err := json.Unmarshal(ev.Data, &o); err != nil {
				return nil, fmt.Errorf("signature chart of %s at version %d: %w", id, ev.Version, err)
			}
			out = append(out, signatureDelta{at: o.At, delta: d})
		}
		if len(evs) < 4096 {
			break
		}
		from = evs[len(evs)-1].Version + 1
	}
	slices.SortStableFunc(out, func(a, b signatureDelta) int { return a.at.Compare(b.at) })
	return out, nil
}

// bucketStart returns the start of t's bucket: its hour, or its Taipei day.
func bucketStart(t time.Time, hourly bool) time.Time {
	if hourly {
		return t.Truncate(time.Hour)
	}
	return calendar.DateOf(t).Start()
}

// newSignatureChart returns the chart of p from its signature deltas (as of
// asOf; zero: all), or nil before publication.
func newSignatureChart(pg *Page, p readmodels.ProposalTally, deltas []signatureDelta, asOf time.Time) *signatureChart {
	if p.Published == nil {
		return nil
	}
	if !asOf.IsZero() {
		deltas = slices.DeleteFunc(slices.Clone(deltas), func(d signatureDelta) bool { return d.at.After(asOf) })
	}
	c := &signatureChart{Width: 640, Height: 260, Left: 56, Right: 624, Top: 16, Bottom: 220, Threshold: p.Threshold, Deadline: p.SigningClosesAt}
	c.From = p.Published.OccurredAt
	c.To = c.From
	if n := len(deltas); n > 0 && deltas[n-1].at.After(c.To) {
		c.To = deltas[n-1].at
	}
	hourly := c.To.Sub(c.From) <= 7*24*time.Hour
	valid := 0
	for _, d := range deltas {
		start := bucketStart(d.at, hourly)
		if n := len(c.Rows); n == 0 || !c.Rows[n-1].At.Equal(start) {
			c.Rows = append(c.Rows, chartRow{At: start, Count: valid})
		}
		r := &c.Rows[len(c.Rows)-1]
		if d.delta > 0 {
			r.Signed++
		} else {
			r.Invalidated++
		}
		valid += d.delta
		r.Count = valid
		c.Max = max(c.Max, valid)
	}
	if !c.Deadline.IsZero() && c.Deadline.After(c.To) && (asOf.IsZero() || !c.Deadline.After(asOf.AddDate(1, 0, 0))) {
		c.To = c.Deadline
	}
	if !c.To.After(c.From) {
		c.To = c.From.Add(time.Hour)
	}
	top := max(c.Max, p.Threshold, 1)
	x := func(t time.Time) int {
		return c.Left + int(float64(c.Right-c.Left)*float64(t.Sub(c.From))/float64(c.To.Sub(c.From)))
	}
	y := func(n int) int { return c.Bottom - int(float64(c.Bottom-c.Top)*float64(n)/float64(top)) }
	step := time.Hour
	if !hourly {
		step = 24 * time.Hour
	}
	var b strings.Builder
	point := func(t time.Time, n int) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		px := min(max(x(t), c.Left), c.Right)
		b.WriteString(strconv.Itoa(px) + "," + strconv.Itoa(y(n)))
	}
	point(c.From, 0)
	for _, r := range c.Rows {
		end := r.At.Add(step)
		if end.After(c.To) {
			end = c.To
		}
		point(end, r.Count)
		c.Dots = append(c.Dots, chartDot{min(max(x(end), c.Left), c.Right), y(r.Count)})
	}
	c.Line = b.String()
	c.ThresholdY = y(p.Threshold)
	if !c.Deadline.IsZero() && !c.Deadline.After(c.To) && c.Deadline.After(c.From) {
		c.DeadlineX = x(c.Deadline)
	}
	c.Desc = pg.TF("proposal.chart.desc", lastDay(c.To), valid, c.Max, p.Threshold)
	return c
}

// caseProposal fills the case page's proposal and its signature curve when
// the case came from a proposal the ledger holds (a voted topic, or an
// imported case linked to its Join proposal), live or as of the page's
// point; a proposal the ledger does not hold (yet) is named without them.
func (s *server) caseProposal(ctx context.Context, r *http.Request, pg *Page, d *CaseData, v readmodels.View) error {
	id := domain.ProposalID(d.Case.Source.ProposalID)
	if id == "" {
		return nil
	}
	pr, _, info, at, err := s.proposalAt(ctx, r, id, v)
	if ae, ok := errors.AsType[*apiError](err); ok && (ae.status == http.StatusNotFound || ae.status == http.StatusConflict) {
		return nil
	}
	if err != nil {
		return err
	}
	deltas, err := s.signatureDeltas(ctx, id, at)
	if err != nil {
		return err
	}
	var until time.Time
	if info != nil && !info.At.IsZero() {
		until = info.At
	}
	d.Proposal, d.Chart = &pr, newSignatureChart(pg, pr, deltas, until)
	return nil
}

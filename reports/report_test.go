package reports

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/reports/reportstest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func period(t testing.TB) Period {
	p, err := DatePeriod("2026-01-01", "2026-06-30")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type want struct {
	value     float64
	positions []uint64 // nil: not checked
}

func check(t *testing.T, rep Report, wants map[string]want) {
	t.Helper()
	for key, w := range wants {
		f, ok := rep.Figure(key)
		if !ok {
			t.Errorf("%s: missing", key)
			continue
		}
		if f.Value != w.value {
			t.Errorf("%s = %v, want %v", key, f.Value, w.value)
		}
		if w.positions != nil {
			var got []uint64
			for _, r := range f.Source.Events {
				got = append(got, r.Position)
			}
			if !slices.Equal(got, w.positions) {
				t.Errorf("%s: events at %v, want %v", key, got, w.positions)
			}
		}
	}
}

func TestFixtureAllMinistries(t *testing.T) {
	rep, err := Compute(context.Background(), memLog(fixture()), period(t), Filter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.At != 39 || rep.Events != 39 {
		t.Errorf("at %d, %d events; want 39, 39", rep.At, rep.Events)
	}
	check(t, rep, map[string]want{
		"proposals.published":                      {2, []uint64{3, 4}},
		"proposals.established":                    {2, []uint64{2, 6}},
		"proposals.expired":                        {1, []uint64{25}},
		"proposals.established_share":              {66.67, []uint64{2, 6, 25}},
		"proposals.days_to_establishment":          {17.5, []uint64{1, 2, 3, 6}},
		"deadlines.due":                            {2, []uint64{2, 6, 7, 27}},
		"deadlines.met":                            {1, []uint64{2, 7}},
		"deadlines.missed":                         {1, []uint64{6, 27}},
		"deadlines.open":                           {0, []uint64{}},
		"monthly.held":                             {1, []uint64{14}},
		"monthly.candidates":                       {3, []uint64{8, 9, 10}},
		"monthly.selections":                       {2, []uint64{14}},
		"ballots.moi":                              {1, []uint64{11}},
		"ballots.mohw":                             {1, []uint64{12}},
		"ballots.mot":                              {1, []uint64{13}},
		"cases.opened.established_proposal":        {1, []uint64{15}},
		"cases.opened.ministry_proposal":           {1, []uint64{16}},
		"cases.opened.pdis_proposal":               {0, []uint64{}},
		"cases.opened.ey_assignment":               {1, []uint64{23}},
		"cases.stage.topic_set":                    {2, []uint64{16, 23}},
		"cases.stage.meetings":                     {1, []uint64{28}},
		"cases.stage.research":                     {0, nil},
		"cases.stage.closed":                       {0, nil},
		"cases.stage_days.topic_set":               {270.17, []uint64{15, 16, 23}},
		"cases.stage_days.division_of_labour":      {10, []uint64{19}},
		"cases.stage_days.research":                {28, []uint64{20}},
		"cases.stage_days.pre_meeting":             {10, []uint64{26}},
		"cases.stage_days.meetings":                {92.58, []uint64{28}},
		"cases.stage_mean_days.topic_set":          {4, []uint64{15, 19}},
		"cases.stage_mean_days.division_of_labour": {10, []uint64{19, 20}},
		"cases.stage_mean_days.research":           {28, []uint64{20, 26}},
		"cases.stage_mean_days.pre_meeting":        {10, []uint64{26, 28}},
		"cases.stage_mean_days.meetings":           {0, []uint64{}},
		"ministries.moi":                           {2, []uint64{15, 17, 23, 24}},
		"ministries.mohw":                          {1, []uint64{16, 18}},
		"meetings.discover":                        {1, []uint64{29}},
		"meetings.pre_meeting":                     {1, []uint64{34}},
		"meetings.define":                          {0, nil},
		"transcripts.edits":                        {1, []uint64{32}},
		"coverage.inventoried":                     {2, []uint64{21, 22}},
		"coverage.attended":                        {1, []uint64{31}},
		"coverage.share":                           {50, nil},
		"recommendations":                          {1, []uint64{33}},
		"directives.within_authority":              {1, []uint64{35}},
		"directives.specific":                      {0, nil},
		"responses.adopted":                        {1, []uint64{36}},
		"responses.partly_adopted":                 {0, nil},
		"responses.not_adopted":                    {0, nil},
		"responses.deferred":                       {1, []uint64{37}},
	})
	if _, ok := rep.Figure("ministries.mot"); ok {
		t.Error("mot leads no case")
	}
}

func TestFixtureOneMinistry(t *testing.T) {
	rep, err := Compute(context.Background(), memLog(fixture()), period(t), Filter{Ministry: "moi"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	check(t, rep, map[string]want{
		"proposals.published":               {1, []uint64{3}},
		"proposals.established":             {2, nil},
		"proposals.expired":                 {0, nil},
		"proposals.established_share":       {100, nil},
		"deadlines.due":                     {2, nil},
		"deadlines.met":                     {1, nil},
		"deadlines.missed":                  {1, nil},
		"monthly.candidates":                {1, []uint64{8}},
		"monthly.selections":                {1, nil},
		"ballots.moi":                       {1, nil},
		"cases.opened.established_proposal": {1, nil},
		"cases.opened.ministry_proposal":    {0, nil},
		"cases.opened.ey_assignment":        {1, nil},
		"cases.stage.topic_set":             {1, []uint64{23}},
		"cases.stage.meetings":              {1, nil},
		"ministries.moi":                    {2, nil},
		"meetings.discover":                 {1, nil},
		"meetings.pre_meeting":              {0, nil},
		"recommendations":                   {1, nil},
		"transcripts.edits":                 {1, []uint64{32}},
		"responses.adopted":                 {1, nil},
		"responses.deferred":                {0, nil},
	})
	for _, k := range []string{"ballots.mohw", "ballots.mot", "ministries.mohw"} {
		if _, ok := rep.Figure(k); ok {
			t.Errorf("%s shown under the moi filter", k)
		}
	}
}

// TestRecomputeAt: a report at a position sees exactly the log up to it,
// and recomputing at the same position gives the same report.
func TestRecomputeAt(t *testing.T) {
	rep, err := Compute(context.Background(), memLog(fixture()), period(t), Filter{}, 14)
	if err != nil {
		t.Fatal(err)
	}
	if rep.At != 14 {
		t.Fatalf("at %d, want 14", rep.At)
	}
	check(t, rep, map[string]want{
		"proposals.published":               {2, nil},
		"proposals.expired":                 {0, nil},
		"deadlines.met":                     {1, nil},
		"deadlines.missed":                  {0, nil},
		"deadlines.open":                    {1, []uint64{6}},
		"cases.opened.established_proposal": {0, nil},
		"monthly.selections":                {2, nil},
	})
	evs := fixture()
	again, err := ComputeEvents(append(evs, evs[len(evs)-1]), period(t), Filter{}, 14)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	_ = WriteJSON(&a, rep)
	_ = WriteJSON(&b, again)
	if a.String() != b.String() {
		t.Error("recomputing at the same position gave a different report")
	}
	if _, err := Compute(context.Background(), memLog(fixture()), period(t), Filter{}, 99); err == nil {
		t.Error("a position beyond the head was accepted")
	}
}

func TestGolden(t *testing.T) {
	rep, err := Compute(context.Background(), memLog(fixture()), period(t), Filter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file, format string
		lang         Lang
	}{
		{"report.json", "json", Chinese},
		{"report-csv", "csv", Chinese},
		{"report.zh.md", "md", Chinese},
		{"report.en.md", "md", English},
		{"report.zh.html", "html", Chinese},
		{"report.en.html", "html", English},
	} {
		t.Run(c.file, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, rep, c.format, c.lang)
			if c.format == "html" { // as the server serves it, with its links
				buf.Reset()
				err = WriteHTMLLinked(&buf, rep, c.lang, ServerLinks)
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.format == "csv" {
				goldenZip(t, buf.Bytes(), filepath.Join("testdata", c.file))
				return
			}
			path := filepath.Join("testdata", c.file)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			golden, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./reports -update)", err)
			}
			if !bytes.Equal(buf.Bytes(), golden) {
				t.Errorf("%s differs from the golden file; rerun with -update if intended", c.file)
			}
		})
	}
}

func TestHTMLShape(t *testing.T) {
	rep, _ := Compute(context.Background(), memLog(fixture()), period(t), Filter{}, 0)
	var buf bytes.Buffer
	if err := WriteHTML(&buf, rep, English); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, want := range []string{`<html lang="en">`, "<caption>", "<svg role=\"img\"", "<title id=", "<desc id=", `aria-details="t-proposals"`, `<table id="t-proposals">`,
		"@media print", "break-inside: avoid", "display: table-header-group", "size: A4", `data-checkpoint="39"`, "參與流程報告", "Participation report"} {
		if !strings.Contains(s, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, bad := range []string{`id="lang-switch"`, `<a class="query"`, `<a class="entry"`} {
		if strings.Contains(s, bad) {
			t.Errorf("a page without links has %q", bad)
		}
	}
	buf.Reset()
	if err := WriteHTMLLinked(&buf, rep, English, WithBase("https://ledger.example/")); err != nil {
		t.Fatal(err)
	}
	s = buf.String()
	for _, want := range []string{
		`<a id="lang-switch" href="https://ledger.example/reports?at=39&amp;from=2026-01-01&amp;lang=zh-Hant&amp;to=2026-06-30" hreflang="zh-Hant" lang="zh-Hant" rel="alternate">中文</a>`,
		`<a class="query" href="https://ledger.example/reports?at=39&amp;figure=deadlines.missed&amp;format=json&amp;from=2026-01-01&amp;to=2026-06-30"><code>proposals.response_deadlines</code></a>`,
		`<a class="entry" href="https://ledger.example/api/v1/trails/proposal-p1?after=26&amp;limit=1" title="`,
		`<a class="entry" href="https://ledger.example/api/v1/trails/case-1?after=30&amp;limit=1" title="`, // m1's attendance: an entry of its case
	} {
		if !strings.Contains(s, want) {
			t.Errorf("linked HTML lacks %s", want)
		}
	}
}

func TestFilterLeavesOtherMinistries(t *testing.T) {
	rep, err := Compute(context.Background(), memLog(fixture()), period(t), Filter{Ministry: "mot"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	check(t, rep, map[string]want{
		"proposals.published": {0, nil}, "ballots.mot": {1, []uint64{13}}, "monthly.candidates": {1, []uint64{10}},
		"monthly.selections": {0, nil}, "transcripts.edits": {0, nil}, "meetings.discover": {0, nil},
		"recommendations": {0, nil}, "coverage.inventoried": {0, nil}, "responses.partly_adopted": {0, nil},
	})
}

// TestHTMLListsAHundredEvents: a figure over many events lists the first
// hundred on the page, with links to their trail entries, and sends the
// reader to its query for the rest.
func TestHTMLListsAHundredEvents(t *testing.T) {
	f := Figure{Key: "transcripts.edits", ZH: "修改", EN: "Edits", Value: 150, Source: Source{Query: "transcripts.edits"}}
	for i := range 150 {
		f.Source.Events = append(f.Source.Events, Ref{ID: fmt.Sprint("id-", i+1), Position: uint64(i + 1), Subject: "case-1"})
	}
	rep := Report{From: period(t).From, To: period(t).To, At: 150, Events: 150, Sections: []Section{{Key: "transcripts", ZH: "逐字稿", EN: "Transcripts", Figures: []Figure{f}}}}
	var buf bytes.Buffer
	if err := WriteHTMLLinked(&buf, rep, English, ServerLinks); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if n := strings.Count(s, `<a class="entry"`); n != 100 {
		t.Errorf("%d events listed, want 100", n)
	}
	for _, want := range []string{
		`<summary>Event positions (150)</summary>`,
		`<a class="entry" href="/api/v1/trails/case-1?after=99&amp;limit=1" title="id-100">100</a> <span class="more">… +50 (<a href="/reports?at=150&amp;figure=transcripts.edits&amp;format=json&amp;from=2026-01-01&amp;to=2026-06-30">more: see the query</a>)</span>`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

// goldenZip compares the CSV report's zip, file by file, with the golden
// files in dir (one per CSVTables, in that order and no other).
func goldenZip(t *testing.T, raw []byte, dir string) {
	t.Helper()
	var names []string
	for _, f := range reportstest.Unzip(t, raw) {
		names = append(names, f.Name)
		got := f.Data
		path := filepath.Join(dir, f.Name)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		golden, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./reports -update)", err)
		}
		if !bytes.Equal(got, golden) {
			t.Errorf("%s differs from the golden file; rerun with -update if intended", path)
		}
	}
	if strings.Join(names, " ") != strings.Join(CSVTables, " ") {
		t.Errorf("the zip holds %v, want %v", names, CSVTables)
	}
}

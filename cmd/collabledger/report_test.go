package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/demo"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/readmodels"
	"github.com/pdis/collab-ledger/reports"
	"github.com/pdis/collab-ledger/reports/reportstest"
)

// TestReportDemo records the demo through the real command side on an
// embedded store, then runs `collabledger report` over it.
func TestReportDemo(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	store, err := eventstore.Open(ctx, "file:"+path, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := app.NewLedger(store, app.LedgerConfig{Secret: []byte("report-test-secret-0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := demo.Load(ctx, l, demo.Options{Store: store, Now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	head, _ := store.Head(ctx)
	l.Close()
	store.Close()

	runJSON := func(extra ...string) (reports.Report, string) {
		t.Helper()
		var out bytes.Buffer
		args := append([]string{"report", "--store", "file:" + path, "--from", "2000-01-01", "--to", "2030-12-31", "--format", "json"}, extra...)
		if err := run(ctx, args, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		var rep reports.Report
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		return rep, out.String()
	}
	rep, raw := runJSON()
	if rep.At != uint64(head) {
		t.Errorf("report at %d, head %d", rep.At, head)
	}
	opened, responses := 0.0, 0.0
	for _, s := range rep.Sections {
		for _, f := range s.Figures {
			if strings.HasPrefix(f.Key, "cases.opened.") {
				opened += f.Value
			}
			if strings.HasPrefix(f.Key, "responses.") {
				responses += f.Value
			}
			if int(f.Value) > 0 && f.Unit == "" && len(f.Source.Events) == 0 {
				t.Errorf("%s = %v with no events behind it", f.Key, f.Value)
			}
		}
	}
	if int(opened) != len(sum.Cases) {
		t.Errorf("%v cases opened, the demo opened %d", opened, len(sum.Cases))
	}
	if responses == 0 {
		t.Error("the demo's closed case has responses; the report counts none")
	}
	if f, _ := rep.Figure("proposals.established"); f.Value < 1 {
		t.Errorf("proposals established %v", f.Value)
	}

	// recomputed at its checkpoint, the report is the same
	if _, again := runJSON("--at", strconv.FormatUint(rep.At, 10)); again != raw {
		t.Error("report --at its own checkpoint differs")
	}

	// every format, to a file
	for _, format := range []string{"html", "md", "csv"} {
		out := filepath.Join(t.TempDir(), "report."+format)
		if err := run(ctx, []string{"report", "--store", "file:" + path, "--from", "2026-01-01", "--to", "2026-12-31", "--format", format, "--lang", "en", "--out", out}, io.Discard, io.Discard); err != nil {
			t.Fatal(format, err)
		}
		if b, _ := os.ReadFile(out); len(b) == 0 {
			t.Errorf("%s: empty", format)
		}
	}

	for _, bad := range [][]string{
		{"report", "--store", "file:" + path},
		{"report", "--store", "file:" + path, "--from", "2026-13-01", "--to", "2026-12-31"},
		{"report", "--store", "file:" + path, "--from", "2026-01-01", "--to", "2026-12-31", "--format", "pdf"},
		{"report", "--store", "file:" + path, "--from", "2026-01-01", "--to", "2026-12-31", "--lang", "fr"},
	} {
		if err := run(ctx, bad, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}

	// the report agrees with the case board folded to the same position
	store, err = eventstore.Open(ctx, "file:"+path, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	snap, err := readmodels.LogAsOf(ctx, store, readmodels.AsOf{Position: eventstore.Position(rep.At)})
	if err != nil {
		t.Fatal(err)
	}
	cases, err := readmodels.Cases(ctx, snap.Reader(readmodels.CaseBoardName), readmodels.CaseFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byStage := map[domain.CaseStage]int{}
	inv, att := 0, 0
	for _, c := range cases {
		byStage[c.Stage]++
		inv += c.CategoriesInventoried
		att += c.CategoriesAttended
	}
	for _, st := range domain.CaseStages() {
		if f, _ := rep.Figure("cases.stage." + string(st)); int(f.Value) != byStage[st] {
			t.Errorf("stage %s: report %v, case board %d", st, f.Value, byStage[st])
		}
	}
	if f, _ := rep.Figure("coverage.inventoried"); int(f.Value) != inv {
		t.Errorf("categories inventoried: report %v, case board %d", f.Value, inv)
	}
	if f, _ := rep.Figure("coverage.attended"); int(f.Value) != att {
		t.Errorf("categories attended: report %v, case board %d", f.Value, att)
	}

	// and with the tallies on proposals
	published, established, expired := 0, 0, 0
	for _, id := range sum.Proposals {
		pt, ok, err := readmodels.Proposal(ctx, snap.Reader(readmodels.TalliesName), id, readmodels.Public)
		if err != nil || !ok {
			t.Fatal(id, ok, err)
		}
		if pt.Published != nil {
			published++
		}
		if pt.Established != nil {
			established++
		}
		if pt.Expired != nil {
			expired++
		}
	}
	for key, n := range map[string]int{"proposals.published": published, "proposals.established": established, "proposals.expired": expired} {
		if f, _ := rep.Figure(key); int(f.Value) != n {
			t.Errorf("%s: report %v, tallies %d", key, f.Value, n)
		}
	}
}

// TestServeReportFromReadModel: the server computes /reports from the
// report-inputs read model once it has caught up, and serves the report
// the CLI folds from the log at the same position, byte for byte.
func TestServeReportFromReadModel(t *testing.T) {
	path, head := recordReportStory(t)
	const query = "?from=" + reportstest.From + "&to=" + reportstest.To + "&ministry=moi&format=json"
	want, _, err := runCapture(t, "report", "--store", "file:"+path, "--from", reportstest.From, "--to", reportstest.To,
		"--ministry", "moi", "--format", "json", "--at", strconv.FormatUint(head, 10))
	if err != nil {
		t.Fatal(err)
	}
	base := startServe(t, "file:"+path, "--deadline-check=0")
	caughtUp := regexp.MustCompile(readmodels.ReportInputsName + `\s+running\s+` + strconv.FormatUint(head, 10) + `\s+0\s`)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, _, err := runCapture(t, "status", "--server", base)
		if err != nil {
			t.Fatal(err)
		}
		if caughtUp.MatchString(out) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not reach position %d:\n%s", readmodels.ReportInputsName, head, out)
		}
	}
	resp, err := http.Get(base + "/reports" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Report-Source") != "read-model" || resp.Header.Get("X-Ledger-Position") != strconv.FormatUint(head, 10) {
		t.Fatalf("/reports: %d, source %q, position %s", resp.StatusCode, resp.Header.Get("X-Report-Source"), resp.Header.Get("X-Ledger-Position"))
	}
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace([]byte(want))) {
		t.Fatalf("the served report differs from the CLI's:\n%s\n---\n%s", got, want)
	}
}

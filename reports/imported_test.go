package reports_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/reports"
)

// TestImportedPeriod: over a period of imported history the report says
// what was imported and what is unknown, and counts no historical case as
// live work. Case 5's archive record ends in May 2019, case 9's goes on:
// 2019 lists both, 5 as historical; 2020 lists only 9 (5's record ended
// before it); neither year counts case 5 in a stage.
func TestImportedPeriod(t *testing.T) {
	ctx := context.Background()
	store, err := eventstore.Open(ctx, "file:"+filepath.Join(t.TempDir(), "ledger.db"), eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	l, err := app.NewLedger(store, app.LedgerConfig{Secret: []byte("imported-period-secret-0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	staff := domain.Actor{ID: "importer", Role: domain.RolePDIS}
	at := func(s string) time.Time {
		t, err := time.ParseInLocation("2006-01-02", s, calendar.Taipei)
		if err != nil {
			panic(err)
		}
		return t
	}
	do := func(day string, cmd domain.Command) {
		t.Helper()
		if _, err := l.Execute(ctx, staff, cmd, app.WithOccurredAt(at(day)), app.WithOccurredAtReason("imported from the archive")); err != nil {
			t.Fatalf("%s: %v", cmd.CommandName(), err)
		}
	}
	for _, c := range []struct{ id, opened, met string }{{"5", "2019-03-01", "2019-04-20"}, {"9", "2019-11-01", "2019-12-20"}} {
		id := domain.CaseID(c.id)
		do(c.opened, domain.OpenCase{CaseID: id, Title: "開放政府第" + c.id + "次協作會議", SourceKind: domain.SourceImported, Ref: "pdis-archive:第" + c.id + "次協作會議"})
		for _, st := range []domain.CaseStage{domain.StageDivisionOfLabour, domain.StageResearch, domain.StagePreMeeting, domain.StageMeetings} {
			do(c.met, domain.ChangeStage{CaseID: id, To: st, Reason: "imported: the meeting's date implies it"})
		}
	}
	do("2019-04-20", domain.EndCaseRecord{CaseID: "5", LastRecordAt: at("2019-04-20"), Archive: "pdis-archive"})

	report := func(from, to string) reports.Report {
		t.Helper()
		p, err := reports.DatePeriod(from, to)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := reports.Compute(ctx, store, p, reports.Filter{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	value := func(rep reports.Report, key string) float64 {
		t.Helper()
		f, ok := rep.Figure(key)
		if !ok {
			t.Fatalf("no figure %s", key)
		}
		return f.Value
	}
	y2019, y2020 := report("2019-01-01", "2019-12-31"), report("2020-01-01", "2020-12-31")
	for _, x := range []struct {
		rep                              reports.Report
		imported, unknown, meetings, his float64
		lines                            []string
	}{
		{y2019, 2, 1, 1, 1, []string{"5 historical", "9 meetings"}},
		{y2020, 1, 0, 1, 1, []string{"9 meetings"}},
	} {
		if got := [4]float64{value(x.rep, "imported.cases"), value(x.rep, "imported.outcome_unknown"), value(x.rep, "cases.stage.meetings"), value(x.rep, "cases.historical")}; got != [4]float64{x.imported, x.unknown, x.meetings, x.his} {
			t.Errorf("%s: imported, outcome unknown, in meetings, historical = %v, want %v", x.rep.From.Format("2006"), got, [4]float64{x.imported, x.unknown, x.meetings, x.his})
		}
		var lines []string
		for _, c := range x.rep.Briefing.Cases {
			if c.Historical {
				lines = append(lines, c.ID+" historical")
			} else {
				lines = append(lines, c.ID+" "+c.Stage)
			}
		}
		if len(lines) != len(x.lines) || lines[0] != x.lines[0] || lines[len(lines)-1] != x.lines[len(x.lines)-1] {
			t.Errorf("%s: the cases under way %v, want %v", x.rep.From.Format("2006"), lines, x.lines)
		}
	}
	// A period with nothing imported has no such section.
	empty := report("2015-01-01", "2015-12-31")
	if _, ok := empty.Figure("imported.cases"); ok {
		t.Error("a period without imported history reports it")
	}
}

package importer_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/importer"
	"github.com/pdis/collab-ledger/reports"
)

// TestArchiveMonthlyMeetingsHeld imports the archive's twelve PO monthly
// meetings of 2019: each is recorded as held, with the speakers, the
// number of utterances and the topic titles its transcript shows, and no
// ballot or candidate is invented; the report for 2019 counts twelve
// monthly meetings held, all with their ballots not in the archive; a
// second import records nothing.
func TestArchiveMonthlyMeetingsHeld(t *testing.T) {
	dir, hist := archive(t)
	list, err := os.ReadFile(filepath.Join(filepath.Dir(dir), "po-process.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, name := range strings.Fields(string(list)) {
		if strings.HasPrefix(name, "2019-") && importer.ClassifyTitle(name[11:]).Kind == importer.ClassMonthly {
			files = append(files, filepath.Join(dir, name))
		}
	}
	if len(files) != 12 {
		t.Fatalf("%d monthly meetings of 2019 in po-process.txt, want 12", len(files))
	}
	store := openBolt(t)
	im := importer.New(store, importer.Config{})
	results, sum, err := im.ImportFiles(ctx, files, importer.Options{History: hist, Process: "pdis"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Monthly != 12 {
		t.Fatalf("%d monthly meetings recognised", sum.Monthly)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	for _, month := range []string{"2019-01", "2019-02", "2019-03", "2019-04", "2019-05", "2019-06", "2019-07", "2019-08", "2019-09", "2019-10", "2019-11", "2019-12"} {
		evs := streamEvents(t, store, domain.MonthlyMeetingStream(domain.MonthlyMeetingID(month)))
		if got := types(evs); !slices.Equal(got, []string{"monthly.opened", "monthly.held"}) {
			t.Errorf("%s: events %v, want opened and held only", month, got)
			continue
		}
		e, err := domain.Decode(evs[1].Type, evs[1].SchemaVersion, evs[1].Data)
		if err != nil {
			t.Fatal(err)
		}
		h := e.(domain.MonthlyMeetingHeld)
		if h.HeldOn.String()[:7] != month || len(h.Speakers) < 3 || h.Utterances < 20 || !strings.HasPrefix(string(h.Transcript), "akn-"+strings.ReplaceAll(month, "-", "")) {
			t.Errorf("%s: held %+v", month, h)
		}
		if month == "2019-03" && !slices.Contains(h.Topics, "新一代國家健保憑證規劃案") {
			t.Errorf("2019-03: topics %q lack the 健保憑證 case its transcript reports on", h.Topics)
		}
		t.Logf("%s: %d speakers, %d utterances, %d topics", month, len(h.Speakers), h.Utterances, len(h.Topics))
	}
	p, err := reports.DatePeriod("2019-01-01", "2019-12-31")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := reports.Compute(ctx, store, p, reports.Filter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	figures := map[string]float64{}
	for _, s := range rep.Sections {
		for _, f := range s.Figures {
			figures[f.Key] = f.Value
		}
	}
	if figures["monthly.held"] != 12 || figures["monthly.archived"] != 12 || figures["monthly.voted"] != 0 || figures["monthly.candidates"] != 0 {
		t.Errorf("report for 2019: held %v, archived %v, voted %v, candidates %v", figures["monthly.held"], figures["monthly.archived"], figures["monthly.voted"], figures["monthly.candidates"])
	}
	head, _ := store.Head(ctx)
	if _, _, err := im.ImportFiles(ctx, files, importer.Options{History: hist, Process: "pdis"}, nil); err != nil {
		t.Fatal(err)
	}
	if again, _ := store.Head(ctx); again != head {
		t.Errorf("a second import moved the head from %d to %d", head, again)
	}
}

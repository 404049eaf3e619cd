package importer_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/importer"
	"github.com/pdis/collab-ledger/internal/testenv"
)

// TestArchiveClassified classifies the archive's files whose names speak
// of the process (協作, 會前會, 工作會議, 月會, 共識, 聯絡人, PO, 工作坊,
// 記者會) from their parsed titles and texts, as the process import does:
// the topic-named meetings attach to the case their topic's rarer words
// point at (學校志工, school volunteers, to case 62 — not to the education
// cases that say 學校 more); other bodies' pre-meetings (vTaiwan, the Youth
// Advisory Committee, the social-innovation liaison meeting) are outside
// the process; what the titles do not support stays unclassified, each with
// its reason, and is recorded as a meeting of no case with a warning.
func TestArchiveClassified(t *testing.T) {
	dir, _ := archive(t)
	if raceEnabled && testenv.RunWithoutRace(t, "TestArchiveClassified") {
		return // parsing 250 files is CPU work with no concurrency to check: the child runs it
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.an.xml"))
	if err != nil {
		t.Fatal(err)
	}
	process := regexp.MustCompile(`協作|會前會|工作會議|月會|共識|聯絡人|PO|工作坊|記者會|籌備會議`)
	var files []importer.ProcessFile
	byIndex := map[int]string{}
	for _, path := range names {
		base := filepath.Base(path)
		if !process.MatchString(base) {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := importer.ParseTranscript(path, data, 0)
		if err != nil {
			continue // refused files are TestArchiveImport's
		}
		i := len(files)
		byIndex[i] = base
		files = append(files, importer.ProcessFile{Index: i, Title: doc.Title, Date: doc.Date, Mentions: func(w string) int {
			n := 0
			for _, u := range doc.Utterances {
				for _, p := range u.Paragraphs {
					n += strings.Count(p, w)
				}
			}
			return n
		}})
	}
	plan := importer.Classify(files)
	t.Log(plan.Summary)
	placed := func(name string) string {
		for i, b := range byIndex {
			if strings.Contains(b, name) {
				return string(plan.Placements[i].CaseID)
			}
		}
		t.Fatalf("no file %s", name)
		return ""
	}
	for name, want := range map[string]string{
		"2019-12-11-學校志工案-工作會議":          "62",
		"2020-01-07-學校志工案-會前會":           "62",
		"2019-02-12-【人權公投案】協作會議-第一次會前會":  "43",
		"2019-03-22-【漁港釣魚案】協作會議-會前會":     "46",
		"2017-10-20-開放政府聯絡人會議-澎湖案第二次會前會": "22",
	} {
		if got := placed(name); got != want {
			t.Errorf("%s: placed in case %q, want %s", name, got, want)
		}
	}
	outside := strings.Join(plan.Summary.Outside, "\n")
	for _, title := range []string{"vTaiwan 公司法線上諮詢會前會", "行政院青年諮詢委員會第6次會議會前會", "社會創新第三次聯繫會議"} {
		if !strings.Contains(outside, title) {
			t.Errorf("%s is not outside the process:\n%s", title, plan.Summary)
		}
	}
	unclassified := strings.Join(plan.Summary.Unclassified, "\n")
	for _, title := range []string{"學校志工", "vTaiwan", "青年諮詢委員會"} {
		if strings.Contains(unclassified, title) {
			t.Errorf("%s is left unclassified", title)
		}
	}
	if len(plan.Unclassified) != len(plan.Summary.Unclassified) {
		t.Errorf("%d files marked unclassified, %d listed", len(plan.Unclassified), len(plan.Summary.Unclassified))
	}
	for _, u := range plan.Summary.Unclassified {
		if _, reason, ok := strings.Cut(u, ": "); !ok || reason == "" {
			t.Errorf("unclassified without a reason: %s", u)
		}
	}
}

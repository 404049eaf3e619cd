package akn_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/akn"
	"github.com/pdis/collab-ledger/internal/testenv"
)

// archiveFailures are the transcripts of the PDIS archive that the
// importer refuses, each for the reason named: the rules, applied
// to real data.
var archiveFailures = map[string]error{
	// A Markdown page (HackMD export) stored under an .an.xml name.
	"2019-11-09-「108年青年好政系列－Let’s-Talk」成果分享暨交流會.an.xml": akn.ErrInvalidXML,
	// Speeches by people the file does not declare as TLCPerson: the
	// issue has the importer refuse them rather than guess who spoke.
	"1999年全國司法改革會議.an.xml": akn.ErrUndeclaredSpeaker,
	"2015-12-29-眾開講工作坊-內政部未婚聯誼活動-經濟部未登記工廠輔導政策檢討.an.xml": akn.ErrUndeclaredSpeaker,
	"2017-08-29-審計部來訪.an.xml":                                akn.ErrUndeclaredSpeaker,
	"2017-12-08-eID晶片卡討論.an.xml":                             akn.ErrUndeclaredSpeaker,
	"2018-05-23-社創中心-第二十次-Office-Hour.an.xml":                akn.ErrUndeclaredSpeaker,
	"2018-08-22-社創中心-第二十九次-Office-Hour.an.xml":               akn.ErrUndeclaredSpeaker,
	"2021-03-24-Conversation-with-South-Park-Commons.an.xml": akn.ErrUndeclaredSpeaker,
}

func archiveFiles(t testing.TB) (string, []string) {
	dir := filepath.Join(testenv.SharedDir(t), "data", "pdis-archive", "transcripts")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".xml") {
			names = append(names, e.Name())
		}
	}
	return dir, names
}

// speechCount counts <speech elements the plain way.
func speechCount(data []byte) int {
	return bytes.Count(data, []byte("<speech ")) + bytes.Count(data, []byte("<speech>"))
}

type archiveResult struct {
	name string
	doc  *akn.Document
	err  error
	data []byte
}

func parseArchive(t testing.TB) []archiveResult {
	dir, names := archiveFiles(t)
	if tt, ok := t.(*testing.T); ok && raceEnabled && testenv.RunWithoutRace(tt, "TestArchive") {
		// Under the race detector: every fourth file and the refused ones,
		// in process; the whole archive ran in the child.
		var some []string
		for i, n := range names {
			if _, refused := archiveFailures[n]; refused || i%4 == 0 {
				some = append(some, n)
			}
		}
		names = some
	}
	out := make([]archiveResult, len(names))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				data, err := os.ReadFile(filepath.Join(dir, names[i]))
				if err != nil {
					t.Error(err)
					continue
				}
				doc, err := akn.ParseBytes(data, akn.Options{Name: names[i]})
				out[i] = archiveResult{names[i], doc, err, data}
			}
		}()
	}
	for i := range names {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// TestArchive parses every transcript of the PDIS archive: each parses,
// or fails for the reason archiveFailures names; each has as many speech
// utterances as <speech> elements; and each survives the round trip
// through Write exactly.
func TestArchive(t *testing.T) {
	start := time.Now()
	res := parseArchive(t)
	t.Logf("parsed %d files in %s", len(res), time.Since(start))
	var failed []string
	for _, r := range res {
		want, expectFail := archiveFailures[r.name]
		if r.err != nil {
			failed = append(failed, r.name)
			if !expectFail {
				t.Errorf("%s: %v", r.name, r.err)
			} else if !errors.Is(r.err, want) {
				t.Errorf("%s: %v, want %v", r.name, r.err, want)
			}
			continue
		}
		if expectFail {
			t.Errorf("%s parsed, but should fail with %v", r.name, want)
			continue
		}
		speeches := 0
		for _, u := range r.doc.Utterances {
			if u.Kind == akn.Speech {
				speeches++
			}
		}
		if n := speechCount(r.data); speeches != n {
			t.Errorf("%s: %d speech utterances, %d <speech> elements", r.name, speeches, n)
		}
		if r.doc.Date == "" && r.name != "1999年全國司法改革會議.an.xml" {
			t.Errorf("%s: no date", r.name)
		}
		var buf bytes.Buffer
		if err := akn.Write(&buf, r.doc); err != nil {
			t.Fatal(err)
		}
		back, err := akn.ParseBytes(buf.Bytes(), akn.Options{Name: "export-of-" + r.name})
		if err != nil {
			t.Errorf("%s: export does not parse: %v", r.name, err)
			continue
		}
		if d := diffDocs(r.doc, back); d != "" {
			t.Errorf("%s: round trip differs: %s", r.name, d)
		}
	}
	if len(failed) != len(archiveFailures) {
		t.Errorf("failed: %v, expected exactly %d", failed, len(archiveFailures))
	}
}

// diffDocs says how two documents differ as transcripts ("" if not).
func diffDocs(a, b *akn.Document) string {
	if a.Title != b.Title {
		return "title " + a.Title + " ≠ " + b.Title
	}
	if a.Date != b.Date {
		return "date " + a.Date + " ≠ " + b.Date
	}
	if len(a.Utterances) != len(b.Utterances) {
		return "utterance count differs"
	}
	for i := range a.Utterances {
		x, y := a.Utterances[i], b.Utterances[i]
		if x.Kind != y.Kind || x.Speaker != y.Speaker || x.Name != y.Name || !slices.Equal(x.Paragraphs, y.Paragraphs) {
			return "utterance " + string(rune('0'+i%10)) + ": " + strings.Join(x.Paragraphs, "|") + " ≠ " + strings.Join(y.Paragraphs, "|") + " / " + x.Name + " ≠ " + y.Name
		}
	}
	if a.ContentHash() != b.ContentHash() {
		return "hash differs"
	}
	return ""
}

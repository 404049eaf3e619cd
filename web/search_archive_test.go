package web_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/importer"
	"github.com/pdis/collab-ledger/internal/testenv"
)

// TestSearchArchive imports every transcript of the real PDIS archive that
// mentions 神豬 (with their stored versions) through the importer and
// searches for it: the first result is the meeting that discussed it most,
// the 58th collaborative meeting (2019-11-15), and it leads to the
// utterance.
func TestSearchArchive(t *testing.T) {
	archive := filepath.Join(testenv.SharedDir(t), "data", "pdis-archive")
	dir := filepath.Join(archive, "transcripts")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	hist, err := importer.LoadHistory(filepath.Join(archive, "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	pe := newPagesEnv(t, withSearch(t))
	imp := importer.New(pe.store, importer.Config{})
	n := 0
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("神豬")) {
			continue
		}
		if res := imp.ImportFile(context.Background(), filepath.Join(dir, e.Name()), importer.Options{History: hist}); res.Err != nil {
			t.Fatalf("import %s: %v", e.Name(), res.Err)
		}
		n++
	}
	if n < 10 {
		t.Fatalf("only %d transcripts mention 神豬", n)
	}
	pe.caughtUp()
	pe.searchCaughtUp()

	code, body, _ := pe.get("/search?q=" + urlQuery("神豬"))
	if code != 200 {
		t.Fatalf("search: %d", code)
	}
	i := strings.Index(body, `<ol id="search-meetings">`)
	if i < 0 {
		t.Fatalf("no meetings:\n%s", body)
	}
	first := body[i : i+strings.Index(body[i:], "</li>")]
	mustContain(t, "the meeting that discusses it most", first, "開放政府第58次議題協作會議")
	j := strings.Index(body, `<li class="hit`)
	if j < 0 {
		t.Fatalf("no results:\n%s", body)
	}
	mustContain(t, "the first result", body[j:j+strings.Index(body[j:], "</li>")], "/utterances/", "神豬")
	if t.Failed() {
		t.Log(body[i:min(len(body), i+2000)])
	}
}

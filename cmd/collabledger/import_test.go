package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/akn"
)

// TestImportAndExportAKN: `collabledger import akn` on a folder reports
// each file and goes on; `import raw` then `import akn --meeting` records
// a raw record and its published version; `akn` writes the transcript back
// as Akoma Ntoso, as of any moment, and its people as Popolo.
func TestImportAndExportAKN(t *testing.T) {
	ctx := context.Background()
	store := "file:" + filepath.Join(t.TempDir(), "ledger.db")
	testdata := filepath.Join("..", "..", "importer", "testdata")

	var out bytes.Buffer
	err := run(ctx, []string{"import", "akn", "--store", store, filepath.Join(testdata, "folder")}, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "2 of 4 files refused") {
		t.Errorf("folder import: %v", err)
	}
	if n := strings.Count(out.String(), "FAIL "); n != 2 || !strings.Contains(out.String(), "ok   ") || !strings.Contains(out.String(), "warnings (recorded all the same): 1") {
		t.Errorf("folder import reported:\n%s", out.String())
	}

	out.Reset()
	raw := filepath.Join(testdata, "raw", "record.txt")
	if err := run(ctx, []string{"import", "raw", "--store", store, "--meeting", "m-raw", raw}, &out, io.Discard); !errors.Is(err, errUsage) {
		t.Errorf("raw import of an unknown meeting: %v", err)
	}
	if err := run(ctx, []string{"import", "raw", "--store", store, "--meeting", "m-raw", "--title", "測試共識會議", "--date", "2019-01-25", raw}, &out, io.Discard); err != nil {
		t.Fatal(err, out.String())
	}
	pub := filepath.Join(testdata, "raw", "published.an.xml")
	if err := run(ctx, []string{"import", "akn", "--store", store, "--meeting", "m-raw", "--published-at", "2019-02-01", pub}, &out, io.Discard); err != nil {
		t.Fatal(err, out.String())
	}

	var x bytes.Buffer
	if err := run(ctx, []string{"akn", "--store", store, "--meeting", "m-raw"}, &x, io.Discard); err != nil {
		t.Fatal(err)
	}
	got, err := akn.ParseBytes(x.Bytes(), akn.Options{Name: "export"})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := akn.Parse(strings.NewReader(mustRead(t, pub)), akn.Options{Name: pub})
	if got.ContentHash() != want.ContentHash() || got.ID != "m-raw" || got.Date != "2019-01-25" {
		t.Errorf("export is not the published transcript:\n%s", x.String())
	}
	x.Reset()
	if err := run(ctx, []string{"akn", "--store", store, "--meeting", "m-raw", "--as-of", "2019-01-25T12:00:00+08:00"}, &x, io.Discard); err != nil {
		t.Fatal(err)
	}
	if asRaw, _ := akn.ParseBytes(x.Bytes(), akn.Options{}); len(asRaw.Utterances) != 8 || strings.Contains(x.String(), "TLCPerson") {
		t.Errorf("as of the meeting day the raw record, without speakers:\n%s", x.String())
	}
	x.Reset()
	if err := run(ctx, []string{"akn", "--store", store, "--meeting", "m-raw", "--popolo"}, &x, io.Discard); err != nil || !strings.Contains(x.String(), `"id": "Ghost"`) {
		t.Errorf("popolo: %v\n%s", err, x.String())
	}
	if err := run(ctx, []string{"akn", "--store", store, "--meeting", "nope"}, io.Discard, io.Discard); err == nil {
		t.Error("export of a meeting that does not exist succeeded")
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportUntidyFolderExitsZero: a folder whose files are untidy but
// readable (a Markdown transcript under an .an.xml name, a record dated
// only by its text) is recorded whole: the warnings are listed at the end
// and the import exits 0; a file nothing can read makes it exit non-zero.
func TestImportUntidyFolderExitsZero(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	files := map[string]string{
		"2020-05-04-座談.an.xml": "# 2020-05-04 座談\n\n### 唐鳳：\n大家好。\n",
		"司法會議.an.xml": `<akomaNtoso><debate><meta><references><TLCPerson id="a" showAs="甲"/></references></meta>` +
			`<debateBody><debateSection><heading>某會議</heading><narrative>時間：中華民國八十八年四月二十三日</narrative>` +
			`<speech by="#a"><p>開會。</p></speech></debateSection></debateBody></debate></akomaNtoso>`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	store := "file:" + filepath.Join(t.TempDir(), "ledger.db")
	var out bytes.Buffer
	if err := run(ctx, []string{"import", "akn", "--store", store, "--process", "pdis", dir}, &out, io.Discard); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"2 files, 0 refused", "warnings (recorded all the same): 2", "read as Markdown", "dated 1999-04-23"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in:\n%s", want, out.String())
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "2020-05-05-x.an.xml"), []byte("not a transcript"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"import", "akn", "--store", store, "--process", "pdis", dir}, &out, io.Discard); err == nil || !strings.Contains(err.Error(), "1 of 3 files refused") {
		t.Errorf("a refused file: %v\n%s", err, out.String())
	}
}

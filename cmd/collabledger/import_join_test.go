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
)

// TestImportJoin: `collabledger import join` records a folder, lists the
// warnings at the end and exits 0 when every record was recorded; run
// again it records nothing; a bad record makes it exit non-zero, naming the
// file and line, while the rest is recorded.
func TestImportJoin(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	store := "file:" + filepath.Join(tmp, "ledger.db")
	dir := filepath.Join(tmp, "join")
	if err := os.MkdirAll(filepath.Join(dir, "signatures"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("proposals.jsonl", `{"id":"p-a","title":"甲案","ministries":[{"id":"315000000H","name":"交通部","role":"lead"}],"publishedAt":"2018-01-01T10:00:00+08:00","signingClosesAt":"2018-03-02T00:00:00+08:00","goal":5000,"status":"FirstSigned"}
{"id":"p-nometa"}
`)
	write("signatures/p-a.csv", "n,at,county,district\n1,2018-01-02T10:00:00+08:00,臺北市,大安區\n2,2018-03-05T10:00:00+08:00,臺北市,大安區\n")
	write("signatures/p-nometa.csv", "n,at,county,district\n1,2018-01-02T10:00:00+08:00,臺北市,大安區\n")

	var out bytes.Buffer
	// The import reads the ledger's secret; it never makes one.
	if err := run(ctx, []string{"import", "join", "--store", store, dir}, &out, io.Discard); !errors.Is(err, errNoSecret) {
		t.Fatalf("import without the secret: %v", err)
	}
	writeSecret(t, tmp, []byte("join-import-test-secret-0123456789abcdef"))
	if err := run(ctx, []string{"import", "join", "--store", store, dir}, &out, io.Discard); err != nil {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	for _, want := range []string{"warnings:", "p-nometa", "no title or publication", "1 × proposal.sign.window_closed", "1 signatures recorded"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run(ctx, []string{"import", "join", "--store", store, dir}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "0 events") {
		t.Fatalf("again: %v\n%s", err, out.String())
	}
	write("proposals.jsonl", `{"id":"p-a","title":"甲案","publishedAt":"2018-01-01T10:00:00+08:00"}
{"id":"p-b","title":
`)
	out.Reset()
	err := run(ctx, []string{"import", "join", "--store", store, dir}, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "1 of 3 records refused") || !strings.Contains(out.String(), "proposals.jsonl:2:") {
		t.Fatalf("bad record: %v\n%s", err, out.String())
	}
}

package akn_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pdis/collab-ledger/akn"
)

// BenchmarkParseArchive parses every transcript of the archive once per
// iteration, on one goroutine (about 1.6 s; the encoding/xml tokeniser
// alone takes about 1.3 s):
//
//	go test -run '^$' -bench ParseArchive -benchtime 3x ./akn/
func BenchmarkParseArchive(b *testing.B) {
	dir, names := archiveFiles(b)
	var files [][]byte
	size := 0
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
		size += len(data)
	}
	if b.N > 20 {
		b.Skipf("one operation is the whole archive (%d iterations asked): run with -benchtime 1x", b.N)
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for i, data := range files {
			akn.ParseBytes(data, akn.Options{Name: names[i]})
		}
	}
}

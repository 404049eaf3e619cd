package reportstest

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"
)

// File is one file of a zip.
type File struct {
	Name string
	Data []byte
}

// Unzip returns the files of a zip (the CSV report), in order.
func Unzip(t testing.TB, raw []byte) []File {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	var out []File
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, File{Name: f.Name, Data: data})
	}
	return out
}

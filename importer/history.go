package importer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// HistoryEntry is one line of history.jsonl: one stored version of a
// transcript.
type HistoryEntry struct {
	// File is the transcript's file name (NAME.an.xml).
	File string `json:"file"`
	// Version numbers the versions from 1 (the oldest).
	Version int `json:"version"`
	// Of is how many versions the file has.
	Of int `json:"of"`
	// Commit is the commit that made the version.
	Commit string `json:"commit"`
	// Date is when it was committed.
	Date time.Time `json:"date"`
	// FirstDate is when the file was first published, for a file whose
	// earlier versions are not kept.
	FirstDate time.Time `json:"first_date"`
	// Author committed the version: an editor, not necessarily the
	// speaker.
	Author string `json:"author"`
	// Message is the commit message.
	Message string `json:"message"`
	// Path is the version's file, relative to the history file's folder.
	Path string `json:"path"`
	// Note says why earlier versions are missing, if they are.
	Note string `json:"note"`
}

// Kept reports whether the version's own file is stored under history/
// (rather than being the latest file in transcripts/).
func (e HistoryEntry) Kept() bool { return strings.HasPrefix(e.Path, "history/") }

// History is a history.jsonl: the stored versions of transcripts.
type History struct {
	root   string
	byFile map[string][]HistoryEntry
}

// LoadHistory reads a history.jsonl file; the versions' paths are relative
// to its folder.
func LoadHistory(path string) (*History, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := ReadHistory(f, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

// ReadHistory reads history.jsonl lines; root is the folder the versions'
// paths are relative to.
func ReadHistory(r io.Reader, root string) (*History, error) {
	h := &History{root: root, byFile: map[string][]HistoryEntry{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var e HistoryEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if e.File == "" || e.Version < 1 {
			return nil, fmt.Errorf("line %d: no file or version", line)
		}
		if slices.Contains(strings.Split(filepath.ToSlash(e.Path), "/"), "..") || filepath.IsAbs(e.Path) {
			return nil, fmt.Errorf("line %d: path %q leaves the history's folder", line, e.Path)
		}
		h.byFile[e.File] = append(h.byFile[e.File], e)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, es := range h.byFile {
		slices.SortFunc(es, func(a, b HistoryEntry) int { return a.Version - b.Version })
	}
	return h, nil
}

// Versions returns a file's versions, oldest first (nil if unknown).
func (h *History) Versions(file string) []HistoryEntry { return h.byFile[file] }

// Path returns where a version's file is.
func (h *History) Path(e HistoryEntry) string {
	return filepath.Join(h.root, filepath.FromSlash(e.Path))
}

// Files returns the names of the files the history knows.
func (h *History) Files() []string { return sortedKeys(h.byFile) }

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pdis/collab-ledger/importer"
	"github.com/pdis/collab-ledger/importer/join"
)

// CaseLinksFile is the reviewed mapping's name in a Join dataset's folder
// (decision 0028).
const CaseLinksFile = "case-links.csv"

// loadLinks reads what the process import links cases with: the Join
// dataset's proposals (DIR/proposals.jsonl) and the reviewed mapping
// (linksFile, else DIR/case-links.csv when it exists). A proposal line
// that does not read is skipped with a warning (the Join import names it
// too); a mapping that does not read refuses the import.
func loadLinks(dir, linksFile string, warn func(string)) (*importer.Links, error) {
	path := filepath.Join(dir, "proposals.jsonl")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--join: %w", err)
	}
	defer f.Close()
	links := &importer.Links{}
	links.Candidates, err = join.Candidates(f, path, func(err error) { warn(err.Error()) })
	if err != nil {
		return nil, fmt.Errorf("--join: %w", err)
	}
	if linksFile == "" {
		if p := filepath.Join(dir, CaseLinksFile); fileExists(p) {
			linksFile = p
		}
	}
	if linksFile != "" {
		lf, err := os.Open(linksFile)
		if err != nil {
			return nil, fmt.Errorf("--case-links: %w", err)
		}
		defer lf.Close()
		if links.Reviewed, err = importer.ReadCaseLinks(lf, linksFile); err != nil {
			if errors.Is(err, importer.ErrBadCaseLinks) {
				return nil, fmt.Errorf("%w: %v", errUsage, err)
			}
			return nil, err
		}
	}
	return links, nil
}

// writeReviewFile writes the cases a person should decide to path, as a
// mapping to fill in (importer.WriteReviewFile).
func writeReviewFile(path string, links []importer.CaseLink) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--case-links-todo: %w", err)
	}
	if err := importer.WriteReviewFile(f, links); err != nil {
		f.Close()
		return fmt.Errorf("--case-links-todo %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--case-links-todo %s: %w", path, err)
	}
	return nil
}

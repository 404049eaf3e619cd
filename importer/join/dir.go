package join

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// ProposalsFile and SignaturesDir are the dataset's layout.
const (
	ProposalsFile = "proposals.jsonl"
	SignaturesDir = "signatures"
)

// DirOptions tunes ImportDir.
type DirOptions struct {
	// Workers is how many proposals are imported at once. Default 4 per
	// CPU: their appends share the store's commits.
	Workers int
	// Only, when set, limits the import to these proposal IDs (a subset
	// for tests).
	Only []string
}

// ImportDir imports a dataset folder: proposals.jsonl and
// signatures/<ID>.csv. Proposals with signatures but no line in
// proposals.jsonl are imported as records without metadata (and so not
// recorded, with a warning). report, if not nil, gets each outcome as it
// is done, from one goroutine at a time. The error is a failure to read the folder; bad records are
// outcomes.
func (im *Importer) ImportDir(ctx context.Context, dir string, opts DirOptions, report func(Outcome)) (*Summary, error) {
	start := time.Now()
	sum := &Summary{}
	only := map[string]bool{}
	for _, id := range opts.Only {
		only[id] = true
	}
	wanted := func(id string) bool { return len(only) == 0 || only[id] }

	type task struct {
		p      *Proposal
		source string
		err    error
	}
	var tasks []task
	seen := map[string]bool{}
	path := filepath.Join(dir, ProposalsFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("join import: %w", err)
	}
	err = ReadProposals(f, path, func(p *Proposal, line int, err error) error {
		src := fmt.Sprintf("%s:%d", path, line)
		if err != nil {
			tasks = append(tasks, task{source: src, err: err})
			return nil
		}
		if seen[p.ID] {
			tasks = append(tasks, task{p: p, source: src, err: badRecord(path, line, "proposal %s appears twice", p.ID)})
			return nil
		}
		seen[p.ID] = true
		if wanted(p.ID) {
			tasks = append(tasks, task{p: p, source: src})
		}
		return nil
	})
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("join import: %w", err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, SignaturesDir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("join import: %w", err)
	}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".csv")
		if !ok || e.IsDir() || seen[id] || !wanted(id) {
			continue
		}
		seen[id] = true
		tasks = append(tasks, task{p: &Proposal{ID: id}, source: filepath.Join(dir, SignaturesDir, e.Name())})
	}
	// The largest lists first, so the workers finish together.
	size := func(t task) int64 {
		if t.p == nil {
			return 0
		}
		st, err := os.Stat(filepath.Join(dir, SignaturesDir, t.p.ID+".csv"))
		if err != nil {
			return 0
		}
		return st.Size()
	}
	sizes := make(map[*Proposal]int64, len(tasks))
	for _, t := range tasks {
		sizes[t.p] = size(t)
	}
	slices.SortStableFunc(tasks, func(a, b task) int { return int(sizes[b.p] - sizes[a.p]) })

	workers := opts.Workers
	if workers <= 0 {
		workers = 4 * runtime.GOMAXPROCS(0)
	}
	next := make(chan task)
	var wg sync.WaitGroup
	var reportMu sync.Mutex // report is called by one worker at a time
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range next {
				var o Outcome
				switch {
				case t.err != nil:
					o = Outcome{Source: t.source, Err: t.err}
					if t.p != nil {
						o.ProposalID = t.p.ID
					}
				default:
					o = im.importFromDir(ctx, dir, t.p, t.source)
				}
				sum.Add(o)
				if report != nil {
					reportMu.Lock()
					report(o)
					reportMu.Unlock()
				}
			}
		}()
	}
	for _, t := range tasks {
		if ctx.Err() != nil {
			break
		}
		next <- t
	}
	close(next)
	wg.Wait()
	sum.Elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return sum, fmt.Errorf("join import: %w", err)
	}
	return sum, nil
}

// sigRowBytes is about the shortest signature row of the dataset
// ("12,2016-05-01T12:00:00+08:00,臺北市,中正區" is 46 bytes): the rows a
// file's size can hold, to make room for them at once.
const sigRowBytes = 40

// importFromDir reads a proposal's signature file, if any, and imports it.
func (im *Importer) importFromDir(ctx context.Context, dir string, p *Proposal, source string) Outcome {
	path := filepath.Join(dir, SignaturesDir, p.ID+".csv")
	f, err := os.Open(path)
	var sigs []Signature
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return Outcome{ProposalID: p.ID, Source: source, Err: fmt.Errorf("join import: %w", err)}
	default:
		var rows int
		if fi, serr := f.Stat(); serr == nil {
			rows = int(fi.Size() / sigRowBytes)
		}
		sigs, err = readSignatures(f, path, rows)
		f.Close()
		if err != nil {
			return Outcome{ProposalID: p.ID, Title: p.Title, Source: source, Err: err}
		}
	}
	return im.Import(ctx, p, sigs, source)
}

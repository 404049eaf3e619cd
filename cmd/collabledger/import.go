package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/akn"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	_ "github.com/pdis/collab-ledger/eventstore/postgres" // postgres:// URLs
	"github.com/pdis/collab-ledger/importer"
)

// runImport imports transcripts:
//
//	collabledger import akn [--store URL] [--process pdis [--join DIR [--case-links FILE] [--case-links-todo FILE]]] [--history FILE] FILE|DIR…
//	collabledger import akn [--store URL] --meeting ID [--published-at T] FILE
//	collabledger import raw [--store URL] --meeting ID [--title T --date YYYY-MM-DD] FILE
//	collabledger import join [--store URL] DIR   (import_join.go)
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: collabledger import akn|raw|join [flags] FILE…  (collabledger import akn -h)")
		return fmt.Errorf("%w: import what? akn, raw or join", errUsage)
	}
	switch args[0] {
	case "akn":
		return runImportAKN(ctx, args[1:], stdout, stderr)
	case "raw":
		return runImportRaw(ctx, args[1:], stdout, stderr)
	case "join":
		return runImportJoin(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("%w: import %q: want akn, raw or join", errUsage, args[0])
}

// parseTime reads RFC 3339 or a date (00:00 Asia/Taipei).
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, calendar.Taipei)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor YYYY-MM-DD", s)
	}
	return t, nil
}

// archiveLayout finds the PDIS archive layout in the arguments: an
// archive folder (with transcripts/ and history.jsonl) stands for its
// transcripts, and a transcripts/ folder finds its history.jsonl beside it.
func archiveLayout(args []string, history string) ([]string, string) {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if st, err := os.Stat(filepath.Join(a, "transcripts")); err == nil && st.IsDir() {
			out[i] = filepath.Join(a, "transcripts")
		}
		if history == "" && filepath.Base(filepath.Clean(out[i])) == "transcripts" {
			if h := filepath.Join(filepath.Dir(filepath.Clean(out[i])), "history.jsonl"); fileExists(h) {
				history = h
			}
		}
	}
	return out, history
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func runImportAKN(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import akn", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: collabledger import akn [flags] FILE|DIR…\n\nImports Akoma Ntoso transcripts: each <debate> a meeting with its transcript, dated when it\nhappened. A folder imports its *.xml files, reporting each; an archive folder (transcripts/ and\nhistory.jsonl) imports its transcripts with their stored versions as edits. Importing the same\nfile again records nothing new; a changed file is recorded as a new version.\n\nFlags:")
		fs.PrintDefaults()
	}
	storeURL := storeFlag(fs)
	process := fs.String("process", "", "recognise the participation process from the titles: pdis")
	history := fs.String("history", "", "history.jsonl giving each file's stored versions (found beside a transcripts/ folder if not given)")
	meeting := fs.String("meeting", "", "record the one FILE into this meeting (e.g. one whose raw record was imported)")
	publishedAt := fs.String("published-at", "", "when the transcript was published (RFC 3339 or YYYY-MM-DD; default: the history's first date, else the meeting date)")
	versionAt := fs.String("version-at", "", "when a changed file's new version was made (default: now)")
	editor := fs.String("editor", "", "who a changed file's new version is attributed to (default: importer)")
	reason := fs.String("reason", "", "why the new version was made (default: imported from FILE)")
	maxSize := fs.Int64("max-size", akn.DefaultMaxSize, "size limit of one file, in bytes")
	quiet := fs.Bool("quiet", false, "report only refused files and the total")
	joinDir := fs.String("join", "", "with --process pdis: link the cases to the Join proposals of this dataset folder (proposals.jsonl; its case-links.csv, if any, is the reviewed mapping)")
	caseLinks := fs.String("case-links", "", "with --join: the reviewed mapping (case,proposal,note; a proposal ID, none, or empty: not decided) instead of the folder's case-links.csv; the real archive's is docs/case-links/pdis-join.csv. A proposal the dataset does not hold (held back) leaves the case unlinked, listed")
	toReview := fs.String("case-links-todo", "", "with --join: write the cases not linked surely, with their best candidates, to this file as a mapping to fill in (case-links.csv's format; lines left empty are not reviewed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("%w: import akn needs a FILE or DIR", errUsage)
	}
	paths, histPath := archiveLayout(fs.Args(), *history)
	files, err := importer.Files(paths)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if *meeting != "" && len(files) != 1 {
		return fmt.Errorf("%w: --meeting takes exactly one file, got %d", errUsage, len(files))
	}
	opts := importer.Options{MeetingID: domain.MeetingID(*meeting), Editor: *editor, Reason: *reason, Process: *process}
	if *joinDir != "" {
		if *process == "" {
			return fmt.Errorf("%w: --join links the cases of --process pdis", errUsage)
		}
		if opts.Links, err = loadLinks(*joinDir, *caseLinks, func(w string) { fmt.Fprintln(stderr, "join: "+w) }); err != nil {
			return err
		}
	} else if *caseLinks != "" || *toReview != "" {
		return fmt.Errorf("%w: --case-links and --case-links-todo go with --join", errUsage)
	}
	if opts.PublishedAt, err = parseTime(*publishedAt); err != nil {
		return fmt.Errorf("%w: --published-at: %v", errUsage, err)
	}
	if opts.VersionAt, err = parseTime(*versionAt); err != nil {
		return fmt.Errorf("%w: --version-at: %v", errUsage, err)
	}
	if histPath != "" {
		if opts.History, err = importer.LoadHistory(histPath); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		fmt.Fprintf(stderr, "using the stored versions of %s\n", histPath)
	}
	store, err := openStore(ctx, *storeURL)
	if err != nil {
		return err
	}
	defer store.Close()
	// The collector keeps its default pace: a larger heap (GOGC=400, as
	// the import first ran) costs more in page faults than it saves in
	// collections (the archive: 18–20 s of CPU against 15–16 s, and twice
	// the memory; docs/performance.md).
	im := importer.New(store, importer.Config{MaxFileSize: *maxSize})
	start := time.Now()
	var failed, events, versions int
	var warnings []string
	report := func(r importer.Result) {
		events += r.Events
		versions += r.Versions
		if r.Err != nil {
			failed++
		}
		for _, w := range r.Warnings {
			warnings = append(warnings, r.File+": "+w)
		}
		if r.Err != nil || !*quiet {
			fmt.Fprintln(stdout, r)
		}
	}
	var sum *importer.Summary
	if *meeting != "" {
		report(im.ImportFile(ctx, files[0], opts))
	} else {
		_, sum, err = im.ImportFiles(ctx, files, opts, report)
	}
	if sum != nil {
		fmt.Fprintln(stdout, sum)
		if *toReview != "" && sum.Links != nil && err == nil {
			if werr := writeReviewFile(*toReview, sum.Links.Cases); werr != nil {
				return werr
			}
			fmt.Fprintf(stdout, "the cases to review are in %s: fill in their proposals and save it as %s in the Join folder (or pass it with --case-links)\n", *toReview, CaseLinksFile)
		}
	}
	if len(warnings) > 0 {
		fmt.Fprintf(stdout, "warnings (recorded all the same): %d\n", len(warnings))
		for _, w := range warnings {
			fmt.Fprintln(stdout, "  "+w)
		}
	}
	fmt.Fprintf(stdout, "%d files, %d refused; %d events (%d versions as edits) in %s\n", len(files), failed, events, versions, time.Since(start).Round(time.Millisecond))
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if failed > 0 {
		return fmt.Errorf("import: %d of %d files refused (each changed nothing)", failed, len(files))
	}
	return nil
}

func runImportRaw(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import raw", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: collabledger import raw --meeting ID [--title T --date YYYY-MM-DD] FILE\n\nImports a stenographer's raw record (paragraphs separated by \"-\" lines, no speakers) as the\nmeeting's transcript. Then import its published version with\n'collabledger import akn --meeting ID FILE' to record the speaker assignments and edits.\n\nFlags:")
		fs.PrintDefaults()
	}
	storeURL := storeFlag(fs)
	meeting := fs.String("meeting", "", "the meeting (required)")
	title := fs.String("title", "", "the meeting's title, to create it if it does not exist")
	date := fs.String("date", "", "the meeting's date (YYYY-MM-DD), to create it if it does not exist")
	maxSize := fs.Int64("max-size", akn.DefaultMaxSize, "size limit of the file, in bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *meeting == "" {
		fs.Usage()
		return fmt.Errorf("%w: import raw needs --meeting and one FILE", errUsage)
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("import raw: %w", err)
	}
	store, err := openStore(ctx, *storeURL)
	if err != nil {
		return err
	}
	defer store.Close()
	im := importer.New(store, importer.Config{MaxFileSize: *maxSize})
	r := im.ImportRaw(ctx, fs.Arg(0), data, importer.RawOptions{MeetingID: domain.MeetingID(*meeting), Title: *title, Date: *date})
	fmt.Fprintln(stdout, r)
	if r.Err != nil {
		if errors.Is(r.Err, importer.ErrMeetingNotFound) {
			return fmt.Errorf("%w: %v", errUsage, r.Err)
		}
		return fmt.Errorf("import raw: refused")
	}
	return nil
}

// runAKN writes a meeting's transcript as Akoma Ntoso, or people and
// organisations as Popolo JSON:
//
//	collabledger akn [--store URL] --meeting ID [--as-of T] [--clock occurred|recorded] [--out FILE]
//	collabledger akn [--store URL] --popolo --meeting ID[,ID…] [--out FILE]
func runAKN(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("akn", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: collabledger akn --meeting ID [--as-of T] [--out FILE]\n       collabledger akn --popolo --meeting ID[,ID…] [--out FILE]\n\nWrites a meeting's transcript as Akoma Ntoso (as it read at --as-of, on the clock of when\nthings happened or when the ledger recorded them), or its people and the registry's\norganisations as Popolo JSON.\n\nFlags:")
		fs.PrintDefaults()
	}
	storeURL := storeFlag(fs)
	meeting := fs.String("meeting", "", "the meeting (for --popolo, a comma-separated list)")
	asOf := fs.String("as-of", "", "the transcript as it read then (RFC 3339 or YYYY-MM-DD); default now")
	clock := fs.String("clock", "occurred", "which clock --as-of reads: occurred (when things happened) or recorded (when the ledger recorded them)")
	popolo := fs.Bool("popolo", false, "write Popolo JSON (people and organisations) instead")
	out := fs.String("out", "-", "file to write, - for standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *meeting == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: akn needs --meeting and no arguments", errUsage)
	}
	at, err := parseTime(*asOf)
	if err != nil {
		return fmt.Errorf("%w: --as-of: %v", errUsage, err)
	}
	var c importer.Clock
	switch *clock {
	case "occurred":
		c = importer.Occurred
	case "recorded":
		c = importer.Recorded
	default:
		return fmt.Errorf("%w: --clock %q: want occurred or recorded", errUsage, *clock)
	}
	store, err := openStore(ctx, *storeURL)
	if err != nil {
		return err
	}
	defer store.Close()
	dst := stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("akn: %w", err)
		}
		defer f.Close()
		dst = f
	}
	if *popolo {
		var ids []domain.MeetingID
		for _, id := range strings.Split(*meeting, ",") {
			ids = append(ids, domain.MeetingID(strings.TrimSpace(id)))
		}
		p, err := importer.Popolo(ctx, store, ids...)
		if err != nil {
			return fmt.Errorf("akn: %w", err)
		}
		return akn.WritePopolo(dst, p)
	}
	doc, err := importer.ExportOn(ctx, store, domain.MeetingID(*meeting), at, c)
	if err != nil {
		return fmt.Errorf("akn: %w", err)
	}
	if err := akn.Write(dst, doc); err != nil {
		return fmt.Errorf("akn: %w", err)
	}
	if f, ok := dst.(*os.File); ok && f != os.Stdout {
		return f.Sync()
	}
	return nil
}

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/readmodels"
	"github.com/pdis/collab-ledger/web"
)

// runTrail prints a case's accountability trail — how its outcome arose —
// live or as of a position or time, as text or JSON. It folds the log into
// memory read models itself from the store; with --server it reads a
// running server's /api/v1/cases/{id}/trail instead (the embedded store is
// held by its server).
func runTrail(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("trail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURL := storeFlag(fs)
	caseID := fs.String("case", "", "the case's ID (required)")
	asOf := fs.String("as-of", "", "a log position, or an RFC 3339 time: the trail as it stood then")
	clock := fs.String("clock", "recorded", "with a time: recorded (what the ledger had recorded then) or occurred (what had happened by then)")
	view := fs.String("view", "public", "public, or auditor (everything, with removals and their reasons)")
	format := fs.String("format", "text", "text or json")
	lang := fs.String("lang", web.LangZhHant, "the text's language: zh-Hant or en (who and what, as the case page says them)")
	server, token := remoteFlags(fs, "an auditor's or PDIS staff token for --view auditor")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *caseID == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: trail needs --case ID and no arguments", errUsage)
	}
	v := readmodels.View(*view)
	if !v.Valid() {
		return fmt.Errorf("%w: --view must be public or auditor, got %q", errUsage, *view)
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("%w: --format must be text or json, got %q", errUsage, *format)
	}
	at, err := parseAsOf(*asOf, *clock)
	if err != nil {
		return err
	}
	if *server != "" {
		page, err := remoteTrail(ctx, *server, *token, *caseID, v, *asOf, *clock)
		if err != nil {
			return err
		}
		return writeTrail(stdout, *format, *lang, *caseID, at, page)
	}
	store, err := openStore(ctx, *storeURL)
	if err != nil {
		return err
	}
	defer store.Close()

	runner, err := projections.NewRunner(projections.RunnerConfig{Store: store, Projections: readmodels.All(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if err := runner.WaitCaughtUp(ctx); err != nil {
		return fmt.Errorf("trail: fold the log: %w", err)
	}
	reader := runner.Reader(readmodels.TrailName)
	if at != (readmodels.AsOf{}) {
		snap, err := readmodels.CaseAsOf(ctx, store, runner, domain.CaseID(*caseID), at)
		if err != nil {
			return fmt.Errorf("trail of %s as of %s: %w", *caseID, *asOf, err)
		}
		reader = snap.Reader(readmodels.TrailName)
	}
	page, ok, err := readmodels.CaseTrail(ctx, reader, domain.CaseID(*caseID), readmodels.TrailQuery{View: v})
	if err != nil {
		return fmt.Errorf("trail of %s: %w", *caseID, err)
	}
	if !ok && at != (readmodels.AsOf{}) {
		return fmt.Errorf("trail: no case %q at that point", *caseID)
	}
	if !ok {
		return fmt.Errorf("trail: no case %q", *caseID)
	}
	return writeTrail(stdout, *format, *lang, *caseID, at, page)
}

// writeTrail writes a case's trail as JSON or as text.
func writeTrail(w io.Writer, format, lang, caseID string, at readmodels.AsOf, page readmodels.TrailPage) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(page)
	}
	printTrail(w, lang, caseID, at, page)
	return nil
}

// remoteTrail reads a case's whole trail from a running server's API
// (GET /api/v1/cases/{id}/trail), page after page.
func remoteTrail(ctx context.Context, server, token, caseID string, v readmodels.View, asOf, clock string) (readmodels.TrailPage, error) {
	var all readmodels.TrailPage
	path := strings.Replace(web.CaseTrailPath, "{id}", url.PathEscape(caseID), 1)
	var after eventstore.Position
	for {
		q := url.Values{"view": {string(v)}, "limit": {"500"}}
		if after > 0 {
			q.Set("after", strconv.FormatUint(uint64(after), 10))
		}
		if asOf != "" {
			q.Set("asof", asOf)
			q.Set("clock", clock)
		}
		resp, err := openRemote(ctx, server, token, path, q)
		if err != nil {
			return all, fmt.Errorf("trail: %w", err)
		}
		var tv web.TrailView
		err = json.NewDecoder(resp.Body).Decode(&tv)
		resp.Body.Close()
		if err != nil {
			return all, fmt.Errorf("trail from %s: %w", server, err)
		}
		all.Subjects = tv.Page.Subjects
		all.Entries = append(all.Entries, tv.Page.Entries...)
		if tv.Page.Next == 0 || tv.Page.Next <= after {
			return all, nil
		}
		after = tv.Page.Next
	}
}

// parseAsOf reads --as-of: empty (live), a position, or a time on a clock.
func parseAsOf(s, clock string) (readmodels.AsOf, error) {
	var at readmodels.AsOf
	s = strings.TrimSpace(s)
	if s == "" {
		return at, nil
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		if n == 0 {
			return at, fmt.Errorf("%w: --as-of: a log position starts at 1", errUsage)
		}
		at.Position = eventstore.Position(n)
		return at, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return at, fmt.Errorf("%w: --as-of must be a log position or an RFC 3339 time, got %q", errUsage, s)
	}
	switch clock {
	case "recorded":
		at.RecordedAt = t
	case "occurred":
		at.OccurredAt = t
	default:
		return at, fmt.Errorf("%w: --clock must be recorded or occurred, got %q", errUsage, clock)
	}
	return at, nil
}

// printTrail writes the trail as one line per entry: where it is in the log,
// when it happened and was recorded, who, and what.
func printTrail(w io.Writer, lang, caseID string, at readmodels.AsOf, page readmodels.TrailPage) {
	n := len(page.Entries)
	switch {
	case at.Position != 0:
		fmt.Fprintf(w, "How case %s arose, as of log position %d (%d entries)\n", caseID, at.Position, n)
	case !at.RecordedAt.IsZero():
		fmt.Fprintf(w, "How case %s arose, as of %s on the recorded-at clock (%d entries)\n", caseID, at.RecordedAt.Format(time.RFC3339), n)
	case !at.OccurredAt.IsZero():
		fmt.Fprintf(w, "How case %s arose, as of %s on the occurred-at clock (%d entries)\n", caseID, at.OccurredAt.Format(time.RFC3339), n)
	default:
		fmt.Fprintf(w, "How case %s arose (%d entries, live)\n", caseID, n)
	}
	fmt.Fprintln(w, "Times are Taipei time (Asia/Taipei, UTC+8).")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "POSITION\tOCCURRED (TAIPEI)\tRECORDED (TAIPEI)\tWHO\tWHAT\tEVENT\tSUBJECT\tEVENT ID")
	for _, e := range page.Entries {
		who, what := web.DescribeTrailEntry(lang, e)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Position,
			e.OccurredAt.In(calendar.Taipei).Format("2006-01-02 15:04"), e.RecordedAt.In(calendar.Taipei).Format("2006-01-02 15:04"),
			who, truncateRunes(what, 120), e.Type, e.Subject, e.EventID)
	}
	tw.Flush()
}

// truncateRunes cuts s to n runes, marking the cut with "…".
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/reports"
)

// runReport writes PDIS's period report (issue 7): it folds the log, up to
// its head or --at, and renders the figures with their sources.
//
//	collabledger report --from 2026-01-01 --to 2026-12-31 [--ministry moi] [--format md|html|csv|json] [--lang zh-Hant|en] [--at POSITION] [--base-url URL] [--store URL] [--out FILE]
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURL := storeFlag(fs)
	from := fs.String("from", "", "first day of the period, YYYY-MM-DD (Asia/Taipei) (required)")
	to := fs.String("to", "", "last day of the period, YYYY-MM-DD, inclusive (required)")
	ministry := fs.String("ministry", "", "only this ministry's figures (a ministry code, e.g. moi)")
	format := fs.String("format", "md", "output format: "+strings.Join(reports.Formats, ", ")+" (csv: a zip of one CSV table per file, for --out)")
	lang := fs.String("lang", "zh-Hant", "first language of labels: zh-Hant or en (both are always shown)")
	at := fs.Uint64("at", 0, "compute at this log position (a report's checkpoint) instead of the head")
	out := fs.String("out", "-", "file to write, - for standard output")
	baseURL := fs.String("base-url", "", "html: the server the page links to (https://ledger.example): language switch, each figure's query, each event's trail entry; none without it")
	server, token := remoteFlags(fs, "a token (the report is public; none needed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: report takes no arguments, got %q", errUsage, fs.Args())
	}
	if *from == "" || *to == "" {
		return fmt.Errorf("%w: report needs --from and --to (YYYY-MM-DD)", errUsage)
	}
	period, err := reports.DatePeriod(*from, *to)
	if err != nil {
		return fmt.Errorf("%w: report: %v", errUsage, err)
	}
	l, err := reports.ParseLang(*lang)
	if err != nil {
		return fmt.Errorf("%w: report: %v", errUsage, err)
	}
	switch *format {
	case "html", "md", "markdown", "csv", "json":
	default:
		return fmt.Errorf("%w: report: unknown format %q (%s)", errUsage, *format, strings.Join(reports.Formats, ", "))
	}
	if *server != "" {
		return remoteReport(ctx, *server, *token, *out, stdout, stderr, url.Values{"from": {*from}, "to": {*to}, "ministry": {*ministry},
			"format": {strings.Replace(*format, "markdown", "md", 1)}, "lang": {string(l)}, "at": {atParam(*at)}})
	}
	store, err := openStore(ctx, *storeURL)
	if err != nil {
		return err
	}
	defer store.Close()
	rep, err := reports.Compute(ctx, store, period, reports.Filter{Ministry: *ministry}, eventstore.Position(*at))
	if err != nil {
		return err
	}
	dst := stdout
	var f *os.File
	if *out != "-" {
		if f, err = os.Create(*out); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		defer f.Close()
		dst = f
	}
	bw := bufio.NewWriter(dst)
	if *format == "html" {
		err = reports.WriteHTMLLinked(bw, rep, l, reports.WithBase(*baseURL))
	} else {
		err = reports.Write(bw, rep, *format, l)
	}
	if err != nil {
		return fmt.Errorf("report: write %s: %w", *format, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		fmt.Fprintf(stderr, "report computed at position %d (%d events) written to %s\n", rep.At, rep.Events, *out)
	}
	return nil
}

// atParam is a position as a query parameter, "" for the head.
func atParam(at uint64) string {
	if at == 0 {
		return ""
	}
	return strconv.FormatUint(at, 10)
}

// remoteReport writes the report a running server computes (GET
// /reports, the same rendering as the CLI's).
func remoteReport(ctx context.Context, server, token, out string, stdout, stderr io.Writer, q url.Values) error {
	for k, v := range q {
		if len(v) == 0 || v[0] == "" {
			delete(q, k)
		}
	}
	resp, err := openRemote(ctx, server, token, "/reports", q)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer resp.Body.Close()
	dst := stdout
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		defer f.Close()
		dst = f
	}
	if _, err := io.Copy(dst, resp.Body); err != nil {
		return fmt.Errorf("report from %s: %w", server, err)
	}
	if out != "-" {
		fmt.Fprintf(stderr, "report computed by %s at position %s written to %s\n", server, resp.Header.Get("X-Ledger-Position"), out)
	}
	return nil
}

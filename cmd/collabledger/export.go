package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/export"
	"github.com/pdis/collab-ledger/eventstore/sealed"
	"github.com/pdis/collab-ledger/web"
)

// runExport writes the log, up to its head when the command starts, as JSON
// Lines of CloudEvents (eventstore/export).
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURL := storeFlag(fs)
	out := fs.String("out", "-", "file to write, - for standard output")
	after := fs.Uint64("after", 0, "export only events after this global position")
	auditor := fs.Bool("auditor", false, "auditor export: each sealed event's line also carries the values and salts of its committed fields (needs --secrets); without it the export is public: commitments only")
	secretsURL := secretsFlag(fs)
	server, token := remoteFlags(fs, "an auditor's or PDIS staff token")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: export takes no arguments, got %q", errUsage, fs.Args())
	}
	if *server != "" {
		return exportRemote(ctx, *server, *token, *after, *auditor, *out, stdout, stderr)
	}
	if *auditor && *secretsURL == "" {
		return fmt.Errorf("%w: export --auditor needs --secrets (the secrets store)", errUsage)
	}
	store, err := openStore(ctx, *storeURL)
	if err != nil {
		return err
	}
	defer store.Close()
	var secrets sealed.Secrets
	if *auditor {
		s, closeSecrets, err := openSecrets(ctx, *secretsURL)
		if err != nil {
			return err
		}
		defer closeSecrets()
		secrets = s
	}
	head, err := store.Head(ctx)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	dst := stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer f.Close()
		dst = f
	}
	w := export.NewWriter(dst)
	if err := export.Log(ctx, store, secrets, eventstore.Position(*after), head, w, nil); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if f, ok := dst.(*os.File); ok && f != os.Stdout {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		fmt.Fprintf(stderr, "exported %d events up to position %d to %s\n", w.Count(), head, *out)
	}
	return nil
}

// exportRemote writes the export a running server streams (GET
// /api/v1/export): the same lines `export` writes from the store; with
// auditor, the auditor export (an auditor's token, a server run with
// --export-secrets).
func exportRemote(ctx context.Context, server, token string, after uint64, auditor bool, out string, stdout, stderr io.Writer) error {
	q := url.Values{"from": {strconv.FormatUint(after+1, 10)}}
	if auditor {
		q.Set("secrets", "true")
	}
	resp, err := openRemote(ctx, server, token, web.ExportPath, q)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer resp.Body.Close()
	dst := stdout
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		defer f.Close()
		dst = f
	}
	n, err := io.Copy(dst, resp.Body)
	if err != nil {
		return fmt.Errorf("export from %s: cut after %d bytes: %w", server, n, err)
	}
	if f, ok := dst.(*os.File); ok && f != os.Stdout {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		fmt.Fprintf(stderr, "exported up to position %s from %s to %s\n", resp.Header.Get("X-Ledger-Head"), server, out)
	}
	return nil
}

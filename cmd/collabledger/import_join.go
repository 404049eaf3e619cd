package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/importer/join"
)

// runImportJoin imports Join's proposals and signatures:
//
//	collabledger import join [--store URL] [--secret-file F] [--quiet] DIR
func runImportJoin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import join", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: collabledger import join [flags] DIR\n\nImports Join's proposals and signatures from a folder in the join-archive layout\n(proposals.jsonl and signatures/<ID>.csv): each proposal submitted and published\nwith Join's numbers, every signature at its time under a pseudonym derived from\nJoin's row number with the pseudonym secret, the establishment, Join's deadline,\neach lead ministry's response and every further one, and Join's expiry, each decided by the domain. Importing again\nrecords only what is new; a bad record is named by file and line and changes\nnothing; the others go on.\n\nFlags:")
		fs.PrintDefaults()
	}
	storeURL := storeFlag(fs)
	secretFile := secretFlag(fs)
	workers := fs.Int("workers", 0, "proposals imported at once (default 4 per CPU)")
	quiet := fs.Bool("quiet", false, "report only refused records, warnings and the total")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: import join needs one DIR", errUsage)
	}
	secret, err := readSecret(secretPath(*secretFile, *storeURL))
	if err != nil {
		return err
	}
	store, err := openStore(ctx, *storeURL)
	if err != nil {
		return err
	}
	defer store.Close()
	ledger, err := app.NewLedger(store, app.LedgerConfig{Secret: secret, Handler: join.HandlerConfig()})
	if err != nil {
		return err
	}
	defer ledger.Close()
	im, err := join.New(join.Config{Ledger: ledger, Store: store, Secret: secret})
	if err != nil {
		return err
	}
	defer join.TuneGCForBulk()()
	start := time.Now()
	sum, err := im.ImportDir(ctx, fs.Arg(0), join.DirOptions{Workers: *workers}, func(o join.Outcome) {
		if o.Err != nil || (!*quiet && o.Events > 0) {
			fmt.Fprintln(stdout, o)
		}
	})
	if sum != nil {
		if len(sum.Warnings) > 0 {
			fmt.Fprintln(stdout, "\nwarnings:")
			for _, o := range sum.Warnings {
				for _, w := range o.Warnings {
					fmt.Fprintf(stdout, "  %s (%s): %s\n", o.ProposalID, o.Source, w)
				}
				if o.Err != nil {
					fmt.Fprintf(stdout, "  REFUSED %s\n", o.Err)
				}
			}
		}
		fmt.Fprintln(stdout, sum)
		fmt.Fprintf(stdout, "done in %s\n", time.Since(start).Round(time.Millisecond))
	}
	if err != nil {
		return fmt.Errorf("import join: %w", err)
	}
	if sum.Refused > 0 {
		return fmt.Errorf("import join: %d of %d records refused (each changed nothing)", sum.Refused, sum.Proposals)
	}
	return nil
}

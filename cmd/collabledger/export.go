package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/export"
)

// runExport writes the log, up to its head when the command starts, as JSON
// Lines of CloudEvents (eventstore/export).
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURL := storeFlag(fs)
	out := fs.String("out", "-", "file to write, - for standard output")
	after := fs.Uint64("after", 0, "export only events after this global position")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: export takes no arguments, got %q", errUsage, fs.Args())
	}
	store, err := openStore(ctx, *storeURL)
	if err != nil {
		return err
	}
	defer store.Close()
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
	pos := eventstore.Position(*after)
	for pos < head {
		batch, err := store.ReadAll(ctx, pos, 4096)
		if err != nil {
			return fmt.Errorf("export after %d: %w", pos, err)
		}
		if len(batch) == 0 {
			break
		}
		for _, e := range batch {
			if e.Position > head {
				break
			}
			if err := w.Write(e); err != nil {
				return err
			}
			pos = e.Position
		}
	}
	if err := w.Flush(); err != nil {
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

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/export"
	"github.com/pdis/collab-ledger/eventstore/sealed"
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: export takes no arguments, got %q", errUsage, fs.Args())
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
	pos := eventstore.Position(*after)
	for pos < head {
		batch, err := store.ReadAll(ctx, pos, 4096)
		if err != nil {
			return fmt.Errorf("export after %d: %w", pos, err)
		}
		if len(batch) == 0 {
			break
		}
		kept, err := secretsOf(ctx, secrets, batch)
		if err != nil {
			return fmt.Errorf("export after %d: %w", pos, err)
		}
		for _, e := range batch {
			if e.Position > head {
				break
			}
			if err := w.WriteWithSecrets(e, kept[e.ID]); err != nil {
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

// secretsOf reads the kept secrets of the sealed events of batch (none
// without a secrets store: a public export).
func secretsOf(ctx context.Context, secrets sealed.Secrets, batch []eventstore.Event) (map[uuid.UUID][]sealed.Secret, error) {
	if secrets == nil {
		return nil, nil
	}
	var ids []uuid.UUID
	for _, e := range batch {
		if sealed.IsSealed(e.Data) {
			ids = append(ids, e.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return secrets.Get(ctx, ids...)
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/demo"
	"github.com/pdis/collab-ledger/eventstore"
)

// demoFlag adds serve's --demo flag.
func demoFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("demo", false, "load the built-in demo (proposals, a monthly vote, cases, meetings, transcripts) into an empty store before serving")
}

// prepareDemo loads the built-in demo through ledger when enabled: into an
// empty store, or not at all if the store already holds it. A store with
// other events is refused, so that demo data never mixes with real records.
// It returns what to print once the server listens: the demo's URLs, or,
// without --demo on an empty store, how to get demo data.
func prepareDemo(ctx context.Context, enabled bool, store eventstore.Store, ledger *app.Ledger) (announce func(w io.Writer, base string), err error) {
	head, err := store.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: read the store's head: %w", err)
	}
	if !enabled {
		return func(w io.Writer, _ string) {
			if head == 0 {
				fmt.Fprintln(w, "the store is empty; for demo data, run `make demo` (serve --demo --store file:./data/demo.db)")
			}
		}, nil
	}
	loaded, err := demo.Loaded(ctx, store)
	if err != nil {
		return nil, err
	}
	if head > 0 && !loaded {
		return nil, fmt.Errorf("demo: the store holds %d events that are not the demo; --demo loads only into an empty store (try --store file:./data/demo.db)", head)
	}
	slog.Info("loading the demo", "already_loaded", loaded)
	sum, err := demo.Load(ctx, ledger, demo.Options{Store: store})
	if err != nil {
		return nil, fmt.Errorf("load the demo: %w", err)
	}
	slog.Info("demo ready", "events", sum.Events, "signatures", sum.Signatures, "elapsed", sum.Elapsed.Round(1e6).String())
	return func(w io.Writer, base string) {
		if sum.AlreadyLoaded {
			fmt.Fprintln(w, "demo: the store already holds the demo")
		} else {
			fmt.Fprintf(w, "demo: loaded %d events (%d signatures) in %s\n", sum.Events, sum.Signatures, sum.Elapsed.Round(1e6))
		}
		fmt.Fprintf(w, "demo case:       %s/cases/%s\n", base, sum.ShowcaseCase)
		fmt.Fprintf(w, "demo transcript: %s/meetings/%s\n", base, sum.ShowcaseMeeting)
		fmt.Fprintf(w, "demo proposal:   %s/proposals/%s\n", base, sum.ShowcaseProposal)
	}, nil
}

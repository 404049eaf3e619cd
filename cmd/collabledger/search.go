package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/readmodels"
)

// searchIndexFlag is serve's --search-index.
func searchIndexFlag(fs *flag.FlagSet) *string {
	return fs.String("search-index", os.Getenv("COLLABLEDGER_SEARCH_INDEX"), "folder of the search index, kept between starts (default: beside a file: store, LEDGER.search; a temporary folder rebuilt at each start for other stores; \"temp\" for that always) (env COLLABLEDGER_SEARCH_INDEX)")
}

// searchIndexDir is where the search index lives: the flag's folder, else
// beside a file store ("": a temporary folder).
func searchIndexDir(flagValue, storeURL string) string {
	switch flagValue {
	case "temp":
		return ""
	case "":
		if p := filePath(storeURL); p != "" {
			return p + ".search"
		}
		return ""
	}
	return flagValue
}

// startSearch opens the search read model (a bleve index in dir, resumed
// from its checkpoint, or in a temporary folder rebuilt from the log; see
// docs/decisions/0021-search.md and 0039) and follows the log into it.
//
// It reads the log through feed, the read side's shared reader (decision
// 0046), or on its own if feed is nil.
func startSearch(ctx context.Context, store eventstore.Store, feed readmodels.SearchFeed, dir string) (*readmodels.Search, func(), error) {
	idx, err := readmodels.OpenSearch(ctx, readmodels.SearchConfig{Dir: dir, Logger: slog.Default()}, store)
	if err != nil {
		return nil, nil, err
	}
	slog.Info("search index", "dir", dir, "at", idx.Position())
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := idx.RunFed(ctx, store, feed); err != nil && !errors.Is(err, context.Canceled) {
			slog.Error("search index stopped", "err", err)
		}
	}()
	return idx, func() {
		cancel()
		<-done
		_ = idx.Close()
	}, nil
}

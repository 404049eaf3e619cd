package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/readmodels"
)

// startSearch opens the search read model (a bleve index in a temporary
// directory, rebuilt from the log at each start, whatever the store; see
// docs/decisions/0021-search.md) and follows the log into it.
func startSearch(ctx context.Context, store eventstore.Store) (*readmodels.Search, func(), error) {
	idx, err := readmodels.NewSearch(readmodels.SearchConfig{Logger: slog.Default()})
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := idx.Run(ctx, store); err != nil && !errors.Is(err, context.Canceled) {
			slog.Error("search index stopped", "err", err)
		}
	}()
	return idx, func() {
		cancel()
		<-done
		_ = idx.Close()
	}, nil
}

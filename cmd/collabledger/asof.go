package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/readmodels"
	"github.com/pdis/collab-ledger/readmodels/asofstore"
)

// openFolds opens where serve keeps the snapshots of cases' as-of folds
// (readmodels.CaseFolds, decision 0043), as the sessions: PostgreSQL when
// the deployment has it, else a bbolt file beside the embedded store
// (PATH.asof), else nowhere (nil: memory only). It drops the snapshots
// folded before an erasure recorded while the server was stopped.
func openFolds(ctx context.Context, storeURL, readModels string, store eventstore.Store) (readmodels.FoldStore, func(), error) {
	var (
		fs      readmodels.FoldStore
		closeFS func()
		where   string
	)
	pg, file := besideTheStore(storeURL, readModels)
	switch {
	case pg != "":
		pool, err := pgxpool.New(ctx, pg)
		if err != nil {
			return nil, nil, fmt.Errorf("as-of snapshots in %s: %w", eventstore.Redact(pg), err)
		}
		s, err := asofstore.OpenPostgres(ctx, pool)
		if err != nil {
			pool.Close()
			return nil, nil, fmt.Errorf("as-of snapshots in %s: %w", eventstore.Redact(pg), err)
		}
		fs, closeFS, where = s, pool.Close, "postgres"
	case file != "":
		s, err := asofstore.OpenBolt(file + ".asof")
		if err != nil {
			return nil, nil, err
		}
		fs, closeFS, where = s, func() { s.Close() }, file+".asof"
	default:
		slog.Info("as-of snapshots", "kept", "memory")
		return nil, func() {}, nil
	}
	if err := (&readmodels.CaseFolds{Store: fs}).Sweep(ctx, store); err != nil {
		closeFS()
		return nil, nil, fmt.Errorf("as-of snapshots: %w", err)
	}
	slog.Info("as-of snapshots", "kept", where)
	return fs, closeFS, nil
}

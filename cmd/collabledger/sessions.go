package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/sessionstore"
)

// openSessions opens where serve keeps the pages' sessions (decision
// 0036): PostgreSQL when the deployment has it (the store's database,
// else the read models'), so that every server sees every session; else a
// bbolt file beside the embedded store (PATH.sessions), so that a restart
// keeps them; else (a KurrentDB store with read models in memory) memory.
func openSessions(ctx context.Context, storeURL, readModels string) (sessionstore.Store, string, func(), error) {
	pg, file := besideTheStore(storeURL, readModels)
	if pg != "" {
		pool, err := pgxpool.New(ctx, pg)
		if err != nil {
			return nil, "", nil, fmt.Errorf("sessions in %s: %w", eventstore.Redact(pg), err)
		}
		s, err := sessionstore.OpenPostgres(ctx, pool)
		if err != nil {
			pool.Close()
			return nil, "", nil, fmt.Errorf("sessions in %s: %w", eventstore.Redact(pg), err)
		}
		return s, "postgres", pool.Close, nil
	}
	if file != "" {
		s, err := sessionstore.OpenBolt(file + ".sessions")
		if err != nil {
			return nil, "", nil, err
		}
		return s, "file", func() { s.Close() }, nil
	}
	return sessionstore.NewMemory(), "memory", func() {}, nil
}

// besideTheStore says where serve keeps state of its own beside the log
// and the read models (sessions, as-of snapshots): the PostgreSQL URL of
// the store, else of the read models, if either is one; else the path of
// the embedded store's file (the state then goes in files beside it);
// else neither (memory).
func besideTheStore(storeURL, readModels string) (pg, file string) {
	for _, u := range []string{storeURL, readModels} {
		if strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
			return u, ""
		}
	}
	if u, err := url.Parse(storeURL); err == nil && strings.EqualFold(u.Scheme, "file") {
		p := u.Opaque
		if p == "" {
			p = u.Path
		}
		return "", p
	}
	return "", ""
}

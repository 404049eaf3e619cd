package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/sealed"
	sealedbolt "github.com/pdis/collab-ledger/eventstore/sealed/bbolt"
	sealedpg "github.com/pdis/collab-ledger/eventstore/sealed/postgres"
	"github.com/pdis/collab-ledger/tokens"
)

// secretsFlag adds --secrets: where the values and salts of sealed fields
// are kept (docs/content-hash.md, envelope version 2).
func secretsFlag(fs *flag.FlagSet) *string {
	return fs.String("secrets", os.Getenv("COLLABLEDGER_SECRETS"),
		"secrets store of sealed personal and confidential fields: file:PATH (bbolt, e.g. file:./data/ledger.db.secrets) or postgres://...; "+
			"with it, new events keep those fields as salted commitments (env COLLABLEDGER_SECRETS; none: fields are stored as given)")
}

// openSecrets opens the secrets store at url ("" is none: nil and a no-op
// close).
func openSecrets(ctx context.Context, url string) (sealed.Secrets, func(), error) {
	switch {
	case url == "":
		return nil, func() {}, nil
	case strings.HasPrefix(url, "file:"):
		s, err := sealedbolt.Open(strings.TrimPrefix(url, "file:"))
		if err != nil {
			return nil, nil, err
		}
		return s, func() { s.Close() }, nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			return nil, nil, fmt.Errorf("secrets store %s: %w", eventstore.Redact(url), err)
		}
		s, err := sealedpg.New(ctx, pool)
		if err != nil {
			pool.Close()
			return nil, nil, fmt.Errorf("secrets store %s: %w", eventstore.Redact(url), err)
		}
		return s, pool.Close, nil
	}
	return nil, nil, fmt.Errorf("%w: --secrets must be file:PATH or postgres://..., got %q", errUsage, eventstore.Redact(url))
}

// sealedLedger returns the store the command and read sides use: store
// itself without a secrets store, else a sealed.Log over it that seals each
// new event's personal and confidential fields (sealPolicy) and
// opens them on reads. The transparency log and the exports keep reading
// store, the events as stored.
func sealedLedger(ctx context.Context, secretsURL string, store eventstore.Store) (eventstore.Store, *sealed.Log, func(), error) {
	secrets, closeSecrets, err := openSecrets(ctx, secretsURL)
	if err != nil || secrets == nil {
		return store, nil, closeSecrets, err
	}
	log := sealed.NewLog(store, secrets, sealPolicy)
	return log, log, closeSecrets, nil
}

// sealPolicy is what a sealed ledger keeps beside the log: the domain's
// personal and confidential fields, the token events' (a token's actor ID,
// a revocation's reason), and the actor IDs of citizens and proposers.
var sealPolicy = sealed.Policy{Fields: privateFields, Actor: domain.IsPseudonymousRole}

func privateFields(eventType string) []string {
	if f := domain.PrivateFields(eventType); f != nil {
		return f
	}
	return tokens.PrivateFields(eventType)
}

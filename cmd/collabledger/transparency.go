package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/internal/lease"
	"github.com/pdis/collab-ledger/transparency"
)

// transparencyFlags are serve's flags for the transparency log.
type transparencyFlags struct {
	key        *string
	interval   *time.Duration
	origin     *string
	deployment *string
	policy     *string
}

func addTransparencyFlags(fs *flag.FlagSet) transparencyFlags {
	return transparencyFlags{
		key: fs.String("checkpoint-key", os.Getenv("COLLABLEDGER_CHECKPOINT_KEY"),
			"checkpoint signing key (collabledger keygen); default: <store name>"+keyFileSuffix+" beside the embedded store (ledger"+keyFileSuffix+" for ledger.db), made on first use with its public key (env COLLABLEDGER_CHECKPOINT_KEY); \"none\" publishes no checkpoints"),
		interval: fs.Duration("checkpoint-interval", transparency.DefaultInterval, "how often to sign and publish a checkpoint when the log grew"),
		origin: fs.String("origin", os.Getenv("COLLABLEDGER_ORIGIN"),
			"the log's origin, the first line of its checkpoints (env COLLABLEDGER_ORIGIN); default: the checkpoint key's name, which a key made here derives from --deployment and the key"),
		deployment: fs.String("deployment", envOr("COLLABLEDGER_DEPLOYMENT", transparency.DefaultDeployment),
			"the deployment's name, which a checkpoint key made on first use starts its name (the origin) with (env COLLABLEDGER_DEPLOYMENT)"),
		policy: fs.String("witness-policy", os.Getenv("COLLABLEDGER_WITNESS_POLICY"),
			"witness policy (C2SP tlog-policy): every checkpoint is offered to each witness with a URL in it, and their cosignatures kept and served (env COLLABLEDGER_WITNESS_POLICY)"),
	}
}

// keyFileSuffix ends the name of a store's checkpoint key file, beside the
// store and named after it, so that stores in one folder never share a key.
const keyFileSuffix = "-checkpoint.key"

// storeKeyPath is the checkpoint key file of a store: <store name without
// extension>-checkpoint.key beside an embedded store, else
// ledger-checkpoint.key in ./data.
func storeKeyPath(storeURL string) string {
	dir := filepath.Dir(secretPath("", storeURL))
	base := "ledger"
	if u, err := url.Parse(storeURL); err == nil && strings.EqualFold(u.Scheme, "file") {
		p := u.Opaque
		if p == "" {
			p = u.Path
		}
		if b := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)); b != "" && b != "." && b != string(filepath.Separator) {
			base = b
		}
	}
	return filepath.Join(dir, base+keyFileSuffix)
}

// PublisherJob is the checkpoint publisher's lease: one server at a time
// signs and appends checkpoints.
const PublisherJob = "checkpoint-publisher"

// transparencyLog is the server's Merkle tree over every event and its
// checkpoint publisher.
type transparencyLog struct {
	log  *transparency.Log
	stop func()
}

// checkpointKeyPath is the signing key to use: the flag's, or the store's
// key file beside it (made, with its public key, on first use, named for
// the deployment and the key: transparency.GenerateKey).
func checkpointKeyPath(flagValue, storeURL, deployment string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	path := storeKeyPath(storeURL)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("checkpoint key: %w", err)
	}
	skey, vkey, _, err := transparency.GenerateKey(deployment)
	if err != nil {
		return "", fmt.Errorf("checkpoint key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", fmt.Errorf("checkpoint key: %w", err)
	}
	if err := writeKey(path, skey, 0o600); err != nil {
		return "", err
	}
	pub := strings.TrimSuffix(path, ".key") + ".pub"
	if err := writeKey(pub, vkey, 0o644); err != nil {
		return "", err
	}
	slog.Info("made a checkpoint signing key", "key", path, "public", pub)
	return path, nil
}

// checkpointKey is the server's checkpoint signing key, the trusted keys
// that check its signatures, and the store guard that lets only checkpoints
// signed with it into the checkpoint stream.
type checkpointKey struct {
	signer    note.Signer
	verifiers note.Verifiers
	origin    string
	guard     *transparency.CheckpointGuard
}

// loadCheckpointKey reads the signing key serve's flags name (see
// checkpointKeyPath); with "none", no key, and a guard that closes the
// checkpoint stream. Call it before opening the store: the guard goes in
// the store's configuration (openGuardedStore).
func loadCheckpointKey(f transparencyFlags, storeURL string) (checkpointKey, error) {
	k := checkpointKey{origin: *f.origin}
	if *f.key != "none" {
		path, err := checkpointKeyPath(*f.key, storeURL, *f.deployment)
		if err != nil {
			return k, err
		}
		if k.signer, k.verifiers, err = transparency.ReadSignerFile(path); err != nil {
			return k, fmt.Errorf("checkpoint key %s: %w", path, err)
		}
		if k.origin == "" {
			k.origin = k.signer.Name()
		}
	}
	if k.origin == "" {
		k.origin = transparency.DefaultOrigin
	}
	k.guard = transparency.NewCheckpointGuard(transparency.GuardConfig{Verifiers: k.verifiers, Origin: k.origin})
	return k, nil
}

// startTransparency builds the tree from the log (in memory, or in
// PostgreSQL beside PostgreSQL read models), follows it, and publishes
// signed checkpoints with key at the interval. The tree tells key's guard
// of every checkpoint it reads.
func startTransparency(ctx context.Context, store eventstore.Store, readModels string, f transparencyFlags, key checkpointKey, leases lease.Manager) (*transparencyLog, error) {
	signer, verifiers := key.signer, key.verifiers
	var hashes transparency.HashStore = transparency.NewMemoryStore()
	closeHashes := func() {}
	if readModels != "" && readModels != "memory" {
		pg, err := transparency.OpenPostgres(ctx, transparency.PostgresConfig{URL: readModels})
		if err != nil {
			return nil, fmt.Errorf("transparency log in %s: %w", eventstore.Redact(readModels), err)
		}
		hashes, closeHashes = pg, func() { _ = pg.Close() }
	}
	var witnesses []*transparency.WitnessClient
	if *f.policy != "" {
		pol, err := transparency.ReadPolicyFile(*f.policy)
		if err != nil {
			closeHashes()
			return nil, err
		}
		for _, w := range pol.Witnesses {
			if w.URL == "" {
				continue
			}
			c, err := transparency.NewWitnessClient(w, nil)
			if err != nil {
				closeHashes()
				return nil, err
			}
			witnesses = append(witnesses, c)
		}
		slog.Info("checkpoints are offered to witnesses", "policy", *f.policy, "witnesses", len(witnesses), "quorum", pol.Quorum)
	}
	tl, err := transparency.Open(ctx, transparency.Config{Store: hashes, Origin: key.origin, Verifiers: verifiers, Guard: key.guard, Logger: slog.Default()})
	if err != nil {
		closeHashes()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		if err := tl.Follow(ctx, store); err != nil && ctx.Err() == nil {
			slog.Error("transparency log stopped", "err", err)
		}
	}()
	if signer != nil {
		pub, err := transparency.NewPublisher(transparency.PublisherConfig{Log: tl, Store: store, Signer: signer, Interval: *f.interval,
			Witnesses: witnesses, Logger: slog.Default(), Exclusive: true})
		if err != nil {
			cancel()
			<-done
			closeHashes()
			return nil, err
		}
		go func() {
			defer func() { done <- struct{}{} }()
			// one server at a time publishes (lease job PublisherJob)
			lease.Hold(ctx, leases, PublisherJob, lease.HoldConfig{}, func(ctx context.Context, _ lease.Grant) {
				if err := pub.Run(ctx); err != nil && ctx.Err() == nil {
					slog.Error("checkpoint publisher stopped", "err", err)
				}
			})
		}()
	} else {
		done <- struct{}{}
	}
	return &transparencyLog{log: tl, stop: func() {
		cancel()
		<-done
		<-done
		closeHashes()
	}}, nil
}

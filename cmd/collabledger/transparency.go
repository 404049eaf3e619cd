package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/transparency"
)

// transparencyFlags are serve's flags for the transparency log.
type transparencyFlags struct {
	key      *string
	interval *time.Duration
}

func addTransparencyFlags(fs *flag.FlagSet) transparencyFlags {
	return transparencyFlags{
		key: fs.String("checkpoint-key", os.Getenv("COLLABLEDGER_CHECKPOINT_KEY"),
			"checkpoint signing key (collabledger keygen); default: "+signerKeyFile+" beside the embedded store, made on first use with its public key (env COLLABLEDGER_CHECKPOINT_KEY); \"none\" publishes no checkpoints"),
		interval: fs.Duration("checkpoint-interval", transparency.DefaultInterval, "how often to sign and publish a checkpoint when the log grew"),
	}
}

// transparencyLog is the server's Merkle tree over every event and its
// checkpoint publisher.
type transparencyLog struct {
	log  *transparency.Log
	stop func()
}

// checkpointKeyPath is the signing key to use: the flag's, or the file
// beside the embedded store (made, with its public key, on first use).
func checkpointKeyPath(flagValue, storeURL string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	path := filepath.Join(filepath.Dir(secretPath("", storeURL)), signerKeyFile)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("checkpoint key: %w", err)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, transparency.DefaultOrigin)
	if err != nil {
		return "", fmt.Errorf("checkpoint key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", fmt.Errorf("checkpoint key: %w", err)
	}
	if err := writeKey(path, skey, 0o600); err != nil {
		return "", err
	}
	pub := filepath.Join(filepath.Dir(path), verifierKeyFile)
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
	guard     *transparency.CheckpointGuard
}

// loadCheckpointKey reads the signing key serve's flags name (see
// checkpointKeyPath); with "none", no key, and a guard that closes the
// checkpoint stream. Call it before opening the store: the guard goes in
// the store's configuration (openGuardedStore).
func loadCheckpointKey(f transparencyFlags, storeURL string) (checkpointKey, error) {
	var k checkpointKey
	if *f.key != "none" {
		path, err := checkpointKeyPath(*f.key, storeURL)
		if err != nil {
			return k, err
		}
		if k.signer, k.verifiers, err = transparency.ReadSignerFile(path); err != nil {
			return k, fmt.Errorf("checkpoint key %s: %w", path, err)
		}
	}
	k.guard = transparency.NewCheckpointGuard(transparency.GuardConfig{Verifiers: k.verifiers})
	return k, nil
}

// startTransparency builds the tree from the log (in memory, or in
// PostgreSQL beside PostgreSQL read models), follows it, and publishes
// signed checkpoints with key at the interval. The tree tells key's guard
// of every checkpoint it reads.
func startTransparency(ctx context.Context, store eventstore.Store, readModels string, f transparencyFlags, key checkpointKey) (*transparencyLog, error) {
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
	tl, err := transparency.Open(ctx, transparency.Config{Store: hashes, Verifiers: verifiers, Guard: key.guard, Logger: slog.Default()})
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
		pub, err := transparency.NewPublisher(transparency.PublisherConfig{Log: tl, Store: store, Signer: signer, Interval: *f.interval, Logger: slog.Default()})
		if err != nil {
			cancel()
			<-done
			closeHashes()
			return nil, err
		}
		go func() {
			defer func() { done <- struct{}{} }()
			if err := pub.Run(ctx); err != nil && ctx.Err() == nil {
				slog.Error("checkpoint publisher stopped", "err", err)
			}
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

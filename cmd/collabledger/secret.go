package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/web"
)

// secretFileName is the pseudonym secret's file, beside the embedded store
// (or in ./data/ for the other backends).
const secretFileName = "pseudonym.key"

// secretFlag adds --secret-file: the key of citizens' pseudonyms,
// HMAC-SHA256(secret, verified identity). Every server and CLI of one
// ledger must use the same secret, or one person gets two pseudonyms.
func secretFlag(fs *flag.FlagSet) *string {
	return fs.String("secret-file", os.Getenv("COLLABLEDGER_SECRET_FILE"), "pseudonym secret (hex); default: "+secretFileName+" beside the embedded store, else ./data/"+secretFileName+", made on first use (env COLLABLEDGER_SECRET_FILE)")
}

// secretPath is the secret file to use with the store at storeURL.
func secretPath(flagValue, storeURL string) string {
	if flagValue != "" {
		return flagValue
	}
	if u, err := url.Parse(storeURL); err == nil && strings.EqualFold(u.Scheme, "file") {
		p := u.Opaque
		if p == "" {
			p = u.Path
		}
		if p != "" {
			return filepath.Join(filepath.Dir(p), secretFileName)
		}
	}
	return filepath.Join("data", secretFileName)
}

// loadSecret reads the secret file (32 bytes or more, hex), making one with
// 32 random bytes (mode 0600) if it does not exist.
func loadSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("pseudonym secret: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("pseudonym secret: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return loadSecret(path) // made by another process meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("pseudonym secret: %w", err)
		}
		_, err = f.WriteString(hex.EncodeToString(secret) + "\n")
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("pseudonym secret %s: %w", path, err)
		}
		slog.Info("made a new pseudonym secret; keep it, and give every server of this ledger the same one", "file", path)
		return secret, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pseudonym secret: %w", err)
	}
	secret, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(secret) < 32 {
		return nil, fmt.Errorf("pseudonym secret %s: want at least 32 bytes in hex", path)
	}
	return secret, nil
}

// commandSide is what serve runs the JSON command API with.
type commandSide struct {
	ledger *app.Ledger
	tokens *web.TokenIndex
	stop   func()
}

// startCommandSide starts the Ledger and the token index over store; stop
// ends both.
func startCommandSide(ctx context.Context, store eventstore.Store, secret []byte) (*commandSide, error) {
	ledger, err := app.NewLedger(store, app.LedgerConfig{Secret: secret, Logger: slog.Default()})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	tokens := web.NewTokenIndex(store, slog.Default(), nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = tokens.Run(ctx)
	}()
	return &commandSide{ledger: ledger, tokens: tokens, stop: func() {
		cancel()
		<-done
		ledger.Close()
	}}, nil
}

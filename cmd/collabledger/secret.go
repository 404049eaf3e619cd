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
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/tokens"
)

// secretFileName is the pseudonym secret's file, beside the embedded store
// (or in ./data/ for the other backends).
const secretFileName = "pseudonym.key"

// secretFlag adds --secret-file: the key of citizens' pseudonyms,
// HMAC-SHA256(secret, verified identity). Every server of one ledger must
// use the same secret, or one person gets two pseudonyms; only serve makes
// one, and only for a new store.
func secretFlag(fs *flag.FlagSet) *string {
	return fs.String("secret-file", os.Getenv("COLLABLEDGER_SECRET_FILE"), "pseudonym secret (hex); default: "+secretFileName+" beside the embedded store, else ./data/"+secretFileName+"; serve makes it for a new store, nothing else does (env COLLABLEDGER_SECRET_FILE)")
}

// secretPath is the secret file to use with the store at storeURL.
func secretPath(flagValue, storeURL string) string {
	if flagValue != "" {
		return flagValue
	}
	if p := filePath(storeURL); p != "" {
		return filepath.Join(filepath.Dir(p), secretFileName)
	}
	return filepath.Join("data", secretFileName)
}

// filePath is the path of a file: store ("": another store).
func filePath(storeURL string) string {
	if u, err := url.Parse(storeURL); err == nil && strings.EqualFold(u.Scheme, "file") {
		if u.Opaque != "" {
			return u.Opaque
		}
		return u.Path
	}
	return ""
}

// errNoSecret: the pseudonym secret file does not exist where it is
// needed, and nothing but serve on a new store may make one.
var errNoSecret = errors.New("no pseudonym secret")

// readSecret reads the secret file (32 bytes or more, hex). A missing file
// is an error wrapping errNoSecret: making a new secret for a ledger that
// has one would give every citizen a second pseudonym.
func readSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s: the ledger's secret is made only by `collabledger serve` on a new store; "+
			"give this ledger's secret with --secret-file (or COLLABLEDGER_SECRET_FILE), or ask the running server "+
			"(tokens create --server URL), which computes the pseudonym with its own", errNoSecret, path)
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

// serveSecret returns the secret serve runs with: the file's, or, for a
// new store (one that holds nothing but tokens) without one, a new secret
// of 32 random bytes written there (mode 0600). A store that already holds
// the record and has lost its secret is refused: its citizens' pseudonyms
// were computed with the lost one.
func serveSecret(ctx context.Context, path string, store eventstore.Store) ([]byte, error) {
	secret, err := readSecret(path)
	if !errors.Is(err, errNoSecret) {
		return secret, err
	}
	fresh, ferr := storeIsNew(ctx, store)
	if ferr != nil {
		return nil, ferr
	}
	if !fresh {
		return nil, fmt.Errorf("%w at %s, and the store already holds the record: a new secret would give its citizens second pseudonyms; "+
			"restore this ledger's secret (or point --secret-file at it)", errNoSecret, path)
	}
	return makeSecret(path)
}

// storeIsNew reports whether the log holds nothing but the tokens stream
// (the first staff token is made before the first serve).
func storeIsNew(ctx context.Context, store eventstore.Store) (bool, error) {
	var after eventstore.Position
	for {
		evs, err := store.ReadAll(ctx, after, 256)
		if err != nil {
			return false, fmt.Errorf("pseudonym secret: read the log: %w", err)
		}
		for _, ev := range evs {
			if ev.Stream != tokens.Stream {
				return false, nil
			}
			after = ev.Position
		}
		if len(evs) < 256 {
			return true, nil
		}
	}
}

// makeSecret writes a new secret of 32 random bytes to path (mode 0600),
// or reads the one another process made meanwhile.
func makeSecret(path string) ([]byte, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("pseudonym secret: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("pseudonym secret: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return readSecret(path) // made by another process meanwhile
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
	slog.Info("made a new pseudonym secret for a new store; keep it, and give every server of this ledger the same one", "file", path)
	return secret, nil
}

// commandSide is what serve runs the JSON command API with.
type commandSide struct {
	ledger *app.Ledger
	tokens *tokens.Service
	stop   func()
}

// startCommandSide starts the Ledger and the token service (following the
// log) over store; stop ends both. erasable is the secrets store of a
// sealed log (ledger.erase deletes from it), nil for an unsealed one;
// observe, if set, is told of every command (app.LedgerConfig.Observe).
func startCommandSide(ctx context.Context, store eventstore.Store, secret []byte, cal *calendar.Calendar, erasable app.Erasable, observe func(string, error, time.Duration)) (*commandSide, error) {
	ledger, err := app.NewLedger(store, app.LedgerConfig{Secret: secret, Calendar: cal, Logger: slog.Default(), Erasable: erasable, Observe: observe})
	if err != nil {
		return nil, err
	}
	// An erasure recorded just before a crash is carried out now.
	if n, err := ledger.FinishErasures(ctx); err != nil {
		ledger.Close()
		return nil, err
	} else if n > 0 {
		slog.Info("erasures carried out again at start-up (idempotent)", "erasures", n)
	}
	ctx, cancel := context.WithCancel(ctx)
	svc := tokens.NewService(store, tokens.Config{Secret: secret, Logger: slog.Default()})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = svc.Run(ctx)
	}()
	return &commandSide{ledger: ledger, tokens: svc, stop: func() {
		cancel()
		<-done
		ledger.Close()
	}}, nil
}

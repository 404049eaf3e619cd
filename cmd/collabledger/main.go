// Command collabledger runs and inspects the collab-ledger: the
// tamper-evident record of Taiwan's open-government participation process.
//
//	collabledger serve [--addr 127.0.0.1:8080] [--store file:./data/ledger.db]
//	collabledger export [--store URL] [--out FILE] [--after POSITION]
//	collabledger keygen [--name NAME] [--out DIR]
//	collabledger verify [--store URL | --export FILE | --server URL] --key PUBKEY [--event ID | --consistency OLD NEW]
//	collabledger tokens create|list|revoke [...]    (see collabledger tokens help)
//	collabledger status [--server URL]
//	collabledger rebuild NAME [--server URL --token T | --read-models postgres://...]
//	collabledger help
//
// The store is chosen by one URL (--store, or $COLLABLEDGER_STORE):
// file:PATH for the embedded file (the default), postgres://... for
// PostgreSQL, esdb://... for KurrentDB.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"       // file: URLs
	_ "github.com/pdis/collab-ledger/eventstore/kurrentdb" // esdb: URLs
	_ "github.com/pdis/collab-ledger/eventstore/postgres"  // postgres: URLs
	"github.com/pdis/collab-ledger/transparency"
)

// defaultStore is the embedded file under ./data/.
const defaultStore = "file:./data/ledger.db"

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "serve the ledger over HTTP", runServe},
		{"export", "write the log as JSON Lines of CloudEvents, with content hashes", runExport},
		{"keygen", "make the Ed25519 key pair that signs checkpoints", runKeygen},
		{"verify", "check the log against its signed checkpoints, or one proof", runVerify},
		{"monitor", "follow a ledger's checkpoints: consistency, witnesses, equivocation and rollback", runMonitor},
		{"tokens", "create, list and revoke the JSON API's bearer tokens", runTokens},
		{"accounts", "list a staff identity of the identity provider as a ledger actor (the first staff member; then the accounts page)", runAccounts},
		{"trail", "a case's accountability trail, live or as of a moment (text or JSON)", runTrail},
		{"status", "each projection's checkpoint, the log's head and the lag", runStatus},
		{"rebuild", "rebuild a projection's read model beside the current one, then switch", runRebuild},
		{"import", "import transcripts: Akoma Ntoso files or folders (akn), a stenographer's raw record (raw); Join's proposals and signatures (join)", runImport},
		{"report", "PDIS's period report (html, md, csv, json), every figure traced to its events", runReport},
		{"akn", "write a meeting's transcript as Akoma Ntoso (as of any moment), or its people as Popolo JSON", runAKN},
		{"help", "list the commands", nil},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(logger)
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "collabledger:", err)
		}
		os.Exit(exitCode(err))
	}
}

// errUsage marks a command line that could not be understood.
var errUsage = errors.New("usage")

// errStoreInUse: the embedded store's file is held by a running server
// (bbolt lets one process open it). Its text is the stable code
// store_in_use.
var errStoreInUse = errors.New("store_in_use")

// serverInstead is, for each command that can ask a running server instead
// of opening the embedded store, how.
var serverInstead = map[string]string{
	"export":  "collabledger export --server URL --token AUDITOR_TOKEN [--after N] [--auditor]",
	"verify":  "collabledger verify --server URL --token AUDITOR_TOKEN --key PUBKEY",
	"trail":   "collabledger trail --server URL --case ID [--token AUDITOR_TOKEN --view auditor]",
	"report":  "collabledger report --server URL --from … --to …",
	"status":  "collabledger status --server URL",
	"rebuild": "collabledger rebuild NAME --server URL --token STAFF_TOKEN",
	"tokens":  "collabledger tokens … --server URL --token STAFF_TOKEN",
}

// storeInUse explains a command's failure to open the embedded store
// while a server holds it: which command asks the server instead, or that
// this one needs the server stopped.
func storeInUse(command string, err error) error {
	if !errors.Is(err, bbolt.ErrLocked) {
		return err
	}
	if how, ok := serverInstead[command]; ok {
		return fmt.Errorf("%w: the embedded store is held by a running collabledger serve (%v); ask the server instead: %s", errStoreInUse, err, how)
	}
	return fmt.Errorf("%w: the embedded store is held by a running collabledger serve (%v); %s needs it stopped (stop the server, run it, start the server again)", errStoreInUse, err, command)
}

func exitCode(err error) int {
	switch {
	case errors.Is(err, flag.ErrHelp), errors.Is(err, errUsage):
		return 2
	default:
		return 1
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] && c.run != nil {
			return storeInUse(c.name, c.run(ctx, args[1:], stdout, stderr))
		}
	}
	usage(stderr)
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "collabledger: the tamper-evident record of the open-government participation process")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'collabledger COMMAND -h' for a command's flags.")
}

// storeFlag adds the --store flag shared by every command that opens the log.
func storeFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("COLLABLEDGER_STORE")
	if def == "" {
		def = defaultStore
	}
	return fs.String("store", def, "event store URL: file:PATH, postgres://..., esdb://... (env COLLABLEDGER_STORE)")
}

// openStore opens the event store for a command that publishes no
// checkpoints (all but serve): the checkpoint stream is closed to it, so
// that only the server's publisher, holding the signing key, appends there.
func openStore(ctx context.Context, url string) (eventstore.Store, error) {
	return openGuardedStore(ctx, url, transparency.NewCheckpointGuard(transparency.GuardConfig{}))
}

// openGuardedStore opens the event store with guard keeping its checkpoint
// stream (eventstore.Config.Guards).
func openGuardedStore(ctx context.Context, url string, guard *transparency.CheckpointGuard) (eventstore.Store, error) {
	s, err := eventstore.Open(ctx, url, eventstore.Config{Logger: slog.Default(), Guards: guard.Guards()})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", eventstore.Redact(url), err)
	}
	return s, nil
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/importer/join"
	"github.com/pdis/collab-ledger/metrics"
	"github.com/pdis/collab-ledger/reports"
	"github.com/pdis/collab-ledger/web"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	storeURL := storeFlag(fs)
	secretFile := secretFlag(fs)
	calendarDir := fs.String("calendar", os.Getenv("COLLABLEDGER_CALENDAR"), "folder of office calendar years in data.gov.tw dataset 14718's format (YYYY.json) to load over the built-in 2017–2026 (env COLLABLEDGER_CALENDAR)")
	secretsURL := secretsFlag(fs)
	rsFlags := addReadSideFlags(fs)
	tlFlags := addTransparencyFlags(fs)
	demoMode := demoFlag(fs)
	siFlags := addSignInFlags(fs)
	searchIndex := searchIndexFlag(fs)
	exportSecrets := fs.Bool("export-secrets", false, "serve the auditor export (GET /api/v1/export?secrets=true, with the sealed values and salts) to auditors' tokens; needs --secrets")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: serve takes no arguments, got %q", errUsage, fs.Args())
	}
	if *exportSecrets && *secretsURL == "" {
		return fmt.Errorf("%w: serve --export-secrets needs --secrets (the secrets store)", errUsage)
	}
	// The checkpoint stream takes only checkpoints signed with the
	// server's key: the guard is part of the store's configuration.
	key, err := loadCheckpointKey(tlFlags, *storeURL)
	if err != nil {
		return err
	}
	store, err := openGuardedStore(ctx, *storeURL, key.guard)
	if err != nil {
		return err
	}
	defer store.Close()
	// Every append is counted and timed (GET /metrics), the transparency
	// log's as well.
	m := metrics.New()
	store = m.Store(store)
	// With a secrets store, the command and read sides see the events
	// opened; the transparency log keeps the events as stored.
	raw := store
	store, sealedLog, closeSecrets, err := sealedLedger(ctx, *secretsURL, raw)
	if err != nil {
		return err
	}
	defer closeSecrets()
	kind := "unknown"
	if u, err := url.Parse(*storeURL); err == nil {
		kind = u.Scheme
	}
	secret, err := serveSecret(ctx, secretPath(*secretFile, *storeURL), store)
	if err != nil {
		return err
	}
	cal, err := loadCalendar(*calendarDir)
	if err != nil {
		return err
	}
	var erasable app.Erasable                 // ledger.erase deletes from the secrets store
	exported := &web.ExportConfig{Store: raw} // the log as stored
	if sealedLog != nil {
		erasable = sealedLog.Secrets()
		if *exportSecrets {
			exported.Secrets = sealedLog.Secrets()
		}
	}
	cs, err := startCommandSide(ctx, store, secret, cal, erasable, m.ObserveCommand)
	if err != nil {
		return err
	}
	defer cs.stop()
	announceDemo, err := prepareDemo(ctx, *demoMode, store, cs.ledger)
	if err != nil {
		return err
	}
	rs, err := startReadSide(ctx, store, rsFlags, cs.ledger)
	if err != nil {
		return err
	}
	defer rs.stop()
	tl, err := startTransparency(ctx, raw, *rsFlags.readModels, tlFlags, key, rs.leases)
	if err != nil {
		return err
	}
	defer tl.stop()
	watchServer(m, rs, tl, raw)
	search, stopSearch, err := startSearch(ctx, store, rs.runner, searchIndexDir(*searchIndex, *storeURL))
	if err != nil {
		return err
	}
	defer stopSearch()
	feed, err := join.New(join.Config{Ledger: cs.ledger, Store: store, Secret: secret})
	if err != nil {
		return err
	}
	signIn, err := signInConfig(siFlags, *addr, store, secret, *demoMode)
	if err != nil {
		return err
	}
	if signIn != nil {
		sessions, where, closeSessions, err := openSessions(ctx, *storeURL, *rsFlags.readModels)
		if err != nil {
			return err
		}
		defer closeSessions()
		signIn.Sessions = sessions
		slog.Info("sessions", "kept", where)
	}
	// The report to the Premier (/reports) is computed at a position it
	// names, so that it can be recomputed later: from the report-inputs
	// read model up to its checkpoint, else by folding the log.
	inputs, err := rs.reportInputs()
	if err != nil {
		return err
	}
	folds, closeFolds, err := openFolds(ctx, *storeURL, *rsFlags.readModels, store)
	if err != nil {
		return err
	}
	defer closeFolds()
	h, err := web.New(web.Config{Store: store, Folds: folds, Calendar: cal, StoreKind: kind, Logger: slog.Default(), Ledger: cs.ledger, Tokens: cs.tokens, ReadSide: rs.runner, Leases: rs.leases, Queries: rs.runner, Proofs: tl.log, SignIn: signIn, JoinFeed: feed, Search: search,
		Reports: reports.NewService(store, reports.ServiceOptions{Inputs: inputs}), Metrics: m.Gatherer(), Export: exported})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    1 << 20, // the router refuses over web.DefaultMaxHeaderBytes, in the error format
	}
	fmt.Fprintf(stdout, "collab-ledger listening on http://%s (store %s)\n", ln.Addr(), eventstore.Redact(*storeURL))
	announceDemo(stdout, "http://"+ln.Addr().String())
	slog.Info("serving", "addr", ln.Addr().String(), "store", kind)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	slog.Info("stopped")
	return nil
}

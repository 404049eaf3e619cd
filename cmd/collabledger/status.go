package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pdis/collab-ledger/internal/lease"
	"github.com/pdis/collab-ledger/projections"
	pgreadmodels "github.com/pdis/collab-ledger/projections/postgres"
	"github.com/pdis/collab-ledger/web"
)

// runStatus shows each projection's checkpoint, the log's head and the lag:
// from a running server (--server), or from the store and PostgreSQL read
// models directly.
func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "ask a running server, e.g. http://127.0.0.1:8080")
	storeURL := storeFlag(fs)
	readModels := fs.String("read-models", envOr("COLLABLEDGER_READ_MODELS", "memory"), "the server's --read-models, when asking the stores directly")
	asJSON := fs.Bool("json", false, "print JSON")
	maxLag := fs.Uint64("max-lag", web.DefaultReadyMaxLag, "fail when a projection is more events than this behind the log (as /readyz)")
	calendarDir := fs.String("calendar", os.Getenv("COLLABLEDGER_CALENDAR"), "the server's --calendar, when asking the stores directly")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// From 1 October: is next year's office calendar loaded? (stderr)
	if *server != "" {
		var h web.Health
		if err := getJSON(ctx, strings.TrimRight(*server, "/")+"/healthz", &h); err == nil {
			for _, w := range h.Warnings {
				fmt.Fprintln(stderr, "warning:", w)
			}
		}
	} else if cal, err := loadCalendar(*calendarDir); err != nil {
		return fmt.Errorf("status: %w", err)
	} else if w := web.CalendarWarning(cal, time.Now()); w != "" {
		fmt.Fprintln(stderr, "warning:", w)
	}
	var rep web.StatusReport
	if *server != "" {
		if err := getJSON(ctx, strings.TrimRight(*server, "/")+web.StatusPath, &rep); err != nil {
			return fmt.Errorf("status: %w", err)
		}
	} else {
		store, err := openStore(ctx, *storeURL)
		if err != nil {
			return fmt.Errorf("status: %w (is the server running? then use --server)", err)
		}
		defer store.Close()
		head, err := store.Head(ctx)
		if err != nil {
			return fmt.Errorf("status: %w", err)
		}
		rep.Head = uint64(head)
		if *readModels == "memory" {
			fmt.Fprintf(stdout, "log head %d; read models are in memory: a server rebuilds them from the log when it starts (ask it with --server)\n", head)
			return nil
		}
		backend, closeBackend, err := openReadModels(ctx, *readModels)
		if err != nil {
			return err
		}
		defer closeBackend()
		if rep.Projections, err = projections.ReadStatus(ctx, store, backend, projectionList()); err != nil {
			return fmt.Errorf("status: %w", err)
		}
		if pg, ok := backend.(*pgreadmodels.Backend); ok {
			if rep.Leases, err = lease.ReadLeases(ctx, pg.Pool()); err != nil {
				return fmt.Errorf("status: %w", err)
			}
			projections.SetHolders(rep.Projections, rep.Leases)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printStatus(stdout, rep)
	}
	if problems := web.JobProblems(rep.Projections, *maxLag); len(problems) > 0 {
		return fmt.Errorf("status: not ready: %s", strings.Join(problems, "; "))
	}
	return nil
}

func printStatus(w io.Writer, rep web.StatusReport) {
	fmt.Fprintf(w, "log head %d\n", rep.Head)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROJECTION\tSTATE\tCHECKPOINT\tLAG\tGENERATION\tHOLDER\tNOTE")
	for _, p := range rep.Projections {
		note := ""
		if p.Error != "" {
			note = fmt.Sprintf("failed at position %d: %s", p.ErrorPosition, p.Error)
		}
		if p.NextRestart != nil {
			note = fmt.Sprintf("%s; restarting itself at %s (%d failures in a row)", note, p.NextRestart.Format(time.RFC3339), p.Restarts)
		}
		if p.Stalled {
			note = strings.TrimSpace(fmt.Sprintf("%s stalled: no progress since %s", note, p.LastMoved.Format(time.RFC3339)))
		}
		if p.Rebuild != nil {
			note = strings.TrimSpace(fmt.Sprintf("%s rebuilding generation %d: at %d, lag %d %s", note, p.Rebuild.Generation, p.Rebuild.Checkpoint, p.Rebuild.Lag, p.Rebuild.Error))
		}
		holder := p.Holder
		if holder == "" {
			holder = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", p.Projection, p.State, p.Checkpoint, p.Lag, p.Generation, holder, note)
	}
	tw.Flush()
	if len(rep.Leases) > 0 {
		fmt.Fprintln(w, "leases")
		tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "JOB\tHOLDER\tTOKEN\tEXPIRES")
		for _, l := range rep.Leases {
			exp := l.ExpiresAt.Format(time.RFC3339)
			if l.Expired {
				exp += " (expired: no holder)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", l.Job, l.Holder, l.Token, exp)
		}
		tw.Flush()
	}
}

// runRebuild rebuilds one projection's read model beside the one in use,
// switching when it has caught up: on a running server (--server, with a
// staff token), or directly on PostgreSQL read models.
func runRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rebuild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "ask a running server, e.g. http://127.0.0.1:8080")
	token := fs.String("token", os.Getenv("COLLABLEDGER_TOKEN"), "a PDIS staff token, with --server (env COLLABLEDGER_TOKEN)")
	storeURL := storeFlag(fs)
	readModels := fs.String("read-models", envOr("COLLABLEDGER_READ_MODELS", "memory"), "PostgreSQL read models to rebuild directly (no server)")
	wait := fs.Duration("wait", 10*time.Minute, "how long to wait for the switch (0: do not wait)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: rebuild takes one projection name (%s)", errUsage, strings.Join(projectionNames(), ", "))
	}
	name := fs.Arg(0)
	if *server != "" {
		base := strings.TrimRight(*server, "/")
		var started web.RebuildStarted
		path := strings.Replace(web.RebuildPath, "{name}", name, 1)
		if err := postJSON(ctx, base+path, *token, &started); err != nil {
			return fmt.Errorf("rebuild %s: %w", name, err)
		}
		fmt.Fprintf(stdout, "rebuilding %s as generation %d beside the current one\n", name, started.Generation)
		if *wait <= 0 {
			return nil
		}
		ctx, cancel := context.WithTimeout(ctx, *wait)
		defer cancel()
		for {
			var rep web.StatusReport
			if err := getJSON(ctx, base+web.StatusPath, &rep); err != nil {
				return fmt.Errorf("rebuild %s: %w", name, err)
			}
			for _, p := range rep.Projections {
				if p.Projection == name && p.Generation >= started.Generation {
					fmt.Fprintf(stdout, "%s switched to generation %d at position %d\n", name, p.Generation, p.Checkpoint)
					return nil
				}
				if p.Projection == name && p.Rebuild != nil && p.Rebuild.State == projections.StateFailed {
					return fmt.Errorf("rebuild %s failed at position %d: %s", name, p.Rebuild.ErrorPosition, p.Rebuild.Error)
				}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("rebuild %s: not switched yet: %w", name, ctx.Err())
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	if *readModels == "memory" {
		return fmt.Errorf("%w: in-memory read models are rebuilt at every start; rebuild a running server's with --server", errUsage)
	}
	var p projections.Projection
	for _, c := range projectionList() {
		if c.Name() == name {
			p = c
		}
	}
	if p == nil {
		return fmt.Errorf("%w: no projection %q (%s)", errUsage, name, strings.Join(projectionNames(), ", "))
	}
	store, err := openStore(ctx, *storeURL)
	if err != nil {
		return err
	}
	defer store.Close()
	backend, closeBackend, err := openReadModels(ctx, *readModels)
	if err != nil {
		return err
	}
	defer closeBackend()
	// Under the projection's lease, as the servers run it: when a server
	// holds it, the rebuild is only asked for and that server builds it
	// once; when none does, this process takes the lease and builds it.
	cfg := projections.RunnerConfig{Store: store, Backend: backend, Projections: []projections.Projection{p}}
	if pg, ok := backend.(*pgreadmodels.Backend); ok {
		if cfg.Leases, err = lease.OpenPostgres(ctx, lease.PostgresConfig{Pool: pg.Pool(), Holder: "rebuild-" + lease.NewHolderID()}); err != nil {
			return fmt.Errorf("rebuild %s: %w", name, err)
		}
	}
	runner, err := projections.NewRunner(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx) }()
	select {
	case <-runner.Ready():
	case err := <-done:
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	gen, err := runner.Rebuild(ctx, name)
	if err != nil {
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	fmt.Fprintf(stdout, "rebuilding %s as generation %d\n", name, gen)
	if err := runner.WaitActive(ctx, name, gen); err != nil {
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	fmt.Fprintf(stdout, "%s switched to generation %d\n", name, gen)
	cancel()
	<-done
	return nil
}

func projectionNames() []string {
	var out []string
	for _, p := range projectionList() {
		out = append(out, p.Name())
	}
	return out
}

// getJSON and postJSON talk to a running server's API.
func getJSON(ctx context.Context, url string, v any) error {
	return doJSON(ctx, http.MethodGet, url, "", nil, v)
}

func postJSON(ctx context.Context, url, token string, v any) error {
	return doJSON(ctx, http.MethodPost, url, token, nil, v)
}

// doJSON sends in (nil: no body) as JSON and decodes the answer into v.
func doJSON(ctx context.Context, method, url, token string, in, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept-Language", cliLanguage())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return remoteError(method, url, resp, body)
	}
	return json.Unmarshal(body, v)
}

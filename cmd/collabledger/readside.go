package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/internal/lease"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/nats"
	pgreadmodels "github.com/pdis/collab-ledger/projections/postgres"
	"github.com/pdis/collab-ledger/readmodels"
)

// readSideFlags are the serve flags that place the read models and the
// integration events.
type readSideFlags struct {
	readModels  *string
	integration *string
	topic       *string
	deadlines   *time.Duration
	serverID    *string
	leaseTTL    *time.Duration
	leaseAudit  *bool
}

func addReadSideFlags(fs *flag.FlagSet) readSideFlags {
	return readSideFlags{
		readModels:  fs.String("read-models", envOr("COLLABLEDGER_READ_MODELS", "memory"), "where read models live: memory (rebuilt from the log at start) or a postgres:// URL (env COLLABLEDGER_READ_MODELS)"),
		integration: fs.String("integration", envOr("COLLABLEDGER_INTEGRATION", "memory"), "where milestone and deadline events go: memory (in-process channel) or nats://host:4222 (JetStream) (env COLLABLEDGER_INTEGRATION)"),
		topic:       fs.String("topic", projections.DefaultTopic, "topic (NATS subject) of the integration events"),
		deadlines:   fs.Duration("deadline-check", time.Minute, "how often response deadlines are checked (near: announced; passed: recorded as missed)"),
		serverID:    fs.String("server-id", os.Getenv("COLLABLEDGER_SERVER_ID"), "this server's name among several on one PostgreSQL, as /readyz and status show the holder of each job (env COLLABLEDGER_SERVER_ID); default: host name, process ID and a random suffix"),
		leaseTTL:    fs.Duration("lease-ttl", lease.DefaultTTL, "with PostgreSQL read models: how long a server's lease on a job (a projection, the checkpoint publisher, the deadline job) lasts unless renewed; another server takes over a dead one's jobs within about this long"),
		leaseAudit:  fs.Bool("lease-audit", false, "record every fenced read-model write in cl_lease_writes (the failover test's proof that no stale write went through; the table only grows)"),
	}
}

// projectionList is every projection the server runs: the read models,
// and the report's inputs (/reports).
func projectionList() []projections.Projection {
	return append(readmodels.All(), readmodels.ReportInputs{})
}

// readSide is the server's running projections and the deadline job.
type readSide struct {
	runner *projections.Runner
	// leases decide which server runs each job: in the read-model
	// database with PostgreSQL read models, else in-process.
	leases lease.Manager
	stop   func()
}

// jobLeases are the leases of a server's jobs: in PostgreSQL beside
// PostgreSQL read models (shared is true: the Runner runs each projection
// only where its lease is held), else the in-process lease.
func jobLeases(ctx context.Context, backend projections.Backend, f readSideFlags) (m lease.Manager, shared bool, err error) {
	holder := *f.serverID
	if holder == "" {
		holder = lease.NewHolderID()
	}
	pg, ok := backend.(*pgreadmodels.Backend)
	if !ok {
		return lease.NewLocal(holder), false, nil
	}
	m, err = lease.OpenPostgres(ctx, lease.PostgresConfig{Pool: pg.Pool(), Holder: holder, TTL: *f.leaseTTL, Audit: *f.leaseAudit, Logger: slog.Default()})
	if err != nil {
		return nil, false, err
	}
	return m, true, nil
}

// reportInputs is the report-inputs read model the server's /reports
// computes from (reports.HandlerOptions.Inputs).
func (rs *readSide) reportInputs() (*readmodels.ReportInputsLog, error) {
	return readmodels.NewReportInputsLog(readmodels.ReportInputsConfig{
		Reader:     rs.runner.Reader(readmodels.ReportInputsName),
		Checkpoint: readmodels.ReportInputsCheckpoint(rs.runner.Backend()),
		Wait: func(ctx context.Context, pos eventstore.Position) error {
			return rs.runner.WaitFor(ctx, readmodels.ReportInputsName, pos)
		},
	})
}

// openReadModels returns the read-model backend a --read-models value
// names, and how to close it.
func openReadModels(ctx context.Context, where string) (projections.Backend, func(), error) {
	if where == "" || where == "memory" {
		return projections.NewMemoryBackend(), func() {}, nil
	}
	u, err := url.Parse(where)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, nil, fmt.Errorf("%w: --read-models must be memory or a postgres:// URL, got %q", errUsage, eventstore.Redact(where))
	}
	b, err := pgreadmodels.Open(ctx, pgreadmodels.Config{URL: where, Logger: slog.Default()})
	if err != nil {
		return nil, nil, fmt.Errorf("open read models %s: %w", eventstore.Redact(where), err)
	}
	return b, func() { _ = b.Close() }, nil
}

// startReadSide starts the projections over store and, with a ledger, the
// job that announces near deadlines and records missed ones.
func startReadSide(ctx context.Context, store eventstore.Store, f readSideFlags, ledger *app.Ledger) (*readSide, error) {
	backend, closeBackend, err := openReadModels(ctx, *f.readModels)
	if err != nil {
		return nil, err
	}
	var pub message.Publisher
	var closePub func() error
	switch where := *f.integration; {
	case where == "" || where == "memory":
	case strings.HasPrefix(where, "nats://"):
		p, err := nats.NewPublisher(ctx, nats.Config{URL: where, Stream: *f.topic, Logger: slog.Default()})
		if err != nil {
			closeBackend()
			return nil, fmt.Errorf("integration events to %s: %w", where, err)
		}
		pub, closePub = p, p.Close
	default:
		closeBackend()
		return nil, fmt.Errorf("%w: --integration must be memory or nats://host:port, got %q", errUsage, where)
	}
	leases, shared, err := jobLeases(ctx, backend, f)
	if err != nil {
		closeBackend()
		return nil, err
	}
	cfg := projections.RunnerConfig{
		Store: store, Backend: backend, Projections: projectionList(),
		Publisher: pub, Topic: *f.topic, Logger: slog.Default(),
	}
	if shared {
		cfg.Leases = leases
	}
	runner, err := projections.NewRunner(cfg)
	if err != nil {
		closeBackend()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := runner.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			slog.Error("projections stopped", "err", err)
		}
	}()
	jobDone := make(chan struct{})
	if ledger != nil && *f.deadlines > 0 {
		publisher := pub
		if publisher == nil {
			publisher = runner.Integration()
		}
		d, err := readmodels.NewDeadlines(readmodels.DeadlinesConfig{Tallies: runner.Reader(readmodels.TalliesName), Publisher: publisher, Topic: *f.topic})
		if err != nil {
			cancel()
			<-done
			closeBackend()
			return nil, err
		}
		go func() {
			defer close(jobDone)
			lease.Hold(ctx, leases, DeadlinesJob, lease.HoldConfig{}, func(ctx context.Context, _ lease.Grant) {
				checkDeadlines(ctx, runner, d, ledger, *f.deadlines)
			})
		}()
	} else {
		close(jobDone)
	}
	return &readSide{runner: runner, leases: leases, stop: func() {
		cancel()
		<-done
		<-jobDone
		if closePub != nil {
			_ = closePub()
		}
		closeBackend()
	}}, nil
}

// DeadlinesJob is the deadline job's lease: one server at a time announces
// near deadlines and records missed ones.
const DeadlinesJob = "deadlines"

// deadlineActor is who records a missed response deadline on the ledger's
// own initiative.
var deadlineActor = domain.Actor{ID: "collabledger-deadlines", Role: domain.RolePDIS}

// checkDeadlines runs the deadline job every interval once the projections
// have caught up: near deadlines are announced, passed ones recorded.
func checkDeadlines(ctx context.Context, runner *projections.Runner, d *readmodels.Deadlines, ledger *app.Ledger, every time.Duration) {
	select {
	case <-runner.Ready():
	case <-ctx.Done():
		return
	}
	if err := runner.WaitCaughtUp(ctx); err != nil {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		rep, err := d.Check(ctx, time.Now())
		if err != nil && ctx.Err() == nil {
			slog.Error("deadline check", "err", err)
		}
		for _, o := range rep.Overdue {
			_, err := ledger.Execute(ctx, deadlineActor, domain.MarkResponseOverdue{ProposalID: domain.ProposalID(o.ProposalID)})
			if err != nil && domain.RuleOf(err) == "" && ctx.Err() == nil {
				slog.Error("record missed response deadline", "proposal", o.ProposalID, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func envOr(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}

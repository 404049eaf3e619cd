package postgres_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/internal/lease"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/projectiontest"
)

// pausable is a lease manager whose renewals can be frozen, as a paused
// process's are: Renew blocks, ignoring its context, until Resume.
type pausable struct {
	lease.Manager
	mu     sync.Mutex
	frozen chan struct{} // nil: not paused
}

func (p *pausable) Pause() {
	p.mu.Lock()
	p.frozen = make(chan struct{})
	p.mu.Unlock()
}

func (p *pausable) Resume() {
	p.mu.Lock()
	if p.frozen != nil {
		close(p.frozen)
		p.frozen = nil
	}
	p.mu.Unlock()
}

func (p *pausable) Renew(ctx context.Context, g lease.Grant) (lease.Grant, error) {
	p.mu.Lock()
	f := p.frozen
	p.mu.Unlock()
	if f != nil {
		<-f
	}
	return p.Manager.Renew(ctx, g)
}

// gated is a Counter whose Apply blocks on "test.pause" events until the
// gate opens: a holder paused in the middle of a batch.
type gated struct {
	*projectiontest.Counter
	gate    chan struct{}
	blocked chan struct{}
	once    sync.Once
}

func (g *gated) Apply(ctx context.Context, tx projections.Tx, ev eventstore.Event) error {
	if ev.Type == "test.pause" {
		g.once.Do(func() { close(g.blocked) })
		<-g.gate
	}
	return g.Counter.Apply(ctx, tx, ev)
}

type leasedServer struct {
	run    *projectiontest.Running
	leases *pausable
}

func startLeased(t *testing.T, url, holder string, store eventstore.Store, p projections.Projection) leasedServer {
	t.Helper()
	ctx := context.Background()
	b := open(t, url)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	m, err := lease.OpenPostgres(ctx, lease.PostgresConfig{Pool: pool, Holder: holder, TTL: 600 * time.Millisecond, Audit: true, Logger: projectiontest.TestLogger()})
	if err != nil {
		t.Fatal(err)
	}
	pm := &pausable{Manager: m}
	run := projectiontest.Start(t, projections.RunnerConfig{Store: store, Backend: b, Projections: []projections.Projection{p},
		Leases: pm, Lease: lease.HoldConfig{Logger: projectiontest.TestLogger()}, RebuildPoll: 50 * time.Millisecond})
	return leasedServer{run: run, leases: pm}
}

func statusHere(t *testing.T, r *projections.Runner) projections.Status {
	t.Helper()
	st, err := r.Status(context.Background())
	if err != nil || len(st) != 1 {
		t.Fatalf("status: %v %v", st, err)
	}
	return st[0]
}

// TestFencingRefusesAPausedHolder: two servers share one projection under
// a lease; the holder pauses in the middle of a batch, its lease expires,
// the other takes over and goes on; when the paused one resumes, its
// commit is refused in its own transaction (stale token), it stops, and
// the read model equals a rebuild from the log. The audit of fenced writes
// shows every range of the log committed once, and no write under the old
// token after the new one's first.
func TestFencingRefusesAPausedHolder(t *testing.T) {
	url := freshURL(t)
	ctx := projectiontest.Ctx(t)
	store := projectiontest.NewStore(t)
	projectiontest.Fill(t, store, "s", 40, 4, 5)

	ga := &gated{Counter: &projectiontest.Counter{ProjectionName: "fenced"}, gate: make(chan struct{}), blocked: make(chan struct{})}
	a := startLeased(t, url, "server-a", store, ga)
	projectiontest.Eventually(t, 10*time.Second, "a holds the lease", func() bool { return statusHere(t, a.run.Runner).HeldHere })
	if err := a.run.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	b := startLeased(t, url, "server-b", store, &projectiontest.Counter{ProjectionName: "fenced"})
	time.Sleep(300 * time.Millisecond)
	if s := statusHere(t, b.run.Runner); s.HeldHere || s.Holder != "server-a" || s.State != projections.StateRunning {
		t.Fatalf("b's status of a's projection: %+v", s)
	}
	// b follows what a commits: a command through b reads its own write
	res := projectiontest.Append(t, store, "s9", "test.happened", 3)
	if err := b.run.WaitFor(ctx, "fenced", res.Position); err != nil {
		t.Fatal(err)
	}

	// a freezes in the middle of a batch
	a.leases.Pause()
	projectiontest.Append(t, store, "p", "test.pause", 1)
	<-ga.blocked
	paused := time.Now()
	projectiontest.Fill(t, store, "t", 30, 3, 5)
	projectiontest.Eventually(t, 5*time.Second, "b takes over", func() bool { return statusHere(t, b.run.Runner).HeldHere })
	t.Logf("b took over %v after a froze (lease 600 ms)", time.Since(paused).Round(time.Millisecond))
	if err := b.run.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}

	// a wakes up and tries to commit the batch it was in
	close(ga.gate)
	a.leases.Resume()
	projectiontest.Eventually(t, 5*time.Second, "a stops running the projection", func() bool { return !statusHere(t, a.run.Runner).HeldHere })
	if s := statusHere(t, a.run.Runner); s.Holder != "server-b" {
		t.Fatalf("a's status after the takeover: holder %q", s.Holder)
	}
	projectiontest.Append(t, store, "s1", "test.happened", 2)
	if err := b.run.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	projectiontest.SameDocs(t, "read model after the takeover", projectiontest.Dump(t, b.run.Backend(), "fenced", 0),
		projectiontest.Rebuilt(t, store, &projectiontest.Counter{ProjectionName: "fenced"}, 0))
	checkAudit(t, url, "fenced")

	// a rebuild asked of a (which does not run it) is built once, by b,
	// and both see the new generation
	gen, err := a.run.Rebuild(ctx, "fenced")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.run.WaitActive(ctx, "fenced", gen); err != nil {
		t.Fatal(err)
	}
	if err := b.run.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	if s := statusHere(t, b.run.Runner); s.Generation != gen {
		t.Fatalf("b reads generation %d, want %d", s.Generation, gen)
	}
	projectiontest.SameDocs(t, "rebuilt read model", projectiontest.Dump(t, b.run.Backend(), "fenced", 0),
		projectiontest.Rebuilt(t, store, &projectiontest.Counter{ProjectionName: "fenced"}, 0))
	checkAudit(t, url, "fenced")
}

// checkAudit fails unless the audited writes of the projection chain
// (projectiontest.CheckFencedWrites).
func checkAudit(t *testing.T, url, projection string) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	fw, err := projectiontest.CheckFencedWrites(context.Background(), pool, projections.LeaseJob(projection))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range fw.Problems {
		t.Error(p)
	}
	if fw.Commits == 0 {
		t.Fatal("no audited commit")
	}
	t.Logf("%d audited commits under %d tokens", fw.Commits, fw.Tokens)
}

// TestLeasedServersStartTogether: servers starting at once on an empty
// read-model database all come up; one builds each read model.
func TestLeasedServersStartTogether(t *testing.T) {
	for i := range 3 {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			url := freshURL(t)
			ctx := projectiontest.Ctx(t)
			store := projectiontest.NewStore(t)
			projectiontest.Fill(t, store, "s", 200, 5, 10)
			var wg sync.WaitGroup
			servers := make([]leasedServer, 3)
			for j := range servers {
				wg.Go(func() {
					servers[j] = startLeased(t, url, fmt.Sprintf("s%d", j), store, &projectiontest.Counter{ProjectionName: "together"})
				})
			}
			wg.Wait()
			holders := 0
			for _, s := range servers {
				if err := s.run.WaitCaughtUp(ctx); err != nil {
					t.Fatal(err)
				}
				if statusHere(t, s.run.Runner).HeldHere {
					holders++
				}
			}
			if holders != 1 {
				t.Fatalf("%d servers run the projection", holders)
			}
			projectiontest.SameDocs(t, "read model", projectiontest.Dump(t, servers[0].run.Backend(), "together", 0),
				projectiontest.Rebuilt(t, store, &projectiontest.Counter{ProjectionName: "together"}, 0))
			checkAudit(t, url, "together")
		})
	}
}

// Audit passes the wrapped manager's setting on (the Runner asks for it).
func (p *pausable) Audit() bool { return p.Manager.(*lease.Postgres).Audit() }

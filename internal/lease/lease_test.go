package lease_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/internal/lease"
)

func openPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	db := pgtest.New(t)
	pool, err := pgxpool.New(context.Background(), db.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func open(t *testing.T, pool *pgxpool.Pool, holder string, ttl time.Duration) *lease.Postgres {
	t.Helper()
	m, err := lease.OpenPostgres(context.Background(), lease.PostgresConfig{Pool: pool, Holder: holder, TTL: ttl, Audit: true})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// One holder at a time; the token grows at each change of hands; the
// former holder can neither renew nor write once another took over.
func TestPostgresLeaseChangesHandsWithFencing(t *testing.T) {
	ctx := context.Background()
	pool := openPool(t)
	a := open(t, pool, "a", 300*time.Millisecond)
	b := open(t, pool, "b", 300*time.Millisecond)

	ga, ok, err := a.Acquire(ctx, "job")
	if err != nil || !ok || ga.Token != 1 {
		t.Fatalf("a acquires: %+v %v %v", ga, ok, err)
	}
	if _, ok, err := b.Acquire(ctx, "job"); err != nil || ok {
		t.Fatalf("b acquires a held lease: ok=%v err=%v", ok, err)
	}
	if _, err := a.Renew(ctx, ga); err != nil {
		t.Fatalf("a renews: %v", err)
	}
	write := func(f lease.Fence) error {
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return lease.CheckFence(ctx, tx, f, true, "test") })
	}
	if err := write(ga.Fence()); err != nil {
		t.Fatalf("holder's write: %v", err)
	}
	time.Sleep(400 * time.Millisecond) // a pauses; its lease expires
	gb, ok, err := b.Acquire(ctx, "job")
	if err != nil || !ok || gb.Token != 2 {
		t.Fatalf("b takes the expired lease: %+v %v %v", gb, ok, err)
	}
	if _, err := a.Renew(ctx, ga); !errors.Is(err, lease.ErrLost) {
		t.Fatalf("a renews after b took over: %v, want ErrLost", err)
	}
	if err := write(ga.Fence()); !errors.Is(err, lease.ErrStale) {
		t.Fatalf("a's write after b took over: %v, want ErrStale", err)
	}
	if err := write(gb.Fence()); err != nil {
		t.Fatalf("b's write: %v", err)
	}
	if err := b.Release(ctx, gb); err != nil {
		t.Fatal(err)
	}
	ga2, ok, err := a.Acquire(ctx, "job")
	if err != nil || !ok || ga2.Token != 3 {
		t.Fatalf("a takes the released lease at once: %+v %v %v", ga2, ok, err)
	}
	infos, err := a.Leases(ctx)
	if err != nil || len(infos) != 1 || infos[0].Holder != "a" || infos[0].Token != 3 || infos[0].Expired {
		t.Fatalf("leases: %+v %v", infos, err)
	}
	var audited []int64
	rows, _ := pool.Query(ctx, `SELECT token FROM cl_lease_writes ORDER BY seq`)
	audited, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(audited) != 2 || audited[0] != 1 || audited[1] != 2 {
		t.Fatalf("audited writes %v (%v), want tokens [1 2]: the stale write left no trace", audited, err)
	}
}

// Hold runs the job on one of two contenders; when the holder stops, the
// other takes over within the lease's time to live.
func TestHoldTakesOver(t *testing.T) {
	pool := openPool(t)
	ttl := time.Second
	running := make(chan string, 10)
	start := func(name string) (stop func()) {
		m := open(t, pool, name, ttl)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			lease.Hold(ctx, m, "job", lease.HoldConfig{}, func(ctx context.Context, g lease.Grant) {
				running <- name
				<-ctx.Done()
			})
		}()
		return func() { cancel(); <-done }
	}
	stopA := start("a")
	if got := <-running; got != "a" {
		t.Fatalf("first holder %s", got)
	}
	stopB := start("b")
	defer stopB()
	deadline := time.After(2 * ttl)
wait:
	for {
		select {
		case got := <-running:
			if got == "b" {
				t.Fatal("b runs the job while a holds it")
			}
			// a took its own lease again after a slow renewal: allowed
		case <-deadline:
			break wait
		}
	}
	before := lease.Changes()
	t0 := time.Now()
	stopA() // releases: b takes over at its next try
	select {
	case got := <-running:
		if got != "b" {
			t.Fatalf("took over: %s", got)
		}
		t.Logf("took over in %v", time.Since(t0))
	case <-time.After(3 * ttl):
		t.Fatal("b did not take over")
	}
	if lease.Changes() < before+2 {
		t.Fatalf("changes counted %d → %d, want a's release and b's acquisition", before, lease.Changes())
	}
}

package lease

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pdis/collab-ledger/internal/pgmigrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the pg_advisory_xact_lock key taken while migrating
// the lease tables ("cllease" 1).
const migrationLockKey int64 = 0x636c_6c65_6173_0001

// DefaultTTL is how long a lease lasts unless renewed: a dead holder's jobs
// are taken over within about this long. Holders renew at a third of it.
const DefaultTTL = 3 * time.Second

// PostgresConfig configures a Postgres lease manager.
type PostgresConfig struct {
	// Pool is the read-model database's pool (the lease table lives beside
	// the read models, so that a fenced write checks it in its own
	// transaction). Close leaves it open.
	Pool *pgxpool.Pool
	// Holder names this server (NewHolderID if empty).
	Holder string
	// TTL is how long a lease lasts unless renewed. Default DefaultTTL.
	TTL time.Duration
	// Audit records every fenced write (CheckFence with a note) in
	// cl_lease_writes, for the failover test's proof that no stale write
	// went through. Off in production: the table only grows.
	Audit bool
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Postgres keeps leases in the cl_leases table. Safe for concurrent use.
type Postgres struct {
	pool   *pgxpool.Pool
	holder string
	ttl    time.Duration
	audit  bool
	log    *slog.Logger
}

var _ Manager = (*Postgres)(nil)

// OpenPostgres migrates the lease tables and returns the manager.
func OpenPostgres(ctx context.Context, cfg PostgresConfig) (*Postgres, error) {
	if cfg.Pool == nil {
		return nil, errors.New("postgres leases: no pool")
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.TTL < 100*time.Millisecond {
		return nil, fmt.Errorf("postgres leases: ttl %v, want at least 100ms", cfg.TTL)
	}
	if cfg.Holder == "" {
		cfg.Holder = NewHolderID()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if _, err := pgmigrate.Apply(ctx, cfg.Pool, pgmigrate.Set{FS: migrationFiles, Table: "cl_lease_schema_migrations", LockKey: migrationLockKey}); err != nil {
		return nil, fmt.Errorf("postgres leases: %w", err)
	}
	return &Postgres{pool: cfg.Pool, holder: cfg.Holder, ttl: cfg.TTL, audit: cfg.Audit, log: cfg.Logger}, nil
}

// Holder implements Manager.
func (p *Postgres) Holder() string { return p.holder }

// TTL implements Manager.
func (p *Postgres) TTL() time.Duration { return p.ttl }

// Audit reports whether fenced writes are recorded in cl_lease_writes.
func (p *Postgres) Audit() bool { return p.audit }

// Acquire implements Manager. The row lock serialises contenders; the
// token grows by one at each change of hands (and when this holder takes
// its own expired lease again: whatever it did under the old token is
// fenced off too).
func (p *Postgres) Acquire(ctx context.Context, job string) (Grant, bool, error) {
	start := time.Now()
	var token int64
	err := p.pool.QueryRow(ctx, `INSERT INTO cl_leases AS l (job, holder, token, expires_at)
		VALUES ($1, $2, 1, now() + $3::bigint * interval '1 microsecond')
		ON CONFLICT (job) DO UPDATE SET holder = EXCLUDED.holder, token = l.token + 1, acquired_at = now(), expires_at = EXCLUDED.expires_at
		WHERE l.expires_at <= now()
		RETURNING token`, job, p.holder, p.ttl.Microseconds()).Scan(&token)
	if errors.Is(err, pgx.ErrNoRows) {
		return Grant{}, false, nil
	}
	if err != nil {
		return Grant{}, false, fmt.Errorf("acquire lease %s: %w", job, err)
	}
	return Grant{Job: job, Holder: p.holder, Token: uint64(token), Until: start.Add(p.ttl)}, true, nil
}

// Renew implements Manager: it extends the lease only while it still holds
// g's token.
func (p *Postgres) Renew(ctx context.Context, g Grant) (Grant, error) {
	start := time.Now()
	tag, err := p.pool.Exec(ctx, `UPDATE cl_leases SET expires_at = now() + $4::bigint * interval '1 microsecond'
		WHERE job = $1 AND holder = $2 AND token = $3`, g.Job, g.Holder, int64(g.Token), p.ttl.Microseconds())
	if err != nil {
		return g, fmt.Errorf("renew lease %s: %w", g.Job, err)
	}
	if tag.RowsAffected() == 0 {
		return g, fmt.Errorf("renew lease %s (token %d): %w", g.Job, g.Token, ErrLost)
	}
	g.Until = start.Add(p.ttl)
	return g, nil
}

// Release implements Manager: the lease expires now, if it is still g's.
func (p *Postgres) Release(ctx context.Context, g Grant) error {
	_, err := p.pool.Exec(ctx, `UPDATE cl_leases SET expires_at = now() WHERE job = $1 AND holder = $2 AND token = $3`,
		g.Job, g.Holder, int64(g.Token))
	if err != nil {
		return fmt.Errorf("release lease %s: %w", g.Job, err)
	}
	return nil
}

// Leases implements Manager.
func (p *Postgres) Leases(ctx context.Context) ([]Info, error) {
	return ReadLeases(ctx, p.pool)
}

// ReadLeases lists the leases stored in a read-model database (for
// `collabledger status` without a server). A database without the lease
// table has none.
func ReadLeases(ctx context.Context, pool *pgxpool.Pool) ([]Info, error) {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('cl_leases') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, fmt.Errorf("read leases: %w", err)
	}
	if !exists {
		return nil, nil
	}
	rows, err := pool.Query(ctx, `SELECT job, holder, token, acquired_at, expires_at, expires_at <= now() FROM cl_leases ORDER BY job`)
	if err != nil {
		return nil, fmt.Errorf("read leases: %w", err)
	}
	defer rows.Close()
	var out []Info
	for rows.Next() {
		var in Info
		var token int64
		if err := rows.Scan(&in.Job, &in.Holder, &token, &in.AcquiredAt, &in.ExpiresAt, &in.Expired); err != nil {
			return nil, fmt.Errorf("read leases: %w", err)
		}
		in.Token = uint64(token)
		in.AcquiredAt, in.ExpiresAt = in.AcquiredAt.UTC(), in.ExpiresAt.UTC()
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read leases: %w", err)
	}
	return out, nil
}

// FenceSQL is the statement a fenced transaction runs first, with the
// fence's job as $1: it reads the lease's current token and holds a share
// lock on its row until the transaction ends, so that the lease cannot
// change hands between the check and the commit (a contender's Acquire
// waits for the commit, and the writer's next transaction sees the new
// token).
const FenceSQL = `SELECT coalesce((SELECT token FROM cl_leases WHERE job = $1 FOR SHARE), 0)`

// AuditSQL records a fenced write ($1 job, $2 token, $3 what) when
// auditing is on.
const AuditSQL = `INSERT INTO cl_lease_writes (job, token, what) VALUES ($1, $2, $3)`

// CheckToken compares the token FenceSQL read with the fence's: ErrStale
// when they differ.
func CheckToken(f Fence, stored int64) error {
	if uint64(stored) != f.Token {
		return fmt.Errorf("%w (%s: the write carries token %d, the lease is at %d)", ErrStale, f.Job, f.Token, stored)
	}
	return nil
}

// CheckFence runs FenceSQL in tx and refuses (ErrStale) a write whose
// token is not the lease's; with audit, it records the write (what).
func CheckFence(ctx context.Context, tx pgx.Tx, f Fence, audit bool, what string) error {
	var stored int64
	if err := tx.QueryRow(ctx, FenceSQL, f.Job).Scan(&stored); err != nil {
		return fmt.Errorf("check the fence of %s: %w", f.Job, err)
	}
	if err := CheckToken(f, stored); err != nil {
		return err
	}
	if audit {
		if _, err := tx.Exec(ctx, AuditSQL, f.Job, int64(f.Token), what); err != nil {
			return fmt.Errorf("audit the write of %s: %w", f.Job, err)
		}
	}
	return nil
}

// Package lease decides which server runs a job (a projection, the
// checkpoint publisher, the deadline job) when several servers share one
// PostgreSQL: one holder at a time, under a lease that expires unless the
// holder renews it, with a fencing token that grows each time the lease
// changes hands.
//
// A holder that pauses (a long GC, a frozen VM, a lost network) may go on
// believing it holds a lease that has expired and passed to another server.
// Fencing makes that harmless: every write the holder decides carries its
// token, and the write's own transaction refuses it (ErrStale) when the
// lease table holds a newer one (CheckFence). The lease only avoids double
// work; the fence keeps it correct.
//
// Postgres keeps leases in a table (cl_leases) of the read-model database;
// Local is the in-process lease of a single server (the embedded default):
// always granted, never contested.
package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"
)

// ErrLost means a renewal found that the lease is no longer this holder's:
// it expired and another server took it (or it was released).
var ErrLost = errors.New("lease lost")

// ErrStale refuses a write whose fencing token is no longer the lease's:
// the writer lost the lease since it decided the write. Nothing is written.
var ErrStale = errors.New("stale fencing token: the lease has passed to another holder")

// Grant is a lease held: the job, who holds it, its fencing token and
// until when (the database's clock, as seen from here: local time of the
// answer plus the time to live, minus nothing — a holder should stop a
// margin before).
type Grant struct {
	Job    string
	Holder string
	Token  uint64
	// Until is when the lease expires unless renewed, by this process's
	// clock (measured from before the request was sent).
	Until time.Time
}

// Fence is what a fenced write carries: the job's lease and the token it
// was decided under.
type Fence struct {
	Job   string
	Token uint64
}

// Fence returns the grant's fence.
func (g Grant) Fence() Fence { return Fence{Job: g.Job, Token: g.Token} }

// Info is a lease as stored: for status pages.
type Info struct {
	Job        string    `json:"job"`
	Holder     string    `json:"holder"`
	Token      uint64    `json:"token"`
	AcquiredAt time.Time `json:"acquiredAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
	// Expired: no server holds it now (its holder died or stopped, and no
	// other has taken it yet).
	Expired bool `json:"expired"`
}

// Manager acquires, renews and releases leases for one holder.
type Manager interface {
	// Holder is who this manager acquires for.
	Holder() string
	// TTL is how long a lease lasts unless renewed.
	TTL() time.Duration
	// Acquire takes the job's lease if nobody holds it (or it expired, or
	// this holder has it already), with a new fencing token; ok is false
	// when another holder has it.
	Acquire(ctx context.Context, job string) (g Grant, ok bool, err error)
	// Renew extends a held lease; ErrLost when it is no longer g's.
	Renew(ctx context.Context, g Grant) (Grant, error)
	// Release gives the lease up at once, so that another server takes it
	// without waiting for it to expire.
	Release(ctx context.Context, g Grant) error
	// Leases lists every lease as stored.
	Leases(ctx context.Context) ([]Info, error)
}

// NewHolderID names this process among the servers: the host name, the
// process ID and a random suffix, so that a restarted process is a new
// holder.
func NewHolderID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "server"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

package lease

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Local is the in-process lease of a single server: every Acquire is
// granted (there is no one to contest it), with a new token each time, so
// that the code that runs under a lease is the same with one server or
// many. Safe for concurrent use.
type Local struct {
	holder string
	ttl    time.Duration

	mu     sync.Mutex
	leases map[string]*Info
}

var _ Manager = (*Local)(nil)

// NewLocal returns the in-process lease manager of holder (NewHolderID if
// empty).
func NewLocal(holder string) *Local {
	if holder == "" {
		holder = NewHolderID()
	}
	return &Local{holder: holder, ttl: DefaultTTL, leases: map[string]*Info{}}
}

// Holder implements Manager.
func (l *Local) Holder() string { return l.holder }

// TTL implements Manager.
func (l *Local) TTL() time.Duration { return l.ttl }

// Acquire implements Manager: always granted.
func (l *Local) Acquire(_ context.Context, job string) (Grant, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	in := l.leases[job]
	if in == nil {
		in = &Info{Job: job}
		l.leases[job] = in
	}
	in.Holder, in.Token, in.AcquiredAt, in.ExpiresAt = l.holder, in.Token+1, now, now.Add(l.ttl)
	return Grant{Job: job, Holder: l.holder, Token: in.Token, Until: in.ExpiresAt}, true, nil
}

// Renew implements Manager.
func (l *Local) Renew(_ context.Context, g Grant) (Grant, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	in := l.leases[g.Job]
	if in == nil || in.Token != g.Token || in.Holder != g.Holder {
		return g, ErrLost
	}
	in.ExpiresAt = time.Now().Add(l.ttl)
	g.Until = in.ExpiresAt
	return g, nil
}

// Release implements Manager.
func (l *Local) Release(_ context.Context, g Grant) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if in := l.leases[g.Job]; in != nil && in.Token == g.Token {
		in.ExpiresAt = time.Now()
	}
	return nil
}

// Leases implements Manager.
func (l *Local) Leases(context.Context) ([]Info, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	out := make([]Info, 0, len(l.leases))
	for _, in := range l.leases {
		c := *in
		c.Expired = !c.ExpiresAt.After(now)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Job < out[j].Job })
	return out, nil
}

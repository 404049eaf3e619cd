package sessionstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/sessionstore"
)

// TestStores: every store keeps a record by its key until it expires or
// is deleted, replaces it on Put, never returns an expired one, and Sweep
// removes the expired only.
func TestStores(t *testing.T) {
	ctx := context.Background()
	for name, open := range map[string]func(t *testing.T) sessionstore.Store{
		"memory": func(*testing.T) sessionstore.Store { return sessionstore.NewMemory() },
		"bbolt": func(t *testing.T) sessionstore.Store {
			s, err := sessionstore.OpenBolt(filepath.Join(t.TempDir(), "sessions.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": func(t *testing.T) sessionstore.Store {
			pool, err := pgxpool.New(ctx, pgtest.URL(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			s, err := sessionstore.OpenPostgres(ctx, pool)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
			a, b := sha256.Sum256([]byte("a")), sha256.Sum256([]byte("b"))
			if err := s.Put(ctx, a, sessionstore.Record{Expires: now.Add(time.Hour), Data: []byte("one")}); err != nil {
				t.Fatal(err)
			}
			if err := s.Put(ctx, a, sessionstore.Record{Expires: now.Add(time.Hour), Data: []byte("two")}); err != nil {
				t.Fatal(err)
			}
			if err := s.Put(ctx, b, sessionstore.Record{Expires: now.Add(time.Minute), Data: []byte("b")}); err != nil {
				t.Fatal(err)
			}
			if rec, ok, err := s.Get(ctx, a, now); err != nil || !ok || !bytes.Equal(rec.Data, []byte("two")) || !rec.Expires.Equal(now.Add(time.Hour)) {
				t.Fatalf("get a: %q %v %v %v", rec.Data, rec.Expires, ok, err)
			}
			if _, ok, _ := s.Get(ctx, b, now.Add(time.Minute)); ok {
				t.Fatal("an expired record was returned")
			}
			if err := s.Sweep(ctx, now.Add(2*time.Minute)); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := s.Get(ctx, b, now); ok {
				t.Fatal("sweep kept an expired record")
			}
			if _, ok, _ := s.Get(ctx, a, now); !ok {
				t.Fatal("sweep removed a live record")
			}
			if err := s.Delete(ctx, a); err != nil {
				t.Fatal(err)
			}
			if _, ok, _ := s.Get(ctx, a, now); ok {
				t.Fatal("a deleted record was returned")
			}
		})
	}
}

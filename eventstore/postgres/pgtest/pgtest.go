// Package pgtest gives tests a fresh, empty PostgreSQL schema of their own.
//
//	func TestSomething(t *testing.T) {
//		db := pgtest.New(t) // skips the test when no database is reachable
//		store, err := postgres.Open(ctx, db.URL, postgres.Config{})
//		...
//	}
//
// The database is DATABASE_URL, by default DefaultURL. When it cannot be
// reached the test is skipped, or fails when COLLABLEDGER_REQUIRE_POSTGRES=1
// (set it in CI, where a skipped database test would hide a broken setup).
// The schema is dropped when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pdis/collab-ledger/internal/testenv"
)

// DefaultURL is the database used when DATABASE_URL is not set: the local
// development server with trust authentication.
const DefaultURL = "postgres://127.0.0.1:5432/test?sslmode=disable"

// RequireEnv is the variable that turns "database unreachable" from a skip
// into a failure when set to 1.
const RequireEnv = "COLLABLEDGER_REQUIRE_POSTGRES"

// DB is a fresh schema in the test database.
type DB struct {
	// URL connects to the database with search_path set to Schema, so that
	// unqualified names, the store's included, live in the schema. It is a
	// plain pgx connection string, usable by any package.
	URL string
	// BaseURL is DATABASE_URL as given, without the schema.
	BaseURL string
	// Schema is the schema's name: "clt_" and 16 random hex digits.
	Schema string
}

// BaseURL returns DATABASE_URL, or DefaultURL when it is unset.
func BaseURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

var (
	reachOnce sync.Once
	reachErr  error
)

// Reachable connects to BaseURL once per test binary and reports why it
// could not, or nil.
func Reachable() error {
	reachOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, BaseURL())
		if err != nil {
			reachErr = err
			return
		}
		defer conn.Close(ctx)
		reachErr = conn.Ping(ctx)
	})
	return reachErr
}

// Require skips t, or fails it when COLLABLEDGER_REQUIRE_POSTGRES=1, if the
// test database cannot be reached.
func Require(t testing.TB) {
	t.Helper()
	if err := Reachable(); err != nil {
		testenv.Missing(t, "postgres", fmt.Sprintf("PostgreSQL at DATABASE_URL=%q is not reachable: %v (set DATABASE_URL to a PostgreSQL database to run this test, %s=1 to fail instead)", redact(BaseURL()), err, RequireEnv))
	}
}

// New creates a fresh schema for t and returns how to reach it. It skips or
// fails t as Require does. The schema, and all in it, is dropped when t
// ends.
func New(t testing.TB) DB {
	t.Helper()
	Require(t)
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "clt_" + hex.EncodeToString(b[:])
	base := BaseURL()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", redact(base), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("pgtest: create schema %s: %v", schema, err)
	}
	t.Cleanup(func() { drop(t, base, schema) })
	u, err := WithParam(base, "search_path", schema)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return DB{URL: u, BaseURL: base, Schema: schema}
}

// URL is New(t).URL.
func URL(t testing.TB) string {
	t.Helper()
	return New(t).URL
}

func drop(t testing.TB, base, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Logf("pgtest: drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	// Do not wait for ever on a connection a test left in a transaction.
	if _, err := conn.Exec(ctx, "SET lock_timeout = '10s'"); err != nil {
		t.Logf("pgtest: drop schema %s: %v", schema, err)
		return
	}
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
		t.Logf("pgtest: drop schema %s: %v", schema, err)
	}
}

// WithParam returns the connection string conn, a postgres:// URL or a
// keyword/value string, with key set to value (pgx sends keys it does not
// know to the server as settings). value must not need quoting in the
// keyword/value form: no spaces, quotes or backslashes.
func WithParam(conn, key, value string) (string, error) {
	lower := strings.ToLower(conn)
	if strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") {
		u, err := url.Parse(conn)
		if err != nil {
			return "", fmt.Errorf("parse connection URL: %w", err)
		}
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	if strings.ContainsAny(value, " '\\") {
		return "", fmt.Errorf("value %q of %s needs quoting", value, key)
	}
	return strings.TrimSpace(conn) + " " + key + "=" + value, nil
}

func redact(conn string) string {
	if u, err := url.Parse(conn); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	return "(connection string)"
}

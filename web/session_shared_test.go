package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/sessionstore"
	"github.com/pdis/collab-ledger/tokens"
	"github.com/pdis/collab-ledger/web"
)

// sessionServer is another server of e's ledger (its store, command side
// and read models) with the development sign-in, keeping its sessions in
// sessions.
func (e *signinEnv) sessionServer(sessions sessionstore.Store) *httptest.Server {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	toks := tokens.NewService(e.store, tokens.Config{Secret: apiSecret, Logger: quiet})
	go toks.Run(ctx)
	h, err := web.New(web.Config{Store: e.store, StoreKind: "file", Logger: quiet, Ledger: e.ledger, Tokens: toks, Queries: e.runner,
		SignIn: &web.SignIn{Secret: apiSecret, Dev: true, Sessions: sessions}})
	if err != nil {
		e.t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	e.t.Cleanup(func() { srv.Close(); cancel() })
	return srv
}

// signedInAs reports whether b, on base's /me, is signed in as actor.
func signedInAs(b *browser, base, actor string) bool {
	resp, page := b.get(base + "/me")
	return resp.Request.URL.Path == "/me" && strings.Contains(page, actor)
}

// ministries counts the registry's events.
func (e *signinEnv) registryEvents() int {
	e.t.Helper()
	evs, err := e.store.ReadStream(context.Background(), domain.RegistryStream(), 1, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(evs)
}

// postForm posts values (a form's hidden inputs and fields) to base's form
// of cmd and reports where it led.
func postForm(b *browser, base, cmd string, values url.Values) string {
	resp, _ := b.post(base+"/act/"+cmd, values)
	return resp.Request.URL.Path
}

// TestSessionSurvivesRestart: with the embedded store's sessions file, a
// person signed in stays signed in when the server restarts, a form they
// posted before is still answered as recorded (and records nothing again),
// and signing out ends the session.
func TestSessionSurvivesRestart(t *testing.T) {
	e := newSigninEnv(t, func(si *web.SignIn) { si.OIDC = nil; si.Dev = true })
	path := filepath.Join(t.TempDir(), "ledger.db.sessions")
	first, err := sessionstore.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := e.sessionServer(first)
	b := e.browser()
	b.post(srv.URL+"/signin/dev", url.Values{"role": {"pdis"}, "id": {"staff-9"}, "return": {"/me"}})
	if !signedInAs(b, srv.URL, "staff-9") {
		t.Fatal("not signed in after the development sign-in")
	}
	resp, _, sent := b.form(srv.URL+"/act/registry.register_ministry", url.Values{"ministryId": {"moj"}, "name": {"法務部"}})
	if !strings.HasPrefix(resp.Request.URL.Path, "/me/recorded/") || e.registryEvents() != 1 {
		t.Fatalf("the form led to %s, %d registry events", resp.Request.URL.Path, e.registryEvents())
	}
	recorded := resp.Request.URL.Path

	srv.Close() // the server restarts
	first.Close()
	again, err := sessionstore.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	srv = e.sessionServer(again)
	if !signedInAs(b, srv.URL, "staff-9") {
		t.Fatal("the session did not survive the restart")
	}
	if got := postForm(b, srv.URL, "registry.register_ministry", sent); got != recorded || e.registryEvents() != 1 {
		t.Fatalf("the form posted again after the restart led to %s (want %s), %d registry events", got, recorded, e.registryEvents())
	}
	_, me := b.get(srv.URL + "/me")
	b.post(srv.URL+"/signout", hidden(me))
	if signedInAs(b, srv.URL, "staff-9") {
		t.Fatal("still signed in after signing out")
	}
}

// TestSessionsSharedOnPostgres: two servers keeping their sessions in one
// PostgreSQL (each with its own pool): signed in through one, a person is
// signed in on the other; a form taken from one and posted to the other
// records; posted again to the first, it is answered as recorded and
// records nothing; signing out on one ends the session on both. The table
// keeps the ID's hash, not the ID.
func TestSessionsSharedOnPostgres(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	open := func() sessionstore.Store {
		pool, err := pgxpool.New(ctx, db.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		s, err := sessionstore.OpenPostgres(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	e := newSigninEnv(t, func(si *web.SignIn) { si.OIDC = nil; si.Dev = true })
	a, bsrv := e.sessionServer(open()), e.sessionServer(open())
	b := e.browser()
	b.post(a.URL+"/signin/dev", url.Values{"role": {"pdis"}, "id": {"staff-7"}, "return": {"/me"}})
	if !signedInAs(b, a.URL, "staff-7") || !signedInAs(b, bsrv.URL, "staff-7") {
		t.Fatal("signed in through one server, not signed in on both")
	}
	_, page := b.get(a.URL + "/act/registry.register_ministry")
	form := hidden(page)
	form.Set("ministryId", "moi")
	form.Set("name", "內政部")
	recorded := postForm(b, bsrv.URL, "registry.register_ministry", form)
	if !strings.HasPrefix(recorded, "/me/recorded/") || e.registryEvents() != 1 {
		t.Fatalf("a form from one server posted to the other led to %s, %d registry events", recorded, e.registryEvents())
	}
	if got := postForm(b, a.URL, "registry.register_ministry", form); got != recorded || e.registryEvents() != 1 {
		t.Fatalf("posted again to the first server: %s (want %s), %d registry events", got, recorded, e.registryEvents())
	}

	pool, err := pgxpool.New(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var rows, hashBytes int
	if err := pool.QueryRow(ctx, `SELECT count(*), min(length(id_hash)) FROM web_sessions`).Scan(&rows, &hashBytes); err != nil || rows != 1 || hashBytes != 32 {
		t.Fatalf("web_sessions: %d rows, keyed by %d bytes, %v; want one session keyed by its ID's SHA-256", rows, hashBytes, err)
	}

	_, me := b.get(bsrv.URL + "/me")
	b.post(bsrv.URL+"/signout", hidden(me))
	if signedInAs(b, a.URL, "staff-7") || signedInAs(b, bsrv.URL, "staff-7") {
		t.Fatal("signed out on one server, still signed in on another")
	}
}

// Package testoidc starts a real OpenID provider on loopback for tests:
// the OpenID Provider of github.com/zitadel/oidc/v3 (its op package, with
// the example storage and login page the module ships), not a mock. Tests
// sign in through its login page, in Chromium or over HTTP.
//
//	op := testoidc.Start(t, "ledger", "secret", srv.URL+"/signin/callback", testoidc.User{Username: "alice", Password: "pw"})
//	cfg := web.OIDCConfig{Issuer: op.Issuer, ClientID: "ledger", ClientSecret: "secret", RedirectURL: ...}
package testoidc

import (
	"net"
	"net/http"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"golang.org/x/text/language"
)

// User is a person the provider knows.
type User struct {
	// ID is the subject the provider gives them; default Username.
	ID                 string
	Username, Password string
}

// Provider is a running provider.
type Provider struct {
	// Issuer is its issuer URL (http://127.0.0.1:port).
	Issuer string
}

type users map[string]*storage.User

func (u users) GetUserByID(id string) *storage.User { return u[id] }
func (u users) GetUserByUsername(name string) *storage.User {
	for _, x := range u {
		if x.Username == name {
			return x
		}
	}
	return nil
}
func (u users) ExampleClientID() string { return storage.ServiceUserID }

// Start starts a provider on a loopback port for the test's life, with one
// web client (clientID, secret, redirectURL) and the users.
func Start(tb testing.TB, clientID, secret, redirectURL string, people ...User) *Provider {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	us := users{}
	for _, p := range people {
		id := p.ID
		if id == "" {
			id = p.Username
		}
		us[id] = &storage.User{ID: id, Username: p.Username, Password: p.Password, FirstName: p.Username, LastName: "Test",
			Email: p.Username + "@example.test", EmailVerified: true, PreferredLanguage: language.English}
	}
	st := storage.NewStorageWithClients(us, map[string]*storage.Client{clientID: storage.WebClient(clientID, secret, redirectURL)})
	router := exampleop.SetupServer(issuer, st, nil, false)
	srv := &http.Server{Handler: router}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return &Provider{Issuer: issuer}
}

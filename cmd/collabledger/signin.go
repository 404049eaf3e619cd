package main

import (
	"flag"
	"fmt"
	"net"
	"os"

	"github.com/pdis/collab-ledger/accounts"
	"github.com/pdis/collab-ledger/demo"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/web"
)

// signInFlags are serve's flags for signing in to the pages (README
// "Signing in").
type signInFlags struct {
	issuer, clientID, clientSecret, redirectURL *string
	dev                                         *bool
}

func addSignInFlags(fs *flag.FlagSet) signInFlags {
	return signInFlags{
		issuer:       fs.String("oidc-issuer", os.Getenv("COLLABLEDGER_OIDC_ISSUER"), "OpenID provider's issuer URL (env COLLABLEDGER_OIDC_ISSUER); empty: no provider"),
		clientID:     fs.String("oidc-client-id", os.Getenv("COLLABLEDGER_OIDC_CLIENT_ID"), "the ledger's client ID at the provider (env COLLABLEDGER_OIDC_CLIENT_ID)"),
		clientSecret: fs.String("oidc-client-secret", "", "the client's secret; prefer env COLLABLEDGER_OIDC_CLIENT_SECRET, which a process list does not show"),
		redirectURL:  fs.String("oidc-redirect-url", os.Getenv("COLLABLEDGER_OIDC_REDIRECT_URL"), "where the provider sends people back: this server's URL + /signin/callback (env COLLABLEDGER_OIDC_REDIRECT_URL); https makes the session cookie Secure"),
		dev:          fs.Bool("dev-signin", false, "offer the development sign-in (pick any actor) on a loopback address; refused on any other address"),
	}
}

// signInConfig builds the pages' sign-in from the flags; nil when neither
// a provider nor the development sign-in is asked for.
func signInConfig(f signInFlags, addr string, store eventstore.Store, secret []byte, demoMode bool) (*web.SignIn, error) {
	if *f.issuer == "" && !*f.dev {
		return nil, nil
	}
	si := &web.SignIn{Secret: secret, Accounts: accounts.NewService(store, nil)}
	if *f.issuer != "" {
		cs := *f.clientSecret
		if cs == "" {
			cs = os.Getenv("COLLABLEDGER_OIDC_CLIENT_SECRET")
		}
		si.OIDC = &web.OIDCConfig{Issuer: *f.issuer, ClientID: *f.clientID, ClientSecret: cs, RedirectURL: *f.redirectURL}
		if err := si.OIDC.Validate(); err != nil {
			return nil, err
		}
	}
	if *f.dev {
		host, _, err := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return nil, fmt.Errorf("--dev-signin serves only a loopback address, not %q", addr)
		}
		si.Dev = true
		if demoMode {
			for _, p := range demo.People(domain.Pseudonym(secret, "demo-visitor")) {
				si.DevActors = append(si.DevActors, web.DevActor{Label: p.Label, Actor: p.Actor})
			}
		}
	}
	return si, nil
}

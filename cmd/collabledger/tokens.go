package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/tokens"
	"github.com/pdis/collab-ledger/web"
)

const tokensUsage = `collabledger tokens manages the bearer tokens of the JSON API:

  collabledger tokens create --role ROLE [--ministry ID] [--actor ID | --identity X] [--expires 720h]
  collabledger tokens list [--all]
  collabledger tokens revoke HASHPREFIX [--reason TEXT]

create prints the token once, on standard output; the log keeps only its
SHA-256 (stream "tokens") and the actor and role it stands for. Roles:
citizen, proposer, po, pdis, stenographer, secretariat, ministry, auditor;
po and ministry name their --ministry. A citizen or proposer is given by
--identity (the verified identity, e.g. the national ID): the server
computes their pseudonym, HMAC-SHA256(the ledger's secret, identity), and
the identity is stored nowhere. A po token is issued only for a PO
registered for this year with that ministry, and expires with the
registration. --expires 0 makes a token that never expires.

On a running server, give --server URL and a PDIS staff token (--token, or
env COLLABLEDGER_TOKEN): the server records the change and uses it at once,
and computes a citizen's pseudonym with its own secret. This is the way
with the embedded file store while the server runs (it holds the file).
Without --server the store is opened directly: the first staff token is
made this way, with the embedded store while the server is stopped; a
citizen's token then needs the ledger's secret (--secret-file; it is never
made here).

Common flags: --store URL, --secret-file PATH, --server URL, --token T.
`

func runTokens(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, tokensUsage)
		return nil
	}
	switch args[0] {
	case "create":
		return runTokensCreate(ctx, args[1:], stdout, stderr)
	case "list":
		return runTokensList(ctx, args[1:], stdout, stderr)
	case "revoke":
		return runTokensRevoke(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, tokensUsage)
	return fmt.Errorf("%w: unknown tokens command %q", errUsage, args[0])
}

// cliActor is who runs the CLI on the store directly, for the token
// events' metadata: the operator, as PDIS staff.
func cliActor() domain.Actor {
	id := "cli"
	if u := os.Getenv("USER"); u != "" {
		id = "cli:" + u
	}
	return domain.Actor{ID: id, Role: domain.RolePDIS}
}

// openTokenStore opens the store, explaining a locked embedded file.
func openTokenStore(ctx context.Context, url string) (eventstore.Store, error) {
	s, err := openStore(ctx, url)
	if errors.Is(err, bbolt.ErrLocked) {
		return nil, fmt.Errorf("%w\nthe embedded ledger file is held by a running server: stop it, manage the tokens, start it again", err)
	}
	return s, err
}

func runTokensCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tokens create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURL := storeFlag(fs)
	secretFile := secretFlag(fs)
	role := fs.String("role", "", "the token's role: citizen, proposer, po, pdis, stenographer, secretariat, ministry, auditor")
	ministry := fs.String("ministry", "", "the ministry or agency a po or ministry token acts for")
	actorID := fs.String("actor", "", "the actor ID (a staff account, a PO's registry ID)")
	identity := fs.String("identity", "", "a citizen's verified identity; the server computes their pseudonym")
	expires := fs.Duration("expires", web.DefaultTokenLifetime, "how long the token works; 0: for ever (default for a po: until their registration ends, which ends it in any case)")
	server, token := serverFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: tokens create takes no arguments, got %q", errUsage, fs.Args())
	}
	r := domain.Role(*role)
	if !r.Valid() {
		return fmt.Errorf("%w: --role %q is not one of %v", errUsage, *role, domain.Roles())
	}
	if *expires < 0 {
		return fmt.Errorf("%w: --expires must not be negative", errUsage)
	}
	if r == domain.RolePO && !flagSet(fs, "expires") {
		*expires = 0 // until the registration ends
	}
	citizen := r == domain.RoleCitizen || r == domain.RoleProposer
	switch {
	case citizen && *actorID != "":
		return fmt.Errorf("%w: a %s token is asked for by --identity (the server computes the pseudonym), not --actor", errUsage, r)
	case citizen && *identity == "":
		return fmt.Errorf("%w: a %s token needs --identity (the verified identity)", errUsage, r)
	case !citizen && *identity != "":
		return fmt.Errorf("%w: --identity is for citizen and proposer tokens", errUsage)
	case !citizen && *actorID == "":
		return fmt.Errorf("%w: a %s token needs --actor", errUsage, r)
	case (r == domain.RolePO || r == domain.RoleMinistry) != (*ministry != ""):
		return fmt.Errorf("%w: --ministry goes with po and ministry tokens, and only with them", errUsage)
	}
	if *server != "" {
		req := web.TokenRequest{Role: r, Ministry: domain.MinistryID(*ministry), ActorID: *actorID, Identity: *identity, ExpiresIn: expires.String()}
		var created web.TokenCreated
		if err := doJSON(ctx, http.MethodPost, strings.TrimRight(*server, "/")+web.TokensPath, *token, req, &created); err != nil {
			return fmt.Errorf("tokens create: %w", err)
		}
		printIssued(stdout, stderr, created.Token, created.Record)
		return nil
	}
	var secret []byte
	if citizen {
		var err error
		if secret, err = readSecret(secretPath(*secretFile, *storeURL)); err != nil {
			return fmt.Errorf("tokens create: %w", err)
		}
	}
	store, err := openTokenStore(ctx, *storeURL)
	if err != nil {
		return err
	}
	defer store.Close()
	issued, err := tokens.NewService(store, tokens.Config{Secret: secret}).Issue(ctx, cliActor(),
		tokens.Request{Role: r, Ministry: domain.MinistryID(*ministry), ActorID: *actorID, Identity: *identity, Lifetime: *expires})
	if err != nil {
		return err
	}
	printIssued(stdout, stderr, issued.Token, issued.Record)
	return nil
}

// flagSet reports whether the flag name was given.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// serverFlags adds --server and --token.
func serverFlags(fs *flag.FlagSet) (server, token *string) {
	server = fs.String("server", "", "manage the tokens of a running server, e.g. http://127.0.0.1:8080")
	token = fs.String("token", os.Getenv("COLLABLEDGER_TOKEN"), "a PDIS staff token, with --server (env COLLABLEDGER_TOKEN)")
	return server, token
}

// printIssued shows a new token once, on stdout, and what it is on stderr.
func printIssued(stdout, stderr io.Writer, token string, rec tokens.Record) {
	fmt.Fprintln(stdout, token)
	fmt.Fprintf(stderr, "token for %s, hash %s, expires %s\nit is shown once and stored nowhere; revoke it with: collabledger tokens revoke %s\n",
		rec.Actor(), rec.Hash.Short(), expiry(rec.ExpiresAt), rec.Hash.Short())
}

// expiry shows when a token stops working, in Taipei time; one that ends
// at midnight there shows the last day it works.
func expiry(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	local := t.In(calendar.Taipei)
	if local.Hour() == 0 && local.Minute() == 0 && local.Second() == 0 && local.Nanosecond() == 0 {
		return "at the end of " + calendar.LastDay(t).String() + " (Taipei)"
	}
	return local.Format(time.RFC3339)
}

func runTokensList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tokens list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURL := storeFlag(fs)
	all := fs.Bool("all", false, "include revoked and expired tokens")
	server, token := serverFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: tokens list takes no arguments, got %q", errUsage, fs.Args())
	}
	var records []tokens.Listed
	if *server != "" {
		var list web.TokenList
		if err := doJSON(ctx, http.MethodGet, strings.TrimRight(*server, "/")+web.TokensPath, *token, nil, &list); err != nil {
			return fmt.Errorf("tokens list: %w", err)
		}
		records = list.Tokens
	} else {
		store, err := openTokenStore(ctx, *storeURL)
		if err != nil {
			return err
		}
		defer store.Close()
		if records, err = tokens.NewService(store, tokens.Config{}).List(ctx); err != nil {
			return err
		}
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HASH\tACTOR\tISSUED\tEXPIRES\tSTATUS")
	for _, r := range records {
		status := r.Status
		if r.Revoked != nil {
			status += " " + r.Revoked.RevokedAt.In(calendar.Taipei).Format(time.DateOnly)
		}
		if r.Status != tokens.StatusActive && !*all {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Hash.Short(), r.Actor(), r.IssuedAt.In(calendar.Taipei).Format(time.RFC3339), expiry(r.ExpiresAt), status)
	}
	return tw.Flush()
}

func runTokensRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tokens revoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURL := storeFlag(fs)
	reason := fs.String("reason", "", "why the token is revoked")
	server, token := serverFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The prefix may come before or after the flags.
	rest := fs.Args()
	if len(rest) > 0 {
		prefix := rest[0]
		if err := fs.Parse(rest[1:]); err != nil {
			return err
		}
		rest = append([]string{prefix}, fs.Args()...)
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: tokens revoke takes one hash prefix, got %q", errUsage, rest)
	}
	if *server != "" {
		var info web.TokenInfo
		path := strings.Replace(web.TokenRevokePath, "{hash}", url.PathEscape(rest[0]), 1)
		if err := doJSON(ctx, http.MethodPost, strings.TrimRight(*server, "/")+path, *token, web.RevokeRequest{Reason: *reason}, &info); err != nil {
			return fmt.Errorf("tokens revoke: %w", err)
		}
		fmt.Fprintf(stdout, "revoked %s (%s)\n", info.Hash.Short(), info.Actor())
		return nil
	}
	store, err := openTokenStore(ctx, *storeURL)
	if err != nil {
		return err
	}
	defer store.Close()
	r, err := tokens.NewService(store, tokens.Config{}).Revoke(ctx, cliActor(), rest[0], *reason)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked %s (%s)\n", r.Hash.Short(), r.Actor())
	return nil
}

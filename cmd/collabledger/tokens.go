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
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/web"
)

const tokensUsage = `collabledger tokens manages the bearer tokens of the JSON API:

  collabledger tokens create --role ROLE [--ministry ID] [--actor ID | --identity X] [--expires 720h] [--note TEXT]
  collabledger tokens list [--all]
  collabledger tokens revoke HASHPREFIX [--reason TEXT]

create prints the token once, on standard output; the log keeps only its
SHA-256 (stream "tokens"). Roles: citizen, proposer, po, pdis,
stenographer, secretariat, ministry, auditor; po and ministry name their
--ministry. A citizen or proposer is given by --identity (the verified
identity, e.g. the national ID): the token stands for its pseudonym,
HMAC-SHA256(secret, identity), and the identity is stored nowhere.
--expires 0 makes a token that never expires.

On a running server, give --server URL and a PDIS staff token (--token, or
env COLLABLEDGER_TOKEN): the server records the change and uses it at once.
This is the way with the embedded file store while the server runs (it
holds the file); a citizen's token then needs --identity with the server's
--secret-file here, so that only the pseudonym is sent. Without --server
the store is opened directly: the first staff token is made this way, with
the embedded store while the server is stopped.

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

// issuer names who ran the CLI, for the token events' metadata.
func issuer() string {
	if u := os.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
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
	identity := fs.String("identity", "", "a citizen's verified identity; the token stands for its pseudonym")
	expires := fs.Duration("expires", 720*time.Hour, "how long the token works; 0: for ever")
	note := fs.String("note", "", "what the token is for")
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
	citizen := r == domain.RoleCitizen || r == domain.RoleProposer
	switch {
	case citizen && *identity == "" && *actorID == "":
		return fmt.Errorf("%w: a %s token needs --identity (the verified identity)", errUsage, r)
	case !citizen && *identity != "":
		return fmt.Errorf("%w: --identity is for citizen and proposer tokens", errUsage)
	case *identity != "" && *actorID != "":
		return fmt.Errorf("%w: give --identity or --actor, not both", errUsage)
	case !citizen && *actorID == "":
		return fmt.Errorf("%w: a %s token needs --actor", errUsage, r)
	}
	id := *actorID
	if *identity != "" {
		secret, err := loadSecret(secretPath(*secretFile, *storeURL))
		if err != nil {
			return err
		}
		id = string(domain.Pseudonym(secret, *identity))
	}
	actor, err := domain.NewActor(id, r, domain.MinistryID(*ministry))
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *server != "" {
		req := web.TokenRequest{Role: actor.Role, Ministry: actor.Ministry, ActorID: actor.ID, ExpiresIn: expires.String(), Note: *note}
		var created web.TokenCreated
		if err := doJSON(ctx, http.MethodPost, strings.TrimRight(*server, "/")+web.TokensPath, *token, req, &created); err != nil {
			return fmt.Errorf("tokens create: %w", err)
		}
		printIssued(stdout, stderr, created.Token, actor, created.TokenIssued)
		return nil
	}
	store, err := openTokenStore(ctx, *storeURL)
	if err != nil {
		return err
	}
	defer store.Close()
	now := time.Now()
	grant := web.TokenGrant{Actor: actor, Note: *note}
	if *expires > 0 {
		grant.ExpiresAt = now.Add(*expires)
	}
	secret, issued, err := web.IssueToken(ctx, store, grant, issuer(), now)
	if err != nil {
		return err
	}
	printIssued(stdout, stderr, secret, actor, issued)
	return nil
}

// serverFlags adds --server and --token.
func serverFlags(fs *flag.FlagSet) (server, token *string) {
	server = fs.String("server", "", "manage the tokens of a running server, e.g. http://127.0.0.1:8080")
	token = fs.String("token", os.Getenv("COLLABLEDGER_TOKEN"), "a PDIS staff token, with --server (env COLLABLEDGER_TOKEN)")
	return server, token
}

// printIssued shows a new token once, on stdout, and what it is on stderr.
func printIssued(stdout, stderr io.Writer, token string, actor domain.Actor, issued web.TokenIssued) {
	fmt.Fprintln(stdout, token)
	exp := "never"
	if !issued.ExpiresAt.IsZero() {
		exp = issued.ExpiresAt.Format(time.RFC3339)
	}
	fmt.Fprintf(stderr, "token for %s, hash %s, expires %s\nit is shown once and stored nowhere; revoke it with: collabledger tokens revoke %s\n", actor, issued.Hash[:16], exp, issued.Hash[:16])
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
	var records []web.TokenRecord
	if *server != "" {
		var list web.TokenList
		if err := doJSON(ctx, http.MethodGet, strings.TrimRight(*server, "/")+web.TokensPath, *token, nil, &list); err != nil {
			return fmt.Errorf("tokens list: %w", err)
		}
		for _, t := range list.Tokens {
			records = append(records, t.TokenRecord)
		}
	} else {
		store, err := openTokenStore(ctx, *storeURL)
		if err != nil {
			return err
		}
		defer store.Close()
		if records, err = web.ListTokens(ctx, store); err != nil {
			return err
		}
	}
	now := time.Now()
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HASH\tACTOR\tISSUED\tEXPIRES\tSTATUS\tNOTE")
	for _, r := range records {
		status := "active"
		switch {
		case r.Revoked != nil:
			status = "revoked " + r.Revoked.RevokedAt.Format(time.DateOnly)
		case !r.Active(now):
			status = "expired"
		}
		if status != "active" && !*all {
			continue
		}
		exp := "never"
		if !r.ExpiresAt.IsZero() {
			exp = r.ExpiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Hash[:16], r.Actor(), r.IssuedAt.Format(time.RFC3339), exp, status, r.Note)
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
		fmt.Fprintf(stdout, "revoked %s (%s)\n", info.Hash[:16], strings.TrimSpace(info.Actor().String()))
		return nil
	}
	store, err := openTokenStore(ctx, *storeURL)
	if err != nil {
		return err
	}
	defer store.Close()
	r, err := web.RevokeToken(ctx, store, rest[0], *reason, issuer(), time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked %s (%s)\n", r.Hash[:16], strings.TrimSpace(r.Actor().String()))
	return nil
}

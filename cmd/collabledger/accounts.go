package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/pdis/collab-ledger/accounts"
	"github.com/pdis/collab-ledger/domain"
)

// runAccounts lists a staff identity as a ledger actor on the store
// directly: how the first PDIS staff member is listed before anyone can
// sign in to the accounts page (/admin/accounts), where staff list the rest.
//
//	collabledger accounts link --issuer https://id.example --subject 8f1c… --role pdis --actor pdis-1
func runAccounts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "link" {
		return fmt.Errorf("%w: accounts link --issuer URL --subject SUB --role ROLE --actor ID [--ministry M] [--label NAME]", errUsage)
	}
	fs := flag.NewFlagSet("accounts link", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURL := storeFlag(fs)
	secretFile := secretFlag(fs)
	issuer := fs.String("issuer", "", "the identity provider's issuer URL, as the person's “My tasks” page shows it")
	subject := fs.String("subject", "", "the person's subject at the provider, as their page shows it")
	role := fs.String("role", "pdis", "the role they act as: pdis, po, stenographer, secretariat, ministry")
	actor := fs.String("actor", "", "the ledger actor ID they act as (a PO's registry ID, a staff account)")
	ministry := fs.String("ministry", "", "the ministry, for a po or ministry account")
	label := fs.String("label", "", "a name staff recognise the account by")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *issuer == "" || *subject == "" || *actor == "" {
		return fmt.Errorf("%w: accounts link needs --issuer, --subject and --actor", errUsage)
	}
	secret, err := readSecret(secretPath(*secretFile, *storeURL))
	if err != nil {
		return fmt.Errorf("accounts link: %w", err)
	}
	store, err := openTokenStore(ctx, *storeURL)
	if err != nil {
		return err
	}
	defer store.Close()
	a := domain.Actor{ID: *actor, Role: domain.Role(*role), Ministry: domain.MinistryID(*ministry)}
	evs, err := accounts.NewService(store, nil).Execute(ctx, cliActor(), accounts.Link{Key: accounts.IdentityKey(secret, *issuer, *subject), Actor: a, Label: *label}, "")
	if err != nil {
		return fmt.Errorf("accounts link: %w", err)
	}
	if len(evs) == 0 {
		fmt.Fprintf(stdout, "already listed as %s\n", a)
		return nil
	}
	fmt.Fprintf(stdout, "listed as %s (the log keeps only the identity's keyed hash)\n", a)
	return nil
}

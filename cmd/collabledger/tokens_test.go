package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
)

// postCommand posts a command to a running server as token and checks the
// answer's status; it returns the body.
func postCommand(t *testing.T, base, token, name, body string, want int) string {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/api/v1/commands/"+name, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", name, body, resp.StatusCode, raw, want)
	}
	return string(raw)
}

// TestCitizenTokensFromAnyFolderShareOnePseudonym (#14, 1): the CLI asks a
// running server for a citizen's token by identity, from folders other
// than the server's; it never makes a secret of its own, and the server
// computes one pseudonym per person with its secret, so the same person
// cannot sign a proposal twice.
func TestCitizenTokensFromAnyFolderShareOnePseudonym(t *testing.T) {
	dir := t.TempDir()
	store := "file:" + filepath.Join(dir, "ledger.db")
	staff, _, err := runCapture(t, "tokens", "create", "--store", store, "--role", "pdis", "--actor", "staff-1")
	if err != nil {
		t.Fatal(err)
	}
	staff = strings.TrimSpace(staff)
	base := startServe(t, store)
	if _, err := os.Stat(filepath.Join(dir, secretFileName)); err != nil {
		t.Fatalf("serve made no secret for its new store: %v", err)
	}
	citizen := func(folder, role, identity string) string {
		t.Helper()
		t.Chdir(folder)
		tok, info, err := runCapture(t, "tokens", "create", "--server", base, "--token", staff, "--role", role, "--identity", identity)
		if err != nil {
			t.Fatalf("tokens create in %s: %v %s", folder, err, info)
		}
		if _, err := os.Stat(filepath.Join(folder, "data", secretFileName)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("tokens create made %s/data/%s: %v", folder, secretFileName, err)
		}
		return strings.TrimSpace(tok)
	}
	proposer := citizen(t.TempDir(), "proposer", "F100000001")
	postCommand(t, base, staff, "registry.register_ministry", `{"ministryId":"moj","name":"法務部"}`, http.StatusCreated)
	postCommand(t, base, proposer, "proposal.submit", `{"proposalId":"p-1","title":"寵物友善乘車","summary":"…"}`, http.StatusCreated)
	postCommand(t, base, staff, "proposal.publish", `{"proposalId":"p-1","competentMinistry":"moj"}`, http.StatusCreated)
	first := citizen(t.TempDir(), "citizen", "A123456789")
	postCommand(t, base, first, "proposal.sign", `{"proposalId":"p-1"}`, http.StatusCreated)
	second := citizen(t.TempDir(), "citizen", "A123456789")
	if first == second {
		t.Fatal("two tokens are the same")
	}
	if body := postCommand(t, base, second, "proposal.sign", `{"proposalId":"p-1"}`, http.StatusConflict); !strings.Contains(body, `"rule":"proposal.sign.once_per_signer"`) {
		t.Fatalf("a second signature by the same person: %s", body)
	}
}

// TestSecretOnlyFromServeOnANewStore (#14, 1): serve makes the pseudonym
// secret for a new store only; a store that holds the record and has lost
// its secret is refused, and nothing else makes one.
func TestSecretOnlyFromServeOnANewStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	store, err := eventstore.Open(ctx, "file:"+path, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := app.NewLedger(store, app.LedgerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Execute(ctx, domain.Actor{ID: "staff-1", Role: domain.RolePDIS}, domain.RegisterMinistry{MinistryID: "moj", Name: "法務部"}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	store.Close()

	secretFile := filepath.Join(dir, secretFileName)
	err = run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--store", "file:" + path}, io.Discard, io.Discard)
	if !errors.Is(err, errNoSecret) || !strings.Contains(err.Error(), "already holds the record") {
		t.Fatalf("serve on a store that lost its secret: %v", err)
	}
	if _, _, err := runCapture(t, "tokens", "create", "--store", "file:"+path, "--role", "citizen", "--identity", "A1"); !errors.Is(err, errNoSecret) || !strings.Contains(err.Error(), "serve") {
		t.Fatalf("tokens create without a secret: %v", err)
	}
	if _, err := os.Stat(secretFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a secret was made for a store that holds the record: %v", err)
	}
}

// TestTokensCommand issues tokens with the CLI, serves the ledger, runs a
// command with one, and revokes it; a citizen's identity is stored nowhere.
func TestTokensCommand(t *testing.T) {
	dir := t.TempDir()
	store := "file:" + filepath.Join(dir, "ledger.db")
	staffTok, info, err := runCapture(t, "tokens", "create", "--store", store, "--role", "pdis", "--actor", "staff-1")
	if err != nil {
		t.Fatalf("create: %v %s", err, info)
	}
	staffTok = strings.TrimSpace(staffTok)
	if !strings.HasPrefix(staffTok, "clt_") || !strings.Contains(info, "revoke") {
		t.Fatalf("create printed %q / %q", staffTok, info)
	}
	// A citizen's token on the store needs the ledger's secret, which only
	// serve makes (for a new store).
	secretFile := filepath.Join(dir, secretFileName)
	if _, _, err := runCapture(t, "tokens", "create", "--store", store, "--role", "citizen", "--identity", "A123456789"); !errors.Is(err, errNoSecret) {
		t.Fatalf("a citizen's token without the secret: %v", err)
	}
	if _, err := os.Stat(secretFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("tokens create made a secret: %v", err)
	}
	if err := os.WriteFile(secretFile, []byte(strings.Repeat("5e", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	citTok, _, err := runCapture(t, "tokens", "create", "--store", store, "--role", "citizen", "--identity", "A123456789", "--expires", "1h")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCapture(t, "tokens", "create", "--store", store, "--role", "po", "--actor", "po-1"); err == nil || exitCode(err) != 2 {
		t.Fatalf("a PO token without a ministry: %v", err)
	}
	if _, _, err := runCapture(t, "tokens", "create", "--store", store, "--role", "citizen", "--actor", "A123456789"); err == nil {
		t.Fatal("a citizen token for a raw identity was issued")
	}
	// The pseudonym under the ledger's secret is what is listed.
	secret, err := readSecret(secretFile)
	if err != nil {
		t.Fatal(err)
	}
	pseudonym := string(domain.Pseudonym(secret, "A123456789"))
	list, _, err := runCapture(t, "tokens", "list", "--store", store)
	if err != nil || !strings.Contains(list, "pdis:staff-1") || !strings.Contains(list, "citizen:"+pseudonym) {
		t.Fatalf("list: %v\n%s", err, list)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "ledger.db"))
	for _, secretText := range []string{"A123456789", strings.TrimSpace(staffTok), strings.TrimSpace(citTok)} {
		if strings.Contains(string(raw), secretText) {
			t.Fatalf("%q is stored in the ledger file", secretText)
		}
	}

	// Serve, and sign in with the staff token.
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--store", store}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	base := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	post := func(token, body string) int {
		req, _ := http.NewRequest("POST", base+"/api/v1/commands/registry.register_ministry", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(staffTok, `{"ministryId":"moj","name":"法務部"}`); got != http.StatusCreated {
		t.Fatalf("staff command: %d", got)
	}
	if got := post(strings.TrimSpace(citTok), `{"ministryId":"moi","name":"內政部"}`); got != http.StatusForbidden {
		t.Fatalf("citizen does a staff command: %d", got)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}

	hash := regexp.MustCompile(`hash ([0-9a-f]{16})`).FindStringSubmatch(info)
	if hash == nil {
		t.Fatalf("no hash in %q", info)
	}
	if out, _, err := runCapture(t, "tokens", "revoke", "--store", store, hash[1], "--reason", "rotated"); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %v %s", err, out)
	}
	list, _, _ = runCapture(t, "tokens", "list", "--store", store)
	if strings.Contains(list, "staff-1") {
		t.Fatalf("revoked token listed as active:\n%s", list)
	}
	list, _, _ = runCapture(t, "tokens", "list", "--store", store, "--all")
	if !strings.Contains(list, "revoked") {
		t.Fatalf("list --all:\n%s", list)
	}
}

// TestTokensOnRunningServer manages tokens through a running server on the
// embedded store (which the server holds): a staff token made beforehand
// issues a PO token that works at once, lists it, and revokes it.
func TestTokensOnRunningServer(t *testing.T) {
	store := "file:" + filepath.Join(t.TempDir(), "ledger.db")
	staff, _, err := runCapture(t, "tokens", "create", "--store", store, "--role", "pdis", "--actor", "staff-1")
	if err != nil {
		t.Fatal(err)
	}
	staff = strings.TrimSpace(staff)
	base := startServe(t, store)

	if _, _, err := runCapture(t, "tokens", "list", "--store", store); err == nil || !strings.Contains(err.Error(), "stop it") {
		t.Fatalf("opening the held file: %v", err)
	}
	// A PO's token is for a PO of the registry.
	if _, _, err := runCapture(t, "tokens", "create", "--server", base, "--token", staff, "--role", "po", "--ministry", "moj", "--actor", "po-7"); err == nil || !strings.Contains(err.Error(), domain.RulePOUnregistered) {
		t.Fatalf("a token for an unregistered PO: %v", err)
	}
	postCommand(t, base, staff, "registry.register_ministry", `{"ministryId":"moj","name":"法務部"}`, http.StatusCreated)
	year := calendar.DateOf(time.Now()).Year()
	postCommand(t, base, staff, "registry.register_po", fmt.Sprintf(`{"poId":"po-7","name":"PO 7","ministry":"moj","role":"unit","year":%d}`, year), http.StatusCreated)
	po, info, err := runCapture(t, "tokens", "create", "--server", base, "--token", staff, "--role", "po", "--ministry", "moj", "--actor", "po-7")
	if err != nil {
		t.Fatalf("create on the server: %v %s", err, info)
	}
	po = strings.TrimSpace(po)
	hash := regexp.MustCompile(`hash ([0-9a-f]{16})`).FindStringSubmatch(info)
	if !strings.HasPrefix(po, "clt_") || hash == nil {
		t.Fatalf("create printed %q / %q", po, info)
	}
	// The new token authenticates at once: a PO may not rebuild (403, not 401).
	if _, _, err := runCapture(t, "rebuild", "--server", base, "--token", po, "tallies"); err == nil || !strings.Contains(err.Error(), "403 forbidden") {
		t.Fatalf("the new PO token: %v", err)
	}
	if _, _, err := runCapture(t, "tokens", "list", "--server", base, "--token", po); err == nil || !strings.Contains(err.Error(), "403 forbidden") {
		t.Fatalf("a PO listing tokens: %v", err)
	}
	list, _, err := runCapture(t, "tokens", "list", "--server", base, "--token", staff)
	if err != nil || !strings.Contains(list, "po:po-7@moj") || !strings.Contains(list, hash[1]) || !strings.Contains(list, fmt.Sprintf("at the end of %d-12-31 (Taipei)", year)) {
		t.Fatalf("list on the server: %v\n%s", err, list)
	}
	out, _, err := runCapture(t, "tokens", "revoke", "--server", base, "--token", staff, hash[1], "--reason", "left")
	if err != nil || !strings.Contains(out, "revoked "+hash[1]) {
		t.Fatalf("revoke on the server: %v %s", err, out)
	}
	if _, _, err := runCapture(t, "rebuild", "--server", base, "--token", po, "tallies"); err == nil || !strings.Contains(err.Error(), "401 unauthenticated") {
		t.Fatalf("the revoked token: %v", err)
	}
	if _, _, err := runCapture(t, "tokens", "revoke", "--server", base, "--token", staff, hash[1]); err == nil || !strings.Contains(err.Error(), "409 conflict") {
		t.Fatalf("revoking twice: %v", err)
	}
}

func runCapture(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut strings.Builder
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

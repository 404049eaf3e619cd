package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
)

func runCapture(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut strings.Builder
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestTokensCommand issues tokens with the CLI, serves the ledger, runs a
// command with one, and revokes it; a citizen's identity is stored nowhere.
func TestTokensCommand(t *testing.T) {
	dir := t.TempDir()
	store := "file:" + filepath.Join(dir, "ledger.db")
	staffTok, info, err := runCapture(t, "tokens", "create", "--store", store, "--role", "pdis", "--actor", "staff-1", "--note", "test")
	if err != nil {
		t.Fatalf("create: %v %s", err, info)
	}
	staffTok = strings.TrimSpace(staffTok)
	if !strings.HasPrefix(staffTok, "clt_") || !strings.Contains(info, "revoke") {
		t.Fatalf("create printed %q / %q", staffTok, info)
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
	// The secret was made beside the store; the pseudonym is what is listed.
	secret, err := loadSecret(filepath.Join(dir, secretFileName))
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
	po, info, err := runCapture(t, "tokens", "create", "--server", base, "--token", staff, "--role", "po", "--ministry", "moj", "--actor", "po-7", "--note", "remote")
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
	if err != nil || !strings.Contains(list, "po:po-7@moj") || !strings.Contains(list, hash[1]) || !strings.Contains(list, "remote") {
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

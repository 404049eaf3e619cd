package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/eventstore/export"
	"github.com/pdis/collab-ledger/web"
)

// TestExportOverHTTP: a running server on a sealed embedded store streams
// its log at GET /api/v1/export to an auditor: the same lines `collabledger
// export` writes from the store, public (commitments only) by default, the
// auditor export with the values only when asked for by an auditor of a
// server run with --export-secrets; from a position with ?from=. verify
// accepts it as an export file and straight from the server (--server
// --token), and `export --server` writes it. Other roles and no token are
// refused.
func TestExportOverHTTP(t *testing.T) {
	priv, pub := keygen(t)
	dir := t.TempDir()
	path, secretsPath := seedSealedStore(t, dir, priv)
	store, secretsURL := "file:"+path, "file:"+secretsPath
	secretFile := filepath.Join(dir, "pseudonym.key")
	os.WriteFile(secretFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	token := func(role, actor string) string {
		t.Helper()
		out, _, err := runCapture(t, "tokens", "create", "--store", store, "--role", role, "--actor", actor)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	auditor, staff, steno := token("auditor", "auditor-1"), token("pdis", "staff-1"), token("stenographer", "steno-1")
	before, err := runOut("export", "--store", store)
	if err != nil {
		t.Fatal(err)
	}
	auditorBefore, err := runOut("export", "--store", store, "--auditor", "--secrets", secretsURL)
	if err != nil {
		t.Fatal(err)
	}

	var public, audited []byte
	t.Run("serve", func(t *testing.T) { // the server holds the store until this ends
		base := startServe(t, store, "--secrets", secretsURL, "--export-secrets", "--checkpoint-key", priv, "--secret-file", secretFile, "--deadline-check=0")
		get := func(tok, query string) (*http.Response, []byte) {
			t.Helper()
			req, _ := http.NewRequest(http.MethodGet, base+web.ExportPath+query, nil)
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return resp, b
		}
		resp, body := get(auditor, "")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/jsonl") || resp.Header.Get("X-Export-Form") != "public" {
			t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
		}
		if resp.ContentLength != -1 {
			t.Errorf("the export was sent with a Content-Length (%d): buffered whole, not streamed", resp.ContentLength)
		}
		if !bytes.HasPrefix(body, []byte(before)) {
			t.Fatalf("the served export does not start with the CLI's export of the same log:\n%.300s\n---\n%.300s", body, before)
		}
		if bytes.Contains(body, []byte("signer-007")) || !bytes.Contains(body, []byte(`"signer":"sha256:`)) {
			t.Fatal("the public export over HTTP holds a signer, or no commitment")
		}
		public = body

		resp, body = get(auditor, "?secrets=true")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Export-Form") != "auditor" || !bytes.HasPrefix(body, []byte(auditorBefore)) || !bytes.Contains(body, []byte(`"value":"signer-007"`)) {
			t.Fatalf("auditor export: %d %s, %.300s", resp.StatusCode, resp.Header.Get("X-Export-Form"), body)
		}
		audited = body

		resp, body = get(auditor, "?from=10")
		first, err := export.NewReader(bytes.NewReader(body)).Read()
		if resp.StatusCode != http.StatusOK || err != nil || first.Position != 10 {
			t.Fatalf("from=10: %d, first %d, %v", resp.StatusCode, first.Position, err)
		}
		if resp, _ := get(staff, ""); resp.StatusCode != http.StatusOK {
			t.Errorf("staff's public export: %d", resp.StatusCode)
		}
		for _, c := range []struct {
			tok, query string
			status     int
			rule       string
		}{
			{"", "", http.StatusUnauthorized, ""},
			{steno, "", http.StatusForbidden, web.RuleExportRole},
			{staff, "?secrets=true", http.StatusForbidden, web.RuleExportSecretsRole},
			{auditor, "?from=0", http.StatusBadRequest, ""},
			{auditor, "?secrets=maybe", http.StatusBadRequest, ""},
		} {
			resp, body := get(c.tok, c.query)
			if resp.StatusCode != c.status || !bytes.Contains(body, []byte(c.rule)) || bytes.Contains(body, []byte(`"specversion"`)) {
				t.Errorf("export%s as %.8s: %d %s, want %d %s", c.query, c.tok, resp.StatusCode, body, c.status, c.rule)
			}
		}

		out, err := runOut("verify", "--server", base, "--token", auditor, "--key", pub)
		if err != nil || !strings.Contains(out, "verified export of "+base) {
			t.Fatalf("verify --server --token: %v\n%s", err, out)
		}
		fetched := filepath.Join(dir, "fetched.jsonl")
		if out, err := runOut("export", "--server", base, "--token", auditor, "--out", fetched); err != nil {
			t.Fatalf("export --server: %v\n%s", err, out)
		}
		if b, _ := os.ReadFile(fetched); !bytes.HasPrefix(b, []byte(before)) {
			t.Fatal("export --server wrote something else than the store's export")
		}
		if _, err := runOut("export", "--server", base, "--token", steno); err == nil || !strings.Contains(err.Error(), web.RuleExportRole) {
			t.Fatalf("export --server with a stenographer's token: %v", err)
		}
	})

	for name, b := range map[string][]byte{"public": public, "auditor": audited} {
		f := filepath.Join(dir, name+".jsonl")
		os.WriteFile(f, b, 0o644)
		out, err := runOut("verify", "--export", f, "--key", pub)
		if err != nil || !strings.Contains(out, "verified export") {
			t.Fatalf("verify --export of the %s export served over HTTP: %v\n%s", name, err, out)
		}
		if name == "auditor" && !strings.Contains(out, "86 values open them (auditor export)") {
			t.Fatalf("the auditor export's values: %s", out)
		}
	}
	// The whole log, once the server has stopped, starts with what it
	// served.
	after, err := runOut("export", "--store", store)
	if err != nil || !strings.HasPrefix(after, string(public)) {
		t.Fatalf("the store's export after serving does not start with the served export: %v", err)
	}
}

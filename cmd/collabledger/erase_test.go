package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/domain"
	sealedbolt "github.com/pdis/collab-ledger/eventstore/sealed/bbolt"
)

// TestEraseThroughTheAPI: on a sealed ledger, staff erase a signer through
// POST /api/v1/commands/ledger.erase with a reason and a legal basis. The
// erasure is recorded (ledger.data_erased, naming events and paths, never
// the person); the value is gone from the secrets store and both exports,
// and both exports still verify. An erasure without a reason, or of what
// is gone already, is refused and records nothing.
func TestEraseThroughTheAPI(t *testing.T) {
	priv, pub := keygen(t)
	dir := t.TempDir()
	path, secretsPath := seedSealedStore(t, dir, priv)
	store, secretsURL := "file:"+path, "file:"+secretsPath
	secretFile := filepath.Join(dir, "pseudonym.key")
	os.WriteFile(secretFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	staff, _, err := runCapture(t, "tokens", "create", "--store", store, "--role", "pdis", "--actor", "staff-1")
	if err != nil {
		t.Fatal(err)
	}
	staff = strings.TrimSpace(staff)

	t.Run("serve", func(t *testing.T) { // the server holds the store until this ends
		base := startServe(t, store, "--secrets", secretsURL, "--checkpoint-key", priv, "--secret-file", secretFile)
		post := func(body string) (int, string) {
			t.Helper()
			return callAPI(t, staff, http.MethodPost, base+"/api/v1/commands/ledger.erase", body)
		}
		if code, body := post(`{"person":"signer-007","legalBasis":"個人資料保護法第11條第3項"}`); code != http.StatusUnprocessableEntity || !strings.Contains(body, domain.RuleEraseReasonRequired) {
			t.Fatalf("no reason: %d %s", code, body)
		}
		code, body := post(`{"person":"signer-007","reason":"當事人請求刪除","legalBasis":"個人資料保護法第11條第3項"}`)
		if code != http.StatusCreated || !strings.Contains(body, "ledger.data_erased") || strings.Contains(body, "signer-007") {
			t.Fatalf("erase: %d %s", code, body)
		}
		if code, body := post(`{"person":"signer-007","reason":"again","legalBasis":"x"}`); code != http.StatusNotFound || !strings.Contains(body, domain.RuleEraseTargetNotFound) {
			t.Fatalf("erase again: %d %s", code, body)
		}
	})

	public, auditor := filepath.Join(dir, "public.jsonl"), filepath.Join(dir, "auditor.jsonl")
	for _, args := range [][]string{{"--out", public}, {"--auditor", "--secrets", secretsURL, "--out", auditor}} {
		if out, err := runOut(append([]string{"export", "--store", store}, args...)...); err != nil {
			t.Fatalf("export %q: %v\n%s", args, err, out)
		}
	}
	pubBytes, _ := os.ReadFile(public)
	audBytes, _ := os.ReadFile(auditor)
	if bytes.Contains(pubBytes, []byte("signer-007")) || bytes.Contains(audBytes, []byte("signer-007")) || !bytes.Contains(audBytes, []byte("signer-008")) {
		t.Fatal("an export holds the erased value, or the auditor export lost the others")
	}
	if !bytes.Contains(pubBytes, []byte(`"type":"ledger.data_erased"`)) || !bytes.Contains(pubBytes, []byte("當事人請求刪除")) {
		t.Fatalf("the public export lacks the erasure record")
	}
	if out, err := runOut("verify", "--export", public, "--key", pub); err != nil || !strings.Contains(out, "verified export") {
		t.Fatalf("verify the public export after the erasure: %v\n%s", err, out)
	}
	if out, err := runOut("verify", "--export", auditor, "--key", pub); err != nil || !strings.Contains(out, "2 have no value") {
		t.Fatalf("verify the auditor export after the erasure: %v\n%s", err, out)
	}
	secrets, err := sealedbolt.Open(secretsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer secrets.Close()
	if left, err := secrets.FindPerson(t.Context(), []byte(`"signer-007"`)); err != nil || len(left) != 0 {
		t.Fatalf("the secrets store still keeps signer-007: %v %v", left, err)
	}
}

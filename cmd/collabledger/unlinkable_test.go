package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/domain"
)

// TestPublicExportUnlinkable: on a sealed ledger served as in production,
// one citizen (by a token the server made from their identity) signs two
// proposals. The public export verifies end to end, never holds the
// citizen's pseudonym (nor does the token's event), and the two signature
// events share no value that could link them: each signature's public
// identifier (its signature ID) is scoped to its proposal, and every
// personal field, the actor included, is a commitment with its own salt.
func TestPublicExportUnlinkable(t *testing.T) {
	priv, pub := keygen(t)
	dir := t.TempDir()
	path, secretsPath := seedSealedStore(t, dir, priv)
	store, secretsURL := "file:"+path, "file:"+secretsPath
	secretFile := filepath.Join(dir, "pseudonym.key")
	secret := strings.Repeat("cd", 32)
	os.WriteFile(secretFile, []byte(secret+"\n"), 0o600)
	staff, _, err := runCapture(t, "tokens", "create", "--store", store, "--role", "pdis", "--actor", "staff-1")
	if err != nil {
		t.Fatal(err)
	}
	staff = strings.TrimSpace(staff)

	var pseudonym string
	t.Run("serve", func(t *testing.T) {
		base := startServe(t, store, "--secrets", secretsURL, "--checkpoint-key", priv, "--secret-file", secretFile)
		call := func(token, method, route, body string, want int) map[string]any {
			t.Helper()
			code, got := callAPI(t, token, method, base+route, body)
			if code != want {
				t.Fatalf("%s %s: %d %s", method, route, code, got)
			}
			var out map[string]any
			json.Unmarshal([]byte(got), &out)
			return out
		}
		cmd := func(token, name, body string) {
			call(token, http.MethodPost, "/api/v1/commands/"+name, body, http.StatusCreated)
		}
		cmd(staff, domain.CmdRegisterMinistry, `{"ministryId":"moi","name":"內政部"}`)
		proposer := call(staff, http.MethodPost, "/api/v1/admin/tokens", `{"role":"proposer","identity":"F123456789"}`, http.StatusCreated)["token"].(string)
		citizen := call(staff, http.MethodPost, "/api/v1/admin/tokens", `{"role":"citizen","identity":"A123456789"}`, http.StatusCreated)
		pseudonym = citizen["actorId"].(string)
		for _, p := range []string{"p-1", "p-2"} {
			cmd(proposer, domain.CmdSubmitProposal, `{"proposalId":"`+p+`","title":"提案`+p+`","summary":"摘要"}`)
			cmd(staff, domain.CmdPublishProposal, `{"proposalId":"`+p+`","competentMinistry":"moi"}`)
			cmd(citizen["token"].(string), domain.CmdSignProposal, `{"proposalId":"`+p+`","county":"臺北市"}`)
		}
	})
	if !domain.SignerID(pseudonym).Valid() {
		t.Fatalf("the citizen's token names %q, not a pseudonym", pseudonym)
	}

	public := filepath.Join(dir, "public.jsonl")
	if out, err := runOut("export", "--store", store, "--out", public); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if out, err := runOut("verify", "--export", public, "--key", pub); err != nil || !strings.Contains(out, "verified export") {
		t.Fatalf("verify the public export: %v\n%s", err, out)
	}
	raw, _ := os.ReadFile(public)
	if bytes.Contains(raw, []byte(pseudonym)) {
		t.Fatal("the public export holds the citizen's pseudonym")
	}
	var signed []map[string]any
	tokenSealed := false
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		data, _ := line["data"].(map[string]any)
		switch line["type"] {
		case "proposal.signed":
			if p := data["proposalId"]; p == "p-1" || p == "p-2" {
				signed = append(signed, line)
			}
		case "token.issued":
			if data["role"] == "citizen" {
				id, _ := data["actorId"].(string)
				tokenSealed = strings.HasPrefix(id, "sha256:")
			}
		}
	}
	if !tokenSealed {
		t.Error("the citizen's token.issued event does not seal its actor ID")
	}
	if len(signed) != 2 {
		t.Fatalf("%d signatures of p-1 and p-2 in the export", len(signed))
	}
	// Every string either signature holds, envelope and data; the values
	// that are the same for any signature (the envelope's constants, its type, role, county, the
	// sealed paths' names) aside, nothing may appear in both.
	common := map[string]bool{"1.0": true, "application/json": true, "collab-ledger": true, "proposal.signed": true, "citizen": true, "臺北市": true, "signer": true, "$metadata.actorId": true}
	seen := map[string]bool{}
	leaves(signed[0], func(s string) { seen[s] = true })
	leaves(signed[1], func(s string) {
		if seen[s] && !common[s] && !strings.HasPrefix(s, "2026-") {
			t.Errorf("both signatures hold %q: they can be linked", s)
		}
	})
	if signed[0]["data"].(map[string]any)["signatureId"] == signed[1]["data"].(map[string]any)["signatureId"] {
		t.Error("one signature ID for two proposals")
	}
}

// leaves calls fn with every string value in v (not the keys).
func leaves(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		fn(x)
	case map[string]any:
		for _, e := range x {
			leaves(e, fn)
		}
	case []any:
		for _, e := range x {
			leaves(e, fn)
		}
	}
}

// callAPI sends a JSON body with a bearer token and returns the answer's
// status and body.
func callAPI(t *testing.T, token, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return res.StatusCode, b.String()
}

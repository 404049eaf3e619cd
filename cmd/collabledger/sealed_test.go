package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/sealed"
	sealedbolt "github.com/pdis/collab-ledger/eventstore/sealed/bbolt"
)

// TestSealedExports: a ledger whose signers are sealed exports two ways.
// The public export holds commitments only and verifies end to end (every
// content hash, the tree, the checkpoints); the auditor export carries the
// values and salts, and verify opens every commitment with them. After an
// erasure both still verify and the value is gone from the store and the
// exports; a value or a commitment changed in an export is named.
func TestSealedExports(t *testing.T) {
	ctx := context.Background()
	priv, pub := keygen(t)
	dir := t.TempDir()
	path, secretsPath := seedSealedStore(t, dir, priv)
	store, secretsURL := "file:"+path, "file:"+secretsPath

	if out, err := runOut("verify", "--store", store, "--key", pub); err != nil || !strings.Contains(out, "45 events") {
		t.Fatalf("verify the sealed store: %v\n%s", err, out)
	}
	public, auditor := filepath.Join(dir, "public.jsonl"), filepath.Join(dir, "auditor.jsonl")
	export := func(args ...string) []byte {
		t.Helper()
		if out, err := runOut(append([]string{"export", "--store", store}, args...)...); err != nil {
			t.Fatalf("export %q: %v\n%s", args, err, out)
		}
		b, err := os.ReadFile(args[len(args)-1])
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pubBytes := export("--out", public)
	if bytes.Contains(pubBytes, []byte("signer-0")) || !bytes.Contains(pubBytes, []byte(`"signer":"sha256:`)) || !bytes.Contains(pubBytes, []byte(`"actorid":"sha256:`)) {
		t.Fatalf("the public export holds a signer, or no commitment of a signer or an actor")
	}
	out, err := runOut("verify", "--export", public, "--key", pub)
	if err != nil || !strings.Contains(out, "verified export") || !strings.Contains(out, "43 events hold commitments; 0 values open them") {
		t.Fatalf("verify the public export: %v\n%s", err, out)
	}
	if _, err := runOut("export", "--store", store, "--auditor", "--out", auditor); exitCode(err) != 2 {
		t.Fatalf("--auditor without --secrets: %v", err)
	}
	audBytes := export("--auditor", "--secrets", secretsURL, "--out", auditor)
	if !bytes.Contains(audBytes, []byte(`"value":"signer-007"`)) {
		t.Fatalf("the auditor export lacks the values:\n%.600s", audBytes)
	}
	out, err = runOut("verify", "--export", auditor, "--key", pub)
	if err != nil || !strings.Contains(out, "43 events hold commitments; 86 values open them (auditor export), 0 have no value") {
		t.Fatalf("verify the auditor export: %v\n%s", err, out)
	}

	// A value changed in the auditor export: named by line, event and field.
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, bytes.Replace(audBytes, []byte(`"value":"signer-007"`), []byte(`"value":"signer-999"`), -1), 0o644)
	out, err = runOut("verify", "--export", bad, "--key", pub)
	if exitCode(err) != 1 || !strings.Contains(out, "NOT VERIFIED") || !strings.Contains(out, "position 8 (export line 8): content changed") || !strings.Contains(out, "field signer: value does not match its commitment") {
		t.Fatalf("a changed value: %v\n%s", err, out)
	}
	// A commitment changed: the content hash catches it first, with its
	// position.
	var line struct {
		Data struct {
			Signer string `json:"signer"`
		} `json:"data"`
	}
	json.Unmarshal(bytes.Split(pubBytes, []byte("\n"))[7], &line)
	c := line.Data.Signer
	flipped := c[:len(c)-1] + map[bool]string{true: "0", false: "1"}[c[len(c)-1] != '0']
	os.WriteFile(bad, bytes.Replace(pubBytes, []byte(c), []byte(flipped), 1), 0o644)
	if _, err := runOut("verify", "--export", bad, "--key", pub); exitCode(err) != 1 || !strings.Contains(err.Error(), "position 8 (export line 8): content changed") {
		t.Fatalf("a changed commitment: %v", err)
	}

	// Erase signer-007: gone from the secrets store and from a new auditor
	// export; both exports still verify, with one field without a value.
	secrets, err := sealedbolt.Open(secretsPath)
	if err != nil {
		t.Fatal(err)
	}
	erased, err := secrets.FindPerson(ctx, []byte(`"signer-007"`))
	for id, paths := range erased {
		if _, err := secrets.Erase(ctx, id, paths...); err != nil {
			t.Fatal(err)
		}
	}
	secrets.Close()
	if err != nil || len(erased) != 1 { // its signer and its actor
		t.Fatalf("erase: %v %v", erased, err)
	}
	for id := range erased {
		if id == uuid.Nil {
			t.Fatal("nil event")
		}
	}
	audBytes = export("--auditor", "--secrets", secretsURL, "--out", auditor)
	if bytes.Contains(audBytes, []byte("signer-007")) || !bytes.Contains(audBytes, []byte("signer-008")) {
		t.Fatal("the auditor export after the erasure")
	}
	out, err = runOut("verify", "--export", auditor, "--key", pub)
	if err != nil || !strings.Contains(out, "43 events hold commitments; 84 values open them (auditor export), 2 have no value") {
		t.Fatalf("verify the auditor export after the erasure: %v\n%s", err, out)
	}
	if out, err := runOut("verify", "--store", store, "--key", pub); err != nil || !strings.Contains(out, "2 signed checkpoints match") {
		t.Fatalf("verify the store after the erasure: %v\n%s", err, out)
	}
}

// seedSealedStore seeds an embedded store in dir through a sealed log, its
// secrets in a companion bbolt file, and returns both files' paths.
func seedSealedStore(t *testing.T, dir, priv string) (path, secretsPath string) {
	t.Helper()
	path = filepath.Join(dir, "ledger.db")
	secretsPath = path + ".secrets"
	var seeded *sealedbolt.Store
	seedStoreWith(t, path, priv, func(store eventstore.Store) eventstore.Store {
		var err error
		if seeded, err = sealedbolt.Open(secretsPath); err != nil {
			t.Fatal(err)
		}
		return sealed.NewLog(store, seeded, sealed.Policy{Fields: domain.PrivateFields, Actor: domain.IsPseudonymousRole})
	})
	seeded.Close()
	return path, secretsPath
}

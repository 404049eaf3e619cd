package demo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/demo"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/sealed"
	sealedbolt "github.com/pdis/collab-ledger/eventstore/sealed/bbolt"
)

// readAll reads the whole log of store.
func readAll(t *testing.T, store eventstore.Store) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	for after := eventstore.Position(0); ; {
		batch, err := store.ReadAll(context.Background(), after, 4096)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			return out
		}
		out = append(out, batch...)
		after = batch[len(batch)-1].Position
	}
}

// TestDemoSealed records the whole demo (every kind of event) through a
// sealed log: the command side, its aggregates (signature dedupe on the
// pseudonym) and the reads see the same events as without sealing, while
// the stored log holds only commitments of the personal and confidential
// fields; every content hash verifies, every kept secret opens its
// commitment, and erasing a person removes their values without changing a
// stored byte.
func TestDemoSealed(t *testing.T) {
	ctx := context.Background()
	plainStore, plainLedger := openLedger(t)
	if _, err := demo.Load(ctx, plainLedger, demo.Options{Store: plainStore, Now: now}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	inner, err := eventstore.Open(ctx, "file:"+filepath.Join(dir, "ledger.db"), eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	secrets, err := sealedbolt.Open(filepath.Join(dir, "ledger.db.secrets"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { secrets.Close() })
	log := sealed.NewLog(inner, secrets, sealed.Policy{Fields: domain.PrivateFields, Actor: domain.IsPseudonymousRole})
	l, err := app.NewLedger(log, app.LedgerConfig{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if _, err := demo.Load(ctx, l, demo.Options{Store: log, Now: now}); err != nil {
		t.Fatal(err)
	}

	plain, opened, raw := readAll(t, plainStore), readAll(t, log), readAll(t, inner)
	if len(plain) != len(opened) || len(raw) != len(opened) {
		t.Fatalf("%d plain events, %d opened, %d raw", len(plain), len(opened), len(raw))
	}
	sealedCount, signer, actors := 0, "", 0
	for i := range plain {
		p, o, r := plain[i], opened[i], raw[i]
		if p.Stream != o.Stream || p.Version != o.Version || p.Type != o.Type || !bytes.Equal(withoutSigner(t, p.Data), withoutSigner(t, o.Data)) {
			t.Fatalf("event %d: opened %s/%d %s %s, want %s/%d %s %s", i, o.Stream, o.Version, o.Type, o.Data, p.Stream, p.Version, p.Type, p.Data)
		}
		if err := r.Verify(); err != nil {
			t.Fatalf("raw event %d: %v", i, err)
		}
		if o.Hash != r.Hash {
			t.Fatalf("event %d: opened hash differs from the stored one", i)
		}
		if domain.IsPseudonymousRole(o.Metadata.ActorRole) && o.Metadata.ActorID != "" {
			// A citizen's pseudonym appears nowhere in the stored event, so
			// the public log links none of their acts across proposals.
			if !sealed.IsErased(r.Metadata.ActorID) || bytes.Contains(r.Data, []byte(o.Metadata.ActorID)) {
				t.Fatalf("event %d (%s): stored actor %q, data %s: the pseudonym is not sealed", i, r.Type, r.Metadata.ActorID, r.Data)
			}
			actors++
		} else if r.Metadata.ActorID != o.Metadata.ActorID {
			t.Fatalf("event %d: the actor of role %q was changed", i, o.Metadata.ActorRole)
		}
		if len(domain.PrivateFields(r.Type)) == 0 {
			if !bytes.Equal(r.Data, o.Data) {
				t.Fatalf("event %d (%s) has no private field but was changed: %s", i, r.Type, r.Data)
			}
			continue
		}
		cs, err := sealed.Commitments(r.Data)
		if err != nil {
			t.Fatalf("event %d (%s): %v", i, r.Type, err)
		}
		if len(cs) == 0 { // its private fields are absent (a speaker without an account)
			if !bytes.Equal(r.Data, o.Data) {
				t.Fatalf("event %d (%s) is neither sealed nor as recorded: %s", i, r.Type, r.Data)
			}
			continue
		}
		sealedCount++
		m, err := secrets.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		kept := m[r.ID]
		if err := sealed.VerifyEvent(r, kept); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		for _, s := range kept {
			if len(s.Value) > 12 && bytes.Contains(r.Data, bytes.Trim(s.Value, `"`)) {
				t.Fatalf("event %d (%s): stored data holds the value of %s: %s", i, r.Type, s.Path, r.Data)
			}
		}
		if r.Type == "proposal.signed" && signer == "" {
			var d struct{ Signer string }
			_ = json.Unmarshal(o.Data, &d)
			signer = d.Signer
		}
	}
	if sealedCount < 1000 || signer == "" || actors < 1000 {
		t.Fatalf("only %d sealed events, %d sealed actors (signer %q)", sealedCount, actors, signer)
	}

	// Erase one signer: their values go from the secrets store; the log,
	// and so every hash, proof and checkpoint, is untouched.
	value, _ := json.Marshal(signer)
	erased, err := secrets.FindPerson(ctx, value)
	if err != nil || len(erased) == 0 {
		t.Fatalf("find %s: %v, %v", signer, erased, err)
	}
	for id, paths := range erased {
		if _, err := secrets.Erase(ctx, id, paths...); err != nil {
			t.Fatal(err)
		}
	}
	after := readAll(t, inner)
	for i := range raw {
		if raw[i].Hash != after[i].Hash || !bytes.Equal(raw[i].Data, after[i].Data) {
			t.Fatalf("event %d changed in the log after an erasure", i)
		}
	}
	reopened := readAll(t, log)
	for i, ev := range reopened {
		if _, ok := erased[ev.ID]; !ok {
			if !bytes.Equal(ev.Data, opened[i].Data) {
				t.Fatalf("event %d changed though nothing of it was erased", i)
			}
			continue
		}
		if strings.Contains(string(ev.Data), signer) {
			t.Fatalf("event %d still shows the erased signer: %s", i, ev.Data)
		}
		if !strings.Contains(string(ev.Data), sealed.Prefix) {
			t.Fatalf("event %d: the erased field lost its commitment: %s", i, ev.Data)
		}
		if _, err := domain.Decode(ev.Type, ev.SchemaVersion, ev.Data); err != nil {
			t.Fatalf("event %d no longer decodes after the erasure: %v", i, err)
		}
		m, _ := secrets.Get(ctx, ev.ID)
		if slices.ContainsFunc(m[ev.ID], func(s sealed.Secret) bool { return bytes.Equal(s.Value, value) }) {
			t.Fatalf("event %d: the secret store still holds the signer", i)
		}
	}
}

// withoutSigner returns data without the fields a demo run draws at random
// (signers' pseudonyms and the signature IDs made from them).
func withoutSigner(t *testing.T, data []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "signer")
	delete(m, "signatureId")
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

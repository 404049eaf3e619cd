package transparency

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pdis/collab-ledger/eventstore"
)

func TestCheckpointFormat(t *testing.T) {
	root := tlog.RecordHash([]byte("x"))
	body := CheckpointBody(DefaultOrigin, 1234, root)
	want := "collab-ledger.pdis.tw/log\n1234\n" + root.String() + "\n"
	if body != want {
		t.Fatalf("body %q, want %q", body, want)
	}
	o, n, r, err := ParseCheckpointBody(body + "extension line\n")
	if err != nil || o != DefaultOrigin || n != 1234 || r != root {
		t.Fatalf("parse: %q %d %v %v", o, n, r, err)
	}
	for _, bad := range []string{"", "o\n", "o\n12\n", "o\n012\n" + root.String() + "\n", "o\n-1\n" + root.String() + "\n", "o\n1\nnotbase64\n", "\n1\n" + root.String() + "\n"} {
		if _, _, _, err := ParseCheckpointBody(bad); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestCheckpointSignatures(t *testing.T) {
	k := newKeys(t, DefaultOrigin)
	other := newKeys(t, DefaultOrigin) // same name, another key: a forgery
	root := tlog.RecordHash([]byte("x"))
	cp, err := SignCheckpoint(k.signer, DefaultOrigin, 7, root)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(cp.Note, []byte(CheckpointBody(DefaultOrigin, 7, root)+"\n— "+DefaultOrigin+" ")) {
		t.Fatalf("signed note:\n%s", cp.Note)
	}
	got, err := OpenCheckpoint(cp.Note, k.verifiers, DefaultOrigin)
	if err != nil || got.Size != 7 || got.Root != root || got.Origin != DefaultOrigin {
		t.Fatalf("open: %+v %v", got, err)
	}
	forged, err := SignCheckpoint(other.signer, DefaultOrigin, 7, root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenCheckpoint(forged.Note, k.verifiers, DefaultOrigin); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("forged: %v", err)
	}
	altered := bytes.Replace(cp.Note, []byte("\n7\n"), []byte("\n8\n"), 1)
	if _, err := OpenCheckpoint(altered, k.verifiers, DefaultOrigin); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("altered size: %v", err)
	}
	if _, err := OpenCheckpoint(cp.Note, k.verifiers, "another.example/log"); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("wrong origin: %v", err)
	}
	if _, err := OpenCheckpoint([]byte("garbage"), k.verifiers, ""); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("garbage: %v", err)
	}

	// The event: deterministic ID, data as documented, read back.
	ed, err := CheckpointEvent(cp)
	if err != nil {
		t.Fatal(err)
	}
	ed2, _ := CheckpointEvent(cp)
	if ed.ID != ed2.ID || ed.Type != CheckpointType {
		t.Fatalf("checkpoint event IDs differ or wrong type: %v %v %s", ed.ID, ed2.ID, ed.Type)
	}
	if !strings.Contains(string(ed.Data), `"size":7`) || !strings.Contains(string(ed.Data), `"rootHash":"`+eventstore.Hash(root).String()+`"`) {
		t.Fatalf("data %s", ed.Data)
	}
	canon, _ := eventstore.CanonicalJSON(ed.Data)
	ed.Data = canon
	ev := eventstore.Seal(CheckpointStream, 1, cp0time, []eventstore.EventData{ed})[0]
	ev.Position = 8
	back, err := ReadCheckpointEvent(&ev, k.verifiers, DefaultOrigin)
	if err != nil || back.Size != 7 || back.Root != root || back.Position != 8 {
		t.Fatalf("read back: %+v %v", back, err)
	}
	if _, err := ReadCheckpointEvent(&ev, other.verifiers, DefaultOrigin); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("read back with another key: %v", err)
	}
	// Data that disagrees with its note.
	ev.Data = bytes.Replace(ev.Data, []byte(`"size":7`), []byte(`"size":6`), 1)
	if _, err := ReadCheckpointEvent(&ev, k.verifiers, DefaultOrigin); !errors.Is(err, ErrContentChanged) {
		t.Fatalf("data disagreeing with its note: %v", err)
	}
	if v, err := VerifierKey(k.skey); err != nil || v != k.vkey {
		t.Fatalf("verifier key derived from the signer key: %q %v, want %q", v, err, k.vkey)
	}
	for _, bad := range []string{"", k.vkey, "PRIVATE+KEY+x+00000000+AAAA", strings.Replace(k.skey, "+", "+x", 3)} {
		if _, err := VerifierKey(bad); err == nil {
			t.Errorf("VerifierKey(%q) passed", bad)
		}
	}
	if _, err := NewVerifiers(); err == nil {
		t.Fatal("no keys accepted")
	}
	if _, err := NewVerifiers("not a key"); err == nil {
		t.Fatal("a bad key accepted")
	}
}

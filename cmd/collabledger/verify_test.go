package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/transparency"
	"github.com/pdis/collab-ledger/web"
)

// keygen runs `collabledger keygen` into a fresh folder.
func keygen(t *testing.T) (priv, pub string) {
	t.Helper()
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"keygen", "--out", dir}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, signerKeyFile), filepath.Join(dir, verifierKeyFile)
}

// keyName is the name of the key in a key file: the log's origin.
func keyName(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return transparency.KeyName(string(b))
}

func TestKeygen(t *testing.T) {
	priv, pub := keygen(t)
	for _, c := range []struct {
		path string
		mode os.FileMode
		pre  string
	}{{priv, 0o600, "PRIVATE+KEY+" + transparency.DefaultDeployment + "/"}, {pub, 0o644, transparency.DefaultDeployment + "/"}} {
		st, err := os.Stat(c.path)
		if err != nil || st.Mode().Perm() != c.mode {
			t.Fatalf("%s: %v %v, want mode %v", c.path, st.Mode(), err, c.mode)
		}
		b, _ := os.ReadFile(c.path)
		if !strings.HasPrefix(string(b), c.pre) {
			t.Fatalf("%s holds %q", c.path, b)
		}
	}
	if _, _, err := transparency.ReadSignerFile(priv); err != nil {
		t.Fatal(err)
	}
	if _, err := transparency.ReadVerifierFiles(pub); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(priv)
	before, _ := os.ReadFile(priv)
	if err := run(context.Background(), []string{"keygen", "--out", dir}, io.Discard, io.Discard); err == nil {
		t.Fatal("keygen overwrote a key")
	}
	if after, _ := os.ReadFile(priv); !bytes.Equal(before, after) {
		t.Fatal("the refused keygen changed the key")
	}
	if err := run(context.Background(), []string{"keygen", "--out", dir, "--force", "--name", "test.example/log"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(pub); !strings.HasPrefix(string(b), "test.example/log+") {
		t.Fatalf("--name: %q", b)
	}
}

// seedStore fills an embedded store as the server would: 20 events, a
// checkpoint (size 20, position 21), 20 more, a checkpoint (size 41,
// position 42), 3 more (45 events). It returns the first checkpoint's note.
func seedStore(t *testing.T, path, priv string) []byte {
	t.Helper()
	return seedStoreWith(t, path, priv, nil)
}

// seedStoreWith is seedStore with the events appended through wrap(store)
// (a sealed log) when wrap is not nil: then they are signatures, whose
// signer is personal.
func seedStoreWith(t *testing.T, path, priv string, wrap func(eventstore.Store) eventstore.Store) []byte {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var tick int64
	store, err := bbolt.Open(ctx, bbolt.Config{Path: path, Config: eventstore.Config{Now: func() time.Time {
		tick++
		return time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC).Add(time.Duration(tick) * time.Millisecond)
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	signer, _, err := transparency.ReadSignerFile(priv)
	if err != nil {
		t.Fatal(err)
	}
	l, err := transparency.Open(ctx, transparency.Config{Origin: signer.Name(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { l.Follow(ctx, store); close(done) }()
	pub, err := transparency.NewPublisher(transparency.PublisherConfig{Log: l, Store: store, Signer: signer, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	appender := eventstore.Store(store)
	if wrap != nil {
		appender = wrap(store)
	}
	add := func(k int) {
		for range k {
			ev, _ := eventstore.NewEventData("meeting.note_added", 1, map[string]any{"n": n, "text": "壓力有點大"}, eventstore.Metadata{ActorRole: "host"})
			if wrap != nil {
				ev, _ = eventstore.NewEventData("proposal.signed", 1, map[string]any{"n": n, "proposalId": "p1", "signer": fmt.Sprintf("signer-%03d", n)}, eventstore.Metadata{ActorRole: "citizen", ActorID: fmt.Sprintf("signer-%03d", n)})
			}
			if _, err := appender.Append(ctx, "meeting-"+string(rune('a'+n%3)), eventstore.Any, ev); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	var first []byte
	for _, k := range []int{20, 20} {
		add(k)
		cp, ok, err := pub.Publish(ctx)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if first == nil {
			first = cp.Note
		}
		if err := l.WaitFor(ctx, cp.Position); err != nil {
			t.Fatal(err)
		}
	}
	add(3)
	cancel()
	<-done
	return first
}

func runOut(args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), args, &out, &out)
	return out.String(), err
}

func TestVerifyCommand(t *testing.T) {
	priv, pub := keygen(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	firstNote := seedStore(t, path, priv)
	store := "file:" + path
	saved := filepath.Join(dir, "checkpoint-20.txt")
	if err := os.WriteFile(saved, firstNote, 0o644); err != nil {
		t.Fatal(err)
	}

	out, err := runOut("verify", "--store", store, "--key", pub, "--checkpoint", saved)
	if err != nil || !strings.Contains(out, "45 events") || !strings.Contains(out, "3 signed checkpoints match") || !strings.Contains(out, "latest checkpoint: 41 leaves") {
		t.Fatalf("verify the store: %v\n%s", err, out)
	}
	exp := filepath.Join(dir, "ledger.jsonl")
	if _, err := runOut("export", "--store", store, "--out", exp); err != nil {
		t.Fatal(err)
	}
	if out, err := runOut("verify", "--export", exp, "--key", pub); err != nil || !strings.Contains(out, "verified export") {
		t.Fatalf("verify the export: %v\n%s", err, out)
	}
	out, err = runOut("verify", "--export", exp, "--key", pub, "--position", "7")
	if err != nil || !strings.Contains(out, "is leaf 6 of the signed checkpoint of 41 leaves") {
		t.Fatalf("--position: %v\n%s", err, out)
	}
	out, err = runOut("verify", "--export", exp, "--key", pub, "--position", "43")
	if !errors.Is(err, transparency.ErrNotCheckpointed) || exitCode(err) != 1 {
		t.Fatalf("--position after the latest checkpoint: %v\n%s", err, out)
	}
	out, err = runOut("verify", "--export", exp, "--key", pub, "--consistency", saved, "41")
	if err != nil || !strings.Contains(out, "the tree of 20 leaves (signed, "+saved+") is a prefix of the tree of 41 leaves (signed, checkpoint at position 42)") {
		t.Fatalf("--consistency: %v\n%s", err, out)
	}

	// Usage errors exit 2.
	for _, args := range [][]string{{"verify", "--export", exp}, {"verify", "--export", exp, "--key", pub, "--consistency", "1"},
		{"verify", "--export", exp, "--key", pub, "--event", "x"}, {"verify", "--export", exp, "--key", pub, "extra"}} {
		if _, err := runOut(args...); exitCode(err) != 2 {
			t.Fatalf("%q: %v, want a usage error", args, err)
		}
	}

	// Another key: every checkpoint's signature is invalid.
	_, otherPub := keygen(t)
	out, err = runOut("verify", "--export", exp, "--key", otherPub)
	if !errors.Is(err, transparency.ErrSignatureInvalid) || exitCode(err) != 1 || !strings.Contains(err.Error(), "position 21 (export line 21): signature invalid: checkpoint event") {
		t.Fatalf("verify with another key: %v\n%s", err, out)
	}
	// A forged checkpoint given.
	otherPriv, _ := keygen(t)
	signer, _, _ := transparency.ReadSignerFile(otherPriv)
	forged, _ := transparency.SignCheckpoint(signer, signer.Name(), 20, [32]byte{})
	forgedFile := filepath.Join(dir, "forged.txt")
	os.WriteFile(forgedFile, forged.Note, 0o644)
	if _, err := runOut("verify", "--export", exp, "--key", pub, "--checkpoint", forgedFile); !errors.Is(err, transparency.ErrSignatureInvalid) {
		t.Fatalf("a forged checkpoint given: %v", err)
	}

	// One byte of one stored event changed: named, with its position.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("events"))
		k := binary.BigEndian.AppendUint64(nil, 9)
		v := bytes.Clone(b.Get(k))
		i := bytes.Index(v, []byte(`"n":8`))
		v[i+4] = '9'
		return b.Put(k, v)
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, err = runOut("verify", "--store", store, "--key", pub)
	if !errors.Is(err, transparency.ErrContentChanged) || exitCode(err) != 1 || !strings.Contains(err.Error(), "position 9: content changed") || !strings.Contains(out, "NOT VERIFIED") {
		t.Fatalf("verify a changed store: %v\n%s", err, out)
	}
}

// TestVerifyServer checks single proofs from a server's API with the
// public key only.
func TestVerifyServer(t *testing.T) {
	priv, pub := keygen(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.db")
	firstNote := seedStore(t, path, priv)
	saved := filepath.Join(dir, "old.txt")
	os.WriteFile(saved, firstNote, 0o644)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := bbolt.Open(ctx, bbolt.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	l, err := transparency.Open(ctx, transparency.Config{Origin: keyName(t, pub), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	go l.Follow(ctx, store)
	if err := l.WaitFor(ctx, 45); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	web.RegisterProofs(mux, l, nil)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	evs, err := store.ReadAll(ctx, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	ev := evs[0]

	out, err := runOut("verify", "--server", srv.URL, "--key", pub, "--event", ev.ID.String(), "--hash", ev.Hash.String())
	if err != nil || !strings.Contains(out, "is leaf 4 of the checkpoint of 41 leaves signed by "+keyName(t, pub)) {
		t.Fatalf("--server --event: %v\n%s", err, out)
	}
	wrong := ev.Hash
	wrong[0] ^= 1
	if _, err := runOut("verify", "--server", srv.URL, "--key", pub, "--position", "5", "--hash", wrong.String()); !errors.Is(err, transparency.ErrContentChanged) {
		t.Fatalf("--hash of another content: %v", err)
	}
	out, err = runOut("verify", "--server", srv.URL, "--key", pub, "--consistency", saved, "latest")
	if err != nil || !strings.Contains(out, "checkpoint of 20 leaves is a prefix of the signed checkpoint of 41 leaves") {
		t.Fatalf("--server --consistency: %v\n%s", err, out)
	}
	_, otherPub := keygen(t)
	if _, err := runOut("verify", "--server", srv.URL, "--key", otherPub, "--event", ev.ID.String()); !errors.Is(err, transparency.ErrSignatureInvalid) {
		t.Fatalf("--server with another key: %v", err)
	}
	if _, err := runOut("verify", "--server", srv.URL, "--key", pub, "--event", uuid.NewString()); err == nil || !strings.Contains(err.Error(), "unknown_event") {
		t.Fatalf("--server, unknown event: %v", err)
	}
}

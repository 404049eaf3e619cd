package main

import (
	"context"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/internal/lease"
	"github.com/pdis/collab-ledger/transparency"
)

// signedCheckpointEvent signs the checkpoint of the store's first size
// events with the key file priv, the tree recomputed from the store.
func signedCheckpointEvent(t *testing.T, store eventstore.Store, priv, pub string, size int64) eventstore.EventData {
	t.Helper()
	verifiers, err := transparency.ReadVerifierFiles(pub)
	if err != nil {
		t.Fatal(err)
	}
	r, err := transparency.VerifyStore(context.Background(), store, transparency.VerifyConfig{Verifiers: verifiers, Origin: keyName(t, pub)})
	if err != nil {
		t.Fatal(err)
	}
	root, err := r.Root(size)
	if err != nil {
		t.Fatal(err)
	}
	signer, _, err := transparency.ReadSignerFile(priv)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := transparency.SignCheckpoint(signer, signer.Name(), size, root)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := transparency.CheckpointEvent(cp)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// serveKey is loadCheckpointKey for serve's flags with --checkpoint-key.
func serveKey(t *testing.T, key, storeURL string, interval time.Duration) (checkpointKey, transparencyFlags) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	f := addTransparencyFlags(fs)
	if err := fs.Parse([]string{"--checkpoint-key", key, "--checkpoint-interval", interval.String()}); err != nil {
		t.Fatal(err)
	}
	k, err := loadCheckpointKey(f, storeURL)
	if err != nil {
		t.Fatal(err)
	}
	return k, f
}

// TestCheckpointStreamGuarded: every command but serve opens the store
// with the checkpoint stream closed; serve's store takes only checkpoints
// signed with its key; and a forged checkpoint written around the guard is
// named by verify, which exits 1.
func TestCheckpointStreamGuarded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	priv, pub := keygen(t)
	otherPriv, otherPub := keygen(t)
	path := filepath.Join(t.TempDir(), "ledger.db")
	seedStore(t, path, priv) // 45 events, checkpoints at positions 21 and 42
	url := "file:" + path

	// Any other command: closed, even to the real key's checkpoint.
	s, err := openStore(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []eventstore.EventData{signedCheckpointEvent(t, s, priv, pub, 45), signedCheckpointEvent(t, s, otherPriv, otherPub, 45)} {
		_, err := s.Append(ctx, transparency.CheckpointStream, eventstore.Any, ev)
		if !errors.Is(err, eventstore.ErrStreamGuarded) || eventstore.Code(err) != "stream_guarded" || !strings.Contains(err.Error(), "holds no checkpoint key") {
			t.Fatalf("append a checkpoint outside serve: %v", err)
		}
	}
	if h, _ := s.Head(ctx); h != 45 {
		t.Fatalf("refused appends moved the head to %d", h)
	}
	s.Close()

	// serve's store: its own key's checkpoint passes, another key's and an
	// older size do not.
	key, _ := serveKey(t, priv, url, time.Minute)
	s, err = openGuardedStore(ctx, url, key.guard)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Append(ctx, transparency.CheckpointStream, eventstore.Any, signedCheckpointEvent(t, s, otherPriv, otherPub, 45))
	if !errors.Is(err, transparency.ErrSignatureInvalid) || eventstore.Code(err) != "stream_guarded" {
		t.Fatalf("serve's store took another key's checkpoint: %v", err)
	}
	if res, err := s.Append(ctx, transparency.CheckpointStream, eventstore.Any, signedCheckpointEvent(t, s, priv, pub, 45)); err != nil || res.Position != 46 {
		t.Fatalf("serve's store refused its own key's checkpoint: %+v %v", res, err)
	}
	_, err = s.Append(ctx, transparency.CheckpointStream, eventstore.Any, signedCheckpointEvent(t, s, priv, pub, 44))
	if !errors.Is(err, transparency.ErrBadCheckpoint) || eventstore.Code(err) != "stream_guarded" {
		t.Fatalf("serve's store took an older checkpoint: %v", err)
	}
	s.Close()
	if out, err := runOut("verify", "--store", url, "--key", pub); err != nil || !strings.Contains(out, "latest checkpoint: 45 leaves") {
		t.Fatalf("verify after the refusals: %v\n%s", err, out)
	}

	// Written around the guard (straight into the file): verify names it
	// and exits 1, it does not wait or stop early.
	raw, err := bbolt.Open(ctx, bbolt.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Append(ctx, transparency.CheckpointStream, eventstore.Any, signedCheckpointEvent(t, raw, otherPriv, otherPub, 46)); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	out, err := runOut("verify", "--store", url, "--key", pub)
	if !errors.Is(err, transparency.ErrSignatureInvalid) || exitCode(err) != 1 ||
		!strings.Contains(err.Error(), "position 47: signature invalid: checkpoint event") || !strings.Contains(out, "47 events read; NOT VERIFIED") {
		t.Fatalf("verify a forged checkpoint in the log: %v\n%s", err, out)
	}
}

// TestServePublishesThroughGuard runs serve's transparency side on a
// store opened as serve opens it: the publisher's checkpoints pass the
// guard, and the guard learns the latest from the tree.
func TestServePublishesThroughGuard(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	priv, _ := keygen(t)
	url := "file:" + filepath.Join(t.TempDir(), "ledger.db")
	key, flags := serveKey(t, priv, url, 20*time.Millisecond)
	s, err := openGuardedStore(ctx, url, key.guard)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 3 {
		ev, _ := eventstore.NewEventData("test.happened", 1, map[string]int{"n": i}, eventstore.Metadata{ActorID: "a"})
		if _, err := s.Append(ctx, "s", eventstore.Any, ev); err != nil {
			t.Fatal(err)
		}
	}
	tl, err := startTransparency(ctx, s, "memory", flags, key, lease.NewLocal(""))
	if err != nil {
		t.Fatal(err)
	}
	defer tl.stop()
	for {
		if cp, err := tl.log.Latest(ctx); err == nil && cp.Size == 3 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no checkpoint of 3 leaves published: %+v", tl.log.State())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if size, _, ok := key.guard.Latest(); !ok || size != 3 {
		t.Fatalf("the guard's latest: %d %v, want 3", size, ok)
	}
}

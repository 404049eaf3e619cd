package transparency

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/eventstore/postgres"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
)

// signedEvent is the checkpoint event of a tree of size leaves with root,
// signed by k for origin.
func signedEvent(t testing.TB, k testKeys, origin string, size int64, root tlog.Hash) eventstore.EventData {
	t.Helper()
	cp, err := SignCheckpoint(k.signer, origin, size, root)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := CheckpointEvent(cp)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// withData returns ev with its data replaced by d, marshalled.
func withData(t testing.TB, ev eventstore.EventData, d any) eventstore.EventData {
	t.Helper()
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	ev.Data = raw
	return ev
}

// forgeries are appends to CheckpointStream the guard must refuse, given
// the trusted keys k, when the latest checkpoint is of size latest with
// root latestRoot (a size the real key signed, so that only the checks
// named fail).
func forgeries(t testing.TB, k testKeys, latest int64, latestRoot tlog.Hash) []struct {
	name string
	evs  []eventstore.EventData
	kind error
	say  string
} {
	forger := newKeys(t, DefaultOrigin)
	elsewhere := newKeys(t, "elsewhere.example/log")
	good := signedEvent(t, k, DefaultOrigin, latest+5, tlog.Hash{5})
	var d CheckpointData
	if err := json.Unmarshal(good.Data, &d); err != nil {
		t.Fatal(err)
	}
	unsigned := d
	unsigned.Note, _, _ = strings.Cut(d.Note, "\n\n")
	unsigned.Note += "\n\n"
	lying := d
	lying.Size++
	extra := map[string]any{"origin": d.Origin, "size": d.Size, "rootHash": d.RootHash, "note": d.Note, "comment": "also signed?"}
	newID := good
	newID.ID = uuid.Must(uuid.NewV7())
	otherType := good
	otherType.Type = "ledger.note"
	schema2 := good
	schema2.SchemaVersion = 2
	plain, _ := eventstore.NewEventData("case.noted", 1, map[string]any{"note": "in the wrong stream"}, eventstore.Metadata{})
	return []struct {
		name string
		evs  []eventstore.EventData
		kind error
		say  string
	}{
		{"AnotherKey", []eventstore.EventData{signedEvent(t, forger, DefaultOrigin, latest+1, tlog.Hash{1})}, ErrSignatureInvalid, "no signature by a trusted key"},
		{"AnotherLog", []eventstore.EventData{signedEvent(t, elsewhere, "elsewhere.example/log", latest+1, tlog.Hash{1})}, ErrSignatureInvalid, "no signature by a trusted key"},
		{"Unsigned", []eventstore.EventData{withData(t, good, unsigned)}, ErrSignatureInvalid, "malformed note"},
		{"NoNote", []eventstore.EventData{withData(t, good, map[string]any{"size": latest + 1})}, ErrSignatureInvalid, "malformed note"},
		{"DataLiesAboutSize", []eventstore.EventData{withData(t, good, lying)}, ErrBadCheckpoint, "its signed note size"},
		{"UnsignedExtraField", []eventstore.EventData{withData(t, good, extra)}, ErrBadCheckpoint, "not exactly the signed checkpoint's"},
		{"NewID", []eventstore.EventData{newID}, ErrBadCheckpoint, "derived from its origin, size and root"},
		{"AnotherType", []eventstore.EventData{otherType}, ErrBadCheckpoint, "only ledger.checkpoint_published"},
		{"SchemaVersion2", []eventstore.EventData{schema2}, ErrBadCheckpoint, "schema version 2"},
		{"NotACheckpoint", []eventstore.EventData{plain}, ErrBadCheckpoint, "type case.noted"},
		{"SizeBackwards", []eventstore.EventData{signedEvent(t, k, DefaultOrigin, latest-1, tlog.Hash{2})}, ErrBadCheckpoint, "never go backwards"},
		{"SameSizeOtherRoot", []eventstore.EventData{signedEvent(t, k, DefaultOrigin, latest, tlog.Hash{3})}, ErrBadCheckpoint, "the checkpoint already published signed"},
		{"GoodThenForged", []eventstore.EventData{good, signedEvent(t, forger, DefaultOrigin, latest+6, tlog.Hash{1})}, ErrSignatureInvalid, "event 1"},
		{"BackwardsWithinAppend", []eventstore.EventData{good, signedEvent(t, k, DefaultOrigin, latest+4, tlog.Hash{4})}, ErrBadCheckpoint,
			fmt.Sprintf("tree size %d after the checkpoint of %d leaves", latest+4, latest+5)},
	}
}

// expectRefused checks a guard's refusal: the store's code, the guard's
// kind and what it says.
func expectRefused(t testing.TB, err, kind error, say string) {
	t.Helper()
	if !errors.Is(err, eventstore.ErrStreamGuarded) || eventstore.Code(err) != "stream_guarded" {
		t.Fatalf("got %v (code %q), want a refusal by the guard, code stream_guarded", err, eventstore.Code(err))
	}
	if kind != nil && !errors.Is(err, kind) {
		t.Fatalf("refused with %v, want %v", err, kind)
	}
	if !strings.Contains(err.Error(), say) || !strings.Contains(err.Error(), CheckpointStream) {
		t.Fatalf("refusal %q does not say %q and the stream", err, say)
	}
}

// TestCheckpointGuard runs the guard in the shared path every backend
// runs before an append (eventstore.Config.Prepare).
func TestCheckpointGuard(t *testing.T) {
	k := newKeys(t, DefaultOrigin)
	g := NewCheckpointGuard(GuardConfig{Verifiers: k.verifiers})
	cfg := eventstore.Config{Guards: g.Guards()}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	prepare := func(evs ...eventstore.EventData) error {
		_, err := cfg.Prepare(CheckpointStream, evs)
		return err
	}
	first := signedEvent(t, k, DefaultOrigin, 10, tlog.Hash{10})
	if err := prepare(first); err != nil {
		t.Fatalf("a signed checkpoint: %v", err)
	}
	if size, root, ok := g.Latest(); !ok || size != 10 || root != (tlog.Hash{10}) {
		t.Fatalf("latest after accepting size 10: %d %v %v", size, root, ok)
	}
	if err := prepare(first); err != nil {
		t.Fatalf("the same checkpoint again (a retry): %v", err)
	}
	for _, tc := range forgeries(t, k, 10, tlog.Hash{10}) {
		t.Run(tc.name, func(t *testing.T) {
			err := prepare(tc.evs...)
			expectRefused(t, err, tc.kind, tc.say)
			if Code(err) != Code(tc.kind) {
				t.Fatalf("transparency code %q, want %q", Code(err), Code(tc.kind))
			}
		})
	}
	if size, _, _ := g.Latest(); size != 10 {
		t.Fatalf("refused appends moved the guard's latest to %d", size)
	}
	// Other streams are not the guard's business.
	plain, _ := eventstore.NewEventData("case.noted", 1, map[string]any{"n": 1}, eventstore.Metadata{})
	if _, err := cfg.Prepare("case-1", []eventstore.EventData{plain}); err != nil {
		t.Fatal(err)
	}
	// Two in one append, growing.
	if err := prepare(signedEvent(t, k, DefaultOrigin, 11, tlog.Hash{11}), signedEvent(t, k, DefaultOrigin, 12, tlog.Hash{12})); err != nil {
		t.Fatal(err)
	}

	t.Run("Closed", func(t *testing.T) {
		closed := eventstore.Config{Guards: NewCheckpointGuard(GuardConfig{}).Guards()}
		_, err := closed.Prepare(CheckpointStream, []eventstore.EventData{first})
		expectRefused(t, err, nil, "holds no checkpoint key")
	})

	t.Run("Observe", func(t *testing.T) {
		g := NewCheckpointGuard(GuardConfig{Verifiers: k.verifiers})
		forger := newKeys(t, DefaultOrigin)
		forged, _ := SignCheckpoint(forger.signer, DefaultOrigin, 1000, tlog.Hash{})
		g.Observe(forged) // not signed by the trusted key: ignored
		lying, _ := SignCheckpoint(k.signer, DefaultOrigin, 20, tlog.Hash{20})
		lying.Size = 2000
		g.Observe(lying) // its fields are not what it signed: ignored
		if _, _, ok := g.Latest(); ok {
			t.Fatal("the guard took a checkpoint that does not verify")
		}
		cp, _ := SignCheckpoint(k.signer, DefaultOrigin, 20, tlog.Hash{20})
		g.Observe(cp)
		old, _ := SignCheckpoint(k.signer, DefaultOrigin, 15, tlog.Hash{15})
		g.Observe(old) // smaller: ignored
		if size, _, _ := g.Latest(); size != 20 {
			t.Fatalf("latest after observing 20 then 15: %d", size)
		}
		_, err := eventstore.Config{Guards: g.Guards()}.Prepare(CheckpointStream, []eventstore.EventData{signedEvent(t, k, DefaultOrigin, 19, tlog.Hash{19})})
		expectRefused(t, err, ErrBadCheckpoint, "never go backwards")
	})
}

// TestCheckpointGuardStores runs the guard in the real stores, as the
// server opens them: the publisher's signed checkpoints go in, every
// forgery is refused with the store's code and changes nothing, and the
// log still verifies. A second process's guard learns the latest
// checkpoint from its tree.
func TestCheckpointGuardStores(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t, DefaultOrigin)
	type opened struct {
		store  eventstore.Store
		reopen func(t *testing.T, g *CheckpointGuard) eventstore.Store
	}
	backends := []struct {
		name string
		open func(t *testing.T, g *CheckpointGuard) opened
	}{
		{"EmbeddedFile", func(t *testing.T, g *CheckpointGuard) opened {
			path, clock := t.TempDir()+"/ledger.db", tickingClock()
			open := func(t *testing.T, g *CheckpointGuard) eventstore.Store {
				s, err := bbolt.Open(ctx, bbolt.Config{Path: path, Config: eventstore.Config{Now: clock, Guards: g.Guards()}})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
			return opened{open(t, g), open}
		}},
		{"PostgreSQL", func(t *testing.T, g *CheckpointGuard) opened {
			db, clock := pgtest.New(t), tickingClock()
			open := func(t *testing.T, g *CheckpointGuard) eventstore.Store {
				s, err := postgres.Open(ctx, db.URL, postgres.Config{Config: eventstore.Config{Now: clock, Guards: g.Guards()}})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
			return opened{open(t, g), open}
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			g := NewCheckpointGuard(GuardConfig{Verifiers: k.verifiers})
			o := b.open(t, g)
			store := o.store
			seedLedger(t, store, k) // the publisher's two checkpoints pass the guard
			if size, _, ok := g.Latest(); !ok || size != 61 {
				t.Fatalf("the guard's latest after the publisher: %d %v, want 61", size, ok)
			}
			head, _ := store.Head(ctx)
			cps, _ := store.ReadStream(ctx, CheckpointStream, 1, 10)
			if len(cps) != 2 {
				t.Fatalf("%d checkpoint events, want 2", len(cps))
			}
			latest, err := ReadCheckpointEvent(&cps[1], k.verifiers, DefaultOrigin)
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range forgeries(t, k, latest.Size, latest.Root) {
				for _, exp := range []eventstore.Expectation{eventstore.Any, eventstore.Exact(2)} {
					_, err := store.Append(ctx, CheckpointStream, exp, tc.evs...)
					expectRefused(t, err, tc.kind, tc.say)
				}
			}
			// A closed guard (any other command) refuses even the real
			// key's; the embedded file takes one process at a time.
			if b.name == "PostgreSQL" {
				closed := o.reopen(t, NewCheckpointGuard(GuardConfig{}))
				_, err := closed.Append(ctx, CheckpointStream, eventstore.Any, signedEvent(t, k, DefaultOrigin, latest.Size+1, tlog.Hash{}))
				expectRefused(t, err, nil, "holds no checkpoint key")
			}
			if h, _ := store.Head(ctx); h != head {
				t.Fatalf("refused appends moved the head from %d to %d", head, h)
			}
			if got, _ := store.ReadStream(ctx, CheckpointStream, 1, 10); len(got) != 2 {
				t.Fatalf("refused appends left %d checkpoint events, want 2", len(got))
			}
			r, err := VerifyStore(ctx, store, VerifyConfig{Verifiers: k.verifiers})
			if err != nil || r.Err() != nil || r.Latest.Size != 61 {
				t.Fatalf("verify after the refusals: %v %v (latest %d)", err, r.Err(), r.Latest.Size)
			}
			// Another process: its guard learns the latest checkpoint from
			// the tree and refuses an older size even under the real key.
			store.Close()
			g2 := NewCheckpointGuard(GuardConfig{Verifiers: k.verifiers})
			store2 := o.reopen(t, g2)
			l, err := Open(ctx, Config{Verifiers: k.verifiers, Guard: g2})
			if err != nil {
				t.Fatal(err)
			}
			fctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			go l.Follow(fctx, store2)
			if err := l.WaitFor(fctx, head); err != nil {
				t.Fatal(err)
			}
			if size, _, _ := g2.Latest(); size != 61 {
				t.Fatalf("the second guard learnt size %d from the tree, want 61", size)
			}
			root30, err := l.Root(ctx, 30)
			if err != nil {
				t.Fatal(err)
			}
			_, err = store2.Append(ctx, CheckpointStream, eventstore.Any, signedEvent(t, k, DefaultOrigin, 31, root30))
			expectRefused(t, err, ErrBadCheckpoint, "never go backwards")
			pub, err := NewPublisher(PublisherConfig{Log: l, Store: store2, Signer: k.signer})
			if err != nil {
				t.Fatal(err)
			}
			if cp, ok, err := pub.Publish(ctx); err != nil || !ok || cp.Size != int64(head) {
				t.Fatalf("publish through the second guard: %+v %v %v", cp, ok, err)
			}
		})
	}
}

// BenchmarkCheckpointGuard measures what the guard adds to an append to
// CheckpointStream (the shared checks of Prepare included): parsing the
// event, one Ed25519 signature check, rebuilding the event to compare.
func BenchmarkCheckpointGuard(b *testing.B) {
	k := newKeys(b, DefaultOrigin)
	g := NewCheckpointGuard(GuardConfig{Verifiers: k.verifiers})
	cfg := eventstore.Config{Guards: g.Guards()}
	ev := signedEvent(b, k, DefaultOrigin, 1_000_000, tlog.Hash{1})
	for b.Loop() {
		if _, err := cfg.Prepare(CheckpointStream, []eventstore.EventData{ev}); err != nil {
			b.Fatal(err)
		}
	}
}

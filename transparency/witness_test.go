package transparency

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/internal/testenv"
)

// witnessedLedger is a ledger (bbolt store, guard, tree, publisher) whose
// publisher offers its checkpoints to witnesses.
type witnessedLedger struct {
	store *bbolt.Store
	log   *Log
	pub   *Publisher
	stop  func()
}

func newWitnessedLedger(t *testing.T, k testKeys, origin string, witnesses ...*WitnessClient) *witnessedLedger {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	quiet := slog.New(slog.DiscardHandler)
	guard := NewCheckpointGuard(GuardConfig{Verifiers: k.verifiers, Origin: origin})
	store, err := bbolt.Open(ctx, bbolt.Config{Path: filepath.Join(t.TempDir(), "ledger.db"), Config: eventstore.Config{Guards: guard.Guards()}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := Open(ctx, Config{Origin: origin, Verifiers: k.verifiers, Guard: guard, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Follow(ctx, store) }()
	pub, err := NewPublisher(PublisherConfig{Log: l, Store: store, Signer: k.signer, Interval: time.Hour, Witnesses: witnesses, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	w := &witnessedLedger{store: store, log: l, pub: pub, stop: func() { cancel(); <-done; store.Close() }}
	t.Cleanup(w.stop)
	return w
}

// grow appends n events to the ledger.
func (w *witnessedLedger) grow(t *testing.T, n int, tag string) {
	t.Helper()
	for i := range n {
		_, err := w.store.Append(context.Background(), fmt.Sprintf("proposal-%s", tag), eventstore.Any, eventstore.EventData{
			ID: uuid.Must(uuid.NewV7()), Type: "proposal.signed", SchemaVersion: 1,
			Data: fmt.Appendf(nil, `{"signer":"k%s%03d"}`, tag, i), Metadata: eventstore.Metadata{ActorID: "k" + tag, ActorRole: "citizen"}})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// publish publishes a checkpoint of everything so far and has it witnessed.
func (w *witnessedLedger) publish(t *testing.T) (Checkpoint, []Cosignature, error) {
	t.Helper()
	ctx := context.Background()
	cp, ok, err := w.pub.Publish(ctx)
	if err != nil || !ok {
		t.Fatalf("publish: %v (published %v)", err, ok)
	}
	cosigs, err := w.pub.Witness(ctx, cp)
	return cp, cosigs, err
}

// TestRealWitnessCosignsAndRefusesAFork runs litewitness (torchwood
// v0.6.1): the ledger's publisher offers it each checkpoint with the
// consistency proof from the size it last cosigned; its cosignatures verify,
// are kept in the log and served with the checkpoint; a forked ledger with
// the same origin and key is refused; and a policy naming the witness
// passes the real ledger's checkpoint and names what is missing otherwise.
func TestRealWitnessCosignsAndRefusesAFork(t *testing.T) {
	lw := testenv.StartLitewitness(t, "witness.test/w1")
	const origin = "ledger.test/log/0123456789abcdef"
	k := newKeys(t, origin)
	lw.AddLog(t, origin, k.vkey)
	wv, err := NewCosignatureVerifier(lw.VKey)
	if err != nil {
		t.Fatal(err)
	}
	client := func() *WitnessClient {
		c, err := NewWitnessClient(Witness{Name: "w1", Verifier: wv, URL: lw.URL}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	real := newWitnessedLedger(t, k, origin, client())
	real.grow(t, 7, "a")
	cp1, cosigs, err := real.publish(t)
	if err != nil || len(cosigs) != 1 {
		t.Fatalf("first checkpoint: %v, %d cosignatures\n%s", err, len(cosigs), lw.Log())
	}
	real.grow(t, 5, "b")
	cp2, cosigs, err := real.publish(t)
	if err != nil || len(cosigs) != 1 || cp2.Size <= cp1.Size {
		t.Fatalf("second checkpoint (a consistency proof from %d): %v, %d cosignatures\n%s", cp1.Size, err, len(cosigs), lw.Log())
	}
	// The cosignature is kept in the log and served with the checkpoint.
	ctx := context.Background()
	head, _ := real.store.Head(ctx)
	if err := real.log.WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}
	witnessed, err := real.log.Witnessed(ctx)
	if err != nil || witnessed.Size != cp2.Size || !strings.Contains(string(witnessed.Note), cosigs[0].Line) {
		t.Fatalf("served checkpoint %d: %v\n%s", witnessed.Size, err, witnessed.Note)
	}
	evs, err := real.store.ReadStream(ctx, CheckpointStream, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var kept int
	for i := range evs {
		if IsCosignatureEvent(&evs[i]) {
			c, err := ReadCosignatureEvent(&evs[i])
			if err != nil || c.Witness != "witness.test/w1" {
				t.Fatalf("cosignature event: %v %+v", err, c)
			}
			kept++
		}
	}
	if kept != 2 {
		t.Fatalf("%d cosignature events kept, want 2", kept)
	}
	// A policy naming the witness: met by the served note, not by the bare
	// checkpoint, nor by a forged line.
	pol, err := ParsePolicy(fmt.Sprintf("log %s\nwitness w1 %s %s\nquorum w1\n", k.vkey, lw.VKey, lw.URL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pol.Witnessed(witnessed, SignatureLines(witnessed.Note)); err != nil {
		t.Fatalf("policy on the witnessed checkpoint: %v", err)
	}
	if _, err := pol.Witnessed(cp2, SignatureLines(cp2.Note)); !errors.Is(err, ErrNotWitnessed) || !strings.Contains(err.Error(), "witness w1: no cosignature") {
		t.Fatalf("policy on the bare checkpoint: %v", err)
	}
	line := cosigs[0].Line
	forged := line[:len(line)-6] + strings.Map(func(r rune) rune {
		if r == 'A' {
			return 'B'
		}
		return 'A'
	}, line[len(line)-6:len(line)-2]) + line[len(line)-2:]
	if _, err := pol.Witnessed(cp2, []string{forged}); !errors.Is(err, ErrNotWitnessed) || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("policy with a forged cosignature: %v", err)
	}

	// A fork: the same origin and key, another history, a larger tree.
	fork := newWitnessedLedger(t, k, origin, client())
	fork.grow(t, 20, "x")
	_, _, err = fork.publish(t)
	if !errors.Is(err, ErrWitnessRefused) {
		t.Fatalf("the witness cosigned a fork: %v", err)
	}
	// A fork the same size as the witnessed tree, and a rollback to a smaller
	// one, are refused too.
	same := newWitnessedLedger(t, k, origin, client())
	same.grow(t, int(cp2.Size), "y")
	if cp, _, err := same.publish(t); cp.Size != cp2.Size || !errors.Is(err, ErrWitnessRefused) {
		t.Fatalf("same-size fork (%d leaves, witnessed %d): %v", cp.Size, cp2.Size, err)
	}
	small := newWitnessedLedger(t, k, origin, client())
	small.grow(t, 3, "z")
	if _, _, err := small.publish(t); !errors.Is(err, ErrWitnessRefused) || !strings.Contains(err.Error(), "rollback") {
		t.Fatalf("rollback: %v", err)
	}
	// The real ledger goes on being witnessed.
	real.grow(t, 2, "c")
	if _, cosigs, err := real.publish(t); err != nil || len(cosigs) != 1 {
		t.Fatalf("third checkpoint: %v", err)
	}
	verifyWithPolicy(t, real, pol, k)
}

// verifyWithPolicy checks VerifyExport with a 1-of-1 witness policy on an
// export of the ledger: it passes; it fails naming the missing witness when
// the cosignatures are left out (an export cut before them), or when the
// kept cosignature is forged (its event's content hash recomputed).
func verifyWithPolicy(t *testing.T, l *witnessedLedger, pol *Policy, k testKeys) {
	ctx := context.Background()
	all, err := l.store.ReadAll(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	cfg := VerifyConfig{Verifiers: k.verifiers, Origin: "ledger.test/log/0123456789abcdef", Policy: pol}
	run := func(evs []eventstore.Event) *Report {
		t.Helper()
		r, err := VerifyExport(ctx, bytes.NewReader(writeExport(t, evs)), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := run(all)
	if err := r.Err(); err != nil || r.Witnessed.Note == nil || len(r.Cosignatures) != 1 {
		t.Fatalf("witnessed ledger with a 1-of-1 policy: %v (witnessed %d)", err, r.Witnessed.Size)
	}
	// Cut the export at the first cosignature event: with it, the first
	// checkpoint is witnessed; without it, nothing is.
	cut := slices.IndexFunc(all, func(ev eventstore.Event) bool { return IsCosignatureEvent(&ev) })
	if r := run(all[:cut+1]); r.Err() != nil || r.Witnessed.Note == nil {
		t.Fatalf("export up to the first cosignature: %v", r.Err())
	}
	r = run(all[:cut])
	if err := r.Err(); !errors.Is(err, ErrNotWitnessed) || !strings.Contains(err.Error(), "witness w1: no cosignature") {
		t.Fatalf("cosignature removed: %v", err)
	}
	forged := slices.Clone(all[:cut+1])
	ev := &forged[cut]
	var d CosignatureData
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		t.Fatal(err)
	}
	sig := []byte(d.Cosignature)
	i := len(sig) - 20 // inside the Ed25519 signature: still base64, another signature
	sig[i] = map[bool]byte{true: 'B', false: 'A'}[sig[i] == 'A']
	d.Cosignature = string(sig)
	ev.Data, _ = eventstore.CanonicalJSON(must(json.Marshal(d)))
	ev.Hash = eventstore.ContentHash(*ev)
	r = run(forged)
	if err := r.Err(); !errors.Is(err, ErrSignatureInvalid) || r.Witnessed.Note != nil {
		t.Fatalf("forged cosignature: %v (witnessed %d)", err, r.Witnessed.Size)
	}
	if !slices.ContainsFunc(r.Problems, func(p *Problem) bool { return errors.Is(p, ErrNotWitnessed) }) {
		t.Fatalf("forged cosignature: the policy is not reported unmet: %v", r.Problems)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

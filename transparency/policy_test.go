package transparency

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pdis/collab-ledger/internal/testenv"
)

// testWitness is a witness key that cosigns in-process (cosignature/v1).
type testWitness struct {
	name string
	vkey string
	priv ed25519.PrivateKey
}

func newTestWitness(t *testing.T, name string) testWitness {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testWitness{name: name, vkey: testenv.CosignatureVKey(name, pub), priv: priv}
}

func (w testWitness) cosign(t *testing.T, cp Checkpoint) string {
	v, err := NewCosignatureVerifier(w.vkey)
	if err != nil {
		t.Fatal(err)
	}
	ts := uint64(time.Now().Unix())
	raw := binary.BigEndian.AppendUint32(nil, v.KeyHash())
	raw = binary.BigEndian.AppendUint64(raw, ts)
	raw = append(raw, ed25519.Sign(w.priv, cosignedMessage(ts, []byte(CheckpointBody(cp.Origin, cp.Size, cp.Root))))...)
	return "— " + w.name + " " + base64.StdEncoding.EncodeToString(raw) + "\n"
}

func TestPolicy(t *testing.T) {
	k := newKeys(t, "ledger.test/log/1")
	a, b, c := newTestWitness(t, "a.test/w"), newTestWitness(t, "b.test/w"), newTestWitness(t, "c.test/w")
	text := fmt.Sprintf("# comment\n\nlog %s https://ledger.test\nwitness A %s https://a.test\nwitness B %s\nwitness C %s\ngroup AB any A B\ngroup two 2 AB C A\nquorum two\n",
		k.vkey, a.vkey, b.vkey, c.vkey)
	p, err := ParsePolicy(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Witnesses) != 3 || p.Witnesses[0].URL != "https://a.test" || p.Witnesses[1].URL != "" || p.Quorum != "two" || len(p.Logs) != 1 {
		t.Fatalf("parsed %+v", p)
	}
	cp, err := SignCheckpoint(k.signer, "ledger.test/log/1", 10, tlog.Hash{1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lines []string
		ok    bool
		says  string
	}{
		{[]string{a.cosign(t, cp), c.cosign(t, cp)}, true, ""},
		{[]string{b.cosign(t, cp), c.cosign(t, cp)}, true, ""},
		{[]string{a.cosign(t, cp), b.cosign(t, cp)}, true, ""}, // AB and A
		{[]string{b.cosign(t, cp)}, false, "group two needs 2 of 3, has 1 (AB); missing: witness C: no cosignature; witness A: no cosignature"},
		{[]string{c.cosign(t, cp)}, false, "missing: group AB needs 1 of 2, has 0; missing: witness A: no cosignature; witness B: no cosignature; witness A: no cosignature"},
		{[]string{c.cosign(t, Checkpoint{Origin: cp.Origin, Size: 10, Root: tlog.Hash{2}}), b.cosign(t, cp)}, false, "witness C: a cosignature under its name that does not verify"},
	} {
		valid, err := p.Witnessed(cp, tc.lines)
		if tc.ok != (err == nil) || !tc.ok && (!errors.Is(err, ErrNotWitnessed) || !strings.Contains(err.Error(), tc.says)) {
			t.Fatalf("%d lines: %v (valid %d), want ok %v saying %q", len(tc.lines), err, len(valid), tc.ok, tc.says)
		}
	}
	none, err := ParsePolicy("log " + k.vkey + "\nquorum none\n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := none.Witnessed(cp, nil); err != nil {
		t.Fatalf("quorum none: %v", err)
	}
	for _, bad := range []struct{ text, says string }{
		{"quorum none\n", "no log line"},
		{"log " + k.vkey + "\n", "no quorum line"},
		{"log " + k.vkey + "\nquorum w\n", `"w" is not a witness or group defined above`},
		{"log " + k.vkey + "\nwitness A " + a.vkey + "\ngroup g 2 A\nquorum g\n", "threshold"},
		{"log " + k.vkey + "\nwitness A " + a.vkey + "\nwitness A " + b.vkey + "\nquorum A\n", "defined twice"},
		{"log " + k.vkey + "\nwitness A " + k.vkey + "\nquorum A\n", "0x04"},
		{"log " + k.vkey + "\nwitness none " + a.vkey + "\nquorum none\n", "reserved"},
		{"log " + k.vkey + "\ncheckpoint x\nquorum none\n", "unknown keyword"},
		{"log " + k.vkey + "\nwitness A " + a.vkey + "\ngroup g any A A\nquorum g\n", "given twice"},
	} {
		if _, err := ParsePolicy(bad.text); err == nil || !strings.Contains(err.Error(), bad.says) {
			t.Fatalf("%q: %v, want %q", bad.text, err, bad.says)
		}
	}
}

// TestMonitor: the monitor adopts checkpoints that extend what it saw,
// reports a smaller one as a rollback, the same size with another root and a
// tree that does not extend the largest seen as equivocations, with both
// signed notes, and keeps its state between runs.
func TestMonitor(t *testing.T) {
	ctx := context.Background()
	const origin = "ledger.test/log/2"
	k := newKeys(t, origin)
	real, _ := Open(ctx, Config{Origin: origin})
	fork, _ := Open(ctx, Config{Origin: origin})
	s, f := newSynth(5, 1), newSynth(5, 1)
	sign := func(l *Log) []byte {
		st := l.State()
		root, _ := l.Root(ctx, st.Size)
		cp, err := SignCheckpoint(k.signer, origin, st.Size, root)
		if err != nil {
			t.Fatal(err)
		}
		return cp.Note
	}
	grow := func(l *Log, s *synth, n int) {
		for i := range n {
			if err := l.Append(ctx, s.event(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	prove := func(l *Log) ProveConsistencyFunc {
		return func(ctx context.Context, from, to int64) (ConsistencyProof, error) {
			return l.ProveConsistency(ctx, from, to)
		}
	}
	state := filepath.Join(t.TempDir(), "m.json")
	m, err := NewMonitor(MonitorConfig{Verifiers: k.verifiers, Origin: origin, StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	grow(real, s, 10)
	n10 := sign(real)
	grow(real, s, 5)
	n15 := sign(real)
	for _, n := range [][]byte{n10, n15, n15} {
		if fs, err := m.Observe(ctx, "real", n, prove(real)); err != nil || len(fs) != 0 {
			t.Fatalf("consistent checkpoints: %v %v", fs, err)
		}
	}
	// A new run: the state is kept; an older checkpoint is a rollback.
	m, err = NewMonitor(MonitorConfig{Verifiers: k.verifiers, Origin: origin, StateFile: state})
	if err != nil || m.State().Latest == nil || m.State().Latest.Size != 15 {
		t.Fatalf("state not kept: %v %+v", err, m.State().Latest)
	}
	fs, err := m.Observe(ctx, "real", n10, prove(real))
	if err != nil || len(fs) != 1 || !errors.Is(fs[0], ErrRollback) || len(fs[0].Evidence) != 2 {
		t.Fatalf("rollback: %v %v", fs, err)
	}
	// The fork: same size, another root; a larger tree that does not extend.
	grow(fork, f, 15)
	fs, err = m.Observe(ctx, "fork", sign(fork), prove(fork))
	if err != nil || len(fs) != 1 || !errors.Is(fs[0], ErrEquivocation) || !strings.Contains(fs[0].Detail, "different roots") {
		t.Fatalf("same size, another root: %v %v", fs, err)
	}
	grow(fork, f, 5)
	fs, err = m.Observe(ctx, "fork", sign(fork), prove(fork))
	if err != nil || len(fs) != 1 || !errors.Is(fs[0], ErrEquivocation) || fs[0].Proof == nil || !strings.Contains(fs[0].Detail, "not a prefix") {
		t.Fatalf("a larger fork: %v %v", fs, err)
	}
	if m.State().Latest.Size != 15 || m.State().Latest.Source != "real" {
		t.Fatalf("the monitor adopted the fork: %+v", m.State().Latest)
	}
	// Another key's checkpoint: signature invalid.
	other := newKeys(t, origin)
	cp, _ := SignCheckpoint(other.signer, origin, 20, tlog.Hash{})
	if fs, _ := m.Observe(ctx, "x", cp.Note, prove(real)); len(fs) != 1 || !errors.Is(fs[0], ErrSignatureInvalid) {
		t.Fatalf("foreign key: %v", fs)
	}
}

// TestMonitorComparesWitnesses: with a policy, two witnesses cosigning
// different trees of the same size is a split view, even when each note is
// seen from a different place.
func TestMonitorComparesWitnesses(t *testing.T) {
	ctx := context.Background()
	const origin = "ledger.test/log/3"
	k := newKeys(t, origin)
	a, b := newTestWitness(t, "a.test/w"), newTestWitness(t, "b.test/w")
	pol, err := ParsePolicy(fmt.Sprintf("log %s\nwitness A %s\nwitness B %s\ngroup any1 any A B\nquorum any1\n", k.vkey, a.vkey, b.vkey))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := NewMonitor(MonitorConfig{Verifiers: k.verifiers, Origin: origin, Policy: pol})
	cp1, _ := SignCheckpoint(k.signer, origin, 5, tlog.Hash{1})
	cp2, _ := SignCheckpoint(k.signer, origin, 5, tlog.Hash{2})
	noProof := func(context.Context, int64, int64) (ConsistencyProof, error) {
		return ConsistencyProof{}, errors.New("not needed")
	}
	if fs, err := m.Observe(ctx, "seen by A", append(cp1.Note, a.cosign(t, cp1)...), noProof); err != nil || len(fs) != 0 {
		t.Fatalf("first: %v %v", fs, err)
	}
	fs, err := m.Observe(ctx, "seen by B", append(cp2.Note, b.cosign(t, cp2)...), noProof)
	if err != nil {
		t.Fatal(err)
	}
	var split bool
	for _, f := range fs {
		split = split || errors.Is(f, ErrEquivocation) && strings.Contains(f.Detail, "witnesses a.test/w and b.test/w cosigned different trees of 5 leaves")
	}
	if !split {
		t.Fatalf("split view not reported: %v", fs)
	}
	if m.State().Witnesses["a.test/w"].RootHash == m.State().Witnesses["b.test/w"].RootHash {
		t.Fatal("the witnesses' records are the same")
	}
}

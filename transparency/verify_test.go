package transparency

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pdis/collab-ledger/eventstore"
)

func verifyEvents(t *testing.T, evs []eventstore.Event, cfg VerifyConfig) *Report {
	t.Helper()
	r, err := VerifyExport(context.Background(), bytes.NewReader(writeExport(t, evs)), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// expectProblem checks that verification failed first with kind at pos.
func expectProblem(t *testing.T, r *Report, kind error, pos eventstore.Position, detail string) {
	t.Helper()
	err := r.Err()
	var p *Problem
	if !errors.As(err, &p) {
		t.Fatalf("verification passed (%d events, %d checkpoints), want %v at position %d", r.Events, len(r.Checkpoints), kind, pos)
	}
	if !errors.Is(err, kind) || p.Position != pos || !strings.Contains(p.Error(), detail) {
		t.Fatalf("first problem: %v\nwant %v at position %d mentioning %q\nall: %v", err, kind, pos, detail, r.Problems)
	}
}

func TestVerifyExport(t *testing.T) {
	k := newKeys(t, DefaultOrigin)
	evs := synthLog(t, 500, 100, 7, k) // checkpoints at positions 101, 202, 303, 404, 505
	at := func(pos eventstore.Position) int { return int(pos) - 1 }
	clone := func() []eventstore.Event { return append([]eventstore.Event(nil), evs...) }
	cfg := VerifyConfig{Verifiers: k.verifiers}

	t.Run("Clean", func(t *testing.T) {
		latest := evs[len(evs)-1]
		cp, err := ReadCheckpointEvent(&latest, k.verifiers, "")
		if err != nil {
			t.Fatal(err)
		}
		r := verifyEvents(t, evs, VerifyConfig{Verifiers: k.verifiers, Checkpoints: [][]byte{cp.Note}, Workers: 3})
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		if r.Events != 505 || r.Leaves != 505 || len(r.Checkpoints) != 6 || r.Latest.Size != 504 || r.Latest.Position != 505 || r.Uncovered() != 1 {
			t.Fatalf("report: %d events, %d leaves, %d checkpoints, latest %d at %d", r.Events, r.Leaves, len(r.Checkpoints), r.Latest.Size, r.Latest.Position)
		}
		p, err := r.ProveInclusion(LeafRef{Position: 42}, 0)
		if err != nil || p.Verify() != nil || p.TreeSize != 504 || p.Checkpoint == "" || p.LeafHash != LeafHash(evs[41].Hash) {
			t.Fatalf("inclusion from the report: %+v %v", p, err)
		}
		c, err := r.ProveConsistency(100, 504)
		if err != nil || c.Verify() != nil {
			t.Fatalf("consistency from the report: %v %v", c, err)
		}
	})

	t.Run("ContentChanged", func(t *testing.T) {
		e := clone()
		e[at(150)].Data = bytes.Replace(e[at(150)].Data, []byte("OK"), []byte("NO"), 1)
		r := verifyEvents(t, e, cfg)
		expectProblem(t, r, ErrContentChanged, 150, "its stored content hash is")
		if r.Explained == 0 {
			t.Fatal("the checkpoints after the change should be explained by it")
		}
	})

	t.Run("EventMissing", func(t *testing.T) {
		e := clone()
		e = append(e[:at(150)], e[at(150)+1:]...)
		expectProblem(t, verifyEvents(t, e, cfg), ErrEventMissing, 150, "no event at position 150")
	})

	t.Run("LinesSwapped", func(t *testing.T) {
		e := clone()
		e[at(150)], e[at(160)] = e[at(160)], e[at(150)]
		expectProblem(t, verifyEvents(t, e, cfg), ErrOrderChanged, 150, "out of place")
	})

	t.Run("ContentSwappedSameStream", func(t *testing.T) {
		// As a store-level swap: positions stay, the events trade places.
		e := clone()
		e[at(150)], e[at(157)] = e[at(157)], e[at(150)] // 7 streams: same stream
		e[at(150)].Position, e[at(157)].Position = 150, 157
		expectProblem(t, verifyEvents(t, e, cfg), ErrOrderChanged, 150, "comes before its version")
	})

	t.Run("ContentSwappedOnlyTimesShow", func(t *testing.T) {
		// Streams that appear once each: only the recorded-at times and the
		// checkpoint show the swap.
		evs := synthLog(t, 300, 100, 1000, k)
		e := append([]eventstore.Event(nil), evs...)
		e[at(149)], e[at(152)] = e[at(152)], e[at(149)]
		e[at(149)].Position, e[at(152)].Position = 149, 152
		expectProblem(t, verifyEvents(t, e, cfg), ErrOrderChanged, 149, "was recorded at")
	})

	t.Run("RecordedAtChangedWithItsHash", func(t *testing.T) {
		// A recorded-at time moved earlier and the content hash recomputed:
		// the times go backwards as in a swap, but no reordering of the
		// same events gives the signed root: content changed.
		e := clone()
		e[at(150)].RecordedAt = e[at(120)].RecordedAt
		e[at(150)].Hash = eventstore.ContentHash(e[at(150)])
		expectProblem(t, verifyEvents(t, e, cfg), ErrContentChanged, 150, "a recorded-at time was changed together with the content hash")
	})

	t.Run("AttributeNotHashed", func(t *testing.T) {
		// An attribute the content hash does not cover is refused, not
		// silently carried along.
		exp := writeExport(t, evs)
		lines := bytes.SplitAfter(exp, []byte("\n"))
		lines[9] = bytes.Replace(lines[9], []byte(`"specversion"`), []byte(`"signedby":"the minister","specversion"`), 1)
		r, err := VerifyExport(context.Background(), bytes.NewReader(bytes.Join(lines, nil)), cfg)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, r, ErrContentChanged, 10, `attribute "signedby" is not part of the ledger's export`)
	})

	t.Run("RewrittenWithItsHash", func(t *testing.T) {
		e := clone()
		e[at(150)].Data = bytes.Replace(e[at(150)].Data, []byte("OK"), []byte("NO"), 1)
		e[at(150)].Hash = eventstore.ContentHash(e[at(150)])
		expectProblem(t, verifyEvents(t, e, cfg), ErrContentChanged, 101, "changed together with its stored content hash")
	})

	t.Run("ForgedCheckpoint", func(t *testing.T) {
		e := clone()
		forger := newKeys(t, DefaultOrigin)
		cp, err := ReadCheckpointEvent(&e[at(303)], nil, "")
		if err != nil {
			t.Fatal(err)
		}
		forged, err := SignCheckpoint(forger.signer, DefaultOrigin, cp.Size, cp.Root)
		if err != nil {
			t.Fatal(err)
		}
		ed, _ := CheckpointEvent(forged)
		c, _ := eventstore.CanonicalJSON(ed.Data)
		e[at(303)].Data = c
		e[at(303)].Hash = eventstore.ContentHash(e[at(303)])
		expectProblem(t, verifyEvents(t, e, cfg), ErrSignatureInvalid, 303, "no signature by a trusted key")
		// Checked with the forger's key instead, every genuine one fails.
		expectProblem(t, verifyEvents(t, evs, VerifyConfig{Verifiers: forger.verifiers}), ErrSignatureInvalid, 101, "no signature by a trusted key")
	})

	t.Run("CheckpointStreamWrittenAround", func(t *testing.T) {
		// What the store's guard refuses, written around it: each is named
		// at its position, as a signature problem, and verification ends.
		for _, tc := range []struct {
			name, typ, data, say string
		}{
			{"Unsigned", CheckpointType, `{"note":"collab-ledger.pdis.tw/log\n302\nAAAA\n\n","size":302}`, "malformed note"},
			{"NoNote", CheckpointType, `{"size":505}`, "malformed note"},
			{"NotACheckpoint", "ledger.note", `{"note":"hello"}`, "is not a signed checkpoint"},
		} {
			// Appended after the last checkpoint (position 505, version 5).
			last := evs[len(evs)-1]
			ed := eventstore.EventData{ID: uuid.New(), Type: tc.typ, SchemaVersion: 1, Data: json.RawMessage(tc.data)}
			forged := eventstore.Seal(CheckpointStream, last.Version+1, last.RecordedAt.Add(time.Millisecond), []eventstore.EventData{ed})[0]
			forged.Position = last.Position + 1
			r := verifyEvents(t, append(clone(), forged), cfg)
			expectProblem(t, r, ErrSignatureInvalid, 506, tc.say)
			if len(r.Problems) != 1 || r.Latest.Size != 504 {
				t.Errorf("%s: %d problems (%v), latest %d: want only the one, the later checkpoints verified", tc.name, len(r.Problems), r.Problems, r.Latest.Size)
			}
		}
	})

	t.Run("TailRemoved", func(t *testing.T) {
		// The last 60 events and the last checkpoint removed: only a
		// checkpoint kept outside the log shows it.
		last, err := ReadCheckpointEvent(&evs[len(evs)-1], k.verifiers, "")
		if err != nil {
			t.Fatal(err)
		}
		e := clone()[:445]
		if err := verifyEvents(t, e, cfg).Err(); err != nil {
			t.Fatalf("a truncated log without outside checkpoint: %v", err)
		}
		r := verifyEvents(t, e, VerifyConfig{Verifiers: k.verifiers, Checkpoints: [][]byte{last.Note}})
		expectProblem(t, r, ErrEventMissing, 446, "covers 504 leaves but the log holds 445")
	})

	t.Run("CheckpointGivenForged", func(t *testing.T) {
		forger := newKeys(t, DefaultOrigin)
		cp, _ := SignCheckpoint(forger.signer, DefaultOrigin, 10, [32]byte{})
		r := verifyEvents(t, evs, VerifyConfig{Verifiers: k.verifiers, Checkpoints: [][]byte{cp.Note}})
		expectProblem(t, r, ErrSignatureInvalid, 0, "checkpoint given (#1)")
	})

	t.Run("MalformedLine", func(t *testing.T) {
		raw := writeExport(t, evs)
		lines := bytes.Split(raw, []byte("\n"))
		lines[99] = bytes.Replace(lines[99], []byte(`"specversion":"1.0"`), []byte(`"specversion":"0.3"`), 1)
		r, err := VerifyExport(context.Background(), bytes.NewReader(bytes.Join(lines, []byte("\n"))), cfg)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, r, ErrContentChanged, 100, "not a well-formed exported event")
		if p := r.Problems[0]; p.Line != 100 {
			t.Fatalf("line %d, want 100", p.Line)
		}
	})

	t.Run("SparsePositions", func(t *testing.T) {
		e := clone()
		for i := range e {
			e[i].Position *= 10
		}
		sparse := VerifyConfig{Verifiers: k.verifiers, SparsePositions: true}
		if err := verifyEvents(t, e, sparse).Err(); err != nil {
			t.Fatal(err)
		}
		if err := verifyEvents(t, e, cfg).Err(); !errors.Is(err, ErrEventMissing) {
			t.Fatalf("sparse positions checked as dense: %v", err)
		}
		e = append(e[:at(150)], e[at(150)+1:]...)
		expectProblem(t, verifyEvents(t, e, sparse), ErrEventMissing, 1570, "version 22 is missing")
	})
}

// TestMemTreeIsTlog: the verifier's tree stores exactly tlog's stored
// hashes, leaf by leaf, and gives tlog's roots.
func TestMemTreeIsTlog(t *testing.T) {
	var mt memTree
	var want []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = want[x]
		}
		return out, nil
	})
	for n := range int64(1100) {
		leaf := tlog.RecordHash([]byte{byte(n), byte(n >> 8)})
		hs, err := tlog.StoredHashesForRecordHash(n, leaf, reader)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, hs...)
		mt.add(leaf)
		if mt.hashes.n != int64(len(want)) {
			t.Fatalf("leaf %d: %d stored hashes, tlog %d", n, mt.hashes.n, len(want))
		}
		for i := range want {
			if mt.hashes.at(int64(i)) != want[i] {
				t.Fatalf("leaf %d: stored hash %d differs", n, i)
			}
		}
		root, _ := mt.root(n + 1)
		if wantRoot, _ := tlog.TreeHash(n+1, reader); root != wantRoot {
			t.Fatalf("root of %d leaves differs", n+1)
		}
	}
}

package transparency

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/internal/testenv"
)

// TestIndependentVerifierAgrees runs testdata/verify.py, a verifier
// written from docs/verification.md and docs/content-hash.md alone (Python
// standard library), beside VerifyExport on the tamper cases the docs list,
// and requires the same verdict: the same kind of problem at the same
// position, or both clean. It needs python3 (skipped without it).
func TestIndependentVerifierAgrees(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		testenv.Missing(t, "python3", "no python3 on PATH")
	}
	script, _ := filepath.Abs(filepath.Join("testdata", "verify.py"))
	const origin = "ledger.test/log/00112233aabbccdd"
	k := newKeys(t, origin)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.pub")
	if err := os.WriteFile(keyFile, []byte(k.vkey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	evs := synthLogOrigin(t, 300, 100, 7, k, origin) // checkpoints at positions 101, 202, 303
	at := func(pos eventstore.Position) int { return int(pos) - 1 }
	clone := func() []eventstore.Event { return append([]eventstore.Event(nil), evs...) }

	// A witness, and the last checkpoint cosigned by it, kept as an event.
	wpub, wpriv, _ := ed25519.GenerateKey(rand.Reader)
	wvkey := testenv.CosignatureVKey("witness.test/w1", wpub)
	last, err := ReadCheckpointEvent(&evs[len(evs)-1], k.verifiers, origin)
	if err != nil {
		t.Fatal(err)
	}
	cosigned := append(clone(), cosignatureEventFor(t, last, "witness.test/w1", wvkey, wpriv, evs[len(evs)-1]))
	policy := filepath.Join(dir, "policy.txt")
	if err := os.WriteFile(policy, fmt.Appendf(nil, "log %s\nwitness w1 %s\nquorum w1\n", k.vkey, wvkey), 0o644); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name     string
		evs      []eventstore.Event
		edit     func([]byte) []byte
		policy   bool
		wantKind string // "" clean
	}{
		{name: "Clean", evs: evs},
		{name: "ContentChanged", wantKind: "content changed", evs: func() []eventstore.Event {
			e := clone()
			e[at(150)].Data = bytes.Replace(e[at(150)].Data, []byte("OK"), []byte("NO"), 1)
			return e
		}()},
		{name: "EventMissing", wantKind: "event missing", evs: func() []eventstore.Event {
			e := clone()
			return append(e[:at(150)], e[at(151):]...)
		}()},
		{name: "OrderChangedOnlyTimesShow", wantKind: "order changed", evs: func() []eventstore.Event {
			e := synthLogOrigin(t, 300, 100, 1000, k, origin)
			e[at(149)], e[at(152)] = e[at(152)], e[at(149)]
			e[at(149)].Position, e[at(152)].Position = 149, 152
			return e
		}()},
		{name: "OrderChangedSameStream", wantKind: "order changed", evs: func() []eventstore.Event {
			e := clone()
			e[at(150)], e[at(157)] = e[at(157)], e[at(150)]
			e[at(150)].Position, e[at(157)].Position = 150, 157
			return e
		}()},
		{name: "RewrittenWithItsHash", wantKind: "content changed", evs: func() []eventstore.Event {
			e := clone()
			e[at(150)].Data = bytes.Replace(e[at(150)].Data, []byte("OK"), []byte("NO"), 1)
			e[at(150)].Hash = eventstore.ContentHash(e[at(150)])
			return e
		}()},
		{name: "RecordedAtChangedWithItsHash", wantKind: "content changed", evs: func() []eventstore.Event {
			e := clone()
			e[at(150)].RecordedAt = e[at(120)].RecordedAt
			e[at(150)].Hash = eventstore.ContentHash(e[at(150)])
			return e
		}()},
		{name: "ForgedCheckpoint", wantKind: "signature invalid", evs: func() []eventstore.Event {
			e := clone()
			forger := newKeys(t, origin)
			cp, _ := ReadCheckpointEvent(&e[at(202)], nil, "")
			forged, _ := SignCheckpoint(forger.signer, origin, cp.Size, cp.Root)
			ed, _ := CheckpointEvent(forged)
			e[at(202)].Data, _ = eventstore.CanonicalJSON(ed.Data)
			e[at(202)].Hash = eventstore.ContentHash(e[at(202)])
			return e
		}()},
		{name: "AttributeNotHashed", wantKind: "content changed", evs: evs, edit: func(b []byte) []byte {
			lines := bytes.SplitAfter(b, []byte("\n"))
			lines[9] = bytes.Replace(lines[9], []byte(`"specversion"`), []byte(`"signedby":"the minister","specversion"`), 1)
			return bytes.Join(lines, nil)
		}},
		{name: "TimeWrittenAnotherWay", evs: evs, edit: func(b []byte) []byte {
			// The same instant in Taipei time, with nine digits: the same hash.
			re := regexp.MustCompile(`"time":"(\d{4}-\d\d-\d\dT)(\d\d)(:\d\d:\d\d\.\d{6})Z"`)
			return re.ReplaceAllFunc(b, func(m []byte) []byte {
				s := re.FindSubmatch(m)
				h, _ := strconv.Atoi(string(s[2]))
				if h >= 16 {
					return m
				}
				return fmt.Appendf(nil, `"time":"%s%02d%s999+08:00"`, s[1], h+8, s[3])
			})
		}},
		{name: "NoCheckpoint", wantKind: "no checkpoint", evs: evs[:at(100)]},
		{name: "Witnessed", evs: cosigned, policy: true},
		{name: "CosignatureRemoved", wantKind: "not witnessed", evs: evs, policy: true},
		{name: "CosignatureForged", wantKind: "signature invalid", policy: true, evs: func() []eventstore.Event {
			e := append([]eventstore.Event(nil), cosigned...)
			ev := &e[len(e)-1]
			var d CosignatureData
			_ = json.Unmarshal(ev.Data, &d)
			sig := []byte(d.Cosignature)
			i := len(sig) - 20
			sig[i] = map[bool]byte{true: 'B', false: 'A'}[sig[i] == 'A']
			d.Cosignature = string(sig)
			ev.Data, _ = eventstore.CanonicalJSON(must(json.Marshal(d)))
			ev.Hash = eventstore.ContentHash(*ev)
			return e
		}()},
	}
	pol, err := ReadPolicyFile(policy)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			exp := writeExport(t, tc.evs)
			if tc.edit != nil {
				exp = tc.edit(exp)
			}
			file := filepath.Join(dir, tc.name+".jsonl")
			if err := os.WriteFile(file, exp, 0o644); err != nil {
				t.Fatal(err)
			}
			cfg := VerifyConfig{Verifiers: k.verifiers, Origin: origin}
			args := []string{script, file, keyFile}
			if tc.policy {
				cfg.Policy = pol
				args = append(args, policy)
			}
			r, err := VerifyExport(context.Background(), bytes.NewReader(exp), cfg)
			if err != nil {
				t.Fatal(err)
			}
			goKind, goPos := "", eventstore.Position(0)
			var p *Problem
			switch {
			case errors.As(r.Err(), &p):
				goKind, goPos = p.Kind.Error(), p.Position
			case r.Latest.Note == nil:
				goKind = "no checkpoint"
			}
			out, err := exec.Command(py, args...).CombinedOutput()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatalf("python3: %v\n%s", err, out)
			}
			pyOut := strings.TrimSpace(string(out))
			if goKind != tc.wantKind {
				t.Fatalf("verify says %q at %d (%v), the docs say %q", goKind, goPos, r.Err(), tc.wantKind)
			}
			if goKind == "" {
				if err != nil || !strings.HasPrefix(pyOut, "verified ") {
					t.Fatalf("verify passes, the independent verifier says: %s", pyOut)
				}
				return
			}
			want := fmt.Sprintf("position %d: %s:", goPos, goKind)
			if tc.wantKind == "not witnessed" || tc.wantKind == "no checkpoint" {
				want = ": " + goKind + ":"
			}
			if err == nil || !strings.Contains(pyOut, want) {
				t.Fatalf("verify: %v\nthe independent verifier: %s\nwant it to say %q", r.Err(), pyOut, want)
			}
		})
	}
}

// synthLogOrigin is synthLog with checkpoints of another origin.
func synthLogOrigin(t *testing.T, n, every, streams int, k testKeys, origin string) []eventstore.Event {
	t.Helper()
	evs := synthLog(t, n, every, streams, k)
	// Re-sign every checkpoint for origin: the tree is the same (each
	// checkpoint event is rewritten before any later checkpoint covers it,
	// so later roots are recomputed).
	l, err := Open(context.Background(), Config{Origin: origin})
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		if IsCheckpointEvent(&evs[i]) {
			st := l.State()
			root, err := l.Root(context.Background(), st.Size)
			if err != nil {
				t.Fatal(err)
			}
			cp, err := SignCheckpoint(k.signer, origin, st.Size, root)
			if err != nil {
				t.Fatal(err)
			}
			ed, err := CheckpointEvent(cp)
			if err != nil {
				t.Fatal(err)
			}
			evs[i].ID = ed.ID
			evs[i].Data, _ = eventstore.CanonicalJSON(ed.Data)
			evs[i].Hash = eventstore.ContentHash(evs[i])
		}
		if err := l.Append(context.Background(), evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return evs
}

// cosignatureEventFor makes the cosignature event of cp by a witness key,
// sealed after the event prev.
func cosignatureEventFor(t *testing.T, cp Checkpoint, name, vkey string, priv ed25519.PrivateKey, prev eventstore.Event) eventstore.Event {
	t.Helper()
	ts := uint64(time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC).Unix())
	sig := ed25519.Sign(priv, cosignedMessage(ts, []byte(CheckpointBody(cp.Origin, cp.Size, cp.Root))))
	v, err := NewCosignatureVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	raw := binary.BigEndian.AppendUint32(nil, v.KeyHash())
	raw = binary.BigEndian.AppendUint64(raw, ts)
	raw = append(raw, sig...)
	c, err := OpenCosignature(cp, v, "— "+name+" "+base64.StdEncoding.EncodeToString(raw)+"\n")
	if err != nil {
		t.Fatal(err)
	}
	ed, err := CosignatureEvent(c)
	if err != nil {
		t.Fatal(err)
	}
	if ed.Data, err = eventstore.CanonicalJSON(ed.Data); err != nil {
		t.Fatal(err)
	}
	ev := eventstore.Seal(CheckpointStream, prev.Version+1, prev.RecordedAt.Add(time.Millisecond), []eventstore.EventData{ed})[0]
	ev.Position = prev.Position + 1
	return ev
}

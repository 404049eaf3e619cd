package transparency

import (
	"bytes"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/export"
)

// testKeys is a signing key and the trusted keys that check it.
type testKeys struct {
	signer    note.Signer
	verifiers note.Verifiers
	vkey      string
	skey      string
}

func newKeys(t testing.TB, name string) testKeys {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifiers(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return testKeys{signer: s, verifiers: v, vkey: vkey, skey: skey}
}

// synth makes n sealed events as a store would hold them: positions from
// first, spread over `streams` streams with dense versions, recorded-at
// times increasing every `perCommit` events.
type synth struct {
	streams   int
	perCommit int
	versions  map[string]uint64
	next      eventstore.Position
	clock     time.Time
}

func newSynth(streams, perCommit int) *synth {
	return &synth{streams: streams, perCommit: perCommit, versions: map[string]uint64{}, next: 1,
		clock: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)}
}

func (s *synth) event(i int) eventstore.Event {
	stream := fmt.Sprintf("proposal-%04d", i%s.streams)
	s.versions[stream]++
	if s.perCommit > 0 && int(s.next)%s.perCommit == 0 {
		s.clock = s.clock.Add(1500 * time.Microsecond)
	}
	ed := eventstore.EventData{
		ID: uuid.Must(uuid.NewV7()), Type: "proposal.signed", SchemaVersion: 1,
		Data:     fmt.Appendf(nil, `{"note":"連署 \"OK\"\n","proposalId":"%04d","signer":"k%06x"}`, i%s.streams, i),
		Metadata: eventstore.Metadata{ActorID: fmt.Sprintf("k%06x", i), ActorRole: "citizen", CommandID: "c-9", CorrelationID: "r-1"},
	}
	ev := eventstore.Seal(stream, s.versions[stream], s.clock, []eventstore.EventData{ed})[0]
	ev.Position = s.next
	s.next++
	return ev
}

// checkpoint seals a checkpoint event for the tree of the events so far.
func (s *synth) checkpoint(t testing.TB, l *Log, k testKeys) eventstore.Event {
	t.Helper()
	ctx := context.Background()
	st := l.State()
	root, err := l.Root(ctx, st.Size)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := SignCheckpoint(k.signer, DefaultOrigin, st.Size, root)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := CheckpointEvent(cp)
	if err != nil {
		t.Fatal(err)
	}
	if ed.Data, err = eventstore.CanonicalJSON(ed.Data); err != nil { // as a store keeps it
		t.Fatal(err)
	}
	s.versions[CheckpointStream]++
	ev := eventstore.Seal(CheckpointStream, s.versions[CheckpointStream], s.clock, []eventstore.EventData{ed})[0]
	ev.Position = s.next
	s.next++
	return ev
}

// synthLog makes a log of n events with a checkpoint after every `every`
// events, through a memory Log, and returns the events.
func synthLog(t testing.TB, n, every, streams int, k testKeys) []eventstore.Event {
	t.Helper()
	ctx := context.Background()
	l, err := Open(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := newSynth(streams, 3)
	var out []eventstore.Event
	for i := range n {
		ev := s.event(i)
		out = append(out, ev)
		if err := l.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if every > 0 && (i+1)%every == 0 {
			cp := s.checkpoint(t, l, k)
			out = append(out, cp)
			if err := l.Append(ctx, cp); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

func writeExport(t testing.TB, evs []eventstore.Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := export.NewWriter(&buf)
	for _, e := range evs {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestMain keeps the log output of the stores and the tree (info lines at
// every start and checkpoint) out of test output unless -v is given.
func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Verbose() {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	os.Exit(m.Run())
}

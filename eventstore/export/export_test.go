package export_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/eventstore/export"
	"github.com/pdis/collab-ledger/eventstore/storetest"
)

// TestRoundTripThroughStore appends through the embedded store, exports the
// log and recomputes every hash from the export alone.
func TestRoundTripThroughStore(t *testing.T) {
	ctx := context.Background()
	s, err := bbolt.Open(ctx, bbolt.Config{Path: filepath.Join(t.TempDir(), "l.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 20 {
		ev := storetest.Event(t, "test.happened", i)
		if i%3 == 0 {
			ev.Metadata.OccurredAt = time.Date(2019, 1, 25, 9, 0, i, 0, time.UTC)
			ev.Metadata.CausationID = "cause"
		}
		if _, err := s.Append(ctx, "stream-"+string(rune('a'+i%4)), eventstore.Any, ev); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := s.ReadAll(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := export.NewWriter(&buf)
	for _, e := range stored {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `\u003c`) {
		t.Fatal("export escaped HTML characters, changing the data bytes")
	}
	r := export.NewReader(&buf)
	for i := 0; ; i++ {
		e, err := r.Read()
		if errors.Is(err, io.EOF) {
			if i != len(stored) {
				t.Fatalf("read %d events back, exported %d", i, len(stored))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Verify(); err != nil {
			t.Fatalf("line %d: %v", r.Line(), err)
		}
		if e.Hash != stored[i].Hash || e.Position != stored[i].Position || !e.Metadata.OccurredAt.Equal(stored[i].Metadata.OccurredAt) {
			t.Fatalf("line %d differs from the stored event", r.Line())
		}
	}
}

func TestTamperedLineFailsVerification(t *testing.T) {
	line := `{"specversion":"1.0","id":"01936f5e-7c3a-7b2e-9f10-3c4d5e6f7a8b","source":"collab-ledger","type":"proposal.signed","subject":"proposal-0193","time":"2026-11-23T03:34:13.120000Z","datacontenttype":"application/json","data":{"signer":"k7c2f0", "proposalId":"0193","note":"連署 \"OK\"\n"},"position":1234,"streamversion":42,"schemaversion":1,"actorid":"k7c2f0","actorrole":"citizen","commandid":"c-9","correlationid":"r-1","contenthash":"c320988b96c5719f247c2bcb141c2eaf61c694aaa6e4bfe2e3c2b90bc52c7370"}`
	e, err := export.NewReader(strings.NewReader(line)).Read()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Verify(); err != nil {
		t.Fatalf("the documented example (keys reordered, spaces added) does not verify: %v", err)
	}
	e, err = export.NewReader(strings.NewReader(strings.Replace(line, "k7c2f0", "k7c2f1", 1))).Read()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Verify(); !errors.Is(err, eventstore.ErrHashMismatch) {
		t.Fatalf("tampered line: %v, want ErrHashMismatch", err)
	}
	for _, bad := range []string{`{`, `{"specversion":"0.3"}`, strings.Replace(line, `"id":"0193`, `"id":"x0193`, 1)} {
		if _, err := export.NewReader(strings.NewReader("\n" + bad)).Read(); !errors.Is(err, export.ErrBadLine) || !strings.Contains(err.Error(), "line 2") {
			t.Fatalf("bad line %q: %v", bad, err)
		}
	}
}

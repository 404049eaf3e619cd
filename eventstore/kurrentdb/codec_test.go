package kurrentdb

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
)

func TestVersionRevision(t *testing.T) {
	for _, c := range []struct{ version, revision uint64 }{{1, 0}, {2, 1}, {1000, 999}, {math.MaxUint64, math.MaxUint64 - 1}} {
		if got := revisionOf(c.version); got != c.revision {
			t.Errorf("revisionOf(%d) = %d, want %d", c.version, got, c.revision)
		}
		if got := versionOf(c.revision); got != c.version {
			t.Errorf("versionOf(%d) = %d, want %d", c.revision, got, c.version)
		}
	}
}

func TestExpectationMapping(t *testing.T) {
	cases := []struct {
		exp  eventstore.Expectation
		want esdb.ExpectedRevision
	}{
		{eventstore.Any, esdb.Any{}},
		{eventstore.NoStream, esdb.NoStream{}},
		{eventstore.Exact(0), esdb.NoStream{}},
		{eventstore.StreamExists, esdb.StreamExists{}},
		{eventstore.Exact(1), esdb.Revision(0)},
		{eventstore.Exact(42), esdb.Revision(41)},
	}
	for _, c := range cases {
		if got := toESDBExpectation(c.exp); got != c.want {
			t.Errorf("toESDBExpectation(%s) = %#v, want %#v", c.exp, got, c.want)
		}
	}
	if got := expectedAt(0); got != (esdb.NoStream{}) {
		t.Errorf("expectedAt(0) = %#v, want NoStream", got)
	}
	if got := expectedAt(7); got != esdb.Revision(6) {
		t.Errorf("expectedAt(7) = %#v, want revision 6", got)
	}
	// For every expectation a stream at version v satisfies, the exact
	// expectation Append sends agrees with the direct mapping where the
	// direct mapping is exact.
	for _, v := range []uint64{0, 1, 5} {
		for _, exp := range []eventstore.Expectation{eventstore.NoStream, eventstore.Exact(v)} {
			if exp.Allows(v) && toESDBExpectation(exp) != expectedAt(v) {
				t.Errorf("version %d, %s: direct %#v, exact %#v", v, exp, toESDBExpectation(exp), expectedAt(v))
			}
		}
	}
}

func TestAllPosition(t *testing.T) {
	if got := allPosition(0); got != (esdb.Start{}) {
		t.Errorf("allPosition(0) = %#v, want Start", got)
	}
	if got := allPosition(4242); got != (esdb.Position{Commit: 4242, Prepare: 4242}) {
		t.Errorf("allPosition(4242) = %#v", got)
	}
}

// sealedEvents prepares and seals events the way Append does.
func sealedEvents(t *testing.T, stream string, first uint64, evs ...eventstore.EventData) []eventstore.Event {
	t.Helper()
	cfg := eventstore.Config{}.WithDefaults()
	prepared, err := cfg.Prepare(stream, evs)
	if err != nil {
		t.Fatal(err)
	}
	return eventstore.Seal(stream, first, cfg.RecordedAt(), prepared)
}

func richEvent(t *testing.T) eventstore.EventData {
	t.Helper()
	ev, err := eventstore.NewEventData("transcript.utterance_recorded", 3, json.RawMessage(`{"text":"您好 <b>&</b> \"q\"\u2028","n":[1.50,true,null]}`), eventstore.Metadata{
		ActorID: "steno-1", ActorRole: "stenographer", CommandID: "cmd-1", CorrelationID: "corr-1", CausationID: "cause-1",
		OccurredAt: time.Date(2019, 1, 25, 9, 30, 0, 123456789, time.FixedZone("Asia/Taipei", 8*3600)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func plainEvent(t *testing.T) eventstore.EventData {
	t.Helper()
	ev, err := eventstore.NewEventData("proposal.signed", 1, map[string]int{"n": 1}, eventstore.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestMetadataRoundTrip(t *testing.T) {
	for _, e := range sealedEvents(t, "proposal-1", 7, richEvent(t), plainEvent(t)) {
		b, err := encodeMetadata(e)
		if err != nil {
			t.Fatal(err)
		}
		if !isLedgerMetadata(b) {
			t.Fatalf("metadata %s not recognised as the ledger's", b)
		}
		d, err := decodeMetadata(b)
		if err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
		if d.SchemaVersion != e.SchemaVersion || d.Metadata != e.Metadata || !d.RecordedAt.Equal(e.RecordedAt) || d.Hash != e.Hash {
			t.Fatalf("round trip changed the envelope:\n in  %+v %v %v\n out %+v", e.Metadata, e.RecordedAt, e.Hash, d)
		}
		if d.RecordedAt.Location() != time.UTC {
			t.Errorf("recorded-at in %v, want UTC", d.RecordedAt.Location())
		}
		if !d.Metadata.OccurredAt.IsZero() && d.Metadata.OccurredAt.Location() != time.UTC {
			t.Errorf("occurred-at in %v, want UTC", d.Metadata.OccurredAt.Location())
		}
		var raw map[string]any
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		if raw["format"] != metadataFormat || raw["hash"] != e.Hash.String() || raw["recordedAt"] != eventstore.FormatTime(e.RecordedAt) {
			t.Errorf("stored metadata %s lacks the marker, hash or recorded-at", b)
		}
		if e.Metadata == (eventstore.Metadata{}) && strings.Contains(string(b), "actorId") {
			t.Errorf("empty metadata fields stored: %s", b)
		}
	}
}

func TestDecodeMetadataErrors(t *testing.T) {
	for _, b := range []string{``, `null`, `{}`, `{"by":"someone"}`, `not json`, `{"format":"other/1"}`} {
		if _, err := decodeMetadata([]byte(b)); !errors.Is(err, ErrForeignEvent) || !errors.Is(err, eventstore.ErrHashMismatch) {
			t.Errorf("decode %q: %v, want ErrForeignEvent (an ErrHashMismatch)", b, err)
		}
		if isLedgerMetadata([]byte(b)) {
			t.Errorf("%q taken for ledger metadata", b)
		}
	}
	for _, b := range []string{
		`{"format":"collab-ledger/1","schemaVersion":1,"recordedAt":"yesterday","hash":"` + strings.Repeat("0", 64) + `"}`,
		`{"format":"collab-ledger/1","schemaVersion":1,"recordedAt":"2024-01-02T03:04:05.000000Z","hash":"abc"}`,
		`{"format":"collab-ledger/1","schemaVersion":1,"recordedAt":"2024-01-02T03:04:05.000000Z","hash":"` + strings.Repeat("0", 64) + `","occurredAt":"soon"}`,
	} {
		_, err := decodeMetadata([]byte(b))
		if err == nil || errors.Is(err, ErrForeignEvent) {
			t.Errorf("decode %s: %v, want a decoding error", b, err)
		}
	}
}

// recordOf is what the server would return for an appended event.
func recordOf(t *testing.T, e eventstore.Event, pos uint64) *esdb.RecordedEvent {
	t.Helper()
	ed, err := toEventData(e)
	if err != nil {
		t.Fatal(err)
	}
	if ed.EventID != e.ID || ed.EventType != e.Type || ed.ContentType != esdb.ContentTypeJson || string(ed.Data) != string(e.Data) {
		t.Fatalf("event data %+v does not carry the event as is", ed)
	}
	return &esdb.RecordedEvent{
		EventID:      ed.EventID,
		EventType:    ed.EventType,
		ContentType:  "application/json",
		StreamID:     e.Stream,
		EventNumber:  revisionOf(e.Version),
		Position:     esdb.Position{Commit: pos, Prepare: pos},
		CreatedDate:  time.Now(),
		Data:         ed.Data,
		UserMetadata: ed.Metadata,
	}
}

func TestEventConversion(t *testing.T) {
	sealed := sealedEvents(t, "meeting-2019-01-25", 3, richEvent(t), plainEvent(t))
	for i, want := range sealed {
		pos := uint64(10_000 + 377*i)
		got, err := fromRecorded(recordOf(t, want, pos))
		if err != nil {
			t.Fatal(err)
		}
		want.Position = eventstore.Position(pos)
		if got.ID != want.ID || got.Stream != want.Stream || got.Version != want.Version || got.Position != want.Position ||
			got.Type != want.Type || got.SchemaVersion != want.SchemaVersion || string(got.Data) != string(want.Data) ||
			got.Metadata != want.Metadata || !got.RecordedAt.Equal(want.RecordedAt) || got.Hash != want.Hash {
			t.Fatalf("conversion changed the event:\n want %+v\n  got %+v", want, got)
		}
		if err := got.Verify(); err != nil {
			t.Fatalf("read-back event does not verify: %v", err)
		}
	}
	if sealed[0].Version != 3 || sealed[1].Version != 4 {
		t.Fatalf("versions %d, %d", sealed[0].Version, sealed[1].Version)
	}
}

func TestConversionDetectsTampering(t *testing.T) {
	e := sealedEvents(t, "case-9", 1, plainEvent(t))[0]
	rec := recordOf(t, e, 500)
	rec.Data = []byte(`{"n":2}`)
	got, err := fromRecorded(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Verify(); !errors.Is(err, eventstore.ErrHashMismatch) {
		t.Fatalf("tampered data verified: %v", err)
	}
	s := &Store{cfg: Config{VerifyOnRead: true}}
	if _, err := s.decode(rec); !errors.Is(err, eventstore.ErrHashMismatch) {
		t.Fatalf("decode with VerifyOnRead: %v, want ErrHashMismatch", err)
	}
	s.cfg.VerifyOnRead = false
	if _, err := s.decode(rec); err != nil {
		t.Fatalf("decode without VerifyOnRead: %v", err)
	}
	// Moving an event to another version breaks its hash too.
	rec = recordOf(t, e, 500)
	rec.EventNumber = 5
	got, _ = fromRecorded(rec)
	if err := got.Verify(); !errors.Is(err, eventstore.ErrHashMismatch) {
		t.Fatalf("event moved to another version verified: %v", err)
	}
}

func TestConversionErrors(t *testing.T) {
	e := sealedEvents(t, "case-9", 1, plainEvent(t))[0]
	rec := recordOf(t, e, math.MaxUint64)
	if _, err := fromRecorded(rec); !errors.Is(err, errNoPosition) {
		t.Fatalf("event without position: %v, want errNoPosition", err)
	}
	rec = recordOf(t, e, 1)
	rec.UserMetadata = []byte(`{"by":"another app"}`)
	if _, err := fromRecorded(rec); !errors.Is(err, ErrForeignEvent) {
		t.Fatalf("foreign event: %v, want ErrForeignEvent", err)
	}
}

func TestIsSystem(t *testing.T) {
	cases := []struct {
		stream, typ string
		want        bool
	}{
		{"proposal-1", "proposal.signed", false},
		{"$stats-127.0.0.1:2113", "$statsCollected", true},
		{"$$proposal-1", "$metadata", true},
		{"$ce-proposal", "$>", true},
		{"$ledger-id-" + uuid.NewString(), claimEventType, true},
		{"proposal-1", "$streamDeleted", true},
		{"$users", "UserCreated", true},
	}
	for _, c := range cases {
		if got := isSystem(&esdb.RecordedEvent{StreamID: c.stream, EventType: c.typ}); got != c.want {
			t.Errorf("isSystem(%q, %q) = %v, want %v", c.stream, c.typ, got, c.want)
		}
	}
}

func TestLedgerRecord(t *testing.T) {
	e := sealedEvents(t, "case-9", 1, plainEvent(t))[0]
	ledger := recordOf(t, e, 100)
	foreign := &esdb.RecordedEvent{StreamID: "orders-1", EventType: "order.placed", UserMetadata: []byte(`{}`)}
	system := &esdb.RecordedEvent{StreamID: "$stats", EventType: "$statsCollected"}
	strict := &Store{}
	lenient := &Store{cfg: Config{SkipForeignEvents: true}}
	for _, c := range []struct {
		s       *Store
		rec     *esdb.RecordedEvent
		keep    bool
		wantErr bool
	}{
		{strict, ledger, true, false},
		{strict, system, false, false},
		{strict, foreign, false, true},
		{lenient, foreign, false, false},
		{lenient, ledger, true, false},
	} {
		keep, err := c.s.ledgerRecord(c.rec)
		if keep != c.keep || (err != nil) != c.wantErr {
			t.Errorf("ledgerRecord(%s/%s, skip foreign %v) = %v, %v", c.rec.StreamID, c.rec.EventType, c.s.cfg.SkipForeignEvents, keep, err)
		}
		if err != nil && !errors.Is(err, ErrForeignEvent) {
			t.Errorf("foreign event error %v does not wrap ErrForeignEvent", err)
		}
	}
}

func TestClaimCodec(t *testing.T) {
	c := claim{ID: uuid.New(), Stream: "proposal-1", Version: 12}
	ed, err := claimEventData(c)
	if err != nil {
		t.Fatal(err)
	}
	if ed.EventType != claimEventType || !strings.HasPrefix(ed.EventType, "$") || ed.EventID == uuid.Nil || ed.EventID == c.ID {
		t.Fatalf("claim event %+v", ed)
	}
	got, err := decodeClaim(&esdb.RecordedEvent{StreamID: "$ledger-id-x", EventType: ed.EventType, Data: ed.Data})
	if err != nil || got != c {
		t.Fatalf("decode claim = %+v, %v; want %+v", got, err, c)
	}
	if _, err := decodeClaim(&esdb.RecordedEvent{StreamID: "$ledger-id-x", EventType: "other", Data: ed.Data}); err == nil {
		t.Fatal("claim of another type decoded")
	}
	if _, err := decodeClaim(&esdb.RecordedEvent{StreamID: "$ledger-id-x", EventType: claimEventType, Data: []byte(`{}`)}); err == nil {
		t.Fatal("claim without a stream decoded")
	}
}

func TestAppendSize(t *testing.T) {
	evs := []esdb.EventData{{EventType: "a.b", Data: make([]byte, 10), Metadata: make([]byte, 5)}, {EventType: "c", Data: make([]byte, 1)}}
	if got := appendSize(evs); got != 3+10+5+1+1 {
		t.Fatalf("appendSize = %d", got)
	}
}

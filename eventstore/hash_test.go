package eventstore_test

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gowebpki/jcs"

	"github.com/pdis/collab-ledger/eventstore"
)

// workedExample is the event of docs/content-hash.md.
func workedExample() eventstore.Event {
	e := eventstore.Event{
		ID:            uuid.MustParse("01936f5e-7c3a-7b2e-9f10-3c4d5e6f7a8b"),
		Stream:        "proposal-0193",
		Version:       42,
		Position:      1234, // not hashed
		Type:          "proposal.signed",
		SchemaVersion: 1,
		Data:          json.RawMessage(`{"signer":"k7c2f0","proposalId":"0193","note":"連署 \"OK\"\n"}`),
		Metadata: eventstore.Metadata{
			ActorID:       "k7c2f0",
			ActorRole:     "citizen",
			CommandID:     "c-9",
			CorrelationID: "r-1",
		},
		RecordedAt: time.Date(2026, 11, 23, 3, 34, 13, 120000000, time.UTC),
	}
	data, err := eventstore.CanonicalJSON(e.Data)
	if err != nil {
		panic(err)
	}
	e.Data = data
	return e
}

func ExampleCanonicalEnvelope() {
	e := workedExample()
	fmt.Printf("%s\n", eventstore.CanonicalEnvelope(e))
	fmt.Println(eventstore.ContentHash(e))
	// Output:
	// {"data":{"note":"連署 \"OK\"\n","proposalId":"0193","signer":"k7c2f0"},"id":"01936f5e-7c3a-7b2e-9f10-3c4d5e6f7a8b","metadata":{"actorId":"k7c2f0","actorRole":"citizen","commandId":"c-9","correlationId":"r-1"},"recordedAt":"2026-11-23T03:34:13.120000Z","schemaVersion":1,"stream":"proposal-0193","type":"proposal.signed","version":42}
	// c320988b96c5719f247c2bcb141c2eaf61c694aaa6e4bfe2e3c2b90bc52c7370
}

// TestCanonicalEnvelopeIsJCS: the hand-written envelope encoder gives the
// same bytes as a general RFC 8785 implementation applied to the envelope
// as an auditor would build it from an export, over awkward strings.
func TestCanonicalEnvelopeIsJCS(t *testing.T) {
	awkward := []string{"", "plain", "quote\" back\\slash", "ctl\x00\x01\x1f\x7f", "tab\tnl\nbs\bff\fcr\r", "中文（與會者皆無意見）", "line\u2028sep\u2029", "emoji 🗳", "</script>&"}
	for i, s := range awkward {
		e := workedExample()
		e.Stream = "s-" + s
		e.Type = "t.x"
		e.Metadata = eventstore.Metadata{ActorID: s, CausationID: s, OccurredAt: time.Date(2019, 1, 25, 1, 0, 0, 1000, time.UTC)}
		if i%2 == 0 {
			e.Metadata.OccurredAt = time.Time{}
		}
		md := map[string]any{}
		if s != "" {
			md["actorId"] = s
			md["causationId"] = s
		}
		if !e.Metadata.OccurredAt.IsZero() {
			md["occurredAt"] = eventstore.FormatTime(e.Metadata.OccurredAt)
		}
		env := map[string]any{
			"data": json.RawMessage(e.Data), "id": e.ID.String(), "metadata": md,
			"recordedAt": eventstore.FormatTime(e.RecordedAt), "schemaVersion": e.SchemaVersion,
			"stream": e.Stream, "type": e.Type, "version": e.Version,
		}
		raw, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		want, err := jcs.Transform(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := eventstore.CanonicalEnvelope(e); string(got) != string(want) {
			t.Fatalf("%q:\n got %s\nwant %s", s, got, want)
		}
		if eventstore.ContentHash(e) != sha256.Sum256(want) {
			t.Fatalf("%q: hash is not SHA-256 of the canonical bytes", s)
		}
	}
}

func TestVerifyDetectsChange(t *testing.T) {
	e := workedExample()
	e.Hash = eventstore.ContentHash(e)
	if err := e.Verify(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*eventstore.Event){
		"data":       func(e *eventstore.Event) { e.Data = json.RawMessage(`{"signer":"someone-else"}`) },
		"version":    func(e *eventstore.Event) { e.Version++ },
		"stream":     func(e *eventstore.Event) { e.Stream += "x" },
		"actor":      func(e *eventstore.Event) { e.Metadata.ActorID = "x" },
		"recordedAt": func(e *eventstore.Event) { e.RecordedAt = e.RecordedAt.Add(time.Microsecond) },
		"occurredAt": func(e *eventstore.Event) { e.Metadata.OccurredAt = e.RecordedAt },
	} {
		c := e
		mutate(&c)
		if err := c.Verify(); err == nil {
			t.Errorf("changing %s went unnoticed", name)
		}
	}
	c := e
	c.Position = 1
	if err := c.Verify(); err != nil {
		t.Errorf("the position is not part of the hash, yet: %v", err)
	}
}

func TestExpectation(t *testing.T) {
	cases := []struct {
		exp    eventstore.Expectation
		actual uint64
		ok     bool
	}{
		{eventstore.Any, 0, true}, {eventstore.Any, 5, true},
		{eventstore.NoStream, 0, true}, {eventstore.NoStream, 1, false},
		{eventstore.StreamExists, 0, false}, {eventstore.StreamExists, 3, true},
		{eventstore.Exact(3), 3, true}, {eventstore.Exact(3), 2, false}, {eventstore.Exact(0), 0, true},
	}
	for _, c := range cases {
		if got := c.exp.Allows(c.actual); got != c.ok {
			t.Errorf("%s allows %d = %v, want %v", c.exp, c.actual, got, c.ok)
		}
	}
}

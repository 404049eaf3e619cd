package eventstore_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gowebpki/jcs"

	"github.com/pdis/collab-ledger/eventstore"
)

// canonicalSeeds are documents that exercise every branch of the
// canonicaliser and of jcs: escapes, Unicode (CJK, U+2028, emoji as raw
// UTF-8 and as surrogate pairs, keys that UTF-16 orders differently from
// code points), numbers (1e21, -0, 1.0, 1e-7, huge, long integers),
// nesting, duplicate names (refused) and malformed input (refused).
var canonicalSeeds = []string{
	`{}`, `[]`, `{ }`, ` [ ] `, `{"a":1}`, `{"b":1,"a":2}`, `{"a":{"d":1,"c":[3,2,{"f":1,"e":0}]},"0":null}`,
	`{"signer":"k7c2f0","proposalId":"0193","note":"連署 \"OK\"\n"}`,
	`{"s":"\u00e9\u4e2d\u2028\u2029\ud83d\ude00😀","t":"\/\b\f\n\r\t\"\\","u":"\u0000\u001f\u007f\u0020"}`,
	`{"\u0061":1,"b":2}`, `{"a":1,"\u0061":2}`, `{"a":1,"a":2}`, `{"é":1,"e":2,"😀":3,"\ue000":4,"":5}`,
	`{"\ud83d\ude00":1,"\uffff":2,"\ud7ff":3}`, `{"a\"":1,"a#":2,"a\\":3,"a\n":4,"a\u0001":5}`,
	`[1e21,1e20,-0,0,1.0,1.5,-1.5e-7,1e-7,0.000001,123456789012345,1234567890123456,12345678901234567890,9007199254740993]`,
	`[1E+2,1e+02,1e-02,-0.0,0.1,100,-100,1e400,-1e400,1e-400,4.9e-324,1.7976931348623157e308]`,
	`[true,false,null]`, `true`, ` 42 `, `"x"`, `-0`, `1.0`,
	`[01]`, `[1.]`, `[.1]`, `[+1]`, `[0x10]`, `[1e]`, `[-]`, `[tru]`, `[nul]`, `[1 2]`, `[1,]`, `[,1]`, `{,}`,
	`{"a":1,}`, `{"a" 1}`, `{"a":}`, `{"a":1`, `[`, `{`, ``, ` `, `"abc`, `"\x"`, `"\u12"`, `"\ud800"`, `"\udc00"`,
	`"\ud800\u0041"`, `"\ud800x"`, "\"\xff\"", "\"\xc3\"", "[1]\xc3", "\xef\xbb\xbf{}", "{\"a\":1}x", "\"a\tb\"",
	`{"a":1} `, "{\"a\":1}\n\t\r ", `[1]]`, `{"a":true"b":1}`, `[[[[[]]]]]`, `{"a":[{"b":{"c":[]}}]}`,
}

func FuzzCanonicalJSON(f *testing.F) {
	for _, s := range canonicalSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkCanonical(t, doc)
	})
}

// checkCanonical fails unless CanonicalJSON and jcs.Transform agree on doc:
// both refuse it, or both give the same bytes.
func checkCanonical(t *testing.T, doc []byte) {
	t.Helper()
	want, werr := jcs.Transform(doc)
	got, gerr := eventstore.CanonicalJSON(doc)
	switch {
	case (werr == nil) != (gerr == nil):
		t.Fatalf("%q: jcs error %v, ours %v", doc, werr, gerr)
	case werr == nil && !bytes.Equal(got, want):
		t.Fatalf("%q:\n got %s\nwant %s", doc, got, want)
	}
}

func TestCanonicalJSONMatchesJCS(t *testing.T) {
	for _, s := range canonicalSeeds {
		checkCanonical(t, []byte(s))
	}
	// Deep nesting: at the limit and one past it.
	for _, n := range []int{10000, 10001} {
		checkCanonical(t, []byte(strings.Repeat("[", n)+strings.Repeat("]", n)))
		checkCanonical(t, []byte(strings.Repeat(`{"a":`, n)+"1"+strings.Repeat("}", n)))
	}
	// Random documents built from awkward parts, encoded as encoding/json
	// writes them (keys in struct order, HTML escapes) and re-indented.
	rng := rand.New(rand.NewPCG(1, 2))
	parts := []string{"a", "b", "é", "中文", "😀", "\u2028", "<&>", "\"", "\\", "\n", "\x01", "\x7f", "\ue000", "", "0", "A"}
	word := func() string {
		var b strings.Builder
		for range rng.IntN(4) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		return b.String()
	}
	var value func(depth int) any
	value = func(depth int) any {
		switch k := rng.IntN(7); {
		case k == 0 && depth < 4:
			m := map[string]any{}
			for range rng.IntN(6) {
				m[word()] = value(depth + 1)
			}
			return m
		case k == 1 && depth < 4:
			a := make([]any, rng.IntN(4))
			for i := range a {
				a[i] = value(depth + 1)
			}
			return a
		case k == 2:
			return rng.NormFloat64() * []float64{1, 1e-9, 1e22, 1e6}[rng.IntN(4)]
		case k == 3:
			return rng.Int64N(1<<62) - 1<<61
		case k == 4:
			return rng.IntN(2) == 0
		default:
			return word()
		}
	}
	for range 3000 {
		doc, err := json.Marshal(value(0))
		if err != nil {
			t.Fatal(err)
		}
		checkCanonical(t, doc)
		var ind bytes.Buffer
		if err := json.Indent(&ind, doc, "", " \t"); err != nil {
			t.Fatal(err)
		}
		checkCanonical(t, ind.Bytes())
	}
}

func TestCanonicalJSONDoesNotShare(t *testing.T) {
	doc := []byte(`{"a":1}`)
	out, err := eventstore.CanonicalJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	doc[2] = 'b'
	if string(out) != `{"a":1}` {
		t.Fatalf("output shares the input's memory: %s", out)
	}
}

func BenchmarkCanonicalJSON(b *testing.B) {
	doc := []byte(`{"meetingId":"m-2019-01-25-a","utteranceId":"u-123","kind":"speech","speaker":{"ref":"#p1","name":"唐鳳"},"paragraphs":["大家好，今天的會議 <a href=\"x\">連結</a> \u0026 更多","第二段"],"at":"2019-01-25T01:00:00.000000Z","seq":42}`)
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := eventstore.CanonicalJSON(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jcs", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jcs.Transform(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestCanonicalEnvelopeMetadataSubsets checks the envelope against a
// general RFC 8785 implementation for every subset of the metadata fields.
func TestCanonicalEnvelopeMetadataSubsets(t *testing.T) {
	base := workedExample()
	names := []string{"actorId", "actorRole", "causationId", "commandId", "correlationId", "occurredAt"}
	for mask := range 1 << len(names) {
		e := base
		e.Metadata = eventstore.Metadata{}
		md := map[string]any{}
		for k, name := range names {
			if mask&(1<<k) == 0 {
				continue
			}
			v := name + " \"é\"\n"
			switch name {
			case "actorId":
				e.Metadata.ActorID = v
			case "actorRole":
				e.Metadata.ActorRole = v
			case "causationId":
				e.Metadata.CausationID = v
			case "commandId":
				e.Metadata.CommandID = v
			case "correlationId":
				e.Metadata.CorrelationID = v
			case "occurredAt":
				e.Metadata.OccurredAt = base.RecordedAt.Add(-time.Hour)
				v = eventstore.FormatTime(e.Metadata.OccurredAt)
			}
			md[name] = v
		}
		raw, err := json.Marshal(map[string]any{
			"data": json.RawMessage(e.Data), "id": e.ID.String(), "metadata": md,
			"recordedAt": eventstore.FormatTime(e.RecordedAt), "schemaVersion": e.SchemaVersion,
			"stream": e.Stream, "type": e.Type, "version": e.Version,
		})
		if err != nil {
			t.Fatal(err)
		}
		want, err := jcs.Transform(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := eventstore.CanonicalEnvelope(e); !bytes.Equal(got, want) {
			t.Fatalf("metadata %06b:\n got %s\nwant %s", mask, got, want)
		}
		if eventstore.ContentHash(e) != sha256.Sum256(want) {
			t.Fatalf("metadata %06b: hash is not SHA-256 of the canonical bytes", mask)
		}
	}
}

// TestPrepareTakesCanonicalData: data marked Canonical is kept as given (its
// encoder wrote the canonical form); it must still be an object; data not
// marked is canonicalised.
func TestPrepareTakesCanonicalData(t *testing.T) {
	cfg := eventstore.Config{}.WithDefaults()
	ev := func(data string, canonical bool) eventstore.EventData {
		return eventstore.EventData{ID: uuid.New(), Type: "t.x", SchemaVersion: 1, Data: []byte(data), Canonical: canonical}
	}
	out, err := cfg.Prepare("s-1", []eventstore.EventData{ev(`{"a":1,"b":"x"}`, true), ev(`{ "b":"x", "a":1.0 }`, false)})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out[0].Data); got != `{"a":1,"b":"x"}` {
		t.Errorf("canonical data became %s", got)
	}
	if got := string(out[1].Data); got != `{"a":1,"b":"x"}` {
		t.Errorf("data not marked canonical became %s, want it canonicalised", got)
	}
	for _, bad := range []string{``, `[1]`, `"x"`} {
		if _, err := cfg.Prepare("s-1", []eventstore.EventData{ev(bad, true)}); !errors.Is(err, eventstore.ErrInvalidEvent) {
			t.Errorf("canonical data %q: %v, want ErrInvalidEvent", bad, err)
		}
	}
}

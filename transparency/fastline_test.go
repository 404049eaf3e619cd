package transparency

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/export"
)

var cp0time = time.Date(2026, 11, 23, 3, 34, 13, 120000000, time.UTC)

// slowDecode is the export package's own reading of a line.
func slowDecode(line []byte) (eventstore.Event, error) {
	ev, err := export.NewReader(bytes.NewReader(append(line, '\n'))).Read()
	return ev, err
}

// awkward strings for data values, stream names and metadata.
var awkward = []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\r", "ctl \x01\x1f", "\u2028\u2029", "emoji 🙂", "連署 OK",
	"<html> & 'x'", "\x7f del", "é"}

func TestFastLineMatchesExportReader(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var fast, total int
	for i := range 1500 {
		s := awkward[rng.IntN(len(awkward))]
		data := map[string]any{"note": s, "n": rng.IntN(1 << 40), "neg": -rng.IntN(100), "list": []any{s, true, nil, 15, map[string]any{"z": 1, "a": s}},
			"nested": map[string]any{"b": []any{}, "a": map[string]any{}}}
		if i%5 == 0 {
			data[s] = 1 // a key that may need escapes or sorting by UTF-16
		}
		if i%7 == 0 {
			data["big"] = 1e21
			data["frac"] = 0.1
		}
		raw, _ := json.Marshal(data)
		canon, err := eventstore.CanonicalJSON(raw)
		if err != nil {
			t.Fatal(err)
		}
		md := eventstore.Metadata{ActorID: awkward[rng.IntN(len(awkward))], CommandID: "c", CausationID: awkward[rng.IntN(len(awkward))]}
		if i%3 == 0 {
			md.OccurredAt = time.Date(2019, 1, 25, 9, 0, i%60, 1000*i, time.UTC)
		}
		stream := "s-" + awkward[rng.IntN(len(awkward))]
		ev := eventstore.Seal(stream, uint64(i+1), cp0time.Add(time.Duration(i)*time.Microsecond),
			[]eventstore.EventData{{ID: uuid.New(), Type: "t.x", SchemaVersion: 1 + i%3, Data: canon, Metadata: md}})[0]
		ev.Position = eventstore.Position(i + 1)
		line := bytes.TrimSpace(writeExport(t, []eventstore.Event{ev}))
		variants := [][]byte{line}
		// Reformatted by another tool: indented, keys reordered, data not
		// canonical, an unknown attribute, a null, upper-case hex.
		var ind bytes.Buffer
		json.Indent(&ind, line, "", "  ")
		variants = append(variants, bytes.ReplaceAll(ind.Bytes(), []byte("\n"), []byte(" ")))
		var generic map[string]any
		json.Unmarshal(line, &generic)
		re, _ := json.Marshal(generic)
		upper := bytes.Clone(line)
		if at := bytes.Index(upper, []byte(`"contenthash":"`)); at >= 0 {
			h := upper[at+15 : at+15+64]
			copy(h, strings.ToUpper(string(h)))
		}
		variants = append(variants, re, upper, bytes.Replace(line, []byte(`"actorid":"`), []byte(`"actorid":null,"actorid":"`), 1))
		// Attributes the content hash does not cover are refused, not
		// ignored: an added one, a renamed one, another source.
		for _, refused := range [][]byte{bytes.Replace(line, []byte(`"specversion"`), []byte(`"extra":null,"specversion"`), 1),
			bytes.Replace(line, []byte(`"position"`), []byte(`"Position"`), 1),
			bytes.Replace(line, []byte(`"source":"collab-ledger"`), []byte(`"source":"elsewhere"`), 1)} {
			if _, err := decodeExportLine(refused); err == nil || !strings.Contains(err.Error(), "not hashed") && !strings.Contains(err.Error(), "does not cover") {
				t.Fatalf("event %d: an attribute the hash does not cover was not refused: %v\n%s", i, err, refused)
			}
		}
		for vi, v := range variants {
			total++
			got, gerr := decodeExportLine(v)
			want, werr := slowDecode(v)
			if (gerr == nil) != (werr == nil) {
				t.Fatalf("event %d variant %d: fast error %v, export reader error %v\n%s", i, vi, gerr, werr, v)
			}
			if werr != nil {
				continue
			}
			if !reflect.DeepEqual(normal(got), normal(want)) {
				t.Fatalf("event %d variant %d:\nfast   %+v\nexport %+v\n%s", i, vi, got, want, v)
			}
			if _, ok := fastDecodeLine(v); ok {
				fast++
			}
		}
	}
	t.Logf("%d of %d lines took the fast path", fast, total)
	if fast < total/5 {
		t.Fatalf("only %d of %d lines took the fast path", fast, total)
	}
}

// normal makes events comparable with DeepEqual (time locations, empty
// slices).
func normal(e eventstore.Event) eventstore.Event {
	e.RecordedAt = e.RecordedAt.UTC()
	if !e.Metadata.OccurredAt.IsZero() {
		e.Metadata.OccurredAt = e.Metadata.OccurredAt.UTC()
	}
	return e
}

// TestFastLineMutations flips bytes of exported lines: whatever the fast
// path accepts, the export reader reads the same way.
func TestFastLineMutations(t *testing.T) {
	mutations := []byte("{}[]\":,\\0123456789abcdefuE.-+ \x00\xff")
	s := newSynth(2, 1)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 400 {
		ev := s.event(i)
		line := bytes.TrimSpace(writeExport(t, []eventstore.Event{ev}))
		for range 20 {
			m := bytes.Clone(line)
			m[rng.IntN(len(m))] = mutations[rng.IntN(len(mutations))]
			got, ok := fastDecodeLine(m)
			if !ok {
				continue
			}
			want, err := slowDecode(m)
			if err != nil {
				t.Fatalf("fast path accepted what the export reader refuses (%v):\n%s", err, m)
			}
			if !reflect.DeepEqual(normal(got), normal(want)) {
				t.Fatalf("fast path reads differently:\n%s\nfast   %+v\nexport %+v", m, got, want)
			}
		}
	}
}

func TestCanonicalScan(t *testing.T) {
	for _, c := range []struct {
		in    string
		canon bool
	}{
		{`{}`, true}, {`{"a":1,"b":[true,false,null,"x"]}`, true}, {`{"b":1,"a":2}`, false}, {`{"a":1,"a":2}`, false},
		{`{"a": 1}`, false}, {`{"a":1.5}`, false}, {`{"a":-0}`, false}, {`{"a":1e3}`, false}, {`{"a":"\u0041"}`, false},
		{`{"a":"\u001f"}`, true}, {`{"a":"\u001F"}`, false}, {`{"a":"\n"}`, true}, {`{"a":"\u000a"}`, false}, {`{"a":"\/"}`, false},
		{`{"é":1}`, false}, {`{"a":1234567890123456}`, false}, {`{"a":123456789012345}`, true}, {`{"a":[{"b":{}}]}`, true},
	} {
		end, canon, ok := scanValue([]byte(c.in), 0, 0)
		if !ok || end != len(c.in) || canon != c.canon {
			t.Errorf("%s: end %d ok %v canonical %v, want canonical %v", c.in, end, ok, canon, c.canon)
		}
		if canon {
			out, err := eventstore.CanonicalJSON([]byte(c.in))
			if err != nil || string(out) != c.in {
				t.Errorf("%s judged canonical but RFC 8785 gives %s (%v)", c.in, out, err)
			}
		}
	}
	for _, bad := range []string{`{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `{"a":tru}`, `{"a":"x` + "\x01" + `"}`, `{"a":01`} {
		if end, _, ok := scanValue([]byte(bad), 0, 0); ok && end == len(bad) {
			t.Errorf("%s scanned as a whole value", bad)
		}
	}
}

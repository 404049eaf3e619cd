package readmodels

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
)

// placeSeeds are utterances' documents as the read models write them, and
// JSON they never write, for decodePlace to decode as json.Unmarshal does.
func placeSeeds(t testing.TB) [][]byte {
	at := time.Date(2026, 12, 7, 5, 0, 0, 123, time.UTC)
	stamp := Stamp{Position: 1 << 40, EventID: "e-1", Actor: Actor{ID: "a", Role: "pdis"}, OccurredAt: at, RecordedAt: at}
	us := []Utterance{
		{UtteranceID: "u-1", Seq: 3, Kind: "speech", Paragraphs: []string{`say "hi"`, "唐鳳說：\\n"}, Version: 2,
			Speaker: &domain.Speaker{Name: "唐鳳"}, Origin: Origin{How: "recorded", Stamp: stamp},
			Versions: []UtteranceVersion{{Version: 1, Paragraphs: []string{"{[}]"}}}},
		{UtteranceID: "u-2", Origin: Origin{How: "inserted", After: "u-1", Stamp: stamp},
			Removed: &UtteranceRemoval{How: "merged", Into: "u-1", Editor: "ed", Reason: "dup \"x\"", Stamp: stamp}},
		{UtteranceID: "u-\"3\"\u00e9", Origin: Origin{How: "split", SplitFrom: "u-1", Part: 2, Stamp: stamp}},
		{},
	}
	var out [][]byte
	for _, u := range us {
		b, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	for _, s := range []string{
		`{"utteranceId":"u","seq":-4,"origin":{"how":"recorded","position":0}}`,
		`{"utteranceId":null,"seq":null,"removed":null,"origin":null}`,
		`{"utteranceId":"a","utteranceId":"b","origin":{"part":1,"part":7}}`,
		`{ "utteranceId": "spaced", "origin": {"position": 9} }`,
		`{"UtteranceID":"folded","Origin":{"How":"x","POSITION":5}}`,
		`{"utteranceId":"bad-utf8-` + "\xff" + `"}`,
		`{"utteranceId":"tab	in"}`,
		`{"seq":1.5}`, `{"seq":1e2}`, `{"seq":007}`, `{"origin":{"position":-1}}`,
		`{"origin":{"position":18446744073709551615}}`, `{"origin":{"position":99999999999999999999}}`,
		`{"utteranceId":1}`, `{"origin":[]}`, `{"removed":{"how":5}}`, `{"removed":"x"}`,
		`{"utteranceId":"x"`, `[]`, `null`, `{}`, `{"a":{"b":[1,{"c":"}"}]},"utteranceId":"after-nest"}`,
	} {
		out = append(out, []byte(s))
	}
	return out
}

// TestDecodePlaceAgrees checks decodePlace against json.Unmarshal into an
// utterancePlace: the same place, or both failing.
func TestDecodePlaceAgrees(t *testing.T) {
	seeds := placeSeeds(t)
	for _, raw := range seeds {
		checkPlace(t, raw)
	}
	// The documents json.Marshal writes take the walk, not the fallback.
	for _, raw := range seeds[:4] {
		if _, ok := scanPlace(raw); !ok {
			t.Errorf("%s: scanPlace left it to encoding/json", raw)
		}
	}
}

// FuzzDecodePlace is TestDecodePlaceAgrees on JSON the fuzzer makes.
func FuzzDecodePlace(f *testing.F) {
	for _, raw := range placeSeeds(f) {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			// Documents were valid when stored (Put checks): decodePlace
			// does not check all of a document again, only must not panic.
			_, _ = decodePlace(raw)
			return
		}
		checkPlace(t, raw)
	})
}

func checkPlace(t *testing.T, raw []byte) {
	t.Helper()
	var want utterancePlace
	wantErr := json.Unmarshal(raw, &want)
	got, err := decodePlace(raw)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%s: error %v, json.Unmarshal's %v", raw, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: got %+v, json.Unmarshal %+v", raw, got, want)
	}
}

// BenchmarkDecodePlace compares decodePlace with json.Unmarshal on an
// utterance's document.
func BenchmarkDecodePlace(b *testing.B) {
	raw := placeSeeds(b)[0]
	b.Run("walk", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodePlace(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			var p utterancePlace
			if err := json.Unmarshal(raw, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

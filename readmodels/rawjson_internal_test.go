package readmodels

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// TestSkipStringAsByteLoop checks skipString against the byte-by-byte
// scan it replaced, over random runs of quotes, backslashes and letters.
func TestSkipStringAsByteLoop(t *testing.T) {
	byteLoop := func(data []byte, i int) (int, bool) {
		for j := i + 1; j < len(data); j++ {
			switch data[j] {
			case '\\':
				j++
			case '"':
				return j + 1, true
			}
		}
		return 0, false
	}
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte(`"\\ab"\`)
	for range 200000 {
		data := make([]byte, 1+r.IntN(12))
		data[0] = '"'
		for k := 1; k < len(data); k++ {
			data[k] = alphabet[r.IntN(len(alphabet))]
		}
		gotEnd, gotOK := skipString(data, 0)
		wantEnd, wantOK := byteLoop(data, 0)
		if gotEnd != wantEnd || gotOK != wantOK {
			t.Fatalf("skipString(%q) = %d, %v; want %d, %v", data, gotEnd, gotOK, wantEnd, wantOK)
		}
	}
}

// TestEventFieldNamesKnown checks that the names topFields passes without
// allocating include a signature's.
func TestEventFieldNamesKnown(t *testing.T) {
	for _, n := range []string{"proposalId", "signatureId", "signer", "count", "county", "district", "at", "backdateReason", "meetingId", "utteranceId"} {
		if eventFieldNames[n] != n {
			t.Errorf("%q not among the event field names (%d names)", n, len(eventFieldNames))
		}
	}
}

// signedFieldsByHand is signedFields as it read a signature's JSON itself,
// before readSigned read it once for every fold (the reference the shared
// reading is checked against).
func signedFieldsByHand(ev eventstore.Event) (plainSignature, bool) {
	if ev.Type != signedType {
		return plainSignature{}, false
	}
	if v, _ := domain.EventSchemaVersion(ev.Type); ev.SchemaVersion != v {
		return plainSignature{}, false
	}
	var id string
	sf, plain := plainSignature{count: -1}, true
	err := topFields(ev.Data, func(name string, raw []byte) {
		var ok bool
		switch name {
		case "proposalId":
			if id, ok = rawString(raw); !ok {
				plain = false
			}
		case "count":
			if sf.count = rawCount(raw); sf.count < 0 {
				plain = false
			}
		case "county":
			if sf.county, ok = rawString(raw); !ok {
				plain = false
			}
		case "backdateReason":
			if sf.backdated, ok = rawString(raw); !ok {
				plain = false
			}
		case "signatureId", "signer", "district", "at":
		default:
			plain = false
		}
	})
	if err != nil || !plain || id == "" || sf.count < 0 {
		return plainSignature{}, false
	}
	sf.proposal = domain.ProposalID(id)
	sf.countyKey = CountyOf(sf.county) // as the counties' fold took it
	return sf, true
}

// randomSignedData returns a signature's JSON, plain most of the time, else
// with a field missing, repeated, unknown, null, of another type, escaped,
// or cut short.
func randomSignedData(r *rand.Rand) []byte {
	fields := [][2]string{
		{"proposalId", `"p-` + strconv.Itoa(r.IntN(50)) + `"`},
		{"signatureId", `"0b9c1a52-5c1e-4b8e-9f43-` + fmt.Sprintf("%012x", r.Uint64()>>16) + `"`},
		{"signer", `"s` + strconv.Itoa(r.IntN(1000)) + `"`},
		{"count", strconv.Itoa(r.IntN(100000))},
		{"county", `"臺北市"`},
		{"district", `"中正區"`},
		{"at", `"2025-03-01T08:00:00Z"`},
	}
	if r.IntN(4) == 0 {
		fields = append(fields, [2]string{"backdateReason", `"paper form \"A\""`})
	}
	odd := []string{`null`, `12`, `"x"`, `""`, `"\u00e9"`, `-1`, `01`, `1.5`, `true`, `{"a":1}`, `["x"]`, `"bad \q"`}
	for range r.IntN(3) {
		i := r.IntN(len(fields))
		switch r.IntN(5) {
		case 0: // a value of another shape
			fields[i][1] = odd[r.IntN(len(odd))]
		case 1: // missing
			fields = append(fields[:i], fields[i+1:]...)
		case 2: // repeated with another value
			fields = append(fields, [2]string{fields[i][0], odd[r.IntN(len(odd))]})
		case 3: // unknown
			fields = append(fields, [2]string{"extra", `"1"`})
		case 4: // repeated as it was
			fields = append(fields, fields[i])
		}
	}
	var b []byte
	b = append(b, '{')
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, f[0]...)
		b = append(b, `":`...)
		b = append(b, f[1]...)
	}
	b = append(b, '}')
	if r.IntN(20) == 0 {
		b = b[:r.IntN(len(b))]
	}
	return b
}

// TestReadSignedAsByHand checks signedFields, reading through readSigned
// (and its cache), against the reading by hand it replaced, over random
// signatures: plain ones and every kind of odd one.
func TestReadSignedAsByHand(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	sv, _ := domain.EventSchemaVersion(signedType)
	taken := 0
	for i := range 50000 {
		ev := eventstore.Event{Type: signedType, SchemaVersion: sv, Position: eventstore.Position(i + 1), Data: randomSignedData(r)}
		if r.IntN(50) == 0 {
			ev.SchemaVersion++
		}
		if r.IntN(50) == 0 {
			ev.Type = "proposal.signature_invalidated"
		}
		want, wantOK := signedFieldsByHand(ev)
		for range 2 { // read, then remembered
			got, ok := signedFields(ev)
			if ok != wantOK || got != want {
				t.Fatalf("%s v%d %s: signedFields = %+v, %v; by hand %+v, %v", ev.Type, ev.SchemaVersion, ev.Data, got, ok, want, wantOK)
			}
		}
		if wantOK {
			taken++
		}
	}
	if taken < 20000 || taken > 45000 {
		t.Errorf("%d of 50,000 random signatures plain: the test does not cover both kinds", taken)
	}
}

// TestReadSignedRemembersTheSameMemoryOnly checks that readSigned reads a
// signature once for every fold of the same event (the same data, shared
// by the Runner's reader), and afresh for another event at the same
// position (another store, or another copy of the data), also while
// goroutines read the same events at once.
func TestReadSignedRemembersTheSameMemoryOnly(t *testing.T) {
	sv, _ := domain.EventSchemaVersion(signedType)
	ev := eventstore.Event{Type: signedType, SchemaVersion: sv, Position: 7_000_001,
		Data: []byte(`{"proposalId":"p-1","signatureId":"0b9c1a52-5c1e-4b8e-9f43-000000000001","signer":"s1","count":3}`)}
	first := readSigned(ev)
	if again := readSigned(ev); again != first {
		t.Error("the same event was read twice")
	}
	cp := ev
	cp.Data = bytes.Clone(ev.Data)
	if other := readSigned(cp); other == first || !reflect.DeepEqual(other, first) {
		t.Errorf("a copy of the data: read %p (%+v), first %p (%+v); want another reading, equal", other, other, first, first)
	}
	// Another store's event at the same position, of the same length.
	cp.Data = bytes.Replace(bytes.Clone(ev.Data), []byte(`"p-1"`), []byte(`"p-2"`), 1)
	if got := readSigned(cp); got.proposal != "p-2" {
		t.Errorf("another event at the same position read as %q", got.proposal)
	}

	// Goroutines folding the same events and others at the same
	// positions: every reading is the event's own.
	r := rand.New(rand.NewPCG(7, 8))
	const n = 3000
	evs := make([][]eventstore.Event, 2)
	for k := range evs {
		for i := range n {
			evs[k] = append(evs[k], eventstore.Event{Type: signedType, SchemaVersion: sv, Position: eventstore.Position(i + 1),
				Data: randomSignedData(r)})
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, ev := range evs[g%2] {
				got, want := readSigned(ev), parseSigned(ev.Data)
				if !reflect.DeepEqual(got, want) {
					errs <- fmt.Sprintf("%s: read %+v, want %+v", ev.Data, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestCountyNamesNormal checks what CountyOf's first lookup relies on: every
// spelling countyNames holds is its own normal form (台 written 臺, no space
// around it, lower case), so that looking a county string up as it is finds
// what looking its normal form up finds.
func TestCountyNamesNormal(t *testing.T) {
	for name := range countyNames {
		if n := strings.ToLower(strings.TrimSpace(strings.ReplaceAll(name, "台", "臺"))); n != name {
			t.Errorf("%q normalises to %q", name, n)
		}
	}
	for raw, want := range map[string]string{"臺北市": "taipei-city", "台北市": "taipei-city", " Taipei City ": "taipei-city",
		"": CountyNotGiven, "其它": CountyOther, "臺\ufffd市": CountyUnreadable} {
		if got := CountyOf(raw); got != want {
			t.Errorf("CountyOf(%q) = %q, want %q", raw, got, want)
		}
	}
}

// TestAppendPreloadAsPreload checks the tallies' and the counties'
// AppendPreload against Preload as each read it before (the table's types,
// the stream's proposal or monthly meeting), for every event type on
// streams of every kind, appended after documents already named.
func TestAppendPreloadAsPreload(t *testing.T) {
	talliesByHand := func(ev eventstore.Event) []projections.DocRef { return talliesPreload(ev) }
	countiesByHand := func(ev eventstore.Event) []projections.DocRef {
		if !countiesTable.handles(ev.Type) {
			return nil
		}
		if id := domain.StreamOf(domain.StreamProposal, ev.Stream); id != "" {
			return []projections.DocRef{{Collection: collCounties, Key: id}}
		}
		return nil
	}
	streams := []string{domain.ProposalStream("p-1"), domain.MonthlyMeetingStream("2025-03"), domain.CaseStream("c-1"), "other", ""}
	prefix := []projections.DocRef{{Collection: "x", Key: "y"}}
	named := 0
	for _, ty := range domain.EventTypes() {
		for _, stream := range streams {
			ev := eventstore.Event{Type: ty, Stream: stream, Data: []byte(`{"sourceRef":"p-2","monthlyMeetingId":"2025-04"}`)}
			for _, c := range []struct {
				name   string
				got    []projections.DocRef
				byHand []projections.DocRef
			}{
				{"tallies", Tallies{}.AppendPreload(slices.Clone(prefix), ev), talliesByHand(ev)},
				{"counties", Counties{}.AppendPreload(slices.Clone(prefix), ev), countiesByHand(ev)},
			} {
				want := append(slices.Clone(prefix), c.byHand...)
				if !slices.Equal(c.got, want) {
					t.Errorf("%s, %s on %q: AppendPreload gives %v, want %v", c.name, ty, stream, c.got, want)
				}
				named += len(c.byHand)
			}
			if got, want := (Tallies{}).Preload(ev), talliesByHand(ev); !slices.Equal(got, want) {
				t.Errorf("tallies, %s on %q: Preload gives %v, want %v", ty, stream, got, want)
			}
			if got, want := (Counties{}).Preload(ev), countiesByHand(ev); !slices.Equal(got, want) {
				t.Errorf("counties, %s on %q: Preload gives %v, want %v", ty, stream, got, want)
			}
		}
	}
	if named < 20 {
		t.Errorf("only %d documents named: the events do not reach the tables", named)
	}
}

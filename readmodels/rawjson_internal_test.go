package readmodels

import (
	"math/rand/v2"
	"testing"
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

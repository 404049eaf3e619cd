package readmodels

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestSigTimeKeyAsFormat checks the hand-written time key against
// time.Format, over random times, the edges of the years written by hand,
// and years outside them.
func TestSigTimeKeyAsFormat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{
		{}, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(2017, 3, 4, 5, 6, 7, 8, time.FixedZone("UTC+8", 8*3600)),
	}
	for range 10000 {
		times = append(times, time.Unix(r.Int64N(1<<36)-1<<35, r.Int64N(1e9)).In(time.FixedZone("z", int(r.Int32N(50000)))))
	}
	for _, at := range times {
		want := at.UTC().Format(sigTimeLayout) + "/id-1"
		if got := sigTimeKey(at, "id-1"); got != want {
			t.Fatalf("sigTimeKey(%v) = %q, want %q", at, got, want)
		}
	}
}

// TestCanonicalUUID: a UUID taken as it is must be what parsing it and
// writing it again gives; any other spelling is parsed.
func TestCanonicalUUID(t *testing.T) {
	u := uuid.New().String()
	for _, c := range []struct {
		s    string
		want bool
	}{
		{u, true}, {strings.ToUpper(u), false}, {"urn:uuid:" + u, false}, {"{" + u + "}", false},
		{strings.ReplaceAll(u, "-", ""), false}, {u[:35] + "g", false}, {u[:8] + "x" + u[9:], false}, {"", false},
	} {
		if got := canonicalUUID(c.s); got != c.want {
			t.Errorf("canonicalUUID(%q) = %v, want %v", c.s, got, c.want)
		}
		if p, err := uuid.Parse(c.s); c.want && (err != nil || p.String() != c.s) {
			t.Errorf("%q is not canonical after all: %v, %v", c.s, p, err)
		}
	}
}

// TestChunkJSON: a chunk's JSON, written by hand, is read back by hand as
// the chunk written (every field set or left empty, the actor the signer
// or another, text JSON escapes, invalidations and erasures); the
// hand-written decoder leaves any other JSON of a chunk (spaced, with
// unknown fields) to encoding/json, which reads the same chunk.
func TestChunkJSON(t *testing.T) {
	at := time.Date(2018, 2, 10, 1, 30, 40, 123456000, time.UTC)
	stamp := Stamp{Position: 7, EventID: uuid.NewString(), Actor: Actor{ID: "c9f5b4", Role: "citizen"}, OccurredAt: at, RecordedAt: at.Add(time.Hour), Backdated: "Join <archive> & \"more\""}
	full := Signature{ProposalID: "p-\"1\\<&>\u2028é", SignatureID: uuid.NewString(), Signer: "c9f5b4", County: "taipei", Stamp: stamp,
		Invalidated: &SignatureInvalidation{Reason: "duplicate \u2028 公聽會", Stamp: Stamp{Position: 9, EventID: "e", OccurredAt: at, RecordedAt: at}}}
	full.Erased = &Erasure{On: at, Reason: "當事人請求刪除", Paths: []string{"signer"}, Position: 12}
	erasedOnly, other := full, full
	erasedOnly.Invalidated = nil
	other.Actor.ID, other.Erased, other.Invalidated = "staff-1", nil, nil
	chunks := []sigChunk{
		{ProposalID: "p-1", Sigs: []Signature{}},
		{ProposalID: "p-1", Sigs: []Signature{{ProposalID: "p-1", SignatureID: uuid.NewString()}}},
		{ProposalID: full.ProposalID, Sigs: []Signature{full, {ProposalID: full.ProposalID, SignatureID: "x", Stamp: Stamp{OccurredAt: at, RecordedAt: at}}, erasedOnly, other}},
	}
	for i, c := range chunks {
		raw, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var fast sigChunk
		if !decodeChunk(raw, &fast) {
			t.Fatalf("chunk %d: the hand-written decoder refuses %s", i, raw)
		}
		if !reflect.DeepEqual(fast, c) {
			t.Fatalf("chunk %d: read %+v from %s, want %+v", i, fast, raw, c)
		}
		var generic any
		if err := json.Unmarshal(raw, &generic); err != nil {
			t.Fatal(err)
		}
		generic.(map[string]any)["zz"] = nil
		spaced, _ := json.MarshalIndent(generic, "", " ")
		if decodeChunk(spaced, new(sigChunk)) {
			t.Fatalf("chunk %d: the hand-written decoder takes %s", i, spaced)
		}
		var slow sigChunk
		if err := json.Unmarshal(spaced, &slow); err != nil || !reflect.DeepEqual(slow, c) {
			t.Fatalf("chunk %d: %s decodes to %+v, %v; want %+v", i, spaced, slow, err, c)
		}
	}
}

// TestChunkEncodeDocumentAsMarshal: the bytes a chunk hands the batch
// (projections.DocumentEncoder) are json.Marshal's of it, with strings
// json.Marshal escapes (<, >, &, U+2028, controls, non-ASCII) and without.
func TestChunkEncodeDocumentAsMarshal(t *testing.T) {
	at := time.Date(2018, 2, 10, 1, 30, 40, 123456000, time.UTC)
	sig := func(proposal, backdated, reason string) Signature {
		s := Signature{ProposalID: proposal, SignatureID: uuid.NewString(), Signer: "c9f5b4", County: "taipei",
			Stamp: Stamp{Position: 7, EventID: uuid.NewString(), Actor: Actor{ID: "c9f5b4", Role: "citizen"}, OccurredAt: at, RecordedAt: at.Add(time.Hour), Backdated: backdated}}
		if reason != "" {
			s.Invalidated = &SignatureInvalidation{Reason: reason, Stamp: Stamp{Position: 9, EventID: "e", OccurredAt: at, RecordedAt: at}}
		}
		return s
	}
	for i, c := range []sigChunk{
		{ProposalID: "p-1", Sigs: []Signature{}},
		{ProposalID: "p-1", Sigs: []Signature{sig("p-1", "", ""), sig("p-1", "Join archive", "duplicate")}},
		{ProposalID: "p-é\u2028\"q\"", Sigs: []Signature{sig("p-é\u2028\"q\"", "公聽會\t\u2029", "重複 \x01")}},
		{ProposalID: "p-<1>", Sigs: []Signature{sig("p-<1>", "", "")}},
		{ProposalID: "p-1", Sigs: []Signature{sig("p-1", "Join & more", "")}},
		{ProposalID: "p-1", Sigs: []Signature{sig("p-1", "", "a > b")}},
	} {
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.EncodeDocument()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("chunk %d: EncodeDocument gives\n%s\njson.Marshal\n%s", i, got, want)
		}
	}
}

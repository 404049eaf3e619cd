package app

import (
	"bytes"
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
)

// generic is what the store keeps for e without the hand-written encoder:
// encoding/json, then the store's RFC 8785 canonicalisation.
func generic(t *testing.T, e domain.Event, reason string) []byte {
	t.Helper()
	if reason != "" {
		e = domain.WithBackdateReason(e, reason)
	}
	_, _, data, err := domain.Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	canon, err := eventstore.CanonicalJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	return canon
}

// oddString is a random string of pieces that need escaping or that
// encoding/json and RFC 8785 write differently.
func oddString(r *rand.Rand) string {
	pieces := []string{"", "a", "臺北市", "中正區", `"`, `\`, "\n", "\r", "\t", "\b", "\f", "\x00", "\x01", "\x1f", "\x7f",
		"<", ">", "&", "\u2028", "\u2029", "😀", "\ufffd", "é", "e\u0301", "/", "'", " ", "\u00a0", "\uffff"}
	var b strings.Builder
	for n := r.IntN(6); n > 0; n-- {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// TestEncodeCanonical: the hand-written encoder of proposal.signed gives
// byte for byte what encoding/json and the store's canonicaliser give, for
// random events with odd strings, times in other zones and with or without
// fractions of a second, counts up to 2^53 and back-date reasons; for
// strings that are not UTF-8 it declines, and the generic path is used.
func TestEncodeCanonical(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	zones := []*time.Location{time.UTC, time.FixedZone("TST", 8*3600), time.FixedZone("odd", -(3*3600 + 30*60)), time.Local}
	fast := 0
	for i := range 20000 {
		at := time.Unix(r.Int64N(4_000_000_000)-1_000_000_000, 0)
		switch r.IntN(4) {
		case 0:
			at = at.Add(time.Duration(r.IntN(1e9)))
		case 1:
			at = at.Add(time.Duration(r.IntN(1e6)) * time.Microsecond)
		case 2:
			at = at.Add(time.Duration(r.IntN(1000)) * time.Millisecond)
		}
		at = at.In(zones[r.IntN(len(zones))])
		count := r.IntN(100000)
		if r.IntN(10) == 0 {
			count = r.IntN(1<<53+1) - r.IntN(2)*(1<<53)
		}
		e := domain.ProposalSigned{
			ProposalID:  domain.ProposalID(oddString(r)),
			SignatureID: uuid.New(),
			Signer:      domain.SignerID(oddString(r)),
			Count:       count,
			County:      oddString(r),
			District:    oddString(r),
			Occurred:    domain.Occurred{At: at},
		}
		if i%2 == 0 { // the plain shape of the import
			e.ProposalID, e.Signer, e.County, e.District = "1a2b3c", domain.SignerID(strings.Repeat("0f", 32)), "臺北市", "中正區"
		}
		if r.IntN(5) == 0 {
			e.BackdateReason = oddString(r)
		}
		var reason string
		if r.IntN(2) == 0 {
			reason = oddString(r)
		}
		typ, ver, data, ok := domain.EncodeCanonical(e, reason)
		if !ok {
			if utf8.ValidString(string(e.ProposalID)+string(e.Signer)+e.County+e.District+e.BackdateReason+reason) && at.Year() >= 0 && at.Year() <= 9999 {
				t.Fatalf("event %d: declined a valid event %+v", i, e)
			}
			continue
		}
		fast++
		if typ != e.EventType() || ver != e.SchemaVersion() {
			t.Fatalf("event %d: type %s/%d", i, typ, ver)
		}
		if want := generic(t, e, reason); !bytes.Equal(data, want) {
			t.Fatalf("event %d: hand-written encoder\n%s\ngeneric path\n%s", i, data, want)
		}
	}
	if fast < 10000 {
		t.Fatalf("only %d of 20000 events took the hand-written encoder", fast)
	}
	// Other events are left to the generic path.
	if _, _, _, ok := domain.EncodeCanonical(domain.ProposalExpired{ProposalID: "p"}, ""); ok {
		t.Fatal("encoded an event without a hand-written encoder")
	}
	// Not UTF-8: declined.
	if _, _, _, ok := domain.EncodeCanonical(domain.ProposalSigned{County: "\xff"}, ""); ok {
		t.Fatal("encoded a county that is not UTF-8")
	}
}

// TestHandlerStoresCanonicalSignatures: a signature through the handler is
// stored with the bytes (and so the content hash) the generic path gives.
func TestHandlerStoresCanonicalSignatures(t *testing.T) {
	e := domain.ProposalSigned{ProposalID: "p1", SignatureID: uuid.New(), Signer: domain.SignerID(strings.Repeat("ab", 32)),
		Count: 7, County: `臺北"市\`, District: "中正\n區", Occurred: domain.Occurred{At: time.Date(2017, 3, 4, 5, 6, 7, 891_000, time.UTC)}}
	h := NewHandler[*domain.Proposal](nil, Config{})
	j := &job[*domain.Proposal]{req: &Request[*domain.Proposal]{At: e.At, AtReason: "imported from Join"}}
	out, err := h.encode(nil, j, []domain.Event{e}, newRandomBlock(1))
	if err != nil {
		t.Fatal(err)
	}
	if !out[0].Canonical {
		t.Fatal("the signature did not take the hand-written encoder")
	}
	if want := generic(t, e, "imported from Join"); !bytes.Equal(out[0].Data, want) {
		t.Fatalf("stored\n%s\nwant\n%s", out[0].Data, want)
	}
	prepared, err := eventstore.Config{}.WithDefaults().Prepare("proposal-p1", out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(prepared[0].Data, out[0].Data) {
		t.Fatalf("prepare changed canonical data:\n%s", prepared[0].Data)
	}
}

// TestHandlerSignaturesNeedNoCopy: a back-dated signature's events leave
// the handler as the store keeps them (occurred-at in UTC to the
// microsecond), so the embedded store's PrepareShared takes the handler's
// slice as it is (decision 0053), with what Prepare would store.
func TestHandlerSignaturesNeedNoCopy(t *testing.T) {
	at := time.Date(2017, 3, 4, 5, 6, 7, 891_234_567, time.FixedZone("CST", 8*3600))
	e := domain.ProposalSigned{ProposalID: "p1", SignatureID: uuid.New(), Signer: domain.SignerID(strings.Repeat("ab", 32)),
		Count: 7, County: "臺北市", District: "中正區", Occurred: domain.Occurred{At: at}}
	h := NewHandler[*domain.Proposal](nil, Config{})
	var done sync.WaitGroup
	req := &Request[*domain.Proposal]{At: at, AtReason: "imported from Join"}
	j, err := h.newJob(context.Background(), req, 0, &done, newRandomBlock(1))
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.encode(nil, &j, []domain.Event{e}, newRandomBlock(1))
	if err != nil {
		t.Fatal(err)
	}
	cfg := eventstore.Config{}.WithDefaults()
	shared, err := cfg.PrepareShared("proposal-p1", out)
	if err != nil {
		t.Fatal(err)
	}
	if &shared[0] != &out[0] {
		t.Fatal("the store copied the handler's events to normalise them")
	}
	want, err := cfg.Prepare("proposal-p1", out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(shared, want) {
		t.Fatalf("shared %+v, want %+v", shared, want)
	}
}

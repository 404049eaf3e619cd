package sealed_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/eventstore/sealed"
)

// counting is a deterministic salt source for tests: 0x00, 0x01, ….
type counting struct{ n byte }

func (c *counting) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.n
		c.n++
	}
	return len(p), nil
}

const splitData = `{"meetingId":"m1","parts":[{"speaker":{"actorId":"a-1","name":"甲"}},{"speaker":{"name":"乙"}},{"speaker":{"actorId":"a-2","name":"丙"}}],"reason":"typo","utteranceId":"u1"}`

func TestSealOpenRoundTrip(t *testing.T) {
	sealedData, secrets, err := sealed.Seal([]byte(splitData), []string{"parts.*.speaker.actorId", "reason"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealedData, []byte("a-1")) || bytes.Contains(sealedData, []byte("typo")) {
		t.Fatalf("sealed data still holds a value: %s", sealedData)
	}
	if !strings.Contains(string(sealedData), `"$commitments":["parts.0.speaker.actorId","parts.2.speaker.actorId","reason"]`) {
		t.Fatalf("commitments list: %s", sealedData)
	}
	if len(secrets) != 3 || secrets[0].Path != "parts.0.speaker.actorId" || string(secrets[0].Value) != `"a-1"` {
		t.Fatalf("secrets %+v", secrets)
	}
	if err := sealed.Verify(sealedData, secrets); err != nil {
		t.Fatal(err)
	}
	opened, erased, err := sealed.Open(sealedData, secrets)
	if err != nil || len(erased) != 0 {
		t.Fatalf("open: %v, erased %q", err, erased)
	}
	if string(opened) != splitData {
		t.Fatalf("opened\n%s\nwant\n%s", opened, splitData)
	}
	// Two seals of the same data differ (fresh salts), so a commitment
	// cannot be matched against a guessed value without its salt.
	again, _, _ := sealed.Seal([]byte(splitData), []string{"reason"}, nil)
	once, _, _ := sealed.Seal([]byte(splitData), []string{"reason"}, nil)
	if bytes.Equal(again, once) {
		t.Fatal("two seals gave the same commitment")
	}
}

func TestOpenAfterErasure(t *testing.T) {
	sealedData, secrets, err := sealed.Seal([]byte(splitData), []string{"parts.*.speaker.actorId", "reason"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kept := secrets[1:] // parts.0 erased
	opened, erased, err := sealed.Open(sealedData, kept)
	if err != nil {
		t.Fatal(err)
	}
	if len(erased) != 1 || erased[0] != "parts.0.speaker.actorId" {
		t.Fatalf("erased %q", erased)
	}
	if bytes.Contains(opened, []byte("a-1")) || !bytes.Contains(opened, []byte("a-2")) || bytes.Contains(opened, []byte(`"$commitments"`)) || !bytes.Contains(opened, []byte(`"actorId":"sha256:`)) {
		t.Fatalf("opened after erasure: %s", opened)
	}
	if err := sealed.Verify(sealedData, kept); err != nil {
		t.Fatalf("the kept secrets still verify: %v", err)
	}
}

func TestTamperingIsNamed(t *testing.T) {
	sealedData, secrets, err := sealed.Seal([]byte(splitData), []string{"parts.*.speaker.actorId", "reason"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// a value changed in the secret store
	bad := append([]sealed.Secret(nil), secrets...)
	bad[2].Value = []byte(`"no reason"`)
	err = sealed.Verify(sealedData, bad)
	if !errors.Is(err, sealed.ErrMismatch) || !strings.Contains(err.Error(), "field reason") {
		t.Fatalf("changed value: %v", err)
	}
	if _, _, err := sealed.Open(sealedData, bad); !errors.Is(err, sealed.ErrMismatch) {
		t.Fatalf("open with a changed value: %v", err)
	}
	// a salt changed
	bad = append([]sealed.Secret(nil), secrets...)
	bad[0].Salt = append([]byte{1}, bad[0].Salt[1:]...)
	if err := sealed.Verify(sealedData, bad); !errors.Is(err, sealed.ErrMismatch) || !strings.Contains(err.Error(), "field parts.0.speaker.actorId") {
		t.Fatalf("changed salt: %v", err)
	}
	// a commitment changed in the log
	cs, _ := sealed.Commitments(sealedData)
	c := cs["parts.2.speaker.actorId"]
	flipped := c[:len(c)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", c[len(c)-1])+1)%16])
	tampered := bytes.Replace(sealedData, []byte(c), []byte(flipped), 1)
	if err := sealed.Verify(tampered, secrets); !errors.Is(err, sealed.ErrMismatch) || !strings.Contains(err.Error(), "field parts.2.speaker.actorId") {
		t.Fatalf("changed commitment: %v", err)
	}
	// a secret for a field that is not committed
	extra := append(append([]sealed.Secret(nil), secrets...), sealed.Secret{Path: "meetingId", Salt: secrets[0].Salt, Value: []byte(`"m1"`)})
	if err := sealed.Verify(sealedData, extra); !errors.Is(err, sealed.ErrMismatch) || !strings.Contains(err.Error(), "field meetingId") {
		t.Fatalf("uncommitted field: %v", err)
	}
}

func TestVersionOneDataIsUntouched(t *testing.T) {
	v1 := []byte(`{"proposalId":"0193","signer":"k7c2f0"}`)
	opened, erased, err := sealed.Open(v1, nil)
	if err != nil || len(erased) != 0 || !bytes.Equal(opened, v1) {
		t.Fatalf("open v1: %s, %q, %v", opened, erased, err)
	}
	if cs, err := sealed.Commitments(v1); err != nil || cs != nil {
		t.Fatalf("commitments of v1: %v, %v", cs, err)
	}
	out, secrets, err := sealed.Seal(v1, nil, nil)
	if err != nil || secrets != nil || !bytes.Equal(out, v1) {
		t.Fatalf("seal with no private field: %s, %v, %v", out, secrets, err)
	}
}

func TestSealRefusesMalformed(t *testing.T) {
	for _, bad := range []string{`[]`, `"x"`, `{"$commitments":["a"],"a":"sha256:00"}`, `{`} {
		if _, _, err := sealed.Seal([]byte(bad), []string{"a"}, nil); !errors.Is(err, sealed.ErrMalformed) {
			t.Errorf("Seal(%s): %v", bad, err)
		}
	}
	for _, bad := range []string{`{"$commitments":"a","a":"x"}`, `{"$commitments":["a"],"a":"not a commitment"}`, `{"$commitments":["a"],"a":1}`} {
		if _, _, err := sealed.Open([]byte(bad), nil); !errors.Is(err, sealed.ErrMalformed) && !strings.Contains(fmt.Sprint(err), "parse hash") {
			t.Errorf("Open(%s): %v", bad, err)
		}
	}
}

// Example_commitment is the worked example of docs/content-hash.md: the
// signer of a signature, committed with the salt 00 01 02 … 1f.
func Example_commitment() {
	data := []byte(`{"at":"2026-11-23T03:34:13Z","count":1,"proposalId":"0193","signatureId":"7d3f8a52-6f0e-5c4b-9a1d-2e3f4a5b6c7d","signer":"k7c2f0"}`)
	sealedData, secrets, err := sealed.Seal(data, []string{"signer"}, &counting{})
	if err != nil {
		panic(err)
	}
	s := secrets[0]
	fmt.Println("salt:      ", hex.EncodeToString(s.Salt))
	fmt.Println("value:     ", string(s.Value))
	fmt.Printf("preimage:   %d bytes (32 of salt, %d of value)\n", len(s.Salt)+len(s.Value), len(s.Value))
	fmt.Println("commitment:", sealed.Commitment(s.Salt, s.Value))
	fmt.Println("sealed:    ", string(sealedData))
	// Output:
	// salt:       000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
	// value:      "k7c2f0"
	// preimage:   40 bytes (32 of salt, 8 of value)
	// commitment: sha256:bedd7b1ba008570ac3fa8902fd691f603931f6b1ba07db08c299d068773887b1
	// sealed:     {"$commitments":["signer"],"at":"2026-11-23T03:34:13Z","count":1,"proposalId":"0193","signatureId":"7d3f8a52-6f0e-5c4b-9a1d-2e3f4a5b6c7d","signer":"sha256:bedd7b1ba008570ac3fa8902fd691f603931f6b1ba07db08c299d068773887b1"}
}

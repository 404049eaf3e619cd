package domain

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
)

// signOneByOne decides run as the command side did before SignMany: one
// DecideAndApply of Sign per signature.
func signOneByOne(p *Proposal, run []Signing) ([][]Event, []error) {
	evs, errs := make([][]Event, len(run)), make([]error, len(run))
	for i, s := range run {
		evs[i], errs[i] = DecideAndApply(p, func(p *Proposal) ([]Event, error) { return p.Sign(s.Cmd, s.Actor, s.At) })
	}
	return evs, errs
}

// randomRun is a run of signatures on p-1 with every kind of refusal mixed
// in: duplicates, raw identities, signing as someone else, bad places,
// other proposals, roles that may not sign, times before publication and
// after the window, and no time at all.
func randomRun(rng *rand.Rand, n int) []Signing {
	run := make([]Signing, n)
	for i := range run {
		a := citizenActor(1 + rng.IntN(n/2+1))
		cmd := SignProposal{ProposalID: "p-1", Signer: SignerID(a.ID), County: "臺北市", District: "大安區"}
		at := t0.Add(time.Duration(1+rng.IntN(3600)) * time.Minute)
		switch rng.IntN(24) {
		case 0:
			cmd.Signer, a.ID = "A123456789", "A123456789"
		case 1:
			a = citizenActor(10_000 + i)
		case 2:
			cmd.County = "臺北\x01市"
		case 3:
			cmd.District = string([]byte{0xff, 0xfe})
		case 4:
			cmd.ProposalID = "p-2"
		case 5:
			a.Role = RoleMinistry
		case 6:
			at = t0.Add(-time.Hour)
		case 7:
			at = t0.AddDate(0, 0, 61)
		case 8:
			at = time.Time{}
		}
		run[i] = Signing{Cmd: cmd, Actor: a, At: at}
	}
	return run
}

// TestSignManyDecidesAsSignOneByOne compares SignMany with Sign decided and
// applied one signature at a time, over random runs (refusals of every
// kind, duplicates, the milestones and the establishment crossed inside a
// run) on proposals in every state: the same events for each signature, the
// same refusals with the same codes, the same state after.
func TestSignManyDecidesAsSignOneByOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 2))
	states := map[string]func(testing.TB) *Proposal{
		"none":        func(testing.TB) *Proposal { return NewProposal("p-1") },
		"submitted":   submittedProposal,
		"published":   func(t testing.TB) *Proposal { return publishedProposal(t, smallConfig) },
		"defaults":    func(t testing.TB) *Proposal { return publishedProposal(t, DefaultProposalConfig()) },
		"established": establishedProposal,
		"expired": func(t testing.TB) *Proposal {
			p := publishedProposal(t, smallConfig)
			do(t, p, func(p *Proposal) ([]Event, error) {
				return p.Expire(ExpireProposal{ProposalID: "p-1"}, staff, t0.AddDate(0, 0, 61))
			})
			return p
		},
	}
	accepted, refused, established := 0, 0, 0
	for name, build := range states {
		for round := range 40 {
			run := randomRun(rng, 1+rng.IntN(40))
			one, many := build(t), build(t)
			wantEvs, wantErrs := signOneByOne(one, run)
			prefix := []Event{ProposalSubmitted{ProposalID: "sentinel"}}
			ends, errs := make([]int, len(run)), make([]error, len(run))
			out, err := many.SignMany(prefix, run, ends, errs)
			if err != nil {
				t.Fatalf("%s round %d: SignMany: %v", name, round, err)
			}
			if !reflect.DeepEqual(out[:1], prefix) {
				t.Fatalf("%s round %d: SignMany changed what out held before", name, round)
			}
			start := 1
			for i := range run {
				got := out[start:ends[i]]
				if len(got) == 0 {
					got = nil
				}
				if !reflect.DeepEqual(got, wantEvs[i]) {
					t.Fatalf("%s round %d signature %d: SignMany decided %+v, Sign %+v", name, round, i, got, wantEvs[i])
				}
				if !reflect.DeepEqual(errs[i], wantErrs[i]) {
					t.Fatalf("%s round %d signature %d: SignMany refused with %v, Sign with %v", name, round, i, errs[i], wantErrs[i])
				}
				if errs[i] == nil {
					accepted++
					established += count[ProposalEstablished](got)
				} else {
					refused++
				}
				start = ends[i]
			}
			if start != len(out) {
				t.Fatalf("%s round %d: %d events after the last signature's", name, round, len(out)-start)
			}
			if !reflect.DeepEqual(one, many) {
				t.Fatalf("%s round %d: the states differ after the run:\n one by one %+v\n SignMany   %+v", name, round, one, many)
			}
		}
	}
	// The runs must have exercised both paths and crossed the threshold.
	if accepted < 500 || refused < 500 || established < 20 {
		t.Fatalf("%d accepted, %d refused, %d establishments: the random runs do not exercise SignMany", accepted, refused, established)
	}
}

// TestSignManyOfAPetitionThroughItsThreshold signs 5,200 signatures in runs
// of varying size, as a feed's batches do, and compares them with Sign.
func TestSignManyOfAPetitionThroughItsThreshold(t *testing.T) {
	one, many := publishedProposal(t, DefaultProposalConfig()), publishedProposal(t, DefaultProposalConfig())
	var run []Signing
	for i := 1; i <= 5200; i++ {
		a := citizenActor(i)
		run = append(run, Signing{Cmd: SignProposal{ProposalID: "p-1", Signer: SignerID(a.ID)}, Actor: a, At: t0.Add(time.Duration(i) * time.Second)})
	}
	var want, got []Event
	for from := 0; from < len(run); {
		to := min(len(run), from+1+from%997)
		evs, errs := signOneByOne(one, run[from:to])
		for i, e := range errs {
			if e != nil {
				t.Fatalf("signature %d refused: %v", from+i, e)
			}
			want = append(want, evs[i]...)
		}
		ends, merrs := make([]int, to-from), make([]error, to-from)
		var err error
		if got, err = many.SignMany(got, run[from:to], ends, merrs); err != nil {
			t.Fatal(err)
		}
		for i, e := range merrs {
			if e != nil {
				t.Fatalf("signature %d refused by SignMany: %v", from+i, e)
			}
		}
		from = to
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("SignMany decided %d events, Sign %d, or different ones", len(got), len(want))
	}
	if n := count[ProposalEstablished](got); n != 1 || many.ValidSignatures() != 5200 {
		t.Fatalf("%d establishments, %d valid signatures", n, many.ValidSignatures())
	}
	if !reflect.DeepEqual(one, many) {
		t.Fatal("the states differ after 5,200 signatures")
	}
}

func TestSignManyPanicsOnMismatchedLengths(t *testing.T) {
	p := publishedProposal(t, smallConfig)
	a := citizenActor(1)
	run := []Signing{{Cmd: SignProposal{ProposalID: "p-1", Signer: SignerID(a.ID)}, Actor: a, At: t0.Add(time.Hour)}}
	defer func() {
		if recover() == nil || p.ValidSignatures() != 0 {
			t.Fatalf("SignMany with no ends: no panic, or %d signatures recorded", p.ValidSignatures())
		}
	}()
	_, _ = p.SignMany(nil, run, nil, make([]error, 1))
}

// TestSignatureIDIsUUIDv5 compares signatureID with uuid.NewSHA1 of the
// same name, over random proposal IDs and signers of every length up to and
// past its buffer's.
func TestSignatureIDIsUUIDv5(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 45))
	for i := range 5000 {
		b := make([]byte, rng.IntN(300))
		for k := range b {
			b[k] = byte(rng.IntN(256))
		}
		cut := rng.IntN(len(b) + 1)
		p, s := ProposalID(b[:cut]), SignerID(b[cut:])
		want := uuid.NewSHA1(signatureNamespace, []byte(string(p)+"\x00"+string(s)))
		if got := signatureID(p, s); got != want {
			t.Fatalf("case %d (%d + %d bytes): %s, want %s", i, len(p), len(s), got, want)
		}
	}
	if got, want := SignatureIDFor("p-1", signer(1)), uuid.NewSHA1(signatureNamespace, []byte("p-1\x00"+string(signer(1)))); got != want {
		t.Fatalf("SignatureIDFor = %s, want %s", got, want)
	}
}

func BenchmarkSignatureIDFor(b *testing.B) {
	s := signer(1)
	b.ReportAllocs()
	for b.Loop() {
		_ = SignatureIDFor("join-12345", s)
	}
}

// BenchmarkSignatureIDGeneral is uuid.NewSHA1 of the same name, what
// SignatureIDFor computed before signatureID: the figure to compare with.
func BenchmarkSignatureIDGeneral(b *testing.B) {
	s := signer(1)
	b.ReportAllocs()
	for b.Loop() {
		_ = uuid.NewSHA1(signatureNamespace, []byte("join-12345\x00"+string(s)))
	}
}

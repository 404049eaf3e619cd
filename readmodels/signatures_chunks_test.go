package readmodels

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/eventstore/sealed"
	"github.com/pdis/collab-ledger/projections"
	pgproj "github.com/pdis/collab-ledger/projections/postgres"
	"github.com/pdis/collab-ledger/projections/projectiontest"
)

// chunkCase is TestSignatureChunks's log and what the signatures read
// model should answer about it: every signature as the plain list a query
// is checked against.
type chunkCase struct {
	t      *testing.T
	store  eventstore.Store
	rng    *rand.Rand
	stream string
	sigs   map[string]*plainSig // by signature ID
	events map[string]string    // event ID → signature ID
	next   time.Time
}

// plainSig is what a query should show of a signature.
type plainSig struct {
	id, signer, county, reason string
	at                         time.Time
	invalid                    bool
}

const chunkProposal = "p-chunks"

// sign appends signatures made at ats, with new pseudonyms; they are
// backdated (made before they are recorded), as an import's.
func (c *chunkCase) sign(ats ...time.Time) []*plainSig {
	c.t.Helper()
	var evs []eventstore.EventData
	var out []*plainSig
	for _, at := range ats {
		p := &plainSig{id: uuid.NewString(), signer: c.pseudonym(), at: at}
		if c.rng.IntN(4) > 0 {
			p.county = "臺北市"
		}
		e := domain.ProposalSigned{ProposalID: chunkProposal, SignatureID: uuid.MustParse(p.id), Signer: domain.SignerID(p.signer),
			Count: len(c.sigs) + 1, County: p.county, Occurred: domain.Occurred{At: at, BackdateReason: "Join archive"}}
		evs = append(evs, c.event(e, eventstore.Metadata{ActorID: p.signer, ActorRole: "citizen", OccurredAt: at}))
		c.events[evs[len(evs)-1].ID.String()] = p.id
		c.sigs[p.id] = p
		if p.county != "" {
			p.county = CountyOf(p.county)
		}
		out = append(out, p)
	}
	c.append(evs...)
	return out
}

// pseudonym returns a new pseudonym: 64 hex digits, as an HMAC's.
func (c *chunkCase) pseudonym() string {
	var b [32]byte
	for i := range b {
		b[i] = byte(c.rng.UintN(256))
	}
	return hex.EncodeToString(b[:])
}

// inOrder returns n times in signing order after the last, some within
// the same second.
func (c *chunkCase) inOrder(n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		if c.rng.IntN(3) > 0 {
			c.next = c.next.Add(time.Duration(1+c.rng.IntN(90)) * time.Second)
		}
		out[i] = c.next
	}
	return out
}

func (c *chunkCase) event(e domain.Event, md eventstore.Metadata) eventstore.EventData {
	c.t.Helper()
	typ, v, data, err := domain.Encode(e)
	if err != nil {
		c.t.Fatal(err)
	}
	ed, err := eventstore.NewEventData(typ, v, json.RawMessage(data), md)
	if err != nil {
		c.t.Fatal(err)
	}
	return ed
}

func (c *chunkCase) append(evs ...eventstore.EventData) {
	c.t.Helper()
	if _, err := c.store.Append(context.Background(), c.stream, eventstore.Any, evs...); err != nil {
		c.t.Fatal(err)
	}
}

// invalidate invalidates p, naming its signer as signer.
func (c *chunkCase) invalidate(p *plainSig, signer string) {
	c.t.Helper()
	p.invalid, p.reason = true, "duplicate "+p.id[:8]
	e := domain.ProposalSignatureInvalidated{ProposalID: chunkProposal, SignatureID: uuid.MustParse(p.id), Signer: domain.SignerID(signer),
		Reason: p.reason, Count: 1, Occurred: domain.Occurred{At: c.next}}
	c.append(c.event(e, eventstore.Metadata{ActorID: "staff-1", ActorRole: "pdis"}))
}

// erase erases the signers of ps, leaving the commitments given ("" for
// none recorded).
func (c *chunkCase) erase(ps []*plainSig, commitments []string) {
	c.t.Helper()
	d := domain.DataErased{Target: "person", Reason: "當事人請求刪除", LegalBasis: "個人資料保護法第11條第3項", Occurred: domain.Occurred{At: c.next}}
	for i, p := range ps {
		f := domain.ErasedField{EventID: c.eventOf(p.id), Stream: c.stream, Paths: []string{sealed.ActorPath, "signer"}}
		if commitments[i] != "" {
			f.Commitments = []string{commitments[i], commitments[i]}
		}
		d.Erased = append(d.Erased, f)
		p.signer = commitments[i]
	}
	c.append(c.event(d, eventstore.Metadata{ActorID: "staff-1", ActorRole: "pdis"}))
}

func (c *chunkCase) eventOf(sigID string) string {
	for ev, s := range c.events {
		if s == sigID {
			return ev
		}
	}
	c.t.Fatalf("no event of signature %s", sigID)
	return ""
}

// byTime returns the signatures in signing order.
func (c *chunkCase) byTime() []*plainSig {
	out := make([]*plainSig, 0, len(c.sigs))
	for _, p := range c.sigs {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *plainSig) int {
		return strings.Compare(sigTimeKey(a.at, a.id), sigTimeKey(b.at, b.id))
	})
	return out
}

// TestSignatureChunks folds, through the Runner and in batches that end
// in the middle of a proposal's signatures, a proposal with more
// signatures than several chunks, signatures backdated into full chunks, invalidations (one by an
// erased signer's ID) and erasures of signers in the middle of chunks. After
// each step every kind of query (pages of several sizes across chunk
// boundaries, time ranges, pseudonym prefixes) answers as the plain list of
// signatures does; the documents are those a plain rebuild and the decoded
// fold write; an erased pseudonym is in no document. The Runner's read
// model is kept in memory, then in PostgreSQL.
func TestSignatureChunks(t *testing.T) {
	t.Run("memory", func(t *testing.T) { testSignatureChunks(t, projections.NewMemoryBackend()) })
	t.Run("postgres", func(t *testing.T) {
		b, err := pgproj.Open(context.Background(), pgproj.Config{URL: pgtest.New(t).URL, Logger: projectiontest.TestLogger()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		testSignatureChunks(t, b)
	})
}

func testSignatureChunks(t *testing.T, fast projections.Backend) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // many queries: a busy machine, -race
	defer cancel()
	store := projectiontest.NewStore(t)
	c := &chunkCase{t: t, store: store, rng: rand.New(rand.NewPCG(3, 4)), stream: domain.ProposalStream(chunkProposal),
		sigs: map[string]*plainSig{}, events: map[string]string{}, next: time.Date(2018, 2, 10, 1, 30, 40, 0, time.UTC)}
	decoded := projections.NewMemoryBackend()
	rf := projectiontest.Start(t, projections.RunnerConfig{Store: store, Backend: fast, Projections: []projections.Projection{Signatures{}}, MaxBatch: 97, Topic: "sigchunks-fast"})
	rd := projectiontest.Start(t, projections.RunnerConfig{Store: store, Backend: decoded, Projections: []projections.Projection{Signatures{path: decodedFold}}, MaxBatch: 500, Topic: "sigchunks-decoded"})

	check := func(step string, rebuild bool) sigDir {
		t.Helper()
		head, err := store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []*projectiontest.Running{rf, rd} {
			if err := r.WaitFor(ctx, SignaturesName, head); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
		}
		got := projectiontest.Dump(t, fast, SignaturesName, 0)
		projectiontest.SameDocs(t, step+": the decoded fold", projectiontest.Dump(t, decoded, SignaturesName, 0), got)
		if rebuild { // a plain rebuild applies each signature to a whole chunk, decoded and encoded: slow
			projectiontest.SameDocs(t, step+": a plain rebuild", projectiontest.Rebuilt(t, store, Signatures{}, head), got)
		}
		c.checkQueries(ctx, step, rf.Reader(SignaturesName))
		d, ok, err := projections.Get[sigDir](ctx, rf.Reader(SignaturesName), collSigDirs, chunkProposal)
		if err != nil || !ok {
			t.Fatalf("%s: directory: %v, %v", step, ok, err)
		}
		return d
	}
	chunkSizes := func(d sigDir) []int {
		var n []int
		for _, lb := range d.Chunks {
			ch, _, err := projections.Get[sigChunk](ctx, rf.Reader(SignaturesName), collSigChunks, chunkProposal+"/"+lb)
			if err != nil {
				t.Fatal(err)
			}
			n = append(n, len(ch.Sigs))
		}
		return n
	}

	// In signing order, in appends that do not end at the Runner's batches.
	for _, n := range []int{1, 150, 400, 555, 200} {
		c.sign(c.inOrder(n)...)
	}
	d := check("in order", false)
	sizes := chunkSizes(d)
	if len(sizes) != 6 || slices.ContainsFunc(sizes[:5], func(n int) bool { return n != sigChunkMax }) {
		t.Fatalf("in order: chunks of %v signatures, want 5 full ones and the rest", sizes)
	}

	// Backdated: before the first, into the middle of a full chunk (three,
	// one at the time of a signature there), and at the time of the last.
	all := c.byTime()
	mid := all[2*sigChunkMax+100].at
	c.sign(all[0].at.Add(-time.Hour), mid.Add(-time.Millisecond), mid, mid.Add(time.Microsecond), all[len(all)-1].at)
	d = check("backdated", true)
	if got := chunkSizes(d); len(got) != 8 || got[0]+got[1] != sigChunkMax+1 || got[3]+got[4] != sigChunkMax+3 ||
		slices.Min(got[:7]) < sigChunkMax/2 {
		t.Fatalf("backdated: chunks of %v signatures, want the first and the third (full) split in halves", got)
	}

	// Invalidations: by the signer, and one by the ID alone (the
	// signer named is another commitment, as a rebuild after an erasure
	// reads it).
	all = c.byTime()
	c.invalidate(all[sigChunkMax], all[sigChunkMax].signer)
	c.invalidate(all[len(all)-1], all[len(all)-1].signer)
	c.invalidate(all[700], c.pseudonym())
	check("invalidated", false)

	// Erasure of signers in the middle of chunks, one of them
	// invalidated: one leaves a commitment, one none.
	all = c.byTime()
	erased := []*plainSig{all[300], all[sigChunkMax]}
	gone := []string{all[300].signer, all[sigChunkMax].signer}
	c.erase(erased, []string{strings.Repeat("c0", 32), ""})
	check("erased", false)
	for _, doc := range projectiontest.Dump(t, fast, SignaturesName, 0) {
		for _, g := range gone {
			if strings.Contains(doc, g) {
				t.Fatalf("erased: the erased pseudonym %s is still in %.200s", g, doc)
			}
		}
	}

	// More, and an invalidation of the erased signer's signature found by
	// its commitment.
	c.sign(c.inOrder(700)...)
	c.invalidate(erased[0], erased[0].signer)
	check("more", true)
}

// checkQueries compares SignaturesOf's answers with the plain list's.
func (c *chunkCase) checkQueries(ctx context.Context, step string, r projections.Reader) {
	t := c.t
	t.Helper()
	all := c.byTime()
	// Pages in signing order, of several sizes.
	for _, limit := range []int{1, 7, 50, 200, 1000} {
		var got []Signature
		after := ""
		for pages := 0; ; pages++ {
			page, err := SignaturesOf(ctx, r, chunkProposal, SignatureQuery{After: after, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page.Signatures...)
			if page.Next == "" {
				break
			}
			last := page.Signatures[len(page.Signatures)-1]
			if page.Next != sigTimeKey(last.OccurredAt, last.SignatureID) {
				t.Fatalf("%s: a page of %d ends at %s, its Next is %s", step, limit, last.SignatureID, page.Next)
			}
			after = page.Next
			if limit < 50 && pages == 60 {
				all := all[:len(got)]
				c.same(fmt.Sprintf("%s: the first 60 pages of %d", step, limit), got, all)
				got = nil
				break
			}
		}
		if got != nil {
			c.same(fmt.Sprintf("%s: pages of %d", step, limit), got, all)
		}
	}
	// Time ranges.
	for range 10 {
		i, j := c.rng.IntN(len(all)), c.rng.IntN(len(all))
		from, to := all[min(i, j)].at, all[max(i, j)].at
		var want []*plainSig
		for _, p := range all {
			if !p.at.Before(from) && p.at.Before(to) {
				want = append(want, p)
			}
		}
		page, err := SignaturesOf(ctx, r, chunkProposal, SignatureQuery{From: from, To: to, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		c.same(fmt.Sprintf("%s: from %v to %v", step, from, to), page.Signatures, want[:min(200, len(want))])
		if (page.Next != "") != (len(want) > 200) {
			t.Fatalf("%s: from %v to %v: next %q with %d signatures", step, from, to, page.Next, len(want))
		}
	}
	// Pseudonym prefixes: one and two digits, whole pseudonyms, none.
	bySigner := slices.Clone(all)
	bySigner = slices.DeleteFunc(bySigner, func(p *plainSig) bool { return p.signer == "" })
	slices.SortFunc(bySigner, func(a, b *plainSig) int { return strings.Compare(a.signer, b.signer) })
	prefixes := []string{"a", "0", "f", "c0", "3b", "ffffff", bySigner[0].signer, bySigner[len(bySigner)-1].signer, bySigner[len(bySigner)/2].signer[:5]}
	for _, p := range all[295:305] {
		prefixes = append(prefixes, p.signer)
	}
	for _, prefix := range prefixes {
		if prefix == "" {
			continue
		}
		var want []*plainSig
		for _, p := range bySigner {
			if strings.HasPrefix(p.signer, prefix) {
				want = append(want, p)
			}
		}
		limits := []int{50}
		if len(want) < 40 {
			limits = append(limits, 3)
		}
		for _, limit := range limits {
			var got []Signature
			after := ""
			for {
				page, err := SignaturesOf(ctx, r, chunkProposal, SignatureQuery{SignerPrefix: prefix, After: after, Limit: limit})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, page.Signatures...)
				if page.Next == "" {
					break
				}
				if last := page.Signatures[len(page.Signatures)-1]; page.Next != last.Signer {
					t.Fatalf("%s: prefix %s: a page ends at %s, its Next is %s", step, prefix, last.Signer, page.Next)
				}
				after = page.Next
			}
			c.same(fmt.Sprintf("%s: prefix %s by %d", step, prefix, limit), got, want)
		}
	}
}

// same fails unless got shows the signatures of want, in order.
func (c *chunkCase) same(what string, got []Signature, want []*plainSig) {
	c.t.Helper()
	if len(got) != len(want) {
		c.t.Fatalf("%s: %d signatures, want %d", what, len(got), len(want))
	}
	for i, s := range got {
		p := want[i]
		reason := ""
		if s.Invalidated != nil {
			reason = s.Invalidated.Reason
		}
		if s.ProposalID != chunkProposal || s.SignatureID != p.id || s.Signer != p.signer || s.County != p.county ||
			!s.OccurredAt.Equal(p.at) || (s.Invalidated != nil) != p.invalid || reason != p.reason {
			c.t.Fatalf("%s: signature %d is %+v, want %+v", what, i, s, *p)
		}
	}
}

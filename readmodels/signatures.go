package readmodels

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// SignaturesName is the name of the Signatures projection.
const SignaturesName = "signatures"

// Signature is one signature of a proposal as PDIS staff see it to
// invalidate it: when it was made, the signer's pseudonym (never the
// identity, which the ledger does not have), the county when the platform
// gave one, and the invalidation if it was invalidated. Staff only: public
// pages never show pseudonyms (decision 0042).
type Signature struct {
	ProposalID  string `json:"proposalId"`
	SignatureID string `json:"signatureId"`
	// Signer is the signer's pseudonym.
	Signer string `json:"signer,omitempty" erase:"signer"`
	// County is the county's key (CountyOf); the district is never kept.
	County string `json:"county,omitempty"`
	// Invalidated is set once staff invalidated the signature.
	Invalidated *SignatureInvalidation `json:"invalidated,omitempty"`
	// Stamp is the signing's.
	Stamp
}

// SignatureInvalidation is when, by whom and why a signature was
// invalidated.
type SignatureInvalidation struct {
	Reason string `json:"reason,omitempty" erase:"reason"`
	Stamp
}

// Signatures is the staff's read model of each proposal's signatures, in
// chunks (decision 0051): a directory per proposal (collSigDirs), its
// signatures in signing order in chunks of up to sigChunkMax
// (collSigChunks), and its signers in buckets by the pseudonym's first
// characters (collSignerBuckets), each with its signature's time key. A
// page of signatures, a time range or the signers whose pseudonym starts
// with a prefix reads the directory and a few chunks or buckets
// (SignaturesOf), however many signatures a proposal has; a batch of a
// proposal's signatures changes a few documents instead of writing two per
// signature. It is not part of as-of views (asOfModels): nobody asks which
// signatures a proposal had at an earlier moment from these documents, and
// a case's as-of fold would otherwise hold every signature of its
// proposal.
//
// A signature is read from its JSON (fastSignature): it is most of a Join
// import's log.
type Signatures struct {
	path foldPath
}

var _ projections.Preloader = Signatures{}

// Name implements projections.Projection.
func (Signatures) Name() string { return SignaturesName }

// Version implements projections.Projection.
func (Signatures) Version() int { return 2 }

// Apply implements projections.Projection.
func (s Signatures) Apply(ctx context.Context, tx projections.Tx, ev eventstore.Event) error {
	if s.path == fastFold {
		if done, err := fastSignature(ctx, tx, ev); done {
			return err
		}
	}
	return signaturesTable.apply(ctx, tx, ev)
}

// fastSignature folds a signature as the decoded fold does, reading the
// few fields it keeps from the event's JSON (decision 0046): decoding the
// event was most of what the read model cost in a Join import. The JSON is
// read once for the tallies, the counties and this fold (readSigned).
// It reports false for anything but the plain shape (another event type
// or schema version, a field it does not know, a value not as canonical
// JSON writes it), which the decoded fold then takes.
func fastSignature(ctx context.Context, tx projections.Tx, ev eventstore.Event) (bool, error) {
	r := readSigned(ev) // nil for another type or schema version
	if r == nil || r.malformed || r.unknown || r.bad != 0 {
		return false, nil
	}
	if !timeOK(ev.RecordedAt) || !timeOK(ev.OccurredAt()) {
		return false, nil
	}
	// The fields the tallies and the counties do not read are read here,
	// from the same reading of the event (readSigned: once for the three).
	sigID, ok := rawString(r.signatureID)
	if !ok || r.proposal == "" || sigID == "" {
		return false, nil
	}
	if !canonicalUUID(sigID) {
		u, ok := parseUUID(sigID)
		if !ok {
			return false, nil
		}
		sigID = u.String()
	}
	var signer string
	if r.signer != nil {
		if signer, ok = rawString(r.signer); !ok {
			return false, nil
		}
	}
	s := Signature{ProposalID: r.proposal, SignatureID: sigID, Signer: signer, Stamp: stampWith(ev, r.backdated)}
	if r.county != "" {
		s.County = r.countyKey
	}
	if err := addSignature(ctx, tx, s); err != nil {
		return true, fmt.Errorf("%s: %s: %w", SignaturesName, ev.Type, err)
	}
	return true, nil
}

// canonicalUUID reports whether s is a UUID as uuid.UUID.String writes it
// (lower-case hex, dashes at 8, 13, 18 and 23): parsing it and writing it
// again would give s.
func canonicalUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}

// parseUUID parses a UUID as encoding/json decodes one (uuid.UUID's
// UnmarshalText).
func parseUUID(s string) (uuid.UUID, bool) {
	var u uuid.UUID
	if err := u.UnmarshalText([]byte(s)); err != nil {
		return uuid.UUID{}, false
	}
	return u, true
}

// Preload implements projections.Preloader: the documents a signature
// changes depend on its proposal's directory, which the batch reads once.
func (Signatures) Preload(eventstore.Event) []projections.DocRef { return nil }

// sigTimeKey orders signatures by when they were made (UTC, fixed width),
// then by ID.
func sigTimeKey(at time.Time, id string) string {
	return string(appendSigTimeKey(make([]byte, 0, 27+len(id)), at, id))
}

// sigTimeLayout is the time part of sigTimeKey.
const sigTimeLayout = "20060102T150405.000000000Z"

// appendSigTimeKey appends sigTimeKey(at, id): by hand for years 0 to
// 9999 (time.Format was a tenth of the read model's fold in a Join
// import), with time.AppendFormat otherwise.
func appendSigTimeKey(b []byte, at time.Time, id string) []byte {
	at = at.UTC()
	year, month, day := at.Date()
	if year < 0 || year > 9999 {
		b = at.AppendFormat(b, sigTimeLayout)
	} else {
		hour, minute, sec := at.Clock()
		b = appendDigits(b, year, 4)
		b = appendDigits(b, int(month), 2)
		b = appendDigits(b, day, 2)
		b = append(b, 'T')
		b = appendDigits(b, hour, 2)
		b = appendDigits(b, minute, 2)
		b = appendDigits(b, sec, 2)
		b = append(b, '.')
		b = appendDigits(b, at.Nanosecond(), 9)
		b = append(b, 'Z')
	}
	b = append(b, '/')
	return append(b, id...)
}

// appendDigits appends n (≥ 0) in width decimal digits, zero-padded.
func appendDigits(b []byte, n, width int) []byte {
	var d [9]byte
	for i := width - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[:width]...)
}

var signaturesTable = func() *table {
	t := newTable(SignaturesName)
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalSigned) error {
		s := Signature{ProposalID: string(e.ProposalID), SignatureID: e.SignatureID.String(), Signer: string(e.Signer), Stamp: stampOf(ev)}
		if e.County != "" {
			s.County = CountyOf(e.County)
		}
		return addSignature(ctx, tx, s)
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalSignatureInvalidated) error {
		id := string(e.ProposalID)
		d, ok, err := projections.Get[sigDir](ctx, tx, collSigDirs, id)
		if err != nil || !ok || len(d.Chunks) == 0 {
			return err
		}
		// By the signer; failing that, by the ID: the signer was erased
		// before this was folded (a rebuild after an erasure), and each
		// event's commitment is salted apart. Either reads the proposal's
		// chunks once; invalidations are rare.
		key, ok, err := findSignature(ctx, tx, &d, id, string(e.Signer), e.SignatureID.String())
		if err != nil || !ok {
			return err
		}
		inv := &SignatureInvalidation{Reason: e.Reason, Stamp: stampOf(ev)}
		if _, err := json.Marshal(inv); err != nil { // refused before anything changes
			return err
		}
		return projections.Update(ctx, tx, collSigChunks, id+"/"+d.Chunks[d.chunk(key)], func(c *sigChunk) error {
			if j, found := c.findKey(key); found {
				c.Sigs[j].Invalidated = inv
			}
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.DataErased) error {
		for stream, erased := range erasuresOf(ev, e) {
			if id := domain.StreamOf(domain.StreamProposal, stream); id != "" {
				if err := forgetSignatures(ctx, tx, id, erased); err != nil {
					return err
				}
			}
		}
		return nil
	})
	t.ignore("the proposal's life, not its signatures", "proposal.submitted", "proposal.published",
		"proposal.milestone_reached", "proposal.established", "proposal.expired", "proposal.response_deadline_extended",
		"proposal.responded", "proposal.response_deadline_missed", "proposal.response_added",
		"proposal.signature_list_missing", "proposal.late_signatures_recorded", "proposal.leads_assigned")
	for _, ty := range domain.EventTypes() {
		if !strings.HasPrefix(ty, "proposal.") && ty != "ledger.data_erased" {
			t.ignore("not a proposal's event: no signature", ty)
		}
	}
	return t
}()

// findSignature returns the time key of the signature of proposal id
// whose signer is signer or, if none is, whose ID is sigID, reading the
// proposal's chunks in turn.
func findSignature(ctx context.Context, r projections.Reader, d *sigDir, id, signer, sigID string) (string, bool, error) {
	byID := ""
	for _, lb := range d.Chunks {
		c, _, err := projections.Get[sigChunk](ctx, r, collSigChunks, id+"/"+lb)
		if err != nil {
			return "", false, err
		}
		for _, s := range c.Sigs {
			if signer != "" && s.Signer == signer {
				return sigTimeKey(s.OccurredAt, s.SignatureID), true, nil
			}
			if byID == "" && s.SignatureID == sigID {
				byID = sigTimeKey(s.OccurredAt, s.SignatureID)
			}
		}
	}
	return byID, byID != "", nil
}

// forgetSignatures puts the commitments where a proposal's erased
// signers and reasons were, as a rebuild from the log would show them (an
// erased signer is found by its commitment, as after a rebuild). It reads
// the proposal's chunks once; erasures are rare.
func forgetSignatures(ctx context.Context, tx projections.Tx, id string, erased map[string]*erasedEvent) error {
	d, ok, err := projections.Get[sigDir](ctx, tx, collSigDirs, id)
	if err != nil || !ok {
		return err
	}
	for _, lb := range d.Chunks {
		key := id + "/" + lb
		c, ok, err := projections.Get[sigChunk](ctx, tx, collSigChunks, key)
		if err != nil {
			return err
		}
		touched := false
		for i := range c.Sigs {
			if forget(&c.Sigs[i], erased) {
				touched = true
				if err := chunkable(&c.Sigs[i]); err != nil { // refused before anything changes
					return err
				}
			}
		}
		if !ok || !touched {
			continue
		}
		err = projections.Update(ctx, tx, collSigChunks, key, func(c *sigChunk) error {
			for i := range c.Sigs {
				forget(&c.Sigs[i], erased)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// SignatureQuery selects a page of a proposal's signatures.
type SignatureQuery struct {
	// SignerPrefix, if set, keeps the signatures whose signer's pseudonym
	// starts with it (lower-case hex), in pseudonym order.
	SignerPrefix string
	// From and To, if set, keep the signatures made at or after From and
	// before To, in time order. Ignored with SignerPrefix.
	From, To time.Time
	// After is the Next of the page before ("" for the first).
	After string
	// Limit is the page's size (1 to 200; 50 if 0).
	Limit int
}

// SignaturePage is a page of a proposal's signatures.
type SignaturePage struct {
	Signatures []Signature `json:"signatures"`
	// Next continues the list (SignatureQuery.After); "" at its end.
	Next string `json:"next,omitempty"`
}

// ErrBadSignatureQuery: a signature query's prefix is not a pseudonym's
// (lower-case hex).
var ErrBadSignatureQuery = errors.New("readmodels: bad signature query")

// SignaturesOf returns a page of a proposal's signatures, for PDIS staff
// (the caller checks who asks): by time, or by pseudonym prefix. A page by
// time reads the proposal's directory and the few chunks it shows; a page
// by prefix reads every chunk of the proposal and decodes only those whose
// JSON may hold such a signer (decision 0051: there is no signer index).
func SignaturesOf(ctx context.Context, r projections.Reader, id domain.ProposalID, q SignatureQuery) (SignaturePage, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 200)
	if strings.Trim(q.SignerPrefix, "0123456789abcdef") != "" {
		return SignaturePage{}, ErrBadSignatureQuery
	}
	out, err := signaturesOf(ctx, r, string(id), q)
	if err != nil {
		return SignaturePage{}, fmt.Errorf("readmodels: signatures of proposal %s: %w", id, err)
	}
	return out, nil
}

// signaturesOf is SignaturesOf of a valid query.
func signaturesOf(ctx context.Context, r projections.Reader, id string, q SignatureQuery) (SignaturePage, error) {
	var out SignaturePage
	d, ok, err := projections.Get[sigDir](ctx, r, collSigDirs, id)
	if err != nil || !ok || len(d.Chunks) == 0 {
		return out, err
	}
	var keys []string
	if q.SignerPrefix != "" {
		sigs, err := signersFrom(ctx, r, id, q.SignerPrefix, q.After)
		if err != nil {
			return out, err
		}
		out.Signatures = sigs[:min(q.Limit+1, len(sigs))]
		for _, s := range out.Signatures {
			keys = append(keys, s.Signer)
		}
	} else {
		after := q.After
		if after == "" && !q.From.IsZero() {
			after = sigTimeKey(q.From, "") // "<time>/" sorts before each "<time>/<ID>"
		}
		end := ""
		if !q.To.IsZero() {
			end = sigTimeKey(q.To, "")
		}
		err := signaturesFrom(ctx, r, &d, id, after, end, q.Limit+1, func(key string, s Signature) {
			keys = append(keys, key)
			out.Signatures = append(out.Signatures, s)
		})
		if err != nil {
			return out, err
		}
	}
	if len(keys) > q.Limit {
		out.Signatures, out.Next = out.Signatures[:min(q.Limit, len(out.Signatures))], keys[q.Limit-1]
	}
	return out, nil
}

// chunksPerPage is how many chunks (or buckets) a query reads at a time.
const chunksPerPage = 4

// signaturesFrom calls fn with the first n signatures of proposal id whose
// time keys sort after after and before end ("": no end), in order. It
// reads the chunks in key order from the one the directory says holds
// after, so that a chunk split since d was read is read too.
func signaturesFrom(ctx context.Context, r projections.Reader, d *sigDir, id, after, end string, n int, fn func(key string, s Signature)) error {
	from := ""
	if i := d.chunk(after); i > 0 {
		from = id + "/" + d.Chunks[i-1]
	}
	count := 0
	err := eachChunkOf(ctx, r, id, from, nil, func(c *sigChunk) error {
		for _, s := range c.Sigs {
			k := sigTimeKey(s.OccurredAt, s.SignatureID)
			if k <= after {
				continue
			}
			if end != "" && k >= end {
				return errStop
			}
			fn(k, s)
			if count++; count == n {
				return errStop
			}
		}
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return err
}

// signersFrom returns the signatures of proposal id whose signers start
// with prefix and sort after after, in pseudonym order (then signing
// order). It reads every chunk of the proposal, but decodes only those
// whose JSON may hold a signer starting with prefix.
func signersFrom(ctx context.Context, r projections.Reader, id, prefix, after string) ([]Signature, error) {
	mark := []byte(`","` + prefix) // a signer after its signature's ID, as appendChunkSignature writes them (a prefix is hex: never escaped)
	var out []Signature
	noSuchSigner := func(raw []byte) bool { // as MarshalJSON writes it, with no such signer
		return bytes.HasPrefix(raw, []byte(`{"proposalId":`)) && !bytes.Contains(raw, mark)
	}
	err := eachChunkOf(ctx, r, id, "", noSuchSigner, func(c *sigChunk) error {
		for _, s := range c.Sigs {
			if strings.HasPrefix(s.Signer, prefix) && s.Signer > after {
				out = append(out, s)
			}
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b Signature) int { return strings.Compare(a.Signer, b.Signer) })
	return out, err
}

// eachChunk calls fn with the chunks of proposal id from the one after
// from ("": the first), in order, reading a few at a time; an error from
// fn stops it and is returned.
// eachChunkOf calls fn with each chunk of proposal id that eachChunk
// reads from `from`, decoded; skip, if set, passes over a chunk by its
// JSON before it is decoded.
func eachChunkOf(ctx context.Context, r projections.Reader, id, from string, skip func(raw []byte) bool, fn func(c *sigChunk) error) error {
	return eachChunk(ctx, r, id, from, func(key string, raw []byte) error {
		if skip != nil && skip(raw) {
			return nil
		}
		var c sigChunk
		if err := c.UnmarshalJSON(raw); err != nil {
			return fmt.Errorf("decode %s/%s: %w", collSigChunks, key, err)
		}
		if c.ProposalID != id {
			return nil // another proposal's (one whose ID goes on after a '/')
		}
		return fn(&c)
	})
}

func eachChunk(ctx context.Context, r projections.Reader, id, from string, fn func(key string, raw []byte) error) error {
	base := id + "/"
	for {
		read, last := 0, ""
		err := projections.ScanPage(ctx, r, collSigChunks, base, from, chunksPerPage, func(key string, raw []byte) error {
			read, last = read+1, key
			return fn(key, raw)
		})
		if err != nil || read < chunksPerPage {
			return err
		}
		from = last
	}
}

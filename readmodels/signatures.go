package readmodels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// SignaturesName is the name of the Signatures projection.
const SignaturesName = "signatures"

const (
	// collSignatures holds <proposal>/<time key>/<signature ID> →
	// Signature: a proposal's signatures in the order they were made.
	collSignatures = "signatures"
	// collSigners holds <proposal>/<signer> → the signature's key in
	// collSignatures (a JSON string): a signer's signature, and signers by
	// the prefix of their pseudonym.
	collSigners = "signers"
)

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

// Signatures is the staff's read model of each proposal's signatures, one
// document per signature keyed by when it was made, and one per signer
// keyed by the pseudonym, so that a page of signatures, a time range or
// the signers whose pseudonym starts with a prefix is one bounded scan
// (SignaturesOf), however many signatures a proposal has. It is not part
// of as-of views (asOfModels): nobody asks which signatures a proposal had
// at an earlier moment from these documents, and a case's as-of fold
// would otherwise hold every signature of its proposal.
//
// A signature is read from its JSON and its documents written without
// encoding/json (fastSignature): it is most of a Join import's log.
type Signatures struct {
	path foldPath
}

var _ projections.Preloader = Signatures{}

// Name implements projections.Projection.
func (Signatures) Name() string { return SignaturesName }

// Version implements projections.Projection.
func (Signatures) Version() int { return 1 }

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
// few fields it keeps from the event's JSON and writing both documents
// without encoding/json (decision 0046): decoding the event and encoding
// the documents were most of what the read model cost in a Join import.
// It reports false for anything but the plain shape (another event type
// or schema version, a field it does not know, a value not as canonical
// JSON writes it), which the decoded fold then takes.
func fastSignature(ctx context.Context, tx projections.Tx, ev eventstore.Event) (bool, error) {
	if ev.Type != signedType {
		return false, nil
	}
	if v, _ := domain.EventSchemaVersion(ev.Type); ev.SchemaVersion != v {
		return false, nil
	}
	if !timeOK(ev.RecordedAt) || !timeOK(ev.OccurredAt()) {
		return false, nil
	}
	var id, sigID, signer, county, backdated string
	plain := true
	err := topFields(ev.Data, func(name string, raw []byte) {
		var ok bool
		switch name {
		case "proposalId":
			id, ok = rawString(raw)
		case "signatureId":
			if sigID, ok = rawString(raw); ok && !canonicalUUID(sigID) {
				var u uuid.UUID
				u, ok = parseUUID(sigID)
				sigID = u.String()
			}
		case "signer":
			signer, ok = rawString(raw)
		case "county":
			county, ok = rawString(raw)
		case "backdateReason":
			backdated, ok = rawString(raw)
		case "count", "district", "at":
			ok = true
		}
		plain = plain && ok
	})
	if err != nil || !plain || id == "" || sigID == "" {
		return false, nil
	}
	st := stampWith(ev, backdated)
	var kb strings.Builder // the key in one allocation
	kb.Grow(len(id) + 28 + len(sigID))
	kb.WriteString(id)
	kb.WriteByte('/')
	var tk [64]byte
	kb.Write(appendSigTimeKey(tk[:0], st.OccurredAt, sigID))
	key := kb.String()
	doc := make([]byte, 0, 320+len(id)+len(signer)+len(st.Actor.ID)+len(st.Backdated))
	doc = append(doc, `{"proposalId":`...)
	doc = appendString(doc, id)
	doc = append(doc, `,"signatureId":`...)
	doc = appendString(doc, sigID)
	if signer != "" {
		doc = append(doc, `,"signer":`...)
		doc = appendString(doc, signer)
	}
	if c := CountyOf(county); county != "" && c != "" {
		doc = append(doc, `,"county":`...)
		doc = appendString(doc, c)
	}
	doc = append(doc, ',')
	doc = appendStampFields(doc, st)
	doc = append(doc, '}')
	if err := tx.Put(ctx, collSignatures, key, projections.Encoded(doc)); err != nil {
		return true, fmt.Errorf("%s: %s: %w", SignaturesName, ev.Type, err)
	}
	if signer == "" {
		return true, nil
	}
	if err := tx.Put(ctx, collSigners, id+"/"+signer, projections.Encoded(appendString(make([]byte, 0, len(key)+2), key))); err != nil {
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

// Preload implements projections.Preloader: a signature writes two new
// documents and reads none; an invalidation reads by the signer, which
// the stream does not name.
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
		key := string(e.ProposalID) + "/" + sigTimeKey(s.OccurredAt, s.SignatureID)
		if err := tx.Put(ctx, collSignatures, key, s); err != nil {
			return err
		}
		if s.Signer == "" {
			return nil
		}
		return tx.Put(ctx, collSigners, string(e.ProposalID)+"/"+s.Signer, key)
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalSignatureInvalidated) error {
		key, ok, err := projections.Get[string](ctx, tx, collSigners, string(e.ProposalID)+"/"+string(e.Signer))
		if err != nil {
			return err
		}
		if !ok {
			// The signer was erased before this was folded (a rebuild
			// after an erasure): each event's commitment is salted apart,
			// so find the signature by its ID, reading the proposal's
			// signatures once. Rare: live, the signer is still there.
			if key, ok, err = signatureKeyByID(ctx, tx, string(e.ProposalID), e.SignatureID.String()); err != nil || !ok {
				return err
			}
		}
		return projections.Update(ctx, tx, collSignatures, key, func(s *Signature) error {
			s.Invalidated = &SignatureInvalidation{Reason: e.Reason, Stamp: stampOf(ev)}
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

// signatureKeyByID finds a signature of a proposal by its ID.
func signatureKeyByID(ctx context.Context, r projections.Reader, id, sigID string) (string, bool, error) {
	found := ""
	err := r.Scan(ctx, collSignatures, id+"/", func(key string, _ []byte) error {
		if strings.HasSuffix(key, "/"+sigID) {
			found = key
			return errStop
		}
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return found, found != "", err
}

// forgetSignatures puts the commitments where a proposal's erased
// signers and reasons were, as a rebuild from the log would show them: in
// the signatures, and in the signers' keys (an erased signer is found
// under its commitment, as after a rebuild). It reads the proposal's
// signatures once; erasures are rare.
func forgetSignatures(ctx context.Context, tx projections.Tx, id string, erased map[string]*erasedEvent) error {
	type change struct{ key, was string }
	var changed []change
	err := projections.ScanAll(ctx, tx, collSignatures, id+"/", func(key string, s Signature) error {
		if was := s.Signer; forget(&s, erased) {
			changed = append(changed, change{key, was})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range changed {
		var now string
		if err := projections.Update(ctx, tx, collSignatures, c.key, func(s *Signature) error {
			forget(s, erased)
			now = s.Signer
			return nil
		}); err != nil {
			return err
		}
		if now == c.was {
			continue
		}
		if c.was != "" {
			if err := tx.Delete(ctx, collSigners, id+"/"+c.was); err != nil {
				return err
			}
		}
		if now != "" {
			if err := tx.Put(ctx, collSigners, id+"/"+now, c.key); err != nil {
				return err
			}
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
// (the caller checks who asks): by time, or by pseudonym prefix. Each page
// is one bounded scan (and, by prefix, one read per signature shown).
func SignaturesOf(ctx context.Context, r projections.Reader, id domain.ProposalID, q SignatureQuery) (SignaturePage, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 200)
	if strings.Trim(q.SignerPrefix, "0123456789abcdef") != "" {
		return SignaturePage{}, ErrBadSignatureQuery
	}
	base := string(id) + "/"
	var out SignaturePage
	var last string
	var err error
	if q.SignerPrefix != "" {
		after := ""
		if q.After != "" {
			after = base + q.After
		}
		var keys, sigKeys []string
		err = projections.ScanPage(ctx, r, collSigners, base+q.SignerPrefix, after, q.Limit+1, func(key string, raw []byte) error {
			var k string
			if err := json.Unmarshal(raw, &k); err != nil {
				return err
			}
			keys, sigKeys = append(keys, key), append(sigKeys, k)
			return nil
		})
		for _, k := range sigKeys {
			if err != nil {
				break
			}
			var s Signature
			var ok bool
			if s, ok, err = projections.Get[Signature](ctx, r, collSignatures, k); ok {
				out.Signatures = append(out.Signatures, s)
			}
		}
		if len(keys) > q.Limit {
			last = strings.TrimPrefix(keys[q.Limit-1], base)
		}
	} else {
		after := ""
		switch {
		case q.After != "":
			after = base + q.After
		case !q.From.IsZero():
			after = base + sigTimeKey(q.From, "") // "<time>/" sorts before each "<time>/<ID>"
		}
		end := ""
		if !q.To.IsZero() {
			end = base + sigTimeKey(q.To, "")
		}
		var keys []string
		err = projections.ScanPage(ctx, r, collSignatures, base, after, q.Limit+1, func(key string, raw []byte) error {
			if end != "" && key >= end {
				return errStop
			}
			var s Signature
			if err := json.Unmarshal(raw, &s); err != nil {
				return err
			}
			keys = append(keys, key)
			out.Signatures = append(out.Signatures, s)
			return nil
		})
		if errors.Is(err, errStop) {
			err = nil
		}
		if len(keys) > q.Limit {
			last = strings.TrimPrefix(keys[q.Limit-1], base)
		}
	}
	if err != nil {
		return SignaturePage{}, fmt.Errorf("readmodels: signatures of proposal %s: %w", id, err)
	}
	if last != "" {
		out.Signatures, out.Next = out.Signatures[:min(q.Limit, len(out.Signatures))], last
	}
	return out, nil
}

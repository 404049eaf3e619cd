package readmodels

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// The staff signatures read model keeps a proposal's signatures in chunks
// (decision 0051): one directory per proposal and its signatures in
// signing order in chunks of up to sigChunkMax. A batch of one proposal's
// signatures then changes two or three documents, decoded once and encoded
// once per batch, instead of writing two per signature.
const (
	// collSigDirs holds <proposal> → sigDir.
	collSigDirs = "sigdirs"
	// collSigChunks holds <proposal>/<lower bound> → sigChunk: the
	// signatures whose time keys (sigTimeKey) are at or after the lower
	// bound and before the next chunk's, in that order.
	collSigChunks = "sigchunks"
)

// sigChunkMax is the most signatures a chunk holds: a chunk one more
// would hold is split.
const sigChunkMax = 256

// sigDir is a proposal's directory: the lower bounds of its chunks.
type sigDir struct {
	// Chunks are the chunks' lower bounds, in order: the first is "", each
	// other the shortest string after the previous chunk's last time key
	// and at or before its own first (so that it names no signer).
	Chunks []string `json:"chunks"`
}

// chunk returns the index of the chunk that holds (or would hold) the
// signature with time key key.
func (d *sigDir) chunk(key string) int {
	i, found := slices.BinarySearch(d.Chunks, key)
	if found {
		return i
	}
	return max(i-1, 0)
}

// sigChunk is a run of a proposal's signatures in signing order (by
// sigTimeKey). Its JSON is written and read by hand (MarshalJSON,
// decodeChunk): the proposal's ID once, then each signature as an array of
// its fields (chunkSignatureFields), which is a third smaller than the
// object json.Marshal writes of a Signature, without the field names and,
// when the signer signed it themselves, the actor's ID.
type sigChunk struct {
	ProposalID string
	Sigs       []Signature
}

// chunkSignatureFields names the members of a signature's array in a chunk,
// in order. The actor's ID is 1 when it is the signer's pseudonym; the
// invalidation and the erasure, objects as json.Marshal writes them, are
// there only when one is set (null for an absent invalidation before an
// erasure).
var chunkSignatureFields = []string{"signatureId", "signer", "county", "position", "eventId", "actor.id", "actor.role",
	"occurredAt", "recordedAt", "backdated", "invalidated", "erased"}

// sigChunkJSON is a chunk's JSON as encoding/json reads it.
type sigChunkJSON struct {
	ProposalID string              `json:"proposalId"`
	Signatures [][]json.RawMessage `json:"signatures"`
}

// MarshalJSON implements json.Marshaler.
func (c sigChunk) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 64+len(c.ProposalID)+len(c.Sigs)*256)
	b = append(b, `{"proposalId":`...)
	b = appendString(b, c.ProposalID)
	b = append(b, `,"signatures":[`...)
	for i := range c.Sigs {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendChunkSignature(b, &c.Sigs[i]); err != nil {
			return nil, err
		}
	}
	return append(b, "]}"...), nil
}

// EncodeDocument implements projections.DocumentEncoder: MarshalJSON's
// bytes, which are what json.Marshal of the chunk gives (compact; strings
// escaped as encoding/json escapes them) except that json.Marshal also
// escapes <, > and & — a chunk with one of those goes through json.Marshal.
func (c *sigChunk) EncodeDocument() ([]byte, error) {
	b, err := c.MarshalJSON()
	if err != nil || !bytes.ContainsAny(b, "<>&") {
		return b, err
	}
	return json.Marshal(c)
}

// UnmarshalJSON implements json.Unmarshaler: a chunk as MarshalJSON
// writes it is read by hand (decodeChunk), any other JSON of the same
// value with encoding/json.
func (c *sigChunk) UnmarshalJSON(b []byte) error {
	if decodeChunk(b, c) {
		return nil
	}
	var v sigChunkJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	sigs := make([]Signature, len(v.Signatures))
	var fields [][]byte
	for i, members := range v.Signatures {
		sigs[i].ProposalID = v.ProposalID
		fields = fields[:0]
		for _, m := range members {
			fields = append(fields, m)
		}
		if err := decodeChunkSignature(fields, &sigs[i], true); err != nil {
			return fmt.Errorf("signature %d: %w", i, err)
		}
	}
	c.ProposalID, c.Sigs = v.ProposalID, sigs
	return nil
}

// errChunkJSON: a chunk's JSON is not as MarshalJSON writes it.
var errChunkJSON = errors.New("readmodels: a signature in a chunk is not as the chunk writes one")

// decodeChunk reads a chunk as MarshalJSON writes it (compact), as
// encoding/json would; it reports false, leaving c to be decoded by
// encoding/json, on anything else.
func decodeChunk(b []byte, c *sigChunk) bool {
	var id string
	var sigs []byte
	ok := true
	err := topFields(b, func(name string, raw []byte) {
		switch name {
		case "proposalId":
			var k bool
			id, k = rawString(raw)
			ok = ok && k
		case "signatures":
			sigs = raw
		default:
			ok = false
		}
	})
	if err != nil || !ok {
		return false
	}
	members, k := arrayMembers(sigs, nil)
	if !k {
		return false
	}
	out := make([]Signature, len(members))
	var fields [][]byte
	for i, m := range members {
		if m[0] != '[' {
			return false
		}
		if fields, k = arrayMembers(m, fields[:0]); !k {
			return false
		}
		out[i].ProposalID = id
		if decodeChunkSignature(fields, &out[i], false) != nil {
			return false
		}
	}
	c.ProposalID, c.Sigs = id, out
	return true
}

// arrayMembers appends to out the members of the compact JSON array b.
func arrayMembers(b []byte, out [][]byte) ([][]byte, bool) {
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return nil, false
	}
	for i := 1; i < len(b)-1; {
		end, ok := skipValue(b, i)
		if !ok {
			return nil, false
		}
		out = append(out, b[i:end])
		switch {
		case end == len(b)-1:
			i = end
		case b[end] == ',':
			i = end + 1
		default:
			return nil, false
		}
	}
	return out, true
}

// decodeChunkSignature reads a signature's array of fields
// (chunkSignatureFields): by hand, or, if slow, each member with
// encoding/json.
func decodeChunkSignature(fields [][]byte, s *Signature, slow bool) error {
	if len(fields) < 10 || len(fields) > len(chunkSignatureFields) {
		return errChunkJSON
	}
	str := func(raw []byte, v *string) bool {
		if !slow {
			var ok bool
			*v, ok = rawString(raw)
			return ok
		}
		return json.Unmarshal(raw, v) == nil
	}
	at := func(raw []byte, v *time.Time) bool {
		if !slow {
			t, ok := rawString(raw)
			if !ok {
				return false
			}
			var err error
			*v, err = time.Parse(time.RFC3339, t)
			return err == nil
		}
		return json.Unmarshal(raw, v) == nil
	}
	ok := str(fields[0], &s.SignatureID) && str(fields[1], &s.Signer) && str(fields[2], &s.County) &&
		str(fields[4], &s.EventID) && str(fields[6], &s.Actor.Role) && at(fields[7], &s.OccurredAt) &&
		at(fields[8], &s.RecordedAt) && str(fields[9], &s.Backdated)
	if !ok {
		return errChunkJSON
	}
	n, err := strconv.ParseUint(string(bytes.TrimSpace(fields[3])), 10, 64)
	if err != nil {
		return errChunkJSON
	}
	s.Position = eventstore.Position(n)
	if a := bytes.TrimSpace(fields[5]); len(a) == 1 && a[0] == '1' {
		s.Actor.ID = s.Signer
	} else if !str(a, &s.Actor.ID) {
		return errChunkJSON
	}
	if len(fields) > 10 && json.Unmarshal(fields[10], &s.Invalidated) != nil ||
		len(fields) > 11 && json.Unmarshal(fields[11], &s.Erased) != nil {
		return errChunkJSON
	}
	return nil
}

// errSignatureTime: a time of a signature that JSON cannot hold (a year
// outside 0 to 9999), as json.Marshal refuses it.
var errSignatureTime = errors.New("readmodels: a signature's time is outside years 0 to 9999")

// chunkable returns the error appendChunkSignature would return for s, or
// nil; a new signature (without invalidation or erasure) it checks
// without encoding it.
func chunkable(s *Signature) error {
	if s.Invalidated != nil || s.Erased != nil {
		_, err := appendChunkSignature(nil, s)
		return err
	}
	if !timeOK(s.OccurredAt) || !timeOK(s.RecordedAt) {
		return fmt.Errorf("signature %s: %w", s.SignatureID, errSignatureTime)
	}
	return nil
}

// appendChunkSignature appends s as a chunk holds it: the array of
// chunkSignatureFields.
func appendChunkSignature(b []byte, s *Signature) ([]byte, error) {
	if !timeOK(s.OccurredAt) || !timeOK(s.RecordedAt) {
		return nil, fmt.Errorf("signature %s: %w", s.SignatureID, errSignatureTime)
	}
	b = append(b, '[')
	b = appendString(b, s.SignatureID)
	b = append(b, ',')
	b = appendString(b, s.Signer)
	b = append(b, ',')
	b = appendString(b, s.County)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(s.Position), 10)
	b = append(b, ',')
	b = appendString(b, s.EventID)
	if s.Actor.ID == s.Signer && s.Signer != "" {
		b = append(b, ",1,"...)
	} else {
		b = append(b, ',')
		b = appendString(b, s.Actor.ID)
		b = append(b, ',')
	}
	b = appendString(b, s.Actor.Role)
	b = append(b, ',')
	b = appendTime(b, s.OccurredAt)
	b = append(b, ',')
	b = appendTime(b, s.RecordedAt)
	b = append(b, ',')
	b = appendString(b, s.Backdated)
	if s.Invalidated != nil || s.Erased != nil {
		raw, err := json.Marshal(s.Invalidated)
		if err != nil {
			return nil, fmt.Errorf("signature %s: invalidation: %w", s.SignatureID, err)
		}
		b = append(b, ',')
		b = append(b, raw...)
	}
	if s.Erased != nil {
		raw, err := json.Marshal(s.Erased)
		if err != nil {
			return nil, fmt.Errorf("signature %s: erasure: %w", s.SignatureID, err)
		}
		b = append(b, ',')
		b = append(b, raw...)
	}
	return append(b, ']'), nil
}

// find returns where the signature of time at and ID id is or would be in
// c, and whether it is there. Signatures are ordered as their time keys
// are: sigTimeKey writes the time in UTC at a fixed width (for the years
// JSON can hold), so its order is the time's, then the ID's. find takes
// the key, not a *Signature, so that the signature being added stays off
// the heap (a search with a closure over a pointer to it would move it
// there: 200 bytes a signature of an import).
func (c *sigChunk) find(at time.Time, id string) (int, bool) {
	cmp := func(x *Signature) int {
		if r := x.OccurredAt.Compare(at); r != 0 {
			return r
		}
		return strings.Compare(x.SignatureID, id)
	}
	n := len(c.Sigs)
	if n == 0 || cmp(&c.Sigs[n-1]) < 0 { // signing order: after the last
		return n, false
	}
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if cmp(&c.Sigs[m]) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < n && cmp(&c.Sigs[lo]) == 0
}

// findKey returns the signature of c whose time key is key, if any.
func (c *sigChunk) findKey(key string) (int, bool) {
	at, id, ok := parseSigTimeKey(key)
	if !ok {
		return 0, false
	}
	return c.find(at, id)
}

// parseSigTimeKey reads a key sigTimeKey wrote.
func parseSigTimeKey(key string) (time.Time, string, bool) {
	ts, id, ok := strings.Cut(key, "/")
	if !ok {
		return time.Time{}, "", false
	}
	at, err := time.Parse(sigTimeLayout, ts)
	if err != nil {
		return time.Time{}, "", false
	}
	return at, id, true
}

// separator returns the shortest string s with a < s ≤ b (a < b): the
// lower bound of a chunk that starts with b after one that ends with a.
func separator(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return b[:min(i+1, len(b))]
}

// addSignature folds a signature into its proposal's chunk, as one change
// of the proposal's directory.
func addSignature(ctx context.Context, tx projections.Tx, s Signature) error {
	if err := chunkable(&s); err != nil { // refused before anything changes
		return err
	}
	id := s.ProposalID
	return projections.Update(ctx, tx, collSigDirs, id, func(d *sigDir) error {
		return putSignature(ctx, tx, d, id, s)
	})
}

// putSignature puts s into the chunk of its time key, replacing a signature
// of the same key, and splits the chunk when it grows past sigChunkMax: in
// halves, or, the last chunk growing in its later half (signatures come in
// signing order), by starting a new chunk with its last signature.
func putSignature(ctx context.Context, tx projections.Tx, d *sigDir, id string, s Signature) error {
	if len(d.Chunks) == 0 {
		d.Chunks = []string{""}
	}
	var kb [96]byte
	key := appendSigTimeKey(kb[:0], s.OccurredAt, s.SignatureID)
	i := len(d.Chunks) - 1
	if string(key) < d.Chunks[i] { // not in the last chunk (comparing allocates nothing)
		i = d.chunk(string(key))
	}
	last := i == len(d.Chunks)-1
	return projections.Update(ctx, tx, collSigChunks, id+"/"+d.Chunks[i], func(c *sigChunk) error {
		c.ProposalID = id
		j, found := c.find(s.OccurredAt, s.SignatureID)
		if found {
			c.Sigs[j] = s
			return nil
		}
		if len(c.Sigs) == cap(c.Sigs) {
			// Grow by doubling up to a full chunk and the one that splits
			// it, never past (append would double 256 to 512).
			grown := make([]Signature, len(c.Sigs), min(max(2*len(c.Sigs), 8), sigChunkMax+1))
			copy(grown, c.Sigs)
			c.Sigs = grown
		}
		c.Sigs = slices.Insert(c.Sigs, j, s)
		if len(c.Sigs) <= sigChunkMax {
			return nil
		}
		m := len(c.Sigs) / 2
		var upper []Signature
		if last && j >= m {
			// Signatures come in signing order: the chunk stays full, and
			// the new last chunk, which the next signatures fill, has room
			// for all of them at once.
			m = len(c.Sigs) - 1
			upper = append(make([]Signature, 0, sigChunkMax+1), c.Sigs[m:]...)
		} else {
			upper = slices.Clone(c.Sigs[m:])
		}
		lb := separator(sigTimeKey(c.Sigs[m-1].OccurredAt, c.Sigs[m-1].SignatureID), sigTimeKey(upper[0].OccurredAt, upper[0].SignatureID))
		clear(c.Sigs[m:])
		c.Sigs = c.Sigs[:m]
		if err := projections.Update(ctx, tx, collSigChunks, id+"/"+lb, func(n *sigChunk) error {
			n.ProposalID, n.Sigs = id, upper
			return nil
		}); err != nil {
			return err
		}
		d.Chunks = slices.Insert(d.Chunks, i+1, lb)
		return nil
	})
}

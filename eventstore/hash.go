package eventstore

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Hash is a SHA-256 content hash. Its text form is 64 lowercase hex digits.
type Hash [sha256.Size]byte

// String returns h as lowercase hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText encodes h as lowercase hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText decodes 64 hex digits.
func (h *Hash) UnmarshalText(b []byte) error {
	p, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// ParseHash decodes 64 hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, fmt.Errorf("parse hash %q: want %d hex digits", s, 2*len(h))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("parse hash %q: %w", s, err)
	}
	return h, nil
}

// TimeLayout is how times appear in the canonical envelope: UTC, always six
// fractional digits.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// ContentHash returns SHA-256 over CanonicalEnvelope(e). The position and the
// stored hash are not part of it.
func ContentHash(e Event) Hash {
	bp := envelopeBuffers.Get().(*[]byte)
	b := appendCanonicalEnvelope((*bp)[:0], &e)
	h := Hash(sha256.Sum256(b))
	if cap(b) <= 64<<10 { // keep common sizes only
		*bp = b
		envelopeBuffers.Put(bp)
	}
	return h
}

// envelopeBuffers are the buffers ContentHash encodes envelopes into.
var envelopeBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// CanonicalEnvelope returns the RFC 8785 (JSON Canonicalization Scheme)
// encoding of the envelope without its position and hash:
//
//	{"data":{...},"id":"<uuid>","metadata":{...},"recordedAt":"<time>",
//	 "schemaVersion":N,"stream":"<stream>","type":"<type>","version":N}
//
// Keys are in RFC 8785 order, metadata holds only its non-empty fields
// (actorId, actorRole, causationId, commandId, correlationId, occurredAt),
// times use TimeLayout, and data is the stored canonical JSON. It is the
// same bytes an auditor gets by canonicalising the envelope of an export line
// with any RFC 8785 implementation; docs/content-hash.md works an example.
func CanonicalEnvelope(e Event) []byte {
	return appendCanonicalEnvelope(make([]byte, 0, 320+len(e.Data)), &e)
}

// appendCanonicalEnvelope appends CanonicalEnvelope(*e) to b.
func appendCanonicalEnvelope(b []byte, e *Event) []byte {
	b = append(b, `{"data":`...)
	b = append(b, e.Data...)
	b = append(b, `,"id":"`...)
	b = appendUUID(b, &e.ID)
	b = append(b, `","metadata":{`...)
	md := &e.Metadata
	n := len(b)
	b = appendMetadataField(b, n, "actorId", md.ActorID)
	b = appendMetadataField(b, n, "actorRole", md.ActorRole)
	b = appendMetadataField(b, n, "causationId", md.CausationID)
	b = appendMetadataField(b, n, "commandId", md.CommandID)
	b = appendMetadataField(b, n, "correlationId", md.CorrelationID)
	if !md.OccurredAt.IsZero() {
		if len(b) > n {
			b = append(b, ',')
		}
		b = append(b, `"occurredAt":"`...)
		b = appendTime(b, md.OccurredAt)
		b = append(b, '"')
	}
	b = append(b, `},"recordedAt":"`...)
	b = appendTime(b, e.RecordedAt)
	b = append(b, `","schemaVersion":`...)
	b = strconv.AppendInt(b, int64(e.SchemaVersion), 10)
	b = append(b, `,"stream":`...)
	b = appendJCSString(b, e.Stream)
	b = append(b, `,"type":`...)
	b = appendJCSString(b, e.Type)
	b = append(b, `,"version":`...)
	b = strconv.AppendUint(b, e.Version, 10)
	return append(b, '}')
}

// appendMetadataField appends "name":"value" if value is not empty, after
// a comma unless it is the first field (the metadata object starts at n).
func appendMetadataField(b []byte, n int, name, value string) []byte {
	if value == "" {
		return b
	}
	if len(b) > n {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...) // the names need no escaping
	b = append(b, '"', ':')
	return appendJCSString(b, value)
}

// appendUUID appends id in lowercase 8-4-4-4-12 form, as uuid.UUID.String.
func appendUUID(b []byte, id *uuid.UUID) []byte {
	var s [36]byte
	hex.Encode(s[0:8], id[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], id[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], id[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], id[8:10])
	s[23] = '-'
	hex.Encode(s[24:], id[10:])
	return append(b, s[:]...)
}

// appendTime appends t in UTC with TimeLayout, as t.UTC().AppendFormat
// would, without the layout interpreter (the content hash formats two
// times per event): years 0 to 9999, the others through AppendFormat.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, TimeLayout)
	}
	hour, minute, sec := t.Clock()
	us := t.Nanosecond() / 1000
	var s [27]byte
	put := func(at, v, width int) {
		for i := at + width - 1; i >= at; i-- {
			s[i] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, year, 4)
	s[4] = '-'
	put(5, int(month), 2)
	s[7] = '-'
	put(8, day, 2)
	s[10] = 'T'
	put(11, hour, 2)
	s[13] = ':'
	put(14, minute, 2)
	s[16] = ':'
	put(17, sec, 2)
	s[19] = '.'
	put(20, us, 6)
	s[26] = 'Z'
	return append(b, s[:]...)
}

// FormatTime formats t in UTC with TimeLayout.
func FormatTime(t time.Time) string { return string(appendTime(make([]byte, 0, len(TimeLayout)), t)) }

// CanonicalJSON returns the RFC 8785 canonical form of a JSON document: the
// same bytes as github.com/gowebpki/jcs.Transform, and an error for exactly
// the documents it refuses (a name given twice in one object included), in
// one pass without building a tree (canonical.go). The result never shares
// memory with doc.
func CanonicalJSON(doc []byte) ([]byte, error) {
	out, err := appendCanonicalJSON(make([]byte, 0, len(doc)), doc)
	if err != nil {
		return nil, fmt.Errorf("canonicalise JSON: %w", err)
	}
	return out, nil
}

// appendJCSString appends s as an RFC 8785 string: only '"', '\\' and
// control characters are escaped (appendJCSEscape). s must be valid UTF-8.
func appendJCSString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		b = appendJCSEscape(b, c)
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendJCSEscape appends the RFC 8785 escape of c, which is '"', '\\' or a
// control character: the short escapes where JSON has them, lowercase
// \u00xx otherwise.
func appendJCSEscape(b []byte, c byte) []byte {
	const hexDigits = "0123456789abcdef"
	if e := shortEscapes[c]; e != 0 {
		return append(b, '\\', e)
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// shortEscapes maps a character to the letter of its two-character JSON
// escape, unescaped the letter of an escape back to the character (0: none).
var shortEscapes, unescaped [256]byte

func init() {
	for _, p := range [...][2]byte{{'"', '"'}, {'\\', '\\'}, {'\b', 'b'}, {'\f', 'f'}, {'\n', 'n'}, {'\r', 'r'}, {'\t', 't'}} {
		shortEscapes[p[0]], unescaped[p[1]] = p[1], p[0]
	}
}

// validUTF8 reports whether every string is valid UTF-8.
func validUTF8(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}

package eventstore

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
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
	return sha256.Sum256(CanonicalEnvelope(e))
}

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
	b := make([]byte, 0, 256+len(e.Data))
	b = append(b, `{"data":`...)
	b = append(b, e.Data...)
	b = append(b, `,"id":"`...)
	b = append(b, e.ID.String()...)
	b = append(b, `","metadata":{`...)
	first := true
	field := func(name, value string) {
		if value == "" {
			return
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJCSString(b, name)
		b = append(b, ':')
		b = appendJCSString(b, value)
	}
	md := e.Metadata
	field("actorId", md.ActorID)
	field("actorRole", md.ActorRole)
	field("causationId", md.CausationID)
	field("commandId", md.CommandID)
	field("correlationId", md.CorrelationID)
	if !md.OccurredAt.IsZero() {
		field("occurredAt", FormatTime(md.OccurredAt))
	}
	b = append(b, `},"recordedAt":"`...)
	b = append(b, FormatTime(e.RecordedAt)...)
	b = append(b, `","schemaVersion":`...)
	b = strconv.AppendInt(b, int64(e.SchemaVersion), 10)
	b = append(b, `,"stream":`...)
	b = appendJCSString(b, e.Stream)
	b = append(b, `,"type":`...)
	b = appendJCSString(b, e.Type)
	b = append(b, `,"version":`...)
	b = strconv.AppendUint(b, e.Version, 10)
	b = append(b, '}')
	return b
}

// FormatTime formats t in UTC with TimeLayout.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// CanonicalJSON returns the RFC 8785 canonical form of a JSON document.
func CanonicalJSON(doc []byte) ([]byte, error) {
	out, err := jcs.Transform(doc)
	if err != nil {
		return nil, fmt.Errorf("canonicalise JSON: %w", err)
	}
	return out, nil
}

// appendJCSString appends s as an RFC 8785 string: only '"', '\\' and
// control characters are escaped, with the short escapes where JSON has
// them and lowercase \u00xx otherwise. s must be valid UTF-8.
func appendJCSString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
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

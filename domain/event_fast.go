package domain

import (
	"encoding/hex"
	"strconv"
	"time"
	"unicode/utf8"
)

// This file is the hand-written encoder of the hot event, proposal.signed: a
// bulk import stores a million of them, and encoding/json followed by the
// store's RFC 8785 canonicalisation was a fifth of its CPU time (decision
// 0045). The encoder writes the canonical form directly; TestEncodeCanonical
// compares it with the generic path (Encode, then canonicalisation) over
// many random events, odd strings included.

// maxExactInt is the largest integer RFC 8785 writes as plain digits (2^53).
const maxExactInt = 1 << 53

// EncodeCanonical encodes e, with backdateReason set in its Occurred (as
// WithBackdateReason would, when not empty), directly in RFC 8785 canonical
// JSON: byte for byte what Encode followed by canonicalisation gives. ok is
// false for event types without a hand-written encoder and for values the
// encoder leaves to the generic path (strings that are not valid UTF-8,
// times outside years 0–9999, integers beyond 2^53); the caller then uses
// Encode.
func EncodeCanonical(e Event, backdateReason string) (eventType string, schemaVersion int, data []byte, ok bool) {
	s, isSigned := e.(ProposalSigned)
	if !isSigned {
		return "", 0, nil, false
	}
	if backdateReason != "" {
		s.BackdateReason = backdateReason
	}
	// 200 bytes hold the names, punctuation, time, count and signature ID.
	data, ok = appendSignedCanonical(make([]byte, 0, 200+len(s.ProposalID)+len(s.Signer)+len(s.County)+len(s.District)+len(s.BackdateReason)), &s)
	if !ok {
		return "", 0, nil, false
	}
	return s.EventType(), s.SchemaVersion(), data, true
}

// appendSignedCanonical appends the canonical JSON of s; members in RFC 8785
// order (at, backdateReason, count, county, district, proposalId,
// signatureId, signer), omitempty as the struct tags say.
func appendSignedCanonical(b []byte, s *ProposalSigned) ([]byte, bool) {
	at := s.At
	if y := at.Year(); y < 0 || y > 9999 {
		return nil, false
	}
	if s.Count > maxExactInt || s.Count < -maxExactInt {
		return nil, false
	}
	for _, str := range [...]string{s.BackdateReason, s.County, s.District, string(s.ProposalID), string(s.Signer)} {
		if !utf8.ValidString(str) {
			return nil, false
		}
	}
	b = append(b, `{"at":"`...)
	b = at.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if s.BackdateReason != "" {
		b = append(b, `,"backdateReason":`...)
		b = appendCanonicalString(b, s.BackdateReason)
	}
	b = append(b, `,"count":`...)
	b = strconv.AppendInt(b, int64(s.Count), 10)
	if s.County != "" {
		b = append(b, `,"county":`...)
		b = appendCanonicalString(b, s.County)
	}
	if s.District != "" {
		b = append(b, `,"district":`...)
		b = appendCanonicalString(b, s.District)
	}
	b = append(b, `,"proposalId":`...)
	b = appendCanonicalString(b, string(s.ProposalID))
	b = append(b, `,"signatureId":"`...)
	id := &s.SignatureID // as uuid.UUID's String writes it, without a string each
	b = hex.AppendEncode(b, id[:4])
	for _, part := range [...][]byte{id[4:6], id[6:8], id[8:10], id[10:]} {
		b = hex.AppendEncode(append(b, '-'), part)
	}
	b = append(b, `","signer":`...)
	b = appendCanonicalString(b, string(s.Signer))
	return append(b, '}'), true
}

// appendCanonicalString appends valid UTF-8 s as an RFC 8785 string: '"'
// and '\\' and the control characters escaped (the two-character escapes
// where JSON has them, lower-case \u00xx otherwise), everything else as it
// is.
func appendCanonicalString(b []byte, s string) []byte {
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
		case '"', '\\':
			b = append(b, '\\', c)
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

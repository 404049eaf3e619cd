package transparency

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/export"
	"github.com/pdis/collab-ledger/eventstore/sealed"
)

// decodeExportLine turns one line of an export into the event it describes,
// with exactly the result of json.Unmarshal into an export.Line followed by
// Line.Event. Lines as export.Writer writes them take a fast path that
// parses the line once and canonicalises the data only when it is not
// already in RFC 8785 form; anything unusual (escapes in attribute values,
// unknown or repeated attributes, nulls, other number forms) goes through
// the export package's own decoder.
//
// An attribute the content hash does not cover, other than source and
// datacontenttype with the values the ledger writes, is refused: an
// export that carries one carries something no signature vouches for.
func decodeExportLine(line []byte) (eventstore.Event, error) {
	if ev, ok := fastDecodeLine(line); ok {
		return ev, nil
	}
	var attrs map[string]json.RawMessage
	if err := json.Unmarshal(line, &attrs); err != nil {
		return eventstore.Event{}, fmt.Errorf("%w: %v", export.ErrBadLine, err)
	}
	for name := range attrs {
		if !exportAttributes[name] {
			return eventstore.Event{}, fmt.Errorf("%w: attribute %q is not part of the ledger's export: the content hash does not cover it, so nothing vouches for it", export.ErrBadLine, name)
		}
	}
	var l export.Line
	if err := json.Unmarshal(line, &l); err != nil {
		return eventstore.Event{}, fmt.Errorf("%w: %v", export.ErrBadLine, err)
	}
	switch {
	case l.Source != export.Source:
		return eventstore.Event{}, fmt.Errorf("%w: source %q: the ledger's exports say %q (source is not hashed)", export.ErrBadLine, l.Source, export.Source)
	case l.DataContentType != "application/json":
		return eventstore.Event{}, fmt.Errorf("%w: datacontenttype %q: the ledger's events are application/json (it is not hashed)", export.ErrBadLine, l.DataContentType)
	}
	ev, err := l.Event()
	if err != nil || len(l.Secrets) == 0 {
		return ev, err
	}
	// An auditor export's secrets are vouched for by the commitments in
	// the hashed data: each must open its commitment.
	if err := sealed.VerifyEvent(ev, l.Secrets); err != nil {
		return eventstore.Event{}, fmt.Errorf("%w: secrets: %v", export.ErrBadLine, err)
	}
	return ev, nil
}

// exportAttributes are the attributes of an exported event (export.Line);
// "secrets" (an auditor export's) is checked against the commitments.
var exportAttributes = map[string]bool{
	"specversion": true, "id": true, "source": true, "type": true, "subject": true, "time": true,
	"datacontenttype": true, "data": true, "position": true, "streamversion": true, "schemaversion": true,
	"actorid": true, "actorrole": true, "commandid": true, "correlationid": true, "causationid": true,
	"occurredat": true, "contenthash": true, "secrets": true,
}

// Attribute bits, to refuse repeated attributes on the fast path.
const (
	fSpec = 1 << iota
	fID
	fSource
	fType
	fSubject
	fTime
	fDCT
	fData
	fPosition
	fStreamVersion
	fSchemaVersion
	fActorID
	fActorRole
	fCommandID
	fCorrelationID
	fCausationID
	fOccurredAt
	fContentHash
)

var errSlow = errors.New("not on the fast path")

// lineParser is a cursor over one export line.
type lineParser struct {
	b []byte
	i int
}

func (p *lineParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *lineParser) byte(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string without escapes, as valid UTF-8 (what json.Unmarshal
// returns unchanged).
func (p *lineParser) str() ([]byte, error) {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, errSlow
	}
	start := p.i + 1
	ascii, escaped := true, false
	for j := start; j < len(p.b); j++ {
		c := p.b[j]
		switch {
		case c == '"':
			s := p.b[start:j]
			tok := p.b[start-1 : j+1]
			p.i = j + 1
			if escaped || !ascii && !utf8.Valid(s) {
				// Escapes, or bytes json.Unmarshal would replace: let it
				// decode the string.
				var out string
				if err := json.Unmarshal(tok, &out); err != nil {
					return nil, errSlow
				}
				return []byte(out), nil
			}
			return s, nil
		case c == '\\':
			escaped = true
			j++ // skip the escaped byte (a quote must not end the string)
		case c < 0x20:
			return nil, errSlow
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, errSlow
}

// uint reads an unsigned integer in plain decimal form.
func (p *lineParser) uint() (uint64, error) {
	p.ws()
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	digits := p.b[start:p.i]
	if len(digits) == 0 || len(digits) > 1 && digits[0] == '0' || len(digits) > 18 {
		return 0, errSlow
	}
	var v uint64
	for _, d := range digits {
		v = v*10 + uint64(d-'0')
	}
	return v, nil
}

// view returns b as a string without copying; b must not change after.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// fastDecodeLine decodes a line on the fast path, or reports false. The
// event's data and strings share line's memory.
func fastDecodeLine(line []byte) (eventstore.Event, bool) {
	p := lineParser{b: line}
	var (
		ev                       eventstore.Event
		seen                     int
		spec, id, tm, occ, chash []byte
		data                     []byte
		dataCanonical, ok        bool
		stream, typ, aid, arole  []byte
		cmd, corr, cause         []byte
		src, dct                 []byte
	)
	if !p.byte('{') {
		return ev, false
	}
	if p.byte('}') {
		return ev, false
	}
	for {
		key, err := p.str()
		if err != nil || !p.byte(':') {
			return ev, false
		}
		var bit int
		var target *[]byte
		switch string(key) {
		case "specversion":
			bit, target = fSpec, &spec
		case "id":
			bit, target = fID, &id
		case "source":
			bit, target = fSource, &src
		case "type":
			bit, target = fType, &typ
		case "subject":
			bit, target = fSubject, &stream
		case "time":
			bit, target = fTime, &tm
		case "datacontenttype":
			bit, target = fDCT, &dct
		case "actorid":
			bit, target = fActorID, &aid
		case "actorrole":
			bit, target = fActorRole, &arole
		case "commandid":
			bit, target = fCommandID, &cmd
		case "correlationid":
			bit, target = fCorrelationID, &corr
		case "causationid":
			bit, target = fCausationID, &cause
		case "occurredat":
			bit, target = fOccurredAt, &occ
		case "contenthash":
			bit, target = fContentHash, &chash
		case "position", "streamversion", "schemaversion":
			switch key[1] {
			case 'o':
				bit = fPosition
			case 't':
				bit = fStreamVersion
			default:
				bit = fSchemaVersion
			}
			if seen&bit != 0 {
				return ev, false
			}
			seen |= bit
			v, err := p.uint()
			if err != nil {
				return ev, false
			}
			switch bit {
			case fPosition:
				ev.Position = eventstore.Position(v)
			case fStreamVersion:
				ev.Version = v
			default:
				if v > 1<<31 {
					return ev, false
				}
				ev.SchemaVersion = int(v)
			}
		case "data":
			if seen&fData != 0 {
				return ev, false
			}
			seen |= fData
			p.ws()
			if p.i >= len(line) || line[p.i] != '{' {
				return ev, false
			}
			end, canonical, ok := scanValue(line, p.i, 0)
			if !ok {
				return ev, false
			}
			data, dataCanonical = line[p.i:end], canonical
			p.i = end
		default:
			return ev, false
		}
		if target != nil {
			if seen&bit != 0 {
				return ev, false
			}
			seen |= bit
			s, err := p.str()
			if err != nil {
				return ev, false
			}
			*target = s
		}
		if p.byte(',') {
			continue
		}
		if p.byte('}') {
			break
		}
		return ev, false
	}
	p.ws()
	if p.i != len(line) {
		return ev, false
	}
	// What Line.Event requires, in the same order, so that errors match.
	if string(spec) != "1.0" || seen&fData == 0 || string(src) != export.Source || string(dct) != "application/json" {
		return ev, false
	}
	var err error
	if ev.ID, err = uuid.ParseBytes(id); err != nil {
		return ev, false
	}
	if ev.RecordedAt, ok = parseTime(tm); !ok {
		return ev, false
	}
	if len(chash) != 64 {
		return ev, false
	}
	if ev.Hash, err = eventstore.ParseHash(string(chash)); err != nil {
		return ev, false
	}
	if !dataCanonical {
		// Reformatted data: the export package canonicalises it (and
		// rejects what is not JSON) exactly as it always does.
		return ev, false
	}
	// The event shares the line's memory: the caller keeps the line as it
	// is for as long as it uses the event.
	ev.Data = data[:len(data):len(data)]
	ev.Stream, ev.Type = view(stream), view(typ)
	ev.Metadata = eventstore.Metadata{ActorID: view(aid), ActorRole: view(arole), CommandID: view(cmd),
		CorrelationID: view(corr), CausationID: view(cause)}
	if seen&fOccurredAt != 0 && len(occ) > 0 {
		if ev.Metadata.OccurredAt, ok = parseTime(occ); !ok {
			return ev, false
		}
	}
	return ev, true
}

// parseTime parses an RFC 3339 time as Line.Event does, quickly for the
// export's own layout (2006-01-02T15:04:05.000000Z).
func parseTime(b []byte) (time.Time, bool) {
	if len(b) == len(eventstore.TimeLayout) && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' && b[16] == ':' && b[19] == '.' && b[26] == 'Z' {
		num := func(s []byte) (int, bool) {
			n := 0
			for _, c := range s {
				if c < '0' || c > '9' {
					return 0, false
				}
				n = n*10 + int(c-'0')
			}
			return n, true
		}
		y, ok1 := num(b[0:4])
		mo, ok2 := num(b[5:7])
		d, ok3 := num(b[8:10])
		h, ok4 := num(b[11:13])
		mi, ok5 := num(b[14:16])
		s, ok6 := num(b[17:19])
		us, ok7 := num(b[20:26])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(mo, y) && h < 24 && mi < 60 && s < 60 {
			return time.Date(y, time.Month(mo), d, h, mi, s, us*1000, time.UTC), true
		}
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func daysIn(m, y int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// maxDepth bounds the nesting scanValue follows; deeper data goes through
// the general canonicaliser.
const maxDepth = 200

// scanValue finds the end of the JSON value at b[i] and reports whether it
// is surely in RFC 8785 canonical form already (no whitespace, object keys
// plain ASCII in increasing order, strings with only the escapes JCS
// writes, integers of at most 15 digits). ok is false if the value is not
// JSON the fast path understands.
func scanValue(b []byte, i, depth int) (end int, canonical, ok bool) {
	if i >= len(b) || depth > maxDepth {
		return 0, false, false
	}
	switch c := b[i]; {
	case c == '{':
		canonical = true
		i++
		if i < len(b) && b[i] == '}' {
			return i + 1, true, true
		}
		var prev []byte
		for first := true; ; first = false {
			if i >= len(b) || b[i] != '"' {
				return 0, false, false
			}
			kEnd, kCanon, kASCII, ok := scanString(b, i)
			if !ok {
				return 0, false, false
			}
			key := b[i+1 : kEnd-1]
			if !kCanon || !kASCII || (!first && string(key) <= string(prev)) {
				canonical = false
			}
			prev = key
			i = kEnd
			if i >= len(b) || b[i] != ':' {
				return 0, false, false
			}
			e, c2, ok := scanValue(b, i+1, depth+1)
			if !ok {
				return 0, false, false
			}
			canonical = canonical && c2
			i = e
			if i < len(b) && b[i] == ',' {
				i++
				continue
			}
			if i < len(b) && b[i] == '}' {
				return i + 1, canonical, true
			}
			return 0, false, false
		}
	case c == '[':
		canonical = true
		i++
		if i < len(b) && b[i] == ']' {
			return i + 1, true, true
		}
		for {
			e, c2, ok := scanValue(b, i, depth+1)
			if !ok {
				return 0, false, false
			}
			canonical = canonical && c2
			i = e
			if i < len(b) && b[i] == ',' {
				i++
				continue
			}
			if i < len(b) && b[i] == ']' {
				return i + 1, canonical, true
			}
			return 0, false, false
		}
	case c == '"':
		e, canon, _, ok := scanString(b, i)
		return e, canon, ok
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
				return i + len(lit), true, true
			}
		}
		return 0, false, false
	case c == '-' || c >= '0' && c <= '9':
		start := i
		if c == '-' {
			i++
		}
		digits := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		n := i - digits
		plainInt := n > 0 && n <= 15 && !(n > 1 && b[digits] == '0') && string(b[start:i]) != "-0"
		if i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
			// A fraction or exponent: let the canonicaliser format it.
			for i < len(b) && (b[i] >= '0' && b[i] <= '9' || b[i] == '.' || b[i] == 'e' || b[i] == 'E' || b[i] == '+' || b[i] == '-') {
				i++
			}
			return i, false, true
		}
		if n == 0 {
			return 0, false, false
		}
		return i, plainInt, true
	case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		// Whitespace: not canonical. Skip it and go on.
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
		e, _, ok := scanValue(b, i, depth)
		if !ok {
			return 0, false, false
		}
		for e < len(b) && (b[e] == ' ' || b[e] == '\t' || b[e] == '\n' || b[e] == '\r') {
			e++
		}
		return e, false, true
	}
	return 0, false, false
}

// scanString finds the end of the string at b[i] (just past its closing
// quote) and reports whether it is written as JCS writes it, and whether it
// is plain ASCII without escapes.
func scanString(b []byte, i int) (end int, canonical, ascii, ok bool) {
	canonical, ascii = true, true
	for j := i + 1; j < len(b); {
		c := b[j]
		switch {
		case c == '"':
			return j + 1, canonical, ascii, true
		case c < 0x20:
			return 0, false, false, false
		case c == '\\':
			ascii = false
			if j+1 >= len(b) {
				return 0, false, false, false
			}
			switch b[j+1] {
			case '"', '\\', 'b', 'f', 'n', 'r', 't':
				j += 2
			case '/':
				canonical = false
				j += 2
			case 'u':
				if j+6 > len(b) {
					return 0, false, false, false
				}
				v, err := strconv.ParseUint(string(b[j+2:j+6]), 16, 16)
				if err != nil {
					return 0, false, false, false
				}
				lowerHex := true
				for _, h := range b[j+2 : j+6] {
					if h >= 'A' && h <= 'F' {
						lowerHex = false
					}
				}
				if v >= 0x20 || !lowerHex || v == '\b' || v == '\f' || v == '\n' || v == '\r' || v == '\t' {
					canonical = false
				}
				j += 6
			default:
				return 0, false, false, false
			}
		case c < 0x80:
			j++
		default:
			ascii = false
			r, size := utf8.DecodeRune(b[j:])
			if r == utf8.RuneError && size <= 1 {
				canonical = false
			}
			j += size
		}
	}
	return 0, false, false, false
}

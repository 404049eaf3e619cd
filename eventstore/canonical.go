package eventstore

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// This file is the store's RFC 8785 (JCS) canonicaliser. It gives exactly
// the bytes github.com/gowebpki/jcs.Transform gives and refuses exactly the
// documents it refuses (FuzzCanonicalJSON checks both), in one pass over the
// input that writes the output directly: members of an object are written
// where they are read and moved only if their keys are out of order, strings
// and integers that are already in canonical form are copied as they are.
// jcs.Transform builds a tree of strings and sort keys for every document
// first, which made it the largest cost of a bulk import
// (docs/decisions/0012-canonical-json-single-pass.md).

// maxCanonicalDepth is the deepest nesting of arrays and objects accepted,
// as in jcs.
const maxCanonicalDepth = 10000

// canonicaliser holds the scratch space of one canonicalisation; the pool
// lets appends reuse it.
type canonicaliser struct {
	in      []byte
	i       int
	depth   int
	out     []byte
	members []member // the members of every object being read, innermost last
	tmp     []byte   // where an object's members are copied to be reordered
}

// member is one member of an object being read: where it starts in out
// (its key's opening quote), where its key's canonical text ends (before
// the closing quote) and where its value ends.
type member struct {
	start, keyEnd, end int
}

var canonicalisers = sync.Pool{New: func() any { return new(canonicaliser) }}

// errCanonicalEOF: the document ends inside a value.
var errCanonicalEOF = errors.New("unexpected end of input")

// appendCanonicalJSON appends the RFC 8785 form of doc to dst.
func appendCanonicalJSON(dst, doc []byte) ([]byte, error) {
	if doc == nil {
		return dst, errors.New("no JSON data")
	}
	c := canonicalisers.Get().(*canonicaliser)
	c.in, c.i, c.depth, c.out = doc, 0, 0, dst
	err := c.document()
	out := c.out
	c.in, c.out = nil, nil
	c.members = c.members[:0]
	if cap(c.tmp) > 1<<20 { // do not keep one huge document's scratch
		c.tmp = nil
	}
	canonicalisers.Put(c)
	if err != nil {
		return dst, err
	}
	return out, nil
}

func isJSONSpace(b byte) bool { return b == ' ' || b == '\n' || b == '\r' || b == '\t' }

func (c *canonicaliser) fail(format string, args ...any) error {
	return fmt.Errorf("at byte %d: "+format, append([]any{c.i}, args...)...)
}

// skip moves past whitespace to the next byte, which it returns without
// consuming it. Outside strings only ASCII is allowed.
func (c *canonicaliser) skip() (byte, error) {
	for c.i < len(c.in) {
		b := c.in[c.i]
		if b >= 0x80 {
			return 0, c.fail("non-ASCII byte 0x%02x outside a string", b)
		}
		if !isJSONSpace(b) {
			return b, nil
		}
		c.i++
	}
	return 0, errCanonicalEOF
}

func (c *canonicaliser) document() error {
	if _, err := c.skip(); err != nil {
		return err
	}
	if err := c.value(); err != nil {
		return err
	}
	for ; c.i < len(c.in); c.i++ {
		if !isJSONSpace(c.in[c.i]) {
			return c.fail("content after the JSON value")
		}
	}
	return nil
}

// value reads one value (after whitespace) and appends its canonical form.
func (c *canonicaliser) value() error {
	b, err := c.skip()
	if err != nil {
		return err
	}
	switch b {
	case '{':
		c.i++
		return c.object()
	case '[':
		c.i++
		return c.array()
	case '"':
		c.i++
		c.out = append(c.out, '"')
		if err := c.str(); err != nil {
			return err
		}
		c.out = append(c.out, '"')
		return nil
	default:
		return c.scalar()
	}
}

func (c *canonicaliser) enter() error {
	c.depth++
	if c.depth > maxCanonicalDepth {
		return c.fail("nesting deeper than %d", maxCanonicalDepth)
	}
	return nil
}

// more moves to the next element of an array or object that end closes:
// false (past end) when there is none, else true after the ',' that must
// come before every element but the first (n is the element's index). It
// returns the element's first byte.
func (c *canonicaliser) more(n int, end byte) (bool, byte, error) {
	b, err := c.skip()
	if err != nil {
		return false, 0, err
	}
	if b == end {
		c.i++
		return false, b, nil
	}
	if n == 0 {
		return true, b, nil
	}
	if b != ',' {
		return false, 0, c.fail("want ',' or %q, got %q", end, b)
	}
	c.i++
	c.out = append(c.out, ',')
	b, err = c.skip()
	return true, b, err
}

func (c *canonicaliser) array() error {
	if err := c.enter(); err != nil {
		return err
	}
	c.out = append(c.out, '[')
	for n := 0; ; n++ {
		ok, _, err := c.more(n, ']')
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if err := c.value(); err != nil {
			return err
		}
	}
	c.out = append(c.out, ']')
	c.depth--
	return nil
}

func (c *canonicaliser) object() error {
	if err := c.enter(); err != nil {
		return err
	}
	c.out = append(c.out, '{')
	body := len(c.out)
	base := len(c.members)
	for n := 0; ; n++ {
		ok, b, err := c.more(n, '}')
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if b != '"' {
			return c.fail("want a member name, got %q", b)
		}
		c.i++
		m := member{start: len(c.out)}
		c.out = append(c.out, '"')
		if err := c.str(); err != nil {
			return err
		}
		m.keyEnd = len(c.out)
		c.out = append(c.out, '"', ':')
		if b, err = c.skip(); err != nil {
			return err
		}
		if b != ':' {
			return c.fail("want ':', got %q", b)
		}
		c.i++
		if err := c.value(); err != nil {
			return err
		}
		m.end = len(c.out)
		c.members = append(c.members, m)
	}
	if err := c.order(body, c.members[base:]); err != nil {
		return err
	}
	c.members = c.members[:base]
	c.out = append(c.out, '}')
	c.depth--
	return nil
}

// key is the canonical text of m's name, without its quotes.
func (c *canonicaliser) key(m member) []byte { return c.out[m.start+1 : m.keyEnd] }

// order puts the members written from body on in RFC 8785 order (names
// compared as UTF-16 code units) and refuses a name given twice.
func (c *canonicaliser) order(body int, ms []member) error {
	sorted := true
	for k := 1; k < len(ms); k++ {
		switch d := compareKeys(c.key(ms[k-1]), c.key(ms[k])); {
		case d == 0:
			return c.fail("duplicate member name %s", c.out[ms[k].start:ms[k].keyEnd+1])
		case d > 0:
			sorted = false
		}
	}
	if sorted {
		return nil
	}
	// The members are moved to tmp and written back in order; offsets in
	// ms are then relative to body.
	c.tmp = append(c.tmp[:0], c.out[body:]...)
	for k := range ms {
		ms[k].start -= body
		ms[k].keyEnd -= body
		ms[k].end -= body
	}
	tkey := func(m member) []byte { return c.tmp[m.start+1 : m.keyEnd] }
	slices.SortFunc(ms, func(a, b member) int { return compareKeys(tkey(a), tkey(b)) })
	for k := 1; k < len(ms); k++ {
		if compareKeys(tkey(ms[k-1]), tkey(ms[k])) == 0 {
			return c.fail("duplicate member name %s", c.tmp[ms[k].start:ms[k].keyEnd+1])
		}
	}
	c.out = c.out[:body]
	for k, m := range ms {
		if k > 0 {
			c.out = append(c.out, ',')
		}
		c.out = append(c.out, c.tmp[m.start:m.end]...)
	}
	return nil
}

// compareKeys compares two member names, given in canonical string form
// without quotes, as RFC 8785 orders them: by their UTF-16 code units.
func compareKeys(a, b []byte) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		x, y := a[i], b[j]
		if x < 0x80 && y < 0x80 && x != '\\' && y != '\\' {
			if x != y {
				return int(x) - int(y)
			}
			i++
			j++
			continue
		}
		r, n := decodeCanonicalRune(a[i:])
		s, m := decodeCanonicalRune(b[j:])
		if r != s {
			return utf16Weight(r) - utf16Weight(s)
		}
		i += n
		j += m
	}
	return (len(a) - i) - (len(b) - j)
}

// utf16Weight orders code points as their UTF-16 encodings order: the
// supplementary planes (surrogate pairs, from 0xD800) before U+E000–U+FFFF.
func utf16Weight(r rune) int {
	if r >= 0xE000 && r <= 0xFFFF {
		return int(r) + 0x110000
	}
	return int(r)
}

// decodeCanonicalRune decodes the first character of a canonical JSON
// string's text: a short escape, a \u00xx escape or UTF-8.
func decodeCanonicalRune(s []byte) (rune, int) {
	if s[0] != '\\' {
		return utf8.DecodeRune(s)
	}
	if s[1] == 'u' {
		return rune(unhex(s[4])<<4 | unhex(s[5])), 6
	}
	return rune(unescaped[s[1]]), 2
}

func unhex(b byte) int {
	switch {
	case b >= '0' && b <= '9':
		return int(b - '0')
	case b >= 'a' && b <= 'f':
		return int(b-'a') + 10
	case b >= 'A' && b <= 'F':
		return int(b-'A') + 10
	}
	return -1
}

// str reads a string's text after its opening quote, through its closing
// quote, and appends its canonical form (without quotes).
func (c *canonicaliser) str() error {
	in := c.in
	start := c.i
	for {
		// The common case: a run of characters written as they are.
		i := c.i
		for i < len(in) {
			b := in[i]
			if b < 0x20 || b == '"' || b == '\\' {
				break
			}
			if b < 0x80 {
				i++
				continue
			}
			r, n := utf8.DecodeRune(in[i:])
			if r == utf8.RuneError && n <= 1 {
				c.i = i
				return c.fail("invalid UTF-8 in a string")
			}
			i += n
		}
		c.out = append(c.out, in[start:i]...)
		c.i = i
		if i >= len(in) {
			return errCanonicalEOF
		}
		b := in[i]
		c.i++
		switch {
		case b == '"':
			return nil
		case b < 0x20:
			return c.fail("control character 0x%02x in a string", b)
		}
		// An escape: decode it, then write the character canonically.
		if c.i >= len(in) {
			return errCanonicalEOF
		}
		e := in[c.i]
		if e >= 0x80 {
			return c.fail("non-ASCII byte in an escape")
		}
		c.i++
		r := rune(unescaped[e])
		switch {
		case e == '/':
			r = '/'
		case r != 0: // a short escape: r is its character
		case e == 'u':
			u, err := c.hex4()
			if err != nil {
				return err
			}
			r = u
			if r >= 0xD800 && r <= 0xDFFF {
				if r > 0xDBFF {
					return c.fail("lone low surrogate \\u%04x", r)
				}
				if c.i+2 > len(in) {
					return errCanonicalEOF
				}
				if in[c.i] >= 0x80 || in[c.i+1] >= 0x80 {
					return c.fail("non-ASCII byte in an escape")
				}
				if in[c.i] != '\\' || in[c.i+1] != 'u' {
					return c.fail("high surrogate \\u%04x without its low surrogate", r)
				}
				c.i += 2
				lo, err := c.hex4()
				if err != nil {
					return err
				}
				if lo < 0xDC00 || lo > 0xDFFF {
					return c.fail("invalid low surrogate \\u%04x", lo)
				}
				r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
			}
		default:
			return c.fail("unknown escape \\%c", e)
		}
		if r < 0x20 || r == '"' || r == '\\' {
			c.out = appendJCSEscape(c.out, byte(r))
		} else {
			c.out = utf8.AppendRune(c.out, r)
		}
		start = c.i
	}
}

// hex4 reads the four hex digits of a \u escape.
func (c *canonicaliser) hex4() (rune, error) {
	if c.i+4 > len(c.in) {
		return 0, errCanonicalEOF
	}
	var r rune
	for _, b := range c.in[c.i : c.i+4] {
		if b >= 0x80 {
			return 0, c.fail("non-ASCII byte in an escape")
		}
		d := unhex(b)
		if d < 0 {
			return 0, c.fail("invalid \\u escape %q", c.in[c.i:c.i+4])
		}
		r = r<<4 | rune(d)
	}
	c.i += 4
	return r, nil
}

// scalar reads a literal or a number: the bytes up to ',', ']', '}',
// whitespace or the end of input, as jcs takes them.
func (c *canonicaliser) scalar() error {
	start := c.i
	for ; c.i < len(c.in); c.i++ {
		b := c.in[c.i]
		if b == ',' || b == ']' || b == '}' || isJSONSpace(b) {
			break
		}
		if b >= 0x80 {
			return c.fail("non-ASCII byte 0x%02x outside a string", b)
		}
	}
	tok := c.in[start:c.i]
	switch string(tok) {
	case "":
		return c.fail("missing value")
	case "true", "false", "null":
		c.out = append(c.out, tok...)
		return nil
	}
	integer, ok := jsonNumber(tok)
	if !ok {
		return c.fail("invalid literal or number %.32q", tok)
	}
	// An integer of at most 15 digits is exact in a double and ECMAScript
	// writes it as its digits: already canonical, except -0.
	digits := len(tok)
	if tok[0] == '-' {
		digits--
	}
	if integer && digits <= 15 && string(tok) != "-0" {
		c.out = append(c.out, tok...)
		return nil
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		return c.fail("number out of range %.32q", tok)
	}
	s, err := jcs.NumberToJSON(f)
	if err != nil {
		return c.fail("%v", err)
	}
	c.out = append(c.out, s...)
	return nil
}

// jsonNumber reports whether tok is an RFC 8259 number
// (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?) and whether it is an
// integer (no fraction, no exponent).
func jsonNumber(tok []byte) (integer, ok bool) {
	i := 0
	if i < len(tok) && tok[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(tok) && tok[i] >= '0' && tok[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(tok) && tok[i] == '0':
		i++
	case digits() == 0:
		return false, false
	}
	integer = true
	if i < len(tok) && tok[i] == '.' {
		i++
		integer = false
		if digits() == 0 {
			return false, false
		}
	}
	if i < len(tok) && (tok[i] == 'e' || tok[i] == 'E') {
		i++
		integer = false
		if i < len(tok) && (tok[i] == '+' || tok[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false, false
		}
	}
	return integer, i == len(tok)
}

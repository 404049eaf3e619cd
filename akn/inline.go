package akn

import (
	"encoding/xml"
	"io"
	"net/url"
	"strings"
	"unicode/utf8"
)

// The safe inline subset.
//
// A paragraph is stored as a string of text with a few inline elements, in
// one canonical form that is at once well-formed XML (so that it can go
// into an Akoma Ntoso <p> as it is) and safe HTML (so that a page can show
// it as it is, after Sanitize):
//
//	<i>…</i>                    italics (from i, em)
//	<b>…</b>                    bold (from b, strong)
//	<a href="URL">…</a>         a link; only http, https and mailto URLs
//	<br/>                       a line break
//	<ul>…</ul> <ol>…</ol>       lists, with
//	<li>…</li>                  their items
//	<blockquote>…</blockquote>  a quotation
//
// Every other element is reduced to its text (its tags dropped, its text
// kept: span, div, u, font, a nested p, a link with another scheme…);
// script, style, iframe, object, embed, noscript and template are dropped
// with their content; an img becomes its alt text. No attribute survives
// but a link's href. Text is escaped (&amp; &lt; &gt;, and &quot; in
// href), runs of XML white space (space, tab, CR, LF) become one space, and
// white space at the very start and end of the paragraph is removed.
// Canonicalising a canonical string gives it back unchanged, which is what
// makes the Akoma Ntoso round trip exact.

// inlineTag maps a source element to the subset's element ("" to keep
// only its text).
var inlineTag = map[string]string{
	"i": "i", "em": "i",
	"b": "b", "strong": "b",
	"a":  "a",
	"br": "br",
	"ul": "ul", "ol": "ol", "li": "li",
	"blockquote": "blockquote",
}

// dropped elements lose their content too.
var dropped = map[string]bool{
	"script": true, "style": true, "iframe": true, "object": true, "embed": true, "noscript": true, "template": true,
}

// safeScheme reports whether a link may be kept.
func safeHref(href string) bool {
	href = strings.TrimSpace(href)
	u, err := url.Parse(href)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != ""
	case "mailto":
		return u.Opaque != ""
	}
	return false
}

// inline builds one paragraph in canonical form from XML tokens.
type inline struct {
	b     strings.Builder
	space bool     // the last text rune written was a space
	text  bool     // some non-space text was written
	skip  int      // depth inside a dropped element
	stack []string // per open source element, the tag written ("" if none)
}

func (in *inline) reset() {
	in.b.Reset()
	in.space, in.text, in.skip, in.stack = false, false, 0, in.stack[:0]
}

func (in *inline) start(se xml.StartElement) {
	name := strings.ToLower(se.Name.Local)
	if in.skip > 0 || dropped[name] {
		in.skip++
		return
	}
	tag := inlineTag[name]
	switch tag {
	case "a":
		href, ok := attr(se, "href")
		if !ok || !safeHref(href) {
			tag = ""
			break
		}
		in.b.WriteString(`<a href="`)
		escapeAttr(&in.b, strings.TrimSpace(href))
		in.b.WriteString(`">`)
	case "br":
		in.b.WriteString("<br/>")
	case "":
		if name == "img" {
			if alt, ok := attr(se, "alt"); ok {
				in.chars([]byte(alt))
			}
		}
	default:
		in.b.WriteString("<" + tag + ">")
	}
	in.stack = append(in.stack, tag)
}

func (in *inline) end() {
	if in.skip > 0 {
		in.skip--
		return
	}
	if len(in.stack) == 0 {
		return
	}
	tag := in.stack[len(in.stack)-1]
	in.stack = in.stack[:len(in.stack)-1]
	switch tag {
	case "", "br":
	default:
		in.b.WriteString("</" + tag + ">")
	}
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// chars writes text, collapsing white space and escaping. Runs of bytes
// that need nothing are copied at once.
func (in *inline) chars(s []byte) {
	if in.skip > 0 {
		return
	}
	in.b.Grow(len(s))
	for len(s) > 0 {
		i := 0
		for i < len(s) {
			c := s[i]
			if c < utf8.RuneSelf {
				if c <= ' ' || c == '&' || c == '<' || c == '>' || c == 0x7F {
					break
				}
				i++
				continue
			}
			r, n := utf8.DecodeRune(s[i:])
			if (r == utf8.RuneError && n == 1) || !validXMLRune(r) {
				break
			}
			i += n
		}
		if i > 0 {
			in.b.Write(s[:i])
			in.space, in.text = false, true
			s = s[i:]
			continue
		}
		c := s[0]
		switch {
		case isXMLSpace(c):
			if !in.space && in.b.Len() > 0 {
				in.b.WriteByte(' ')
				in.space = true
			}
			s = s[1:]
		case c == '&':
			in.b.WriteString("&amp;")
			in.space, in.text = false, true
			s = s[1:]
		case c == '<':
			in.b.WriteString("&lt;")
			in.space, in.text = false, true
			s = s[1:]
		case c == '>':
			in.b.WriteString("&gt;")
			in.space, in.text = false, true
			s = s[1:]
		case c == 0x7F:
			in.b.WriteByte(c)
			in.space, in.text = false, true
			s = s[1:]
		case c < utf8.RuneSelf:
			s = s[1:] // a control character XML cannot carry
		default:
			_, n := utf8.DecodeRune(s)
			s = s[n:] // invalid UTF-8 or a character XML cannot carry
		}
	}
}

// result returns the canonical paragraph and whether it has any text.
func (in *inline) result() (string, bool) {
	for len(in.stack) > 0 {
		in.end()
	}
	s := in.b.String()
	if in.space && strings.HasSuffix(s, " ") {
		s = s[:len(s)-1]
	}
	return s, in.text
}

func validXMLRune(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

func attr(se xml.StartElement, name string) (string, bool) {
	for _, a := range se.Attr {
		if strings.EqualFold(a.Name.Local, name) {
			return a.Value, true
		}
	}
	return "", false
}

func escapeAttr(b *strings.Builder, s string) {
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		default:
			if validXMLRune(r) && r >= 0x20 {
				b.WriteRune(r)
			}
		}
	}
}

// EscapeText turns plain text (a stenographer's record, a typed note) into
// a paragraph of the safe subset: escaped, white space collapsed, trimmed,
// characters XML cannot carry dropped.
func EscapeText(s string) string {
	var in inline
	in.chars([]byte(s))
	out, _ := in.result()
	return out
}

// Sanitize returns the canonical safe form of a paragraph: a string of the
// subset stays as it is; anything else is reduced as the importer reduces
// a file's markup. A string that is not well-formed markup is taken as
// plain text and escaped. The result is safe to put into HTML or XML as it
// is.
func Sanitize(s string) string {
	out, ok := canonical(s)
	if !ok {
		return EscapeText(s)
	}
	return out
}

// canonical parses s as the content of a paragraph.
func canonical(s string) (string, bool) {
	if !strings.ContainsAny(s, "<&>") {
		// Plain text needs only white space and control characters
		// handled: the fast path for most paragraphs.
		return EscapeText(s), true
	}
	d := xml.NewDecoder(io.MultiReader(strings.NewReader("<p>"), strings.NewReader(s), strings.NewReader("</p>")))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	var in inline
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > 1 {
				in.start(t)
			}
		case xml.EndElement:
			if depth > 1 {
				in.end()
			}
			depth--
		case xml.CharData:
			in.chars(t)
		}
	}
	out, _ := in.result()
	return out, true
}

// PlainText returns a paragraph's text without its markup (entities
// decoded), for search, diffs and plain-text views. A line break or list
// item becomes a space.
func PlainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	var b strings.Builder
	d := xml.NewDecoder(io.MultiReader(strings.NewReader("<p>"), strings.NewReader(s), strings.NewReader("</p>")))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	for {
		tok, err := d.Token()
		if err != nil {
			if err == io.EOF {
				return strings.TrimSpace(b.String())
			}
			return s
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.StartElement:
			if t.Name.Local == "br" || t.Name.Local == "li" {
				if b.Len() > 0 && !strings.HasSuffix(b.String(), " ") {
					b.WriteByte(' ')
				}
			}
		}
	}
}

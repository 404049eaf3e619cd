package akn

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind tells speech from narration and section headings.
type Kind string

// Utterance kinds, the same words as the ledger's.
const (
	// Speech is a <speech>: words said by a speaker.
	Speech Kind = "speech"
	// Narration is a <narrative>: the stenographer's narration.
	Narration Kind = "narration"
	// Heading is the <heading> (or <subheading>) of a debateSection at
	// any depth, except the one that gives the document's title.
	Heading Kind = "heading"
)

// Person is a TLCPerson of the references.
type Person struct {
	// ID is the TLCPerson id, what <speech by="#ID"> names.
	ID string
	// Name is its showAs (the ID if showAs is empty).
	Name string
	// Undeclared: no TLCPerson declares it; a speech names it and Parse
	// was asked to take such speakers (Options.UndeclaredSpeakers). Its
	// name is its ID.
	Undeclared bool
}

// Utterance is one speech, narrative or section heading, in document
// order.
type Utterance struct {
	Kind Kind
	// Speaker is the person ID of a speech ("" for narration, headings,
	// and a speech with no by attribute).
	Speaker string
	// Name is the name shown for the speech: its <from> if it has one,
	// else the person's showAs.
	Name string
	// Paragraphs are the paragraphs in the safe inline subset, none empty.
	Paragraphs []string
	// Line is the source line of the element (0 for a written document).
	Line int
}

// Document is one Akoma Ntoso debate: what the ledger keeps of it.
type Document struct {
	// ID is the FRBRname of the work, if the file has one (files this
	// package writes do: the meeting ID).
	ID string
	// Date is the meeting date, YYYY-MM-DD: the FRBRdate, else the
	// preface's <docDate date>, else the start of the title, else the start
	// of the file name; "" if none says.
	Date string
	// Title is the preface's <docTitle> as plain text, else the first
	// heading, else a <docTitle> elsewhere, else the file name without its
	// extension.
	Title string
	// Persons are the declared TLCPersons, in order.
	Persons []Person
	// Utterances in document order.
	Utterances []Utterance
	// Warnings say what Parse took although it is untidy (a speaker no
	// TLCPerson declares), each with its line.
	Warnings []string
}

// DefaultMaxSize is the default size limit of one file: 16 MiB (the largest
// transcript of the PDIS archive has 2 MB).
const DefaultMaxSize = 16 << 20

// Options tune Parse.
type Options struct {
	// Name is the file's name, used in errors and, when neither the FRBR
	// data nor the heading gives a date, for the date and title.
	Name string
	// MaxSize bounds the file's size in bytes; 0 means DefaultMaxSize.
	MaxSize int64
	// UndeclaredSpeakers takes a speech whose speaker no TLCPerson
	// declares: the speaker is added to Persons as Undeclared, named by its
	// ID, with a warning. Without it such a file is refused
	// (ErrUndeclaredSpeaker).
	UndeclaredSpeakers bool
}

// Sentinel errors of Parse; every error it returns is an *Error wrapping
// one of them.
var (
	// ErrTooLarge: the file is over the size limit.
	ErrTooLarge = errors.New("file too large")
	// ErrEncoding: the file is not UTF-8 (another declared encoding, a
	// UTF-16 byte-order mark, or bytes that are not valid UTF-8).
	ErrEncoding = errors.New("wrong encoding, only UTF-8 is accepted")
	// ErrInvalidXML: the file is not well-formed XML.
	ErrInvalidXML = errors.New("invalid XML")
	// ErrNotAkomaNtoso: well-formed XML, but not an Akoma Ntoso debate.
	ErrNotAkomaNtoso = errors.New("not an Akoma Ntoso debate")
	// ErrUndeclaredSpeaker: a <speech by="#x"> names no declared TLCPerson.
	ErrUndeclaredSpeaker = errors.New("speaker referenced but not declared")
	// ErrEmptySpeech: a <speech> has no text.
	ErrEmptySpeech = errors.New("empty speech")
	// ErrNoDate: nothing gives the meeting's date (Parse leaves Date empty;
	// the importer refuses such a file with this error).
	ErrNoDate = errors.New("no meeting date")
)

// Error is a refused file: which file, which line (0 if none applies),
// which kind of problem (Err, one of the sentinels) and what exactly.
type Error struct {
	File string
	Line int
	Err  error
	Msg  string
}

// Error returns "FILE:LINE: KIND: MSG".
func (e *Error) Error() string {
	loc := e.File
	if loc == "" {
		loc = "(input)"
	}
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, e.Line)
	}
	if e.Msg == "" {
		return fmt.Sprintf("%s: %v", loc, e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", loc, e.Err, e.Msg)
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// Parse reads one Akoma Ntoso debate. It reads at most MaxSize+1 bytes.
func Parse(r io.Reader, opt Options) (*Document, error) {
	max := opt.MaxSize
	if max <= 0 {
		max = DefaultMaxSize
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, &Error{File: opt.Name, Err: ErrInvalidXML, Msg: "read: " + err.Error()}
	}
	return ParseBytes(data, opt)
}

// ParseBytes parses a file already in memory.
func ParseBytes(data []byte, opt Options) (*Document, error) {
	max := opt.MaxSize
	if max <= 0 {
		max = DefaultMaxSize
	}
	fail := func(line int, kind error, format string, args ...any) error {
		return &Error{File: opt.Name, Line: line, Err: kind, Msg: fmt.Sprintf(format, args...)}
	}
	if int64(len(data)) > max {
		return nil, fail(0, ErrTooLarge, "more than %d bytes (the limit)", max)
	}
	if bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		return nil, fail(1, ErrEncoding, "UTF-16 byte-order mark")
	}
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return nil, fail(1+bytes.Count(data[:off], []byte{'\n'}), ErrEncoding, "byte 0x%02X at offset %d is not UTF-8", data[off], off)
	}
	p := parser{opt: opt, titleMark: -1}
	doc, err := p.run(data)
	if err != nil {
		return nil, err
	}
	return doc, nil
}

type frameKind uint8

const (
	frameOther frameKind = iota
	frameUtterance
	framePreface
)

type capKind uint8

const (
	capNone capKind = iota
	capPara
	capHeading
	capSubheading
	capFrom
	capLoose
	capDocTitle
)

// prefaceContainers are the preface's elements that only group others:
// their children are read as if they were the preface's own.
var prefaceContainers = map[string]bool{"longTitle": true, "container": true, "blockContainer": true}

type item struct {
	Utterance
	from     string
	hasFrom  bool
	loose    inline
	hasLoose bool
}

type parser struct {
	opt      Options
	dec      *xml.Decoder
	charset  string
	doc      Document
	items    []*item
	open     []*item // utterances open, innermost last
	frames   []frameKind
	seenRoot bool
	debate   bool
	title    bool // the title was taken from a heading
	docTitle string

	// The front matter: inPreface while inside <preface>; prefaceTitle
	// its <docTitle>, which then is the title (every heading is an
	// utterance); prefaceDate its <docDate date>; preface the narration
	// its other text becomes.
	inPreface    bool
	prefaceTitle string
	prefaceDate  string
	preface      *item
	// titleMark is where a <docTitle> inside a preface paragraph starts in
	// the paragraph being built (-1 if none is open), titleDepth the
	// capture depth of that element; titleInPara is its text.
	titleMark, titleDepth int
	titleInPara           string

	cap      capKind
	capDepth int
	capItem  *item
	in       inline
}

func (p *parser) line() int {
	l, _ := p.dec.InputPos()
	return l
}

func (p *parser) run(data []byte) (*Document, error) {
	p.dec = xml.NewDecoder(bytes.NewReader(data))
	p.dec.Strict = true
	p.dec.Entity = xml.HTMLEntity
	p.dec.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		p.charset = label
		return nil, ErrEncoding
	}
	fail := func(line int, kind error, format string, args ...any) error {
		return &Error{File: p.opt.Name, Line: line, Err: kind, Msg: fmt.Sprintf(format, args...)}
	}
	for {
		before := p.line()
		tok, err := p.dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if p.charset != "" {
				return nil, fail(1, ErrEncoding, "declared encoding %q", p.charset)
			}
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, fail(se.Line, ErrInvalidXML, "%s", se.Msg)
			}
			return nil, fail(p.line(), ErrInvalidXML, "%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !p.seenRoot {
				p.seenRoot = true
				if t.Name.Local != "akomaNtoso" {
					return nil, fail(p.line(), ErrNotAkomaNtoso, "root element <%s>, want <akomaNtoso>", t.Name.Local)
				}
			}
			if err := p.start(t); err != nil {
				return nil, err
			}
		case xml.EndElement:
			p.end()
		case xml.CharData:
			if !p.seenRoot {
				if trimmed := bytes.TrimLeft(t, " \t\r\n"); len(trimmed) > 0 {
					line := before + bytes.Count(t[:len(t)-len(trimmed)], []byte{'\n'})
					return nil, fail(line, ErrInvalidXML, "text before the root element (is it XML?)")
				}
				continue
			}
			p.chars(t)
		}
	}
	if !p.seenRoot {
		return nil, fail(0, ErrInvalidXML, "no root element")
	}
	if !p.debate {
		return nil, fail(0, ErrNotAkomaNtoso, "no <debate> element")
	}
	return p.finish()
}

// builder is the inline builder the capture writes to.
func (p *parser) builder() *inline {
	if p.cap == capLoose {
		return &p.capItem.loose
	}
	return &p.in
}

func (p *parser) startCapture(k capKind, it *item) {
	p.cap, p.capDepth, p.capItem = k, 1, it
	p.in.reset()
}

func (p *parser) start(t xml.StartElement) error {
	if p.cap != capNone {
		p.capDepth++
		if p.cap == capPara && p.inPreface {
			switch t.Name.Local {
			case "docTitle":
				if p.titleMark < 0 && p.prefaceTitle == "" {
					// The document's title inside a paragraph of the
					// preface.
					p.titleMark, p.titleDepth = p.in.b.Len(), p.capDepth
				}
			case "docDate":
				if v, ok := attr(t, "date"); ok && p.prefaceDate == "" {
					p.prefaceDate = dateOf(v)
				}
			}
		}
		p.builder().start(t)
		return nil
	}
	var top *item
	if n := len(p.open); n > 0 && p.frames[len(p.frames)-1] == frameUtterance {
		top = p.open[n-1]
	}
	switch t.Name.Local {
	case "debate":
		p.debate = true
	case "TLCPerson":
		id, _ := attr(t, "id")
		if id == "" {
			id, _ = attr(t, "eId")
		}
		name, _ := attr(t, "showAs")
		name = collapse(name)
		if name == "" {
			name = id
		}
		if id != "" {
			p.doc.Persons = append(p.doc.Persons, Person{ID: id, Name: name})
		}
	case "FRBRname":
		if v, ok := attr(t, "value"); ok && p.doc.ID == "" {
			p.doc.ID = strings.TrimSpace(v)
		}
	case "FRBRdate":
		if v, ok := attr(t, "date"); ok && p.doc.Date == "" {
			p.doc.Date = dateOf(v)
		}
	case "preface":
		p.inPreface = true
		p.frames = append(p.frames, framePreface)
		return nil
	case "docTitle":
		p.startCapture(capDocTitle, nil)
		p.frames = append(p.frames, frameOther)
		return nil
	case "docDate":
		if v, ok := attr(t, "date"); ok && p.inPreface && p.prefaceDate == "" {
			p.prefaceDate = dateOf(v)
		}
	case "heading", "subheading":
		k := capHeading
		if t.Name.Local == "subheading" {
			k = capSubheading
		}
		p.startCapture(k, nil)
		p.frames = append(p.frames, frameOther)
		return nil
	case "speech", "narrative":
		it := &item{Utterance: Utterance{Kind: Narration, Line: p.line()}}
		if t.Name.Local == "speech" {
			it.Kind = Speech
			if by, ok := attr(t, "by"); ok {
				it.Speaker = strings.TrimPrefix(strings.TrimSpace(by), "#")
			}
		}
		if top != nil {
			p.flushLoose(top)
		}
		p.items = append(p.items, it)
		p.open = append(p.open, it)
		p.frames = append(p.frames, frameUtterance)
		return nil
	case "p":
		if top == nil && p.inPreface {
			// A paragraph of the front matter: one of the preface's.
			p.startCapture(capPara, p.prefaceItem())
			p.frames = append(p.frames, frameOther)
			return nil
		}
		if top == nil {
			// A paragraph outside any speech: narration of its own.
			top = &item{Utterance: Utterance{Kind: Narration, Line: p.line()}}
			p.items = append(p.items, top)
		} else {
			p.flushLoose(top)
		}
		p.startCapture(capPara, top)
		p.frames = append(p.frames, frameOther)
		return nil
	case "from":
		if top != nil && top.Kind == Speech {
			p.startCapture(capFrom, top)
			p.frames = append(p.frames, frameOther)
			return nil
		}
	default:
		if top == nil && p.inPreface && !prefaceContainers[t.Name.Local] {
			// Front matter outside a paragraph (<docNumber>,
			// <docProponent>, <session>, …): a paragraph of its own.
			p.startCapture(capPara, p.prefaceItem())
			p.frames = append(p.frames, frameOther)
			return nil
		}
		if top != nil {
			// Markup directly in a speech (a list, a line break): part of
			// an implicit paragraph.
			if !top.hasLoose {
				top.loose.reset()
				top.hasLoose = true
			}
			p.cap, p.capDepth, p.capItem = capLoose, 1, top
			top.loose.start(t)
			p.frames = append(p.frames, frameOther)
			return nil
		}
	}
	p.frames = append(p.frames, frameOther)
	return nil
}

func (p *parser) end() {
	if p.cap != capNone {
		if p.titleMark >= 0 && p.capDepth == p.titleDepth {
			p.builder().end()
			p.titleInPara = collapse(PlainText(p.in.b.String()[p.titleMark:]))
			p.titleMark = -1
			p.capDepth--
			return
		}
		p.capDepth--
		if p.capDepth > 0 {
			p.builder().end()
			return
		}
		// The captured element ends.
		p.frames = p.frames[:len(p.frames)-1]
		k, it := p.cap, p.capItem
		p.cap, p.capItem = capNone, nil
		switch k {
		case capLoose:
			it.loose.end()
		case capPara:
			s, ok := p.in.result()
			if t := p.titleInPara; t != "" {
				p.titleInPara, p.titleMark = "", -1
				if p.prefaceTitle == "" {
					p.prefaceTitle = t
				}
				if collapse(PlainText(s)) == t {
					ok = false // the paragraph is the title, nothing more
				}
			}
			if ok {
				it.Paragraphs = append(it.Paragraphs, s)
			}
		case capFrom:
			s, _ := p.in.result()
			it.from, it.hasFrom = collapse(PlainText(s)), true
		case capDocTitle:
			s, _ := p.in.result()
			switch t := collapse(PlainText(s)); {
			case t == "":
			case p.inPreface && p.prefaceTitle == "":
				p.prefaceTitle = t
			case p.docTitle == "":
				p.docTitle = t
			}
		case capHeading, capSubheading:
			s, ok := p.in.result()
			switch {
			case k == capHeading && !p.title && p.prefaceTitle == "":
				// The first heading is the title, unless the preface
				// gave one.
				p.title = true
				p.doc.Title = collapse(PlainText(s))
			case k == capHeading && !p.title && collapse(PlainText(s)) == p.prefaceTitle:
				// The first heading repeats the preface's title.
				p.title = true
			case ok:
				p.title = p.title || k == capHeading
				p.items = append(p.items, &item{Utterance: Utterance{Kind: Heading, Paragraphs: []string{s}, Line: p.line()}})
			}
		}
		return
	}
	if len(p.frames) == 0 {
		return
	}
	f := p.frames[len(p.frames)-1]
	p.frames = p.frames[:len(p.frames)-1]
	if f == framePreface {
		p.inPreface = false
	}
	if f == frameUtterance {
		it := p.open[len(p.open)-1]
		p.open = p.open[:len(p.open)-1]
		p.flushLoose(it)
	}
}

func (p *parser) chars(t []byte) {
	switch {
	case p.cap != capNone:
		p.builder().chars(t)
	case len(p.open) > 0 && p.frames[len(p.frames)-1] == frameUtterance:
		top := p.open[len(p.open)-1]
		if !top.hasLoose {
			if len(bytes.TrimSpace(t)) == 0 {
				return
			}
			top.loose.reset()
			top.hasLoose = true
		}
		top.loose.chars(t)
	}
}

// prefaceItem is the narration that holds the preface's text, one
// paragraph per element, created at the first.
func (p *parser) prefaceItem() *item {
	if p.preface == nil {
		p.preface = &item{Utterance: Utterance{Kind: Narration, Line: p.line()}}
		p.items = append(p.items, p.preface)
	}
	return p.preface
}

// flushLoose ends an implicit paragraph.
func (p *parser) flushLoose(it *item) {
	if !it.hasLoose {
		return
	}
	it.hasLoose = false
	if s, ok := it.loose.result(); ok {
		it.Paragraphs = append(it.Paragraphs, s)
	}
}

func (p *parser) finish() (*Document, error) {
	doc := &p.doc
	names := make(map[string]string, len(doc.Persons))
	for _, ps := range doc.Persons {
		if _, dup := names[ps.ID]; !dup {
			names[ps.ID] = ps.Name
		}
	}
	doc.Utterances = make([]Utterance, 0, len(p.items))
	for _, it := range p.items {
		u := it.Utterance
		switch u.Kind {
		case Speech:
			if u.Speaker != "" {
				name, ok := names[u.Speaker]
				if !ok && !p.opt.UndeclaredSpeakers {
					return nil, &Error{File: p.opt.Name, Line: u.Line, Err: ErrUndeclaredSpeaker, Msg: fmt.Sprintf("<speech by=%q> names no TLCPerson of the references", "#"+u.Speaker)}
				}
				if !ok {
					name = u.Speaker
					names[u.Speaker] = name
					doc.Persons = append(doc.Persons, Person{ID: u.Speaker, Name: name, Undeclared: true})
					doc.Warnings = append(doc.Warnings, fmt.Sprintf("line %d: <speech by=%q> names no TLCPerson: recorded as the undeclared speaker %q", u.Line, "#"+u.Speaker, u.Speaker))
				}
				u.Name = name
			}
			if it.hasFrom && it.from != "" {
				u.Name = it.from
			}
			if len(u.Paragraphs) == 0 {
				return nil, &Error{File: p.opt.Name, Line: u.Line, Err: ErrEmptySpeech, Msg: fmt.Sprintf("the speech of %q has no text", u.Name)}
			}
		default:
			if len(u.Paragraphs) == 0 {
				continue // an empty narrative says nothing
			}
		}
		doc.Utterances = append(doc.Utterances, u)
	}
	base := strings.TrimSuffix(strings.TrimSuffix(path.Base(strings.ReplaceAll(p.opt.Name, "\\", "/")), ".xml"), ".an")
	if p.prefaceTitle != "" {
		doc.Title = p.prefaceTitle
	}
	if doc.Title == "" {
		doc.Title = p.docTitle
	}
	if doc.Title == "" && p.opt.Name != "" {
		doc.Title = base
	}
	if doc.Date == "" {
		doc.Date = p.prefaceDate
	}
	if doc.Date == "" {
		doc.Date = dateOf(doc.Title)
	}
	if doc.Date == "" && p.opt.Name != "" {
		doc.Date = dateOf(base)
	}
	return doc, nil
}

// collapse collapses XML white space and trims.
func collapse(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }), " ")
}

// dateOf returns the YYYY-MM-DD date s starts with (hyphens and digits of
// any width), or "".
func dateOf(s string) string {
	var b [10]byte
	n := 0
	for _, r := range s {
		if n == 10 {
			break
		}
		switch {
		case r >= '0' && r <= '9':
			b[n] = byte(r)
		case r >= '０' && r <= '９':
			b[n] = byte('0' + r - '０')
		case r == '-' || r == '‐' || r == '‑' || r == '‒' || r == '–' || r == '—' || r == '−' || r == '－' || r == '/':
			b[n] = '-'
		default:
			return ""
		}
		n++
	}
	if n < 10 {
		return ""
	}
	d := string(b[:])
	if _, err := time.Parse("2006-01-02", d); err != nil {
		return ""
	}
	return d
}

// ContentHash is the lower-case hex SHA-256 of the utterances (kind,
// speaker, name and paragraphs, each length-prefixed): what the ledger
// compares to tell whether a transcript's content was imported before. The
// title, date and declared persons are not part of it.
func (d *Document) ContentHash() string {
	return HashUtterances(d.Utterances)
}

// HashUtterances is Document.ContentHash over any utterances.
func HashUtterances(us []Utterance) string {
	h := sha256.New()
	var n [8]byte
	put := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		io.WriteString(h, s)
	}
	for _, u := range us {
		put(string(u.Kind))
		put(u.Speaker)
		put(u.Name)
		binary.BigEndian.PutUint64(n[:], uint64(len(u.Paragraphs)))
		h.Write(n[:])
		for _, p := range u.Paragraphs {
			put(p)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

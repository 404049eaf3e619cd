package importer

import (
	"bytes"
	"path"
	"regexp"
	"strings"

	"github.com/pdis/collab-ledger/akn"
)

// A transcript is sometimes kept as Markdown, the collaborative note
// (共筆) the stenographer's text was corrected in, even under an .an.xml
// name. It is read as the same transcript an Akoma Ntoso file would hold:
//
//	# 2019-11-09 TITLE                 the title (and its date)
//	text before the first speaker      narration
//	### NAME：                         a speech by NAME (declared by the heading)
//	paragraphs separated by blank lines
//	> （大合照）                        narration (the speaker's text goes on after it)
//	## SECTION                         a section heading
//
// Inline, links, bold and italics are kept in the safe subset; every other
// mark is text, and the lines of one paragraph are joined by line breaks.

// IsMarkdown reports whether data is a Markdown transcript rather than
// XML: its first non-blank character is "#", a heading.
func IsMarkdown(data []byte) bool {
	t := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\uFEFF")), " \t\r\n")
	return len(t) > 0 && t[0] == '#'
}

// MarkdownWarning is the warning of a transcript read as Markdown.
const MarkdownWarning = "a Markdown transcript, not Akoma Ntoso: read as Markdown (\"### NAME：\" starts a speech by NAME)"

var (
	reMDSpeaker = regexp.MustCompile(`^#{2,6}\s*(.+?)\s*[：:]\s*$`)
	reMDHeading = regexp.MustCompile(`^(#{1,6})\s+(.+?)\s*#*$`)
	reMDLink    = regexp.MustCompile(`!?\[([^\]]*)\]\(([^)\s]+)(?:\s+&quot;[^)]*&quot;)?\)`)
	reMDBold    = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	reMDItalic  = regexp.MustCompile(`(^|[^*\\])\*([^*\s][^*]*)\*`)
)

// ParseMarkdown reads a Markdown transcript (see IsMarkdown) as a
// document: its title is the first "#" heading (else the file name), its
// date the one the title or the file name starts with, its persons the
// speakers its headings name. Its first warning says it was read as
// Markdown.
func ParseMarkdown(name string, data []byte) (*akn.Document, error) {
	if !IsMarkdown(data) {
		return nil, &akn.Error{File: name, Line: 1, Err: akn.ErrInvalidXML, Msg: "neither XML nor a Markdown transcript (a \"#\" title first)"}
	}
	doc := &akn.Document{Warnings: []string{MarkdownWarning}}
	declared := map[string]bool{}
	speaker := "" // the speaker whose text follows
	cur := -1     // the utterance paragraphs go to; -1: open one
	var para []string
	paraLine := 0
	flush := func() {
		if len(para) == 0 {
			return
		}
		parts := make([]string, 0, len(para))
		for _, l := range para {
			if p := mdInline(l); p != "" {
				parts = append(parts, p)
			}
		}
		para = nil
		if len(parts) == 0 {
			return
		}
		if cur < 0 {
			u := akn.Utterance{Kind: akn.Narration, Line: paraLine}
			if speaker != "" {
				u = akn.Utterance{Kind: akn.Speech, Speaker: speaker, Name: speaker, Line: paraLine}
			}
			doc.Utterances = append(doc.Utterances, u)
			cur = len(doc.Utterances) - 1
		}
		doc.Utterances[cur].Paragraphs = append(doc.Utterances[cur].Paragraphs, strings.Join(parts, "<br/>"))
	}
	quoted := false // the previous line was a quote
	lines := strings.Split(strings.ReplaceAll(strings.TrimPrefix(string(data), "\uFEFF"), "\r\n", "\n"), "\n")
	for i, line := range lines {
		n := i + 1
		t := strings.TrimSpace(line)
		wasQuoted := quoted
		quoted = false
		switch {
		case t == "":
			flush()
		case reMDSpeaker.MatchString(t):
			flush()
			speaker = reMDSpeaker.FindStringSubmatch(t)[1]
			if !declared[speaker] {
				declared[speaker] = true
				doc.Persons = append(doc.Persons, akn.Person{ID: speaker, Name: speaker})
			}
			cur = -1
		case reMDHeading.MatchString(t):
			flush()
			m := reMDHeading.FindStringSubmatch(t)
			speaker, cur = "", -1
			if m[1] == "#" && doc.Title == "" {
				doc.Title = akn.PlainText(mdInline(m[2]))
				continue
			}
			if h := mdInline(m[2]); h != "" {
				doc.Utterances = append(doc.Utterances, akn.Utterance{Kind: akn.Heading, Line: n, Paragraphs: []string{h}})
			}
		case strings.HasPrefix(t, ">"):
			// A quote is the stenographer's narration, e.g. （大合照）;
			// the speaker's text goes on after it.
			flush()
			quoted = true
			q := mdInline(strings.TrimSpace(strings.TrimLeft(t, ">")))
			if q == "" {
				continue
			}
			last := len(doc.Utterances) - 1
			if wasQuoted && last >= 0 && doc.Utterances[last].Kind == akn.Narration {
				doc.Utterances[last].Paragraphs = append(doc.Utterances[last].Paragraphs, q)
				continue
			}
			doc.Utterances = append(doc.Utterances, akn.Utterance{Kind: akn.Narration, Line: n, Paragraphs: []string{q}})
			cur = -1
		default:
			if len(para) == 0 {
				paraLine = n
			}
			para = append(para, t)
		}
	}
	flush()
	base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(path.Base(strings.ReplaceAll(name, "\\", "/")), ".md"), ".xml"), ".an")
	if doc.Title == "" {
		doc.Title = base
	}
	if doc.Date = akn.DateOf(doc.Title); doc.Date == "" {
		doc.Date = akn.DateOf(base)
	}
	if len(doc.Utterances) == 0 {
		return nil, &akn.Error{File: name, Err: akn.ErrEmptySpeech, Msg: "the Markdown transcript has no text"}
	}
	return doc, nil
}

// mdInline turns one line of Markdown into a paragraph of the safe
// subset: escaped, with links, bold and italics as markup.
func mdInline(s string) string {
	s = akn.EscapeText(s)
	s = reMDLink.ReplaceAllStringFunc(s, func(m string) string {
		g := reMDLink.FindStringSubmatch(m)
		text := g[1]
		if text == "" {
			text = g[2]
		}
		return `<a href="` + strings.ReplaceAll(g[2], `"`, "&quot;") + `">` + text + `</a>`
	})
	s = reMDBold.ReplaceAllString(s, "<b>$1</b>")
	s = reMDItalic.ReplaceAllString(s, "$1<i>$2</i>")
	return akn.Sanitize(s)
}

package transcriptdiff

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pdis/collab-ledger/akn"
)

// fold maps full-width and CJK punctuation to the ASCII a stenographer
// types, so that "，" and "," compare equal.
var fold = map[rune]rune{
	'，': ',', '、': ',', '。': '.', '．': '.', '；': ';', '：': ':', '？': '?', '！': '!',
	'（': '(', '）': ')', '「': '"', '」': '"', '『': '"', '』': '"', '“': '"', '”': '"',
	'‘': '\'', '’': '\'', '〔': '(', '〕': ')', '【': '[', '】': ']', '《': '<', '》': '>',
	'〈': '<', '〉': '>', '～': '~', '—': '-', '–': '-', '‧': '.', '・': '.', '﹐': ',',
}

// Normalize returns the key two paragraphs are compared by: the text
// without markup, full-width forms folded to ASCII (NFKC-like for
// punctuation, letters and digits), "…" as "...", and no white space at
// all (Chinese has none; a stenographer's spaces around ASCII words vary).
func Normalize(s string) string {
	s = akn.PlainText(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || r == '\u3000':
			continue
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == '…':
			b.WriteString("...")
			continue
		default:
			if f, ok := fold[r]; ok {
				r = f
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Tokens splits text into the units a word diff compares: each CJK
// character (and any other non-Latin letter) alone, runs of Latin letters
// and digits as words, runs of white space, each punctuation mark alone,
// and markup tags and character references whole.
func Tokens(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '<':
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				j = len(s) - i - 1
			}
			out = append(out, s[i:i+j+1])
			i += j + 1
			continue
		case c == '&':
			if j := strings.IndexByte(s[i:], ';'); j > 0 && j < 12 {
				out = append(out, s[i:i+j+1])
				i += j + 1
				continue
			}
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		j := i + n
		switch {
		case isWord(r):
			for j < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if !isWord(r2) {
					break
				}
				j += n2
			}
		case unicode.IsSpace(r):
			for j < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if !unicode.IsSpace(r2) {
					break
				}
				j += n2
			}
		}
		out = append(out, s[i:j])
		i = j
	}
	return out
}

// isWord reports whether r joins its neighbours into a word: Latin (and
// other alphabetic scripts with spaces) letters and digits, not CJK.
func isWord(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_'
	}
	if unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r) || unicode.Is(unicode.Bopomofo, r) {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// Chunk is a piece of a word diff.
type Chunk struct {
	Kind OpKind
	Text string
}

// Words diffs two paragraphs word by word (Tokens): the text of a in
// order with what b deleted and inserted. Adjacent chunks of the same kind
// are joined.
func Words(a, b string) []Chunk {
	ta, tb := Tokens(a), Tokens(b)
	var out []Chunk
	add := func(k OpKind, toks []string) {
		if len(toks) == 0 {
			return
		}
		s := strings.Join(toks, "")
		if n := len(out); n > 0 && out[n-1].Kind == k {
			out[n-1].Text += s
			return
		}
		out = append(out, Chunk{Kind: k, Text: s})
	}
	for _, op := range Diff(ta, tb) {
		switch op.Kind {
		case Equal:
			add(Equal, ta[op.A0:op.A1])
		case Delete:
			add(Delete, ta[op.A0:op.A1])
		case Insert:
			add(Insert, tb[op.B0:op.B1])
		}
	}
	return out
}

// ParagraphChange is one paragraph of an utterance's edit: kept, deleted,
// inserted, or changed (with its word diff).
type ParagraphChange struct {
	// Kind is Equal, Delete, Insert, or Changed for a paragraph edited
	// in place (Words is then its word diff).
	Kind  ParagraphKind
	Old   string
	New   string
	Words []Chunk
}

// ParagraphKind is the kind of a ParagraphChange.
type ParagraphKind uint8

// Paragraph change kinds.
const (
	ParagraphSame ParagraphKind = iota
	ParagraphDeleted
	ParagraphInserted
	ParagraphChanged
)

// Paragraphs diffs two versions of an utterance the way the transcript
// page shows an edit: paragraphs aligned first (by their normalised text),
// then words within the paragraphs that changed; a changed stretch pairs
// its deleted and inserted paragraphs in order as edits in place.
func Paragraphs(old, new []string) []ParagraphChange {
	ka := make([]string, len(old))
	kb := make([]string, len(new))
	for i, p := range old {
		ka[i] = Normalize(p)
	}
	for i, p := range new {
		kb[i] = Normalize(p)
	}
	var out []ParagraphChange
	ops := Diff(ka, kb)
	for i := 0; i < len(ops); i++ {
		op := ops[i]
		switch op.Kind {
		case Equal:
			for k := 0; k < op.A1-op.A0; k++ {
				a, b := old[op.A0+k], new[op.B0+k]
				if a == b {
					out = append(out, ParagraphChange{Kind: ParagraphSame, Old: a, New: b})
				} else {
					out = append(out, ParagraphChange{Kind: ParagraphChanged, Old: a, New: b, Words: Words(a, b)})
				}
			}
		case Delete:
			dels := old[op.A0:op.A1]
			var ins []string
			if i+1 < len(ops) && ops[i+1].Kind == Insert {
				ins = new[ops[i+1].B0:ops[i+1].B1]
				i++
			}
			n := min(len(dels), len(ins))
			for k := 0; k < n; k++ {
				out = append(out, ParagraphChange{Kind: ParagraphChanged, Old: dels[k], New: ins[k], Words: Words(dels[k], ins[k])})
			}
			for _, p := range dels[n:] {
				out = append(out, ParagraphChange{Kind: ParagraphDeleted, Old: p})
			}
			for _, p := range ins[n:] {
				out = append(out, ParagraphChange{Kind: ParagraphInserted, New: p})
			}
		case Insert:
			for _, p := range new[op.B0:op.B1] {
				out = append(out, ParagraphChange{Kind: ParagraphInserted, New: p})
			}
		}
	}
	return out
}

package domain

import (
	"slices"
	"strings"
	"time"
	"unicode"
)

// CmdNormaliseTranscript normalises a transcript's width, punctuation and
// spacing in one change.
const CmdNormaliseTranscript = "transcript.normalise"

// ChangeNormalised is the change of an utterance version made by a
// transcript's normalisation (UtteranceVersion.Change).
const ChangeNormalised = "normalised"

// NormalisationRules names the rules NormaliseText applies. Recorded in
// each TranscriptNormalised: a later set of rules gets a new name, and the
// event keeps the text it produced, so old events fold as they were.
const NormalisationRules = "cjk-punctuation-width/1"

// NormaliseTranscript: staff normalise the width, punctuation and spacing
// of a transcript (NormaliseText) in one change: every live utterance
// whose text the rules change gets a new version. It is what going from a
// stenographer's raw record to the published text does to every line, and
// is recorded once, not as a correction per utterance.
type NormaliseTranscript struct {
	MeetingID MeetingID
	// Editor is who the normalisation is attributed to (default: the
	// actor); Reason why it was made.
	Editor string
	Reason string
}

// CommandName implements Command.
func (NormaliseTranscript) CommandName() string { return CmdNormaliseTranscript }

// NormalisedUtterance is one utterance a normalisation changed: its new
// version.
type NormalisedUtterance struct {
	UtteranceID UtteranceID `json:"utteranceId"`
	Version     int         `json:"version"`
	Paragraphs  []string    `json:"paragraphs" ledger:"public"`
}

// TranscriptNormalised: staff normalised the transcript's width,
// punctuation and spacing under Rules; each utterance the rules changed
// reads its Paragraphs as its new version.
type TranscriptNormalised struct {
	MeetingID  MeetingID             `json:"meetingId"`
	Rules      string                `json:"rules" ledger:"public"`
	Utterances []NormalisedUtterance `json:"utterances"`
	Editor     string                `json:"editor" ledger:"public"`
	Reason     string                `json:"reason" ledger:"public"`
	Occurred
}

// EventType implements Event.
func (TranscriptNormalised) EventType() string { return "transcript.normalised" }

// SchemaVersion implements Event.
func (TranscriptNormalised) SchemaVersion() int { return 1 }

// Normalise decides NormaliseTranscript: staff, with a reason; refused
// when the rules change nothing.
func (t *Transcript) Normalise(cmd NormaliseTranscript, actor Actor, at time.Time) ([]Event, error) {
	if err := t.staffChange(cmd, cmd.MeetingID, actor, at, &cmd.Editor, cmd.Reason); err != nil {
		return nil, err
	}
	var out []NormalisedUtterance
	for _, u := range t.utterances {
		if u.deleted {
			continue
		}
		cur := u.versions[len(u.versions)-1].Paragraphs
		if n := NormaliseParagraphs(cur); !slices.Equal(n, cur) {
			out = append(out, NormalisedUtterance{UtteranceID: u.id, Version: len(u.versions) + 1, Paragraphs: n})
		}
	}
	if len(out) == 0 {
		return nil, conflict("transcript.normalise.unchanged", "the transcript of %s is normalised already", t.id)
	}
	return []Event{TranscriptNormalised{MeetingID: t.id, Rules: NormalisationRules, Utterances: out, Editor: cmd.Editor, Reason: cmd.Reason, Occurred: occurred(at)}}, nil
}

// applyNormalised applies a normalisation's new versions.
func (t *Transcript) applyNormalised(e TranscriptNormalised) error {
	for _, n := range e.Utterances {
		u, ok := t.byID[n.UtteranceID]
		if !ok || u.deleted {
			return badEvent("transcript", e, "no live utterance %s", n.UtteranceID)
		}
		if n.Version != len(u.versions)+1 {
			return badEvent("transcript", e, "utterance %s version %d out of order", n.UtteranceID, n.Version)
		}
		u.versions = append(u.versions, newVersion(u, e, n.Paragraphs, e.Editor, ChangeNormalised, e.Reason))
	}
	return nil
}

// NormaliseParagraphs is NormaliseText of each paragraph.
func NormaliseParagraphs(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = NormaliseText(p)
	}
	return out
}

// fullWidth maps the ASCII punctuation the rules widen to its full-width
// form.
var fullWidth = map[rune]rune{',': '，', ';': '；', ':': '：', '?': '？', '!': '！', '(': '（', ')': '）'}

// isCJK reports whether r is Chinese or Japanese text or full-width
// punctuation: the context in which punctuation is written full-width.
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.In(r, unicode.Hiragana, unicode.Katakana) ||
		r >= 0x3000 && r <= 0x303F || r >= 0xFF01 && r <= 0xFF60 || r == '…' || r == '—'
}

// NormaliseText applies the rules NormalisationRules names to a paragraph
// of the safe inline subset (markup and entities are left alone):
//
//   - , ; : ? ! next to Chinese text (the nearest character on either side,
//     spaces skipped) become ，；：？！ (so "10:30" and "https://" stay);
//   - a pair of ( ) becomes （ ） when it encloses or follows Chinese text;
//   - spaces next to full-width punctuation are removed.
func NormaliseText(p string) string {
	if !strings.ContainsAny(p, ",;:?!() ") {
		return p
	}
	// The text's characters, with where each sits; markup is kept aside.
	rs := []rune(p)
	var text []int // indexes into rs of text characters
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '<':
			for i < len(rs) && rs[i] != '>' {
				i++
			}
			continue
		case '&':
			j := i
			for j < len(rs) && rs[j] != ';' && j-i < 12 {
				j++
			}
			if j < len(rs) && rs[j] == ';' {
				text = append(text, i) // an entity counts as one character
				i = j
				continue
			}
		}
		text = append(text, i)
	}
	at := func(k int) rune { return rs[text[k]] }
	near := func(k, dir int) rune {
		for k += dir; k >= 0 && k < len(text); k += dir {
			if r := at(k); r != ' ' {
				return r
			}
		}
		return 0
	}
	// Parentheses: match pairs, widen those about Chinese text.
	var open []int
	widen := map[int]bool{}
	for k := range text {
		switch at(k) {
		case '(':
			open = append(open, k)
		case ')':
			if len(open) == 0 {
				continue
			}
			o := open[len(open)-1]
			open = open[:len(open)-1]
			cjk := isCJK(near(o, -1))
			for m := o + 1; m < k && !cjk; m++ {
				cjk = isCJK(at(m))
			}
			if cjk {
				widen[o], widen[k] = true, true
			}
		}
	}
	for k := range text {
		r := at(k)
		w, ok := fullWidth[r]
		if !ok {
			continue
		}
		if r == '(' || r == ')' {
			if widen[k] {
				rs[text[k]] = w
			}
			continue
		}
		if isCJK(near(k, -1)) || isCJK(near(k, +1)) {
			rs[text[k]] = w
		}
	}
	// Spaces next to full-width punctuation go.
	drop := map[int]bool{}
	for k := range text {
		if at(k) != ' ' {
			continue
		}
		if isFullWidthPunct(near(k, -1)) || isFullWidthPunct(near(k, +1)) {
			drop[text[k]] = true
		}
	}
	var b strings.Builder
	b.Grow(len(p))
	for i, r := range rs {
		if !drop[i] {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isFullWidthPunct reports whether r is full-width punctuation.
func isFullWidthPunct(r rune) bool {
	return r >= 0x3000 && r <= 0x303F || r >= 0xFF01 && r <= 0xFF0F || r >= 0xFF1A && r <= 0xFF20 || r >= 0xFF3B && r <= 0xFF40 || r >= 0xFF5B && r <= 0xFF60
}

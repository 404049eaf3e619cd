package importer

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/akn"
	"github.com/pdis/collab-ledger/domain/calendar"
)

// ParseTranscript reads one transcript file as the importer does: Akoma
// Ntoso, or a Markdown transcript under any name (ParseMarkdown); a
// speaker the file names without declaring is taken as undeclared, with a
// warning. It does not date an undated file (see the importer's dating).
func ParseTranscript(name string, data []byte, maxSize int64) (*akn.Document, error) {
	if IsMarkdown(data) {
		if maxSize <= 0 {
			maxSize = akn.DefaultMaxSize
		}
		if int64(len(data)) > maxSize {
			return nil, &akn.Error{File: name, Err: akn.ErrTooLarge, Msg: fmt.Sprintf("%d bytes, more than the limit of %d", len(data), maxSize)}
		}
		return ParseMarkdown(name, data)
	}
	return akn.ParseBytes(data, akn.Options{Name: name, MaxSize: maxSize, UndeclaredSpeakers: true})
}

// A date written in the text of a meeting's record: after 時間 or 日期,
// in the Republic of China's years (中華民國八十八年四月二十三日, 108年11月9日)
// or the Western calendar (1999年4月23日, 1999-04-23, 1999/4/23).
const (
	cnNum = `[0-9０-９]+|[零〇一二兩三四五六七八九十廿卅百]+`
)

var reTextDate = regexp.MustCompile(`(?:時間|日期)\s*[：:]\s*(?:中華民國|民國)?\s*(` + cnNum + `)\s*[年\-/／.]\s*(` + cnNum + `)\s*[月\-/／.]\s*(` + cnNum + `)\s*日?`)

// dateInText finds the first date a "時間：" or "日期：" line of the text
// gives; its description names the words and the line.
func dateInText(d *akn.Document) (date, where string, ok bool) {
	for _, u := range d.Utterances {
		for _, p := range u.Paragraphs {
			text := akn.PlainText(p)
			m := reTextDate.FindStringSubmatch(text)
			if m == nil {
				continue
			}
			y, ok1 := parseCNNumeral(m[1])
			mo, ok2 := parseCNNumeral(m[2])
			da, ok3 := parseCNNumeral(m[3])
			if !ok1 || !ok2 || !ok3 {
				continue
			}
			if y < 1000 {
				y += 1911 // the Republic of China's years
			}
			t := time.Date(y, time.Month(mo), da, 0, 0, 0, 0, time.UTC)
			if t.Year() != y || int(t.Month()) != mo || t.Day() != da {
				continue
			}
			where = fmt.Sprintf("%q", strings.TrimSpace(m[0]))
			if u.Line > 0 {
				where += fmt.Sprintf(" (line %d)", u.Line)
			}
			return t.Format("2006-01-02"), where, true
		}
	}
	return "", "", false
}

// parseCNNumeral is ParseNumeral with 廿 (20) and 卅 (30).
func parseCNNumeral(s string) (int, bool) {
	s = strings.NewReplacer("廿", "二十", "卅", "三十").Replace(s)
	return ParseNumeral(s)
}

// dateUndated gives a date to a file whose FRBR data, title and name give
// none, and says how in a warning: the first date its text gives (a
// record of several sittings is dated by its first), else its first
// publication in the history. ok is false when nothing dates it.
func dateUndated(d *akn.Document, hist *History, file string) (date, warning string, ok bool) {
	if date, where, ok := dateInText(d); ok {
		return date, fmt.Sprintf("no date in its metadata, title or file name: dated %s, the first date its text gives, %s", date, where), true
	}
	if hist != nil {
		if es := hist.Versions(file); len(es) > 0 {
			first := es[0].Date
			if !es[0].FirstDate.IsZero() {
				first = es[0].FirstDate
			}
			if !first.IsZero() {
				date := first.In(calendar.Taipei).Format("2006-01-02")
				return date, fmt.Sprintf("no date in its metadata, title, file name or text: dated %s, when it was first published (history.jsonl); the meeting itself was on or before that day", date), true
			}
		}
	}
	return "", "", false
}

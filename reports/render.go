package reports

import (
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"
)

// Lang is a report's main language: "zh-Hant" (the default) or "en". Every
// format carries both languages' labels; Lang picks which comes first.
type Lang string

// Languages.
const (
	Chinese Lang = "zh-Hant"
	English Lang = "en"
)

// ParseLang accepts zh, zh-Hant, zh-TW, en ("" is Chinese).
func ParseLang(s string) (Lang, error) {
	switch strings.ToLower(s) {
	case "", "zh", "zh-hant", "zh-tw":
		return Chinese, nil
	case "en", "en-us", "en-gb":
		return English, nil
	}
	return "", fmt.Errorf("unknown language %q (zh-Hant or en)", s)
}

// Formats names the formats Write accepts.
var Formats = []string{"html", "md", "csv", "json"}

// Write renders rep in format ("html", "md", "csv", "json").
func Write(w io.Writer, rep Report, format string, lang Lang) error {
	switch format {
	case "html":
		return WriteHTML(w, rep, lang)
	case "md", "markdown":
		return WriteMarkdown(w, rep, lang)
	case "csv":
		return WriteCSV(w, rep)
	case "json":
		return WriteJSON(w, rep)
	}
	return fmt.Errorf("unknown format %q (html, md, csv, json)", format)
}

// WriteJSON writes rep as indented JSON.
func WriteJSON(w io.Writer, rep Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func fmtValue(f Figure) string {
	s := strconv.FormatFloat(f.Value, 'f', -1, 64)
	if f.Unit == "%" {
		return s + "%"
	}
	return s
}

func positions(refs []Ref) string {
	var b strings.Builder
	for i, r := range refs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatUint(r.Position, 10))
	}
	return b.String()
}

func ids(refs []Ref) string {
	var b strings.Builder
	for i, r := range refs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(r.ID)
	}
	return b.String()
}

func params(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k + "=" + m[k])
	}
	return b.String()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// WriteCSV writes one row per figure: section, key, both labels, value,
// unit, query, parameters, event positions and event IDs (space-separated).
// The first rows name the period and the checkpoint.
func WriteCSV(w io.Writer, rep Report) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"section", "key", "label_zh", "label_en", "value", "unit", "query", "params", "positions", "event_ids"})
	_ = cw.Write([]string{"report", "checkpoint", "計算時的帳本位置", "ledger position computed at", strconv.FormatUint(rep.At, 10), "position", "", "from=" + rep.From.Format(time.RFC3339) + "&to=" + rep.To.Format(time.RFC3339) + "&ministry=" + rep.Ministry, "", ""})
	for _, s := range rep.Sections {
		for _, f := range s.Figures {
			_ = cw.Write([]string{s.Key, f.Key, f.ZH, f.EN, strconv.FormatFloat(f.Value, 'f', -1, 64), f.Unit, f.Source.Query, params(f.Source.Params), positions(f.Source.Events), ids(f.Source.Events)})
		}
	}
	cw.Flush()
	return cw.Error()
}

func label(lang Lang, zh, en string) (first, second string) {
	if lang == English {
		return en, zh
	}
	return zh, en
}

func periodText(rep Report) (from, to string) {
	return rep.From.In(calendar.Taipei).Format(time.DateOnly), rep.To.In(calendar.Taipei).AddDate(0, 0, -1).Format(time.DateOnly)
}

// WriteMarkdown writes rep as Markdown: one table per section, each figure
// with its query and the positions of its events.
func WriteMarkdown(w io.Writer, rep Report, lang Lang) error {
	var b strings.Builder
	from, to := periodText(rep)
	t1, t2 := label(lang, "參與流程報告", "Participation report")
	fmt.Fprintf(&b, "# %s / %s\n\n", t1, t2)
	p1, p2 := label(lang, "期間", "Period")
	fmt.Fprintf(&b, "- %s / %s: %s – %s (Asia/Taipei)\n", p1, p2, from, to)
	if rep.Ministry != "" {
		m1, m2 := label(lang, "部會", "Ministry")
		fmt.Fprintf(&b, "- %s / %s: %s\n", m1, m2, rep.Ministry)
	}
	c1, c2 := label(lang, "計算時的帳本位置", "Ledger position (checkpoint)")
	fmt.Fprintf(&b, "- %s / %s: %d (%d events)\n", c1, c2, rep.At, rep.Events)
	f1, f2 := label(lang, "項目", "Figure")
	v1, v2 := label(lang, "數值", "Value")
	s1, s2 := label(lang, "來源（查詢；事件位置）", "Source (query; event positions)")
	for _, s := range rep.Sections {
		h1, h2 := label(lang, s.ZH, s.EN)
		fmt.Fprintf(&b, "\n## %s / %s\n\n| %s / %s | %s / %s | %s / %s |\n|---|---:|---|\n", h1, h2, f1, f2, v1, v2, s1, s2)
		for _, f := range s.Figures {
			l1, l2 := label(lang, f.ZH, f.EN)
			name := l1
			if l2 != l1 {
				name += " / " + l2
			}
			val := fmtValue(f)
			if f.Unit == "days" {
				val += " d"
			}
			fmt.Fprintf(&b, "| %s | %s | `%s` %s; %s |\n", mdEscape(name), val, f.Source.Query, mdEscape(params(f.Source.Params)), orDash(positions(f.Source.Events)))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

type htmlBar struct {
	Label, Value string
	Y, W         int
}

type htmlFigure struct {
	Figure
	First, Second, Value, Positions string
}

type htmlSection struct {
	Key, First, Second, Desc string
	Chart                    bool
	Height                   int
	Bars                     []htmlBar
	Figures                  []htmlFigure
}

type htmlPage struct {
	Lang               Lang
	Title, TitleSecond string
	From, To, Ministry string
	At                 uint64
	Events             int
	Sections           []htmlSection
	L                  map[string][2]string
}

// WriteHTML writes rep as a self-contained HTML page (its own template):
// lang on the root, both languages' labels, one captioned table per section
// with the query and event positions behind each number, a hand-made SVG
// bar chart (with title and desc) beside the numbers, and print CSS that
// keeps tables whole.
func WriteHTML(w io.Writer, rep Report, lang Lang) error {
	from, to := periodText(rep)
	t1, t2 := label(lang, "參與流程報告", "Participation report")
	pg := htmlPage{Lang: lang, Title: t1, TitleSecond: t2, From: from, To: to, Ministry: rep.Ministry, At: rep.At, Events: rep.Events, L: map[string][2]string{}}
	for k, v := range map[string][2]string{
		"period": {"期間", "Period"}, "ministry": {"部會", "Ministry"}, "at": {"計算時的帳本位置", "Ledger position (checkpoint)"},
		"figure": {"項目", "Figure"}, "value": {"數值", "Value"}, "source": {"來源", "Source"}, "events": {"事件位置", "Event positions"},
		"events_n": {"筆事件", "events folded"},
	} {
		a, b := label(lang, v[0], v[1])
		pg.L[k] = [2]string{a, b}
	}
	for _, s := range rep.Sections {
		h1, h2 := label(lang, s.ZH, s.EN)
		hs := htmlSection{Key: s.Key, First: h1, Second: h2, Chart: s.Chart && len(s.Figures) > 0}
		// One scale per chart: only the figures in the first figure's unit
		// are drawn (a share or a mean beside counts is left to the table).
		unit := ""
		if len(s.Figures) > 0 {
			unit = s.Figures[0].Unit
		}
		maxV := 0.0
		for _, f := range s.Figures {
			if f.Unit == unit {
				maxV = max(maxV, f.Value)
			}
		}
		var desc []string
		for _, f := range s.Figures {
			l1, l2 := label(lang, f.ZH, f.EN)
			val := fmtValue(f)
			if f.Unit == "days" {
				val += " d"
			}
			hs.Figures = append(hs.Figures, htmlFigure{Figure: f, First: l1, Second: l2, Value: val, Positions: positions(f.Source.Events)})
			if f.Unit != unit {
				continue
			}
			wdt := 0
			if maxV > 0 {
				wdt = int(f.Value / maxV * 300)
			}
			hs.Bars = append(hs.Bars, htmlBar{Label: l1, Value: val, Y: len(hs.Bars) * 24, W: wdt})
			desc = append(desc, l1+": "+val)
		}
		hs.Height = len(hs.Bars)*24 + 4
		hs.Desc = strings.Join(desc, "; ")
		pg.Sections = append(pg.Sections, hs)
	}
	return htmlTemplate.Execute(w, pg)
}

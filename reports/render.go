package reports

import (
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/url"
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

// Write renders rep in format ("html", "md", "csv", "json"); "csv" is a
// zip of one CSV file per table (WriteCSVZip).
func Write(w io.Writer, rep Report, format string, lang Lang) error {
	switch format {
	case "html":
		return WriteHTML(w, rep, lang)
	case "md", "markdown":
		return WriteMarkdown(w, rep, lang)
	case "csv":
		return WriteCSVZip(w, rep)
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
		n1, n2 := label(lang, rep.MinistryZH, rep.MinistryEN)
		fmt.Fprintf(&b, "- %s / %s: %s / %s (%s)\n", m1, m2, n1, n2, rep.Ministry)
	}
	c1, c2 := label(lang, "計算時的帳本位置", "Ledger position (checkpoint)")
	fmt.Fprintf(&b, "- %s / %s: %d (%d events)\n", c1, c2, rep.At, rep.Events)
	writeBriefingMarkdown(&b, rep, lang)
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

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"args":  func(v ...any) []any { return v },
	"short": shortURL,
}).Parse(htmlSource))

// Links says where a rendered page links to. The zero value makes no links:
// a file written by the CLI is read away from the server.
type Links struct {
	// Report is the URL (path or absolute) of the report page, "/reports":
	// the language switch, the permalink at the report's checkpoint and
	// each figure's query (the figure and its events as JSON, recomputed
	// at the checkpoint) link there.
	Report string
	// Trail is the URL prefix of one subject's accountability trail in the
	// JSON API, "/api/v1/trails/": each event behind a figure links to its
	// trail entry, {Trail}{subject}?after={position-1}&limit=1.
	Trail string
}

// ServerLinks are the links of the page the server serves: the report at
// /reports, the trail in the query API (web.SubjectTrailPath).
var ServerLinks = Links{Report: "/reports", Trail: "/api/v1/trails/"}

// WithBase returns the server's links under base ("https://ledger.example"),
// for a page read away from the server; an empty base makes no links.
func WithBase(base string) Links {
	if base == "" {
		return Links{}
	}
	base = strings.TrimRight(base, "/")
	return Links{Report: base + ServerLinks.Report, Trail: base + ServerLinks.Trail}
}

// query returns the report page's URL for rep with extra parameters (pairs),
// at rep's checkpoint; "" without a report link.
func (l Links) query(rep Report, extra ...string) string {
	if l.Report == "" {
		return ""
	}
	from, to := periodText(rep)
	v := url.Values{"from": {from}, "to": {to}, "at": {strconv.FormatUint(rep.At, 10)}}
	if rep.Ministry != "" {
		v.Set("ministry", rep.Ministry)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return l.Report + "?" + v.Encode()
}

// entry returns the URL of r's trail entry; "" without a trail link or a
// subject.
func (l Links) entry(r Ref) string {
	if l.Trail == "" || r.Subject == "" || r.Position == 0 {
		return ""
	}
	return l.Trail + url.PathEscape(r.Subject) + "?after=" + strconv.FormatUint(r.Position-1, 10) + "&limit=1"
}

// Chart geometry (SVG user units, 12px text): labels left, bars right.
const (
	chartLabelW = 300 // the label column
	chartBarX   = 310 // where bars start
	chartBarMax = 260 // the longest bar
	chartWidth  = 660
	chartRow    = 24
)

// textWidth estimates the width of s in 12px text: wide (CJK) runes 12,
// others 7.
func textWidth(s string) int {
	w := 0
	for _, r := range s {
		if r >= 0x1100 {
			w += 12
		} else {
			w += 7
		}
	}
	return w
}

type htmlBar struct {
	Label, Value string
	Y, W, Fit    int // Fit > 0: squeeze the label into Fit units
}

type htmlEvent struct {
	Ref
	URL string
}

type htmlFigure struct {
	Figure
	First, Second, Value, Params, QueryURL string
	Events                                 []htmlEvent // the first htmlEventsListed
	More                                   int         // the events not listed
}

// htmlEventsListed bounds the events a page lists per figure: a year's
// report counts hundreds of thousands, which the figure's query (JSON) and
// the CSV list in full.
const htmlEventsListed = 100

type htmlSection struct {
	Key, First, Second, Desc string
	Caption                  [2]string
	Chart                    bool
	Width, Height, BarX      int
	Bars                     []htmlBar
	Figures                  []htmlFigure
}

type htmlPage struct {
	Lang, OtherLang        Lang
	Title, TitleSecond     string
	From, To               string
	Ministry, MinistryName string
	At                     uint64
	Events                 int
	SwitchURL, SwitchText  string
	Permalink              string
	Briefing               *htmlBriefing
	Sections               []htmlSection
	L                      map[string][2]string
}

// WriteHTML writes rep as a self-contained page without links (see
// WriteHTMLLinked).
func WriteHTML(w io.Writer, rep Report, lang Lang) error {
	return WriteHTMLLinked(w, rep, lang, Links{})
}

// WriteHTMLLinked writes rep as a self-contained HTML page (its own
// template): lang on the root, both languages' labels, one captioned table
// per section with the query and the events behind each number, a
// hand-made SVG bar chart (title, desc, and aria-details naming its table)
// beside the numbers, and print CSS for A4 (tables as wide as the page,
// header rows repeated on each page, rows never split, charts scaled).
// With links, the page has a language switch and a permalink at its
// checkpoint, each query links to the figure as JSON and each event to its
// trail entry.
func WriteHTMLLinked(w io.Writer, rep Report, lang Lang, links Links) error {
	from, to := periodText(rep)
	t1, t2 := label(lang, "參與流程報告", "Participation report")
	other, switchText := English, "English"
	if lang == English {
		other, switchText = Chinese, "中文"
	}
	pg := htmlPage{Lang: lang, OtherLang: other, Title: t1, TitleSecond: t2, From: from, To: to,
		Ministry: rep.Ministry, At: rep.At, Events: rep.Events, L: map[string][2]string{}}
	if rep.Ministry != "" {
		n1, n2 := label(lang, rep.MinistryZH, rep.MinistryEN)
		pg.MinistryName = n1
		if n2 != n1 {
			pg.MinistryName += " / " + n2
		}
	}
	if links.Report != "" {
		pg.SwitchURL, pg.SwitchText = links.query(rep, "lang", string(other)), switchText
		pg.Permalink = links.query(rep, "lang", string(lang))
	}
	for k, v := range map[string][2]string{
		"period": {"期間", "Period"}, "ministry": {"部會", "Ministry"}, "at": {"計算時的帳本位置", "Ledger position (checkpoint)"},
		"figure": {"項目", "Figure"}, "value": {"數值", "Value"}, "source": {"來源", "Source"}, "events": {"事件位置", "Event positions"},
		"events_n": {"筆事件", "events folded"}, "more": {"其餘事件見查詢", "more: see the query"}, "permalink": {"以此位置重算", "recompute at this position"}, "proof": {"證明", "proof"},
		"trace": {"每個數字列出產生它的查詢與其計入的事件；點選位置可開啟該事件的問責軌跡。", "Each number names the query that produced it and the events it counted; a position opens that event's trail entry."},
	} {
		a, b := label(lang, v[0], v[1])
		pg.L[k] = [2]string{a, b}
	}
	pg.Briefing = briefingHTML(rep, lang, links)
	for _, s := range rep.Sections {
		pg.Sections = append(pg.Sections, htmlSectionOf(rep, s, lang, links))
	}
	return htmlTemplate.Execute(w, pg)
}

func htmlSectionOf(rep Report, s Section, lang Lang, links Links) htmlSection {
	h1, h2 := label(lang, s.ZH, s.EN)
	hs := htmlSection{Key: s.Key, First: h1, Second: h2, Chart: s.Chart && len(s.Figures) > 0, Width: chartWidth, BarX: chartBarX}
	c1, c2 := label(lang, s.ZH+"：數字與來源", s.EN+": numbers and sources")
	hs.Caption = [2]string{c1, c2}
	// One scale per chart: only the figures in the first figure's unit are
	// drawn (a share or a mean beside counts is left to the table).
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
		hf := htmlFigure{Figure: f, First: l1, Second: l2, Value: val, Params: shownParams(f.Source.Params, rep.Ministry),
			QueryURL: links.query(rep, "format", "json", "figure", f.Key)}
		for _, r := range f.Source.Events[:min(len(f.Source.Events), htmlEventsListed)] {
			hf.Events = append(hf.Events, htmlEvent{Ref: r, URL: links.entry(r)})
		}
		hf.More = len(f.Source.Events) - len(hf.Events)
		hs.Figures = append(hs.Figures, hf)
		if f.Unit != unit {
			continue
		}
		wdt := 0
		if maxV > 0 {
			wdt = int(f.Value / maxV * chartBarMax)
		}
		fit := 0
		if textWidth(l1) > chartLabelW-10 {
			fit = chartLabelW - 10
		}
		hs.Bars = append(hs.Bars, htmlBar{Label: l1, Value: val, Y: len(hs.Bars) * chartRow, W: wdt, Fit: fit})
		desc = append(desc, l1+": "+val)
	}
	hs.Height = len(hs.Bars)*chartRow + 4
	hs.Desc = strings.Join(desc, "; ")
	return hs
}

// shownParams are a figure's query parameters as the page shows them:
// without the period and the ministry filtered on, which its header names.
func shownParams(m map[string]string, ministry string) string {
	rest := map[string]string{}
	for k, v := range m {
		if k != "from" && k != "to" && (k != "ministry" || v != ministry) {
			rest[k] = v
		}
	}
	return strings.ReplaceAll(params(rest), "&", " ")
}

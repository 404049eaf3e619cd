package reports

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/pdis/collab-ledger/domain"
)

// briefingPrinted bounds the event positions printed for each line of the
// briefing, so that its summary stays one page; the proof link gives them
// all.
const briefingPrinted = 12

// briefingLabels are the briefing's words, Chinese and English.
var briefingLabels = map[string][2]string{
	"summary":       {"本期重點（與前期比較）", "The period's headlines, against the previous period"},
	"summary.cap":   {"本期與前期（%s – %s）的主要數字", "Headline numbers of the period and of the previous one (%s – %s)"},
	"item":          {"項目", "Item"},
	"now":           {"本期", "This period"},
	"before":        {"前期", "Previous period"},
	"change":        {"增減", "Change"},
	"evidence":      {"事件位置與證明", "Event positions and proof"},
	"cases":         {"案件一覽", "Cases under way"},
	"cases.cap":     {"期間內進行中的案件，至 %s 的狀態", "Cases under way in the period, as they stood on %s"},
	"cases.none":    {"期間內沒有進行中的案件。", "No case was under way in the period."},
	"case":          {"案件", "Case"},
	"stage":         {"階段", "Stage"},
	"historical":    {"歷史案件：最後已知階段，結果不在檔案庫中", "historical: last known stage, the outcome is not in the archive"},
	"lead":          {"主辦部會", "Lead ministry"},
	"recs":          {"建議與各部會回應", "Recommendations and each ministry's verdict"},
	"directive":     {"院長裁示", "Premier's directive"},
	"awaiting":      {"尚未回應", "awaiting a response"},
	"none":          {"—", "—"},
	"overdue":       {"逾期未回應名單", "Who is late"},
	"overdue.cap":   {"逾期的提案回應：至 %s 仍未回應，或於期間內逾期回應", "Late responses to proposals: unanswered on %s, or answered late in the period"},
	"overdue.none":  {"沒有逾期的回應。", "No response is late."},
	"ministry":      {"部會", "Ministry"},
	"proposal":      {"提案", "Proposal"},
	"due":           {"回應期限（最後一日）", "Due (the last day that counts)"},
	"late":          {"逾期日數", "Days late"},
	"answered":      {"回應日", "Answered"},
	"unanswered":    {"尚未回應", "not answered"},
	"appendix":      {"附錄：各項數字與來源", "Appendix: every figure and its sources"},
	"proof":         {"證明", "proof"},
	"more":          {"另 %d 筆", "%d more"},
	"previous.note": {"前期為 %s 至 %s（臺北時間）。", "The previous period is %s to %s (Asia/Taipei)."},
}

func bl(lang Lang, key string) [2]string {
	v := briefingLabels[key]
	a, b := label(lang, v[0], v[1])
	return [2]string{a, b}
}

func blf(lang Lang, key string, args ...any) [2]string {
	v := briefingLabels[key]
	a, b := label(lang, fmt.Sprintf(v[0], args...), fmt.Sprintf(v[1], args...))
	return [2]string{a, b}
}

// htmlEvidence is the events behind a line of the briefing, as printed:
// the first positions, how many more, and the short link to its proof.
type htmlEvidence struct {
	Events []htmlEvent
	More   int
	// Proof is the URL of its proof (the figure as JSON, or the trail);
	// ProofText the same without the server's address, as printed.
	Proof, ProofText string
}

func evidence(refs []Ref, links Links, proof string) htmlEvidence {
	ev := htmlEvidence{Proof: proof, ProofText: shortURL(proof)}
	for _, r := range refs[:min(len(refs), briefingPrinted)] {
		ev.Events = append(ev.Events, htmlEvent{Ref: r, URL: links.entry(r)})
	}
	ev.More = len(refs) - len(ev.Events)
	return ev
}

// shortURL is u without its scheme and host.
func shortURL(u string) string {
	if p, err := url.Parse(u); err == nil && p.Host != "" {
		p.Scheme, p.Host = "", ""
		return p.String()
	}
	return u
}

type htmlHeadline struct {
	First, Second         string
	Value, Previous, Diff string
	Evidence              htmlEvidence
}

type htmlVerdict struct {
	Ministry, Verdict string
	Awaiting          bool
}

type htmlRec struct {
	Text, TextLang string
	Verdicts       []htmlVerdict
}

type htmlCase struct {
	ID, Title, TitleLang, Stage, Lead string
	Recs                              []htmlRec
	DirectiveKind, Directive, DirLang string
	Evidence                          htmlEvidence
}

type htmlOverdue struct {
	Ministry, Proposal, ProposalLang, ProposalID, Due, Answered string
	// DueISO is the deadline's instant for <time datetime> (Due itself
	// when a stored report lacks it).
	DueISO   string
	DaysLate int
	Evidence htmlEvidence
}

// textLang is the lang of what people wrote, s, on a page in lang:
// "zh-Hant" for Chinese on an English page, else "" (the page's).
func textLang(lang Lang, s string) string {
	if lang != English {
		return ""
	}
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return string(Chinese)
		}
	}
	return ""
}

// htmlBriefing is the briefing as the page shows it.
type htmlBriefing struct {
	L         map[string][2]string
	Headlines []htmlHeadline
	Cases     []htmlCase
	Overdue   []htmlOverdue
}

// briefingHTML lays out rep's briefing for the page in lang.
func briefingHTML(rep Report, lang Lang, links Links) *htmlBriefing {
	b := rep.Briefing
	if b == nil {
		return nil
	}
	from, to := periodText(Report{From: b.PreviousFrom, To: b.PreviousTo})
	hb := &htmlBriefing{L: map[string][2]string{}}
	for k := range briefingLabels {
		hb.L[k] = bl(lang, k)
	}
	hb.L["summary.cap"] = blf(lang, "summary.cap", from, to)
	hb.L["previous.note"] = blf(lang, "previous.note", from, to)
	hb.L["cases.cap"] = blf(lang, "cases.cap", b.AsOf)
	hb.L["overdue.cap"] = blf(lang, "overdue.cap", b.AsOf)
	for _, h := range b.Headlines {
		first, second := label(lang, h.ZH, h.EN)
		proof := h.Key
		if proof == "outcomes.directives" {
			proof = "outcomes"
		}
		hb.Headlines = append(hb.Headlines, htmlHeadline{First: first, Second: second,
			Value: fmtNumber(h.Value), Previous: fmtNumber(h.Previous), Diff: fmtDiff(h.Value - h.Previous),
			Evidence: evidence(h.Source.Events, links, links.query(rep, "format", "json", "figure", proof))})
	}
	name := func(zh, en string) string {
		a, _ := label(lang, zh, en)
		return a
	}
	for _, c := range b.Cases {
		stage := domain.CaseStage(c.Stage).Name()
		hc := htmlCase{ID: c.ID, Title: c.Title, TitleLang: textLang(lang, c.Title), Stage: name(stage.ZH, stage.EN), Lead: name(c.LeadZH, c.LeadEN)}
		if c.Historical {
			hc.Stage += " (" + bl(lang, "historical")[0] + ")"
		}
		for _, r := range c.Recommendations {
			hr := htmlRec{Text: r.Text, TextLang: textLang(lang, r.Text)}
			for _, v := range r.Verdicts {
				hv := htmlVerdict{Ministry: name(v.MinistryZH, v.MinistryEN), Awaiting: v.Verdict == ""}
				if !hv.Awaiting {
					n := domain.Verdict(v.Verdict).Name()
					hv.Verdict = name(n.ZH, n.EN)
				}
				hr.Verdicts = append(hr.Verdicts, hv)
			}
			hc.Recs = append(hc.Recs, hr)
		}
		if d := c.Directive; d != nil {
			n, _ := domain.NameOf(domain.NamesDirective, d.Kind)
			hc.DirectiveKind, hc.Directive, hc.DirLang = name(n.ZH, n.EN), d.Text, textLang(lang, d.Text)
		}
		hc.Evidence = evidence(c.Events, links, links.trail(domain.CaseStream(domain.CaseID(c.ID))))
		hb.Cases = append(hb.Cases, hc)
	}
	for _, o := range b.Overdue {
		hb.Overdue = append(hb.Overdue, htmlOverdue{Ministry: name(o.MinistryZH, o.MinistryEN), Proposal: o.Title, ProposalLang: textLang(lang, o.Title), ProposalID: o.ProposalID,
			Due: o.Due, DueISO: dueISO(o), Answered: o.Answered, DaysLate: o.DaysLate,
			Evidence: evidence(o.Events, links, links.trail(domain.ProposalStream(domain.ProposalID(o.ProposalID))))})
	}
	return hb
}

// trail returns the URL of a subject's whole trail; "" without a trail
// link.
func (l Links) trail(subject string) string {
	if l.Trail == "" {
		return ""
	}
	return l.Trail + url.PathEscape(subject)
}

func fmtNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func fmtDiff(d float64) string {
	switch {
	case d > 0:
		return "+" + fmtNumber(d)
	case d < 0:
		return "−" + fmtNumber(-d)
	}
	return "±0"
}

// writeBriefingMarkdown writes rep's briefing as Markdown: the headlines,
// the cases and who is late, each line with its event positions.
func writeBriefingMarkdown(b *strings.Builder, rep Report, lang Lang) {
	br := rep.Briefing
	if br == nil {
		return
	}
	from, to := periodText(Report{From: br.PreviousFrom, To: br.PreviousTo})
	h := func(key string) string {
		l := bl(lang, key)
		return l[0] + " / " + l[1]
	}
	hf := func(key string, args ...any) string {
		l := blf(lang, key, args...)
		return l[0] + " / " + l[1]
	}
	fmt.Fprintf(b, "\n## %s\n\n%s\n\n| %s | %s | %s | %s | %s |\n|---|---:|---:|---:|---|\n", h("summary"), hf("previous.note", from, to), h("item"), h("now"), h("before"), h("change"), h("evidence"))
	for _, x := range br.Headlines {
		l1, l2 := label(lang, x.ZH, x.EN)
		fmt.Fprintf(b, "| %s / %s | %s | %s | %s | %s |\n", mdEscape(l1), mdEscape(l2), fmtNumber(x.Value), fmtNumber(x.Previous), fmtDiff(x.Value-x.Previous), orDash(positions(x.Source.Events)))
	}
	name := func(zh, en string) string {
		a, _ := label(lang, zh, en)
		return a
	}
	fmt.Fprintf(b, "\n## %s\n\n%s\n\n", h("cases"), hf("cases.cap", br.AsOf))
	if len(br.Cases) == 0 {
		fmt.Fprintf(b, "%s\n", h("cases.none"))
	} else {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n|---|---|---|---|---|---|\n", h("case"), h("stage"), h("lead"), h("recs"), h("directive"), h("evidence"))
	}
	for _, c := range br.Cases {
		st := domain.CaseStage(c.Stage).Name()
		var recs []string
		for _, r := range c.Recommendations {
			var vs []string
			for _, v := range r.Verdicts {
				verdict := bl(lang, "awaiting")[0]
				if v.Verdict != "" {
					n := domain.Verdict(v.Verdict).Name()
					verdict = name(n.ZH, n.EN)
				}
				vs = append(vs, name(v.MinistryZH, v.MinistryEN)+" "+verdict)
			}
			recs = append(recs, r.Text+" ("+strings.Join(vs, "; ")+")")
		}
		dir := "—"
		if c.Directive != nil {
			n, _ := domain.NameOf(domain.NamesDirective, c.Directive.Kind)
			dir = name(n.ZH, n.EN) + ": " + c.Directive.Text
		}
		stage := name(st.ZH, st.EN)
		if c.Historical {
			stage += " (" + bl(lang, "historical")[0] + ")"
		}
		fmt.Fprintf(b, "| %s %s | %s | %s | %s | %s | %s |\n", c.ID, mdEscape(c.Title), stage, orDash(name(c.LeadZH, c.LeadEN)), orDash(mdEscape(strings.Join(recs, "<br>"))), mdEscape(dir), positions(c.Events))
	}
	fmt.Fprintf(b, "\n## %s\n\n%s\n\n", h("overdue"), hf("overdue.cap", br.AsOf))
	if len(br.Overdue) == 0 {
		fmt.Fprintf(b, "%s\n", h("overdue.none"))
	} else {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n|---|---|---|---:|---|---|\n", h("ministry"), h("proposal"), h("due"), h("late"), h("answered"), h("evidence"))
	}
	for _, o := range br.Overdue {
		answered := bl(lang, "unanswered")[0]
		if o.Answered != "" {
			answered = o.Answered
		}
		title := o.ProposalID
		if o.Title != "" {
			title = mdEscape(o.Title) + " (" + o.ProposalID + ")"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %d | %s | %s |\n", name(o.MinistryZH, o.MinistryEN), title, o.Due, o.DaysLate, answered, positions(o.Events))
	}
	fmt.Fprintf(b, "\n# %s\n", h("appendix"))
}

// dueISO is the machine-readable instant of an overdue line's deadline:
// the instant itself (RFC 3339, UTC), or its last day for a report stored
// before the instant was recorded.
func dueISO(o Overdue) string {
	if o.DueAt.IsZero() {
		return o.Due
	}
	return o.DueAt.UTC().Format(time.RFC3339)
}

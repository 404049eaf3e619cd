package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/readmodels"
)

// The long lists of the pages (the transcript's utterances with their
// versions and diffs, the case's trail) are prepared in Go: every label is
// looked up once per page, every date formatted once, and each utterance's
// markup is written here with every value escaped (escape below), so the
// templates only print ready fields. html/template's per-call reflection
// over 200 utterances × versions × diff chunks was most of a transcript
// page's time.

// escape writes s HTML-escaped (text and quoted attribute values) to b:
// the characters html/template escapes in those contexts, so a page reads
// the same either way.
func escape(b *strings.Builder, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&#34;"
		case '\'':
			rep = "&#39;"
		case '+':
			rep = "&#43;"
		case 0:
			rep = "\uFFFD"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(rep)
		last = i + 1
	}
	b.WriteString(s[last:])
}

// pageLabels are the labels an utterance's markup uses, looked up once
// per page.
type pageLabels struct {
	p                                  *Page
	narration, removed, reason, edited string
	editor                             string
	diff, ins, insEnd, del, delEnd     string
	// actors caches Actor's text per actor.
	actors map[readmodels.Actor]string
	// changes caches the change labels.
	changes map[string]string
}

func newPageLabels(p *Page) *pageLabels {
	return &pageLabels{p: p,
		narration: p.T("meeting.narration"), removed: p.T("common.removed"), reason: p.T("common.reason"), edited: p.T("meeting.edited"),
		editor: p.T("meeting.editor"),
		diff:   p.T("meeting.diff"), ins: p.T("meeting.ins"), insEnd: p.T("meeting.ins.end"), del: p.T("meeting.del"), delEnd: p.T("meeting.del.end"),
		actors: map[readmodels.Actor]string{}, changes: map[string]string{}}
}

func (l *pageLabels) actor(a readmodels.Actor) string {
	if s, ok := l.actors[a]; ok {
		return s
	}
	s := l.p.Actor(a)
	l.actors[a] = s
	return s
}

func (l *pageLabels) change(c string) string {
	if s, ok := l.changes[c]; ok {
		return s
	}
	s := l.p.L("change", c)
	l.changes[c] = s
	return s
}

// timeTag writes <time datetime="…">…</time> for t.
func timeTag(b *strings.Builder, t time.Time) {
	b.WriteString(`<time datetime="`)
	b.WriteString(t.UTC().Format(time.RFC3339))
	b.WriteString(`">`)
	b.WriteString(formatTime(t))
	b.WriteString(`</time>`)
}

// utteranceHTML writes an utterance's <article>: what meeting.html showed
// with its template, every value escaped. badge is the ledger badge's
// markup (already safe), or "".
func utteranceHTML(b *strings.Builder, l *pageLabels, row *UtteranceRow, badge template.HTML) {
	u := &row.Utterance
	b.WriteString(`<article class="utterance `)
	escape(b, string(u.Kind))
	if u.Removed != nil {
		b.WriteString(` removed`)
	}
	b.WriteString(`" id="u-`)
	escape(b, u.UtteranceID)
	b.WriteString("\">\n    ")
	switch u.Kind {
	case domain.UtteranceSpeech:
		b.WriteString(`<h3 class="speaker">`)
		if u.Speaker != nil {
			escapeIn(b, l.p.Lang, u.Speaker.Name)
		}
		b.WriteString(`</h3>`)
	case "heading":
		b.WriteString(`<h3 class="heading">`)
		for _, t := range row.Text {
			escapeIn(b, l.p.Lang, t)
		}
		b.WriteString(`</h3>`)
	default:
		b.WriteString(`<p class="narration-label">`)
		escape(b, l.narration)
		b.WriteString(`</p>`)
	}
	b.WriteString("\n    ")
	if u.Kind != "heading" {
		for _, t := range row.Text {
			paragraphIn(b, l.p.Lang, t)
		}
	}
	if badge != "" {
		b.WriteString("\n    <p class=\"ledger\">")
		b.WriteString(string(badge))
		b.WriteString(`</p>`)
	}
	if u.Removed != nil {
		b.WriteString("\n    <p class=\"removed-note\"><strong>")
		escape(b, l.removed)
		b.WriteString(`</strong>: `)
		escapeIn(b, l.p.Lang, l.p.Kept(u.Removed.Reason, u.Removed.Erased))
		b.WriteString(`</p>`)
	}
	for _, ra := range u.Reattributions {
		b.WriteString("\n    <p class=\"reattributed\">")
		escape(b, reattributionText(l.p, ra))
		b.WriteString(` — `)
		escapeIn(b, l.p.Lang, ra.Reason)
		b.WriteString(` <span class="stamp">`)
		timeTag(b, ra.OccurredAt)
		b.WriteString(`</span></p>`)
	}
	switch {
	case len(row.Versions) > 0:
		b.WriteString("\n    <details class=\"versions\">\n      <summary><span class=\"edited-mark\">")
		escape(b, l.edited)
		b.WriteString(`</span> · `)
		escape(b, l.p.TF("meeting.versions", len(row.Versions)))
		b.WriteString("</summary>\n      <ol>")
		for i := range row.Versions {
			versionHTML(b, l, &row.Versions[i])
		}
		b.WriteString("\n      </ol>\n    </details>")
	}
	b.WriteString("\n  </article>\n")
}

// reattributionText says what a speaker reattribution changed: the name
// shown, the account it is linked to (its ID only in the auditors' view:
// it is personal), the source's reference; never "X → X".
func reattributionText(p *Page, ra readmodels.Reattribution) string {
	from, to := ra.From, ra.To
	var parts []string
	if from.Name != to.Name {
		parts = append(parts, p.TF("meeting.reattributed", from.Name, to.Name))
	} else {
		parts = append(parts, p.TF("meeting.reattributed.same", to.Name))
	}
	switch {
	case from.ActorID != to.ActorID && p.View == readmodels.Auditor:
		parts = append(parts, p.TF("meeting.account.ids", orDash(from.ActorID), orDash(to.ActorID)))
	case ra.Account != "":
		parts = append(parts, p.T("meeting.account."+ra.Account))
	}
	if from.Ref != to.Ref {
		parts = append(parts, p.TF("meeting.ref.changed", orDash(from.Ref), orDash(to.Ref)))
	}
	return strings.Join(parts, p.T("meeting.reattributed.sep"))
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// backdatedHTML marks an event a client dated in the past, with its
// reason (nothing when reason is empty).
func backdatedHTML(b *strings.Builder, label, reason string) {
	if reason == "" {
		return
	}
	b.WriteString(` <span class="backdated">`)
	escape(b, label)
	b.WriteString(`: `)
	escape(b, reason)
	b.WriteString(`</span>`)
}

func versionHTML(b *strings.Builder, l *pageLabels, v *VersionRow) {
	b.WriteString("\n        <li class=\"version\">\n          <p class=\"version-head\"><strong>")
	escape(b, l.p.TF("meeting.version", v.Version))
	b.WriteString(`</strong> · `)
	escape(b, l.change(v.Change))
	b.WriteString(` · `)
	timeTag(b, v.OccurredAt)
	backdatedHTML(b, l.p.T("common.backdated"), v.Backdated)
	b.WriteString(` · `)
	escape(b, l.actor(v.Actor))
	if v.Editor != "" && v.Editor != v.Actor.ID {
		// A staff change names whom it is attributed to (an archive's
		// editor); a speaker's own edit is the actor's.
		b.WriteString(` · `)
		escape(b, l.editor)
		b.WriteString(`: `)
		escapeIn(b, l.p.Lang, l.p.Kept(v.Editor, nil))
	}
	if v.Reason != "" {
		b.WriteString(` · `)
		escape(b, l.reason)
		b.WriteString(`: `)
		escapeIn(b, l.p.Lang, l.p.Kept(v.Reason, nil))
	}
	if v.Erased != nil {
		b.WriteString(` · <span class="erased">`)
		escape(b, l.p.Erased(v.Erased))
		b.WriteString(`</span>`)
	}
	b.WriteString("</p>\n          ")
	if len(v.Diff) > 0 {
		b.WriteString(`<div class="diff" role="group" aria-label="`)
		escape(b, l.diff)
		b.WriteString("\">\n          ")
		for _, dp := range v.Diff {
			b.WriteString(`<p class="diff-`)
			b.WriteString(dp.Kind)
			b.WriteString(`">`)
			for _, c := range dp.Chunks {
				switch c.Kind {
				case "ins":
					b.WriteString(`<ins><span class="sr-only">`)
					escape(b, l.ins)
					b.WriteString(`</span>`)
					escapeIn(b, l.p.Lang, c.Text)
					b.WriteString(`<span class="sr-only">`)
					escape(b, l.insEnd)
					b.WriteString(`</span></ins>`)
				case "del":
					b.WriteString(`<del><span class="sr-only">`)
					escape(b, l.del)
					b.WriteString(`</span>`)
					escapeIn(b, l.p.Lang, c.Text)
					b.WriteString(`<span class="sr-only">`)
					escape(b, l.delEnd)
					b.WriteString(`</span></del>`)
				default:
					escapeIn(b, l.p.Lang, c.Text)
				}
			}
			b.WriteString(`</p>`)
		}
		b.WriteString("\n          </div>")
	} else {
		for _, t := range v.Text {
			paragraphIn(b, l.p.Lang, t)
		}
	}
	b.WriteString("\n        </li>")
}

// Rendered pages go through pooled buffers.
var bufPool = sync.Pool{New: func() any { b := new(bytes.Buffer); b.Grow(64 << 10); return b }}

func getBuf() *bytes.Buffer { b := bufPool.Get().(*bytes.Buffer); b.Reset(); return b }

func putBuf(b *bytes.Buffer) {
	if b.Cap() > 4<<20 { // let an unusually large page go
		return
	}
	bufPool.Put(b)
}

// itoa64 formats a position.
func itoa64(n uint64) string { return strconv.FormatUint(n, 10) }

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// trailFields are the data fields a trail row shows (detailFields, in
// that order) and the first paragraph of an utterance. Decoding into a
// struct skips the rest of the document (a transcript import carries
// every utterance) without building maps of it.
type trailFields struct {
	Title      *string           `json:"title"`
	Name       *string           `json:"name"`
	To         *string           `json:"to"`
	Ministry   *string           `json:"ministry"`
	Verdict    *string           `json:"verdict"`
	Text       *string           `json:"text"`
	Answer     *string           `json:"answer"`
	Summary    *string           `json:"summary"`
	Reason     *string           `json:"reason"`
	Paragraphs []json.RawMessage `json:"paragraphs"`
	// Speaker is who spoke an utterance (its name is public).
	Speaker *struct {
		Name string `json:"name"`
	} `json:"speaker"`
	// Paragraph is the first paragraph, when it is a string
	// (HasParagraph).
	Paragraph    string `json:"-"`
	HasParagraph bool   `json:"-"`
}

// field returns detailFields[i]'s value ("" when absent or not a string).
func (f *trailFields) field(i int) string {
	var p *string
	switch detailFields[i] {
	case "title":
		p = f.Title
	case "name":
		p = f.Name
	case "to":
		p = f.To
	case "ministry":
		p = f.Ministry
	case "verdict":
		p = f.Verdict
	case "text":
		p = f.Text
	case "answer":
		p = f.Answer
	case "summary":
		p = f.Summary
	case "reason":
		p = f.Reason
	}
	if p == nil {
		return ""
	}
	return *p
}

// decodeTrailFields reads an entry's data into f. A field of another type
// than string is left out (as is a document that is not a JSON object).
func decodeTrailFields(data []byte, f *trailFields) bool {
	err := json.Unmarshal(data, f)
	var te *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &te) {
		return false
	}
	if len(f.Paragraphs) > 0 && len(f.Paragraphs[0]) > 0 && f.Paragraphs[0][0] == '"' {
		var s string
		if json.Unmarshal(f.Paragraphs[0], &s) == nil {
			f.Paragraph, f.HasParagraph = s, true
		}
	}
	return true
}

// ledgerMarks shows, beside each trail entry or utterance, whether the
// latest signed checkpoint includes its event. It asks the transparency
// log once per page for all the page's events (Badges: one lookup in the
// tree, one query in PostgreSQL), by event ID, so that it holds for every
// store, whether its positions are dense or not (KurrentDB's are not). No
// proof is computed per entry; the badge links to the proof API.
type ledgerMarks struct {
	// on: the server has a transparency log that answered.
	on bool
	// covered holds the page's events the latest checkpoint includes.
	covered map[string]uuid.UUID
	// included is the label with the size filled in; pending the other;
	// proof the link's title; proofLink the short label of an
	// utterance's link to its proof (the transcript says the checkpoint
	// once, in its summary).
	included, pending, proof, proofLink string
	// size is the latest checkpoint's tree size.
	size int64
}

// ledgerMarks looks up the badges of the events of eventIDs, the page's.
func (s *server) ledgerMarks(ctx context.Context, p *Page, eventIDs []string) *ledgerMarks {
	m := &ledgerMarks{}
	if s.cfg.Proofs == nil {
		return m
	}
	ids := make([]uuid.UUID, 0, len(eventIDs))
	for _, id := range eventIDs {
		if u, err := uuid.Parse(id); err == nil {
			ids = append(ids, u)
		}
	}
	badges, err := Badges(ctx, s.cfg.Proofs, ids)
	if err != nil {
		s.cfg.Logger.Warn("pages: ledger badges", "err", err)
		return m
	}
	var size int64
	m.covered = make(map[string]uuid.UUID, len(ids))
	for i, b := range badges {
		size = max(size, b.CheckpointSize)
		if b.Included {
			m.covered[ids[i].String()] = ids[i]
		}
	}
	m.on, m.size = true, size
	m.included = p.TF("ledger.included", size)
	m.pending = p.T("ledger.pending")
	m.proof = p.T("ledger.proof")
	m.proofLink = p.T("ledger.proof.link")
	return m
}

// LedgerSummary is the one line a transcript page shows about its
// utterances' inclusion in the latest signed checkpoint, instead of the
// same words beside every utterance.
type LedgerSummary struct {
	// Utterances counts the page's utterances with a recorded version;
	// Included those the checkpoint of size Size includes.
	Utterances, Included int
	Size                 int64
}

// summary counts the utterances of eventIDs that the checkpoint includes;
// nil when there is no transparency log or nothing to count.
func (m *ledgerMarks) summary(eventIDs []string) *LedgerSummary {
	if m == nil || !m.on || len(eventIDs) == 0 {
		return nil
	}
	ls := &LedgerSummary{Utterances: len(eventIDs), Size: m.size}
	for _, id := range eventIDs {
		if _, ok := m.covered[strings.ToLower(id)]; ok {
			ls.Included++
		}
	}
	return ls
}

// LedgerSummary is the transcript's line about the checkpoint that
// includes its utterances (paged: the ones on this page), in the page's
// language.
func (p *Page) LedgerSummary(ls *LedgerSummary, paged bool) string {
	if ls == nil {
		return ""
	}
	key := "ledger.summary"
	if paged {
		key = "ledger.summary.page"
	}
	switch {
	case ls.Included == ls.Utterances:
		return p.TF(key+".all", ls.Utterances, ls.Size)
	case ls.Included == 0:
		return p.TF(key+".none", ls.Utterances)
	}
	return p.TF(key+".some", ls.Included, ls.Utterances, ls.Size, ls.Utterances-ls.Included)
}

// trailEventIDs are the events of a page of trail entries.
func trailEventIDs(entries []readmodels.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.EventID
	}
	return out
}

// utteranceEventIDs are the events of a page of utterances' current
// versions.
func utteranceEventIDs(us []readmodels.Utterance) []string {
	out := make([]string, 0, len(us))
	for _, u := range us {
		if len(u.Versions) > 0 {
			out = append(out, u.Versions[len(u.Versions)-1].EventID)
		}
	}
	return out
}

// badge is the markup of the badge of the event at pos with ID id.
func (m *ledgerMarks) badge(pos eventstore.Position, id string) template.HTML {
	return m.mark(pos, id, false)
}

// utteranceBadge is badge for an utterance of a transcript: a short link
// to its proof when included (the page's LedgerSummary names the
// checkpoint once), "not yet checkpointed" when not.
func (m *ledgerMarks) utteranceBadge(pos eventstore.Position, id string) template.HTML {
	return m.mark(pos, id, true)
}

func (m *ledgerMarks) mark(pos eventstore.Position, id string, short bool) template.HTML {
	if m == nil || !m.on || pos == 0 {
		return ""
	}
	var b strings.Builder
	if u, ok := m.covered[strings.ToLower(id)]; ok {
		b.WriteString(`<a class="ledger-badge included" href="`)
		escape(&b, InclusionProofURL(u))
		b.WriteString(`" title="`)
		escape(&b, m.proof)
		b.WriteString(`">`)
		if short {
			escape(&b, m.proofLink)
		} else {
			escape(&b, m.included)
		}
		b.WriteString(`</a>`)
	} else {
		b.WriteString(`<span class="ledger-badge pending">`)
		escape(&b, m.pending)
		b.WriteString(`</span>`)
	}
	return template.HTML(b.String())
}

// trailHTML writes the case trail's rows (<tr>…</tr>, as case.html showed
// them with its template), every value escaped, each cell labelled by its
// column for the narrow screen's reflow, what people wrote marked with its
// language.
func trailHTML(p *Page, rows []TrailRow) template.HTML {
	redacted, backdated := p.T("case.trail.redacted"), p.T("common.backdated")
	var col [6]string
	for i, k := range []string{"common.occurred", "case.trail.step", "case.trail.detail", "common.actor", "common.recorded", "common.position"} {
		col[i] = template.HTMLEscapeString(p.T(k))
	}
	var b strings.Builder
	b.Grow(len(rows) * 800)
	for i := range rows {
		r := &rows[i]
		b.WriteString("<tr>\n    <td data-label=\"" + col[0] + "\"><time datetime=\"")
		escape(&b, r.OccurredISO)
		b.WriteString(`">`)
		escape(&b, r.OccurredText)
		b.WriteString("</time>")
		backdatedHTML(&b, backdated, r.Backdated)
		b.WriteString("</td>\n    <th scope=\"row\" data-label=\"" + col[1] + "\">")
		escape(&b, r.StepLabel)
		b.WriteString(` <code>`)
		escape(&b, r.Type)
		b.WriteString("</code></th>\n    <td data-label=\"" + col[2] + "\">")
		for _, d := range r.Details {
			b.WriteString(`<span class="detail">`)
			escape(&b, d.Label)
			b.WriteString(`: `)
			escapeIn(&b, p.Lang, d.Value)
			b.WriteString(`</span> `)
		}
		if r.Link != "" {
			// Link is built from path-escaped IDs (trailRow); escape
			// keeps it inside its attribute.
			b.WriteString(`<a href="`)
			escape(&b, r.Link)
			b.WriteString(`">→</a>`)
		}
		if r.Redacted {
			b.WriteString(` <em class="redacted">(`)
			escape(&b, redacted)
			b.WriteString(`)</em>`)
		}
		b.WriteString("</td>\n    <td data-label=\"" + col[3] + "\">")
		escapeIn(&b, p.Lang, r.ActorText)
		b.WriteString("</td>\n    <td data-label=\"" + col[4] + "\"><time datetime=\"")
		escape(&b, r.RecordedISO)
		b.WriteString(`">`)
		escape(&b, r.RecordedText)
		b.WriteString("</time></td>\n    <td data-label=\"" + col[5] + "\">")
		b.WriteString(itoa64(uint64(r.Position)))
		if r.Badge != "" {
			b.WriteString(" ")
			b.WriteString(string(r.Badge))
		}
		b.WriteString("</td>\n  </tr>")
	}
	return template.HTML(b.String())
}

// escapeIn writes s escaped, inside <span lang="…"> when it is written in
// another language than the page's (langAttr).
func escapeIn(b *strings.Builder, page, s string) {
	if a := langAttr(page, s); a != "" {
		b.WriteString(`<span`)
		b.WriteString(a)
		b.WriteString(`>`)
		escape(b, s)
		b.WriteString(`</span>`)
		return
	}
	escape(b, s)
}

// paragraphIn writes s as a <p>, marked with its language when it is not
// the page's.
func paragraphIn(b *strings.Builder, page, s string) {
	b.WriteString(`<p`)
	b.WriteString(langAttr(page, s))
	b.WriteString(`>`)
	escape(b, s)
	b.WriteString(`</p>`)
}

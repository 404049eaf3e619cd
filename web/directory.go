package web

import (
	"context"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/readmodels"
	"github.com/pdis/collab-ledger/reports"
)

// The directory: what the home page and the lists show, derived from the
// read models once per change of the log and kept between requests. A
// request reads the store's head (one small read); while it is the head the
// directory was built at, the lists are answered from memory. When the log
// has grown, one request rebuilds it (after the read models it reads have
// caught up with that head) while the others keep answering from the
// previous one: under a flood of writes the lists lag by at most one
// rebuild, never by a growing queue of them.

// directory is one build of the lists.
type directory struct {
	head      eventstore.Position
	built     time.Time
	proposals []readmodels.ProposalTally
	meetings  []readmodels.MeetingRecord
	monthly   []readmodels.MonthlyTally
	cases     []readmodels.CaseSummary
	pos       []readmodels.POEntry
	names     *MinistryNames
}

// directoryCache holds the latest directory.
type directoryCache struct {
	cur atomic.Pointer[directory]
	mu  sync.Mutex
}

// waiter is the part of a *projections.Runner that waits for a read model
// to reach a position.
type waiter interface {
	WaitFor(ctx context.Context, projection string, pos eventstore.Position) error
}

// directoryModels are the read models the directory reads.
var directoryModels = []string{readmodels.TalliesName, readmodels.TranscriptsName, readmodels.CaseBoardName, readmodels.DirectoryName}

// directory returns the lists as of the log's head.
func (s *server) directory(ctx context.Context) (*directory, error) {
	if s.cfg.Queries == nil {
		return nil, errNoReadModels
	}
	head, err := s.cfg.Store.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("directory: head: %w", err)
	}
	c := &s.dir
	if d := c.cur.Load(); d != nil && d.head == head {
		return d, nil
	}
	if !c.mu.TryLock() {
		if d := c.cur.Load(); d != nil {
			return d, nil // another request is rebuilding it
		}
		c.mu.Lock()
	}
	defer c.mu.Unlock()
	if d := c.cur.Load(); d != nil && d.head >= head {
		return d, nil
	}
	d, err := s.buildDirectory(ctx, head)
	if err != nil {
		return nil, err
	}
	c.cur.Store(d)
	return d, nil
}

// buildDirectory reads the lists once the read models reflect head.
func (s *server) buildDirectory(ctx context.Context, head eventstore.Position) (*directory, error) {
	if w, ok := s.cfg.Queries.(waiter); ok && head > 0 {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		for _, name := range directoryModels {
			if err := w.WaitFor(wctx, name, head); err != nil {
				// Build from what there is; the next change rebuilds it.
				s.cfg.Logger.Warn("directory: read model behind the log", "projection", name, "head", head, "err", err)
				break
			}
		}
		cancel()
	}
	d := &directory{head: head, built: time.Now()}
	var err error
	if d.proposals, err = readmodels.ProposalList(ctx, s.cfg.Queries.Reader(readmodels.TalliesName), readmodels.Public); err != nil {
		return nil, err
	}
	if d.monthly, err = readmodels.MonthlyList(ctx, s.cfg.Queries.Reader(readmodels.TalliesName)); err != nil {
		return nil, err
	}
	if d.meetings, err = readmodels.MeetingList(ctx, s.cfg.Queries.Reader(readmodels.TranscriptsName), readmodels.Public); err != nil {
		return nil, err
	}
	if d.cases, err = readmodels.Cases(ctx, s.cfg.Queries.Reader(readmodels.CaseBoardName), readmodels.CaseFilter{}); err != nil {
		return nil, err
	}
	reg := s.cfg.Queries.Reader(readmodels.DirectoryName)
	ms, err := readmodels.Ministries(ctx, reg)
	if err != nil {
		return nil, err
	}
	if d.pos, err = readmodels.POs(ctx, reg, ""); err != nil {
		return nil, err
	}
	d.names = newMinistryNames(ms)
	// Codes the registry never named still get a row (and a name if the
	// ledger knows one).
	for _, p := range d.proposals {
		d.names.add(p.CompetentMinistry)
	}
	for _, c := range d.cases {
		d.names.add(c.Lead)
		for _, m := range c.CoOrganisers {
			d.names.add(m)
		}
	}
	for _, m := range d.meetings {
		d.names.add(m.Organiser)
	}
	return d, nil
}

// MinistryNames turns ministry codes into names, in Chinese and English:
// the name the PO registry recorded, else the official name the ledger
// knows (reports.KnownMinistry); the English name where one is known. It
// also turns what a person types into a filter (a code, or part of a name
// in either language) into the codes it means.
type MinistryNames struct {
	byCode map[string]*MinistryName
}

// MinistryName is one ministry's or agency's names.
type MinistryName struct {
	Code string
	Zh   string
	// En is the English name; empty when none is known.
	En     string
	Parent string
	// Registered says whether the PO registry recorded it.
	Registered bool
	Entry      *readmodels.MinistryEntry
}

func newMinistryNames(ms []readmodels.MinistryEntry) *MinistryNames {
	n := &MinistryNames{byCode: map[string]*MinistryName{}}
	for i := range ms {
		m := &ms[i]
		mn := &MinistryName{Code: m.MinistryID, Zh: m.Name, Parent: m.Parent, Registered: true, Entry: m}
		if zh, en, ok := reports.KnownMinistry(m.MinistryID); ok {
			mn.En = en
			if mn.Zh == "" {
				mn.Zh = zh
			}
		}
		n.byCode[m.MinistryID] = mn
	}
	return n
}

// add gives a code the registry never named a row.
func (n *MinistryNames) add(code string) {
	if code == "" || n.byCode[code] != nil {
		return
	}
	mn := &MinistryName{Code: code}
	if zh, en, ok := reports.KnownMinistry(code); ok {
		mn.Zh, mn.En = zh, en
	}
	n.byCode[code] = mn
}

// Get returns a code's names (nil for a code nobody mentions).
func (n *MinistryNames) Get(code string) *MinistryName {
	if n == nil {
		return nil
	}
	return n.byCode[code]
}

// All returns every ministry and agency, by code.
func (n *MinistryNames) All() []*MinistryName {
	if n == nil {
		return nil
	}
	out := make([]*MinistryName, 0, len(n.byCode))
	for _, m := range n.byCode {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b *MinistryName) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// In returns the name in lang and the language it is in: the Chinese
// name on Chinese pages; the English name on English pages, or the Chinese
// name when no English one is known; the code when there is no name.
func (m *MinistryName) In(lang string) (name, nameLang string) {
	switch {
	case m == nil:
		return "", ""
	case lang == LangEn && m.En != "":
		return m.En, LangEn
	case m.Zh != "":
		return m.Zh, LangZhHant
	case m.En != "":
		return m.En, LangEn
	}
	return m.Code, ""
}

// Resolve returns the codes a filter's text means: a code (any case), or
// every ministry whose Chinese or English name contains the text (any
// case). Nothing matched returns nil; "" returns nil too.
func (n *MinistryNames) Resolve(text string) []string {
	t := strings.TrimSpace(text)
	if t == "" || n == nil {
		return nil
	}
	if _, ok := n.byCode[t]; ok {
		return []string{t}
	}
	lt := strings.ToLower(t)
	var out []string
	for code, m := range n.byCode {
		if strings.ToLower(code) == lt || strings.Contains(m.Zh, t) || m.En != "" && strings.Contains(strings.ToLower(m.En), lt) {
			out = append(out, code)
		}
	}
	slices.Sort(out)
	return out
}

// M shows a ministry code as its name in the page's language, marked with
// its own language when that differs from the page's; the code stays in
// the title attribute. A code nobody named shows as the code.
func (p *Page) M(id any) template.HTML {
	code := fmt.Sprint(id)
	if code == "" {
		return ""
	}
	name, nameLang := p.Names.Get(code).In(p.Lang)
	if name == "" {
		name = code
	}
	esc := template.HTMLEscapeString
	if nameLang != "" && nameLang != p.Lang {
		return template.HTML(`<span lang="` + nameLang + `" title="` + esc(code) + `">` + esc(name) + `</span>`)
	}
	return template.HTML(`<span title="` + esc(code) + `">` + esc(name) + `</span>`)
}

// MS shows a list of ministry codes as their names.
func (p *Page) MS(codes []string) template.HTML {
	var b strings.Builder
	for i, c := range codes {
		if i > 0 {
			b.WriteString("、")
		}
		b.WriteString(string(p.M(c)))
	}
	return template.HTML(b.String())
}

// MName is a ministry's plain name in the page's language (for titles).
func (p *Page) MName(code string) string {
	name, _ := p.Names.Get(code).In(p.Lang)
	if name == "" {
		return code
	}
	return name
}

// ministriesMeant resolves a ministry filter's text (a code, or part of a
// name in either language) into the codes it means; nil for no filter. A
// text that names no ministry means only itself, so that it selects
// nothing rather than everything.
func (s *server) ministriesMeant(ctx context.Context, text string) (map[string]bool, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, nil
	}
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{text: true}
	for _, c := range d.names.Resolve(text) {
		set[c] = true
	}
	return set, nil
}

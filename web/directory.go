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
// read models they read and kept between requests. It is keyed by those
// read models' change positions (projections.Runner.Changed), not by the
// log's head: an event none of them folds — a transparency checkpoint,
// an event of another read model — leaves the directory as it is. When one
// of them has changed, the request that notices starts one rebuild in the
// background and is answered from the previous build, as are the requests
// that arrive while it runs: a list lags a change by at most one rebuild,
// and no request waits for one, except the very first (there is no
// previous build to answer from). Rebuilds follow each other no faster
// than rebuildGap times the last one's duration, so that a flood of writes
// (an import, a read model catching up at start) cannot keep a core busy
// rebuilding. What depends on the clock as well — a proposal's state, the
// days a response is late, which meetings are upcoming — is a listView of
// the directory, kept until the first instant any of it changes
// (lists_view.go). Decision 0038.

// directoryModels are the read models the directory reads.
var directoryModels = [...]string{readmodels.TalliesName, readmodels.TranscriptsName, readmodels.CaseBoardName, readmodels.DirectoryName}

// directoryKey is what a directory was built from: the directory's read
// models' Changed positions, in directoryModels' order, or, when the read
// models cannot tell (no changeStamper), the log's head.
type directoryKey struct {
	changed [len(directoryModels)]eventstore.Position
	head    eventstore.Position
}

// changeStamper is the part of a *projections.Runner that says when a
// read model last changed.
type changeStamper interface {
	Changed(projection string) (eventstore.Position, error)
}

// directory is one build of the lists.
type directory struct {
	key directoryKey
	// seq numbers the builds of the server, from 1.
	seq       uint64
	built     time.Time
	proposals []readmodels.ProposalTally
	// listFacts: some proposal's missing signature list is recorded as a
	// fact (decision 0056), so none is inferred.
	listFacts bool
	meetings  []readmodels.MeetingRecord
	monthly   []readmodels.MonthlyTally
	cases     []readmodels.CaseSummary
	pos       []readmodels.POEntry
	names     *MinistryNames

	// What the lists derive from it that does not depend on the clock
	// (directoryOrders): each list's rows in each of its sort orders, as
	// indexes into proposals and meetings.
	proposalOrder map[string][]int
	meetingOrder  map[string][]int
	// caseOrgs are each case's lead and co-organisers.
	caseOrgs map[string][]string
	// monthlyRows are the monthly votes, latest first.
	monthlyRows []MonthlyRow

	// view is the lists at a moment (lists_view.go); viewMu serialises
	// making the next one.
	view   atomic.Pointer[listView]
	viewMu sync.Mutex
}

// directoryCache holds the latest directory.
type directoryCache struct {
	cur atomic.Pointer[directory]
	// mu is held by the build in progress, if any.
	mu sync.Mutex
	// building is set while a background rebuild runs; next is the
	// earliest time the next may start (rebuildGap).
	building atomic.Bool
	next     atomic.Int64
	// builds and views number the builds and the list views.
	builds, views atomic.Uint64
}

// rebuildGap: a background rebuild starts no sooner after the last one
// ended than this many times as long as it took.
const rebuildGap = 4

// waiter is the part of a *projections.Runner that waits for a read model
// to reach a position.
type waiter interface {
	WaitFor(ctx context.Context, projection string, pos eventstore.Position) error
}

// directory returns the lists as of the latest build; a build older than
// the read models it reads is answered all the same while a rebuild runs
// in the background.
func (s *server) directory(ctx context.Context) (*directory, error) {
	if s.cfg.Queries == nil {
		return nil, errNoReadModels
	}
	key, err := s.directoryKey(ctx)
	if err != nil {
		return nil, err
	}
	c := &s.dir
	if d := c.cur.Load(); d != nil {
		if d.key != key {
			s.rebuildDirectory()
		}
		return d, nil
	}
	// The first build: every request waits for it.
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := c.cur.Load(); d != nil {
		return d, nil
	}
	if _, err := s.buildDirectory(ctx, true); err != nil {
		return nil, err
	}
	return c.cur.Load(), nil
}

// freshWait bounds how long a form waits for the lists to include what
// the log holds when it is asked for.
const freshWait = 3 * time.Second

// freshDirectory returns the lists as of the log's head when it is called,
// for a form's pickers: a person who has just registered a ministry or a
// PO is offered it on the next form, where directory may still answer an
// older build while a rebuild runs. It waits (at most freshWait) for the
// lists' read models to fold the head and builds the lists anew if the
// current build is older; past the wait, or if the head cannot be read,
// it answers the build there is.
func (s *server) freshDirectory(ctx context.Context) (*directory, error) {
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	head, err := s.cfg.Store.Head(ctx)
	if err != nil {
		s.cfg.Logger.Warn("directory: head for a form", "err", err)
		return d, nil
	}
	if !s.listsReached(ctx, head, freshWait) {
		return d, nil
	}
	key, err := s.directoryKey(ctx)
	if err != nil || key == d.key {
		return d, nil
	}
	c := &s.dir
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur := c.cur.Load(); cur != nil && cur.key == key {
		return cur, nil // a rebuild that ran meanwhile
	}
	nd, err := s.buildDirectory(ctx, false)
	if err != nil {
		s.cfg.Logger.Warn("directory: rebuild for a form failed", "err", err)
		return d, nil
	}
	return nd, nil
}

// listsReached waits, at most wait, for the lists' read models to fold
// head, and reports whether they did; one that did not is logged. Without
// read models that can wait (or with no head), there is nothing to wait
// for.
func (s *server) listsReached(ctx context.Context, head eventstore.Position, wait time.Duration) bool {
	w, ok := s.cfg.Queries.(waiter)
	if !ok || head == 0 {
		return true
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for _, name := range directoryModels {
		if err := w.WaitFor(wctx, name, head); err != nil {
			s.cfg.Logger.Warn("directory: read model behind the log", "projection", name, "head", head, "err", err)
			return false
		}
	}
	return true
}

// directoryKey reads what the directory would be built from now.
func (s *server) directoryKey(ctx context.Context) (directoryKey, error) {
	if k, ok := s.changeStamps(); ok {
		return k, nil
	}
	head, err := s.cfg.Store.Head(ctx)
	if err != nil {
		return directoryKey{}, fmt.Errorf("directory: head: %w", err)
	}
	return directoryKey{head: head}, nil
}

// changeStamps returns the directory's read models' Changed positions;
// ok is false when the read models cannot tell (Queries is no
// changeStamper, or does not run one of them): the log's head keys the
// directory then.
func (s *server) changeStamps() (k directoryKey, ok bool) {
	cs, ok := s.cfg.Queries.(changeStamper)
	if !ok {
		return k, false
	}
	for i, name := range directoryModels {
		p, err := cs.Changed(name)
		if err != nil {
			return directoryKey{}, false
		}
		k.changed[i] = p
	}
	return k, true
}

// rebuildDirectory starts a rebuild in the background, unless one runs or
// the last ended too recently (the next request after that starts it).
func (s *server) rebuildDirectory() {
	c := &s.dir
	if time.Now().UnixNano() < c.next.Load() || !c.building.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer c.building.Store(false)
		c.mu.Lock()
		defer c.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		start := time.Now()
		if _, err := s.buildDirectory(ctx, false); err != nil {
			// The previous build goes on answering; the next request
			// after the gap tries again.
			s.cfg.Logger.Warn("directory: rebuild failed", "err", err)
		}
		took := time.Since(start)
		c.next.Store(time.Now().Add(rebuildGap * took).UnixNano())
	}()
}

// buildDirectory reads the lists and makes them the current build (c.mu
// held). The first build waits (a little) for the read models to reach
// the log's head, so that a server just started does not show its lists
// half caught up when they are about to be whole.
func (s *server) buildDirectory(ctx context.Context, first bool) (*directory, error) {
	_, stamped := s.changeStamps()
	var head eventstore.Position
	if first || !stamped {
		var err error
		if head, err = s.cfg.Store.Head(ctx); err != nil {
			return nil, fmt.Errorf("directory: head: %w", err)
		}
	}
	// Behind after the wait: build from what there is; the next change
	// rebuilds it.
	s.listsReached(ctx, head, 5*time.Second)
	// Without change positions, the build is of the head it waited for.
	// With them, the key is read before the documents: what they show is
	// at least as new as it, so a later change moves the key past it.
	key := directoryKey{head: head}
	if stamped {
		key, _ = s.changeStamps()
	}
	d, err := s.readDirectory(ctx, key)
	if err != nil {
		return nil, err
	}
	d.seq = s.dir.builds.Add(1)
	s.dir.cur.Store(d)
	s.cfg.Logger.Info("directory: built", "build", d.seq, "took", time.Since(d.built), "proposals", len(d.proposals), "meetings", len(d.meetings))
	return d, nil
}

// readDirectory reads the lists from the read models.
func (s *server) readDirectory(ctx context.Context, key directoryKey) (*directory, error) {
	d := &directory{key: key, built: time.Now()}
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
		d.listFacts = d.listFacts || p.SignatureListMissing
		d.names.add(p.CompetentMinistry)
		for _, m := range slices.Concat(p.Leads, p.CoOrganisers) {
			d.names.add(m)
		}
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
	d.orders()
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

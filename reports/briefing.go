package reports

import (
	"cmp"
	"slices"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
)

// Briefing is the report's lead, for the Premier (issue #17 item 8): the
// period's headlines against the previous period, a table of the cases
// under way, and the named list of who is late. The figure sections follow
// it as an appendix. Everything in it is folded from the same events as
// the figures, up to the report's position, and names the events behind
// it.
type Briefing struct {
	// PreviousFrom and PreviousTo are the period the headlines compare
	// with (To exclusive): as many calendar months just before, for a
	// period of whole months, else as many days.
	PreviousFrom time.Time `json:"previousFrom"`
	PreviousTo   time.Time `json:"previousTo"`
	// AsOf is the last day (Taipei) the cases and the overdue list stand
	// at: the period's last day.
	AsOf      string     `json:"asOf"`
	Headlines []Headline `json:"headlines"`
	Cases     []CaseLine `json:"cases"`
	Overdue   []Overdue  `json:"overdue"`
}

// Headline is one of the period's headline numbers beside the previous
// period's. Key names the figure (or, for a total, the section) of the
// appendix it sums.
type Headline struct {
	Key      string  `json:"key"`
	ZH       string  `json:"zh"`
	EN       string  `json:"en"`
	Value    float64 `json:"value"`
	Previous float64 `json:"previous"`
	// Source is the events behind Value; PreviousSource those behind
	// Previous (the same query over the previous period).
	Source         Source `json:"source"`
	PreviousSource Source `json:"previousSource"`
}

// CaseLine is one case under way in the period (opened before its end and
// not closed before its start, nor its archive record ended before its
// start), as it stood at the period's end.
type CaseLine struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Stage is the case's stage at the period's end (for a historical case,
	// its last known stage).
	Stage string `json:"stage"`
	// Historical: the archive's record of the imported case ended within
	// the period; its outcome is not in the archive (decision 0028).
	Historical bool `json:"historical,omitempty"`
	// Lead is the lead ministry's code at the period's end ("" none yet;
	// an imported case without one: its linked Join proposal's lead),
	// LeadZH and LeadEN its names.
	Lead            string           `json:"lead,omitempty"`
	LeadZH          string           `json:"leadZh,omitempty"`
	LeadEN          string           `json:"leadEn,omitempty"`
	Recommendations []Recommendation `json:"recommendations,omitempty"`
	Directive       *Directive       `json:"directive,omitempty"`
	// Events are the opening, the stage change and lead assignment in
	// force, and every recommendation, response and directive shown.
	Events []Ref `json:"events"`
}

// Recommendation is a case's recommendation with each addressed
// ministry's verdict.
type Recommendation struct {
	ID       string    `json:"id"`
	Text     string    `json:"text"`
	Verdicts []Verdict `json:"verdicts"`
}

// Verdict is one addressed ministry's response to a recommendation:
// Verdict is "" when it had not responded by the period's end.
type Verdict struct {
	Ministry   string `json:"ministry"`
	MinistryZH string `json:"ministryZh"`
	MinistryEN string `json:"ministryEn"`
	Verdict    string `json:"verdict,omitempty"`
	// Event is the response's position (0: none).
	Event uint64 `json:"event,omitempty"`
}

// Directive is the Premier's directive on a case.
type Directive struct {
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// Overdue is a ministry late with its response to an established proposal:
// still unanswered after the last day that counts (as of the period's last
// day), or answered late within the period.
type Overdue struct {
	Ministry   string `json:"ministry"`
	MinistryZH string `json:"ministryZh"`
	MinistryEN string `json:"ministryEn"`
	ProposalID string `json:"proposalId"`
	Title      string `json:"title"`
	// Due is the last day that counts (Asia/Taipei), after extensions.
	Due string `json:"due"`
	// DueAt is the instant the deadline in force passes (24:00 Taipei at
	// the end of Due, for a deadline of whole days); zero in a report
	// stored before it was recorded.
	DueAt time.Time `json:"dueAt,omitzero"`
	// Answered is the day of the late response ("" unanswered).
	Answered string `json:"answered,omitempty"`
	// DaysLate counts the days after Due to Answered or, unanswered, to
	// Briefing.AsOf.
	DaysLate int `json:"daysLate"`
	// Events are the establishment, extensions, response and recorded miss.
	Events []Ref `json:"events"`
}

// PreviousPeriod is the period just before p, as long: as many calendar
// months when p runs from the first of a month (Taipei) to the first of a
// month, else as many days.
func PreviousPeriod(p Period) Period {
	f, t := p.From.In(calendar.Taipei), p.To.In(calendar.Taipei)
	if f.Day() == 1 && t.Day() == 1 && isMidnight(f) && isMidnight(t) {
		months := (t.Year()-f.Year())*12 + int(t.Month()-f.Month())
		return Period{From: f.AddDate(0, -months, 0), To: f}
	}
	days := int(t.Sub(f).Hours()/24 + 0.5)
	return Period{From: f.AddDate(0, 0, -days), To: f}
}

func isMidnight(t time.Time) bool {
	return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// briefCase is what the briefing keeps of a case while folding.
type briefCase struct {
	title    string
	recs     []*briefRec
	recByID  map[string]*briefRec
	dir      *Directive
	dirRef   eref
	closedAt time.Time // when it last entered closed (zero: not closed)
}

type briefRec struct {
	id, text   string
	addressees []string
	ref        eref
	verdicts   map[string]string
	vrefs      map[string]eref
}

// briefProposal is what the briefing keeps of a proposal, as of the
// period's end.
type briefProposal struct {
	title string
	dueAt time.Time // the response deadline in force (zero: not established)
	refs  []eref    // establishment, extensions
	// answers are each lead's (decision 0048).
	answers leadAnswers
}

// briefingFold is the briefing's part of the fold: the titles, the texts
// and the verdicts the figures do not keep, as of the period's end.
type briefingFold struct {
	cases     map[string]*briefCase
	proposals map[string]*briefProposal
}

func newBriefingFold() *briefingFold {
	return &briefingFold{cases: map[string]*briefCase{}, proposals: map[string]*briefProposal{}}
}

func (b *briefingFold) proposal(id string) *briefProposal {
	p := b.proposals[id]
	if p == nil {
		p = &briefProposal{}
		b.proposals[id] = p
	}
	return p
}

// add folds one decoded event that happened at at (before the period's
// end: the caller checks), referenced by r.
func (b *briefingFold) add(de domain.Event, r eref, at time.Time) {
	switch e := de.(type) {
	case domain.ProposalSubmitted:
		b.proposal(string(e.ProposalID)).title = e.Title
	case domain.ProposalEstablished:
		p := b.proposal(string(e.ProposalID))
		p.answers.setLeads(e.LeadMinistries())
		p.dueAt, p.refs = e.ResponseDueAt, append(p.refs, r)
	case domain.ProposalLeadsAssigned:
		b.proposal(string(e.ProposalID)).answers.assign(e.Leads)
	case domain.ProposalResponseDeadlineExtended:
		p := b.proposal(string(e.ProposalID))
		p.dueAt, p.refs = e.DueAt, append(p.refs, r)
	case domain.ProposalResponded:
		p := b.proposal(string(e.ProposalID))
		p.answers.respond(string(e.Ministry), e.OnTime, at, r)
		p.dueAt = e.DueAt
	case domain.ProposalResponseDeadlineMissed:
		p := b.proposal(string(e.ProposalID))
		p.answers.miss(string(e.Ministry), r)
		p.dueAt = e.DueAt
	case domain.CaseOpened:
		b.cases[string(e.CaseID)] = &briefCase{title: e.Title, recByID: map[string]*briefRec{}}
	case domain.CaseStageChanged:
		if cs := b.cases[string(e.CaseID)]; cs != nil {
			cs.closedAt = time.Time{}
			if e.To == domain.StageClosed {
				cs.closedAt = at
			}
		}
	case domain.CaseRecommendationRecorded:
		if cs := b.cases[string(e.CaseID)]; cs != nil {
			rec := &briefRec{id: string(e.RecommendationID), text: e.Text, ref: r, verdicts: map[string]string{}, vrefs: map[string]eref{}}
			for _, m := range e.Addressees {
				rec.addressees = append(rec.addressees, string(m))
			}
			if old := cs.recByID[rec.id]; old != nil {
				*old = *rec
			} else {
				cs.recs = append(cs.recs, rec)
				cs.recByID[rec.id] = rec
			}
		}
	case domain.CaseResponseRecorded:
		if cs := b.cases[string(e.CaseID)]; cs != nil {
			if rec := cs.recByID[string(e.RecommendationID)]; rec != nil {
				m := string(e.Ministry)
				rec.verdicts[m], rec.vrefs[m] = string(e.Verdict), r
				if !slices.Contains(rec.addressees, m) {
					rec.addressees = append(rec.addressees, m)
				}
			}
		}
	case domain.CaseDirectiveRecorded:
		if cs := b.cases[string(e.CaseID)]; cs != nil {
			cs.dir, cs.dirRef = &Directive{Kind: string(e.Kind), Text: e.Text}, r
		}
	}
}

// headlineDefs are the briefing's headlines: a figure's key, or a
// section's key for the total of its figures.
var headlineDefs = []struct {
	key, zh, en string
	section     bool
}{
	{"proposals.published", "公開提案", "Proposals published", false},
	{"proposals.established", "成案", "Proposals established", false},
	{"proposals.expired", "未成案逾期", "Proposals expired", false},
	{"deadlines.due", "回應期限屆至", "Responses due", false},
	{"deadlines.met", "如期回應", "Answered on time", false},
	{"deadlines.missed", "逾期（未回應或逾期回應）", "Missed (unanswered or late)", false},
	{"monthly.held", "PO 月會", "PO monthly meetings", false},
	{"cases_by_source", "新立案件", "Cases opened", true},
	{"meetings", "會議場次", "Meetings held", true},
	{"recommendations", "建議", "Recommendations", false},
	{"outcomes.directives", "院長裁示", "Premier's directives", true},
	{"responses", "部會回應", "Ministry responses", true},
}

// headline returns the value and events of def in rep.
func headlineOf(rep Report, key string, section bool) (float64, Source) {
	if !section {
		if f, ok := rep.Figure(key); ok {
			return f.Value, f.Source
		}
		return 0, Source{}
	}
	sec, prefix := key, ""
	if key == "outcomes.directives" {
		sec, prefix = "outcomes", "directives."
	}
	var total float64
	src := Source{Query: key}
	for _, s := range rep.Sections {
		if s.Key != sec {
			continue
		}
		for _, f := range s.Figures {
			if prefix != "" && (len(f.Key) < len(prefix) || f.Key[:len(prefix)] != prefix) {
				continue
			}
			total += f.Value
			src.Query, src.Params = f.Source.Query, paramsWithout(f.Source.Params)
			src.Events = append(src.Events, f.Source.Events...)
		}
	}
	slices.SortFunc(src.Events, func(a, b Ref) int { return cmp.Compare(a.Position, b.Position) })
	src.Events = slices.CompactFunc(src.Events, func(a, b Ref) bool { return a.Position == b.Position })
	if src.Events == nil {
		src.Events = []Ref{}
	}
	return total, src
}

// paramsWithout returns a section total's parameters: the period and
// ministry, without the figure's own (source, phase, kind, verdict).
func paramsWithout(m map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range []string{"from", "to", "ministry"} {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

// briefing builds the briefing of rep (computed by c) against prev (the
// previous period's report at the same position).
func (c *computer) briefing(rep, prev Report) *Briefing {
	b := &Briefing{PreviousFrom: prev.From, PreviousTo: prev.To, Headlines: []Headline{}, Cases: []CaseLine{}, Overdue: []Overdue{}}
	last := c.p.To.In(calendar.Taipei).AddDate(0, 0, -1)
	lastDay := calendar.DateOf(last)
	b.AsOf = last.Format(time.DateOnly)
	for _, d := range headlineDefs {
		v, src := headlineOf(rep, d.key, d.section)
		pv, psrc := headlineOf(prev, d.key, d.section)
		b.Headlines = append(b.Headlines, Headline{Key: d.key, ZH: d.zh, EN: d.en, Value: v, Previous: pv, Source: src, PreviousSource: psrc})
	}
	for _, cs := range c.caseList {
		bc := c.brief.cases[cs.id]
		if bc == nil || !c.caseInScope(cs.id) || !cs.openedAt.Before(c.p.To) || (!bc.closedAt.IsZero() && bc.closedAt.Before(c.p.From)) || cs.historicalBy(c.p.From) {
			continue
		}
		line := CaseLine{ID: cs.id, Title: bc.title, Historical: cs.historicalBy(c.p.To)}
		refs := []eref{cs.opened}
		if line.Historical {
			refs = append(refs, cs.endedRef)
		}
		st := cs.stints[0]
		for _, s := range cs.stints {
			if s.from.Before(c.p.To) {
				st = s
			}
		}
		line.Stage = string(st.stage)
		refs = append(refs, st.ref)
		if lead, leadRef := cs.leader(); lead != "" {
			line.Lead = lead
			line.LeadZH, line.LeadEN = ministryName(c.names, lead)
			refs = append(refs, leadRef)
		}
		for _, rec := range bc.recs {
			out := Recommendation{ID: rec.id, Text: rec.text, Verdicts: []Verdict{}}
			refs = append(refs, rec.ref)
			for _, m := range rec.addressees {
				v := Verdict{Ministry: m, Verdict: rec.verdicts[m]}
				v.MinistryZH, v.MinistryEN = ministryName(c.names, m)
				if r, ok := rec.vrefs[m]; ok {
					v.Event = r.pos
					refs = append(refs, r)
				}
				out.Verdicts = append(out.Verdicts, v)
			}
			line.Recommendations = append(line.Recommendations, out)
		}
		if bc.dir != nil {
			d := *bc.dir
			line.Directive = &d
			refs = append(refs, bc.dirRef)
		}
		line.Events = c.sortRefs(refs)
		b.Cases = append(b.Cases, line)
	}
	ids := make([]string, 0, len(c.brief.proposals))
	for id := range c.brief.proposals {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		bp := c.brief.proposals[id]
		if bp.dueAt.IsZero() {
			continue
		}
		due := calendar.LastDay(bp.dueAt)
		// Each lead owes its own answer (decision 0048).
		for _, m := range bp.answers.leads {
			a := bp.answers.answer(m)
			if !c.ministryOK(m) {
				continue
			}
			o := Overdue{Ministry: m, ProposalID: id, Title: bp.title, Due: due.String(), DueAt: bp.dueAt.UTC()}
			o.MinistryZH, o.MinistryEN = ministryName(c.names, m)
			switch {
			case a.responded && !a.onTime && c.p.contains(a.respondedAt):
				answered := calendar.DateOf(a.respondedAt)
				o.Answered, o.DaysLate = answered.String(), answered.DaysSince(due)
			case !a.responded && due.Before(lastDay):
				o.DaysLate = lastDay.DaysSince(due)
			default:
				continue
			}
			o.Events = c.sortRefs(slices.Concat(bp.refs, a.refs))
			b.Overdue = append(b.Overdue, o)
		}
	}
	slices.SortStableFunc(b.Overdue, func(x, y Overdue) int {
		return cmp.Or(cmp.Compare(y.DaysLate, x.DaysLate), cmp.Compare(x.Ministry, y.Ministry), cmp.Compare(x.ProposalID, y.ProposalID))
	})
	return b
}

// newReportComputer returns the computer of a report: with the briefing's
// fold and the previous period's computer.
func newReportComputer(p Period, f Filter) *computer {
	c := newComputer(p, f)
	c.brief = newBriefingFold()
	c.prev = newComputer(PreviousPeriod(p), f)
	return c
}

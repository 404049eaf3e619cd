package web

import (
	"context"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/readmodels"
)

// The lists: every proposal, meeting, PO monthly vote and ministry (with
// the PO registry's public fields), each with filters and sorting, and a
// page per ministry.
//
//	GET /proposals        ?state= ?ministry= (a code or part of a name) ?year= ?q= ?sort=recent|signatures|due|title ?page=
//	GET /meetings         ?kind= ?ministry= ?year= ?q= ?sort=recent|oldest|title ?page=
//	GET /monthly          every PO monthly vote, latest first
//	GET /ministries       every ministry and agency with its figures; the PO registry (?year=)
//	GET /ministries/{id}  one ministry: its cases, proposals and responses, on time and late

// listPageSize is the rows of a list page.
const listPageSize = 50

// ListFilters are a list's filters as given, to fill its form.
type ListFilters struct {
	State, Kind, Ministry, Year, Q, Sort string
	// Unmatched says the ministry text matched no ministry.
	Unmatched bool
}

// ListPaging is a list's page and the links to the others.
type ListPaging struct {
	// Total is how many rows the list has, From the first row's number
	// on this page (from 1).
	Total int
	From  int
	Pager Pager
	// PastEnd says the page asked for is past the last one of a list that
	// has rows (page Page of Pages): the page says so and links the last
	// page (LastURL), rather than "nothing matches".
	PastEnd     bool
	Page, Pages int
	LastURL     string
}

// paginate returns page (from 1) of items and its links.
func paginate[T any](r *http.Request, items []T, page int) ([]T, ListPaging) {
	n := len(items)
	pg := ListPaging{Total: n}
	pages := (n + listPageSize - 1) / listPageSize
	lo := min((page-1)*listPageSize, n)
	hi := min(lo+listPageSize, n)
	pg.From = lo + 1
	pg.Pager = newPager(r, page, pages, "")
	if n > 0 && lo == n {
		pg.PastEnd, pg.Page, pg.Pages = true, page, pages
		pg.LastURL = withQuery(r.URL, map[string]string{"page": strconv.Itoa(pages)})
	}
	return items[lo:hi], pg
}

// listParams reads the filters common to the lists; a bad value is a 400
// in the page's language.
func listParams(p *Page, r *http.Request, sorts ...string) (f ListFilters, year, page int, err error) {
	q := r.URL.Query()
	f = ListFilters{State: q.Get("state"), Kind: q.Get("kind"), Ministry: strings.TrimSpace(q.Get("ministry")), Year: q.Get("year"), Q: strings.TrimSpace(q.Get("q")), Sort: q.Get("sort")}
	if year, err = intParam(f.Year, 0, 0, 9999); err != nil {
		return f, 0, 0, badRequest(p.T("list.err.year"))
	}
	if page, err = intParam(q.Get("page"), 1, 1, 1<<20); err != nil {
		return f, 0, 0, badRequest(p.T("list.err.page"))
	}
	if f.Sort == "" {
		f.Sort = sorts[0]
	} else if !slices.Contains(sorts, f.Sort) {
		return f, 0, 0, badRequest(p.TF("list.err.sort", strings.Join(sorts, ", ")))
	}
	return f, year, page, nil
}

// ministrySet resolves a ministry filter into codes (nil: no filter).
func ministrySet(d *directory, f *ListFilters) map[string]bool {
	if f.Ministry == "" {
		return nil
	}
	set := map[string]bool{}
	for _, c := range d.names.Resolve(f.Ministry) {
		set[c] = true
	}
	f.Unmatched = len(set) == 0
	return set
}

// ---- proposals ----

// ProposalsData is the proposal list's data.
type ProposalsData struct {
	Filters ListFilters
	States  []string
	Sorts   []string
	Rows    []ProposalRow
	Paging  ListPaging
}

var proposalSorts = []string{"recent", "signatures", "due", "title"}

func (s *server) pageProposals(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	p := newPage(w, r, "")
	p.Title = p.T("proposals.title")
	f, year, page, err := listParams(p, r, proposalSorts...)
	if err == nil && f.State != "" && !slices.Contains(proposalStates, f.State) {
		err = badRequest(p.TF("list.err.state", strings.Join(proposalStates, ", ")))
	}
	d, ok := s.withDirectory(ctx, w, r, p, err)
	if !ok {
		return
	}
	v := s.listsAt(d, time.Now())
	k, kept := s.keptListPage(w, r, p, v)
	if kept {
		return
	}
	ms := ministrySet(d, &f)
	var match []int
	for _, i := range d.proposalOrder[f.Sort] {
		pt, row := &d.proposals[i], &v.rows[i]
		if f.State != "" && row.State != f.State || ms != nil && !namesAny(ms, pt) ||
			year != 0 && proposalYear(*pt) != year || f.Q != "" && !containsFold(pt.Title, f.Q) && !containsFold(pt.ProposalID, f.Q) {
			continue
		}
		match = append(match, i)
	}
	data := ProposalsData{Filters: f, States: proposalStates, Sorts: proposalSorts}
	var shown []int
	shown, data.Paging = paginate(r, match, page)
	data.Rows = make([]ProposalRow, len(shown))
	for j, i := range shown {
		data.Rows[j] = v.rows[i]
	}
	p.Data = data
	s.renderList(w, r, "proposals", p, k)
}

// proposalTime is when a proposal was published, or submitted.
func proposalTime(p readmodels.ProposalTally) time.Time {
	switch {
	case p.Published != nil:
		return p.Published.OccurredAt
	case p.Submitted != nil:
		return p.Submitted.OccurredAt
	}
	return time.Time{}
}

func proposalYear(p readmodels.ProposalTally) int {
	t := proposalTime(p)
	if t.IsZero() {
		return 0
	}
	return t.In(taipei()).Year()
}

// cmpZeroLast orders times ascending with zero times last.
func cmpZeroLast(a, b time.Time) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return a.Compare(b)
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// ---- meetings ----

// MeetingsData is the meeting list's data.
type MeetingsData struct {
	Filters ListFilters
	Kinds   []domain.MeetingKind
	Sorts   []string
	Rows    []readmodels.MeetingRecord
	Paging  ListPaging
}

var meetingKinds = []domain.MeetingKind{domain.MeetingCollaborative, domain.MeetingPreMeeting, domain.MeetingWorking, domain.MeetingPOMonthly, domain.MeetingOther}

var meetingSorts = []string{"recent", "oldest", "title"}

func (s *server) pageMeetings(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	p := newPage(w, r, "")
	p.Title = p.T("meetings.title")
	f, year, page, err := listParams(p, r, meetingSorts...)
	if err == nil && f.Kind != "" && !slices.Contains(meetingKinds, domain.MeetingKind(f.Kind)) {
		err = badRequest(p.T("list.err.kind"))
	}
	d, ok := s.withDirectory(ctx, w, r, p, err)
	if !ok {
		return
	}
	k, kept := s.keptListPage(w, r, p, s.listsAt(d, time.Now()))
	if kept {
		return
	}
	ms := ministrySet(d, &f)
	// A meeting belongs to its organiser and to its case's organisers.
	of := func(m *readmodels.MeetingRecord) bool {
		return ms[m.Organiser] || slices.ContainsFunc(d.caseOrgs[m.CaseID], func(c string) bool { return ms[c] })
	}
	var match []int
	for _, i := range d.meetingOrder[f.Sort] {
		m := &d.meetings[i]
		if f.Kind != "" && string(m.Kind) != f.Kind || ms != nil && !of(m) ||
			year != 0 && (m.StartsAt.IsZero() || m.StartsAt.In(taipei()).Year() != year) ||
			f.Q != "" && !containsFold(m.Title, f.Q) && !containsFold(m.MeetingID, f.Q) {
			continue
		}
		match = append(match, i)
	}
	data := MeetingsData{Filters: f, Kinds: meetingKinds, Sorts: meetingSorts}
	var shown []int
	shown, data.Paging = paginate(r, match, page)
	data.Rows = make([]readmodels.MeetingRecord, len(shown))
	for j, i := range shown {
		data.Rows[j] = d.meetings[i]
	}
	p.Data = data
	s.renderList(w, r, "meetings", p, k)
}

// ---- monthly votes ----

// MonthliesData is the monthly votes' list.
type MonthliesData struct {
	Rows []MonthlyRow
}

// MonthlyRow is a PO monthly vote as the list shows it.
type MonthlyRow struct {
	readmodels.MonthlyTally
	// Selected are the titles of the topics it selected.
	Selected []string
}

func (s *server) pageMonthlies(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	p := newPage(w, r, "")
	p.Title = p.T("monthlies.title")
	d, ok := s.withDirectory(ctx, w, r, p, nil)
	if !ok {
		return
	}
	k, kept := s.keptListPage(w, r, p, s.listsAt(d, time.Now()))
	if kept {
		return
	}
	p.Data = MonthliesData{Rows: d.monthlyRows}
	s.renderList(w, r, "monthlies", p, k)
}

// ---- ministries ----

// MinistryFigures are one ministry's figures.
type MinistryFigures struct {
	Code string
	// Parent is the ministry an agency belongs to.
	Parent string
	// CasesLed and CasesCo count the cases it leads and co-organises.
	CasesLed, CasesCo int
	// Proposals counts the proposals it is a lead ministry of; OnTime,
	// Late, Overdue and Awaiting its own answers to them (decision 0048);
	// ProposalsCo those naming it co-organiser only (it owes them no
	// answer).
	Proposals, OnTime, Late, Overdue, Awaiting int
	ProposalsCo                                int
	// POs counts its active POs this year.
	POs int
}

// count counts a proposal the ministry leads, by the state of its own
// answer.
func (f *MinistryFigures) count(state string) {
	f.Proposals++
	switch state {
	case stateOnTime:
		f.OnTime++
	case stateLate:
		f.Late++
	case stateOverdue:
		f.Overdue++
	case stateAwaiting:
		f.Awaiting++
	}
}

// namesAny reports whether a proposal names one of ms as a lead or a
// co-organiser.
func namesAny(ms map[string]bool, p *readmodels.ProposalTally) bool {
	for _, m := range slices.Concat(p.Leads, p.CoOrganisers) {
		if ms[m] {
			return true
		}
	}
	return ms[p.CompetentMinistry]
}

// MinistriesData is the ministries page's data.
type MinistriesData struct {
	Rows []MinistryFigures
	// Registry is the PO registry's public fields, of Year (0: every year).
	Registry []readmodels.POEntry
	Year     int
	YearText string
}

// ministryFigures counts every ministry's figures at now, from d's
// proposals' rows at now.
func ministryFigures(d *directory, rows []ProposalRow, now time.Time) map[string]*MinistryFigures {
	out := map[string]*MinistryFigures{}
	get := func(code string) *MinistryFigures {
		f := out[code]
		if f == nil {
			f = &MinistryFigures{Code: code}
			if m := d.names.Get(code); m != nil {
				f.Parent = m.Parent
			}
			out[code] = f
		}
		return f
	}
	for _, m := range d.names.All() {
		get(m.Code)
	}
	for _, c := range d.cases {
		// The lead a case is shown under (an imported case's: its linked
		// Join proposal's), as on the ministry's page.
		lead := c.Leader()
		if lead != "" {
			get(lead).CasesLed++
		}
		for _, m := range c.CoOrganisers {
			if m != lead {
				get(m).CasesCo++
			}
		}
	}
	for i := range rows {
		// Each lead answers for itself (decision 0048).
		for _, l := range rows[i].Answers {
			if l.Ministry != "" {
				get(l.Ministry).count(l.State)
			}
		}
		if len(rows[i].Answers) == 0 {
			for _, m := range rows[i].ProposalTally.Leads {
				get(m).Proposals++
			}
		}
		for _, m := range rows[i].ProposalTally.CoOrganisers {
			if !slices.Contains(rows[i].ProposalTally.Leads, m) {
				get(m).ProposalsCo++
			}
		}
	}
	year := now.In(taipei()).Year()
	for _, po := range d.pos {
		if !po.Retired && slices.Contains(po.Years, year) {
			get(po.Ministry).POs++
		}
	}
	return out
}

func (s *server) pageMinistries(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	p := newPage(w, r, "")
	p.Title = p.T("ministries.title")
	year, err := intParam(r.URL.Query().Get("year"), 0, 0, 9999)
	if err != nil {
		err = badRequest(p.T("list.err.year"))
	}
	d, ok := s.withDirectory(ctx, w, r, p, err)
	if !ok {
		return
	}
	v := s.listsAt(d, time.Now())
	k, kept := s.keptListPage(w, r, p, v)
	if kept {
		return
	}
	data := MinistriesData{Year: year, YearText: r.URL.Query().Get("year"), Rows: v.ministryRows}
	for _, po := range d.pos {
		if year == 0 || slices.Contains(po.Years, year) {
			data.Registry = append(data.Registry, po)
		}
	}
	p.Data = data
	s.renderList(w, r, "ministries", p, k)
}

// MinistryData is a ministry's page.
type MinistryData struct {
	Code    string
	Name    *MinistryName
	Figures MinistryFigures
	// Cases it leads or co-organises, each with its role; CasesLed and
	// CasesCo count them by role.
	Cases             []MinistryCase
	CasesLed, CasesCo int
	// Proposals it is a lead ministry of (each with its own answer), and
	// CoProposals those that name it co-organiser only: it owes them no
	// answer (decision 0048). Latest first.
	Proposals   []ProposalRow
	CoProposals []ProposalRow
	// Responses are its responses to the recommendations of its cases,
	// and the recommendations addressed to it still unanswered.
	Responses []RecommendationRow
	POs       []readmodels.POEntry
	Agencies  []string
}

// MinistryCase is a case on a ministry's page: Lead is true when the
// ministry leads it (the lead shown: its own, or its linked Join
// proposal's), false when it co-organises it.
type MinistryCase struct {
	readmodels.CaseSummary
	Lead bool
}

// RecommendationRow is a recommendation addressed to a ministry and its
// response (nil: none yet).
type RecommendationRow struct {
	CaseID, CaseTitle string
	Recommendation    readmodels.CaseRecommendation
	Response          *readmodels.CaseResponse
}

func (s *server) pageMinistry(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	p := newPage(w, r, "")
	d, ok := s.withDirectory(ctx, w, r, p, nil)
	if !ok {
		return
	}
	code := r.PathValue("id")
	name := d.names.Get(code)
	if name == nil {
		if codes := d.names.Resolve(code); len(codes) == 1 {
			http.Redirect(w, r, "/ministries/"+pathID(codes[0]), http.StatusSeeOther)
			return
		}
		s.pageError(w, r, p, notFound(code))
		return
	}
	v := s.listsAt(d, time.Now())
	k, kept := s.keptListPage(w, r, p, v)
	if kept {
		return
	}
	data := MinistryData{Code: code, Name: name, Figures: *v.figures[code]}
	for _, c := range d.cases {
		if lead := c.Leader() == code; lead || slices.Contains(c.CoOrganisers, code) {
			data.Cases = append(data.Cases, MinistryCase{CaseSummary: c, Lead: lead})
			if lead {
				data.CasesLed++
			} else {
				data.CasesCo++
			}
		}
	}
	for _, i := range d.proposalOrder["recent"] {
		// The proposals it leads, each with its own answer (decision 0048);
		// those it co-organises apart.
		if !slices.Contains(d.proposals[i].Leads, code) {
			if slices.Contains(d.proposals[i].CoOrganisers, code) {
				data.CoProposals = append(data.CoProposals, v.rows[i])
			}
			continue
		}
		row := v.rows[i]
		for _, l := range row.Answers {
			if l.Ministry == code {
				row.Own = &l
				row.State, row.DaysLate = l.State, l.DaysLate
			}
		}
		data.Proposals = append(data.Proposals, row)
	}
	board := s.cfg.Queries.Reader(readmodels.CaseBoardName)
	for _, c := range data.Cases {
		card, ok, err := readmodels.Case(ctx, board, domain.CaseID(c.CaseID), readmodels.Public)
		if err != nil {
			s.pageError(w, r, p, err)
			return
		}
		if !ok {
			continue
		}
		for _, rec := range card.Recommendations {
			if !slices.Contains(rec.Addressees, code) {
				continue
			}
			row := RecommendationRow{CaseID: c.CaseID, CaseTitle: c.Title, Recommendation: rec}
			for i := range rec.Responses {
				if rec.Responses[i].Ministry == code && !rec.Responses[i].Superseded {
					row.Response = &rec.Responses[i]
				}
			}
			data.Responses = append(data.Responses, row)
		}
	}
	for _, po := range d.pos {
		if po.Ministry == code {
			data.POs = append(data.POs, po)
		}
	}
	for _, m := range d.names.All() {
		if m.Parent == code {
			data.Agencies = append(data.Agencies, m.Code)
		}
	}
	p.Title = p.MName(code)
	p.Data = data
	s.renderList(w, r, "ministry", p, k)
}

// withDirectory answers the error page for err, or loads the directory and
// its names into p; ok is false when the page was answered.
func (s *server) withDirectory(ctx context.Context, w http.ResponseWriter, r *http.Request, p *Page, err error) (*directory, bool) {
	var d *directory
	if err == nil {
		d, err = s.directory(ctx)
	}
	if err != nil {
		s.pageError(w, r, p, err)
		return nil, false
	}
	p.Names = d.names
	return d, true
}

// meetingStart is a meeting's start as the pages show it. A meeting
// imported from an archive starting at the very start of its day (Taipei)
// shows its date only: the archive gives a meeting's date, not its time,
// and the importer records the start of that day.
func meetingStart(t time.Time, imported bool) template.HTML {
	if t.IsZero() {
		return ""
	}
	if local := t.In(calendar.Taipei); imported && local.Equal(time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, calendar.Taipei)) {
		d := formatDate(t)
		return template.HTML(`<time datetime="` + d + `">` + d + `</time>`)
	}
	return template.HTML(`<time datetime="` + template.HTMLEscapeString(isoTime(t)) + `">` + template.HTMLEscapeString(formatTime(t)) + `</time>`)
}

func init() { pageFuncs["meetingstart"] = meetingStart }

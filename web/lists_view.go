package web

import (
	"bytes"
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/readmodels"
)

// What the home page and the lists derive from a directory, made once and
// kept: each list in each of its sort orders (made with the directory: they
// do not depend on the clock), the rows as they stand at a moment (a
// listView: a proposal's state and the days its response is late, the
// upcoming meetings, the ministries' figures), and the pages rendered from
// them (listPages), so that a request for a page already rendered costs a
// lookup. Decision 0038.

// listView is a directory's lists as they stand at a moment, kept until
// the first instant one of them reads otherwise.
type listView struct {
	// seq numbers the view among every view of the server: the rendered
	// pages' cache key.
	seq       uint64
	at, until time.Time
	// rows are the directory's proposals' rows at at, in the same order.
	rows []ProposalRow
	home HomeData
	// figures are every ministry's figures; ministryRows the same in the
	// ministries page's order.
	figures      map[string]*MinistryFigures
	ministryRows []MinistryFigures
}

// maxViewAge bounds how long a view is kept even when nothing in it is due
// to change: what else reads the clock on a list is at most this old.
const maxViewAge = time.Minute

// listsAt returns d's lists at now: the view made earlier while nothing in
// it has changed since, else a new one (made once: concurrent requests
// wait for it, a few milliseconds with thousands of proposals).
func (s *server) listsAt(d *directory, now time.Time) *listView {
	fresh := func(v *listView) bool { return v != nil && !now.Before(v.at) && now.Before(v.until) }
	if v := d.view.Load(); fresh(v) {
		return v
	}
	d.viewMu.Lock()
	defer d.viewMu.Unlock()
	if v := d.view.Load(); fresh(v) {
		return v
	}
	v := newListView(d, now)
	v.seq = s.dir.views.Add(1)
	d.view.Store(v)
	return v
}

// newListView derives d's lists at now.
func newListView(d *directory, now time.Time) *listView {
	v := &listView{at: now, until: now.Add(maxViewAge)}
	sooner := func(t time.Time) {
		if t.After(now) && t.Before(v.until) {
			v.until = t
		}
	}
	v.rows = make([]ProposalRow, len(d.proposals))
	for i, pt := range d.proposals {
		v.rows[i] = proposalRow(pt, now, d.listFacts)
		sooner(rowChanges(&v.rows[i]))
	}
	for i := range d.meetings {
		sooner(d.meetings[i].StartsAt) // upcoming until it starts
	}
	y := now.In(taipei()).Year()
	sooner(time.Date(y+1, 1, 1, 0, 0, 0, 0, taipei())) // the POs counted are this year's
	v.home = homeData(d, v.rows, now)
	v.figures = ministryFigures(d, v.rows, now)
	for _, f := range v.figures {
		v.ministryRows = append(v.ministryRows, *f)
	}
	slices.SortFunc(v.ministryRows, func(a, b MinistryFigures) int {
		return cmp.Or(cmp.Compare(b.CasesLed+b.CasesCo+b.Proposals, a.CasesLed+a.CasesCo+a.Proposals), cmp.Compare(a.Code, b.Code))
	})
	return v
}

// rowChanges is the instant at which row, made by proposalRow at some now,
// next reads otherwise (zero: never, by the clock alone): an awaited
// response falls due; an overdue one is a day later; signing closes.
func rowChanges(row *ProposalRow) time.Time {
	p := &row.ProposalTally
	switch row.State {
	case stateAwaiting:
		if p.Response != nil {
			return p.Response.DueAt
		}
	case stateOverdue:
		if p.Response != nil {
			return p.Response.DueAt.Add(time.Duration(row.DaysLate) * 24 * time.Hour)
		}
	case stateCollecting:
		return p.SigningClosesAt
	}
	return time.Time{}
}

// proposalDue is a proposal's response deadline in force (zero: none), as
// ProposalRow.DueAt.
func proposalDue(p *readmodels.ProposalTally) time.Time {
	if p.Response != nil {
		return p.Response.DueAt
	}
	return time.Time{}
}

// orders makes what the lists derive from d without the clock: the
// proposals and meetings in each of their sort orders, each case's
// organisers, the monthly votes latest first.
func (d *directory) orders() {
	ps := d.proposals
	d.proposalOrder = make(map[string][]int, len(proposalSorts))
	for _, sort := range proposalSorts {
		d.proposalOrder[sort] = sortedIndexes(len(ps), func(i, j int) int {
			a, b := &ps[i], &ps[j]
			switch sort {
			case "signatures":
				return cmp.Or(cmp.Compare(b.Valid, a.Valid), cmp.Compare(a.ProposalID, b.ProposalID))
			case "due":
				return cmp.Or(cmpZeroLast(proposalDue(a), proposalDue(b)), cmp.Compare(a.ProposalID, b.ProposalID))
			case "title":
				return cmp.Or(strings.Compare(a.Title, b.Title), cmp.Compare(a.ProposalID, b.ProposalID))
			}
			return cmp.Or(proposalTime(*b).Compare(proposalTime(*a)), cmp.Compare(a.ProposalID, b.ProposalID))
		})
	}
	ms := d.meetings
	d.meetingOrder = make(map[string][]int, len(meetingSorts))
	for _, sort := range meetingSorts {
		d.meetingOrder[sort] = sortedIndexes(len(ms), func(i, j int) int {
			a, b := &ms[i], &ms[j]
			switch sort {
			case "oldest":
				return cmp.Or(a.StartsAt.Compare(b.StartsAt), cmp.Compare(a.MeetingID, b.MeetingID))
			case "title":
				return cmp.Or(strings.Compare(a.Title, b.Title), cmp.Compare(a.MeetingID, b.MeetingID))
			}
			return cmp.Or(b.StartsAt.Compare(a.StartsAt), cmp.Compare(a.MeetingID, b.MeetingID))
		})
	}
	d.caseOrgs = make(map[string][]string, len(d.cases))
	for _, c := range d.cases {
		d.caseOrgs[c.CaseID] = append([]string{c.Leader()}, c.CoOrganisers...)
	}
	d.monthlyRows = make([]MonthlyRow, 0, len(d.monthly))
	for _, m := range d.monthly {
		row := MonthlyRow{MonthlyTally: m}
		for _, c := range m.Candidates {
			if c.Selected {
				row.Selected = append(row.Selected, c.Title)
			}
		}
		d.monthlyRows = append(d.monthlyRows, row)
	}
	slices.SortFunc(d.monthlyRows, func(a, b MonthlyRow) int {
		if a.HeldOn == b.HeldOn {
			return cmp.Compare(b.MeetingID, a.MeetingID)
		}
		if a.HeldOn.After(b.HeldOn) {
			return -1
		}
		return 1
	})
}

// sortedIndexes returns 0, 1, …, n-1 in the order compare gives them
// (stable).
func sortedIndexes(n int, compare func(i, j int) int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, compare)
	return idx
}

// listPagesBytes bounds the rendered list pages kept (listPages).
const listPagesBytes = 32 << 20

// listPageKey names a rendered page of the home page or a list: the view
// it shows, its language, and the request's path and query, which hold
// its filters, sort and page and make its links (the other language's,
// the pages').
type listPageKey struct {
	view uint64
	lang string
	uri  string
}

// keptListPage answers r with the page kept for it under v, if there is
// one; otherwise it returns the key to keep the page under once rendered
// (renderList). Only pages for someone not signed in are kept: a signed-in
// person's page names them.
func (s *server) keptListPage(w http.ResponseWriter, r *http.Request, p *Page, v *listView) (listPageKey, bool) {
	s.decorate(r, p)
	if p.Who != nil {
		return listPageKey{}, false
	}
	k := listPageKey{view: v.seq, lang: p.Lang, uri: r.URL.RequestURI()}
	body, ok := s.listPages.Get(k)
	if ok {
		writePage(w, p, body)
	}
	return k, ok
}

// renderList renders a list page and keeps it under k (when k names one).
func (s *server) renderList(w http.ResponseWriter, r *http.Request, name string, p *Page, k listPageKey) {
	var keep func([]byte)
	if k.view != 0 {
		keep = func(body []byte) {
			if p.Status == http.StatusOK && p.Who == nil {
				s.listPages.Put(k, bytes.Clone(body), len(body)+len(k.uri))
			}
		}
	}
	s.renderKeep(w, r, name, p, keep)
}

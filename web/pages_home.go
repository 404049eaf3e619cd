package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/importer/join"
	"github.com/pdis/collab-ledger/readmodels"
)

// The home page: what is happening now.
//
//	GET /   proposals collecting signatures (with their progress),
//	        established proposals awaiting a response (the last day that
//	        counts), responses overdue by ministry, upcoming and recent
//	        meetings, and the latest PO monthly vote.

func init() {
	pageNames = append(pageNames, "home", "proposals", "meetings", "monthlies", "ministries", "ministry", "search")
}

// registerPublicPages adds the home page and the lists (pages_lists.go).
func (s *server) registerPublicPages(mux *http.ServeMux) {
	// These show the present only: ?asof= is refused, not ignored (asof.go).
	mux.HandleFunc("GET /{$}", s.liveOnly(s.pageHome))
	mux.HandleFunc("GET /cases", s.liveOnly(s.pageIndex))
	mux.HandleFunc("GET /proposals", s.liveOnly(s.pageProposals))
	mux.HandleFunc("GET /meetings", s.liveOnly(s.pageMeetings))
	mux.HandleFunc("GET /monthly", s.liveOnly(s.pageMonthlies))
	mux.HandleFunc("GET /ministries", s.liveOnly(s.pageMinistries))
	mux.HandleFunc("GET /ministries/{id}", s.liveOnly(s.pageMinistry))
	s.registerSearch(mux)
}

// homeListSize bounds each list of the home page.
const homeListSize = 10

// HomeData is the home page's data.
type HomeData struct {
	Now time.Time
	// Collecting are proposals collecting signatures, most signed first;
	// CollectingTotal counts them all.
	Collecting      []ProposalRow
	CollectingTotal int
	// Awaiting are established proposals awaiting a response, soonest due
	// first.
	Awaiting      []ProposalRow
	AwaitingTotal int
	// Overdue groups the responses past due by ministry, most first.
	Overdue []MinistryOverdue
	// Upcoming are meetings not yet held, soonest first; Recent the latest
	// held.
	Upcoming []readmodels.MeetingRecord
	Recent   []readmodels.MeetingRecord
	// Vote is the latest PO monthly vote (nil: none yet); VoteThisMonth
	// tells whether it is this month's (in Taipei), else the page calls it
	// the latest rather than this month's.
	Vote          *readmodels.MonthlyTally
	VoteThisMonth bool
	// Counts of everything, for the lists' links.
	Proposals, Cases, Meetings, Votes, Ministries int
}

// ProposalRow is a proposal as the lists show it.
type ProposalRow struct {
	readmodels.ProposalTally
	// State is the proposal's state now (proposalState).
	State string
	// Percent is the valid signatures against the threshold, 0–100.
	Percent int
	// DueAt is the response deadline in force (zero: none); DaysLate the
	// whole days past it for an overdue response.
	DueAt    time.Time
	DaysLate int
	// Answers are each lead ministry's answer at now (decision 0048): the
	// proposal is on time when every lead answered on time, late when
	// every lead answered and one late, overdue while a lead owes its
	// answer past the deadline.
	Answers []LeadRow
	// Own is the ministry's own answer, on a ministry's page.
	Own *LeadRow
	// NoSignatureList: the ledger holds none of its signatures because
	// the platform's record has no list of them (the archive has none for
	// 189 proposals): its count is not known rather than 0. The import
	// records it as a fact (proposal.signature_list_missing, decision
	// 0056); a log imported before holds no such fact, and then it is
	// inferred: Join published it, its signing is over and no signature
	// is recorded.
	NoSignatureList bool
}

// LeadRow is one lead ministry's answer to an established proposal at
// some moment: State is stateOnTime, stateLate (answered DaysLate days
// after the deadline), stateOverdue (not answered, DaysLate days past it)
// or stateAwaiting. Ministry is "" for a proposal without a lead that
// nobody answered.
type LeadRow struct {
	Ministry  string                `json:"ministry"`
	State     string                `json:"state"`
	DaysLate  int                   `json:"daysLate,omitempty"`
	Responded *readmodels.Responded `json:"responded,omitempty"`
	Missed    *readmodels.Missed    `json:"missed,omitempty"`
}

// leadRows are r's leads' answers at now (nil without a deadline).
func leadRows(r *readmodels.Response, now time.Time) []LeadRow {
	if r == nil {
		return nil
	}
	leads := r.Leads
	if len(leads) == 0 {
		leads = []readmodels.LeadResponse{{}}
	}
	out := make([]LeadRow, len(leads))
	for i, l := range leads {
		row := LeadRow{Ministry: l.Ministry, Responded: l.Responded, Missed: l.Missed}
		switch {
		case l.Responded != nil && l.Responded.OnTime:
			row.State = stateOnTime
		case l.Responded != nil:
			row.State, row.DaysLate = stateLate, daysLate(l.Responded.DueAt, l.Responded.OccurredAt)
		case l.Missed != nil || !now.Before(r.DueAt):
			row.State, row.DaysLate = stateOverdue, daysLate(r.DueAt, now)
		default:
			row.State = stateAwaiting
		}
		out[i] = row
	}
	return out
}

// leadsState is a proposal's state from its leads' (stateOnTime,
// stateLate, stateOverdue, stateAwaiting).
func leadsState(leads []LeadRow) string {
	state := stateOnTime
	for _, l := range leads {
		switch {
		case l.State == stateOverdue:
			return stateOverdue
		case l.State == stateAwaiting:
			state = stateAwaiting
		case l.State == stateLate && state == stateOnTime:
			state = stateLate
		}
	}
	return state
}

// MinistryOverdue is one ministry's responses past due.
type MinistryOverdue struct {
	Ministry string
	Items    []ProposalRow
}

// Proposal states (the lists' filter values).
const (
	stateSubmitted  = "submitted"
	stateCollecting = "collecting"
	stateExpired    = "expired"
	stateAwaiting   = "awaiting"
	stateOverdue    = "overdue"
	stateOnTime     = "on_time"
	stateLate       = "late"
)

var proposalStates = []string{stateSubmitted, stateCollecting, stateExpired, stateAwaiting, stateOverdue, stateOnTime, stateLate}

// proposalRow classifies p at now. listFacts says that the log records
// missing signature lists as facts (any proposal.signature_list_missing):
// a log imported before it does not, and NoSignatureList is inferred.
func proposalRow(p readmodels.ProposalTally, now time.Time, listFacts bool) ProposalRow {
	row := ProposalRow{ProposalTally: p}
	if p.Threshold > 0 {
		row.Percent = min(100, p.Valid*100/p.Threshold)
	}
	switch {
	case p.Response != nil:
		row.DueAt = p.Response.DueAt
		row.Answers = leadRows(p.Response, now)
		if row.State = leadsState(row.Answers); row.State == stateOverdue {
			row.DaysLate = daysLate(p.Response.DueAt, now)
		}
	case p.Expired != nil:
		row.State = stateExpired
	case p.Established != nil:
		row.State = stateAwaiting
	case p.Status == domain.ProposalStatusPublished && (p.SigningClosesAt.IsZero() || now.Before(p.SigningClosesAt)):
		row.State = stateCollecting
	case p.Status == domain.ProposalStatusPublished:
		row.State = stateExpired // closed below the threshold, expiry not yet recorded
	default:
		row.State = stateSubmitted
	}
	if listFacts {
		row.NoSignatureList = p.SignatureListMissing && p.Signatures == 0
	} else {
		row.NoSignatureList = p.Signatures == 0 && p.Published != nil && p.Published.Actor.ID == join.FeedActorID &&
			row.State != stateCollecting && row.State != stateSubmitted
	}
	return row
}

// daysLate counts the whole days from a deadline to now (at least 1 once
// past it).
func daysLate(due, now time.Time) int {
	if now.Before(due) {
		return 0
	}
	return int(now.Sub(due)/(24*time.Hour)) + 1
}

func (s *server) pageHome(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	p := newPage(w, r, "")
	p.Title = p.T("home.title")
	d, ok := s.withDirectory(ctx, w, r, p, nil)
	if !ok {
		return
	}
	v := s.listsAt(d, time.Now())
	k, kept := s.keptListPage(w, r, p, v)
	if kept {
		return
	}
	p.Data = v.home
	s.renderList(w, r, "home", p, k)
}

// homeData is the home page of d at now, from its proposals' rows at now.
func homeData(d *directory, rows []ProposalRow, now time.Time) HomeData {
	h := HomeData{Now: now, Proposals: len(d.proposals), Cases: len(d.cases), Meetings: len(d.meetings), Votes: len(d.monthly), Ministries: len(d.names.All())}
	overdue := map[string][]ProposalRow{}
	for _, row := range rows {
		switch row.State {
		case stateCollecting:
			h.Collecting = append(h.Collecting, row)
		case stateAwaiting:
			h.Awaiting = append(h.Awaiting, row)
		case stateOverdue:
			// Each lead owing its answer past the deadline.
			for _, l := range row.Answers {
				if l.State == stateOverdue {
					overdue[l.Ministry] = append(overdue[l.Ministry], row)
				}
			}
		}
	}
	slices.SortFunc(h.Collecting, func(a, b ProposalRow) int {
		return cmp.Or(cmp.Compare(b.Valid, a.Valid), cmp.Compare(a.ProposalID, b.ProposalID))
	})
	slices.SortFunc(h.Awaiting, func(a, b ProposalRow) int {
		return cmp.Or(a.DueAt.Compare(b.DueAt), cmp.Compare(a.ProposalID, b.ProposalID))
	})
	h.CollectingTotal, h.AwaitingTotal = len(h.Collecting), len(h.Awaiting)
	h.Collecting, h.Awaiting = h.Collecting[:min(len(h.Collecting), homeListSize)], h.Awaiting[:min(len(h.Awaiting), homeListSize)]
	for m, items := range overdue {
		slices.SortFunc(items, func(a, b ProposalRow) int {
			return cmp.Or(cmp.Compare(b.DaysLate, a.DaysLate), cmp.Compare(a.ProposalID, b.ProposalID))
		})
		h.Overdue = append(h.Overdue, MinistryOverdue{Ministry: m, Items: items})
	}
	slices.SortFunc(h.Overdue, func(a, b MinistryOverdue) int {
		return cmp.Or(cmp.Compare(len(b.Items), len(a.Items)), cmp.Compare(a.Ministry, b.Ministry))
	})
	for _, m := range d.meetings {
		if m.StartsAt.After(now) {
			h.Upcoming = append(h.Upcoming, m)
		} else if !m.StartsAt.IsZero() {
			h.Recent = append(h.Recent, m)
		}
	}
	slices.SortFunc(h.Upcoming, func(a, b readmodels.MeetingRecord) int { return a.StartsAt.Compare(b.StartsAt) })
	slices.SortFunc(h.Recent, func(a, b readmodels.MeetingRecord) int { return b.StartsAt.Compare(a.StartsAt) })
	h.Upcoming, h.Recent = h.Upcoming[:min(len(h.Upcoming), homeListSize)], h.Recent[:min(len(h.Recent), 5)]
	if v := latestVote(d.monthly); v != nil {
		today := calendar.DateOf(now)
		h.Vote = v
		h.VoteThisMonth = v.HeldOn.Year() == today.Year() && v.HeldOn.Month() == today.Month()
	}
	return h
}

// latestVote is the PO monthly vote held last.
func latestVote(ms []readmodels.MonthlyTally) *readmodels.MonthlyTally {
	var best *readmodels.MonthlyTally
	for i := range ms {
		m := &ms[i]
		if best == nil || m.HeldOn.After(best.HeldOn) || m.HeldOn == best.HeldOn && m.MeetingID > best.MeetingID {
			best = m
		}
	}
	return best
}

// lastDay is the last day that counts for a deadline at t (the end of a
// Taipei day): the day before a deadline at midnight, the day itself of
// one in the middle of a day (calendar.LastDay).
func lastDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return calendar.LastDay(t).String()
}

// pathID escapes an ID for a path segment.
func pathID(id string) string { return url.PathEscape(id) }

func init() {
	pageFuncs["lastday"] = lastDay
	pageFuncs["pathid"] = pathID
	pageFuncs["list"] = func(v ...any) []any { return v }
}

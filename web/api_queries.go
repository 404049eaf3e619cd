package web

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/readmodels"
)

// The JSON query API: one route per query of the read models
// (readmodels), public view by default.
//
//	GET /api/v1/cases                          the case board (filters: stage, ministry, source, year, q, open)
//	GET /api/v1/cases/{id}                     a case's card  (?asof=, ?clock=)
//	GET /api/v1/cases/{id}/trail               its accountability trail, paged (?after=, ?limit=, ?step=, ?asof=)
//	GET /api/v1/trails/{subject}               one subject's trail (proposal-…, po-monthly-…, meeting-…, case-…)
//	GET /api/v1/meetings/{id}                  a meeting and its transcript, notes and questions
//	GET /api/v1/proposals/{id}                 a proposal's tally and response
//	GET /api/v1/proposals/{id}/invalidations   its invalidated signatures
//	GET /api/v1/monthly/{id}                   a PO monthly meeting's vote
//	GET /api/v1/responses/due                  open response deadlines (?until=)
//
// ?view=auditor asks for the auditor view: it needs an auditor's or PDIS
// staff's bearer token (401 without a valid token, 403 for other roles).

// Paths of the query API.
const (
	CasesPath         = "/api/v1/cases"
	CasePath          = "/api/v1/cases/{id}"
	CaseTrailPath     = "/api/v1/cases/{id}/trail"
	SubjectTrailPath  = "/api/v1/trails/{subject}"
	MeetingPath       = "/api/v1/meetings/{id}"
	ProposalPath      = "/api/v1/proposals/{id}"
	InvalidationsPath = "/api/v1/proposals/{id}/invalidations"
	MonthlyPath       = "/api/v1/monthly/{id}"
	DueResponsesPath  = "/api/v1/responses/due"
)

// Rules of refused queries, in the error body's "rule".
const (
	// RuleAuditorViewRole: the auditor view was asked for with a token of
	// a role other than auditor or PDIS staff.
	RuleAuditorViewRole = "query.view.auditor_role"
)

// ReadModels yields a reader per read model (readmodels.TalliesName,
// CaseBoardName, TranscriptsName, TrailName). *projections.Runner is one.
type ReadModels interface {
	Reader(projection string) projections.Reader
}

// CaseList is the body of GET /api/v1/cases.
type CaseList struct {
	// Total counts the cases the filter selects; Cases is the page asked
	// for (offset, limit).
	Total int                      `json:"total"`
	Cases []readmodels.CaseSummary `json:"cases"`
}

// AsOfInfo says which point an as-of answer shows, on which clock.
type AsOfInfo struct {
	// Clock is "position", "recorded" (the ledger's clock: what it had
	// recorded then) or "occurred" (the world's clock: what had happened
	// by then, including history imported later).
	Clock      string              `json:"clock"`
	Position   eventstore.Position `json:"position,omitempty"`
	At         time.Time           `json:"at,omitzero"`
	LastFolded eventstore.Position `json:"lastFolded"`
	Events     int                 `json:"events"`
	// Resumed counts the events of a case's view taken from a snapshot of
	// its fold (kept in memory or beside the read models, decisions 0043,
	// 0047) rather than folded for this answer; 0: folded from scratch.
	Resumed int `json:"resumed,omitempty"`
}

// CaseView is the body of GET /api/v1/cases/{id}.
type CaseView struct {
	View readmodels.View     `json:"view"`
	AsOf *AsOfInfo           `json:"asOf,omitempty"`
	Case readmodels.CaseCard `json:"case"`
}

// TrailView is the body of the trail routes.
type TrailView struct {
	View readmodels.View      `json:"view"`
	AsOf *AsOfInfo            `json:"asOf,omitempty"`
	Page readmodels.TrailPage `json:"page"`
}

// MeetingView is the body of GET /api/v1/meetings/{id}.
type MeetingView struct {
	View    readmodels.View          `json:"view"`
	AsOf    *AsOfInfo                `json:"asOf,omitempty"`
	Meeting readmodels.MeetingRecord `json:"meeting"`
}

// ProposalView is the body of GET /api/v1/proposals/{id}.
type ProposalView struct {
	View     readmodels.View          `json:"view"`
	AsOf     *AsOfInfo                `json:"asOf,omitempty"`
	Proposal readmodels.ProposalTally `json:"proposal"`
	// LastDays are the last days that count of the proposal's deadlines,
	// whose instants the proposal carries.
	LastDays ProposalLastDays `json:"lastDays"`
}

// ProposalLastDays are a proposal's deadlines as the last day that counts
// in Asia/Taipei (calendar.LastDay), as the pages show them; each is
// absent when the proposal has no such deadline.
type ProposalLastDays struct {
	// SigningClosesLastDay is the last day of proposal.signingClosesAt.
	SigningClosesLastDay calendar.Date `json:"signingClosesLastDay,omitzero"`
	// OriginalDueLastDay is the last day of proposal.response.originalDueAt.
	OriginalDueLastDay calendar.Date `json:"originalDueLastDay,omitzero"`
	// DueLastDay is the last day of proposal.response.dueAt, the deadline
	// in force.
	DueLastDay calendar.Date `json:"dueLastDay,omitzero"`
}

// proposalLastDays are p's deadlines' last days.
func proposalLastDays(p readmodels.ProposalTally) ProposalLastDays {
	var d ProposalLastDays
	if !p.SigningClosesAt.IsZero() {
		d.SigningClosesLastDay = calendar.LastDay(p.SigningClosesAt)
	}
	if r := p.Response; r != nil {
		if !r.OriginalDueAt.IsZero() {
			d.OriginalDueLastDay = calendar.LastDay(r.OriginalDueAt)
		}
		if !r.DueAt.IsZero() {
			d.DueLastDay = calendar.LastDay(r.DueAt)
		}
	}
	return d
}

// MonthlyView is the body of GET /api/v1/monthly/{id}: the vote, and with
// ?asof= which point it shows.
type MonthlyView struct {
	readmodels.MonthlyTally
	AsOf *AsOfInfo `json:"asOf,omitempty"`
}

// InvalidationList is the body of GET /api/v1/proposals/{id}/invalidations.
type InvalidationList struct {
	View          readmodels.View           `json:"view"`
	AsOf          *AsOfInfo                 `json:"asOf,omitempty"`
	Invalidations []readmodels.Invalidation `json:"invalidations"`
}

// DueList is the body of GET /api/v1/responses/due.
type DueList struct {
	Due []DueRow `json:"due"`
}

// maxTrailLimit bounds a trail page.
const maxTrailLimit = 500

// registerQueries adds the query routes. They are always served (answering
// 503 when the server runs no read models), so that the API is the same
// everywhere.
func (s *server) registerQueries(handle func(string, http.HandlerFunc)) {
	handle("GET "+CasesPath, s.liveOnly(s.query(s.apiCases)))
	handle("GET "+CasePath, s.query(func(ctx context.Context, r *http.Request) (any, readmodels.View, error) { return s.caseView(ctx, r) }))
	handle("GET "+CaseTrailPath, s.query(func(ctx context.Context, r *http.Request) (any, readmodels.View, error) {
		return s.caseTrailView(ctx, r)
	}))
	handle("GET "+SubjectTrailPath, s.query(s.apiSubjectTrail))
	handle("GET "+MeetingPath, s.query(s.apiMeeting))
	handle("GET "+ProposalPath, s.query(s.apiProposal))
	handle("GET "+InvalidationsPath, s.query(s.apiInvalidations))
	handle("GET "+MonthlyPath, s.query(s.apiMonthly))
	handle("GET "+DueResponsesPath, s.liveOnly(s.query(s.apiDue)))
}

// queryFunc answers a query: the body and the view it answers for.
type queryFunc func(ctx context.Context, r *http.Request) (any, readmodels.View, error)

// query serves q within the query timeout.
func (s *server) query(q queryFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := s.queryContext(r)
		defer cancel()
		body, v, err := q(ctx, r)
		s.answer(w, r, v, body, err)
	}
}

// errNoReadModels answers queries of a server that runs no read models.
var errNoReadModels = newAPIError(http.StatusServiceUnavailable, CodeUnavailable, "this server runs no read models").zh("這個伺服器沒有執行讀取模型")

// notFound is a 404 for what (English words and IDs: "case 57"; pages
// say it in their language, notfound.body).
func notFound(what string) *apiError {
	return newAPIError(http.StatusNotFound, CodeNotFound, "no "+what).zh("找不到 " + notFoundZH(what))
}

// notFoundZH words a notFound's "what" in Chinese: its leading kind
// translated, the IDs and paths as they are.
func notFoundZH(what string) string {
	for _, k := range []struct{ en, zh string }{
		{"monthly meeting ", "PO 月會 "}, {"case ", "案件 "}, {"meeting ", "會議 "}, {"proposal ", "提案 "}, {"trail ", "軌跡 "},
		{"utterance ", "發言 "}, {"page ", "第 "}, {"figure ", "報告中的數字 "}, {"signatures of ", "連署："},
	} {
		if rest, ok := strings.CutPrefix(what, k.en); ok {
			rest = strings.Replace(rest, " at that point", "（在那個時間點）", 1)
			rest = strings.Replace(rest, " in the report", "", 1)
			if k.en == "page " {
				return k.zh + rest + " 頁"
			}
			return k.zh + rest
		}
	}
	return what
}

// badRequest is a 400 with msg (in English, or in the page's language when
// only a page shows it); set its Chinese wording with zh.
func badRequest(msg string) *apiError {
	return newAPIError(http.StatusBadRequest, CodeBadRequest, msg)
}

// badParam is a 400 for the query parameter name, with err's words.
func badParam(name string, err error) *apiError {
	zh := zhOf(err)
	if zh == "" {
		zh = "無效（" + err.Error() + "）"
	}
	return badRequest(name + ": " + err.Error()).zh("參數 " + name + "：" + zh)
}

// reader returns the live reader of a read model.
func (s *server) reader(name string) (projections.Reader, error) {
	if s.cfg.Queries == nil {
		return nil, errNoReadModels
	}
	return s.cfg.Queries.Reader(name), nil
}

// viewOf returns the view r asks for; the auditor view needs an auditor's
// or staff's token.
func (s *server) viewOf(r *http.Request) (readmodels.View, error) {
	switch v := r.URL.Query().Get("view"); v {
	case "", string(readmodels.Public):
		return readmodels.Public, nil
	case string(readmodels.Auditor):
		if s.cfg.Tokens == nil {
			e := newAPIError(http.StatusForbidden, CodeForbidden, "this server issues no tokens: the auditor view is not served").zh("這個伺服器不發權杖：不提供稽核檢視")
			e.detail.Rule = RuleAuditorViewRole
			return "", e
		}
		actor, err := s.authenticate(r)
		if err != nil {
			return "", err
		}
		if actor.Role != domain.RoleAuditor && actor.Role != domain.RolePDIS {
			e := newAPIError(http.StatusForbidden, CodeForbidden, "the auditor view is for auditors and PDIS staff").zh("稽核檢視只給稽核人員與 PDIS 工作人員")
			e.detail.Rule = RuleAuditorViewRole
			return "", e
		}
		return readmodels.Auditor, nil
	default:
		return "", badRequest("view must be public or auditor").zh("view 須為 public 或 auditor")
	}
}

// asOfOf reads ?asof= (a log position, or an RFC 3339 time) and ?clock=
// (recorded, the default, or occurred); ok is false without ?asof=.
func asOfOf(r *http.Request) (at readmodels.AsOf, ok bool, err error) {
	q := r.URL.Query()
	v := strings.TrimSpace(q.Get("asof"))
	if v == "" {
		return at, false, nil
	}
	if n, perr := strconv.ParseUint(v, 10, 64); perr == nil {
		if n == 0 {
			return at, false, asOfRefused(RuleAsOfMalformed, "asof: a log position starts at 1", "asof.bad.position").zh("asof：帳本的位置從 1 開始")
		}
		return readmodels.AsOf{Position: eventstore.Position(n)}, true, nil
	}
	t, perr := time.Parse(time.RFC3339Nano, v)
	if perr != nil {
		// A date is the whole of that day in Taipei: as of its end.
		d, derr := calendar.ParseDate(v)
		if derr != nil {
			return at, false, asOfRefused(RuleAsOfMalformed, "asof must be a log position, a date (2024-06-01) or an RFC 3339 time", "asof.bad.value").zh("asof 須為帳本的位置、日期（2024-06-01）或 RFC 3339 時間")
		}
		t = d.End().Add(-time.Nanosecond)
	}
	switch q.Get("clock") {
	case "", "recorded":
		return readmodels.AsOf{RecordedAt: t}, true, nil
	case "occurred":
		return readmodels.AsOf{OccurredAt: t}, true, nil
	}
	return at, false, asOfRefused(RuleAsOfClock, "clock must be recorded or occurred", "asof.bad.clock").zh("clock 須為 recorded 或 occurred")
}

// describeAsOf returns what an as-of answer says about its point.
func describeAsOf(at readmodels.AsOf, snap *readmodels.Snapshot) *AsOfInfo {
	info := &AsOfInfo{LastFolded: snap.Position, Events: snap.Events, Resumed: snap.Resumed}
	switch {
	case at.Position != 0:
		info.Clock, info.Position = "position", at.Position
	case !at.RecordedAt.IsZero():
		info.Clock, info.At = "recorded", at.RecordedAt
	default:
		info.Clock, info.At = "occurred", at.OccurredAt
	}
	return info
}

// snapshotKey names a fold of a case as of a point that can no longer
// change: a log position at or below the head, or a recorded-at time older
// than recordedSettled.
type snapshotKey struct {
	caseID   domain.CaseID
	position eventstore.Position
	recorded int64 // Unix nanoseconds
}

// recordedSettled is how far back a recorded-at time must be for every
// event recorded by then to be in the log (the writers' clocks agree to
// well within it).
const recordedSettled = time.Minute

// snapshotCost estimates a snapshot's memory: bytes per event folded.
const snapshotCost = 512

// caseAsOf folds a case as of at, or takes the fold from the cache when the
// same settled point was asked before: an auditor paging an as-of trail
// folds the case once. Occurred-at points are folded every time (a staff
// member may still record something that happened before them).
func (s *server) caseAsOf(ctx context.Context, id domain.CaseID, at readmodels.AsOf) (*readmodels.Snapshot, error) {
	key, cacheable := snapshotKey{caseID: id}, false
	switch {
	case at.Position != 0:
		head, err := s.cfg.Store.Head(ctx)
		if err != nil {
			return nil, err
		}
		key.position, cacheable = at.Position, at.Position <= head
	case !at.RecordedAt.IsZero():
		key.recorded, cacheable = at.RecordedAt.UnixNano(), time.Since(at.RecordedAt) > recordedSettled
	}
	if cacheable {
		if snap, ok := s.snapshots.Get(key); ok {
			return snap, nil
		}
	}
	snap, err := s.folds.CaseAsOf(ctx, s.cfg.Store, s.cfg.Queries, id, at)
	if err == nil && snap.Events >= foldSnapshotsFrom {
		s.refreshFolds(id)
	}
	if err == nil && cacheable {
		s.snapshots.Put(key, snap, snapshotCost*max(snap.Events, 1))
	}
	return snap, err
}

// caseReaders returns the case board's and the trail's readers for a case:
// live, or folded as of ?asof=.
func (s *server) caseReaders(ctx context.Context, r *http.Request, id domain.CaseID) (board, trail projections.Reader, info *AsOfInfo, err error) {
	if s.cfg.Queries == nil {
		return nil, nil, nil, errNoReadModels
	}
	at, ok, err := asOfOf(r)
	if err != nil {
		return nil, nil, nil, err
	}
	if !ok {
		return s.cfg.Queries.Reader(readmodels.CaseBoardName), s.cfg.Queries.Reader(readmodels.TrailName), nil, nil
	}
	snap, err := s.caseAsOf(ctx, id, at)
	if errors.Is(err, readmodels.ErrUnknownCase) {
		return nil, nil, nil, notFound("case " + string(id) + " at that point")
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return snap.Reader(readmodels.CaseBoardName), snap.Reader(readmodels.TrailName), describeAsOf(at, snap), nil
}

// caseFilterOf reads the case board's filters.
type caseQuery struct {
	filter        readmodels.CaseFilter
	year          int
	q             string
	sort          string
	offset, limit int
}

// The case board's orders: by case number (the default) or the most
// recent activity first.
const (
	caseSortNumber   = "number"
	caseSortActivity = "activity"
)

var caseSorts = []string{caseSortNumber, caseSortActivity}

// compareCaseNumbers orders case IDs by number: numeric IDs by value,
// before any other, which compare as text.
func compareCaseNumbers(a, b string) int {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	switch {
	case errA == nil && errB == nil:
		return cmp.Compare(x, y)
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// sortCases orders cases as sort says (caseSorts).
func sortCases(cases []readmodels.CaseSummary, sort string) {
	slices.SortStableFunc(cases, func(a, b readmodels.CaseSummary) int {
		if sort == caseSortActivity {
			if c := b.LastChange.Compare(a.LastChange); c != 0 {
				return c
			}
		}
		return compareCaseNumbers(a.CaseID, b.CaseID)
	})
}

func caseQueryOf(r *http.Request) (caseQuery, error) {
	q := r.URL.Query()
	cq := caseQuery{
		filter: readmodels.CaseFilter{Stage: domain.CaseStage(q.Get("stage")), Ministry: q.Get("ministry"), Source: domain.CaseSourceKind(q.Get("source")), Open: q.Get("open") == "true"},
		q:      strings.TrimSpace(q.Get("q")),
		sort:   cmp.Or(q.Get("sort"), caseSortNumber),
		limit:  100,
	}
	if !slices.Contains(caseSorts, cq.sort) {
		return cq, badParam("sort", errBoth("must be one of: "+strings.Join(caseSorts, ", "), "須為以下之一："+strings.Join(caseSorts, "、")))
	}
	var err error
	if cq.year, err = intParam(q.Get("year"), 0, 0, 9999); err != nil {
		return cq, badParam("year", err)
	}
	if cq.offset, err = intParam(q.Get("offset"), 0, 0, 1<<30); err != nil {
		return cq, badParam("offset", err)
	}
	if cq.limit, err = intParam(q.Get("limit"), 100, 1, 1000); err != nil {
		return cq, badParam("limit", err)
	}
	return cq, nil
}

// intParam parses an optional integer within [lo, hi].
func intParam(v string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, errBoth("must be an integer from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi), "須為 "+strconv.Itoa(lo)+" 到 "+strconv.Itoa(hi)+" 的整數")
	}
	return n, nil
}

// listCases runs the case board query with the year and title filters.
func (s *server) listCases(ctx context.Context, cq caseQuery) (CaseList, error) {
	rd, err := s.reader(readmodels.CaseBoardName)
	if err != nil {
		return CaseList{}, err
	}
	// The ministry filter takes a code or a name (ministriesMeant).
	f := cq.filter
	f.Ministry = ""
	ministries, err := s.ministriesMeant(ctx, cq.filter.Ministry)
	if err != nil {
		return CaseList{}, err
	}
	all, err := readmodels.Cases(ctx, rd, f)
	if err != nil {
		return CaseList{}, err
	}
	sortCases(all, cq.sort)
	out := CaseList{Cases: []readmodels.CaseSummary{}}
	needle := strings.ToLower(cq.q)
	for _, c := range all {
		if ministries != nil && !ministries[c.Leader()] && !slices.ContainsFunc(c.CoOrganisers, func(m string) bool { return ministries[m] }) {
			continue
		}
		if cq.year != 0 && c.Opened.In(taipei()).Year() != cq.year {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(c.Title), needle) {
			continue
		}
		if out.Total >= cq.offset && len(out.Cases) < cq.limit {
			out.Cases = append(out.Cases, c)
		}
		out.Total++
	}
	return out, nil
}

// trailQueryOf reads the trail's paging.
func trailQueryOf(r *http.Request, v readmodels.View, def int) (readmodels.TrailQuery, error) {
	q := r.URL.Query()
	tq := readmodels.TrailQuery{View: v, Steps: q["step"]}
	after, err := intParam(q.Get("after"), 0, 0, 1<<62)
	if err != nil {
		return tq, badParam("after", err)
	}
	tq.After = eventstore.Position(after)
	if tq.Limit, err = intParam(q.Get("limit"), def, 1, maxTrailLimit); err != nil {
		return tq, badParam("limit", err)
	}
	return tq, nil
}

// queryContext bounds one query.
func (s *server) queryContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
}

// answer writes a query's result, or its error.
func (s *server) answer(w http.ResponseWriter, r *http.Request, v readmodels.View, body any, err error) {
	if err != nil {
		writeError(w, r, s.cfg.Logger, err)
		return
	}
	if v == readmodels.Auditor {
		w.Header().Set("Cache-Control", "private, no-store")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_ = jsonEncode(w, body)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *server) apiCases(ctx context.Context, r *http.Request) (any, readmodels.View, error) {
	cq, err := caseQueryOf(r)
	if err != nil {
		return nil, readmodels.Public, err
	}
	list, err := s.listCases(ctx, cq)
	return list, readmodels.Public, err
}

func (s *server) caseView(ctx context.Context, r *http.Request) (CaseView, readmodels.View, error) {
	v, err := s.viewOf(r)
	if err != nil {
		return CaseView{}, v, err
	}
	id := domain.CaseID(r.PathValue("id"))
	board, _, info, err := s.caseReaders(ctx, r, id)
	if err != nil {
		return CaseView{}, v, err
	}
	cv, err := caseViewOf(ctx, board, id, v, info)
	return cv, v, err
}

// caseViewOf reads a case's card from board (live, or as of info's point).
func caseViewOf(ctx context.Context, board projections.Reader, id domain.CaseID, v readmodels.View, info *AsOfInfo) (CaseView, error) {
	c, ok, err := readmodels.Case(ctx, board, id, v)
	switch {
	case err == nil && !ok && info != nil:
		// The index knows the case: it was opened after the point asked.
		err = notYet("case", string(id), info)
	case err == nil && !ok:
		err = notFound("case " + string(id))
	}
	return CaseView{View: v, AsOf: info, Case: c}, err
}

func (s *server) caseTrailView(ctx context.Context, r *http.Request) (TrailView, readmodels.View, error) {
	v, err := s.viewOf(r)
	if err != nil {
		return TrailView{}, v, err
	}
	tq, err := trailQueryOf(r, v, 100)
	if err != nil {
		return TrailView{}, v, err
	}
	id := domain.CaseID(r.PathValue("id"))
	_, trail, info, err := s.caseReaders(ctx, r, id)
	if err != nil {
		return TrailView{}, v, err
	}
	page, ok, err := readmodels.CaseTrail(ctx, trail, id, tq)
	switch {
	case err == nil && !ok && info != nil:
		err = notYet("case", string(id), info)
	case err == nil && !ok:
		err = notFound("case " + string(id))
	}
	return TrailView{View: v, AsOf: info, Page: page}, v, err
}

func (s *server) apiSubjectTrail(ctx context.Context, r *http.Request) (any, readmodels.View, error) {
	v, err := s.viewOf(r)
	if err != nil {
		return nil, v, err
	}
	tq, err := trailQueryOf(r, v, 100)
	if err != nil {
		return nil, v, err
	}
	rd, err := s.reader(readmodels.TrailName)
	if err != nil {
		return nil, v, err
	}
	subject := r.PathValue("subject")
	if _, ok, err := readmodels.Subjects(ctx, rd, subject); err != nil {
		return nil, v, err
	} else if !ok {
		return nil, v, notFound("trail " + subject)
	}
	page, err := readmodels.SubjectTrail(ctx, rd, subject, tq)
	return TrailView{View: v, Page: page}, v, err
}

func (s *server) apiMeeting(ctx context.Context, r *http.Request) (any, readmodels.View, error) {
	v, err := s.viewOf(r)
	if err != nil {
		return nil, v, err
	}
	id := domain.MeetingID(r.PathValue("id"))
	m, info, ok, err := s.meetingAsOf(ctx, r, id, v)
	if !ok {
		m, err = s.meeting(ctx, id, v)
	}
	return MeetingView{View: v, AsOf: info, Meeting: m}, v, err
}

// meeting returns a meeting's record, or a not-found error.
func (s *server) meeting(ctx context.Context, id domain.MeetingID, v readmodels.View, window ...readmodels.Window) (readmodels.MeetingRecord, error) {
	m, _, err := s.meetingAt(ctx, id, v, window...)
	return m, err
}

// meetingAt is meeting with the revision the record is current for (see
// readmodels.MeetingCache.MeetingAt; 0: none).
func (s *server) meetingAt(ctx context.Context, id domain.MeetingID, v readmodels.View, window ...readmodels.Window) (readmodels.MeetingRecord, uint64, error) {
	rd, err := s.reader(readmodels.TranscriptsName)
	if err != nil {
		return readmodels.MeetingRecord{}, 0, err
	}
	m, rev, ok, err := s.meetings.MeetingAt(ctx, rd, id, v, window...)
	if err == nil && !ok {
		err = notFound("meeting " + string(id))
	}
	return m, rev, err
}

func (s *server) apiProposal(ctx context.Context, r *http.Request) (any, readmodels.View, error) {
	v, err := s.viewOf(r)
	if err != nil {
		return nil, v, err
	}
	p, _, info, _, err := s.proposalAt(ctx, r, domain.ProposalID(r.PathValue("id")), v)
	return ProposalView{View: v, AsOf: info, Proposal: p, LastDays: proposalLastDays(p)}, v, err
}

// proposal returns a proposal's tally, or a not-found error.
func (s *server) proposal(ctx context.Context, id domain.ProposalID, v readmodels.View) (readmodels.ProposalTally, error) {
	rd, err := s.reader(readmodels.TalliesName)
	if err != nil {
		return readmodels.ProposalTally{}, err
	}
	p, ok, err := readmodels.Proposal(ctx, rd, id, v)
	if err == nil && !ok {
		err = notFound("proposal " + string(id))
	}
	return p, err
}

func (s *server) apiInvalidations(ctx context.Context, r *http.Request) (any, readmodels.View, error) {
	v, err := s.viewOf(r)
	if err != nil {
		return nil, v, err
	}
	id := domain.ProposalID(r.PathValue("id"))
	_, rd, info, _, err := s.proposalAt(ctx, r, id, v)
	if err != nil {
		return nil, v, err
	}
	list, err := readmodels.Invalidations(ctx, rd, id, v)
	if list == nil {
		list = []readmodels.Invalidation{}
	}
	return InvalidationList{View: v, AsOf: info, Invalidations: list}, v, err
}

func (s *server) apiMonthly(ctx context.Context, r *http.Request) (any, readmodels.View, error) {
	m, info, err := s.monthlyAt(ctx, r, domain.MonthlyMeetingID(r.PathValue("id")))
	return MonthlyView{MonthlyTally: m, AsOf: info}, readmodels.Public, err
}

// monthly returns a monthly meeting's vote, or a not-found error.
func (s *server) monthly(ctx context.Context, id domain.MonthlyMeetingID) (readmodels.MonthlyTally, error) {
	rd, err := s.reader(readmodels.TalliesName)
	if err != nil {
		return readmodels.MonthlyTally{}, err
	}
	m, ok, err := readmodels.Monthly(ctx, rd, id)
	if err == nil && !ok {
		err = notFound("monthly meeting " + string(id))
	}
	return m, err
}

func (s *server) apiDue(ctx context.Context, r *http.Request) (any, readmodels.View, error) {
	var until time.Time
	if v := r.URL.Query().Get("until"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, readmodels.Public, badRequest("until must be an RFC 3339 time").zh("until 須為 RFC 3339 時間")
		}
		until = t
	}
	rd, err := s.reader(readmodels.TalliesName)
	if err != nil {
		return nil, readmodels.Public, err
	}
	due, err := readmodels.DueResponses(ctx, rd, until)
	rows := make([]DueRow, len(due))
	for i, d := range due {
		rows[i] = DueRow{DueResponse: d, LastDay: calendar.LastDay(d.DueAt)}
	}
	return DueList{Due: rows}, readmodels.Public, err
}

// DueRow is an open response deadline with its last day that counts.
type DueRow struct {
	readmodels.DueResponse
	// LastDay is the last day that counts of DueAt (Asia/Taipei).
	LastDay calendar.Date `json:"lastDay"`
}

package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/readmodels"
)

// As of an earlier moment (?asof=, ?clock=): the pages and JSON answers of a
// case, a proposal, a PO monthly meeting and a meeting show the subject as
// it stood then, folded from the log (readmodels.CaseAsOf, ProposalAsOf,
// MonthlyAsOf, MeetingAsOf); every such page carries one banner
// (AsOfBanner, the "asofbanner" template) saying which clock and which
// moment, with a link back to now. The lists, the home page, search and the
// ministries' pages show the present only and refuse ?asof= with
// RuleAsOfLiveOnly rather than ignore it (decision 0031).

// Rules of refused as-of queries, in the error body's "rule".
const (
	// RuleAsOfMalformed: ?asof= is not a log position, a date or an RFC
	// 3339 time (400).
	RuleAsOfMalformed = "query.asof.malformed"
	// RuleAsOfClock: ?clock= is not recorded or occurred (400).
	RuleAsOfClock = "query.asof.clock"
	// RuleAsOfLiveOnly: the page or list shows the present only; open the
	// case, proposal, monthly meeting or meeting with ?asof= instead (400).
	RuleAsOfLiveOnly = "query.asof.live_only"
	// RuleAsOfNotYet: the subject exists, but did not exist yet as of the
	// moment asked for (404).
	RuleAsOfNotYet = "query.asof.not_yet"
)

// AsOfBanner is what the as-of banner of a page says: the clock and the
// moment (Text, in the page's language), and the page now (LiveURL).
type AsOfBanner struct {
	Clock   string
	Text    string
	LiveURL string
}

// AsOfForm fills the "see an earlier moment" form of a page that can show
// one: where it goes, and the value and clock asked for.
type AsOfForm struct {
	Action string
	Value  string
	Clock  string
}

// asOfText says, in the page's language, which moment on which clock info
// stands for.
func asOfText(p *Page, info *AsOfInfo) string {
	switch info.Clock {
	case "position":
		return p.TF("case.asof.position", info.Position)
	case "recorded":
		return p.TF("case.asof.recorded", formatTime(info.At))
	default:
		return p.TF("case.asof.occurred", formatTime(info.At))
	}
}

// setAsOf gives a page that can show an earlier moment its form, and its
// banner when info is set (an as-of view).
func setAsOf(p *Page, r *http.Request, info *AsOfInfo) {
	q := r.URL.Query()
	p.AsOfForm = &AsOfForm{Action: r.URL.Path, Value: q.Get("asof"), Clock: q.Get("clock")}
	if info != nil {
		p.AsOf = &AsOfBanner{Clock: info.Clock, Text: asOfText(p, info), LiveURL: withQuery(r.URL, map[string]string{"asof": "", "clock": "", "after": "", "n": "", "page": ""})}
	}
}

// notYet is the answer about a subject that exists now but did not yet as
// of info's moment: 404 with RuleAsOfNotYet, and on a page the explanation
// and a link to the subject now.
func notYet(kind, id string, info *AsOfInfo) *apiError {
	msg := kind + " " + id + " did not exist yet as of "
	if info.Clock == "position" {
		msg += "log position " + itoa64(uint64(info.Position))
	} else {
		msg += info.At.UTC().Format("2006-01-02T15:04:05Z07:00") + " (" + info.Clock + " clock)"
	}
	e := newAPIError(http.StatusNotFound, CodeNotFound, msg).zh(func() string {
		zh := &Page{Lang: LangZhHant}
		return zh.TF("asof.notyet.body", zh.T("asof.kind."+kind), id, asOfText(zh, info))
	}())
	e.detail.Rule = RuleAsOfNotYet
	e.page = func(p *Page, r *http.Request) ErrorData {
		return ErrorData{Heading: p.T("asof.notyet.title"),
			Message: p.TF("asof.notyet.body", p.T("asof.kind."+kind), id, asOfText(p, info)),
			LiveURL: r.URL.Path, LiveText: p.T("asof.notyet.now")}
	}
	return e
}

// liveOnly refuses ?asof= on a page or list that shows the present only.
func (s *server) liveOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !r.URL.Query().Has("asof") {
			h(w, r)
			return
		}
		e := newAPIError(http.StatusBadRequest, CodeBadRequest, "this list shows the present only: open a case, proposal, monthly meeting or meeting with ?asof= to see it at an earlier moment").
			zh("這個清單只顯示現在：要看較早的時刻，請以 ?asof= 打開一個案件、提案、PO 月會或會議")
		e.detail.Rule = RuleAsOfLiveOnly
		e.page = func(p *Page, _ *http.Request) ErrorData {
			return ErrorData{Heading: p.T("asof.liveonly.title"), Message: p.T("asof.liveonly.body"), LiveURL: withQuery(r.URL, map[string]string{"asof": "", "clock": ""}), LiveText: p.T("asof.notyet.now")}
		}
		if isAPI(r) {
			writeError(w, r, s.cfg.Logger, e)
			return
		}
		s.pageError(w, r, newPage(w, r, ""), e)
	}
}

// proposalAt returns a proposal live, or as of ?asof=: its tally, the
// reader of the tallies it was read from, and (as of a point) what the
// answer says about it and the point.
func (s *server) proposalAt(ctx context.Context, r *http.Request, id domain.ProposalID, v readmodels.View) (pr readmodels.ProposalTally, tallies projections.Reader, info *AsOfInfo, at *readmodels.AsOf, err error) {
	live, err := s.proposal(ctx, id, v)
	if err != nil {
		return live, nil, nil, nil, err
	}
	point, ok, err := asOfOf(r)
	if err != nil || !ok {
		return live, s.cfg.Queries.Reader(readmodels.TalliesName), nil, nil, err
	}
	snap, err := readmodels.ProposalAsOf(ctx, s.cfg.Store, id, live.Cases, point)
	if errors.Is(err, readmodels.ErrNotYet) {
		return live, nil, nil, nil, notYet("proposal", string(id), describeAsOf(point, &readmodels.Snapshot{}))
	}
	if err != nil {
		return live, nil, nil, nil, err
	}
	info = describeAsOf(point, snap)
	tallies = snap.Reader(readmodels.TalliesName)
	pr, ok, err = readmodels.Proposal(ctx, tallies, id, v)
	if err == nil && !ok {
		err = notYet("proposal", string(id), info)
	}
	return pr, tallies, info, &point, err
}

// monthlyAt returns a PO monthly meeting's vote live, or as of ?asof=.
func (s *server) monthlyAt(ctx context.Context, r *http.Request, id domain.MonthlyMeetingID) (readmodels.MonthlyTally, *AsOfInfo, error) {
	live, err := s.monthly(ctx, id)
	if err != nil {
		return live, nil, err
	}
	at, ok, err := asOfOf(r)
	if err != nil || !ok {
		return live, nil, err
	}
	snap, err := readmodels.MonthlyAsOf(ctx, s.cfg.Store, id, live.Cases, at)
	if errors.Is(err, readmodels.ErrNotYet) {
		return live, nil, notYet("monthly", string(id), describeAsOf(at, &readmodels.Snapshot{}))
	}
	if err != nil {
		return live, nil, err
	}
	info := describeAsOf(at, snap)
	m, ok, err := readmodels.Monthly(ctx, snap.Reader(readmodels.TalliesName), id)
	if err == nil && !ok {
		err = notYet("monthly", string(id), info)
	}
	return m, info, err
}

// meetingAsOf returns a meeting as of ?asof= (ok false without it, and
// nothing else): the record, with only window's utterances in full.
func (s *server) meetingAsOf(ctx context.Context, r *http.Request, id domain.MeetingID, v readmodels.View, window ...readmodels.Window) (m readmodels.MeetingRecord, info *AsOfInfo, ok bool, err error) {
	at, ok, err := asOfOf(r)
	if err != nil {
		return m, nil, true, err
	}
	if !ok {
		return m, nil, false, nil
	}
	// Unknown now: not found, as live.
	live, err := s.meeting(ctx, id, v, readmodels.Window{Limit: 1})
	if err != nil {
		return m, nil, true, err
	}
	var snap *readmodels.Snapshot
	if live.CaseID != "" {
		// A case's meeting is read from the case's fold as of the point,
		// which starts from the case's snapshots (decision 0047), not
		// folded alone from scratch (equal: TestCaseFoldsAgree).
		snap, err = s.caseAsOf(ctx, domain.CaseID(live.CaseID), at)
		if errors.Is(err, readmodels.ErrUnknownCase) {
			err = readmodels.ErrNotYet
		}
	} else {
		snap, err = readmodels.MeetingAsOf(ctx, s.cfg.Store, id, at)
	}
	if errors.Is(err, readmodels.ErrNotYet) {
		return m, nil, true, notYet("meeting", string(id), describeAsOf(at, &readmodels.Snapshot{}))
	}
	if err != nil {
		return m, nil, true, err
	}
	info = describeAsOf(at, snap)
	m, found, err := readmodels.Meeting(ctx, snap.Reader(readmodels.TranscriptsName), id, v, window...)
	if err == nil && !found {
		err = notYet("meeting", string(id), info)
	}
	return m, info, true, err
}

// asOfRefused is a malformed ?asof= or ?clock=: 400 with rule, its message
// on a page under key.
func asOfRefused(rule, msg, key string) *apiError {
	e := badRequest(msg)
	e.detail.Rule = rule
	e.page = func(p *Page, _ *http.Request) ErrorData {
		return ErrorData{Heading: p.T("badrequest.title"), Message: p.T(key)}
	}
	return e
}

// foldSnapshotsFrom is the size of a case's as-of fold from which the
// server keeps periodic snapshots of it (readmodels.CaseFolds): below it a
// fold from scratch is fast enough.
const foldSnapshotsFrom = 4096

// refreshFolds extends the snapshots of a case's fold in the background
// (at most one refresh of a case at a time), so that the next view of it
// as of any point folds only the events after the nearest one.
func (s *server) refreshFolds(id domain.CaseID) {
	if _, busy := s.refreshing.LoadOrStore(id, true); busy {
		return
	}
	go func() {
		defer s.refreshing.Delete(id)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := s.folds.Refresh(ctx, s.cfg.Store, s.cfg.Queries, id); err != nil {
			s.cfg.Logger.Warn("as-of snapshots of a case", "case", id, "err", err)
		}
	}()
}

package web

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore/sealed"
	"github.com/pdis/collab-ledger/readmodels"
)

// The public pages: server-rendered HTML in Traditional Chinese and
// English (i18n.go), readable without JavaScript, printable.
//
//	GET /                      the case index: filters (stage, ministry, source, year) and title search
//	GET /cases/{id}            a case: stage timeline, organisers, meetings, inclusion, recommendations,
//	                           directive, responses and the accountability trail (?after= pages it;
//	                           ?asof=<position|RFC 3339>&clock=recorded|occurred shows an earlier point)
//	GET /meetings/{id}         a meeting's transcript with every version and its word diff, notes, questions
//	GET /proposals/{id}        a proposal: signatures over time (SVG), milestones, the response
//	GET /monthly/{id}          a PO monthly meeting: candidates, ballots, tally, selected topics
//	GET /static/…              the stylesheet
//
// ?lang=zh-Hant|en switches the language (remembered in a cookie);
// ?view=auditor shows the auditor view to an auditor's or staff's bearer
// token. Everything people wrote is escaped by html/template.

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Page sizes: a page stays small however large the case.
const (
	trailPageSize     = 50
	utterancePageSize = 100
)

var (
	pagesOnce sync.Once
	pageTmpl  map[string]*template.Template
	pagesErr  error
)

// pageNames are the templates, each executed within layout.html.
var pageNames = []string{"index", "case", "meeting", "proposal", "monthly", "error"}

func loadPages() (map[string]*template.Template, error) {
	pagesOnce.Do(func() {
		pageTmpl = map[string]*template.Template{}
		for _, name := range pageNames {
			t, err := template.New("layout.html").Funcs(pageFuncs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", "templates/"+name+".html")
			if err != nil {
				pagesErr = fmt.Errorf("page template %s: %w", name, err)
				return
			}
			pageTmpl[name] = t
		}
	})
	return pageTmpl, pagesErr
}

var pageFuncs = template.FuncMap{
	"time":  formatTime,
	"until": formatEnd,
	"date":  formatDate,
	"iso":   isoTime,
	"inc":   func(i int) int { return i + 1 },
	"join":  joinStrings,
	"days":  func(sec int64) string { return strconv.FormatFloat(float64(sec)/86400, 'f', 1, 64) },
	"plain": plainText,
}

func joinStrings(list []string) string {
	var b bytes.Buffer
	for i, s := range list {
		if i > 0 {
			b.WriteString("、")
		}
		b.WriteString(s)
	}
	return b.String()
}

func taipei() *time.Location { return calendar.Taipei }

func jsonEncode(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }

// registerPages adds the public pages to mux.
func (s *server) registerPages(mux *http.ServeMux) error {
	if _, err := loadPages(); err != nil {
		return err
	}
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(time.Hour, http.FileServerFS(static))))
	s.registerPublicPages(mux)
	mux.HandleFunc("GET /cases/{id}", s.pageCase)
	mux.HandleFunc("GET /meetings/{id}", s.pageMeeting)
	mux.HandleFunc("GET /proposals/{id}", s.pageProposal)
	mux.HandleFunc("GET /monthly/{id}", s.pageMonthly)
	mux.HandleFunc(catchAll, s.pageNotFound)
	return nil
}

func cacheFor(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(d.Seconds())))
		h.ServeHTTP(w, r)
	})
}

// Page is what every page template sees: the language and its labels,
// the language switch, the view, and the page's own data in Data.
type Page struct {
	Lang      string
	OtherLang string
	// SwitchURL is this page in the other language.
	SwitchURL string
	Title     string
	View      readmodels.View
	Data      any
	// Status is the HTTP status (error pages).
	Status int
	// SignInOn is set when the server offers sign-in (session.go); Who is
	// the signed-in person, nil if none; DevBanner says on every page
	// that the development sign-in is on.
	SignInOn  bool
	Who       *Who
	DevBanner bool
	// Names shows ministry codes as names (M, MS); render sets it.
	Names *MinistryNames
	// AsOf is set when the page shows an earlier moment: the banner says
	// which (asof.go). AsOfForm is set on pages that can show one.
	AsOf     *AsOfBanner
	AsOfForm *AsOfForm
	// decorated says decorate has run (a kept list page looks first).
	decorated bool
}

// T returns the label key in the page's language.
func (p *Page) T(key string) string { return tr(p.Lang, key) }

// TF formats the label key with args (in English, in the singular when
// the first argument is 1).
func (p *Page) TF(key string, args ...any) string { return formatLabel(p.Lang, key, args...) }

// L labels a domain value of kind ("stage", "verdict", …).
func (p *Page) L(kind string, value any) string {
	v := fmt.Sprint(value)
	if v == "" {
		return ""
	}
	key := kind + "." + v
	if m, ok := catalogue[p.Lang][key]; ok {
		return m
	}
	return v
}

// Reason shows a reason in the page's language when the system wrote it
// (domain.SystemReason), and as written when a person gave it.
func (p *Page) Reason(s string) template.HTML {
	if n, ok := domain.ReasonName(s); ok {
		return template.HTML(template.HTMLEscapeString(reasonIn(p.Lang, n)))
	}
	return p.Text(s)
}

// Skipped says why a candidate with enough votes was not selected, in the
// page's language by the rule that kept it out ("skip.<rule>", with the
// organiser's name), else as the domain wrote it.
func (p *Page) Skipped(s *domain.SkippedCandidate, organiser any) template.HTML {
	if s == nil {
		return ""
	}
	if f, ok := catalogue[p.Lang]["skip."+s.Rule]; ok {
		return template.HTML(template.HTMLEscapeString(fmt.Sprintf(f, p.MName(fmt.Sprint(organiser)))))
	}
	return p.Text(s.Reason)
}

// reasonText is Reason as plain text.
func reasonText(lang, s string) string {
	if n, ok := domain.ReasonName(s); ok {
		return reasonIn(lang, n)
	}
	return s
}

func reasonIn(lang string, n domain.Name) string {
	if lang == LangEn {
		return n.EN
	}
	return n.ZH
}

// Actor names who recorded something: their role, and their ID where the
// view shows it.
func (p *Page) Actor(a readmodels.Actor) string {
	if a.Role == "" && a.ID == "" {
		return p.T("common.anonymous")
	}
	role := p.L("actor", a.Role)
	if a.ID == "" {
		return role
	}
	if sealed.IsErased(a.ID) { // the commitment left where an erased ID was
		return role + " " + p.T("common.erased.value")
	}
	return role + " " + a.ID
}

// Kept returns a recorded value as the page shows it: the value, or, where
// an erasure left its commitment, when and why it was erased.
func (p *Page) Kept(s string, e *readmodels.Erasure) string {
	if !sealed.IsErased(s) {
		return s
	}
	if e == nil {
		return p.T("common.erased.value")
	}
	return p.Erased(e)
}

// Erased says when and why an event's personal data was erased, in the
// page's language with the date in Taipei ("" if it was not).
func (p *Page) Erased(e *readmodels.Erasure) string {
	if e == nil {
		return ""
	}
	return p.TF("common.erased.on", formatDate(e.On), e.Reason, e.LegalBasis)
}

// newPage starts a page for r, setting the language cookie when ?lang=
// chose it.
func newPage(w http.ResponseWriter, r *http.Request, title string) *Page {
	lang, chosen := langOf(r)
	if chosen {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, HttpOnly: true})
	}
	other := otherLang(lang)
	u := *r.URL
	q := u.Query()
	q.Set("lang", other)
	u.RawQuery = q.Encode()
	return &Page{Lang: lang, OtherLang: other, SwitchURL: u.RequestURI(), Title: title, View: readmodels.Public, Status: http.StatusOK}
}

// render executes a page template into a buffer first, so that a template
// error never sends half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, name string, p *Page) {
	s.renderKeep(w, r, name, p, nil)
}

// renderKeep is render, handing the page's bytes to keep (if not nil)
// before sending them; keep must not hold on to them.
func (s *server) renderKeep(w http.ResponseWriter, r *http.Request, name string, p *Page, keep func([]byte)) {
	tmpls, err := loadPages()
	if err != nil {
		writeError(w, r, s.cfg.Logger, fmt.Errorf("pages: %w", err))
		return
	}
	s.renderWithKeep(w, r, tmpls[name], name, p, keep)
}

// renderWith executes tmpl (a page within layout.html) for p.
func (s *server) renderWith(w http.ResponseWriter, r *http.Request, tmpl *template.Template, name string, p *Page) {
	s.renderWithKeep(w, r, tmpl, name, p, nil)
}

func (s *server) renderWithKeep(w http.ResponseWriter, r *http.Request, tmpl *template.Template, name string, p *Page, keep func([]byte)) {
	s.decorate(r, p)
	if p.Names == nil {
		if d, err := s.directory(r.Context()); err == nil {
			p.Names = d.names
		}
	}
	buf := getBuf()
	defer putBuf(buf)
	if err := tmpl.Execute(buf, p); err != nil {
		writeError(w, r, s.cfg.Logger, fmt.Errorf("render page %s: %w", name, err))
		return
	}
	if keep != nil {
		keep(buf.Bytes())
	}
	writePage(w, p, buf.Bytes())
}

// writePage sends a rendered page with its headers.
func writePage(w http.ResponseWriter, p *Page, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", p.Lang)
	h.Set("Vary", "Accept-Language, Cookie, Authorization")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	if p.View == readmodels.Auditor || p.Who != nil {
		h.Set("Cache-Control", "private, no-store")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// ErrorData is the data of an error page: the heading and message in the
// page's language, and the stable code (and rule) the JSON API answers the
// same error with.
type ErrorData struct {
	Heading string
	Message string
	Code    string
	Rule    string
	// LiveURL, if set, links to what to see instead (LiveText).
	LiveURL  string
	LiveText string
}

// pageError renders the error page err calls for, in the page's language.
func (s *server) pageError(w http.ResponseWriter, r *http.Request, p *Page, err error) {
	e := classify(err)
	p.Status = e.status
	p.View = readmodels.Public
	switch e.status {
	case http.StatusNotFound:
		p.Title = p.T("notfound.title")
		p.Data = ErrorData{Heading: p.T("notfound.title"), Message: p.TF("notfound.body", r.URL.Path)}
	case http.StatusUnauthorized, http.StatusForbidden:
		p.Status = http.StatusForbidden
		p.Title = p.T("forbidden.title")
		p.Data = ErrorData{Heading: p.T("forbidden.title"), Message: p.T("forbidden.body")}
	case http.StatusBadRequest:
		p.Title = p.T("badrequest.title")
		p.Data = ErrorData{Heading: p.T("badrequest.title"), Message: e.in(p.Lang).Message}
	default:
		if e.status >= 500 {
			s.cfg.Logger.Error("page", "path", r.URL.Path, "status", e.status, "err", err)
		}
		p.Title = p.T("error.title")
		p.Data = ErrorData{Heading: p.T("error.title"), Message: p.T("error.body")}
	}
	if e.page != nil {
		p.Data = e.page(p, r)
		p.Title = p.Data.(ErrorData).Heading
	}
	d := p.Data.(ErrorData)
	d.Code, d.Rule = e.detail.Code, e.detail.Rule
	if p.Status == http.StatusForbidden && e.status == http.StatusUnauthorized {
		d.Code = CodeForbidden
	}
	p.Data = d
	s.render(w, r, "error", p)
}

func (s *server) pageNotFound(w http.ResponseWriter, r *http.Request) {
	s.pageError(w, r, newPage(w, r, ""), notFound(r.URL.Path))
}

// ---- the case index ----

// IndexData is the case index's data.
type IndexData struct {
	Query    caseQuery
	List     CaseList
	Stages   []domain.CaseStage
	Sources  []domain.CaseSourceKind
	Stage    string
	Ministry string
	Source   string
	Year     string
	Search   string
	// Sorts are the orders the sort control offers, Sort the one shown.
	Sorts []string
	Sort  string
}

var allStages = []domain.CaseStage{domain.StageTopicSet, domain.StageDivisionOfLabour, domain.StageResearch, domain.StagePreMeeting,
	domain.StageMeetings, domain.StageReported, domain.StageDirective, domain.StageResponses, domain.StageClosed}

var allSources = []domain.CaseSourceKind{domain.SourceVotedTopic, domain.SourceAssignment, domain.SourceImported}

func (s *server) pageIndex(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	p := newPage(w, r, "")
	p.Title = p.T("index.title")
	cq, err := caseQueryOf(r)
	d, ok := s.withDirectory(ctx, w, r, p, err)
	if !ok {
		return
	}
	// Kept as the other lists are (lists_view.go): the case board is one
	// of the directory's read models, so a change to it makes a new view.
	k, kept := s.keptListPage(w, r, p, s.listsAt(d, time.Now()))
	if kept {
		return
	}
	list, err := s.listCases(ctx, cq)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	q := r.URL.Query()
	p.Data = IndexData{Query: cq, List: list, Stages: allStages, Sources: allSources, Sorts: caseSorts, Sort: cq.sort,
		Stage: q.Get("stage"), Ministry: q.Get("ministry"), Source: q.Get("source"), Year: q.Get("year"), Search: q.Get("q")}
	s.renderList(w, r, "index", p, k)
}

// ---- the case page ----

// CaseData is the case page's data.
type CaseData struct {
	Case readmodels.CaseCard
	// AsOf is set for an as-of view (the page's banner says which point
	// and clock).
	AsOf  *AsOfInfo
	Trail []TrailRow
	// TrailHTML is the trail's rows as markup (trailHTML).
	TrailHTML template.HTML
	// TrailFrom numbers the first entry shown; NextURL pages on.
	TrailFrom int
	NextURL   string
	FirstURL  string
	Now       time.Time
	// Sources are each recommendation's sources (pages_chain.go).
	Sources map[string][]SourceRow
	// Proposal is the Join proposal the case came from, when the ledger
	// holds it, with its signature curve (Chart).
	Proposal *readmodels.ProposalTally
	Chart    *signatureChart
}

// TrailRow is an entry of the trail as the page shows it, its labels and
// dates ready to print.
type TrailRow struct {
	readmodels.Entry
	Details  []Detail
	Link     string
	Redacted bool
	// StepLabel is the step's label; ActorText names who recorded it.
	StepLabel string
	ActorText string
	// OccurredISO/OccurredText and RecordedISO/RecordedText are the
	// entry's two clocks for <time datetime> and for reading.
	OccurredISO, OccurredText string
	RecordedISO, RecordedText string
	// Badge says whether the latest signed checkpoint includes the entry
	// (empty without a transparency log).
	Badge template.HTML
}

// Detail is a labelled value from an event's data.
type Detail struct {
	Label string
	Value string
}

func (s *server) pageCase(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	p := newPage(w, r, "")
	v, err := s.viewOf(r)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	p.View = v
	tq, err := trailQueryOf(r, v, trailPageSize)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	// One fold for both the card and the trail when the page is as of an
	// earlier point.
	id := domain.CaseID(r.PathValue("id"))
	board, trailReader, info, err := s.caseReaders(ctx, r, id)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	cv, err := caseViewOf(ctx, board, id, v, info)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	page, _, err := readmodels.CaseTrail(ctx, trailReader, id, tq)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	d := CaseData{Case: cv.Case, AsOf: cv.AsOf, Now: time.Now(), Sources: s.recommendationSources(ctx, cv.Case)}
	if err := s.caseProposal(ctx, r, p, &d, v); err != nil {
		s.pageError(w, r, p, err)
		return
	}
	setAsOf(p, r, cv.AsOf)
	d.TrailFrom = 1
	if n, err := strconv.Atoi(r.URL.Query().Get("n")); err == nil && n > 0 {
		d.TrailFrom = n
	}
	marks := s.ledgerMarks(ctx, p, trailEventIDs(page.Entries))
	d.Trail = make([]TrailRow, 0, len(page.Entries))
	for _, e := range page.Entries {
		row := trailRow(p, e)
		row.Badge = marks.badge(e.Position, e.EventID)
		d.Trail = append(d.Trail, row)
	}
	d.TrailHTML = trailHTML(p, d.Trail)
	if page.Next != 0 {
		d.NextURL = withQuery(r.URL, map[string]string{"after": strconv.FormatUint(uint64(page.Next), 10), "n": strconv.Itoa(d.TrailFrom + len(page.Entries))}) + "#trail"
	}
	if tq.After != 0 {
		d.FirstURL = withQuery(r.URL, map[string]string{"after": "", "n": ""}) + "#trail"
	}
	p.Title = cv.Case.Title
	p.Data = d
	s.render(w, r, "case", p)
}

// withQuery returns u's path and query with the given parameters set ("":
// removed).
func withQuery(u *url.URL, set map[string]string) string {
	q := u.Query()
	q.Del("lang")
	for k, v := range set {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return u.Path
	}
	return u.Path + "?" + q.Encode()
}

// detailFields are the data fields a trail row shows, in order.
var detailFields = []string{"title", "name", "to", "ministry", "verdict", "text", "answer", "summary", "reason"}

// responseVerdict is what a lead ministry's response or missed deadline
// meant (decision 0048): within the deadline, late by so many days, or
// missed.
func responseVerdict(p *Page, e readmodels.Entry) (Detail, bool) {
	var v struct {
		DueAt  time.Time `json:"dueAt"`
		OnTime bool      `json:"onTime"`
	}
	switch e.Type {
	case "proposal.responded":
		if json.Unmarshal(e.Data, &v) != nil {
			return Detail{}, false
		}
		if v.OnTime {
			return Detail{Label: p.T("proposal.due"), Value: p.T("proposal.ontime")}, true
		}
		return Detail{Label: p.T("proposal.due"), Value: p.TF("proposal.lead.late", daysLate(v.DueAt, e.OccurredAt))}, true
	case "proposal.response_deadline_missed":
		if json.Unmarshal(e.Data, &v) != nil {
			return Detail{}, false
		}
		return Detail{Label: p.T("proposal.due"), Value: p.TF("proposal.missed", lastDay(v.DueAt))}, true
	}
	return Detail{}, false
}

// deadlineDetail is the deadline an entry sets, as its last day that counts
// (calendar.LastDay): when signing closes on publication, when the
// response is due on establishment, and an extension's old and new due
// days.
func deadlineDetail(p *Page, e readmodels.Entry) (Detail, bool) {
	var v struct {
		SigningClosesAt time.Time `json:"signingClosesAt"`
		ResponseDueAt   time.Time `json:"responseDueAt"`
		PreviousDueAt   time.Time `json:"previousDueAt"`
		DueAt           time.Time `json:"dueAt"`
	}
	switch e.Type {
	case "proposal.published", "proposal.established", "proposal.response_deadline_extended":
		if json.Unmarshal(e.Data, &v) != nil {
			return Detail{}, false
		}
	default:
		return Detail{}, false
	}
	switch {
	case !v.SigningClosesAt.IsZero():
		return Detail{Label: p.T("proposal.closes"), Value: lastDay(v.SigningClosesAt)}, true
	case !v.ResponseDueAt.IsZero():
		return Detail{Label: p.T("proposal.due.lastday"), Value: lastDay(v.ResponseDueAt)}, true
	case !v.DueAt.IsZero() && !v.PreviousDueAt.IsZero():
		return Detail{Label: p.T("proposal.due.lastday"), Value: lastDay(v.PreviousDueAt) + " → " + lastDay(v.DueAt)}, true
	case !v.DueAt.IsZero():
		return Detail{Label: p.T("proposal.due.lastday"), Value: lastDay(v.DueAt)}, true
	}
	return Detail{}, false
}

// trailRow prepares an entry for the page: a few labelled fields of its
// data and a link to what it is about.
func trailRow(p *Page, e readmodels.Entry) TrailRow {
	row := TrailRow{Entry: e, Redacted: len(e.Redacted) > 0,
		StepLabel: p.L("step", e.Step), ActorText: p.Actor(e.Actor),
		OccurredISO: isoTime(e.OccurredAt), OccurredText: formatTime(e.OccurredAt),
		RecordedISO: isoTime(e.RecordedAt), RecordedText: formatTime(e.RecordedAt)}
	var data trailFields
	if decodeTrailFields(e.Data, &data) {
		for i, f := range detailFields {
			sv := data.field(i)
			if sv == "" {
				continue
			}
			switch f {
			case "to":
				sv = p.L("stage", sv)
			case "verdict":
				sv = p.L("verdict", sv)
			case "reason":
				sv = reasonText(p.Lang, sv)
			}
			row.Details = append(row.Details, Detail{Label: p.T("field." + f), Value: truncate(sv, 280)})
		}
		if data.HasParagraph {
			row.Details = append(row.Details, Detail{Label: p.T("field.text"), Value: truncate(plainText(data.Paragraph), 280)})
		}
		// Who said it is the speaker, not whoever recorded it.
		if data.Speaker != nil && data.Speaker.Name != "" {
			row.Details = append(row.Details, Detail{Label: p.T("trail.recordedby"), Value: row.ActorText})
			row.ActorText = data.Speaker.Name
		}
	}
	if d, ok := deadlineDetail(p, e); ok {
		row.Details = append(row.Details, d)
	}
	if d, ok := responseVerdict(p, e); ok {
		row.Details = append(row.Details, d)
	}
	if e.Erased != nil {
		for i := range row.Details {
			if sealed.IsErased(row.Details[i].Value) {
				row.Details[i].Value = p.T("common.erased.value")
			}
		}
		row.Details = append(row.Details, Detail{Label: p.T("common.erased"), Value: p.Erased(e.Erased)})
	}
	switch {
	case e.Refs.MeetingID != "":
		row.Link = "/meetings/" + url.PathEscape(e.Refs.MeetingID)
		if e.Refs.UtteranceID != "" {
			row.Link += "#u-" + e.Refs.UtteranceID
		}
	case e.Refs.RecommendationID != "" && e.Refs.CaseID != "":
		row.Link = "/cases/" + url.PathEscape(e.Refs.CaseID) + "#rec-" + e.Refs.RecommendationID
	case e.Refs.ProposalID != "":
		row.Link = "/proposals/" + url.PathEscape(e.Refs.ProposalID)
	case e.Refs.MonthlyMeetingID != "":
		row.Link = "/monthly/" + url.PathEscape(e.Refs.MonthlyMeetingID)
	}
	return row
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// ---- the meeting (transcript) page ----

// MeetingData is the transcript page's data.
type MeetingData struct {
	Meeting readmodels.MeetingRecord
	// UtterancesHTML is the page's utterances as markup (utteranceHTML).
	UtterancesHTML template.HTML
	// Ledger says once how many of the page's utterances the latest
	// signed checkpoint includes (nil: no transparency log).
	Ledger *LedgerSummary
	// Pager links the utterance pages when there is more than one.
	Pager      Pager
	Now        time.Time
	WindowOpen bool
	// AnsweredQuestions are the questions the hosts answered.
	AnsweredQuestions []readmodels.Question
	// Sheets are the concept-development sheets and MindMap the mind map,
	// with their structure (pages_notes.go).
	Sheets  []ConceptSheet
	MindMap []*MindNode
}

// PageLink is a link to a page of a long list.
type PageLink struct {
	N       int
	URL     string
	Current bool
}

// UtteranceRow is an utterance as the page shows it, with each version's
// diff from the one before.
type UtteranceRow struct {
	readmodels.Utterance
	Text     []string
	Edited   bool
	Versions []VersionRow
}

// VersionRow is one version of an utterance and what it changed.
type VersionRow struct {
	readmodels.UtteranceVersion
	Text []string
	Diff []diffParagraph
}

func (s *server) pageMeeting(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	p := newPage(w, r, "")
	v, err := s.viewOf(r)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	p.View = v
	page, err := intParam(r.URL.Query().Get("page"), 1, 1, 1<<20)
	if err != nil {
		s.pageError(w, r, p, badRequest(p.T("list.err.page")))
		return
	}
	// Only the page's utterances need their versions.
	id, window := domain.MeetingID(r.PathValue("id")), readmodels.Window{Offset: (page - 1) * utterancePageSize, Limit: utterancePageSize}
	var rev uint64 // as of an earlier point: 0, not cached
	m, info, asOf, err := s.meetingAsOf(ctx, r, id, v, window)
	if !asOf {
		m, rev, err = s.meetingAt(ctx, id, v, window)
	}
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	setAsOf(p, r, info)
	d := MeetingData{Meeting: m, Now: time.Now(), Sheets: conceptSheets(m.Notes), MindMap: mindMap(m.Notes)}
	if t := m.Transcript; t != nil {
		if t.Published != nil {
			d.WindowOpen = t.Published.EditWindowOpen(d.Now)
		}
		n := len(t.Utterances)
		pages := (n + utterancePageSize - 1) / utterancePageSize
		if page > max(pages, 1) {
			s.pageError(w, r, p, notFound("page "+strconv.Itoa(page)))
			return
		}
		lo, hi := (page-1)*utterancePageSize, min(page*utterancePageSize, n)
		d.UtterancesHTML, d.Ledger = s.utterancesHTML(ctx, p, m.MeetingID, rev, page, t.Utterances[lo:hi])
		d.Pager = newPager(r, page, pages, "#transcript")
		d.Meeting.Transcript = nil // the rows carry the page's utterances
		tc := *t
		tc.Utterances = nil
		d.Meeting.Transcript = &tc
	}
	for _, q := range m.Questions {
		if q.Answer != nil || v == readmodels.Auditor {
			d.AnsweredQuestions = append(d.AnsweredQuestions, q)
		}
	}
	p.Title = m.Title
	if p.Title == "" {
		p.Title = p.T("meeting.title") + " " + m.MeetingID
	}
	p.Data = d
	s.render(w, r, "meeting", p)
}

// fragmentKey names a transcript page's rendered utterances: the meeting
// as of its revision, the page, the view and language, and the checkpoint
// its badges were looked up in.
type fragmentKey struct {
	meeting    string
	revision   uint64
	page       int
	view       readmodels.View
	lang       string
	badges     bool
	checkpoint int64
}

// utterancesHTML renders a transcript page's utterances, or takes them from
// the server's cache while the meeting (at revision rev, the one its record
// was read at; 0: unknown, not cached), the page and the latest checkpoint
// are the same: one safe fragment, every value in it escaped by
// utteranceHTML. It also returns the page's one line about the checkpoint.
func (s *server) utterancesHTML(ctx context.Context, p *Page, meeting string, rev uint64, page int, us []readmodels.Utterance) (template.HTML, *LedgerSummary) {
	ids := utteranceEventIDs(us)
	marks := s.ledgerMarks(ctx, p, ids)
	summary := marks.summary(ids)
	key := fragmentKey{meeting: meeting, revision: rev, page: page, view: p.View, lang: p.Lang, badges: marks.on, checkpoint: marks.size}
	cached := rev != 0
	if cached {
		if h, ok := s.fragments.Get(key); ok {
			return h, summary
		}
	}
	labels := newPageLabels(p)
	var b strings.Builder
	b.Grow(len(us) * 1024)
	for _, u := range us {
		row := utteranceRow(u)
		var badge template.HTML
		if len(u.Versions) > 0 {
			last := u.Versions[len(u.Versions)-1]
			badge = marks.utteranceBadge(last.Position, last.EventID)
		}
		utteranceHTML(&b, labels, &row, badge)
	}
	h := template.HTML(b.String())
	if cached {
		s.fragments.Put(key, h, len(h))
	}
	return h, summary
}

// utteranceRow prepares an utterance: its text as plain text, and every
// version with its word diff from the one before. A version made by the
// transcript's normalisation (width, punctuation, spacing) is no edit: it
// is shown once for the whole transcript, and the next version is diffed
// from the normalised text, so that only real wording changes show.
func utteranceRow(u readmodels.Utterance) UtteranceRow {
	row := UtteranceRow{Utterance: u, Text: plainParagraphs(u.Paragraphs)}
	if len(u.Versions) > 1 {
		var prev []string
		for i, v := range u.Versions {
			text := plainParagraphs(v.Paragraphs)
			if v.Change == domain.ChangeNormalised {
				prev = text
				continue
			}
			vr := VersionRow{UtteranceVersion: v, Text: text}
			if i > 0 {
				vr.Diff = cachedDiff(prev, vr.Text)
			}
			prev = vr.Text
			row.Versions = append(row.Versions, vr)
		}
		if len(row.Versions) < 2 {
			row.Versions = nil
		}
	}
	row.Edited = len(row.Versions) > 1 || len(u.Reattributions) > 0
	return row
}

// ---- the proposal page ----

// ProposalData is the proposal page's data.
type ProposalData struct {
	Proposal readmodels.ProposalTally
	Chart    *signatureChart
	// Counties are its valid signatures by county (nil: none yet).
	Counties *CountyMap
	Now      time.Time
	// Row is the proposal as the lists classify it at the page's moment
	// (now, or the as-of moment): a proposal whose signing closed below the
	// threshold without a recorded expiry reads as closed, not collecting.
	Row ProposalRow
	// AssignLeads links the form that assigns its lead ministries, for
	// staff, while a lead may be assigned (published or established, not
	// answered; decision 0056).
	AssignLeads string
}

func (s *server) pageProposal(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	p := newPage(w, r, "")
	v, err := s.viewOf(r)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	p.View = v
	pr, _, info, at, err := s.proposalAt(ctx, r, domain.ProposalID(r.PathValue("id")), v)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	p.Title = pr.Title
	deltas, err := s.signatureDeltas(ctx, domain.ProposalID(pr.ProposalID), at)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	setAsOf(p, r, info)
	var until time.Time
	if info != nil && !info.At.IsZero() {
		until = info.At
	}
	counties, err := s.proposalCounties(ctx, p, domain.ProposalID(pr.ProposalID), pr.Cases, at)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	now := time.Now()
	moment := now
	if !until.IsZero() {
		moment = until
	}
	listFacts := false
	if d, err := s.directory(ctx); err == nil {
		listFacts = d.listFacts
	}
	data := ProposalData{Proposal: pr, Chart: newSignatureChart(p, pr, deltas, until), Counties: counties, Now: now, Row: proposalRow(pr, moment, listFacts)}
	s.decorate(r, p) // who is signed in: staff see the form that assigns its leads
	if p.Who != nil && formAllowed(domain.CmdAssignLeads, p.Who.Actor) && until.IsZero() && !pr.Response.Answered() &&
		(pr.Status == domain.ProposalStatusPublished || pr.Status == domain.ProposalStatusEstablished) {
		data.AssignLeads = "/act/" + domain.CmdAssignLeads + "?" + url.Values{"proposalId": {pr.ProposalID}}.Encode()
	}
	p.Data = data
	s.render(w, r, "proposal", p)
}

// ---- the monthly meeting page ----

// MonthlyData is the monthly meeting page's data.
type MonthlyData struct {
	Monthly readmodels.MonthlyTally
	// Titles maps candidate IDs to their titles.
	Titles map[string]string
}

// Title returns a candidate's title.
func (d MonthlyData) Title(id any) string {
	k := fmt.Sprint(id)
	if t, ok := d.Titles[k]; ok {
		return t
	}
	return k
}

func (s *server) pageMonthly(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	p := newPage(w, r, "")
	m, info, err := s.monthlyAt(ctx, r, domain.MonthlyMeetingID(r.PathValue("id")))
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	setAsOf(p, r, info)
	d := MonthlyData{Monthly: m, Titles: map[string]string{}}
	for _, c := range m.Candidates {
		d.Titles[c.CandidateID] = c.Title
	}
	p.Title = p.T("monthly.title") + " " + m.MeetingID
	p.Data = d
	s.render(w, r, "monthly", p)
}

// Present labels a recorded attendance (nil: none recorded).
func (p *Page) Present(b *bool) string {
	switch {
	case b == nil:
		return p.T("meeting.unknown")
	case *b:
		return p.T("common.yes")
	}
	return p.T("common.no")
}

// DescribeTrailEntry says, in lang (LangZhHant or LangEn), who acted in a
// trail entry and what happened, as the case page's trail shows them: the
// speaker for words said at the microphone, and the entry's step followed
// by its labelled details ("階段: 研究; 理由: …"). The CLI's trail uses it so
// that the terminal and the page tell the same story.
func DescribeTrailEntry(lang string, e readmodels.Entry) (who, what string) {
	if lang != LangEn {
		lang = LangZhHant
	}
	p := &Page{Lang: lang}
	row := trailRow(p, e)
	parts := make([]string, 0, len(row.Details)+1)
	if row.StepLabel != "" {
		parts = append(parts, row.StepLabel)
	}
	for _, d := range row.Details {
		parts = append(parts, d.Label+": "+strings.Join(strings.Fields(d.Value), " "))
	}
	return row.ActorText, strings.Join(parts, "; ")
}

package web

// A speaker corrects their own words.
//
//	GET  /speak/{meeting}/{utterance}   the form: the words as they stand, and the window's end
//	POST /speak/{meeting}/{utterance}   preview=1 shows the word diff; otherwise records
//	                                    transcript.edit_utterance through app.Ledger
//
// The form is there only for the utterance's own speaker while the edit
// window is open; anyone else, or anyone after the window, gets the
// reason instead of a form, and the command side refuses them in any case.

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/readmodels"
)

// EditView is the data of a speaker's edit page.
type EditView struct {
	FormView
	MeetingID, UtteranceID, MeetingTitle string
	Speaker                              string
	Current                              []string
	// WindowEnd is the edit window's end as shown ("2026-12-18 24:00");
	// Closed and NotYours explain a missing form.
	WindowEnd    string
	WindowEndISO string
	// Provisional lists the years the office calendar did not cover when
	// the window was computed (its end counts weekends only); "" if none.
	Provisional      string
	Closed, NotYours bool
	NotPublished     bool
	// Preview is the word diff of the proposed text, once asked for;
	// Proposed is that text.
	Preview  []diffParagraph
	Proposed string
}

// provisionalYears names the years a window was computed without the
// office calendar for ("2027", "2027, 2028"); "" when the calendar covered
// it.
func provisionalYears(years []int) string {
	parts := make([]string, len(years))
	for i, y := range years {
		parts[i] = strconv.Itoa(y)
	}
	return strings.Join(parts, ", ")
}

// editContext loads the utterance and decides whether the actor may edit.
func (s *server) editContext(ctx context.Context, p *Page, sess *session, mid, uid string) (EditView, error) {
	v := EditView{MeetingID: mid, UtteranceID: uid}
	m, ok, err := readmodels.Meeting(ctx, s.cfg.Queries.Reader(readmodels.TranscriptsName), domain.MeetingID(mid), readmodels.Auditor)
	if err != nil {
		return v, err
	}
	if !ok || m.Transcript == nil {
		return v, notFound("/meetings/" + mid)
	}
	v.MeetingTitle = m.Title
	i := slices.IndexFunc(m.Transcript.Utterances, func(u readmodels.Utterance) bool { return u.UtteranceID == uid && u.Removed == nil })
	if i < 0 {
		return v, notFound("/speak/" + mid + "/" + uid)
	}
	u := m.Transcript.Utterances[i]
	v.Current = plainParagraphs(u.Paragraphs)
	if u.Speaker != nil {
		v.Speaker = u.Speaker.Name
	}
	v.NotYours = u.Speaker == nil || u.Speaker.ActorID == "" || u.Speaker.ActorID != sess.actor.ID
	pub := m.Transcript.Published
	switch {
	case pub == nil:
		v.NotPublished = true
	default:
		v.WindowEnd, v.WindowEndISO = formatEnd(pub.EditWindowClosesAt), isoTime(pub.EditWindowClosesAt)
		v.Provisional = provisionalYears(pub.CalendarFallbackYears)
		v.Closed = !s.now().Before(pub.EditWindowClosesAt)
	}
	v.Proposed = strings.Join(u.Paragraphs, "\n\n")
	v.CSRF, v.Submit, v.ErrorTitle = sess.csrf, p.T("edit.submit"), p.T("form.error.summary")
	v.Action = "/speak/" + mid + "/" + uid
	return v, nil
}

func (s *server) editPage(w http.ResponseWriter, r *http.Request) {
	sess, p, ok := s.requireSession(w, r)
	if !ok {
		return
	}
	v, err := s.editContext(r.Context(), p, sess, r.PathValue("meeting"), r.PathValue("utterance"))
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	v.CID = uuid.NewString()
	s.renderEdit(w, r, p, v, http.StatusOK)
}

func (s *server) renderEdit(w http.ResponseWriter, r *http.Request, p *Page, v EditView, status int) {
	p.Title = p.T("edit.title")
	if len(v.Errors) > 0 {
		p.Title = p.T("form.error.prefix") + p.Title
	}
	if v.NotYours || v.Closed || v.NotPublished {
		status = http.StatusForbidden
	}
	p.Status = status
	p.Data = v
	s.renderForms(w, r, "edit", p)
}

func (s *server) editPost(w http.ResponseWriter, r *http.Request) {
	sess, p, ok := s.requirePostSession(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	mid, uid := r.PathValue("meeting"), r.PathValue("utterance")
	v, err := s.editContext(ctx, p, sess, mid, uid)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	v.CID = r.PostFormValue("cid")
	if _, err := uuid.Parse(v.CID); err != nil {
		v.CID = uuid.NewString()
	}
	if d, ok := s.sessions.recorded(sess, v.CID); ok && d.Command == domain.CmdEditUtterance {
		http.Redirect(w, r, "/me/recorded/"+v.CID, http.StatusSeeOther)
		return
	}
	v.Proposed = r.PostFormValue("paragraphs")
	proposed := splitParagraphs(v.Proposed)
	if r.PostFormValue("preview") != "" {
		v.Preview = diffParagraphs(v.Current, plainParagraphs(proposed))
		s.renderEdit(w, r, p, v, http.StatusOK)
		return
	}
	actor, err := s.sessionActor(ctx, sess)
	if err == nil {
		var res app.Result
		res, err = s.cfg.Ledger.Execute(ctx, actor, domain.EditUtterance{MeetingID: domain.MeetingID(mid), UtteranceID: domain.UtteranceID(uid), Paragraphs: proposed}, app.WithCommandID(v.CID))
		if err == nil {
			s.sessions.remember(r.Context(), sess, v.CID, doneForm{Command: domain.CmdEditUtterance, Result: recordedView(domain.CmdEditUtterance, res)})
			http.Redirect(w, r, "/me/recorded/"+v.CID, http.StatusSeeOther)
			return
		}
	}
	var re *domain.RuleError
	if !errors.As(err, &re) {
		s.pageError(w, r, p, err)
		return
	}
	v.Errors = []FieldError{{Field: "f-paragraphs", Message: ruleMessage(p, re)}}
	v.Preview = diffParagraphs(v.Current, plainParagraphs(proposed))
	s.renderEdit(w, r, p, v, http.StatusUnprocessableEntity)
}

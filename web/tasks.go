package web

// "My tasks": the signed-in actor's own page.

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/readmodels"
)

// MeView is the data of /me.
type MeView struct {
	Actor           domain.Actor
	Expires         time.Time
	Issuer, Subject string
	Tasks           []Task
	TasksNote       string
	Forms           []Task
}

// Task is one thing waiting on the actor, or one form they may use.
type Task struct {
	Text, Link string
	// Due is the last day that counts, as shown.
	Due string
}

func (s *server) mePage(w http.ResponseWriter, r *http.Request) {
	sess, p, ok := s.requireSession(w, r)
	if !ok {
		return
	}
	p.Title = p.T("me.title")
	v := MeView{Actor: sess.actor, Expires: sess.expires, Issuer: sess.issuer, Subject: sess.subject}
	tasks, err := s.tasksOf(r, p, sess.actor)
	if err != nil {
		s.cfg.Logger.Warn("my tasks", "err", err)
		v.TasksNote = p.T("me.tasks.unavailable")
	}
	v.Tasks = tasks
	for _, c := range app.Commands() {
		if _, ok := commandForm(c.Name); ok && formAllowed(c.Name, sess.actor) {
			v.Forms = append(v.Forms, Task{Text: p.T("cmd." + c.Name), Link: "/act/" + c.Name})
		}
	}
	if sess.actor.Role == domain.RolePDIS {
		v.Forms = append(v.Forms, Task{Text: p.T("accounts.title"), Link: "/admin/accounts"}, Task{Text: p.T("tokens.title"), Link: "/admin/tokens"})
	}
	p.Data = v
	s.renderForms(w, r, "me", p)
}

// tasksOf lists what waits on actor, from the read models: ballots open
// for their ministry; their words still open for correction (with the
// window's end); proposals and recommendations awaiting their ministry's
// answer (with the last day that counts); for staff, proposals to publish
// and votes to close. A read model that fails leaves a note, not an error
// page.
func (s *server) tasksOf(r *http.Request, p *Page, actor domain.Actor) ([]Task, error) {
	ctx, cancel := s.queryContext(r)
	defer cancel()
	var out []Task
	tallies := s.cfg.Queries.Reader(readmodels.TalliesName)
	votes, err := readmodels.MonthlyList(ctx, tallies)
	if err != nil {
		return nil, err
	}
	for _, m := range votes {
		if m.Opened == nil || m.Closed != nil || m.Imported {
			continue
		}
		switch actor.Role {
		case domain.RolePO:
			if !slices.ContainsFunc(m.Ballots, func(b readmodels.Ballot) bool { return b.Ministry == string(actor.Ministry) }) {
				out = append(out, Task{Text: p.TF("task.ballot", m.MeetingID), Link: "/act/" + domain.CmdCastBallot + "?meetingId=" + url.QueryEscape(m.MeetingID)})
			}
		case domain.RolePDIS:
			out = append(out, Task{Text: p.TF("task.close_vote", m.MeetingID, len(m.Ballots)), Link: "/act/" + domain.CmdCloseMonthlyMeeting + "?meetingId=" + url.QueryEscape(m.MeetingID)})
		}
	}
	switch actor.Role {
	case domain.RoleMinistry:
		due, err := readmodels.DueResponses(ctx, tallies, time.Time{})
		if err != nil {
			return nil, err
		}
		for _, d := range due {
			if owes(d, string(actor.Ministry)) {
				out = append(out, Task{Text: p.TF("task.respond_proposal", d.ProposalID), Link: "/act/" + domain.CmdRespondToProposal + "?proposalId=" + url.QueryEscape(d.ProposalID), Due: p.TF("task.due", formatEnd(d.DueAt))})
			}
		}
		cases, err := readmodels.Cases(ctx, s.cfg.Queries.Reader(readmodels.CaseBoardName), readmodels.CaseFilter{Open: true})
		if err != nil {
			return nil, err
		}
		for _, c := range cases {
			card, ok, err := readmodels.Case(ctx, s.cfg.Queries.Reader(readmodels.CaseBoardName), domain.CaseID(c.CaseID), readmodels.Public)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			for _, rec := range card.Recommendations {
				if slices.Contains(card.Unanswered[rec.RecommendationID], string(actor.Ministry)) {
					out = append(out, Task{Text: p.TF("task.respond_recommendation", card.Title, rec.Text),
						Link: "/act/" + domain.CmdRecordResponse + "?caseId=" + url.QueryEscape(c.CaseID) + "&recommendationId=" + url.QueryEscape(rec.RecommendationID)})
				}
			}
		}
	case domain.RolePDIS:
		props, err := readmodels.ProposalList(ctx, tallies, readmodels.Public)
		if err != nil {
			return nil, err
		}
		for _, pr := range props {
			if pr.Status == domain.ProposalStatusSubmitted {
				out = append(out, Task{Text: p.TF("task.publish", pr.Title), Link: "/act/" + domain.CmdPublishProposal + "?proposalId=" + url.QueryEscape(pr.ProposalID)})
			}
		}
	}
	staged, err := s.stagesWaiting(r, p, actor)
	if err != nil {
		return nil, err
	}
	out = append(out, staged...)
	// Their own words, while the window is open.
	now := s.now()
	meetings, err := readmodels.MeetingList(ctx, s.cfg.Queries.Reader(readmodels.TranscriptsName), readmodels.Public)
	if err != nil {
		return nil, err
	}
	for _, m := range meetings {
		if m.Transcript == nil || m.Transcript.Published == nil || !now.Before(m.Transcript.Published.EditWindowClosesAt) {
			continue
		}
		full, ok, err := readmodels.Meeting(ctx, s.cfg.Queries.Reader(readmodels.TranscriptsName), domain.MeetingID(m.MeetingID), readmodels.Auditor)
		if err != nil || !ok || full.Transcript == nil {
			continue
		}
		for _, u := range full.Transcript.Utterances {
			if u.Removed == nil && u.Speaker != nil && u.Speaker.ActorID != "" && u.Speaker.ActorID == actor.ID {
				out = append(out, Task{Text: p.TF("task.own_words", m.Title, firstWords(plainParagraphs(u.Paragraphs))),
					Link: "/speak/" + url.PathEscape(m.MeetingID) + "/" + url.PathEscape(u.UtteranceID), Due: windowDue(p, m.Transcript.Published)})
			}
		}
	}
	return out, nil
}

// firstWords is the start of a text, for a task's line.
func firstWords(ps []string) string {
	t := strings.Join(ps, " ")
	if r := []rune(t); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return t
}

// windowDue is a task's due text for an edit window: its end, marked
// provisional when the office calendar did not cover it.
func windowDue(p *Page, pub *readmodels.Publication) string {
	due := p.TF("task.window_end", formatEnd(pub.EditWindowClosesAt))
	if len(pub.CalendarFallbackYears) > 0 {
		due += " (" + p.T("calendar.provisional") + ")"
	}
	return due
}

// stagesWaiting lists the stages of cases and meetings that wait on actor:
// for PDIS staff, a case without a lead, a case whose recommendations are
// ready to report, a case whose every recommendation is answered (to
// close), a meeting that has begun and is not closed, a transcript to
// publish, a question neither answered nor archived; for the secretariat, a
// case reported to the Premier awaiting the directive; for a stenographer,
// a meeting that has begun without a transcript and a transcript to
// publish. Each links to its form with the IDs filled in.
func (s *server) stagesWaiting(r *http.Request, p *Page, actor domain.Actor) ([]Task, error) {
	if actor.Role != domain.RolePDIS && actor.Role != domain.RoleSecretariat && actor.Role != domain.RoleStenographer {
		return nil, nil
	}
	ctx, cancel := s.queryContext(r)
	defer cancel()
	var out []Task
	act := func(cmd string, params ...string) string {
		q := url.Values{}
		for i := 0; i+1 < len(params); i += 2 {
			q.Set(params[i], params[i+1])
		}
		return "/act/" + cmd + "?" + q.Encode()
	}
	if actor.Role != domain.RoleStenographer {
		board := s.cfg.Queries.Reader(readmodels.CaseBoardName)
		cases, err := readmodels.Cases(ctx, board, readmodels.CaseFilter{Open: true})
		if err != nil {
			return nil, err
		}
		for _, c := range cases {
			switch {
			case actor.Role == domain.RoleSecretariat:
				if c.Stage == domain.StageReported {
					out = append(out, Task{Text: p.TF("task.directive", c.Title), Link: act(domain.CmdRecordDirective, "caseId", c.CaseID)})
				}
			case c.Lead == "" && c.Source != domain.SourceImported:
				out = append(out, Task{Text: p.TF("task.assign_lead", c.Title), Link: act(domain.CmdAssignLead, "caseId", c.CaseID)})
			case c.Stage == domain.StageMeetings || c.Stage == domain.StageResponses:
				card, ok, err := readmodels.Case(ctx, board, domain.CaseID(c.CaseID), readmodels.Public)
				if err != nil {
					return nil, err
				}
				if !ok || len(card.Recommendations) == 0 {
					continue
				}
				if c.Stage == domain.StageMeetings {
					out = append(out, Task{Text: p.TF("task.report", c.Title, len(card.Recommendations)), Link: act(domain.CmdReportToPremier, "caseId", c.CaseID)})
				} else if len(card.Unanswered) == 0 {
					out = append(out, Task{Text: p.TF("task.close_case", c.Title), Link: act(domain.CmdChangeStage, "caseId", c.CaseID, "to", string(domain.StageClosed))})
				}
			}
		}
		if actor.Role == domain.RoleSecretariat {
			return out, nil
		}
	}
	transcripts := s.cfg.Queries.Reader(readmodels.TranscriptsName)
	meetings, err := readmodels.MeetingList(ctx, transcripts, readmodels.Public)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for _, m := range meetings {
		if m.Imported || m.StartsAt.IsZero() || now.Before(m.StartsAt) {
			continue // a meeting to come, or one from the archive
		}
		title := m.Title
		if title == "" {
			title = m.MeetingID
		}
		switch t := m.Transcript; {
		case t == nil && actor.Role == domain.RoleStenographer:
			out = append(out, Task{Text: p.TF("task.start_transcript", title), Link: act(domain.CmdStartTranscript, "meetingId", m.MeetingID)})
		case t != nil && t.Published == nil && t.Imported == nil:
			out = append(out, Task{Text: p.TF("task.publish_transcript", title), Link: act(domain.CmdPublishTranscript, "meetingId", m.MeetingID)})
		}
		if actor.Role != domain.RolePDIS {
			continue
		}
		if m.Closed == nil {
			out = append(out, Task{Text: p.TF("task.close_meeting", title), Link: act(domain.CmdCloseMeeting, "meetingId", m.MeetingID)})
		}
		full, ok, err := readmodels.Meeting(ctx, transcripts, domain.MeetingID(m.MeetingID), readmodels.Auditor)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		for _, q := range full.Questions {
			if q.Answer == nil && q.Archived == nil {
				out = append(out, Task{Text: p.TF("task.answer_question", title, firstWords([]string{q.Text})),
					Link: act(domain.CmdAnswerQuestion, "meetingId", m.MeetingID, "questionId", q.QuestionID)})
			}
		}
	}
	return out, nil
}

// owes reports whether ministry m still owes its answer to d's proposal:
// every lead that has not answered and was not recorded as missing its
// deadline (decision 0048), or, where the read model names no leads
// owing (a proposal without assigned leads), its first lead.
func owes(d readmodels.DueResponse, m string) bool {
	if len(d.Owing) == 0 {
		return d.Ministry == m
	}
	return slices.Contains(d.Owing, m)
}

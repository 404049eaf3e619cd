package web

// "My tasks": the signed-in actor's own page.

import (
	"net/http"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
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
	v.Tasks = s.tasksOf(r, p, sess.actor)
	for _, c := range app.Commands() {
		if _, ok := commandForm(c.Name); ok && formAllowed(c.Name, sess.actor) {
			v.Forms = append(v.Forms, Task{Text: p.T("cmd." + c.Name), Link: "/act/" + c.Name})
		}
	}
	if sess.actor.Role == domain.RolePDIS {
		v.Forms = append(v.Forms, Task{Text: p.T("accounts.title"), Link: "/admin/accounts"})
	}
	p.Data = v
	s.renderForms(w, r, "me", p)
}

// tasksOf lists what waits on actor.
func (s *server) tasksOf(r *http.Request, p *Page, actor domain.Actor) []Task {
	return nil
}

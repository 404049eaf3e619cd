package reports

import (
	"slices"
	"time"

	"github.com/pdis/collab-ledger/domain"
)

// leadAnswers are an established proposal's lead ministries and what each
// did with the answer it owes by the deadline (decision 0048): a proposal
// published before names one, the competent ministry; one without a lead
// has the single lead "", whichever ministry answers first.
type leadAnswers struct {
	leads []string
	by    map[string]*leadAnswer
}

// leadAnswer is one lead's answer: when it responded and whether on time,
// whether its miss was recorded, and those events.
type leadAnswer struct {
	respondedAt time.Time
	responded   bool
	onTime      bool
	missed      bool
	refs        []eref
}

// setLeads records the leads an establishment names.
func (l *leadAnswers) setLeads(leads []domain.MinistryID) {
	l.leads = l.leads[:0]
	for _, m := range leads {
		l.leads = append(l.leads, string(m))
	}
	if len(l.leads) == 0 {
		l.leads = []string{""}
	}
}

// assign adds leads named after publication (decision 0056) to an
// established proposal's: on one without a lead they replace the single
// "" (it was not answered: the domain refuses assigning leads then).
// Before the establishment it does nothing: the establishment names them.
func (l *leadAnswers) assign(leads []domain.MinistryID) {
	if len(l.leads) == 0 {
		return
	}
	if len(l.leads) == 1 && l.leads[0] == "" && l.by[""] == nil {
		l.leads = l.leads[:0]
	}
	for _, m := range leads {
		if !slices.Contains(l.leads, string(m)) {
			l.leads = append(l.leads, string(m))
		}
	}
}

// of is ministry m's answer: its own as a lead, or, on a proposal without
// a lead (or before its establishment was seen), the single one.
func (l *leadAnswers) of(m string) *leadAnswer {
	if len(l.leads) == 0 {
		l.leads = []string{m}
	}
	if !slices.Contains(l.leads, m) && len(l.leads) == 1 && l.leads[0] == "" {
		m = ""
	}
	if l.by == nil {
		l.by = map[string]*leadAnswer{}
	}
	a := l.by[m]
	if a == nil {
		a = &leadAnswer{}
		l.by[m] = a
	}
	return a
}

// respond records m's response r at at.
func (l *leadAnswers) respond(m string, onTime bool, at time.Time, r eref) {
	a := l.of(m)
	a.responded, a.onTime, a.respondedAt, a.refs = true, onTime, at, append(a.refs, r)
}

// miss records m's missed deadline r.
func (l *leadAnswers) miss(m string, r eref) {
	a := l.of(m)
	a.missed, a.refs = true, append(a.refs, r)
}

// answer is lead m's answer (the zero answer when it has none yet).
func (l *leadAnswers) answer(m string) leadAnswer {
	if a := l.by[m]; a != nil {
		return *a
	}
	return leadAnswer{}
}

// allRefs are the answers' events, lead by lead.
func (l *leadAnswers) allRefs() []eref {
	var out []eref
	for _, m := range l.leads {
		out = append(out, l.answer(m).refs...)
	}
	return out
}

// anyLead reports whether ok accepts one of the leads.
func (l *leadAnswers) anyLead(ok func(string) bool) bool {
	return slices.ContainsFunc(l.leads, ok)
}

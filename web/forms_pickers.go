package web

// Pickers: where a person would otherwise have to know an ID, the form
// offers a server-rendered <select> of what the ID may name, labelled in
// words, once the form knows where to look (the case, the meeting). Without
// that, or when the read models cannot answer, the field stays a text box.

import (
	"net/http"
	"slices"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/readmodels"
)

// pickers turns the fields of fields that name something of a known case or
// meeting into selects: a recommendation of the case (for a ministry, those
// addressed to it, each marked when answered), a question of the meeting
// not yet answered or archived. The value asked for stays selected.
func (s *server) pickers(r *http.Request, p *Page, actor domain.Actor, values func(string) string, fields []FieldView) {
	if s.cfg.Queries == nil {
		return
	}
	ctx, cancel := s.queryContext(r)
	defer cancel()
	for i := range fields {
		f := &fields[i]
		if f.Type != "text" {
			continue
		}
		var opts []OptionView
		switch f.Name {
		case "recommendationId":
			caseID := values("caseId")
			if caseID == "" {
				continue
			}
			card, ok, err := readmodels.Case(ctx, s.cfg.Queries.Reader(readmodels.CaseBoardName), domain.CaseID(caseID), readmodels.Public)
			if err != nil || !ok {
				continue
			}
			for _, rec := range card.Recommendations {
				if actor.Role == domain.RoleMinistry && !slices.Contains(rec.Addressees, string(actor.Ministry)) {
					continue
				}
				label := firstWords([]string{rec.Text})
				if actor.Role == domain.RoleMinistry && !slices.Contains(card.Unanswered[rec.RecommendationID], string(actor.Ministry)) {
					label += " (" + p.T("picker.answered") + ")"
				}
				opts = append(opts, OptionView{Value: rec.RecommendationID, Label: label})
			}
		case "questionId":
			meetingID := values("meetingId")
			if meetingID == "" {
				continue
			}
			m, ok, err := readmodels.Meeting(ctx, s.cfg.Queries.Reader(readmodels.TranscriptsName), domain.MeetingID(meetingID), readmodels.Auditor)
			if err != nil || !ok {
				continue
			}
			for _, q := range m.Questions {
				if q.Answer == nil && q.Archived == nil {
					opts = append(opts, OptionView{Value: q.QuestionID, Label: firstWords([]string{q.Text})})
				}
			}
		default:
			continue
		}
		if len(opts) == 0 {
			continue
		}
		if f.Value != "" && !slices.ContainsFunc(opts, func(o OptionView) bool { return o.Value == f.Value }) {
			opts = append(opts, OptionView{Value: f.Value, Label: f.Value})
		}
		if f.Value == "" {
			opts = append([]OptionView{{Value: "", Label: p.T("picker.choose")}}, opts...)
		}
		for j := range opts {
			opts[j].Selected = opts[j].Value == f.Value
		}
		f.Type, f.Options = "select", opts
	}
}

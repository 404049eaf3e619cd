package web

import (
	"context"
	"net/url"
	"strings"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/readmodels"
)

// The chain from a voice to a response: on the case page, each
// recommendation says what it came from — "said by X at meeting Y", a note
// or a question of the meeting, a stakeholder, the proposal — each linked
// to where it stands; each response sits under the recommendation it
// answers (#rec-<id>), where the ministry page and the trail link.

// SourceRow is a recommendation's source as the case page shows it.
type SourceRow struct {
	Kind domain.RecommendationSourceKind
	// Who said or wrote it (a speaker's or stakeholder's name); empty for
	// anonymous questions and notes.
	Who string
	// Meeting is the meeting's title, MeetingLink its page.
	Meeting, MeetingLink string
	// Text is what was said or written (shortened); Link leads to it.
	Text, Link string
	// Lang is the language Text and Who look to be in.
	Lang string
	// Missing says the source is not (or no longer) shown publicly.
	Missing bool
}

// recommendationSources resolves every recommendation's sources of a case
// from the live read models.
func (s *server) recommendationSources(ctx context.Context, c readmodels.CaseCard) map[string][]SourceRow {
	out := map[string][]SourceRow{}
	if s.cfg.Queries == nil {
		return out
	}
	tr := s.cfg.Queries.Reader(readmodels.TranscriptsName)
	titles := map[string]string{}
	for _, m := range c.Meetings {
		titles[m.MeetingID] = m.Title
	}
	stakeholders := map[string]string{}
	for _, st := range c.Stakeholders {
		stakeholders[st.StakeholderID] = st.Name
	}
	for _, rec := range c.Recommendations {
		mid := domain.MeetingID(rec.MeetingID)
		mlink := "/meetings/" + url.PathEscape(rec.MeetingID)
		for _, src := range rec.Sources {
			row := SourceRow{Kind: src.Kind, Meeting: titles[rec.MeetingID], MeetingLink: mlink}
			if row.Meeting == "" {
				row.Meeting = rec.MeetingID
			}
			switch src.Kind {
			case domain.SourceUtterance:
				u, ok, err := readmodels.UtteranceOf(ctx, tr, mid, src.ID, readmodels.Public)
				row.Link, row.Missing = mlink+"/utterances/"+url.PathEscape(src.ID), err != nil || !ok
				if ok {
					if u.Speaker != nil {
						row.Who = u.Speaker.Name
					}
					row.Text = truncate(plainText(strings.Join(u.Paragraphs, " ")), 140)
				}
			case domain.SourceNote:
				n, ok, err := readmodels.NoteOf(ctx, tr, mid, src.ID, readmodels.Public)
				row.Link, row.Missing = mlink+"#note-"+src.ID, err != nil || !ok
				row.Text = truncate(n.Text, 140)
			case domain.SourceQuestion:
				q, ok, err := readmodels.QuestionOf(ctx, tr, mid, src.ID, readmodels.Public)
				row.Link, row.Missing = mlink+"#q-"+src.ID, err != nil || !ok
				row.Text = truncate(q.Text, 140)
			case domain.SourceStakeholder:
				row.Who, row.Meeting, row.MeetingLink = stakeholders[src.ID], "", ""
				row.Link, row.Missing = "#h-inclusion", stakeholders[src.ID] == ""
			case domain.SourceProposal:
				row.Meeting, row.MeetingLink = "", ""
				row.Link, row.Text = "/proposals/"+url.PathEscape(src.ID), src.ID
			}
			row.Lang = textLang(row.Who + row.Text)
			out[rec.RecommendationID] = append(out[rec.RecommendationID], row)
		}
	}
	return out
}

// sourcesOf reads a form's sources, each "kind:id" ("utterance:u-12",
// "note:n-3"); an item without a kind is kept as an ID of no kind, which
// the domain refuses with its rule.
func sourcesOf(items []string) []domain.RecommendationSource {
	out := make([]domain.RecommendationSource, 0, len(items))
	for _, it := range items {
		kind, id, ok := strings.Cut(it, ":")
		if !ok {
			kind, id = "", it
		}
		out = append(out, domain.RecommendationSource{Kind: domain.RecommendationSourceKind(strings.TrimSpace(kind)), ID: strings.TrimSpace(id)})
	}
	return out
}

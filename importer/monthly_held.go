package importer

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/pdis/collab-ledger/akn"
	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
)

// A monthly meeting's transcript names the topics it discussed by quoting
// their titles: 「新一代國家健保憑證規劃案」. A quotation of at least
// minTopicRunes characters is taken as a topic; shorter ones are names of
// channels or words (「提點子」, 「眾開講」).
const (
	minTopicRunes = 6
	maxTopicRunes = 120
)

var reQuoted = regexp.MustCompile(`「([^「」]+)」`)

// heldFrom is what a monthly meeting's transcript shows: who spoke (in
// order of first speech), how many utterances, and the titles its speeches
// quote (in order of first mention).
func heldFrom(id domain.MonthlyMeetingID, meeting domain.MeetingID, d *akn.Document) domain.RecordMonthlyHeld {
	cmd := domain.RecordMonthlyHeld{MeetingID: id, Transcript: meeting, Utterances: len(d.Utterances)}
	for _, u := range d.Utterances {
		if u.Kind != akn.Speech {
			continue
		}
		if u.Name != "" && !slices.Contains(cmd.Speakers, u.Name) && len(cmd.Speakers) < domain.MaxHeldSpeakers {
			cmd.Speakers = append(cmd.Speakers, u.Name)
		}
		for _, p := range u.Paragraphs {
			for _, m := range reQuoted.FindAllStringSubmatch(akn.PlainText(p), -1) {
				n := utf8.RuneCountInString(m[1])
				if n >= minTopicRunes && n <= maxTopicRunes && !slices.Contains(cmd.Topics, m[1]) && len(cmd.Topics) < domain.MaxHeldTopics {
					cmd.Topics = append(cmd.Topics, m[1])
				}
			}
		}
	}
	return cmd
}

// recordHeld records an imported monthly meeting as held, with what its
// transcript shows, unless it is recorded so already.
func (im *Importer) recordHeld(ctx context.Context, pm PlannedMonthly, at time.Time) (int, error) {
	if pm.Held == nil {
		return 0, nil
	}
	res, err := im.monthly.Handle(ctx, app.Request[*domain.MonthlyMeeting]{
		Stream: domain.MonthlyMeetingStream(pm.ID), New: func() *domain.MonthlyMeeting { return domain.NewMonthlyMeeting(pm.ID) },
		Actor: im.actor, At: at,
		Decide: func(m *domain.MonthlyMeeting, at time.Time) ([]domain.Event, error) {
			if _, held := m.Held(); held || !m.Imported() || m.Closed() {
				return nil, nil
			}
			return m.RecordHeld(*pm.Held, im.actor, at)
		},
	})
	if err != nil {
		return 0, fmt.Errorf("monthly meeting %s held: %w", pm.ID, err)
	}
	return len(res.Events), nil
}

package domain

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pdis/collab-ledger/domain/calendar"
)

// CmdRecordMonthlyHeld records that a monthly meeting imported from an
// archive was held, with what its transcript shows.
const CmdRecordMonthlyHeld = "monthly.record_held"

// Bounds of what a held record lists.
const (
	// MaxHeldSpeakers bounds the speakers a held record lists.
	MaxHeldSpeakers = 200
	// MaxHeldTopics bounds the topics a held record lists.
	MaxHeldTopics = 100
	// maxHeldText bounds one speaker's name or topic, in characters.
	maxHeldText = 300
)

// RecordMonthlyHeld records that an imported monthly meeting was held, as
// its transcript (the meeting Transcript) shows: who spoke, how many
// utterances, and the topics it names. It records no ballot: an archive's
// monthly meeting says nothing of its vote.
type RecordMonthlyHeld struct {
	MeetingID MonthlyMeetingID
	// Transcript is the meeting whose transcript shows the monthly meeting.
	Transcript MeetingID
	// Speakers are the names of those who spoke, in order of first speech.
	Speakers []string
	// Utterances is how many utterances the transcript has.
	Utterances int
	// Topics are the topics the transcript names (the titles it quotes),
	// in order of first mention.
	Topics []string
}

// CommandName implements Command.
func (RecordMonthlyHeld) CommandName() string { return CmdRecordMonthlyHeld }

// MonthlyMeetingHeld: an imported monthly meeting was held on HeldOn, as
// the transcript of meeting Transcript shows. Its ballots are not in the
// archive; none is recorded.
type MonthlyMeetingHeld struct {
	MeetingID  MonthlyMeetingID `json:"meetingId"`
	HeldOn     calendar.Date    `json:"heldOn"`
	Transcript MeetingID        `json:"transcript"`
	// Speakers are the names the published transcript shows.
	Speakers   []string `json:"speakers" ledger:"public"`
	Utterances int      `json:"utterances"`
	Topics     []string `json:"topics" ledger:"public"`
	Occurred
}

// EventType implements Event.
func (MonthlyMeetingHeld) EventType() string { return "monthly.held" }

// SchemaVersion implements Event.
func (MonthlyMeetingHeld) SchemaVersion() int { return 1 }

// Imported reports whether the monthly meeting was recorded from an
// archive.
func (m *MonthlyMeeting) Imported() bool { return m.imported }

// Held returns the held record of an imported monthly meeting, if any.
func (m *MonthlyMeeting) Held() (MonthlyMeetingHeld, bool) {
	if m.held == nil {
		return MonthlyMeetingHeld{}, false
	}
	return *m.held, true
}

// RecordHeld decides RecordMonthlyHeld: only for an open monthly meeting
// imported from an archive (a live one is held by its vote), once.
func (m *MonthlyMeeting) RecordHeld(cmd RecordMonthlyHeld, actor Actor, at time.Time) ([]Event, error) {
	if err := m.begin(cmd, cmd.MeetingID, actor, at, true); err != nil {
		return nil, err
	}
	if !m.imported {
		return nil, violated("monthly.record_held.not_imported", "monthly meeting %s is not imported from an archive: it is held by its vote", m.id)
	}
	if m.held != nil {
		return nil, conflict("monthly.record_held.exists", "monthly meeting %s is already recorded as held", m.id)
	}
	if err := validID(CmdRecordMonthlyHeld, "meeting", string(cmd.Transcript)); err != nil {
		return nil, err
	}
	if cmd.Utterances < 0 {
		return nil, violated("monthly.record_held.utterances_invalid", "%d utterances is not a count", cmd.Utterances)
	}
	speakers, err := heldList("speakers", cmd.Speakers, MaxHeldSpeakers)
	if err != nil {
		return nil, err
	}
	topics, err := heldList("topics", cmd.Topics, MaxHeldTopics)
	if err != nil {
		return nil, err
	}
	return []Event{MonthlyMeetingHeld{MeetingID: m.id, HeldOn: m.heldOn, Transcript: cmd.Transcript, Speakers: speakers, Utterances: cmd.Utterances, Topics: topics, Occurred: occurred(at)}}, nil
}

// heldList trims a list, drops empty entries and repeats, and bounds it.
func heldList(what string, in []string, limit int) ([]string, error) {
	var out []string
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" || slices.Contains(out, s) {
			continue
		}
		if utf8.RuneCountInString(s) > maxHeldText || !utf8.ValidString(s) {
			return nil, violated("monthly.record_held."+what+"_invalid", "%s: an entry is not valid text of at most %d characters", what, maxHeldText)
		}
		out = append(out, s)
	}
	if len(out) > limit {
		return nil, violated("monthly.record_held."+what+"_too_many", "%d %s, at most %d", len(out), what, limit)
	}
	return out, nil
}

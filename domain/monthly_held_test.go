package domain

import (
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/domain/calendar"
)

// importedMonthly is a monthly meeting imported from the archive.
func importedMonthly(t testing.TB) *MonthlyMeeting {
	m := NewMonthlyMeeting("2017-04")
	do(t, m, func(m *MonthlyMeeting) ([]Event, error) {
		return m.Open(OpenMonthlyMeeting{MeetingID: "2017-04", HeldOn: calendar.MustParseDate("2017-04-10"), Imported: true}, staff, tMonthly, DefaultMonthlyConfig())
	})
	return m
}

// TestRecordMonthlyHeld: an imported monthly meeting is recorded as held
// once, with what its transcript shows (speakers and topics trimmed and
// without repeats); a live one, a second record, a bad transcript ID or
// too many topics are refused and change nothing.
func TestRecordMonthlyHeld(t *testing.T) {
	m := importedMonthly(t)
	cmd := RecordMonthlyHeld{MeetingID: "2017-04", Transcript: "akn-20170410-abc", Speakers: []string{" 唐鳳", "蔡玉琪", "唐鳳", ""}, Utterances: 58, Topics: []string{"新一代國家健保憑證規劃案", "新一代國家健保憑證規劃案"}}
	evs := do(t, m, func(m *MonthlyMeeting) ([]Event, error) { return m.RecordHeld(cmd, staff, tMonthly) })
	h, ok := m.Held()
	if len(evs) != 1 || !ok || h.HeldOn.String() != "2017-04-10" || strings.Join(h.Speakers, ",") != "唐鳳,蔡玉琪" || len(h.Topics) != 1 || h.Utterances != 58 || m.Ballots() != 0 || m.Closed() {
		t.Fatalf("held %+v %v; events %v", h, ok, evs)
	}
	evs, err := m.RecordHeld(cmd, staff, tMonthly)
	wantRule(t, evs, err, ErrConflictingState, "monthly.record_held.exists")

	evs, err = openMonthly(t).RecordHeld(RecordMonthlyHeld{MeetingID: "2019-03", Transcript: "x"}, staff, tMonthly)
	wantRule(t, evs, err, ErrRuleViolated, "monthly.record_held.not_imported")

	bad := cmd
	bad.Transcript = "has space"
	evs, err = importedMonthly(t).RecordHeld(bad, staff, tMonthly)
	wantRule(t, evs, err, ErrRuleViolated, "monthly.record_held.id_invalid")

	bad = cmd
	bad.Topics = nil
	for i := range MaxHeldTopics + 1 {
		bad.Topics = append(bad.Topics, strings.Repeat("題", i+1))
	}
	evs, err = importedMonthly(t).RecordHeld(bad, staff, tMonthly)
	wantRule(t, evs, err, ErrRuleViolated, "monthly.record_held.topics_too_many")

	evs, err = NewMonthlyMeeting("2017-05").RecordHeld(RecordMonthlyHeld{MeetingID: "2017-05", Transcript: "x"}, staff, tMonthly)
	wantRule(t, evs, err, ErrNotFound, "monthly.record_held.not_found")
}

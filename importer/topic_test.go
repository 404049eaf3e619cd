package importer_test

import (
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/importer"
)

// TestTopicNamedMeetings: a meeting named by its topic is recognised with
// its topic and kind, and attached to the numbered case whose
// collaborative meetings speak of the topic; one no case speaks of stays
// unclassified, saying why.
func TestTopicNamedMeetings(t *testing.T) {
	for title, want := range map[string][2]string{
		"2019-02-12 【人權公投案】協作會議-第一次會前會":  {"人權公投", string(importer.ClassPreMeeting)},
		"2019-02-25 【漁港釣魚案】籌備會議":         {"漁港釣魚", string(importer.ClassPreMeeting)},
		"2019-03-29 【BIM案】協作會議-會前會":      {"BIM", string(importer.ClassPreMeeting)},
		"2017-10-20 開放政府聯絡人會議-澎湖案第二次會前會": {"澎湖", string(importer.ClassPreMeeting)},
		"2019-12-12 鹽-鉀40案-工作會議":         {"鉀40", string(importer.ClassWorking)},
		"2017-10-20 「七天假」會前會":            {"七天假", string(importer.ClassPreMeeting)},
	} {
		c := importer.ClassifyTitle(title)
		if c.Kind != importer.ClassTopic || c.Topic != want[0] || string(c.Of) != want[1] {
			t.Errorf("%s: %+v, want topic %s, %s", title, c, want[0], want[1])
		}
	}
	text := func(s string) func(string) int { return func(w string) int { return strings.Count(s, w) } }
	files := []importer.ProcessFile{
		{Index: 0, Title: "【漁港釣魚案】協作會議-會前會", Date: "2019-03-22"},
		{Index: 1, Title: "【故宮案】會前會", Date: "2019-05-17"},
		{Index: 2, Title: "開放政府第46次議題協作會議", Date: "2019-04-03", Mentions: text(strings.Repeat("漁港開放釣魚，", 20))},
		{Index: 3, Title: "開放政府第47次議題協作會議", Date: "2019-04-02", Mentions: text("漁港一次")},
	}
	plan := importer.Classify(files)
	if p, ok := plan.Placements[0]; !ok || p.CaseID != "46" {
		t.Errorf("the topic-named pre-meeting placed %+v, want case 46\n%s", p, plan.Summary)
	}
	if _, ok := plan.Placements[1]; ok || len(plan.Summary.Unclassified) != 1 || !strings.Contains(plan.Summary.Unclassified[0], "故宮") {
		t.Errorf("an unmatched topic: %s", plan.Summary)
	}
	if plan.Summary.PreMeetings != 1 || len(plan.Summary.Topics) != 1 {
		t.Errorf("summary %s", plan.Summary)
	}
	for _, c := range plan.Cases {
		if c.Number == 46 && (len(c.Meetings) != 2 || c.Meetings[0].Index != 0) {
			t.Errorf("case 46's meetings %+v, want the pre-meeting first", c.Meetings)
		}
	}
}

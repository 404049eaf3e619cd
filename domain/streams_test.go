package domain

import (
	"errors"
	"testing"
)

func TestParseStreamRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		kind StreamKind
		id   string
	}{
		{ProposalStream("42"), StreamProposal, "42"},
		{RegistryStream(), StreamRegistry, ""},
		{MonthlyMeetingStream("2019-03"), StreamMonthlyMeeting, "2019-03"},
		{CaseStream("demo-case-1"), StreamCase, "demo-case-1"},
		{MeetingStream("demo-case-1-discover"), StreamMeeting, "demo-case-1-discover"},
		{TranscriptStream("m1"), StreamTranscript, "m1"},
		{CaseStream("proposal-7"), StreamCase, "proposal-7"},
	}
	for _, c := range cases {
		k, id, err := ParseStream(c.name)
		if err != nil || k != c.kind || id != c.id {
			t.Errorf("ParseStream(%q) = %q, %q, %v; want %q, %q", c.name, k, id, err, c.kind, c.id)
		}
		if got := StreamName(k, id); got != c.name {
			t.Errorf("StreamName(%q, %q) = %q, want %q", k, id, got, c.name)
		}
	}
}

func TestParseStreamRefuses(t *testing.T) {
	for _, name := range []string{"", "tokens", "$checkpoints", "case-", "case", "po-monthly", "po-registry-1", "meeting-a b", "cases-1", "Case-1"} {
		if k, id, err := ParseStream(name); !errors.Is(err, ErrNotDomainStream) {
			t.Errorf("ParseStream(%q) = %q, %q, %v; want ErrNotDomainStream", name, k, id, err)
		}
	}
	if got := StreamOf(StreamCase, "meeting-1"); got != "" {
		t.Errorf("StreamOf(case, meeting-1) = %q", got)
	}
	if got := MeetingOfStream("transcript-m1"); got != "m1" {
		t.Errorf("MeetingOfStream(transcript-m1) = %q", got)
	}
	if got := MeetingOfStream("case-m1"); got != "" {
		t.Errorf("MeetingOfStream(case-m1) = %q", got)
	}
	if !IsStreamKind("case-1", StreamProposal, StreamCase) || IsStreamKind("case-1", StreamMeeting) {
		t.Error("IsStreamKind")
	}
}

package domain

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"
)

func TestMeetingScheduling(t *testing.T) {
	cfg := DefaultMonthlyConfig()
	sched := func(kind MeetingKind, phase Phase, caseID CaseID, starts time.Time) ScheduleMeeting {
		return ScheduleMeeting{MeetingID: "m-2", CaseID: caseID, Kind: kind, Phase: phase, Title: "協作會議", StartsAt: starts}
	}
	busy := VotedMeetingDates{"moi": {calendar.MustParseDate("2019-03-20")}}
	unled := NewCase("59")
	do(t, unled, func(c *Case) ([]Event, error) {
		return c.Open(OpenCase{CaseID: "59", Title: "x", SourceKind: SourceVotedTopic, MonthlyMeetingID: "2019-03", CandidateID: "c2"}, staff, tCase, closedMonthly(t))
	})
	tests := []struct {
		name    string
		cmd     ScheduleMeeting
		c       *Case
		history VotedMeetings
		kind    error
		rule    string
	}{
		{"the same organiser may not host another voted meeting within 45 days", sched(MeetingCollaborative, PhaseDiscover, "57", tMeeting), caseAt(t, StageMeetings), busy, ErrRuleViolated, "meeting.schedule.organiser_spacing"},
		{"also not 45 days before another", sched(MeetingCollaborative, PhaseDiscover, "57", time.Date(2019, 2, 10, 9, 0, 0, 0, calendar.Taipei)), caseAt(t, StageMeetings), busy, ErrRuleViolated, "meeting.schedule.organiser_spacing"},
		{"a collaborative meeting has a phase", sched(MeetingCollaborative, "", "57", tMeeting), caseAt(t, StageMeetings), nil, ErrRuleViolated, "meeting.schedule.phase_required"},
		{"a phase is one of the four", sched(MeetingWorking, "dream", "57", tMeeting), caseAt(t, StageMeetings), nil, ErrRuleViolated, "meeting.schedule.phase_invalid"},
		{"a case meeting names its case", sched(MeetingPreMeeting, "", "", tMeeting), nil, nil, ErrRuleViolated, "meeting.schedule.case_required"},
		{"the case must exist", sched(MeetingPreMeeting, "", "99", tMeeting), nil, nil, ErrNotFound, "meeting.schedule.case_not_found"},
		{"a closed case has no more meetings", sched(MeetingWorking, "", "57", tMeeting), caseAt(t, StageClosed), nil, ErrConflictingState, "meeting.schedule.case_closed"},
		{"a voted meeting needs its organiser, the lead", sched(MeetingCollaborative, PhaseDiscover, "59", tMeeting), unled, nil, ErrRuleViolated, "meeting.schedule.lead_required"},
		{"a meeting has a known kind", sched("party", "", "57", tMeeting), caseAt(t, StageMeetings), nil, ErrRuleViolated, "meeting.schedule.kind_invalid"},
		{"a meeting has a start", sched(MeetingWorking, "", "57", time.Time{}), caseAt(t, StageMeetings), nil, ErrRuleViolated, "meeting.schedule.start_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := NewMeeting("m-2").Schedule(tt.cmd, staff, tCase, tt.c, cfg, tt.history)
			wantRule(t, evs, err, tt.kind, tt.rule)
		})
	}
	t.Run("45 days later is fine, and the event says it is a voted meeting of the lead", func(t *testing.T) {
		evs, err := NewMeeting("m-2").Schedule(sched(MeetingCollaborative, PhaseDefine, "57", time.Date(2019, 5, 4, 9, 0, 0, 0, calendar.Taipei)), staff, tCase, caseAt(t, StageMeetings), cfg, busy)
		wantOK(t, evs, err)
		if s := evs[0].(MeetingScheduled); !s.Voted || s.Organiser != "moi" {
			t.Errorf("scheduled %+v", s)
		}
	})
	t.Run("a pre-meeting is not a voted meeting", func(t *testing.T) {
		evs, err := NewMeeting("m-2").Schedule(sched(MeetingPreMeeting, "", "57", tMeeting), staff, tCase, caseAt(t, StageMeetings), cfg, busy)
		wantOK(t, evs, err)
	})
	t.Run("a meeting is scheduled once", func(t *testing.T) {
		c := caseAt(t, StageMeetings)
		evs, err := scheduledMeeting(t, c).Schedule(ScheduleMeeting{MeetingID: "m-1", CaseID: "57", Kind: MeetingWorking, Title: "x", StartsAt: tMeeting}, staff, tCase, c, cfg, nil)
		wantRule(t, evs, err, ErrConflictingState, "meeting.schedule.exists")
	})
}

func TestMeetingNotesQuestionsAndClose(t *testing.T) {
	t.Run("a contested note is removed with a reason and stays in the trail", func(t *testing.T) {
		m := meetingWithContent(t)
		evs, err := m.RemoveNote(RemoveNote{MeetingID: "m-1", NoteID: "n-1"}, staff, tMeeting)
		wantRule(t, evs, err, ErrRuleViolated, "meeting.remove_note.reason_required")
		do(t, m, func(m *Meeting) ([]Event, error) {
			return m.RemoveNote(RemoveNote{MeetingID: "m-1", NoteID: "n-1", Reason: "斷章取義，與會者要求刪除"}, staff, tMeeting.Add(time.Hour))
		})
		if text, removed, ok := m.NoteText("n-1"); !ok || !removed || text != "壓力有一點大" {
			t.Errorf("removed note: %q removed=%v ok=%v", text, removed, ok)
		}
		evs, err = m.ReviseNote(ReviseNote{MeetingID: "m-1", NoteID: "n-1", Text: "x"}, staff, tMeeting)
		wantRule(t, evs, err, ErrConflictingState, "meeting.revise_note.removed")
		evs, err = m.RemoveNote(RemoveNote{MeetingID: "m-1", NoteID: "n-1", Reason: "x"}, staff, tMeeting)
		wantRule(t, evs, err, ErrConflictingState, "meeting.remove_note.removed")
	})
	t.Run("revisions count up and keep the reason", func(t *testing.T) {
		m := meetingWithContent(t)
		evs := do(t, m, func(m *Meeting) ([]Event, error) {
			return m.ReviseNote(ReviseNote{MeetingID: "m-1", NoteID: "n-1", Text: "院會報告帶來壓力", Reason: "語意"}, staff, tMeeting)
		})
		if r := evs[0].(MeetingNoteRevised); r.Revision != 2 || r.Reason != "語意" {
			t.Errorf("revision %+v", r)
		}
		evs, err := m.ReviseNote(ReviseNote{MeetingID: "m-1", NoteID: "n-1", Text: "院會報告帶來壓力"}, staff, tMeeting)
		wantRule(t, evs, err, ErrConflictingState, "meeting.revise_note.unchanged")
	})
	noteRules := []struct {
		name string
		cmd  AddNote
		kind error
		rule string
	}{
		{"a concept-sheet note names its sheet and section", AddNote{MeetingID: "m-1", NoteID: "n-2", Board: BoardConceptSheet, Text: "x"}, ErrRuleViolated, "meeting.add_note.section_required"},
		{"a mind-map note has no section", AddNote{MeetingID: "m-1", NoteID: "n-2", Board: BoardMindMap, Section: SectionRisk, Text: "x"}, ErrRuleViolated, "meeting.add_note.section_on_mind_map"},
		{"a note hangs from an existing note", AddNote{MeetingID: "m-1", NoteID: "n-2", Board: BoardMindMap, Parent: "n-9", Text: "x"}, ErrNotFound, "meeting.add_note.parent_not_found"},
		{"a note has text", AddNote{MeetingID: "m-1", NoteID: "n-2", Board: BoardMindMap}, ErrRuleViolated, "meeting.add_note.text_required"},
		{"a note ID is used once", AddNote{MeetingID: "m-1", NoteID: "n-1", Board: BoardMindMap, Text: "x"}, ErrConflictingState, "meeting.add_note.exists"},
		{"a note is on a known board", AddNote{MeetingID: "m-1", NoteID: "n-2", Board: "whiteboard", Text: "x"}, ErrRuleViolated, "meeting.add_note.board_invalid"},
	}
	for _, tt := range noteRules {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := meetingWithContent(t).AddNote(tt.cmd, staff, tMeeting)
			wantRule(t, evs, err, tt.kind, tt.rule)
		})
	}
	t.Run("anonymous questions are posted, answered once, archived", func(t *testing.T) {
		m := meetingWithContent(t)
		evs, err := m.PostQuestion(withAuthor(PostQuestion{MeetingID: "m-1", QuestionID: "q-2", Text: "匿名提問"}, moiChief), moiChief, tMeeting)
		wantOK(t, evs, err)
		raw, _ := json.Marshal(evs[0])
		if !IsAnonymous(evs[0]) || strings.Contains(string(raw), moiChief.ID) || strings.Contains(string(raw), "moi") {
			t.Errorf("question not anonymous: %s", raw)
		}
		do(t, m, func(m *Meeting) ([]Event, error) {
			return m.AnswerQuestion(AnswerQuestion{MeetingID: "m-1", QuestionID: "q-1", Answer: "會"}, staff, tMeeting)
		})
		evs, err = m.AnswerQuestion(AnswerQuestion{MeetingID: "m-1", QuestionID: "q-1", Answer: "會"}, staff, tMeeting)
		wantRule(t, evs, err, ErrConflictingState, "meeting.answer_question.already_answered")
		do(t, m, func(m *Meeting) ([]Event, error) {
			return m.ArchiveQuestion(ArchiveQuestion{MeetingID: "m-1", QuestionID: "q-1"}, staff, tMeeting)
		})
		evs, err = m.ArchiveQuestion(ArchiveQuestion{MeetingID: "m-1", QuestionID: "q-1"}, staff, tMeeting)
		wantRule(t, evs, err, ErrConflictingState, "meeting.archive_question.already_archived")
		evs, err = m.AnswerQuestion(AnswerQuestion{MeetingID: "m-1", QuestionID: "q-9", Answer: "x"}, staff, tMeeting)
		wantRule(t, evs, err, ErrNotFound, "meeting.answer_question.not_found")
		do(t, m, func(m *Meeting) ([]Event, error) {
			return m.PostQuestion(withAuthor(PostQuestion{MeetingID: "m-1", QuestionID: "q-3", Text: "x"}, citizenActor(2)), citizenActor(2), tMeeting)
		})
		do(t, m, func(m *Meeting) ([]Event, error) {
			return m.ArchiveQuestion(ArchiveQuestion{MeetingID: "m-1", QuestionID: "q-3", Reason: "離題"}, staff, tMeeting)
		})
		evs, err = m.AnswerQuestion(AnswerQuestion{MeetingID: "m-1", QuestionID: "q-3", Answer: "x"}, staff, tMeeting)
		wantRule(t, evs, err, ErrConflictingState, "meeting.answer_question.archived")
	})
	t.Run("after close: no notes, questions or attendance; answers, removals and recordings still", func(t *testing.T) {
		m := meetingWithContent(t)
		do(t, m, func(m *Meeting) ([]Event, error) {
			return m.Close(CloseMeeting{MeetingID: "m-1"}, staff, tMeeting.Add(8*time.Hour))
		})
		evs, err := m.AddNote(AddNote{MeetingID: "m-1", NoteID: "n-2", Board: BoardMindMap, Text: "x"}, staff, tMeeting)
		wantRule(t, evs, err, ErrConflictingState, "meeting.add_note.closed")
		evs, err = m.PostQuestion(withAuthor(PostQuestion{MeetingID: "m-1", QuestionID: "q-2", Text: "x"}, citizenActor(1)), citizenActor(1), tMeeting)
		wantRule(t, evs, err, ErrConflictingState, "meeting.post_question.closed")
		evs, err = m.RecordAttendance(RecordAttendance{MeetingID: "m-1", ParticipantID: "pt-1", Present: true}, staff, tMeeting)
		wantRule(t, evs, err, ErrConflictingState, "meeting.record_attendance.closed")
		evs, err = m.Close(CloseMeeting{MeetingID: "m-1"}, staff, tMeeting)
		wantRule(t, evs, err, ErrConflictingState, "meeting.close.closed")
		for name, decide := range map[string]func() ([]Event, error){
			"answer": func() ([]Event, error) {
				return m.AnswerQuestion(AnswerQuestion{MeetingID: "m-1", QuestionID: "q-1", Answer: "會後回覆"}, staff, tMeeting.Add(48*time.Hour))
			},
			"remove": func() ([]Event, error) {
				return m.RemoveNote(RemoveNote{MeetingID: "m-1", NoteID: "n-1", Reason: "斷章取義"}, staff, tMeeting.Add(48*time.Hour))
			},
			"recording": func() ([]Event, error) {
				return m.AddRecording(AddRecording{MeetingID: "m-1", RecordingID: "rec-1", Kind: RecordingVideo, URL: "https://www.youtube.com/watch?v=x", SHA256: strings.Repeat("1a", 32)}, staff, tMeeting.Add(48*time.Hour))
			},
		} {
			evs, err := decide()
			if err != nil || len(evs) != 1 {
				t.Errorf("%s after close: %v", name, err)
			}
		}
	})
	t.Run("participants and recordings are well formed", func(t *testing.T) {
		m := meetingWithContent(t)
		evs, err := m.AddParticipant(AddParticipant{MeetingID: "m-1", ParticipantID: "pt-2", Name: "x", Role: ParticipantMinistry}, staff, tMeeting)
		wantRule(t, evs, err, ErrRuleViolated, "meeting.add_participant.ministry_required")
		evs, err = m.AddParticipant(AddParticipant{MeetingID: "m-1", ParticipantID: "pt-1", Name: "x", Role: ParticipantHost}, staff, tMeeting)
		wantRule(t, evs, err, ErrConflictingState, "meeting.add_participant.exists")
		evs, err = m.AddParticipant(AddParticipant{MeetingID: "m-1", ParticipantID: "pt-3", Name: "x", Role: "king"}, staff, tMeeting)
		wantRule(t, evs, err, ErrRuleViolated, "meeting.add_participant.role_invalid")
		evs, err = m.RecordAttendance(RecordAttendance{MeetingID: "m-1", ParticipantID: "pt-9"}, staff, tMeeting)
		wantRule(t, evs, err, ErrNotFound, "meeting.record_attendance.participant_not_found")
		evs, err = m.AddRecording(AddRecording{MeetingID: "m-1", RecordingID: "rec-1", Kind: RecordingLiveStream, URL: "youtube"}, staff, tMeeting)
		wantRule(t, evs, err, ErrRuleViolated, "meeting.add_recording.url_invalid")
		evs, err = NewMeeting("m-9").Close(CloseMeeting{MeetingID: "m-9"}, staff, tMeeting)
		wantRule(t, evs, err, ErrNotFound, "meeting.close.not_found")
	})
}

func TestTranscriptRules(t *testing.T) {
	// Published Friday 2019-04-19: the 10th working day after is Friday
	// 2019-05-03, so the window closes at 2019-05-04 00:00 Taipei.
	closes := time.Date(2019, 5, 4, 0, 0, 0, 0, calendar.Taipei)
	po := speakerOf(moiChief, "內政部PO")
	other := speakerOf(motChief, "交通部PO楊惠如")
	edit := func(u UtteranceID, text string) EditUtterance {
		return EditUtterance{MeetingID: "m-1", UtteranceID: u, Paragraphs: []string{text}}
	}
	tests := []struct {
		name  string
		setup func(t *testing.T) *Transcript
		actor Actor
		cmd   EditUtterance
		at    time.Time
		kind  error
		rule  string
	}{
		{"a PO cannot edit another speaker's words", func(t *testing.T) *Transcript { return publishedTranscript(t, po, other) },
			moiChief, edit("u-2", "改別人的話"), tPublished.Add(time.Hour), ErrForbidden, RuleEditOwnWordsOnly},
		{"staff cannot edit a speaker's words either", func(t *testing.T) *Transcript { return publishedTranscript(t, po) },
			staff, edit("u-1", "x"), tPublished.Add(time.Hour), ErrForbidden, RuleEditOwnWordsOnly},
		{"nobody edits the narration", func(t *testing.T) *Transcript { return publishedTranscript(t, po) },
			moiChief, edit("u-narr", "x"), tPublished.Add(time.Hour), ErrForbidden, RuleEditOwnWordsOnly},
		{"a speaker without an account cannot be edited", func(t *testing.T) *Transcript { return publishedTranscript(t, Speaker{Name: "與會者"}) },
			moiChief, edit("u-1", "x"), tPublished.Add(time.Hour), ErrForbidden, RuleEditOwnWordsOnly},
		{"a speaker edits only after publication", func(t *testing.T) *Transcript { return transcriptOf(t, po) },
			moiChief, edit("u-1", "x"), tPublished.Add(time.Hour), ErrConflictingState, "transcript.edit.not_published"},
		{"a speaker edits only within 10 working days of publication", func(t *testing.T) *Transcript { return publishedTranscript(t, po) },
			moiChief, edit("u-1", "x"), closes, ErrRuleViolated, "transcript.edit.window_closed"},
		{"an imported edit dated before publication is refused", func(t *testing.T) *Transcript { return publishedTranscript(t, po) },
			moiChief, edit("u-1", "x"), tPublished.Add(-time.Hour), ErrRuleViolated, "transcript.edit.window_closed"},
		{"an edit changes something", func(t *testing.T) *Transcript { return publishedTranscript(t, po) },
			moiChief, edit("u-1", "內政部PO的發言。"), tPublished.Add(time.Hour), ErrConflictingState, "transcript.edit.unchanged"},
		{"an edit has text", func(t *testing.T) *Transcript { return publishedTranscript(t, po) },
			moiChief, edit("u-1", " "), tPublished.Add(time.Hour), ErrRuleViolated, "transcript.edit_utterance.empty_paragraph"},
		{"an unknown utterance is not found", func(t *testing.T) *Transcript { return publishedTranscript(t, po) },
			moiChief, edit("u-9", "x"), tPublished.Add(time.Hour), ErrNotFound, "transcript.edit_utterance.utterance_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := tt.setup(t).Edit(tt.cmd, tt.actor, tt.at)
			wantRule(t, evs, err, tt.kind, tt.rule)
		})
	}

	t.Run("a speaker edits their own words on the last working day", func(t *testing.T) {
		tr := publishedTranscript(t, po, other)
		if !tr.EditWindowClosesAt().Equal(closes) {
			t.Fatalf("window closes %s, want %s", tr.EditWindowClosesAt(), closes)
		}
		evs, err := tr.Edit(edit("u-1", "修飾後的發言。"), moiChief, closes.Add(-time.Minute))
		wantOK(t, evs, err)
		if e := evs[0].(TranscriptUtteranceEdited); e.Version != 2 || e.Editor != moiChief.ID {
			t.Errorf("edit %+v", e)
		}
	})

	t.Run("the window skips the Lunar New Year break and ends on a make-up Saturday", func(t *testing.T) {
		tr := transcriptOf(t, po)
		pub := time.Date(2023, 1, 13, 17, 0, 0, 0, calendar.Taipei)
		evs := do(t, tr, func(tr *Transcript) ([]Event, error) {
			return tr.Publish(PublishTranscript{MeetingID: "m-1"}, staff, pub, DefaultTranscriptConfig(), calendar.Taiwan())
		})
		p := evs[0].(TranscriptPublished)
		if want := time.Date(2023, 2, 5, 0, 0, 0, 0, calendar.Taipei); !p.EditWindowClosesAt.Equal(want) || len(p.CalendarFallbackYears) != 0 {
			t.Errorf("published %+v, want window closing %s", p, want)
		}
	})

	t.Run("an unknown year falls back to weekends only, and says so", func(t *testing.T) {
		tr := transcriptOf(t, po)
		pub := time.Date(2026, 12, 24, 10, 0, 0, 0, calendar.Taipei)
		evs := do(t, tr, func(tr *Transcript) ([]Event, error) {
			return tr.Publish(PublishTranscript{MeetingID: "m-1"}, staff, pub, DefaultTranscriptConfig(), calendar.Taiwan())
		})
		if p := evs[0].(TranscriptPublished); len(p.CalendarFallbackYears) != 1 || p.CalendarFallbackYears[0] != 2027 {
			t.Errorf("fallback years %v, want [2027]", p.CalendarFallbackYears)
		}
	})

	t.Run("staff revert a wrong edit with a reason; every version is kept", func(t *testing.T) {
		tr := publishedTranscript(t, po)
		do(t, tr, func(tr *Transcript) ([]Event, error) {
			return tr.Edit(edit("u-1", "第二版"), moiChief, tPublished.Add(time.Hour))
		})
		do(t, tr, func(tr *Transcript) ([]Event, error) {
			return tr.Edit(edit("u-1", "第三版"), moiChief, tPublished.Add(2*time.Hour))
		})
		evs, err := tr.RevertEdit(RevertEdit{MeetingID: "m-1", UtteranceID: "u-1", ToVersion: 2}, staff, tPublished)
		wantRule(t, evs, err, ErrRuleViolated, "transcript.revert_edit.reason_required")
		evs, err = tr.RevertEdit(RevertEdit{MeetingID: "m-1", UtteranceID: "u-1", ToVersion: 3, Reason: "x"}, staff, tPublished)
		wantRule(t, evs, err, ErrNotFound, "transcript.revert_edit.version_not_found")
		do(t, tr, func(tr *Transcript) ([]Event, error) {
			return tr.RevertEdit(RevertEdit{MeetingID: "m-1", UtteranceID: "u-1", ToVersion: 1, Reason: "修改超出語意潤飾"}, staff, tPublished.Add(30*24*time.Hour))
		})
		_, versions, _ := tr.Utterance("u-1")
		if len(versions) != 4 || versions[3].Paragraphs[0] != "內政部PO的發言。" || versions[1].Paragraphs[0] != "第二版" || versions[2].Editor != moiChief.ID {
			t.Errorf("versions %+v", versions)
		}
		evs, err = tr.RevertEdit(RevertEdit{MeetingID: "m-1", UtteranceID: "u-1", ToVersion: 1, Reason: "x"}, staff, tPublished)
		wantRule(t, evs, err, ErrConflictingState, "transcript.revert_edit.unchanged")
	})

	t.Run("staff fix a misattributed speaker; the words then belong to the right speaker", func(t *testing.T) {
		tr := publishedTranscript(t, other)
		evs, err := tr.ReattributeSpeaker(ReattributeSpeaker{MeetingID: "m-1", UtteranceID: "u-1", Speaker: po}, staff, tPublished)
		wantRule(t, evs, err, ErrRuleViolated, "transcript.reattribute_speaker.reason_required")
		evs = do(t, tr, func(tr *Transcript) ([]Event, error) {
			return tr.ReattributeSpeaker(ReattributeSpeaker{MeetingID: "m-1", UtteranceID: "u-1", Speaker: po, Reason: "發言者誤植"}, staff, tPublished.Add(time.Hour))
		})
		if e := evs[0].(TranscriptSpeakerReattributed); e.From != other || e.To != po {
			t.Errorf("reattribution %+v", e)
		}
		evs, err = tr.Edit(edit("u-1", "x"), motChief, tPublished.Add(2*time.Hour))
		wantRule(t, evs, err, ErrForbidden, RuleEditOwnWordsOnly)
		evs, err = tr.Edit(edit("u-1", "x"), moiChief, tPublished.Add(2*time.Hour))
		wantOK(t, evs, err)
		evs, err = tr.ReattributeSpeaker(ReattributeSpeaker{MeetingID: "m-1", UtteranceID: "u-narr", Speaker: po, Reason: "x"}, staff, tPublished)
		wantRule(t, evs, err, ErrRuleViolated, "transcript.reattribute_speaker.narration")
		evs, err = tr.ReattributeSpeaker(ReattributeSpeaker{MeetingID: "m-1", UtteranceID: "u-1", Speaker: po, Reason: "x"}, staff, tPublished)
		wantRule(t, evs, err, ErrConflictingState, "transcript.reattribute_speaker.unchanged")
	})

	t.Run("the stenographer's record", func(t *testing.T) {
		rec := func(u UtteranceID, kind UtteranceKind, s Speaker, ps ...string) RecordUtterance {
			return RecordUtterance{MeetingID: "m-1", UtteranceID: u, Kind: kind, Speaker: s, Paragraphs: ps}
		}
		tr := transcriptOf(t, po)
		for name, c := range map[string]struct {
			cmd  RecordUtterance
			kind error
			rule string
		}{
			"speech has a speaker":         {rec("u-9", UtteranceSpeech, Speaker{}, "x"), ErrRuleViolated, "transcript.record_utterance.speaker_required"},
			"narration has no speaker":     {rec("u-9", UtteranceNarration, po, "（笑）"), ErrRuleViolated, "transcript.record_utterance.narration_has_no_speaker"},
			"an utterance has text":        {rec("u-9", UtteranceSpeech, po), ErrRuleViolated, "transcript.record_utterance.text_required"},
			"an utterance ID is used once": {rec("u-1", UtteranceSpeech, po, "x"), ErrConflictingState, "transcript.record_utterance.exists"},
			"an utterance has a kind":      {rec("u-9", "song", po, "x"), ErrRuleViolated, "transcript.record_utterance.kind_invalid"},
		} {
			t.Run(name, func(t *testing.T) {
				evs, err := tr.RecordUtterance(c.cmd, stenographer, tMeeting)
				wantRule(t, evs, err, c.kind, c.rule)
			})
		}
		evs := do(t, tr, func(tr *Transcript) ([]Event, error) {
			return tr.RecordUtterance(rec("u-9", UtteranceSpeech, po, "第一段。", "第二段。"), stenographer, tMeeting.Add(2*time.Hour))
		})
		if r := evs[0].(TranscriptUtteranceRecorded); r.Seq != 3 || len(r.Paragraphs) != 2 {
			t.Errorf("recorded %+v, want the third utterance with two paragraphs", r)
		}
		if ids := tr.Utterances(); len(ids) != 3 || ids[2] != "u-9" {
			t.Errorf("order %v", ids)
		}
		pub := publishedTranscript(t, po)
		evs, err := pub.RecordUtterance(rec("u-9", UtteranceSpeech, po, "x"), stenographer, tPublished)
		wantRule(t, evs, err, ErrConflictingState, "transcript.record_utterance.published")
		evs, err = pub.Publish(PublishTranscript{MeetingID: "m-1"}, staff, tPublished, DefaultTranscriptConfig(), calendar.Taiwan())
		wantRule(t, evs, err, ErrConflictingState, "transcript.publish.already_published")
		empty := NewTranscript("m-1")
		do(t, empty, func(tr *Transcript) ([]Event, error) {
			return tr.Start(StartTranscript{MeetingID: "m-1"}, staff, tMeeting, scheduledMeeting(t, caseAt(t, StageMeetings)))
		})
		evs, err = empty.Publish(PublishTranscript{MeetingID: "m-1"}, staff, tPublished, DefaultTranscriptConfig(), nil)
		wantRule(t, evs, err, ErrRuleViolated, "transcript.publish.empty")
		evs, err = NewTranscript("m-2").Start(StartTranscript{MeetingID: "m-2"}, stenographer, tMeeting, nil)
		wantRule(t, evs, err, ErrNotFound, "transcript.start.meeting_not_found")
		evs, err = NewTranscript("m-1").RecordUtterance(rec("u-1", UtteranceSpeech, po, "x"), stenographer, tMeeting)
		wantRule(t, evs, err, ErrNotFound, "transcript.record_utterance.not_found")
	})
}

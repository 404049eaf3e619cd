package domain

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain/calendar"
)

// current renders the live utterances as "id kind speaker: text|text".
func current(tr *Transcript) []string {
	var out []string
	for _, u := range tr.Current() {
		out = append(out, string(u.ID)+" "+string(u.Kind)+" "+u.Speaker.Name+": "+strings.Join(u.Paragraphs, "|"))
	}
	return out
}

func TestImportTranscriptIsOneDecisionAndIdempotent(t *testing.T) {
	m := scheduledMeeting(t, caseAt(t, StageMeetings))
	tr := NewTranscript("m-1")
	evs := do(t, tr, func(tr *Transcript) ([]Event, error) { return tr.Import(importFixture(), staff, tMeeting, m) })
	if len(evs) != 2+9 {
		t.Fatalf("%d events, want started + imported + 9 utterances", len(evs))
	}
	if _, ok := evs[1].(TranscriptImported); !ok {
		t.Fatalf("second event %T, want the import marker", evs[1])
	}
	if ok, src := tr.Imported(); !ok || src != "2019-04-16-test.an.xml" || tr.Revision() != 1 || tr.ContentHash() != testHash("v1") {
		t.Errorf("import marker not applied: %v %q rev %d", ok, src, tr.Revision())
	}
	// The same content again decides nothing.
	again, err := tr.Import(importFixture(), staff, tMeeting, m)
	if err != nil || len(again) != 0 {
		t.Errorf("re-import = %d events, %v; want none", len(again), err)
	}
	// Other content is refused: it is a version.
	other := importFixture()
	other.ContentHash = testHash("other")
	_, err = tr.Import(other, staff, tMeeting, m)
	wantRule(t, nil, err, ErrConflictingState, "transcript.import.exists")
}

func TestImportTranscriptRefusals(t *testing.T) {
	m := scheduledMeeting(t, caseAt(t, StageMeetings))
	for name, c := range map[string]struct {
		mut  func(*ImportTranscript)
		kind error
		rule string
	}{
		"bad hash":           {func(c *ImportTranscript) { c.ContentHash = "abc" }, ErrRuleViolated, "transcript.import.hash_invalid"},
		"no source":          {func(c *ImportTranscript) { c.Source = " " }, ErrRuleViolated, "transcript.import.source_required"},
		"no utterances":      {func(c *ImportTranscript) { c.Utterances = nil }, ErrRuleViolated, "transcript.import.empty"},
		"empty paragraph":    {func(c *ImportTranscript) { c.Utterances[0].Paragraphs = []string{" "} }, ErrRuleViolated, "transcript.import.empty_paragraph"},
		"duplicate id":       {func(c *ImportTranscript) { c.Utterances[1].UtteranceID = "u-1" }, ErrRuleViolated, "transcript.import.duplicate_utterance"},
		"bad id":             {func(c *ImportTranscript) { c.Utterances[1].UtteranceID = "發言" }, ErrRuleViolated, "transcript.import.id_invalid"},
		"narration speaker":  {func(c *ImportTranscript) { c.Utterances[8].Speaker = Speaker{Name: "x"} }, ErrRuleViolated, "transcript.import.narration_has_no_speaker"},
		"unknown kind":       {func(c *ImportTranscript) { c.Utterances[0].Kind = "song" }, ErrRuleViolated, "transcript.import.kind_invalid"},
		"speaker has a name": {func(c *ImportTranscript) { c.Utterances[0].Speaker = Speaker{Ref: "x"} }, ErrRuleViolated, "transcript.import.speaker_name_required"},
	} {
		t.Run(name, func(t *testing.T) {
			cmd := importFixture()
			cmd.Utterances = slices.Clone(cmd.Utterances)
			c.mut(&cmd)
			evs, err := NewTranscript("m-1").Import(cmd, staff, tMeeting, m)
			wantRule(t, evs, err, c.kind, c.rule)
		})
	}
	evs, err := NewTranscript("m-2").Import(ImportTranscript{MeetingID: "m-2", Source: "x", ContentHash: testHash("x"), Utterances: importFixture().Utterances}, staff, tMeeting, m)
	wantRule(t, evs, err, ErrNotFound, "transcript.import.meeting_not_found")
	// An unattributed speech (a raw record) is accepted.
	raw := ImportTranscript{MeetingID: "m-1", Source: "raw:003.txt", ContentHash: testHash("raw"), Utterances: []ImportedUtterance{{UtteranceID: "r-1", Kind: UtteranceSpeech, Paragraphs: []string{"大家好,"}}}}
	if _, err := NewTranscript("m-1").Import(raw, staff, tMeeting, m); err != nil {
		t.Errorf("raw import refused: %v", err)
	}
}

func TestImportVersionRecordsEachKindOfChange(t *testing.T) {
	tr := importedTranscript(t)
	evs := do(t, tr, func(tr *Transcript) ([]Event, error) { return matrixCases[CmdImportVersion](t, RolePDIS) })
	var types []string
	for _, e := range evs {
		types = append(types, e.EventType())
	}
	want := []string{"transcript.version_imported", "transcript.utterance_corrected", "transcript.utterance_split", "transcript.utterances_merged", "transcript.utterance_inserted", "transcript.utterance_deleted", "transcript.utterance_reclassified", "transcript.speaker_reattributed"}
	if !slices.Equal(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	wantCur := []string{
		"u-1 speech 甲: 可被預見。",
		"v2-2 narration : （與會者皆無意見）",
		"u-2 speech 乙: 前半。",
		"v2-1 speech 乙: 後半。",
		"u-3 speech 丙: 其實是丙說的。",
		"u-4 speech 甲: 一。|二。",
		"u-7 narration : （與會者皆無意見）",
		"h-1 heading : 第二節",
		"n-1 narration : （散會）",
	}
	if got := current(tr); !slices.Equal(got, wantCur) {
		t.Errorf("after the version:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantCur, "\n"))
	}
	if !tr.Deleted("u-5") || !tr.Deleted("u-6") || tr.Deleted("u-1") {
		t.Errorf("merged and deleted utterances not marked deleted")
	}
	_, vs, _ := tr.Utterance("u-1")
	if len(vs) != 2 || vs[1].Change != ChangeCorrected || vs[1].Editor != "Audrey Tang" || vs[1].Reason != "* 修正錯字" {
		t.Errorf("u-1 versions %+v: the correction is attributed to the version's editor, with its reason", vs)
	}
	if tr.Revision() != 2 || !tr.HasImported(testHash("v1")) || !tr.HasImported(testHash("v2")) {
		t.Errorf("revision %d", tr.Revision())
	}
	// The same version again decides nothing; an older revision is refused.
	again, err := matrixCases[CmdImportVersion](t, RolePDIS)
	_ = again
	if err != nil {
		t.Fatal(err)
	}
	evs, err = tr.ImportVersion(ImportTranscriptVersion{MeetingID: "m-1", Revision: 2, Source: "x", ContentHash: testHash("v2")}, staff, tPublished)
	if err != nil || len(evs) != 0 {
		t.Errorf("same version again: %d events, %v", len(evs), err)
	}
	evs, err = tr.ImportVersion(ImportTranscriptVersion{MeetingID: "m-1", Revision: 2, Source: "x", Reason: "r", ContentHash: testHash("v3")}, staff, tPublished)
	if err != nil || len(evs) != 0 {
		t.Errorf("revision 2 again with other content: %d events, %v; want none (imported before)", len(evs), err)
	}
	// A later revision back to older content is a real revert.
	evs, err = tr.ImportVersion(ImportTranscriptVersion{MeetingID: "m-1", Revision: 3, Source: "x", Reason: "Revert", ContentHash: testHash("v1"), Changes: []Command{
		CorrectUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"可備預見。"}},
	}}, staff, tPublished)
	if err != nil || len(evs) != 2 {
		t.Errorf("revert to older content: %d events, %v", len(evs), err)
	}
}

func TestImportVersionIsAllOrNothing(t *testing.T) {
	tr := importedTranscript(t)
	before := current(tr)
	v := tr.Version()
	evs, err := tr.ImportVersion(ImportTranscriptVersion{MeetingID: "m-1", Revision: 2, Source: "x", Reason: "r", ContentHash: testHash("bad"), Changes: []Command{
		CorrectUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"好"}},
		DeleteUtterance{MeetingID: "m-1", UtteranceID: "u-404"},
	}}, staff, tPublished)
	wantRule(t, evs, err, ErrNotFound, "transcript.delete_utterance.utterance_not_found")
	if !strings.Contains(err.Error(), "change 2") {
		t.Errorf("error %q does not name the change", err)
	}
	if !slices.Equal(current(tr), before) || tr.Version() != v || tr.HasImported(testHash("bad")) {
		t.Errorf("a refused version changed the state")
	}
	// A version with no changes is only its marker, and leaves the state
	// untouched until applied.
	evs, err = tr.ImportVersion(ImportTranscriptVersion{MeetingID: "m-1", Revision: 3, Source: "x", Reason: "ontology", ContentHash: testHash("same text")}, staff, tPublished)
	if err != nil || len(evs) != 1 || tr.HasImported(testHash("same text")) {
		t.Errorf("empty version: %v %v", evs, err)
	}
}

func TestStaffChangeRules(t *testing.T) {
	later := tPublished.Add(time.Hour)
	for name, c := range map[string]struct {
		decide func(tr *Transcript) ([]Event, error)
		kind   error
		rule   string
	}{
		"correction needs a reason": {func(tr *Transcript) ([]Event, error) {
			return tr.Correct(CorrectUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"x"}}, staff, later)
		}, ErrRuleViolated, "transcript.correct_utterance.reason_required"},
		"unchanged correction": {func(tr *Transcript) ([]Event, error) {
			return tr.Correct(CorrectUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"可備預見。"}, Reason: "r"}, staff, later)
		}, ErrConflictingState, "transcript.correct_utterance.unchanged"},
		"a speaker may not correct": {func(tr *Transcript) ([]Event, error) {
			return tr.Correct(CorrectUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"x"}, Reason: "r"}, moiChief, later)
		}, ErrForbidden, RuleRoleNotAllowed},
		"insert after a missing utterance": {func(tr *Transcript) ([]Event, error) {
			return tr.Insert(InsertUtterance{MeetingID: "m-1", UtteranceID: "x", After: "nope", Kind: UtteranceNarration, Paragraphs: []string{"x"}, Reason: "r"}, staff, later)
		}, ErrNotFound, "transcript.insert_utterance.utterance_not_found"},
		"insert an existing ID": {func(tr *Transcript) ([]Event, error) {
			return tr.Insert(InsertUtterance{MeetingID: "m-1", UtteranceID: "u-2", Kind: UtteranceNarration, Paragraphs: []string{"x"}, Reason: "r"}, staff, later)
		}, ErrConflictingState, "transcript.insert_utterance.exists"},
		"merge what does not follow": {func(tr *Transcript) ([]Event, error) {
			return tr.Merge(MergeUtterances{MeetingID: "m-1", UtteranceID: "u-1", Merged: []UtteranceID{"u-3"}, Paragraphs: []string{"x"}, Reason: "r"}, staff, later)
		}, ErrRuleViolated, "transcript.merge_utterances.not_adjacent"},
		"split without parts": {func(tr *Transcript) ([]Event, error) {
			return tr.Split(SplitUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"x"}, Reason: "r"}, staff, later)
		}, ErrRuleViolated, "transcript.split_utterance.parts_required"},
		"reclassify to the same kind": {func(tr *Transcript) ([]Event, error) {
			return tr.Reclassify(ReclassifyUtterance{MeetingID: "m-1", UtteranceID: "n-1", Kind: UtteranceNarration, Reason: "r"}, staff, later)
		}, ErrConflictingState, "transcript.reclassify_utterance.unchanged"},
		"narration has no speaker": {func(tr *Transcript) ([]Event, error) {
			return tr.Reclassify(ReclassifyUtterance{MeetingID: "m-1", UtteranceID: "u-7", Kind: UtteranceNarration, Speaker: Speaker{Name: "乙"}, Reason: "r"}, staff, later)
		}, ErrRuleViolated, "transcript.reclassify_utterance.narration_has_no_speaker"},
	} {
		t.Run(name, func(t *testing.T) {
			evs, err := c.decide(importedTranscript(t))
			wantRule(t, evs, err, c.kind, c.rule)
		})
	}
	// A deleted utterance can be neither edited nor corrected.
	tr := importedTranscript(t)
	do(t, tr, func(tr *Transcript) ([]Event, error) {
		return tr.Delete(DeleteUtterance{MeetingID: "m-1", UtteranceID: "u-1", Reason: "r"}, staff, later)
	})
	evs, err := tr.Correct(CorrectUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"x"}, Reason: "r"}, staff, later)
	wantRule(t, evs, err, ErrConflictingState, "transcript.correct_utterance.utterance_deleted")
	if slices.Contains(tr.Utterances(), "u-1") {
		t.Error("deleted utterance still listed")
	}
}

func TestRawRecordGetsItsSpeakersAfterwards(t *testing.T) {
	m := scheduledMeeting(t, caseAt(t, StageMeetings))
	tr := NewTranscript("m-1")
	do(t, tr, func(tr *Transcript) ([]Event, error) {
		return tr.Import(ImportTranscript{MeetingID: "m-1", Source: "raw:003.txt", ContentHash: testHash("raw"), Utterances: []ImportedUtterance{
			{UtteranceID: "r-1", Kind: UtteranceSpeech, Paragraphs: []string{"大家好,"}},
		}}, staff, tMeeting, m)
	})
	evs := do(t, tr, func(tr *Transcript) ([]Event, error) {
		return tr.ReattributeSpeaker(ReattributeSpeaker{MeetingID: "m-1", UtteranceID: "r-1", Speaker: Speaker{Name: "唐鳳", Ref: "唐鳳"}, Reason: "speaker assigned"}, staff, tMeeting)
	})
	if e := evs[0].(TranscriptSpeakerReattributed); e.From != (Speaker{}) || e.To.Name != "唐鳳" {
		t.Errorf("assignment %+v", e)
	}
}

func TestImportedMeetingsAndCases(t *testing.T) {
	// An imported case reaches research without a lead, and its
	// collaborative meetings may have no phase.
	c := NewCase("37")
	do(t, c, func(c *Case) ([]Event, error) {
		return c.Open(OpenCase{CaseID: "37", Title: "第37次協作會議", SourceKind: SourceImported, Ref: "pdis-archive"}, staff, tCase, nil)
	})
	for _, st := range []CaseStage{StageDivisionOfLabour, StageResearch, StagePreMeeting, StageMeetings} {
		do(t, c, func(c *Case) ([]Event, error) {
			return c.ChangeStage(ChangeStage{CaseID: "37", To: st, Reason: "imported"}, staff, tCase)
		})
	}
	sched := ScheduleMeeting{MeetingID: "m-37", CaseID: "37", Kind: MeetingCollaborative, Title: "第37次協作會議", StartsAt: tMeeting, Imported: true}
	m := NewMeeting("m-37")
	do(t, m, func(m *Meeting) ([]Event, error) {
		return m.Schedule(sched, staff, tMeeting, c, DefaultMonthlyConfig(), nil)
	})
	if evs, err := m.Schedule(sched, staff, tMeeting, c, DefaultMonthlyConfig(), nil); err != nil || len(evs) != 0 {
		t.Errorf("scheduling the imported meeting again: %v, %v", evs, err)
	}
	if !m.Imported() || m.Title() != "第37次協作會議" {
		t.Errorf("imported meeting state")
	}
	changed := sched
	changed.Title = "別的"
	_, err := m.Schedule(changed, staff, tMeeting, c, DefaultMonthlyConfig(), nil)
	wantRule(t, nil, err, ErrConflictingState, "meeting.schedule.exists")
	// A live case still needs a phase and a lead.
	notImported := sched
	notImported.MeetingID, notImported.Imported = "m-x", false
	_, err = NewMeeting("m-x").Schedule(notImported, staff, tMeeting, c, DefaultMonthlyConfig(), nil)
	wantRule(t, nil, err, ErrRuleViolated, "meeting.schedule.phase_required")
	live := NewCase("1")
	do(t, live, func(c *Case) ([]Event, error) {
		return c.Open(OpenCase{CaseID: "1", Title: "x", SourceKind: SourceAssignment, Ref: "doc"}, staff, tCase, nil)
	})
	do(t, live, func(c *Case) ([]Event, error) {
		return c.ChangeStage(ChangeStage{CaseID: "1", To: StageDivisionOfLabour, Reason: "r"}, staff, tCase)
	})
	_, err = live.ChangeStage(ChangeStage{CaseID: "1", To: StageResearch, Reason: "r"}, staff, tCase)
	wantRule(t, nil, err, ErrRuleViolated, "case.change_stage.lead_required")
	_, err = NewCase("2").Open(OpenCase{CaseID: "2", Title: "x", SourceKind: SourceImported}, staff, tCase, nil)
	wantRule(t, nil, err, ErrRuleViolated, "case.open.import_ref_required")

	// A PO monthly meeting session is attached to its monthly meeting.
	mm := NewMonthlyMeeting("2019-03")
	evs := do(t, mm, func(mm *MonthlyMeeting) ([]Event, error) {
		return mm.Open(OpenMonthlyMeeting{MeetingID: "2019-03", HeldOn: calendar.MustParseDate("2019-03-04"), Imported: true}, staff, tMonthly, DefaultMonthlyConfig())
	})
	if !evs[0].(MonthlyMeetingOpened).Imported {
		t.Error("monthly meeting not marked imported")
	}
	pm := ScheduleMeeting{MeetingID: "m-po", Kind: MeetingPOMonthly, MonthlyMeetingID: "2019-03", Title: "PO月會", StartsAt: tMonthly, Imported: true}
	evs, err = NewMeeting("m-po").Schedule(pm, staff, tMonthly, nil, DefaultMonthlyConfig(), nil)
	if err != nil || evs[0].(MeetingScheduled).MonthlyMeetingID != "2019-03" {
		t.Errorf("po_monthly meeting: %v %v", evs, err)
	}
	pm.MonthlyMeetingID = ""
	_, err = NewMeeting("m-po").Schedule(pm, staff, tMonthly, nil, DefaultMonthlyConfig(), nil)
	wantRule(t, nil, err, ErrRuleViolated, "meeting.schedule.monthly_meeting")
	if !errors.Is(err, ErrRuleViolated) {
		t.Error(err)
	}
}

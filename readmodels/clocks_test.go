package readmodels_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	rm "github.com/pdis/collab-ledger/readmodels"
)

// TestAsOfClocks imports a 2019 meeting into a case today and checks that
// as of an occurred-at time the case shows how it unfolded in 2019, and as
// of a recorded-at time what the ledger knew then.
func TestAsOfClocks(t *testing.T) {
	ctx := projectiontest.Ctx(t)
	store := projectiontest.NewStore(t)
	r := projectiontest.Start(t, projections.RunnerConfig{Store: store, Projections: rm.All(), Topic: topic})
	l := newLedger(t, store)
	const id domain.CaseID = "hist"
	const mid domain.MeetingID = "hist-m"
	t2019 := time.Date(2019, 1, 25, 9, 0, 0, 0, calendar.Taipei)

	// Recorded today, dated by the archive: opened in January 2019.
	opened := l.kase(id, staff, t2019.Add(-20*day), func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.Open(domain.OpenCase{CaseID: id, Title: "共識營", SourceKind: domain.SourceImported, Ref: "archive:2019-01-25"}, staff, at, nil)
	}).Events[0]
	kase := l.loadCase(id)
	l.meeting(mid, staff, t2019, func(m *domain.Meeting, at time.Time) ([]domain.Event, error) {
		return m.Schedule(domain.ScheduleMeeting{MeetingID: mid, CaseID: id, Kind: domain.MeetingOther, Title: "共識會議（第二場）", StartsAt: at, Imported: true}, staff, at, kase, domain.DefaultMonthlyConfig(), nil)
	})
	meeting := l.loadMeeting(mid)
	imported := l.transcript(mid, staff, t2019, func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
		return tr.Import(domain.ImportTranscript{MeetingID: mid, Source: "2019-01-25.an.xml", ContentHash: hashOf("hist v1"), Utterances: []domain.ImportedUtterance{
			{UtteranceID: "h-1", Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{Name: "唐鳳"}, Paragraphs: []string{"壓力有一點大。"}},
		}}, staff, at, meeting)
	}).Events
	l.transcript(mid, staff, t2019.Add(40*day), func(tr *domain.Transcript, at time.Time) ([]domain.Event, error) {
		return tr.ImportVersion(domain.ImportTranscriptVersion{MeetingID: mid, Revision: 2, Source: "2019-03-06.an.xml", ContentHash: hashOf("hist v2"), Editor: "pdis-editor", Reason: "published",
			Changes: []domain.Command{domain.CorrectUtterance{MeetingID: mid, UtteranceID: "h-1", Paragraphs: []string{"壓力有點大。"}}}}, staff, at)
	})
	// And a live step today.
	l.kase(id, staff, time.Time{}, func(k *domain.Case, at time.Time) ([]domain.Event, error) {
		return k.ChangeStage(domain.ChangeStage{CaseID: id, To: domain.StageDivisionOfLabour, Reason: "picked up again"}, staff, at)
	})
	waitAll(t, ctx, r, l.last.Position)

	// How it unfolded: at the end of the 2019 meeting, the transcript as
	// imported, not yet its March version, nor today's stage change.
	snap, err := rm.CaseAsOf(ctx, store, r, id, rm.AsOf{OccurredAt: t2019.Add(day)})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Clock != rm.ClockOccurredAt {
		t.Errorf("clock %s", snap.Clock)
	}
	c, ok, err := rm.Case(ctx, snap.Reader(rm.CaseBoardName), id, rm.Public)
	if err != nil || !ok || c.Stage != domain.StageTopicSet || len(c.Meetings) != 1 {
		t.Fatalf("case as it unfolded: %+v %v %v", c, ok, err)
	}
	m, _, _ := rm.Meeting(ctx, snap.Reader(rm.TranscriptsName), mid, rm.Public)
	if m.Transcript == nil || len(m.Transcript.Utterances) != 1 || m.Transcript.Utterances[0].Paragraphs[0] != "壓力有一點大。" || len(m.Transcript.Versions) != 0 {
		t.Errorf("transcript as it unfolded: %+v", m.Transcript)
	}
	tr, _, _ := rm.CaseTrail(ctx, snap.Reader(rm.TrailName), id, rm.TrailQuery{View: rm.Auditor})
	for _, e := range tr.Entries {
		if e.OccurredAt.After(t2019.Add(day)) {
			t.Errorf("entry %s occurred at %s", e.Type, e.OccurredAt)
		}
		if !e.RecordedAt.After(e.OccurredAt) {
			t.Errorf("imported entry %s recorded at %s, before it occurred at %s", e.Type, e.RecordedAt, e.OccurredAt)
		}
	}
	if len(tr.Entries) != 5 { // opened, scheduled, started, imported, recorded
		t.Errorf("%d entries as it unfolded", len(tr.Entries))
	}

	// What the ledger knew: when the case was recorded, no meeting yet,
	// although the meeting occurred (in 2019) before that moment.
	snap, err = rm.CaseAsOf(ctx, store, r, id, rm.AsOf{RecordedAt: opened.RecordedAt})
	if err != nil {
		t.Fatal(err)
	}
	c, _, _ = rm.Case(ctx, snap.Reader(rm.CaseBoardName), id, rm.Public)
	if len(c.Meetings) != 0 || c.Opened == nil || !c.Opened.OccurredAt.Equal(t2019.Add(-20*day)) {
		t.Errorf("case as recorded: %+v", c)
	}
	if _, ok, _ := rm.Meeting(ctx, snap.Reader(rm.TranscriptsName), mid, rm.Public); ok {
		t.Errorf("meeting known before it was recorded")
	}
	// As of the import's position: the transcript, not its version.
	snap, err = rm.CaseAsOf(ctx, store, r, id, rm.AsOf{Position: imported[len(imported)-1].Position})
	if err != nil {
		t.Fatal(err)
	}
	m, _, _ = rm.Meeting(ctx, snap.Reader(rm.TranscriptsName), mid, rm.Auditor)
	if m.Transcript == nil || m.Transcript.Imported == nil || len(m.Transcript.Versions) != 0 || m.Transcript.Utterances[0].Version != 1 {
		t.Errorf("transcript as of the import: %+v", m.Transcript)
	}
	// Live: the stage history's durations run on the occurred-at clock.
	live, _, _ := rm.Case(ctx, r.Reader(rm.CaseBoardName), id, rm.Public)
	if d := live.Stages[0].Duration(time.Time{}); d < 7*365*day {
		t.Errorf("topic set lasted %s, from 2019 to today", d)
	}
}

// stuckIndex is an index that never catches up (a failed trail).
type stuckIndex struct{ *projectiontest.Running }

func (stuckIndex) WaitFor(ctx context.Context, _ string, _ eventstore.Position) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestAsOfStuckIndex: when the index does not catch up, CaseAsOf finds the
// streams in the log instead, and still answers.
func TestAsOfStuckIndex(t *testing.T) {
	ctx := projectiontest.Ctx(t)
	store := projectiontest.NewStore(t)
	r := projectiontest.Start(t, projections.RunnerConfig{Store: store, Projections: rm.All(), Topic: topic})
	l := newLedger(t, store)
	story(l, func(string) {})
	waitAll(t, ctx, r, l.last.Position)
	defer func(d time.Duration) { rm.IndexWait = d }(rm.IndexWait)
	rm.IndexWait = 10 * time.Millisecond
	stuck, err := rm.CaseAsOf(ctx, store, stuckIndex{r}, caseID, rm.AsOf{Position: l.last.Position})
	if err != nil {
		t.Fatal(err)
	}
	good, err := rm.CaseAsOf(ctx, store, r, caseID, rm.AsOf{Position: l.last.Position})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(stuck.Streams)
	slices.Sort(good.Streams)
	if !slices.Equal(stuck.Streams, good.Streams) || stuck.Events != good.Events {
		t.Errorf("without the index: %v (%d events); with: %v (%d)", stuck.Streams, stuck.Events, good.Streams, good.Events)
	}
}

package demo_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/demo"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	_ "github.com/pdis/collab-ledger/eventstore/bbolt"
)

var secret = []byte("demo-test-secret-0123456789abcdef")

// now anchors the "current" part of the story.
var now = time.Date(2026, time.November, 23, 12, 0, 0, 0, time.UTC)

func openLedger(t *testing.T) (eventstore.Store, *app.Ledger) {
	t.Helper()
	ctx := context.Background()
	store, err := eventstore.Open(ctx, "file:"+filepath.Join(t.TempDir(), "demo.db"), eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	l, err := app.NewLedger(store, app.LedgerConfig{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return store, l
}

// stream reads a whole stream and applies it to agg; it returns the
// decoded events with their stored envelopes.
func stream(t *testing.T, store eventstore.Store, name string, agg domain.Aggregate) ([]domain.Event, []eventstore.Event) {
	t.Helper()
	var evs []domain.Event
	var raw []eventstore.Event
	for from := uint64(1); ; {
		batch, err := store.ReadStream(context.Background(), name, from, 4096)
		if err != nil {
			t.Fatal(err)
		}
		for _, se := range batch {
			e, err := domain.Decode(se.Type, se.SchemaVersion, se.Data)
			if err != nil {
				t.Fatalf("%s v%d: %v", name, se.Version, err)
			}
			if agg != nil {
				if err := agg.Apply(e); err != nil {
					t.Fatalf("%s v%d: %v", name, se.Version, err)
				}
			}
			evs, raw = append(evs, e), append(raw, se)
		}
		if len(batch) < 4096 {
			return evs, raw
		}
		from += uint64(len(batch))
	}
}

func count[E domain.Event](evs []domain.Event) []E {
	var out []E
	for _, e := range evs {
		if x, ok := e.(E); ok {
			out = append(out, x)
		}
	}
	return out
}

func TestLoad(t *testing.T) {
	store, l := openLedger(t)
	ctx := context.Background()
	start := time.Now()
	sum, err := demo.Load(ctx, l, demo.Options{Store: store, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	t.Logf("demo loaded in %v: %d commands (%d signatures), %d events", elapsed, sum.Commands, sum.Signatures, sum.Events)
	if elapsed > 60*time.Second {
		t.Errorf("demo load took %v", elapsed)
	}
	head, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(head) != uint64(sum.Events) {
		t.Errorf("head %d, summary says %d events", head, sum.Events)
	}

	t.Run("showcase case through every stage in order", func(t *testing.T) {
		c := domain.NewCase(demo.ShowcaseCase)
		evs, raw := stream(t, store, domain.CaseStream(demo.ShowcaseCase), c)
		if c.Stage() != domain.StageClosed || c.Lead() != "moenv" {
			t.Fatalf("stage %s, lead %s", c.Stage(), c.Lead())
		}
		var stages []domain.CaseStage
		for _, e := range count[domain.CaseStageChanged](evs) {
			stages = append(stages, e.To)
		}
		if want := domain.CaseStages()[1:]; !slices.Equal(stages, want) {
			t.Errorf("stages %v, want %v", stages, want)
		}
		leads := count[domain.CaseLeadAssigned](evs)
		if len(leads) != 2 || leads[1].Previous != "moea" || leads[1].Reason == "" {
			t.Errorf("lead assignments %+v", leads)
		}
		verdicts := map[domain.Verdict]bool{}
		for _, r := range count[domain.CaseResponseRecorded](evs) {
			verdicts[r.Verdict] = true
		}
		if len(verdicts) != 4 {
			t.Errorf("verdicts %v, want all four", verdicts)
		}
		if got := len(c.StakeholderCategoriesCovered()); got != len(domain.StakeholderCategories())-1 {
			t.Errorf("%d stakeholder categories covered", got)
		}
		for i := 1; i < len(raw); i++ {
			if raw[i].Metadata.OccurredAt.Before(raw[i-1].Metadata.OccurredAt) {
				t.Errorf("case event %d occurred before event %d", i+1, i)
			}
			if raw[i].Metadata.CorrelationID != demo.CorrelationID {
				t.Errorf("event %d correlation %q", i+1, raw[i].Metadata.CorrelationID)
			}
		}
	})

	t.Run("showcase meeting and its transcript", func(t *testing.T) {
		m := domain.NewMeeting(demo.ShowcaseMeeting)
		evs, _ := stream(t, store, domain.MeetingStream(demo.ShowcaseMeeting), m)
		if !m.Closed() || m.CaseID() != demo.ShowcaseCase {
			t.Fatalf("meeting closed %v, case %s", m.Closed(), m.CaseID())
		}
		if removed := count[domain.MeetingNoteRemoved](evs); len(removed) != 1 || removed[0].Reason == "" {
			t.Errorf("removed notes %+v", removed)
		}
		if len(count[domain.MeetingQuestionAnswered](evs)) == 0 || len(count[domain.MeetingQuestionArchived](evs)) == 0 {
			t.Error("want questions answered and archived")
		}
		tr := domain.NewTranscript(demo.ShowcaseMeeting)
		tevs, _ := stream(t, store, domain.TranscriptStream(demo.ShowcaseMeeting), tr)
		if !tr.Published() {
			t.Fatal("transcript not published")
		}
		edited := count[domain.TranscriptUtteranceEdited](tevs)
		if len(edited) < 2 || len(count[domain.TranscriptEditReverted](tevs)) != 1 || len(count[domain.TranscriptSpeakerReattributed](tevs)) != 1 {
			t.Errorf("edits %d, reverts %d, reattributions %d", len(edited), len(count[domain.TranscriptEditReverted](tevs)), len(count[domain.TranscriptSpeakerReattributed](tevs)))
		}
		for _, e := range edited {
			if !e.OccurredAt().Before(tr.EditWindowClosesAt()) {
				t.Errorf("edit at %v after the window closed at %v", e.OccurredAt(), tr.EditWindowClosesAt())
			}
		}
		var reverted bool
		for _, id := range tr.Utterances() {
			_, versions, _ := tr.Utterance(id)
			if len(versions) == 3 && versions[1].Change == "edited" && versions[2].Change == "reverted" &&
				slices.Equal(versions[2].Paragraphs, versions[0].Paragraphs) {
				reverted = true
			}
		}
		if !reverted {
			t.Error("no utterance with versions recorded → edited → reverted")
		}
	})

	t.Run("proposals", func(t *testing.T) {
		p1 := domain.NewProposal(demo.MarkerProposal)
		evs, _ := stream(t, store, domain.ProposalStream(demo.MarkerProposal), p1)
		if n := len(count[domain.ProposalEstablished](evs)); n != 1 {
			t.Errorf("%s established %d times", demo.MarkerProposal, n)
		}
		var milestones []int
		for _, m := range count[domain.ProposalMilestoneReached](evs) {
			milestones = append(milestones, m.Milestone)
		}
		if !slices.Equal(milestones, []int{1000, 3000}) {
			t.Errorf("milestones %v", milestones)
		}
		if r := count[domain.ProposalResponded](evs); len(r) != 1 || !r[0].OnTime {
			t.Errorf("response %+v", r)
		}
		if p1.ValidSignatures() < 5000 {
			t.Errorf("%d valid signatures", p1.ValidSignatures())
		}
		est := count[domain.ProposalEstablished](evs)[0]
		days := map[string]bool{}
		for _, s := range count[domain.ProposalSigned](evs) {
			days[s.OccurredAt().Format(time.DateOnly)] = true
			if s.Count == est.Count && !s.OccurredAt().Equal(est.OccurredAt()) {
				t.Errorf("established at %v by the signature at %v", est.OccurredAt(), s.OccurredAt())
			}
		}
		if len(days) < 30 {
			t.Errorf("signatures on %d days only", len(days))
		}

		p2 := domain.NewProposal(demo.ProposalLateResponse)
		evs, _ = stream(t, store, domain.ProposalStream(demo.ProposalLateResponse), p2)
		ext := count[domain.ProposalResponseDeadlineExtended](evs)
		if len(ext) != 1 || ext[0].PreviousDueAt.In(time.FixedZone("", 8*3600)).Add(-time.Second).Format("01-02") != "11-23" ||
			ext[0].DueAt.In(time.FixedZone("", 8*3600)).Add(-time.Second).Format("01-02") != "01-23" {
			t.Errorf("extension %+v", ext)
		}
		if len(count[domain.ProposalResponseDeadlineMissed](evs)) != 1 {
			t.Error("demo-p2: no missed deadline")
		}
		if r := count[domain.ProposalResponded](evs); len(r) != 1 || r[0].OnTime {
			t.Errorf("demo-p2 response %+v", r)
		}

		p3 := domain.NewProposal(demo.ProposalExpired)
		evs, _ = stream(t, store, domain.ProposalStream(demo.ProposalExpired), p3)
		if x := count[domain.ProposalExpired](evs); len(x) != 1 || x[0].Count >= x[0].Threshold {
			t.Errorf("demo-p3 expiry %+v", x)
		}

		p4 := domain.NewProposal(demo.ProposalCollecting)
		stream(t, store, domain.ProposalStream(demo.ProposalCollecting), p4)
		if p4.Status() != domain.ProposalStatusPublished || !p4.SigningClosesAt().After(now) || p4.ValidSignatures() == 0 {
			t.Errorf("demo-p4: status %s, closes %v, %d signatures", p4.Status(), p4.SigningClosesAt(), p4.ValidSignatures())
		}
	})

	t.Run("monthly meeting", func(t *testing.T) {
		m := domain.NewMonthlyMeeting(demo.MonthlyMeeting)
		evs, _ := stream(t, store, domain.MonthlyMeetingStream(demo.MonthlyMeeting), m)
		closed := count[domain.MonthlyMeetingClosed](evs)
		if len(closed) != 1 || closed[0].Ballots < 4 || len(closed[0].Selected) != 2 || closed[0].Selected[0].SourceRef != string(demo.MarkerProposal) {
			t.Errorf("close %+v", closed)
		}
		kinds := map[domain.CandidateKind]bool{}
		for _, c := range count[domain.MonthlyCandidateAdded](evs) {
			kinds[c.Kind] = true
		}
		if len(kinds) != 4 {
			t.Errorf("candidate kinds %v", kinds)
		}
	})

	t.Run("other cases", func(t *testing.T) {
		c2 := domain.NewCase(demo.ResearchCase)
		stream(t, store, domain.CaseStream(demo.ResearchCase), c2)
		if c2.Stage() != domain.StageResearch {
			t.Errorf("%s at %s", demo.ResearchCase, c2.Stage())
		}
		c3 := domain.NewCase(demo.AssignmentCase)
		stream(t, store, domain.CaseStream(demo.AssignmentCase), c3)
		if c3.SourceKind() != domain.SourceAssignment || c3.Stage() != domain.StageMeetings {
			t.Errorf("%s from %s at %s", demo.AssignmentCase, c3.SourceKind(), c3.Stage())
		}
	})

	t.Run("loading twice adds nothing", func(t *testing.T) {
		again, err := demo.Load(ctx, l, demo.Options{Store: store, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		after, _ := store.Head(ctx)
		if !again.AlreadyLoaded || again.Events != 0 || after != head {
			t.Fatalf("second load: %+v, head %d → %d", again, head, after)
		}
	})
}

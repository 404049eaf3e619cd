package readmodels_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/projections"
	pgproj "github.com/pdis/collab-ledger/projections/postgres"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	rm "github.com/pdis/collab-ledger/readmodels"
)

const topic = "test-integration"

// backends open the read-model backends the query tests run on.
var backends = []struct {
	name string
	open func(t *testing.T) projections.Backend
}{
	{"memory", func(t *testing.T) projections.Backend { return projections.NewMemoryBackend() }},
	{"postgres", func(t *testing.T) projections.Backend {
		url := pgtest.New(t).URL
		b, err := pgproj.Open(context.Background(), pgproj.Config{URL: url, Logger: projectiontest.TestLogger()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}},
}

// TestStory drives the story through the command side, runs the read
// models on each backend and checks what users see: live, and as of every
// checkpoint.
func TestStory(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testStory(t, b.open(t)) })
	}
}

// announcements collects integration events.
type announcements struct {
	mu   sync.Mutex
	msgs []*message.Message
}

func listen(t *testing.T, ctx context.Context, sub message.Subscriber) *announcements {
	t.Helper()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	a := &announcements{}
	go func() {
		for m := range ch {
			a.mu.Lock()
			a.msgs = append(a.msgs, m)
			a.mu.Unlock()
			m.Ack()
		}
	}()
	return a
}

// counts returns how often each "name key" was announced.
func (a *announcements) counts() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]int{}
	for _, m := range a.msgs {
		out[m.Metadata.Get(projections.MetaName)+" "+m.Metadata.Get(projections.MetaKey)]++
	}
	return out
}

func waitAll(t testing.TB, ctx context.Context, r *projectiontest.Running, pos eventstore.Position) {
	t.Helper()
	for _, p := range rm.All() {
		if err := r.WaitFor(ctx, p.Name(), pos); err != nil {
			t.Fatalf("wait for %s at %d: %v", p.Name(), pos, err)
		}
	}
}

// capture renders what the pages of the story's case show, in both views,
// as normalised JSON.
func capture(t testing.TB, ctx context.Context, reader func(string) projections.Reader) map[string]string {
	t.Helper()
	out := map[string]string{}
	put := func(name string, v any, ok bool, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !ok {
			out[name] = "absent"
			return
		}
		out[name] = normal(t, v)
	}
	for _, v := range []rm.View{rm.Public, rm.Auditor} {
		c, ok, err := rm.Case(ctx, reader(rm.CaseBoardName), caseID, v)
		put("case/"+string(v), c, ok, err)
		tr, ok, err := rm.CaseTrail(ctx, reader(rm.TrailName), caseID, rm.TrailQuery{View: v})
		put("trail/"+string(v), tr, ok, err)
		for _, m := range []domain.MeetingID{meetingID, importedID} {
			mr, ok, err := rm.Meeting(ctx, reader(rm.TranscriptsName), m, v)
			put("meeting-"+string(m)+"/"+string(v), mr, ok, err)
		}
		p, ok, err := rm.Proposal(ctx, reader(rm.TalliesName), proposalID, v)
		put("proposal/"+string(v), p, ok, err)
		inv, err := rm.Invalidations(ctx, reader(rm.TalliesName), proposalID, v)
		put("invalidations/"+string(v), inv, true, err)
	}
	m, ok, err := rm.Monthly(ctx, reader(rm.TalliesName), monthlyID)
	put("monthly", m, ok, err)
	return out
}

// normal is v as JSON with sorted keys, whatever backend it came from.
func normal(t testing.TB, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	if err := json.Unmarshal(raw, &x); err != nil {
		t.Fatal(err)
	}
	raw, err = json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func sameViews(t testing.TB, what string, got, want map[string]string) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			t.Errorf("%s: %s differs:\n got %.600s\nwant %.600s", what, k, got[k], want[k])
		}
	}
}

func testStory(t *testing.T, backend projections.Backend) {
	ctx := projectiontest.Ctx(t)
	store := projectiontest.NewStore(t)
	r := projectiontest.Start(t, projections.RunnerConfig{Store: store, Backend: backend, Projections: rm.All(), Topic: topic})
	heard := listen(t, ctx, r.Integration())
	l := newLedger(t, store)

	var cps []checkpoint
	live := map[string]map[string]string{}
	cache := rm.NewMeetingCache(0)
	small := rm.NewMeetingCache(8 << 10) // evicts all the time
	story(l, func(name string) {
		waitAll(t, ctx, r, l.last.Position)
		cps = append(cps, checkpoint{name, l.last})
		live[name] = capture(t, ctx, r.Reader)
		checkMeetingCache(t, ctx, name, r.Reader(rm.TranscriptsName), cache, true)
		checkMeetingCache(t, ctx, name, r.Reader(rm.TranscriptsName), small, false)
		if st := small.Stats(); st.Bytes > 8<<10 {
			t.Fatalf("%s: a cache of 8 KiB holds %d bytes", name, st.Bytes)
		}
	})
	if st := cache.Stats(); st.Hits == 0 || st.Misses == 0 {
		t.Errorf("meeting cache: %+v", st)
	}
	log := readLog(t, store)

	t.Run("LogHasEveryEventType", func(t *testing.T) {
		seen := map[string]bool{}
		for _, ev := range log {
			seen[ev.Type] = true
		}
		for _, ty := range domain.EventTypes() {
			if !seen[ty] {
				t.Errorf("the story never records %s", ty)
			}
		}
	})
	t.Run("Tallies", func(t *testing.T) { checkTallies(t, ctx, r.Reader(rm.TalliesName), log) })
	t.Run("CaseBoard", func(t *testing.T) { checkCaseBoard(t, ctx, r.Reader(rm.CaseBoardName)) })
	t.Run("Transcripts", func(t *testing.T) { checkTranscripts(t, ctx, r.Reader(rm.TranscriptsName), log) })
	t.Run("Trail", func(t *testing.T) { checkTrail(t, ctx, r.Reader(rm.TrailName), log) })
	t.Run("AsOf", func(t *testing.T) {
		for _, cp := range cps {
			for _, at := range []rm.AsOf{
				{Position: cp.event.Position},
				{RecordedAt: cp.event.RecordedAt},
				{OccurredAt: cp.event.OccurredAt()},
			} {
				snap, err := rm.CaseAsOf(ctx, store, r, caseID, at)
				if err != nil {
					t.Fatalf("%s: %v", cp.name, err)
				}
				// The last event of the story ("end") is not the case's.
				if snap.Position != cp.event.Position && cp.name != "end" || snap.Position > cp.event.Position {
					t.Errorf("%s as of %+v: folded up to %d, want %d", cp.name, at, snap.Position, cp.event.Position)
				}
				sameViews(t, fmt.Sprintf("%s as of %+v", cp.name, at), capture(t, ctx, snap.Reader), live[cp.name])
			}
		}
		// Without an index, from the log alone.
		snap, err := rm.CaseAsOf(ctx, store, nil, caseID, rm.AsOf{Position: cps[len(cps)-1].event.Position})
		if err != nil {
			t.Fatal(err)
		}
		sameViews(t, "as of the end without index", capture(t, ctx, snap.Reader), live["end"])
		if _, err := rm.CaseAsOf(ctx, store, r, "no-such-case", rm.AsOf{Position: 1}); !errors.Is(err, rm.ErrUnknownCase) {
			t.Errorf("unknown case: %v", err)
		}
	})
	t.Run("LogAsOf", func(t *testing.T) {
		// The same engine over the whole log: at each checkpoint, as the
		// live read models showed the case then, on every clock.
		for _, cp := range cps {
			for _, at := range []rm.AsOf{
				{Position: cp.event.Position},
				{RecordedAt: cp.event.RecordedAt},
				{OccurredAt: cp.event.OccurredAt()},
			} {
				snap, err := rm.LogAsOf(ctx, store, at)
				if err != nil {
					t.Fatalf("%s: %v", cp.name, err)
				}
				if snap.Position != cp.event.Position || snap.CaseID != "" || snap.Streams != nil {
					t.Errorf("%s as of %+v: folded up to %d (case %q, streams %v), want %d", cp.name, at, snap.Position, snap.CaseID, snap.Streams, cp.event.Position)
				}
				sameViews(t, fmt.Sprintf("%s, the whole log as of %+v", cp.name, at), capture(t, ctx, snap.Reader), live[cp.name])
			}
		}
		if _, err := rm.LogAsOf(ctx, store, rm.AsOf{}); err == nil {
			t.Error("as of nothing: no error")
		}
		if _, err := rm.LogAsOf(ctx, store, rm.AsOf{Position: 1, RecordedAt: time.Now()}); err == nil {
			t.Error("as of two clocks: no error")
		}
	})
	t.Run("AnnouncedExactlyOnce", func(t *testing.T) { checkAnnouncements(t, ctx, r, l, heard) })
}

// checkMeetingCache checks that a MeetingCache kept across the story
// answers as Meeting does at every step (edits, insertions, deletions,
// splits, merges, notes, questions), in both views, with and without
// windows, and (hits) that asking again is a hit.
func checkMeetingCache(t *testing.T, ctx context.Context, step string, r projections.Reader, cache *rm.MeetingCache, hits bool) {
	t.Helper()
	for _, m := range []domain.MeetingID{meetingID, importedID, "no-such-meeting"} {
		for _, v := range []rm.View{rm.Public, rm.Auditor} {
			for _, w := range [][]rm.Window{nil, {{Offset: 0, Limit: 2}}, {{Offset: 1, Limit: 3}}, {{Offset: 5, Limit: 100}}} {
				want, wantOK, err := rm.Meeting(ctx, r, m, v, w...)
				if err != nil {
					t.Fatalf("%s: %v", step, err)
				}
				before := cache.Stats().Hits
				for i := range 2 {
					got, ok, err := cache.Meeting(ctx, r, m, v, w...)
					if err != nil {
						t.Fatalf("%s: cached %s: %v", step, m, err)
					}
					if ok != wantOK || normal(t, got) != normal(t, want) {
						t.Fatalf("%s: meeting %s %s %v, asked %d times: the cache answers\n%s\nwant\n%s", step, m, v, w, i+1, normal(t, got), normal(t, want))
					}
				}
				if hits && wantOK && cache.Stats().Hits == before {
					t.Errorf("%s: meeting %s %s %v asked twice: no hit", step, m, v, w)
				}
			}
		}
	}
}

// readLog returns every event of the store, by position.
func readLog(t testing.TB, store eventstore.Store) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	var after eventstore.Position
	for {
		evs, err := store.ReadAll(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			return out
		}
		out = append(out, evs...)
		after = evs[len(evs)-1].Position
	}
}

func eventsOf(log []eventstore.Event, stream, typ string) []eventstore.Event {
	var out []eventstore.Event
	for _, ev := range log {
		if (stream == "" || ev.Stream == stream) && (typ == "" || ev.Type == typ) {
			out = append(out, ev)
		}
	}
	return out
}

func checkStamp(t testing.TB, what string, got rm.Stamp, ev eventstore.Event) {
	t.Helper()
	if got.Position != ev.Position || got.EventID != ev.ID.String() || got.Actor.Role != ev.Metadata.ActorRole ||
		!got.OccurredAt.Equal(ev.OccurredAt()) || !got.RecordedAt.Equal(ev.RecordedAt) {
		t.Errorf("%s: stamp %+v, want event %s at %d by %s/%s occurred %s recorded %s", what, got, ev.ID, ev.Position,
			ev.Metadata.ActorRole, ev.Metadata.ActorID, ev.OccurredAt(), ev.RecordedAt)
	}
}

func checkTallies(t *testing.T, ctx context.Context, r projections.Reader, log []eventstore.Event) {
	checkFacts(t, ctx, r)
	ps := domain.ProposalStream(proposalID)
	p, ok, err := rm.Proposal(ctx, r, proposalID, rm.Auditor)
	if err != nil || !ok {
		t.Fatalf("proposal: %v %v", ok, err)
	}
	if p.Signatures != 6 || p.Valid != 5 || p.Invalidated != 1 || p.InvalidatedAfterEstablishment != 1 || p.Status != domain.ProposalStatusEstablished {
		t.Errorf("tally: %d signatures, %d valid, %d invalidated (%d after establishment), %s", p.Signatures, p.Valid, p.Invalidated, p.InvalidatedAfterEstablishment, p.Status)
	}
	ms := eventsOf(log, ps, "proposal.milestone_reached")
	if len(p.Milestones) != 2 || len(ms) != 2 {
		t.Fatalf("milestones %+v, log %d", p.Milestones, len(ms))
	}
	for i, m := range p.Milestones {
		if m.Count != []int{2, 4}[i] || m.Reached == nil {
			t.Fatalf("milestone %d: %+v", i, m)
		}
		checkStamp(t, fmt.Sprintf("milestone %d", m.Count), m.Reached.Stamp, ms[i])
	}
	est := eventsOf(log, ps, "proposal.established")[0]
	if p.Established == nil || p.Established.Count != 5 || p.Established.Signer != string(domain.SignerID(citizen(5).ID)) {
		t.Fatalf("established: %+v", p.Established)
	}
	checkStamp(t, "established", p.Established.Stamp, est)
	if p.Response == nil || len(p.Response.Extensions) != 1 || !p.Response.Answered() || !p.Response.OnTime() || len(p.Response.Leads) != 1 ||
		p.Response.Leads[0].Ministry != "moi" || !p.Response.DueAt.After(p.Response.OriginalDueAt) || p.Response.MissedRecorded() {
		t.Errorf("response: %+v", p.Response)
	}
	if len(p.Responses) != 2 || !p.Responses[0].Competent || p.Responses[0].Ministry != "moi" || p.Responses[1].Competent ||
		p.Responses[1].Ministry != "mohw" || p.Responses[1].Summary != "衛福部主政部分的回應" {
		t.Errorf("every response: %+v", p.Responses)
	}
	checkStamp(t, "further response", p.Responses[1].Stamp, eventsOf(log, ps, "proposal.response_added")[0])
	if !slices.Equal(p.Cases, []string{string(caseID)}) || p.Proposer != proposer.ID {
		t.Errorf("cases %v, proposer %q", p.Cases, p.Proposer)
	}
	pub, _, _ := rm.Proposal(ctx, r, proposalID, rm.Public)
	if pub.Proposer != "" || pub.Established.Signer != "" || pub.Submitted.Actor.ID != "" || pub.Submitted.Actor.Role != string(domain.RoleProposer) || pub.Published.Actor.ID != staff.ID {
		t.Errorf("public tally shows pseudonyms: %+v %+v %+v", pub.Proposer, pub.Established, pub.Submitted)
	}
	inv, _ := rm.Invalidations(ctx, r, proposalID, rm.Auditor)
	pinv, _ := rm.Invalidations(ctx, r, proposalID, rm.Public)
	if len(inv) != 1 || inv[0].Reason != "duplicate account" || inv[0].Signer == "" || inv[0].Valid != 5 || len(pinv) != 1 || pinv[0].Reason != "" || pinv[0].Signer != "" {
		t.Errorf("invalidations: auditor %+v, public %+v", inv, pinv)
	}
	m, ok, err := rm.Monthly(ctx, r, monthlyID)
	if err != nil || !ok || len(m.Ballots) != 3 || m.Closed == nil {
		t.Fatalf("monthly: %+v %v", m, err)
	}
	votes := map[string]int{}
	for _, c := range m.Candidates {
		votes[c.CandidateID] = c.Votes
		if c.Selected != (c.CandidateID != "c3") {
			t.Errorf("candidate %s selected %v", c.CandidateID, c.Selected)
		}
	}
	if !maps.Equal(votes, map[string]int{"c1": 2, "c2": 2, "c3": 1}) || m.Ballots[1].PO != mohwPO.ID || !slices.Equal(m.Cases, []string{"57"}) {
		t.Errorf("votes %v, ballots %+v, cases %v", votes, m.Ballots, m.Cases)
	}
	// The other proposals: one expired, one missed its deadline.
	p43, _, _ := rm.Proposal(ctx, r, "p-43", rm.Public)
	p44, _, _ := rm.Proposal(ctx, r, "p-44", rm.Public)
	if p43.Status != domain.ProposalStatusExpired || p43.Expired == nil || p44.Response == nil || !p44.Response.MissedRecorded() {
		t.Errorf("p-43 %+v, p-44 %+v", p43.Expired, p44.Response)
	}
	due, err := rm.DueResponses(ctx, r, time.Time{})
	if err != nil || len(due) != 0 {
		t.Errorf("open deadlines left: %+v %v", due, err)
	}
}

func checkCaseBoard(t *testing.T, ctx context.Context, r projections.Reader) {
	c, ok, err := rm.Case(ctx, r, caseID, rm.Public)
	if err != nil || !ok {
		t.Fatalf("case: %v %v", ok, err)
	}
	var stages []domain.CaseStage
	for _, s := range c.Stages {
		stages = append(stages, s.Stage)
	}
	want := []domain.CaseStage{domain.StageTopicSet, domain.StageDivisionOfLabour, domain.StageResearch, domain.StagePreMeeting, domain.StageMeetings,
		domain.StageReported, domain.StageDirective, domain.StageResponses, domain.StageClosed}
	if !slices.Equal(stages, want) || c.Stage != domain.StageClosed {
		t.Errorf("stages %v", stages)
	}
	if d := c.Stages[1].DurationSeconds; d != int64(3*day/time.Second) {
		t.Errorf("division of labour lasted %ds, want 3 days", d)
	}
	if d := c.Stages[3].Duration(time.Now()); d != 5*day {
		t.Errorf("pre-meeting lasted %s, want 5 days", d)
	}
	if last := c.Stages[len(c.Stages)-1]; last.Left != nil || last.Entered.Actor.ID != staff.ID {
		t.Errorf("current stage %+v", last)
	}
	if c.Lead != "moi" || len(c.Leads) != 2 || c.Leads[1].Previous != "mohw" || c.Leads[1].Reason == "" ||
		!slices.Equal(c.CoOrganisers, []string{"mohw"}) || len(c.OrganiserChanges) != 3 {
		t.Errorf("organisers: lead %s %+v, co %v %+v", c.Lead, c.Leads, c.CoOrganisers, c.OrganiserChanges)
	}
	if c.Source.ProposalID != string(proposalID) || c.Source.MonthlyMeetingID != string(monthlyID) || c.Source.Kind != domain.SourceVotedTopic {
		t.Errorf("source %+v", c.Source)
	}
	if len(c.Meetings) != 2 || c.Meetings[0].Invited != 5 || c.Meetings[0].Attended != 4 || c.Meetings[0].Closed == nil ||
		c.Meetings[0].ByRole[domain.ParticipantStakeholder].Attended != 1 || c.Meetings[0].ByRole[domain.ParticipantStakeholder].Invited != 2 {
		t.Errorf("meetings %+v", c.Meetings)
	}
	incl := map[domain.StakeholderCategory]rm.CategoryInclusion{}
	for _, ci := range c.Inclusion {
		incl[ci.Category] = ci
	}
	check := func(cat domain.StakeholderCategory, inv, invited, att int, never ...string) {
		t.Helper()
		ci := incl[cat]
		if ci.Inventoried != inv || ci.Invited != invited || ci.Attended != att || !slices.Equal(ci.NeverAttended, never) {
			t.Errorf("inclusion of %s: %+v", cat, ci)
		}
	}
	check(domain.StakeholderProposer, 1, 1, 1)
	check(domain.StakeholderIndustry, 1, 1, 1)
	check(domain.StakeholderCivilSociety, 1, 1, 0, "病友團體")
	check(domain.StakeholderAcademia, 1, 0, 0, "資安學者")
	check(domain.StakeholderGovernment, 0, 0, 0)
	if len(c.Recommendations) != 2 || len(c.Recommendations[0].Responses) != 3 || !c.Recommendations[0].Responses[1].Superseded ||
		c.Recommendations[0].Responses[2].Superseded || c.Unanswered != nil || c.Report == nil || c.Directive == nil {
		t.Errorf("outcomes: %+v, unanswered %v", c.Recommendations, c.Unanswered)
	}
	list, err := rm.Cases(ctx, r, rm.CaseFilter{Ministry: "mohw"})
	if err != nil || len(list) != 1 || list[0].CaseID != "57" || list[0].CategoriesInventoried != 4 || list[0].CategoriesAttended != 2 {
		t.Errorf("list: %+v %v", list, err)
	}
	if list, _ := rm.Cases(ctx, r, rm.CaseFilter{Open: true}); len(list) != 0 {
		t.Errorf("open cases: %+v", list)
	}
}

func checkTranscripts(t *testing.T, ctx context.Context, r projections.Reader, log []eventstore.Event) {
	ids := func(us []rm.Utterance) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.UtteranceID)
		}
		return out
	}
	pub, ok, err := rm.Meeting(ctx, r, meetingID, rm.Public)
	if err != nil || !ok || pub.Transcript == nil {
		t.Fatalf("meeting: %v %v", ok, err)
	}
	aud, _, _ := rm.Meeting(ctx, r, meetingID, rm.Auditor)
	if got := ids(pub.Transcript.Utterances); !slices.Equal(got, []string{"u-0", "u-1", "u-2", "u-4", "u-4b"}) {
		t.Errorf("public order %v", got)
	}
	if got := ids(aud.Transcript.Utterances); !slices.Equal(got, []string{"u-0", "u-1", "u-ins", "u-2", "u-3", "u-4", "u-4b"}) {
		t.Errorf("auditor order %v", got)
	}
	if pub.Transcript.Live != 5 || pub.Transcript.Removed != 2 {
		t.Errorf("counts %d live %d removed", pub.Transcript.Live, pub.Transcript.Removed)
	}
	u1 := pub.Transcript.Utterances[1]
	if !slices.Equal(u1.Paragraphs, []string{"我覺得壓力很大。"}) || u1.Version != 4 || len(u1.Versions) != 4 {
		t.Fatalf("u-1: %+v", u1)
	}
	edits := eventsOf(log, domain.TranscriptStream(meetingID), "transcript.utterance_edited")
	// Who changed it: the speaker (auditors see the account, the public
	// the name), then the staff.
	if v := aud.Transcript.Utterances[1].Versions[1]; v.Change != domain.ChangeEdited || v.Editor != speakerA.ID || v.Actor.ID != speakerA.ID {
		t.Errorf("u-1 v2: %+v", v)
	} else {
		checkStamp(t, "u-1 v2", v.Stamp, edits[0])
	}
	if v := u1.Versions[1]; v.Editor != "" || v.Actor.ID != "" || u1.Speaker.ActorID != "" || u1.Speaker.Name != "甲" || aud.Transcript.Utterances[1].Speaker.ActorID != speakerA.ID {
		t.Errorf("public u-1 names an account: %+v %+v", v, u1.Speaker)
	}
	if v := u1.Versions[3]; v.Change != domain.ChangeReverted || v.ToVersion != 2 || v.Actor.ID != staff.ID || v.Reason == "" {
		t.Errorf("u-1 v4: %+v", v)
	}
	u2 := pub.Transcript.Utterances[2]
	if u2.Speaker == nil || u2.Speaker.Name != "唐鳳" || len(u2.Reattributions) != 1 || u2.Reattributions[0].From.Name != "主持人" ||
		u2.Versions[len(u2.Versions)-1].Change != domain.ChangeMerged {
		t.Errorf("u-2: %+v", u2)
	}
	if u0 := pub.Transcript.Utterances[0]; u0.Kind != domain.UtteranceNarration || len(u0.Reclassifications) != 1 || u0.Origin.How != "inserted" {
		t.Errorf("u-0: %+v", u0)
	}
	if u4b := pub.Transcript.Utterances[4]; u4b.Origin.How != "split" || u4b.Origin.SplitFrom != "u-4" || u4b.Speaker.Name != "丁" {
		t.Errorf("u-4b: %+v", u4b)
	}
	del := aud.Transcript.Utterances[2]
	if del.Removed == nil || del.Removed.How != "deleted" || del.Removed.Reason != "said off the record" || del.Removed.Actor.ID != staff.ID {
		t.Errorf("deleted utterance: %+v", del.Removed)
	}
	if m := aud.Transcript.Utterances[4]; m.Removed == nil || m.Removed.How != "merged" || m.Removed.Into != "u-2" {
		t.Errorf("merged utterance: %+v", m.Removed)
	}
	pubEv := eventsOf(log, domain.TranscriptStream(meetingID), "transcript.published")[0]
	w := pub.Transcript.Published
	if w == nil || w.EditWindowWorkingDays != 10 || !w.EditWindowOpen(pubEv.OccurredAt().Add(day)) || w.EditWindowOpen(w.EditWindowClosesAt) {
		t.Errorf("edit window %+v", w)
	}
	// Notes and questions: removed and archived ones only for auditors.
	if len(pub.Notes) != 1 || pub.Notes[0].NoteID != "n-2" || len(pub.Notes[0].Revisions) != 2 || pub.RemovedNotes != 1 {
		t.Errorf("public notes %+v (%d removed)", pub.Notes, pub.RemovedNotes)
	}
	if len(aud.Notes) != 2 || aud.Notes[0].Removed == nil || aud.Notes[0].Removed.Reason != "out of context" || aud.Notes[0].Removed.Actor.ID != staff.ID || aud.Notes[0].Text != "壓力有一點大" {
		t.Errorf("auditor notes %+v", aud.Notes)
	}
	if len(pub.Questions) != 1 || pub.Questions[0].Answer == nil || pub.ArchivedQuestions != 1 || pub.Questions[0].Posted.Actor.ID != "" {
		t.Errorf("public questions %+v", pub.Questions)
	}
	if len(aud.Questions) != 2 || aud.Questions[1].Archived == nil || aud.Questions[1].Archived.Reason != "off topic" {
		t.Errorf("auditor questions %+v", aud.Questions)
	}
	if len(pub.Participants) != 5 || len(pub.Recordings) != 1 || pub.Closed == nil || pub.CaseID != "57" {
		t.Errorf("meeting: %d participants, %d recordings", len(pub.Participants), len(pub.Recordings))
	}
	// The imported transcript.
	im, _, _ := rm.Meeting(ctx, r, importedID, rm.Public)
	if im.Transcript == nil || im.Transcript.Imported == nil || len(im.Transcript.Versions) != 1 || im.Transcript.Versions[0].Editor != "archivist" {
		t.Fatalf("imported: %+v", im.Transcript)
	}
	// The version normalised the punctuation once, then corrected a word.
	if w1 := im.Transcript.Utterances[0]; w1.Version != 3 || w1.Versions[1].Change != domain.ChangeNormalised || w1.Versions[1].Paragraphs[0] != "好，開始（第一案）。" ||
		w1.Versions[2].Editor != "archivist" || w1.Versions[2].Change != domain.ChangeCorrected {
		t.Errorf("w-1: %+v", w1)
	}
	if ns := im.Transcript.Normalisations; len(ns) != 1 || ns[0].Utterances != 1 || ns[0].Rules != domain.NormalisationRules {
		t.Errorf("normalisations %+v", ns)
	}
	if w2 := im.Transcript.Utterances[1]; w2.Kind != domain.UtteranceNarration || w2.Speaker != nil {
		t.Errorf("w-2: %+v", w2)
	}
}

func checkTrail(t *testing.T, ctx context.Context, r projections.Reader, log []eventstore.Event) {
	page, ok, err := rm.CaseTrail(ctx, r, caseID, rm.TrailQuery{View: rm.Auditor})
	if err != nil || !ok {
		t.Fatalf("trail: %v %v", ok, err)
	}
	// Every event of the case's streams, its proposal's (but individual
	// signatures) and its monthly meeting's, in log order, as recorded.
	streams := map[string]bool{domain.CaseStream(caseID): true, domain.ProposalStream(proposalID): true, domain.MonthlyMeetingStream(monthlyID): true}
	for _, m := range []domain.MeetingID{meetingID, importedID} {
		streams[domain.MeetingStream(m)], streams[domain.TranscriptStream(m)] = true, true
	}
	var want []eventstore.Event
	for _, ev := range log {
		if streams[ev.Stream] && ev.Type != "proposal.signed" {
			want = append(want, ev)
		}
	}
	if len(page.Entries) != len(want) {
		t.Fatalf("trail has %d entries, want %d", len(page.Entries), len(want))
	}
	for i, e := range page.Entries {
		ev := want[i]
		checkStamp(t, "entry "+e.Type, e.Stamp, ev)
		if e.Type != ev.Type || e.Stream != ev.Stream || e.StreamVersion != ev.Version || e.Actor.ID != ev.Metadata.ActorID || e.Step == "" {
			t.Errorf("entry %d: %+v, want %s %s/%d", i, e, ev.Type, ev.Stream, ev.Version)
		}
	}
	// The account in order: proposal, milestones, the vote, the stages,
	// meetings, who said what, the report, the directive, the responses.
	first := map[string]int{}
	for i, e := range page.Entries {
		if _, ok := first[e.Step]; !ok {
			first[e.Step] = i
		}
	}
	order := []string{rm.StepProposal, rm.StepSignatures, rm.StepVote, rm.StepCaseOpened, rm.StepOrganisers, rm.StepStage, rm.StepResearch,
		rm.StepMeeting, rm.StepParticipation, rm.StepNote, rm.StepQuestion, rm.StepTranscript, rm.StepUtterance, rm.StepTranscriptEdit,
		rm.StepRecommendation, rm.StepReport, rm.StepDirective, rm.StepResponse, rm.StepProposalResponse}
	for i := 1; i < len(order); i++ {
		a, okA := first[order[i-1]]
		b, okB := first[order[i]]
		if !okA || !okB || a >= b {
			t.Errorf("the trail's first %s (entry %d, %v) does not follow its first %s (entry %d, %v)", order[i], b, okB, order[i-1], a, okA)
		}
	}
	said := 0
	for _, e := range page.Entries {
		if e.Step == rm.StepUtterance && e.Refs.MeetingID == string(meetingID) && e.Refs.UtteranceID != "" {
			said++
		}
	}
	if said != 6 { // four recorded, two inserted
		t.Errorf("%d utterance entries", said)
	}
	// Public: what only auditors may see is left out.
	pub, _, _ := rm.CaseTrail(ctx, r, caseID, rm.TrailQuery{View: rm.Public})
	find := func(p rm.TrailPage, typ, ref string) rm.Entry {
		t.Helper()
		for _, e := range p.Entries {
			if e.Type == typ && (ref == "" || e.Refs.NoteID == ref || e.Refs.QuestionID == ref || e.Refs.UtteranceID == ref) {
				return e
			}
		}
		t.Fatalf("no %s %s entry", typ, ref)
		return rm.Entry{}
	}
	for _, c := range []struct {
		typ, ref, field string
	}{
		{"meeting.note_added", "n-1", "text"}, {"meeting.note_removed", "n-1", "reason"},
		{"meeting.question_posted", "q-2", "text"}, {"meeting.question_archived", "q-2", "reason"},
		{"transcript.utterance_inserted", "u-ins", "paragraphs"}, {"transcript.utterance_deleted", "u-ins", "reason"},
		{"proposal.signature_invalidated", "", "reason"}, {"proposal.established", "", "signer"}, {"proposal.submitted", "", "proposer"},
		{"transcript.utterance_recorded", "u-1", "speaker.actorId"}, {"transcript.utterance_edited", "u-1", "editor"},
		{"transcript.speaker_reattributed", "u-2", "to.actorId"},
	} {
		pe, ae := find(pub, c.typ, c.ref), find(page, c.typ, c.ref)
		leaf := c.field[strings.LastIndex(c.field, ".")+1:]
		if strings.Contains(string(pe.Data), `"`+leaf+`"`) || !slices.Contains(pe.Redacted, c.field) {
			t.Errorf("public %s %s shows %s: %s", c.typ, c.ref, c.field, pe.Data)
		}
		if !strings.Contains(string(ae.Data), `"`+leaf+`"`) || len(ae.Redacted) != 0 {
			t.Errorf("auditor %s %s lacks %s: %s", c.typ, c.ref, c.field, ae.Data)
		}
	}
	if e := find(pub, "meeting.note_removed", "n-1"); e.Actor.ID != "" {
		t.Errorf("public removal names its actor %q", e.Actor.ID)
	}
	if e := find(pub, "meeting.note_added", "n-2"); len(e.Redacted) != 0 {
		t.Errorf("a live note redacted: %+v", e)
	}
	// Paging returns the same entries.
	var paged []rm.Entry
	q := rm.TrailQuery{View: rm.Auditor, Limit: 7}
	for {
		p, _, err := rm.CaseTrail(ctx, r, caseID, q)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, p.Entries...)
		if p.Next == 0 {
			break
		}
		q.After = p.Next
	}
	if normal(t, paged) != normal(t, page.Entries) {
		t.Errorf("paged trail differs: %d entries, want %d", len(paged), len(page.Entries))
	}
	// The proposal's own trail and a step filter.
	pt, err := rm.SubjectTrail(ctx, r, domain.ProposalStream(proposalID), rm.TrailQuery{Steps: []string{rm.StepSignatures}})
	if err != nil || len(pt.Entries) != 4 { // two milestones, established, one invalidation
		t.Errorf("proposal signature steps: %d %v", len(pt.Entries), err)
	}
	// Filtered pages of one entry each give the same four.
	var steps []rm.Entry
	sq := rm.TrailQuery{Steps: []string{rm.StepSignatures}, Limit: 1}
	for range 10 {
		p, err := rm.SubjectTrail(ctx, r, domain.ProposalStream(proposalID), sq)
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, p.Entries...)
		if p.Next == 0 {
			break
		}
		sq.After = p.Next
	}
	if normal(t, steps) != normal(t, pt.Entries) {
		t.Errorf("filtered pages: %d entries, want %d", len(steps), len(pt.Entries))
	}
}

func checkAnnouncements(t *testing.T, ctx context.Context, r *projectiontest.Running, l *ledger, heard *announcements) {
	want := []string{
		"proposal.milestone_reached proposal-p-42/2", "proposal.milestone_reached proposal-p-42/4", "proposal.milestone_reached proposal-p-42/5",
		"proposal.established proposal-p-42", "proposal.response_deadline_extended proposal-p-42", "proposal.responded proposal-p-42",
		"proposal.expired proposal-p-43",
		"proposal.milestone_reached proposal-p-44/2", "proposal.milestone_reached proposal-p-44/4", "proposal.milestone_reached proposal-p-44/5",
		"proposal.established proposal-p-44", "proposal.response_deadline_missed proposal-p-44",
	}
	projectiontest.Eventually(t, 10*time.Second, "announcements", func() bool {
		c := heard.counts()
		for _, w := range want {
			if c[w] == 0 {
				return false
			}
		}
		return true
	})
	// A rebuild of the tallies announces nothing again; new events are
	// announced once.
	gen, err := r.Rebuild(ctx, rm.TalliesName)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WaitActive(ctx, rm.TalliesName, gen); err != nil {
		t.Fatal(err)
	}
	l.establish("p-45", tStart.Add(300*day), 300, 2)
	waitAll(t, ctx, r, l.last.Position)
	projectiontest.Eventually(t, 10*time.Second, "new milestone", func() bool { return heard.counts()["proposal.milestone_reached proposal-p-45/2"] == 1 })
	time.Sleep(100 * time.Millisecond)
	for k, n := range heard.counts() {
		if n != 1 {
			t.Errorf("%s announced %d times", k, n)
		}
	}
	for _, w := range want {
		if heard.counts()[w] != 1 {
			t.Errorf("%s not announced", w)
		}
	}
}

// checkFacts: the tallies of decision 0056's facts — the rows after the
// close, a missing signature list, a lead assigned after publication that
// owes its answer, and answers it (no open deadline is left: the story's
// check of the deadlines).
func checkFacts(t *testing.T, ctx context.Context, r projections.Reader) {
	t.Helper()
	get := func(id domain.ProposalID) rm.ProposalTally {
		p, ok, err := rm.Proposal(ctx, r, id, rm.Public)
		if err != nil || !ok {
			t.Fatalf("proposal %s: %v %v", id, ok, err)
		}
		return p
	}
	if p := get("p-43"); p.LateRows != 2 || p.SignatureListMissing {
		t.Errorf("p-43: %d late rows, list missing %v", p.LateRows, p.SignatureListMissing)
	}
	if p := get("p-61"); !p.SignatureListMissing || p.Signatures != 0 {
		t.Errorf("p-61: list missing %v, %d signatures", p.SignatureListMissing, p.Signatures)
	}
	p := get("p-62")
	if !slices.Equal(p.Leads, []string{"mot"}) || p.CompetentMinistry != "mot" || !slices.Equal(p.CoOrganisers, []string{"mohw"}) ||
		p.Response == nil || p.Response.Ministry != "mot" || len(p.Response.Leads) != 1 || p.Response.Leads[0].Ministry != "mot" || !p.Response.Answered() {
		t.Errorf("p-62: leads %v (%s), co %v, response %+v", p.Leads, p.CompetentMinistry, p.CoOrganisers, p.Response)
	}
	if r := p.Response.Leads[0].Responded; r == nil || !r.OnTime {
		t.Errorf("p-62: mot's answer %+v", r)
	}
}

package readmodels

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/sealed"
	"github.com/pdis/collab-ledger/projections"
)

// TrailName is the name of the Trail projection.
const TrailName = "trail"

// Collections of the Trail projection.
const (
	collEntries      = "entries"  // <subject>/<position> → Entry
	collSubjects     = "subjects" // <subject> → Subject
	collTrailMeeting = "meetings" // <meeting id> → trailMeeting
	collHidden       = "hidden"   // <subject>/<kind>/<meeting id>/<id> → Hidden
)

// Trail is the accountability trail: for every subject (a case, a
// proposal, a PO monthly meeting, a meeting that belongs to neither) an
// ordered account of how its outcome arose, one entry per log event with
// its actor, both times, its global position and its event ID. A case's
// meetings and transcripts are entries of the case; CaseTrail merges the
// case with its source proposal and the vote that selected it.
//
// Individual signatures are not entries (the tallies count them; their
// milestones and establishment are entries), nor is the PO registry.
//
// Apply is O(1) per event: each entry is a document of its own, keyed by
// subject and position; an event reads at most its meeting's small link
// document.
//
// The zero Trail is the Runner's: most entries are written from the
// event's JSON as is (fastEntry); the as-of fold uses the decoded fold for
// every event (see foldPath).
type Trail struct {
	path foldPath
}

var _ projections.Preloader = Trail{}

// Name implements projections.Projection.
func (Trail) Name() string { return TrailName }

// Version implements projections.Projection.
func (Trail) Version() int { return 1 }

// Apply implements projections.Projection.
func (t Trail) Apply(ctx context.Context, tx projections.Tx, ev eventstore.Event) error {
	if t.path == fastFold {
		if done, err := fastEntry(ctx, tx, ev); done {
			return err
		}
	}
	return trailTable.apply(ctx, tx, ev)
}

// Preload implements projections.Preloader: the meeting link of meeting and
// transcript events.
func (Trail) Preload(ev eventstore.Event) []projections.DocRef {
	if !trailTable.handles(ev.Type) || ev.Type == "meeting.scheduled" {
		return nil
	}
	id := string(domain.MeetingOfStream(ev.Stream))
	if id == "" {
		return nil
	}
	return []projections.DocRef{{Collection: collTrailMeeting, Key: id}}
}

// ---- documents ----

// Entry is one step of a trail: one log event.
type Entry struct {
	// Subject is the trail the entry belongs to ("case-57",
	// "proposal-42", "po-monthly-2019-03", "meeting-m1").
	Subject string `json:"subject"`
	// Step says what kind of step it is (Step* constants).
	Step string `json:"step"`
	// Type is the event type.
	Type string `json:"type"`
	// Stream and StreamVersion locate the event in its stream.
	Stream        string `json:"stream"`
	StreamVersion uint64 `json:"streamVersion"`
	Stamp
	// Refs name what the event is about, to link to.
	Refs Refs `json:"refs,omitzero"`
	// Data is the event's data as recorded (public views leave out the
	// fields listed in Redacted).
	Data json.RawMessage `json:"data"`
	// Redacted lists the data fields a public view left out.
	Redacted []string `json:"redacted,omitempty"`
}

// Refs are the identifiers an entry is about.
type Refs struct {
	ProposalID       string `json:"proposalId,omitempty"`
	MonthlyMeetingID string `json:"monthlyMeetingId,omitempty"`
	CandidateID      string `json:"candidateId,omitempty"`
	CaseID           string `json:"caseId,omitempty"`
	MeetingID        string `json:"meetingId,omitempty"`
	UtteranceID      string `json:"utteranceId,omitempty"`
	NoteID           string `json:"noteId,omitempty"`
	QuestionID       string `json:"questionId,omitempty"`
	RecommendationID string `json:"recommendationId,omitempty"`
	ParticipantID    string `json:"participantId,omitempty"`
	StakeholderID    string `json:"stakeholderId,omitempty"`
}

// Steps of a trail (Entry.Step).
const (
	StepProposal         = "proposal"          // submitted, published
	StepSignatures       = "signatures"        // milestone, established, invalidated, expired
	StepProposalResponse = "proposal_response" // deadline extended, responded, further responses, missed
	StepVote             = "vote"              // monthly meeting: opened, candidates, ballots, tally
	StepCaseOpened       = "case_opened"
	StepOrganisers       = "organisers" // lead and co-organisers
	StepStage            = "stage"
	StepResearch         = "research" // stakeholders, interviews, materials
	StepRecommendation   = "recommendation"
	StepReport           = "report"
	StepDirective        = "directive"
	StepResponse         = "response" // a ministry's response to a recommendation
	StepMeeting          = "meeting"  // scheduled, recording, closed
	StepParticipation    = "participation"
	StepNote             = "note"
	StepQuestion         = "question"
	StepTranscript       = "transcript"      // started, imported, published, version imported
	StepUtterance        = "utterance"       // who said what: recorded, inserted
	StepTranscriptEdit   = "transcript_edit" // edits, corrections, reverts, reattributions, splits, merges, deletions
)

// Subject is a trail's index entry: which streams feed it, and the other
// trails a case links to (its source proposal and monthly meeting).
type Subject struct {
	Subject string `json:"subject"`
	// Streams are the log streams whose events are entries of the subject.
	Streams []string `json:"streams"`
	// Links are related subjects a case's trail includes.
	Links []string `json:"links,omitempty"`
}

type trailMeeting struct {
	Subject string `json:"subject"`
}

// Hidden marks a note removed, a question archived or an utterance deleted:
// public views leave the text out of its entries.
type Hidden struct {
	Kind      string `json:"kind"`
	MeetingID string `json:"meetingId"`
	ID        string `json:"id"`
	Stamp
}

// ---- fold ----

var stepOf = map[string]string{
	"proposal.submitted":                  StepProposal,
	"proposal.published":                  StepProposal,
	"proposal.milestone_reached":          StepSignatures,
	"proposal.established":                StepSignatures,
	"proposal.signature_invalidated":      StepSignatures,
	"proposal.expired":                    StepSignatures,
	"proposal.response_deadline_extended": StepProposalResponse,
	"proposal.responded":                  StepProposalResponse,
	"proposal.response_added":             StepProposalResponse,
	"proposal.response_deadline_missed":   StepProposalResponse,
	"proposal.signature_list_missing":     StepSignatures,
	"proposal.late_signatures_recorded":   StepSignatures,
	"proposal.leads_assigned":             StepProposal,
	"monthly.opened":                      StepVote,
	"monthly.candidate_added":             StepVote,
	"monthly.ballot_cast":                 StepVote,
	"monthly.closed":                      StepVote,
	"monthly.held":                        StepMeeting,
	"case.opened":                         StepCaseOpened,
	"case.lead_assigned":                  StepOrganisers,
	"case.co_organiser_added":             StepOrganisers,
	"case.co_organiser_removed":           StepOrganisers,
	"case.stage_changed":                  StepStage,
	"case.stakeholder_added":              StepResearch,
	"case.interview_recorded":             StepResearch,
	"case.material_added":                 StepResearch,
	"case.recommendation_recorded":        StepRecommendation,
	"case.reported_to_premier":            StepReport,
	"case.directive_recorded":             StepDirective,
	"case.response_recorded":              StepResponse,
	"case.proposal_linked":                StepCaseOpened,
	"case.record_ended":                   StepStage,
	"case.no_proposal_recorded":           StepCaseOpened,
	"meeting.scheduled":                   StepMeeting,
	"meeting.recording_added":             StepMeeting,
	"meeting.closed":                      StepMeeting,
	"meeting.participant_added":           StepParticipation,
	"meeting.attendance_recorded":         StepParticipation,
	"meeting.note_added":                  StepNote,
	"meeting.note_revised":                StepNote,
	"meeting.note_removed":                StepNote,
	"meeting.question_posted":             StepQuestion,
	"meeting.question_answered":           StepQuestion,
	"meeting.question_archived":           StepQuestion,
	"transcript.started":                  StepTranscript,
	"transcript.imported":                 StepTranscript,
	"transcript.version_imported":         StepTranscript,
	"transcript.published":                StepTranscript,
	"transcript.utterance_recorded":       StepUtterance,
	"transcript.utterance_inserted":       StepUtterance,
	"transcript.utterance_edited":         StepTranscriptEdit,
	"transcript.edit_reverted":            StepTranscriptEdit,
	"transcript.speaker_reattributed":     StepTranscriptEdit,
	"transcript.utterance_corrected":      StepTranscriptEdit,
	"transcript.utterance_deleted":        StepTranscriptEdit,
	"transcript.utterance_split":          StepTranscriptEdit,
	"transcript.utterances_merged":        StepTranscriptEdit,
	"transcript.utterance_reclassified":   StepTranscriptEdit,
	"transcript.normalised":               StepTranscriptEdit,
}

var trailTable = func() *table {
	t := newTable(TrailName)
	for _, ty := range domain.EventTypes() {
		if _, ok := stepOf[ty]; ok {
			t.handlers[ty] = foldEntry
		}
	}
	t.ignore("individual signatures are counted by the tallies; their milestones and establishment are entries", "proposal.signed")
	t.ignore("the PO registry is no case's trail", "registry.ministry_registered", "registry.po_registered", "registry.po_renewed", "registry.po_retired", "registry.po_role_changed")
	on(t, forgetInTrail) // an erasure is no step: it changes the entries of the events it erased
	return t
}()

// foldEntry records ev as an entry of its subject, and keeps the subject
// index and the hidden marks.
func foldEntry(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.Event) error {
	refs := refsOf(e)
	var subject string
	switch {
	case isSubjectStream(ev.Stream):
		subject = ev.Stream
	default:
		s, err := meetingSubject(ctx, tx, ev, e, refs)
		if err != nil {
			return err
		}
		subject = s
	}
	switch x := e.(type) {
	case domain.ProposalSubmitted:
		if err := indexSubject(ctx, tx, subject, []string{ev.Stream}, nil); err != nil {
			return err
		}
	case domain.MonthlyMeetingOpened:
		if err := indexSubject(ctx, tx, subject, []string{ev.Stream}, nil); err != nil {
			return err
		}
	case domain.CaseOpened:
		var links []string
		if x.CandidateKind == domain.CandidateEstablishedProposal && x.SourceRef != "" {
			links = append(links, domain.ProposalStream(domain.ProposalID(x.SourceRef)))
			refs.ProposalID = x.SourceRef
		}
		if x.MonthlyMeetingID != "" {
			links = append(links, domain.MonthlyMeetingStream(x.MonthlyMeetingID))
		}
		if err := indexSubject(ctx, tx, subject, []string{ev.Stream}, links); err != nil {
			return err
		}
	case domain.MeetingNoteRemoved:
		if err := hide(ctx, tx, ev, subject, "note", x.MeetingID, string(x.NoteID)); err != nil {
			return err
		}
	case domain.MeetingQuestionArchived:
		if err := hide(ctx, tx, ev, subject, "question", x.MeetingID, string(x.QuestionID)); err != nil {
			return err
		}
	case domain.TranscriptUtteranceDeleted:
		if err := hide(ctx, tx, ev, subject, "utterance", x.MeetingID, string(x.UtteranceID)); err != nil {
			return err
		}
	}
	entry := Entry{Subject: subject, Step: stepOf[ev.Type], Type: ev.Type, Stream: ev.Stream, StreamVersion: ev.Version, Stamp: stampOf(ev), Refs: refs, Data: ev.Data}
	return tx.Put(ctx, collEntries, subject+"/"+posKey(ev.Position), entry)
}

// meetingSubject returns the subject of a meeting or transcript event: the
// case, else the monthly meeting, the meeting belongs to, else the meeting
// itself. A meeting's scheduling records it.
func meetingSubject(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.Event, refs Refs) (string, error) {
	if s, ok := e.(domain.MeetingScheduled); ok {
		subject := domain.MeetingStream(s.MeetingID)
		switch {
		case s.CaseID != "":
			subject = domain.CaseStream(s.CaseID)
		case s.MonthlyMeetingID != "":
			subject = domain.MonthlyMeetingStream(s.MonthlyMeetingID)
		}
		if err := tx.Put(ctx, collTrailMeeting, string(s.MeetingID), trailMeeting{Subject: subject}); err != nil {
			return "", err
		}
		streams := []string{domain.MeetingStream(s.MeetingID), domain.TranscriptStream(s.MeetingID)}
		return subject, indexSubject(ctx, tx, subject, streams, nil)
	}
	id := refs.MeetingID
	if id == "" {
		id = string(domain.MeetingOfStream(ev.Stream))
	}
	m, ok, err := projections.Get[trailMeeting](ctx, tx, collTrailMeeting, id)
	if err != nil {
		return "", err
	}
	if !ok {
		return domain.MeetingStream(domain.MeetingID(id)), nil
	}
	return m.Subject, nil
}

// indexSubject adds streams and links to a subject's index document.
func indexSubject(ctx context.Context, tx projections.Tx, subject string, streams, links []string) error {
	return projections.Update(ctx, tx, collSubjects, subject, func(s *Subject) error {
		s.Subject = subject
		for _, st := range streams {
			s.Streams = addUnique(s.Streams, st)
		}
		for _, l := range links {
			s.Links = addUnique(s.Links, l)
		}
		return nil
	})
}

func hiddenKey(subject, kind string, meeting domain.MeetingID, id string) string {
	return subject + "/" + kind + "/" + string(meeting) + "/" + id
}

func hide(ctx context.Context, tx projections.Tx, ev eventstore.Event, subject, kind string, meeting domain.MeetingID, id string) error {
	return tx.Put(ctx, collHidden, hiddenKey(subject, kind, meeting, id), Hidden{Kind: kind, MeetingID: string(meeting), ID: id, Stamp: stampOf(ev)})
}

// refFields maps each ID type of the domain to the Refs field it fills.
var refFields = map[reflect.Type]func(*Refs) *string{
	reflect.TypeFor[domain.ProposalID]():       func(r *Refs) *string { return &r.ProposalID },
	reflect.TypeFor[domain.MonthlyMeetingID](): func(r *Refs) *string { return &r.MonthlyMeetingID },
	reflect.TypeFor[domain.CandidateID]():      func(r *Refs) *string { return &r.CandidateID },
	reflect.TypeFor[domain.CaseID]():           func(r *Refs) *string { return &r.CaseID },
	reflect.TypeFor[domain.MeetingID]():        func(r *Refs) *string { return &r.MeetingID },
	reflect.TypeFor[domain.UtteranceID]():      func(r *Refs) *string { return &r.UtteranceID },
	reflect.TypeFor[domain.NoteID]():           func(r *Refs) *string { return &r.NoteID },
	reflect.TypeFor[domain.QuestionID]():       func(r *Refs) *string { return &r.QuestionID },
	reflect.TypeFor[domain.RecommendationID](): func(r *Refs) *string { return &r.RecommendationID },
	reflect.TypeFor[domain.ParticipantID]():    func(r *Refs) *string { return &r.ParticipantID },
	reflect.TypeFor[domain.StakeholderID]():    func(r *Refs) *string { return &r.StakeholderID },
}

type refField struct {
	index int
	set   func(*Refs) *string
}

var refPlans sync.Map // reflect.Type → []refField

// refsOf returns the identifiers an event names: the first top-level field
// of each domain ID type (so an insertion's utterance, not the one it
// follows).
func refsOf(e domain.Event) Refs {
	v := reflect.ValueOf(e)
	t := v.Type()
	plan, ok := refPlans.Load(t)
	if !ok {
		var fs []refField
		seen := map[reflect.Type]bool{}
		if t.Kind() == reflect.Struct {
			for i := range t.NumField() {
				ft := t.Field(i).Type
				if set, ok := refFields[ft]; ok && !seen[ft] {
					seen[ft] = true
					fs = append(fs, refField{i, set})
				}
			}
		}
		plan, _ = refPlans.LoadOrStore(t, fs)
	}
	var r Refs
	for _, f := range plan.([]refField) {
		*f.set(&r) = v.Field(f.index).String()
	}
	return r
}

// ---- queries ----

// TrailQuery selects and pages trail entries.
type TrailQuery struct {
	// View is who reads: Public (the default) or Auditor.
	View View
	// After returns only entries after this position (for paging).
	After eventstore.Position
	// Limit bounds the entries returned; 0 returns all.
	Limit int
	// Steps, if set, selects entries of these steps only.
	Steps []string
}

// TrailPage is a page of a trail, in log order.
type TrailPage struct {
	// Subjects are the trails merged.
	Subjects []string `json:"subjects"`
	Entries  []Entry  `json:"entries"`
	// Next is the After of the next page; 0 when this is the last.
	Next eventstore.Position `json:"next,omitempty"`
}

// CaseTrail returns the accountability trail of a case: the case's own
// entries (stages, organisers, research, meetings, who said what, notes,
// questions, recommendations, the report, the directive, the responses)
// merged in log order with its source proposal's (submission, signature
// milestones, establishment, the ministry's response) and the monthly
// meeting that selected it (candidates, ballots, tally). ok is false when
// the case is unknown.
func CaseTrail(ctx context.Context, r projections.Reader, id domain.CaseID, q TrailQuery) (TrailPage, bool, error) {
	subject := domain.CaseStream(id)
	s, ok, err := projections.Get[Subject](ctx, r, collSubjects, subject)
	if err != nil || !ok {
		return TrailPage{}, ok, wrap(err, "trail of case %s", id)
	}
	page, err := trailOf(ctx, r, append([]string{subject}, s.Links...), q)
	return page, true, wrap(err, "trail of case %s", id)
}

// SubjectTrail returns the trail of one subject: a proposal
// (domain.ProposalStream), a monthly meeting (domain.MonthlyMeetingStream),
// a meeting of no case (domain.MeetingStream) or a case alone
// (domain.CaseStream).
func SubjectTrail(ctx context.Context, r projections.Reader, subject string, q TrailQuery) (TrailPage, error) {
	page, err := trailOf(ctx, r, []string{subject}, q)
	return page, wrap(err, "trail of %s", subject)
}

// Subjects returns a subject's index: the streams that feed it and the
// subjects it links to.
func Subjects(ctx context.Context, r projections.Reader, subject string) (Subject, bool, error) {
	s, ok, err := projections.Get[Subject](ctx, r, collSubjects, subject)
	return s, ok, wrap(err, "trail subject %s", subject)
}

func trailOf(ctx context.Context, r projections.Reader, subjects []string, q TrailQuery) (TrailPage, error) {
	page := TrailPage{Subjects: subjects}
	_, asOf := r.(valueReader)
	hidden := map[string]bool{}
	if !q.View.auditor() {
		addHidden := func(h Hidden) { hidden[h.Kind+"/"+h.MeetingID+"/"+h.ID] = true }
		if asOf {
			for _, s := range subjects {
				err := scanDocs(ctx, r, collHidden, s+"/", nil, func(_ string, h Hidden) error { addHidden(h); return nil })
				if err != nil {
					return page, err
				}
			}
		} else {
			pages := make([]projections.Page, len(subjects))
			for i, s := range subjects {
				pages[i] = projections.Page{Prefix: s + "/"}
			}
			err := projections.ScanPages(ctx, r, collHidden, pages, func(_ int, key string, raw []byte) error {
				var h Hidden
				if err := json.Unmarshal(raw, &h); err != nil {
					return fmt.Errorf("decode %s/%s: %w", collHidden, key, err)
				}
				addHidden(h)
				return nil
			})
			if err != nil {
				return page, err
			}
		}
	}
	more := false
	counts := make([]int, len(subjects))
	done := make([]bool, len(subjects))
	// keep takes subject i's next entry, unless it already has a page.
	keep := func(i int, e Entry) {
		if done[i] {
			return
		}
		if q.Limit > 0 && counts[i] >= q.Limit {
			more, done[i] = true, true
			return
		}
		if len(q.Steps) > 0 && !slices.Contains(q.Steps, e.Step) {
			return
		}
		counts[i]++
		page.Entries = append(page.Entries, e)
	}
	if asOf {
		for i, s := range subjects {
			prefix := s + "/"
			after := func(key string) bool {
				pos, err := parsePosKey(key[len(prefix):])
				return err == nil && pos > q.After
			}
			err := scanDocs(ctx, r, collEntries, prefix, after, func(_ string, e Entry) error {
				if keep(i, e); done[i] {
					return errStop
				}
				return nil
			})
			if err := scanStopped(err); err != nil {
				return page, err
			}
		}
	} else {
		// Each subject's entries from the page's first on, a bounded run at
		// a time, every subject's first run in one round trip: a page of a
		// case with 100,000 entries reads about a hundred rows a subject.
		chunk := 0
		if q.Limit > 0 {
			chunk = q.Limit + 1
			if len(q.Steps) > 0 {
				chunk = max(chunk, 256)
			}
		}
		pages := make([]projections.Page, len(subjects))
		for i, s := range subjects {
			pages[i] = projections.Page{Prefix: s + "/", Limit: chunk}
			if q.After > 0 {
				pages[i].After = s + "/" + posKey(q.After)
			}
		}
		if len(q.Steps) == 0 && q.Limit > 0 {
			// The page is the Limit lowest positions of all the subjects'
			// runs (one more tells that there is more): positions are in
			// the keys, so only the page's entries are decoded.
			best, err := lowestEntries(ctx, r, pages, q.Limit+1)
			if err != nil {
				return page, err
			}
			for _, c := range best {
				var e Entry
				if err := json.Unmarshal(c.raw, &e); err != nil {
					return page, fmt.Errorf("decode %s/%s: %w", collEntries, c.key, err)
				}
				page.Entries = append(page.Entries, e)
			}
		} else {
			got := make([]int, len(subjects))
			read := func(i int, key string, raw []byte) error {
				got[i]++
				pages[i].After = key
				if done[i] {
					return nil
				}
				var e Entry
				if err := json.Unmarshal(raw, &e); err != nil {
					return fmt.Errorf("decode %s/%s: %w", collEntries, key, err)
				}
				keep(i, e)
				return nil
			}
			if err := projections.ScanPages(ctx, r, collEntries, pages, read); err != nil {
				return page, err
			}
			// A subject whose run was all filtered out by Steps reads on.
			for i := range subjects {
				for chunk > 0 && !done[i] && got[i] == chunk {
					got[i] = 0
					err := projections.ScanPage(ctx, r, collEntries, pages[i].Prefix, pages[i].After, chunk, func(key string, raw []byte) error { return read(i, key, raw) })
					if err != nil {
						return page, err
					}
				}
			}
		}
	}
	slices.SortFunc(page.Entries, func(a, b Entry) int { return cmp.Compare(a.Position, b.Position) })
	if q.Limit > 0 && len(page.Entries) > q.Limit {
		page.Entries, more = page.Entries[:q.Limit], true
	}
	if more && len(page.Entries) > 0 {
		page.Next = page.Entries[len(page.Entries)-1].Position
	}
	if !q.View.auditor() {
		for i := range page.Entries {
			page.Entries[i] = page.Entries[i].public(hidden)
		}
	}
	return page, nil
}

// candidate is an entry's key and JSON, not yet decoded.
type candidate struct {
	pos eventstore.Position
	key string
	raw []byte
}

// lowestEntries reads pages (each a subject's run of entries, keys ending
// in the position) and returns the n entries of lowest position among
// them, in position order. Entries above the n-th lowest seen so far are
// neither copied nor decoded.
func lowestEntries(ctx context.Context, r projections.Reader, pages []projections.Page, n int) ([]candidate, error) {
	var best []candidate // sorted by position, at most n
	err := projections.ScanPages(ctx, r, collEntries, pages, func(i int, key string, raw []byte) error {
		pos, err := parsePosKey(key[len(pages[i].Prefix):])
		if err != nil {
			return fmt.Errorf("trail entry key %q: %w", key, err)
		}
		if len(best) == n && pos >= best[n-1].pos {
			return nil // this subject's later entries are above the page
		}
		at, _ := slices.BinarySearchFunc(best, pos, func(c candidate, p eventstore.Position) int { return cmp.Compare(c.pos, p) })
		if len(best) == n {
			best = best[:n-1]
		}
		best = slices.Insert(best, at, candidate{pos: pos, key: key, raw: slices.Clone(raw)})
		return nil
	})
	return best, err
}

// public returns the entry as the public may see it.
func (e Entry) public(hidden map[string]bool) Entry {
	// What the public may not see is declared beside each event's fields
	// in domain (their ledger tags): personal and confidential fields
	// always, a withdrawable text once its thing was removed.
	fields := domain.PrivateFields(e.Type)
	if kind, field, ok := domain.WithdrawableField(e.Type); ok {
		id := ""
		switch kind {
		case "note":
			id = e.Refs.NoteID
		case "question":
			id = e.Refs.QuestionID
		case "utterance":
			id = e.Refs.UtteranceID
		}
		if hidden[kind+"/"+e.Refs.MeetingID+"/"+id] {
			fields = append(slices.Clone(fields), field)
		}
	}
	e.Stamp = e.Stamp.For(Public)
	if domain.WithholdsActor(e.Type) {
		e.Actor.ID = ""
	}
	if len(fields) == 0 {
		return e
	}
	var m map[string]any
	if err := json.Unmarshal(e.Data, &m); err != nil {
		e.Data, e.Redacted = json.RawMessage("{}"), []string{"*"}
		return e
	}
	e.Redacted = nil
	for _, f := range fields {
		if deletePath(m, strings.Split(f, ".")) {
			e.Redacted = append(e.Redacted, f)
		}
	}
	if raw, err := json.Marshal(m); err == nil {
		e.Data = raw
	}
	return e
}

// deletePath deletes the field at path from v and reports whether there
// was one.
func deletePath(v any, path []string) bool {
	switch x := v.(type) {
	case map[string]any:
		if len(path) == 1 {
			_, ok := x[path[0]]
			delete(x, path[0])
			return ok
		}
		return deletePath(x[path[0]], path[1:])
	case []any:
		if path[0] != "*" {
			return false
		}
		found := false
		for _, el := range x {
			found = deletePath(el, path[1:]) || found
		}
		return found
	}
	return false
}

// forgetInTrail folds an erasure into the entries of the events it erased:
// in their data the erased values give way to their commitments, as a
// rebuild from the log would show them, and their stamps are marked (pages
// say "erased on DATE (reason)").
func forgetInTrail(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.DataErased) error {
	for stream, erased := range erasuresOf(ev, e) {
		subject := stream
		if !isSubjectStream(stream) {
			id := domain.MeetingOfStream(stream)
			if id == "" {
				continue
			}
			m, ok, err := projections.Get[trailMeeting](ctx, tx, collTrailMeeting, string(id))
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			subject = m.Subject
		}
		var keys []string
		err := projections.ScanAll(ctx, tx, collEntries, subject+"/", func(key string, en Entry) error {
			if erased[en.EventID] != nil {
				keys = append(keys, key)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, key := range keys {
			err := projections.Update(ctx, tx, collEntries, key, func(en *Entry) error {
				forget(en, erased)
				values := map[string]string{}
				er := erased[en.EventID]
				for _, path := range er.field.Paths {
					if c, ok := er.with(path); ok && path != sealed.ActorPath {
						values[path] = c
					}
				}
				if len(values) == 0 || len(en.Data) == 0 {
					return nil
				}
				data, err := sealed.Replace(en.Data, values)
				if err != nil {
					return fmt.Errorf("%s: forget in %s: %w", TrailName, key, err)
				}
				en.Data = data
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

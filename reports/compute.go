package reports

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/internal/parallel"
	"github.com/pdis/collab-ledger/readmodels"
)

// decoders are the event types the report reads, each decoded straight
// into its domain struct (json.Unmarshal: fewer allocations than
// domain.Decode's strict decoder, which matters over a million events; the
// schema version is still checked). The other types (signatures, notes,
// utterances, ...) are skipped without being decoded.
var decoders = map[string]func([]byte) (domain.Event, error){
	"proposal.submitted": dec[domain.ProposalSubmitted], "proposal.published": dec[domain.ProposalPublished], "proposal.established": dec[domain.ProposalEstablished],
	"proposal.expired": dec[domain.ProposalExpired], "proposal.response_deadline_extended": dec[domain.ProposalResponseDeadlineExtended],
	"proposal.responded": dec[domain.ProposalResponded], "proposal.leads_assigned": dec[domain.ProposalLeadsAssigned], "proposal.response_deadline_missed": dec[domain.ProposalResponseDeadlineMissed],
	"monthly.candidate_added": dec[domain.MonthlyCandidateAdded], "monthly.ballot_cast": dec[domain.MonthlyBallotCast],
	"monthly.closed": dec[domain.MonthlyMeetingClosed], "monthly.held": dec[domain.MonthlyMeetingHeld],
	"case.opened": dec[domain.CaseOpened], "case.lead_assigned": dec[domain.CaseLeadAssigned],
	"case.co_organiser_added": dec[domain.CaseCoOrganiserAdded], "case.stage_changed": dec[domain.CaseStageChanged],
	"case.stakeholder_added": dec[domain.CaseStakeholderAdded], "case.recommendation_recorded": dec[domain.CaseRecommendationRecorded],
	"case.directive_recorded": dec[domain.CaseDirectiveRecorded], "case.response_recorded": dec[domain.CaseResponseRecorded],
	"case.record_ended": dec[domain.CaseRecordEnded], "case.proposal_linked": dec[domain.CaseProposalLinked],
	"case.no_proposal_recorded": dec[domain.CaseNoProposalRecorded],
	"meeting.scheduled":         dec[domain.MeetingScheduled], "meeting.participant_added": dec[domain.MeetingParticipantAdded],
	"meeting.attendance_recorded":  dec[domain.MeetingAttendanceRecorded],
	"registry.ministry_registered": dec[domain.MinistryRegistered],
}

// typeUtteranceEdited is the one event type the report reads without its
// body: it counts transcript edits by stream and time. Every other event
// outside decoders only counts towards Report.Events. The report-inputs
// read model (readmodels.ReportInputs) keeps exactly these types
// (TestDecodersAreReportInputs).
const typeUtteranceEdited = readmodels.ReportEditType

func dec[T domain.Event](data []byte) (domain.Event, error) {
	var v T
	err := json.Unmarshal(data, &v)
	return v, err
}

func decode(ev *eventstore.Event) (domain.Event, error) {
	d, ok := decoders[ev.Type]
	if !ok {
		return nil, nil
	}
	if v, _ := domain.EventSchemaVersion(ev.Type); v != ev.SchemaVersion {
		return nil, fmt.Errorf("report: event %s at %d: %s schema version %d, this build knows %d", ev.ID, ev.Position, ev.Type, ev.SchemaVersion, v)
	}
	e, err := d(ev.Data)
	if err != nil {
		return nil, fmt.Errorf("report: event %s at %d (%s): %w", ev.ID, ev.Position, ev.Type, err)
	}
	return e, nil
}

type proposal struct {
	ministry string // the first lead
	// leads are every lead ministry (decision 0048), as the establishment
	// (else the publication) names them; coOrgs the co-organisers the
	// publication names.
	leads     []string
	coOrgs    []string
	published bool
	pubAt     time.Time
	pubRef    eref
	estAt     time.Time
	dueAt     time.Time
	refs      []eref // establishment, extensions
	// answers are each lead's response or miss (decision 0048).
	answers leadAnswers
}

// assign adds the leads and co-organisers named after publication
// (decision 0056).
func (pr *proposal) assign(leads, coOrgs []domain.MinistryID) {
	pr.leads = appendNew(slices.Clone(pr.leads), ministryCodes(leads)...)
	pr.coOrgs = appendNew(slices.Clone(pr.coOrgs), ministryCodes(coOrgs)...)
	if pr.ministry == "" && len(pr.leads) > 0 {
		pr.ministry = pr.leads[0]
	}
	pr.answers.assign(leads)
}

// appendNew appends to s each of ms it does not hold.
func appendNew(s []string, ms ...string) []string {
	for _, m := range ms {
		if !slices.Contains(s, m) {
			s = append(s, m)
		}
	}
	return s
}

// outcome is the fate of a proposal's deadline: "met" when every lead
// answered on time, "missed" when a lead answered late or its miss was
// recorded, "open" otherwise; refs are its events.
func (pr *proposal) outcome() (string, []eref) {
	return pr.outcomeOf(pr.answers.leads, pr.answers.allRefs())
}

// ownOutcome is the fate of lead m's own answer to the deadline (decision
// 0048): "met", "missed" or "open", with the establishment, extensions
// and m's own events.
func (pr *proposal) ownOutcome(m string) (string, []eref) {
	return pr.outcomeOf([]string{m}, pr.answers.answer(m).refs)
}

// outcomeOf is the fate of the deadline for leads, answers their events.
func (pr *proposal) outcomeOf(leads []string, answers []eref) (string, []eref) {
	refs := slices.Concat(pr.refs, answers)
	met, missed := true, false
	for _, m := range leads {
		a := pr.answers.answer(m)
		met = met && a.responded && a.onTime
		missed = missed || a.missed || a.responded && !a.onTime
	}
	switch {
	case met:
		return "met", refs
	case missed:
		return "missed", refs
	}
	return "open", refs
}

type stint struct {
	stage domain.CaseStage
	from  time.Time
	ref   eref
}

type caseState struct {
	id         string
	opened     eref
	openedAt   time.Time
	source     string
	lead       string
	leadRef    eref
	ministries map[string]bool
	stints     []stint           // stage history, first is topic_set at opening
	categories map[string][]eref // inventoried category → stakeholder_added
	stakeCat   map[string]string // stakeholder → category
	attended   map[string][]eref // category → attendance (present)
	// ended is when the archive's record of an imported case ends (zero:
	// it has not): from then on the case is historical, its outcome
	// unknown, and no longer counted in a stage (historical.go).
	ended    time.Time
	endedRef eref
	// link is, for an imported case as the period ended, what is known of
	// the Join proposal it came from (linkByScore, linkByReview,
	// linkNone; "" unsure: nothing recorded), linkRef the event saying it.
	link    string
	linkRef eref
	// linkedLead is the linked Join proposal's lead ministry as the period
	// ended ("" none): an imported case without an assigned lead is shown
	// under it (readmodels.CaseSummary.Leader). assigned: a lead was ever
	// assigned.
	linkedLead string
	assigned   bool
}

// leader is the ministry the case is shown under as its lead as the
// period ended, and the event that says it: its assigned lead, else its
// linked Join proposal's (an imported case: decision 0055), else "".
func (cs *caseState) leader() (string, eref) {
	if cs.lead != "" {
		return cs.lead, cs.leadRef
	}
	return cs.linkedLead, cs.linkRef
}

type meetingState struct {
	caseID       string
	subject      uint32            // the trail subject of its events
	participants map[string]string // participant → stakeholder
}

type computer struct {
	p Period
	f Filter
	n int

	// brief folds what the briefing reads (briefing.go); prev computes the
	// previous period's report its headlines compare with. Both nil in
	// prev itself.
	brief *briefingFold
	prev  *computer

	proposals map[string]*proposal
	// published, estRefs and expRefs are the period's publications,
	// establishments and expiries; pubPr, estPr and expPr the proposal of
	// each, whose leads and co-organisers (as of the report's position:
	// leads assigned later too, decision 0056) the ministry filter reads.
	published []eref
	pubPr     []*proposal
	estRefs   []eref
	estPr     []*proposal
	estDays   []float64
	expRefs   []eref
	expPr     []*proposal

	monthlyClosed []eref
	monthlyHeld   []eref // imported monthly meetings held (no ballots in the archive)
	monthlyIDs    map[string]bool
	selections    []eref
	selectionsN   int
	candidates    map[string][]candidate // monthly → candidates
	ballots       map[string][]ballot    // monthly → ballots

	cases    map[string]*caseState
	caseList []*caseState
	meetings map[string]*meetingState
	held     []heldMeeting

	edits []meetingRef

	recs       []caseRef
	directives []caseKindRef
	responses  []responseRef

	// registry: ministry and agency names as registered up to the
	// report's position
	names map[string]domain.MinistryInfo

	// subjects interns the trail subjects of the events behind figures
	// (eref.subj indexes it; 0 is none)
	subjects   []string
	subjectIdx map[string]uint32
}

type candidate struct {
	organiser string
	ref       eref
}

type ballot struct {
	ministry string
	ref      eref
}

type heldMeeting struct {
	caseID string
	phase  string
	ref    eref
}

type meetingRef struct {
	meeting string
	ref     eref
}

type caseRef struct {
	caseID string
	ref    eref
}

type caseKindRef struct {
	caseID, kind string
	ref          eref
}

type responseRef struct {
	ministry, verdict string
	ref               eref
}

func newComputer(p Period, f Filter) *computer {
	return &computer{
		p: p, f: f,
		proposals:  map[string]*proposal{},
		monthlyIDs: map[string]bool{},
		candidates: map[string][]candidate{},
		ballots:    map[string][]ballot{},
		cases:      map[string]*caseState{},
		meetings:   map[string]*meetingState{},
		names:      map[string]domain.MinistryInfo{},
		subjects:   []string{""},
		subjectIdx: map[string]uint32{},
	}
}

// eref is an event behind a figure while folding: pointer-free, so that a
// million of them cost the garbage collector nothing; it becomes a Ref
// (with the ID and the subject as text) only when the report is built.
type eref struct {
	pos  uint64
	id   uuid.UUID
	subj uint32 // index in computer.subjects
}

// subject interns a trail subject.
func (c *computer) subject(s string) uint32 {
	if i, ok := c.subjectIdx[s]; ok {
		return i
	}
	i := uint32(len(c.subjects))
	c.subjects = append(c.subjects, s)
	c.subjectIdx[s] = i
	return i
}

// refOf returns the reference to ev, with the trail subject it is an entry
// of (readmodels.Trail): its stream for a proposal, a monthly meeting or a
// case; for a meeting's or its transcript's event, the subject of the
// meeting (see meetingSubject); none for the registry's, which are no
// trail's entries.
func (c *computer) refOf(ev *eventstore.Event, de domain.Event) eref {
	r := eref{pos: uint64(ev.Position), id: ev.ID}
	switch {
	case domain.IsStreamKind(ev.Stream, domain.StreamProposal, domain.StreamMonthlyMeeting, domain.StreamCase):
		r.subj = c.subject(ev.Stream)
	case domain.IsStreamKind(ev.Stream, domain.StreamMeeting, domain.StreamTranscript):
		id := string(domain.MeetingOfStream(ev.Stream))
		if s, ok := de.(domain.MeetingScheduled); ok {
			id = string(s.MeetingID)
		}
		if m := c.meetings[id]; m != nil {
			r.subj = m.subject
		} else {
			r.subj = c.subject(domain.MeetingStream(domain.MeetingID(id)))
		}
	}
	return r
}

// meetingSubject is the trail subject of a meeting's events: the case it
// belongs to, else its monthly meeting, else the meeting itself (as
// readmodels.Trail files them).
func meetingSubject(e domain.MeetingScheduled) string {
	switch {
	case e.CaseID != "":
		return domain.CaseStream(e.CaseID)
	case e.MonthlyMeetingID != "":
		return domain.MonthlyMeetingStream(e.MonthlyMeetingID)
	}
	return domain.MeetingStream(e.MeetingID)
}

// decodeAll decodes the events the report reads, on every CPU; the others
// stay nil.
func decodeAll(evs []eventstore.Event) ([]domain.Event, error) {
	out := make([]domain.Event, len(evs))
	err := parallel.For(len(evs), 256, func(i int) error {
		de, err := decode(&evs[i])
		out[i] = de
		return err
	})
	return out, err
}

// addBatch folds events, in log order.
func (c *computer) addBatch(evs []eventstore.Event) error {
	decoded, err := decodeAll(evs)
	if err != nil {
		return err
	}
	for i := range evs {
		c.add(&evs[i], decoded[i])
		if c.prev != nil {
			c.prev.add(&evs[i], decoded[i])
		}
	}
	return nil
}

// add folds one event; de is its decoded body (nil for the types the report
// does not decode).
func (c *computer) add(ev *eventstore.Event, de domain.Event) {
	c.n++
	if ev.Type == typeUtteranceEdited {
		// counted by when it happened; its body is not needed
		// (the stream, transcript-<meeting>, names its meeting)
		if c.p.contains(ev.OccurredAt()) {
			c.edits = append(c.edits, meetingRef{meeting: domain.StreamOf(domain.StreamTranscript, ev.Stream), ref: c.refOf(ev, nil)})
		}
		return
	}
	if de == nil {
		return
	}
	at := ev.OccurredAt()
	in := c.p.contains(at)
	if e, ok := de.(domain.MeetingScheduled); ok {
		c.meetings[string(e.MeetingID)] = &meetingState{caseID: string(e.CaseID), subject: c.subject(meetingSubject(e)), participants: map[string]string{}}
	}
	r := c.refOf(ev, de)
	if c.brief != nil && at.Before(c.p.To) {
		c.brief.add(de, r, at)
	}
	switch e := de.(type) {
	case domain.MinistryRegistered:
		c.names[string(e.MinistryID)] = domain.MinistryInfo{ID: e.MinistryID, Name: e.Name, Parent: e.Parent}
	case domain.ProposalPublished:
		pr := &proposal{ministry: string(e.CompetentMinistry), leads: ministryCodes(e.LeadMinistries()), coOrgs: ministryCodes(e.CoOrganisers),
			published: true, pubAt: at, pubRef: r}
		c.proposals[string(e.ProposalID)] = pr
		if in {
			c.published = append(c.published, r)
			c.pubPr = append(c.pubPr, pr)
		}
	case domain.ProposalEstablished:
		pr := c.proposal(string(e.ProposalID), string(e.CompetentMinistry))
		pr.ministry = string(e.CompetentMinistry)
		pr.leads = ministryCodes(e.LeadMinistries())
		pr.answers.setLeads(e.LeadMinistries())
		pr.estAt, pr.dueAt = at, e.ResponseDueAt
		pr.refs = append(pr.refs, r)
		if in {
			c.estRefs = append(c.estRefs, r)
			c.estPr = append(c.estPr, pr)
			days := -1.0
			if pr.published {
				days = at.Sub(pr.pubAt).Hours() / 24
			}
			c.estDays = append(c.estDays, days)
		}
	case domain.ProposalLeadsAssigned:
		// further leads named after publication (decision 0056): each owes
		// its own answer from then on
		pr := c.proposal(string(e.ProposalID), "")
		pr.assign(e.Leads, e.CoOrganisers)
	case domain.ProposalExpired:
		pr := c.proposal(string(e.ProposalID), "")
		if in {
			c.expRefs = append(c.expRefs, r)
			c.expPr = append(c.expPr, pr)
		}
	case domain.ProposalResponseDeadlineExtended:
		pr := c.proposal(string(e.ProposalID), string(e.Ministry))
		pr.dueAt = e.DueAt
		pr.refs = append(pr.refs, r)
	case domain.ProposalResponded:
		pr := c.proposal(string(e.ProposalID), string(e.Ministry))
		pr.answers.respond(string(e.Ministry), e.OnTime, at, r)
		pr.dueAt = e.DueAt
	case domain.ProposalResponseDeadlineMissed:
		pr := c.proposal(string(e.ProposalID), string(e.Ministry))
		pr.answers.miss(string(e.Ministry), r)
		pr.dueAt = e.DueAt
	case domain.MonthlyCandidateAdded:
		id := string(e.MeetingID)
		c.candidates[id] = append(c.candidates[id], candidate{organiser: string(e.Organiser), ref: r})
	case domain.MonthlyBallotCast:
		id := string(e.MeetingID)
		c.ballots[id] = append(c.ballots[id], ballot{ministry: string(e.Ministry), ref: r})
	case domain.MonthlyMeetingHeld:
		if in {
			c.monthlyHeld = append(c.monthlyHeld, r)
		}
	case domain.MonthlyMeetingClosed:
		if in {
			c.monthlyClosed = append(c.monthlyClosed, r)
			c.monthlyIDs[string(e.MeetingID)] = true
			n := 0
			for _, s := range e.Selected {
				if c.f.Ministry == "" || string(s.Organiser) == c.f.Ministry {
					n++
				}
			}
			if n > 0 {
				c.selections = append(c.selections, r)
				c.selectionsN += n
			}
		}
	case domain.CaseOpened:
		src := string(e.SourceKind)
		if e.SourceKind == domain.SourceVotedTopic && e.CandidateKind != "" {
			src = string(e.CandidateKind)
		}
		cs := &caseState{id: string(e.CaseID), opened: r, openedAt: at, source: src,
			ministries: map[string]bool{}, categories: map[string][]eref{}, stakeCat: map[string]string{}, attended: map[string][]eref{}}
		if e.Organiser != "" {
			cs.ministries[string(e.Organiser)] = true
		}
		cs.stints = []stint{{stage: domain.StageTopicSet, from: at, ref: r}}
		c.cases[cs.id] = cs
		c.caseList = append(c.caseList, cs)
	case domain.CaseLeadAssigned:
		if cs := c.cases[string(e.CaseID)]; cs != nil {
			cs.ministries[string(e.Ministry)] = true
			cs.assigned = true
			if at.Before(c.p.To) { // the lead as the period ended
				cs.lead, cs.leadRef = string(e.Ministry), r
			}
		}
	case domain.CaseCoOrganiserAdded:
		if cs := c.cases[string(e.CaseID)]; cs != nil {
			cs.ministries[string(e.Ministry)] = true
		}
	case domain.CaseStageChanged:
		if cs := c.cases[string(e.CaseID)]; cs != nil {
			cs.stints = append(cs.stints, stint{stage: e.To, from: at, ref: r})
			cs.ended = time.Time{}
		}
	case domain.CaseRecordEnded:
		if cs := c.cases[string(e.CaseID)]; cs != nil {
			cs.ended, cs.endedRef = at, r
		}
	case domain.CaseProposalLinked:
		if cs := c.cases[string(e.CaseID)]; cs != nil {
			if !cs.assigned && e.Ministry != "" {
				// shown under its proposal's lead while none is assigned
				cs.ministries[string(e.Ministry)] = true
			}
			if at.Before(c.p.To) {
				cs.link, cs.linkRef, cs.linkedLead = linkByScore, r, string(e.Ministry)
				if e.Reviewed {
					cs.link = linkByReview
				}
			}
		}
	case domain.CaseNoProposalRecorded:
		if cs := c.cases[string(e.CaseID)]; cs != nil && at.Before(c.p.To) {
			cs.link, cs.linkRef, cs.linkedLead = linkNone, r, ""
		}
	case domain.CaseStakeholderAdded:
		if cs := c.cases[string(e.CaseID)]; cs != nil && at.Before(c.p.To) {
			cat := string(e.Category)
			cs.categories[cat] = append(cs.categories[cat], r)
			cs.stakeCat[string(e.StakeholderID)] = cat
		}
	case domain.CaseRecommendationRecorded:
		if in {
			c.recs = append(c.recs, caseRef{caseID: string(e.CaseID), ref: r})
		}
	case domain.CaseDirectiveRecorded:
		if in {
			c.directives = append(c.directives, caseKindRef{caseID: string(e.CaseID), kind: string(e.Kind), ref: r})
		}
	case domain.CaseResponseRecorded:
		if in {
			c.responses = append(c.responses, responseRef{ministry: string(e.Ministry), verdict: string(e.Verdict), ref: r})
		}
	case domain.MeetingScheduled:
		if e.Kind != domain.MeetingPOMonthly && c.p.contains(e.StartsAt) {
			phase := string(e.Phase)
			if phase == "" {
				phase = string(e.Kind)
			}
			c.held = append(c.held, heldMeeting{caseID: string(e.CaseID), phase: phase, ref: r})
		}
	case domain.MeetingParticipantAdded:
		if m := c.meetings[string(e.MeetingID)]; m != nil && e.StakeholderID != "" {
			m.participants[string(e.ParticipantID)] = string(e.StakeholderID)
		}
	case domain.MeetingAttendanceRecorded:
		m := c.meetings[string(e.MeetingID)]
		if m == nil || !e.Present || !at.Before(c.p.To) {
			break
		}
		cs := c.cases[m.caseID]
		if cs == nil {
			break
		}
		if cat, ok := cs.stakeCat[m.participants[string(e.ParticipantID)]]; ok {
			cs.attended[cat] = append(cs.attended[cat], r)
		}
	}
}

func (c *computer) proposal(id, ministry string) *proposal {
	pr := c.proposals[id]
	if pr == nil {
		pr = &proposal{ministry: ministry}
		if ministry != "" {
			pr.leads = []string{ministry}
		}
		c.proposals[id] = pr
	}
	return pr
}

// caseInScope reports whether case id counts under the filter.
func (c *computer) caseInScope(id string) bool {
	if c.f.Ministry == "" {
		return true
	}
	cs := c.cases[id]
	return cs != nil && cs.ministries[c.f.Ministry]
}

func (c *computer) ministryOK(m string) bool { return c.f.Ministry == "" || m == c.f.Ministry }

func (c *computer) params(extra ...string) map[string]string {
	m := map[string]string{
		"from": c.p.From.Format(time.RFC3339),
		"to":   c.p.To.Format(time.RFC3339),
	}
	if c.f.Ministry != "" {
		m["ministry"] = c.f.Ministry
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// ministryCodes are ms as strings.
func ministryCodes(ms []domain.MinistryID) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m)
	}
	return out
}

// anyOK reports whether the filter accepts one of ministries (every
// proposal when there is no filter, one without a lead too).
func (c *computer) anyOK(ministries []string) bool {
	return c.f.Ministry == "" || slices.Contains(ministries, c.f.Ministry)
}

// filterRefs keeps the refs whose proposal (each ref's) has a lead the
// filter accepts.
func (c *computer) filterRefs(refs []eref, prs []*proposal) []eref {
	out := []eref{}
	for i, r := range refs {
		if c.anyOK(prs[i].leads) {
			out = append(out, r)
		}
	}
	return out
}

func (c *computer) sortRefs(refs []eref) []Ref {
	slices.SortFunc(refs, func(a, b eref) int { return cmp.Compare(a.pos, b.pos) })
	refs = slices.CompactFunc(refs, func(a, b eref) bool { return a.pos == b.pos })
	out := make([]Ref, len(refs))
	for i, r := range refs {
		out[i] = Ref{ID: r.id.String(), Position: r.pos, Subject: c.subjects[r.subj]}
	}
	return out
}

func round2(x float64) float64 {
	if x < 0 {
		return float64(int64(x*100-0.5)) / 100
	}
	return float64(int64(x*100+0.5)) / 100
}

func (c *computer) fig(key, zh, en string, value float64, unit, query string, params map[string]string, refs []eref) Figure {
	return Figure{Key: key, ZH: zh, EN: en, Value: round2(value), Unit: unit,
		Source: Source{Query: query, Params: params, Events: c.sortRefs(refs)}}
}

func (c *computer) report(at uint64) Report {
	rep := Report{From: c.p.From.UTC(), To: c.p.To.UTC(), Ministry: c.f.Ministry, At: at, Events: c.n}
	if c.f.Ministry != "" {
		rep.MinistryZH, rep.MinistryEN = ministryName(c.names, c.f.Ministry)
	}
	rep.Sections = append(rep.Sections, c.proposalSection(), c.deadlineSection(), c.deadlineMinistrySection(), c.monthlySection(), c.ballotSection())
	rep.Sections = append(rep.Sections, c.caseSections()...)
	rep.Sections = append(rep.Sections, c.meetingSection(), c.transcriptSection(), c.coverageSection())
	rep.Sections = append(rep.Sections, c.outcomeSections()...)
	if c.prev != nil {
		rep.Briefing = c.briefing(rep, c.prev.report(at))
	}
	return rep
}

func (c *computer) proposalSection() Section {
	pub := c.filterRefs(c.published, c.pubPr)
	est := c.filterRefs(c.estRefs, c.estPr)
	exp := c.filterRefs(c.expRefs, c.expPr)
	share := 0.0
	if n := len(est) + len(exp); n > 0 {
		share = 100 * float64(len(est)) / float64(n)
	}
	var sum float64
	var n int
	var dayRefs []eref
	for i, d := range c.estDays {
		if d >= 0 && c.anyOK(c.estPr[i].leads) {
			sum += d
			n++
			dayRefs = append(dayRefs, c.estRefs[i])
		}
	}
	mean := 0.0
	if n > 0 {
		mean = sum / float64(n)
	}
	pubOf := c.publicationsOf(dayRefs)
	q := "proposals"
	s := Section{Key: "proposals", ZH: "提案", EN: "Proposals", Chart: true, Figures: []Figure{
		c.fig("proposals.published", "已公開提案", "Proposals published", float64(len(pub)), "", q, c.params("type", "proposal.published"), pub),
		c.fig("proposals.established", "已成案提案", "Proposals established", float64(len(est)), "", q, c.params("type", "proposal.established"), est),
		c.fig("proposals.expired", "已逾期未成案提案", "Proposals expired", float64(len(exp)), "", q, c.params("type", "proposal.expired"), exp),
		c.fig("proposals.established_share", "成案比例（成案／成案＋逾期）", "Share established (established / (established + expired))", share, "%", q, c.params("type", "proposal.established,proposal.expired"), append(slices.Clone(est), exp...)),
		c.fig("proposals.days_to_establishment", "公開至成案平均日數", "Mean days from publication to establishment", mean, "days", "proposals.days_to_establishment", c.params(), append(slices.Clone(dayRefs), pubOf...)),
	}}
	if c.f.Ministry != "" {
		// A co-organiser owes no answer: it is not counted above, but
		// said apart.
		var co []eref
		for i, r := range c.published {
			if pr := c.pubPr[i]; !slices.Contains(pr.leads, c.f.Ministry) && slices.Contains(pr.coOrgs, c.f.Ministry) {
				co = append(co, r)
			}
		}
		s.Figures = append(s.Figures, c.fig("proposals.co_organised", "已公開提案（本部會為協辦，不列入上列各數）", "Proposals published naming it co-organiser (not counted above)",
			float64(len(co)), "", q, c.params("type", "proposal.published", "role", "co-organiser"), co))
	}
	return s
}

// publicationsOf returns the publication events of the proposals whose
// establishment events are refs.
func (c *computer) publicationsOf(refs []eref) []eref {
	want := map[uint64]bool{}
	for _, r := range refs {
		want[r.pos] = true
	}
	var out []eref
	for _, pr := range c.proposals {
		if pr.published && len(pr.refs) > 0 && want[pr.refs[0].pos] {
			out = append(out, pr.pubRef)
		}
	}
	return out
}

func (c *computer) deadlineSection() Section {
	var due, met, missed, open []eref
	for _, pr := range c.proposals {
		if pr.estAt.IsZero() || !c.p.contains(pr.dueAt) || !pr.answers.anyLead(c.ministryOK) {
			continue
		}
		// Under a ministry filter, the ministry's own answer: each lead
		// owes its own (decision 0048).
		outcome, refs := pr.outcome()
		if c.f.Ministry != "" {
			outcome, refs = pr.ownOutcome(c.f.Ministry)
		}
		due = append(due, refs...)
		switch outcome {
		case "met":
			met = append(met, refs...)
		case "missed":
			missed = append(missed, refs...)
		default:
			open = append(open, refs...)
		}
	}
	count := func(refs []eref) float64 { return float64(len(c.establishmentsIn(refs))) }
	q := "proposals.response_deadlines"
	return Section{Key: "deadlines", ZH: "部會回應期限（2 個月）", EN: "Ministry responses due (2-month deadline)", Chart: true, Figures: []Figure{
		c.fig("deadlines.due", "期限屆至", "Responses due", count(due), "", q, c.params(), due),
		c.fig("deadlines.met", "如期回應", "Met", count(met), "", q, c.params("outcome", "met"), met),
		c.fig("deadlines.missed", "逾期（未回應或逾期回應）", "Missed (no response or late)", count(missed), "", q, c.params("outcome", "missed"), missed),
		c.fig("deadlines.open", "尚待回應", "Not yet answered", count(open), "", q, c.params("outcome", "open"), open),
	}}
}

// deadlineMinistrySection breaks the response deadlines due in the period
// down by lead ministry: each lead's own answer (decision 0048).
func (c *computer) deadlineMinistrySection() Section {
	type tally struct{ due, met, missed []eref }
	by := map[string]*tally{}
	for _, pr := range c.proposals {
		if pr.estAt.IsZero() || !c.p.contains(pr.dueAt) {
			continue
		}
		for _, m := range pr.answers.leads {
			if !c.ministryOK(m) {
				continue
			}
			t := by[m]
			if t == nil {
				t = &tally{}
				by[m] = t
			}
			a := pr.answers.answer(m)
			refs := slices.Concat(pr.refs, a.refs)
			t.due = append(t.due, refs...)
			switch {
			case a.responded && a.onTime:
				t.met = append(t.met, refs...)
			case a.responded || a.missed:
				t.missed = append(t.missed, refs...)
			}
		}
	}
	count := func(refs []eref) float64 { return float64(len(c.establishmentsIn(refs))) }
	q := "proposals.response_deadlines"
	s := Section{Key: "deadlines_by_ministry", ZH: "各部會回應期限", EN: "Response deadlines per ministry"}
	for _, m := range slices.Sorted(maps.Keys(by)) {
		t := by[m]
		zh, en := ministryName(c.names, m)
		s.Figures = append(s.Figures,
			c.fig("deadlines."+m+".due", zh+"：期限屆至", en+": due", count(t.due), "", q, c.params("ministry", m), t.due),
			c.fig("deadlines."+m+".met", zh+"：如期回應", en+": met", count(t.met), "", q, c.params("ministry", m, "outcome", "met"), t.met),
			c.fig("deadlines."+m+".missed", zh+"：逾期", en+": missed", count(t.missed), "", q, c.params("ministry", m, "outcome", "missed"), t.missed),
		)
	}
	return s
}

// establishmentsIn counts the proposals among refs: one establishment event each.
func (c *computer) establishmentsIn(refs []eref) []eref {
	set := map[uint64]bool{}
	for _, pr := range c.proposals {
		if len(pr.refs) > 0 {
			set[pr.refs[0].pos] = true
		}
	}
	var out []eref
	for _, r := range refs {
		if set[r.pos] {
			out = append(out, r)
		}
	}
	return out
}

func (c *computer) monthlySection() Section {
	var cands []eref
	for _, id := range slices.Sorted(maps.Keys(c.monthlyIDs)) {
		for _, cd := range c.candidates[id] {
			if c.ministryOK(cd.organiser) {
				cands = append(cands, cd.ref)
			}
		}
	}
	q := "monthly"
	return Section{Key: "monthly", ZH: "參與官每月會議", EN: "PO monthly meetings", Figures: []Figure{
		c.fig("monthly.held", "已舉行", "Held", float64(len(c.monthlyClosed)+len(c.monthlyHeld)), "", q, c.params("type", "monthly.closed|monthly.held"), append(slices.Clone(c.monthlyClosed), c.monthlyHeld...)),
		c.fig("monthly.voted", "完成投票", "Vote closed", float64(len(c.monthlyClosed)), "", q, c.params("type", "monthly.closed"), slices.Clone(c.monthlyClosed)),
		c.fig("monthly.archived", "已舉行，選票不在檔案中", "Held, ballots not in the archive", float64(len(c.monthlyHeld)), "", q, c.params("type", "monthly.held"), slices.Clone(c.monthlyHeld)),
		c.fig("monthly.candidates", "候選議題", "Candidates", float64(len(cands)), "", q, c.params("type", "monthly.candidate_added"), cands),
		c.fig("monthly.selections", "選出議題", "Topics selected", float64(c.selectionsN), "", q, c.params("type", "monthly.closed", "field", "selected"), slices.Clone(c.selections)),
	}}
}

func (c *computer) ballotSection() Section {
	by := map[string][]eref{}
	for id := range c.monthlyIDs {
		for _, b := range c.ballots[id] {
			if c.ministryOK(b.ministry) {
				by[b.ministry] = append(by[b.ministry], b.ref)
			}
		}
	}
	s := Section{Key: "ballots", ZH: "各部會投票數", EN: "Ballots cast per ministry", Chart: true}
	for _, m := range slices.Sorted(maps.Keys(by)) {
		zh, en := ministryName(c.names, m)
		s.Figures = append(s.Figures, c.fig("ballots."+m, zh, en, float64(len(by[m])), "", "monthly.ballots", c.params("ministry", m), by[m]))
	}
	return s
}

// sourceKeys are the sources cases are counted by: the kinds of
// candidate a monthly meeting selects, and the kinds of case source.
var sourceKeys = []string{
	string(domain.CandidateEstablishedProposal), string(domain.CandidateEYAssignment), string(domain.SourceImported),
	string(domain.CandidateMinistryProposal), string(domain.CandidatePDISProposal), string(domain.SourceVotedTopic),
}

// sourceName names a source from the domain's catalogue: a candidate kind,
// or else a case source kind.
func sourceName(k string) domain.Name {
	if n, ok := domain.NameOf(domain.NamesCandidate, k); ok {
		return n
	}
	n, _ := domain.NameOf(domain.NamesSource, k)
	return n
}

func (c *computer) caseSections() []Section {
	// cases opened by source
	bySource := map[string][]eref{}
	for _, cs := range c.caseList {
		if c.p.contains(cs.openedAt) && c.caseInScope(cs.id) {
			bySource[cs.source] = append(bySource[cs.source], cs.opened)
		}
	}
	src := Section{Key: "cases_by_source", ZH: "新立案件（依來源）", EN: "Cases opened by source", Chart: true}
	for _, k := range sourceKeys {
		if len(bySource[k]) == 0 && (k == string(domain.SourceVotedTopic) || k == string(domain.SourceImported)) {
			continue
		}
		n := sourceName(k)
		src.Figures = append(src.Figures, c.fig("cases.opened."+k, n.ZH, n.EN, float64(len(bySource[k])), "", "cases.opened", c.params("source", k), bySource[k]))
	}

	// stage at the end of the period, and days spent in each stage within it
	atEnd := map[domain.CaseStage][]eref{}
	spent := map[domain.CaseStage]float64{}
	spentRefs := map[domain.CaseStage][]eref{}
	doneSum, doneN, doneRefs := map[domain.CaseStage]float64{}, map[domain.CaseStage]int{}, map[domain.CaseStage][]eref{}
	var historical []eref
	for _, cs := range c.caseList {
		if !cs.openedAt.Before(c.p.To) || !c.caseInScope(cs.id) {
			continue
		}
		var last stint
		stop := cs.countedUntil(c.p.To)
		for i, st := range cs.stints {
			if !st.from.Before(c.p.To) {
				break
			}
			last = st
			end := c.p.To
			if i+1 < len(cs.stints) && cs.stints[i+1].from.Before(c.p.To) {
				end = cs.stints[i+1].from
			}
			end = minTime(end, stop)
			from := st.from
			if from.Before(c.p.From) {
				from = c.p.From
			}
			if end.After(from) && st.stage != domain.StageClosed {
				spent[st.stage] += end.Sub(from).Hours() / 24
				spentRefs[st.stage] = append(spentRefs[st.stage], st.ref)
			}
			// a stint that ended within the period: its whole length
			if i+1 < len(cs.stints) && c.p.contains(cs.stints[i+1].from) && st.stage != domain.StageClosed {
				doneSum[st.stage] += cs.stints[i+1].from.Sub(st.from).Hours() / 24
				doneRefs[st.stage] = append(doneRefs[st.stage], st.ref, cs.stints[i+1].ref)
				doneN[st.stage]++
			}
		}
		if cs.historicalBy(c.p.To) {
			historical = append(historical, cs.endedRef)
			continue
		}
		atEnd[last.stage] = append(atEnd[last.stage], last.ref)
	}
	stages := Section{Key: "cases_by_stage", ZH: "期末各階段案件數", EN: "Cases per stage at the end of the period", Chart: true}
	means := Section{Key: "stage_mean_days", ZH: "各階段平均停留日數（期間內離開該階段者）", EN: "Mean days in a stage (stays that ended within the period)", Chart: true}
	days := Section{Key: "stage_days", ZH: "期間內各階段停留日數（合計）", EN: "Days spent in each stage within the period (all cases)", Chart: true}
	for _, st := range domain.CaseStages() {
		n := st.Name()
		stages.Figures = append(stages.Figures, c.fig("cases.stage."+string(st), n.ZH, n.EN, float64(len(atEnd[st])), "", "cases.stage_at_end", c.params("stage", string(st)), atEnd[st]))
		if st != domain.StageClosed {
			days.Figures = append(days.Figures, c.fig("cases.stage_days."+string(st), n.ZH, n.EN, spent[st], "days", "cases.stage_days", c.params("stage", string(st)), spentRefs[st]))
			mean := 0.0
			if doneN[st] > 0 {
				mean = doneSum[st] / float64(doneN[st])
			}
			means.Figures = append(means.Figures, c.fig("cases.stage_mean_days."+string(st), n.ZH, n.EN, mean, "days", "cases.stage_mean_days", c.params("stage", string(st)), doneRefs[st]))
		}
	}

	stages.Figures = append(stages.Figures, c.historicalFigure(historical))

	// ministries carrying the most cases (as lead, cases open during the period)
	byLead := map[string][]eref{}
	for _, cs := range c.caseList {
		lead, leadRef := cs.leader()
		if lead == "" || !cs.openedAt.Before(c.p.To) || !c.ministryOK(lead) {
			continue
		}
		if cl := closedAt(cs); !cl.IsZero() && cl.Before(c.p.From) {
			continue
		}
		byLead[lead] = append(byLead[lead], cs.opened, leadRef)
	}
	leads := slices.Collect(maps.Keys(byLead))
	slices.SortFunc(leads, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(byLead[b]), len(byLead[a])), cmp.Compare(a, b))
	})
	if len(leads) > 10 {
		leads = leads[:10]
	}
	top := Section{Key: "ministries", ZH: "主辦案件最多的部會", EN: "Ministries leading the most cases", Chart: true}
	for _, m := range leads {
		zh, en := ministryName(c.names, m)
		top.Figures = append(top.Figures, c.fig("ministries."+m, zh, en, float64(len(byLead[m])/2), "", "cases.by_lead", c.params("lead", m), byLead[m]))
	}
	out := []Section{src, stages, days, means, top}
	if imp, ok := c.importedSection(); ok {
		out = append(out, imp)
	}
	return out
}

func closedAt(cs *caseState) time.Time {
	for _, st := range cs.stints {
		if st.stage == domain.StageClosed {
			return st.from
		}
	}
	return time.Time{}
}

// phaseName names a row of the meetings section: a collaborative
// meeting's phase, a collaborative meeting without one, or another kind of
// meeting, in the domain's words.
func phaseName(row string) (zh, en string) {
	collab := domain.MeetingCollaborative.Name()
	if ph, ok := domain.NameOf(domain.NamesPhase, row); ok {
		return collab.ZH + "：" + ph.ZH, "Collaborative: " + strings.ToLower(ph.EN)
	}
	if row == string(domain.MeetingCollaborative) {
		return collab.ZH + "（未標階段）", "Collaborative (no phase)"
	}
	n := domain.MeetingKind(row).Name()
	return n.ZH, n.EN
}

var phaseOrder = []string{"discover", "define", "develop", "deliver", "collaborative", "pre_meeting", "working", "other"}

func (c *computer) meetingSection() Section {
	by := map[string][]eref{}
	for _, h := range c.held {
		if c.f.Ministry == "" || (h.caseID != "" && c.caseInScope(h.caseID)) {
			by[h.phase] = append(by[h.phase], h.ref)
		}
	}
	s := Section{Key: "meetings", ZH: "各階段會議場次", EN: "Meetings held per phase", Chart: true}
	for _, ph := range phaseOrder {
		zh, en := phaseName(ph)
		s.Figures = append(s.Figures, c.fig("meetings."+ph, zh, en, float64(len(by[ph])), "", "meetings.held", c.params("phase", ph), by[ph]))
	}
	return s
}

// transcriptSection counts the speakers' edits made within the period (by
// when they were made, whatever meeting they edit); under a ministry
// filter, only those of meetings of the ministry's cases.
func (c *computer) transcriptSection() Section {
	var edits []eref
	for _, e := range c.edits {
		if c.f.Ministry == "" || (c.meetings[e.meeting] != nil && c.caseInScope(c.meetings[e.meeting].caseID)) {
			edits = append(edits, e.ref)
		}
	}
	return Section{Key: "transcripts", ZH: "逐字稿", EN: "Transcripts", Figures: []Figure{
		c.fig("transcripts.edits", "期間內逐字稿修改次數", "Transcript edits made within the period", float64(len(edits)), "", "transcripts.edits", c.params("type", "transcript.utterance_edited"), edits),
	}}
}

func (c *computer) coverageSection() Section {
	var inv, att []eref
	var nInv, nAtt int
	for _, cs := range c.caseList {
		if !cs.openedAt.Before(c.p.To) || !c.caseInScope(cs.id) {
			continue
		}
		for cat, refs := range cs.categories {
			nInv++
			inv = append(inv, refs...)
			if a := cs.attended[cat]; len(a) > 0 {
				nAtt++
				att = append(att, a...)
			}
		}
	}
	share := 0.0
	if nInv > 0 {
		share = 100 * float64(nAtt) / float64(nInv)
	}
	q := "cases.inclusion"
	return Section{Key: "coverage", ZH: "利害關係人盤點涵蓋率", EN: "Stakeholder inventory coverage", Figures: []Figure{
		c.fig("coverage.inventoried", "已盤點類別（案件×類別）", "Categories inventoried (case × category)", float64(nInv), "", q, c.params(), inv),
		c.fig("coverage.attended", "有出席的類別", "Categories that attended", float64(nAtt), "", q, c.params("present", "true"), att),
		c.fig("coverage.share", "出席涵蓋率", "Share of inventoried categories that attended", share, "%", q, c.params(), append(slices.Clone(inv), att...)),
	}}
}

var verdictNames = map[string][2]string{
	string(domain.VerdictAdopted): {"採納", "Adopted"}, string(domain.VerdictPartly): {"部分採納", "Partly adopted"},
	string(domain.VerdictNotAdopted): {"不採納", "Not adopted"}, string(domain.VerdictDeferred): {"暫緩", "Deferred"},
}

func (c *computer) outcomeSections() []Section {
	var recs []eref
	for _, r := range c.recs {
		if c.caseInScope(r.caseID) {
			recs = append(recs, r.ref)
		}
	}
	dirs := map[string][]eref{}
	for _, d := range c.directives {
		if c.caseInScope(d.caseID) {
			dirs[d.kind] = append(dirs[d.kind], d.ref)
		}
	}
	out := Section{Key: "outcomes", ZH: "建議與院長裁示", EN: "Recommendations and directives", Figures: []Figure{
		c.fig("recommendations", "建議", "Recommendations", float64(len(recs)), "", "cases.recommendations", c.params(), recs),
		c.fig("directives."+string(domain.DirectiveWithinAuthority), "裁示：部會權責內辦理", "Directives: ministries act within their authority", float64(len(dirs[string(domain.DirectiveWithinAuthority)])), "", "cases.directives", c.params("kind", string(domain.DirectiveWithinAuthority)), dirs[string(domain.DirectiveWithinAuthority)]),
		c.fig("directives."+string(domain.DirectiveSpecific), "裁示：具體指示", "Directives: specific", float64(len(dirs[string(domain.DirectiveSpecific)])), "", "cases.directives", c.params("kind", string(domain.DirectiveSpecific)), dirs[string(domain.DirectiveSpecific)]),
	}}
	by := map[string][]eref{}
	for _, r := range c.responses {
		if c.ministryOK(r.ministry) {
			by[r.verdict] = append(by[r.verdict], r.ref)
		}
	}
	resp := Section{Key: "responses", ZH: "部會回應（依結果）", EN: "Ministry responses by outcome", Chart: true}
	for _, v := range []domain.Verdict{domain.VerdictAdopted, domain.VerdictPartly, domain.VerdictNotAdopted, domain.VerdictDeferred} {
		n := verdictNames[string(v)]
		resp.Figures = append(resp.Figures, c.fig("responses."+string(v), n[0], n[1], float64(len(by[string(v)])), "", "cases.responses", c.params("verdict", string(v)), by[string(v)]))
	}
	return []Section{out, resp}
}

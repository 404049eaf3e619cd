package readmodels

import (
	"context"
	"fmt"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// TalliesName is the name of the Tallies projection (its checkpoint, its
// documents, its Reader).
const TalliesName = "tallies"

// Integration events the Tallies projection announces (projections.Emit),
// by name. Keys are "proposal-<id>" or, for milestones,
// "proposal-<id>/<count>". Their payload is a ProposalAnnouncement.
const (
	// AnnounceMilestone: the valid signatures first reached a configured
	// milestone (1,000, 3,000) or the threshold (5,000; Established is then
	// true).
	AnnounceMilestone = "proposal.milestone_reached"
	// AnnounceEstablished: the proposal was established.
	AnnounceEstablished = "proposal.established"
	// AnnounceExpired: the signing window closed below the threshold.
	AnnounceExpired = "proposal.expired"
	// AnnounceDeadlineExtended: a lead ministry extended the response
	// deadline.
	AnnounceDeadlineExtended = "proposal.response_deadline_extended"
	// AnnounceResponded: a lead ministry responded (Ministry; one each).
	AnnounceResponded = "proposal.responded"
	// AnnounceDeadlineMissed: the response deadline was recorded as missed
	// by a lead ministry (Ministry; one for each that had not answered).
	AnnounceDeadlineMissed = "proposal.response_deadline_missed"
	// AnnounceDeadlineNear: the response is due within the configured days.
	// Published by Deadlines, not by the projection.
	AnnounceDeadlineNear = "proposal.response_deadline_near"
)

// Collections of the Tallies projection.
const (
	collProposals     = "proposals"     // <proposal id> → ProposalTally
	collInvalidations = "invalidations" // <proposal id>/<position> → Invalidation
	collDue           = "due"           // <due time>/<proposal id> → DueResponse
	collMonthly       = "monthly"       // <monthly meeting id> → MonthlyTally
)

// Tallies is the read model of proposals and monthly votes: per proposal
// its valid signatures, when and at which position each milestone was
// crossed, its establishment or expiry and its response deadline; per PO
// monthly meeting its candidates, ballots and tally. It announces
// milestones, establishment, expiry and the response's fate (see the
// Announce names) and keeps the open response deadlines that Deadlines
// watches.
//
// Apply is O(1) per event: a signature reads and writes its proposal's one
// small document (decoded once per batch, see projections.Update, and the
// signature read from its JSON: fastSigned); invalidations are documents
// of their own.
type Tallies struct {
	path foldPath
}

var _ projections.Preloader = Tallies{}

// Name implements projections.Projection.
func (Tallies) Name() string { return TalliesName }

// Version implements projections.Projection.
//
// Version 2 keeps every published response of a proposal
// (ProposalTally.Responses): the competent ministry's and the further ones
// (proposal.response_added). Version 3 keeps every lead ministry's own
// answer (Response.Leads) and the co-organisers (decision 0048).
func (Tallies) Version() int { return 3 }

// Apply implements projections.Projection.
func (t Tallies) Apply(ctx context.Context, tx projections.Tx, ev eventstore.Event) error {
	if t.path == fastFold {
		if done, err := fastSigned(ctx, tx, ev); done {
			return err
		}
	}
	return talliesTable.apply(ctx, tx, ev)
}

// signedType is the event type of a signature: most of the log.
var signedType = domain.ProposalSigned{}.EventType()

// fastSigned folds a signature from its JSON, reading only the fields the
// fold uses (signedFields), without decoding the event: decoding is most
// of what a signature costs the read model.
func fastSigned(ctx context.Context, tx projections.Tx, ev eventstore.Event) (bool, error) {
	sf, ok := signedFields(ev)
	if !ok {
		return false, nil
	}
	err := updateProposal(ctx, tx, sf.proposal, func(p *ProposalTally) error {
		p.Signatures++
		p.Valid = sf.count
		// signedStamped, writing the stamp over the last one: the batch's
		// value of the tally (projections.Update) holds the only pointer
		// to it, decoded or made by this fold, so a signature costs no
		// stamp of its own on the heap.
		if p.LastSignature == nil {
			p.LastSignature = new(Stamp)
		}
		*p.LastSignature = stampWith(ev, sf.backdated)
		return nil
	})
	if err != nil {
		return true, fmt.Errorf("%s: %s: %w", TalliesName, ev.Type, err)
	}
	return true, nil
}

// plainSignature is what the read models' fast paths read of a signature.
type plainSignature struct {
	proposal domain.ProposalID
	count    int
	county   string
	// countyKey is CountyOf(county).
	countyKey string
	// backdated is the event's backdateReason.
	backdated string
}

// signedFields reads a signature event's proposal, count and county from
// its JSON. It reports false for anything but the plain shape — another
// event type or schema version, a field it does not know, a value not as
// canonical JSON writes it — which the decoded folds then take.
func signedFields(ev eventstore.Event) (plainSignature, bool) {
	r := readSigned(ev) // read once for tallies and counties
	if r == nil || r.malformed || r.unknown || r.bad != 0 || r.proposal == "" || r.count < 0 {
		return plainSignature{}, false
	}
	return plainSignature{proposal: domain.ProposalID(r.proposal), count: r.count, county: r.county, countyKey: r.countyKey,
		backdated: r.backdated}, true
}

// rawCount is the non-negative integer a raw JSON number holds as
// canonical JSON writes it (digits, no leading zero), or -1.
func rawCount(raw []byte) int {
	if len(raw) == 0 || len(raw) > 9 || (raw[0] == '0' && len(raw) > 1) {
		return -1
	}
	n := 0
	for _, c := range raw {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// signed folds one accepted signature into its proposal's tally.
func signed(p *ProposalTally, ev eventstore.Event, count int) {
	signedStamped(p, stampOf(ev), count)
}

// signedStamped is signed with the event's stamp.
func signedStamped(p *ProposalTally, s Stamp, count int) {
	p.Signatures++
	p.Valid = count
	p.LastSignature = &s
}

// Preload implements projections.Preloader: the proposal's or the monthly
// meeting's document, named by the stream.
func (t Tallies) Preload(ev eventstore.Event) []projections.DocRef {
	return t.AppendPreload(nil, ev)
}

// AppendPreload implements projections.PreloadAppender: Preload appended
// to refs.
func (Tallies) AppendPreload(refs []projections.DocRef, ev eventstore.Event) []projections.DocRef {
	if ev.Type == signedType { // most of the log: the proposal's tally
		if id := domain.StreamOf(domain.StreamProposal, ev.Stream); id != "" {
			return append(refs, projections.DocRef{Collection: collProposals, Key: id})
		}
	}
	return append(refs, talliesPreload(ev)...)
}

// talliesPreload is Preload of any event.
func talliesPreload(ev eventstore.Event) []projections.DocRef {
	if !talliesTable.handles(ev.Type) {
		return nil
	}
	if id := domain.StreamOf(domain.StreamProposal, ev.Stream); id != "" {
		return []projections.DocRef{{Collection: collProposals, Key: id}}
	}
	if id := domain.StreamOf(domain.StreamMonthlyMeeting, ev.Stream); id != "" {
		return []projections.DocRef{{Collection: collMonthly, Key: id}}
	}
	if ev.Type == "case.opened" {
		refs := []projections.DocRef{}
		if p := idField(ev.Data, "sourceRef"); p != "" {
			refs = append(refs, projections.DocRef{Collection: collProposals, Key: p})
		}
		if m := idField(ev.Data, "monthlyMeetingId"); m != "" {
			refs = append(refs, projections.DocRef{Collection: collMonthly, Key: m})
		}
		return refs
	}
	return nil
}

// ---- documents ----

// ProposalTally is a proposal's tally and the fate of its response.
type ProposalTally struct {
	ProposalID string `json:"proposalId"`
	Title      string `json:"title"`
	Summary    string `json:"summary,omitempty"`
	// Proposer is the proposer's pseudonym: auditors only.
	Proposer string `json:"proposer,omitempty" erase:"proposer,Submitted"`
	// CompetentMinistry is the first lead ministry; Leads every lead,
	// each owing its own answer (decision 0048), CoOrganisers the
	// co-organising ministries the publication named.
	CompetentMinistry string                `json:"competentMinistry,omitempty"`
	Leads             []string              `json:"leads,omitempty"`
	CoOrganisers      []string              `json:"coOrganisers,omitempty"`
	Status            domain.ProposalStatus `json:"status"`
	Submitted         *Stamp                `json:"submitted,omitempty"`
	Published         *Stamp                `json:"published,omitempty"`
	// SigningClosesAt is the first instant signatures are refused.
	SigningClosesAt time.Time `json:"signingClosesAt,omitzero"`
	// Threshold is the number of valid signatures that establishes it.
	Threshold int `json:"threshold,omitempty"`
	// ResponsePeriod is how long the ministry has to respond once
	// established.
	ResponsePeriod domain.Period `json:"responsePeriod,omitzero"`
	// Milestones are the configured milestones below the threshold, each
	// with when it was crossed.
	Milestones []Milestone `json:"milestones,omitempty"`
	// Signatures counts every accepted signature; Valid those not
	// invalidated; Invalidated the rest.
	Signatures  int `json:"signatures"`
	Valid       int `json:"valid"`
	Invalidated int `json:"invalidated"`
	// InvalidatedAfterEstablishment counts invalidations recorded after the
	// proposal was established (which never un-establish it).
	InvalidatedAfterEstablishment int `json:"invalidatedAfterEstablishment,omitempty"`
	// LastSignature is the latest accepted signature's stamp.
	LastSignature *Stamp         `json:"lastSignature,omitempty"`
	Established   *Establishment `json:"established,omitempty"`
	Expired       *Expiry        `json:"expired,omitempty"`
	// Response is the response deadline and each lead's answer, once
	// established.
	Response *Response `json:"response,omitempty"`
	// Responses are every published response in the order recorded: the
	// lead ministries' own (Competent) and the further ones, co-organisers'
	// parts and later answers (proposal.response_added).
	Responses []PublishedResponse `json:"responses,omitempty"`
	// Cases are the collaboration cases opened from the proposal.
	Cases []string `json:"cases,omitempty"`
	// SignatureListMissing: the platform's record has no signature list
	// (proposal.signature_list_missing; superseded once Signatures > 0);
	// LateRows counts the platform's rows recorded as made after the close
	// (decision 0056).
	SignatureListMissing bool `json:"signatureListMissing,omitempty"`
	LateRows             int  `json:"lateRows,omitempty"`
}

// Milestone is a configured signature count and when it was first reached.
type Milestone struct {
	Count   int                `json:"count"`
	Reached *MilestoneCrossing `json:"reached,omitempty"`
}

// MilestoneCrossing is the signature that first reached a milestone.
type MilestoneCrossing struct {
	SignatureID string `json:"signatureId"`
	Stamp
}

// Establishment is the signature that brought the valid count to the
// threshold.
type Establishment struct {
	SignatureID string `json:"signatureId"`
	// Signer is the signer's pseudonym: auditors only.
	Signer    string `json:"signer,omitempty" erase:"signer"`
	Count     int    `json:"count"`
	Threshold int    `json:"threshold"`
	Stamp
}

// Expiry records that the window closed below the threshold.
type Expiry struct {
	Count     int `json:"count"`
	Threshold int `json:"threshold"`
	Stamp
}

// Response is an established proposal's response deadline and what became
// of it: each lead ministry owes its own answer by DueAt (decision 0048).
type Response struct {
	// Ministry is the first lead ("" when none is assigned).
	Ministry string `json:"ministry"`
	// OriginalDueAt is the deadline set at establishment; DueAt the one in
	// force.
	OriginalDueAt time.Time   `json:"originalDueAt"`
	DueAt         time.Time   `json:"dueAt"`
	Extensions    []Extension `json:"extensions,omitempty"`
	// Leads are the lead ministries' answers, in the publication's order.
	// Without a lead, it is empty until some ministry answers (its answer
	// is then the response) or the deadline is missed (Ministry "").
	Leads []LeadResponse `json:"leads,omitempty"`
}

// LeadResponse is one lead ministry's answer: its response, or that it
// missed the deadline (recorded), or neither yet.
type LeadResponse struct {
	Ministry  string     `json:"ministry"`
	Responded *Responded `json:"responded,omitempty"`
	// Missed is set when the deadline was recorded as missed by it; it
	// stays when the ministry answers late.
	Missed *Missed `json:"missed,omitempty"`
}

// Answered reports whether every lead has answered (without a lead: some
// ministry has).
func (r *Response) Answered() bool {
	if r == nil || len(r.Leads) == 0 {
		return false
	}
	for _, l := range r.Leads {
		if l.Responded == nil {
			return false
		}
	}
	return true
}

// OnTime reports whether every lead answered, each before the deadline.
func (r *Response) OnTime() bool {
	if !r.Answered() {
		return false
	}
	for _, l := range r.Leads {
		if !l.Responded.OnTime {
			return false
		}
	}
	return true
}

// Settled reports whether no lead still owes an answer without its miss
// being recorded: each answered or recorded as missed.
func (r *Response) Settled() bool {
	if r == nil || len(r.Leads) == 0 {
		return false
	}
	for _, l := range r.Leads {
		if l.Responded == nil && l.Missed == nil {
			return false
		}
	}
	return true
}

// MissedRecorded reports whether a lead that has not answered was recorded
// as having missed the deadline.
func (r *Response) MissedRecorded() bool {
	for _, l := range r.Leads {
		if l.Responded == nil && l.Missed != nil {
			return true
		}
	}
	return false
}

// lead returns m's answer, adding it when the proposal has no lead (the
// first ministry answering is its responder).
func (r *Response) lead(m string) *LeadResponse {
	for i := range r.Leads {
		if r.Leads[i].Ministry == m {
			return &r.Leads[i]
		}
	}
	for i := range r.Leads {
		if r.Leads[i].Ministry == "" && r.Leads[i].Responded == nil {
			// Without a lead, the deadline missed by nobody in
			// particular is the answering ministry's.
			r.Leads[i].Ministry = m
			return &r.Leads[i]
		}
	}
	r.Leads = append(r.Leads, LeadResponse{Ministry: m})
	return &r.Leads[len(r.Leads)-1]
}

// newResponse is the response deadline due at due for the leads.
func newResponse(leads []domain.MinistryID, due time.Time) *Response {
	r := &Response{OriginalDueAt: due, DueAt: due}
	for _, m := range leads {
		r.Leads = append(r.Leads, LeadResponse{Ministry: string(m)})
	}
	if len(leads) > 0 {
		r.Ministry = string(leads[0])
	}
	return r
}

// Extension is an announced extension of the response deadline.
type Extension struct {
	PreviousDueAt time.Time `json:"previousDueAt"`
	DueAt         time.Time `json:"dueAt"`
	Reason        string    `json:"reason"`
	Stamp
}

// Responded is a lead ministry's response (its first answer).
type Responded struct {
	Summary string    `json:"summary"`
	Link    string    `json:"link,omitempty"`
	DueAt   time.Time `json:"dueAt"`
	OnTime  bool      `json:"onTime"`
	Stamp
}

// PublishedResponse is one ministry's published response to a proposal.
type PublishedResponse struct {
	Ministry string `json:"ministry"`
	Summary  string `json:"summary"`
	Link     string `json:"link,omitempty"`
	// Competent marks a lead ministry's response, the one the deadline
	// counts (its LeadResponse.Responded).
	Competent bool `json:"competent,omitempty"`
	Stamp
}

// Missed records that the deadline passed without the ministry's response.
type Missed struct {
	DueAt time.Time `json:"dueAt"`
	Stamp
}

// Invalidation is a signature removed from the tally.
type Invalidation struct {
	SignatureID string `json:"signatureId"`
	// Signer and Reason are for auditors only.
	Signer string `json:"signer,omitempty" erase:"signer"`
	Reason string `json:"reason,omitempty" erase:"reason"`
	// Valid is the number of valid signatures after the removal.
	Valid int `json:"valid"`
	Stamp
}

// DueResponse is an open response deadline: an established proposal with
// no response and not yet recorded as missed.
type DueResponse struct {
	ProposalID string `json:"proposalId"`
	// Ministry is the first lead; Owing every lead that owes its answer
	// (decision 0048: not answered, not recorded as missed).
	Ministry string    `json:"ministry"`
	Owing    []string  `json:"owing,omitempty"`
	DueAt    time.Time `json:"dueAt"`
	// Since is the event that set the deadline in force (the establishment
	// or the latest extension); announcements about this deadline derive
	// their IDs from it.
	Since Stamp `json:"since"`
}

// MonthlyTally is a PO monthly meeting's vote.
type MonthlyTally struct {
	MeetingID string        `json:"meetingId"`
	HeldOn    calendar.Date `json:"heldOn"`
	// Rules are the numbers in force, recorded when it opened.
	Rules    MonthlyRules `json:"rules"`
	Imported bool         `json:"imported,omitempty"`
	Opened   *Stamp       `json:"opened,omitempty"`
	// Candidates in presentation order, with their running votes.
	Candidates []Candidate `json:"candidates"`
	// Ballots in the order cast.
	Ballots []Ballot `json:"ballots"`
	// Closed is the final tally, once the vote closed.
	Closed *MonthlyClosing `json:"closed,omitempty"`
	// Cases are the collaboration cases opened from its selected topics.
	Cases []string `json:"cases,omitempty"`
	// Held is what the transcript of a monthly meeting imported from an
	// archive shows (its ballots are not in the archive).
	Held *MonthlyHeld `json:"held,omitempty"`
}

// MonthlyHeld is an imported monthly meeting recorded as held.
type MonthlyHeld struct {
	// Transcript is the meeting whose transcript shows it.
	Transcript string   `json:"transcript"`
	Speakers   []string `json:"speakers,omitempty"`
	Utterances int      `json:"utterances"`
	Topics     []string `json:"topics,omitempty"`
	Stamp
}

// MonthlyRules are a monthly meeting's numbers.
type MonthlyRules struct {
	MaxChoices                          int `json:"maxChoices"`
	TopicsSelected                      int `json:"topicsSelected"`
	MaxTopicsSelected                   int `json:"maxTopicsSelected"`
	MinDaysBetweenMeetingsSameOrganiser int `json:"minDaysBetweenMeetingsSameOrganiser"`
}

// Candidate is a candidate topic with its votes.
type Candidate struct {
	CandidateID string               `json:"candidateId"`
	Kind        domain.CandidateKind `json:"kind"`
	Title       string               `json:"title"`
	Organiser   string               `json:"organiser"`
	SourceRef   string               `json:"sourceRef,omitempty"`
	Votes       int                  `json:"votes"`
	// Rank is its place in the final tally (from 1), once closed.
	Rank     int  `json:"rank,omitempty"`
	Selected bool `json:"selected,omitempty"`
	// Skipped says which rule kept it out despite its votes.
	Skipped *domain.SkippedCandidate `json:"skipped,omitempty"`
	Added   Stamp                    `json:"added"`
}

// Ballot is one ministry's ballot.
type Ballot struct {
	Ministry string   `json:"ministry"`
	PO       string   `json:"po"`
	Choices  []string `json:"choices"`
	Stamp
}

// MonthlyClosing is the closed vote.
type MonthlyClosing struct {
	Ballots  int                       `json:"ballots"`
	Tally    []domain.TallyEntry       `json:"tally"`
	Selected []domain.SelectedTopic    `json:"selected"`
	Skipped  []domain.SkippedCandidate `json:"skipped,omitempty"`
	Stamp
}

// ProposalAnnouncement is the payload of the Tallies projection's
// integration events.
type ProposalAnnouncement struct {
	ProposalID        string `json:"proposalId"`
	CompetentMinistry string `json:"competentMinistry,omitempty"`
	// Ministry is the lead ministry that responded or missed the deadline
	// (responded and missed announcements).
	Ministry string `json:"ministry,omitempty"`
	// Milestone is the count reached (milestone announcements).
	Milestone int `json:"milestone,omitempty"`
	// Established is true for the threshold's milestone announcement.
	Established bool `json:"established,omitempty"`
	// Valid is the number of valid signatures at the time.
	Valid int `json:"valid"`
	// DueAt is the response deadline in force, once established.
	DueAt time.Time `json:"dueAt,omitzero"`
	// OnTime says whether a response met its deadline.
	OnTime *bool `json:"onTime,omitempty"`
	// Position, EventID and the times name the log event announced.
	Position   eventstore.Position `json:"position"`
	EventID    string              `json:"eventId"`
	OccurredAt time.Time           `json:"occurredAt"`
	RecordedAt time.Time           `json:"recordedAt"`
}

// ---- fold ----

var talliesTable = func() *table {
	t := newTable(TalliesName)
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalSubmitted) error {
		return updateProposal(ctx, tx, e.ProposalID, func(p *ProposalTally) error {
			s := stampOf(ev)
			p.Title, p.Summary, p.Proposer, p.Submitted = e.Title, e.Summary, e.Proposer, &s
			p.Status = domain.ProposalStatusSubmitted
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalPublished) error {
		return updateProposal(ctx, tx, e.ProposalID, func(p *ProposalTally) error {
			s := stampOf(ev)
			p.Published, p.Status = &s, domain.ProposalStatusPublished
			p.CompetentMinistry = string(e.CompetentMinistry)
			p.Leads, p.CoOrganisers = ministryStrings(e.LeadMinistries()), ministryStrings(e.CoOrganisers)
			p.Threshold, p.SigningClosesAt, p.ResponsePeriod = e.Threshold, e.SigningClosesAt.UTC(), e.ResponseDeadline
			p.Milestones = make([]Milestone, len(e.Milestones))
			for i, m := range e.Milestones {
				p.Milestones[i] = Milestone{Count: m}
			}
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalSigned) error {
		return updateProposal(ctx, tx, e.ProposalID, func(p *ProposalTally) error {
			signed(p, ev, e.Count)
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalMilestoneReached) error {
		var p ProposalTally
		err := updateProposal(ctx, tx, e.ProposalID, func(x *ProposalTally) error {
			c := &MilestoneCrossing{SignatureID: e.SignatureID.String(), Stamp: stampOf(ev)}
			found := false
			for i := range x.Milestones {
				if x.Milestones[i].Count == e.Milestone {
					x.Milestones[i].Reached, found = c, true
				}
			}
			if !found {
				x.Milestones = append(x.Milestones, Milestone{Count: e.Milestone, Reached: c})
			}
			p = *x
			return nil
		})
		if err != nil {
			return err
		}
		a := announcement(ev, &p)
		a.Milestone = e.Milestone
		return projections.Emit(ctx, tx, AnnounceMilestone, fmt.Sprintf("%s/%d", ev.Stream, e.Milestone), a)
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalEstablished) error {
		var p ProposalTally
		s := stampOf(ev)
		err := updateProposal(ctx, tx, e.ProposalID, func(x *ProposalTally) error {
			x.Status = domain.ProposalStatusEstablished
			x.Established = &Establishment{SignatureID: e.SignatureID.String(), Signer: string(e.Signer), Count: e.Count, Threshold: e.Threshold, Stamp: s}
			x.Response = newResponse(e.LeadMinistries(), e.ResponseDueAt.UTC())
			p = *x
			return nil
		})
		if err != nil {
			return err
		}
		if err := putDue(ctx, tx, DueResponse{ProposalID: string(e.ProposalID), Ministry: string(e.CompetentMinistry), Owing: p.Response.owing(), DueAt: e.ResponseDueAt.UTC(), Since: s}); err != nil {
			return err
		}
		a := announcement(ev, &p)
		a.Milestone, a.Established = e.Threshold, true
		if err := projections.Emit(ctx, tx, AnnounceMilestone, fmt.Sprintf("%s/%d", ev.Stream, e.Threshold), a); err != nil {
			return err
		}
		a.Milestone, a.Established = 0, false
		return projections.Emit(ctx, tx, AnnounceEstablished, ev.Stream, a)
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalSignatureInvalidated) error {
		err := updateProposal(ctx, tx, e.ProposalID, func(p *ProposalTally) error {
			p.Invalidated++
			p.Valid = e.Count
			if p.Established != nil {
				p.InvalidatedAfterEstablishment++
			}
			return nil
		})
		if err != nil {
			return err
		}
		inv := Invalidation{SignatureID: e.SignatureID.String(), Signer: string(e.Signer), Reason: e.Reason, Valid: e.Count, Stamp: stampOf(ev)}
		return tx.Put(ctx, collInvalidations, string(e.ProposalID)+"/"+posKey(ev.Position), inv)
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalExpired) error {
		var p ProposalTally
		err := updateProposal(ctx, tx, e.ProposalID, func(x *ProposalTally) error {
			x.Status = domain.ProposalStatusExpired
			x.Expired = &Expiry{Count: e.Count, Threshold: e.Threshold, Stamp: stampOf(ev)}
			p = *x
			return nil
		})
		if err != nil {
			return err
		}
		return projections.Emit(ctx, tx, AnnounceExpired, ev.Stream, announcement(ev, &p))
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalResponseDeadlineExtended) error {
		var p ProposalTally
		s := stampOf(ev)
		var old time.Time
		err := updateProposal(ctx, tx, e.ProposalID, func(x *ProposalTally) error {
			if x.Response == nil {
				x.Response = newResponse(nil, e.PreviousDueAt.UTC())
			}
			old = x.Response.DueAt
			x.Response.DueAt = e.DueAt.UTC()
			x.Response.Extensions = append(x.Response.Extensions, Extension{PreviousDueAt: e.PreviousDueAt.UTC(), DueAt: e.DueAt.UTC(), Reason: e.Reason, Stamp: s})
			p = *x
			return nil
		})
		if err != nil {
			return err
		}
		if err := deleteDue(ctx, tx, e.ProposalID, old, e.PreviousDueAt); err != nil {
			return err
		}
		if !p.Response.Settled() {
			if err := putDue(ctx, tx, DueResponse{ProposalID: string(e.ProposalID), Ministry: p.Response.Ministry, Owing: p.Response.owing(), DueAt: e.DueAt.UTC(), Since: s}); err != nil {
				return err
			}
		}
		return projections.Emit(ctx, tx, AnnounceDeadlineExtended, ev.Stream, announcement(ev, &p))
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalResponded) error {
		var p ProposalTally
		err := updateProposal(ctx, tx, e.ProposalID, func(x *ProposalTally) error {
			if x.Response == nil {
				x.Response = newResponse(nil, e.DueAt.UTC())
			}
			x.Response.lead(string(e.Ministry)).Responded = &Responded{Summary: e.Summary, Link: e.Link, DueAt: e.DueAt.UTC(), OnTime: e.OnTime, Stamp: stampOf(ev)}
			x.Responses = append(x.Responses, PublishedResponse{Ministry: string(e.Ministry), Summary: e.Summary, Link: e.Link, Competent: true, Stamp: stampOf(ev)})
			p = *x
			return nil
		})
		if err != nil {
			return err
		}
		if err := settleDue(ctx, tx, e.ProposalID, p.Response, e.DueAt); err != nil {
			return err
		}
		a := announcement(ev, &p)
		a.Ministry = string(e.Ministry)
		onTime := e.OnTime
		a.OnTime = &onTime
		return projections.Emit(ctx, tx, AnnounceResponded, ev.Stream, a)
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalResponseAdded) error {
		return updateProposal(ctx, tx, e.ProposalID, func(x *ProposalTally) error {
			x.Responses = append(x.Responses, PublishedResponse{Ministry: string(e.Ministry), Summary: e.Summary, Link: e.Link, Stamp: stampOf(ev)})
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.ProposalResponseDeadlineMissed) error {
		var p ProposalTally
		err := updateProposal(ctx, tx, e.ProposalID, func(x *ProposalTally) error {
			if x.Response == nil {
				x.Response = newResponse(nil, e.DueAt.UTC())
			}
			x.Response.lead(string(e.Ministry)).Missed = &Missed{DueAt: e.DueAt.UTC(), Stamp: stampOf(ev)}
			p = *x
			return nil
		})
		if err != nil {
			return err
		}
		if err := settleDue(ctx, tx, e.ProposalID, p.Response, e.DueAt); err != nil {
			return err
		}
		a := announcement(ev, &p)
		a.Ministry = string(e.Ministry)
		return projections.Emit(ctx, tx, AnnounceDeadlineMissed, missedKey(ev.Stream, e.Ministry, p.CompetentMinistry), a)
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.CaseOpened) error {
		if e.CandidateKind == domain.CandidateEstablishedProposal && e.SourceRef != "" {
			err := updateProposal(ctx, tx, domain.ProposalID(e.SourceRef), func(p *ProposalTally) error {
				p.Cases = addUnique(p.Cases, string(e.CaseID))
				return nil
			})
			if err != nil {
				return err
			}
		}
		if e.MonthlyMeetingID != "" {
			return updateMonthly(ctx, tx, e.MonthlyMeetingID, func(m *MonthlyTally) error {
				m.Cases = addUnique(m.Cases, string(e.CaseID))
				return nil
			})
		}
		return nil
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MonthlyMeetingOpened) error {
		return updateMonthly(ctx, tx, e.MeetingID, func(m *MonthlyTally) error {
			s := stampOf(ev)
			m.HeldOn, m.Imported, m.Opened = e.HeldOn, e.Imported, &s
			m.Rules = MonthlyRules{MaxChoices: e.MaxChoices, TopicsSelected: e.TopicsSelected, MaxTopicsSelected: e.MaxTopicsSelected, MinDaysBetweenMeetingsSameOrganiser: e.MinDaysBetweenMeetingsSameOrganiser}
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MonthlyMeetingHeld) error {
		return updateMonthly(ctx, tx, e.MeetingID, func(m *MonthlyTally) error {
			m.Held = &MonthlyHeld{Transcript: string(e.Transcript), Speakers: e.Speakers, Utterances: e.Utterances, Topics: e.Topics, Stamp: stampOf(ev)}
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MonthlyCandidateAdded) error {
		return updateMonthly(ctx, tx, e.MeetingID, func(m *MonthlyTally) error {
			m.Candidates = append(m.Candidates, Candidate{CandidateID: string(e.CandidateID), Kind: e.Kind, Title: e.Title, Organiser: string(e.Organiser), SourceRef: e.SourceRef, Added: stampOf(ev)})
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MonthlyBallotCast) error {
		return updateMonthly(ctx, tx, e.MeetingID, func(m *MonthlyTally) error {
			b := Ballot{Ministry: string(e.Ministry), PO: e.PO, Stamp: stampOf(ev)}
			for _, c := range e.Choices {
				b.Choices = append(b.Choices, string(c))
				for i := range m.Candidates {
					if m.Candidates[i].CandidateID == string(c) {
						m.Candidates[i].Votes++
					}
				}
			}
			m.Ballots = append(m.Ballots, b)
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MonthlyMeetingClosed) error {
		return updateMonthly(ctx, tx, e.MeetingID, func(m *MonthlyTally) error {
			m.Closed = &MonthlyClosing{Ballots: e.Ballots, Tally: e.Tally, Selected: e.Selected, Skipped: e.Skipped, Stamp: stampOf(ev)}
			for i := range m.Candidates {
				c := &m.Candidates[i]
				for r, te := range e.Tally {
					if string(te.CandidateID) == c.CandidateID {
						c.Rank, c.Votes = r+1, te.Votes
					}
				}
				for _, s := range e.Selected {
					if string(s.CandidateID) == c.CandidateID {
						c.Selected = true
					}
				}
				for _, s := range e.Skipped {
					if string(s.CandidateID) == c.CandidateID {
						sk := s
						c.Skipped = &sk
					}
				}
			}
			return nil
		})
	})
	t.ignore("the PO registry is not a tally", "registry.ministry_registered", "registry.po_registered", "registry.po_renewed", "registry.po_retired", "registry.po_role_changed")
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.DataErased) error {
		for stream, erased := range erasuresOf(ev, e) {
			id := domain.StreamOf(domain.StreamProposal, stream)
			if id == "" {
				continue
			}
			if err := forgetDoc[ProposalTally](ctx, tx, collProposals, id, erased); err != nil {
				return err
			}
			if err := forgetDocs[Invalidation](ctx, tx, collInvalidations, id+"/", erased); err != nil {
				return err
			}
		}
		return nil
	})
	t.ignore("cases are the case board's", "case.proposal_linked", "case.no_proposal_recorded", "case.record_ended", "case.lead_assigned", "case.co_organiser_added", "case.co_organiser_removed", "case.stage_changed",
		"case.stakeholder_added", "case.interview_recorded", "case.material_added", "case.recommendation_recorded", "case.reported_to_premier",
		"case.directive_recorded", "case.response_recorded")
	t.ignore("meetings are the case board's and the transcripts'", "meeting.scheduled", "meeting.participant_added", "meeting.attendance_recorded",
		"meeting.note_added", "meeting.note_revised", "meeting.note_removed", "meeting.question_posted", "meeting.question_answered",
		"meeting.question_archived", "meeting.recording_added", "meeting.closed")
	t.ignore("transcripts are the transcripts read model's", transcriptTypes...)
	return t
}()

// transcriptTypes are the transcript event types the read models other
// than Transcripts and Trail leave alone. They are listed, not matched by
// prefix, so that a new transcript event type is a decision for every read
// model (TestEventTypeCoverage).
var transcriptTypes = []string{
	"transcript.started", "transcript.utterance_recorded", "transcript.published", "transcript.utterance_edited",
	"transcript.edit_reverted", "transcript.speaker_reattributed", "transcript.imported", "transcript.version_imported",
	"transcript.utterance_corrected", "transcript.utterance_inserted", "transcript.utterance_deleted",
	"transcript.utterance_split", "transcript.utterances_merged", "transcript.utterance_reclassified", "transcript.normalised",
}

func updateProposal(ctx context.Context, tx projections.Tx, id domain.ProposalID, fn func(p *ProposalTally) error) error {
	return projections.Update(ctx, tx, collProposals, string(id), func(p *ProposalTally) error {
		if p.ProposalID == "" {
			p.ProposalID = string(id)
		}
		return fn(p)
	})
}

func updateMonthly(ctx context.Context, tx projections.Tx, id domain.MonthlyMeetingID, fn func(m *MonthlyTally) error) error {
	return projections.Update(ctx, tx, collMonthly, string(id), func(m *MonthlyTally) error {
		if m.MeetingID == "" {
			m.MeetingID = string(id)
		}
		return fn(m)
	})
}

func announcement(ev eventstore.Event, p *ProposalTally) ProposalAnnouncement {
	a := ProposalAnnouncement{
		ProposalID: p.ProposalID, CompetentMinistry: p.CompetentMinistry, Valid: p.Valid,
		Position: ev.Position, EventID: ev.ID.String(), OccurredAt: ev.OccurredAt().UTC(), RecordedAt: ev.RecordedAt.UTC(),
	}
	if p.Response != nil {
		a.DueAt = p.Response.DueAt
	}
	return a
}

// missedKey is a missed deadline's announcement key: the stream for the
// first lead (as before decision 0048) or none, the stream and the lead
// after a slash for the other leads (one announcement each).
func missedKey(stream string, m domain.MinistryID, first string) string {
	if m == "" || string(m) == first {
		return stream
	}
	return stream + "/" + string(m)
}

// ministryStrings are the ministries as strings.
func ministryStrings(ms []domain.MinistryID) []string {
	var out []string
	for _, m := range ms {
		out = append(out, string(m))
	}
	return out
}

// dueKey orders open deadlines by due time.
func dueKey(due time.Time, id string) string {
	return due.UTC().Format("20060102T150405.000000Z") + "/" + id
}

func putDue(ctx context.Context, tx projections.Tx, d DueResponse) error {
	return tx.Put(ctx, collDue, dueKey(d.DueAt, d.ProposalID), d)
}

// settleDue removes the open deadline of a proposal once no lead owes its
// answer (Response.Settled), and otherwise keeps it with the leads that
// still do.
func settleDue(ctx context.Context, tx projections.Tx, id domain.ProposalID, r *Response, evDue time.Time) error {
	if r.Settled() {
		return deleteDue(ctx, tx, id, r.DueAt, evDue)
	}
	var d DueResponse
	ok, err := tx.Get(ctx, collDue, dueKey(r.DueAt, string(id)), &d)
	if err != nil || !ok {
		return err
	}
	d.Owing = r.owing()
	return putDue(ctx, tx, d)
}

// owing are the leads that owe their answer: not answered, not recorded
// as missed.
func (r *Response) owing() []string {
	var out []string
	for _, l := range r.Leads {
		if l.Responded == nil && l.Missed == nil && l.Ministry != "" {
			out = append(out, l.Ministry)
		}
	}
	return out
}

// deleteDue removes the open deadline(s) of a proposal at the given times
// (the read model's and the event's, which agree unless the log skipped
// something).
func deleteDue(ctx context.Context, tx projections.Tx, id domain.ProposalID, dues ...time.Time) error {
	for _, d := range dues {
		if d.IsZero() {
			continue
		}
		if err := tx.Delete(ctx, collDue, dueKey(d, string(id))); err != nil {
			return err
		}
	}
	return nil
}

// ---- queries ----

// Proposal returns a proposal's tally as view v may see it, and whether the
// proposal is known.
func Proposal(ctx context.Context, r projections.Reader, id domain.ProposalID, v View) (ProposalTally, bool, error) {
	p, ok, err := projections.Get[ProposalTally](ctx, r, collProposals, string(id))
	if err != nil || !ok {
		return ProposalTally{}, ok, wrap(err, "proposal tally %s", id)
	}
	return p.For(v), true, nil
}

// For returns the tally as view v may see it: public views leave out the
// proposer's and the establishing signer's pseudonyms and citizens' actor
// IDs.
func (p ProposalTally) For(v View) ProposalTally {
	if v.auditor() {
		return p
	}
	p.Proposer = ""
	p.Submitted = stampPtrFor(p.Submitted, v)
	p.Published = stampPtrFor(p.Published, v)
	p.LastSignature = stampPtrFor(p.LastSignature, v)
	if len(p.Milestones) > 0 {
		ms := make([]Milestone, len(p.Milestones))
		for i, m := range p.Milestones {
			if m.Reached != nil {
				c := *m.Reached
				c.Stamp = c.Stamp.For(v)
				m.Reached = &c
			}
			ms[i] = m
		}
		p.Milestones = ms
	}
	if p.Established != nil {
		e := *p.Established
		e.Signer, e.Stamp = "", e.Stamp.For(v)
		p.Established = &e
	}
	return p
}

// Invalidations returns the signatures removed from a proposal's tally, in
// log order. Public views leave out the signers' pseudonyms and the reasons.
func Invalidations(ctx context.Context, r projections.Reader, id domain.ProposalID, v View) ([]Invalidation, error) {
	var out []Invalidation
	err := projections.ScanAll(ctx, r, collInvalidations, string(id)+"/", func(_ string, inv Invalidation) error {
		if !v.auditor() {
			inv.Signer, inv.Reason = "", ""
		}
		out = append(out, inv)
		return nil
	})
	return out, wrap(err, "invalidations of proposal %s", id)
}

// Monthly returns a PO monthly meeting's vote and whether it is known.
// Everything in it is public.
func Monthly(ctx context.Context, r projections.Reader, id domain.MonthlyMeetingID) (MonthlyTally, bool, error) {
	m, ok, err := projections.Get[MonthlyTally](ctx, r, collMonthly, string(id))
	return m, ok, wrap(err, "monthly tally %s", id)
}

// DueResponses returns the open response deadlines due before until (zero:
// all), earliest first.
func DueResponses(ctx context.Context, r projections.Reader, until time.Time) ([]DueResponse, error) {
	var out []DueResponse
	err := projections.ScanAll(ctx, r, collDue, "", func(_ string, d DueResponse) error {
		if !until.IsZero() && !d.DueAt.Before(until) {
			return errStop
		}
		out = append(out, d)
		return nil
	})
	return out, wrap(scanStopped(err), "due responses")
}

// wrap adds context to a non-nil error.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

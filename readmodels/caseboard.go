package readmodels

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// CaseBoardName is the name of the CaseBoard projection.
const CaseBoardName = "caseboard"

// Collections of the CaseBoard projection.
const (
	collCases        = "cases"        // <case id> → CaseCard
	collCaseMeetings = "meetings"     // <meeting id> → meetingLink
	collParticipants = "participants" // <meeting id>/<participant id> → participantDoc
)

// CaseBoard is the read model of collaboration cases: every case with its
// source, stage, lead and co-organisers, its stage history with durations,
// its meetings, its stakeholder inventory against who attended (inclusion),
// its recommendations and the responses to them.
//
// Apply is O(1) per event in the size of the log: an event reads and writes
// its case's one card (whose size grows with the case's meetings,
// stakeholders and recommendations, not with its transcripts), and a
// participant's small document.
type CaseBoard struct{}

var _ projections.Preloader = CaseBoard{}

// Name implements projections.Projection.
func (CaseBoard) Name() string { return CaseBoardName }

// Version implements projections.Projection.
func (CaseBoard) Version() int { return 1 }

// Apply implements projections.Projection.
func (CaseBoard) Apply(ctx context.Context, tx projections.Tx, ev eventstore.Event) error {
	return caseBoardTable.apply(ctx, tx, ev)
}

// Preload implements projections.Preloader.
func (CaseBoard) Preload(ev eventstore.Event) []projections.DocRef {
	if !caseBoardTable.handles(ev.Type) {
		return nil
	}
	if id := domain.StreamOf(domain.StreamCase, ev.Stream); id != "" {
		return []projections.DocRef{{Collection: collCases, Key: id}}
	}
	if id := domain.StreamOf(domain.StreamMeeting, ev.Stream); id != "" {
		refs := []projections.DocRef{{Collection: collCaseMeetings, Key: id}}
		if c := idField(ev.Data, "caseId"); c != "" {
			refs = append(refs, projections.DocRef{Collection: collCases, Key: c})
		}
		if p := idField(ev.Data, "participantId"); p != "" {
			refs = append(refs, projections.DocRef{Collection: collParticipants, Key: id + "/" + p})
		}
		return refs
	}
	return nil
}

// ---- documents ----

// CaseCard is everything the case board knows of one case.
type CaseCard struct {
	CaseID string     `json:"caseId"`
	Title  string     `json:"title"`
	Source CaseSource `json:"source"`
	Opened *Stamp     `json:"opened,omitempty"`
	// Stage is the current stage; Stages every stage the case went through,
	// in order, the current one last.
	Stage  domain.CaseStage `json:"stage"`
	Stages []StageSpan      `json:"stages"`
	// Lead is the current lead ministry; Leads every (re)assignment.
	Lead  string           `json:"lead,omitempty"`
	Leads []LeadAssignment `json:"leads,omitempty"`
	// CoOrganisers are the current co-organisers; OrganiserChanges every
	// addition and removal.
	CoOrganisers     []string          `json:"coOrganisers,omitempty"`
	OrganiserChanges []OrganiserChange `json:"organiserChanges,omitempty"`
	// Meetings in the order they were scheduled.
	Meetings []MeetingCard `json:"meetings,omitempty"`
	// Stakeholders is the inventory, in the order added.
	Stakeholders    []Stakeholder        `json:"stakeholders,omitempty"`
	Interviews      []Interview          `json:"interviews,omitempty"`
	Materials       []Material           `json:"materials,omitempty"`
	Recommendations []CaseRecommendation `json:"recommendations,omitempty"`
	Report          *Report              `json:"report,omitempty"`
	Directive       *Directive           `json:"directive,omitempty"`
	// Inclusion is, per stakeholder category, the inventory against who
	// was invited and who attended (derived by the query).
	Inclusion []CategoryInclusion `json:"inclusion,omitempty"`
	// Participation counts participants per role across the meetings
	// (derived by the query).
	Participation []RoleParticipation `json:"participation,omitempty"`
	// LastChange is the latest event that changed the card.
	LastChange *Stamp `json:"lastChange,omitempty"`
	// Unanswered maps each recommendation to the addressees that have not
	// responded yet.
	Unanswered map[string][]string `json:"unanswered,omitempty"`
	// Link is the Join proposal an imported case was linked to, with the
	// evidence (Source.ProposalID names it too).
	Link *ProposalLink `json:"link,omitempty"`
	// NoProposal says a person reviewed the imported case and found it
	// came from no Join proposal in the dataset.
	NoProposal *NoProposal `json:"noProposal,omitempty"`
	// RecordEnded says the archive's record of an imported case ends: the
	// case is historical, at its last known stage, its outcome not in the
	// archive.
	RecordEnded *RecordEnd `json:"recordEnded,omitempty"`
}

// ProposalLink is the Join proposal an imported case came from.
type ProposalLink struct {
	ProposalID string `json:"proposalId"`
	// Topic is the proposal's title.
	Topic    string `json:"topic"`
	Ministry string `json:"ministry,omitempty"`
	Evidence string `json:"evidence"`
	Reviewed bool   `json:"reviewed,omitempty"`
	Stamp    Stamp  `json:"stamp"`
}

// NoProposal is a person's review of an imported case: it came from no
// Join proposal in the dataset.
type NoProposal struct {
	// Evidence says where the review is written and why.
	Evidence string `json:"evidence"`
	Stamp    Stamp  `json:"stamp"`
}

// RecordEnd is where the archive's record of an imported case ends.
type RecordEnd struct {
	// Stage is the last known stage.
	Stage        domain.CaseStage `json:"stage"`
	LastRecordAt time.Time        `json:"lastRecordAt"`
	Archive      string           `json:"archive"`
	Stamp        Stamp            `json:"stamp"`
}

// Historical reports whether the case is historical: the archive's record
// of it ends, and nothing is known of its outcome.
func (c CaseCard) Historical() bool { return c.RecordEnded != nil }

// CaseSource is where a case came from.
type CaseSource struct {
	Kind             domain.CaseSourceKind `json:"kind"`
	MonthlyMeetingID string                `json:"monthlyMeetingId,omitempty"`
	CandidateID      string                `json:"candidateId,omitempty"`
	CandidateKind    domain.CandidateKind  `json:"candidateKind,omitempty"`
	// Ref is the candidate's source or the assignment's reference.
	Ref string `json:"ref,omitempty"`
	// ProposalID is the Join proposal the case came from, if any.
	ProposalID string `json:"proposalId,omitempty"`
	// Organiser is the organising ministry the vote named.
	Organiser string `json:"organiser,omitempty"`
}

// StageSpan is a stretch of time a case spent in one stage.
type StageSpan struct {
	Stage domain.CaseStage `json:"stage"`
	// From is the stage before ("" for the first).
	From      domain.CaseStage `json:"from,omitempty"`
	Reason    string           `json:"reason,omitempty"`
	Withdrawn bool             `json:"withdrawn,omitempty"`
	Entered   Stamp            `json:"entered"`
	// Left is the change that ended the stage; nil for the current stage.
	Left *Stamp `json:"left,omitempty"`
	// DurationSeconds is the time spent in the stage on the occurred-at
	// clock (how it unfolded), once left.
	DurationSeconds int64 `json:"durationSeconds,omitempty"`
}

// Duration returns the time spent in the stage on the occurred-at clock,
// up to now for the current stage.
func (s StageSpan) Duration(now time.Time) time.Duration {
	if s.Left != nil {
		return s.Left.OccurredAt.Sub(s.Entered.OccurredAt)
	}
	return now.Sub(s.Entered.OccurredAt)
}

// LeadAssignment is one (re)assignment of the lead ministry.
type LeadAssignment struct {
	Ministry string `json:"ministry"`
	Previous string `json:"previous,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Stamp
}

// OrganiserChange is a co-organiser added or removed.
type OrganiserChange struct {
	Ministry string `json:"ministry"`
	Added    bool   `json:"added"`
	Reason   string `json:"reason,omitempty"`
	Stamp
}

// MeetingCard is a meeting of a case, as the board shows it.
type MeetingCard struct {
	MeetingID string             `json:"meetingId"`
	Kind      domain.MeetingKind `json:"kind"`
	Phase     domain.Phase       `json:"phase,omitempty"`
	Title     string             `json:"title"`
	StartsAt  time.Time          `json:"startsAt"`
	Organiser string             `json:"organiser,omitempty"`
	Voted     bool               `json:"voted,omitempty"`
	Imported  bool               `json:"imported,omitempty"`
	Scheduled Stamp              `json:"scheduled"`
	Closed    *Stamp             `json:"closed,omitempty"`
	// Invited and Attended count participants (attended: recorded present).
	Invited  int `json:"invited"`
	Attended int `json:"attended"`
	// ByRole counts invited and attending participants per role.
	ByRole map[domain.ParticipantRole]*RoleCount `json:"byRole,omitempty"`
}

// RoleCount counts participants of one role.
type RoleCount struct {
	Invited  int `json:"invited"`
	Attended int `json:"attended"`
}

// Stakeholder is an entry of the stakeholder inventory and its
// participation in the case's meetings.
type Stakeholder struct {
	StakeholderID string                     `json:"stakeholderId"`
	Category      domain.StakeholderCategory `json:"category"`
	Name          string                     `json:"name"`
	Note          string                     `json:"note,omitempty"`
	Added         Stamp                      `json:"added"`
	// Interviews names the interviews that heard the stakeholder.
	Interviews []string `json:"interviews,omitempty"`
	// Invited and Attended list meeting participations linked to the
	// stakeholder (attended: recorded present).
	Invited  []Participation `json:"invited,omitempty"`
	Attended []Participation `json:"attended,omitempty"`
}

// Participation links a stakeholder to a participant of a meeting.
type Participation struct {
	MeetingID     string `json:"meetingId"`
	ParticipantID string `json:"participantId"`
}

// Interview is a stakeholder interview.
type Interview struct {
	InterviewID  string   `json:"interviewId"`
	Stakeholders []string `json:"stakeholders"`
	Summary      string   `json:"summary"`
	Stamp
}

// Material is a material supplied to the case, by hash and link.
type Material struct {
	MaterialID string `json:"materialId"`
	Title      string `json:"title"`
	SHA256     string `json:"sha256"`
	URL        string `json:"url"`
	SuppliedBy string `json:"suppliedBy,omitempty"`
	Stamp
}

// CaseRecommendation is a recommendation of the case and the ministries'
// responses to it.
type CaseRecommendation struct {
	RecommendationID string   `json:"recommendationId"`
	MeetingID        string   `json:"meetingId"`
	Text             string   `json:"text"`
	Addressees       []string `json:"addressees"`
	// Sources are what it came from: utterances, notes and questions of
	// its meeting, stakeholders, the case's proposal.
	Sources   []domain.RecommendationSource `json:"sources,omitempty"`
	Responses []CaseResponse                `json:"responses,omitempty"`
	Stamp
}

// CaseResponse is a ministry's response to a recommendation. A later
// response of the same ministry supersedes it (both are kept).
type CaseResponse struct {
	Ministry   string         `json:"ministry"`
	Verdict    domain.Verdict `json:"verdict"`
	Reasons    string         `json:"reasons"`
	FollowUp   string         `json:"followUp,omitempty"`
	Superseded bool           `json:"superseded,omitempty"`
	Stamp
}

// Report is the report to the Premier.
type Report struct {
	Summary         string   `json:"summary"`
	Link            string   `json:"link,omitempty"`
	Recommendations []string `json:"recommendations"`
	Stamp
}

// Directive is the Premier's directive.
type Directive struct {
	Kind domain.DirectiveKind `json:"kind"`
	Text string               `json:"text"`
	Stamp
}

// CategoryInclusion is, for one stakeholder category, how many
// stakeholders were inventoried, invited to a meeting of the case and
// recorded present at one: inclusion at a glance.
type CategoryInclusion struct {
	Category    domain.StakeholderCategory `json:"category"`
	Inventoried int                        `json:"inventoried"`
	Invited     int                        `json:"invited"`
	Attended    int                        `json:"attended"`
	// NeverAttended names the inventoried stakeholders recorded present at
	// no meeting.
	NeverAttended []string `json:"neverAttended,omitempty"`
}

// RoleParticipation counts, for one participant role, participations
// across the case's meetings.
type RoleParticipation struct {
	Role     domain.ParticipantRole `json:"role"`
	Invited  int                    `json:"invited"`
	Attended int                    `json:"attended"`
}

type meetingLink struct {
	CaseID string `json:"caseId"`
}

type participantDoc struct {
	CaseID        string                 `json:"caseId"`
	Role          domain.ParticipantRole `json:"role"`
	StakeholderID string                 `json:"stakeholderId,omitempty"`
	Present       bool                   `json:"present"`
}

// ---- fold ----

var caseBoardTable = func() *table {
	t := newTable(CaseBoardName)
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.CaseOpened) error {
		return updateCase(ctx, tx, e.CaseID, ev, func(c *CaseCard) error {
			s := stampOf(ev)
			c.Title, c.Opened, c.Stage = e.Title, &s, domain.StageTopicSet
			c.Source = CaseSource{Kind: e.SourceKind, MonthlyMeetingID: string(e.MonthlyMeetingID), CandidateID: string(e.CandidateID), CandidateKind: e.CandidateKind, Ref: e.SourceRef, Organiser: string(e.Organiser)}
			if e.CandidateKind == domain.CandidateEstablishedProposal {
				c.Source.ProposalID = e.SourceRef
			}
			c.Stages = append(c.Stages, StageSpan{Stage: domain.StageTopicSet, Entered: s})
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.CaseLeadAssigned) error {
		return updateCase(ctx, tx, e.CaseID, ev, func(c *CaseCard) error {
			c.Lead = string(e.Ministry)
			c.CoOrganisers = slices.DeleteFunc(c.CoOrganisers, func(m string) bool { return m == string(e.Ministry) })
			c.Leads = append(c.Leads, LeadAssignment{Ministry: string(e.Ministry), Previous: string(e.Previous), Reason: e.Reason, Stamp: stampOf(ev)})
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.CaseCoOrganiserAdded) error {
		return updateCase(ctx, tx, e.CaseID, ev, func(c *CaseCard) error {
			c.CoOrganisers = addUnique(c.CoOrganisers, string(e.Ministry))
			c.OrganiserChanges = append(c.OrganiserChanges, OrganiserChange{Ministry: string(e.Ministry), Added: true, Reason: e.Reason, Stamp: stampOf(ev)})
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.CaseCoOrganiserRemoved) error {
		return updateCase(ctx, tx, e.CaseID, ev, func(c *CaseCard) error {
			c.CoOrganisers = slices.DeleteFunc(c.CoOrganisers, func(m string) bool { return m == string(e.Ministry) })
			c.OrganiserChanges = append(c.OrganiserChanges, OrganiserChange{Ministry: string(e.Ministry), Reason: e.Reason, Stamp: stampOf(ev)})
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.CaseStageChanged) error {
		return updateCase(ctx, tx, e.CaseID, ev, func(c *CaseCard) error {
			s := stampOf(ev)
			if n := len(c.Stages); n > 0 && c.Stages[n-1].Left == nil {
				last := &c.Stages[n-1]
				last.Left = &s
				last.DurationSeconds = int64(s.OccurredAt.Sub(last.Entered.OccurredAt) / time.Second)
			}
			c.Stage = e.To
			c.Stages = append(c.Stages, StageSpan{Stage: e.To, From: e.From, Reason: e.Reason, Withdrawn: e.Withdrawn, Entered: s})
			c.RecordEnded = nil
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.CaseProposalLinked) error {
		return updateCase(ctx, tx, e.CaseID, ev, func(c *CaseCard) error {
			c.Source.ProposalID = string(e.ProposalID)
			c.Link = &ProposalLink{ProposalID: string(e.ProposalID), Topic: e.Topic, Ministry: string(e.Ministry), Evidence: e.Evidence, Reviewed: e.Reviewed, Stamp: stampOf(ev)}
			c.NoProposal = nil
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.CaseNoProposalRecorded) error {
		return updateCase(ctx, tx, e.CaseID, ev, func(c *CaseCard) error {
			c.Source.ProposalID, c.Link = "", nil
			c.NoProposal = &NoProposal{Evidence: e.Evidence, Stamp: stampOf(ev)}
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.CaseRecordEnded) error {
		return updateCase(ctx, tx, e.CaseID, ev, func(c *CaseCard) error {
			c.RecordEnded = &RecordEnd{Stage: e.Stage, LastRecordAt: e.LastRecordAt, Archive: e.Archive, Stamp: stampOf(ev)}
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.CaseStakeholderAdded) error {
		return updateCase(ctx, tx, e.CaseID, ev, func(c *CaseCard) error {
			c.Stakeholders = append(c.Stakeholders, Stakeholder{StakeholderID: string(e.StakeholderID), Category: e.Category, Name: e.Name, Note: e.Note, Added: stampOf(ev)})
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.CaseInterviewRecorded) error {
		return updateCase(ctx, tx, e.CaseID, ev, func(c *CaseCard) error {
			iv := Interview{InterviewID: string(e.InterviewID), Summary: e.Summary, Stamp: stampOf(ev)}
			for _, s := range e.Stakeholders {
				iv.Stakeholders = append(iv.Stakeholders, string(s))
				if st := c.stakeholder(string(s)); st != nil {
					st.Interviews = addUnique(st.Interviews, string(e.InterviewID))
				}
			}
			c.Interviews = append(c.Interviews, iv)
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.CaseMaterialAdded) error {
		return updateCase(ctx, tx, e.CaseID, ev, func(c *CaseCard) error {
			c.Materials = append(c.Materials, Material{MaterialID: string(e.MaterialID), Title: e.Title, SHA256: e.SHA256, URL: e.URL, SuppliedBy: string(e.SuppliedBy), Stamp: stampOf(ev)})
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.CaseRecommendationRecorded) error {
		return updateCase(ctx, tx, e.CaseID, ev, func(c *CaseCard) error {
			r := CaseRecommendation{RecommendationID: string(e.RecommendationID), MeetingID: string(e.MeetingID), Text: e.Text, Sources: e.Sources, Stamp: stampOf(ev)}
			for _, m := range e.Addressees {
				r.Addressees = append(r.Addressees, string(m))
			}
			c.Recommendations = append(c.Recommendations, r)
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.CaseReportedToPremier) error {
		return updateCase(ctx, tx, e.CaseID, ev, func(c *CaseCard) error {
			r := &Report{Summary: e.Summary, Link: e.Link, Stamp: stampOf(ev)}
			for _, id := range e.Recommendations {
				r.Recommendations = append(r.Recommendations, string(id))
			}
			c.Report = r
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.CaseDirectiveRecorded) error {
		return updateCase(ctx, tx, e.CaseID, ev, func(c *CaseCard) error {
			c.Directive = &Directive{Kind: e.Kind, Text: e.Text, Stamp: stampOf(ev)}
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.CaseResponseRecorded) error {
		return updateCase(ctx, tx, e.CaseID, ev, func(c *CaseCard) error {
			for i := range c.Recommendations {
				r := &c.Recommendations[i]
				if r.RecommendationID != string(e.RecommendationID) {
					continue
				}
				for j := range r.Responses {
					if r.Responses[j].Ministry == string(e.Ministry) {
						r.Responses[j].Superseded = true
					}
				}
				r.Responses = append(r.Responses, CaseResponse{Ministry: string(e.Ministry), Verdict: e.Verdict, Reasons: e.Reasons, FollowUp: e.FollowUp, Stamp: stampOf(ev)})
			}
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MeetingScheduled) error {
		if e.CaseID == "" {
			return nil
		}
		if err := tx.Put(ctx, collCaseMeetings, string(e.MeetingID), meetingLink{CaseID: string(e.CaseID)}); err != nil {
			return err
		}
		return updateCase(ctx, tx, e.CaseID, ev, func(c *CaseCard) error {
			c.Meetings = append(c.Meetings, MeetingCard{MeetingID: string(e.MeetingID), Kind: e.Kind, Phase: e.Phase, Title: e.Title, StartsAt: e.StartsAt.UTC(), Organiser: string(e.Organiser), Voted: e.Voted, Imported: e.Imported, Scheduled: stampOf(ev)})
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MeetingParticipantAdded) error {
		link, ok, err := projections.Get[meetingLink](ctx, tx, collCaseMeetings, string(e.MeetingID))
		if err != nil || !ok {
			return err
		}
		p := participantDoc{CaseID: link.CaseID, Role: e.Role, StakeholderID: string(e.StakeholderID)}
		if err := tx.Put(ctx, collParticipants, string(e.MeetingID)+"/"+string(e.ParticipantID), p); err != nil {
			return err
		}
		return updateCase(ctx, tx, domain.CaseID(link.CaseID), ev, func(c *CaseCard) error {
			if m := c.meeting(string(e.MeetingID)); m != nil {
				m.Invited++
				m.role(e.Role).Invited++
			}
			if st := c.stakeholder(string(e.StakeholderID)); st != nil {
				st.Invited = addUnique(st.Invited, Participation{MeetingID: string(e.MeetingID), ParticipantID: string(e.ParticipantID)})
			}
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MeetingAttendanceRecorded) error {
		key := string(e.MeetingID) + "/" + string(e.ParticipantID)
		p, ok, err := projections.Get[participantDoc](ctx, tx, collParticipants, key)
		if err != nil || !ok || p.Present == e.Present {
			return err
		}
		p.Present = e.Present
		if err := tx.Put(ctx, collParticipants, key, p); err != nil {
			return err
		}
		delta := 1
		if !e.Present {
			delta = -1
		}
		return updateCase(ctx, tx, domain.CaseID(p.CaseID), ev, func(c *CaseCard) error {
			if m := c.meeting(string(e.MeetingID)); m != nil {
				m.Attended += delta
				m.role(p.Role).Attended += delta
			}
			if st := c.stakeholder(p.StakeholderID); st != nil {
				part := Participation{MeetingID: string(e.MeetingID), ParticipantID: string(e.ParticipantID)}
				if e.Present {
					st.Attended = addUnique(st.Attended, part)
				} else {
					st.Attended = slices.DeleteFunc(st.Attended, func(x Participation) bool { return x == part })
				}
			}
			return nil
		})
	})
	on(t, func(ctx context.Context, tx projections.Tx, ev eventstore.Event, e domain.MeetingClosed) error {
		link, ok, err := projections.Get[meetingLink](ctx, tx, collCaseMeetings, string(e.MeetingID))
		if err != nil || !ok {
			return err
		}
		return updateCase(ctx, tx, domain.CaseID(link.CaseID), ev, func(c *CaseCard) error {
			if m := c.meeting(string(e.MeetingID)); m != nil {
				s := stampOf(ev)
				m.Closed = &s
			}
			return nil
		})
	})
	t.ignore("proposals are the tallies'", "proposal.submitted", "proposal.published", "proposal.signed", "proposal.milestone_reached",
		"proposal.established", "proposal.signature_invalidated", "proposal.expired", "proposal.response_deadline_extended",
		"proposal.responded", "proposal.response_added", "proposal.response_deadline_missed",
		"proposal.signature_list_missing", "proposal.late_signatures_recorded", "proposal.leads_assigned")
	t.ignore("the PO registry is not on the board", "registry.ministry_registered", "registry.po_registered", "registry.po_renewed", "registry.po_retired", "registry.po_role_changed")
	t.ignore("an erasure changes no caseboard fact: it deletes sealed values beside the log", "ledger.data_erased")
	t.ignore("votes are the tallies'", "monthly.opened", "monthly.candidate_added", "monthly.ballot_cast", "monthly.closed", "monthly.held")
	t.ignore("notes, questions and recordings are the meeting page's (transcripts read model)", "meeting.note_added", "meeting.note_revised",
		"meeting.note_removed", "meeting.question_posted", "meeting.question_answered", "meeting.question_archived", "meeting.recording_added")
	t.ignore("transcripts are the transcripts read model's", transcriptTypes...)
	return t
}()

func updateCase(ctx context.Context, tx projections.Tx, id domain.CaseID, ev eventstore.Event, fn func(c *CaseCard) error) error {
	return projections.Update(ctx, tx, collCases, string(id), func(c *CaseCard) error {
		if c.CaseID == "" {
			c.CaseID = string(id)
		}
		if err := fn(c); err != nil {
			return err
		}
		s := stampOf(ev)
		c.LastChange = &s
		return nil
	})
}

func (c *CaseCard) meeting(id string) *MeetingCard {
	for i := range c.Meetings {
		if c.Meetings[i].MeetingID == id {
			return &c.Meetings[i]
		}
	}
	return nil
}

func (c *CaseCard) stakeholder(id string) *Stakeholder {
	if id == "" {
		return nil
	}
	for i := range c.Stakeholders {
		if c.Stakeholders[i].StakeholderID == id {
			return &c.Stakeholders[i]
		}
	}
	return nil
}

func (m *MeetingCard) role(r domain.ParticipantRole) *RoleCount {
	if m.ByRole == nil {
		m.ByRole = map[domain.ParticipantRole]*RoleCount{}
	}
	rc := m.ByRole[r]
	if rc == nil {
		rc = &RoleCount{}
		m.ByRole[r] = rc
	}
	return rc
}

// finish fills what a query derives from the stored card: inclusion per
// stakeholder category, participation per role and the recommendations
// still waiting for a response.
func (c *CaseCard) finish() {
	c.Inclusion = nil
	for _, cat := range domain.StakeholderCategories() {
		ci := CategoryInclusion{Category: cat}
		for _, s := range c.Stakeholders {
			if s.Category != cat {
				continue
			}
			ci.Inventoried++
			if len(s.Invited) > 0 {
				ci.Invited++
			}
			if len(s.Attended) > 0 {
				ci.Attended++
			} else {
				ci.NeverAttended = append(ci.NeverAttended, s.Name)
			}
		}
		c.Inclusion = append(c.Inclusion, ci)
	}
	c.Participation = nil
	roles := map[domain.ParticipantRole]*RoleParticipation{}
	var order []domain.ParticipantRole
	for _, m := range c.Meetings {
		for r, rc := range m.ByRole {
			rp := roles[r]
			if rp == nil {
				rp = &RoleParticipation{Role: r}
				roles[r] = rp
				order = append(order, r)
			}
			rp.Invited += rc.Invited
			rp.Attended += rc.Attended
		}
	}
	slices.Sort(order)
	for _, r := range order {
		c.Participation = append(c.Participation, *roles[r])
	}
	c.Unanswered = nil
	for _, r := range c.Recommendations {
		for _, m := range r.Addressees {
			answered := false
			for _, resp := range r.Responses {
				answered = answered || resp.Ministry == m
			}
			if !answered {
				if c.Unanswered == nil {
					c.Unanswered = map[string][]string{}
				}
				c.Unanswered[r.RecommendationID] = append(c.Unanswered[r.RecommendationID], m)
			}
		}
	}
}

// For returns the card as view v may see it: public views leave out the
// pseudonyms of citizens and proposers in every stamp.
func (c CaseCard) For(v View) CaseCard {
	if v.auditor() {
		return c
	}
	c.Opened = stampPtrFor(c.Opened, v)
	c.LastChange = stampPtrFor(c.LastChange, v)
	c.Stages = slices.Clone(c.Stages)
	for i := range c.Stages {
		c.Stages[i].Entered = c.Stages[i].Entered.For(v)
		c.Stages[i].Left = stampPtrFor(c.Stages[i].Left, v)
	}
	c.Leads = mapStamps(c.Leads, func(x *LeadAssignment) *Stamp { return &x.Stamp }, v)
	c.OrganiserChanges = mapStamps(c.OrganiserChanges, func(x *OrganiserChange) *Stamp { return &x.Stamp }, v)
	c.Meetings = mapStamps(c.Meetings, func(x *MeetingCard) *Stamp { return &x.Scheduled }, v)
	c.Stakeholders = mapStamps(c.Stakeholders, func(x *Stakeholder) *Stamp { return &x.Added }, v)
	c.Interviews = mapStamps(c.Interviews, func(x *Interview) *Stamp { return &x.Stamp }, v)
	c.Materials = mapStamps(c.Materials, func(x *Material) *Stamp { return &x.Stamp }, v)
	c.Recommendations = mapStamps(c.Recommendations, func(x *CaseRecommendation) *Stamp { return &x.Stamp }, v)
	return c
}

// mapStamps returns a copy of list with each item's stamp as view v may
// see it.
func mapStamps[T any](list []T, stamp func(*T) *Stamp, v View) []T {
	if list == nil {
		return nil
	}
	out := slices.Clone(list)
	for i := range out {
		s := stamp(&out[i])
		*s = s.For(v)
	}
	return out
}

// ---- queries ----

// Case returns a case's card as view v may see it, with its inclusion
// figures, and whether the case is known.
func Case(ctx context.Context, r projections.Reader, id domain.CaseID, v View) (CaseCard, bool, error) {
	c, ok, err := projections.Get[CaseCard](ctx, r, collCases, string(id))
	if err != nil || !ok {
		return CaseCard{}, ok, wrap(err, "case %s", id)
	}
	c.finish()
	return c.For(v), true, nil
}

// CaseFilter selects cases for Cases. Zero fields select everything.
type CaseFilter struct {
	// Stage selects cases in this stage.
	Stage domain.CaseStage
	// Ministry selects cases it leads or co-organises.
	Ministry string
	// Source selects cases of this source kind.
	Source domain.CaseSourceKind
	// Open selects cases that are not closed and not historical (an
	// imported case whose archive record ended is not open: its outcome is
	// unknown).
	Open bool
}

// CaseSummary is a case as the board's list shows it.
type CaseSummary struct {
	CaseID     string                `json:"caseId"`
	Title      string                `json:"title"`
	Source     domain.CaseSourceKind `json:"source"`
	ProposalID string                `json:"proposalId,omitempty"`
	Stage      domain.CaseStage      `json:"stage"`
	StageSince time.Time             `json:"stageSince"`
	Lead       string                `json:"lead,omitempty"`
	// LinkedLead is, for an imported case with no lead assigned, the lead
	// ministry of the Join proposal it was linked to (the link event's);
	// "" when it has a lead, is not linked or the proposal named none.
	LinkedLead   string    `json:"linkedLead,omitempty"`
	CoOrganisers []string  `json:"coOrganisers,omitempty"`
	Meetings     int       `json:"meetings"`
	Opened       time.Time `json:"opened"`
	LastChange   time.Time `json:"lastChange"`
	// CategoriesInventoried and CategoriesAttended count stakeholder
	// categories with at least one stakeholder inventoried, or present.
	CategoriesInventoried int `json:"categoriesInventoried"`
	CategoriesAttended    int `json:"categoriesAttended"`
	// Topic is the linked Join proposal's title (imported cases).
	Topic string `json:"topic,omitempty"`
	// Historical: the archive's record of the case ends at LastRecordAt;
	// Stage is then its last known stage, its outcome not in the archive.
	Historical   bool      `json:"historical,omitempty"`
	LastRecordAt time.Time `json:"lastRecordAt,omitzero"`
}

// Leader is the ministry the case is shown under as its lead: its assigned
// lead, else the linked Join proposal's (LinkedLead), else "".
func (c CaseSummary) Leader() string {
	if c.Lead != "" {
		return c.Lead
	}
	return c.LinkedLead
}

// Cases returns the cases f selects, in the order they were opened.
func Cases(ctx context.Context, r projections.Reader, f CaseFilter) ([]CaseSummary, error) {
	type item struct {
		pos eventstore.Position
		s   CaseSummary
	}
	var items []item
	err := projections.ScanAll(ctx, r, collCases, "", func(_ string, c CaseCard) error {
		if f.Stage != "" && c.Stage != f.Stage || f.Source != "" && c.Source.Kind != f.Source || f.Open && (c.Stage == domain.StageClosed || c.Historical()) {
			return nil
		}
		if f.Ministry != "" && c.Lead != f.Ministry && !slices.Contains(c.CoOrganisers, f.Ministry) {
			return nil
		}
		c.finish()
		s := CaseSummary{CaseID: c.CaseID, Title: c.Title, Source: c.Source.Kind, ProposalID: c.Source.ProposalID, Stage: c.Stage,
			Lead: c.Lead, CoOrganisers: c.CoOrganisers, Meetings: len(c.Meetings)}
		if n := len(c.Stages); n > 0 {
			s.StageSince = c.Stages[n-1].Entered.OccurredAt
		}
		if c.Link != nil {
			s.Topic = c.Link.Topic
			if c.Lead == "" {
				s.LinkedLead = c.Link.Ministry
			}
		}
		if c.RecordEnded != nil {
			s.Historical, s.LastRecordAt = true, c.RecordEnded.LastRecordAt
		}
		var pos eventstore.Position
		if c.Opened != nil {
			s.Opened, pos = c.Opened.OccurredAt, c.Opened.Position
		}
		if c.LastChange != nil {
			s.LastChange = c.LastChange.OccurredAt
		}
		for _, ci := range c.Inclusion {
			if ci.Inventoried > 0 {
				s.CategoriesInventoried++
			}
			if ci.Attended > 0 {
				s.CategoriesAttended++
			}
		}
		items = append(items, item{pos, s})
		return nil
	})
	if err != nil {
		return nil, wrap(err, "cases")
	}
	slices.SortStableFunc(items, func(a, b item) int {
		if a.pos != b.pos {
			if a.pos < b.pos {
				return -1
			}
			return 1
		}
		return strings.Compare(a.s.CaseID, b.s.CaseID)
	})
	out := make([]CaseSummary, len(items))
	for i, it := range items {
		out[i] = it.s
	}
	return out, nil
}

package readmodels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/projections"
)

// DefaultNearDays is how many days before a response deadline Deadlines
// announces it as near.
const DefaultNearDays = 14

// DeadlinesConfig configures a Deadlines job.
type DeadlinesConfig struct {
	// Tallies reads the Tallies read model (runner.Reader(TalliesName)).
	Tallies projections.Reader
	// Publisher receives the "deadline near" announcements on Topic (the
	// Runner's publisher, so that consumers see them with the projections'
	// own announcements).
	Publisher message.Publisher
	// Topic defaults to projections.DefaultTopic.
	Topic string
	// NearDays: a response due within this many days is near. Default
	// DefaultNearDays.
	NearDays int
}

// Deadlines is the clock-driven half of the response deadlines: given the
// time, it announces responses due soon (AnnounceDeadlineNear, once per
// proposal and deadline) and reports the overdue ones, for the server to
// record with domain.MarkResponseOverdue through the command side (the
// Tallies projection then announces AnnounceDeadlineMissed, exactly once,
// from the log). It keeps no state the log does not: the announcement's
// message UUID is derived from the event that set the deadline and the
// deadline itself, so that a job restarted, or run by two processes,
// announces the same message and consumers drop the repeat.
type Deadlines struct {
	cfg  DeadlinesConfig
	mu   sync.Mutex
	sent map[string]bool // announcement IDs published by this process
}

// NewDeadlines checks cfg and returns the job.
func NewDeadlines(cfg DeadlinesConfig) (*Deadlines, error) {
	if cfg.Tallies == nil || cfg.Publisher == nil {
		return nil, errors.New("deadlines: need the tallies reader and a publisher")
	}
	if cfg.NearDays < 0 {
		return nil, fmt.Errorf("deadlines: near days %d is negative", cfg.NearDays)
	}
	if cfg.NearDays == 0 {
		cfg.NearDays = DefaultNearDays
	}
	if cfg.Topic == "" {
		cfg.Topic = projections.DefaultTopic
	}
	return &Deadlines{cfg: cfg, sent: map[string]bool{}}, nil
}

// DeadlineReport is what one Check found.
type DeadlineReport struct {
	// Near are the responses due within the configured days, each with
	// the ID of its announcement; Announced says which were published by
	// this call (not by an earlier one).
	Near      []NearDeadline `json:"near"`
	Announced int            `json:"announced"`
	// Overdue are the responses past due with no response and not yet
	// recorded as missed: issue domain.MarkResponseOverdue for each.
	Overdue []DueResponse `json:"overdue"`
}

// NearDeadline is a response due soon.
type NearDeadline struct {
	DueResponse
	// AnnouncementID is the message UUID of its announcement.
	AnnouncementID string `json:"announcementId"`
}

// DeadlineNear is the payload of an AnnounceDeadlineNear announcement.
type DeadlineNear struct {
	ProposalID string    `json:"proposalId"`
	Ministry   string    `json:"ministry"`
	DueAt      time.Time `json:"dueAt"`
	// DaysLeft is the whole days left at the time of the check.
	DaysLeft int `json:"daysLeft"`
}

// Check scans the open response deadlines as of now, announces those that
// are near and not yet announced, and reports them with the overdue ones.
func (d *Deadlines) Check(ctx context.Context, now time.Time) (DeadlineReport, error) {
	var rep DeadlineReport
	horizon := now.Add(time.Duration(d.cfg.NearDays) * 24 * time.Hour)
	due, err := DueResponses(ctx, d.cfg.Tallies, horizon)
	if err != nil {
		return rep, fmt.Errorf("deadlines: %w", err)
	}
	var msgs []*message.Message
	var ids []string
	current := map[string]bool{}
	for _, r := range due {
		if !r.DueAt.After(now) {
			rep.Overdue = append(rep.Overdue, r)
			continue
		}
		ie, err := nearAnnouncement(r, now)
		if err != nil {
			return rep, err
		}
		rep.Near = append(rep.Near, NearDeadline{DueResponse: r, AnnouncementID: ie.ID})
		current[ie.ID] = true
		d.mu.Lock()
		done := d.sent[ie.ID]
		d.mu.Unlock()
		if !done {
			msgs = append(msgs, ie.Message())
			ids = append(ids, ie.ID)
		}
	}
	if len(msgs) > 0 {
		if err := d.cfg.Publisher.Publish(d.cfg.Topic, msgs...); err != nil {
			return rep, fmt.Errorf("deadlines: publish %d announcements: %w", len(msgs), err)
		}
		d.mu.Lock()
		for _, id := range ids {
			d.sent[id] = true
		}
		d.mu.Unlock()
		rep.Announced = len(msgs)
	}
	// Forget deadlines no longer near (answered, extended, overdue).
	d.mu.Lock()
	for id := range d.sent {
		if !current[id] {
			delete(d.sent, id)
		}
	}
	d.mu.Unlock()
	return rep, nil
}

// nearAnnouncement builds the announcement that r is near. Its ID derives
// from the event that set the deadline and the deadline, so it is the same
// whenever and wherever it is built; an extension makes a new deadline and
// so a new announcement.
func nearAnnouncement(r DueResponse, now time.Time) (projections.IntegrationEvent, error) {
	src, err := uuid.Parse(r.Since.EventID)
	if err != nil {
		return projections.IntegrationEvent{}, fmt.Errorf("deadlines: proposal %s: event ID %q: %w", r.ProposalID, r.Since.EventID, err)
	}
	key := "proposal-" + r.ProposalID + "/" + r.DueAt.UTC().Format(time.RFC3339)
	payload, err := json.Marshal(DeadlineNear{ProposalID: r.ProposalID, Ministry: r.Ministry, DueAt: r.DueAt, DaysLeft: int(r.DueAt.Sub(now) / (24 * time.Hour))})
	if err != nil {
		return projections.IntegrationEvent{}, err
	}
	return projections.IntegrationEvent{
		ID:             projections.IntegrationEventID(TalliesName, src, AnnounceDeadlineNear, key),
		Projection:     TalliesName,
		Name:           AnnounceDeadlineNear,
		Key:            key,
		Payload:        payload,
		SourceEventID:  src,
		SourcePosition: r.Since.Position,
		OccurredAt:     r.Since.OccurredAt,
	}, nil
}

package importer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pdis/collab-ledger/akn"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
)

// ErrNoTranscript: the meeting has no transcript (as of the time asked).
var ErrNoTranscript = errors.New("no transcript")

// Clock says which of the two clocks an as-of view uses.
type Clock int

// Clocks.
const (
	// Occurred: as the things happened (an imported 2019 meeting as of
	// 2019), by each event's "at".
	Occurred Clock = iota
	// Recorded: as the ledger knew it, by each event's recorded-at.
	Recorded
)

// TranscriptAsOf folds meeting id's meeting and transcript streams up to
// asOf on the given clock (zero asOf: everything). Events are folded in
// stream order while they are within asOf; an event recorded out of order
// on the occurred clock (a live correction of an imported past) is
// folded if it happened by asOf, as long as the stream stays consistent.
func TranscriptAsOf(ctx context.Context, store eventstore.Store, id domain.MeetingID, asOf time.Time, clock Clock) (*domain.Meeting, *domain.Transcript, error) {
	within := func(se eventstore.Event, e domain.Event) bool {
		if asOf.IsZero() {
			return true
		}
		if clock == Recorded {
			return !se.RecordedAt.After(asOf)
		}
		return !e.OccurredAt().After(asOf)
	}
	fold := func(stream string, agg domain.Aggregate) error {
		for from := uint64(1); ; {
			evs, err := store.ReadStream(ctx, stream, from, 4096)
			if err != nil {
				return fmt.Errorf("read %s: %w", stream, err)
			}
			for _, se := range evs {
				e, err := domain.Decode(se.Type, se.SchemaVersion, se.Data)
				if err != nil {
					return fmt.Errorf("%s@%d: %w", stream, se.Version, err)
				}
				if !within(se, e) {
					continue
				}
				if err := agg.Apply(e); err != nil {
					return fmt.Errorf("%s@%d: %w", stream, se.Version, err)
				}
			}
			if len(evs) < 4096 {
				return nil
			}
			from = evs[len(evs)-1].Version + 1
		}
	}
	m := domain.NewMeeting(id)
	if err := fold(domain.MeetingStream(id), m); err != nil {
		return nil, nil, err
	}
	t := domain.NewTranscript(id)
	if err := fold(domain.TranscriptStream(id), t); err != nil {
		return nil, nil, err
	}
	return m, t, nil
}

// Document turns a meeting and its transcript into an Akoma Ntoso
// document: the meeting ID as its FRBRname, the meeting's date and title,
// and the live utterances as they read. A speaker without a source
// reference is named by their actor ID, else by their name.
func Document(m *domain.Meeting, t *domain.Transcript) *akn.Document {
	d := &akn.Document{ID: string(m.ID()), Title: m.Title()}
	if !m.StartsAt().IsZero() {
		d.Date = calendar.DateOf(m.StartsAt()).String()
	}
	for _, u := range t.Current() {
		au := akn.Utterance{Kind: akn.Kind(u.Kind), Paragraphs: u.Paragraphs}
		if u.Kind == domain.UtteranceSpeech {
			au.Speaker, au.Name = u.Speaker.Ref, u.Speaker.Name
			if au.Speaker == "" {
				au.Speaker = u.Speaker.ActorID
			}
			if au.Speaker == "" {
				au.Speaker = u.Speaker.Name
			}
		}
		d.Utterances = append(d.Utterances, au)
	}
	return d
}

// Export returns meeting id's transcript as an Akoma Ntoso document, as it
// read at asOf on the occurred clock (zero: now). Write it with akn.Write.
func Export(ctx context.Context, store eventstore.Store, id domain.MeetingID, asOf time.Time) (*akn.Document, error) {
	return ExportOn(ctx, store, id, asOf, Occurred)
}

// ExportOn is Export on either clock.
func ExportOn(ctx context.Context, store eventstore.Store, id domain.MeetingID, asOf time.Time, clock Clock) (*akn.Document, error) {
	m, t, err := TranscriptAsOf(ctx, store, id, asOf, clock)
	if err != nil {
		return nil, err
	}
	if !m.Scheduled() || !t.Started() {
		return nil, fmt.Errorf("meeting %s: %w", id, ErrNoTranscript)
	}
	return Document(m, t), nil
}

// Popolo returns the people of the meetings' transcripts and the
// organisations (ministries and agencies) of the PO registry, as Popolo.
func Popolo(ctx context.Context, store eventstore.Store, ids ...domain.MeetingID) (akn.Popolo, error) {
	var docs []*akn.Document
	for _, id := range ids {
		d, err := Export(ctx, store, id, time.Time{})
		if err != nil {
			return akn.Popolo{}, err
		}
		docs = append(docs, d)
	}
	p := akn.Popolo{Persons: akn.PersonsOf(docs...)}
	evs, err := store.ReadStream(ctx, domain.RegistryStream(), 1, 1<<20)
	if err != nil {
		return p, fmt.Errorf("read %s: %w", domain.RegistryStream(), err)
	}
	for _, se := range evs {
		if se.Type != "registry.ministry_registered" {
			continue
		}
		e, err := domain.Decode(se.Type, se.SchemaVersion, se.Data)
		if err != nil {
			return p, err
		}
		if mr, ok := e.(domain.MinistryRegistered); ok {
			p.Organizations = append(p.Organizations, akn.PopoloOrganization{ID: string(mr.MinistryID), Name: mr.Name, Classification: "ministry", ParentID: string(mr.Parent)})
		}
	}
	return p, nil
}

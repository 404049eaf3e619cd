// Package export writes and reads the ledger's export format: JSON Lines,
// one CloudEvents 1.0 (structured JSON) object per event, in global order,
// each with its content hash, so that anyone can recompute every hash
// (docs/content-hash.md) from the export alone.
//
//	w := export.NewWriter(os.Stdout)
//	for ev, err := range store.Subscribe(ctx, 0) { ...; w.Write(ev) }
//
//	r := export.NewReader(f)
//	for { ev, err := r.Read(); ...; ev.Verify() }
//
// A line looks like (wrapped here):
//
//	{"specversion":"1.0","id":"0193…","source":"collab-ledger","type":"proposal.signed",
//	 "subject":"proposal-0193","time":"2026-11-23T03:34:13.120000Z",
//	 "datacontenttype":"application/json","data":{…},"position":1234,"streamversion":42,
//	 "schemaversion":1,"actorid":"k7c2f0","actorrole":"citizen","commandid":"c-9",
//	 "correlationid":"r-1","contenthash":"c320…7370"}
//
// Metadata attributes (actorid, actorrole, commandid, correlationid,
// causationid, occurredat) appear only when set.
package export

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/sealed"
)

// Source is the CloudEvents source of every exported event.
const Source = "collab-ledger"

// MaxLine bounds one line of an export when reading (an event's data is
// bounded by the store's size limit, 1 MiB by default).
const MaxLine = 8 << 20

// Line is one exported event: a CloudEvents 1.0 structured-mode JSON object
// with the ledger's extension attributes.
type Line struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject"`
	Time            string          `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
	Position        uint64          `json:"position"`
	StreamVersion   uint64          `json:"streamversion"`
	SchemaVersion   int             `json:"schemaversion"`
	ActorID         string          `json:"actorid,omitempty"`
	ActorRole       string          `json:"actorrole,omitempty"`
	CommandID       string          `json:"commandid,omitempty"`
	CorrelationID   string          `json:"correlationid,omitempty"`
	CausationID     string          `json:"causationid,omitempty"`
	OccurredAt      string          `json:"occurredat,omitempty"`
	ContentHash     string          `json:"contenthash"`
	// Secrets are the values and salts of the event's committed fields
	// (envelope version 2), in an auditor export only; a public export
	// has commitments only. Not a CloudEvents attribute: an auditor
	// export is for verify and auditors, not for event brokers.
	Secrets []sealed.Secret `json:"secrets,omitempty"`
}

// FromEvent converts a stored event to its export line.
func FromEvent(e eventstore.Event) Line {
	l := Line{
		SpecVersion: "1.0", ID: e.ID.String(), Source: Source, Type: e.Type, Subject: e.Stream,
		Time: eventstore.FormatTime(e.RecordedAt), DataContentType: "application/json", Data: e.Data,
		Position: uint64(e.Position), StreamVersion: e.Version, SchemaVersion: e.SchemaVersion,
		ActorID: e.Metadata.ActorID, ActorRole: e.Metadata.ActorRole, CommandID: e.Metadata.CommandID,
		CorrelationID: e.Metadata.CorrelationID, CausationID: e.Metadata.CausationID, ContentHash: e.Hash.String(),
	}
	if !e.Metadata.OccurredAt.IsZero() {
		l.OccurredAt = eventstore.FormatTime(e.Metadata.OccurredAt)
	}
	return l
}

// ErrBadLine: a line of an export is not a well-formed exported event.
var ErrBadLine = errors.New("malformed export line")

// Event converts an export line back to the event it describes. The data is
// canonicalised again (RFC 8785), so an export rewritten by another JSON
// tool still yields the hashed bytes. It does not check the hash: call
// Verify on the result.
func (l Line) Event() (eventstore.Event, error) {
	var e eventstore.Event
	if l.SpecVersion != "1.0" {
		return e, fmt.Errorf("%w: specversion %q", ErrBadLine, l.SpecVersion)
	}
	id, err := uuid.Parse(l.ID)
	if err != nil {
		return e, fmt.Errorf("%w: id: %v", ErrBadLine, err)
	}
	recorded, err := time.Parse(time.RFC3339Nano, l.Time)
	if err != nil {
		return e, fmt.Errorf("%w: time: %v", ErrBadLine, err)
	}
	hash, err := eventstore.ParseHash(l.ContentHash)
	if err != nil {
		return e, fmt.Errorf("%w: contenthash: %v", ErrBadLine, err)
	}
	data, err := eventstore.CanonicalJSON(l.Data)
	if err != nil {
		return e, fmt.Errorf("%w: data: %v", ErrBadLine, err)
	}
	e = eventstore.Event{
		ID: id, Stream: l.Subject, Version: l.StreamVersion, Position: eventstore.Position(l.Position),
		Type: l.Type, SchemaVersion: l.SchemaVersion, Data: data, RecordedAt: recorded.UTC(), Hash: hash,
		Metadata: eventstore.Metadata{ActorID: l.ActorID, ActorRole: l.ActorRole, CommandID: l.CommandID,
			CorrelationID: l.CorrelationID, CausationID: l.CausationID},
	}
	if l.OccurredAt != "" {
		occ, err := time.Parse(time.RFC3339Nano, l.OccurredAt)
		if err != nil {
			return e, fmt.Errorf("%w: occurredat: %v", ErrBadLine, err)
		}
		e.Metadata.OccurredAt = occ.UTC()
	}
	return e, nil
}

// Writer writes an export.
type Writer struct {
	w   *bufio.Writer
	enc *json.Encoder
	n   int
}

// NewWriter returns a Writer on w. Call Flush when done.
func NewWriter(w io.Writer) *Writer {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false) // keep the canonical data bytes as they are
	return &Writer{w: bw, enc: enc}
}

// Write writes one event as one line.
func (w *Writer) Write(e eventstore.Event) error { return w.WriteWithSecrets(e, nil) }

// WriteWithSecrets writes one event of an auditor export: the line carries
// the secrets of its committed fields.
func (w *Writer) WriteWithSecrets(e eventstore.Event, secrets []sealed.Secret) error {
	l := FromEvent(e)
	l.Secrets = secrets
	if err := w.enc.Encode(l); err != nil {
		return fmt.Errorf("export event %d: %w", e.Position, err)
	}
	w.n++
	return nil
}

// Count is how many events were written.
func (w *Writer) Count() int { return w.n }

// Flush writes out buffered lines.
func (w *Writer) Flush() error { return w.w.Flush() }

// Reader reads an export line by line.
type Reader struct {
	sc      *bufio.Scanner
	line    int
	secrets []sealed.Secret
}

// Secrets returns the secrets the line Read last returned carried (an
// auditor export's).
func (r *Reader) Secrets() []sealed.Secret { return r.secrets }

// NewReader returns a Reader on r.
func NewReader(r io.Reader) *Reader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), MaxLine)
	return &Reader{sc: sc}
}

// Read returns the next event, io.EOF at the end, or an error naming the
// line.
func (r *Reader) Read() (eventstore.Event, error) {
	for r.sc.Scan() {
		r.line++
		b := bytes.TrimSpace(r.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var l Line
		if err := json.Unmarshal(b, &l); err != nil {
			return eventstore.Event{}, fmt.Errorf("export line %d: %w: %v", r.line, ErrBadLine, err)
		}
		e, err := l.Event()
		if err != nil {
			return e, fmt.Errorf("export line %d: %w", r.line, err)
		}
		r.secrets = l.Secrets
		return e, nil
	}
	if err := r.sc.Err(); err != nil {
		return eventstore.Event{}, fmt.Errorf("export line %d: %w", r.line+1, err)
	}
	return eventstore.Event{}, io.EOF
}

// Line is the number of the line Read last returned.
func (r *Reader) Line() int { return r.line }

// SecretsReport is what CheckSecrets found.
type SecretsReport struct {
	// Events is how many events were read; Sealed how many of them hold
	// commitments; Opened how many committed fields were checked against
	// their secret, Erased how many had none (an erasure, or a public
	// export).
	Events, Sealed, Opened, Erased int
	// Problems name each line and field whose value, salt or commitment
	// do not match.
	Problems []error
}

// CheckSecrets reads an export and checks each secret an auditor export
// carries against the commitment in its event's data (the content hashes,
// the tree and the checkpoints are transparency.VerifyExport's). A value,
// salt or commitment changed since the export was written is named by its
// line, event and field.
func CheckSecrets(r io.Reader) (SecretsReport, error) {
	var rep SecretsReport
	rd := NewReader(r)
	for {
		e, err := rd.Read()
		if errors.Is(err, io.EOF) {
			return rep, nil
		}
		if err != nil {
			return rep, err
		}
		rep.Events++
		cs, err := sealed.Commitments(e.Data)
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Errorf("export line %d, event %s: %w", rd.Line(), e.ID, err))
			continue
		}
		if sealed.IsErased(e.Metadata.ActorID) {
			if cs == nil {
				cs = map[string]string{}
			}
			cs[sealed.ActorPath] = e.Metadata.ActorID
		}
		if len(cs) == 0 && len(rd.Secrets()) == 0 {
			continue
		}
		if len(cs) > 0 {
			rep.Sealed++
		}
		if err := sealed.VerifyEvent(e, rd.Secrets()); err != nil {
			rep.Problems = append(rep.Problems, fmt.Errorf("export line %d, event %s (%s/%d): %w", rd.Line(), e.ID, e.Stream, e.Version, err))
			continue
		}
		rep.Opened += len(rd.Secrets())
		rep.Erased += len(cs) - len(rd.Secrets())
	}
}

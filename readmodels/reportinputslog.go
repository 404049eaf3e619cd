package readmodels

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/internal/parallel"
	"github.com/pdis/collab-ledger/projections"
)

// ReportInputsConfig wires a ReportInputsLog.
type ReportInputsConfig struct {
	// Reader reads the report-inputs read model:
	// Runner.Reader(ReportInputsName) or Backend.Reader(ReportInputsName).
	// Required.
	Reader projections.Reader
	// Checkpoint returns the read model's checkpoint: the position up to
	// which its documents are committed. Required;
	// ReportInputsCheckpoint(b) reads it from the backend.
	Checkpoint func(ctx context.Context) (eventstore.Position, error)
	// Wait returns once the read model's checkpoint is at least pos, or
	// with ctx's error (for a Runner: WaitFor(ctx, ReportInputsName, pos)).
	// Optional: without it WaitFor only checks.
	Wait func(ctx context.Context, pos eventstore.Position) error
	// Log is the event log. Optional: it is read only to count the events
	// between two kept ones whose positions are not dense (KurrentDB), when
	// a report is asked at a position inside such a gap; without it that
	// count fails.
	Log interface {
		ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error)
	}
}

// ReportInputsLog reads the report-inputs read model (ReportInputs) as a
// reports.Log, so that reports.Compute folds only the events the report
// uses: Head is the read model's checkpoint, ReadAll(after, limit) a page of
// its documents in key (position) order, EventsUpTo the count of the whole
// log's events. Compute over it gives the same report, byte for byte, as
// over the log at any position up to the checkpoint. It is safe for
// concurrent use.
type ReportInputsLog struct {
	cfg ReportInputsConfig
}

// NewReportInputsLog returns the read model's log.
func NewReportInputsLog(cfg ReportInputsConfig) (*ReportInputsLog, error) {
	if cfg.Reader == nil || cfg.Checkpoint == nil {
		return nil, errors.New("report inputs: a Reader and a Checkpoint are required")
	}
	return &ReportInputsLog{cfg: cfg}, nil
}

// ReportInputsCheckpoint returns a function that reads the checkpoint of
// the report-inputs read model's active generation from b (0 when it has
// none).
func ReportInputsCheckpoint(b projections.Backend) func(ctx context.Context) (eventstore.Position, error) {
	return func(ctx context.Context) (eventstore.Position, error) {
		gens, err := b.Generations(ctx, ReportInputsName)
		if err != nil {
			return 0, fmt.Errorf("report inputs: read the checkpoint: %w", err)
		}
		cp, _ := gens.Get(gens.Active)
		return cp.Position, nil
	}
}

// Head implements reports.Log: the read model's checkpoint.
func (l *ReportInputsLog) Head(ctx context.Context) (eventstore.Position, error) {
	return l.cfg.Checkpoint(ctx)
}

// WaitFor returns nil once the read model's checkpoint is at least pos,
// or ctx's error; without ReportInputsConfig.Wait it only checks.
func (l *ReportInputsLog) WaitFor(ctx context.Context, pos eventstore.Position) error {
	cp, err := l.Head(ctx)
	if err != nil || cp >= pos {
		return err
	}
	if l.cfg.Wait == nil {
		return fmt.Errorf("report inputs: checkpoint %d is behind position %d", cp, pos)
	}
	if err := l.cfg.Wait(ctx, pos); err != nil {
		return fmt.Errorf("report inputs: wait for position %d: %w", pos, err)
	}
	return nil
}

// ReadAll implements reports.Log: the kept events after position after, at most
// limit of them, in log order. Events the report reads without their body
// (transcript edits) come without Data; Metadata holds OccurredAt only.
func (l *ReportInputsLog) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	type rawDoc struct {
		key string
		n   int
		raw []byte
	}
	var docs []rawDoc
	var buf []byte
	err := projections.ScanPage(ctx, l.cfg.Reader, reportInputsEvents, "", reportAfterKey(after), limit, func(key string, raw []byte) error {
		// raw is valid during the call only: keep a copy, in one buffer
		// (cut into documents once it has stopped growing)
		if buf == nil {
			buf = make([]byte, 0, len(raw)*min(limit, 4096)*5/4+4096) // about a page
		}
		buf = append(buf, raw...)
		docs = append(docs, rawDoc{key: key, n: len(raw)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report inputs: read after %d: %w", after, err)
	}
	off := 0
	for i := range docs {
		n := docs[i].n
		docs[i].raw = buf[off : off+n : off+n]
		off += n
	}
	evs := make([]eventstore.Event, len(docs))
	err = parallel.For(len(docs), 512, func(i int) error { return decodeReportInput(docs[i].key, docs[i].raw, &evs[i]) })
	if err != nil {
		return nil, err
	}
	return evs, nil
}

// decodeReportInput decodes the reportInputsEvents document (key, raw) into ev: as
// encodeReportInput wrote it (parseReportInput, the body a slice of raw), else with
// encoding/json.
func decodeReportInput(key string, raw []byte, ev *eventstore.Event) error {
	if parseReportInput(key, raw, ev) {
		return nil
	}
	_, err := unmarshalReportInput(key, raw, ev)
	return err
}

// parseReportInput parses the document (key, raw) into ev if it is laid out as
// encodeReportInput writes it, with a stream name without escapes, and reports
// whether it was. ev.Data is a slice of raw.
func parseReportInput(key string, raw []byte, ev *eventstore.Event) bool {
	pos, err := strconv.ParseUint(key, 10, 64)
	if err != nil {
		return false
	}
	r := raw
	str := func(field string) (string, bool) {
		if !bytes.HasPrefix(r, []byte(field)) {
			return "", false
		}
		r = r[len(field):]
		i := bytes.IndexByte(r, '"')
		if i < 0 || bytes.IndexByte(r[:i], '\\') >= 0 {
			return "", false
		}
		v := string(r[:i])
		r = r[i+1:]
		return v, true
	}
	num := func(field string) (uint64, bool) {
		if !bytes.HasPrefix(r, []byte(field)) {
			return 0, false
		}
		r = r[len(field):]
		i := 0
		for i < len(r) && r[i] >= '0' && r[i] <= '9' {
			i++
		}
		v, err := strconv.ParseUint(string(r[:i]), 10, 64)
		r = r[i:]
		return v, err == nil
	}
	ts := func(field string) (time.Time, bool) {
		s, ok := str(field)
		if !ok {
			return time.Time{}, false
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		return t, err == nil
	}
	id, ok := str(`{"id":"`)
	if !ok {
		return false
	}
	uid, err := uuid.Parse(id)
	if err != nil {
		return false
	}
	stream, ok1 := str(`,"stream":"`)
	typ, ok2 := str(`,"type":"`)
	schema, ok3 := num(`,"schema":`)
	recorded, ok4 := ts(`,"recorded":"`)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return false
	}
	var occurred time.Time
	if bytes.HasPrefix(r, []byte(`,"occurred":"`)) {
		if occurred, ok = ts(`,"occurred":"`); !ok {
			return false
		}
	}
	if _, ok := num(`,"n":`); !ok {
		return false
	}
	if _, ok := num(`,"prev":`); !ok {
		return false
	}
	var data []byte
	if bytes.HasPrefix(r, []byte(`,"data":`)) {
		data = r[len(`,"data":`) : len(r)-1]
		r = r[len(r)-1:]
	}
	if string(r) != "}" {
		return false
	}
	*ev = eventstore.Event{ID: uid, Stream: stream, Position: eventstore.Position(pos), Type: typ, SchemaVersion: int(schema),
		Data: data, Metadata: eventstore.Metadata{OccurredAt: occurred}, RecordedAt: recorded}
	return true
}

// unmarshalReportInput decodes the document (key, raw) into ev with
// encoding/json, and returns it.
func unmarshalReportInput(key string, raw []byte, ev *eventstore.Event) (reportInputDoc, error) {
	var d reportInputDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return d, fmt.Errorf("report inputs: document %s: %w", key, err)
	}
	pos, err := strconv.ParseUint(key, 10, 64)
	if err != nil {
		return d, fmt.Errorf("report inputs: document key %q: %w", key, err)
	}
	id, err := uuid.Parse(d.ID)
	if err != nil {
		return d, fmt.Errorf("report inputs: document %s: id: %w", key, err)
	}
	*ev = eventstore.Event{ID: id, Stream: d.Stream, Position: eventstore.Position(pos), Type: d.Type, SchemaVersion: d.Schema,
		Data: d.Data, Metadata: eventstore.Metadata{OccurredAt: d.Occurred}, RecordedAt: d.Recorded}
	return d, nil
}

// reportAfterKey is the key after which the documents of the events after
// position p start ("" for 0: from the first).
func reportAfterKey(p eventstore.Position) string {
	if p == 0 {
		return ""
	}
	return reportPositionKey(p)
}

// EventsUpTo returns how many events the whole log holds at or before
// position at (reports.Compute names that count), from the counts the read
// model keeps: the kept event at or before at (last: the last one ReadAll
// served at or before at, 0 for none) and the boundary after it (the
// next kept event, else the tail). Between two of them the skipped events'
// positions are known only when dense (every store but KurrentDB); when
// they are not and at falls among them, they are counted from the log.
func (l *ReportInputsLog) EventsUpTo(ctx context.Context, last, at eventstore.Position) (int, error) {
	var lastN uint64
	if last > 0 {
		var d reportInputDoc
		ok, err := l.cfg.Reader.Get(ctx, reportInputsEvents, reportPositionKey(last), &d)
		if err != nil {
			return 0, fmt.Errorf("read the event at %d: %w", last, err)
		}
		if !ok {
			return 0, fmt.Errorf("no kept event at %d", last)
		}
		if last == at {
			return int(d.N), nil
		}
		lastN = d.N
	}
	// the boundary: the next kept event (its count, less itself, up to the
	// event before it), else the tail (its count up to its position)
	var (
		next  reportInputDoc
		found bool
	)
	err := projections.ScanPage(ctx, l.cfg.Reader, reportInputsEvents, "", reportPositionKey(at), 1, func(key string, raw []byte) error {
		found = true
		if err := json.Unmarshal(raw, &next); err != nil {
			return fmt.Errorf("document %s: %w", key, err)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read the event after %d: %w", at, err)
	}
	var bPos eventstore.Position
	var bN uint64
	if found {
		bPos, bN = next.Prev, next.N-1
	} else {
		var tail reportInputsTail
		if _, err := l.cfg.Reader.Get(ctx, reportInputsLog, reportInputsTailKey, &tail); err != nil {
			return 0, fmt.Errorf("read the tail: %w", err)
		}
		bPos, bN = tail.Position, tail.Events
	}
	switch skipped := bN - lastN; {
	case bPos == at, bPos < at && found: // no event in (next.Prev, next)
		return int(bN), nil
	case bPos < at:
		return 0, fmt.Errorf("the read model holds the log up to %d only", bPos)
	case uint64(bPos-last) == skipped: // dense: one event per position
		return int(lastN + uint64(at-last)), nil
	}
	if l.cfg.Log == nil {
		return 0, fmt.Errorf("positions %d to %d are not dense, and there is no log to count them in", last, bPos)
	}
	n := lastN
	for after := last; after < at; {
		evs, err := l.cfg.Log.ReadAll(ctx, after, 4096)
		if err != nil {
			return 0, fmt.Errorf("count the log after %d: %w", after, err)
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			if ev.Position > at {
				return int(n), nil
			}
			n++
		}
		after = evs[len(evs)-1].Position
	}
	return int(n), nil
}

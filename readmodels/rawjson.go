package readmodels

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
)

// Helpers for the catch-up fast paths: reading an event's top-level fields
// from its JSON without decoding it, and writing documents whose bulk is
// the event's own JSON without decoding and re-encoding it. The documents
// they write decode to the same values as those json.Marshal writes.

var errRawJSON = errors.New("malformed JSON object")

// foldPath says how a read model with fast paths (Trail, Transcripts,
// Tallies, Counties) folds an event. The fast paths write what the decoded fold
// writes, for every event type (TestFoldsAgreeEveryEventType generates each of
// domain.EventTypes and folds it both ways; TestFastPathsSameDocuments does
// the same over a recorded story).
type foldPath uint8

const (
	// fastFold, the zero value, is the Runner's: the common events are
	// written from their JSON, the rest decoded.
	fastFold foldPath = iota
	// decodedFold decodes every event.
	decodedFold
	// asOfFold is an as-of view's (asof.go): decoded (its events come
	// decoded, and its Tx keeps Go values, which the fast paths' encoded
	// documents would only make dearer to query), and not stamped for
	// caches (an as-of view is never cached).
	asOfFold
)

// asOfModels are the read models an as-of view folds: All, those with fast
// paths on their asOfFold path.
func asOfModels() []projections.Projection {
	ps := slices.DeleteFunc(All(), func(p projections.Projection) bool {
		_, staffOnly := p.(Signatures) // not an as-of view's (signatures.go)
		return staffOnly
	})
	for i, p := range ps {
		switch p.(type) {
		case Trail:
			ps[i] = Trail{path: asOfFold}
		case Transcripts:
			ps[i] = Transcripts{path: asOfFold}
		case Tallies:
			ps[i] = Tallies{path: asOfFold}
		case Counties:
			ps[i] = Counties{path: asOfFold}
		}
	}
	return ps
}

// eventFieldNames holds the JSON names of the top-level fields of every
// event type, so that topFields passes a field's name without allocating
// it (a Join import reads every signature's fields three times).
var eventFieldNames = func() map[string]string {
	names := map[string]string{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case f.Anonymous && name == "":
				walk(f.Type)
			case name != "" && name != "-":
				names[name] = name
			}
		}
	}
	for _, ty := range domain.EventTypes() {
		v, _ := domain.EventSchemaVersion(ty)
		if e, err := domain.Decode(ty, v, []byte("{}")); err == nil {
			walk(reflect.TypeOf(e))
		}
	}
	return names
}()

// topFields calls fn with the name and raw value of each top-level field of
// the JSON object data, in order. Names with escapes are passed undecoded
// (no identifier field has one). It fails on data that is not an object;
// it does not check everything json.Valid checks (Put does).
func topFields(data []byte, fn func(name string, raw []byte)) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return errRawJSON
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return nil
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return errRawJSON
		}
		end, ok := skipString(data, i)
		if !ok {
			return errRawJSON
		}
		name := data[i+1 : end-1]
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return errRawJSON
		}
		i = skipSpace(data, i+1)
		vend, ok := skipValue(data, i)
		if !ok {
			return errRawJSON
		}
		n, known := eventFieldNames[string(name)] // no allocation to look up
		if !known {
			n = string(name)
		}
		fn(n, data[i:vend])
		i = skipSpace(data, vend)
		if i >= len(data) {
			return errRawJSON
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			if skipSpace(data, i+1) != len(data) {
				return errRawJSON
			}
			return nil
		default:
			return errRawJSON
		}
	}
}

// skipSpace is where whitespace would be skipped: the fast paths only take
// compact JSON (as the log stores it), so that a document that embeds it is
// what json.Marshal would have written.
func skipSpace(data []byte, i int) int { return i }

// skipString returns the index after the string starting at data[i] ('"').
//
// It looks for each '"' with bytes.IndexByte (a string of a signature's
// pseudonym or text is long, and three read models read every signature):
// a quote ends the string unless an odd number of backslashes precedes it.
func skipString(data []byte, i int) (int, bool) {
	for j := i + 1; j < len(data); {
		k := bytes.IndexByte(data[j:], '"')
		if k < 0 {
			return 0, false
		}
		q := j + k
		n := 0
		for p := q - 1; p > i && data[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1, true
		}
		j = q + 1
	}
	return 0, false
}

// skipValue returns the index after the value starting at data[i].
func skipValue(data []byte, i int) (int, bool) {
	if i >= len(data) {
		return 0, false
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				end, ok := skipString(data, j)
				if !ok {
					return 0, false
				}
				j = end - 1
			case ' ', '\t', '\n', '\r':
				return 0, false
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	default:
		j := i
		for j < len(data) && data[j] != ',' && data[j] != '}' && data[j] != ']' && data[j] != ' ' && data[j] != '\n' && data[j] != '\t' && data[j] != '\r' {
			j++
		}
		return j, j > i
	}
}

// rawString returns the string a raw JSON string value holds.
func rawString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", false
			}
			return s, true
		}
	}
	return string(inner), true
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendTime appends t as json.Marshal does (RFC 3339 with nanoseconds).
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendStampFields appends the fields of s (without braces), as embedded
// in a document.
func appendStampFields(b []byte, s Stamp) []byte {
	b = append(b, `"position":`...)
	b = strconv.AppendUint(b, uint64(s.Position), 10)
	b = append(b, `,"eventId":`...)
	b = appendString(b, s.EventID)
	if s.Actor != (Actor{}) {
		b = append(b, `,"actor":{`...)
		sep := false
		if s.Actor.ID != "" {
			b = append(b, `"id":`...)
			b = appendString(b, s.Actor.ID)
			sep = true
		}
		if s.Actor.Role != "" {
			if sep {
				b = append(b, ',')
			}
			b = append(b, `"role":`...)
			b = appendString(b, s.Actor.Role)
		}
		b = append(b, '}')
	}
	b = append(b, `,"occurredAt":`...)
	b = appendTime(b, s.OccurredAt)
	b = append(b, `,"recordedAt":`...)
	b = appendTime(b, s.RecordedAt)
	if s.Backdated != "" {
		b = append(b, `,"backdated":`...)
		b = appendString(b, s.Backdated)
	}
	return b
}

// timeOK reports whether t can be written by appendTime as json.Marshal
// would accept it (years 0 to 9999).
func timeOK(t time.Time) bool {
	y := t.Year()
	return y >= 0 && y <= 9999
}

// ---- trail fast path ----

// trailSlowTypes are the trail's event types whose fold needs the decoded
// event (they index subjects or hide things).
var trailSlowTypes = map[string]bool{
	"proposal.submitted": true, "monthly.opened": true, "case.opened": true, "meeting.scheduled": true,
	"meeting.note_removed": true, "meeting.question_archived": true, "transcript.utterance_deleted": true,
	"ledger.data_erased": true,
}

// refJSON is where refsOf finds one identifier in an event's JSON: a
// top-level field's name.
type refJSON struct {
	name string
	set  func(*Refs) *string
}

var refJSONPlans sync.Map // event type → []refJSON, or nil when the type has no fast path

// refJSONPlan returns the fields refsOf reads of events of Go type t, by
// their JSON names, and whether they can be read from the JSON alone.
func refJSONPlan(t reflect.Type) ([]refJSON, bool) {
	if t.Kind() != reflect.Struct {
		return nil, false
	}
	var plan []refJSON
	seen := map[reflect.Type]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		set, ok := refFields[f.Type]
		if !ok || seen[f.Type] {
			continue
		}
		seen[f.Type] = true
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if f.Type.Kind() != reflect.String || name == "" || name == "-" || strings.Contains(opts, "string") || f.Anonymous {
			return nil, false
		}
		plan = append(plan, refJSON{name, set})
	}
	return plan, true
}

// fastEntry folds ev into the trail like foldEntry, reading the few
// identifiers it needs from the event's JSON and writing the entry with the
// event's data as is, without decoding it. done is false when ev needs the
// decoded fold.
func fastEntry(ctx context.Context, tx projections.Tx, ev eventstore.Event) (done bool, err error) {
	if trailSlowTypes[ev.Type] || !trailTable.handles(ev.Type) || len(ev.Data) == 0 {
		return false, nil
	}
	if v, ok := domain.EventSchemaVersion(ev.Type); !ok || v != ev.SchemaVersion {
		return false, nil
	}
	if !timeOK(ev.RecordedAt) || !timeOK(ev.OccurredAt()) || !marshalSafe(ev.Data) {
		return false, nil
	}
	p, ok := refJSONPlans.Load(ev.Type)
	if !ok {
		// Learn the type's plan from one decoded event; the fold itself
		// takes the usual path this once.
		e, err := domain.Decode(ev.Type, ev.SchemaVersion, ev.Data)
		if err != nil {
			return false, nil
		}
		plan, fast := refJSONPlan(reflect.TypeOf(e))
		if !fast {
			plan = nil
		}
		refJSONPlans.Store(ev.Type, plan)
		return false, nil
	}
	plan := p.([]refJSON)
	if plan == nil {
		return false, nil
	}
	var refs Refs
	bad := false
	if err := topFields(ev.Data, func(name string, raw []byte) {
		for _, f := range plan {
			if f.name != name && strings.EqualFold(f.name, name) {
				bad = true // encoding/json would match it: decode
				return
			}
			if f.name == name {
				if string(raw) == "null" {
					*f.set(&refs) = ""
				} else if s, ok := rawString(raw); ok {
					*f.set(&refs) = s
				} else {
					bad = true
				}
				return
			}
		}
	}); err != nil || bad {
		return false, nil
	}
	var subject string
	switch {
	case isSubjectStream(ev.Stream):
		subject = ev.Stream
	default:
		s, err := meetingSubject(ctx, tx, ev, nil, refs)
		if err != nil {
			return true, fmt.Errorf("%s: %s: %w", TrailName, ev.Type, err)
		}
		subject = s
	}
	// The entry's own fields (stamp, refs, names) take up to about 700 bytes:
	// room for them and the data at once, so the data is copied only once.
	doc := appendEntry(make([]byte, 0, 768+len(subject)+len(ev.Stream)+len(ev.Data)), subject, ev, refs)
	if err := tx.Put(ctx, collEntries, subject+"/"+posKey(ev.Position), projections.Encoded(doc)); err != nil {
		return true, fmt.Errorf("%s: %s: %w", TrailName, ev.Type, err)
	}
	return true, nil
}

// appendEntry appends the JSON of the Entry foldEntry writes for ev.
func appendEntry(b []byte, subject string, ev eventstore.Event, refs Refs) []byte {
	b = append(b, `{"subject":`...)
	b = appendString(b, subject)
	b = append(b, `,"step":`...)
	b = appendString(b, stepOf[ev.Type])
	b = append(b, `,"type":`...)
	b = appendString(b, ev.Type)
	b = append(b, `,"stream":`...)
	b = appendString(b, ev.Stream)
	b = append(b, `,"streamVersion":`...)
	b = strconv.AppendUint(b, ev.Version, 10)
	b = append(b, ',')
	b = appendStampFields(b, stampOf(ev))
	if refs != (Refs{}) {
		b = append(b, `,"refs":{`...)
		n := 0
		for _, f := range [...]struct {
			name, v string
		}{
			{"proposalId", refs.ProposalID}, {"monthlyMeetingId", refs.MonthlyMeetingID}, {"candidateId", refs.CandidateID},
			{"caseId", refs.CaseID}, {"meetingId", refs.MeetingID}, {"utteranceId", refs.UtteranceID}, {"noteId", refs.NoteID},
			{"questionId", refs.QuestionID}, {"recommendationId", refs.RecommendationID}, {"participantId", refs.ParticipantID},
			{"stakeholderId", refs.StakeholderID},
		} {
			if f.v == "" {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = append(b, '"')
			b = append(b, f.name...)
			b = append(b, `":`...)
			b = appendString(b, f.v)
		}
		b = append(b, '}')
	}
	b = append(b, `,"data":`...)
	b = append(b, ev.Data...)
	return append(b, '}')
}

// marshalSafe reports whether json.Marshal would keep compact JSON data as
// is inside a document (it escapes <, >, & and U+2028/U+2029).
func marshalSafe(data []byte) bool {
	return bytes.IndexByte(data, '<') < 0 && bytes.IndexByte(data, '>') < 0 && bytes.IndexByte(data, '&') < 0 &&
		!bytes.Contains(data, []byte("\u2028")) && !bytes.Contains(data, []byte("\u2029"))
}

// ---- transcripts fast path ----

// fastTranscript folds the transcript events that make up most of a log
// (utterances recorded or imported, and corrections) like their handlers,
// writing the documents from the event's JSON without decoding it. done is
// false when ev needs the decoded fold.
func fastTranscript(ctx context.Context, tx projections.Tx, ev eventstore.Event) (done bool, err error) {
	var recorded bool
	switch ev.Type {
	case "transcript.utterance_recorded":
		recorded = true
	case "transcript.utterance_corrected":
	default:
		return false, nil
	}
	if v, ok := domain.EventSchemaVersion(ev.Type); !ok || v != ev.SchemaVersion {
		return false, nil
	}
	if !timeOK(ev.RecordedAt) || !timeOK(ev.OccurredAt()) {
		return false, nil
	}
	var meeting, utterance, seq, kind, speaker, version, paragraphs, editor, reason []byte
	bad := false
	if err := topFields(ev.Data, func(name string, raw []byte) {
		switch name {
		case "meetingId":
			meeting = raw
		case "utteranceId":
			utterance = raw
		case "paragraphs":
			paragraphs = raw
		case "at":
		case "seq", "kind", "speaker":
			if !recorded {
				bad = true
			}
			switch name {
			case "seq":
				seq = raw
			case "kind":
				kind = raw
			default:
				speaker = raw
			}
		case "version", "editor", "reason":
			if recorded {
				bad = true
			}
			switch name {
			case "version":
				version = raw
			case "editor":
				editor = raw
			default:
				reason = raw
			}
		default:
			bad = true // a field the handler does not know: decode
		}
	}); err != nil || bad {
		return false, nil
	}
	mid, ok1 := rawString(meeting)
	uid, ok2 := rawString(utterance)
	if !ok1 || !ok2 || !rawStringOrAbsent(kind) || !rawStringOrAbsent(editor) || !rawStringOrAbsent(reason) || !rawArrayOrAbsent(paragraphs) {
		return false, nil
	}
	if speaker != nil && (len(speaker) == 0 || (speaker[0] != '{' && string(speaker) != "null")) {
		return false, nil
	}
	key := childKey(domain.MeetingID(mid), uid)
	s := stampOf(ev)
	if recorded {
		if seq != nil && !rawInt(seq) {
			return false, nil
		}
		u := make([]byte, 0, 384+len(speaker))
		u = append(u, `{"utteranceId":`...)
		u = appendString(u, uid)
		if seq != nil {
			u = append(u, `,"seq":`...)
			u = append(u, seq...)
		}
		if kind != nil {
			u = append(u, `,"kind":`...)
			u = append(u, kind...)
		}
		if speaker != nil && string(speaker) != "null" {
			u = append(u, `,"speaker":`...)
			u = append(u, speaker...)
		}
		u = append(u, `,"origin":{"how":"recorded",`...)
		u = appendStampFields(u, s)
		u = append(u, "}}"...)
		if err := tx.Put(ctx, collUtterances, key, projections.Encoded(u)); err != nil {
			return true, fmt.Errorf("%s: %s: %w", TranscriptsName, ev.Type, err)
		}
		version = []byte("1")
	} else if !rawInt(version) {
		return false, nil
	}
	n, _ := strconv.Atoi(string(version))
	v := make([]byte, 0, 320+len(paragraphs)+len(editor)+len(reason))
	v = append(v, `{"version":`...)
	v = append(v, version...)
	if paragraphs != nil {
		v = append(v, `,"paragraphs":`...)
		v = append(v, paragraphs...)
	}
	if recorded {
		v = append(v, `,"change":`...)
		v = appendString(v, domain.ChangeRecorded)
	} else {
		v = append(v, `,"change":`...)
		v = appendString(v, domain.ChangeCorrected)
		if editor != nil {
			v = append(v, `,"editor":`...)
			v = append(v, editor...)
		}
		if reason != nil {
			v = append(v, `,"reason":`...)
			v = append(v, reason...)
		}
	}
	v = append(v, ',')
	v = appendStampFields(v, s)
	v = append(v, '}')
	if err := tx.Put(ctx, collVersions, key+"/"+posKey(eventstore.Position(n)), projections.Encoded(v)); err != nil {
		return true, fmt.Errorf("%s: %s: %w", TranscriptsName, ev.Type, err)
	}
	return true, nil
}

func rawStringOrAbsent(raw []byte) bool {
	return raw == nil || (len(raw) >= 2 && raw[0] == '"')
}

func rawArrayOrAbsent(raw []byte) bool {
	return raw == nil || string(raw) == "null" || (len(raw) >= 2 && raw[0] == '[')
}

// rawInt reports whether raw is a non-negative integer that fits an int.
func rawInt(raw []byte) bool {
	if len(raw) == 0 || len(raw) > 18 {
		return false
	}
	for _, c := range raw {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// signedRead is what the read models that fold a signature from its JSON
// read of a proposal.signed event's data: each top-level field, read once
// (readSigned) for all of them. A field that occurs more than once keeps
// its last value and is good only if every occurrence is, as each fold's
// own reading of the fields had it.
type signedRead struct {
	// malformed: the data is not a JSON object (topFields failed).
	malformed bool
	// unknown: a field other than a signature's.
	unknown bool
	// bad lists the fields whose value is not as the folds want it: a
	// string that is not one (badProposal…) or a count that is not a
	// non-negative integer as canonical JSON writes it (badCount).
	bad signedBad
	// proposal, county and backdated are the strings of proposalId,
	// county and backdateReason ("" when absent).
	proposal, county, backdated string
	// countyKey is CountyOf(county), which the counties and the staff
	// signatures both want.
	countyKey string
	// count is the count field, or -1 when it is absent or bad.
	count int
	// signatureID and signer are the raw JSON values of those fields
	// (nil when absent): subslices of the event's data, for the staff
	// signatures model to read (rawString) should it take them from here.
	signatureID, signer []byte
}

// signedBad flags the fields of a signature whose value is not as the
// fast paths want it.
type signedBad uint8

const (
	badProposal signedBad = 1 << iota
	badCount
	badCounty
	badBackdate
)

// parseSigned reads a signature event's data.
func parseSigned(data []byte) *signedRead {
	r := new(signedRead)
	parseSignedInto(r, data)
	return r
}

// parseSignedInto is parseSigned into r.
func parseSignedInto(r *signedRead, data []byte) {
	*r = signedRead{count: -1}
	err := topFields(data, func(name string, raw []byte) {
		var ok bool
		switch name {
		case "proposalId":
			if r.proposal, ok = rawString(raw); !ok {
				r.bad |= badProposal
			}
		case "count":
			if r.count = rawCount(raw); r.count < 0 {
				r.bad |= badCount
			}
		case "county":
			if r.county, ok = rawString(raw); !ok {
				r.bad |= badCounty
			}
		case "backdateReason":
			if r.backdated, ok = rawString(raw); !ok {
				r.bad |= badBackdate
			}
		case "signatureId":
			r.signatureID = raw
		case "signer":
			r.signer = raw
		case "district", "at":
		default:
			r.unknown = true
		}
	})
	r.malformed = err != nil
	r.countyKey = CountyOf(r.county)
}

// signedCacheSize is how many signatures readSigned remembers: more than
// the projections' shared window of the log (decision 0040: 16,384 events
// by default), within which the folds of a signature follow one another.
const signedCacheSize = 1 << 15

// signedCacheEntry is one remembered reading: of the event at pos, whose
// data is data (the same memory, not only the same bytes).
type signedCacheEntry struct {
	pos  eventstore.Position
	data []byte
	read signedRead // in the entry: one allocation a signature
}

// signedCache holds the readings of the latest signatures by position,
// one slot per position modulo its size (a Join import's positions are
// consecutive, so a window of them takes as many slots).
var signedCache [signedCacheSize]atomic.Pointer[signedCacheEntry]

// onSignedRead, when a test sets it (before any fold runs), is called for
// every signature readSigned reads rather than remembers.
var onSignedRead func(ev eventstore.Event)

// readSigned returns parseSigned(ev.Data) of a signature event (of the
// current schema version; nil for any other event), reading it once for
// the three read models that fold it from its JSON — tallies, counties and
// the staff signatures — when they fold the same event shared by the
// Runner's reader of the log (decision 0040): the event a projection gets
// is a copy of one in the reader's window, whose data is the same memory
// for all of them, and never written.
//
// A remembered reading is taken only for an event at the same position
// whose data is the very same memory, of the same length: the entry keeps
// that memory alive, so no other event's data can take its place, and the
// log's events are never written after they are read (projections.Events),
// so the bytes are those it read. Events of other stores in the same
// process (tests) or read again by a projection on its own (another copy)
// are read afresh. Safe for concurrent use: an entry is never changed once
// stored, only replaced.
func readSigned(ev eventstore.Event) *signedRead {
	if ev.Type != signedType || len(ev.Data) == 0 {
		return nil
	}
	if v, _ := domain.EventSchemaVersion(ev.Type); ev.SchemaVersion != v {
		return nil
	}
	slot := &signedCache[uint64(ev.Position)%signedCacheSize]
	if e := slot.Load(); e != nil && e.pos == ev.Position && len(e.data) == len(ev.Data) && &e.data[0] == &ev.Data[0] {
		return &e.read
	}
	if onSignedRead != nil {
		onSignedRead(ev)
	}
	e := &signedCacheEntry{pos: ev.Position, data: ev.Data}
	parseSignedInto(&e.read, ev.Data)
	slot.Store(e)
	return &e.read
}

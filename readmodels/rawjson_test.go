package readmodels_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	rm "github.com/pdis/collab-ledger/readmodels"
)

// TestFoldsAgreeEveryEventType generates events of every type in
// domain.EventTypes, folds them into every read model twice, as the Runner
// does (with the JSON fast paths of Trail and Transcripts) and decoding
// every event, and checks after each event that both folds succeeded or
// failed alike and hold the same documents (compared as decoded JSON). The
// events come in several flavours: plain values, text full of characters
// JSON escapes (quotes, backslashes, <>&, U+2028, controls, non-ASCII), the
// same in the identifiers (and so in the stream names), and zero values.
// Every type is folded twice, so that later events find what earlier ones
// created.
func TestFoldsAgreeEveryEventType(t *testing.T) {
	ctx := context.Background()
	flavours := []string{"plain", "tricky-text", "tricky-ids", "zero"}
	fastTaken := map[string]bool{}
	compared, failed := 0, 0
	for _, flavour := range flavours {
		evs := generateEvents(t, flavour)
		for _, p := range rm.All() {
			fast, decoded := newDocTx(), newDocTx()
			slow := rm.Decoded(p)
			for i, ev := range evs {
				errFast := fast.apply(ctx, p, ev)
				errSlow := decoded.apply(ctx, slow, ev)
				if errFast != nil {
					failed++
				}
				if (errFast == nil) != (errSlow == nil) {
					t.Fatalf("%s, %s: event %d (%s): fast path: %v; decoded: %v", flavour, p.Name(), i, ev.Type, errFast, errSlow)
				}
				if d := fast.diff(decoded, false); d != "" {
					t.Fatalf("%s, %s: after event %d (%s, data %s):\n%s", flavour, p.Name(), i, ev.Type, ev.Data, d)
				}
				if rm.TakesFastPath(p, ev) {
					fastTaken[p.Name()+" "+ev.Type] = true
				}
			}
			if d := fast.diff(decoded, true); d != "" {
				t.Fatalf("%s, %s: at the end:\n%s", flavour, p.Name(), d)
			}
			compared += len(fast.docs)
		}
	}
	// The comparison means something only if the fast paths ran: the
	// trail's on most event types, the transcripts' on its two, the
	// tallies', the counties' and the staff signatures' on signatures.
	trail, transcripts, tallies := 0, 0, 0
	for k := range fastTaken {
		switch {
		case strings.HasPrefix(k, rm.TrailName+" "):
			trail++
		case strings.HasPrefix(k, rm.TranscriptsName+" "):
			transcripts++
		case k == rm.TalliesName+" proposal.signed", k == rm.CountiesName+" proposal.signed", k == rm.SignaturesName+" proposal.signed":
			tallies++
		}
	}
	if trail < 30 || transcripts != 2 || tallies != 3 {
		t.Errorf("fast paths taken for %d trail and %d transcripts event types: %v", trail, transcripts, slices.Sorted(maps.Keys(fastTaken)))
	}
	if compared < 400 {
		t.Errorf("only %d documents compared", compared)
	}
	t.Logf("%d documents compared; %d folds refused an event, both ways alike", compared, failed)
}

// TestFastPathsSameDocuments folds the story's log with every read model
// twice, with the Runner's fast paths and decoding every event, and checks
// that both give the same documents.
func TestFastPathsSameDocuments(t *testing.T) {
	ctx := projectiontest.Ctx(t)
	store := projectiontest.NewStore(t)
	l := newLedger(t, store)
	story(l, func(string) {})
	bigCase(t, l, "big", 2, 50, 2, 20)
	var evs []eventstore.Event
	for after := eventstore.Position(0); ; {
		page, err := store.ReadAll(ctx, after, 4096)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		evs = append(evs, page...)
		after = page[len(page)-1].Position
	}
	for _, p := range rm.All() {
		fast, decoded := newDocTx(), newDocTx()
		for _, ev := range evs {
			if err := fast.apply(ctx, p, ev); err != nil {
				t.Fatal(err)
			}
			if err := decoded.apply(ctx, rm.Decoded(p), ev); err != nil {
				t.Fatal(err)
			}
		}
		if d := fast.diff(decoded, true); d != "" {
			t.Errorf("%s:\n%s", p.Name(), d)
		}
		if n := len(fast.docs); n < 100 && (p.Name() == rm.TrailName || p.Name() == rm.TranscriptsName) {
			t.Errorf("%s: only %d documents compared", p.Name(), n)
		}
	}
}

// docTx is a projections.Tx over a map, each event applied in full or not
// at all.
type docTx struct {
	docs    map[projections.DocRef][]byte
	touched map[projections.DocRef]bool // by the last apply (nil: compare all)
}

func newDocTx() *docTx { return &docTx{docs: map[projections.DocRef][]byte{}} }

// apply applies ev with p, undoing its writes if it fails.
func (tx *docTx) apply(ctx context.Context, p projections.Projection, ev eventstore.Event) error {
	before := maps.Clone(tx.docs)
	tx.touched = map[projections.DocRef]bool{}
	if err := p.Apply(ctx, tx, ev); err != nil {
		tx.docs = before
		return err
	}
	return nil
}

// diff names the documents that differ from other's, as decoded JSON
// without zero fields (a field absent from one and zero in the other
// decodes to the same document value): those the last apply of either
// touched, or every document when full.
func (tx *docTx) diff(other *docTx, full bool) string {
	var out []string
	set := map[projections.DocRef]bool{}
	if full {
		for ref := range tx.docs {
			set[ref] = true
		}
		for ref := range other.docs {
			set[ref] = true
		}
	} else {
		maps.Copy(set, tx.touched)
		maps.Copy(set, other.touched)
	}
	refs := slices.Collect(maps.Keys(set))
	slices.SortFunc(refs, func(a, b projections.DocRef) int {
		return strings.Compare(a.Collection+"/"+a.Key, b.Collection+"/"+b.Key)
	})
	for _, ref := range refs {
		a, aok := tx.docs[ref]
		b, bok := other.docs[ref]
		var av, bv any
		if aok {
			if err := json.Unmarshal(a, &av); err != nil {
				out = append(out, fmt.Sprintf("%s/%s: %v", ref.Collection, ref.Key, err))
			}
		}
		if bok {
			if err := json.Unmarshal(b, &bv); err != nil {
				out = append(out, fmt.Sprintf("%s/%s: %v", ref.Collection, ref.Key, err))
			}
		}
		if aok != bok || !reflect.DeepEqual(dropZeros(av), dropZeros(bv)) {
			out = append(out, fmt.Sprintf("%s/%s:\n  fast    %s\n  decoded %s", ref.Collection, ref.Key, a, b))
		}
	}
	return strings.Join(out, "\n")
}

// dropZeros removes, recursively, the object fields of v that hold null,
// false, 0, "", [] or {}.
func dropZeros(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, f := range x {
			f = dropZeros(f)
			x[k] = f
			switch y := f.(type) {
			case nil:
				delete(x, k)
			case bool:
				if !y {
					delete(x, k)
				}
			case float64:
				if y == 0 {
					delete(x, k)
				}
			case string:
				if y == "" {
					delete(x, k)
				}
			case []any:
				if len(y) == 0 {
					delete(x, k)
				}
			case map[string]any:
				if len(y) == 0 {
					delete(x, k)
				}
			}
		}
	case []any:
		for i := range x {
			x[i] = dropZeros(x[i])
		}
	}
	return v
}

func (tx *docTx) Get(_ context.Context, collection, key string, v any) (bool, error) {
	raw, ok := tx.docs[projections.DocRef{Collection: collection, Key: key}]
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

func (tx *docTx) Scan(_ context.Context, collection, prefix string, fn func(key string, raw []byte) error) error {
	var keys []string
	for ref := range tx.docs {
		if ref.Collection == collection && strings.HasPrefix(ref.Key, prefix) {
			keys = append(keys, ref.Key)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := fn(k, tx.docs[projections.DocRef{Collection: collection, Key: k}]); err != nil {
			return err
		}
	}
	return nil
}

func (tx *docTx) Put(_ context.Context, collection, key string, v any) error {
	raw, ok := v.(projections.Encoded)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return err
		}
	} else if !json.Valid(raw) {
		return fmt.Errorf("put %s/%s: invalid JSON %s", collection, key, raw)
	}
	tx.docs[projections.DocRef{Collection: collection, Key: key}] = raw
	tx.touched[projections.DocRef{Collection: collection, Key: key}] = true
	return nil
}

func (tx *docTx) Delete(_ context.Context, collection, key string) error {
	delete(tx.docs, projections.DocRef{Collection: collection, Key: key})
	tx.touched[projections.DocRef{Collection: collection, Key: key}] = true
	return nil
}

// generateEvents returns an event of every type of domain.EventTypes, in
// the order of the list, twice over, each filled in the given flavour (see
// TestFoldsAgreeEveryEventType), in its aggregate's stream, as the log
// stores it (canonical JSON data).
func generateEvents(t *testing.T, flavour string) []eventstore.Event {
	t.Helper()
	g := &generator{flavour: flavour, base: time.Date(2024, 3, 1, 1, 2, 3, 456789000, time.UTC)}
	var out []eventstore.Event
	versions := map[string]uint64{}
	for round := range 2 {
		for _, typ := range domain.EventTypes() {
			v, _ := domain.EventSchemaVersion(typ)
			zero, err := domain.Decode(typ, v, []byte("{}"))
			if err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			e := reflect.New(reflect.TypeOf(zero)).Elem()
			if flavour != "zero" {
				g.fill(e, "")
			}
			de := e.Interface().(domain.Event)
			_, _, data, err := domain.Encode(de)
			if err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			if data, err = eventstore.CanonicalJSON(data); err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			stream := g.stream(typ)
			versions[stream]++
			md := eventstore.Metadata{ActorID: g.id("actor"), ActorRole: "pdis", CommandID: "cmd"}
			if round == 1 {
				md.OccurredAt = g.base.Add(-48 * time.Hour)
			}
			if flavour == "zero" {
				md = eventstore.Metadata{}
			}
			out = append(out, eventstore.Event{
				ID: uuid.New(), Stream: stream, Version: versions[stream], Position: eventstore.Position(len(out) + 1),
				Type: typ, SchemaVersion: v, Data: data, Metadata: md,
				RecordedAt: g.base.Add(time.Duration(len(out)) * time.Second).Truncate(time.Microsecond),
			})
		}
	}
	return out
}

// generator fills events with values of one flavour.
type generator struct {
	flavour string
	base    time.Time
	n       int
}

// trickyText is text that JSON writers escape, or may escape, or must
// keep: quotes, backslashes, HTML characters, line and paragraph
// separators, a control character, CJK and an emoji.
const trickyText = "say \"hi\" \\ <b>&amp;</b>\u2028\u2029\x01 公聽會 🙂"

// id returns the identifier a field named name holds: the same for the
// same name, so that events refer to one another.
func (g *generator) id(name string) string {
	name = strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(name, "ID"), "Id"))
	if g.flavour == "tricky-ids" {
		return name + "-\"1\\<&>\u2028é"
	}
	return name + "-1"
}

// stream returns the stream of an event of type typ, named with the IDs
// id gives.
func (g *generator) stream(typ string) string {
	kind, _, _ := strings.Cut(typ, ".")
	switch kind {
	case "proposal":
		return domain.ProposalStream(domain.ProposalID(g.id("Proposal")))
	case "monthly":
		return domain.MonthlyMeetingStream(domain.MonthlyMeetingID(g.id("MonthlyMeeting")))
	case "case":
		return domain.CaseStream(domain.CaseID(g.id("Case")))
	case "meeting":
		return domain.MeetingStream(domain.MeetingID(g.id("Meeting")))
	case "transcript":
		return domain.TranscriptStream(domain.MeetingID(g.id("Meeting")))
	case "registry":
		return domain.RegistryStream()
	}
	return kind + "-" + g.id(kind)
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// fill sets v, a field named name, and everything in it.
func (g *generator) fill(v reflect.Value, name string) {
	g.n++
	switch {
	case v.Type() == timeType:
		v.Set(reflect.ValueOf(g.base.Add(time.Duration(g.n) * time.Minute)))
		return
	case v.Type() == rawType:
		v.SetBytes([]byte(`{"k":"v"}`))
		return
	}
	switch v.Kind() {
	case reflect.String:
		if strings.HasSuffix(name, "ID") || strings.HasSuffix(v.Type().Name(), "ID") {
			v.SetString(g.id(name))
		} else if g.flavour == "plain" {
			v.SetString(strings.ToLower(name) + " text")
		} else {
			v.SetString(trickyText)
		}
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(1 + g.n%3))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(1 + g.n%3))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		g.fill(p.Elem(), name)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			g.fill(s.Index(i), strings.TrimSuffix(name, "s"))
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		g.fill(k, "key")
		g.fill(e, name)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				g.fill(v.Field(i), f.Name)
			}
		}
	}
}

// TestSignatureReadOnceForTalliesAndCounties folds signatures with a Runner
// (its shared reader of the log, decision 0040) into the tallies and the
// counties, and counts how often a signature's JSON is read: once for both
// folds, not once each (readSigned), with the same tallies as the decoded
// folds give.
func TestSignatureReadOnceForTalliesAndCounties(t *testing.T) {
	store := projectiontest.NewStore(t)
	l := newLedger(t, store)
	at := time.Date(2025, 5, 1, 1, 0, 0, 0, time.UTC)
	const per = 400
	ids := []domain.ProposalID{"read-once-1", "read-once-2"}
	for k, id := range ids {
		l.establish(id, at, k*per, per)
	}
	var reads atomic.Int64
	rm.OnSignedRead(t, func(ev eventstore.Event) {
		if strings.Contains(string(ev.Data), `"read-once-`) {
			reads.Add(1)
		}
	})
	backend := projections.NewMemoryBackend()
	run := projectiontest.Start(t, projections.RunnerConfig{Store: store, Backend: backend,
		Projections: []projections.Projection{rm.Tallies{}, rm.Counties{}}})
	ctx := projectiontest.Ctx(t)
	if err := run.WaitCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	// Read once each for both folds where they take turns; where the two
	// folds reach a signature at the same moment, both may miss the other's
	// read (a busy machine: 1,072 reads of 800 in one CI run). Read once
	// per fold, with no sharing, would be exactly twice (1,600).
	signatures := int64(len(ids) * per)
	if n := reads.Load(); n < signatures || n > signatures*7/4 {
		t.Errorf("%d signatures read %d times for two folds; want each once (%d)", signatures, n, signatures)
	}
	for _, id := range ids {
		tally, ok, err := rm.Proposal(ctx, backend.Reader(rm.TalliesName), id, rm.Auditor)
		if err != nil || !ok || tally.Valid != per {
			t.Errorf("%s: tally %d valid (found %v, %v); want %d", id, tally.Valid, ok, err, per)
		}
		c, ok, err := rm.ProposalCounties(ctx, backend.Reader(rm.CountiesName), id)
		if err != nil || !ok || c.Valid != per {
			t.Errorf("%s: counties %d valid (found %v, %v); want %d", id, c.Valid, ok, err, per)
		}
	}
}

// Package storetest is the conformance suite every eventstore backend passes.
//
// A backend's test calls Run with an Opener:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t testing.TB) (eventstore.Store, func(testing.TB) eventstore.Store) {
//			path := filepath.Join(t.TempDir(), "ledger.db")
//			open := func(t testing.TB) eventstore.Store { s, err := bbolt.Open(ctx, path, cfg); ...; return s }
//			return open(t), open
//		})
//	}
//
// The suite never assumes the store is empty (a KurrentDB server cannot be
// emptied between tests): every test uses its own stream names and reads
// the global log relative to the head it saw when it started.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
)

// Opener returns a fresh store for one test, and a function that reopens
// the same storage once the test has closed the first store. Cleanup of the
// storage is the opener's business (t.Cleanup).
type Opener func(t testing.TB) (store eventstore.Store, reopen func(t testing.TB) eventstore.Store)

// Options describe what a backend guarantees beyond the interface.
type Options struct {
	// DensePositions: positions go 1, 2, 3, ... with no holes.
	DensePositions bool
	// MaxEventSize is the limit the opener configured (default 1 MiB).
	MaxEventSize int
	// Guarded opens a fresh store of the backend with the given
	// Config.Guards, for the Guards test; nil skips that test.
	Guarded func(t testing.TB, guards map[string]eventstore.Guard) eventstore.Store
}

// Run runs the whole suite with dense positions assumed.
func Run(t *testing.T, open Opener) {
	RunWith(t, open, Options{DensePositions: true})
}

// RunWith runs the whole suite.
func RunWith(t *testing.T, open Opener, opt Options) {
	if opt.MaxEventSize == 0 {
		opt.MaxEventSize = 1 << 20
	}
	s := suite{open: open, opt: opt}
	t.Run("AppendAndRead", s.appendAndRead)
	t.Run("Envelope", s.envelope)
	t.Run("Expectations", s.expectations)
	t.Run("ConcurrentSameExpectation", s.concurrentSameExpectation)
	t.Run("GlobalOrder", s.globalOrder)
	t.Run("IdempotentRetry", s.idempotentRetry)
	t.Run("DuplicateIDElsewhere", s.duplicateIDElsewhere)
	t.Run("Validation", s.validation)
	t.Run("Guards", s.guards)
	t.Run("SubscribeFromStartMiddleHead", s.subscribeWhileWriting)
	t.Run("SubscribeCancel", s.subscribeCancel)
	t.Run("ReadLimits", s.readLimits)
	t.Run("FindEvent", s.findEvent)
	t.Run("Reopen", s.reopen)
	t.Run("Closed", s.closed)
	t.Run("Cancelled", s.cancelled)
}

type suite struct {
	open Opener
	opt  Options
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// prefix returns stream names unique to this test run.
func prefix() string { return "t" + strings.ReplaceAll(uuid.NewString()[:13], "-", "") + "-" }

// Event makes an event with a fresh ID and a small JSON body.
func Event(t testing.TB, typ string, n int) eventstore.EventData {
	t.Helper()
	ev, err := eventstore.NewEventData(typ, 1, map[string]any{"n": n, "note": "測試 <ok> & \"quoted\""}, eventstore.Metadata{
		ActorID: "actor-1", ActorRole: "pdis", CommandID: uuid.NewString(), CorrelationID: "corr-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func events(t testing.TB, n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = Event(t, "test.happened", i)
	}
	return out
}

func mustAppend(t testing.TB, s eventstore.Store, stream string, exp eventstore.Expectation, evs ...eventstore.EventData) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(ctxFor(t), stream, exp, evs...)
	if err != nil {
		t.Fatalf("append %s: %v", stream, err)
	}
	return res
}

func head(t testing.TB, s eventstore.Store) eventstore.Position {
	t.Helper()
	h, err := s.Head(ctxFor(t))
	if err != nil {
		t.Fatalf("head: %v", err)
	}
	return h
}

// readAllSince reads the whole log after `after`, keeping only streams with
// the prefix.
func readAllSince(t testing.TB, s eventstore.Store, after eventstore.Position, pre string) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	for {
		batch, err := s.ReadAll(ctxFor(t), after, 1000)
		if err != nil {
			t.Fatalf("read all after %d: %v", after, err)
		}
		if len(batch) == 0 {
			return out
		}
		for _, ev := range batch {
			if ev.Position <= after {
				t.Fatalf("read all: position %d not after %d", ev.Position, after)
			}
			after = ev.Position
			if strings.HasPrefix(ev.Stream, pre) {
				out = append(out, ev)
			}
		}
	}
}

func (s suite) appendAndRead(t *testing.T) {
	st, _ := s.open(t)
	defer st.Close()
	ctx := ctxFor(t)
	pre := prefix()
	stream := pre + "a"

	got, err := st.ReadStream(ctx, stream, 1, 100)
	if err != nil || len(got) != 0 {
		t.Fatalf("read of a missing stream = %v, %v; want empty, nil", got, err)
	}
	in := events(t, 3)
	res := mustAppend(t, st, stream, eventstore.NoStream, in...)
	if res.Version != 3 || len(res.Events) != 3 {
		t.Fatalf("append result version %d with %d events, want 3 and 3", res.Version, len(res.Events))
	}
	if res.Position != res.Events[2].Position {
		t.Fatalf("result position %d, last event at %d", res.Position, res.Events[2].Position)
	}
	res2 := mustAppend(t, st, stream, eventstore.Exact(3), events(t, 2)...)
	if res2.Version != 5 || res2.Position <= res.Position {
		t.Fatalf("second append: version %d position %d (first at %d)", res2.Version, res2.Position, res.Position)
	}
	got, err = st.ReadStream(ctx, stream, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("read %d events, want 5", len(got))
	}
	for i, ev := range got {
		if ev.Version != uint64(i+1) {
			t.Fatalf("event %d has version %d", i, ev.Version)
		}
		if i > 0 && ev.Position <= got[i-1].Position {
			t.Fatalf("positions not increasing: %d then %d", got[i-1].Position, ev.Position)
		}
		if s.opt.DensePositions && i > 0 && ev.Position != got[i-1].Position+1 {
			t.Fatalf("positions not dense: %d then %d", got[i-1].Position, ev.Position)
		}
	}
	want := append(res.Events, res2.Events...)
	for i := range want {
		assertSameEvent(t, want[i], got[i])
	}
	// From the middle.
	mid, err := st.ReadStream(ctx, stream, 4, 100)
	if err != nil || len(mid) != 2 || mid[0].Version != 4 {
		t.Fatalf("read from version 4 = %d events (%v), want 2 from version 4", len(mid), err)
	}
	if h := head(t, st); h != res2.Position {
		t.Fatalf("head %d, want %d", h, res2.Position)
	}
}

func assertSameEvent(t testing.TB, want, got eventstore.Event) {
	t.Helper()
	if want.ID != got.ID || want.Stream != got.Stream || want.Version != got.Version || want.Position != got.Position ||
		want.Type != got.Type || want.SchemaVersion != got.SchemaVersion || string(want.Data) != string(got.Data) ||
		want.Metadata != got.Metadata || !want.RecordedAt.Equal(got.RecordedAt) || want.Hash != got.Hash {
		t.Fatalf("stored event differs from the one acknowledged:\n want %+v\n  got %+v", want, got)
	}
}

func (s suite) envelope(t *testing.T) {
	st, _ := s.open(t)
	defer st.Close()
	stream := prefix() + "env"
	occurred := time.Date(2019, 1, 25, 9, 30, 0, 123456789, time.FixedZone("Asia/Taipei", 8*3600))
	ev, err := eventstore.NewEventData("transcript.utterance_recorded", 2, json.RawMessage(`{ "z": 1, "a": [true, null, 1.50], "text": "您好\u2028" }`), eventstore.Metadata{
		ActorID: "steno-1", ActorRole: "stenographer", CommandID: "cmd-1", CorrelationID: "corr-1", CausationID: "cause-1", OccurredAt: occurred,
	})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Second)
	res := mustAppend(t, st, stream, eventstore.Any, ev)
	got, err := st.ReadStream(ctxFor(t), stream, 1, 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("read back: %v (%d events)", err, len(got))
	}
	e := got[0]
	if e.ID != ev.ID || e.Type != ev.Type || e.SchemaVersion != 2 || e.Version != 1 || e.Stream != stream {
		t.Fatalf("envelope fields not kept: %+v", e)
	}
	if want := `{"a":[true,null,1.5],"text":"您好` + "\u2028" + `","z":1}`; string(e.Data) != want {
		t.Fatalf("data not in canonical form:\n got %s\nwant %s", e.Data, want)
	}
	if !e.Metadata.OccurredAt.Equal(occurred.Truncate(time.Microsecond)) || e.Metadata.OccurredAt.Location() != time.UTC {
		t.Fatalf("occurred-at %v, want %v in UTC", e.Metadata.OccurredAt, occurred)
	}
	if e.Metadata.ActorID != "steno-1" || e.Metadata.CausationID != "cause-1" || e.Metadata.CorrelationID != "corr-1" || e.Metadata.CommandID != "cmd-1" || e.Metadata.ActorRole != "stenographer" {
		t.Fatalf("metadata not kept: %+v", e.Metadata)
	}
	if e.RecordedAt.Location() != time.UTC || e.RecordedAt.Before(before) || e.RecordedAt.After(time.Now().Add(time.Second)) || e.RecordedAt.Nanosecond()%1000 != 0 {
		t.Fatalf("recorded-at %v is not the store's UTC time to the microsecond", e.RecordedAt)
	}
	if err := e.Verify(); err != nil {
		t.Fatalf("content hash: %v", err)
	}
	if e.Hash != res.Events[0].Hash {
		t.Fatalf("hash read back %s, acknowledged %s", e.Hash, res.Events[0].Hash)
	}
	if e.Hash == ([32]byte{}) {
		t.Fatal("no content hash")
	}
}

func (s suite) expectations(t *testing.T) {
	st, _ := s.open(t)
	defer st.Close()
	ctx := ctxFor(t)
	pre := prefix()
	one := func() eventstore.EventData { return Event(t, "test.happened", 0) }
	conflict := func(name string, err error, actual uint64) {
		t.Helper()
		var ce *eventstore.ConflictError
		if !errors.As(err, &ce) || !errors.Is(err, eventstore.ErrConflict) {
			t.Fatalf("%s: got %v, want a *ConflictError", name, err)
		}
		if ce.Actual != actual {
			t.Fatalf("%s: conflict says actual version %d, want %d", name, ce.Actual, actual)
		}
	}
	s1 := pre + "exp"
	_, err := st.Append(ctx, s1, eventstore.StreamExists, one())
	conflict("stream exists on a missing stream", err, 0)
	_, err = st.Append(ctx, s1, eventstore.Exact(1), one())
	conflict("exact 1 on a missing stream", err, 0)
	mustAppend(t, st, s1, eventstore.NoStream, one())
	_, err = st.Append(ctx, s1, eventstore.NoStream, one())
	conflict("no stream on an existing stream", err, 1)
	mustAppend(t, st, s1, eventstore.StreamExists, one())
	mustAppend(t, st, s1, eventstore.Any, one())
	_, err = st.Append(ctx, s1, eventstore.Exact(2), one())
	conflict("exact 2 at version 3", err, 3)
	_, err = st.Append(ctx, s1, eventstore.Exact(4), one())
	conflict("exact 4 at version 3", err, 3)
	res := mustAppend(t, st, s1, eventstore.Exact(3), one())
	if res.Version != 4 {
		t.Fatalf("version %d, want 4", res.Version)
	}
	res = mustAppend(t, st, pre+"any-new", eventstore.Any, one())
	if res.Version != 1 {
		t.Fatalf("any on a new stream: version %d, want 1", res.Version)
	}
	got, _ := st.ReadStream(ctx, s1, 1, 100)
	if len(got) != 4 {
		t.Fatalf("a refused append stored something: %d events, want 4", len(got))
	}
}

// concurrentSameExpectation: many goroutines append with the same expected
// version; exactly one wins, the rest see a conflict.
func (s suite) concurrentSameExpectation(t *testing.T) {
	st, _ := s.open(t)
	defer st.Close()
	stream := prefix() + "race"
	mustAppend(t, st, stream, eventstore.NoStream, Event(t, "test.happened", 0))
	const n = 32
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := st.Append(context.Background(), stream, eventstore.Exact(1), Event(t, "test.happened", i))
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, eventstore.ErrConflict):
				conflicts.Add(1)
			default:
				t.Errorf("append: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != n-1 {
		t.Fatalf("%d wins and %d conflicts, want 1 and %d", wins.Load(), conflicts.Load(), n-1)
	}
	got, _ := st.ReadStream(ctxFor(t), stream, 1, 100)
	if len(got) != 2 {
		t.Fatalf("stream has %d events, want 2", len(got))
	}
}

// globalOrder: concurrent writers on many streams; the global log holds
// every acknowledged event once, in increasing positions, each stream's
// events in version order.
func (s suite) globalOrder(t *testing.T) {
	st, _ := s.open(t)
	defer st.Close()
	pre := prefix()
	start := head(t, st)
	const writers, per = 8, 25
	acked := make(chan eventstore.Event, writers*per*2)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := fmt.Sprintf("%sw%d", pre, w)
			for i := range per {
				n := 1 + i%2
				res, err := st.Append(context.Background(), stream, eventstore.Any, events(t, n)...)
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
				for _, e := range res.Events {
					acked <- e
				}
			}
		}()
	}
	wg.Wait()
	close(acked)
	want := map[uuid.UUID]eventstore.Event{}
	for e := range acked {
		want[e.ID] = e
	}
	got := readAllSince(t, st, start, pre)
	if len(got) != len(want) {
		t.Fatalf("global log has %d of this test's events, %d were acknowledged", len(got), len(want))
	}
	lastVersion := map[string]uint64{}
	for i, e := range got {
		w, ok := want[e.ID]
		if !ok {
			t.Fatalf("event %s in the log was never acknowledged", e.ID)
		}
		assertSameEvent(t, w, e)
		delete(want, e.ID)
		if i > 0 && e.Position <= got[i-1].Position {
			t.Fatalf("positions out of order: %d after %d", e.Position, got[i-1].Position)
		}
		if s.opt.DensePositions && i > 0 && e.Position != got[i-1].Position+1 {
			t.Fatalf("hole in dense positions: %d after %d", e.Position, got[i-1].Position)
		}
		if e.Version != lastVersion[e.Stream]+1 {
			t.Fatalf("stream %s: version %d after %d", e.Stream, e.Version, lastVersion[e.Stream])
		}
		lastVersion[e.Stream] = e.Version
	}
}

func (s suite) idempotentRetry(t *testing.T) {
	st, _ := s.open(t)
	defer st.Close()
	ctx := ctxFor(t)
	pre := prefix()
	stream := pre + "idem"
	batch := events(t, 3)
	first := mustAppend(t, st, stream, eventstore.NoStream, batch...)
	for _, exp := range []eventstore.Expectation{eventstore.NoStream, eventstore.Any, eventstore.Exact(0)} {
		again, err := st.Append(ctx, stream, exp, batch...)
		if err != nil {
			t.Fatalf("retry with %s: %v", exp, err)
		}
		if again.Version != first.Version || again.Position != first.Position {
			t.Fatalf("retry with %s answered version %d position %d, first answer %d %d", exp, again.Version, again.Position, first.Version, first.Position)
		}
	}
	// Later events, then a retry of the first append still answers the same.
	mustAppend(t, st, stream, eventstore.Exact(3), events(t, 1)...)
	if _, err := st.Append(ctx, stream, eventstore.NoStream, batch...); err != nil {
		t.Fatalf("retry after later appends: %v", err)
	}
	// A retry of the second append alone.
	second := events(t, 2)
	mustAppend(t, st, stream, eventstore.Exact(4), second...)
	if _, err := st.Append(ctx, stream, eventstore.Exact(4), second...); err != nil {
		t.Fatalf("retry of the second append: %v", err)
	}
	got, _ := st.ReadStream(ctx, stream, 1, 100)
	if len(got) != 6 {
		t.Fatalf("retries duplicated events: %d in the stream, want 6", len(got))
	}
	if n := len(readAllSince(t, st, 0, stream)); n != 6 {
		t.Fatalf("global log holds %d of the stream's events, want 6", n)
	}
}

func (s suite) duplicateIDElsewhere(t *testing.T) {
	st, _ := s.open(t)
	defer st.Close()
	ctx := ctxFor(t)
	pre := prefix()
	ev := Event(t, "test.happened", 1)
	mustAppend(t, st, pre+"one", eventstore.NoStream, ev)
	// Same ID in another stream.
	if _, err := st.Append(ctx, pre+"two", eventstore.Any, ev); !errors.Is(err, eventstore.ErrDuplicateEvent) {
		t.Fatalf("same ID in another stream: %v, want ErrDuplicateEvent", err)
	}
	// Same ID as part of a different batch (a new event first, then the stored one).
	if _, err := st.Append(ctx, pre+"one", eventstore.Any, Event(t, "test.happened", 2), ev); !errors.Is(err, eventstore.ErrDuplicateEvent) {
		t.Fatalf("stored ID inside a new batch: %v, want ErrDuplicateEvent", err)
	}
	if got, _ := st.ReadStream(ctx, pre+"two", 1, 10); len(got) != 0 {
		t.Fatalf("refused append stored %d events", len(got))
	}
	if got, _ := st.ReadStream(ctx, pre+"one", 1, 10); len(got) != 1 {
		t.Fatalf("refused append stored events: stream has %d, want 1", len(got))
	}
}

func (s suite) validation(t *testing.T) {
	st, _ := s.open(t)
	defer st.Close()
	ctx := ctxFor(t)
	pre := prefix()
	before := head(t, st)
	ok := func() eventstore.EventData { return Event(t, "test.happened", 0) }
	big := ok()
	big.Data = json.RawMessage(`{"blob":"` + strings.Repeat("x", s.opt.MaxEventSize) + `"}`)
	noID := ok()
	noID.ID = uuid.Nil
	badType := ok()
	badType.Type = "has space"
	badData := ok()
	badData.Data = json.RawMessage(`{"unterminated":`)
	arrayData := ok()
	arrayData.Data = json.RawMessage(`[1,2]`)
	noSchema := ok()
	noSchema.SchemaVersion = 0
	dupInBatch := ok()
	epoch := ok()
	epoch.Metadata.OccurredAt = time.Unix(0, 0)
	cases := []struct {
		name   string
		stream string
		evs    []eventstore.EventData
		want   error
	}{
		{"empty stream name", "", []eventstore.EventData{ok()}, eventstore.ErrInvalidStream},
		{"over-long stream name", pre + strings.Repeat("s", eventstore.MaxStreamLen), []eventstore.EventData{ok()}, eventstore.ErrInvalidStream},
		{"control character in name", pre + "a\nb", []eventstore.EventData{ok()}, eventstore.ErrInvalidStream},
		{"NUL in name", pre + "a\x00b", []eventstore.EventData{ok()}, eventstore.ErrInvalidStream},
		{"invalid UTF-8 name", pre + "a\xffb", []eventstore.EventData{ok()}, eventstore.ErrInvalidStream},
		{"reserved $ name", "$" + pre, []eventstore.EventData{ok()}, eventstore.ErrInvalidStream},
		{"no events", pre + "v", nil, eventstore.ErrInvalidEvent},
		{"event over the size limit", pre + "v", []eventstore.EventData{ok(), big}, eventstore.ErrEventTooLarge},
		{"event without ID", pre + "v", []eventstore.EventData{noID}, eventstore.ErrInvalidEvent},
		{"bad type name", pre + "v", []eventstore.EventData{badType}, eventstore.ErrInvalidEvent},
		{"data not JSON", pre + "v", []eventstore.EventData{badData}, eventstore.ErrInvalidEvent},
		{"data not an object", pre + "v", []eventstore.EventData{arrayData}, eventstore.ErrInvalidEvent},
		{"schema version 0", pre + "v", []eventstore.EventData{noSchema}, eventstore.ErrInvalidEvent},
		{"same ID twice in one append", pre + "v", []eventstore.EventData{dupInBatch, dupInBatch}, eventstore.ErrInvalidEvent},
		{"occurred at the Unix epoch (an unset time)", pre + "v", []eventstore.EventData{epoch}, eventstore.ErrInvalidEvent},
	}
	for _, c := range cases {
		_, err := st.Append(ctx, c.stream, eventstore.Any, c.evs...)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		} else if eventstore.Code(err) == "" || !strings.Contains(err.Error(), c.want.Error()) {
			t.Errorf("%s: error %q has no stable code or does not say what is wrong", c.name, err)
		}
	}
	if h := head(t, st); h != before {
		t.Fatalf("invalid appends moved the head from %d to %d", before, h)
	}
	if got, _ := st.ReadStream(ctx, pre+"v", 1, 10); len(got) != 0 {
		t.Fatalf("invalid appends stored %d events", len(got))
	}
	// An event just under the limit is fine.
	fits := ok()
	fits.Metadata = eventstore.Metadata{}
	fits.Data = json.RawMessage(`{"b":"` + strings.Repeat("y", s.opt.MaxEventSize-len(`{"b":""}`)) + `"}`)
	mustAppend(t, st, pre+"fits", eventstore.NoStream, fits)
}

// errNotApproved is the reason the Guards test's guard gives.
var errNotApproved = errors.New("not approved")

// guards: an append to a guarded stream is stored only when its guard lets
// it through; a refusal says ErrStreamGuarded (code stream_guarded) and the
// guard's reason, and stores nothing; the guard sees canonical events after
// the shared checks; other streams are not guarded; a retry of a stored
// append passes again.
func (s suite) guards(t *testing.T) {
	if s.opt.Guarded == nil {
		t.Skip("the backend's test gives no Options.Guarded")
	}
	pre := prefix()
	guarded := pre + "guarded"
	var (
		mu    sync.Mutex
		calls int
		seen  []eventstore.EventData
	)
	// The guard lets an append through when every event's data says
	// "approved": true.
	guard := func(stream string, evs []eventstore.EventData) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		seen = append(seen[:0], evs...)
		if stream != guarded {
			return fmt.Errorf("guard called for stream %q", stream)
		}
		for i, ev := range evs {
			var d struct {
				Approved bool `json:"approved"`
			}
			if err := json.Unmarshal(ev.Data, &d); err != nil || !d.Approved {
				return fmt.Errorf("event %d: %w", i, errNotApproved)
			}
		}
		return nil
	}
	st := s.opt.Guarded(t, map[string]eventstore.Guard{guarded: guard})
	defer st.Close()
	ctx := ctxFor(t)
	approved := func(ok bool) eventstore.EventData {
		ev, err := eventstore.NewEventData("test.approved", 1, map[string]any{"z": "後", "approved": ok, "a": 1.0}, eventstore.Metadata{ActorRole: "pdis"})
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	before := head(t, st)
	for _, tc := range []struct {
		name string
		evs  []eventstore.EventData
	}{
		{"one refused", []eventstore.EventData{approved(false)}},
		{"one of two refused", []eventstore.EventData{approved(true), approved(false)}},
	} {
		for _, exp := range []eventstore.Expectation{eventstore.Any, eventstore.NoStream} {
			_, err := st.Append(ctx, guarded, exp, tc.evs...)
			if !errors.Is(err, eventstore.ErrStreamGuarded) || !errors.Is(err, errNotApproved) || eventstore.Code(err) != "stream_guarded" {
				t.Fatalf("%s (%s): got %v (code %q), want ErrStreamGuarded wrapping the guard's reason, code stream_guarded", tc.name, exp, err, eventstore.Code(err))
			}
			if !strings.Contains(err.Error(), guarded) || !strings.Contains(err.Error(), "not approved") {
				t.Fatalf("%s: error %q does not name the stream and the reason", tc.name, err)
			}
		}
	}
	if h := head(t, st); h != before {
		t.Fatalf("refused appends moved the head from %d to %d", before, h)
	}
	if got, err := st.ReadStream(ctx, guarded, 1, 10); err != nil || len(got) != 0 {
		t.Fatalf("refused appends stored %d events (%v)", len(got), err)
	}
	// Bad input is refused by the shared checks before the guard runs.
	mu.Lock()
	calls = 0
	mu.Unlock()
	bad := approved(true)
	bad.Type = "has space"
	if _, err := st.Append(ctx, guarded, eventstore.Any, bad); !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Fatalf("invalid event to a guarded stream: %v, want ErrInvalidEvent", err)
	}
	mu.Lock()
	if calls != 0 {
		t.Fatalf("the guard ran %d times on an invalid append", calls)
	}
	mu.Unlock()
	// An approved append is stored; the guard saw canonical data.
	ok := []eventstore.EventData{approved(true), approved(true)}
	res := mustAppend(t, st, guarded, eventstore.NoStream, ok...)
	if res.Version != 2 {
		t.Fatalf("approved append: version %d, want 2", res.Version)
	}
	mu.Lock()
	canonical := len(seen) == 2 && string(seen[0].Data) == `{"a":1,"approved":true,"z":"後"}` && seen[1].ID == ok[1].ID
	mu.Unlock()
	if !canonical {
		t.Fatalf("the guard saw %+v, want the two events with canonical data", seen)
	}
	// A retry of it passes the guard again and answers the same.
	again, err := st.Append(ctx, guarded, eventstore.NoStream, ok...)
	if err != nil || again.Position != res.Position || again.Version != res.Version {
		t.Fatalf("retry of the approved append: %+v, %v; first %+v", again, err, res)
	}
	// Other streams are not guarded.
	mu.Lock()
	calls = 0
	mu.Unlock()
	mustAppend(t, st, pre+"free", eventstore.NoStream, approved(false))
	mu.Lock()
	if calls != 0 {
		t.Fatalf("the guard ran %d times for another stream", calls)
	}
	mu.Unlock()
	// A stream closed with Refuse takes nothing.
	closed := pre + "closed"
	st2 := s.opt.Guarded(t, map[string]eventstore.Guard{closed: eventstore.Refuse("closed to this process")})
	defer st2.Close()
	if _, err := st2.Append(ctx, closed, eventstore.Any, approved(true)); !errors.Is(err, eventstore.ErrStreamGuarded) || !strings.Contains(err.Error(), "closed to this process") {
		t.Fatalf("append to a refused stream: %v", err)
	}
	if got, _ := st2.ReadStream(ctx, closed, 1, 10); len(got) != 0 {
		t.Fatalf("a refused stream took events: %d", len(got))
	}
}

// subscribeWhileWriting: subscriptions from the start, the middle and the
// head of this test's events, while 8 writers append; each sees every event
// after its start exactly once, in order.
func (s suite) subscribeWhileWriting(t *testing.T) {
	st, _ := s.open(t)
	defer st.Close()
	pre := prefix()
	start := head(t, st)
	// Some events before any subscriber.
	for i := range 20 {
		mustAppend(t, st, fmt.Sprintf("%spre%d", pre, i%3), eventstore.Any, Event(t, "test.happened", i))
	}
	prior := readAllSince(t, st, start, pre)
	middle := prior[9].Position
	headPos := head(t, st)

	const writers, per = 8, 40
	total := len(prior) + writers*per
	type sub struct {
		name  string
		after eventstore.Position
		want  int
	}
	subs := []sub{{"start", start, total}, {"middle", middle, total - 10}, {"head", headPos, writers * per}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	results := make([][]eventstore.Event, len(subs))
	var subsWG sync.WaitGroup
	ready := make(chan struct{}, len(subs))
	for i, sb := range subs {
		subsWG.Add(1)
		go func() {
			defer subsWG.Done()
			last := sb.after
			seen := 0
			ready <- struct{}{}
			for ev, err := range st.Subscribe(ctx, sb.after) {
				if err != nil {
					t.Errorf("subscription from %s: %v after %d events", sb.name, err, seen)
					return
				}
				if ev.Position <= last {
					t.Errorf("subscription from %s: position %d after %d", sb.name, ev.Position, last)
					return
				}
				last = ev.Position
				if !strings.HasPrefix(ev.Stream, pre) {
					continue
				}
				results[i] = append(results[i], ev)
				seen++
				if seen == sb.want {
					return
				}
			}
		}()
	}
	for range subs {
		<-ready
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				if _, err := st.Append(context.Background(), fmt.Sprintf("%sw%d", pre, w), eventstore.Any, Event(t, "test.happened", i)); err != nil {
					t.Errorf("append: %v", err)
					return
				}
				if i%10 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	subsWG.Wait()
	if t.Failed() {
		return
	}
	all := readAllSince(t, st, start, pre)
	if len(all) != total {
		t.Fatalf("log has %d events, want %d", len(all), total)
	}
	for i, sb := range subs {
		expect := all[len(all)-sb.want:]
		if len(results[i]) != len(expect) {
			t.Fatalf("subscription from %s saw %d events, want %d", sb.name, len(results[i]), len(expect))
		}
		for j := range expect {
			if results[i][j].ID != expect[j].ID || results[i][j].Position != expect[j].Position {
				t.Fatalf("subscription from %s: event %d is %s@%d, log has %s@%d", sb.name, j, results[i][j].ID, results[i][j].Position, expect[j].ID, expect[j].Position)
			}
		}
	}
}

func (s suite) subscribeCancel(t *testing.T) {
	st, _ := s.open(t)
	defer st.Close()
	ctx, cancel := context.WithCancel(context.Background())
	h := head(t, st)
	done := make(chan error, 1)
	go func() {
		var last error
		for _, err := range st.Subscribe(ctx, h) {
			if err != nil {
				last = err
			}
		}
		done <- last
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled subscription ended with %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("subscription did not end after its context was cancelled")
	}
	// Breaking out of the loop stops the subscription too.
	pre := prefix()
	mustAppend(t, st, pre+"x", eventstore.Any, events(t, 3)...)
	n := 0
	for _, err := range st.Subscribe(ctxFor(t), h) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 2 {
			break
		}
	}
}

func (s suite) readLimits(t *testing.T) {
	st, _ := s.open(t)
	defer st.Close()
	ctx := ctxFor(t)
	pre := prefix()
	start := head(t, st)
	mustAppend(t, st, pre+"lim", eventstore.NoStream, events(t, 10)...)
	got, err := st.ReadStream(ctx, pre+"lim", 3, 4)
	if err != nil || len(got) != 4 || got[0].Version != 3 || got[3].Version != 6 {
		t.Fatalf("read stream from 3 limit 4: %d events, %v", len(got), err)
	}
	if got, _ := st.ReadStream(ctx, pre+"lim", 11, 4); len(got) != 0 {
		t.Fatalf("read past the end returned %d events", len(got))
	}
	all, err := st.ReadAll(ctx, start, 4)
	if err != nil || len(all) != 4 {
		t.Fatalf("read all limit 4: %d events, %v", len(all), err)
	}
	if _, err := st.ReadStream(ctx, "", 1, 1); !errors.Is(err, eventstore.ErrInvalidStream) {
		t.Fatalf("read of an invalid stream name: %v, want ErrInvalidStream", err)
	}
}

// findEvent: a store that implements eventstore.Finder finds a stored
// event by its ID, with its stream, version and position, and reports an
// unknown ID as not found.
func (s suite) findEvent(t *testing.T) {
	st, _ := s.open(t)
	defer st.Close()
	f, ok := st.(eventstore.Finder)
	if !ok {
		t.Skip("the backend does not implement eventstore.Finder")
	}
	ctx := ctxFor(t)
	pre := prefix()
	evs := events(t, 3)
	res := mustAppend(t, st, pre+"find", eventstore.NoStream, evs...)
	got, found, err := f.FindEvent(ctx, evs[1].ID)
	if err != nil || !found {
		t.Fatalf("find a stored event: found %v, %v", found, err)
	}
	want := res.Events[1]
	if got.ID != want.ID || got.Stream != pre+"find" || got.Version != 2 || got.Position != want.Position || !bytes.Equal(got.Data, want.Data) {
		t.Fatalf("found %s %s/%d at %d, want %s %s/2 at %d", got.ID, got.Stream, got.Version, got.Position, want.ID, pre+"find", want.Position)
	}
	if _, found, err := f.FindEvent(ctx, uuid.New()); err != nil || found {
		t.Fatalf("find an unknown ID: found %v, %v", found, err)
	}
}

func (s suite) reopen(t *testing.T) {
	st, reopen := s.open(t)
	pre := prefix()
	res := mustAppend(t, st, pre+"r", eventstore.NoStream, events(t, 5)...)
	if err := st.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	st2 := reopen(t)
	defer st2.Close()
	got, err := st2.ReadStream(ctxFor(t), pre+"r", 1, 10)
	if err != nil || len(got) != 5 {
		t.Fatalf("after reopen: %d events, %v", len(got), err)
	}
	for i := range got {
		assertSameEvent(t, res.Events[i], got[i])
	}
	if h := head(t, st2); h < res.Position {
		t.Fatalf("head after reopen %d, before %d", h, res.Position)
	}
	res2 := mustAppend(t, st2, pre+"r", eventstore.Exact(5), events(t, 1)...)
	if res2.Position <= res.Position || res2.Version != 6 {
		t.Fatalf("append after reopen at version %d position %d (before: %d)", res2.Version, res2.Position, res.Position)
	}
}

func (s suite) closed(t *testing.T) {
	st, _ := s.open(t)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := ctxFor(t)
	if _, err := st.Append(ctx, prefix()+"c", eventstore.Any, Event(t, "test.happened", 0)); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("append after close: %v, want ErrClosed", err)
	}
	if _, err := st.ReadAll(ctx, 0, 1); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("read after close: %v, want ErrClosed", err)
	}
	if _, err := st.Head(ctx); !errors.Is(err, eventstore.ErrClosed) {
		t.Fatalf("head after close: %v, want ErrClosed", err)
	}
	for _, err := range st.Subscribe(ctx, 0) {
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Fatalf("subscribe after close: %v, want ErrClosed", err)
		}
		break
	}
}

func (s suite) cancelled(t *testing.T) {
	st, _ := s.open(t)
	defer st.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stream := prefix() + "cx"
	if _, err := st.Append(ctx, stream, eventstore.Any, Event(t, "test.happened", 0)); !errors.Is(err, context.Canceled) {
		t.Fatalf("append with a cancelled context: %v, want context.Canceled", err)
	}
	if got, _ := st.ReadStream(ctxFor(t), stream, 1, 10); len(got) != 0 {
		t.Fatalf("append with a cancelled context stored %d events", len(got))
	}
	if _, err := st.ReadAll(ctx, 0, 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("read with a cancelled context: %v, want context.Canceled", err)
	}
}

package reports

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/reports/reportstest"
)

// inputTypesV1 are the types Inputs version 1 keeps.
var inputTypesV1 = []string{
	"case.co_organiser_added", "case.directive_recorded", "case.lead_assigned", "case.opened",
	"case.recommendation_recorded", "case.response_recorded", "case.stage_changed", "case.stakeholder_added",
	"meeting.attendance_recorded", "meeting.participant_added", "meeting.scheduled",
	"monthly.ballot_cast", "monthly.candidate_added", "monthly.closed",
	"proposal.established", "proposal.expired", "proposal.published", "proposal.responded",
	"proposal.response_deadline_extended", "proposal.response_deadline_missed",
	"registry.ministry_registered", "transcript.utterance_edited",
}

// TestInputTypesPinned: the read model keeps every type the computation
// reads (those it decodes, and transcript edits), each a domain event type,
// and a change of that list comes with a new Inputs.Version (which rebuilds
// the read models already stored).
func TestInputTypesPinned(t *testing.T) {
	kept := InputTypes()
	for typ := range decoders {
		if !slices.Contains(kept, typ) || !reads(typ) || !readsBody(typ) {
			t.Errorf("the report decodes %s, which the read model does not keep with its body", typ)
		}
	}
	if !slices.Contains(kept, typeUtteranceEdited) || !reads(typeUtteranceEdited) || readsBody(typeUtteranceEdited) {
		t.Errorf("%s: kept without its body", typeUtteranceEdited)
	}
	for _, typ := range domain.EventTypes() {
		if reads(typ) != slices.Contains(kept, typ) {
			t.Errorf("%s: reads %v, kept %v", typ, reads(typ), slices.Contains(kept, typ))
		}
	}
	for _, typ := range kept {
		if _, ok := domain.EventSchemaVersion(typ); !ok {
			t.Errorf("%s is no domain event type", typ)
		}
	}
	if v := (Inputs{}).Version(); v != 1 || !slices.Equal(kept, inputTypesV1) {
		t.Fatalf("the report reads %q at version %d: the types kept changed, bump Inputs.Version and pin the new list here", kept, v)
	}
}

// TestPositionKey: keys sort as positions.
func TestPositionKey(t *testing.T) {
	ps := []eventstore.Position{0, 1, 9, 10, 99, 1000, 1 << 40, ^eventstore.Position(0)}
	for i := 1; i < len(ps); i++ {
		if a, b := positionKey(ps[i-1]), positionKey(ps[i]); len(a) != 20 || a >= b {
			t.Errorf("%s ≥ %s", a, b)
		}
	}
}

// sliceStore is a read-only eventstore.Store over events held in memory
// (positions increasing, not necessarily dense), for a projections.Runner.
type sliceStore []eventstore.Event

func (s sliceStore) Append(context.Context, string, eventstore.Expectation, ...eventstore.EventData) (eventstore.AppendResult, error) {
	return eventstore.AppendResult{}, errors.New("read-only")
}

func (s sliceStore) ReadStream(context.Context, string, uint64, int) ([]eventstore.Event, error) {
	return nil, nil
}

func (s sliceStore) ReadAll(_ context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error) {
	lo := sort.Search(len(s), func(i int) bool { return s[i].Position > after })
	return slices.Clone(s[lo:min(lo+max(limit, 0), len(s))]), nil
}

func (s sliceStore) Subscribe(ctx context.Context, after eventstore.Position) iter.Seq2[eventstore.Event, error] {
	return eventstore.Follow(ctx, after, s.ReadAll, func(ctx context.Context, _ eventstore.Position) error {
		<-ctx.Done()
		return ctx.Err()
	})
}

func (s sliceStore) Head(context.Context) (eventstore.Position, error) {
	if len(s) == 0 {
		return 0, nil
	}
	return s[len(s)-1].Position, nil
}

func (s sliceStore) Close() error { return nil }

// inputsOf builds the report-inputs read model of store on the backend
// named and returns it as a Log (counting from log, if not nil, where
// positions are not dense).
func inputsOf(t testing.TB, store eventstore.Store, backend string, log Log) *InputsLog {
	t.Helper()
	b := reportstest.OpenBackend(t, backend)
	start := time.Now()
	reportstest.Project(t, store, b, Inputs{})
	t.Logf("%s: report inputs built in %s", backend, time.Since(start).Round(time.Millisecond))
	in, err := NewInputsLog(InputsConfig{Reader: b.Reader(InputsName), Checkpoint: BackendCheckpoint(b), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// sameReports checks that the report computed from the read model is the
// report computed from the log, byte for byte (JSON), at each position,
// for each filter.
func sameReports(t *testing.T, log Log, in *InputsLog, p Period, filters []Filter, at []eventstore.Position) {
	t.Helper()
	ctx := context.Background()
	for _, f := range filters {
		for _, pos := range at {
			want, err := Compute(ctx, log, p, f, pos)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Compute(ctx, in, p, f, pos)
			if err != nil {
				t.Fatalf("at %d, %q: %v", pos, f.Ministry, err)
			}
			var wb, gb bytes.Buffer
			if err := Write(&wb, want, "json", Chinese); err != nil {
				t.Fatal(err)
			}
			if err := Write(&gb, got, "json", Chinese); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(wb.Bytes(), gb.Bytes()) {
				t.Fatalf("at %d, ministry %q: the read model's report differs from the log's (events %d vs %d, at %d vs %d)",
					pos, f.Ministry, got.Events, want.Events, got.At, want.At)
			}
		}
	}
}

// TestInputsSameReportGenerated: over a generated log (yearLog), on both
// backends, the read model gives the log's report at its head, at kept and
// skipped events' positions, for all ministries and one; and over the same
// log with positions that are not dense (as KurrentDB's), counting the
// gaps from the log.
func TestInputsSameReportGenerated(t *testing.T) {
	evs := yearLog(20_000)
	p, _ := DatePeriod("2026-01-01", "2026-12-31")
	q, _ := DatePeriod("2026-03-01", "2026-08-31")
	sparse := slices.Clone(evs)
	for i := range sparse {
		sparse[i].Position = eventstore.Position(3*i + 7)
	}
	for _, backend := range reportstest.Backends {
		t.Run(backend, func(t *testing.T) {
			store := sliceStore(evs)
			in := inputsOf(t, store, backend, nil)
			at := []eventstore.Position{0, 1, 2, 95, 96, 9_000, 12_345, 19_999}
			sameReports(t, store, in, p, []Filter{{}, {Ministry: "moi"}}, at)
			sameReports(t, store, in, q, []Filter{{Ministry: "mohw"}}, at[:4])
		})
		t.Run(backend+"/sparse", func(t *testing.T) {
			store := sliceStore(sparse)
			in := inputsOf(t, store, backend, store)
			head, _ := store.Head(context.Background())
			var at []eventstore.Position
			for _, i := range []int{0, 1, 95, 96, 9_000, 12_345} {
				at = append(at, sparse[i].Position, sparse[i].Position+1) // an event's, and a gap's
			}
			sameReports(t, store, in, p, []Filter{{}}, append(at, head))
			// without the log, a position among skipped events cannot be
			// counted
			j := 9_000
			for reads(sparse[j].Type) || reads(sparse[j+1].Type) {
				j++
			}
			noLog, _ := NewInputsLog(InputsConfig{Reader: in.cfg.Reader, Checkpoint: in.cfg.Checkpoint})
			if _, err := Compute(context.Background(), noLog, p, Filter{}, sparse[j].Position+1); err == nil {
				t.Errorf("counted the events up to %d, among skipped ones whose positions are not dense, without the log", sparse[j].Position+1)
			}
		})
	}
}

// failingLog fails to read, as a log the handler must not fold.
type failingLog struct{ head eventstore.Position }

func (l failingLog) Head(context.Context) (eventstore.Position, error) { return l.head, nil }

func (failingLog) ReadAll(context.Context, eventstore.Position, int) ([]eventstore.Event, error) {
	return nil, errors.New("the log was read")
}

// TestHandlerInputs: with a read model, the page is computed from it (the
// log is never read) and is the page folded from the log; a position
// beyond the read model's checkpoint waits for it, then folds the log.
func TestHandlerInputs(t *testing.T) {
	evs := yearLog(5_000)
	store := sliceStore(evs)
	in := inputsOf(t, store, "memory", nil)
	get := func(h http.Handler, url string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
		return rec
	}
	for _, url := range []string{"/reports?from=2026-01-01&to=2026-12-31", "/reports?from=2026-01-01&to=2026-06-30&ministry=moi&format=csv&at=2345"} {
		want := get(Handler(store), url)
		got := get(HandlerWith(failingLog{head: 5_000}, HandlerOptions{Inputs: in}), url)
		if got.Code != http.StatusOK || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
			t.Fatalf("%s: %d %s", url, got.Code, got.Body.String())
		}
		if s, w := got.Header().Get("X-Report-Source"), want.Header().Get("X-Report-Source"); s != "read-model" || w != "log" {
			t.Errorf("%s: computed from %q, and %q without the read model", url, s, w)
		}
	}

	// a read model behind the log: a short wait, then the log
	behind, _ := NewInputsLog(InputsConfig{Reader: in.cfg.Reader,
		Checkpoint: func(context.Context) (eventstore.Position, error) { return 4_000, nil },
		Wait: func(ctx context.Context, _ eventstore.Position) error {
			<-ctx.Done()
			return ctx.Err()
		}})
	url := "/reports?from=2026-01-01&to=2026-12-31&format=json"
	start := time.Now()
	got := get(HandlerWith(store, HandlerOptions{Inputs: behind, InputsWait: 50 * time.Millisecond}), url)
	if waited := time.Since(start); got.Code != http.StatusOK || waited < 50*time.Millisecond || got.Header().Get("X-Report-Source") != "log" {
		t.Fatalf("%d after %s: %s", got.Code, waited, got.Body.String())
	}
	if want := get(Handler(store), url); !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
		t.Fatal("the page folded from the log after waiting differs")
	}
	// ... and a position it has reached is read from it
	if got := get(HandlerWith(failingLog{head: 5_000}, HandlerOptions{Inputs: behind}), url+"&at=3999"); got.Code != http.StatusOK || got.Header().Get("X-Report-Source") != "read-model" {
		t.Fatalf("at 3999: %d %s", got.Code, got.Body.String())
	}
}

// TestParseInput: the fast parse of a document gives what encoding/json
// gives, and documents it does not recognise go to encoding/json.
func TestParseInput(t *testing.T) {
	taipei := time.FixedZone("CST", 8*3600)
	base := eventstore.Event{ID: uuid.New(), Stream: "case-57", Position: 42, Type: "case.opened", SchemaVersion: 1,
		Data: []byte(`{"caseId":"57","title":"健保卡"}`), RecordedAt: time.Date(2026, 3, 1, 2, 3, 4, 567000, time.UTC)}
	occurred := base
	occurred.Metadata.OccurredAt = time.Date(2019, 1, 25, 9, 30, 0, 0, taipei)
	escaped := base
	escaped.Stream = `case-"quoted"\back`
	edit := base
	edit.Type, edit.Stream = typeUtteranceEdited, "transcript-m1"
	for _, ev := range []eventstore.Event{base, occurred, escaped, edit} {
		doc, err := encodeInput(&ev, 40, 39)
		if err != nil {
			t.Fatal(err)
		}
		var fast, slow eventstore.Event
		parsed := parseInput(positionKey(ev.Position), doc, &fast)
		if parsed == (ev.Stream == escaped.Stream) {
			t.Errorf("%s: parsed fast: %v", ev.Stream, parsed)
		}
		if err := decodeInput(positionKey(ev.Position), doc, &fast); err != nil {
			t.Fatal(err)
		}
		d, err := unmarshalInput(positionKey(ev.Position), doc, &slow)
		if err != nil {
			t.Fatal(err)
		}
		if d.N != 40 || d.Prev != 39 {
			t.Errorf("counts %d, %d", d.N, d.Prev)
		}
		want := ev
		if ev.Type == typeUtteranceEdited {
			want.Data = nil
		}
		for _, got := range []eventstore.Event{fast, slow} {
			if got.ID != want.ID || got.Stream != want.Stream || got.Position != want.Position || got.Type != want.Type ||
				got.SchemaVersion != want.SchemaVersion || !bytes.Equal(got.Data, want.Data) ||
				!got.RecordedAt.Equal(want.RecordedAt) || !got.OccurredAt().Equal(want.OccurredAt()) {
				t.Errorf("%s: got %+v, want %+v", ev.Stream, got, want)
			}
		}
	}
}

package reports

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/readmodels"
	"github.com/pdis/collab-ledger/reports/reportstest"
)

// TestDecodersAreReportInputs: the report-inputs read model keeps, with
// their body, exactly the types the computation decodes, and transcript
// edits without.
func TestDecodersAreReportInputs(t *testing.T) {
	want := []string{typeUtteranceEdited}
	for typ := range decoders {
		want = append(want, typ)
		if !readmodels.ReportInputBody(typ) {
			t.Errorf("the report decodes %s, which the read model keeps without its body", typ)
		}
	}
	slices.Sort(want)
	if got := readmodels.ReportInputTypes(); !slices.Equal(got, want) {
		t.Errorf("the read model keeps %q, the report reads %q", got, want)
	}
	if readmodels.ReportInputBody(typeUtteranceEdited) {
		t.Errorf("%s kept with its body", typeUtteranceEdited)
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
func inputsOf(t testing.TB, store eventstore.Store, backend string, log Log) (*readmodels.ReportInputsLog, readmodels.ReportInputsConfig) {
	t.Helper()
	b := reportstest.OpenBackend(t, backend)
	start := time.Now()
	reportstest.Project(t, store, b, readmodels.ReportInputs{})
	t.Logf("%s: report inputs built in %s", backend, time.Since(start).Round(time.Millisecond))
	cfg := readmodels.ReportInputsConfig{Reader: b.Reader(readmodels.ReportInputsName), Checkpoint: readmodels.ReportInputsCheckpoint(b), Log: log}
	in, err := readmodels.NewReportInputsLog(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return in, cfg
}

// sameReports checks that the report computed from the read model is the
// report computed from the log, byte for byte (JSON), at each position,
// for each filter.
func sameReports(t *testing.T, log Log, in InputsLog, p Period, filters []Filter, at []eventstore.Position) {
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
			in, _ := inputsOf(t, store, backend, nil)
			at := []eventstore.Position{0, 1, 2, 95, 96, 9_000, 12_345, 19_999}
			sameReports(t, store, in, p, []Filter{{}, {Ministry: "moi"}}, at)
			sameReports(t, store, in, q, []Filter{{Ministry: "mohw"}}, at[:4])
		})
		t.Run(backend+"/sparse", func(t *testing.T) {
			store := sliceStore(sparse)
			in, cfg := inputsOf(t, store, backend, store)
			head, _ := store.Head(context.Background())
			var at []eventstore.Position
			for _, i := range []int{0, 1, 95, 96, 9_000, 12_345} {
				at = append(at, sparse[i].Position, sparse[i].Position+1) // an event's, and a gap's
			}
			sameReports(t, store, in, p, []Filter{{}}, append(at, head))
			// without the log, a position among skipped events cannot be
			// counted
			j := 9_000
			kept := readmodels.ReportInputTypes()
			for slices.Contains(kept, sparse[j].Type) || slices.Contains(kept, sparse[j+1].Type) {
				j++
			}
			noLog, _ := readmodels.NewReportInputsLog(readmodels.ReportInputsConfig{Reader: cfg.Reader, Checkpoint: cfg.Checkpoint})
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

// TestServiceInputs: with a read model, the report is computed from it
// (the log is never read) and is the report folded from the log; a
// position beyond the read model's checkpoint waits for it, then folds the
// log.
func TestServiceInputs(t *testing.T) {
	evs := yearLog(5_000)
	store := sliceStore(evs)
	in, cfg := inputsOf(t, store, "memory", nil)
	ctx := context.Background()
	rendered := func(svc *Service, from, to, ministry string, at eventstore.Position, format string) (string, string) {
		t.Helper()
		p, _ := DatePeriod(from, to)
		c, err := svc.Report(ctx, p, Filter{Ministry: ministry}, at)
		if err != nil {
			t.Fatalf("%s..%s at %d: %v", from, to, at, err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, c.Report, format, Chinese); err != nil {
			t.Fatal(err)
		}
		return buf.String(), c.Source
	}
	for _, q := range []struct {
		from, to, ministry string
		at                 eventstore.Position
		format             string
	}{{"2026-01-01", "2026-12-31", "", 0, "html"}, {"2026-01-01", "2026-06-30", "moi", 2345, "csv"}} {
		want, wsrc := rendered(NewService(store, ServiceOptions{}), q.from, q.to, q.ministry, q.at, q.format)
		got, src := rendered(NewService(failingLog{head: 5_000}, ServiceOptions{Inputs: in}), q.from, q.to, q.ministry, q.at, q.format)
		if got != want {
			t.Fatalf("%+v: the report from the read model differs from the log's", q)
		}
		if src != SourceReadModel || wsrc != SourceLog {
			t.Errorf("%+v: computed from %q, and %q without the read model", q, src, wsrc)
		}
	}

	// a read model behind the log: a short wait, then the log
	behind, _ := readmodels.NewReportInputsLog(readmodels.ReportInputsConfig{Reader: cfg.Reader,
		Checkpoint: func(context.Context) (eventstore.Position, error) { return 4_000, nil },
		Wait: func(ctx context.Context, _ eventstore.Position) error {
			<-ctx.Done()
			return ctx.Err()
		}})
	start := time.Now()
	got, src := rendered(NewService(store, ServiceOptions{Inputs: behind, InputsWait: 50 * time.Millisecond}), "2026-01-01", "2026-12-31", "", 0, "json")
	if waited := time.Since(start); waited < 50*time.Millisecond || src != SourceLog {
		t.Fatalf("after %s: from %s", waited, src)
	}
	if want, _ := rendered(NewService(store, ServiceOptions{}), "2026-01-01", "2026-12-31", "", 0, "json"); got != want {
		t.Fatal("the report folded from the log after waiting differs")
	}
	// ... and a position it has reached is read from it
	if _, src := rendered(NewService(failingLog{head: 5_000}, ServiceOptions{Inputs: behind}), "2026-01-01", "2026-12-31", "", 3999, "json"); src != SourceReadModel {
		t.Fatalf("at 3999: from %s", src)
	}
}

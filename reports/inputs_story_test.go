package reports_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/readmodels"
	"github.com/pdis/collab-ledger/reports"
	"github.com/pdis/collab-ledger/reports/reportstest"
)

// TestStoryFromInputs: over the known-answer story recorded through the
// command side, the report computed from the report-inputs read model is
// the report folded from the log, byte for byte in every format, at every
// position of the log, for all ministries and for moi, on both read-model
// backends.
func TestStoryFromInputs(t *testing.T) {
	for _, backend := range reportstest.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			store := recordStory(t, reportstest.Options{Voters: 3})
			b := reportstest.OpenBackend(t, backend)
			reportstest.Project(t, store, b, readmodels.ReportInputs{})
			in, err := readmodels.NewReportInputsLog(readmodels.ReportInputsConfig{Reader: b.Reader(readmodels.ReportInputsName), Checkpoint: readmodels.ReportInputsCheckpoint(b)})
			if err != nil {
				t.Fatal(err)
			}
			head, err := store.Head(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if cp, err := in.Head(ctx); err != nil || cp != head {
				t.Fatalf("checkpoint %d (%v), head %d", cp, err, head)
			}
			p, err := reports.DatePeriod(reportstest.From, reportstest.To)
			if err != nil {
				t.Fatal(err)
			}
			render := func(rep reports.Report, format string) []byte {
				var buf bytes.Buffer
				if err := reports.Write(&buf, rep, format, reports.English); err != nil {
					t.Fatal(err)
				}
				return buf.Bytes()
			}
			for _, f := range []reports.Filter{{}, {Ministry: "moi"}} {
				for at := eventstore.Position(1); at <= head; at++ {
					want, err := reports.Compute(ctx, store, p, f, at)
					if err != nil {
						t.Fatal(err)
					}
					got, err := reports.Compute(ctx, in, p, f, at)
					if err != nil {
						t.Fatalf("at %d: %v", at, err)
					}
					formats := []string{"json"}
					if at == head {
						formats = append(formats, "csv", "md")
					}
					for _, format := range formats {
						if !bytes.Equal(render(got, format), render(want, format)) {
							t.Fatalf("at %d, ministry %q, %s: the read model's report differs from the log's", at, f.Ministry, format)
						}
					}
				}
			}
			// the story's known answers hold from the read model too
			rep, err := reports.Compute(ctx, in, p, reports.Filter{}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if f, _ := rep.Figure("proposals.published"); f.Value != 5 || rep.At != uint64(head) {
				t.Fatalf("published %v at %d", f.Value, rep.At)
			}
		})
	}
}

package importer_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/akn"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/postgres"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/importer"
	"github.com/pdis/collab-ledger/projections"
	pgproj "github.com/pdis/collab-ledger/projections/postgres"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	"github.com/pdis/collab-ledger/readmodels"
)

// Benchmarks of the import (figures in docs/decisions/0008):
//
//	go test -run '^$' -bench 'ImportArchiveBolt$' -benchtime 1x ./importer/          # import only
//	go test -run '^$' -bench ImportArchiveBoltCaughtUp -benchtime 1x ./importer/     # < 15 s: with the read models
//	go test -run '^$' -bench ImportArchivePostgres -benchtime 1x ./importer/         # < 60 s (DATABASE_URL)
//	go test -run '^$' -bench ImportArchivePostgresCaughtUp -benchtime 1x ./importer/ # and its read models in PostgreSQL
//	go test -run '^$' -bench VersionsToEdits -benchtime 100x ./importer/             # < 100 ms
//
// IMPORT_WORKERS overrides the number of files imported at once. Each run
// reports the CPU time the process used (cpu-s: user and system), which
// says more than the wall time on a shared machine.

// benchImport imports the whole archive (with its history) into a fresh
// store per iteration and reports events per second. With caughtUp, the
// read models (readmodels.All, in memory, as `collabledger serve` keeps
// them) follow the log during the import, as a running server's would, and
// the time includes their catching up with its last event.
func benchImport(b *testing.B, open func(b *testing.B) eventstore.Store, process string, caughtUp bool) {
	benchImportInto(b, open, nil, process, caughtUp)
}

// benchImportInto is benchImport with the read models in the backend
// newBackend returns for each iteration (nil: memory).
func benchImportInto(b *testing.B, open func(b *testing.B) eventstore.Store, newBackend func(b *testing.B) projections.Backend, process string, caughtUp bool) {
	dir, hist := archive(b)
	files, err := importer.Files([]string{dir})
	if err != nil {
		b.Fatal(err)
	}
	if b.N > 3 {
		b.Skipf("one operation is the whole archive (%d iterations asked): run with -benchtime 1x", b.N)
	}
	ctx := context.Background()
	var events int
	var tail time.Duration
	cpu0 := projectiontest.CPUTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		store := open(b)
		var wait func() time.Duration
		if caughtUp {
			var backend projections.Backend
			if newBackend != nil {
				backend = newBackend(b)
			}
			wait = projectiontest.Follow(b, store, backend, readmodels.All(), 5*time.Minute)
		}
		b.StartTimer()
		im := importer.New(store, importer.Config{Workers: benchWorkers()})
		if _, _, err := im.ImportFiles(ctx, files, importer.Options{History: hist, Process: process}, nil); err != nil {
			b.Fatal(err)
		}
		if wait != nil {
			tail += wait()
		}
		b.StopTimer()
		head, _ := store.Head(ctx)
		events = int(head)
		if bs, ok := store.(interface{ Stats() (uint64, uint64) }); ok {
			commits, _ := bs.Stats()
			b.ReportMetric(float64(commits), "commits")
		}
		store.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(events), "events")
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric((projectiontest.CPUTime()-cpu0).Seconds()/float64(b.N), "cpu-s")
	if caughtUp {
		b.ReportMetric(tail.Seconds()/float64(b.N), "catchup-tail-s")
	}
}

func benchWorkers() int {
	n, _ := strconv.Atoi(os.Getenv("IMPORT_WORKERS"))
	return n
}

// BenchmarkImportArchiveBolt: the whole archive into the embedded store
// (target: under 15 s).
func BenchmarkImportArchiveBolt(b *testing.B) {
	benchImport(b, func(b *testing.B) eventstore.Store { return openBolt(b) }, "pdis", false)
}

// BenchmarkImportArchiveBoltCaughtUp: the whole archive into the embedded
// store with the read models caught up (target: under 15 s).
func BenchmarkImportArchiveBoltCaughtUp(b *testing.B) {
	benchImport(b, func(b *testing.B) eventstore.Store { return openBolt(b) }, "pdis", true)
}

// BenchmarkImportArchivePostgres: the whole archive into PostgreSQL
// (target: under 60 s).
func BenchmarkImportArchivePostgres(b *testing.B) {
	benchImport(b, func(b *testing.B) eventstore.Store {
		db := pgtest.New(b)
		s, err := postgres.Open(context.Background(), db.URL, postgres.Config{})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}, "pdis", false)
}

// BenchmarkImportArchivePostgresCaughtUp: the whole archive into
// PostgreSQL with the read models in PostgreSQL too, following the log,
// until they have caught up (a server on PostgreSQL throughout).
func BenchmarkImportArchivePostgresCaughtUp(b *testing.B) {
	var url string
	benchImportInto(b, func(b *testing.B) eventstore.Store {
		url = pgtest.New(b).URL
		s, err := postgres.Open(context.Background(), url, postgres.Config{})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}, func(b *testing.B) projections.Backend {
		be, err := pgproj.Open(context.Background(), pgproj.Config{URL: url, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { be.Close() })
		return be
	}, "pdis", true)
}

// BenchmarkVersionsToEdits: the stored versions of one transcript (the
// first collaborative meeting, five versions) aligned and decided as edits,
// without the store: parse, align, decide, apply (target: under 100 ms).
func BenchmarkVersionsToEdits(b *testing.B) {
	_, hist := archive(b)
	name := "2017-03-17-開放政府聯絡人第一次協作會議.an.xml"
	var docs []*akn.Document
	for _, e := range hist.Versions(name) {
		data, err := os.ReadFile(hist.Path(e))
		if err != nil {
			b.Fatal(err)
		}
		d, err := akn.ParseBytes(data, akn.Options{Name: filepath.Base(e.Path)})
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, d)
	}
	if b.N > 500 {
		b.Skipf("%d iterations of about 20 ms asked: run with -benchtime 100x", b.N)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if n := versionsToEdits(b, docs); n == 0 {
			b.Fatal("no edits")
		}
	}
}

// versionsToEdits records docs[0] and each later doc as a version on an
// in-memory transcript, the way the importer does (Changes, then the
// domain's ImportVersion), and returns the number of change events. It
// fails if a version does not read as its document afterwards.
func versionsToEdits(tb testing.TB, docs []*akn.Document) int {
	const id = domain.MeetingID("m-bench")
	at := time.Date(2017, 3, 17, 0, 0, 0, 0, time.UTC)
	m := domain.NewMeeting(id)
	staff := importer.DefaultActor
	must := func(evs []domain.Event, err error) []domain.Event {
		if err != nil {
			tb.Fatal(err)
		}
		return evs
	}
	apply := func(agg domain.Aggregate, evs []domain.Event) {
		if err := domain.ApplyAll(agg, evs...); err != nil {
			tb.Fatal(err)
		}
	}
	apply(m, must(m.Schedule(domain.ScheduleMeeting{MeetingID: id, Kind: domain.MeetingOther, Title: docs[0].Title, StartsAt: at, Imported: true}, staff, at, nil, domain.DefaultMonthlyConfig(), nil)))
	tr := domain.NewTranscript(id)
	apply(tr, must(tr.Import(domain.ImportTranscript{MeetingID: id, Source: "v1", ContentHash: docs[0].ContentHash(), Utterances: importer.UtterancesOf(docs[0])}, staff, at, m)))
	n := 0
	for i, d := range docs[1:] {
		rev := i + 2
		changes := importer.Changes(id, tr.Current(), d.Utterances, func(k int) domain.UtteranceID { return domain.UtteranceID(fmt.Sprintf("r%d-%d", rev, k)) })
		evs := must(tr.ImportVersion(domain.ImportTranscriptVersion{MeetingID: id, Revision: rev, Source: "v", ContentHash: d.ContentHash(), Editor: "editor", Reason: "version", Changes: changes}, staff, at.Add(time.Duration(rev)*time.Hour)))
		apply(tr, evs)
		n += len(evs) - 1
		if got := akn.HashUtterances(utterancesNow(tr)); got != d.ContentHash() {
			tb.Fatalf("after version %d the transcript does not read as the version", rev)
		}
	}
	return n
}

// utterancesNow is the transcript as Akoma Ntoso utterances.
func utterancesNow(tr *domain.Transcript) []akn.Utterance {
	var out []akn.Utterance
	for _, u := range tr.Current() {
		au := akn.Utterance{Kind: akn.Kind(u.Kind), Paragraphs: u.Paragraphs}
		if u.Kind == domain.UtteranceSpeech {
			au.Speaker, au.Name = u.Speaker.Ref, u.Speaker.Name
		}
		out = append(out, au)
	}
	return out
}

package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/importer"
	"github.com/pdis/collab-ledger/internal/testenv"
	"github.com/pdis/collab-ledger/projections"
	pgproj "github.com/pdis/collab-ledger/projections/postgres"
	"github.com/pdis/collab-ledger/transparency"
	"github.com/pdis/collab-ledger/web"
)

// TestPagesUnderLoad measures the pages of a case of 100,000 events (20
// meetings, each with an imported transcript of 1,000 utterances and four
// later versions correcting every utterance) and, when the PDIS archive is
// at hand, the transcript page of its largest meeting (2,580 speeches; the
// archive's file names speakers it does not declare, so a copy declaring
// them is imported),
// served by the real handler, projections runner and transparency log (the
// pages' checkpoint badges) over an embedded store, under load from a
// second process.
//
// The load generator is vegeta (go install
// github.com/tsenart/vegeta/v12@latest), open loop at a fixed rate for
// 10 s per page: requests are sent on schedule whether or not earlier ones
// were answered, so queueing shows in the latencies (a closed-loop tool
// hides it). With taskset, the generator runs on a CPU of its own (the
// last; COLLABLEDGER_PAGES_PIN=server confines the server to CPU 0, see testenv.PinCPUs). It fails when a page's
// p99 is 50 ms or more, or any request fails. With wrk installed it then
// reports each page's throughput at saturation (wrk, 4 connections, on the
// generator's CPU), for capacity, not asserted. Opt-in, as it takes two
// minutes and needs the machine to itself:
//
//	COLLABLEDGER_PAGES_LOAD=1 go test ./web -run TestPagesUnderLoad -count=1 -v
//
// With COLLABLEDGER_PAGES_READ_MODELS=postgres the read models are in
// PostgreSQL (COLLABLEDGER_TEST_POSTGRES_URL, default the local server).
func TestPagesUnderLoad(t *testing.T) {
	if os.Getenv("COLLABLEDGER_PAGES_LOAD") != "1" {
		t.Skip("set COLLABLEDGER_PAGES_LOAD=1 to run the load test")
	}
	vegeta := testenv.Vegeta(t)
	tl := newLoadLedger(t)
	pe := newPagesEnvOn(t, loadReadModels(t), tl.tweak)
	start := time.Now()
	n := pe.bigCase("90", 20, 1000, 4)
	type target struct {
		path string
		rate int // requests per second
		// edits: meanwhile, staff correct an utterance of the page ten
		// times a second (each correction changes what the page shows).
		edits bool
	}
	targets := []target{{"/cases/90", 200, false}, {"/meetings/90-m0", 100, false}, {"/meetings/90-m0?page=5", 100, false},
		{"/api/v1/cases/90/trail?limit=100", 200, false}, {"/meetings/90-m1", 100, true}}
	if dir, ok := archiveDir(); ok {
		// The archive's largest meeting, by its speeches.
		res := importLargest(t, pe, dir)
		t.Logf("archive: %s", res)
		n += res.Events
		m := "/meetings/" + url.PathEscape(string(res.MeetingID))
		last := (res.Utterances + utterancesPerPage - 1) / utterancesPerPage
		targets = append(targets, target{m, 100, false}, target{m + "?page=" + strconv.Itoa(last), 100, false})
	} else {
		t.Log("no PDIS archive at hand: its largest meeting is not measured")
	}
	pe.caughtUp()
	tl.checkpoint(t)
	t.Logf("%d events recorded and projected, and a checkpoint signed, in %s", n, time.Since(start).Round(time.Millisecond))

	server, generator := testenv.PinCPUs(t, os.Getenv("COLLABLEDGER_PAGES_PIN") == "server")
	for _, tg := range targets {
		code, body, _ := pe.get(tg.path)
		if code != 200 {
			t.Fatalf("%s: %d %s", tg.path, code, body[:min(len(body), 300)])
		}
		if !strings.HasPrefix(tg.path, "/api/") && !strings.Contains(body, "ledger-badge included") {
			t.Fatalf("%s: no entry shows its checkpoint badge", tg.path)
		}
		stopEdits := func() int { return 0 }
		if tg.edits {
			stopEdits = pe.editWhile("90-m1", 100*time.Millisecond)
		}
		rep := testenv.Attack(t, vegeta, tg.rate, 10*time.Second, pe.srv.URL+tg.path, generator)
		note := ""
		if n := stopEdits(); tg.edits {
			note = fmt.Sprintf(", %d corrections meanwhile", n)
		}
		ms := rep.Ms
		t.Logf("%-52s %3d req/s: p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms  (%d requests, %.0f kB each, %s%s)",
			tg.path, tg.rate, ms("50th"), ms("99th"), ms("max"), rep.Requests, float64(len(body))/1024, server, note)
		if rep.Success != 1 {
			t.Errorf("%s: %.2f%% of requests succeeded: %v", tg.path, 100*rep.Success, rep.Errors)
		}
		if ms("99th") >= 50 {
			t.Errorf("%s: p99 %.2f ms at %d req/s, target < 50 ms", tg.path, ms("99th"), tg.rate)
		}
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Log("no wrk on PATH: saturation throughput not measured (apt-get install -y wrk)")
		return
	}
	for _, tg := range targets {
		if tg.edits {
			continue
		}
		out, err := generator(exec.Command(wrk, "-t1", "-c4", "-d5s", "--latency", pe.srv.URL+tg.path)).CombinedOutput()
		if err != nil {
			t.Fatalf("wrk %s: %v\n%s", tg.path, err, out)
		}
		rps := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindSubmatch(out)
		t.Logf("saturation %-41s %s req/s (p50 %.2f ms, p99 %.2f ms with 4 connections)", tg.path, rps[1],
			wrkPercentile(t, out, "50%"), wrkPercentile(t, out, "99%"))
	}
}

// editWhile has staff correct the first page's utterances of meeting, one
// every interval, until the returned function is called; it returns how
// many were recorded.
func (pe *pagesEnv) editWhile(meeting domain.MeetingID, interval time.Duration) func() int {
	done, stopped := make(chan struct{}), make(chan int)
	go func() {
		n := 0
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				stopped <- n
				return
			case <-tick.C:
			}
			cmd := domain.CorrectUtterance{MeetingID: meeting, UtteranceID: domain.UtteranceID(fmt.Sprintf("u-%d", n%utterancesPerPage)),
				Paragraphs: []string{fmt.Sprintf("第 %d 次更正：關於健保卡與數位身分的討論。", n+1)}, Reason: "load test"}
			if _, err := pe.ledger.Execute(context.Background(), staffActor, cmd); err != nil {
				pe.t.Errorf("correction %d: %v", n, err)
			}
			n++
		}
	}()
	return func() int { close(done); return <-stopped }
}

// utterancesPerPage is the transcript page's size (web's utterancePageSize).
const utterancesPerPage = 100

// importLargest imports the archive transcript with the most speeches (a
// copy with its speakers declared, if the archive's is refused for naming
// undeclared ones) and returns its result.
func importLargest(t *testing.T, pe *pagesEnv, dir string) importer.Result {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "transcripts", "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	speeches := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		speeches[f] = bytes.Count(b, []byte("<speech "))
	}
	slices.SortFunc(files, func(a, b string) int { return speeches[b] - speeches[a] })
	im := importer.New(pe.raw, importer.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	largest := files[0]
	res := im.ImportFile(context.Background(), largest, importer.Options{})
	if res.Err == nil {
		return res
	}
	// The archive's largest transcript is refused by design (a speaker it
	// names is not declared, and it carries no date); its page is measured
	// from a copy that declares them, named with a date (the national
	// judicial reform conference opened on 1999-07-06).
	t.Logf("the largest (%d speeches) is refused: %v; measuring a copy that declares its speakers", speeches[largest], res.Err)
	data, err := os.ReadFile(largest)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, m := range regexp.MustCompile(`<TLCPerson [^>]*id="([^"]+)"`).FindAllSubmatch(data, -1) {
		declared[string(m[1])] = true
	}
	var add bytes.Buffer
	for _, m := range regexp.MustCompile(`by="#([^"]+)"`).FindAllSubmatch(data, -1) {
		if id := string(m[1]); !declared[id] {
			declared[id] = true
			fmt.Fprintf(&add, `<TLCPerson href="/ontology/person/::/%s" id="%s" showAs="%s"/>`, id, id, id)
		}
	}
	fixed := bytes.Replace(data, []byte("<references>"), append([]byte("<references>"), add.Bytes()...), 1)
	copyPath := filepath.Join(t.TempDir(), "1999-07-06-"+filepath.Base(largest))
	if err := os.WriteFile(copyPath, fixed, 0o644); err != nil {
		t.Fatal(err)
	}
	if res = im.ImportFile(context.Background(), copyPath, importer.Options{}); res.Err != nil {
		t.Fatalf("the largest transcript, its speakers declared: %v", res.Err)
	}
	return res
}

// loadLedger is the transparency log a test's server runs, as serve does:
// the pages look up each entry's badge in it. Pass tweak to newPagesEnv.
type loadLedger struct {
	log       *transparency.Log
	pub       *transparency.Publisher
	verifiers note.Verifiers
	store     eventstore.Store
	tweak     func(*web.Config)
}

func newLoadLedger(t *testing.T) *loadLedger {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	skey, vkey, err := note.GenerateKey(rand.Reader, transparency.DefaultOrigin)
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifiers, _ := transparency.NewVerifiers(vkey)
	tl := &loadLedger{verifiers: verifiers}
	tl.log, err = transparency.Open(ctx, transparency.Config{Verifiers: verifiers, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	tl.tweak = func(cfg *web.Config) {
		cfg.Proofs = tl.log
		tl.store = cfg.Store
		go func() {
			defer close(done)
			// The test's store closes before this cleanup cancels ctx.
			if err := tl.log.Follow(ctx, cfg.Store); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, eventstore.ErrClosed) {
				t.Errorf("follow: %v", err)
			}
		}()
		tl.pub, err = transparency.NewPublisher(transparency.PublisherConfig{Log: tl.log, Store: cfg.Store, Signer: signer, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { cancel(); <-done })
	return tl
}

// checkpoint signs a checkpoint of the whole log and waits for the tree.
func (tl *loadLedger) checkpoint(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	head, err := tl.store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tl.log.WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}
	cp, ok, err := tl.pub.Publish(ctx)
	if err != nil || !ok {
		t.Fatalf("publish: %v %v", ok, err)
	}
	if err := tl.log.WaitFor(ctx, cp.Position); err != nil {
		t.Fatal(err)
	}
}

// loadReadModels returns the read-model backend the load tests use:
// memory, or PostgreSQL with COLLABLEDGER_PAGES_READ_MODELS=postgres.
func loadReadModels(t *testing.T) projections.Backend {
	if os.Getenv("COLLABLEDGER_PAGES_READ_MODELS") != "postgres" {
		t.Log("read models in memory")
		return nil
	}
	t.Log("read models in PostgreSQL")
	b, err := pgproj.Open(context.Background(), pgproj.Config{URL: pgtest.New(t).URL, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// archiveDir returns the PDIS archive's folder, if it is at hand.
func archiveDir() (string, bool) {
	dir := os.Getenv("COLLABLEDGER_SHARED")
	if dir == "" {
		dir = filepath.Join(testenv.RepoRoot(), "..", "shared")
	}
	dir = filepath.Join(dir, "data", "pdis-archive")
	_, err := os.Stat(filepath.Join(dir, "history.jsonl"))
	return dir, err == nil
}

// wrkPercentile reads a latency percentile of wrk --latency in ms.
func wrkPercentile(t *testing.T, out []byte, pct string) float64 {
	m := regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(pct) + `\s+([0-9.]+)(us|ms|s)\s*$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no %s in wrk's output:\n%s", pct, out)
	}
	var v float64
	fmt.Sscanf(string(m[1]), "%g", &v)
	switch string(m[2]) {
	case "us":
		v /= 1000
	case "s":
		v *= 1000
	}
	return v
}

// bigCase records, through app.Ledger.Execute, a case of meetings meetings,
// each with an imported transcript of utterances utterances and versions
// later versions correcting every utterance. It returns the events
// recorded.
func (pe *pagesEnv) bigCase(id domain.CaseID, meetings, utterances, versions int) int {
	pe.t.Helper()
	ctx := context.Background()
	n := 0
	exec := func(cmd domain.Command) {
		res, err := pe.ledger.Execute(ctx, staffActor, cmd)
		if err != nil {
			pe.t.Fatalf("%s: %v", cmd.CommandName(), err)
		}
		n += len(res.Events)
	}
	exec(domain.OpenCase{CaseID: id, Title: "大案 " + string(id), SourceKind: domain.SourceAssignment, Ref: "EY-" + string(id)})
	exec(domain.AssignLead{CaseID: id, Ministry: "moi"})
	for m := range meetings {
		mid := domain.MeetingID(fmt.Sprintf("%s-m%d", id, m))
		exec(domain.ScheduleMeeting{MeetingID: mid, CaseID: id, Kind: domain.MeetingWorking, Title: fmt.Sprintf("工作會議 %d", m), StartsAt: apiNow.Add(time.Duration(m) * 24 * time.Hour)})
		us := make([]domain.ImportedUtterance, utterances)
		for i := range us {
			us[i] = domain.ImportedUtterance{UtteranceID: domain.UtteranceID(fmt.Sprintf("u-%d", i)), Kind: domain.UtteranceSpeech,
				Speaker: domain.Speaker{Name: fmt.Sprintf("發言人%d", i%17)}, Paragraphs: []string{fmt.Sprintf("第 %d 段發言，關於健保卡與數位身分的討論，內容約五十個字左右。", i)}}
		}
		exec(domain.ImportTranscript{MeetingID: mid, Source: "archive/" + string(mid), ContentHash: fmt.Sprintf("%064x", m+1), Utterances: us})
		for v := range versions {
			changes := make([]domain.Command, utterances)
			for i := range changes {
				changes[i] = domain.CorrectUtterance{MeetingID: mid, UtteranceID: domain.UtteranceID(fmt.Sprintf("u-%d", i)),
					Paragraphs: []string{fmt.Sprintf("第 %d 段發言，關於健保卡與數位身分的討論（第 %d 版）。", i, v+2)}}
			}
			exec(domain.ImportTranscriptVersion{MeetingID: mid, Revision: v + 2, Source: fmt.Sprintf("archive/%s/v%d", mid, v+2),
				ContentHash: fmt.Sprintf("%064x", (m+1)*100+v+2), Editor: "archivist", Reason: "published version", Changes: changes})
		}
	}
	return n
}

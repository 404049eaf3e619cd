package importer_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/akn"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/importer"
	"github.com/pdis/collab-ledger/internal/testenv"
)

// archiveFailures are the archive's transcripts the importer refuses, and
// why: none. The untidy ones are recorded with warnings (a Markdown page
// under an .an.xml name, a record of 1999 dated by its text, speakers not
// declared): TestArchiveUntidyFiles.
var archiveFailures = map[string]error{}

func archive(t testing.TB) (dir string, hist *importer.History) {
	root := filepath.Join(testenv.SharedDir(t), "data", "pdis-archive")
	h, err := importer.LoadHistory(filepath.Join(root, "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "transcripts"), h
}

func openBolt(t testing.TB) eventstore.Store {
	s, err := bbolt.Open(context.Background(), bbolt.Config{Path: filepath.Join(t.TempDir(), "ledger.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func speechCount(data []byte) int {
	return bytes.Count(data, []byte("<speech ")) + bytes.Count(data, []byte("<speech>"))
}

// TestArchiveImport imports the whole PDIS archive, with its history and
// the process, into the embedded store: every transcript imports or fails
// for its named reason; each meeting's transcript has as many speeches as
// the file has <speech> elements; its export reads back to the same
// transcript; and importing again records nothing.
func TestArchiveImport(t *testing.T) {
	if testing.Short() {
		t.Skip("the whole archive: not in -short")
	}
	dir, hist := archive(t)
	files, err := importer.Files([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if raceEnabled && testenv.RunWithoutRace(t, "TestArchiveImport") {
		// Under the race detector: a sample of the process files and of
		// those with stored versions, in process; the whole archive ran in
		// the child.
		files = sample(t, files, hist)
	}
	store := openBolt(t)
	im := importer.New(store, importer.Config{})
	ctx := context.Background()
	start := time.Now()
	results, sum, err := im.ImportFiles(ctx, files, importer.Options{History: hist, Process: "pdis"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := store.Head(ctx)
	t.Logf("imported %d files, %d events in %s", len(files), head, time.Since(start))
	t.Log(sum)
	versions, skipped := 0, 0
	for _, r := range results {
		base := filepath.Base(r.File)
		want, expectFail := archiveFailures[base]
		switch {
		case r.Err != nil && !expectFail:
			t.Errorf("%s", r.Err)
		case r.Err != nil && !errors.Is(r.Err, want):
			t.Errorf("%s: %v, want %v", base, r.Err, want)
		case r.Err == nil && expectFail:
			t.Errorf("%s imported, but should fail with %v", base, want)
		}
		versions += r.Versions
		for _, sk := range r.SkippedVersions {
			var ae *akn.Error
			if !errors.As(sk, &ae) {
				t.Errorf("%s: skipped version for no named reason: %v", base, sk)
			}
			skipped++
		}
	}
	t.Logf("%d stored versions left out as unreadable (invalid XML, undeclared speakers)", skipped)
	t.Logf("%d versions recorded as edits", versions)
	// Per file: speeches = <speech> elements, and the export reads back
	// to the same transcript.
	for _, r := range results {
		if r.Err != nil {
			continue
		}
		data, err := os.ReadFile(r.File)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := importer.Export(ctx, store, r.MeetingID, time.Time{})
		if err != nil {
			t.Fatalf("%s: export: %v", r.File, err)
		}
		speeches := 0
		for _, u := range doc.Utterances {
			if u.Kind == akn.Speech {
				speeches++
			}
		}
		// (A Markdown transcript's speeches: TestArchiveUntidyFiles.)
		if n := speechCount(data); speeches != n && !importer.IsMarkdown(data) {
			t.Errorf("%s: %d speeches in the ledger, %d <speech> in the file", r.File, speeches, n)
		}
		src, err := importer.ParseTranscript(r.File, data, 0)
		if err != nil {
			t.Fatal(err)
		}
		// The ledger's transcript is the file's (the Akoma Ntoso writer's
		// own round trip is akn's TestArchive); an undated file is dated.
		if doc.ContentHash() != src.ContentHash() || doc.Title != src.Title || doc.Date != src.Date && src.Date != "" {
			t.Errorf("%s: the transcript in the ledger differs from the file", r.File)
		}
	}
	// Again: nothing new.
	again, _, err := im.ImportFiles(ctx, files, importer.Options{History: hist, Process: "pdis"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if head2, _ := store.Head(ctx); head2 != head {
		for _, r := range again {
			if r.Events > 0 {
				t.Errorf("re-import of %s recorded %d events", r.File, r.Events)
			}
		}
		t.Errorf("re-import moved the head from %d to %d", head, head2)
	}
}

// sample is a fifth of the archive's files of the participation process
// and an eighth of those whose versions are stored.
func sample(t *testing.T, files []string, hist *importer.History) []string {
	list, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(files[0])), "po-process.txt"))
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	for i, l := range strings.Fields(string(list)) {
		keep[l] = i%5 == 0
	}
	n := 0
	for _, f := range hist.Files() {
		if vs := hist.Versions(f); len(vs) > 1 {
			keep[f] = keep[f] || n%8 == 0
			n++
		}
	}
	var out []string
	for _, f := range files {
		if keep[filepath.Base(f)] {
			out = append(out, f)
		}
	}
	return out
}

// TestSeedPair aligns the stenographer's raw record of the 2019 consensus
// meeting (seeds/003, 384 paragraphs) with its published version in the
// archive (378 speeches): every raw paragraph is accounted for, and after
// recording the speaker assignments and edits the meeting's transcript
// reads exactly as published, while as of the meeting day it reads as the
// raw record.
func TestSeedPair(t *testing.T) {
	shared := testenv.SharedDir(t)
	raw, err := os.ReadFile(filepath.Join(shared, "seeds", "003_e0b436f538332717.txt"))
	if err != nil {
		t.Fatal(err)
	}
	pubPath := filepath.Join(shared, "data", "pdis-archive", "transcripts", "2019-01-25-108年度開放政府聯絡人共識會議（第二場）.an.xml")
	pub, err := os.ReadFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	paras, err := importer.ParseRaw("003.txt", raw, 0)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := akn.ParseBytes(pub, akn.Options{Name: filepath.Base(pubPath)})
	if err != nil {
		t.Fatal(err)
	}
	speeches := 0
	for _, u := range doc.Utterances {
		if u.Kind == akn.Speech {
			speeches++
		}
	}
	if len(paras) != 384 || speeches != 378 {
		t.Fatalf("%d raw paragraphs, %d speeches; the README says 384 and 378", len(paras), speeches)
	}
	steps := alignRaw(paras, doc)
	kinds := map[string]int{}
	seen := map[int]bool{}
	for _, s := range steps {
		kinds[s.Kind.String()]++
		for _, o := range s.Old {
			if seen[o] {
				t.Errorf("raw paragraph %d aligned twice", o)
			}
			seen[o] = true
		}
	}
	if len(seen) != len(paras) {
		t.Errorf("%d of %d raw paragraphs accounted for", len(seen), len(paras))
	}
	t.Logf("alignment steps: %v", kinds)

	store := openBolt(t)
	im := importer.New(store, importer.Config{})
	const id = "po-consensus-2019-2"
	if r := im.ImportRaw(ctx, "003_e0b436f538332717.txt", raw, importer.RawOptions{MeetingID: id, Title: doc.Title, Date: doc.Date}); r.Err != nil {
		t.Fatal(r.Err)
	}
	start := time.Now()
	r := im.ImportAKN(ctx, pubPath, pub, importer.Options{MeetingID: id, PublishedAt: time.Date(2019, 2, 11, 10, 0, 0, 0, time.UTC), Editor: "PDIS", Reason: "published transcript"})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	t.Logf("raw → published recorded in %s", time.Since(start))
	counts := map[string]int{}
	for _, e := range streamEvents(t, store, domain.TranscriptStream(id)) {
		counts[e.Type]++
	}
	t.Logf("events: %v", counts)
	if counts["transcript.speaker_reattributed"] < 300 {
		t.Errorf("only %d speaker assignments", counts["transcript.speaker_reattributed"])
	}
	// Punctuation is not an edit: the raw record's ASCII punctuation made
	// full-width is one normalisation of the transcript (it was 368
	// corrections of 385 utterances); what remains as corrections are the
	// real changes, none of which the normalisation explains.
	if counts["transcript.normalised"] != 1 {
		t.Errorf("%d normalisations, want 1", counts["transcript.normalised"])
	}
	normalised := map[domain.UtteranceID][]string{}
	for _, e := range streamEvents(t, store, domain.TranscriptStream(id)) {
		d, err := domain.Decode(e.Type, e.SchemaVersion, e.Data)
		if err != nil {
			t.Fatal(err)
		}
		switch x := d.(type) {
		case domain.TranscriptNormalised:
			for _, u := range x.Utterances {
				normalised[u.UtteranceID] = u.Paragraphs
			}
		case domain.TranscriptUtteranceCorrected:
			if before, ok := normalised[x.UtteranceID]; ok && slices.Equal(domain.NormaliseParagraphs(before), x.Paragraphs) {
				t.Errorf("%s: a correction the normalisation explains: %q", x.UtteranceID, x.Paragraphs)
			}
		}
	}
	if n := counts["transcript.utterance_corrected"] + counts["transcript.utterance_split"] + counts["transcript.utterances_merged"]; n > 40 || len(normalised) < 300 {
		t.Errorf("%d utterances rewritten besides the normalisation of %d", n, len(normalised))
	}
	got, err := importer.Export(ctx, store, id, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got.ContentHash() != doc.ContentHash() {
		t.Errorf("the transcript does not read as published")
	}
	asRaw, err := importer.Export(ctx, store, id, time.Date(2019, 1, 25, 12, 0, 0, 0, time.UTC))
	if err != nil || len(asRaw.Utterances) != 384 {
		t.Errorf("as of the meeting day: %v, %d utterances", err, len(asRaw.Utterances))
	}
}

// TestPOProcessTitles classifies the 192 files po-process.txt lists (by
// their names): each is recognised except the few named here, which the
// import prints as not classified.
func TestPOProcessTitles(t *testing.T) {
	list, err := os.ReadFile(filepath.Join(testenv.SharedDir(t), "data", "pdis-archive", "po-process.txt"))
	if err != nil {
		t.Fatal(err)
	}
	unclassified := map[string]bool{
		"2017-01-18-開放政府專責聯絡人第一次工作坊.an.xml":   true, // workshops
		"2017-01-20-開放政府專責聯絡人第二次工作坊.an.xml":   true,
		"2017-02-07-研商開放政府專責聯絡人例行運作機制.an.xml": true, // a meeting on how POs work
		"2018-04-18-開放政府聯絡人協作會議一週年記者會.an.xml": true, // a press conference
	}
	// Pre-meetings of a case named by its topic: recognised by title,
	// attached to their case by what its meetings speak of (Classify).
	byTopic := map[string]bool{
		"2017-10-02-開放政府聯絡人會議-澎湖案會前會.an.xml":    true,
		"2017-10-20-開放政府聯絡人會議-澎湖案第二次會前會.an.xml": true,
		"2017-10-27-開放政府聯絡人會議-澎湖案第三次會前會.an.xml": true,
		"2019-02-12-【人權公投案】協作會議-第一次會前會.an.xml":  true,
		"2019-03-22-【漁港釣魚案】協作會議-會前會.an.xml":     true,
		"2019-03-28-【兒虐死刑案】協作會議-會前會.an.xml":     true,
		"2019-03-29-【BIM案】協作會議-會前會.an.xml":      true,
	}
	counts := map[importer.ClassKind]int{}
	cases := map[int]bool{}
	for _, name := range strings.Fields(string(list)) {
		title := strings.ReplaceAll(strings.TrimSuffix(name, ".an.xml")[11:], "-", " ")
		c := importer.ClassifyTitle(title)
		counts[c.Kind]++
		if (c.Kind == importer.ClassUnclassified) != unclassified[name] || (c.Kind == importer.ClassTopic) != byTopic[name] {
			t.Errorf("%s: %+v", name, c)
		}
		if c.Case > 0 {
			cases[c.Case] = true
		}
	}
	t.Logf("%v; %d cases", counts, len(cases))
	if counts[importer.ClassMonthly] < 40 || len(cases) < 70 || counts[importer.ClassConsensus] < 4 {
		t.Errorf("too few recognised: %v, %d cases", counts, len(cases))
	}
}

// TestVersionsEveryTranscript records, for every transcript of the archive
// whose versions are stored, its readable versions as edits in memory and
// checks that after each version the transcript reads exactly as that
// version; it reports the slowest (the bound: 100 ms).
func TestVersionsEveryTranscript(t *testing.T) {
	if testing.Short() {
		t.Skip("the archive's stored versions: not in -short")
	}
	if raceEnabled && testenv.RunWithoutRace(t, "TestVersionsEveryTranscript") {
		return
	}
	_, hist := archive(t)
	var slowest time.Duration
	var slowName string
	transcripts, versions := 0, 0
	for _, f := range hist.Files() {
		var docs []*akn.Document
		for _, e := range hist.Versions(f) {
			if !e.Kept() {
				continue
			}
			data, err := os.ReadFile(hist.Path(e))
			if err != nil {
				t.Fatal(err)
			}
			if d, err := akn.ParseBytes(data, akn.Options{Name: e.Path, UndeclaredSpeakers: true}); err == nil {
				docs = append(docs, d)
			}
		}
		if len(docs) < 2 {
			continue
		}
		// The best of three runs: the machine is shared.
		best := time.Duration(math.MaxInt64)
		for range 3 {
			start := time.Now()
			versionsToEdits(t, docs)
			best = min(best, time.Since(start))
		}
		if best > slowest {
			slowest, slowName = best, f
		}
		transcripts++
		versions += len(docs) - 1
	}
	t.Logf("%d transcripts, %d versions as edits; slowest %s: %s", transcripts, versions, slowName, slowest)
}

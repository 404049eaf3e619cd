package importer_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/akn"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/importer"
	"github.com/pdis/collab-ledger/transcriptdiff"
)

var ctx = context.Background()

func readAll(t *testing.T, s eventstore.Store) []eventstore.Event {
	t.Helper()
	evs, err := s.ReadAll(ctx, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func streamEvents(t *testing.T, s eventstore.Store, stream string) []eventstore.Event {
	t.Helper()
	evs, err := s.ReadStream(ctx, stream, 1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func types(evs []eventstore.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func taipei(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Taipei)
	if err != nil {
		panic(err)
	}
	return t
}

// TestImportFileKeepsTwoClocksAndIsIdempotent: a file becomes a meeting
// and its transcript, dated when the meeting happened; importing it again
// records nothing.
func TestImportFileKeepsTwoClocksAndIsIdempotent(t *testing.T) {
	store := openBolt(t)
	im := importer.New(store, importer.Config{})
	path := filepath.Join("..", "akn", "testdata", "meeting.an.xml")
	before := time.Now()
	r := im.ImportFile(ctx, path, importer.Options{})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if r.Utterances != 7 || r.Events != 1+2+7+1 || !strings.HasPrefix(string(r.MeetingID), "akn-20190125-") {
		t.Errorf("result %+v", r)
	}
	evs := readAll(t, store)
	want := []string{"meeting.scheduled", "transcript.started", "transcript.imported"}
	if got := types(evs)[:3]; !slices.Equal(got, want) {
		t.Errorf("first events %v", got)
	}
	meetingDay := taipei("2019-01-25 00:00")
	for _, e := range evs {
		if e.Type == "transcript.published" {
			continue
		}
		if !e.OccurredAt().Equal(meetingDay) {
			t.Errorf("%s occurred at %s, want the meeting's date", e.Type, e.OccurredAt())
		}
		if e.RecordedAt.Before(before.Add(-time.Second)) {
			t.Errorf("%s recorded at %s, before the import ran", e.Type, e.RecordedAt)
		}
		if e.Metadata.ActorID != "importer" || e.Metadata.ActorRole != "pdis" {
			t.Errorf("%s: actor %+v", e.Type, e.Metadata)
		}
	}
	again := im.ImportFile(ctx, path, importer.Options{})
	if again.Err != nil || again.Events != 0 || again.MeetingID != r.MeetingID {
		t.Errorf("again: %+v", again)
	}
	if n := len(readAll(t, store)); n != len(evs) {
		t.Errorf("re-import appended %d events", n-len(evs))
	}
	// The export reads back to the same transcript.
	doc, err := importer.Export(ctx, store, r.MeetingID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := os.ReadFile(path)
	orig, _ := akn.ParseBytes(src, akn.Options{Name: path})
	if doc.ContentHash() != orig.ContentHash() || doc.Title != orig.Title || doc.Date != orig.Date {
		t.Errorf("export differs from the file")
	}
	// As of the day before the meeting there is nothing.
	if _, err := importer.Export(ctx, store, r.MeetingID, meetingDay.Add(-time.Hour)); !errors.Is(err, importer.ErrNoTranscript) {
		t.Errorf("as of before the meeting: %v", err)
	}
}

// TestBadInputChangesNothing: each kind of bad file is refused with a
// clear error naming the file and line, and nothing is appended. (A
// Markdown transcript is no bad input: TestMarkdownTranscript.)
func TestBadInputChangesNothing(t *testing.T) {
	store := openBolt(t)
	im := importer.New(store, importer.Config{MaxFileSize: 1024})
	bad := filepath.Join("..", "akn", "testdata", "bad")
	for _, c := range []struct {
		file string
		kind error
	}{
		{"invalid-xml.an.xml", akn.ErrInvalidXML},
		{"empty-speech.an.xml", akn.ErrEmptySpeech},
		{"declared-big5.an.xml", akn.ErrEncoding},
		{"not-utf8.an.xml", akn.ErrEncoding},
		{"utf16.an.xml", akn.ErrEncoding},
		{"not-akn.an.xml", akn.ErrNotAkomaNtoso},
		{"../meeting.an.xml", akn.ErrTooLarge},
	} {
		r := im.ImportFile(ctx, filepath.Join(bad, c.file), importer.Options{})
		if !errors.Is(r.Err, c.kind) {
			t.Errorf("%s: %v, want %v", c.file, r.Err, c.kind)
		}
		if !strings.Contains(r.Err.Error(), filepath.Base(c.file)) {
			t.Errorf("%s: error %q does not name the file", c.file, r.Err)
		}
	}
	if h, _ := store.Head(ctx); h != 0 {
		t.Errorf("bad input appended %d events", h)
	}
	// A file without a date.
	nodate := []byte(`<akomaNtoso><debate><meta><references><TLCPerson id="a" showAs="A"/></references></meta><debateBody><debateSection><heading>無日期</heading><speech by="#a"><p>x</p></speech></debateSection></debateBody></debate></akomaNtoso>`)
	if r := im.ImportAKN(ctx, "沒有日期.an.xml", nodate, importer.Options{}); !errors.Is(r.Err, akn.ErrNoDate) {
		t.Errorf("no date: %v", r.Err)
	}
}

// TestUndeclaredSpeakersImportWithAWarning: a speech by a speaker the file
// does not declare is recorded, the speaker marked undeclared and named by
// its reference, and the result warns with the line.
func TestUndeclaredSpeakersImportWithAWarning(t *testing.T) {
	store := openBolt(t)
	im := importer.New(store, importer.Config{})
	r := im.ImportFile(ctx, filepath.Join("..", "akn", "testdata", "bad", "undeclared-speaker.an.xml"), importer.Options{})
	if r.Err != nil || len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], "undeclared speaker") || !strings.Contains(r.String(), "warnings") {
		t.Fatalf("result %s, warnings %q", r, r.Warnings)
	}
	evs, err := store.ReadStream(ctx, domain.TranscriptStream(r.MeetingID), 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range evs {
		found = found || bytes.Contains(ev.Data, []byte(`"undeclared":true`))
	}
	if !found {
		t.Errorf("no utterance's speaker is recorded as undeclared")
	}
}

// TestFolderReportsEachFileAndGoesOn: a folder import reports every file
// and imports the good ones.
func TestFolderReportsEachFileAndGoesOn(t *testing.T) {
	store := openBolt(t)
	im := importer.New(store, importer.Config{})
	files, err := importer.Files([]string{filepath.Join("testdata", "folder")})
	if err != nil {
		t.Fatal(err)
	}
	var reported []string
	results, _, err := im.ImportFiles(ctx, files, importer.Options{}, func(r importer.Result) { reported = append(reported, r.String()) })
	if err != nil {
		t.Fatal(err)
	}
	if len(reported) != 4 || len(results) != 4 {
		t.Fatalf("reported %v", reported)
	}
	var ok, failed int
	for _, r := range results {
		if r.Err != nil {
			failed++
			var ae *akn.Error
			if !errors.As(r.Err, &ae) || ae.Line == 0 {
				t.Errorf("%s: %v names no line", r.File, r.Err)
			}
		} else {
			ok++
		}
	}
	if ok != 2 || failed != 2 {
		t.Errorf("%d ok, %d failed: %v", ok, failed, reported)
	}
}

// TestVersionsBecomeEdits: a transcript's stored versions are recorded as
// the published transcript and then, per version, the staff changes it
// contains (corrections, a reattribution, an inserted narration, a merge,
// a split, a deletion), dated and attributed as history.jsonl says; the
// as-of view shows each version as it was.
func TestVersionsBecomeEdits(t *testing.T) {
	store := openBolt(t)
	im := importer.New(store, importer.Config{})
	hist, err := importer.LoadHistory(filepath.Join("testdata", "archive", "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("testdata", "archive", "transcripts", "2019-04-16-測試協作會議.an.xml")
	r := im.ImportFile(ctx, file, importer.Options{History: hist})
	if r.Err != nil || r.Versions != 2 {
		t.Fatalf("%+v", r)
	}
	evs := streamEvents(t, store, domain.TranscriptStream(r.MeetingID))
	var changes []string
	for _, e := range evs {
		switch e.Type {
		case "transcript.started", "transcript.imported", "transcript.utterance_recorded":
		default:
			changes = append(changes, e.Type+"@"+e.OccurredAt().In(calendar.Taipei).Format("01-02"))
		}
	}
	want := []string{
		"transcript.published@04-19",
		"transcript.version_imported@04-23",
		"transcript.utterance_corrected@04-23",
		"transcript.utterance_corrected@04-23",
		"transcript.speaker_reattributed@04-23",
		"transcript.utterance_inserted@04-23",
		"transcript.version_imported@05-02",
		"transcript.utterances_merged@05-02",
		"transcript.utterance_split@05-02",
		"transcript.utterance_deleted@05-02",
	}
	if !slices.Equal(changes, want) {
		t.Errorf("changes:\n%s\nwant\n%s", strings.Join(changes, "\n"), strings.Join(want, "\n"))
	}
	// Attributed to the version's author, with its message; the editor is
	// not the speaker.
	for _, e := range evs {
		if e.Type != "transcript.utterance_corrected" {
			continue
		}
		de, _ := domain.Decode(e.Type, e.SchemaVersion, e.Data)
		c := de.(domain.TranscriptUtteranceCorrected)
		if c.Editor != "Audrey Tang" || c.Reason != "* 錯字與發言者更正" {
			t.Errorf("correction attributed to %q for %q", c.Editor, c.Reason)
		}
	}
	// As of each day, the version then published.
	for _, c := range []struct {
		at   string
		file string
	}{
		{"2019-04-20 12:00", "01-abc1def.an.xml"},
		{"2019-04-24 12:00", "02-abc2def.an.xml"},
		{"2019-06-01 12:00", "03-abc3def.an.xml"},
	} {
		doc, err := importer.Export(ctx, store, r.MeetingID, taipei(c.at))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(filepath.Join("testdata", "archive", "history", "2019-04-16-測試協作會議", c.file))
		v, _ := akn.ParseBytes(data, akn.Options{Name: c.file})
		if doc.ContentHash() != v.ContentHash() {
			t.Errorf("as of %s the transcript is not %s", c.at, c.file)
		}
	}
	// Again, nothing new; the file without kept versions is published on
	// its first date.
	if again := im.ImportFile(ctx, file, importer.Options{History: hist}); again.Err != nil || again.Events != 0 {
		t.Errorf("again: %+v", again)
	}
	po := im.ImportFile(ctx, filepath.Join("testdata", "archive", "transcripts", "2019-05-06-開放政府-PO-第二十七次月會.an.xml"), importer.Options{History: hist})
	for _, e := range streamEvents(t, store, domain.TranscriptStream(po.MeetingID)) {
		if e.Type == "transcript.published" && !e.OccurredAt().Equal(taipei("2019-05-10 09:00")) {
			t.Errorf("published at %s, want the first date", e.OccurredAt())
		}
	}
}

// TestChangedFileIsANewVersion: a file changed since its import is
// recorded as the changes, not as a new transcript.
func TestChangedFileIsANewVersion(t *testing.T) {
	store := openBolt(t)
	im := importer.New(store, importer.Config{})
	dir := filepath.Join("testdata", "archive", "history", "2019-04-16-測試協作會議")
	v1, _ := os.ReadFile(filepath.Join(dir, "01-abc1def.an.xml"))
	v2, _ := os.ReadFile(filepath.Join(dir, "02-abc2def.an.xml"))
	r1 := im.ImportAKN(ctx, "meeting.an.xml", v1, importer.Options{})
	r2 := im.ImportAKN(ctx, "meeting.an.xml", v2, importer.Options{VersionAt: taipei("2019-04-25 10:00"), Editor: "PDIS", Reason: "更正"})
	if r1.Err != nil || r2.Err != nil || r1.MeetingID != r2.MeetingID {
		t.Fatal(r1, r2)
	}
	// v2 has 4 changes + its marker.
	if r2.Events != 5 {
		t.Errorf("version recorded %d events", r2.Events)
	}
	// Importing v1 again is not a revert.
	if r := im.ImportAKN(ctx, "meeting.an.xml", v1, importer.Options{}); r.Events != 0 {
		t.Errorf("old file again recorded %d events", r.Events)
	}
}

// TestRawRecordToPublished: a raw record, then its published version: the
// speakers are assigned, narration lines reclassified, paragraphs merged
// and split, punctuation corrected; every raw paragraph is accounted for
// and the transcript then reads as published.
func TestRawRecordToPublished(t *testing.T) {
	store := openBolt(t)
	im := importer.New(store, importer.Config{})
	raw, _ := os.ReadFile(filepath.Join("testdata", "raw", "record.txt"))
	pub, _ := os.ReadFile(filepath.Join("testdata", "raw", "published.an.xml"))
	const id = "consensus-2019-2"
	if r := im.ImportRaw(ctx, "record.txt", raw, importer.RawOptions{MeetingID: id}); !errors.Is(r.Err, importer.ErrMeetingNotFound) {
		t.Fatalf("raw import without a meeting: %v", r.Err)
	}
	r := im.ImportRaw(ctx, "record.txt", raw, importer.RawOptions{MeetingID: id, Title: "108年度開放政府聯絡人共識會議（第二場）", Date: "2019-01-25"})
	if r.Err != nil || r.Utterances != 8 {
		t.Fatal(r)
	}
	if again := im.ImportRaw(ctx, "record.txt", raw, importer.RawOptions{MeetingID: id}); again.Err != nil || again.Events != 0 {
		t.Errorf("raw again: %+v", again)
	}
	p := im.ImportAKN(ctx, "published.an.xml", pub, importer.Options{MeetingID: id, PublishedAt: taipei("2019-02-01 10:00"), Editor: "PDIS", Reason: "published"})
	if p.Err != nil {
		t.Fatal(p.Err)
	}
	counts := map[string]int{}
	for _, e := range streamEvents(t, store, domain.TranscriptStream(id)) {
		counts[e.Type]++
	}
	for typ, n := range map[string]int{
		"transcript.speaker_reattributed":   5, // speakers assigned (to 8 raw paragraphs less one merged away, one deleted, one narration)
		"transcript.utterance_reclassified": 1, // (與會者皆無意見) is narration
		"transcript.utterances_merged":      1,
		"transcript.utterance_split":        1,
		"transcript.utterance_deleted":      1, // 嗯嗯嗯
		"transcript.utterance_inserted":     1, // the site's link
		"transcript.published":              1,
	} {
		if counts[typ] != n {
			t.Errorf("%s: %d, want %d (all: %v)", typ, counts[typ], n, counts)
		}
	}
	doc, err := importer.Export(ctx, store, id, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := akn.ParseBytes(pub, akn.Options{Name: "published.an.xml"})
	if doc.ContentHash() != want.ContentHash() {
		var buf bytes.Buffer
		akn.Write(&buf, doc)
		t.Errorf("the transcript does not read as published:\n%s", buf.String())
	}
	// As of the meeting day, the raw record.
	before, err := importer.Export(ctx, store, id, taipei("2019-01-25 12:00"))
	if err != nil || len(before.Utterances) != 8 || before.Utterances[0].Speaker != "" {
		t.Errorf("as of the meeting: %v %+v", err, before)
	}
}

// TestAlignSteps: the raw fixture's alignment names every raw paragraph.
func TestAlignSteps(t *testing.T) {
	raw, _ := os.ReadFile(filepath.Join("testdata", "raw", "record.txt"))
	paras, err := importer.ParseRaw("record.txt", raw, 0)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := os.ReadFile(filepath.Join("testdata", "raw", "published.an.xml"))
	doc, _ := akn.ParseBytes(pub, akn.Options{Name: "published.an.xml"})
	steps := alignRaw(paras, doc)
	seen := map[int]bool{}
	for _, s := range steps {
		for _, o := range s.Old {
			seen[o] = true
		}
	}
	if len(seen) != len(paras) {
		t.Errorf("%d of %d raw paragraphs accounted for", len(seen), len(paras))
	}
}

func alignRaw(paras []string, doc *akn.Document) []transcriptdiff.Step {
	old := make([]transcriptdiff.Item, len(paras))
	for i, p := range paras {
		old[i] = transcriptdiff.Item{Kind: "speech", Paragraphs: []string{p}}
	}
	nw := make([]transcriptdiff.Item, len(doc.Utterances))
	for i, u := range doc.Utterances {
		nw[i] = transcriptdiff.Item{Kind: string(u.Kind), Speaker: u.Speaker, Paragraphs: u.Paragraphs}
	}
	return transcriptdiff.Align(old, nw)
}

func TestClassifyTitle(t *testing.T) {
	for title, want := range map[string]importer.Class{
		"2018-07-04 開放政府聯絡人第三十七次協作會議":             {Kind: importer.ClassCollaborative, Case: 37},
		"2018-08-08 開放政府聯絡人第三十七次協作會議（第二場）":        {Kind: importer.ClassCollaborative, Case: 37, Session: 2},
		"2019-04-02 開放政府第47次議題協作會議":               {Kind: importer.ClassCollaborative, Case: 47},
		"2017-11-17 第二十三次開放政府聯絡人協作會議":             {Kind: importer.ClassCollaborative, Case: 23},
		"2018-06-26 第35次協作會議地震速報第一次會前會":           {Kind: importer.ClassPreMeeting, Case: 35, Ordinal: 1},
		"2017-12-28 開放政府第二十六次協作會議第二次會前會":          {Kind: importer.ClassPreMeeting, Case: 26, Ordinal: 2},
		"2020-03-10 開放政府第61次協作會議：食鹽添加物鉀40 第二次會前會": {Kind: importer.ClassPreMeeting, Case: 61, Ordinal: 2},
		"2020-12-17 開放政府第85次協作會議 會前會 會議結論":        {Kind: importer.ClassPreMeeting, Case: 85},
		"2018-05-15 開放政府第35次協作會議 工作會議":            {Kind: importer.ClassWorking, Case: 35},
		"2020-10-20 開放政府第78次協作會議 第四次工作會議":         {Kind: importer.ClassWorking, Case: 78, Ordinal: 4},
		"2017-03-06 開放政府 PO 月會":                   {Kind: importer.ClassMonthly},
		"2019-01-07 開放政府PO第二十三次月會":                {Kind: importer.ClassMonthly, Ordinal: 23},
		"2020-01-06 109年1月開放政府聯絡人工作推動會議":          {Kind: importer.ClassMonthly},
		"2017-07-03 開放政府聯絡人工作推動會議":                {Kind: importer.ClassMonthly},
		"2019-01-25 108年度開放政府聯絡人共識會議（第二場）":        {Kind: importer.ClassConsensus, Session: 2},
		"2018-01-23 PO 共識營 Day 1":                 {Kind: importer.ClassConsensus},
	} {
		got := importer.ClassifyTitle(title)
		got.Reason = ""
		if got != want {
			t.Errorf("%s: %+v, want %+v", title, got, want)
		}
	}
	for _, title := range []string{"2018-04-18 開放政府聯絡人協作會議一週年記者會", "2017-01-18 開放政府專責聯絡人第一次工作坊", "2020-01-18 與曾博恩對談"} {
		if c := importer.ClassifyTitle(title); c.Kind != importer.ClassUnclassified || c.Reason == "" {
			t.Errorf("%s: %+v, want unclassified with a reason", title, c)
		}
	}
	for s, n := range map[string]int{"三十七": 37, "二十": 20, "十二": 12, "八十五": 85, "一百零五": 105, "37": 37, "３７": 37, "十": 10} {
		if got, ok := importer.ParseNumeral(s); !ok || got != n {
			t.Errorf("ParseNumeral(%s) = %d, %v", s, got, ok)
		}
	}
}

// TestProcessImport: one case per numbered collaborative meeting, with
// its meetings in date order and the stages their dates imply; monthly
// meetings attached; what is not classified is listed.
func TestProcessImport(t *testing.T) {
	store := openBolt(t)
	im := importer.New(store, importer.Config{})
	files, _ := importer.Files([]string{filepath.Join("testdata", "process")})
	results, sum, err := im.ImportFiles(ctx, files, importer.Options{Process: "pdis"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if sum.Cases != 2 || sum.Collaborative != 3 || sum.PreMeetings != 2 || sum.Working != 1 || sum.Monthly != 2 || sum.Consensus != 1 || len(sum.Unclassified) != 2 {
		t.Errorf("summary %s", sum)
	}
	// What is not classified is recorded all the same (a meeting of no
	// case), each file with a warning, listed at the end of the import.
	warned := 0
	for _, r := range results {
		for _, w := range r.Warnings {
			if strings.Contains(w, "not placed in the participation process") {
				warned++
				if r.Events == 0 || r.MeetingID == "" {
					t.Errorf("%s: unclassified and not recorded", r.File)
				}
			}
		}
	}
	if warned != len(sum.Unclassified) {
		t.Errorf("%d files warned as unclassified, %d listed", warned, len(sum.Unclassified))
	}
	var stages []string
	for _, e := range streamEvents(t, store, domain.CaseStream("35")) {
		de, _ := domain.Decode(e.Type, e.SchemaVersion, e.Data)
		switch x := de.(type) {
		case domain.CaseOpened:
			if x.SourceKind != domain.SourceImported {
				t.Errorf("case not marked imported: %+v", x)
			}
			stages = append(stages, "opened@"+e.OccurredAt().In(calendar.Taipei).Format("01-02"))
		case domain.CaseStageChanged:
			stages = append(stages, string(x.To)+"@"+e.OccurredAt().In(calendar.Taipei).Format("01-02"))
		}
	}
	want := []string{"opened@05-15", "division_of_labour@05-15", "research@05-15", "pre_meeting@06-26", "meetings@07-27"}
	if !slices.Equal(stages, want) {
		t.Errorf("case 35: %v, want %v", stages, want)
	}
	for _, r := range results {
		evs := streamEvents(t, store, domain.MeetingStream(r.MeetingID))
		de, _ := domain.Decode(evs[0].Type, evs[0].SchemaVersion, evs[0].Data)
		ms := de.(domain.MeetingScheduled)
		switch {
		case strings.Contains(r.File, "第三十七次"):
			if ms.CaseID != "37" || ms.Kind != domain.MeetingCollaborative || !ms.Imported {
				t.Errorf("%s: %+v", r.File, ms)
			}
		case strings.Contains(r.File, "月會"):
			if ms.Kind != domain.MeetingPOMonthly || ms.MonthlyMeetingID != "2018-07" {
				t.Errorf("%s: %+v", r.File, ms)
			}
		case strings.Contains(r.File, "工作推動"):
			if ms.MonthlyMeetingID != "2020-01" {
				t.Errorf("%s: %+v", r.File, ms)
			}
		}
	}
	// Opened and held, as its transcript shows; no ballot invented.
	if evs := streamEvents(t, store, domain.MonthlyMeetingStream("2018-07")); !slices.Equal(types(evs), []string{"monthly.opened", "monthly.held"}) {
		t.Errorf("monthly meeting: %v", types(evs))
	}
	// Again: nothing new.
	head, _ := store.Head(ctx)
	if _, _, err := im.ImportFiles(ctx, files, importer.Options{Process: "pdis"}, nil); err != nil {
		t.Fatal(err)
	}
	if h, _ := store.Head(ctx); h != head {
		t.Errorf("process re-import appended %d events", h-head)
	}
}

func TestPopoloExport(t *testing.T) {
	store := openBolt(t)
	im := importer.New(store, importer.Config{})
	r := im.ImportFile(ctx, filepath.Join("..", "akn", "testdata", "meeting.an.xml"), importer.Options{})
	p, err := importer.Popolo(ctx, store, r.MeetingID)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Persons) != 2 || p.Persons[0].ID != "唐鳳" {
		t.Errorf("persons %+v", p.Persons)
	}
}

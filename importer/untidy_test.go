package importer_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/akn"
	"github.com/pdis/collab-ledger/importer"
)

const markdownTranscript = "\uFEFF# 2020-05-04 關於 **海洋** 的座談\n\n📅 時間：109年5月4日\n\n" +
	"### 唐鳳：\n大家好，請看 [簡報](https://example.org/a?b=1&c=2)。\n第二行。\n\n第二段。\n\n" +
	"> （大合照）\n\n仍是唐鳳。\n\n" +
	"### 與會者A:\n我有*一個*問題 <script>x</script>。\n\n## 第二節\n\n### 唐鳳：\n謝謝。\n"

// TestMarkdownTranscript: a Markdown transcript, even under an .an.xml
// name, imports as the transcript it holds, with a warning: its title and
// date from the "#" heading, a speech per "### NAME：" (declared by its
// heading), quotes as narration, links and emphasis in the safe subset,
// and the export reads back to the same transcript.
func TestMarkdownTranscript(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "x.an.xml")
	if err := os.WriteFile(name, []byte(markdownTranscript), 0o644); err != nil {
		t.Fatal(err)
	}
	doc, err := importer.ParseTranscript(name, []byte(markdownTranscript), 0)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Title != "2020-05-04 關於 海洋 的座談" || doc.Date != "2020-05-04" || len(doc.Persons) != 2 {
		t.Fatalf("title %q date %q persons %v", doc.Title, doc.Date, doc.Persons)
	}
	type u struct {
		kind    akn.Kind
		speaker string
		paras   []string
	}
	want := []u{
		{akn.Narration, "", []string{"📅 時間：109年5月4日"}},
		{akn.Speech, "唐鳳", []string{`大家好，請看 <a href="https://example.org/a?b=1&amp;c=2">簡報</a>。<br/>第二行。`, "第二段。"}},
		{akn.Narration, "", []string{"（大合照）"}},
		{akn.Speech, "唐鳳", []string{"仍是唐鳳。"}},
		{akn.Speech, "與會者A", []string{"我有<i>一個</i>問題 &lt;script&gt;x&lt;/script&gt;。"}},
		{akn.Heading, "", []string{"第二節"}},
		{akn.Speech, "唐鳳", []string{"謝謝。"}},
	}
	if len(doc.Utterances) != len(want) {
		t.Fatalf("%d utterances: %+v", len(doc.Utterances), doc.Utterances)
	}
	for i, w := range want {
		g := doc.Utterances[i]
		if g.Kind != w.kind || g.Speaker != w.speaker || strings.Join(g.Paragraphs, "|") != strings.Join(w.paras, "|") {
			t.Errorf("utterance %d: %s %q %q, want %s %q %q", i, g.Kind, g.Speaker, g.Paragraphs, w.kind, w.speaker, w.paras)
		}
	}
	store := openBolt(t)
	im := importer.New(store, importer.Config{})
	results, _, err := im.ImportFiles(ctx, []string{name}, importer.Options{Process: "pdis"}, nil)
	if err != nil || results[0].Err != nil {
		t.Fatal(err, results[0].Err)
	}
	if len(results[0].Warnings) != 1 || results[0].Warnings[0] != importer.MarkdownWarning {
		t.Errorf("warnings %q", results[0].Warnings)
	}
	back, err := importer.Export(ctx, store, results[0].MeetingID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if back.ContentHash() != doc.ContentHash() || back.Date != "2020-05-04" {
		t.Errorf("the exported transcript differs from the Markdown file's")
	}
	// Not Markdown and not XML: refused, naming the file.
	if _, err := importer.ParseTranscript("y.an.xml", []byte("plain words"), 0); !errors.Is(err, akn.ErrInvalidXML) {
		t.Errorf("plain text: %v", err)
	}
}

const undatedAKN = `<akomaNtoso><debate><meta><references><TLCPerson id="a" showAs="甲"/></references></meta>
<debateBody><debateSection><heading>全國某某會議</heading>
<debateSection><heading>籌備委員會第一次會議</heading>
<narrative>時間：中華民國八十八年四月二十三日星期五下午二點三十分</narrative>
<speech by="#a"><p>開會。</p></speech></debateSection>
<debateSection><heading>第二次會議</heading><narrative>時間：中華民國八十八年五月七日</narrative>
<speech by="#a"><p>再開會。</p></speech></debateSection></debateSection></debateBody></debate></akomaNtoso>`

// TestUndatedFilesAreDated: a file whose metadata, title and name give no
// date is dated by the first 時間 line of its text (a record of several
// sittings by its first), else by its first publication in the history,
// each with a warning saying so; only a file nothing dates is refused.
func TestUndatedFilesAreDated(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fromText := write("司法會議.an.xml", undatedAKN)
	noDate := strings.NewReplacer("中華民國八十八年四月二十三日星期五下午二點三十分", "下午", "中華民國八十八年五月七日", "晚上").Replace(undatedAKN)
	fromHistory := write("會議紀錄.an.xml", noDate)
	refused := write("無日期.an.xml", noDate)
	hist, err := importer.ReadHistory(strings.NewReader(`{"file": "會議紀錄.an.xml", "version": 2, "of": 2, "commit": "c33bea29829f9aff51cdd209f39265fdf7586219", "date": "2016-04-05T11:00:10+08:00", "first_date": "2016-04-05T10:58:47+08:00", "author": "A", "message": "m", "path": "transcripts/會議紀錄.an.xml", "note": "earlier versions not kept"}`+"\n"), dir)
	if err != nil {
		t.Fatal(err)
	}
	store := openBolt(t)
	im := importer.New(store, importer.Config{})
	results, _, err := im.ImportFiles(ctx, []string{fromText, fromHistory, refused}, importer.Options{History: hist, Process: "pdis"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct{ date, warning string }{
		{"1999-04-23", `the first date its text gives, "時間：中華民國八十八年四月二十三日" (line 4)`},
		{"2016-04-05", "when it was first published (history.jsonl)"},
	} {
		r := results[i]
		if r.Err != nil {
			t.Fatalf("%s: %v", r.File, r.Err)
		}
		if !strings.HasPrefix(string(r.MeetingID), "akn-"+strings.ReplaceAll(want.date, "-", "")) || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], want.warning) {
			t.Errorf("%s: meeting %s, warnings %q", r.File, r.MeetingID, r.Warnings)
		}
		back, err := importer.Export(ctx, store, r.MeetingID, time.Time{})
		if err != nil || back.Date != want.date {
			t.Errorf("%s: exported date %q, %v", r.File, back.Date, err)
		}
	}
	if !errors.Is(results[2].Err, akn.ErrNoDate) {
		t.Errorf("a file nothing dates: %v", results[2].Err)
	}
}

// TestArchiveUntidyFiles: the archive's two untidy files, an undated
// record of 1999 and a Markdown page, are recorded, with warnings.
func TestArchiveUntidyFiles(t *testing.T) {
	dir, hist := archive(t)
	md := filepath.Join(dir, "2019-11-09-「108年青年好政系列－Let’s-Talk」成果分享暨交流會.an.xml")
	old := filepath.Join(dir, "1999年全國司法改革會議.an.xml")
	store := openBolt(t)
	im := importer.New(store, importer.Config{})
	results, _, err := im.ImportFiles(ctx, []string{md, old}, importer.Options{History: hist, Process: "pdis"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil || len(r.Warnings) == 0 {
			t.Fatalf("%s: %v, warnings %q", r.File, r.Err, r.Warnings)
		}
		t.Logf("%s: %d utterances; %q", filepath.Base(r.File), r.Utterances, r.Warnings)
	}
	data, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := importer.ParseTranscript(md, data, 0)
	if err != nil {
		t.Fatal(err)
	}
	speeches := 0
	for _, u := range doc.Utterances {
		if u.Kind == akn.Speech {
			speeches++
		}
	}
	if heads := strings.Count(string(data), "\n### "); speeches < heads || doc.Date != "2019-11-09" {
		t.Errorf("Markdown: %d speeches for %d speaker headings, date %q", speeches, heads, doc.Date)
	}
	if !strings.HasPrefix(string(results[1].MeetingID), "akn-19990423-") {
		t.Errorf("the 1999 record: meeting %s, want dated 1999-04-23 (its first sitting)", results[1].MeetingID)
	}
}

package akn_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/pdis/collab-ledger/akn"
)

// TestSectionsAndPreface: nested debateSections are read in document
// order with every heading kept (headings and subheadings at any depth are
// heading utterances), and the preface gives the title (its docTitle), the
// date (its docDate) and a narration of its other text; written and read
// back, the transcript is the same.
func TestSectionsAndPreface(t *testing.T) {
	d, err := parseFile(t, "sections.an.xml", akn.Options{Name: "司改會議紀錄.an.xml"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "全民司法改革運動" || d.Date != "2016-06-14" {
		t.Errorf("title %q, date %q", d.Title, d.Date)
	}
	type u struct {
		kind    akn.Kind
		speaker string
		paras   []string
	}
	want := []u{
		{akn.Narration, "", []string{"第二階段 2016年6月14日（二）", "民間<i>司法改革</i>基金會"}},
		{akn.Heading, "", []string{"第二階段第一次工作會議"}},
		{akn.Narration, "", []string{"時間：19:00-21:00"}},
		{akn.Heading, "", []string{"媒體與<b>司法</b>"}},
		{akn.Speech, "林俊宏", []string{"針對成因的部分。"}},
		{akn.Heading, "", []string{"成因"}},
		{akn.Heading, "", []string{"（續）"}},
		{akn.Speech, "陳雨凡", []string{"想請問成因。"}},
		{akn.Speech, "林俊宏", []string{"回到媒體。"}},
		{akn.Narration, "", []string{"（休息）"}},
		{akn.Heading, "", []string{"司法與人權"}},
		{akn.Speech, "陳雨凡", []string{"最後一段。"}},
	}
	checkUtterances(t, d, len(want), func(i int, g akn.Utterance) bool {
		w := want[i]
		return g.Kind == w.kind && g.Speaker == w.speaker && slices.Equal(g.Paragraphs, w.paras)
	})
	roundTrip(t, d)
}

// TestPrefaceTitle: the preface's title and the first heading.
func TestPrefaceTitle(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8"?><akomaNtoso><debate><meta><references><TLCPerson id="a" showAs="A"/></references></meta>`
	for _, c := range []struct {
		name, xml, title string
		utterances       []string // kind:text
	}{
		{"heading repeats the preface's title",
			`<preface><docTitle>2019-01-25 會議</docTitle></preface><debateBody><debateSection><heading>2019-01-25  會議</heading><speech by="#a"><p>x</p></speech></debateSection></debateBody>`,
			"2019-01-25 會議", []string{"speech:x"}},
		{"title within a paragraph with more text",
			`<preface><p>會議名稱：<docTitle>2019-01-25 會議</docTitle></p></preface><debateBody><debateSection><speech by="#a"><p>x</p></speech></debateSection></debateBody>`,
			"2019-01-25 會議", []string{"narration:會議名稱：2019-01-25 會議", "speech:x"}},
		{"a docTitle outside the preface only when no heading says",
			`<debateBody><debateSection><heading>2019-01-25 標題</heading><docTitle>別的</docTitle><speech by="#a"><p>x</p></speech></debateSection></debateBody>`,
			"2019-01-25 標題", []string{"speech:x"}},
		{"no heading at all",
			`<debateBody><docTitle>2019-01-25 文件</docTitle><debateSection><speech by="#a"><p>x</p></speech></debateSection></debateBody>`,
			"2019-01-25 文件", []string{"speech:x"}},
		{"the first heading of a nested section is the title",
			`<debateBody><debateSection><debateSection><heading>2019-01-25 甲</heading><speech by="#a"><p>x</p></speech></debateSection><debateSection><heading>乙</heading><speech by="#a"><p>y</p></speech></debateSection></debateSection></debateBody>`,
			"2019-01-25 甲", []string{"speech:x", "heading:乙", "speech:y"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := akn.ParseBytes([]byte(head+c.xml+`</debate></akomaNtoso>`), akn.Options{Name: "x.an.xml"})
			if err != nil {
				t.Fatal(err)
			}
			if d.Title != c.title || d.Date != "2019-01-25" {
				t.Errorf("title %q, date %q; want %q", d.Title, d.Date, c.title)
			}
			checkUtterances(t, d, len(c.utterances), func(i int, g akn.Utterance) bool {
				return string(g.Kind)+":"+g.Paragraphs[0] == c.utterances[i] && len(g.Paragraphs) == 1
			})
			roundTrip(t, d)
		})
	}
}

// checkUtterances fails unless d has n utterances, each as ok says.
func checkUtterances(t *testing.T, d *akn.Document, n int, ok func(int, akn.Utterance) bool) {
	t.Helper()
	if len(d.Utterances) != n {
		for _, x := range d.Utterances {
			t.Logf("%s %q %q", x.Kind, x.Speaker, x.Paragraphs)
		}
		t.Fatalf("%d utterances, want %d", len(d.Utterances), n)
	}
	for i, g := range d.Utterances {
		if !ok(i, g) {
			t.Errorf("utterance %d: %s %q %q", i, g.Kind, g.Speaker, g.Paragraphs)
		}
	}
}

// roundTrip fails unless d written and read back is the same transcript,
// and returns what was written.
func roundTrip(t *testing.T, d *akn.Document) string {
	t.Helper()
	var buf bytes.Buffer
	if err := akn.Write(&buf, d); err != nil {
		t.Fatal(err)
	}
	back, err := akn.ParseBytes(buf.Bytes(), akn.Options{Name: "written"})
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if diff := diffDocs(d, back); diff != "" {
		t.Errorf("round trip: %s\n%s", diff, buf.String())
	}
	return buf.String()
}

package akn_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/akn"
)

func parseFile(t *testing.T, name string, opt akn.Options) (*akn.Document, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if opt.Name == "" {
		opt.Name = name
	}
	return akn.Parse(bytes.NewReader(data), opt)
}

// TestParseFixture: every mapping rule on one hand-written file.
func TestParseFixture(t *testing.T) {
	d, err := parseFile(t, "meeting.an.xml", akn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "2019-01-25 108年度開放政府聯絡人共識會議（測試）" || d.Date != "2019-01-25" {
		t.Errorf("title %q, date %q", d.Title, d.Date)
	}
	if len(d.Persons) != 3 || d.Persons[1] != (akn.Person{ID: "Ghost", Name: "交通部 PO Ghost"}) {
		t.Errorf("persons %+v", d.Persons)
	}
	type u struct {
		kind          akn.Kind
		speaker, name string
		paras         []string
	}
	want := []u{
		{akn.Narration, "", "", []string{`<i>（PO網站：<a href="https://po.pdis.nat.gov.tw/">po.pdis.nat.gov.tw</a>）</i>`}},
		{akn.Speech, "唐鳳", "唐鳳", []string{
			"大家好，<b>今天</b>我們<i>討論</i>開放政府。",
			"多餘的 空白 會被收成一個。",
			`連結 不安全 與 <a href="mailto:po@example.org">信箱</a>。`,
		}},
		{akn.Speech, "Ghost", "主持人 Ghost", []string{
			"清單：<ul><li>第一</li><li><b>第二</b></li></ul>換行<br/>之後 &amp; 符號 &lt;不是標籤&gt;",
			"紅字圖說<blockquote>引言</blockquote>",
		}},
		{akn.Narration, "", "", []string{"（與會者皆無意見）"}},
		{akn.Heading, "", "", []string{"分組討論"}},
		{akn.Speech, "Ghost", "交通部 PO Ghost", []string{"第二節的發言。"}},
		{akn.Speech, "唐鳳", "唐鳳", []string{"外面沒有 p 的文字<br/>也算一段", "然後一段。"}},
	}
	if len(d.Utterances) != len(want) {
		for _, x := range d.Utterances {
			t.Logf("%+v", x)
		}
		t.Fatalf("%d utterances, want %d", len(d.Utterances), len(want))
	}
	for i, w := range want {
		g := d.Utterances[i]
		if g.Kind != w.kind || g.Speaker != w.speaker || g.Name != w.name || !slices.Equal(g.Paragraphs, w.paras) {
			t.Errorf("utterance %d:\n got %s %q %q %q\nwant %s %q %q %q", i, g.Kind, g.Speaker, g.Name, g.Paragraphs, w.kind, w.speaker, w.name, w.paras)
		}
		if g.Line == 0 {
			t.Errorf("utterance %d has no line", i)
		}
	}
	// Written and read back, it is the same transcript.
	written := roundTrip(t, d)
	if !strings.Contains(written, `<from>主持人 Ghost</from>`) || strings.Contains(written, "unused") {
		t.Errorf("export: <from> only where the name differs, persons only who speak:\n%s", written)
	}
}

// TestBadInput: each kind of bad input is refused with its sentinel, the
// file's name and the line.
func TestBadInput(t *testing.T) {
	for _, c := range []struct {
		file string
		kind error
		line int
		opt  akn.Options
	}{
		{"bad/invalid-xml.an.xml", akn.ErrInvalidXML, 6, akn.Options{}},
		{"bad/undeclared-speaker.an.xml", akn.ErrUndeclaredSpeaker, 7, akn.Options{}},
		{"bad/empty-speech.an.xml", akn.ErrEmptySpeech, 7, akn.Options{}},
		{"bad/declared-big5.an.xml", akn.ErrEncoding, 1, akn.Options{}},
		{"bad/not-utf8.an.xml", akn.ErrEncoding, 6, akn.Options{}},
		{"bad/utf16.an.xml", akn.ErrEncoding, 1, akn.Options{}},
		{"bad/not-akn.an.xml", akn.ErrNotAkomaNtoso, 1, akn.Options{}},
		{"bad/markdown.an.xml", akn.ErrInvalidXML, 1, akn.Options{}},
		{"meeting.an.xml", akn.ErrTooLarge, 0, akn.Options{MaxSize: 1024}},
	} {
		t.Run(c.file, func(t *testing.T) {
			d, err := parseFile(t, c.file, c.opt)
			if !errors.Is(err, c.kind) || d != nil {
				t.Fatalf("got %v, %v; want %v", d, err, c.kind)
			}
			var ae *akn.Error
			if !errors.As(err, &ae) || ae.File != c.file || ae.Line != c.line {
				t.Errorf("error %q: want file %s line %d", err, c.file, c.line)
			}
			if !strings.HasPrefix(err.Error(), c.file) {
				t.Errorf("error %q does not start with the file's name", err)
			}
		})
	}
}

// TestSanitize: only the safe subset survives, in one canonical form.
func TestSanitize(t *testing.T) {
	for _, c := range [][2]string{
		{`<script>alert(1)</script>text`, "text"},
		{`<a href="javascript:alert(1)">x</a>`, "x"},
		{`<a href=" https://example.org/?a=1&amp;b=2 " onclick="x()">x</a>`, `<a href="https://example.org/?a=1&amp;b=2">x</a>`},
		{`<a href="//evil.example/">x</a>`, "x"},
		{`<i onmouseover="x()">i</i><em>e</em><strong>s</strong>`, "<i>i</i><i>e</i><b>s</b>"},
		{`<iframe src="https://evil.example/">inner</iframe>after`, "after"},
		{`<div><p>nested</p></div>`, "nested"},
		{`<img src="x" onerror="alert(1)"/>`, ""},
		{`<img src="x" onerror="alert(1)">`, "&lt;img src=\"x\" onerror=\"alert(1)\"&gt;"},
		{`a < b & c`, "a &lt; b &amp; c"},
		{"  lines\n\tand   spaces  ", "lines and spaces"},
		{`<br>unclosed`, "&lt;br&gt;unclosed"},
		{`&nbsp;&copy;`, "\u00a0©"},
		{"控制\x01字元", "控制字元"},
	} {
		got := akn.Sanitize(c[0])
		if got != c[1] {
			t.Errorf("Sanitize(%q) = %q, want %q", c[0], got, c[1])
		}
		if again := akn.Sanitize(got); again != got {
			t.Errorf("Sanitize is not idempotent on %q: %q", got, again)
		}
	}
	if got := akn.PlainText(`<i>a</i> &amp; <b>b</b><br/>c`); got != "a & b c" {
		t.Errorf("PlainText = %q", got)
	}
	if got := akn.EscapeText("a<b>  c"); got != "a&lt;b&gt; c" {
		t.Errorf("EscapeText = %q", got)
	}
}

func TestPopolo(t *testing.T) {
	d, err := parseFile(t, "meeting.an.xml", akn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	p := akn.Popolo{Persons: akn.PersonsOf(d), Organizations: []akn.PopoloOrganization{{ID: "mot", Name: "交通部", Classification: "ministry"}}}
	if err := akn.WritePopolo(&buf, p); err != nil {
		t.Fatal(err)
	}
	want := `"id": "Ghost",
      "name": "交通部 PO Ghost",
      "other_names": [
        {
          "name": "主持人 Ghost"
        }
      ]`
	if !strings.Contains(buf.String(), want) || !strings.Contains(buf.String(), `"organizations": [`) {
		t.Errorf("popolo:\n%s", buf.String())
	}
}

package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/chromedp"

	"github.com/pdis/collab-ledger/akn"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/importer"
	"github.com/pdis/collab-ledger/internal/testenv"
)

// The archive transcript and the stored version the test shows: the first
// collaborative meeting's fourth version, in which an editor who is not
// the usual committer fixed typos in three speeches ("組工回" → "組工會", …).
const (
	archiveTranscript = "2017-03-17-開放政府聯絡人第一次協作會議.an.xml"
	archiveVersion    = 4
)

// archiveEditorShown says whether a version entry of the transcript page
// names the editor a staff change is attributed to
// (readmodels.UtteranceVersion.Editor: history.jsonl's author, here "Jerry
// Lee") beside the actor who issued the change (the importer), its date and
// its reason.
const archiveEditorShown = true

// archiveHistoryLine is one line of the archive's history.jsonl, read here
// on its own (not through the importer) so that the test's expectations
// come from the archive itself.
type archiveHistoryLine struct {
	File    string    `json:"file"`
	Version int       `json:"version"`
	Date    time.Time `json:"date"`
	Author  string    `json:"author"`
	Message string    `json:"message"`
	Path    string    `json:"path"`
}

// archiveChange is an utterance that differs between two stored versions:
// its paragraphs' plain text before and after, and, when the change is
// one stretch, the words removed and inserted.
type archiveChange struct {
	before, after     []string
	removed, inserted string
	// exact: removed and inserted share no character, so any word diff
	// must show exactly them as deleted and inserted.
	exact bool
}

// TestBrowserArchiveEdit imports a real transcript of the PDIS archive with
// its stored versions into an embedded store through the importer, serves
// the real pages over the real read models, and checks in headless
// Chromium that the meeting's transcript page shows each utterance the
// archive's version changed, with its version's word diff (opened from its
// <details>): the words deleted and inserted are those the two stored
// versions differ by (computed here from the files), dated and attributed
// as history.jsonl says.
func TestBrowserArchiveEdit(t *testing.T) {
	archive := filepath.Join(testenv.SharedDir(t), "data", "pdis-archive")
	bctx := testenv.Chromium(t, testenv.Browser{Lang: "zh-TW", Timeout: 2 * time.Minute})

	// What the archive says: the version's commit, and the utterances it
	// changed, from the two stored files.
	prev, cur := archiveVersions(t, archive, archiveTranscript, archiveVersion)
	changes := archiveChanges(t, archive, prev, cur)
	if len(changes) == 0 || !slices.ContainsFunc(changes, func(c archiveChange) bool { return c.exact }) {
		t.Fatalf("version %d of %s changes %d utterances, none in one stretch: pick another version", cur.Version, cur.File, len(changes))
	}

	// The ledger: the importer into the server's store, read models caught up.
	pe := newPagesEnv(t)
	hist, err := importer.LoadHistory(filepath.Join(archive, "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	res := importer.New(pe.store, importer.Config{}).ImportFile(context.Background(), filepath.Join(archive, "transcripts", archiveTranscript), importer.Options{History: hist})
	if res.Err != nil || res.Versions == 0 {
		t.Fatalf("import: %v (%d versions)", res.Err, res.Versions)
	}
	pe.caughtUp()

	// Every utterance whose history has an entry dated as the version,
	// over the transcript's pages: its ID, that entry's text, and that
	// entry's diff read from the markup (text, <del> and <ins>; the words
	// for screen readers inside them are left out).
	stamp := cur.Date.UTC().Format(time.RFC3339)
	const collect = `(() => {
		const own = e => Array.from(e.childNodes).filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join('');
		const out = [];
		for (const t of document.querySelectorAll('article details li time[datetime="%s"]')) {
			const li = t.closest('li'), art = li.closest('article');
			const paras = [...new Set(Array.from(li.querySelectorAll('del, ins')).map(e => e.parentElement))];
			const d = {id: art.id, entry: li.textContent.replace(/\s+/g, ' '), before: [], after: [], del: [], ins: []};
			for (const p of paras) {
				let before = '', after = '';
				for (const n of p.childNodes) {
					if (n.nodeType === Node.TEXT_NODE) { before += n.textContent; after += n.textContent; }
					else if (n.localName === 'del') { before += own(n); d.del.push(own(n)); }
					else if (n.localName === 'ins') { after += own(n); d.ins.push(own(n)); }
				}
				d.before.push(before); d.after.push(after);
			}
			out.push(d);
		}
		return out;
	})()`
	type shown struct {
		ID     string   `json:"id"`
		Entry  string   `json:"entry"`
		Before []string `json:"before"`
		After  []string `json:"after"`
		Del    []string `json:"del"`
		Ins    []string `json:"ins"`
	}
	var found []shown
	firstPage := map[string]string{}
	for page := 1; ; page++ {
		var got []shown
		var articles int
		url := fmt.Sprintf("%s/meetings/%s?page=%d", pe.srv.URL, res.MeetingID, page)
		if err := chromedp.Run(bctx,
			chromedp.Navigate(url),
			chromedp.WaitReady("body", chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelectorAll('article[id^="u-"]').length`, &articles),
			chromedp.Evaluate(fmt.Sprintf(collect, stamp), &got),
		); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if articles == 0 {
			if page == 1 {
				t.Fatalf("%s shows no utterance", url)
			}
			break
		}
		for _, s := range got {
			firstPage[s.ID] = url
		}
		found = append(found, got...)
		if page > 20 {
			t.Fatal("more than 20 pages of utterances")
		}
	}

	// Each change of the archive is shown once, with the same words.
	if len(found) != len(changes) {
		t.Errorf("the pages show %d utterances changed by version %d, the archive %d", len(found), cur.Version, len(changes))
	}
	when := cur.Date.In(calendar.Taipei).Format("2006-01-02 15:04")
	var opened string
	for _, c := range changes {
		i := slices.IndexFunc(found, func(s shown) bool { return slices.Equal(s.Before, c.before) && slices.Equal(s.After, c.after) })
		if i < 0 {
			t.Errorf("no version entry shows %q → %q as a diff", c.before, c.after)
			continue
		}
		s := found[i]
		if c.exact && (strings.Join(s.Del, "") != c.removed || strings.Join(s.Ins, "") != c.inserted) {
			t.Errorf("%s: deleted %q, inserted %q; the versions differ by %q → %q", s.ID, s.Del, s.Ins, c.removed, c.inserted)
		}
		for _, want := range []string{when, cur.Message} {
			if !strings.Contains(s.Entry, want) {
				t.Errorf("%s: the version entry %q does not show %q (history.jsonl)", s.ID, s.Entry, want)
			}
		}
		switch shows := strings.Contains(s.Entry, cur.Author); {
		case shows && !archiveEditorShown:
			t.Errorf("%s: the version entry now names its editor %q: set archiveEditorShown to true", s.ID, cur.Author)
		case !shows && archiveEditorShown:
			t.Errorf("%s: the version entry %q does not name its editor %q (history.jsonl)", s.ID, s.Entry, cur.Author)
		}
		if c.exact && opened == "" {
			opened = s.ID
		}
	}
	if opened == "" {
		return
	}

	// A person opens the <details> of the first exact change: the diff is
	// hidden until then.
	sel := "#" + opened + " details"
	ins := fmt.Sprintf(`%s li:has(time[datetime="%s"]) ins`, sel, stamp)
	var before, after bool
	if err := chromedp.Run(bctx,
		chromedp.Navigate(firstPage[opened]),
		chromedp.WaitVisible("#"+opened, chromedp.ByQuery),
		chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).checkVisibility()`, ins), &before),
		chromedp.Click(sel+" summary", chromedp.ByQuery),
		chromedp.WaitVisible(ins, chromedp.ByQuery),
		chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).checkVisibility()`, ins), &after),
	); err != nil {
		t.Fatalf("opening the versions of %s: %v", opened, err)
	}
	if before || !after {
		t.Errorf("%s: the diff is visible before opening: %v, after: %v", opened, before, after)
	}
}

// archiveVersions returns history.jsonl's lines for version-1 and version
// of file.
func archiveVersions(t *testing.T, archive, file string, version int) (prev, cur archiveHistoryLine) {
	t.Helper()
	f, err := os.Open(filepath.Join(archive, "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var l archiveHistoryLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("history.jsonl: %v", err)
		}
		switch {
		case l.File != file:
		case l.Version == version-1:
			prev = l
		case l.Version == version:
			cur = l
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if prev.Path == "" || cur.Path == "" || cur.Author == "" || cur.Date.IsZero() {
		t.Fatalf("history.jsonl has no versions %d and %d of %s", version-1, version, file)
	}
	return prev, cur
}

// archiveChanges returns the utterances that differ between two stored
// versions with the same utterances in the same places (each paragraph as
// plain text), and for a change in one paragraph the stretch that
// differs: what is left between the common start and the common end.
func archiveChanges(t *testing.T, archive string, prev, cur archiveHistoryLine) []archiveChange {
	t.Helper()
	read := func(l archiveHistoryLine) *akn.Document {
		data, err := os.ReadFile(filepath.Join(archive, l.Path))
		if err != nil {
			t.Fatal(err)
		}
		d, err := akn.ParseBytes(data, akn.Options{Name: l.Path})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a, b := read(prev), read(cur)
	if len(a.Utterances) != len(b.Utterances) {
		t.Fatalf("versions %d and %d of %s have %d and %d utterances: pick a version that only edits words", prev.Version, cur.Version, cur.File, len(a.Utterances), len(b.Utterances))
	}
	plain := func(ps []string) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = akn.PlainText(p)
		}
		return out
	}
	var out []archiveChange
	for i := range a.Utterances {
		x, y := plain(a.Utterances[i].Paragraphs), plain(b.Utterances[i].Paragraphs)
		if slices.Equal(x, y) {
			continue
		}
		c := archiveChange{before: x, after: y}
		if len(x) == 1 && len(y) == 1 {
			c.removed, c.inserted = middles(x[0], y[0])
			c.exact = !strings.ContainsAny(c.removed, c.inserted)
		}
		out = append(out, c)
	}
	return out
}

// middles trims the longest common start and then end (whole characters)
// off x and y and returns what is left of each.
func middles(x, y string) (string, string) {
	for x != "" && y != "" {
		rx, nx := utf8.DecodeRuneInString(x)
		ry, _ := utf8.DecodeRuneInString(y)
		if rx != ry {
			break
		}
		x, y = x[nx:], y[nx:]
	}
	for x != "" && y != "" {
		rx, nx := utf8.DecodeLastRuneInString(x)
		ry, _ := utf8.DecodeLastRuneInString(y)
		if rx != ry {
			break
		}
		x, y = x[:len(x)-nx], y[:len(y)-nx]
	}
	return x, y
}

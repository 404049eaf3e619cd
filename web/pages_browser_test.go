package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pdis/collab-ledger/internal/testenv"
)

// TestBrowser drives the pages in headless Chromium (Debian's chromium)
// and checks what a person sees: the case page's heading, stage and
// trail; the language switch; a transcript version's word diff opened from
// its <details>; and a screenshot.
func TestBrowser(t *testing.T) {
	bctx := testenv.Chromium(t, testenv.Browser{Lang: "zh-TW", Timeout: 90 * time.Second})
	pe := newPagesEnv(t)
	pe.story()

	var title, stage, trailHeading, lang string
	var trail string
	err := chromedp.Run(bctx,
		chromedp.Navigate(pe.srv.URL+"/cases/57"),
		chromedp.WaitVisible("#case-title", chromedp.ByQuery),
		chromedp.Text("#case-title", &title, chromedp.ByQuery),
		chromedp.Text("#case-stage", &stage, chromedp.ByQuery),
		chromedp.Text("#h-trail", &trailHeading, chromedp.ByQuery),
		chromedp.Text("#trail table", &trail, chromedp.ByQuery),
		chromedp.Evaluate(`document.documentElement.lang`, &lang),
	)
	if err != nil {
		t.Fatalf("case page: %v", err)
	}
	if title != "停止神豬比重" || stage != "結案" || trailHeading != "問責軌跡：這個結果是怎麼來的" || lang != "zh-Hant" {
		t.Errorf("case page shows title %q, stage %q, trail %q, lang %q", title, stage, trailHeading, lang)
	}
	for _, want := range []string{"連署", "選題投票", "階段", "2019-03-07", "PDIS staff-1"} {
		if !strings.Contains(trail, want) {
			t.Errorf("the trail as shown lacks %q", want)
		}
	}

	// Switch to English: the link, then the labels.
	err = chromedp.Run(bctx,
		chromedp.Click("#lang-switch", chromedp.ByQuery),
		chromedp.WaitVisible(`html[lang="en"] #case-title`, chromedp.ByQuery),
	)
	if err == nil {
		err = testenv.WhileDocumentSettles(func() error {
			return chromedp.Run(bctx,
				chromedp.Text("#case-stage", &stage, chromedp.ByQuery),
				chromedp.Text("#h-trail", &trailHeading, chromedp.ByQuery),
			)
		})
	}
	if err != nil {
		t.Fatalf("language switch: %v", err)
	}
	if stage != "Closed" || trailHeading != "Accountability trail: how this outcome arose" {
		t.Errorf("after the switch: stage %q, trail %q", stage, trailHeading)
	}

	// A transcript version diff: hidden until its <details> opens.
	var before, after bool
	var diffText, insText, delText string
	err = chromedp.Run(bctx,
		chromedp.Navigate(pe.srv.URL+"/meetings/m-1"),
		chromedp.WaitVisible("#u-u-1", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#u-u-1 details ins').checkVisibility()`, &before),
		chromedp.Click("#u-u-1 details summary", chromedp.ByQuery),
		chromedp.WaitVisible("#u-u-1 details ins", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#u-u-1 details ins').checkVisibility()`, &after),
		chromedp.Text("#u-u-1 details .diff", &diffText, chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('#u-u-1 details ins')).map(e => e.lastChild.previousSibling.textContent).join('|')`, &insText),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('#u-u-1 details del')).map(e => e.lastChild.previousSibling.textContent).join('|')`, &delText),
	)
	if err != nil {
		t.Fatalf("transcript diff: %v", err)
	}
	if before || !after {
		t.Errorf("the diff is visible before opening: %v, after: %v", before, after)
	}
	if insText != "的|很" || delText != "有一點" {
		t.Errorf("inserted %q, deleted %q; the diff reads %q", insText, delText, diffText)
	}
	if !strings.Contains(diffText, "inserted:") || !strings.Contains(diffText, "deleted:") {
		t.Errorf("no words for screen readers in %q", diffText)
	}

	var shot []byte
	if err := chromedp.Run(bctx, chromedp.FullScreenshot(&shot, 90)); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	file := filepath.Join(t.TempDir(), "transcript.jpg")
	if err := os.WriteFile(file, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Size() < 1000 {
		t.Errorf("screenshot %s: %v, %d bytes", file, err, len(shot))
	}
}

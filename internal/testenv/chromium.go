package testenv

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser is how Chromium starts for a browser test.
type Browser struct {
	// Width and Height are the window's size. Default 1280 × 1024.
	Width, Height int
	// Lang is the browser's language and Accept-Language (e.g. "zh-TW";
	// default the browser's own).
	Lang string
	// Timeout bounds the browser's life. Default 2 minutes.
	Timeout time.Duration
}

// Chromium starts headless Chromium (Debian's chromium on PATH) with a fresh
// profile and the flags every browser test uses, and returns its context;
// the browser stops and its profile goes when the test ends. A missing
// browser is a skip, or a failure with COLLABLEDGER_REQUIRE_CHROMIUM=1.
func Chromium(tb testing.TB, b Browser) context.Context {
	tb.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		Missing(tb, "chromium", "no chromium on PATH (apt-get install -y chromium)")
	}
	if b.Width == 0 || b.Height == 0 {
		b.Width, b.Height = 1280, 1024
	}
	if b.Timeout <= 0 {
		b.Timeout = 2 * time.Minute
	}
	profile, err := os.MkdirTemp("", "collabledger-chromium-")
	if err != nil {
		tb.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(b.Width, b.Height),
	}
	if b.Lang != "" {
		opts = append(opts, chromedp.Flag("lang", b.Lang), chromedp.Flag("accept-lang", b.Lang))
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.Timeout)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	tb.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancel()
		_ = os.RemoveAll(profile) // Chromium may still be writing to it as it exits
	})
	return bctx
}

// WhileDocumentSettles runs read until it stops failing for a node that
// has gone. A link that sets a cookie and then shows the page (the
// language switch) may replace the document once more after the first
// one shows, so a node found in the first can vanish before it is read:
// read again from the document that stays, for up to 3 s.
func WhileDocumentSettles(read func() error) error {
	var err error
	for try := 0; try < 30; try++ {
		if err = read(); err == nil || !strings.Contains(err.Error(), "No node") {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

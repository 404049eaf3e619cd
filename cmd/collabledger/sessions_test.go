package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeSessionSurvivesRestart: `collabledger serve` on the embedded
// store keeps the pages' sessions in the file beside it: signed in before
// a restart, a person is still signed in after it.
func TestServeSessionSurvivesRestart(t *testing.T) {
	store := "file:" + filepath.Join(t.TempDir(), "ledger.db")
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	me := func(base string) (string, string) {
		t.Helper()
		resp, err := c.Get(base + "/me")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.Request.URL.Path, string(b)
	}
	t.Run("before", func(t *testing.T) {
		base := startServe(t, store, "--dev-signin", "--deadline-check=0")
		resp, err := c.PostForm(base+"/signin/dev", url.Values{"role": {"pdis"}, "id": {"staff-5"}, "return": {"/me"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if path, page := me(base); path != "/me" || !strings.Contains(page, "staff-5") {
			t.Fatalf("not signed in: at %s", path)
		}
	})
	t.Run("after", func(t *testing.T) {
		base := startServe(t, store, "--dev-signin", "--deadline-check=0")
		if path, page := me(base); path != "/me" || !strings.Contains(page, "staff-5") {
			t.Fatalf("the session did not survive the restart: at %s", path)
		}
	})
}

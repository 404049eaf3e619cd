package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeHealth starts `collabledger serve` on a fresh embedded file,
// reads the URL it prints, and checks the health endpoint.
func TestServeHealth(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	store := "file:" + filepath.Join(t.TempDir(), "data", "ledger.db")
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--store", store}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed nothing: %v", err)
	}
	go io.Copy(io.Discard, pr)
	m := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	if m == "" {
		t.Fatalf("serve printed %q, want the URL it listens on", line)
	}
	resp, err := http.Get(m + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Status, Store string
		Head          uint64
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || h.Status != "ok" || h.Store != "file" {
		t.Fatalf("health: %d %+v", resp.StatusCode, h)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop when its context ended")
	}
}

func TestUnknownCommand(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"frobnicate"}, &out, &out)
	if err == nil || exitCode(err) != 2 || !strings.Contains(out.String(), "serve") {
		t.Fatalf("unknown command: err %v, output %q", err, out.String())
	}
}

func TestBadStoreURL(t *testing.T) {
	err := run(context.Background(), []string{"serve", "--store", "nosuch://x", "--addr", "127.0.0.1:0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "unknown event store URL scheme") {
		t.Fatalf("bad store URL: %v", err)
	}
}

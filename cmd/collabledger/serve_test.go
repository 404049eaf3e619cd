package main

import (
	"bufio"
	"context"
	"encoding/json"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/export"
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

// TestExport appends through the store, runs `collabledger export`, and
// checks every line verifies.
func TestExport(t *testing.T) {
	ctx := context.Background()
	url := "file:" + filepath.Join(t.TempDir(), "ledger.db")
	s, err := openStore(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		ev, _ := eventstore.NewEventData("test.happened", 1, map[string]int{"n": i}, eventstore.Metadata{ActorID: "a"})
		if _, err := s.Append(ctx, "s", eventstore.Any, ev); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	var out strings.Builder
	if err := run(ctx, []string{"export", "--store", url, "--after", "1"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	r := export.NewReader(strings.NewReader(out.String()))
	n := 0
	for {
		e, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Verify(); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 4 {
		t.Fatalf("exported %d events after position 1, want 4", n)
	}
}

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

	"github.com/pdis/collab-ledger/demo"
	"github.com/pdis/collab-ledger/eventstore"
)

// TestServeDemo runs `collabledger serve --demo` on a fresh embedded file,
// reads the demo URLs it prints, and checks the health endpoint reports the
// loaded log.
func TestServeDemo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	store := "file:" + filepath.Join(t.TempDir(), "data", "demo.db")
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--store", store}, pw, io.Discard)
		pw.Close()
	}()
	r := bufio.NewReader(pr)
	var lines []string
	for len(lines) < 5 {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("serve --demo printed %q, then %v", lines, err)
		}
		lines = append(lines, strings.TrimSpace(line))
	}
	go io.Copy(io.Discard, pr)
	base := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(lines[0])
	if base == "" {
		t.Fatalf("serve printed %q, want the URL it listens on", lines[0])
	}
	out := strings.Join(lines, "\n")
	for _, want := range []string{
		base + "/cases/" + string(demo.ShowcaseCase),
		base + "/meetings/" + string(demo.ShowcaseMeeting),
		base + "/proposals/" + string(demo.MarkerProposal),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --demo printed\n%s\nwithout %s", out, want)
		}
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Status string
		Head   uint64
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || h.Status != "ok" || h.Head == 0 {
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

// TestServeDemoRefusesOtherEvents: --demo never mixes demo data with a
// store holding other records.
func TestServeDemoRefusesOtherEvents(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	url := "file:" + filepath.Join(dir, "ledger.db")
	writeSecret(t, dir, []byte("demo-test-secret-0123456789abcdef"))
	s, err := openStore(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := eventstore.NewEventData("test.happened", 1, map[string]int{"n": 1}, eventstore.Metadata{ActorID: "a"})
	if _, err := s.Append(ctx, "s", eventstore.Any, ev); err != nil {
		t.Fatal(err)
	}
	s.Close()
	err = run(ctx, []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--store", url}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not the demo") {
		t.Fatalf("serve --demo on a store with other events: %v", err)
	}
}

package web_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/transparency"
	"github.com/pdis/collab-ledger/web"
)

func TestProofsAPI(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := bbolt.Open(ctx, bbolt.Config{Path: filepath.Join(t.TempDir(), "l.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	skey, vkey, err := note.GenerateKey(rand.Reader, transparency.DefaultOrigin)
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifiers, _ := transparency.NewVerifiers(vkey)
	l, err := transparency.Open(ctx, transparency.Config{Verifiers: verifiers, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	go l.Follow(ctx, store)
	pub, err := transparency.NewPublisher(transparency.PublisherConfig{Log: l, Store: store, Signer: signer, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	if routes := web.RegisterProofs(mux, l, quiet); strings.Join(routes, " ") != "GET "+web.LatestCheckpointPath+" GET "+web.InclusionProofPath+" GET "+web.ConsistencyProofPath+" GET "+web.CheckpointPath {
		t.Fatalf("routes %q", routes)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()

	get := func(path, accept string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	wantError := func(path string, status int, code string) {
		t.Helper()
		resp, b := get(path, "")
		var e web.ErrorBody
		if err := json.Unmarshal(b, &e); err != nil || resp.StatusCode != status || e.Error.Code != code {
			t.Fatalf("GET %s: %d %s, want %d %s", path, resp.StatusCode, b, status, code)
		}
	}

	wantError("/api/v1/checkpoints/latest", 404, "no_checkpoint")
	var ids []uuid.UUID
	for i := range 12 {
		ev, _ := eventstore.NewEventData("case.noted", 1, map[string]int{"n": i}, eventstore.Metadata{})
		res, err := store.Append(ctx, "case-9", eventstore.Any, ev)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Events[0].ID)
	}
	if err := l.WaitFor(ctx, 12); err != nil {
		t.Fatal(err)
	}
	if b, _ := web.Badge(ctx, l, ids[3]); b.Included || !b.Pending || b.ProofURL != "/api/v1/proofs/inclusion?event="+ids[3].String() {
		t.Fatalf("badge before any checkpoint: %+v", b)
	}
	wantError("/api/v1/proofs/inclusion?event="+ids[3].String(), 404, "no_checkpoint")
	cp, ok, err := pub.Publish(ctx)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := l.WaitFor(ctx, cp.Position); err != nil {
		t.Fatal(err)
	}

	// The latest checkpoint, as JSON and as the signed note.
	resp, body := get("/api/v1/checkpoints/latest", "")
	var cj web.CheckpointJSON
	if err := json.Unmarshal(body, &cj); err != nil || resp.StatusCode != 200 || cj.Size != 12 || cj.Position != 13 || cj.Origin != transparency.DefaultOrigin {
		t.Fatalf("latest: %d %s", resp.StatusCode, body)
	}
	resp, body = get("/api/v1/checkpoints/latest", "text/plain")
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") || string(body) != cj.Note {
		t.Fatalf("latest as text: %s %q", resp.Header.Get("Content-Type"), body)
	}
	signed, err := transparency.OpenCheckpoint(body, verifiers, transparency.DefaultOrigin)
	if err != nil || eventstore.Hash(signed.Root) != cj.RootHash {
		t.Fatalf("the served note: %v", err)
	}
	if _, b2 := get("/api/v1/checkpoints/latest?format=note", ""); string(b2) != cj.Note {
		t.Fatal("?format=note")
	}

	// Inclusion, by ID and by position, checked as an outsider would:
	// the proof against the signed root.
	for _, path := range []string{"/api/v1/proofs/inclusion?event=" + ids[5].String(), "/api/v1/proofs/inclusion?position=6"} {
		resp, body = get(path, "")
		var p transparency.InclusionProof
		if err := json.Unmarshal(body, &p); err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		if p.EventID != ids[5] || p.LeafIndex != 5 || p.TreeSize != 12 || p.Checkpoint != cj.Note || p.RootHash != eventstore.Hash(signed.Root) {
			t.Fatalf("GET %s: %+v", path, p)
		}
		if err := p.Verify(); err != nil {
			t.Fatal(err)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Fatalf("proof against the latest checkpoint cached: %q", cc)
		}
	}
	resp, body = get("/api/v1/proofs/inclusion?position=2&size=5", "")
	var small transparency.InclusionProof
	if json.Unmarshal(body, &small) != nil || small.TreeSize != 5 || small.Checkpoint != "" || small.Verify() != nil || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("explicit size: %s %s", resp.Header.Get("Cache-Control"), body)
	}
	if b, err := web.Badge(ctx, l, ids[11]); err != nil || !b.Included || b.CheckpointSize != 12 || b.LeafIndex != 11 {
		t.Fatalf("badge: %+v %v", b, err)
	}
	// A page's badges at once are each entry's badge.
	pageIDs := append(append([]uuid.UUID(nil), ids...), uuid.New())
	badges, err := web.Badges(ctx, l, pageIDs)
	if err != nil || len(badges) != len(pageIDs) {
		t.Fatalf("badges of a page: %d %v", len(badges), err)
	}
	for i, id := range pageIDs {
		if one, err := web.Badge(ctx, l, id); err != nil || one != badges[i] {
			t.Fatalf("badges[%d] %+v, Badge says %+v (%v)", i, badges[i], one, err)
		}
	}

	// Consistency.
	resp, body = get("/api/v1/proofs/consistency?from=5", "")
	var c transparency.ConsistencyProof
	if json.Unmarshal(body, &c) != nil || resp.StatusCode != 200 || c.From != 5 || c.To != 12 || c.Verify() != nil || c.Checkpoint != cj.Note {
		t.Fatalf("consistency: %d %s", resp.StatusCode, body)
	}

	// Bad input and unknown events.
	wantError("/api/v1/proofs/inclusion", 400, "missing_parameter")
	wantError("/api/v1/proofs/inclusion?event="+ids[0].String()+"&position=1", 400, "conflicting_parameters")
	wantError("/api/v1/proofs/inclusion?event=nope", 400, "invalid_event_id")
	wantError("/api/v1/proofs/inclusion?position=-1", 400, "invalid_position")
	wantError("/api/v1/proofs/inclusion?position=0", 400, "invalid_position")
	wantError("/api/v1/proofs/inclusion?position=1&size=x", 400, "invalid_size")
	wantError("/api/v1/proofs/inclusion?position=1&size=999", 400, "invalid_size")
	wantError("/api/v1/proofs/inclusion?event="+uuid.NewString(), 404, "unknown_event")
	wantError("/api/v1/proofs/inclusion?position=999", 404, "unknown_event")
	wantError("/api/v1/proofs/inclusion?position=13", 409, "not_yet_checkpointed") // the checkpoint's own event
	wantError("/api/v1/proofs/consistency", 400, "missing_parameter")
	wantError("/api/v1/proofs/consistency?from=0", 400, "invalid_size")
	wantError("/api/v1/proofs/consistency?from=9&to=5", 400, "invalid_size")
	wantError("/api/v1/proofs/consistency?from=1&to=99", 400, "invalid_size")
}

package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/web"
)

func TestHealth(t *testing.T) {
	ctx := context.Background()
	s, err := bbolt.Open(ctx, bbolt.Config{Path: filepath.Join(t.TempDir(), "l.db")})
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := eventstore.NewEventData("test.happened", 1, map[string]int{"n": 1}, eventstore.Metadata{})
	if _, err := s.Append(ctx, "s", eventstore.Any, ev); err != nil {
		t.Fatal(err)
	}
	h, err := web.New(web.Config{Store: s, StoreKind: "file"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	get := func() (int, web.Health) {
		resp, err := http.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body web.Health
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, body
	}
	if code, body := get(); code != 200 || body.Status != "ok" || body.Head != 1 {
		t.Fatalf("healthy store: %d %+v", code, body)
	}
	s.Close()
	if code, body := get(); code != 503 || body.Status != "unavailable" || body.Error != "event store: store_closed" {
		t.Fatalf("closed store: %d %+v", code, body)
	}
	if _, err := web.New(web.Config{}); err == nil {
		t.Fatal("a handler without a store was accepted")
	}
}

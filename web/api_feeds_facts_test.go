package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/importer/join"
	"github.com/pdis/collab-ledger/web"
)

// TestJoinFeedRecordsAMissingList: a proposal line of POST
// /api/v1/feeds/join without a signatures member and without rows (no list
// was ever downloaded) records proposal.signature_list_missing, once; the
// same feed again stores nothing; a line with "signatures": 0 (an empty
// list) records no such fact (decision 0056).
func TestJoinFeedRecordsAMissingList(t *testing.T) {
	e := newAPI(t, func(c *web.Config) {
		im, err := join.New(join.Config{Ledger: c.Ledger.(*app.Ledger), Store: c.Store, Secret: apiSecret})
		if err != nil {
			t.Fatal(err)
		}
		c.JoinFeed = im
	})
	staff := e.token(staffActor, apiNow.Add(24*time.Hour))
	line := func(id, extra string) string {
		return `{"id":"` + id + `","title":"公車路線","ministries":[{"id":"315000000H","name":"交通部","role":"lead"}],"publishedAt":"2018-06-07T07:00:00+08:00","signingClosesAt":"2018-08-06T00:00:00+08:00","goal":5000` + extra + `}`
	}
	send := func(body string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+web.JoinFeedPath, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/jsonl")
		req.Header.Set("Authorization", "Bearer "+staff)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	types := func(id string) string {
		t.Helper()
		evs, err := e.raw.ReadStream(context.Background(), domain.ProposalStream(domain.ProposalID(id)), 1, 100)
		if err != nil {
			t.Fatal(err)
		}
		var ts []string
		for _, ev := range evs {
			ts = append(ts, ev.Type)
		}
		return strings.Join(ts, " ")
	}
	feed := line("feed-nolist", "") + "\n" + line("feed-empty", `,"signatures":0`)
	if status := send(feed); status != http.StatusCreated {
		t.Fatalf("feed: %d", status)
	}
	if got, want := types("feed-nolist"), "proposal.submitted proposal.published proposal.signature_list_missing"; got != want {
		t.Errorf("no list: %s, want %s", got, want)
	}
	if got, want := types("feed-empty"), "proposal.submitted proposal.published"; got != want {
		t.Errorf("an empty list: %s, want %s", got, want)
	}
	head := e.head()
	if status := send(feed); status != http.StatusOK || e.head() != head {
		t.Fatalf("the same feed again: %d, head %d → %d", status, head, e.head())
	}
}

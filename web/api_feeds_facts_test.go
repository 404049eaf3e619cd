package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/web"
)

// TestJoinFeedRecordsAMissingList: a proposal line of POST
// /api/v1/feeds/join without a signatures member and without rows (no list
// was ever downloaded) records proposal.signature_list_missing, once; the
// same feed again stores nothing; a line with "signatures": 0 (an empty
// list) records no such fact (decision 0056).
func TestJoinFeedRecordsAMissingList(t *testing.T) {
	e := newFeedAPI(t)
	staff := e.token(staffActor, apiNow.Add(24*time.Hour))
	line := func(id, extra string) string {
		return `{"id":"` + id + `","title":"公車路線","ministries":[{"id":"315000000H","name":"交通部","role":"lead"}],"publishedAt":"2018-06-07T07:00:00+08:00","signingClosesAt":"2018-08-06T00:00:00+08:00","goal":5000` + extra + `}`
	}
	var answer web.FeedResult
	send := func(body string) int {
		t.Helper()
		status, res, _ := sendFeed(t, e, staff, body)
		answer = res
		return status
	}
	// The answer says per proposal what was recorded of the facts.
	facts := func() string {
		var out []string
		for _, p := range answer.Proposals {
			out = append(out, fmt.Sprintf("%s missing=%v late=%d %v present=%d", p.ID, p.SignatureListMissing, p.LateRows, p.LateRuns, p.LateRowsPresent))
		}
		return strings.Join(out, "; ")
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
	// Rows 2 and 3 of feed-late were made after signing closed (2018-08-05
	// is its last day).
	row := func(n int, at string) string {
		return fmt.Sprintf(`{"proposal":"feed-late","n":%d,"at":%q,"county":"臺北市","district":"大安區"}`, n, at)
	}
	feed := line("feed-nolist", "") + "\n" + line("feed-empty", `,"signatures":0`) + "\n" + line("feed-late", `,"signatures":3`) + "\n" +
		row(1, "2018-08-05T23:59:00+08:00") + "\n" + row(2, "2018-08-06T00:00:00+08:00") + "\n" + row(3, "2018-08-07T09:00:00+08:00")
	if status := send(feed); status != http.StatusCreated {
		t.Fatalf("feed: %d", status)
	}
	if got, want := facts(), "feed-nolist missing=true late=0 [] present=0; feed-empty missing=false late=0 [] present=0; feed-late missing=false late=2 [2–3] present=0"; got != want {
		t.Errorf("the answer's facts:\n%s\nwant\n%s", got, want)
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
	if got, want := facts(), "feed-nolist missing=false late=0 [] present=0; feed-empty missing=false late=0 [] present=0; feed-late missing=false late=0 [] present=2"; got != want {
		t.Errorf("the answer's facts, sent again:\n%s\nwant\n%s", got, want)
	}
}

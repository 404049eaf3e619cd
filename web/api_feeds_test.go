package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/importer/join"
	"github.com/pdis/collab-ledger/web"
)

// TestJoinFeed: POST /api/v1/feeds/join with a staff token records a
// proposal and its signature rows (each decided by the domain, by the
// pseudonym the server derives from the row); the same feed again records
// nothing, a grown one only the new row; a bad line refuses the whole feed
// naming the line; other tokens are refused.
func TestJoinFeed(t *testing.T) {
	e := newFeedAPI(t)
	staff := e.token(staffActor, apiNow.Add(24*time.Hour))
	citizen := e.token(citizenActor("A123456789"), apiNow.Add(24*time.Hour))
	proposal := `{"id":"feed-1","title":"公車路線","ministries":[{"id":"315000000H","name":"交通部","role":"lead"}],"publishedAt":"2018-06-07T07:00:00+08:00","signingClosesAt":"2018-08-06T00:00:00+08:00","goal":3,"periodDays":60,"status":"FirstSigned","outline":"增加班次"}`
	row := func(n int, at, county string) string {
		return `{"proposal":"feed-1","n":` + strconv.Itoa(n) + `,"at":"` + at + `","county":"` + county + `","district":""}`
	}
	feed := strings.Join([]string{proposal, row(1, "2018-06-07T07:06:02+08:00", "臺北市"), row(2, "2018-06-07T08:00:00+08:00", ""), row(3, "2018-06-07T09:00:00+08:00", "高雄市")}, "\n")
	send := func(token, body string) (int, web.FeedResult, web.ErrorDetail) {
		t.Helper()
		return sendFeed(t, e, token, body)
	}

	status, res, _ := send(staff, feed)
	if status != http.StatusCreated || res.Signatures != 3 || len(res.Proposals) != 1 || !res.Proposals[0].Established {
		t.Fatalf("first feed: %d %+v", status, res)
	}
	evs, err := e.raw.ReadStream(context.Background(), domain.ProposalStream("feed-1"), 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var signed []domain.ProposalSigned
	for _, ev := range evs {
		if ev.Type == "proposal.signed" {
			var s domain.ProposalSigned
			if err := json.Unmarshal(ev.Data, &s); err != nil {
				t.Fatal(err)
			}
			signed = append(signed, s)
			if ev.Metadata.OccurredAt.IsZero() {
				t.Errorf("signature %d has no occurred time", s.Count)
			}
		}
	}
	if len(signed) != 3 || signed[0].County != "臺北市" || signed[1].County != "" || signed[2].Signer != domain.Pseudonym(apiSecret, join.SignerRef("feed-1", 3)) ||
		!signed[0].At.Equal(time.Date(2018, 6, 6, 23, 6, 2, 0, time.UTC)) {
		t.Fatalf("signatures: %+v", signed)
	}

	head := e.head()
	if status, res, _ := send(staff, feed); status != http.StatusOK || res.Events != 0 || res.Proposals[0].Present != 3 || e.head() != head {
		t.Fatalf("the same feed again: %d %+v", status, res)
	}
	if status, res, _ := send(staff, feed+"\n"+row(4, "2018-06-08T09:00:00+08:00", "新北市")); status != http.StatusCreated || res.Signatures != 1 || res.Proposals[0].Present != 3 {
		t.Fatalf("a grown feed: %d %+v", status, res)
	}
	head = e.head()
	bad := proposal + "\n" + `{"proposal":"feed-1","n":"five"}`
	if status, _, er := send(staff, bad); status != http.StatusBadRequest || er.Code != web.CodeBadRecord || !strings.Contains(er.Message, ":2:") || e.head() != head {
		t.Fatalf("bad line: %d %+v", status, er)
	}
	if status, _, er := send(staff, row(1, "2018-06-07T07:06:02+08:00", "")); status != http.StatusBadRequest || er.Code != web.CodeBadRecord {
		t.Fatalf("a row before its proposal: %d %+v", status, er)
	}
	if status, _, er := send(citizen, feed); status != http.StatusForbidden || er.Rule != web.RuleFeedStaffOnly {
		t.Fatalf("citizen token: %d %+v", status, er)
	}
	if status, _, er := send("", feed); status != http.StatusUnauthorized || er.Code != web.CodeUnauthenticated {
		t.Fatalf("no token: %d %+v", status, er)
	}
}

// newFeedAPI is newAPI with the Join feed served by a join.Importer.
func newFeedAPI(t *testing.T) *apiEnv {
	t.Helper()
	return newAPI(t, func(c *web.Config) {
		im, err := join.New(join.Config{Ledger: c.Ledger.(*app.Ledger), Store: c.Store, Secret: apiSecret})
		if err != nil {
			t.Fatal(err)
		}
		c.JoinFeed = im
	})
}

// sendFeed posts body to the Join feed with token ("" for none) and returns
// the status with the answer, or the error's detail.
func sendFeed(t *testing.T, e *apiEnv, token, body string) (int, web.FeedResult, web.ErrorDetail) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+web.JoinFeedPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/jsonl")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var res web.FeedResult
	var eb web.ErrorBody
	if resp.StatusCode < 300 {
		if err := json.Unmarshal(b, &res); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
	} else if err := json.Unmarshal(b, &eb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return resp.StatusCode, res, eb.Error
}

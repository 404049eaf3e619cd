package web_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/importer/join"
)

// TestDeadlinesShowTheLastDayThatCounts: a proposal whose signing closed
// at Join's local midnight (2018-11-10 00:00 Taipei, the end of
// 2018-11-09) shows 2018-11-09 as its last day on its page and on its
// chart, in both languages, with the real instant machine-readable; one
// that closed mid-day (2018-11-10 17:00) shows that day, 2018-11-10. Its
// expiry, which Join's import dates at that midnight, reads as the end of
// 2018-11-09 (24:00), not as 2018-11-10.
func TestDeadlinesShowTheLastDayThatCounts(t *testing.T) {
	pe := newPagesEnv(t)
	feed, proposer := lastDayActors()
	c1 := citizenActor("A200000001")
	publishNightProposal(pe, feed, proposer)
	pe.do("2018-09-10 09:00", c1, domain.SignProposal{ProposalID: "j-night", Signer: domain.SignerID(c1.ID)})
	pe.do("2018-11-10 00:00", feed, domain.ExpireProposal{ProposalID: "j-night"}) // as Join's import dates it
	pe.do("2018-09-09 23:29", proposer, domain.SubmitProposal{ProposalID: "j-noon", Title: "騎樓整平", Summary: "人行空間"})
	pe.do("2018-09-09 23:30", feed, domain.PublishProposal{ProposalID: "j-noon", CompetentMinistry: "mohw", Threshold: 5000, SigningClosesAt: tpg("2018-11-10 17:00")})
	pe.caughtUp()

	for _, c := range []struct{ lang, closes, expired string }{
		{"en", "Signing closes (last day)", "Expired on 2018-11-09 24:00 below the threshold"},
		{"zh-Hant", "連署截止（最後一日）", "已於 2018-11-09 24:00 截止，未達門檻"},
	} {
		_, body, _ := pe.get("/proposals/j-night?lang=" + c.lang)
		mustContain(t, "j-night ("+c.lang+")", body,
			`<dt>`+c.closes+`</dt><dd><time datetime="2018-11-09T16:00:00Z">2018-11-09</time></dd>`,
			`text-anchor="end">`+c.closes+` 2018-11-09</text>`, c.expired)
		mustNotContain(t, "j-night ("+c.lang+")", body, "2018-11-10")

		_, body, _ = pe.get("/proposals/j-noon?lang=" + c.lang)
		mustContain(t, "j-noon ("+c.lang+")", body,
			`<dt>`+c.closes+`</dt><dd><time datetime="2018-11-10T09:00:00Z">2018-11-10</time></dd>`)
		if strings.Contains(body, "2018-11-09") {
			t.Errorf("j-noon (%s): a mid-day close counts on its own day, yet the page shows 2018-11-09", c.lang)
		}
	}
}

// TestDeadlineLastDayInTheJSON: the JSON keeps a deadline's instant and
// gives its last day that counts beside it — a proposal's lastDays, and
// each open response deadline's lastDay — the day before for a deadline at
// Taipei midnight, the day itself for one during a day.
func TestDeadlineLastDayInTheJSON(t *testing.T) {
	pe := newPagesEnv(t)
	pe.leadsStory() // p-fb: due at the end of 2019-07-04, 消保處 still owing
	feed, proposer := lastDayActors()
	publishNightProposal(pe, feed, proposer)
	pe.do("2018-09-09 23:29", proposer, domain.SubmitProposal{ProposalID: "j-noon", Title: "騎樓整平", Summary: "人行空間"})
	pe.do("2018-09-09 23:30", feed, domain.PublishProposal{ProposalID: "j-noon", CompetentMinistry: "mohw", Threshold: 5000, SigningClosesAt: tpg("2018-11-10 17:00")})
	pe.caughtUp()

	for id, want := range map[string]string{"j-night": "2018-11-09", "j-noon": "2018-11-10"} {
		_, body, _ := pe.get("/api/v1/proposals/" + id)
		var v struct {
			Proposal struct {
				SigningClosesAt time.Time `json:"signingClosesAt"`
			} `json:"proposal"`
			LastDays map[string]string `json:"lastDays"`
		}
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("%s: %v: %s", id, err, body)
		}
		if v.LastDays["signingClosesLastDay"] != want || v.Proposal.SigningClosesAt.IsZero() {
			t.Errorf("%s: signing closes at %s, last day %q, want %s", id, v.Proposal.SigningClosesAt, v.LastDays["signingClosesLastDay"], want)
		}
		if _, ok := v.LastDays["dueLastDay"]; ok {
			t.Errorf("%s: a proposal not established has a response due: %s", id, body)
		}
	}

	_, body, _ := pe.get("/api/v1/responses/due")
	var due struct {
		Due []struct {
			ProposalID string    `json:"proposalId"`
			DueAt      time.Time `json:"dueAt"`
			LastDay    string    `json:"lastDay"`
		} `json:"due"`
	}
	if err := json.Unmarshal([]byte(body), &due); err != nil || len(due.Due) == 0 {
		t.Fatalf("due: %v: %s", err, body)
	}
	found := false
	for _, d := range due.Due {
		found = found || d.ProposalID == "p-fb"
		if want := calendar.LastDay(d.DueAt).String(); d.LastDay != want || d.DueAt.IsZero() {
			t.Errorf("%s: due at %s, last day %q, want %s", d.ProposalID, d.DueAt, d.LastDay, want)
		}
		if d.ProposalID == "p-fb" && (d.LastDay != "2019-07-04" || !d.DueAt.Equal(tpg("2019-07-05 00:00"))) {
			t.Errorf("p-fb: due at %s, last day %q, want 2019-07-05 00:00 Taipei, last day 2019-07-04", d.DueAt, d.LastDay)
		}
	}
	if !found {
		t.Errorf("no open deadline of p-fb: %s", body)
	}
	_, body, _ = pe.get("/api/v1/proposals/p-fb")
	var fb struct {
		Proposal struct {
			Response *struct {
				OriginalDueAt time.Time `json:"originalDueAt"`
				DueAt         time.Time `json:"dueAt"`
			} `json:"response"`
		} `json:"proposal"`
		LastDays map[string]string `json:"lastDays"`
	}
	if err := json.Unmarshal([]byte(body), &fb); err != nil || fb.Proposal.Response == nil {
		t.Fatalf("p-fb: %v: %s", err, body)
	}
	if r := fb.Proposal.Response; !r.DueAt.Equal(tpg("2019-07-05 00:00")) || fb.LastDays["dueLastDay"] != "2019-07-04" || fb.LastDays["originalDueLastDay"] != "2019-07-04" {
		t.Errorf("p-fb: due at %s (originally %s), last days %v, want 2019-07-04", r.DueAt, r.OriginalDueAt, fb.LastDays)
	}
}

// lastDayActors are Join's feed (PDIS staff) and j-night's proposer.
func lastDayActors() (feed, proposer domain.Actor) {
	return domain.Actor{ID: join.FeedActorID, Role: domain.RolePDIS},
		domain.Actor{ID: string(domain.Pseudonym(apiSecret, "F123456789")), Role: domain.RoleProposer}
}

// publishNightProposal records j-night as Join published it, its signing
// closing at the midnight that ends 2018-11-09.
func publishNightProposal(pe *pagesEnv, feed, proposer domain.Actor) {
	pe.do("2018-09-09 23:27", proposer, domain.SubmitProposal{ProposalID: "j-night", Title: "公共場所吸菸管理", Summary: "管理單位一併受罰"})
	pe.do("2018-09-09 23:28", feed, domain.PublishProposal{ProposalID: "j-night", CompetentMinistry: "mohw", Threshold: 5000, SigningClosesAt: tpg("2018-11-10 00:00")})
}

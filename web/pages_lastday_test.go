package web_test

import (
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/importer/join"
)

// TestDeadlinesShowTheLastDayThatCounts: a proposal whose signing closed
// at Join's local midnight (2018-11-10 00:00 Taipei, the end of
// 2018-11-09) shows 2018-11-09 as its last day on its page and on its
// chart, in both languages, with the real instant machine-readable; one
// that closed mid-day (2018-11-10 17:00) shows that day, 2018-11-10.
func TestDeadlinesShowTheLastDayThatCounts(t *testing.T) {
	pe := newPagesEnv(t)
	feed := domain.Actor{ID: join.FeedActorID, Role: domain.RolePDIS}
	proposer := domain.Actor{ID: string(domain.Pseudonym(apiSecret, "F123456789")), Role: domain.RoleProposer}
	c1 := citizenActor("A200000001")
	pe.do("2018-09-09 23:27", proposer, domain.SubmitProposal{ProposalID: "j-night", Title: "公共場所吸菸管理", Summary: "管理單位一併受罰"})
	pe.do("2018-09-09 23:28", feed, domain.PublishProposal{ProposalID: "j-night", CompetentMinistry: "mohw", Threshold: 5000, SigningClosesAt: tpg("2018-11-10 00:00")})
	pe.do("2018-09-10 09:00", c1, domain.SignProposal{ProposalID: "j-night", Signer: domain.SignerID(c1.ID)})
	pe.do("2018-09-09 23:29", proposer, domain.SubmitProposal{ProposalID: "j-noon", Title: "騎樓整平", Summary: "人行空間"})
	pe.do("2018-09-09 23:30", feed, domain.PublishProposal{ProposalID: "j-noon", CompetentMinistry: "mohw", Threshold: 5000, SigningClosesAt: tpg("2018-11-10 17:00")})
	pe.caughtUp()

	for _, c := range []struct{ lang, closes string }{{"en", "Signing closes (last day)"}, {"zh-Hant", "連署截止（最後一日）"}} {
		_, body, _ := pe.get("/proposals/j-night?lang=" + c.lang)
		mustContain(t, "j-night ("+c.lang+")", body,
			`<dt>`+c.closes+`</dt><dd><time datetime="2018-11-09T16:00:00Z">2018-11-09</time></dd>`,
			`text-anchor="end">`+c.closes+` 2018-11-09</text>`)
		mustNotContain(t, "j-night ("+c.lang+")", body, "2018-11-10")

		_, body, _ = pe.get("/proposals/j-noon?lang=" + c.lang)
		mustContain(t, "j-noon ("+c.lang+")", body,
			`<dt>`+c.closes+`</dt><dd><time datetime="2018-11-10T09:00:00Z">2018-11-10</time></dd>`)
		if strings.Contains(body, "2018-11-09") {
			t.Errorf("j-noon (%s): a mid-day close counts on its own day, yet the page shows 2018-11-09", c.lang)
		}
	}
}

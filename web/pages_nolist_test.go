package web_test

import (
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/importer/join"
)

// TestJoinProposalWithoutSignatureList: a proposal Join published whose
// signing is over, of which the ledger holds no signature (Join's list
// never reached it, as for 189 proposals of the archive), does not read
// "0 / 5000" on the list: its count is not known. A proposal with
// signatures still shows its count.
func TestJoinProposalWithoutSignatureList(t *testing.T) {
	pe := newPagesEnv(t)
	pe.story()
	feed := domain.Actor{ID: join.FeedActorID, Role: domain.RolePDIS}
	proposer := domain.Actor{ID: string(domain.Pseudonym(apiSecret, "F123456789")), Role: domain.RoleProposer}
	pe.do("2018-09-09 23:27", proposer, domain.SubmitProposal{ProposalID: "j-nolist", Title: "公共場所吸菸管理", Summary: "管理單位一併受罰"})
	pe.do("2018-09-09 23:27", feed, domain.PublishProposal{ProposalID: "j-nolist", CompetentMinistry: "mohw", Threshold: 5000, SigningClosesAt: tpg("2018-11-10 00:00")})
	pe.caughtUp()

	_, body, _ := pe.get("/proposals?year=2018&lang=en")
	i := strings.Index(body, `href="/proposals/j-nolist"`)
	if i < 0 {
		t.Fatal("no row for j-nolist")
	}
	row := body[i : i+strings.Index(body[i:], "</tr>")]
	mustContain(t, "row", row, "not known: the ledger holds no signature list from Join")
	mustNotContain(t, "row", row, "0 / 5000")

	_, body, _ = pe.get("/proposals?year=2019&lang=en")
	i = strings.Index(body, `href="/proposals/p-1"`)
	if i < 0 {
		t.Fatal("no row for p-1")
	}
	mustNotContain(t, "p-1 row", body[i:i+strings.Index(body[i:], "</tr>")], "not known")

	// Its own page: signing closed in 2018 below the threshold, so it is
	// neither "collecting signatures" nor signable, and its count is not
	// known rather than 0 — in both languages, and as of a day while it
	// was still open, collecting.
	_, body, _ = pe.get("/proposals/j-nolist?lang=en")
	mustContain(t, "proposal page", body, `<dd id="proposal-status">Signing closed below the threshold</dd>`,
		`<dd id="proposal-valid">not known: the ledger holds no signature list from Join</dd>`)
	mustNotContain(t, "proposal page", body, "Collecting signatures", `id="sign-link"`, `id="h-chart"`, "Invalidated")
	_, body, _ = pe.get("/proposals/j-nolist")
	mustContain(t, "proposal page (zh)", body, `<dd id="proposal-status">連署期滿，未達門檻</dd>`, "不明：帳本中沒有 Join 的連署名單")
	_, body, _ = pe.get("/proposals/j-nolist?lang=en&asof=2018-10-01&clock=occurred")
	mustContain(t, "proposal page as of 2018-10-01", body, `<dd id="proposal-status">Collecting signatures</dd>`, `<dd id="proposal-valid">0</dd>`, `id="h-chart"`)
}

// TestListPagePastTheEnd: a list page past the last one says so and links
// the last page, in both languages, rather than "nothing matches" under a
// count of rows; a list with no rows still says nothing matches.
func TestListPagePastTheEnd(t *testing.T) {
	pe := newPagesEnv(t)
	pe.story()
	pe.caughtUp()
	for _, path := range []string{"/proposals", "/meetings"} {
		_, body, _ := pe.get(path + "?page=99&lang=en")
		mustContain(t, path+" page 99", body, `id="past-end"`, "There is no page 99: the last page of this list is page 1.", `href="`+path+`?page=1"`)
		mustNotContain(t, path+" page 99", body, "Nothing matches.")
		_, body, _ = pe.get(path + "?page=99")
		mustContain(t, path+" page 99 (zh)", body, "沒有第 99 頁：這份清單的最後一頁是第 1 頁。", "前往最後一頁")
		_, body, _ = pe.get(path + "?page=1&lang=en")
		mustNotContain(t, path+" page 1", body, `id="past-end"`)
	}
	_, body, _ := pe.get("/proposals?q=no-such-title-anywhere&page=3&lang=en")
	mustContain(t, "an empty list", body, "Nothing matches.")
	mustNotContain(t, "an empty list", body, `id="past-end"`)
}

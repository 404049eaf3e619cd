package web_test

import (
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/importer/join"
)

// TestJoinProposalWithoutSignatureList: in a log imported before the
// import recorded missing lists (decision 0056), a proposal Join published
// whose signing is over, of which the ledger holds no signature (Join's
// list never reached it, as for 189 proposals of the archive), does not
// read "0 / 5000" on the list: its count is inferred not known. A
// proposal with signatures still shows its count.
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

// TestJoinMissingListIsAFact: in a log whose import records missing
// signature lists (decision 0056), the pages read the fact: a proposal
// with it reads "not known" (even while signing is open), one without it
// and without signatures reads 0 (an empty list: nobody signed), and once
// its list arrives the counts are its signatures. Rows of the list made
// after the close are said, not counted.
func TestJoinMissingListIsAFact(t *testing.T) {
	pe := newPagesEnv(t)
	pe.story()
	feed := domain.Actor{ID: join.FeedActorID, Role: domain.RolePDIS}
	proposer := domain.Actor{ID: string(domain.Pseudonym(apiSecret, "F123456789")), Role: domain.RoleProposer}
	for _, id := range []domain.ProposalID{"j-nolist", "j-empty"} {
		pe.do("2018-09-09 23:27", proposer, domain.SubmitProposal{ProposalID: id, Title: "公共場所吸菸管理 " + string(id), Summary: "管理單位一併受罰"})
		pe.do("2018-09-09 23:27", feed, domain.PublishProposal{ProposalID: id, CompetentMinistry: "mohw", Threshold: 5000, SigningClosesAt: tpg("2018-11-10 00:00")})
	}
	pe.do("2018-09-12 10:00", feed, domain.RecordSignatureListMissing{ProposalID: "j-nolist"})
	pe.caughtUp()

	_, body, _ := pe.get("/proposals/j-nolist?lang=en")
	mustContain(t, "j-nolist", body, `<dd id="proposal-valid">not known: the ledger holds no signature list from Join</dd>`)
	_, body, _ = pe.get("/proposals/j-nolist?lang=en&asof=2018-10-01&clock=occurred")
	mustContain(t, "j-nolist as of 2018-10-01, collecting", body, `<dd id="proposal-status">Collecting signatures</dd>`, "not known: the ledger holds no signature list from Join")
	_, body, _ = pe.get("/proposals/j-empty?lang=en")
	mustContain(t, "j-empty", body, `<dd id="proposal-valid">0</dd>`)
	mustNotContain(t, "j-empty", body, "not known")
	_, body, _ = pe.get("/proposals?year=2018&lang=en")
	i := strings.Index(body, `href="/proposals/j-empty"`)
	if i < 0 {
		t.Fatal("no row for j-empty")
	}
	mustContain(t, "j-empty row", body[i:i+strings.Index(body[i:], "</tr>")], "0 / 5000")

	// The list arrives (a record that grew), with rows after the close.
	signer := domain.Actor{ID: string(domain.Pseudonym(apiSecret, "join:j-nolist#1")), Role: domain.RoleCitizen}
	pe.do("2018-09-13 08:00", signer, domain.SignProposal{ProposalID: "j-nolist", Signer: domain.SignerID(signer.ID), County: "臺北市"})
	pe.do("2018-11-10 09:00", feed, domain.RecordLateSignatures{ProposalID: "j-nolist", FirstRow: 2, LastRow: 4, LastAt: tpg("2018-11-11 09:00")})
	pe.caughtUp()
	_, body, _ = pe.get("/proposals/j-nolist?lang=en")
	mustContain(t, "j-nolist with its list", body, `<dd id="proposal-valid">1</dd>`, `<dd id="proposal-late">3 rows of Join&#39;s list were signed after signing closed: not counted</dd>`)
	mustNotContain(t, "j-nolist with its list", body, "not known")
	_, body, _ = pe.get("/proposals/j-nolist")
	mustContain(t, "j-nolist (zh)", body, "Join 的名單中有 3 筆在連署截止後才簽署，不計入")
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

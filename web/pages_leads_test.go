package web_test

import (
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/domain"
)

// leadsStory records p-fb, shaped on Join's 352b4277 (Facebook shopping
// fraud): leads 消保處 (cpc), 交通部 (mot) and 財政部 (mof), co-organisers
// 經濟部 (moea) and 公平會 (ftc); established on 2019-05-04, due at the end
// of 2019-07-04. 交通部 answers on time (and again later), 財政部 two days
// late, 消保處 never; the co-organisers answer their parts.
func (pe *pagesEnv) leadsStory() {
	pe.t.Helper()
	c1, c2 := citizenActor("A200000011"), citizenActor("A200000012")
	proposer := domain.Actor{ID: string(domain.Pseudonym(apiSecret, "F123456780")), Role: domain.RoleProposer}
	ministry := func(m domain.MinistryID) domain.Actor {
		return domain.Actor{ID: string(m) + "-official", Role: domain.RoleMinistry, Ministry: m}
	}
	steps := []struct {
		at    string
		actor domain.Actor
		cmd   domain.Command
	}{
		{"2019-04-30 09:00", staffActor, domain.RegisterMinistry{MinistryID: "cpc", Name: "行政院消費者保護處"}},
		{"2019-04-30 09:00", staffActor, domain.RegisterMinistry{MinistryID: "mot", Name: "交通部"}},
		{"2019-04-30 09:00", staffActor, domain.RegisterMinistry{MinistryID: "mof", Name: "財政部"}},
		{"2019-04-30 09:00", staffActor, domain.RegisterMinistry{MinistryID: "moea", Name: "經濟部"}},
		{"2019-04-30 09:00", staffActor, domain.RegisterMinistry{MinistryID: "ftc", Name: "公平交易委員會"}},
		{"2019-05-01 10:00", proposer, domain.SubmitProposal{ProposalID: "p-fb", Title: "重視臉書購物詐騙", Summary: "研議如何防制"}},
		{"2019-05-02 10:00", staffActor, domain.PublishProposal{ProposalID: "p-fb", CompetentMinistry: "cpc", OtherLeads: []domain.MinistryID{"mot", "mof"}, CoOrganisers: []domain.MinistryID{"moea", "ftc"}}},
		{"2019-05-03 10:00", c1, domain.SignProposal{ProposalID: "p-fb", Signer: domain.SignerID(c1.ID)}},
		{"2019-05-04 10:00", c2, domain.SignProposal{ProposalID: "p-fb", Signer: domain.SignerID(c2.ID)}},
		{"2019-06-01 10:00", ministry("moea"), domain.AddProposalResponse{ProposalID: "p-fb", Summary: "經濟部主政部分：揭露賣家資訊"}},
		{"2019-06-10 10:00", ministry("mot"), domain.RespondToProposal{ProposalID: "p-fb", Summary: "交通部初步說明"}},
		{"2019-06-20 10:00", ministry("ftc"), domain.AddProposalResponse{ProposalID: "p-fb", Summary: "公平會：廣告不實規範"}},
		{"2019-07-03 10:00", ministry("mot"), domain.AddProposalResponse{ProposalID: "p-fb", Summary: "交通部後續辦理情形"}},
		{"2019-07-06 15:00", ministry("mof"), domain.RespondToProposal{ProposalID: "p-fb", Summary: "財政部：境外電商課稅"}},
	}
	for _, s := range steps {
		pe.do(s.at, s.actor, s.cmd)
	}
	pe.caughtUp()
}

// TestEachLeadsLateness: the pages tell who owed what (decision 0048): the
// proposal page each lead's answer (on time, late by 2 days, not answered),
// the home page's overdue list and the ministry pages only the lead that
// owes its answer, the open deadlines' JSON the lead still owing.
func TestEachLeadsLateness(t *testing.T) {
	pe := newPagesEnv(t)
	pe.leadsStory()

	_, zh, _ := pe.get("/proposals/p-fb")
	leads := zh[strings.Index(zh, `id="response-outcome"`):]
	leads = leads[:strings.Index(leads, "</ul>")]
	mustContain(t, "proposal zh", zh, "主辦機關", "協辦機關", "公平交易委員會")
	mustContain(t, "proposal zh leads", leads,
		"交通部</span></a></strong>: 已於 2019-06-10 10:00 回應（於期限內回應）: 交通部初步說明",
		"財政部</span></a></strong>: 已於 2019-07-06 15:00 回應（逾期 2 日回應）: 財政部：境外電商課稅",
		"行政院消費者保護處</span></a></strong>: 期限已過，尚未回應（逾期")
	mustNotContain(t, "proposal zh leads", leads, "經濟部", "交通部後續辦理情形")
	mustContain(t, "further responses", zh, "經濟部主政部分：揭露賣家資訊", "交通部後續辦理情形", "公平會：廣告不實規範")
	_, en, _ := pe.get("/proposals/p-fb?lang=en")
	mustContain(t, "proposal en", en, "Lead ministries", "Co-organising ministries", "(2 days after the deadline)", "No response; ")

	_, home, _ := pe.get("/")
	overdue := home[strings.Index(home, `id="overdue"`):]
	overdue = overdue[:strings.Index(overdue, "</section>")]
	mustContain(t, "home overdue", overdue, `href="/ministries/cpc"`, "重視臉書購物詐騙", ">2019-07-04<")
	mustNotContain(t, "home overdue", overdue, `href="/ministries/mot"`, `href="/ministries/mof"`)

	for path, want := range map[string]string{
		"/ministries/cpc": `class="state-overdue"`,
		"/ministries/mot": `class="state-on_time"`,
		"/ministries/mof": `class="state-late">逾期回應 (逾期 2 日)`,
	} {
		_, body, _ := pe.get(path)
		i := strings.Index(body, `id="proposals"`)
		if i < 0 {
			t.Errorf("%s: no proposals", path)
			continue
		}
		mustContain(t, path, body[i:], "重視臉書購物詐騙", want)
	}
	_, moea, _ := pe.get("/ministries/moea")
	if i := strings.Index(moea, `id="proposals"`); i >= 0 && strings.Contains(moea[i:], "重視臉書購物詐騙") {
		t.Error("a co-organiser's page lists the proposal as one it owes an answer to")
	}
	_, late, _ := pe.get("/proposals?state=overdue")
	mustContain(t, "late list", late, "重視臉書購物詐騙")
	_, due, _ := pe.get("/api/v1/responses/due")
	mustContain(t, "open deadlines", due, `"proposalId":"p-fb"`, `"owing":["cpc"]`)
}

// TestMinistryLeadsAndCoOrganises: a ministry's page lists, apart and
// labelled in both languages with their counts, the proposals it leads
// (answering for itself) and those it co-organises (owing no answer), and
// each case with its role; the proposal list's ministry filter finds a
// proposal by its co-organiser too. In the story p-1 (停止神豬比重) and case
// 57 are led by 內政部 (moi) and co-organised by 衛生福利部 (mohw).
func TestMinistryLeadsAndCoOrganises(t *testing.T) {
	pe := newPagesEnv(t)
	pe.story()

	_, mohw, _ := pe.get("/ministries/mohw")
	co := tableOf(mohw, "co-proposals")
	mustContain(t, "mohw co-organised", co, "停止神豬比重", `class="role-co">協辦`, "內政部")
	mustContain(t, "mohw zh", mohw, "協辦的提案（1 件）", "協辦機關不負回應期限", `id="ministry-cases-count">主辦 0 件、協辦 1 件。`)
	if strings.Contains(tableOf(mohw, "proposals"), "停止神豬比重") {
		t.Error("mohw's page lists a proposal it co-organises as one it leads")
	}
	cases := tableOf(mohw, "cases")
	mustContain(t, "mohw cases", cases, `href="/cases/57"`, `class="role-co">協辦`)
	mustNotContain(t, "mohw cases", cases, `class="role-lead"`)

	_, moi, _ := pe.get("/ministries/moi?lang=en")
	mustContain(t, "moi en", moi, "Proposals it co-organises (0)", `id="ministry-cases-count">It leads 1 and co-organises 0.`)
	mustContain(t, "moi proposals", tableOf(moi, "proposals"), "停止神豬比重")
	mustContain(t, "moi cases", tableOf(moi, "cases"), `href="/cases/57"`, `class="role-lead">Lead`)
	mustNotContain(t, "moi en", moi, `id="co-proposals"`)

	// The ministries list counts them apart too.
	_, all, _ := pe.get("/ministries")
	row := all[strings.Index(all, `href="/ministries/mohw"`):]
	row = row[:strings.Index(row, "</tr>")]
	mustContain(t, "ministries mohw", row, `data-label="主管提案">0<`, `data-label="協辦提案">1<`, `data-label="協辦案件">1<`)
	row = all[strings.Index(all, `href="/ministries/moi"`):]
	row = row[:strings.Index(row, "</tr>")]
	mustContain(t, "ministries moi", row, `data-label="主管提案">1<`, `data-label="協辦提案">0<`)

	_, list, _ := pe.get("/proposals?ministry=mohw")
	mustContain(t, "proposals by co-organiser", list, "停止神豬比重")
}

// tableOf is the table with id in body, or "(no id)".
func tableOf(body, id string) string {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return "(no " + id + ")"
	}
	rest := body[i:]
	if j := strings.Index(rest, "</table>"); j >= 0 {
		return rest[:j]
	}
	return rest
}

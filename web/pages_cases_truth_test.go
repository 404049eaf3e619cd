package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/domain"
)

// TestCasesLeadAndOrder: /cases shows an imported case's lead from its
// link to a Join proposal (marked so), "unknown (not in the archive)" for
// an unlinked one, lists cases by case number unless asked for the most
// recent activity first, says which order it shows, and refuses an
// unknown order.
func TestCasesLeadAndOrder(t *testing.T) {
	pe := newPagesEnv(t)
	pe.story()
	// Opened out of number order; 90 linked last.
	pe.do("2019-05-03 10:00", staffActor, domain.OpenCase{CaseID: "100", Title: "匯入案件甲", SourceKind: domain.SourceImported, Ref: "archive/100"})
	pe.do("2019-05-02 10:00", staffActor, domain.OpenCase{CaseID: "91", Title: "匯入案件乙", SourceKind: domain.SourceImported, Ref: "archive/91"})
	pe.do("2019-05-01 10:00", staffActor, domain.OpenCase{CaseID: "90", Title: "匯入案件丙", SourceKind: domain.SourceImported, Ref: "archive/90"})
	pe.do("2019-05-04 10:00", staffActor, domain.LinkCaseProposal{CaseID: "90", ProposalID: "p-1", Topic: "停止神豬比重", Ministry: "moi", Evidence: "reviewed mapping case-links.csv:2", Reviewed: true})
	pe.caughtUp()

	row := func(body, id string) string {
		t.Helper()
		i := strings.Index(body, `href="/cases/`+id+`"`)
		if i < 0 {
			t.Fatalf("no row for case %s", id)
		}
		return body[i : i+strings.Index(body[i:], "</tr>")]
	}
	order := func(body string, ids ...string) {
		t.Helper()
		last := -1
		for _, id := range ids {
			i := strings.Index(body, `href="/cases/`+id+`"`)
			if i <= last {
				t.Errorf("case %s is not after the one before it in %v", id, ids)
			}
			last = i
		}
	}
	code, body, _ := pe.get("/cases?lang=en")
	if code != 200 {
		t.Fatalf("/cases: %d", code)
	}
	mustContain(t, "linked", row(body, "90"), "Ministry of the Interior", "from the linked Join proposal")
	mustContain(t, "unlinked", row(body, "91"), "unknown (not in the archive)")
	mustContain(t, "order stated", body, "By case number", `<option value="number" selected>`)
	order(body, "90", "91", "100")

	_, body, _ = pe.get("/cases?lang=en&sort=activity")
	mustContain(t, "order stated", body, "Most recent activity first", `<option value="activity" selected>`)
	order(body, "90", "100", "91")

	// The ministry filter and the ministry's page find a case by the lead
	// it is shown under, the linked proposal's, by code or name.
	for _, path := range []string{"/cases?lang=en&ministry=moi", "/cases?lang=en&ministry=" + url.QueryEscape("內政部"), "/ministries/moi?lang=en"} {
		_, body, _ = pe.get(path)
		if !strings.Contains(body, `href="/cases/90"`) {
			t.Errorf("%s does not list case 90, linked to a proposal the Ministry of the Interior leads", path)
		}
		if strings.Contains(body, `href="/cases/91"`) {
			t.Errorf("%s lists case 91, which has no lead", path)
		}
	}

	if code, _, _ := pe.get("/cases?sort=sideways"); code != 400 {
		t.Errorf("/cases?sort=sideways: %d, want 400", code)
	}
}

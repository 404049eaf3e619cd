package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
)

// TestAssignLeadsAPI: staff assign the lead ministries of a proposal
// published without them (decision 0056) by POST
// /api/v1/commands/proposal.assign_leads; a ministry may not; a ministry
// the registry does not hold, a lead named already, or nothing to assign
// is refused with its rule and changes nothing; the assigned lead then owes
// its own answer, and another ministry may not give it.
func TestAssignLeadsAPI(t *testing.T) {
	e := newAPI(t, nil)
	staff := e.token(staffActor, time.Time{})
	proposer := e.token(domain.Actor{ID: citizenActor("F100000001").ID, Role: domain.RoleProposer}, apiNow.Add(time.Hour))
	mot := domain.Actor{ID: "mot-1", Role: domain.RoleMinistry, Ministry: "mot"}
	moj := domain.Actor{ID: "moj-1", Role: domain.RoleMinistry, Ministry: "moj"}
	motTok, mojTok := e.token(mot, time.Time{}), e.token(moj, time.Time{})
	e.must(staff, "registry.register_ministry", map[string]any{"ministryId": "mot", "name": "交通部"})
	e.must(staff, "registry.register_ministry", map[string]any{"ministryId": "moj", "name": "法務部"})
	e.must(proposer, "proposal.submit", map[string]any{"proposalId": "p-1", "title": "寵物友善乘車", "summary": "..."})
	e.must(staff, "proposal.publish", map[string]any{"proposalId": "p-1", "notYetAssigned": true, "threshold": 1})
	alice := citizenActor("A100000001")
	e.must(e.token(alice, apiNow.Add(time.Hour)), "proposal.sign", map[string]any{"proposalId": "p-1"})

	head := e.head()
	for _, c := range []struct {
		name   string
		token  string
		body   map[string]any
		status int
		rule   string
	}{
		{"a ministry", motTok, map[string]any{"proposalId": "p-1", "leads": []string{"mot"}}, http.StatusForbidden, domain.RuleRoleNotAllowed},
		{"no lead", staff, map[string]any{"proposalId": "p-1", "coOrganisers": []string{"moj"}}, http.StatusUnprocessableEntity, "proposal.assign_leads.leads_required"},
		{"not registered", staff, map[string]any{"proposalId": "p-1", "leads": []string{"moc"}}, http.StatusUnprocessableEntity, "proposal.assign_leads.ministry_unknown"},
		{"no such proposal", staff, map[string]any{"proposalId": "p-9", "leads": []string{"mot"}}, http.StatusNotFound, "proposal.assign_leads.not_found"},
	} {
		r := e.post(c.token, "proposal.assign_leads", c.body)
		if r.status != c.status || r.err.Rule != c.rule || r.err.Message == "" {
			t.Errorf("%s: %d %+v, want %d %s", c.name, r.status, r.err, c.status, c.rule)
		}
	}
	if e.head() != head {
		t.Fatal("a refused assignment stored something")
	}
	res := e.must(staff, "proposal.assign_leads", map[string]any{"proposalId": "p-1", "leads": []string{"mot"}, "coOrganisers": []string{"moj"}})
	if len(res.Events) != 1 || res.Events[0].Type != "proposal.leads_assigned" {
		t.Fatalf("assigned: %+v", res.Events)
	}
	if r := e.post(staff, "proposal.assign_leads", map[string]any{"proposalId": "p-1", "leads": []string{"mot"}}); r.status != http.StatusConflict || r.err.Rule != "proposal.assign_leads.already_named" {
		t.Errorf("again: %d %+v", r.status, r.err)
	}
	// The lead owes its own answer: the co-organiser's answer is not it.
	if r := e.post(mojTok, "proposal.respond", map[string]any{"proposalId": "p-1", "summary": "法務部的回應"}); r.status != http.StatusForbidden || r.err.Rule != domain.RuleResponseOwnMinistry {
		t.Errorf("a co-organiser's response: %d %+v", r.status, r.err)
	}
	res = e.must(motTok, "proposal.respond", map[string]any{"proposalId": "p-1", "summary": "交通部的回應"})
	var ev domain.ProposalResponded
	if err := json.Unmarshal(res.Events[0].Data, &ev); err != nil || ev.Ministry != "mot" || !ev.OnTime {
		t.Fatalf("mot's response: %s %v", res.Events[0].Data, err)
	}
	stored, err := e.raw.ReadStream(context.Background(), "proposal-p-1", 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, s := range stored {
		types = append(types, s.Type)
	}
	if !slices.Contains(types, "proposal.leads_assigned") || types[len(types)-1] != "proposal.responded" {
		t.Errorf("stream: %v", types)
	}
}

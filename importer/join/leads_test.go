package join_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/importer/join"
)

// The ministries of the real proposal 352b4277 (Facebook shopping fraud).
const (
	cpcID = "352000000A" // 行政院消費者保護處, lead, never answered
	motID = "315000000H" // 交通部, lead, answered 2017-09-29 and 2017-11-03
	mofID = "A07000000D" // 財政部, lead, answered 2017-11-06 (2 days late)
	moeID = "313000000G" // 經濟部, co-organiser
	ftcID = "A62000000G" // 公平交易委員會, co-organiser
)

// answer is a response event as the stream holds it.
type answer struct {
	Type     string
	Ministry domain.MinistryID `json:"ministry"`
	OnTime   bool              `json:"onTime"`
	At       time.Time
}

func answers(t *testing.T, evs []eventstore.Event) []answer {
	t.Helper()
	var out []answer
	for _, ev := range evs {
		switch ev.Type {
		case "proposal.responded", "proposal.response_added", "proposal.response_deadline_missed":
			a := answer{Type: ev.Type, At: ev.Metadata.OccurredAt}
			if err := json.Unmarshal(ev.Data, &a); err != nil {
				t.Fatal(err)
			}
			out = append(out, a)
		}
	}
	return out
}

func fold(t *testing.T, evs []eventstore.Event, id string) *domain.Proposal {
	t.Helper()
	p := domain.NewProposal(domain.ProposalID(id))
	for _, ev := range evs {
		de, err := domain.Decode(ev.Type, ev.SchemaVersion, ev.Data)
		if err == nil {
			err = p.Apply(de)
		}
		if err != nil {
			t.Fatalf("fold %s: %v", ev.Type, err)
		}
	}
	return p
}

// TestEveryLeadOwesItsAnswer imports 352b4277 from the real archive: its
// three leads and two co-organisers are published, 交通部's first answer is
// its response on time, 財政部's its response two days late, 消保處 has none
// (the deadline job's overdue mark records it missed, for it alone); the
// co-organisers' answers and 交通部's second are further responses. A
// re-import records nothing.
func TestEveryLeadOwesItsAnswer(t *testing.T) {
	dir := realDir(t)
	id := fullID(t, dir, facebook)
	rec, sigs := readReal(t, dir, id)
	e := newEnv(t)
	ctx := context.Background()
	o := e.im.Import(ctx, rec, sigs, "proposals.jsonl")
	if o.Err != nil || !o.Established || o.Responses != 5 || o.LeadResponses != 2 || len(o.Warnings) != 0 {
		t.Fatalf("import: %s (warnings %v)", o, o.Warnings)
	}
	evs := e.stream(t, id)
	var pub domain.ProposalPublished
	var est domain.ProposalEstablished
	for _, ev := range evs {
		switch ev.Type {
		case "proposal.published":
			if err := json.Unmarshal(ev.Data, &pub); err != nil {
				t.Fatal(err)
			}
		case "proposal.established":
			if err := json.Unmarshal(ev.Data, &est); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantLeads := []domain.MinistryID{cpcID, motID, mofID}
	if pub.CompetentMinistry != cpcID || !slices.Equal(pub.Leads, wantLeads) || !slices.Equal(pub.CoOrganisers, []domain.MinistryID{moeID, ftcID}) || !slices.Equal(est.Leads, wantLeads) {
		t.Errorf("published %s %v co %v; established %v", pub.CompetentMinistry, pub.Leads, pub.CoOrganisers, est.Leads)
	}
	taipei := time.FixedZone("+08", 8*3600)
	if due := time.Date(2017, 11, 4, 23, 59, 59, 0, taipei); est.ResponseDueAt.Sub(due).Abs() > time.Second {
		t.Errorf("due at %v, want %v", est.ResponseDueAt, due)
	}
	want := []answer{
		{Type: "proposal.response_added", Ministry: moeID, At: time.Date(2017, 9, 26, 15, 13, 11, 0, taipei)},
		{Type: "proposal.responded", Ministry: motID, OnTime: true, At: time.Date(2017, 9, 29, 9, 18, 33, 0, taipei)},
		{Type: "proposal.response_added", Ministry: ftcID, At: time.Date(2017, 10, 30, 11, 54, 36, 0, taipei)},
		{Type: "proposal.response_added", Ministry: motID, At: time.Date(2017, 11, 3, 16, 17, 15, 0, taipei)},
		{Type: "proposal.responded", Ministry: mofID, OnTime: false, At: time.Date(2017, 11, 6, 15, 19, 6, 0, taipei)},
	}
	if got := answers(t, evs); !slices.EqualFunc(got, want, func(a, b answer) bool {
		return a.Type == b.Type && a.Ministry == b.Ministry && a.OnTime == b.OnTime && a.At.Equal(b.At)
	}) {
		t.Errorf("answers\n got %+v\nwant %+v", got, want)
	}
	p := fold(t, evs, id)
	if p.Responded() || p.LeadResponded(cpcID) || !p.LeadResponded(motID) || !p.LeadResponded(mofID) {
		t.Errorf("answered %v; 消保處 %v 交通部 %v 財政部 %v", p.Responded(), p.LeadResponded(cpcID), p.LeadResponded(motID), p.LeadResponded(mofID))
	}

	// The deadline job marks the overdue: 消保處 alone missed it.
	res, err := e.ledger.Execute(ctx, domain.Actor{ID: "deadlines", Role: domain.RolePDIS}, domain.MarkResponseOverdue{ProposalID: domain.ProposalID(id)}, app.WithOccurredAt(time.Date(2017, 11, 5, 0, 0, 0, 0, taipei)))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 1 || res.Events[0].Type != "proposal.response_deadline_missed" || !json.Valid(res.Events[0].Data) || answers(t, res.Events)[0].Ministry != cpcID {
		t.Errorf("marked overdue: %+v", res.Events)
	}
	if again := e.im.Import(ctx, rec, sigs, "again"); again.Err != nil || again.Events != 0 || len(again.Warnings) != 0 {
		t.Errorf("imported again: %s %v", again, again.Warnings)
	}
}

// TestReimportOverAnOldStore: a store imported before the ledger knew
// several leads holds 352b4277 published with its first lead only and every
// answer a further response. Importing it again with the new code does not
// fail and records nothing twice: the publication stays as it was (the
// ledger does not rewrite it), the outcome says which leads and
// co-organisers Join names that it does not hold.
func TestReimportOverAnOldStore(t *testing.T) {
	dir := realDir(t)
	id := fullID(t, dir, facebook)
	rec, sigs := readReal(t, dir, id)
	ctx := context.Background()
	fresh := newEnv(t)
	if o := fresh.im.Import(ctx, rec, sigs, "proposals.jsonl"); o.Err != nil {
		t.Fatal(o)
	}
	// The old importer's events: the same log, without leads and
	// co-organisers, and only the first lead's first answer (none here) as
	// proposal.responded.
	old := newEnv(t)
	all, err := fresh.store.ReadAll(ctx, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var run []eventstore.EventData
	for i, ev := range all {
		typ, data := ev.Type, map[string]any{}
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			t.Fatal(err)
		}
		switch typ {
		case "proposal.published", "proposal.established":
			delete(data, "leads")
			delete(data, "coOrganisers")
		case "proposal.responded":
			typ = "proposal.response_added"
			delete(data, "dueAt")
			delete(data, "onTime")
		}
		raw, err := json.Marshal(data)
		if err != nil {
			t.Fatal(err)
		}
		// Appended a run of one stream at a time, as the importer did.
		run = append(run, eventstore.EventData{ID: ev.ID, Type: typ, SchemaVersion: ev.SchemaVersion, Data: raw, Metadata: ev.Metadata})
		if i+1 < len(all) && all[i+1].Stream == ev.Stream {
			continue
		}
		if _, err := old.store.Append(ctx, ev.Stream, eventstore.Any, run...); err != nil {
			t.Fatal(err)
		}
		run = nil
	}
	before := len(old.stream(t, id))
	o := old.im.Import(ctx, rec, sigs, "again")
	if o.Err != nil || o.Events != 0 || o.Responses != 0 {
		t.Fatalf("re-import over the old store: %s", o)
	}
	if len(o.Warnings) != 2 {
		t.Errorf("warnings %q, want the leads and the co-organisers not held", o.Warnings)
	}
	evs := old.stream(t, id)
	p := fold(t, evs, id)
	if len(evs) != before || !slices.Equal(p.Leads(), []domain.MinistryID{cpcID}) || p.Responses() != 5 || p.Responded() {
		t.Errorf("after: %d events (was %d), leads %v, %d responses, answered %v", len(evs), before, p.Leads(), p.Responses(), p.Responded())
	}
	// A response Join publishes later by a lead the old publication does
	// not hold is recorded as a further response, once.
	grown := *rec
	grown.Responses = append(slices.Clone(rec.Responses), join.Response{At: time.Date(2017, 12, 1, 10, 0, 0, 0, time.UTC), Ministry: "財政部", Text: "補充說明"})
	o = old.im.Import(ctx, &grown, sigs, "grown")
	if o.Err != nil || o.Responses != 1 || o.LeadResponses != 0 {
		t.Errorf("grown over the old store: %s", o)
	}
	if a := answers(t, old.stream(t, id)); a[len(a)-1].Type != "proposal.response_added" || a[len(a)-1].Ministry != mofID {
		t.Errorf("the later answer: %+v", a[len(a)-1])
	}
}

package join_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/importer/join"
)

// Real proposals answered more than once.
const (
	twins    = "e072e742-" // 4 responses by 3 ministries, 2 of them the lead's
	facebook = "352b4277-" // 5 responses by 4 ministries, none by the first lead
)

// fullID finds the whole ID of a real proposal from its prefix.
func fullID(t *testing.T, dir, prefix string) string {
	t.Helper()
	var id string
	if err := readAll(dir, func(p *join.Proposal) {
		if len(p.ID) >= len(prefix) && p.ID[:len(prefix)] == prefix {
			id = p.ID
		}
	}); err != nil {
		t.Fatal(err)
	}
	if id == "" {
		t.Fatalf("no proposal %s… in the dataset", prefix)
	}
	return id
}

// TestEveryResponseRecorded: every response Join published is its own
// event, in order, by the ministry that published it, at its time, with its
// text: each lead ministry's first answer as proposal.responded (decision
// 0048), every other one (co-organisers' parts, later answers) as
// proposal.response_added. A record that grew appends only the
// new responses; importing again records nothing.
func TestEveryResponseRecorded(t *testing.T) {
	dir := realDir(t)
	e := newEnv(t)
	ctx := context.Background()
	for _, prefix := range []string{twins, facebook} {
		id := fullID(t, dir, prefix)
		rec, sigs := readReal(t, dir, id)
		leads := map[string]string{} // name → ID
		for _, m := range rec.Leads() {
			leads[m.Name] = m.ID
		}
		grown := *rec
		rec.Responses = rec.Responses[:1]
		first := e.im.Import(ctx, rec, sigs, "first")
		if first.Err != nil || !first.Established || first.Responses != 1 {
			t.Fatalf("%s with its first response: %s", prefix, first)
		}
		again := e.im.Import(ctx, &grown, sigs, "grown")
		if again.Err != nil || again.Events != len(grown.Responses)-1 || again.Responses != len(grown.Responses)-1 || again.Signatures != 0 {
			t.Fatalf("%s grown to %d responses: %s", prefix, len(grown.Responses), again)
		}
		if third := e.im.Import(ctx, &grown, sigs, "again"); third.Err != nil || third.Events != 0 {
			t.Fatalf("%s imported again: %s", prefix, third)
		}

		var got []join.Response
		responded := map[domain.MinistryID]bool{}
		for _, ev := range e.stream(t, id) {
			if ev.Type != "proposal.responded" && ev.Type != "proposal.response_added" {
				continue
			}
			var r struct {
				Ministry domain.MinistryID `json:"ministry"`
				Summary  string            `json:"summary"`
			}
			if err := json.Unmarshal(ev.Data, &r); err != nil {
				t.Fatal(err)
			}
			if ev.Type == "proposal.responded" {
				if responded[r.Ministry] || !slices.Contains(slices.Collect(maps.Values(leads)), string(r.Ministry)) {
					t.Errorf("%s: proposal.responded by %s, not a lead's first (leads %v)", prefix, r.Ministry, leads)
				}
				responded[r.Ministry] = true
			}
			var name string
			for _, m := range grown.Ministries {
				if m.ID == string(r.Ministry) {
					name = m.Name
				}
			}
			got = append(got, join.Response{At: ev.Metadata.OccurredAt, Ministry: name, Text: r.Summary})
		}
		if len(got) != len(grown.Responses) {
			t.Fatalf("%s: %d responses recorded, want %d", prefix, len(got), len(grown.Responses))
		}
		want := map[domain.MinistryID]bool{}
		for _, r := range grown.Responses {
			if id, ok := leads[r.Ministry]; ok {
				want[domain.MinistryID(id)] = true
			}
		}
		if !maps.Equal(responded, want) {
			t.Errorf("%s: proposal.responded by %v, want one by each lead that answered %v", prefix, responded, want)
		}
		// The order of recording is the order Join published them in.
		for i, r := range grown.Responses {
			if !got[i].At.Equal(r.At) || got[i].Ministry != r.Ministry || got[i].Text != r.Text {
				t.Errorf("%s: response %d recorded as %s %s %.40q, want %s %s %.40q", prefix, i+1, got[i].At, got[i].Ministry, got[i].Text, r.At, r.Ministry, r.Text)
			}
		}
	}
}

// readAll calls f with every readable record of dir's proposals.jsonl.
func readAll(dir string, f func(p *join.Proposal)) error {
	file, err := os.Open(filepath.Join(dir, join.ProposalsFile))
	if err != nil {
		return err
	}
	defer file.Close()
	return join.ReadProposals(file, join.ProposalsFile, func(p *join.Proposal, _ int, err error) error {
		if err == nil {
			f(p)
		}
		return nil
	})
}

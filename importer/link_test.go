package importer_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/importer"
	"github.com/pdis/collab-ledger/importer/join"
	"github.com/pdis/collab-ledger/internal/testenv"
)

// processFiles are the 192 transcripts of the participation process
// (po-process.txt), in the archive.
func processFiles(t testing.TB) []string {
	dir := filepath.Join(testenv.SharedDir(t), "data", "pdis-archive")
	list, err := os.ReadFile(filepath.Join(dir, "po-process.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, name := range strings.Fields(string(list)) {
		files = append(files, filepath.Join(dir, "transcripts", name))
	}
	return files
}

// joinCandidates reads the Join dataset's proposals.
func joinCandidates(t testing.TB) []importer.Candidate {
	path := filepath.Join(testenv.SharedDir(t), "data", "join-archive", "proposals.jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cands, err := join.Candidates(f, path, func(err error) { t.Errorf("proposals.jsonl: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	return cands
}

func caseEvents(t testing.TB, store eventstore.Store, id string) map[string][]json.RawMessage {
	evs, err := store.ReadStream(context.Background(), domain.CaseStream(domain.CaseID(id)), 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]json.RawMessage{}
	for _, e := range evs {
		out[e.Type] = append(out[e.Type], json.RawMessage(e.Data))
	}
	return out
}

// TestCasesLinkedToProposals imports the process's transcripts with the
// real Join data: the cases whose transcripts clearly speak of one
// established proposal are linked to it by score (verified by reading:
// case 2's meetings speak of ARTC crash tests 9 times, case 5's of the
// 第八節 (eighth period) 69 times, case 8's of shark fins (魚翅) 56 times,
// case 12's of 恆春 279 times); unsure ones are listed with their
// candidates and not linked (case 1: the civil servants' union proposal
// scores 4.9, under the threshold; case 24: two opposite time-zone
// proposals score 13.7 and 12.2); the reviewed mapping then links those;
// every case whose record ends is historical; re-importing records
// nothing; a mapping naming an unknown proposal refuses the import before
// anything is recorded.
func TestCasesLinkedToProposals(t *testing.T) {
	files := processFiles(t)
	cands := joinCandidates(t)
	store := openBolt(t)
	ctx := context.Background()
	im := importer.New(store, importer.Config{})

	bad := &importer.Links{Candidates: cands, Reviewed: map[int]importer.ReviewedLink{3: {Case: 3, ProposalID: "no-such-proposal", File: "case-links.csv", Line: 2}}}
	if _, _, err := im.ImportFiles(ctx, files, importer.Options{Process: "pdis", Links: bad}, nil); !errors.Is(err, importer.ErrBadCaseLinks) || !strings.Contains(err.Error(), "case-links.csv:2") {
		t.Fatalf("a mapping naming an unknown proposal: %v", err)
	}
	if head, _ := store.Head(ctx); head != 0 {
		t.Fatalf("the refused import recorded %d events", head)
	}

	_, sum, err := im.ImportFiles(ctx, files, importer.Options{Process: "pdis", Links: &importer.Links{Candidates: cands}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	links := sum.Links
	t.Log(links)
	byCase := map[int]importer.CaseLink{}
	for _, l := range links.Cases {
		byCase[l.Case] = l
	}
	for n, want := range map[int]string{
		2:  "51619983-7ab7-4f3a-9821-e659afab9b7e", // 國產車上市前，必需強制公開ARTC撞擊測試結果
		5:  "f57c0195-ed01-4e87-b7eb-638c15eecc4a", // 強制取消國中、高中的第八節課後輔導
		8:  "700c965d-79da-4df2-954e-3d7a67133c0d", // 禁止魚翅買賣！
		12: "7b6acbe5-93f5-4e6c-b4a9-d3f6c4e05c80", // 請求內政部空勤總隊設駐恆春機場
	} {
		if l := byCase[n]; l.How != importer.LinkedByScore || l.ProposalID != want {
			t.Errorf("case %d: %s, want linked by score to %s", n, l, want)
		}
	}
	for _, n := range []int{1, 24} {
		if l := byCase[n]; l.How != importer.LinkUnsure || l.ProposalID != "" || len(l.Best) == 0 {
			t.Errorf("case %d: %s, want unsure with its candidates", n, l)
		}
	}
	if l := byCase[1]; l.Best[0].ID != "8ddb4b0e-5bc0-4bce-9e61-3474e661df5f" || !strings.Contains(links.String(), "case 1 (") {
		t.Errorf("case 1's best candidate %+v; the list:\n%s", l.Best, links)
	}
	if links.Count(importer.LinkedByScore) < 20 || links.Ended < 70 {
		t.Errorf("%d linked by score, %d historical", links.Count(importer.LinkedByScore), links.Ended)
	}

	evs := caseEvents(t, store, "2")
	var linked domain.CaseProposalLinked
	if len(evs["case.proposal_linked"]) != 1 || json.Unmarshal(evs["case.proposal_linked"][0], &linked) != nil ||
		!strings.Contains(linked.Evidence, "match score") || !strings.Contains(linked.Topic, "ARTC") || linked.Ministry == "" {
		t.Errorf("case 2's link: %+v", linked)
	}
	var ended domain.CaseRecordEnded
	if len(evs["case.record_ended"]) != 1 || json.Unmarshal(evs["case.record_ended"][0], &ended) != nil || ended.Stage != domain.StageMeetings || ended.Archive != importer.ArchiveName {
		t.Errorf("case 2's record end: %+v", ended)
	}
	if len(caseEvents(t, store, "1")["case.proposal_linked"]) != 0 {
		t.Error("the unsure case 1 was linked")
	}

	// The reviewed mapping decides the unsure ones; the rest records
	// nothing again.
	mapping := "case,proposal,note\n# reviewed by reading the transcripts\n1,8ddb4b0e-5bc0-4bce-9e61-3474e661df5f,公務人員組工會\n24,ed306cd5-420c-44b6-aacc-b5061b0799dc,\n75,none,not from Join\n"
	reviewed, err := importer.ReadCaseLinks(strings.NewReader(mapping), "case-links.csv")
	if err != nil {
		t.Fatal(err)
	}
	head, _ := store.Head(ctx)
	_, sum, err = im.ImportFiles(ctx, files, importer.Options{Process: "pdis", Links: &importer.Links{Candidates: cands, Reviewed: reviewed}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := store.Head(ctx); after != head+2 || sum.Links.Count(importer.LinkedByReview) != 2 || sum.Links.Count(importer.ReviewedNoJoin) != 1 {
		t.Errorf("the re-import with the mapping appended %d events, want the 2 reviewed links:\n%s", after-head, sum.Links)
	}
	if err := json.Unmarshal(caseEvents(t, store, "1")["case.proposal_linked"][0], &linked); err != nil || !linked.Reviewed || !strings.Contains(linked.Evidence, "reviewed mapping case-links.csv:3") {
		t.Errorf("case 1's reviewed link: %+v %v", linked, err)
	}
}

// TestReadCaseLinks: the mapping's format, and what it refuses.
func TestReadCaseLinks(t *testing.T) {
	got, err := importer.ReadCaseLinks(strings.NewReader("case,proposal,note\n7,abc-1,\"seen, read\"\n9,none\n"), "m.csv")
	if err != nil || got[7].ProposalID != "abc-1" || got[7].Note != "seen, read" || got[7].Line != 2 || got[9].ProposalID != "" || len(got) != 2 {
		t.Fatalf("%+v %v", got, err)
	}
	for name, body := range map[string]string{
		"no header":    "7,abc\n",
		"empty":        "",
		"bad case":     "case,proposal\nseven,abc\n",
		"twice":        "case,proposal\n7,abc\n7,def\n",
		"no proposal":  "case,proposal\n7,\n",
		"one column":   "case,proposal\n7\n",
		"spaced ID":    "case,proposal\n7,a b\n",
		"unterminated": "case,proposal\n7,\"abc\n",
	} {
		if _, err := importer.ReadCaseLinks(strings.NewReader(body), "m.csv"); !errors.Is(err, importer.ErrBadCaseLinks) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

package importer_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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
// nothing; a mapping naming a proposal the dataset does not hold (the
// held-back part of Join) leaves the case unlinked and says so.
func TestCasesLinkedToProposals(t *testing.T) {
	files := processFiles(t)
	cands := joinCandidates(t)
	store := openBolt(t)
	ctx := context.Background()
	im := importer.New(store, importer.Config{})

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

	// Cases 60 (2019, special-education staffing) and 68 (2020, Taiwanese
	// teachers) both share words with one 2017 proposal on subjects'
	// teaching hours (e808e07a); their transcripts speak of the Ministry of
	// Education's own drafts on Join, after the dataset: neither is linked.
	// Case 40 (Dongsha, 2018) shares words with case 22's Penghu proposal.
	for n, why := range map[int]string{60: importer.UnsureTooLate, 68: importer.UnsureTooLate, 40: ""} {
		if l := byCase[n]; l.How != importer.LinkUnsure || (why != "" && l.Why != why) {
			t.Errorf("case %d: %s, want unsure because %s", n, l, why)
		}
	}
	if l := byCase[22]; l.ProposalID != "2abb840c-b02a-4cbe-8bd2-b7a6db5099a3" {
		t.Errorf("case 22: %s", l)
	}
	seen := map[string]string{}
	for _, l := range links.Cases {
		if l.ProposalID != "" && seen[l.ProposalID] != "" {
			t.Errorf("proposal %s linked to case %s and case %d", l.ProposalID, seen[l.ProposalID], l.Case)
		}
		if l.ProposalID != "" {
			seen[l.ProposalID] = string(l.CaseID)
		}
	}
	why := links.Unsure()
	total := 0
	for r, n := range why {
		total += n
		if !strings.Contains(links.String(), "unsure because "+r) {
			t.Errorf("the list does not count the unsure cases because %s", r)
		}
	}
	if total != links.Count(importer.LinkUnsure) {
		t.Errorf("unsure by reason %v add up to %d, not %d", why, total, links.Count(importer.LinkUnsure))
	}

	// The import writes the cases to review as a mapping to fill in, in a
	// copy of the dataset's folder; read back untouched, it decides
	// nothing and the cases stay unsure and listed.
	dir := t.TempDir()
	path := filepath.Join(dir, "case-links.csv")
	var buf strings.Builder
	if err := importer.WriteReviewFile(&buf, links.Cases); err != nil {
		t.Fatal(err)
	}
	todo := buf.String()
	for _, want := range []string{"case,proposal,note\n", "\n1,,\n", "\n24,,\n", "\n60,,\n", "8ddb4b0e-5bc0-4bce-9e61-3474e661df5f", "e808e07a-f8fb-4e54-97b2-a68d3307a639"} {
		if !strings.Contains(todo, want) {
			t.Errorf("the mapping to review lacks %q:\n%.2000s", want, todo)
		}
	}
	if strings.Contains(todo, "\n2,,\n") {
		t.Error("the mapping to review lists case 2, linked by score")
	}
	readBack := func(body string) map[int]importer.ReviewedLink {
		t.Helper()
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		reviewed, err := importer.ReadCaseLinks(f, "case-links.csv")
		if err != nil {
			t.Fatal(err)
		}
		return reviewed
	}
	head, _ := store.Head(ctx)
	_, sum, err = im.ImportFiles(ctx, files, importer.Options{Process: "pdis", Links: &importer.Links{Candidates: cands, Reviewed: readBack(todo)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := store.Head(ctx); after != head || sum.Links.Count(importer.LinkUnsure) != links.Count(importer.LinkUnsure) {
		t.Errorf("the untouched mapping appended %d events:\n%s", after-head, sum.Links)
	}

	// A reviewer fills in three lines: case 1 came from the union
	// proposal, case 60 from no Join proposal, case 24 from the GMT+9
	// proposal; case 68's line is left empty. The reviewed rows decide,
	// the unreviewed one stays unlinked and listed.
	filled := strings.Replace(todo, "\n1,,\n", "\n1,8ddb4b0e-5bc0-4bce-9e61-3474e661df5f,公務人員組工會\n", 1)
	filled = strings.Replace(filled, "\n60,,\n", "\n60,none,教育部於 Join 預告的特教法規草案\n", 1)
	filled = strings.Replace(filled, "\n24,,\n", "\n24,ed306cd5-420c-44b6-aacc-b5061b0799dc,\n", 1)
	_, sum, err = im.ImportFiles(ctx, files, importer.Options{Process: "pdis", Links: &importer.Links{Candidates: cands, Reviewed: readBack(filled)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := store.Head(ctx); after != head+3 || sum.Links.Count(importer.LinkedByReview) != 2 || sum.Links.Count(importer.ReviewedNoJoin) != 1 {
		t.Errorf("the re-import with the mapping appended %d events, want the 2 reviewed links and the reviewed none:\n%s", after-head, sum.Links)
	}
	var none domain.CaseNoProposalRecorded
	if evs := caseEvents(t, store, "60")["case.no_proposal_recorded"]; len(evs) != 1 || json.Unmarshal(evs[0], &none) != nil ||
		!strings.Contains(none.Evidence, "教育部於 Join 預告的特教法規草案") || !regexp.MustCompile(`case 60 \([^)]*\): reviewed: not from a Join proposal in the dataset \(reviewed mapping case-links.csv:`).MatchString(sum.Links.String()) {
		t.Errorf("case 60, reviewed none: %+v\n%s", none, sum.Links)
	}
	line := 1 + strings.Count(filled[:strings.Index(filled, "\n1,8ddb")+1], "\n")
	if err := json.Unmarshal(caseEvents(t, store, "1")["case.proposal_linked"][0], &linked); err != nil || !linked.Reviewed ||
		!strings.Contains(linked.Evidence, "reviewed mapping case-links.csv:"+strconv.Itoa(line)) {
		t.Errorf("case 1's reviewed link: %+v %v (want line %d)", linked, err, line)
	}
	var c68 importer.CaseLink
	for _, l := range sum.Links.Cases {
		if l.Case == 68 {
			c68 = l
		}
	}
	if c68.How != importer.LinkUnsure || !c68.Unreviewed || !strings.Contains(sum.Links.String(), "case 68 (") || len(caseEvents(t, store, "68")["case.proposal_linked"]) != 0 {
		t.Errorf("case 68, left unreviewed: %s", c68)
	}

	// A reviewer names a proposal this dataset does not hold (Join's
	// held-back part), and a case the archive does not hold: the import
	// goes on, records nothing for either, and says both.
	held := strings.Replace(filled, "\n68,,\n", "\n68,00000000-held-back,read in its transcript\n999,none,no such case\n", 1)
	head, _ = store.Head(ctx)
	_, sum, err = im.ImportFiles(ctx, files, importer.Options{Process: "pdis", Links: &importer.Links{Candidates: cands, Reviewed: readBack(held)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := store.Head(ctx); after != head || sum.Links.Count(importer.ReviewedNotHeld) != 1 || len(sum.Links.Strays) != 1 || sum.Links.Strays[0].Case != 999 {
		t.Errorf("a held-back proposal and a stray case appended %d events:\n%s", after-head, sum.Links)
	}
	for _, want := range []string{"reviewed: from proposal 00000000-held-back, which is not in this dataset (held back, or without a title): not linked (reviewed mapping case-links.csv:",
		"names case 999, which the archive does not hold", "1 reviewed to a proposal not in this dataset"} {
		if !strings.Contains(sum.Links.String(), want) {
			t.Errorf("the list lacks %q:\n%s", want, sum.Links)
		}
	}
}

// TestReadCaseLinks: the mapping's format, and what it refuses.
func TestReadCaseLinks(t *testing.T) {
	got, err := importer.ReadCaseLinks(strings.NewReader("case,proposal,note\n7,abc-1,\"seen, read\"\n9,none\n11,,\n"), "m.csv")
	if err != nil || got[7].ProposalID != "abc-1" || got[7].Note != "seen, read" || got[7].Line != 2 || got[9].ProposalID != "" || got[9].Unreviewed ||
		!got[11].Unreviewed || len(got) != 3 {
		t.Fatalf("%+v %v", got, err)
	}
	for name, body := range map[string]string{
		"no header":    "7,abc\n",
		"empty":        "",
		"bad case":     "case,proposal\nseven,abc\n",
		"twice":        "case,proposal\n7,abc\n7,def\n",
		"one column":   "case,proposal\n7\n",
		"spaced ID":    "case,proposal\n7,a b\n",
		"unterminated": "case,proposal\n7,\"abc\n",
	} {
		if _, err := importer.ReadCaseLinks(strings.NewReader(body), "m.csv"); !errors.Is(err, importer.ErrBadCaseLinks) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/importer"
	"github.com/pdis/collab-ledger/internal/testenv"
	"github.com/pdis/collab-ledger/reports"
)

// reviewedMapping is the team's reviewed mapping of the real archive's
// cases to their Join proposals (decision 0049).
var reviewedMapping = filepath.Join("..", "..", "docs", "case-links", "pdis-join.csv")

// recycled is case 13's proposal (全國漸進式禁止使用免洗餐具), linked by the
// reviewed mapping: its score (4.4) is under the threshold.
const recycled = "baa8dc6e-4dea-4c05-bdc4-a19c97edc62c"

// heldBack reports whether the Join dataset holds proposal id back for
// acceptance checks (its README: int(sha256(id), 16) % 20 == 7).
func heldBack(id string) bool {
	sum := sha256.Sum256([]byte(id))
	return new(big.Int).Mod(new(big.Int).SetBytes(sum[:]), big.NewInt(20)).Int64() == 7
}

// TestReviewedCaseLinks imports the real archive's process transcripts
// (every meeting a case may hold: which cases are sure by score depends on
// every one of their meetings' words) with the reviewed mapping
// (docs/case-links/pdis-join.csv, plus one line naming a proposal of the
// held-back kind) against the whole Join dataset's proposals, read in
// place, and checks:
//
//   - every line of the mapping names a case the archive holds and, if a
//     proposal, one the dataset holds with a title or one it holds back;
//   - the import counts the cases linked by review, reviewed as from no
//     Join proposal, reviewed to a proposal not in the dataset and still
//     unsure as the mapping says, and lists each with its evidence;
//   - a proposal the dataset does not hold does not fail the import: the
//     case is left unlinked and the import says why;
//   - the case pages (a second, small ledger: the four cases' meetings and
//     one proposal's signatures, so that its read models and search index
//     catch up in seconds): a link by review shows the proposal with its
//     evidence and signature curve, a reviewed "none" says so with its
//     note, in both languages; a case reviewed to a proposal not held, or
//     not decided, shows neither.
func TestReviewedCaseLinks(t *testing.T) {
	shared := testenv.SharedDir(t)
	if raceEnabled && testenv.RunWithoutRace(t, "TestReviewedCaseLinks") {
		return // importing 250 transcripts is CPU work the race detector would slow to minutes: the child runs it
	}
	ctx := context.Background()
	tmp := t.TempDir()
	full := filepath.Join(shared, "data", "join-archive")
	archive := filepath.Join(shared, "data", "pdis-archive")

	body, err := os.ReadFile(reviewedMapping)
	if err != nil {
		t.Fatal(err)
	}
	reviewed, err := importer.ReadCaseLinks(bytes.NewReader(body), reviewedMapping)
	if err != nil {
		t.Fatal(err)
	}
	titled := joinTitles(t, full)
	var byReview, none, undecided int
	for n, r := range reviewed {
		switch {
		case r.Unreviewed:
			undecided++
		case r.ProposalID == "":
			none++
		case titled[r.ProposalID] || heldBack(r.ProposalID):
			byReview++
		default:
			t.Errorf("%s:%d: case %d names proposal %s, which the Join dataset neither holds with a title nor holds back", r.File, r.Line, n, r.ProposalID)
		}
		if strings.TrimSpace(r.Note) == "" {
			t.Errorf("%s:%d: case %d's decision has no note", r.File, r.Line, n)
		}
	}
	if byReview+none+undecided != 55 || undecided > 1 {
		t.Errorf("the mapping decides %d cases (%d linked, %d none, %d undecided), want the 55 unsure ones, at most one undecided", len(reviewed), byReview, none, undecided)
	}

	// A copy with one more line: case 2 reviewed to a proposal of the
	// held-back kind (not in the dataset; stands for one the acceptance
	// data holds).
	var held string
	for i := 0; held == ""; i++ {
		if id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i); heldBack(id) {
			held = id
		}
	}
	mapping := filepath.Join(tmp, "case-links.csv")
	withHeld := string(body) + "2," + held + ",stands for a proposal Join's held-back part holds\n"
	if err := os.WriteFile(mapping, []byte(withHeld), 0o644); err != nil {
		t.Fatal(err)
	}

	runOut := func(args ...string) string { t.Helper(); return runOK(ctx, t, args...) }
	importArgs := func(store string) []string {
		return []string{"import", "akn", "--store", store, "--quiet", "--process", "pdis", "--join", full,
			"--history", filepath.Join(archive, "history.jsonl"), "--case-links", mapping}
	}
	out := runOut(append(importArgs("file:"+filepath.Join(tmp, "all.db")), processTranscripts(t, archive, `會前會|工作會議|籌備會議|協作會議`)...)...)

	counts := regexp.MustCompile(`(\d+) linked by score, (\d+) by the reviewed mapping, (\d+) reviewed as not from a Join proposal in the dataset, (\d+) reviewed to a proposal not in this dataset \(not linked\), (\d+) unsure \(not linked\), (\d+) without a candidate`).FindStringSubmatch(out)
	if counts == nil {
		t.Fatalf("the import does not count the links:\n%.3000s", out)
	}
	got := make([]int, 6)
	for i := range got {
		got[i], _ = strconv.Atoi(counts[i+1])
	}
	t.Logf("cases: %d by score, %d by review, %d reviewed none, %d reviewed not held, %d unsure, %d without a candidate", got[0], got[1], got[2], got[3], got[4], got[5])
	if got[1] != byReview || got[2] != none || got[3] != 1 || got[4] != undecided || got[5] != 0 || got[0]+got[1]+got[2]+got[3]+got[4] != 77 {
		t.Errorf("counts %v, want %d by review, %d reviewed none, 1 not held, %d unsure of 77 cases", got, byReview, none, undecided)
	}
	for _, want := range []string{
		"case 2 (開放政府聯絡人第二次協作會議, 2017-03-24): reviewed: from proposal " + held + ", which is not in this dataset (held back, or without a title): not linked (reviewed mapping " + mapping + ":",
		"case 13 (開放政府聯絡人第十三次協作會議, 2017-07-14): linked to " + recycled + " (reviewed mapping " + mapping + ":",
		"case 47 (開放政府第47次議題協作會議, 2019-04-02): reviewed: not from a Join proposal in the dataset (reviewed mapping " + mapping + ":",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the import's list lacks %q", want)
		}
	}
	if strings.Contains(out, "which the archive does not hold") {
		t.Errorf("a line of the mapping names a case the archive does not hold:\n%.3000s", out)
	}

	// The report over every year of the archive says the same of the
	// imported cases, each figure with its events (decision 0055): the
	// cases reviewed to a proposal not in the dataset are unsure there,
	// as nothing links them.
	all := "file:" + filepath.Join(tmp, "all.db")
	var rep reports.Report
	if err := json.Unmarshal([]byte(runOut("report", "--store", all, "--from", "2015-01-01", "--to", "2026-12-31", "--format", "json")), &rep); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]int{"imported.cases": 77, "imported.link.score": got[0], "imported.link.reviewed": got[1],
		"imported.link.none": got[2], "imported.link.unsure": got[3] + got[4]} {
		f, ok := rep.Figure(key)
		if !ok || f.Value != float64(want) || len(f.Source.Events) != want {
			t.Errorf("the report's %s: %v with %d events, want %d", key, f.Value, len(f.Source.Events), want)
		}
	}
	if f, _ := rep.Figure("imported.outcome_unknown"); f.Value == 0 || len(f.Source.Events) != int(f.Value) {
		t.Errorf("the report's imported.outcome_unknown: %v with %d events", f.Value, len(f.Source.Events))
	}
	for lang, want := range map[string]string{
		"en":      fmt.Sprintf("| Of these, linked to their Join proposal by a reviewed mapping / 其中依人工審閱的對照表連結至其提點子提案 | %d |", got[1]),
		"zh-Hant": fmt.Sprintf("| 其中經人工審閱：並非出自本資料集中的提點子提案 / Of these, reviewed: not from a Join proposal in the dataset | %d |", got[2]),
	} {
		if md := runOut("report", "--store", all, "--from", "2015-01-01", "--to", "2026-12-31", "--lang", lang); !strings.Contains(md, want) {
			t.Errorf("the %s report lacks %q", lang, want)
		}
	}

	// The pages, on a ledger of cases 2, 13, 43 and 47 (the mapping decides
	// them whatever the other cases say) and case 13's proposal.
	dir := filepath.Join(tmp, "pages")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	store := "file:" + filepath.Join(dir, "ledger.db")
	writeSecret(t, dir, []byte("reviewed-links-secret-0123456789abcdef"))
	joinSubset(t, full, filepath.Join(tmp, "join"), recycled)
	runOut("import", "join", "--store", store, "--quiet", filepath.Join(tmp, "join"))
	var four []string
	for _, name := range []string{"2017-03-24-開放政府聯絡人第二次協作會議", "2017-07-14-開放政府聯絡人第十三次協作會議", "2019-05-24-開放政府第43次議題協作會議", "2019-04-02-開放政府第47次議題協作會議"} {
		four = append(four, filepath.Join(archive, "transcripts", name+".an.xml"))
	}
	runOut(append(importArgs(store), four...)...)
	base := startServe(t, store)
	waitReady(t, base)
	get := func(path string) string { t.Helper(); return getOK(t, base+path) }
	page := get("/cases/13?lang=en")
	for _, want := range []string{"全國漸進式禁止使用免洗餐具", `href="/proposals/` + recycled + `"`,
		`id="case-link-evidence">a reviewed mapping: reviewed mapping ` + mapping + ":", "環保署 presents 王宣茹&#39;s proposal", "<polyline"} {
		if !strings.Contains(page, want) {
			t.Errorf("case 13's page lacks %q", want)
		}
	}
	for lang, want := range map[string]string{"en": "Reviewed: not from a Join proposal in the dataset (reviewed mapping ", "zh-Hant": "經人工審閱：並非出自本資料集中的提點子提案 (reviewed mapping "} {
		page = get("/cases/47?lang=" + lang)
		if !strings.Contains(page, `id="case-no-proposal"`) || !strings.Contains(page, want) || !strings.Contains(page, "民航局&#39;s briefing on its own draft rules") || strings.Contains(page, `id="case-proposal"`) {
			t.Errorf("case 47's page (%s) does not say it was reviewed as from no Join proposal:\n%.2000s", lang, page)
		}
	}
	for _, c := range []string{"2", "43"} {
		if page := get("/cases/" + c + "?lang=en"); strings.Contains(page, `id="case-proposal"`) || strings.Contains(page, `id="case-no-proposal"`) {
			t.Errorf("case %s, not linked and not reviewed as none, shows a link or a review", c)
		}
	}
}

// joinTitles are the Join dataset's proposals that have a title (the ones
// a case can be linked to), read in place.
func joinTitles(t *testing.T, full string) map[string]bool {
	t.Helper()
	f, err := os.Open(filepath.Join(full, "proposals.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	for sc.Scan() {
		var rec struct{ ID, Title string }
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		out[rec.ID] = strings.TrimSpace(rec.Title) != ""
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

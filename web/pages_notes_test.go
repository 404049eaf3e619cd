package web_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/domain"
)

// TestConceptSheetsAndMindMap: a meeting's concept-development sheets are
// shown as a table per sheet with every section in the sheet's order
// (problem → sub-problems → solutions → risks → how to overcome →
// responsible unit → vision), and its mind map as nested lists, each note
// under the one it grew from, in both languages, through the real command
// side, store, read models and HTTP.
func TestConceptSheetsAndMindMap(t *testing.T) {
	pe := newPagesEnv(t)
	note := func(id string, board domain.Board, sheet string, section domain.ConceptSection, parent domain.NoteID, text string) domain.AddNote {
		return domain.AddNote{MeetingID: "m-9", NoteID: domain.NoteID(id), Board: board, Sheet: sheet, Section: section, Parent: parent, Text: text}
	}
	steps := []struct {
		at  string
		cmd domain.Command
	}{
		{"2019-05-01 09:00", domain.OpenCase{CaseID: "90", Title: "循環杯", SourceKind: domain.SourceAssignment, Ref: "EY-108-0090"}},
		{"2019-05-01 09:10", domain.AssignLead{CaseID: "90", Ministry: "moi"}},
		{"2019-05-02 10:00", domain.ScheduleMeeting{MeetingID: "m-9", CaseID: "90", Kind: domain.MeetingPreMeeting, Title: "會前會", StartsAt: tpg("2019-05-08 14:00")}},
		{"2019-05-08 14:10", note("s-vision", domain.BoardConceptSheet, "A", domain.SectionVision, "", "借還杯像借傘一樣自然")},
		{"2019-05-08 14:11", note("s-problem", domain.BoardConceptSheet, "A", domain.SectionProblem, "", "借杯容易、還杯難")},
		{"2019-05-08 14:12", note("s-risk", domain.BoardConceptSheet, "A", domain.SectionRisk, "", "店家清洗成本")},
		{"2019-05-08 14:13", note("s-unit", domain.BoardConceptSheet, "A", domain.SectionResponsibleUnit, "", "環境部")},
		{"2019-05-08 14:14", note("b-problem", domain.BoardConceptSheet, "B", domain.SectionProblem, "", "押金退還太慢")},
		{"2019-05-08 14:20", note("m-root", domain.BoardMindMap, "", "", "", "外帶飲料杯")},
		{"2019-05-08 14:21", note("m-shop", domain.BoardMindMap, "", "", "m-root", "店家：清洗人力")},
		{"2019-05-08 14:22", note("m-blame", domain.BoardMindMap, "", "", "m-shop", "業者覺得被當成問題來源")},
		{"2019-05-08 14:23", note("m-where", domain.BoardMindMap, "", "", "m-root", "杯子要還到哪裡")},
		{"2019-05-08 14:24", note("m-other", domain.BoardMindMap, "", "", "", "Return points near MRT stations")},
	}
	for _, s := range steps {
		pe.do(s.at, staffActor, s.cmd)
	}
	pe.caughtUp()

	code, body, _ := pe.get("/meetings/m-9?lang=en")
	if code != 200 {
		t.Fatalf("meeting page: %d", code)
	}
	mustContain(t, "sheets", body, `<h2 id="h-sheets">Concept-development sheets</h2>`, "Concept sheet: A", "Concept sheet: B")
	sheetA := between(t, body, "Concept sheet: A", "</table>")
	// Every section, in the sheet's order, each note in its section.
	var sections []string
	for _, m := range regexp.MustCompile(`<tr class="section-([a-z_]+)"><th scope="row">([^<]+)</th><td>(.*?)</td></tr>`).FindAllStringSubmatch(sheetA, -1) {
		sections = append(sections, m[1]+"="+m[3])
	}
	want := []string{
		"problem=<ul><li><span lang=\"zh-Hant\">借杯容易、還杯難</span></li></ul>",
		"sub_problem=<span class=\"empty\">(none yet)</span>",
		"solution=<span class=\"empty\">(none yet)</span>",
		"risk=<ul><li><span lang=\"zh-Hant\">店家清洗成本</span></li></ul>",
		"overcome=<span class=\"empty\">(none yet)</span>",
		"responsible_unit=<ul><li><span lang=\"zh-Hant\">環境部</span></li></ul>",
		"vision=<ul><li><span lang=\"zh-Hant\">借還杯像借傘一樣自然</span></li></ul>",
	}
	if strings.Join(sections, "\n") != strings.Join(want, "\n") {
		t.Errorf("sheet A:\n%s\nwant:\n%s", strings.Join(sections, "\n"), strings.Join(want, "\n"))
	}
	mustContain(t, "sheet B", between(t, body, "Concept sheet: B", "</table>"), "押金退還太慢")
	mustNotContain(t, "sheet B", between(t, body, "Concept sheet: B", "</table>"), "借杯容易")

	// The mind map nests each note under its parent.
	mind := between(t, body, `<h2 id="h-mindmap">Mind map</h2>`, "</section>")
	nested := `<ul class="mindmap"><li><span lang="zh-Hant">外帶飲料杯</span><ul class="mindmap"><li><span lang="zh-Hant">店家：清洗人力</span><ul class="mindmap"><li><span lang="zh-Hant">業者覺得被當成問題來源</span></li></ul></li><li><span lang="zh-Hant">杯子要還到哪裡</span></li></ul></li><li>Return points near MRT stations</li></ul>`
	if !strings.Contains(mind, nested) {
		t.Errorf("mind map not nested as recorded:\n%s", mind)
	}

	_, zh, _ := pe.get("/meetings/m-9?lang=zh-Hant")
	mustContain(t, "zh", zh, "概念發展表：A", "心智圖", ">問題</th>", ">願景</th>", "（尚無）")
}

// between returns body from the first from to the next to after it.
func between(t *testing.T, body, from, to string) string {
	t.Helper()
	i := strings.Index(body, from)
	if i < 0 {
		t.Fatalf("missing %q", from)
	}
	j := strings.Index(body[i:], to)
	if j < 0 {
		t.Fatalf("missing %q after %q", to, from)
	}
	return body[i : i+j]
}

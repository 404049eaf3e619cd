package reports

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/pdis/collab-ledger/domain"
)

// The CSV report (format "csv", decision 0044) is a zip archive of one
// table per file, so that each opens in a spreadsheet as a sheet of its
// own that can be sorted and filtered: what the report is (about), the
// briefing's headlines, its cases (a row per ministry's verdict on a
// recommendation), who is late, and the appendix's figures (the CSV this
// format gave before). Every row names its events (log positions and
// event IDs) and the path of its proof on the server. Each file starts
// with a UTF-8 byte order mark, so that Excel reads the Chinese right.

// CSVTables are the files of the CSV report, in order.
var CSVTables = []string{"1-about.csv", "2-headlines.csv", "3-cases.csv", "4-overdue.csv", "5-figures.csv"}

// csvBOM is the UTF-8 byte order mark each file starts with.
const csvBOM = "\ufeff"

// WriteCSVZip writes rep as the zip of CSVTables. The archive's times are
// the report's period end, so that one report always gives the same bytes.
func WriteCSVZip(w io.Writer, rep Report) error {
	zw := zip.NewWriter(w)
	for _, name := range CSVTables {
		var buf bytes.Buffer
		buf.WriteString(csvBOM)
		if err := writeCSVTable(&buf, rep, name); err != nil {
			return fmt.Errorf("csv %s: %w", name, err)
		}
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: rep.To.UTC()})
		if err != nil {
			return fmt.Errorf("csv %s: %w", name, err)
		}
		if _, err := f.Write(buf.Bytes()); err != nil {
			return fmt.Errorf("csv %s: %w", name, err)
		}
	}
	return zw.Close()
}

// CSVFileName is the file name the CSV report is offered under.
func CSVFileName(rep Report) string {
	from, to := periodText(rep)
	name := "report-" + from + "-" + to
	if rep.Ministry != "" {
		name += "-" + rep.Ministry
	}
	return name + ".zip"
}

// writeCSVTable writes one of CSVTables.
func writeCSVTable(w io.Writer, rep Report, name string) error {
	if name == "5-figures.csv" {
		return WriteCSV(w, rep)
	}
	cw := csv.NewWriter(w)
	var rows [][]string
	switch name {
	case "1-about.csv":
		rows = aboutRows(rep)
	case "2-headlines.csv":
		rows = headlineRows(rep)
	case "3-cases.csv":
		rows = caseRows(rep)
	case "4-overdue.csv":
		rows = overdueRows(rep)
	default:
		return fmt.Errorf("no table %q", name)
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

// aboutRows say what the report is: a key, both labels and a value each.
func aboutRows(rep Report) [][]string {
	from, to := periodText(rep)
	rows := [][]string{{"key", "label_zh", "label_en", "value"},
		{"from", "期間起日（臺北時間）", "first day (Asia/Taipei)", from},
		{"to", "期間迄日（臺北時間）", "last day (Asia/Taipei)", to},
		{"ministry", "部會", "ministry", rep.Ministry},
		{"position", "計算時的帳本位置", "ledger position computed at", strconv.FormatUint(rep.At, 10)},
		{"events", "計入的事件數", "events read", strconv.Itoa(rep.Events)},
	}
	if b := rep.Briefing; b != nil {
		pf, pt := periodText(Report{From: b.PreviousFrom, To: b.PreviousTo})
		rows = append(rows,
			[]string{"previous_from", "前期起日", "previous period's first day", pf},
			[]string{"previous_to", "前期迄日", "previous period's last day", pt},
			[]string{"as_of", "案件與逾期名單的基準日", "day the cases and who is late stand at", b.AsOf})
	}
	return append(rows, []string{"proof", "重算此報告", "this report, recomputed", ServerLinks.query(rep, "format", "json")})
}

// headlineRows are the briefing's headlines against the previous period.
func headlineRows(rep Report) [][]string {
	rows := [][]string{{"key", "label_zh", "label_en", "value", "previous", "change", "positions", "event_ids", "previous_positions", "previous_event_ids", "proof"}}
	if rep.Briefing == nil {
		return rows
	}
	for _, h := range rep.Briefing.Headlines {
		proof := h.Key
		if proof == "outcomes.directives" {
			proof = "outcomes"
		}
		rows = append(rows, []string{h.Key, h.ZH, h.EN, fmtNumber(h.Value), fmtNumber(h.Previous), fmtNumber(h.Value - h.Previous),
			positions(h.Source.Events), ids(h.Source.Events), positions(h.PreviousSource.Events), ids(h.PreviousSource.Events),
			ServerLinks.query(rep, "format", "json", "figure", proof)})
	}
	return rows
}

// caseRows are the cases under way, a row per ministry's verdict on each
// recommendation (a case without one: one row), each with the case's
// events and, for a verdict, its response's position.
func caseRows(rep Report) [][]string {
	rows := [][]string{{"case_id", "title", "stage", "stage_zh", "stage_en", "lead", "lead_zh", "lead_en",
		"recommendation_id", "recommendation", "ministry", "ministry_zh", "ministry_en", "verdict", "verdict_zh", "verdict_en", "response_position",
		"directive", "directive_zh", "directive_en", "directive_text", "case_positions", "case_event_ids", "proof"}}
	if rep.Briefing == nil {
		return rows
	}
	for _, c := range rep.Briefing.Cases {
		st := domain.CaseStage(c.Stage).Name()
		head := []string{c.ID, c.Title, c.Stage, st.ZH, st.EN, c.Lead, c.LeadZH, c.LeadEN}
		tail := []string{"", "", "", ""}
		if d := c.Directive; d != nil {
			n, _ := domain.NameOf(domain.NamesDirective, d.Kind)
			tail = []string{d.Kind, n.ZH, n.EN, d.Text}
		}
		tail = append(tail, positions(c.Events), ids(c.Events), ServerLinks.trail(domain.CaseStream(domain.CaseID(c.ID))))
		row := func(mid ...string) {
			r := append(append(append([]string{}, head...), mid...), tail...)
			rows = append(rows, r)
		}
		if len(c.Recommendations) == 0 {
			row(make([]string, 9)...)
		}
		for _, r := range c.Recommendations {
			if len(r.Verdicts) == 0 {
				row(r.ID, r.Text, "", "", "", "", "", "", "")
			}
			for _, v := range r.Verdicts {
				verdict, vzh, ven, pos := "awaiting", "尚未回應", "awaiting a response", ""
				if v.Verdict != "" {
					n := domain.Verdict(v.Verdict).Name()
					verdict, vzh, ven = v.Verdict, n.ZH, n.EN
				}
				if v.Event != 0 {
					pos = strconv.FormatUint(v.Event, 10)
				}
				row(r.ID, r.Text, v.Ministry, v.MinistryZH, v.MinistryEN, verdict, vzh, ven, pos)
			}
		}
	}
	return rows
}

// overdueRows are who is late, a row per ministry and proposal.
func overdueRows(rep Report) [][]string {
	rows := [][]string{{"ministry", "ministry_zh", "ministry_en", "proposal_id", "title", "due", "answered", "days_late", "positions", "event_ids", "proof"}}
	if rep.Briefing == nil {
		return rows
	}
	for _, o := range rep.Briefing.Overdue {
		rows = append(rows, []string{o.Ministry, o.MinistryZH, o.MinistryEN, o.ProposalID, o.Title, o.Due, o.Answered, strconv.Itoa(o.DaysLate),
			positions(o.Events), ids(o.Events), ServerLinks.trail(domain.ProposalStream(domain.ProposalID(o.ProposalID)))})
	}
	return rows
}

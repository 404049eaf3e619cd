package reports

import (
	"slices"
	"time"

	"github.com/pdis/collab-ledger/domain"
)

// Historical cases (decision 0028): an imported case whose archive record
// ends (case.record_ended) is historical from then on. Its outcome is not
// in the archive, so the report does not count it as live work: it leaves
// the stage it was last known at (cases per stage at the end of the
// period count it as historical instead) and its days in that stage stop
// at the record's end.

// countedUntil is when the case's stage stops counting: the end of its
// archive record when that is before to, else to.
func (cs *caseState) countedUntil(to time.Time) time.Time {
	if cs.historicalBy(to) {
		return cs.ended
	}
	return to
}

// historicalBy reports whether the case's archive record ended before to.
func (cs *caseState) historicalBy(to time.Time) bool {
	return !cs.ended.IsZero() && cs.ended.Before(to)
}

// What is known of the Join proposal an imported case came from
// (caseState.link).
const (
	linkByScore  = "score"
	linkByReview = "reviewed"
	linkNone     = "none"
)

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// historicalFigure counts the cases historical at the end of the period.
func (c *computer) historicalFigure(refs []eref) Figure {
	return c.fig("cases.historical", "歷史案件（檔案庫紀錄已結束，結果不在檔案庫中）", "Historical cases (the archive's record ended; the outcome is not in the archive)",
		float64(len(refs)), "", "cases.historical", c.params(), refs)
}

// importedSection says what of the period is imported from an archive and
// what the archive does not say (#16): the imported cases with a record in
// the period, those whose record ended by its end (their outcome unknown),
// and the monthly meetings held whose ballots are not in the archive. It is
// left out when nothing of the period is imported.
//
// Of those cases it also says where each came from, as the period ended
// (decision 0055): linked to its Join proposal by match score, or by a
// reviewed mapping (case.proposal_linked), reviewed as from no Join
// proposal in the dataset (case.no_proposal_recorded), or still unsure
// (neither recorded: the figure's events are the cases' openings). The
// four add up to the imported cases.
func (c *computer) importedSection() (Section, bool) {
	var active, ended []eref
	link := map[string][]eref{}
	for _, cs := range c.caseList {
		if cs.source != string(domain.SourceImported) || !cs.openedAt.Before(c.p.To) || !c.caseInScope(cs.id) || cs.historicalBy(c.p.From) {
			continue
		}
		active = append(active, cs.opened)
		if cs.link == "" {
			link[""] = append(link[""], cs.opened)
		} else {
			link[cs.link] = append(link[cs.link], cs.linkRef)
		}
		if cs.historicalBy(c.p.To) {
			ended = append(ended, cs.endedRef)
		}
	}
	if len(active) == 0 && len(c.monthlyHeld) == 0 {
		return Section{}, false
	}
	s := Section{Key: "imported", ZH: "匯入的檔案紀錄：已知與未知", EN: "Imported from the archive: what is known and what is not"}
	linkFig := func(how, zh, en string) Figure {
		q, typ, refs := "cases.proposal_link", "case.proposal_linked", link[how]
		switch how {
		case linkNone:
			typ = "case.no_proposal_recorded"
		case "":
			q, typ, how = "cases.imported", "case.opened", "unsure"
		}
		return c.fig("imported.link."+how, zh, en, float64(len(refs)), "", q, c.params("source", string(domain.SourceImported), "link", how, "type", typ), refs)
	}
	s.Figures = append(s.Figures,
		c.fig("imported.cases", "有紀錄在本期間的匯入案件", "Imported cases with a record in the period", float64(len(active)), "", "cases.imported", c.params("source", string(domain.SourceImported)), active),
		linkFig(linkByScore, "其中依比對分數連結至其提點子提案", "Of these, linked to their Join proposal by match score"),
		linkFig(linkByReview, "其中依人工審閱的對照表連結至其提點子提案", "Of these, linked to their Join proposal by a reviewed mapping"),
		linkFig(linkNone, "其中經人工審閱：並非出自本資料集中的提點子提案", "Of these, reviewed: not from a Join proposal in the dataset"),
		linkFig("", "其中仍未確定出自哪一提案（未連結、未審閱）", "Of these, still unsure which proposal (neither linked nor reviewed)"),
		c.fig("imported.outcome_unknown", "其中紀錄於本期間結束、結果不在檔案庫中", "Of these, record ended in the period: the outcome is not in the archive", float64(len(ended)), "", "cases.historical", c.params("ended", "in the period"), ended),
		c.fig("imported.monthly_held", "匯入的 PO 月會（已舉行，選票不在檔案庫中）", "Imported PO monthly meetings (held; the ballots are not in the archive)", float64(len(c.monthlyHeld)), "", "monthly.held", c.params("type", "monthly.held"), slices.Clone(c.monthlyHeld)),
	)
	return s, true
}

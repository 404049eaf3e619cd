package reports

import "time"

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

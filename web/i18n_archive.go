package web

// Labels of imported cases: the Join proposal a case was linked to and a
// case whose archive record ends (historical), merged into the catalogue.
var archiveLabels = map[string][2]string{
	"case.topic":                 {"議題", "Topic"},
	"case.archivetitle":          {"檔案庫中的名稱", "Name in the archive"},
	"case.link.evidence":         {"連結依據", "Why linked"},
	"case.link.reviewed":         {"經人工審閱的對照表", "a reviewed mapping"},
	"case.noproposal":            {"經人工審閱：並非出自本資料集中的提點子提案", "Reviewed: not from a Join proposal in the dataset"},
	"case.proposalministry":      {"提案的主責機關", "The proposal's lead ministry"},
	"case.response":              {"主責機關對提案的回應", "The lead ministry's response to the proposal"},
	"case.response.none":         {"帳本中沒有這項提案的回應。", "The ledger holds no response to this proposal."},
	"case.historical":            {"歷史案件：檔案庫中的紀錄止於 %s，最後已知的階段是「%s」。結果不在檔案庫中。", "Historical case: the archive's record ends on %s, at the last known stage “%s”. The outcome is not in the archive."},
	"case.historical.short":      {"歷史案件，結果不在檔案庫中", "historical: outcome not in the archive"},
	"case.stage.lastknown":       {"最後已知階段", "last known stage"},
	"proposal.responses.further": {"其他回應（其他部會負責的部分、後續的答覆）", "Further responses (other ministries' parts, later answers)"},
	"case.proposal.notheld":      {"帳本尚未匯入這項提案（提點子資料），因此沒有連署曲線。", "The ledger has not imported this proposal (Join data), so there is no signature curve."},
}

func init() {
	for k, v := range archiveLabels {
		catalogue[LangZhHant][k] = v[0]
		catalogue[LangEn][k] = v[1]
	}
}

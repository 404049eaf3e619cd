package web

// Labels of a ministry's page: the proposals it leads and those it
// co-organises, apart, and each case with its role (decision 0055), merged
// into the catalogue.
var ministryLabels = map[string][2]string{
	"ministry.proposals":           {"主辦的提案（%d 件）", "Proposals it leads and answers for (%d)"},
	"ministry.proposals.caption":   {"本機關為主辦機關的提案與本機關自己的回應", "Proposals this ministry leads, and its own responses"},
	"ministry.coproposals":         {"協辦的提案（%d 件）", "Proposals it co-organises (%d)"},
	"ministry.coproposals.note":    {"協辦機關不負回應期限；回應由主辦機關各自提出。", "A co-organiser owes no answer by the deadline: each lead ministry answers for itself."},
	"ministry.coproposals.caption": {"本機關為協辦機關的提案（狀態為全案狀態）", "Proposals naming this ministry co-organiser (the state is the proposal's)"},
	"ministry.cases.count":         {"主辦 %d 件、協辦 %d 件。", "It leads %d and co-organises %d."},
	"ministry.role":                {"本機關角色", "Its role"},
	"ministry.role.lead":           {"主辦", "Lead"},
	"ministry.role.co":             {"協辦", "Co-organiser"},
	"ministries.coproposals":       {"協辦提案", "Proposals co-organised"},
}

func init() {
	for k, v := range ministryLabels {
		catalogue[LangZhHant][k] = v[0]
		catalogue[LangEn][k] = v[1]
	}
}

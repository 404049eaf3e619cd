package web

// Labels of a proposal's lead ministries, each owing its own answer, and its
// co-organisers (decision 0048), merged into the catalogue.
var leadLabels = map[string][2]string{
	"proposal.leads":           {"主辦機關", "Lead ministries"},
	"proposal.coorganisers":    {"協辦機關", "Co-organising ministries"},
	"proposal.leads.caption":   {"各主辦機關須各自於期限內回應", "Each lead ministry owes its own answer by the deadline"},
	"proposal.lead.ontime":     {"（於期限內回應）", " (within the deadline)"},
	"proposal.lead.latedays":   {"（逾期 %d 日回應）", " (%d days after the deadline)"},
	"proposal.lead.late":       {"逾期 %d 日回應", "%d days after the deadline"},
	"proposal.lead.overdue":    {"期限已過，尚未回應（逾期 %d 日）", "No response; %d days past the deadline"},
	"proposal.lead.missed":     {"已記錄為逾期未回應", "recorded as missed"},
	"proposal.lead.awaiting":   {"尚未回應", "Not answered yet"},
	"proposal.lead.unassigned": {"尚未指定權責機關", "No competent ministry assigned yet"},
}

func init() {
	for k, v := range leadLabels {
		catalogue[LangZhHant][k] = v[0]
		catalogue[LangEn][k] = v[1]
	}
	pageFuncs["leadrows"] = leadRows
}

package web

import "fmt"

// singularEn is the English label of a count of one, for labels whose first
// argument is a count ("1 day late", not "1 days late"). Chinese needs no
// such form. TF uses it when the page is in English and the first argument
// is 1. A singular may word it otherwise ("the one utterance") and leave
// the count out, naming the next argument by its index (%[2]d).
var singularEn = map[string]string{
	"index.count":               "%d case",
	"meeting.utterances":        "%d utterance",
	"meeting.versions":          "Every version and what changed (%d version)",
	"meeting.normalised":        "Normalised once: ASCII punctuation made full-width, width and spacing made uniform in %d utterance (not a change of wording; not listed as edits)",
	"meeting.removednotes":      "%d more note was removed (auditor view only)",
	"meeting.archivedquestions": "%d more question was archived (auditor view only)",
	"monthly.totalballots":      "%d ballot",
	"search.meetings.hits":      "%d result",
	"list.dayslate":             "%d day late",
	"proposal.lead.late":        "%d day after the deadline",
	"proposal.lead.latedays":    " (%d day after the deadline)",
	"proposal.lead.overdue":     "No response; %d day past the deadline",
	"proposal.laterows.text":    "%d row of Join's list was signed after signing closed: not counted",
	"ministry.summary":          "%d proposal: %d answered on time, %d answered late, %d overdue, %d awaiting a response.",
	"ledger.summary.all":        "✓ The one utterance is included in checkpoint of size %[2]d; its “proof” link gives its inclusion proof.",
	"ledger.summary.page.all":   "✓ The one utterance on this page is included in checkpoint of size %[2]d; its “proof” link gives its inclusion proof.",
	"ledger.summary.some":       "✓ %d of the %d utterances is included in checkpoint of size %d, with a “proof” link to its inclusion proof; %d not yet checkpointed, marked on each.",
	"ledger.summary.page.some":  "✓ %d of the %d utterances on this page is included in checkpoint of size %d, with a “proof” link to its inclusion proof; %d not yet checkpointed, marked on each.",
	"search.behind":             "The search index has %d event still to read; results may be incomplete.",
}

// formatLabel formats the label key in lang with args, in the singular
// when lang is English and the first argument is 1.
func formatLabel(lang, key string, args ...any) string {
	if lang == LangEn && len(args) > 0 && args[0] == 1 {
		if m, ok := singularEn[key]; ok {
			return fmt.Sprintf(m, args...)
		}
	}
	return fmt.Sprintf(tr(lang, key), args...)
}

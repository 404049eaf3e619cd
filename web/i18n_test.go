package web

import (
	"net/http/httptest"
	"testing"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/readmodels"
)

// TestCatalogueComplete: both languages have every label, and every value
// of the domain's enumerations the pages show has a label in each.
func TestCatalogueComplete(t *testing.T) {
	zh, en := catalogue[LangZhHant], catalogue[LangEn]
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("%s: no English label", k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("%s: no Chinese label", k)
		}
	}
	values := map[string][]string{
		"stage":     strs(allStages),
		"source":    strs(allSources),
		"verdict":   {string(domain.VerdictAdopted), string(domain.VerdictPartly), string(domain.VerdictNotAdopted), string(domain.VerdictDeferred)},
		"directive": {string(domain.DirectiveWithinAuthority), string(domain.DirectiveSpecific)},
		"status":    {string(domain.ProposalStatusSubmitted), string(domain.ProposalStatusPublished), string(domain.ProposalStatusEstablished), string(domain.ProposalStatusExpired)},
		"kind":      {string(domain.MeetingCollaborative), string(domain.MeetingPreMeeting), string(domain.MeetingWorking), string(domain.MeetingOther), string(domain.MeetingPOMonthly)},
		"phase":     {string(domain.PhaseDiscover), string(domain.PhaseDefine), string(domain.PhaseDevelop), string(domain.PhaseDeliver)},
		"category": {string(domain.StakeholderProposer), string(domain.StakeholderGovernment), string(domain.StakeholderIndustry), string(domain.StakeholderCivilSociety),
			string(domain.StakeholderAcademia), string(domain.StakeholderAffectedPublic), string(domain.StakeholderOther)},
		"role": {string(domain.ParticipantHost), string(domain.ParticipantProposer), string(domain.ParticipantMinistry), string(domain.ParticipantStakeholder),
			string(domain.ParticipantExpert), string(domain.ParticipantObserver), string(domain.ParticipantStenographer)},
		"actor": {string(domain.RoleCitizen), string(domain.RoleProposer), string(domain.RolePO), string(domain.RolePDIS), string(domain.RoleStenographer),
			string(domain.RoleSecretariat), string(domain.RoleMinistry), string(domain.RoleAuditor)},
		"board":     {string(domain.BoardMindMap), string(domain.BoardConceptSheet)},
		"change":    {domain.ChangeRecorded, domain.ChangeEdited, domain.ChangeCorrected, domain.ChangeReverted, domain.ChangeSplit, domain.ChangeMerged},
		"candidate": {string(domain.CandidateEstablishedProposal), string(domain.CandidateMinistryProposal), string(domain.CandidatePDISProposal), string(domain.CandidateEYAssignment)},
		"recording": {string(domain.RecordingVideo), string(domain.RecordingLiveStream), string(domain.RecordingAudio)},
		"step": {readmodels.StepProposal, readmodels.StepSignatures, readmodels.StepProposalResponse, readmodels.StepVote, readmodels.StepCaseOpened,
			readmodels.StepOrganisers, readmodels.StepStage, readmodels.StepResearch, readmodels.StepRecommendation, readmodels.StepReport,
			readmodels.StepDirective, readmodels.StepResponse, readmodels.StepMeeting, readmodels.StepParticipation, readmodels.StepNote,
			readmodels.StepQuestion, readmodels.StepTranscript, readmodels.StepUtterance, readmodels.StepTranscriptEdit},
	}
	values["field"] = append(values["field"], detailFields...)
	for kind, vs := range values {
		for _, v := range vs {
			for _, lang := range []string{LangZhHant, LangEn} {
				if _, ok := catalogue[lang][kind+"."+v]; !ok {
					t.Errorf("%s.%s: no %s label", kind, v, lang)
				}
			}
		}
	}
}

// TestLanguageNegotiation: ?lang= wins, then the cookie, then
// Accept-Language; Traditional Chinese is the default and wins ties.
func TestLanguageNegotiation(t *testing.T) {
	for _, c := range []struct {
		url, cookie, accept, want string
		chosen                    bool
	}{
		{"/", "", "", LangZhHant, false},
		{"/?lang=en", "", "", LangEn, true},
		{"/?lang=zh-Hant", "en", "en", LangZhHant, true},
		{"/?lang=fr", "en", "", LangEn, false},
		{"/", "zh-Hant", "en", LangZhHant, false},
		{"/", "", "en-US,en;q=0.9", LangEn, false},
		{"/", "", "fr, en;q=0.8, zh-TW;q=0.8", LangZhHant, false},
		{"/", "", "ja", LangZhHant, false},
		{"/", "", "zh-Hant-TW", LangZhHant, false},
	} {
		r := httptest.NewRequest("GET", c.url, nil)
		if c.cookie != "" {
			r.Header.Set("Cookie", langCookie+"="+c.cookie)
		}
		if c.accept != "" {
			r.Header.Set("Accept-Language", c.accept)
		}
		got, chosen := langOf(r)
		if got != c.want || chosen != c.chosen {
			t.Errorf("%s cookie %q accept %q: %s %v, want %s %v", c.url, c.cookie, c.accept, got, chosen, c.want, c.chosen)
		}
	}
}

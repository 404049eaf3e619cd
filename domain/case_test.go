package domain

import (
	"strings"
	"testing"
	"time"
)

// caseAtForTransition returns a case at from, ready for the transition's
// command (with a recommendation where the report needs one).
func caseAtForTransition(t *testing.T, from CaseStage) *Case {
	if from == StageMeetings {
		return caseAt(t, "meetings+rec")
	}
	return caseAt(t, from)
}

func decideTransition(c *Case, tr Transition) ([]Event, error) {
	at := tReport.Add(100 * 24 * time.Hour)
	switch tr.Via {
	case CmdChangeStage:
		return c.ChangeStage(ChangeStage{CaseID: "57", To: tr.To, Reason: "理由"}, staff, at)
	case CmdReportToPremier:
		return c.ReportToPremier(ReportToPremier{CaseID: "57", Summary: "報告"}, staff, at)
	case CmdRecordDirective:
		return c.RecordDirective(RecordDirective{CaseID: "57", Kind: DirectiveSpecific, Text: "指示"}, secretariat, at)
	case CmdRecordResponse:
		return c.RecordResponse(RecordResponse{CaseID: "57", RecommendationID: "r1", Verdict: VerdictDeferred, Reasons: "需修法"}, moiMinistry, at)
	}
	panic("unknown via " + tr.Via)
}

func TestEveryAllowedStageTransition(t *testing.T) {
	for _, tr := range CaseTransitions() {
		t.Run(string(tr.From)+"→"+string(tr.To), func(t *testing.T) {
			c := caseAtForTransition(t, tr.From)
			if c.Stage() != tr.From {
				t.Fatalf("fixture at %s, want %s", c.Stage(), tr.From)
			}
			evs, err := DecideAndApply(c, func(c *Case) ([]Event, error) { return decideTransition(c, tr) })
			wantOK(t, evs, err)
			if c.Stage() != tr.To {
				t.Fatalf("stage %s after %s, want %s", c.Stage(), tr.Via, tr.To)
			}
			sc := evs[len(evs)-1].(CaseStageChanged)
			if sc.From != tr.From || sc.To != tr.To || sc.Reason == "" {
				t.Errorf("stage change %+v carries no from/to/why", sc)
			}
			if wantW := tr.To == StageClosed && tr.From != StageResponses; sc.Withdrawn != wantW {
				t.Errorf("withdrawn = %v, want %v", sc.Withdrawn, wantW)
			}
		})
	}
}

func TestForbiddenStageTransitions(t *testing.T) {
	tests := []struct {
		from, to CaseStage
		kind     error
		rule     string
	}{
		{StageTopicSet, StageResearch, ErrRuleViolated, "case.change_stage.not_allowed"},
		{StageTopicSet, StageMeetings, ErrRuleViolated, "case.change_stage.not_allowed"},
		{StageResearch, StageTopicSet, ErrRuleViolated, "case.change_stage.not_allowed"},
		{StagePreMeeting, StageResearch, ErrRuleViolated, "case.change_stage.not_allowed"},
		{StageMeetings, StageDirective, ErrRuleViolated, "case.change_stage.not_allowed"},
		{StageDirective, StageReported, ErrRuleViolated, "case.change_stage.not_allowed"},
		{StageResponses, StageMeetings, ErrRuleViolated, "case.change_stage.not_allowed"},
		{StageMeetings, StageReported, ErrRuleViolated, "case.change_stage.requires_outcome"},
		{StageReported, StageDirective, ErrRuleViolated, "case.change_stage.requires_outcome"},
		{StageDirective, StageResponses, ErrRuleViolated, "case.change_stage.requires_outcome"},
		{StageClosed, StageResearch, ErrConflictingState, "case.change_stage.closed"},
		{StageResearch, StageResearch, ErrRuleViolated, "case.change_stage.not_allowed"},
	}
	for _, tt := range tests {
		t.Run(string(tt.from)+"→"+string(tt.to), func(t *testing.T) {
			c := caseAtForTransition(t, tt.from)
			evs, err := c.ChangeStage(ChangeStage{CaseID: "57", To: tt.to, Reason: "理由"}, staff, tReport.Add(100*24*time.Hour))
			wantRule(t, evs, err, tt.kind, tt.rule)
		})
	}
}

func TestStageGuards(t *testing.T) {
	t.Run("every stage change carries a reason", func(t *testing.T) {
		evs, err := openedCase(t).ChangeStage(ChangeStage{CaseID: "57", To: StageDivisionOfLabour}, staff, tCase)
		wantRule(t, evs, err, ErrRuleViolated, "case.change_stage.reason_required")
	})
	t.Run("research needs a lead ministry", func(t *testing.T) {
		c := NewCase("59")
		do(t, c, func(c *Case) ([]Event, error) {
			return c.Open(OpenCase{CaseID: "59", Title: "向山致敬", SourceKind: SourceAssignment, Ref: "EY-108-0003"}, secretariat, tCase, nil)
		})
		do(t, c, func(c *Case) ([]Event, error) {
			return c.ChangeStage(ChangeStage{CaseID: "59", To: StageDivisionOfLabour, Reason: "分工"}, staff, tCase)
		})
		evs, err := c.ChangeStage(ChangeStage{CaseID: "59", To: StageResearch, Reason: "研究"}, staff, tCase)
		wantRule(t, evs, err, ErrRuleViolated, "case.change_stage.lead_required")
	})
	t.Run("a case closes after responses only when every addressee responded to every recommendation", func(t *testing.T) {
		c := caseAt(t, StageMeetings)
		m := scheduledMeeting(t, c)
		for _, r := range []RecordRecommendation{
			{CaseID: "57", RecommendationID: "r1", MeetingID: "m-1", Text: "一", Addressees: []MinistryID{"moi"}},
			{CaseID: "57", RecommendationID: "r2", MeetingID: "m-1", Text: "二", Addressees: []MinistryID{"moi", "mohw"}},
		} {
			do(t, c, func(c *Case) ([]Event, error) { return c.RecordRecommendation(r, staff, tMeeting, m) })
		}
		do(t, c, func(c *Case) ([]Event, error) {
			return c.ReportToPremier(ReportToPremier{CaseID: "57", Summary: "報告"}, secretariat, tReport)
		})
		do(t, c, func(c *Case) ([]Event, error) {
			return c.RecordDirective(RecordDirective{CaseID: "57", Kind: DirectiveWithinAuthority, Text: "本諸職權"}, secretariat, tReport)
		})
		respond := func(a Actor, rec RecommendationID, v Verdict) {
			do(t, c, func(c *Case) ([]Event, error) {
				return c.RecordResponse(RecordResponse{CaseID: "57", RecommendationID: rec, Verdict: v, Reasons: "理由"}, a, tReport.Add(time.Hour))
			})
		}
		respond(moiMinistry, "r1", VerdictAdopted)
		respond(moiMinistry, "r2", VerdictNotAdopted)
		closeCmd := ChangeStage{CaseID: "57", To: StageClosed, Reason: "結案"}
		evs, err := c.ChangeStage(closeCmd, staff, tReport.Add(2*time.Hour))
		wantRule(t, evs, err, ErrRuleViolated, "case.change_stage.unanswered_recommendations")
		if open := c.UnansweredRecommendations(); len(open) != 1 || open["r2"][0] != "mohw" {
			t.Errorf("unanswered %v, want r2 by mohw", open)
		}
		respond(mohwMinistry, "r2", VerdictPartly)
		evs, err = c.ChangeStage(closeCmd, staff, tReport.Add(2*time.Hour))
		wantOK(t, evs, err)
	})
}

func TestLeadAndCoOrganisers(t *testing.T) {
	c := openedCase(t)
	evs, err := c.AssignLead(AssignLead{CaseID: "57", Ministry: "mohw"}, staff, tCase)
	wantRule(t, evs, err, ErrRuleViolated, "case.assign_lead.reason_required")
	evs, err = c.AssignLead(AssignLead{CaseID: "57", Ministry: "moi", Reason: "x"}, staff, tCase)
	wantRule(t, evs, err, ErrConflictingState, "case.assign_lead.unchanged")

	do(t, c, func(c *Case) ([]Event, error) {
		return c.AddCoOrganiser(AddCoOrganiser{CaseID: "57", Ministry: "mohw"}, staff, tCase)
	})
	evs, err = c.AddCoOrganiser(AddCoOrganiser{CaseID: "57", Ministry: "mohw"}, staff, tCase)
	wantRule(t, evs, err, ErrConflictingState, "case.add_co_organiser.already_organiser")
	// Reassigning the lead to a co-organiser keeps both assignments in the trail.
	evs = do(t, c, func(c *Case) ([]Event, error) {
		return c.AssignLead(AssignLead{CaseID: "57", Ministry: "mohw", Reason: "衛福部主政"}, secretariat, tCase.Add(time.Hour))
	})
	if e := evs[0].(CaseLeadAssigned); e.Previous != "moi" || e.Ministry != "mohw" || e.Reason != "衛福部主政" {
		t.Errorf("reassignment %+v", e)
	}
	if c.Lead() != "mohw" || len(c.CoOrganisers()) != 0 || c.IsOrganiser("moi") {
		t.Errorf("lead %s co-organisers %v", c.Lead(), c.CoOrganisers())
	}
	evs, err = c.RemoveCoOrganiser(RemoveCoOrganiser{CaseID: "57", Ministry: "mot", Reason: "x"}, staff, tCase)
	wantRule(t, evs, err, ErrNotFound, "case.remove_co_organiser.not_co_organiser")
	evs, err = c.RemoveCoOrganiser(RemoveCoOrganiser{CaseID: "57", Ministry: "mot"}, staff, tCase)
	wantRule(t, evs, err, ErrRuleViolated, "case.remove_co_organiser.reason_required")
}

func TestCaseOpening(t *testing.T) {
	mm := closedMonthly(t)
	tests := []struct {
		name  string
		cmd   OpenCase
		actor Actor
		kind  error
		rule  string
	}{
		{"a case comes from a selected topic", OpenCase{CaseID: "60", Title: "x", SourceKind: SourceVotedTopic, MonthlyMeetingID: "2019-03", CandidateID: "c3"}, staff, ErrRuleViolated, "case.open.topic_not_selected"},
		{"the topic's monthly meeting must be given", OpenCase{CaseID: "60", Title: "x", SourceKind: SourceVotedTopic, MonthlyMeetingID: "2019-04", CandidateID: "c1"}, staff, ErrRuleViolated, "case.open.topic_required"},
		{"the secretariat opens only assignment cases", OpenCase{CaseID: "60", Title: "x", SourceKind: SourceVotedTopic, MonthlyMeetingID: "2019-03", CandidateID: "c1"}, secretariat, ErrForbidden, RuleCaseOpenSecretariatAssignments},
		{"an assignment names its reference", OpenCase{CaseID: "60", Title: "x", SourceKind: SourceAssignment}, secretariat, ErrRuleViolated, "case.open.assignment_ref_required"},
		{"a case has a known source", OpenCase{CaseID: "60", Title: "x", SourceKind: "rumour"}, staff, ErrRuleViolated, "case.open.source_invalid"},
		{"a case has a title", OpenCase{CaseID: "60", SourceKind: SourceAssignment, Ref: "x"}, staff, ErrRuleViolated, "case.open.title_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := NewCase("60").Open(tt.cmd, tt.actor, tCase, mm)
			wantRule(t, evs, err, tt.kind, tt.rule)
		})
	}
	evs, err := openedCase(t).Open(OpenCase{CaseID: "57", Title: "x", SourceKind: SourceAssignment, Ref: "x"}, staff, tCase, nil)
	wantRule(t, evs, err, ErrConflictingState, "case.open.exists")
	evs, _ = NewCase("61").Open(OpenCase{CaseID: "61", Title: "健保卡虛擬卡", SourceKind: SourceVotedTopic, MonthlyMeetingID: "2019-03", CandidateID: "c2"}, staff, tCase, mm)
	if o := evs[0].(CaseOpened); o.Organiser != "mohw" || o.CandidateKind != CandidateMinistryProposal {
		t.Errorf("opened case does not carry its source: %+v", o)
	}
}

func TestResearchRecords(t *testing.T) {
	c := openedCase(t)
	mustAdd := func(id StakeholderID, cat StakeholderCategory) {
		do(t, c, func(c *Case) ([]Event, error) {
			return c.AddStakeholder(AddStakeholder{CaseID: "57", StakeholderID: id, Category: cat, Name: string(id)}, moiChief, tCase)
		})
	}
	mustAdd("s-1", StakeholderProposer)
	mustAdd("s-2", StakeholderGovernment)
	mustAdd("s-3", StakeholderCivilSociety)
	if got := c.StakeholderCategoriesCovered(); len(got) != 3 || got[0] != StakeholderProposer {
		t.Errorf("categories covered %v", got)
	}
	hash := strings.Repeat("0f", 32)
	tests := []struct {
		name   string
		decide func() ([]Event, error)
		kind   error
		rule   string
	}{
		{"a stakeholder has a known category", func() ([]Event, error) {
			return c.AddStakeholder(AddStakeholder{CaseID: "57", StakeholderID: "s-9", Category: "friends", Name: "x"}, staff, tCase)
		}, ErrRuleViolated, "case.add_stakeholder.category_invalid"},
		{"a stakeholder is inventoried once", func() ([]Event, error) {
			return c.AddStakeholder(AddStakeholder{CaseID: "57", StakeholderID: "s-1", Category: StakeholderProposer, Name: "x"}, staff, tCase)
		}, ErrConflictingState, "case.add_stakeholder.exists"},
		{"a PO of a ministry not organising the case cannot add stakeholders", func() ([]Event, error) {
			return c.AddStakeholder(AddStakeholder{CaseID: "57", StakeholderID: "s-9", Category: StakeholderIndustry, Name: "x"}, motChief, tCase)
		}, ErrForbidden, RuleCaseOrganiserPO},
		{"an interview is of inventoried stakeholders", func() ([]Event, error) {
			return c.RecordInterview(RecordInterview{CaseID: "57", InterviewID: "i-1", Stakeholders: []StakeholderID{"s-8"}, Summary: "x"}, staff, tCase)
		}, ErrNotFound, "case.record_interview.stakeholder_not_found"},
		{"materials are recorded by hash, not content", func() ([]Event, error) {
			return c.AddMaterial(AddMaterial{CaseID: "57", MaterialID: "mat-1", Title: "x", SHA256: "not a hash", URL: "https://example.org/x"}, staff, tCase)
		}, ErrRuleViolated, "case.add_material.hash_invalid"},
		{"materials link to a web address", func() ([]Event, error) {
			return c.AddMaterial(AddMaterial{CaseID: "57", MaterialID: "mat-1", Title: "x", SHA256: hash, URL: "file:///etc/passwd"}, staff, tCase)
		}, ErrRuleViolated, "case.add_material.url_invalid"},
		{"a ministry supplies material only as itself", func() ([]Event, error) {
			return c.AddMaterial(AddMaterial{CaseID: "57", MaterialID: "mat-1", Title: "x", SHA256: hash, URL: "https://example.org/x", SuppliedBy: "mohw"}, moiMinistry, tCase)
		}, ErrForbidden, RuleCaseOrganiserPO},
		{"a ministry not organising the case cannot supply material", func() ([]Event, error) {
			return c.AddMaterial(AddMaterial{CaseID: "57", MaterialID: "mat-1", Title: "x", SHA256: hash, URL: "https://example.org/x"}, mohwMinistry, tCase)
		}, ErrForbidden, RuleCaseOrganiserPO},
		{"recommendations come in the meetings stage", func() ([]Event, error) {
			return c.RecordRecommendation(RecordRecommendation{CaseID: "57", RecommendationID: "r1", MeetingID: "m-1", Text: "x", Addressees: []MinistryID{"moi"}}, staff, tCase, scheduledMeeting(t, c))
		}, ErrConflictingState, "case.record_recommendation.wrong_stage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := tt.decide()
			wantRule(t, evs, err, tt.kind, tt.rule)
		})
	}
	evs := do(t, c, func(c *Case) ([]Event, error) {
		return c.AddMaterial(AddMaterial{CaseID: "57", MaterialID: "mat-1", Title: "簡報", SHA256: hash, URL: "https://example.org/x"}, moiMinistry, tCase)
	})
	if evs[0].(CaseMaterialAdded).SuppliedBy != "moi" {
		t.Errorf("material supplied by %s", evs[0].(CaseMaterialAdded).SuppliedBy)
	}
	do(t, c, func(c *Case) ([]Event, error) {
		return c.RecordInterview(RecordInterview{CaseID: "57", InterviewID: "i-1", Stakeholders: []StakeholderID{"s-1", "s-3"}, Summary: "訪談"}, staff, tCase)
	})
}

func TestOutcomes(t *testing.T) {
	t.Run("a recommendation belongs to a meeting of the case", func(t *testing.T) {
		c := caseAt(t, StageMeetings)
		other := NewMeeting("m-9")
		do(t, other, func(m *Meeting) ([]Event, error) {
			return m.Schedule(ScheduleMeeting{MeetingID: "m-9", Kind: MeetingOther, Title: "共識營", StartsAt: tMeeting}, staff, tCase, nil, DefaultMonthlyConfig(), nil)
		})
		evs, err := c.RecordRecommendation(RecordRecommendation{CaseID: "57", RecommendationID: "r1", MeetingID: "m-9", Text: "x", Addressees: []MinistryID{"moi"}}, staff, tMeeting, other)
		wantRule(t, evs, err, ErrRuleViolated, "case.record_recommendation.meeting_not_of_case")
		evs, err = c.RecordRecommendation(RecordRecommendation{CaseID: "57", RecommendationID: "r1", MeetingID: "m-1", Text: "x"}, staff, tMeeting, scheduledMeeting(t, c))
		wantRule(t, evs, err, ErrRuleViolated, "case.record_recommendation.addressee_required")
	})
	t.Run("a report needs a recommendation", func(t *testing.T) {
		evs, err := caseAt(t, StageMeetings).ReportToPremier(ReportToPremier{CaseID: "57", Summary: "x"}, staff, tReport)
		wantRule(t, evs, err, ErrRuleViolated, "case.report_to_premier.no_recommendations")
	})
	t.Run("the directive follows the report", func(t *testing.T) {
		evs, err := caseAt(t, "meetings+rec").RecordDirective(RecordDirective{CaseID: "57", Kind: DirectiveWithinAuthority, Text: "x"}, secretariat, tReport)
		wantRule(t, evs, err, ErrConflictingState, "case.record_directive.wrong_stage")
	})
	t.Run("responses follow the directive", func(t *testing.T) {
		evs, err := caseAt(t, StageReported).RecordResponse(RecordResponse{CaseID: "57", RecommendationID: "r1", Verdict: VerdictAdopted, Reasons: "x"}, moiMinistry, tReport)
		wantRule(t, evs, err, ErrConflictingState, "case.record_response.wrong_stage")
	})
	t.Run("a ministry responds only to recommendations addressed to it", func(t *testing.T) {
		evs, err := caseAt(t, StageDirective).RecordResponse(RecordResponse{CaseID: "57", RecommendationID: "r1", Verdict: VerdictAdopted, Reasons: "x"}, mohwMinistry, tReport)
		wantRule(t, evs, err, ErrForbidden, RuleResponseAddressee)
	})
	t.Run("a response has a known verdict and reasons", func(t *testing.T) {
		c := caseAt(t, StageDirective)
		evs, err := c.RecordResponse(RecordResponse{CaseID: "57", RecommendationID: "r1", Verdict: "maybe", Reasons: "x"}, moiMinistry, tReport)
		wantRule(t, evs, err, ErrRuleViolated, "case.record_response.verdict_invalid")
		evs, err = c.RecordResponse(RecordResponse{CaseID: "57", RecommendationID: "r1", Verdict: VerdictAdopted}, moiMinistry, tReport)
		wantRule(t, evs, err, ErrRuleViolated, "case.record_response.reasons_required")
		evs, err = c.RecordResponse(RecordResponse{CaseID: "57", RecommendationID: "r9", Verdict: VerdictAdopted, Reasons: "x"}, moiMinistry, tReport)
		wantRule(t, evs, err, ErrNotFound, "case.record_response.recommendation_not_found")
	})
	t.Run("a deferred response can be superseded, the first moves the stage once", func(t *testing.T) {
		c := caseAt(t, StageDirective)
		evs := do(t, c, func(c *Case) ([]Event, error) {
			return c.RecordResponse(RecordResponse{CaseID: "57", RecommendationID: "r1", Verdict: VerdictDeferred, Reasons: "需修法"}, moiMinistry, tReport)
		})
		if len(evs) != 2 || c.Stage() != StageResponses {
			t.Errorf("first response: %v, stage %s", types(evs), c.Stage())
		}
		evs = do(t, c, func(c *Case) ([]Event, error) {
			return c.RecordResponse(RecordResponse{CaseID: "57", RecommendationID: "r1", Verdict: VerdictAdopted, Reasons: "已修法", FollowUp: "試辦"}, moiMinistry, tReport.Add(90*24*time.Hour))
		})
		if len(evs) != 1 {
			t.Errorf("second response: %v", types(evs))
		}
	})
	t.Run("a closed case takes nothing more", func(t *testing.T) {
		c := caseAt(t, StageClosed)
		evs, err := c.AddStakeholder(AddStakeholder{CaseID: "57", StakeholderID: "s-9", Category: StakeholderOther, Name: "x"}, staff, tReport)
		wantRule(t, evs, err, ErrConflictingState, "case.add_stakeholder.closed")
	})
}

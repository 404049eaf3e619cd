package domain

import (
	"testing"
	"time"
)

// importedCase is case 5 as the archive importer opens it, at meetings.
func importedCase(t testing.TB) *Case {
	c := NewCase("5")
	do(t, c, func(c *Case) ([]Event, error) {
		return c.Open(OpenCase{CaseID: "5", Title: "開放政府聯絡人第五次協作會議", SourceKind: SourceImported, Ref: "pdis-archive:第5次協作會議"}, staff, tCase, nil)
	})
	for _, s := range []CaseStage{StageDivisionOfLabour, StageResearch, StagePreMeeting, StageMeetings} {
		do(t, c, func(c *Case) ([]Event, error) {
			return c.ChangeStage(ChangeStage{CaseID: "5", To: s, Reason: "imported"}, staff, tCase)
		})
	}
	return c
}

// TestLinkCaseProposal: an imported case is linked once (again: nothing),
// relinked only by a reviewed mapping; a live case is never linked; a
// link says its topic and evidence.
func TestLinkCaseProposal(t *testing.T) {
	c := importedCase(t)
	link := LinkCaseProposal{CaseID: "5", ProposalID: "p-1", Topic: "第八節課後輔導", Ministry: "edu", Evidence: "match score 11.8"}
	evs := do(t, c, func(c *Case) ([]Event, error) { return c.LinkProposal(link, staff, tCase) })
	if len(evs) != 1 || evs[0].(CaseProposalLinked).ProposalID != "p-1" {
		t.Fatalf("link: %+v", evs)
	}
	if evs, err := c.LinkProposal(link, staff, tCase); err != nil || len(evs) != 0 {
		t.Errorf("linking again: %v %v, want nothing", evs, err)
	}
	other := link
	other.ProposalID = "p-2"
	evs, err := c.LinkProposal(other, staff, tCase)
	wantRule(t, evs, err, ErrConflictingState, CmdLinkCaseProposal+".already_linked")
	other.Reviewed, other.Evidence = true, "reviewed mapping case-links.csv:2"
	evs = do(t, c, func(c *Case) ([]Event, error) { return c.LinkProposal(other, staff, tCase) })
	if e := evs[0].(CaseProposalLinked); e.Previous != "p-1" || !e.Reviewed {
		t.Errorf("reviewed relink: %+v", e)
	}
	if p, ok := c.LinkedProposal(); !ok || p != "p-2" {
		t.Errorf("linked %q %v", p, ok)
	}
	for _, tc := range []struct {
		cmd  LinkCaseProposal
		rule string
	}{
		{LinkCaseProposal{CaseID: "5", ProposalID: "p-3", Evidence: "x"}, CmdLinkCaseProposal + ".topic_required"},
		{LinkCaseProposal{CaseID: "5", ProposalID: "p-3", Topic: "x"}, CmdLinkCaseProposal + ".evidence_required"},
	} {
		evs, err := importedCase(t).LinkProposal(tc.cmd, staff, tCase)
		wantRule(t, evs, err, ErrRuleViolated, tc.rule)
	}
	evs, err = openedCase(t).LinkProposal(LinkCaseProposal{CaseID: "57", ProposalID: "p-1", Topic: "x", Evidence: "x"}, staff, tCase)
	wantRule(t, evs, err, ErrRuleViolated, CmdLinkCaseProposal+".not_imported")
}

// TestRecordNoProposal: a reviewed "none" replaces a link (keeping it in
// the event), is recorded once, and stops a link by score; a reviewed
// mapping links the case again; a live case is never so reviewed.
func TestRecordNoProposal(t *testing.T) {
	c := importedCase(t)
	do(t, c, func(c *Case) ([]Event, error) {
		return c.LinkProposal(LinkCaseProposal{CaseID: "5", ProposalID: "p-1", Topic: "x", Evidence: "match score 7"}, staff, tCase)
	})
	none := RecordNoProposal{CaseID: "5", Evidence: "reviewed mapping pdis-join.csv:9 (a ministry's own topic)"}
	evs := do(t, c, func(c *Case) ([]Event, error) { return c.RecordNoProposal(none, staff, tCase) })
	if e, ok := evs[0].(CaseNoProposalRecorded); len(evs) != 1 || !ok || e.Previous != "p-1" || e.Evidence != none.Evidence {
		t.Fatalf("none: %+v", evs)
	}
	if _, linked := c.LinkedProposal(); linked || !c.NoProposal() {
		t.Errorf("after none: linked %v, none %v", linked, c.NoProposal())
	}
	if evs, err := c.RecordNoProposal(none, staff, tCase); err != nil || len(evs) != 0 {
		t.Errorf("none again: %v %v, want nothing", evs, err)
	}
	byScore := LinkCaseProposal{CaseID: "5", ProposalID: "p-1", Topic: "x", Evidence: "match score 7"}
	evs, err := c.LinkProposal(byScore, staff, tCase)
	wantRule(t, evs, err, ErrConflictingState, CmdLinkCaseProposal+".reviewed_none")
	byScore.Reviewed = true
	do(t, c, func(c *Case) ([]Event, error) { return c.LinkProposal(byScore, staff, tCase) })
	if p, ok := c.LinkedProposal(); !ok || p != "p-1" || c.NoProposal() {
		t.Errorf("relinked by review: %q %v, none %v", p, ok, c.NoProposal())
	}
	evs, err = importedCase(t).RecordNoProposal(RecordNoProposal{CaseID: "5", Evidence: " "}, staff, tCase)
	wantRule(t, evs, err, ErrRuleViolated, CmdRecordNoProposal+".evidence_required")
	evs, err = openedCase(t).RecordNoProposal(RecordNoProposal{CaseID: "57", Evidence: "x"}, staff, tCase)
	wantRule(t, evs, err, ErrRuleViolated, CmdRecordNoProposal+".not_imported")
}

// TestEndCaseRecord: the record ends at the stage reached; again at the
// same last record: nothing; a later stage change makes the case current
// again; a live case's record never ends this way.
func TestEndCaseRecord(t *testing.T) {
	c := importedCase(t)
	end := EndCaseRecord{CaseID: "5", LastRecordAt: tCase, Archive: "pdis-archive"}
	evs := do(t, c, func(c *Case) ([]Event, error) { return c.EndRecord(end, staff, tCase) })
	if e := evs[0].(CaseRecordEnded); e.Stage != StageMeetings || !c.Historical() {
		t.Fatalf("ended: %+v historical %v", e, c.Historical())
	}
	if evs, err := c.EndRecord(end, staff, tCase.Add(time.Hour)); err != nil || len(evs) != 0 {
		t.Errorf("again: %v %v", evs, err)
	}
	evs, err := importedCase(t).EndRecord(EndCaseRecord{CaseID: "5", LastRecordAt: tCase.Add(time.Hour), Archive: "a"}, staff, tCase)
	wantRule(t, evs, err, ErrRuleViolated, CmdEndCaseRecord+".last_record_invalid")
	evs, err = openedCase(t).EndRecord(EndCaseRecord{CaseID: "57", LastRecordAt: tCase, Archive: "a"}, staff, tCase)
	wantRule(t, evs, err, ErrRuleViolated, CmdEndCaseRecord+".not_imported")
	do(t, c, func(c *Case) ([]Event, error) {
		return c.ChangeStage(ChangeStage{CaseID: "5", To: StageClosed, Reason: "withdrawn"}, staff, tCase)
	})
	if c.Historical() {
		t.Error("a stage change after the record's end leaves the case historical")
	}
}

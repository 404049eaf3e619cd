package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/web"
)

// typedIDs are the ID members a person may type: new IDs they choose (a
// ministry's code, a PO's ID, a monthly meeting's), what the erasure
// names (an event, a person), who a version is attributed to, and where
// an imported record comes from. Every other member named like an ID
// must be picked (web.PickedField); a new one fails TestNoFormTypesAnID
// until it has a picker or is listed here with its reason.
var typedIDs = map[string][]string{
	"registry.register_ministry":   {"ministryId"},
	"registry.register_po":         {"poId"},
	"monthly.open":                 {"meetingId"},
	"monthly.record_held":          {"meetingId"},
	"ledger.erase":                 {"eventId", "person"},
	"case.import_proposal_link":    {"ministry"},
	"meeting.add_participant":      {"account"},
	"monthly.add_candidate":        {"sourceRef"},
	"case.open":                    {"ref"},
	"transcript.correct_utterance": {"editor"},
	// whom words or a version are attributed to: anyone who spoke, listed
	// in the registry or not (left typed: see decision 0042)
	"transcript.record_utterance":     {"speaker.actorId"},
	"transcript.reattribute_speaker":  {"speaker.actorId"},
	"transcript.insert_utterance":     {"speaker.actorId", "editor"},
	"transcript.reclassify_utterance": {"speaker.actorId", "editor"},
	"transcript.delete_utterance":     {"editor"},
	"transcript.merge_utterances":     {"editor"},
	"transcript.normalise":            {"editor"},
}

// idLike are member names that name something in the ledger.
var idLike = regexp.MustCompile(`(Id|^after|^parent|^ministry|Ministry|^organiser|^addressees|^choices|^stakeholders|^merged|^editor|^account|^person|[rR]ef)$`)

// TestNoFormTypesAnID: no form has a text box for an ID a person would
// otherwise need to know. For every command's form and every role that
// may use it, over a ledger with a proposal, a monthly meeting with a
// candidate, a case with a stakeholder and a recommendation, a meeting with
// a participant, a note, a question and an utterance: every member named
// like an ID (idLike) is either listed in typedIDs or rendered as a select
// or checkboxes of what the role may act on — never a text box — once
// the form knows where to look (its parent carried in the query, as from
// the page it is opened from), and without it the form asks for the
// parent first (a GET step) or still picks. Real HTTP and store.
func TestNoFormTypesAnID(t *testing.T) {
	e := newSigninEnv(t, func(si *web.SignIn) { si.Dev = true })
	seedPickers(e)
	parents := url.Values{"proposalId": {"p-1"}, "caseId": {"case-1"}, "meetingId": {"m-1"}, "monthlyMeetingId": {"2026-11"}}
	roles := append(slices.Clone(formRoles), domain.Actor{ID: "pdis-1", Role: domain.RolePDIS})
	checked, steps := 0, 0
	for _, a := range roles {
		b := e.browser()
		e.devSignIn(b, a)
		for _, c := range app.Commands() {
			if domain.Authorize(c.Name, a) != nil || strings.HasPrefix(c.Name, "transcript.import") || strings.HasPrefix(c.Name, "case.import_record") || c.Name == domain.CmdSplitUtterance {
				continue
			}
			q := parents
			if strings.HasPrefix(c.Name, "monthly.") {
				q = url.Values{"meetingId": {"2026-11"}}
			}
			for _, withParents := range []bool{true, false} {
				u := e.url + "/act/" + c.Name
				if withParents {
					u += "?" + q.Encode()
				}
				resp, page := b.get(u)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s as %s: %d", u, a, resp.StatusCode)
				}
				step := strings.Contains(page, `class="act step"`)
				if step {
					steps++
					if withParents {
						t.Errorf("%s as %s: asks for a parent although the query carries it", c.Name, a)
					}
				}
				for _, m := range regexp.MustCompile(`<(?:input type="([a-z-]+)"|textarea|select) id="f-([A-Za-z.]+)"`).FindAllStringSubmatch(page, -1) {
					name, typ := m[2], m[1]
					if !idLike.MatchString(name) || slices.Contains(typedIDs[c.Name], name) {
						continue
					}
					checked++
					if strings.HasPrefix(m[0], "<select") || typ == "checkbox" {
						continue
					}
					t.Errorf("%s as %s (parents %v): %s is typed (%s), not picked", c.Name, a, withParents, name, m[0])
				}
			}
		}
	}
	// "Continue" with nothing chosen: the step again, with the error
	// summary; with the meeting chosen, the whole form.
	b := e.browser()
	e.devSignIn(b, domain.Actor{ID: "pdis-1", Role: domain.RolePDIS})
	if _, page := b.get(e.url + "/act/meeting.remove_note?meetingId="); !strings.Contains(page, `id="error-summary"`) || !strings.Contains(page, `class="act step"`) {
		t.Errorf("Continue with no meeting chosen:\n%s", page)
	}
	if _, page := b.get(e.url + "/act/meeting.remove_note?meetingId=m-1"); !strings.Contains(page, `<select id="f-noteId" name="noteId"`) || !strings.Contains(page, `value="note-1"`) {
		t.Errorf("with the meeting chosen:\n%s", page)
	}
	// The staff pages outside the commands pick the ministry too.
	for _, path := range []string{"/admin/accounts", "/admin/tokens"} {
		resp, page := b.get(e.url + path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `<select id="f-ministry" name="ministry"`) || !strings.Contains(page, `value="moi"`) {
			t.Errorf("%s (%d): the ministry is not picked from the registry:\n%.3000s", path, resp.StatusCode, page)
		}
		// Every word on the page comes from the catalogue, in both languages.
		for _, q := range []string{"", "?lang=en"} {
			_, page := b.get(e.url + path + q)
			if m := regexp.MustCompile(`>\s*(tokens|accounts|field)\.[a-zA-Z.]+\s*<`).FindString(page); m != "" {
				t.Errorf("%s%s shows a catalogue key, not its words: %s", path, q, m)
			}
		}
	}
	if checked < 100 || steps == 0 {
		t.Fatalf("checked %d picked fields, %d steps: the walk lost them", checked, steps)
	}
}

// seedPickers records what the pickers list.
func seedPickers(e *signinEnv) {
	e.t.Helper()
	e.publishedProposal("p-1")
	po := domain.Actor{ID: "po-moi-1", Role: domain.RolePO, Ministry: "moi"}
	steno := domain.Actor{ID: "steno-1", Role: domain.RoleStenographer}
	year := calendar.DateOf(*e.now.Load()).Year()
	heldOn := calendar.DateOf(*e.now.Load())
	for _, x := range []struct {
		a   domain.Actor
		cmd domain.Command
	}{
		{staffActor, domain.RegisterPO{POID: "po-moi-1", Name: "內政部主任PO", Ministry: "moi", Role: domain.POChief, Year: year}},
		{staffActor, domain.OpenMonthlyMeeting{MeetingID: "2026-11", HeldOn: heldOn}},
		{staffActor, domain.AddCandidate{MeetingID: "2026-11", CandidateID: "cand-1", Kind: domain.CandidatePDISProposal, Title: "候選議題", Organiser: "moi"}},
		{staffActor, domain.OpenCase{CaseID: "case-1", Title: "案件一", SourceKind: domain.SourceAssignment, Ref: "院臺字第1號"}},
		{staffActor, domain.AssignLead{CaseID: "case-1", Ministry: "moi", Reason: "主管機關"}},
		{staffActor, domain.AddStakeholder{CaseID: "case-1", StakeholderID: "sh-1", Category: domain.StakeholderIndustry, Name: "業者"}},
		{staffActor, domain.ScheduleMeeting{MeetingID: "m-1", CaseID: "case-1", Kind: domain.MeetingCollaborative, Phase: domain.PhaseDiscover, Title: "協作會議", StartsAt: time.Now().Add(time.Hour)}},
		{staffActor, domain.AddParticipant{MeetingID: "m-1", ParticipantID: "pt-1", Name: "業者代表", Role: domain.ParticipantStakeholder, StakeholderID: "sh-1"}},
		{staffActor, domain.AddParticipant{MeetingID: "m-1", ParticipantID: "pt-2", Name: "內政部主任PO", Role: domain.ParticipantMinistry, Ministry: "moi", Account: "po-moi-1"}},
		{staffActor, domain.AddNote{MeetingID: "m-1", NoteID: "note-1", Board: domain.BoardMindMap, Text: "便利貼"}},
		{po, domain.PostQuestion{MeetingID: "m-1", QuestionID: "q-1", Text: "何時公開？"}},
		{steno, domain.StartTranscript{MeetingID: "m-1"}},
		{steno, domain.RecordUtterance{MeetingID: "m-1", UtteranceID: "u-1", Kind: domain.UtteranceSpeech, Speaker: domain.Speaker{ActorID: "po-moi-1", Name: "內政部主任PO"}, Paragraphs: []string{"我們會公開。"}}},
		{staffActor, domain.ChangeStage{CaseID: "case-1", To: domain.StageDivisionOfLabour, Reason: "分工"}},
		{staffActor, domain.ChangeStage{CaseID: "case-1", To: domain.StageResearch, Reason: "研究"}},
		{staffActor, domain.ChangeStage{CaseID: "case-1", To: domain.StagePreMeeting, Reason: "會前"}},
		{staffActor, domain.ChangeStage{CaseID: "case-1", To: domain.StageMeetings, Reason: "會議"}},
		{staffActor, domain.RecordRecommendation{CaseID: "case-1", RecommendationID: "rec-1", MeetingID: "m-1", Text: "公開逐字稿", Addressees: []domain.MinistryID{"moi"}}},
	} {
		e.do(x.a, x.cmd)
	}
	e.caughtUp()
}

// TestFormOffersWhatWasJustRegistered: a ministry registered a moment ago
// is offered by the next form's picker and on the accounts page, though
// the lists' read models fold it in the background and the lists answer
// an older build while they rebuild (freshDirectory). Sixteen times, each
// form asked for at once after the registration. Real HTTP and store.
func TestFormOffersWhatWasJustRegistered(t *testing.T) {
	e := newSigninEnv(t, func(si *web.SignIn) { si.Dev = true })
	seedPickers(e)
	e.caughtUp()
	b := e.browser()
	e.devSignIn(b, staffActor)
	for i := range 16 {
		code := fmt.Sprintf("new-%d", i)
		e.do(staffActor, domain.RegisterMinistry{MinistryID: domain.MinistryID(code), Name: fmt.Sprintf("新機關%d", i)})
		path := "/act/registry.register_po"
		if i%2 == 1 {
			path = "/admin/accounts"
		}
		resp, page := b.get(e.url + path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `<option value="`+code+`"`) {
			t.Fatalf("%s right after registering %s (%d): not offered:\n%.2000s", path, code, resp.StatusCode, page)
		}
	}
}

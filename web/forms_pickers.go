package web

// Pickers: no form asks a person to type an ID. Every field that names
// something already in the ledger (a proposal, a case, a meeting, a PO, a
// ministry, a note, an utterance, a signature, ...) is a server-rendered
// <select> (or, for a list, checkboxes) of what the signed-in actor may act
// on, labelled in words: a PO's or a ministry's own cases, the proposals
// awaiting their ministry's answer, the meeting's notes. A field that needs
// another first (a note needs its meeting) waits for it: without it the
// form asks for the meeting alone (a GET form, no script), then shows the
// rest. A value carried in the query (a form opened from a meeting's page)
// stays selected. Only when the read models cannot answer does a field
// stay a text box, so that the form still works.
// TestNoFormTypesAnID keeps every picked field picked.

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/readmodels"
)

// maxPickerOptions bounds a picker: the most recent first. A form opened
// from its page carries an older one's ID.
const maxPickerOptions = 300

// picker is where an ID field's choices come from.
type picker struct {
	// parent is the field naming where to look ("" if none).
	parent string
	// multi: the field is a list (checkboxes).
	multi bool
	// options lists the choices, given the parent's value.
	options func(c *pickContext, parent string) ([]OptionView, error)
}

// pickContext is what a picker reads.
type pickContext struct {
	ctx     context.Context
	s       *server
	p       *Page
	actor   domain.Actor
	command string
	dir     *directory
}

// pickerFor returns the picker of a command's field, or nil when a person
// enters it (a new ID they choose, a name, a URL).
func pickerFor(command, field string) *picker {
	if f, ok := commandPickers[command][field]; ok {
		return f
	}
	if slices.Contains(noPicker[command], field) {
		return nil
	}
	return fieldPickers[field]
}

// noPicker are fields named like a picked one that are new IDs the person
// chooses in that command.
var noPicker = map[string][]string{
	domain.CmdRegisterMinistry:   {"ministryId"},
	domain.CmdRegisterPO:         {"poId"},
	domain.CmdOpenMonthlyMeeting: {"meetingId"},
}

var (
	pickProposal = &picker{options: proposalOptions}
	pickCase     = &picker{options: caseOptions}
	pickMeeting  = &picker{options: meetingOptions}
	pickCaseMtg  = &picker{parent: "caseId", options: meetingOptions}
	pickMonthly  = &picker{options: monthlyOptions}
	pickMinistry = &picker{options: ministryOptions}
	pickPO       = &picker{options: poOptions}
	pickUtter    = &picker{parent: "meetingId", options: utteranceOptions}
	pickNote     = &picker{parent: "meetingId", options: noteOptions}
)

// fieldPickers are the pickers by field name.
var fieldPickers = map[string]*picker{
	"proposalId":        pickProposal,
	"caseId":            pickCase,
	"meetingId":         pickMeeting,
	"monthlyMeetingId":  pickMonthly,
	"ministry":          pickMinistry,
	"competentMinistry": pickMinistry,
	"organiser":         pickMinistry,
	"addressees":        {multi: true, options: ministryOptions},
	"otherLeads":        {multi: true, options: ministryOptions},
	"leads":             {multi: true, options: ministryOptions},
	"coOrganisers":      {multi: true, options: ministryOptions},
	"poId":              pickPO,
	"candidateId":       {parent: "monthlyMeetingId", options: candidateOptions},
	"noteId":            pickNote,
	"utteranceId":       pickUtter,
	"after":             pickUtter,
	"merged":            {parent: "meetingId", multi: true, options: utteranceOptions},
	"participantId":     {parent: "meetingId", options: participantOptions},
	"stakeholderId":     {parent: "meetingId", options: meetingStakeholderOptions},
	"stakeholders":      {parent: "caseId", multi: true, options: stakeholderOptions},
	"questionId":        {parent: "meetingId", options: questionOptions},
	"recommendationId":  {parent: "caseId", options: recommendationOptions},
	"signatureId":       {parent: "proposalId", options: signatureOptions},
}

// commandPickers are the pickers a command's field has that differ from
// its name's.
var commandPickers = map[string]map[string]*picker{
	domain.CmdRegisterMinistry:     {"parent": pickMinistry},
	domain.CmdAddNote:              {"parent": pickNote},
	domain.CmdRecordRecommendation: {"meetingId": pickCaseMtg},
	domain.CmdCastBallot:           {"choices": {parent: "meetingId", multi: true, options: candidateOptions}},
	domain.CmdOpenMonthlyMeeting:   {"meetingId": nil},
}

// pickers turns the fields that have a picker into selects or checkboxes,
// and reports the fields whose parent is still missing (the form must ask
// for those first).
func (s *server) pickers(r *http.Request, p *Page, actor domain.Actor, command string, values func(string) string, fields []FieldView) (waiting []string) {
	if s.cfg.Queries == nil {
		return nil
	}
	ctx, cancel := s.queryContext(r)
	defer cancel()
	c := &pickContext{ctx: ctx, s: s, p: p, actor: actor, command: command}
	dir, err := s.freshDirectory(ctx)
	if err != nil {
		s.cfg.Logger.Warn("form pickers: the lists cannot be read", "err", err)
		return nil
	}
	c.dir = dir
	have := map[string]bool{}
	for _, f := range fields {
		have[f.Name] = true
	}
	for i := range fields {
		f := &fields[i]
		pk := pickerFor(command, f.Name)
		if pk == nil || (f.Type != "text" && f.Type != "textarea") {
			continue
		}
		parent := ""
		if pk.parent != "" {
			parent = values(pk.parent)
			if parent == "" && have[pk.parent] {
				waiting = append(waiting, pk.parent)
				continue
			}
		}
		opts, err := pk.options(c, parent)
		if err != nil {
			s.cfg.Logger.Warn("form pickers", "command", command, "field", f.Name, "err", err)
			continue
		}
		if len(opts) > maxPickerOptions {
			opts = opts[:maxPickerOptions]
		}
		if pk.multi {
			chosen := splitList(f.Value)
			for _, v := range chosen {
				if !slices.ContainsFunc(opts, func(o OptionView) bool { return o.Value == v }) {
					opts = append(opts, OptionView{Value: v, Label: v})
				}
			}
			for j := range opts {
				opts[j].Selected = slices.Contains(chosen, opts[j].Value)
			}
			f.Type, f.Options = "checkboxes", opts
			if len(opts) == 0 {
				f.Hint = strings.TrimSpace(f.Hint + " " + p.T("picker.none"))
			}
			described(f)
			continue
		}
		if f.Value != "" && !slices.ContainsFunc(opts, func(o OptionView) bool { return o.Value == f.Value }) {
			opts = append(opts, OptionView{Value: f.Value, Label: f.Value})
		}
		if len(opts) == 0 {
			f.Hint = strings.TrimSpace(f.Hint + " " + p.T("picker.none"))
		}
		opts = append([]OptionView{{Value: "", Label: p.T("picker.choose")}}, opts...)
		for j := range opts {
			opts[j].Selected = opts[j].Value == f.Value
		}
		f.Type, f.Options = "select", opts
		described(f)
	}
	return waiting
}

// labelled is "words (ID)": the words a person knows it by, and the ID.
func labelled(words, id string) string {
	if words = strings.TrimSpace(words); words == "" || words == id {
		return id
	}
	return words + " (" + id + ")"
}

// proposalOptions: the proposals the command may act on.
func proposalOptions(c *pickContext, _ string) ([]OptionView, error) {
	now := c.s.now()
	keep := func(pr *readmodels.ProposalTally) bool {
		switch c.command {
		case domain.CmdPublishProposal:
			return pr.Status == domain.ProposalStatusSubmitted
		case domain.CmdSignProposal:
			return (pr.Status == domain.ProposalStatusPublished || pr.Status == domain.ProposalStatusEstablished) && (pr.SigningClosesAt.IsZero() || now.Before(pr.SigningClosesAt))
		case domain.CmdExpireProposal:
			return pr.Status == domain.ProposalStatusPublished
		case domain.CmdInvalidateSignature:
			return pr.Valid > 0
		case domain.CmdAssignLeads:
			return (pr.Status == domain.ProposalStatusPublished || pr.Status == domain.ProposalStatusEstablished) && !pr.Response.Answered()
		case domain.CmdRespondToProposal, domain.CmdExtendResponseDeadline, domain.CmdMarkResponseOverdue:
			return pr.Status == domain.ProposalStatusEstablished && (c.actor.Role != domain.RoleMinistry || len(pr.Leads) == 0 || slices.Contains(pr.Leads, string(c.actor.Ministry)))
		}
		return true
	}
	var out []OptionView
	ps := c.dir.proposals
	for i := len(ps) - 1; i >= 0; i-- { // IDs carry their date: newest first
		if keep(&ps[i]) {
			out = append(out, OptionView{Value: ps[i].ProposalID, Label: labelled(ps[i].Title, ps[i].ProposalID)})
		}
	}
	return out, nil
}

// ownMinistry is the ministry whose cases a PO or ministry account acts
// on ("" for others, who see every case).
func ownMinistry(a domain.Actor) string {
	if a.Role == domain.RolePO || a.Role == domain.RoleMinistry {
		return string(a.Ministry)
	}
	return ""
}

// caseOptions: the cases, a PO's or ministry's own (lead or co-organiser)
// only; open cases first, then closed ones, most recently changed first.
func caseOptions(c *pickContext, _ string) ([]OptionView, error) {
	m := ownMinistry(c.actor)
	cs := slices.Clone(c.dir.cases)
	slices.SortStableFunc(cs, func(a, b readmodels.CaseSummary) int {
		if ac, bc := a.Stage == domain.StageClosed, b.Stage == domain.StageClosed; ac != bc {
			if ac {
				return 1
			}
			return -1
		}
		return b.LastChange.Compare(a.LastChange)
	})
	var out []OptionView
	for _, cs := range cs {
		if m != "" && cs.Lead != m && !slices.Contains(cs.CoOrganisers, m) {
			continue
		}
		out = append(out, OptionView{Value: cs.CaseID, Label: labelled(cs.Title, cs.CaseID) + " · " + c.p.L("stage", string(cs.Stage))})
	}
	return out, nil
}

// meetingOptions: the meetings (of the case, when the field's parent is
// one); the monthly meetings for the PO monthly meeting's commands.
// Closed meetings are left out of the commands of a meeting under way.
func meetingOptions(c *pickContext, caseID string) ([]OptionView, error) {
	if strings.HasPrefix(c.command, "monthly.") {
		return monthlyOptions(c, "")
	}
	ms := slices.Clone(c.dir.meetings)
	slices.SortStableFunc(ms, func(a, b readmodels.MeetingRecord) int { return b.StartsAt.Compare(a.StartsAt) })
	open := slices.Contains([]string{domain.CmdAddParticipant, domain.CmdRecordAttendance, domain.CmdAddNote, domain.CmdPostQuestion, domain.CmdCloseMeeting, domain.CmdStartTranscript}, c.command)
	var out []OptionView
	for _, m := range ms {
		if caseID != "" && m.CaseID != caseID || open && m.Closed != nil {
			continue
		}
		label := labelled(m.Title, m.MeetingID)
		if !m.StartsAt.IsZero() {
			label += " · " + formatTime(m.StartsAt)
		}
		out = append(out, OptionView{Value: m.MeetingID, Label: label})
	}
	return out, nil
}

// monthlyOptions: the PO monthly meetings, newest first.
func monthlyOptions(c *pickContext, _ string) ([]OptionView, error) {
	ms := slices.Clone(c.dir.monthly)
	slices.SortStableFunc(ms, func(a, b readmodels.MonthlyTally) int { return strings.Compare(b.HeldOn.String(), a.HeldOn.String()) })
	var out []OptionView
	for _, m := range ms {
		if c.command == domain.CmdCastBallot && (m.Opened == nil || m.Closed != nil) {
			continue
		}
		out = append(out, OptionView{Value: m.MeetingID, Label: labelled(m.HeldOn.String(), m.MeetingID)})
	}
	return out, nil
}

// candidateOptions: the candidates of a monthly meeting.
func candidateOptions(c *pickContext, meeting string) ([]OptionView, error) {
	m, ok, err := readmodels.Monthly(c.ctx, c.s.cfg.Queries.Reader(readmodels.TalliesName), domain.MonthlyMeetingID(meeting))
	if err != nil || !ok {
		return nil, err
	}
	var out []OptionView
	for _, cd := range m.Candidates {
		out = append(out, OptionView{Value: cd.CandidateID, Label: labelled(cd.Title, cd.CandidateID)})
	}
	return out, nil
}

// ministryOptions: the registered ministries and agencies, by code.
func ministryOptions(c *pickContext, _ string) ([]OptionView, error) {
	var out []OptionView
	for _, m := range c.dir.names.All() {
		if !m.Registered {
			continue
		}
		name, _ := m.In(c.p.Lang)
		out = append(out, OptionView{Value: m.Code, Label: labelled(name, m.Code)})
	}
	return out, nil
}

// poOptions: the POs of the registry; a PO sees only themselves.
func poOptions(c *pickContext, _ string) ([]OptionView, error) {
	var out []OptionView
	for _, po := range c.dir.pos {
		if c.actor.Role == domain.RolePO && po.POID != c.actor.ID {
			continue
		}
		label := labelled(po.Name, po.POID) + " · " + po.Ministry
		if po.Retired {
			label += " (" + c.p.T("picker.retired") + ")"
		}
		out = append(out, OptionView{Value: po.POID, Label: label})
	}
	return out, nil
}

// meeting reads a meeting as staff see it.
func (c *pickContext) meeting(id string) (readmodels.MeetingRecord, bool, error) {
	return readmodels.Meeting(c.ctx, c.s.cfg.Queries.Reader(readmodels.TranscriptsName), domain.MeetingID(id), readmodels.Auditor)
}

// caseCard reads a case.
func (c *pickContext) caseCard(id string) (readmodels.CaseCard, bool, error) {
	return readmodels.Case(c.ctx, c.s.cfg.Queries.Reader(readmodels.CaseBoardName), domain.CaseID(id), readmodels.Public)
}

// utteranceOptions: the meeting's utterances in transcript order, by
// speaker and first words; for a speaker's edit, their own only.
func utteranceOptions(c *pickContext, meeting string) ([]OptionView, error) {
	m, ok, err := c.meeting(meeting)
	if err != nil || !ok || m.Transcript == nil {
		return nil, err
	}
	var out []OptionView
	for _, u := range m.Transcript.Utterances {
		if u.Removed != nil {
			continue
		}
		who := ""
		if u.Speaker != nil {
			who = u.Speaker.Name
			if c.command == domain.CmdEditUtterance && u.Speaker.ActorID != c.actor.ID {
				continue
			}
		}
		out = append(out, OptionView{Value: u.UtteranceID, Label: strings.TrimPrefix(who+"：", "：") + firstWords(u.Paragraphs) + " (" + u.UtteranceID + ")"})
	}
	return out, nil
}

// noteOptions: the meeting's notes still on the board.
func noteOptions(c *pickContext, meeting string) ([]OptionView, error) {
	m, ok, err := c.meeting(meeting)
	if err != nil || !ok {
		return nil, err
	}
	var out []OptionView
	for _, n := range m.Notes {
		if n.Removed == nil {
			out = append(out, OptionView{Value: n.NoteID, Label: labelled(firstWords([]string{n.Text}), n.NoteID)})
		}
	}
	return out, nil
}

// participantOptions: the meeting's participants.
func participantOptions(c *pickContext, meeting string) ([]OptionView, error) {
	m, ok, err := c.meeting(meeting)
	if err != nil || !ok {
		return nil, err
	}
	var out []OptionView
	for _, pt := range m.Participants {
		out = append(out, OptionView{Value: pt.ParticipantID, Label: labelled(pt.Name, pt.ParticipantID)})
	}
	return out, nil
}

// meetingStakeholderOptions: the stakeholders of the meeting's case.
func meetingStakeholderOptions(c *pickContext, meeting string) ([]OptionView, error) {
	m, ok, err := c.meeting(meeting)
	if err != nil || !ok || m.CaseID == "" {
		return nil, err
	}
	return stakeholderOptions(c, m.CaseID)
}

// stakeholderOptions: the case's stakeholder inventory.
func stakeholderOptions(c *pickContext, caseID string) ([]OptionView, error) {
	card, ok, err := c.caseCard(caseID)
	if err != nil || !ok {
		return nil, err
	}
	var out []OptionView
	for _, sh := range card.Stakeholders {
		out = append(out, OptionView{Value: sh.StakeholderID, Label: labelled(sh.Name, sh.StakeholderID) + " · " + c.p.L("category", string(sh.Category))})
	}
	return out, nil
}

// questionOptions: the meeting's questions not yet answered or archived.
func questionOptions(c *pickContext, meeting string) ([]OptionView, error) {
	m, ok, err := c.meeting(meeting)
	if err != nil || !ok {
		return nil, err
	}
	var out []OptionView
	for _, q := range m.Questions {
		if q.Answer == nil && q.Archived == nil {
			out = append(out, OptionView{Value: q.QuestionID, Label: firstWords([]string{q.Text})})
		}
	}
	return out, nil
}

// recommendationOptions: the case's recommendations; a ministry's, those
// addressed to it, each marked once answered.
func recommendationOptions(c *pickContext, caseID string) ([]OptionView, error) {
	card, ok, err := c.caseCard(caseID)
	if err != nil || !ok {
		return nil, err
	}
	var out []OptionView
	for _, rec := range card.Recommendations {
		if c.actor.Role == domain.RoleMinistry && !slices.Contains(rec.Addressees, string(c.actor.Ministry)) {
			continue
		}
		label := firstWords([]string{rec.Text})
		if c.actor.Role == domain.RoleMinistry && !slices.Contains(card.Unanswered[rec.RecommendationID], string(c.actor.Ministry)) {
			label += " (" + c.p.T("picker.answered") + ")"
		}
		out = append(out, OptionView{Value: rec.RecommendationID, Label: label})
	}
	return out, nil
}

// signatureOptions: the proposal's valid signatures, the most recent
// first page of the staff's signature list (signatures.go finds the
// others by pseudonym or time, and opens this form with one chosen).
func signatureOptions(c *pickContext, proposal string) ([]OptionView, error) {
	page, err := readmodels.SignaturesOf(c.ctx, c.s.cfg.Queries.Reader(readmodels.SignaturesName), domain.ProposalID(proposal), readmodels.SignatureQuery{Limit: 100})
	if err != nil {
		return nil, err
	}
	var out []OptionView
	for _, sg := range page.Signatures {
		if sg.Invalidated == nil {
			out = append(out, OptionView{Value: sg.SignatureID, Label: signatureLabel(c.p, sg)})
		}
	}
	return out, nil
}

// signatureLabel names a signature for staff: when, the pseudonym's first
// twelve characters, the county.
func signatureLabel(p *Page, sg readmodels.Signature) string {
	s := formatTime(sg.OccurredAt) + " · " + shortPseudonym(sg.Signer)
	if sg.County != "" {
		s += " · " + countyName(p, sg.County)
	}
	return s
}

// shortPseudonym is a pseudonym's first twelve characters.
func shortPseudonym(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

// countyName is a county key's name in the page's language.
func countyName(p *Page, key string) string {
	for _, c := range readmodels.TaiwanCounties {
		if c.Key == key {
			if p.Lang == LangEn {
				return c.EN
			}
			return c.ZH
		}
	}
	return p.T("picker.county." + key)
}

package web

// The forms: one page per command of the policy table, for the roles the
// table allows, each posted through the same decoding and the same
// app.Ledger.Execute as the JSON API (commands_json.go, api_commands.go).
//
//	GET  /act/{command}?field=value   the form (fields prefilled from the query)
//	POST /act/{command}               records it, or shows the refusal next to its field
//	GET  /me/recorded/{cid}           what a recorded form stored
//
// A form's fields come from the command's struct, named as in the JSON
// API. IDs a person would not choose (a new case's, a note's, an
// utterance's, ...) are made by the server. Each rendered form carries a
// command ID: posting it again (a double click, the back button) records
// nothing more and shows what the first post recorded. A refusal renders
// the form again with the GOV.UK error summary at the top and the rule's
// message next to its field, and stores nothing.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
)

// FormView is a command's form as its template sees it.
type FormView struct {
	// Command is the command's name; Action the form's URL.
	Command, Action string
	// Intro says what the form does (a sentence), when the catalogue has one.
	Intro  string
	Fields []FieldView
	// Errors are the refusal's messages for the summary, each linking to
	// its field (the form itself when it has none).
	Errors []FieldError
	// ErrorTitle heads the error summary.
	ErrorTitle string
	// CSRF and CID are the hidden session token and command ID.
	CSRF, CID string
	// Submit labels the button.
	Submit string
	// Extra is markup a special form adds above the fields (a preview).
	Extra any
	// Step is set when the form first asks for where to look (the meeting
	// whose note it names): a GET form of those fields only, which opens
	// the whole form with them chosen.
	Step bool
	// Find links to where to find what a picker cannot list (a proposal's
	// signatures, signatures.go).
	Find string
}

// FieldView is one field of a form.
type FieldView struct {
	Name, ID, Label, Hint string
	// Type is text, textarea, select, date, datetime-local, number or
	// checkbox.
	Type    string
	Value   string
	Checked bool
	Options []OptionView
	Error   string
	// Described lists the ids of the hint and the error, for
	// aria-describedby.
	Described string
}

// OptionView is one choice of a select.
type OptionView struct {
	Value, Label string
	Selected     bool
}

// FieldError is one message of the error summary.
type FieldError struct {
	// Field is the id of the field it concerns ("" for the form).
	Field, Message string
}

// formField describes how one struct field is entered.
type formField struct {
	name  string // JSON member name; "speaker.name" for a nested member
	path  []int  // index path into the command struct
	kind  string // text, textarea, select, date, datetime-local, number, checkbox, list, paragraphs
	enum  string // catalogue kind of a select's labels
	vals  []string
	gen   string // the prefix of a server-made ID ("" if a person enters it)
	typ   reflect.Type
	label string
}

// formEnums are the domain's enumerations a select offers, with the catalogue
// kind that labels them.
var formEnums = map[reflect.Type]struct {
	kind string
	vals []string
}{
	reflect.TypeFor[domain.CaseStage](): {"stage", []string{string(domain.StageTopicSet), string(domain.StageDivisionOfLabour), string(domain.StageResearch), string(domain.StagePreMeeting),
		string(domain.StageMeetings), string(domain.StageReported), string(domain.StageDirective), string(domain.StageResponses), string(domain.StageClosed)}},
	reflect.TypeFor[domain.PORole]():         {"porole", []string{string(domain.POChief), string(domain.POUnit)}},
	reflect.TypeFor[domain.CandidateKind]():  {"candidate", []string{string(domain.CandidateEstablishedProposal), string(domain.CandidateMinistryProposal), string(domain.CandidatePDISProposal), string(domain.CandidateEYAssignment)}},
	reflect.TypeFor[domain.CaseSourceKind](): {"source", []string{string(domain.SourceVotedTopic), string(domain.SourceAssignment), string(domain.SourceImported)}},
	reflect.TypeFor[domain.DirectiveKind]():  {"directive", []string{string(domain.DirectiveWithinAuthority), string(domain.DirectiveSpecific)}},
	reflect.TypeFor[domain.Verdict]():        {"verdict", []string{string(domain.VerdictAdopted), string(domain.VerdictPartly), string(domain.VerdictNotAdopted), string(domain.VerdictDeferred)}},
	reflect.TypeFor[domain.MeetingKind]():    {"kind", []string{string(domain.MeetingCollaborative), string(domain.MeetingPreMeeting), string(domain.MeetingWorking), string(domain.MeetingOther), string(domain.MeetingPOMonthly)}},
	reflect.TypeFor[domain.Phase]():          {"phase", []string{string(domain.PhaseDiscover), string(domain.PhaseDefine), string(domain.PhaseDevelop), string(domain.PhaseDeliver)}},
	reflect.TypeFor[domain.ParticipantRole](): {"role", []string{string(domain.ParticipantHost), string(domain.ParticipantProposer), string(domain.ParticipantMinistry), string(domain.ParticipantStakeholder),
		string(domain.ParticipantExpert), string(domain.ParticipantObserver), string(domain.ParticipantStenographer)}},
	reflect.TypeFor[domain.Board]():          {"board", []string{string(domain.BoardMindMap), string(domain.BoardConceptSheet)}},
	reflect.TypeFor[domain.ConceptSection](): {"section", []string{"", string(domain.SectionProblem), string(domain.SectionSubProblem), string(domain.SectionSolution), string(domain.SectionRisk), string(domain.SectionOvercome), string(domain.SectionResponsibleUnit), string(domain.SectionVision)}},
	reflect.TypeFor[domain.RecordingKind]():  {"recording", []string{string(domain.RecordingVideo), string(domain.RecordingLiveStream), string(domain.RecordingAudio)}},
	reflect.TypeFor[domain.UtteranceKind]():  {"ukind", []string{string(domain.UtteranceSpeech), string(domain.UtteranceNarration), string(domain.UtteranceHeading)}},
	reflect.TypeFor[domain.StakeholderCategory](): {"category", []string{string(domain.StakeholderProposer), string(domain.StakeholderGovernment), string(domain.StakeholderIndustry), string(domain.StakeholderCivilSociety),
		string(domain.StakeholderAcademia), string(domain.StakeholderAffectedPublic), string(domain.StakeholderOther)}},
}

// generatedIDs are the IDs the server makes, by command and member, with
// their prefix: a person names none of these.
var generatedIDs = map[string]map[string]string{
	domain.CmdSubmitProposal:       {"proposalId": "p"},
	domain.CmdAddCandidate:         {"candidateId": "cand"},
	domain.CmdOpenCase:             {"caseId": "case"},
	domain.CmdAddStakeholder:       {"stakeholderId": "sh"},
	domain.CmdRecordInterview:      {"interviewId": "iv"},
	domain.CmdAddMaterial:          {"materialId": "mat"},
	domain.CmdRecordRecommendation: {"recommendationId": "rec"},
	domain.CmdScheduleMeeting:      {"meetingId": "m"},
	domain.CmdAddParticipant:       {"participantId": "pt"},
	domain.CmdAddNote:              {"noteId": "note"},
	domain.CmdPostQuestion:         {"questionId": "q"},
	domain.CmdAddRecording:         {"recordingId": "rcd"},
	domain.CmdRecordUtterance:      {"utteranceId": "u"},
	domain.CmdInsertUtterance:      {"utteranceId": "u"},
}

// callerFields are filled from the signed-in actor, never from the form.
var callerFields = map[string][]string{domain.CmdSignProposal: {"signer"}}

// longText are members entered in a text area.
var longText = map[string]bool{"summary": true, "text": true, "reasons": true, "followUp": true, "answer": true, "note": true, "reason": true}

var (
	typeDate    = reflect.TypeFor[calendar.Date]()
	typeTime    = reflect.TypeFor[time.Time]()
	typeUUID    = reflect.TypeFor[uuid.UUID]()
	typeSpeaker = reflect.TypeFor[domain.Speaker]()
)

// commandForm returns the fields of the named command's form, and false
// for a command no form offers (the importer's, with lists of records).
func commandForm(name string) ([]formField, bool) {
	info, ok := app.LookupCommand(name)
	if !ok {
		return nil, false
	}
	t := reflect.TypeOf(info.Prototype)
	var out []formField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		n := jsonName(f)
		if f.Tag.Get("json") == "-" || slices.Contains(callerFields[name], n) {
			continue
		}
		ff := formField{name: n, path: []int{i}, typ: f.Type, gen: generatedIDs[name][n], label: "field." + n}
		switch {
		case f.Type == typeSpeaker:
			for j, sub := range []struct{ member, label string }{{"actorId", "field.speakerActor"}, {"name", "field.speakerName"}} {
				_ = j
				out = append(out, formField{name: "speaker." + sub.member, kind: "text", typ: reflect.TypeFor[string](), label: sub.label})
			}
			continue
		case f.Type == typeDate:
			ff.kind = "date"
		case f.Type == typeTime:
			ff.kind = "datetime-local"
		case f.Type == typeUUID:
			ff.kind = "text"
		case formEnums[f.Type].kind != "":
			ff.kind, ff.enum, ff.vals = "select", formEnums[f.Type].kind, formEnums[f.Type].vals
		case f.Type.Kind() == reflect.String && longText[n]:
			ff.kind = "textarea"
		case f.Type.Kind() == reflect.String:
			ff.kind = "text"
		case f.Type.Kind() == reflect.Bool:
			ff.kind = "checkbox"
		case f.Type.Kind() == reflect.Int:
			ff.kind = "number"
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String && n == "paragraphs":
			ff.kind = "paragraphs"
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
			ff.kind = "list"
		case f.Type == reflect.TypeFor[[]domain.RecommendationSource]():
			ff.kind = "sources" // "kind:id" items, as a list (pages_chain.go)
		default:
			return nil, false
		}
		out = append(out, ff)
	}
	return out, true
}

// newID makes a server ID: prefix, the Taipei date and six random
// characters ("case-20261206-k3x9qa").
func newID(prefix string, now time.Time) string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := []byte(randomToken())
	out := make([]byte, 6)
	for i := range out {
		out[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return prefix + "-" + now.In(calendar.Taipei).Format("20060102") + "-" + string(out)
}

var blankLines = regexp.MustCompile(`\n[ \t\r]*\n`)

// splitParagraphs splits a text area at blank lines.
func splitParagraphs(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out []string
	for _, p := range blankLines.Split(s, -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// splitList splits a list of IDs at commas, spaces and line breaks.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '、' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// formBody turns posted values into the command's JSON body, making the
// server's IDs. Errors name the field.
func formBody(name string, fields []formField, get func(string) string, now time.Time) ([]byte, map[string]string, []FieldError) {
	body := map[string]any{}
	made := map[string]string{}
	var errs []FieldError
	speaker := map[string]string{}
	for _, f := range fields {
		v := strings.TrimSpace(get(f.name))
		if member, ok := strings.CutPrefix(f.name, "speaker."); ok {
			if v != "" {
				speaker[member] = v
			}
			continue
		}
		switch f.kind {
		case "checkbox":
			body[f.name] = v != ""
		case "number":
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, FieldError{Field: "f-" + f.name, Message: "number"})
				continue
			}
			body[f.name] = n
		case "datetime-local":
			if v == "" {
				continue
			}
			t, err := time.ParseInLocation("2006-01-02T15:04", v, calendar.Taipei)
			if err != nil {
				if t, err = time.Parse(time.RFC3339, v); err != nil {
					errs = append(errs, FieldError{Field: "f-" + f.name, Message: "datetime"})
					continue
				}
			}
			body[f.name] = t.UTC().Format(time.RFC3339)
		case "paragraphs":
			if ps := splitParagraphs(get(f.name)); len(ps) > 0 {
				body[f.name] = ps
			}
		case "list":
			if l := splitList(v); len(l) > 0 {
				body[f.name] = l
			}
		case "sources":
			if l := splitList(v); len(l) > 0 {
				body[f.name] = sourcesOf(l)
			}
		default:
			if v == "" && f.gen != "" {
				v = newID(f.gen, now)
				made[f.name] = v
			}
			if v != "" {
				body[f.name] = v
			}
		}
	}
	if len(speaker) > 0 {
		body["speaker"] = speaker
	}
	raw, err := json.Marshal(body)
	if err != nil {
		errs = append(errs, FieldError{Message: err.Error()})
	}
	return raw, made, errs
}

// memberRef finds the member a decoding error names (`member "x"`).
var memberRef = regexp.MustCompile(`member "([A-Za-z.]+)"`)

// fieldOfRule returns the form field a refusal concerns, or "".
func fieldOfRule(fields []formField, rule, msg string) string {
	if m := memberRef.FindStringSubmatch(msg); m != nil {
		for _, f := range fields {
			if strings.EqualFold(f.name, m[1]) {
				return "f-" + f.name
			}
		}
	}
	if strings.HasSuffix(rule, ".id_invalid") && len(fields) > 0 {
		return "f-" + fields[0].name // the target's ID comes first
	}
	// The rule's last segment names the field it checks
	// ("case.change_stage.reason_missing", "proposal.submit.title_empty").
	last := rule[strings.LastIndex(rule, ".")+1:]
	best := ""
	for _, f := range fields {
		sn := snake(f.name)
		if strings.HasPrefix(last, sn+"_") || last == sn || strings.Contains(last, "_"+sn+"_") || strings.HasSuffix(last, "_"+sn) {
			if len(sn) > len(best) {
				best = f.name
			}
		}
	}
	if best == "" {
		return ""
	}
	return "f-" + best
}

// snake turns "newDueDate" into "new_due_date".
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r + 'a' - 'A')
			continue
		}
		if r == '.' {
			b.WriteByte('_')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ruleMessage is a refusal's message in the page's language: the
// catalogue's "rule.<code>" when it has one (worded for a person at a
// form), else the refusal's own words in that language.
func ruleMessage(p *Page, re *domain.RuleError) string {
	if m, ok := catalogue[p.Lang]["rule."+re.Rule]; ok {
		return m
	}
	if strings.HasSuffix(re.Rule, ".id_invalid") {
		return p.T("rule.id_invalid")
	}
	return re.Message(p.Lang == LangZhHant)
}

// fieldViews renders the form's fields with the values posted or asked
// for (values) and the errors found (errs by field id).
func fieldViews(p *Page, fields []formField, values func(string) string, errs map[string]string) []FieldView {
	out := make([]FieldView, 0, len(fields))
	for _, f := range fields {
		if f.gen != "" {
			continue // made by the server
		}
		v := FieldView{Name: f.name, ID: "f-" + f.name, Label: p.T(f.label), Type: f.kind, Value: values(f.name), Error: errs["f-"+f.name]}
		if h, ok := catalogue[p.Lang][f.label+".hint"]; ok {
			v.Hint = h
		}
		switch f.kind {
		case "select":
			for _, o := range f.vals {
				label := p.L(f.enum, o)
				if o == "" {
					label = p.T("form.none")
				}
				v.Options = append(v.Options, OptionView{Value: o, Label: label, Selected: o == v.Value})
			}
		case "checkbox":
			v.Checked = v.Value != "" && v.Value != "false"
		case "paragraphs", "list", "sources":
			v.Type = "textarea"
			if f.kind == "sources" && v.Hint == "" {
				v.Hint = p.T("form.sources.hint")
			}
			if f.kind == "paragraphs" && v.Hint == "" {
				v.Hint = p.T("form.paragraphs.hint")
			}
			if f.kind == "list" && v.Hint == "" {
				v.Hint = p.T("form.list.hint")
			}
		}
		described(&v)
		out = append(out, v)
	}
	return out
}

// described sets the ids of a field's hint and error, for
// aria-describedby.
func described(v *FieldView) {
	var ids []string
	if v.Hint != "" && v.Type != "checkbox" {
		ids = append(ids, v.ID+"-hint")
	}
	if v.Error != "" {
		ids = append(ids, v.ID+"-error")
	}
	v.Described = strings.Join(ids, " ")
}

// formAllowed reports whether the actor's role may issue the command.
func formAllowed(name string, actor domain.Actor) bool {
	return domain.Authorize(name, actor) == nil
}

// formFields returns the fields of the named command's form, or answers
// that there is no such form.
func (s *server) formFields(w http.ResponseWriter, r *http.Request, p *Page, name string) ([]formField, bool) {
	fields, ok := commandForm(name)
	if !ok {
		s.pageError(w, r, p, notFound(r.URL.Path))
	}
	return fields, ok
}

// formPage renders the form of cmd (GET).
func (s *server) formPage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("command")
	sess, p, ok := s.requireSession(w, r)
	if !ok {
		return
	}
	fields, ok := s.formFields(w, r, p, name)
	if !ok {
		return
	}
	if !formAllowed(name, sess.actor) {
		s.pageError(w, r, p, domain.NewRuleError(domain.ErrForbidden, "policy.role", "not for this role", "這個角色不能使用"))
		return
	}
	s.renderForm(w, r, p, sess, name, fields, joinedValues(r.URL.Query()), uuid.NewString(), nil, http.StatusOK)
}

// renderForm renders a command's form.
func (s *server) renderForm(w http.ResponseWriter, r *http.Request, p *Page, sess *session, name string, fields []formField, values func(string) string, cid string, errs []FieldError, status int) {
	byField := map[string]string{}
	for _, e := range errs {
		if e.Field != "" {
			byField[e.Field] = e.Message
		}
	}
	p.Title = p.T("cmd." + name)
	if len(errs) > 0 {
		p.Title = p.T("form.error.prefix") + p.Title
	}
	fv := FormView{Command: name, Action: "/act/" + name, Fields: fieldViews(p, fields, values, byField), Errors: errs, ErrorTitle: p.T("form.error.summary"),
		CSRF: sess.csrf, CID: cid, Submit: p.T("form.submit")}
	if intro, ok := catalogue[p.Lang]["cmd."+name+".intro"]; ok {
		fv.Intro = intro
	}
	if pid := values("proposalId"); name == domain.CmdInvalidateSignature && pid != "" {
		fv.Find = "/admin/proposals/" + url.PathEscape(pid) + "/signatures"
	}
	if waiting := s.pickers(r, p, sess.actor, name, values, fv.Fields); len(waiting) > 0 && len(errs) == 0 {
		// ask for where to look first
		fv.Step, fv.Submit, fv.Intro = true, p.T("form.continue"), p.T("form.step.intro")
		fv.Fields = slices.DeleteFunc(fv.Fields, func(f FieldView) bool { return !slices.Contains(waiting, f.Name) })
		for i := range fv.Fields {
			if f := &fv.Fields[i]; r.Method == http.MethodGet && r.URL.Query().Has(f.Name) {
				// "Continue" with nothing chosen
				f.Error = p.T("picker.choose.first")
				fv.Errors = append(fv.Errors, FieldError{Field: f.ID, Message: f.Error})
				described(f)
			}
		}
		if len(fv.Errors) > 0 {
			p.Title = p.T("form.error.prefix") + p.T("cmd."+name)
		}
	}
	p.Data = fv
	p.Status = status
	s.renderForms(w, r, "form", p)
}

// formPost records a command's form (POST).
func (s *server) formPost(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("command")
	sess, p, ok := s.requirePostSession(w, r)
	if !ok {
		return
	}
	fields, ok := s.formFields(w, r, p, name)
	if !ok {
		return
	}
	cid := r.PostFormValue("cid")
	if _, err := uuid.Parse(cid); err != nil {
		cid = uuid.NewString()
	}
	if d, ok := s.sessions.recorded(sess, cid); ok && d.Command == name {
		http.Redirect(w, r, "/me/recorded/"+cid, http.StatusSeeOther)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	posted := joinedValues(r.PostForm)
	refused := func(errs []FieldError) {
		s.renderForm(w, r, p, sess, name, fields, posted, cid, errs, http.StatusUnprocessableEntity)
	}
	actor, err := s.sessionActor(ctx, sess)
	if err != nil {
		s.refusal(w, r, p, err, refused, fields)
		return
	}
	if !formAllowed(name, actor) {
		s.pageError(w, r, p, domain.NewRuleError(domain.ErrForbidden, "policy.role", "not for this role", "這個角色不能使用"))
		return
	}
	body, made, ferrs := formBody(name, fields, posted, s.now())
	if len(ferrs) > 0 {
		for i := range ferrs {
			ferrs[i].Message = p.T("form.invalid." + ferrs[i].Message)
		}
		refused(ferrs)
		return
	}
	cmd, err := decodeCommand(name, body)
	if err != nil {
		refused([]FieldError{{Field: fieldOfRule(fields, "", err.Error()), Message: err.Error()}})
		return
	}
	res, err := s.cfg.Ledger.Execute(ctx, actor, asCaller(cmd, actor), app.WithCommandID(cid))
	if err != nil {
		s.refusal(w, r, p, err, refused, fields)
		return
	}
	rv := recordedView(name, res)
	for _, f := range fields {
		if v, ok := made[f.name]; ok {
			rv.Made = append(rv.Made, MadeID{Field: f.name, Label: p.T(f.label), Value: v})
		}
	}
	s.sessions.remember(r.Context(), sess, cid, doneForm{Command: name, Result: rv})
	http.Redirect(w, r, "/me/recorded/"+cid, http.StatusSeeOther)
}

// joinedValues reads a form's values, a list's (checkboxes) joined by
// line breaks (splitList splits them again).
func joinedValues(v url.Values) func(string) string {
	return func(name string) string { return strings.Join(v[name], "\n") }
}

// MadeID is an ID the server made for a recorded form.
type MadeID struct {
	Field, Label, Value string
}

// refusal shows a refused command: the rule's message at its field, or an
// error page for what is not the person's to fix.
func (s *server) refusal(w http.ResponseWriter, r *http.Request, p *Page, err error, refused func([]FieldError), fields []formField) {
	var re *domain.RuleError
	if errors.As(err, &re) {
		refused([]FieldError{{Field: fieldOfRule(fields, re.Rule, re.Msg), Message: ruleMessage(p, re)}})
		return
	}
	s.pageError(w, r, p, err)
}

func (s *server) now() time.Time {
	if s.cfg.SignIn != nil && s.cfg.SignIn.Now != nil {
		return s.cfg.SignIn.Now()
	}
	return time.Now()
}

// RecordedView is what a recorded form shows.
type RecordedView struct {
	Command string
	Stream  string
	// Link is the page of what the command changed, if it has one.
	Link   string
	Events []RecordedEvent
	// Made are the IDs the server made.
	Made []MadeID
}

// RecordedEvent is one stored event.
type RecordedEvent struct {
	Type     string
	Version  uint64
	Position uint64
	Hash     string
}

func recordedView(name string, res app.Result) RecordedView {
	v := RecordedView{Command: name, Stream: res.Stream, Link: streamPage(res.Stream)}
	for _, e := range res.Events {
		v.Events = append(v.Events, RecordedEvent{Type: e.Type, Version: e.Version, Position: uint64(e.Position), Hash: fmt.Sprint(e.Hash)})
	}
	return v
}

// streamPage is the public page of a stream's aggregate, or "".
func streamPage(stream string) string {
	for _, m := range []struct{ prefix, page string }{
		{"proposal-", "/proposals/"}, {"po-monthly-", "/monthly/"}, {"case-", "/cases/"}, {"meeting-", "/meetings/"}, {"transcript-", "/meetings/"},
	} {
		if id, ok := strings.CutPrefix(stream, m.prefix); ok {
			return m.page + id
		}
	}
	return ""
}

// recordedPage shows what a form recorded.
func (s *server) recordedPage(w http.ResponseWriter, r *http.Request) {
	sess, p, ok := s.requireSession(w, r)
	if !ok {
		return
	}
	d, ok := s.sessions.recorded(sess, r.PathValue("cid"))
	if !ok {
		s.pageError(w, r, p, notFound(r.URL.Path))
		return
	}
	p.Title = p.T("recorded.title")
	p.Data = d
	s.renderForms(w, r, "recorded", p)
}

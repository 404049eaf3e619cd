package importer

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
)

// ClassKind is what a title says a meeting is in the participation
// process.
type ClassKind string

// Classes of meeting.
const (
	// ClassCollaborative: a numbered collaborative meeting (第N次協作會議),
	// possibly one session of several (（第二場）).
	ClassCollaborative ClassKind = "collaborative"
	// ClassPreMeeting: a pre-meeting (會前會) of a numbered collaborative
	// meeting.
	ClassPreMeeting ClassKind = "pre_meeting"
	// ClassWorking: a working meeting (工作會議) of a numbered collaborative
	// meeting.
	ClassWorking ClassKind = "working"
	// ClassMonthly: a PO monthly meeting (PO第N次月會, 開放政府聯絡人工作推動會議).
	ClassMonthly ClassKind = "po_monthly"
	// ClassConsensus: a yearly consensus meeting or camp (共識會議, 共識營).
	ClassConsensus ClassKind = "consensus"
	// ClassTopic: a meeting of a case named by its topic, not its number
	// (【人權公投案】協作會議-會前會, 澎湖案第二次會前會): Of says which kind
	// of meeting, Topic the topic; Classify attaches it to the numbered case
	// whose collaborative meetings speak of the topic.
	ClassTopic ClassKind = "topic"
	// ClassOutside: a meeting of another body or process that a title
	// names (a vTaiwan consultation's, the Youth Advisory Committee's, the
	// social-innovation liaison meeting's pre-meeting): not of the
	// participation process, counted with the other meetings.
	ClassOutside ClassKind = "outside"
	// ClassUnclassified: none of these.
	ClassUnclassified ClassKind = "unclassified"
)

// Class is what ClassifyTitle recognised in a title.
type Class struct {
	Kind ClassKind
	// Case is the collaborative meeting's number (for collaborative,
	// pre-meeting and working meetings).
	Case int
	// Session is the session of a meeting held in several (（第二場）), 0
	// if not said.
	Session int
	// Ordinal is the pre-meeting's, working meeting's or monthly meeting's
	// own number (第二次會前會, PO第八次月會), 0 if not said.
	Ordinal int
	// Topic is the topic a topic-named meeting names (人權公投), and Of
	// the kind of meeting it is (pre-meeting, working, collaborative).
	Topic string
	Of    ClassKind
	// Reason says why a title is unclassified.
	Reason string
}

const numeral = `([0-9０-９]+|[零〇一二兩三四五六七八九十百]+)`

var (
	reCase      = regexp.MustCompile(`第\s*` + numeral + `\s*次\s*(?:開放政府聯絡人|議題)?\s*協作會議`)
	reSession   = regexp.MustCompile(`[（(]\s*第\s*` + numeral + `\s*場\s*[）)]`)
	reOrdinal   = regexp.MustCompile(`第\s*` + numeral + `\s*次\s*(?:會前會|工作會議)`)
	reMonthly   = regexp.MustCompile(`PO\s*-?\s*(?:第\s*` + numeral + `\s*次\s*)?月會`)
	reWorkPlan  = regexp.MustCompile(`開放政府聯絡人工作推動會議`)
	reConsensus = regexp.MustCompile(`共識營|共識會議`)
	reLeadDate  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}\s*`)
	// Other bodies' meetings whose pre-meetings the archive holds.
	reOtherBody = regexp.MustCompile(`vTaiwan|青諮|青年諮詢委員會|社會創新.*聯繫會議`)
	// A topic: 【X案】, 「X」, or X案 before the kind of meeting.
	reTopic = regexp.MustCompile(`【([^】]+?)案?】|「([^」]+)」|([\p{Han}A-Za-z0-9]{2,12}?)案[\s-]*(?:第\s*` + numeral + `\s*次\s*)?(?:協作會議)?[\s-]*(?:會前會|工作會議|籌備會議)`)
)

// ParseNumeral reads an Arabic (ASCII or full-width) or Chinese numeral:
// "37", "３７", "三十七", "二十", "十二", "一百零五".
func ParseNumeral(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	if r, _ := utf8.DecodeRuneInString(s); r >= '0' && r <= '9' || r >= '０' && r <= '９' {
		var b strings.Builder
		for _, r := range s {
			if r >= '０' && r <= '９' {
				r = '0' + r - '０'
			}
			b.WriteRune(r)
		}
		n, err := strconv.Atoi(b.String())
		return n, err == nil
	}
	digit := map[rune]int{'零': 0, '〇': 0, '一': 1, '二': 2, '兩': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	unit := map[rune]int{'十': 10, '百': 100}
	total, cur := 0, 0
	for _, r := range s {
		if d, ok := digit[r]; ok {
			cur = d
			continue
		}
		u, ok := unit[r]
		if !ok {
			return 0, false
		}
		if cur == 0 {
			cur = 1
		}
		total += cur * u
		cur = 0
	}
	return total + cur, true
}

func numberIn(re *regexp.Regexp, s string) (int, bool) {
	m := re.FindStringSubmatch(s)
	if m == nil || m[1] == "" {
		return 0, m != nil
	}
	return ParseNumeral(m[1])
}

// ClassifyTitle recognises a meeting of the participation process from
// its title.
func ClassifyTitle(title string) Class {
	t := reLeadDate.ReplaceAllString(strings.TrimSpace(title), "")
	session, _ := numberIn(reSession, t)
	switch {
	case reWorkPlan.MatchString(t):
		return Class{Kind: ClassMonthly}
	case reMonthly.MatchString(t):
		n, _ := numberIn(reMonthly, t)
		return Class{Kind: ClassMonthly, Ordinal: n}
	case reConsensus.MatchString(t):
		return Class{Kind: ClassConsensus, Session: session}
	}
	n, ok := numberIn(reCase, t)
	if body := reOtherBody.FindString(t); body != "" && (!ok || n == 0) {
		return Class{Kind: ClassOutside, Reason: "a meeting of another body or process (" + body + "), not of the participation process"}
	}
	if (!ok || n == 0) && !strings.Contains(t, "記者會") {
		if c, ok := topicClass(t); ok {
			return c
		}
	}
	if !ok || n == 0 {
		var reason string
		switch {
		case strings.Contains(t, "記者會"):
			reason = "a press conference, not a meeting of a case"
		case strings.Contains(t, "協作會議"):
			reason = "a collaborative meeting named by its topic (【…案】), not by its number: no case to attach it to"
		case strings.Contains(t, "會前會"), strings.Contains(t, "工作會議"):
			reason = "a pre-meeting or working meeting that names no numbered collaborative meeting"
		case strings.Contains(t, "工作坊"):
			reason = "a workshop (工作坊): not a kind of meeting the ledger models"
		default:
			reason = "names the process but is none of its meeting kinds"
		}
		return Class{Kind: ClassUnclassified, Reason: reason}
	}
	ord, _ := numberIn(reOrdinal, t)
	switch {
	case strings.Contains(t, "會前會"):
		return Class{Kind: ClassPreMeeting, Case: n, Ordinal: ord, Session: session}
	case strings.Contains(t, "工作會議"):
		return Class{Kind: ClassWorking, Case: n, Ordinal: ord, Session: session}
	case strings.Contains(t, "記者會"):
		return Class{Kind: ClassUnclassified, Reason: "a press conference about the collaborative meetings"}
	}
	return Class{Kind: ClassCollaborative, Case: n, Session: session}
}

// topicClass recognises a meeting of a case named by its topic.
func topicClass(t string) (Class, bool) {
	m := reTopic.FindStringSubmatch(t)
	if m == nil {
		return Class{}, false
	}
	topic := m[1] + m[2] + m[3]
	of := ClassCollaborative
	switch {
	case strings.Contains(t, "會前會"), strings.Contains(t, "籌備會議"):
		of = ClassPreMeeting
	case strings.Contains(t, "工作會議"):
		of = ClassWorking
	case !strings.Contains(t, "協作會議"):
		return Class{}, false
	}
	ord, _ := numberIn(reOrdinal, t)
	return Class{Kind: ClassTopic, Topic: topic, Of: of, Ordinal: ord}, true
}

// topicWords are the words of a topic as the transcripts are counted:
// each pair of adjacent Han characters, and each Latin word whole.
func topicWords(topic string) []string {
	var out []string
	rs := []rune(topic)
	latin := ""
	for i, r := range rs {
		if r < 0x80 {
			latin += string(r)
			continue
		}
		if latin != "" {
			out = append(out, latin)
			latin = ""
		}
		if i+1 < len(rs) && rs[i+1] >= 0x80 {
			out = append(out, string(rs[i:i+2]))
		}
	}
	if latin != "" {
		out = append(out, latin)
	}
	return out
}

// Topic matching: a topic-named meeting belongs to the numbered case whose
// collaborative meetings, held from a week before to topicWindow after it,
// speak of the topic at least minTopicScore times and at least twice as
// much as any other such case's, each word of the topic weighted by how
// rare it is among the cases (log(1+N/df), df the cases that say it):
// 學校志工 (school volunteers) is 志工 in case 62, not 學校 (school),
// which every education case says.
const (
	topicWindow   = 150 * 24 * time.Hour
	minTopicScore = 10
)

// ProcessFile is one imported file as classification sees it.
type ProcessFile struct {
	// Index is the file's place in the import.
	Index int
	// Title and Date (YYYY-MM-DD) of the meeting.
	Title, Date string
	// MeetingID the file is recorded as.
	MeetingID domain.MeetingID
	// Mentions counts a word's occurrences in the transcript's text (nil:
	// the text is not known, and no topic-named meeting can be matched
	// to it).
	Mentions func(word string) int
}

// PlannedMeeting is a meeting of a planned case.
type PlannedMeeting struct {
	Index int
	Title string
	Date  time.Time
	Class Class
}

// PlannedCase is one case per numbered collaborative meeting, with its
// meetings in date order.
type PlannedCase struct {
	ID       domain.CaseID
	Number   int
	Title    string
	Meetings []PlannedMeeting
}

// PlannedMonthly is a PO monthly meeting.
type PlannedMonthly struct {
	ID    domain.MonthlyMeetingID
	Date  calendar.Date
	Index int
	Title string
	// Held is what its transcript shows, recorded as the meeting held
	// (nil: not known; ImportFiles fills it).
	Held *domain.RecordMonthlyHeld
}

// Plan is what Classify makes of the titles: the cases and monthly
// meetings to record and where each file's meeting goes.
type Plan struct {
	Cases      []PlannedCase
	Monthly    []PlannedMonthly
	Placements map[int]Placement
	// Unclassified says, by file index, why a file that names the process
	// could not be placed in it: its meeting is recorded all the same (a
	// meeting of no case) and the file's result carries the warning.
	Unclassified map[int]string
	Summary      Summary
}

// Summary counts what was recognised and lists what was not.
type Summary struct {
	Collaborative, PreMeetings, Working, Monthly, Consensus, Cases int
	// Unclassified lists "TITLE: reason", in date order, for the titles
	// that name the process (協作, 會前會, 月會, 共識, 聯絡人, PO) but could
	// not be classified.
	Unclassified []string
	// Topics lists the topic-named meetings attached to a case:
	// "TITLE → case N (topic T mentioned M times in its meetings)".
	Topics []string
	// Other counts the meetings that are not part of the process
	// (interviews, visits, other meetings).
	Other int
	// Outside lists "TITLE: reason" for the meetings of other bodies whose
	// titles name the process's words (counted in Other).
	Outside []string
	// Events is how many events recording the cases and monthly meetings
	// appended (the meetings' own are in each file's Result).
	Events int
	// Links lists how each case was linked to its Join proposal, and how
	// many cases are historical (link.go).
	Links *LinkSummary
}

var reProcessWords = regexp.MustCompile(`協作|會前會|月會|共識|聯絡人|\bPO\b`)

// String reports the summary in a few lines.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "process pdis (%d events): %d cases from %d collaborative meetings, %d pre-meetings, %d working meetings; %d PO monthly meetings; %d consensus meetings; %d other meetings; %d not classified",
		s.Events, s.Cases, s.Collaborative, s.PreMeetings, s.Working, s.Monthly, s.Consensus, s.Other, len(s.Unclassified))
	for _, u := range s.Topics {
		b.WriteString("\n  named by topic: " + u)
	}
	for _, u := range s.Outside {
		b.WriteString("\n  outside the process: " + u)
	}
	for _, u := range s.Unclassified {
		b.WriteString("\n  not classified: " + u)
	}
	if s.Links != nil {
		b.WriteString("\n" + s.Links.String())
	}
	return b.String()
}

// Classify recognises the participation process in the files' titles:
// one case per numbered collaborative meeting (its collaborative meetings,
// pre-meetings and working meetings in date order), one monthly meeting
// per PO monthly meeting (ID "YYYY-MM"), and the consensus meetings.
func Classify(files []ProcessFile) Plan {
	plan := Plan{Placements: map[int]Placement{}, Unclassified: map[int]string{}}
	cases := map[int]*PlannedCase{}
	monthly := map[domain.MonthlyMeetingID]bool{}
	var topical []topicFile
	slices.SortStableFunc(files, func(a, b ProcessFile) int { return strings.Compare(a.Date, b.Date) })
	for _, f := range files {
		c := ClassifyTitle(f.Title)
		date, err := dayStart(f.Date)
		if err != nil {
			c = Class{Kind: ClassUnclassified, Reason: "no date"}
		}
		switch c.Kind {
		case ClassCollaborative, ClassPreMeeting, ClassWorking:
			pc := cases[c.Case]
			if pc == nil {
				pc = &PlannedCase{ID: domain.CaseID(strconv.Itoa(c.Case)), Number: c.Case, Title: fmt.Sprintf("開放政府第%d次協作會議", c.Case)}
				cases[c.Case] = pc
			}
			plan.place(pc, PlannedMeeting{Index: f.Index, Title: f.Title, Date: date, Class: c})
		case ClassMonthly:
			id := domain.MonthlyMeetingID(f.Date[:7])
			for n := 2; monthly[id]; n++ {
				id = domain.MonthlyMeetingID(fmt.Sprintf("%s-%d", f.Date[:7], n))
			}
			monthly[id] = true
			plan.Monthly = append(plan.Monthly, PlannedMonthly{ID: id, Date: calendar.DateOf(date), Index: f.Index, Title: f.Title})
			plan.Placements[f.Index] = Placement{Kind: domain.MeetingPOMonthly, MonthlyMeetingID: id}
			plan.Summary.Monthly++
		case ClassConsensus:
			plan.Placements[f.Index] = Placement{Kind: domain.MeetingOther}
			plan.Summary.Consensus++
		case ClassTopic:
			topical = append(topical, topicFile{f: f, c: c, date: date})
		case ClassOutside:
			plan.Summary.Other++
			plan.Summary.Outside = append(plan.Summary.Outside, f.Title+": "+c.Reason)
		default:
			if reProcessWords.MatchString(f.Title) {
				plan.Summary.Unclassified = append(plan.Summary.Unclassified, f.Title+": "+c.Reason)
				plan.Unclassified[f.Index] = c.Reason
			} else {
				plan.Summary.Other++
			}
		}
	}
	plan.attachTopics(topical, cases, files)
	for _, n := range sortedKeys(cases) {
		pc := cases[n]
		for _, m := range pc.Meetings {
			if m.Class.Kind == ClassCollaborative {
				pc.Title = reLeadDate.ReplaceAllString(m.Title, "")
				break
			}
		}
		plan.Cases = append(plan.Cases, *pc)
	}
	plan.Summary.Cases = len(plan.Cases)
	return plan
}

// place adds a meeting to its case and counts it.
func (plan *Plan) place(pc *PlannedCase, m PlannedMeeting) {
	pc.Meetings = append(pc.Meetings, m)
	kind := domain.MeetingCollaborative
	switch m.Class.Kind {
	case ClassPreMeeting:
		kind = domain.MeetingPreMeeting
		plan.Summary.PreMeetings++
	case ClassWorking:
		kind = domain.MeetingWorking
		plan.Summary.Working++
	default:
		plan.Summary.Collaborative++
	}
	plan.Placements[m.Index] = Placement{Kind: kind, CaseID: pc.ID}
}

type topicFile struct {
	f    ProcessFile
	c    Class
	date time.Time
}

// attachTopics places each topic-named meeting in the numbered case whose
// collaborative meetings speak of its topic (see topicWindow), or lists it
// as not classified, saying why.
func (plan *Plan) attachTopics(topical []topicFile, cases map[int]*PlannedCase, files []ProcessFile) {
	texts := map[int]func(string) int{}
	for _, f := range files {
		texts[f.Index] = f.Mentions
	}
	// Counting a word reads the whole transcript: each count once.
	type key struct {
		index int
		word  string
	}
	counted := map[key]int{}
	mentions := map[int]func(string) int{}
	for i, f := range texts {
		if f != nil {
			mentions[i] = func(w string) int {
				n, ok := counted[key{i, w}]
				if !ok {
					n = f(w)
					counted[key{i, w}] = n
				}
				return n
			}
		}
	}
	// Each case's collaborative meetings, and in how many cases a word is
	// said (df), for the words of every topic.
	said := map[string]int{}
	for _, tf := range topical {
		for _, w := range topicWords(tf.c.Topic) {
			if _, ok := said[w]; ok {
				continue
			}
			for _, pc := range cases {
				for _, m := range pc.Meetings {
					if mn := mentions[m.Index]; m.Class.Kind == ClassCollaborative && mn != nil && mn(w) > 0 {
						said[w]++
						break
					}
				}
			}
		}
	}
	n := float64(len(cases))
	for _, tf := range topical {
		best, bestCount := 0, 0
		bestScore, second := 0.0, 0.0
		words := topicWords(tf.c.Topic)
		for _, k := range sortedKeys(cases) {
			count, score := 0, 0.0
			for _, m := range cases[k].Meetings {
				mn := mentions[m.Index]
				if m.Class.Kind != ClassCollaborative || mn == nil || m.Date.Before(tf.date.Add(-7*24*time.Hour)) || m.Date.After(tf.date.Add(topicWindow)) {
					continue
				}
				for _, w := range words {
					c := mn(w)
					count += c
					if c > 0 {
						score += float64(c) * math.Log(1+n/float64(said[w]))
					}
				}
			}
			switch {
			case score > bestScore:
				best, bestCount, bestScore, second = k, count, score, bestScore
			case score > second:
				second = score
			}
		}
		if bestCount < minTopicScore || bestScore < 2*second {
			reason := fmt.Sprintf("a meeting named by its topic (%s); no numbered collaborative meeting within %d days speaks of it clearly (best %d mentions, weighted %.0f against the next case's %.0f)", tf.c.Topic, int(topicWindow.Hours()/24), bestCount, bestScore, second)
			plan.Summary.Unclassified = append(plan.Summary.Unclassified, tf.f.Title+": "+reason)
			plan.Unclassified[tf.f.Index] = reason
			continue
		}
		pc := cases[best]
		c := tf.c
		c.Kind, c.Case = c.Of, best
		plan.place(pc, PlannedMeeting{Index: tf.f.Index, Title: tf.f.Title, Date: tf.date, Class: c})
		slices.SortStableFunc(pc.Meetings, func(a, b PlannedMeeting) int { return a.Date.Compare(b.Date) })
		plan.Summary.Topics = append(plan.Summary.Topics, fmt.Sprintf("%s → case %d (%s mentioned %d times in its meetings, weighted %.0f against the next case's %.0f)", tf.f.Title, best, c.Topic, bestCount, bestScore, second))
	}
}

// stageOf is the stage a meeting's date implies for its case.
func stageOf(c Class) domain.CaseStage {
	switch c.Kind {
	case ClassWorking:
		return domain.StageResearch
	case ClassPreMeeting:
		return domain.StagePreMeeting
	default:
		return domain.StageMeetings
	}
}

// stageOrder is the path an imported case takes through the stage machine.
var stageOrder = []domain.CaseStage{domain.StageTopicSet, domain.StageDivisionOfLabour, domain.StageResearch, domain.StagePreMeeting, domain.StageMeetings}

// recordProcess records the plan's cases (opened, marked imported, at the
// date of their first meeting, moved through the stages each meeting's
// date implies, never back) and monthly meetings. What is already recorded
// is left as it is.
func (im *Importer) recordProcess(ctx context.Context, plan *Plan) error {
	errs := make([]error, len(plan.Cases)+len(plan.Monthly))
	events := make([]int, len(errs))
	im.parallel(ctx, len(plan.Cases), im.cfg.Workers, func(i int) { events[i], errs[i] = im.recordCase(ctx, plan.Cases[i]) })
	im.parallel(ctx, len(plan.Monthly), im.cfg.Workers, func(i int) {
		j := len(plan.Cases) + i
		events[j], errs[j] = im.recordMonthly(ctx, plan.Monthly[i])
	})
	for i, err := range errs {
		plan.Summary.Events += events[i]
		if err != nil {
			return err
		}
	}
	return nil
}

func (im *Importer) recordCase(ctx context.Context, pc PlannedCase) (int, error) {
	id := pc.ID
	n := 0
	req := func(at time.Time, decide func(c *domain.Case, at time.Time) ([]domain.Event, error)) error {
		res, err := im.cases.Handle(ctx, app.Request[*domain.Case]{
			Stream: domain.CaseStream(id), New: func() *domain.Case { return domain.NewCase(id) },
			Actor: im.actor, At: at, Decide: decide,
		})
		if err != nil {
			return fmt.Errorf("case %s: %w", id, err)
		}
		n += len(res.Events)
		return nil
	}
	first := pc.Meetings[0].Date
	err := req(first, func(c *domain.Case, at time.Time) ([]domain.Event, error) {
		if c.Opened() {
			return nil, nil
		}
		return c.Open(domain.OpenCase{CaseID: id, Title: pc.Title, SourceKind: domain.SourceImported, Ref: "pdis-archive:第" + strconv.Itoa(pc.Number) + "次協作會議"}, im.actor, at, nil)
	})
	if err != nil {
		return n, err
	}
	for _, m := range pc.Meetings {
		target := slices.Index(stageOrder, stageOf(m.Class))
		for {
			advanced := false
			err := req(m.Date, func(c *domain.Case, at time.Time) ([]domain.Event, error) {
				advanced = false
				cur := slices.Index(stageOrder, c.Stage())
				if cur < 0 || cur >= target {
					return nil, nil
				}
				advanced = true
				reason := fmt.Sprintf("imported: %s (%s) implies %s", m.Title, m.Date.Format("2006-01-02"), stageOrder[target])
				return c.ChangeStage(domain.ChangeStage{CaseID: id, To: stageOrder[cur+1], Reason: reason}, im.actor, at)
			})
			if err != nil {
				return n, err
			}
			if !advanced {
				break
			}
		}
	}
	return n, nil
}

func (im *Importer) recordMonthly(ctx context.Context, pm PlannedMonthly) (int, error) {
	at, _ := dayStart(pm.Date.String())
	res, err := im.monthly.Handle(ctx, app.Request[*domain.MonthlyMeeting]{
		Stream: domain.MonthlyMeetingStream(pm.ID), New: func() *domain.MonthlyMeeting { return domain.NewMonthlyMeeting(pm.ID) },
		Actor: im.actor, At: at,
		Decide: func(m *domain.MonthlyMeeting, at time.Time) ([]domain.Event, error) {
			if m.Opened() {
				return nil, nil
			}
			return m.Open(domain.OpenMonthlyMeeting{MeetingID: pm.ID, HeldOn: pm.Date, Imported: true}, im.actor, at, domain.DefaultMonthlyConfig())
		},
	})
	if err != nil {
		return 0, fmt.Errorf("monthly meeting %s: %w", pm.ID, err)
	}
	n, err := im.recordHeld(ctx, pm, at)
	return len(res.Events) + n, err
}

package importer

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
)

// Linking imported cases to the Join proposals they came from (decision
// 0028). A case's transcripts speak of its topic; a proposal's title names
// it. Each case is scored against every proposal published before its
// first meeting: the title's words (pairs of adjacent Han characters,
// Latin words) that the case's transcripts use at least twice, each
// weighted by how rare it is among the cases (a word every case uses says
// nothing), the covered weight squared over the title's whole weight (so
// that a long title must be mostly covered), halved twice for a proposal
// that never reached its goal (the monthly meetings voted on established
// proposals). A case is linked by score only when it is sure: the best
// candidate is established, scores at least MinLinkScore, and at least
// LinkMargin times the next. Otherwise a reviewed mapping decides, and the
// import lists the case with its best candidates. A reviewed mapping
// decides before the scores: a proposal ID (linked by review), none
// (recorded as from no Join proposal in the dataset), or a proposal this
// dataset does not hold (the held-back part of Join, or one without a
// title): the case is left unlinked and the import says why (decision
// 0049).

// Link thresholds.
const (
	// MinLinkScore is the least score a sure link has.
	MinLinkScore = 5.0
	// LinkMargin is how many times the next candidate's score a sure
	// link's score is at least.
	LinkMargin = 1.5
	// LinkWindow is how soon after the proposal's establishment (its
	// publication, if it never reached its goal) a case's first meeting
	// must be for a sure link. The process takes an established proposal
	// up within months: the ministry answers within two months, the PO
	// monthly meeting votes after that, the collaborative meeting follows;
	// every link by score in 2017–2018 is within 117 days. A case years
	// after the proposal that shares its words (case 60's special-education
	// teaching hours, 2019, and a 2017 proposal on subjects' teaching
	// hours) came from somewhere else, mostly a ministry's own draft on
	// Join that the dataset does not hold.
	LinkWindow = 180 * 24 * time.Hour
	// unestablishedWeight multiplies the score of a proposal that never
	// reached its goal.
	unestablishedWeight = 0.25
	// RecordQuiet is how long before the archive's last dated file a
	// case's last meeting must be for its record to count as ended.
	RecordQuiet = 90 * 24 * time.Hour
	// ArchiveName names the archive in the events the process import
	// records.
	ArchiveName = "pdis-archive"
)

// ErrBadCaseLinks marks a reviewed mapping file that cannot be used; the
// import then records nothing.
var ErrBadCaseLinks = errors.New("bad case-links file")

// Candidate is a Join proposal an imported case may have come from.
type Candidate struct {
	ID    string
	Title string
	// Ministry is the lead ministry's ID ("" if Join named none).
	Ministry    string
	PublishedAt time.Time
	// Established: the proposal reached its goal; EstablishedAt when (zero
	// if Join's record does not say).
	Established   bool
	EstablishedAt time.Time
}

// ReviewedLink is one line of a reviewed mapping: case Case came from
// proposal ProposalID ("" when a person decided it came from no Join
// proposal).
type ReviewedLink struct {
	Case       int
	ProposalID string
	Note       string
	// Unreviewed marks a line a person has not filled in yet (an empty
	// proposal, as WriteReviewFile leaves it): the case is decided as if
	// the line were not there.
	Unreviewed bool
	// File and Line say where the decision is written.
	File string
	Line int
}

// Links are what the process import links cases with.
type Links struct {
	// Candidates are the Join proposals (with metadata).
	Candidates []Candidate
	// Reviewed are the reviewed mapping's decisions by case number.
	Reviewed map[int]ReviewedLink
}

// evidence is what a reviewed line's decision records: where it is
// written, and its note.
func (r ReviewedLink) evidence() string {
	e := fmt.Sprintf("reviewed mapping %s:%d", r.File, r.Line)
	if r.Note != "" {
		e += " (" + r.Note + ")"
	}
	return e
}

// LinkHow says how a case's link was decided.
type LinkHow string

// How a case was linked, or why not.
const (
	LinkedByScore  LinkHow = "score"
	LinkedByReview LinkHow = "reviewed"
	ReviewedNoJoin LinkHow = "reviewed_none"
	// ReviewedNotHeld: the reviewed mapping names a proposal this Join
	// dataset does not hold (held back for acceptance, or without a
	// title); the case is not linked.
	ReviewedNotHeld  LinkHow = "reviewed_not_held"
	LinkUnsure       LinkHow = "unsure"
	LinkNoCandidates LinkHow = "no_candidate"
)

// ScoredCandidate is a candidate with its score for one case.
type ScoredCandidate struct {
	ID, Title string
	Score     float64
	// Established: the proposal reached its goal.
	Established bool
}

// CaseLink is what linking decided for one case.
type CaseLink struct {
	Case   int
	CaseID domain.CaseID
	Title  string
	First  time.Time
	How    LinkHow
	// ProposalID is the proposal linked ("" if none).
	ProposalID string
	// NotHeld is the proposal a reviewed mapping names that the dataset
	// does not hold (How ReviewedNotHeld).
	NotHeld string
	// Best are the best candidates by score, best first (at most 3).
	Best []ScoredCandidate
	// Evidence is what the link event (or the reviewed "none") records.
	Evidence string
	// Why says why an unsure case was not linked (one of the Unsure…
	// reasons).
	Why string
	// Unreviewed: the reviewed mapping has a line for the case that no
	// one has filled in yet; Note is that line's note, if any (why the
	// reviewer could not decide).
	Unreviewed bool
	Note       string
	// TakenBy is the case the best candidate is linked to instead (Why
	// UnsureTaken).
	TakenBy int
}

// Why an unsure case was not linked by score.
const (
	UnsureLowScore       = "best score under the threshold"
	UnsureClose          = "the next candidate scores close to the best"
	UnsureNotEstablished = "the best candidate never reached its goal"
	UnsureTooLate        = "the case's first meeting is long after the best candidate's establishment"
	UnsureTaken          = "the best candidate is linked more surely to another case"
)

// String is the case's line in the import's list.
func (l CaseLink) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "case %d (%s, %s): ", l.Case, l.Title, l.First.In(time.FixedZone("+08", 8*3600)).Format("2006-01-02"))
	switch l.How {
	case LinkedByScore, LinkedByReview:
		fmt.Fprintf(&b, "linked to %s (%s)", l.ProposalID, l.Evidence)
	case ReviewedNoJoin:
		fmt.Fprintf(&b, "reviewed: not from a Join proposal in the dataset (%s)", l.Evidence)
	case ReviewedNotHeld:
		fmt.Fprintf(&b, "reviewed: from proposal %s, which is not in this dataset (held back, or without a title): not linked (%s)", l.NotHeld, l.Evidence)
	case LinkNoCandidates:
		b.WriteString("no Join proposal published before its first meeting speaks of it")
	default:
		b.WriteString("unsure, not linked: " + l.Why)
		if l.TakenBy != 0 {
			fmt.Fprintf(&b, " (case %d)", l.TakenBy)
		}
		switch {
		case l.Unreviewed && l.Note != "":
			b.WriteString(" (its line in the reviewed mapping is not decided: " + l.Note + ")")
		case l.Unreviewed:
			b.WriteString(" (its line in the reviewed mapping is not filled in)")
		}
	}
	if l.How == LinkUnsure || l.How == LinkNoCandidates || l.How == LinkedByScore {
		for i, c := range l.Best {
			est := ""
			if !c.Established {
				est = ", not established"
			}
			fmt.Fprintf(&b, "\n      %d. %s %.1f %s%s", i+1, c.ID, c.Score, c.Title, est)
		}
	}
	return b.String()
}

// LinkSummary counts the links and lists every case.
type LinkSummary struct {
	Cases []CaseLink
	// Ended is how many cases' archive record ended (historical).
	Ended int
	// Strays are the reviewed mapping's lines naming a case the archive
	// does not hold (they decide nothing).
	Strays []ReviewedLink
}

// Count returns how many cases were decided each way.
func (s LinkSummary) Count(how LinkHow) int {
	n := 0
	for _, c := range s.Cases {
		if c.How == how {
			n++
		}
	}
	return n
}

// Unsure counts the unsure cases by why they were not linked.
func (s LinkSummary) Unsure() map[string]int {
	out := map[string]int{}
	for _, c := range s.Cases {
		if c.How == LinkUnsure {
			out[c.Why]++
		}
	}
	return out
}

// String reports the counts and lists the cases not linked by score (the
// ones a person should look at), then those linked by score.
func (s LinkSummary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cases and Join proposals: %d linked by score, %d by the reviewed mapping, %d reviewed as not from a Join proposal in the dataset, %d reviewed to a proposal not in this dataset (not linked), %d unsure (not linked), %d without a candidate; %d cases historical (their archive record ends)",
		s.Count(LinkedByScore), s.Count(LinkedByReview), s.Count(ReviewedNoJoin), s.Count(ReviewedNotHeld), s.Count(LinkUnsure), s.Count(LinkNoCandidates), s.Ended)
	why := s.Unsure()
	for _, r := range slices.Sorted(maps.Keys(why)) {
		fmt.Fprintf(&b, "\n  unsure because %s: %d", r, why[r])
	}
	for _, r := range s.Strays {
		fmt.Fprintf(&b, "\n  the reviewed mapping's line %s:%d names case %d, which the archive does not hold: it decides nothing", r.File, r.Line, r.Case)
	}
	for _, how := range []LinkHow{LinkUnsure, LinkNoCandidates, ReviewedNotHeld, LinkedByReview, ReviewedNoJoin, LinkedByScore} {
		for _, c := range s.Cases {
			if c.How == how {
				b.WriteString("\n  " + c.String())
			}
		}
	}
	return b.String()
}

// ReadCaseLinks reads a reviewed mapping: CSV with the header
// "case,proposal,note", one line per case (the number of its
// collaborative meetings, 第N次協作會議), the Join proposal's ID or "none",
// and a free note; lines starting with # are comments. A line whose
// proposal is empty is not reviewed yet (WriteReviewFile writes the unsure
// cases so): it decides nothing. A line that does not read, or a case
// twice, refuses the whole file.
func ReadCaseLinks(r io.Reader, file string) (map[int]ReviewedLink, error) {
	cr := csv.NewReader(r)
	cr.Comment, cr.FieldsPerRecord, cr.TrimLeadingSpace = '#', -1, true
	bad := func(line int, format string, args ...any) error {
		return fmt.Errorf("%w: %s:%d: %s", ErrBadCaseLinks, file, line, fmt.Sprintf(format, args...))
	}
	out := map[int]ReviewedLink{}
	header := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrBadCaseLinks, file, err)
		}
		line, _ := cr.FieldPos(0)
		if header {
			if len(rec) < 2 || strings.TrimSpace(rec[0]) != "case" || strings.TrimSpace(rec[1]) != "proposal" {
				return nil, bad(line, "the header must be case,proposal,note")
			}
			header = false
			continue
		}
		if len(rec) < 2 {
			return nil, bad(line, "want case,proposal[,note]")
		}
		n, err := strconv.Atoi(strings.TrimSpace(rec[0]))
		if err != nil || n <= 0 {
			return nil, bad(line, "case %q is not a case number", rec[0])
		}
		if prev, dup := out[n]; dup {
			return nil, bad(line, "case %d is decided already on line %d", n, prev.Line)
		}
		l := ReviewedLink{Case: n, File: file, Line: line}
		switch p := strings.TrimSpace(rec[1]); {
		case p == "none":
		case p == "":
			l.Unreviewed = true
		case strings.ContainsAny(p, " /\t"):
			return nil, bad(line, "proposal %q: give a Join proposal ID or none", p)
		default:
			l.ProposalID = p
		}
		if len(rec) > 2 {
			l.Note = strings.TrimSpace(rec[2])
		}
		out[n] = l
	}
	if header {
		return nil, bad(1, "empty: the header must be case,proposal,note")
	}
	return out, nil
}

// WriteReviewFile writes the cases a person should decide (unsure, or
// without a candidate) as a reviewed mapping to fill in: the header, then
// for each case its title, first meeting, why it is unsure and its best
// candidates as comments, and its line "N,," with the proposal left empty.
// The reviewer writes a proposal ID (or none) and a note on the lines they
// decide and saves it as the Join folder's case-links.csv (or passes it
// with --case-links); ReadCaseLinks reads the lines left empty as not
// reviewed.
func WriteReviewFile(w io.Writer, links []CaseLink) error {
	var b strings.Builder
	b.WriteString("case,proposal,note\n")
	b.WriteString("# Cases the process import could not link surely to the Join proposal they came from.\n")
	b.WriteString("# Fill in each case's proposal: a Join proposal ID, or none (not from a Join proposal); a note says why.\n")
	b.WriteString("# A line left as N,, is not reviewed: the case stays unlinked and listed.\n")
	for _, l := range links {
		if l.How != LinkUnsure && l.How != LinkNoCandidates {
			continue
		}
		fmt.Fprintf(&b, "#\n# %s\n", strings.ReplaceAll(l.String(), "\n", "\n#"))
		fmt.Fprintf(&b, "%d,,\n", l.Case)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write the mapping to review: %w", err)
	}
	return nil
}

// caseWords counts a case's words: each pair of adjacent Han characters
// and each Latin word (lower case) of its paragraphs.
func caseWords(paragraphs func(yield func(string))) map[string]int {
	out := map[string]int{}
	paragraphs(func(p string) {
		forWords(p, func(w string) { out[w]++ })
	})
	return out
}

// forWords calls f with each Han pair and Latin word of s.
func forWords(s string, f func(string)) {
	var prev rune
	var latin []rune
	flush := func() {
		if len(latin) >= 2 {
			f(strings.ToLower(string(latin)))
		}
		latin = latin[:0]
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			flush()
			if prev != 0 {
				f(string([]rune{prev, r}))
			}
			prev = r
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			latin = append(latin, r)
			prev = 0
		default:
			flush()
			prev = 0
		}
	}
	flush()
}

// titleWords are a title's distinct words.
func titleWords(title string) []string {
	var out []string
	forWords(title, func(w string) {
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	})
	return out
}

// LinkCases decides each planned case's proposal: the reviewed mapping
// where it has the case, else the scores (see above). words gives a case's
// word counts (caseWords of its meetings' transcripts).
func LinkCases(cases []PlannedCase, words []map[string]int, links Links) []CaseLink {
	df := map[string]int{}
	for _, w := range words {
		for k := range w {
			df[k]++
		}
	}
	n := float64(len(cases))
	weight := func(w string) float64 { return max(0, math.Log(n/float64(1+df[w]))) }
	titles := make([][]string, len(links.Candidates))
	since := make(map[string]time.Time, len(links.Candidates))
	held := make(map[string]bool, len(links.Candidates))
	for i, c := range links.Candidates {
		held[c.ID] = true
		titles[i] = titleWords(c.Title)
		since[c.ID] = c.PublishedAt
		if !c.EstablishedAt.IsZero() {
			since[c.ID] = c.EstablishedAt
		}
	}
	out := make([]CaseLink, len(cases))
	for k, pc := range cases {
		first := pc.Meetings[0].Date
		l := CaseLink{Case: pc.Number, CaseID: pc.ID, Title: pc.Title, First: first}
		var scored []ScoredCandidate
		for i, c := range links.Candidates {
			if !c.PublishedAt.Before(first) {
				continue
			}
			covered, total := 0.0, 0.0
			for _, w := range titles[i] {
				wt := weight(w)
				total += wt
				if tf := words[k][w]; tf >= 2 {
					covered += wt * min(1, math.Log(1+float64(tf))/math.Log(11))
				}
			}
			if total == 0 || covered == 0 {
				continue
			}
			s := covered * covered / total
			if !c.Established {
				s *= unestablishedWeight
			}
			scored = append(scored, ScoredCandidate{ID: c.ID, Title: c.Title, Score: math.Round(s*10) / 10, Established: c.Established})
		}
		slices.SortStableFunc(scored, func(a, b ScoredCandidate) int {
			return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(a.ID, b.ID))
		})
		l.Best = scored[:min(3, len(scored))]
		r, ok := links.Reviewed[pc.Number]
		if ok && r.Unreviewed {
			l.Unreviewed, l.Note = true, r.Note
		}
		if ok && !r.Unreviewed {
			l.Evidence = r.evidence()
			switch {
			case r.ProposalID == "":
				l.How = ReviewedNoJoin
			case !held[r.ProposalID]:
				l.How, l.NotHeld = ReviewedNotHeld, r.ProposalID
			default:
				l.How, l.ProposalID = LinkedByReview, r.ProposalID
			}
			out[k] = l
			continue
		}
		switch {
		case len(scored) == 0:
			l.How = LinkNoCandidates
		case !scored[0].Established:
			l.How, l.Why = LinkUnsure, UnsureNotEstablished
		case scored[0].Score < MinLinkScore:
			l.How, l.Why = LinkUnsure, UnsureLowScore
		case len(scored) > 1 && scored[0].Score < LinkMargin*scored[1].Score:
			l.How, l.Why = LinkUnsure, UnsureClose
		case first.Sub(since[scored[0].ID]) > LinkWindow:
			l.How, l.Why = LinkUnsure, UnsureTooLate
		default:
			next := 0.0
			if len(scored) > 1 {
				next = scored[1].Score
			}
			l.How, l.ProposalID = LinkedByScore, scored[0].ID
			l.Evidence = fmt.Sprintf("match score %.1f, next candidate %.1f (title words in the case's transcripts; established %d days before the case's first meeting)", scored[0].Score, next, int(first.Sub(since[scored[0].ID]).Hours()/24))
		}
		out[k] = l
	}
	onePerProposal(out)
	return out
}

// onePerProposal keeps a proposal linked by score to one case: the one a
// reviewed mapping links it to, else the one it scores best with (the
// earlier on a tie); the others are unsure. The process opened one case
// per proposal; two cases sharing one best candidate means at least one of
// them speaks of it for another reason (case 40, Dongsha, and case 22, the
// Penghu proposal's case).
func onePerProposal(links []CaseLink) {
	best := map[string]int{}
	for k, l := range links {
		if l.How == LinkedByReview {
			best[l.ProposalID] = k
		}
	}
	for k, l := range links {
		if l.How != LinkedByScore {
			continue
		}
		if b, ok := best[l.ProposalID]; !ok || links[b].How == LinkedByScore && l.Best[0].Score > links[b].Best[0].Score {
			best[l.ProposalID] = k
		}
	}
	for k, l := range links {
		if l.How == LinkedByScore && best[l.ProposalID] != k {
			links[k].How, links[k].ProposalID, links[k].Evidence = LinkUnsure, "", ""
			links[k].Why, links[k].TakenBy = UnsureTaken, links[best[l.ProposalID]].Case
		}
	}
}

// recordLinks records each linked case's link, and each case reviewed as
// from no Join proposal, at its first meeting.
func (im *Importer) recordLinks(ctx context.Context, links []CaseLink, cands []Candidate) (int, error) {
	byID := map[string]Candidate{}
	for _, c := range cands {
		byID[c.ID] = c
	}
	n := 0
	for _, l := range links {
		if l.How == ReviewedNoJoin {
			cmd := domain.RecordNoProposal{CaseID: l.CaseID, Evidence: l.Evidence}
			k, err := im.decideCase(ctx, l.CaseID, l.First, func(cs *domain.Case, at time.Time) ([]domain.Event, error) {
				return cs.RecordNoProposal(cmd, im.actor, at)
			})
			n += k
			if err != nil {
				return n, err
			}
		}
		if l.ProposalID == "" {
			continue
		}
		c := byID[l.ProposalID]
		cmd := domain.LinkCaseProposal{CaseID: l.CaseID, ProposalID: domain.ProposalID(c.ID), Topic: strings.Join(strings.Fields(c.Title), " "),
			Ministry: domain.MinistryID(c.Ministry), Evidence: l.Evidence, Reviewed: l.How == LinkedByReview}
		k, err := im.decideCase(ctx, l.CaseID, l.First, func(cs *domain.Case, at time.Time) ([]domain.Event, error) {
			return cs.LinkProposal(cmd, im.actor, at)
		})
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// recordEnds records the end of the archive's record of each case whose
// last meeting is RecordQuiet or more before the archive's last dated
// file (archiveEnd); it returns how many cases are historical.
func (im *Importer) recordEnds(ctx context.Context, cases []PlannedCase, archiveEnd time.Time) (events, ended int, err error) {
	for _, pc := range cases {
		last := pc.Meetings[len(pc.Meetings)-1].Date
		if archiveEnd.Sub(last) < RecordQuiet {
			continue
		}
		ended++
		k, err := im.decideCase(ctx, pc.ID, last, func(c *domain.Case, at time.Time) ([]domain.Event, error) {
			return c.EndRecord(domain.EndCaseRecord{CaseID: pc.ID, LastRecordAt: last, Archive: ArchiveName}, im.actor, at)
		})
		events += k
		if err != nil {
			return events, ended, err
		}
	}
	return events, ended, nil
}

// decideCase decides one command on a case at at (the occurred clock).
func (im *Importer) decideCase(ctx context.Context, id domain.CaseID, at time.Time, decide func(c *domain.Case, at time.Time) ([]domain.Event, error)) (int, error) {
	res, err := im.cases.Handle(ctx, app.Request[*domain.Case]{
		Stream: domain.CaseStream(id), New: func() *domain.Case { return domain.NewCase(id) },
		Actor: im.actor, At: at, Decide: decide,
	})
	if err != nil {
		return 0, fmt.Errorf("case %s: %w", id, err)
	}
	return len(res.Events), nil
}

// linkAndEnd links the plan's cases to their Join proposals (when links
// are given) and records the end of the archive's record of the cases
// whose record ends, adding what it did to the plan's summary.
func (im *Importer) linkAndEnd(ctx context.Context, plan *Plan, files []*parsed, dated []ProcessFile, links *Links) error {
	var archiveEnd time.Time
	for _, f := range dated {
		if d, err := dayStart(f.Date); err == nil && d.After(archiveEnd) {
			archiveEnd = d
		}
	}
	sum := &LinkSummary{}
	plan.Summary.Links = sum
	if links != nil {
		words := make([]map[string]int, len(plan.Cases))
		for k, pc := range plan.Cases {
			words[k] = caseWords(func(yield func(string)) {
				for _, m := range pc.Meetings {
					if p := files[m.Index]; p != nil {
						for _, u := range p.doc.Utterances {
							for _, para := range u.Paragraphs {
								yield(para)
							}
						}
					}
				}
			})
		}
		decided := LinkCases(plan.Cases, words, *links)
		sum.Cases = decided
		numbers := map[int]bool{}
		for _, pc := range plan.Cases {
			numbers[pc.Number] = true
		}
		for _, n := range slices.Sorted(maps.Keys(links.Reviewed)) {
			if !numbers[n] {
				sum.Strays = append(sum.Strays, links.Reviewed[n])
			}
		}
		n, err := im.recordLinks(ctx, decided, links.Candidates)
		plan.Summary.Events += n
		if err != nil {
			return err
		}
	}
	n, ended, err := im.recordEnds(ctx, plan.Cases, archiveEnd)
	plan.Summary.Events += n
	sum.Ended = ended
	return err
}

// Package importer records transcripts from elsewhere in the ledger: Akoma
// Ntoso files (the PDIS archive that sayit.pdis.nat.gov.tw publishes), their
// stored versions, a stenographer's raw record, and the participation
// process the archive's titles reveal. It drives the command side
// (app.Handler) like any other client: every event is decided by the domain
// and appended with optimistic concurrency.
//
//	im := importer.New(store, importer.Config{})
//	res := im.ImportFiles(ctx, []string{"transcripts/"}, importer.Options{History: hist}, func(r importer.Result) {
//		fmt.Println(r) // one line per file; a bad file is reported and the others go on
//	})
//	doc, err := importer.Export(ctx, store, meetingID, time.Time{}) // back to Akoma Ntoso
//
// # Two clocks
//
// An imported event is decided and recorded with the time the thing
// happened (app.Request.At, stored as the envelope's occurred-at and the
// event's "at"): the meeting and its utterances at the meeting's date, the
// publication when the transcript was published, each later version when
// it was committed. The store adds when it recorded them. An as-of view
// (Export with asOf) folds the events that had happened by then, so an
// imported meeting shows its history as it unfolded.
//
// # Idempotency
//
// A file's meeting ID is derived from the file (its FRBRname, else its date
// and a hash of its title), so the same file always names the same meeting;
// the transcript's content hash (akn.Document.ContentHash) is recorded by
// the import and by each version, and content already recorded decides no
// events. Importing the same file again records nothing new. A changed file
// is recorded as a new version: the staff changes that turn the ledger's
// transcript into the file's.
//
// # Bad input
//
// Each file is parsed and checked completely before anything is appended;
// a file that is refused (an *akn.Error naming the file and line) changes
// nothing, and a folder import reports it and goes on.
package importer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pdis/collab-ledger/akn"
	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
)

// ErrNoDate wraps akn.ErrNoDate: a file that does not say when its meeting
// was cannot be imported.
var ErrNoDate = akn.ErrNoDate

// ErrMeetingNotFound: a raw record was imported for a meeting that does
// not exist and no title and date were given to create it.
var ErrMeetingNotFound = errors.New("meeting not found")

// DefaultActor is who an import acts as: staff (the policy lets only staff
// import), with this ID in every event's metadata.
var DefaultActor = domain.Actor{ID: "importer", Role: domain.RolePDIS}

// Config configures an Importer. The zero value is usable.
type Config struct {
	// Actor issues the import's commands. Default DefaultActor.
	Actor domain.Actor
	// MaxFileSize bounds a file; default akn.DefaultMaxSize.
	MaxFileSize int64
	// Workers is how many files are imported at once. Default 16 per CPU:
	// appends mostly wait for the store's group commit, and the more wait
	// together the fewer commits (the archive: about 1,600 commits with 8
	// workers, 270 with 64).
	Workers int
	// Transcript holds the edit window recorded at publication. Default
	// domain.DefaultTranscriptConfig().
	Transcript *domain.TranscriptConfig
	// Calendar counts the working days of the edit window. Default
	// calendar.Taiwan().
	Calendar *calendar.Calendar
	// App configures the command handlers.
	App app.Config
	// Logger. Default slog.Default().
	Logger *slog.Logger
}

// Importer records imported meetings, transcripts, versions and cases.
// It is safe for concurrent use.
type Importer struct {
	store       eventstore.Store
	cfg         Config
	actor       domain.Actor
	tcfg        domain.TranscriptConfig
	cal         *calendar.Calendar
	log         *slog.Logger
	meetings    *app.Handler[*domain.Meeting]
	transcripts *app.Handler[*domain.Transcript]
	cases       *app.Handler[*domain.Case]
	monthly     *app.Handler[*domain.MonthlyMeeting]
}

// New returns an Importer writing to store.
func New(store eventstore.Store, cfg Config) *Importer {
	im := &Importer{store: store, cfg: cfg, actor: cfg.Actor, cal: cfg.Calendar, log: cfg.Logger}
	if im.actor == (domain.Actor{}) {
		im.actor = DefaultActor
	}
	if cfg.Transcript != nil {
		im.tcfg = *cfg.Transcript
	} else {
		im.tcfg = domain.DefaultTranscriptConfig()
	}
	if im.cal == nil {
		im.cal = calendar.Taiwan()
	}
	if im.log == nil {
		im.log = slog.Default()
	}
	if im.cfg.Workers <= 0 {
		im.cfg.Workers = 16 * runtime.GOMAXPROCS(0)
	}
	if im.cfg.App.Logger == nil {
		im.cfg.App.Logger = im.log
	}
	im.meetings = app.NewHandler[*domain.Meeting](store, im.cfg.App)
	im.transcripts = app.NewHandler[*domain.Transcript](store, im.cfg.App)
	im.cases = app.NewHandler[*domain.Case](store, im.cfg.App)
	im.monthly = app.NewHandler[*domain.MonthlyMeeting](store, im.cfg.App)
	return im
}

// Placement says where an imported meeting belongs in the process.
type Placement struct {
	// Kind of meeting; default domain.MeetingOther.
	Kind domain.MeetingKind
	// CaseID of a case meeting (the case must exist).
	CaseID domain.CaseID
	// MonthlyMeetingID of a PO monthly meeting session.
	MonthlyMeetingID domain.MonthlyMeetingID
}

// Options tune the import of one file (or, for ImportFiles, of each).
type Options struct {
	// MeetingID records the file into this meeting instead of the one
	// derived from the file (MeetingIDFor). Only for a single file.
	MeetingID domain.MeetingID
	// PublishedAt is when the transcript was published (zero: the
	// meeting's date, or the history's first date when History knows the
	// file).
	PublishedAt time.Time
	// VersionAt is when a changed file's new version was made (zero: now).
	VersionAt time.Time
	// Editor and Reason attribute a changed file's new version (defaults:
	// the actor's ID, "imported from FILE").
	Editor, Reason string
	// History, if set, gives each file's stored versions and dates
	// (history.jsonl): the first is recorded as published, each later one
	// as the changes it contains.
	History *History
	// Placement of the meeting; ImportFiles with Process fills it per file.
	Placement Placement
	// Process recognises the participation process from the titles
	// (ImportFiles only; "pdis" is the one known process).
	Process string
	// Links, with Process, links the cases to the Join proposals they
	// came from (link.go).
	Links *Links
}

// Result is what happened to one file.
type Result struct {
	// File is the file's name as given.
	File string
	// MeetingID is the meeting it was recorded as.
	MeetingID domain.MeetingID
	// Utterances in the file's latest content.
	Utterances int
	// Versions recorded as edits (0 without history).
	Versions int
	// SkippedVersions are the stored versions left out because they
	// cannot be read (each an *akn.Error); the next version readable is
	// recorded as the changes since the last one read.
	SkippedVersions []error
	// Events appended (0 if the file had been imported before).
	Events int
	// Warnings say what the file holds that is untidy but was recorded
	// (a speaker no TLCPerson declares, recorded as undeclared).
	Warnings []string
	// Err is why the file was refused (an *akn.Error for bad input); the
	// file then changed nothing.
	Err error
}

// String is one report line.
func (r Result) String() string {
	switch {
	case r.Err != nil:
		return fmt.Sprintf("FAIL %s", r.Err)
	case r.Events == 0:
		return fmt.Sprintf("same %s: meeting %s, nothing new", r.File, r.MeetingID)
	default:
		v := ""
		if r.Versions > 0 {
			v = fmt.Sprintf(", %d versions", r.Versions)
		}
		if len(r.SkippedVersions) > 0 {
			v += fmt.Sprintf(" (%d unreadable versions left out: %v)", len(r.SkippedVersions), r.SkippedVersions[0])
		}
		if len(r.Warnings) > 0 {
			v += fmt.Sprintf(" (%d warnings)", len(r.Warnings))
		}
		return fmt.Sprintf("ok   %s: meeting %s, %d utterances%s, %d events", r.File, r.MeetingID, r.Utterances, v, r.Events)
	}
}

// MeetingIDFor is the meeting ID a document is recorded as: its FRBRname
// when that is a valid ledger ID, else "akn-YYYYMMDD-" and the first 12 hex
// digits of the SHA-256 of its title. It depends on the content, not on
// the file's path.
func MeetingIDFor(d *akn.Document) domain.MeetingID {
	if d.ID != "" && validID(d.ID) {
		return domain.MeetingID(d.ID)
	}
	h := sha256.Sum256([]byte(d.Title))
	return domain.MeetingID("akn-" + strings.ReplaceAll(d.Date, "-", "") + "-" + hex.EncodeToString(h[:6]))
}

func validID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// dayStart is 00:00 Asia/Taipei of a YYYY-MM-DD date.
func dayStart(date string) (time.Time, error) {
	return time.ParseInLocation("2006-01-02", date, calendar.Taipei)
}

// parsed is one file read and checked, with its versions.
type parsed struct {
	name     string
	doc      *akn.Document
	date     time.Time
	versions []parsedVersion // from History, oldest first (without the file itself)
	skipped  []error         // stored versions that could not be read
	first    time.Time       // first publication, from History
}

type parsedVersion struct {
	entry HistoryEntry
	doc   *akn.Document
}

// parseFile reads and checks one file and its stored versions.
func (im *Importer) parseFile(name string, data []byte, opts Options) (*parsed, error) {
	// A speaker the file names without declaring is taken, as undeclared,
	// with a warning: real transcripts are untidy.
	// A Markdown transcript is read as Markdown; an undated one is dated
	// from its text or its first publication, with a warning.
	doc, err := ParseTranscript(name, data, im.cfg.MaxFileSize)
	if err != nil {
		return nil, err
	}
	p := &parsed{name: name, doc: doc}
	if doc.Date == "" {
		date, warning, ok := dateUndated(doc, opts.History, filepath.Base(name))
		if !ok {
			return nil, &akn.Error{File: name, Err: akn.ErrNoDate, Msg: "neither the FRBRdate, the heading, the file name, a 時間/日期 line of the text nor a stored version dates it"}
		}
		doc.Date = date
		doc.Warnings = append(doc.Warnings, warning)
	}
	if p.date, err = dayStart(doc.Date); err != nil {
		return nil, &akn.Error{File: name, Err: akn.ErrNoDate, Msg: err.Error()}
	}
	if opts.History != nil {
		entries := opts.History.Versions(filepath.Base(name))
		if len(entries) > 0 {
			p.first = entries[0].Date
			if !entries[0].FirstDate.IsZero() {
				p.first = entries[0].FirstDate
			}
		}
		for _, e := range entries {
			if !e.Kept() {
				continue
			}
			vdata, err := readLimited(opts.History.Path(e), im.maxSize())
			if err != nil {
				return nil, fmt.Errorf("%s: version %d: %w", name, e.Version, err)
			}
			if bytes.Equal(vdata, data) {
				// The latest version is the file itself: parsed already.
				p.versions = append(p.versions, parsedVersion{entry: e, doc: doc})
				continue
			}
			vdoc, err := ParseTranscript(e.Path, vdata, im.cfg.MaxFileSize)
			if err != nil {
				// A stored version that cannot be read is left out: the
				// next one is recorded as the changes since the last one
				// read.
				p.skipped = append(p.skipped, err)
				continue
			}
			p.versions = append(p.versions, parsedVersion{entry: e, doc: vdoc})
		}
	}
	return p, nil
}

// ImportFile imports one Akoma Ntoso file from disk.
func (im *Importer) ImportFile(ctx context.Context, path string, opts Options) Result {
	data, err := readLimited(path, im.maxSize())
	if err != nil {
		return Result{File: path, Err: err}
	}
	return im.ImportAKN(ctx, path, data, opts)
}

func (im *Importer) maxSize() int64 {
	if im.cfg.MaxFileSize > 0 {
		return im.cfg.MaxFileSize
	}
	return akn.DefaultMaxSize
}

// readLimited reads a file, refusing one over max bytes before reading it.
func readLimited(path string, max int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > max {
		return nil, &akn.Error{File: path, Err: akn.ErrTooLarge, Msg: fmt.Sprintf("%d bytes, more than the limit of %d", st.Size(), max)}
	}
	return os.ReadFile(path)
}

// ImportAKN imports one Akoma Ntoso document (name is used in errors and
// as its source).
func (im *Importer) ImportAKN(ctx context.Context, name string, data []byte, opts Options) Result {
	p, err := im.parseFile(name, data, opts)
	if err != nil {
		return Result{File: name, Err: err}
	}
	return im.record(ctx, p, opts)
}

// record appends one parsed file: the meeting, the transcript (its first
// stored version, or the file), the publication, each later version, and
// finally the file's own content if it differs from the last version.
func (im *Importer) record(ctx context.Context, p *parsed, opts Options) Result {
	res := Result{File: p.name, Utterances: len(p.doc.Utterances), SkippedVersions: p.skipped, Warnings: p.doc.Warnings}
	id := opts.MeetingID
	if id == "" {
		id = MeetingIDFor(p.doc)
	}
	res.MeetingID = id
	var m *domain.Meeting
	var n int
	var err error
	if opts.MeetingID != "" {
		// An existing meeting (a raw record's) keeps its title and date.
		if m, err = load(ctx, im.store, domain.MeetingStream(id), domain.NewMeeting(id)); err == nil && m.Scheduled() {
			p.date = m.StartsAt()
		}
	}
	if m == nil || !m.Scheduled() {
		m, n, err = im.scheduleMeeting(ctx, id, p.doc.Title, p.date, opts.Placement)
		res.Events += n
	}
	if err != nil {
		res.Err = fmt.Errorf("%s: %w", p.name, err)
		return res
	}
	published := opts.PublishedAt
	if published.IsZero() {
		published = p.first
	}
	if published.IsZero() {
		published = p.date
	}
	if published.Before(p.date) {
		published = p.date
	}
	// The first content: the oldest stored version, else the file.
	first := p.doc
	firstSource := filepath.Base(p.name)
	if len(p.versions) > 0 {
		first, firstSource = p.versions[0].doc, p.versions[0].entry.Path
	}
	n, err = im.recordContent(ctx, m, first, firstSource, p.date, published, 0, opts.Editor, opts.Reason)
	res.Events += n
	if err == nil {
		n, err = im.publish(ctx, id, published)
		res.Events += n
	}
	for i := 1; err == nil && i < len(p.versions); i++ {
		v := p.versions[i]
		at := v.entry.Date
		if at.Before(published) {
			at = published
		}
		n, err = im.recordContent(ctx, m, v.doc, v.entry.Path, time.Time{}, at, v.entry.Version, v.entry.Author, v.entry.Message)
		res.Events += n
		if n > 0 {
			res.Versions++
		}
	}
	if err == nil && len(p.versions) > 0 {
		at := opts.VersionAt
		n, err = im.recordContent(ctx, m, p.doc, filepath.Base(p.name), time.Time{}, at, 0, opts.Editor, opts.Reason)
		res.Events += n
	}
	if err != nil {
		res.Err = fmt.Errorf("%s: %w", p.name, err)
	}
	return res
}

// scheduleMeeting schedules the imported meeting (nothing if it already
// is) and returns its state.
func (im *Importer) scheduleMeeting(ctx context.Context, id domain.MeetingID, title string, at time.Time, pl Placement) (*domain.Meeting, int, error) {
	kind := pl.Kind
	if kind == "" {
		kind = domain.MeetingOther
	}
	var c *domain.Case
	if pl.CaseID != "" {
		var err error
		if c, err = load(ctx, im.store, domain.CaseStream(pl.CaseID), domain.NewCase(pl.CaseID)); err != nil {
			return nil, 0, err
		}
	}
	cmd := domain.ScheduleMeeting{MeetingID: id, CaseID: pl.CaseID, Kind: kind, Title: title, StartsAt: at, MonthlyMeetingID: pl.MonthlyMeetingID, Imported: true}
	var state *domain.Meeting
	res, err := im.meetings.Handle(ctx, app.Request[*domain.Meeting]{
		Stream: domain.MeetingStream(id),
		New:    func() *domain.Meeting { return domain.NewMeeting(id) },
		Actor:  im.actor,
		At:     at,
		Decide: func(m *domain.Meeting, at time.Time) ([]domain.Event, error) {
			state = nil
			if pl == (Placement{}) && m.Scheduled() && m.Imported() && m.Title() == title && m.StartsAt().Equal(at) {
				// Imported before, perhaps placed in a case: keep it.
				return nil, nil
			}
			evs, err := m.Schedule(cmd, im.actor, at, c, domain.DefaultMonthlyConfig(), nil)
			if err == nil && !m.Scheduled() {
				// The state as it will be once the events are stored.
				state = domain.NewMeeting(id)
				err = domain.ApplyAll(state, evs...)
			}
			return evs, err
		},
	})
	if err != nil {
		return nil, 0, err
	}
	if state == nil {
		if state, err = load(ctx, im.store, domain.MeetingStream(id), domain.NewMeeting(id)); err != nil {
			return nil, 0, err
		}
	}
	return state, len(res.Events), nil
}

// recordContent records doc as the transcript of meeting m: the import if
// there is no transcript yet (at importAt), nothing if its content was
// recorded before, else a new version (at versionAt, zero for now) with
// the changes that turn the transcript into doc.
func (im *Importer) recordContent(ctx context.Context, m *domain.Meeting, doc *akn.Document, source string, importAt, versionAt time.Time, revision int, editor, reason string) (int, error) {
	id := m.ID()
	hash := doc.ContentHash()
	stream := domain.TranscriptStream(id)
	newT := func() *domain.Transcript { return domain.NewTranscript(id) }
	if !importAt.IsZero() {
		var exists bool
		res, err := im.transcripts.Handle(ctx, app.Request[*domain.Transcript]{
			Stream: stream, New: newT, Actor: im.actor, At: importAt,
			Decide: func(t *domain.Transcript, at time.Time) ([]domain.Event, error) {
				exists = t.Started()
				if exists {
					return nil, nil
				}
				return t.Import(domain.ImportTranscript{MeetingID: id, Source: source, ContentHash: hash, Utterances: utterancesOf(doc)}, im.actor, at, m)
			},
		})
		if err != nil {
			return 0, err
		}
		if !exists {
			return len(res.Events), nil
		}
	}
	if editor == "" {
		editor = im.actor.ID
	}
	if reason == "" {
		reason = "imported from " + source
	}
	res, err := im.transcripts.Handle(ctx, app.Request[*domain.Transcript]{
		Stream: stream, New: newT, Actor: im.actor, At: versionAt,
		Decide: func(t *domain.Transcript, at time.Time) ([]domain.Event, error) {
			rev := revision
			if rev == 0 {
				// A file, not a numbered version: content seen before is
				// not recorded again (importing an old file is no revert).
				if t.HasImported(hash) {
					return nil, nil
				}
				rev = t.Revision() + 1
			}
			changes := ChangesNormalised(id, t.Current(), doc.Utterances, idPrefix(rev))
			return t.ImportVersion(domain.ImportTranscriptVersion{MeetingID: id, Revision: rev, Source: source, ContentHash: hash, Editor: editor, Reason: reason, Changes: changes}, im.actor, at)
		},
	})
	return len(res.Events), err
}

// publish publishes the transcript at at, unless it is published.
func (im *Importer) publish(ctx context.Context, id domain.MeetingID, at time.Time) (int, error) {
	res, err := im.transcripts.Handle(ctx, app.Request[*domain.Transcript]{
		Stream: domain.TranscriptStream(id),
		New:    func() *domain.Transcript { return domain.NewTranscript(id) },
		Actor:  im.actor, At: at,
		Decide: func(t *domain.Transcript, at time.Time) ([]domain.Event, error) {
			if t.Published() {
				return nil, nil
			}
			return t.Publish(domain.PublishTranscript{MeetingID: id}, im.actor, at, im.tcfg, im.cal)
		},
	})
	return len(res.Events), err
}

// mentionsIn counts a word's occurrences in a document's text.
func mentionsIn(d *akn.Document) func(string) int {
	return func(word string) int {
		n := 0
		for _, u := range d.Utterances {
			for _, p := range u.Paragraphs {
				n += strings.Count(p, word)
			}
		}
		return n
	}
}

// UtterancesOf is a document's utterances as an import records them,
// numbered u-1, u-2, ...
func UtterancesOf(d *akn.Document) []domain.ImportedUtterance { return utterancesOf(d) }

// utterancesOf numbers a document's utterances u-1, u-2, ...
func utterancesOf(d *akn.Document) []domain.ImportedUtterance {
	undeclared := map[string]bool{}
	for _, p := range d.Persons {
		if p.Undeclared {
			undeclared[p.ID] = true
		}
	}
	out := make([]domain.ImportedUtterance, len(d.Utterances))
	for i, u := range d.Utterances {
		sp := speakerOf(u)
		sp.Undeclared = sp.Ref != "" && undeclared[sp.Ref]
		out[i] = domain.ImportedUtterance{UtteranceID: domain.UtteranceID(fmt.Sprintf("u-%d", i+1)), Kind: domain.UtteranceKind(u.Kind), Speaker: sp, Paragraphs: u.Paragraphs}
	}
	return out
}

// load folds a stream into a fresh aggregate.
func load[A domain.Aggregate](ctx context.Context, store eventstore.Store, stream string, agg A) (A, error) {
	for {
		evs, err := store.ReadStream(ctx, stream, agg.Version()+1, 4096)
		if err != nil {
			return agg, fmt.Errorf("load %s: %w", stream, err)
		}
		for _, se := range evs {
			e, err := domain.Decode(se.Type, se.SchemaVersion, se.Data)
			if err != nil {
				return agg, fmt.Errorf("load %s: %w", stream, err)
			}
			if err := agg.Apply(e); err != nil {
				return agg, fmt.Errorf("load %s: %w", stream, err)
			}
		}
		if len(evs) < 4096 {
			return agg, nil
		}
	}
}

// Files expands the arguments of an import: a file stays itself, a folder
// gives its *.xml and *.md files (not its subfolders), sorted by name.
func Files(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		ents, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range ents {
			if !e.IsDir() && (strings.HasSuffix(e.Name(), ".xml") || strings.HasSuffix(e.Name(), ".md")) {
				names = append(names, filepath.Join(a, e.Name()))
			}
		}
		sort.Strings(names)
		out = append(out, names...)
	}
	return out, nil
}

// ImportFiles imports files (folders are expanded by Files) with
// Config.Workers at once, calling report with each file's result as it
// finishes, and returns every result in the order of paths. A refused file
// is reported and the others go on. With Options.Process "pdis", every
// file is parsed first, the process is recognised from the titles
// (Classify), its cases and monthly meetings are recorded, and each file's
// meeting is placed in it; Summary then lists what could not be
// classified.
func (im *Importer) ImportFiles(ctx context.Context, paths []string, opts Options, report func(Result)) ([]Result, *Summary, error) {
	if report == nil {
		report = func(Result) {}
	}
	if opts.Process != "" && opts.Process != "pdis" {
		return nil, nil, fmt.Errorf("unknown process %q (known: pdis)", opts.Process)
	}
	opts.MeetingID = ""
	results := make([]Result, len(paths))
	parsedFiles := make([]*parsed, len(paths))
	var mu sync.Mutex
	done := func(i int, r Result) {
		results[i] = r
		mu.Lock()
		report(r)
		mu.Unlock()
	}
	// Parse every file (in parallel: this is the CPU part).
	parseOne := func(i int) {
		data, err := readLimited(paths[i], im.maxSize())
		if err == nil {
			parsedFiles[i], err = im.parseFile(paths[i], data, opts)
		}
		if err != nil {
			done(i, Result{File: paths[i], Err: err})
		}
	}
	if opts.Process == "" {
		// Parse and record in one pass per file.
		im.parallel(ctx, len(paths), im.cfg.Workers, func(i int) {
			parseOne(i)
			if p := parsedFiles[i]; p != nil {
				done(i, im.record(ctx, p, opts))
				parsedFiles[i] = nil
			}
		})
		return results, nil, ctx.Err()
	}
	im.parallel(ctx, len(paths), runtime.GOMAXPROCS(0), parseOne)
	var docs []ProcessFile
	for i, p := range parsedFiles {
		if p != nil {
			docs = append(docs, ProcessFile{Index: i, Title: p.doc.Title, Date: p.doc.Date, MeetingID: MeetingIDFor(p.doc), Mentions: mentionsIn(p.doc)})
		}
	}
	plan := Classify(docs)
	for i, pm := range plan.Monthly {
		if p := parsedFiles[pm.Index]; p != nil {
			held := heldFrom(pm.ID, MeetingIDFor(p.doc), p.doc)
			plan.Monthly[i].Held = &held
		}
	}
	if err := im.recordProcess(ctx, &plan); err != nil {
		return results, &plan.Summary, err
	}
	if err := im.linkAndEnd(ctx, &plan, parsedFiles, docs, opts.Links); err != nil {
		return results, &plan.Summary, err
	}
	im.parallel(ctx, len(paths), im.cfg.Workers, func(i int) {
		p := parsedFiles[i]
		if p == nil {
			return
		}
		o := opts
		o.Placement = plan.Placements[i]
		r := im.record(ctx, p, o)
		if why, ok := plan.Unclassified[i]; ok && r.Err == nil {
			r.Warnings = append(r.Warnings, "not placed in the participation process ("+why+"): recorded as a meeting of no case")
		}
		done(i, r)
		parsedFiles[i] = nil // recorded: let the collector have it
	})
	return results, &plan.Summary, ctx.Err()
}

// parallel runs f(0..n-1) on workers goroutines.
func (im *Importer) parallel(ctx context.Context, n, workers int, f func(int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(workers, max(n, 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// sortedKeys returns a map's keys in order.
func sortedKeys[K ~string | ~int, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pdis/collab-ledger/akn"
	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
)

// ErrEmptyRecord: a raw record has no paragraph.
var ErrEmptyRecord = errors.New("empty record")

// ParseRaw reads a stenographer's raw record: paragraphs separated by
// lines holding only "-", no speakers. Each paragraph's lines are joined
// and returned in the safe inline form (akn.EscapeText). Errors are
// *akn.Error naming the file and line.
func ParseRaw(name string, data []byte, maxSize int64) ([]string, error) {
	if maxSize <= 0 {
		maxSize = akn.DefaultMaxSize
	}
	if int64(len(data)) > maxSize {
		return nil, &akn.Error{File: name, Err: akn.ErrTooLarge, Msg: fmt.Sprintf("more than %d bytes (the limit)", maxSize)}
	}
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	var paras []string
	var cur []string
	flush := func() {
		if p := akn.EscapeText(strings.Join(cur, " ")); p != "" {
			paras = append(paras, p)
		}
		cur = cur[:0]
	}
	for i, line := range bytes.Split(data, []byte{'\n'}) {
		if !utf8.Valid(line) {
			return nil, &akn.Error{File: name, Line: i + 1, Err: akn.ErrEncoding, Msg: "the line is not UTF-8"}
		}
		s := strings.TrimSpace(string(line))
		if s == "-" {
			flush()
			continue
		}
		cur = append(cur, s)
	}
	flush()
	if len(paras) == 0 {
		return nil, &akn.Error{File: name, Err: ErrEmptyRecord, Msg: "no paragraph"}
	}
	return paras, nil
}

// RawOptions say which meeting a raw record belongs to.
type RawOptions struct {
	// MeetingID is the meeting (required).
	MeetingID domain.MeetingID
	// Title and Date (YYYY-MM-DD) create the meeting if it does not exist.
	Title, Date string
}

// ImportRaw records a stenographer's raw record as meeting opts.MeetingID's
// transcript: one speech per paragraph, speakers not yet known, at the
// meeting's date. Import the published version afterwards (ImportAKN with
// Options.MeetingID) to record the speaker assignments and edits that made
// it.
func (im *Importer) ImportRaw(ctx context.Context, name string, data []byte, opts RawOptions) Result {
	res := Result{File: name, MeetingID: opts.MeetingID}
	fail := func(err error) Result {
		res.Err = err
		return res
	}
	if !validID(string(opts.MeetingID)) {
		return fail(fmt.Errorf("%s: meeting ID %q is not a valid ID", name, opts.MeetingID))
	}
	paras, err := ParseRaw(name, data, im.cfg.MaxFileSize)
	if err != nil {
		return fail(err)
	}
	m, err := load(ctx, im.store, domain.MeetingStream(opts.MeetingID), domain.NewMeeting(opts.MeetingID))
	if err != nil {
		return fail(err)
	}
	if !m.Scheduled() {
		if opts.Title == "" || opts.Date == "" {
			return fail(fmt.Errorf("%s: %w: %s (give a title and a date to create it)", name, ErrMeetingNotFound, opts.MeetingID))
		}
		at, err := dayStart(opts.Date)
		if err != nil {
			return fail(fmt.Errorf("%s: date: %w", name, err))
		}
		var n int
		if m, n, err = im.scheduleMeeting(ctx, opts.MeetingID, opts.Title, at, Placement{}); err != nil {
			return fail(err)
		}
		res.Events += n
	}
	us := make([]akn.Utterance, len(paras))
	for i, p := range paras {
		us[i] = akn.Utterance{Kind: akn.Speech, Paragraphs: []string{p}}
	}
	doc := &akn.Document{Utterances: us}
	res.Utterances = len(us)
	hash := doc.ContentHash()
	id := opts.MeetingID
	r, err := im.transcripts.Handle(ctx, app.Request[*domain.Transcript]{
		Stream: domain.TranscriptStream(id), New: func() *domain.Transcript { return domain.NewTranscript(id) },
		Actor: im.actor, At: m.StartsAt(),
		Decide: func(t *domain.Transcript, at time.Time) ([]domain.Event, error) {
			return t.Import(domain.ImportTranscript{MeetingID: id, Source: "raw:" + filepath.Base(name), ContentHash: hash, Utterances: utterancesOf(doc)}, im.actor, at, m)
		},
	})
	res.Events += len(r.Events)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", name, err))
	}
	return res
}

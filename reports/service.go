package reports

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
)

// ErrBeyondHead: a report was asked for at a position the log has not
// reached.
var ErrBeyondHead = errors.New("position beyond the log's head")

// Where a report was computed from (Computed.Source).
const (
	// SourceReadModel: from the report-inputs read model.
	SourceReadModel = "read-model"
	// SourceLog: by folding the log.
	SourceLog = "log"
)

// ServiceOptions tune a Service. The zero value is the server's.
type ServiceOptions struct {
	// CacheEntries bounds the reports kept computed. Default 32; negative:
	// no cache.
	CacheEntries int
	// CacheEvents bounds the event references (Figure.Source.Events) the
	// kept reports hold together, which is what their memory grows with
	// (about 100 bytes each). Default 1<<20. A report holding more is
	// answered but not kept.
	CacheEvents int
	// Logger. Default slog.Default().
	Logger *slog.Logger
	// Inputs is the report-inputs read model (readmodels.ReportInputsLog)
	// to compute reports from, instead of folding the log: a report at a
	// position the read model has reached (any position up to its
	// checkpoint, since its documents are keyed by position) is computed
	// from it, the same byte for byte and about ten times fewer events to
	// fold. A position beyond its checkpoint (the log's head just after an
	// append, or while the read model catches up) waits up to InputsWait
	// for it, then folds the log instead; so does a report the read model
	// fails to give. Nil: always the log.
	Inputs InputsLog
	// InputsWait bounds that wait. Default 2 s; negative: no wait.
	InputsWait time.Duration
}

// Service computes the reports a server answers (the web package serves
// them at /reports): at a log position, from the report-inputs read model
// when it has reached that position, else by folding the log, and keeps
// the most recent ones, so that a repeated request at the same position (a
// reload, the language switch, a figure's query link, another format) is
// answered without folding the log again; a new event moves the head and
// so gives a fresh report. Concurrent requests for one report compute it
// once.
type Service struct {
	src   Log
	opts  ServiceOptions
	cache *reportCache
}

// NewService returns a Service over the log src.
func NewService(src Log, opts ServiceOptions) *Service {
	if opts.CacheEntries == 0 {
		opts.CacheEntries = 32
	}
	if opts.CacheEvents == 0 {
		opts.CacheEvents = 1 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.InputsWait == 0 {
		opts.InputsWait = 2 * time.Second
	}
	return &Service{src: src, opts: opts, cache: newReportCache(opts.CacheEntries, opts.CacheEvents)}
}

// Computed is a report a Service answered.
type Computed struct {
	// Report is the report; Report.At names its position.
	Report Report
	// Hit says it was kept, not computed for this call.
	Hit bool
	// Source is SourceReadModel or SourceLog.
	Source string
}

// Head returns the log's head: the position a report asked for without
// one is computed at.
func (s *Service) Head(ctx context.Context) (eventstore.Position, error) {
	head, err := s.src.Head(ctx)
	if err != nil {
		return 0, fmt.Errorf("report: read the log's head: %w", err)
	}
	return head, nil
}

// Report returns the report of period p for f at position at (0: the
// log's head now). A position beyond the head is an error wrapping
// ErrBeyondHead.
func (s *Service) Report(ctx context.Context, p Period, f Filter, at eventstore.Position) (Computed, error) {
	head, err := s.Head(ctx)
	if err != nil {
		return Computed{}, err
	}
	pos := head
	if at > 0 {
		if at > head {
			return Computed{}, fmt.Errorf("report at %d: %w %d", at, ErrBeyondHead, head)
		}
		pos = at
	}
	key := keyOf(p, f, pos)
	var source string
	rep, hit, err := s.cache.get(ctx, key, func(ctx context.Context) (Report, error) {
		start := time.Now()
		rep, src, err := s.compute(ctx, p, f, pos)
		if err == nil {
			s.opts.Logger.Debug("report computed", "from", p.From, "to", p.To, "ministry", f.Ministry, "at", rep.At, "events", rep.Events, "source", src, "took", time.Since(start))
		}
		rep.source = src
		return rep, err
	})
	if err != nil {
		return Computed{}, fmt.Errorf("report at %d: %w", pos, err)
	}
	source = rep.source
	return Computed{Report: rep, Hit: hit, Source: source}, nil
}

// Keeps reports whether the report of p for f at pos is kept computed
// (and marks it used): a rendering of it may be kept as long.
func (s *Service) Keeps(p Period, f Filter, pos eventstore.Position) bool {
	return s.opts.CacheEntries >= 0 && s.cache.holds(keyOf(p, f, pos))
}

func keyOf(p Period, f Filter, pos eventstore.Position) cacheKey {
	return cacheKey{from: p.From.UnixNano(), to: p.To.UnixNano(), ministry: f.Ministry, at: pos}
}

// compute computes the report at pos from the read model when there is one
// and it reaches pos (waiting up to InputsWait for it), else from the log,
// and says which.
func (s *Service) compute(ctx context.Context, p Period, f Filter, pos eventstore.Position) (Report, string, error) {
	if in := s.opts.Inputs; in != nil {
		cp, err := in.Head(ctx)
		if err == nil && cp < pos {
			err = fmt.Errorf("report inputs: checkpoint %d is behind position %d", cp, pos)
			if s.opts.InputsWait > 0 {
				wctx, cancel := context.WithTimeout(ctx, s.opts.InputsWait)
				err = in.WaitFor(wctx, pos)
				cancel()
			}
		}
		if err == nil {
			var rep Report
			if rep, err = Compute(ctx, in, p, f, pos); err == nil {
				return rep, SourceReadModel, nil
			}
		}
		if ctx.Err() != nil {
			return Report{}, "", ctx.Err()
		}
		s.opts.Logger.Debug("report: folding the log, not the read model", "at", pos, "reason", err)
	}
	rep, err := Compute(ctx, s.src, p, f, pos)
	return rep, SourceLog, err
}

// Narrow returns rep with only the figure key (in its section), or false if
// the report has no such figure: each figure's query link answers it.
func Narrow(rep Report, key string) (Report, bool) {
	for _, s := range rep.Sections {
		for _, f := range s.Figures {
			if f.Key == key {
				s.Figures = []Figure{f}
				rep.Sections = []Section{s}
				return rep, true
			}
		}
	}
	return rep, false
}

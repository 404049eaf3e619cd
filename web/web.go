// Package web is the ledger's HTTP layer: the health endpoint, the JSON
// command API (api_commands.go) with its bearer tokens (auth.go), and the
// public pages and query routes as they arrive. It adapts HTTP to the
// application; it holds no rules of its own.
//
//	h := web.New(web.Config{Store: store, StoreKind: "file"})
//	http.ListenAndServe(addr, h)
package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pdis/collab-ledger/domain/calendar"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/internal/lease"
	"github.com/pdis/collab-ledger/internal/lru"
	"github.com/pdis/collab-ledger/readmodels"
	"github.com/pdis/collab-ledger/reports"
	"github.com/pdis/collab-ledger/sessionstore"
)

// Config is what the handler serves from.
type Config struct {
	// Store is the event log.
	Store eventstore.Store
	// Calendar is the working-day calendar the ledger decides with; from
	// 1 October /healthz warns when it does not cover next year. Nil: the
	// built-in one.
	Calendar *calendar.Calendar
	// Now is the clock of that warning. Default time.Now.
	Now func() time.Time
	// StoreKind names the backend for the health report ("file",
	// "postgres", "esdb"), never its URL (which may hold a password).
	StoreKind string
	// Logger receives request errors. Default slog.Default().
	Logger *slog.Logger
	// Ledger executes the JSON API's commands (POST /api/v1/commands/…);
	// nil serves none. See api_commands.go.
	Ledger CommandExecutor
	// Tokens authenticates the API's bearer tokens and serves the token
	// administration routes; required with Ledger. *tokens.Service is the
	// ledger's.
	Tokens TokenService
	// Proofs answers the transparency log's routes (latest checkpoint,
	// inclusion and consistency proofs; see proofs.go); nil serves none.
	Proofs ProofSource
	// ReadSide reports and rebuilds the projections (GET /api/v1/status,
	// POST /api/v1/admin/projections/{name}/rebuild); nil serves neither.
	// GET /readyz reads its status too (without it, only the store's).
	ReadSide ReadSide
	// ReadyMaxLag is how many events a projection may be behind the log's
	// head while GET /readyz still answers ready. Default
	// DefaultReadyMaxLag.
	ReadyMaxLag uint64
	// Leases are the server's job leases, listed by GET /readyz and GET
	// /api/v1/status (who runs each job); nil lists none.
	Leases lease.Manager
	// Queries are the read models the public pages and the JSON query API
	// read (pages.go, api_queries.go); *projections.Runner is one. Nil
	// serves no pages, and the query routes answer 503.
	Queries ReadModels
	// Reports computes the period reports to the Premier that GET
	// /reports serves (reports.go); nil serves none.
	Reports *reports.Service
	// Search answers /search and /api/v1/search (search.go); nil serves
	// neither page nor route (503).
	Search Searcher
	// MeetingCacheBytes bounds the transcript text the meeting queries keep
	// between requests (see readmodels.MeetingCache), and half as much the
	// transcript pages' rendered utterances. Default 64 MiB.
	MeetingCacheBytes int
	// AsOfCacheBytes bounds the folds of cases as of earlier points that
	// the as-of views keep (estimated at 512 bytes an event folded; a fold
	// over a quarter of it is not kept). Default 256 MiB.
	AsOfCacheBytes int
	// Folds keeps the snapshots of large cases' as-of folds across
	// restarts (readmodels.CaseFolds, decision 0043); nil keeps them in
	// memory only. The snapshots in memory are bounded by AsOfCacheBytes
	// too, apart from the folds above.
	Folds readmodels.FoldStore
	// JoinFeed records the Join feed (POST /api/v1/feeds/join, see
	// api_feeds.go); nil serves none. It needs Tokens.
	JoinFeed JoinImporter
	// MaxFeedBytes bounds a feed's body. Default 64 MiB.
	MaxFeedBytes int64
	// FeedTimeout bounds one feed request. Default 5 minutes.
	FeedTimeout time.Duration
	// MaxHeaderBytes bounds a request's header; a larger one is refused
	// with 431 headers_too_large. Default DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// MaxBodyBytes bounds a command's body. Default 1 MiB.
	MaxBodyBytes int64
	// RequestTimeout bounds one command. Default 15 s.
	RequestTimeout time.Duration
	// SignIn offers signing in and the forms of every role (session.go,
	// forms.go); nil offers neither. The forms need Ledger and Queries.
	SignIn *SignIn
	// Metrics are served at GET /metrics in the Prometheus text format
	// (metrics.go; *metrics.Metrics' Gatherer); nil serves none.
	Metrics prometheus.Gatherer
	// Export streams the log at GET /api/v1/export to auditors and staff
	// (export.go); nil serves none. It needs Tokens.
	Export *ExportConfig
}

// Validate reports a configuration that cannot serve.
func (c Config) Validate() error {
	if c.Store == nil {
		return errors.New("web config: no event store")
	}
	if c.Ledger != nil && c.Tokens == nil {
		return errors.New("web config: a ledger needs an authenticator for its tokens")
	}
	if c.Export != nil && (c.Tokens == nil || c.Export.Store == nil) {
		return errors.New("web config: the export needs an authenticator for its tokens and the log as stored")
	}
	if c.JoinFeed != nil && c.Tokens == nil {
		return errors.New("web config: the Join feed needs an authenticator for its tokens")
	}
	if si := c.SignIn; si != nil {
		switch {
		case c.Ledger == nil || c.Queries == nil:
			return errors.New("web config: sign-in needs a ledger and the read models")
		case len(si.Secret) == 0:
			return errors.New("web config: sign-in needs the pseudonym secret")
		case si.OIDC != nil && si.Accounts == nil:
			return errors.New("web config: an OpenID provider needs the list of accounts")
		}
		if si.OIDC != nil {
			if err := si.OIDC.Validate(); err != nil {
				return fmt.Errorf("web config: %w", err)
			}
		}
	}
	return nil
}

type server struct {
	cfg      Config
	meetings *readmodels.MeetingCache
	// fragments keeps transcript pages' rendered utterances.
	fragments *lru.Cache[fragmentKey, template.HTML]
	// snapshots keeps folds of cases as of settled points.
	snapshots *lru.Cache[snapshotKey, *readmodels.Snapshot]
	// folds keeps periodic snapshots of large cases' folds, refreshing
	// names the cases being refreshed (asof.go).
	folds      readmodels.CaseFolds
	refreshing sync.Map
	// sessions, oidc and devActors serve sign-in (nil without SignIn).
	sessions  *sessions
	oidc      *oidcClient
	devActors []DevActor
	// dir keeps the home page's and the lists' data (directory.go), and
	// listPages their rendered pages (lists_view.go).
	dir       directoryCache
	listPages *lru.Cache[listPageKey, []byte]
	// searchPages keeps rendered search pages (search.go).
	searchPages *lru.Cache[searchPageKey, []byte]
	// reportRenderings keeps rendered reports while Reports keeps them.
	reportRenderings *lru.Cache[reportKey, reportRendering]
}

// New returns the ledger's HTTP handler.
func New(cfg Config) (http.Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxHeaderBytes <= 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 15 * time.Second
	}
	if cfg.MaxFeedBytes <= 0 {
		cfg.MaxFeedBytes = defaultMaxFeedBytes
	}
	if cfg.FeedTimeout <= 0 {
		cfg.FeedTimeout = 5 * time.Minute
	}
	if cfg.MeetingCacheBytes <= 0 {
		cfg.MeetingCacheBytes = readmodels.DefaultMeetingCacheBytes
	}
	if cfg.ReadyMaxLag == 0 {
		cfg.ReadyMaxLag = DefaultReadyMaxLag
	}
	if cfg.AsOfCacheBytes <= 0 {
		cfg.AsOfCacheBytes = 256 << 20
	}
	s := &server{cfg: cfg, meetings: readmodels.NewMeetingCache(cfg.MeetingCacheBytes),
		fragments: lru.New[fragmentKey, template.HTML](cfg.MeetingCacheBytes / 2),
		snapshots: lru.New[snapshotKey, *readmodels.Snapshot](cfg.AsOfCacheBytes),
		listPages: lru.New[listPageKey, []byte](listPagesBytes), searchPages: lru.New[searchPageKey, []byte](searchPagesBytes)}
	s.folds.Store, s.folds.MaxBytes, s.folds.Logger = cfg.Folds, cfg.AsOfCacheBytes, cfg.Logger
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.health)
	mux.HandleFunc("GET "+ReadyPath, s.ready)
	s.registerAPI(mux)
	s.registerReports(mux)
	if cfg.SignIn != nil {
		si := *cfg.SignIn
		s.cfg.SignIn = &si
		if si.SessionTTL <= 0 {
			si.SessionTTL = 8 * time.Hour
		}
		now := si.Now
		if now == nil {
			now = time.Now
		}
		store := si.Sessions
		if store == nil {
			store = sessionstore.NewMemory()
		}
		s.sessions = newSessions(store, si.SessionTTL, now, cfg.Logger)
		if si.OIDC != nil {
			s.oidc = newOIDCClient(*si.OIDC)
		}
		s.devActors = si.DevActors
		if err := s.registerSignIn(mux); err != nil {
			return nil, err
		}
	}
	if cfg.Queries != nil {
		if err := s.registerPages(mux); err != nil {
			return nil, err
		}
	}
	return &router{s: s, mux: mux, maxBody: max(s.cfg.MaxBodyBytes, s.cfg.MaxFeedBytes)}, nil
}

// Health is the body of GET /healthz.
type Health struct {
	Status string `json:"status"`
	Store  string `json:"store"`
	Head   uint64 `json:"head"`
	Error  string `json:"error,omitempty"`
	// Warnings are conditions that need an operator (next year's
	// office calendar missing from 1 October); the server still works.
	Warnings []string `json:"warnings,omitempty"`
}

// CalendarWarning says, from 1 October, that next year's office calendar
// is not loaded: edit windows and meeting dates reaching it are counted on
// weekends only and marked provisional until it is.
func CalendarWarning(cal *calendar.Calendar, now time.Time) string {
	if cal == nil {
		cal = calendar.Taiwan()
	}
	if y, missing := cal.MissingNextYear(now); missing {
		return fmt.Sprintf("calendar: the office calendar for %d is not loaded (serve --calendar DIR with data.gov.tw dataset 14718's %d.json); windows reaching %d count weekends only and are marked provisional", y, y, y)
	}
	return ""
}

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	h := Health{Status: "ok", Store: s.cfg.StoreKind}
	status := http.StatusOK
	head, err := s.cfg.Store.Head(ctx)
	if err != nil {
		s.cfg.Logger.Error("health check: event store", "err", err)
		h.Status, h.Error = "unavailable", "event store: "+eventstore.Code(err)
		status = http.StatusServiceUnavailable
	}
	h.Head = uint64(head)
	now := time.Now
	if s.cfg.Now != nil {
		now = s.cfg.Now
	}
	if msg := CalendarWarning(s.cfg.Calendar, now()); msg != "" {
		h.Warnings = append(h.Warnings, msg)
	}
	writeJSON(w, status, h)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

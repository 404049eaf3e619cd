package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/internal/lease"
	"github.com/pdis/collab-ledger/projections"
)

// ReadyPath is the readiness check: GET /readyz answers 200 when the store
// answers and every projection is running, not stalled and within
// Config.ReadyMaxLag of the log's head, else 503 with the reasons. GET
// /healthz stays a liveness check (the process and its store answer).
const ReadyPath = "/readyz"

// DefaultReadyMaxLag is Config.ReadyMaxLag's default: how many events a
// projection may be behind the log's head and still be ready.
const DefaultReadyMaxLag = 10_000

// Readiness is the body of GET /readyz.
type Readiness struct {
	// Status is "ready" or "not ready".
	Status string `json:"status"`
	// Head is the log's last position.
	Head uint64 `json:"head"`
	// Problems says, one line each, why the server is not ready.
	Problems []string `json:"problems,omitempty"`
	// Jobs is each projection's state: which server runs it (holder),
	// position (checkpoint), lag, state, its last failure and automatic
	// restarts, whether it is stalled.
	Jobs []projections.Status `json:"jobs"`
	// Leases are every job's lease, the checkpoint publisher's and the
	// deadline job's included: holder, fencing token, expiry.
	Leases []lease.Info `json:"leases,omitempty"`
}

func (s *server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	rd := Readiness{Status: "ready", Jobs: []projections.Status{}}
	head, err := s.cfg.Store.Head(ctx)
	if err != nil {
		s.cfg.Logger.Error("readiness check: event store", "err", err)
		rd.Problems = append(rd.Problems, "event store: "+eventstore.Code(err))
	}
	rd.Head = uint64(head)
	if s.cfg.ReadSide != nil {
		st, err := s.cfg.ReadSide.Status(ctx)
		if err != nil {
			s.cfg.Logger.Error("readiness check: projections", "err", err)
			rd.Problems = append(rd.Problems, "projections: the status could not be read")
		}
		rd.Jobs = append(rd.Jobs, st...)
		rd.Problems = append(rd.Problems, JobProblems(st, s.cfg.ReadyMaxLag)...)
	}
	if leases, err := s.leases(ctx); err != nil {
		s.cfg.Logger.Error("readiness check: leases", "err", err)
		rd.Problems = append(rd.Problems, "leases: could not be read")
	} else {
		rd.Leases = leases
	}
	status := http.StatusOK
	if len(rd.Problems) > 0 {
		rd.Status, status = "not ready", http.StatusServiceUnavailable
	}
	writeJSON(w, status, rd)
}

// JobProblems names what keeps the projections in st from being ready
// (`collabledger status` fails with the same).
func JobProblems(st []projections.Status, maxLag uint64) []string {
	var out []string
	for _, p := range st {
		switch {
		case p.State == projections.StateFailed:
			msg := fmt.Sprintf("%s failed at position %d: %s", p.Projection, p.ErrorPosition, p.Error)
			if p.NextRestart != nil {
				msg += fmt.Sprintf(" (restarting itself at %s, after %d failures in a row)", p.NextRestart.UTC().Format(time.RFC3339), p.Restarts)
			}
			out = append(out, msg)
		case p.State == projections.StateStopped:
			out = append(out, p.Projection+" is not running")
		case p.Stalled:
			out = append(out, fmt.Sprintf("%s stalled: checkpoint %d has not moved since %s, %d events behind", p.Projection, p.Checkpoint, p.LastMoved.Format(time.RFC3339), p.Lag))
		case p.Lag > maxLag:
			out = append(out, fmt.Sprintf("%s is %d events behind the log (more than %d)", p.Projection, p.Lag, maxLag))
		}
	}
	return out
}

package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/pdis/collab-ledger/internal/lease"
	"github.com/pdis/collab-ledger/projections"
)

// Paths of the read side's operational routes.
const (
	StatusPath  = "/api/v1/status"
	RebuildPath = "/api/v1/admin/projections/{name}/rebuild"
)

// ReadSide is what the server's projections offer operators: each
// projection's checkpoint, the log's head and the lag; and a rebuild beside
// the running read model. *projections.Runner implements it.
type ReadSide interface {
	Status(ctx context.Context) ([]projections.Status, error)
	Rebuild(ctx context.Context, projection string) (uint64, error)
}

// StatusReport is the body of GET /api/v1/status.
type StatusReport struct {
	Head        uint64               `json:"head"`
	Projections []projections.Status `json:"projections"`
	// Leases are the jobs' leases: which server runs each projection, the
	// checkpoint publisher and the deadline job (Config.Leases).
	Leases []lease.Info `json:"leases,omitempty"`
}

// RebuildStarted is the body of a 202 answer to a rebuild.
type RebuildStarted struct {
	Projection string `json:"projection"`
	Generation uint64 `json:"generation"`
}

func (s *server) registerReadSide(handle func(string, http.HandlerFunc)) {
	if s.cfg.ReadSide == nil {
		return
	}
	handle("GET "+StatusPath, s.status)
	if s.cfg.Tokens != nil {
		handle("POST "+RebuildPath, s.rebuild)
	}
}

func (s *server) status(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	st, err := s.cfg.ReadSide.Status(ctx)
	if err != nil {
		writeError(w, r, s.cfg.Logger, err)
		return
	}
	head, err := s.cfg.Store.Head(ctx)
	if err != nil {
		writeError(w, r, s.cfg.Logger, err)
		return
	}
	leases, err := s.leases(ctx)
	if err != nil {
		writeError(w, r, s.cfg.Logger, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, StatusReport{Head: uint64(head), Projections: st, Leases: leases})
}

// leases lists the jobs' leases (none without Config.Leases).
func (s *server) leases(ctx context.Context) ([]lease.Info, error) {
	if s.cfg.Leases == nil {
		return nil, nil
	}
	return s.cfg.Leases.Leases(ctx)
}

// rebuild starts building a projection's read model again beside the one
// queries read, switching when it has caught up. Staff only.
func (s *server) rebuild(w http.ResponseWriter, r *http.Request) {
	if _, err := s.staff(r, "admin.rebuild.staff_only", "only PDIS staff may rebuild read models", "只有 PDIS 工作人員能重建讀取模型"); err != nil {
		writeError(w, r, s.cfg.Logger, err)
		return
	}
	name := r.PathValue("name")
	gen, err := s.cfg.ReadSide.Rebuild(r.Context(), name)
	if errors.Is(err, projections.ErrUnknownProjection) {
		e := newAPIError(http.StatusNotFound, CodeNotFound, "no projection "+name).zh("沒有讀取模型 " + name)
		e.detail.Rule = "admin.rebuild.unknown_projection"
		writeError(w, r, s.cfg.Logger, e)
		return
	}
	if err != nil {
		writeError(w, r, s.cfg.Logger, err)
		return
	}
	writeJSON(w, http.StatusAccepted, RebuildStarted{Projection: name, Generation: gen})
}

package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/export"
	"github.com/pdis/collab-ledger/eventstore/sealed"
)

// ExportPath streams the log as JSON Lines of CloudEvents, the export
// `collabledger export` writes (decision 0036).
const ExportPath = "/api/v1/export"

// Rules of the export's refusals.
const (
	// RuleExportRole: the export is for auditors and PDIS staff.
	RuleExportRole = "export.role"
	// RuleExportSecretsRole: the auditor export (with sealed values) is
	// for auditors only.
	RuleExportSecretsRole = "export.secrets.role"
	// RuleExportSecretsOff: this server does not serve the auditor export
	// (no secrets store, or serve without --export-secrets).
	RuleExportSecretsOff = "export.secrets.off"
)

// ExportConfig serves GET /api/v1/export.
type ExportConfig struct {
	// Store is the log as stored: a sealed event's personal fields as
	// commitments (never the sealed log's opened view).
	Store eventstore.Store
	// Secrets, if set, serves the auditor export (?secrets=true) to
	// auditors: each sealed event's line also carries the values and salts
	// of its committed fields. Nil: the public export only.
	Secrets sealed.Secrets
}

// exportWriteWindow is how long the stream may take to write one batch
// before the connection is given up (it overrides the server's
// WriteTimeout, which would end a long export).
const exportWriteWindow = time.Minute

func (s *server) registerExport(handle func(string, http.HandlerFunc)) {
	if s.cfg.Export == nil || s.cfg.Tokens == nil {
		return
	}
	handle("GET "+ExportPath, s.exportLog)
}

// exportLog streams the events from ?from= (a position, default 1) up to
// the log's head when the request arrived. The head is in the
// X-Ledger-Head header; lines are written and flushed batch by batch, never
// held whole. An error after the first line ends the connection without
// the closing chunk, so that the reader sees a cut export, never a short
// one that looks whole.
func (s *server) exportLog(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	after, withSecrets, err := s.exportRequest(r)
	if err != nil {
		writeError(w, r, s.cfg.Logger, err)
		return
	}
	ex := s.cfg.Export
	head, err := ex.Store.Head(ctx)
	if err != nil {
		writeError(w, r, s.cfg.Logger, err)
		return
	}
	var secrets sealed.Secrets
	if withSecrets {
		secrets = ex.Secrets
	}
	h := w.Header()
	h.Set("Content-Type", "application/jsonl; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Ledger-Head", strconv.FormatUint(uint64(head), 10))
	form := "public"
	if withSecrets {
		form = "auditor"
	}
	h.Set("X-Export-Form", form)
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(exportWriteWindow))
	ew := export.NewWriter(w)
	err = export.Log(ctx, ex.Store, secrets, after, head, ew, func() error {
		if err := rc.Flush(); err != nil {
			return err
		}
		_ = rc.SetWriteDeadline(time.Now().Add(exportWriteWindow))
		return nil
	})
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			s.cfg.Logger.Error("export: cut", "after", after, "head", head, "written", ew.Count(), "err", err)
		}
		panic(http.ErrAbortHandler)
	}
}

// exportRequest authenticates an export and reads its parameters: the
// position to start after, and whether the auditor export is asked for.
func (s *server) exportRequest(r *http.Request) (after eventstore.Position, withSecrets bool, err error) {
	actor, err := s.authenticate(r)
	if err != nil {
		return 0, false, err
	}
	if actor.Role != domain.RoleAuditor && actor.Role != domain.RolePDIS {
		e := newAPIError(http.StatusForbidden, CodeForbidden, "the export is for auditors and PDIS staff").zh("匯出只給稽核人員與 PDIS 工作人員")
		e.detail.Rule = RuleExportRole
		return 0, false, e
	}
	q := r.URL.Query()
	if v := strings.TrimSpace(q.Get("from")); v != "" {
		n, perr := strconv.ParseUint(v, 10, 64)
		if perr != nil || n == 0 {
			return 0, false, badRequest("from must be a log position (1 or more)").zh("from 須為帳本的位置（1 或以上）")
		}
		after = eventstore.Position(n - 1)
	}
	switch v := q.Get("secrets"); v {
	case "", "false":
	case "true":
		withSecrets = true
	default:
		return 0, false, badRequest("secrets must be true or false").zh("secrets 須為 true 或 false")
	}
	if withSecrets {
		if s.cfg.Export.Secrets == nil {
			e := newAPIError(http.StatusForbidden, CodeForbidden, "this server does not serve the auditor export (serve --secrets … --export-secrets); the public export carries the commitments").
				zh("這個伺服器不提供稽核匯出（serve --secrets … --export-secrets）；公開匯出帶有承諾值")
			e.detail.Rule = RuleExportSecretsOff
			return 0, false, e
		}
		if actor.Role != domain.RoleAuditor {
			e := newAPIError(http.StatusForbidden, CodeForbidden, "the auditor export, with the sealed values, is for auditors").zh("含封存值的稽核匯出只給稽核人員")
			e.detail.Rule = RuleExportSecretsRole
			return 0, false, e
		}
	}
	return after, withSecrets, nil
}

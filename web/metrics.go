package web

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pdis/collab-ledger/domain"
)

// MetricsPath serves the ledger's metrics in the Prometheus text format
// (package metrics; decision 0036).
const MetricsPath = "/metrics"

// RuleMetricsRole refuses /metrics to a token that is neither an auditor's
// nor PDIS staff's.
const RuleMetricsRole = "metrics.role"

// registerMetrics serves GET /metrics when Config.Metrics is set. Who may
// read it: a request that arrives on a loopback address from a loopback
// address (a Prometheus or an agent on the same host), and anyone else
// with an auditor's or PDIS staff's bearer token (a Prometheus scraping
// several servers, with authorization.credentials_file). The figures name
// no person, but they tell how busy the ledger is and which rules refuse
// what, so they are not public.
func (s *server) registerMetrics(handle func(string, http.HandlerFunc)) {
	if s.cfg.Metrics == nil {
		return
	}
	h := promhttp.HandlerFor(s.cfg.Metrics, promhttp.HandlerOpts{ErrorLog: slogPrinter{s}, ErrorHandling: promhttp.ContinueOnError})
	handle("GET "+MetricsPath, func(w http.ResponseWriter, r *http.Request) {
		if !loopback(r) {
			if err := s.metricsReader(r); err != nil {
				writeError(w, r, s.cfg.Logger, err)
				return
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// metricsReader admits a request from off the host by its token.
func (s *server) metricsReader(r *http.Request) error {
	if s.cfg.Tokens == nil {
		e := newAPIError(http.StatusForbidden, CodeForbidden, "this server issues no tokens: "+MetricsPath+" is served on loopback only").zh("這個伺服器不發權杖：" + MetricsPath + " 只在本機回送位址提供")
		e.detail.Rule = RuleMetricsRole
		return e
	}
	actor, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if actor.Role != domain.RoleAuditor && actor.Role != domain.RolePDIS {
		e := newAPIError(http.StatusForbidden, CodeForbidden, MetricsPath+" is for auditors and PDIS staff (or a reader on the server's own host)").zh(MetricsPath + " 只給稽核人員與 PDIS 工作人員（或伺服器本機的讀取者）")
		e.detail.Rule = RuleMetricsRole
		return e
	}
	return nil
}

// slogPrinter passes promhttp's error lines to the server's logger.
type slogPrinter struct{ s *server }

func (p slogPrinter) Println(v ...any) {
	p.s.cfg.Logger.Error("metrics: gathering", "err", v)
}

package web_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/internal/lease"
	"github.com/pdis/collab-ledger/metrics"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/tokens"
	"github.com/pdis/collab-ledger/web"
)

// ruleMinistryExists refuses a ministry registered twice.
const ruleMinistryExists = "registry.register_ministry.exists"

// gated folds nothing; it waits at every event while its gate is closed.
type gated struct{ open chan struct{} }

func (gated) Name() string { return "gated" }
func (gated) Version() int { return 1 }
func (g gated) Apply(ctx context.Context, _ projections.Tx, _ eventstore.Event) error {
	select {
	case <-g.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// scrape is one parsed answer of GET /metrics.
type scrape map[string]*dto.MetricFamily

// value is the value of the metric name whose labels include want (name,
// value pairs); ok is false if there is none.
func (s scrape) value(name string, want ...string) (float64, bool) {
	f := s[name]
	if f == nil {
		return 0, false
	}
	total, found := 0.0, false
next:
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if labels[want[i]] != want[i+1] {
				continue next
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total, found
}

// TestMetricsMove, through real HTTP over the real embedded store, the
// real Ledger and a real projections runner: GET /metrics answers the
// Prometheus text format (parsed with expfmt), and its figures move as
// commands are executed: appends and events stored, commands by outcome
// (accepted; refused with the rule's code; an error with the store's
// code), their latency, and a read model's lag while it is held back and
// once it catches up; a job's lease changing hands. From off the host, /metrics needs an auditor's or
// staff's token.
func TestMetricsMove(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	quiet := slog.New(slog.DiscardHandler)
	raw, err := bbolt.Open(ctx, bbolt.Config{Path: filepath.Join(t.TempDir(), "ledger.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	m := metrics.New()
	faulty := &faultyStore{Store: raw}
	store := m.Store(faulty)
	ledger, err := app.NewLedger(store, app.LedgerConfig{Secret: apiSecret, Handler: app.Config{Logger: quiet}, Observe: m.ObserveCommand})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	toks := tokens.NewService(store, tokens.Config{Secret: apiSecret, Logger: quiet})
	go toks.Run(ctx)
	gate := gated{open: make(chan struct{})}
	runner, err := projections.NewRunner(projections.RunnerConfig{Store: store, Projections: []projections.Projection{gate}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stopRunner := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- runner.Run(rctx) }()
	defer func() { stopRunner(); <-runDone }()
	m.WatchProjections(runner.Status)

	h, err := web.New(web.Config{Store: store, StoreKind: "file", Logger: quiet, Ledger: ledger, Tokens: toks, ReadSide: runner, Metrics: m.Gatherer()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(base, token string) (int, scrape) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+web.MetricsPath, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			io.Copy(io.Discard, resp.Body)
			return resp.StatusCode, nil
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Fatalf("/metrics Content-Type %q, want the text format", ct)
		}
		var p expfmt.TextParser
		fams, err := p.TextToMetricFamilies(resp.Body)
		if err != nil {
			t.Fatalf("/metrics is not the Prometheus text format: %v", err)
		}
		return resp.StatusCode, fams
	}
	post := func(token, name, body string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+web.CommandsPath+name, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	issue := func(actor domain.Actor) string {
		t.Helper()
		tok, err := toks.Issue(ctx, testIssuer, tokens.Request{Role: actor.Role, ActorID: actor.ID, Ministry: actor.Ministry})
		if err != nil {
			t.Fatal(err)
		}
		if err := toks.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		return tok.Token
	}
	staff := issue(staffActor)

	// A job's lease taken and given up in this process (internal/lease).
	leases0, _ := func() (float64, bool) { _, s := get(srv.URL, ""); return s.value("collabledger_lease_changes_total") }()
	lctx, stopLease := context.WithCancel(ctx)
	lease.Hold(lctx, lease.NewLocal("server-a"), "metrics-test", lease.HoldConfig{Logger: quiet}, func(context.Context, lease.Grant) { stopLease() })
	_, before := get(srv.URL, "")
	if v, _ := before.value("collabledger_lease_changes_total"); v < leases0+2 {
		t.Errorf("lease changes: %v, want ≥ %v (acquired, then given up)", v, leases0+2)
	}
	appends0, _ := before.value("collabledger_appends_total", "outcome", "ok")
	events0, _ := before.value("collabledger_appended_events_total")
	if _, ok := before.value("go_goroutines"); !ok {
		t.Error("no Go runtime metrics")
	}

	const reg = "registry.register_ministry"
	if st := post(staff, reg, `{"ministryId":"moj","name":"法務部"}`); st != http.StatusCreated {
		t.Fatalf("register a ministry: %d", st)
	}
	if st := post(staff, reg, `{"ministryId":"moj","name":"法務部"}`); st < 400 {
		t.Fatalf("register it again: %d, want a refusal", st)
	}
	faulty.unavailable.Store(true)
	if st := post(staff, reg, `{"ministryId":"mof","name":"財政部"}`); st != http.StatusServiceUnavailable {
		t.Fatalf("register with the store away: %d, want 503", st)
	}
	faulty.unavailable.Store(false)

	_, after := get(srv.URL, "")
	if v, _ := after.value("collabledger_commands_total", "command", reg, "outcome", metrics.OutcomeAccepted); v != 1 {
		t.Errorf("accepted %s: %v, want 1", reg, v)
	}
	if v, _ := after.value("collabledger_commands_total", "command", reg, "outcome", metrics.OutcomeRefused, "code", ruleMinistryExists); v != 1 {
		t.Errorf("refused %s (%s): %v, want 1; families %v", reg, ruleMinistryExists, v, after["collabledger_commands_total"])
	}
	if v, _ := after.value("collabledger_commands_total", "command", reg, "outcome", metrics.OutcomeError, "code", "store_unavailable"); v != 1 {
		t.Errorf("%s with the store away: %v, want 1 error store_unavailable", reg, v)
	}
	if v, _ := after.value("collabledger_command_duration_seconds", "command", reg); v != 3 {
		t.Errorf("%s latency observed %v times, want 3", reg, v)
	}
	if v, _ := after.value("collabledger_appends_total", "outcome", "ok"); v <= appends0 {
		t.Errorf("appends ok: %v, was %v", v, appends0)
	}
	if v, _ := after.value("collabledger_appended_events_total"); v != events0+1 {
		t.Errorf("events appended: %v, want %v", v, events0+1)
	}
	if v, _ := after.value("collabledger_appends_total", "outcome", "error"); v < 1 {
		t.Errorf("failed appends: %v, want at least 1", v)
	}
	if v, _ := after.value("collabledger_append_duration_seconds"); v < 2 {
		t.Errorf("append latency observed %v times", v)
	}
	// The gate holds the read model back: it lags by what was stored.
	head, _ := raw.Head(ctx)
	if v, ok := after.value("collabledger_projection_lag_events", "projection", "gated"); !ok || v < 1 {
		t.Errorf("lag of the held-back read model: %v (reported %v), want ≥ 1 (head %d)", v, ok, head)
	}
	if v, _ := after.value("collabledger_log_head"); v != float64(head) {
		t.Errorf("log head %v, want %d", v, head)
	}
	close(gate.open)
	if err := runner.WaitFor(ctx, "gated", head); err != nil {
		t.Fatal(err)
	}
	_, caught := get(srv.URL, "")
	if v, ok := caught.value("collabledger_projection_lag_events", "projection", "gated"); !ok || v != 0 {
		t.Errorf("lag once caught up: %v (reported %v), want 0", v, ok)
	}
	if v, _ := caught.value("collabledger_projection_state", "projection", "gated", "state", "running"); v != 1 {
		t.Errorf("state running: %v", v)
	}

	// From off the host: a token of an auditor or of staff, nobody else.
	ip := nonLoopbackIP()
	if ip == nil {
		t.Log("no address off loopback on this machine: the token check is not exercised")
		return
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		t.Fatal(err)
	}
	off := &httptest.Server{Listener: ln, Config: &http.Server{Handler: h}}
	off.Start()
	defer off.Close()
	if st, _ := get(off.URL, ""); st != http.StatusUnauthorized {
		t.Errorf("/metrics from off the host without a token: %d, want 401", st)
	}
	if st, _ := get(off.URL, issue(domain.Actor{ID: "steno-1", Role: domain.RoleStenographer})); st != http.StatusForbidden {
		t.Errorf("/metrics with a stenographer's token: %d, want 403", st)
	}
	if st, fams := get(off.URL, issue(auditorActor)); st != http.StatusOK || fams["collabledger_commands_total"] == nil {
		t.Errorf("/metrics with an auditor's token: %d", st)
	}
}

// nonLoopbackIP is an address of this machine off loopback, nil if none.
func nonLoopbackIP() net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP
		}
	}
	return nil
}

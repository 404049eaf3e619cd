// Package metrics keeps the ledger's operational figures in the Prometheus
// data model (github.com/prometheus/client_golang): what the store appends,
// how long commands take and how they end, how far each read model is
// behind the log, how old the latest signed checkpoint is, and how often
// job leases change hands (internal/lease counts them). web serves them
// at GET /metrics in the Prometheus text format (decision 0036).
//
//	m := metrics.New()
//	store = m.Store(store)                      // appends: count, events, latency
//	ledger, _ := app.NewLedger(store, app.LedgerConfig{Observe: m.ObserveCommand})
//	m.WatchProjections(runner.Status)            // lag per read model, read at each scrape
//	m.WatchCheckpoint(latestCheckpointTime)      // checkpoint age, read at each scrape
//	web.New(web.Config{Metrics: m.Gatherer(), ...})
//
// The package holds no rules and does no I/O of its own: the watched
// functions are called when the figures are gathered.
package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/internal/lease"
	"github.com/pdis/collab-ledger/projections"
)

// Namespace prefixes every metric of the ledger.
const Namespace = "collabledger"

// Outcomes of a command (label "outcome" of the command metrics).
const (
	// OutcomeAccepted: the domain decided the command and its events (if
	// any) are stored.
	OutcomeAccepted = "accepted"
	// OutcomeRefused: the domain, the policy or the ledger refused it by a
	// rule; label "code" is the rule's code.
	OutcomeRefused = "refused"
	// OutcomeError: it failed for another reason (the store unreachable,
	// too many conflicts, a timeout); label "code" is the store's error
	// code when there is one.
	OutcomeError = "error"
)

// Outcomes of an append (label "outcome" of collabledger_appends_total).
const (
	AppendOK       = "ok"
	AppendConflict = "conflict"
	AppendError    = "error"
)

// gatherTimeout bounds what one scrape waits for a watched function.
const gatherTimeout = 2 * time.Second

// Metrics is the ledger's set of metrics, in a registry of its own (with
// the Go runtime's and the process's). Safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	appends        *prometheus.CounterVec
	appendedEvents prometheus.Counter
	appendSeconds  prometheus.Histogram

	commands       *prometheus.CounterVec
	commandSeconds *prometheus.HistogramVec
}

// New returns a fresh set of metrics.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.appends = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "appends_total",
		Help: "Appends to the event store, by outcome (ok, conflict, error)."}, []string{"outcome"})
	m.appendedEvents = prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "appended_events_total",
		Help: "Events stored by successful appends."})
	m.appendSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "append_duration_seconds",
		Help: "Time an append to the event store takes, whatever its outcome.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)})
	m.commands = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "commands_total",
		Help: "Commands executed, by command, outcome (accepted, refused, error) and code (the rule of a refusal, the store's error code of an error)."},
		[]string{"command", "outcome", "code"})
	m.commandSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "command_duration_seconds",
		Help: "Time a command takes from admission to its answer, by command and outcome.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)},
		[]string{"command", "outcome"})
	leaseChanges := prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: Namespace, Name: "lease_changes_total",
		Help: "Job leases (a projection's, the checkpoint publisher's, the deadline announcer's) this process acquired, lost or released since it started."},
		func() float64 { return float64(lease.Changes()) })
	m.reg.MustRegister(m.appends, m.appendedEvents, m.appendSeconds, m.commands, m.commandSeconds, leaseChanges,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Gatherer is what GET /metrics exposes.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// ObserveCommand records one command: its name, how it ended and how long
// it took. err is what app.Ledger.Execute returned; its signature is
// app.LedgerConfig.Observe's.
func (m *Metrics) ObserveCommand(command string, err error, took time.Duration) {
	outcome, code := Outcome(err)
	m.commands.WithLabelValues(command, outcome, code).Inc()
	m.commandSeconds.WithLabelValues(command, outcome).Observe(took.Seconds())
}

// Outcome classifies a command's error: nil is accepted; a
// *domain.RuleError is refused, with its rule as the code; anything else
// is an error, with the store's error code if it has one.
func Outcome(err error) (outcome, code string) {
	if err == nil {
		return OutcomeAccepted, ""
	}
	var re *domain.RuleError
	if errors.As(err, &re) {
		return OutcomeRefused, re.Rule
	}
	return OutcomeError, eventstore.Code(err)
}

// Store returns s with its appends counted and timed. Everything else
// passes through.
func (m *Metrics) Store(s eventstore.Store) eventstore.Store { return &store{Store: s, m: m} }

type store struct {
	eventstore.Store
	m *Metrics
}

func (s *store) Append(ctx context.Context, stream string, exp eventstore.Expectation, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	start := time.Now()
	res, err := s.Store.Append(ctx, stream, exp, events...)
	s.m.appendSeconds.Observe(time.Since(start).Seconds())
	switch {
	case err == nil:
		s.m.appends.WithLabelValues(AppendOK).Inc()
		s.m.appendedEvents.Add(float64(len(events)))
	case errors.Is(err, eventstore.ErrConflict):
		s.m.appends.WithLabelValues(AppendConflict).Inc()
	default:
		s.m.appends.WithLabelValues(AppendError).Inc()
	}
	return res, err
}

// WatchProjections reports, at each scrape, every projection's lag behind
// the log's head (events), checkpoint and state, as status returns them
// (projections.Runner.Status). Call it once.
func (m *Metrics) WatchProjections(status func(context.Context) ([]projections.Status, error)) {
	m.reg.MustRegister(&projectionCollector{status: status})
}

var (
	projectionLagDesc = prometheus.NewDesc(Namespace+"_projection_lag_events",
		"Events between the log's head and the last event a read model reflects.", []string{"projection"}, nil)
	projectionCheckpointDesc = prometheus.NewDesc(Namespace+"_projection_checkpoint",
		"Position of the last event a read model reflects.", []string{"projection"}, nil)
	projectionStateDesc = prometheus.NewDesc(Namespace+"_projection_state",
		"1 for the state a read model is in (running, failed, rebuilding, stopped), with stalled=true when its checkpoint has stopped moving.", []string{"projection", "state", "stalled"}, nil)
	logHeadDesc = prometheus.NewDesc(Namespace+"_log_head",
		"Position of the last event in the log, as the read side saw it at this scrape.", nil, nil)
	projectionsUnreadableDesc = prometheus.NewDesc(Namespace+"_projections_unreadable",
		"1 when the read models' status could not be read at this scrape.", nil, nil)
)

type projectionCollector struct {
	status func(context.Context) ([]projections.Status, error)
}

func (c *projectionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- projectionLagDesc
	ch <- projectionCheckpointDesc
	ch <- projectionStateDesc
	ch <- logHeadDesc
	ch <- projectionsUnreadableDesc
}

func (c *projectionCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), gatherTimeout)
	defer cancel()
	sts, err := c.status(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(projectionsUnreadableDesc, prometheus.GaugeValue, 1)
		return
	}
	ch <- prometheus.MustNewConstMetric(projectionsUnreadableDesc, prometheus.GaugeValue, 0)
	var head eventstore.Position
	for _, st := range sts {
		head = max(head, st.Head)
		ch <- prometheus.MustNewConstMetric(projectionLagDesc, prometheus.GaugeValue, float64(st.Lag), st.Projection)
		ch <- prometheus.MustNewConstMetric(projectionCheckpointDesc, prometheus.GaugeValue, float64(st.Checkpoint), st.Projection)
		stalled := "false"
		if st.Stalled {
			stalled = "true"
		}
		ch <- prometheus.MustNewConstMetric(projectionStateDesc, prometheus.GaugeValue, 1, st.Projection, string(st.State), stalled)
	}
	ch <- prometheus.MustNewConstMetric(logHeadDesc, prometheus.GaugeValue, float64(head))
}

// WatchCheckpoint reports, at each scrape, the age of the latest signed
// checkpoint of the transparency log: latest returns when it was recorded,
// ok false when there is none yet. Call it once.
func (m *Metrics) WatchCheckpoint(latest func(context.Context) (recorded time.Time, size int64, ok bool, err error)) {
	m.reg.MustRegister(&checkpointCollector{latest: latest, now: time.Now})
}

var (
	checkpointAgeDesc = prometheus.NewDesc(Namespace+"_checkpoint_age_seconds",
		"Seconds since the latest signed checkpoint was recorded (absent before the first).", nil, nil)
	checkpointSizeDesc = prometheus.NewDesc(Namespace+"_checkpoint_size",
		"Leaves (events) the latest signed checkpoint covers.", nil, nil)
	checkpointUnreadableDesc = prometheus.NewDesc(Namespace+"_checkpoint_unreadable",
		"1 when the latest checkpoint could not be read at this scrape.", nil, nil)
)

type checkpointCollector struct {
	latest func(context.Context) (time.Time, int64, bool, error)
	now    func() time.Time
}

func (c *checkpointCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- checkpointAgeDesc
	ch <- checkpointSizeDesc
	ch <- checkpointUnreadableDesc
}

func (c *checkpointCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), gatherTimeout)
	defer cancel()
	at, size, ok, err := c.latest(ctx)
	unreadable := 0.0
	if err != nil {
		unreadable = 1
	}
	ch <- prometheus.MustNewConstMetric(checkpointUnreadableDesc, prometheus.GaugeValue, unreadable)
	if err == nil && ok {
		ch <- prometheus.MustNewConstMetric(checkpointAgeDesc, prometheus.GaugeValue, c.now().Sub(at).Seconds())
		ch <- prometheus.MustNewConstMetric(checkpointSizeDesc, prometheus.GaugeValue, float64(size))
	}
}

package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/pdis/collab-ledger/web"
)

// scrapeMetrics reads base's /metrics and parses the text format.
func scrapeMetrics(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + web.MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v", err)
	}
	return fams
}

// gaugeOf is the value of an unlabelled gauge, ok false if absent.
func gaugeOf(fams map[string]*dto.MetricFamily, name string) (float64, bool) {
	f := fams[name]
	if f == nil || len(f.Metric) == 0 || f.Metric[0].Gauge == nil {
		return 0, false
	}
	return f.Metric[0].Gauge.GetValue(), true
}

// TestServeMetrics: `collabledger serve` wires its metrics: a command
// posted through its API is counted, every read model reports its lag,
// and once a checkpoint is signed its age and size are reported.
func TestServeMetrics(t *testing.T) {
	url := "file:" + filepath.Join(t.TempDir(), "ledger.db")
	staff, _, err := runCapture(t, "tokens", "create", "--store", url, "--role", "pdis", "--actor", "staff-1")
	if err != nil {
		t.Fatal(err)
	}
	base := startServe(t, url, "--deadline-check=0", "--checkpoint-interval=100ms")
	req, _ := http.NewRequest("POST", base+web.CommandsPath+"registry.register_ministry", strings.NewReader(`{"ministryId":"moj","name":"法務部"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(staff))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register a ministry: %d", resp.StatusCode)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		fams := scrapeMetrics(t, base)
		age, aged := gaugeOf(fams, "collabledger_checkpoint_age_seconds")
		size, _ := gaugeOf(fams, "collabledger_checkpoint_size")
		lags := fams["collabledger_projection_lag_events"]
		accepted := 0.0
		if f := fams["collabledger_commands_total"]; f != nil {
			for _, m := range f.Metric {
				accepted += m.Counter.GetValue()
			}
		}
		if aged && size >= 2 && lags != nil && len(lags.Metric) > 3 && accepted == 1 {
			if age < 0 || age > 60 {
				t.Fatalf("checkpoint age %v s", age)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics never showed a signed checkpoint of ≥ 2 leaves (the token, the command), the read models' lag and the command: age %v (%v), size %v, lag %v, commands %v",
				age, aged, size, lags, accepted)
		}
	}
}

package kurrentdb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pdis/collab-ledger/eventstore"
)

func TestConfigDefaults(t *testing.T) {
	c := Config{}.WithDefaults()
	if c.RetryWindow != DefaultRetryWindow || c.AppendAttempts != DefaultAppendAttempts || c.ClaimStreamPrefix != DefaultClaimStreamPrefix ||
		c.ClaimConcurrency != DefaultClaimConcurrency || c.MaxAppendSize != DefaultMaxAppendSize || c.ReadBatch != DefaultReadBatch ||
		c.ResubscribeAttempts != DefaultResubscribeAttempts || c.RetryBackoff != DefaultRetryBackoff {
		t.Fatalf("defaults not filled: %+v", c)
	}
	if c.Logger == nil || c.Now == nil || c.MaxEventSize == 0 {
		t.Fatal("shared defaults not filled")
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	kept := Config{RetryWindow: 3, MaxAppendSize: -1, ClaimStreamPrefix: "$x-"}.WithDefaults()
	if kept.RetryWindow != 3 || kept.MaxAppendSize != -1 || kept.ClaimStreamPrefix != "$x-" {
		t.Fatalf("set fields overwritten: %+v", kept)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{RetryWindow: -1},
		{AppendAttempts: -2},
		{ClaimConcurrency: -1},
		{ReadBatch: 1},
		{ResubscribeAttempts: -1},
		{RetryBackoff: -time.Second},
		{Config: eventstore.Config{MaxEventSize: -1}},
	} {
		if err := c.WithDefaults().Validate(); err == nil {
			t.Errorf("%+v validated", c)
		}
	}
	if err := (Config{}).Validate(); err == nil {
		t.Error("a config without defaults validated")
	}
}

func TestSplitConnString(t *testing.T) {
	cases := []struct {
		in, out string
		check   func(Config) bool
	}{
		{"esdb://localhost:2113?tls=false", "esdb://localhost:2113?tls=false", nil},
		{"kurrentdb://localhost:2113", "esdb://localhost:2113", nil},
		{"KurrentDB+Discover://cluster.example:2113?tls=true", "esdb+discover://cluster.example:2113?tls=true", nil},
		{"esdb+discover://admin:changeit@a:2113,b:2113,c:2113?nodePreference=leader", "esdb+discover://admin:changeit@a:2113,b:2113,c:2113?nodePreference=leader", nil},
		{"esdb://localhost:2113?tls=false&retry_window=5&append_attempts=3&skip_foreign=true&verify=1&max_append_size=8388608&resubscribe_attempts=2",
			"esdb://localhost:2113?tls=false",
			func(c Config) bool {
				return c.RetryWindow == 5 && c.AppendAttempts == 3 && c.SkipForeignEvents && c.VerifyOnRead && c.MaxAppendSize == 8<<20 && c.ResubscribeAttempts == 2
			}},
		{"esdb://h:1?Retry_Window=9", "esdb://h:1", func(c Config) bool { return c.RetryWindow == 9 }},
	}
	for _, c := range cases {
		out, cfg, err := splitConnString(c.in, Config{})
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if out != c.out {
			t.Errorf("%s → %s, want %s", c.in, out, c.out)
		}
		if c.check != nil && !c.check(cfg) {
			t.Errorf("%s: options not applied: %+v", c.in, cfg)
		}
	}
	for _, bad := range []string{
		"localhost:2113",
		"postgres://localhost/ledger",
		"esdb://h:1?retry_window=many",
		"esdb://h:1?skip_foreign=perhaps",
		"esdb://h:1?%zz",
	} {
		if _, _, err := splitConnString(bad, Config{}); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestClientConfig(t *testing.T) {
	conf, cfg, err := clientConfig("kurrentdb://admin:changeit@db.example:2114?tls=false&verify=true&nodePreference=follower", Config{})
	if err != nil {
		t.Fatal(err)
	}
	if conf.Address != "db.example:2114" || !conf.DisableTLS || conf.Username != "admin" || conf.Password != "changeit" ||
		conf.NodePreference != esdb.NodePreferenceFollower || conf.DnsDiscover {
		t.Fatalf("client configuration %+v", conf)
	}
	if !cfg.VerifyOnRead {
		t.Fatal("verify not applied")
	}
	conf, _, err = clientConfig("esdb+discover://a:2113,b:2113", Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !conf.DnsDiscover || len(conf.GossipSeeds) != 2 {
		t.Fatalf("gossip configuration %+v", conf)
	}
	_, _, err = clientConfig("esdb://admin:s3cret@h:notaport", Config{})
	if err == nil {
		t.Fatal("bad port accepted")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		err  error
		want errorKind
	}{
		{nil, kindOther},
		{errors.New("boom"), kindOther},
		{status.Error(codes.Unavailable, "down"), kindUnavailable},
		{fmt.Errorf("wrapped: %w", status.Error(codes.DeadlineExceeded, "slow")), kindUnavailable},
		{status.Error(codes.InvalidArgument, "Maximum Append Size of 1048576 Exceeded."), kindTooLarge},
		{status.Error(codes.InvalidArgument, "Trying to read from an invalid position."), kindOther},
		{status.Error(codes.PermissionDenied, "Access Denied"), kindOther},
	}
	for _, c := range cases {
		if got := classify(c.err); got != c.want {
			t.Errorf("classify(%v) = %v, want %v", c.err, got, c.want)
		}
		// The client wraps errors it does not know in an *esdb.Error.
		if c.err != nil {
			wrapped, _ := esdb.FromError(c.err)
			if got := classify(wrapped); got != c.want {
				t.Errorf("classify(esdb %v) = %v, want %v", c.err, got, c.want)
			}
		}
	}
}

func TestBackoff(t *testing.T) {
	base := 40 * time.Millisecond
	for attempt := 1; attempt < 40; attempt++ {
		d := backoff(base, attempt)
		ceil := min(base<<min(attempt-1, 20), maxBackoff)
		if d < ceil/2 || d > ceil {
			t.Fatalf("backoff(%v, %d) = %v, want within [%v, %v]", base, attempt, d, ceil/2, ceil)
		}
	}
	if backoff(0, 3) != 0 {
		t.Fatal("zero base should not wait")
	}
}

func TestClientLogger(t *testing.T) {
	var buf bytes.Buffer
	log := clientLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	log(esdb.LogInfo, "discovery attempt %d", 1)
	log(esdb.LogError, "subscription has dropped. Reason: %v", io.EOF)
	out := buf.String()
	if strings.Contains(out, "discovery") || !strings.Contains(out, "subscription has dropped. Reason: EOF") || !strings.Contains(out, "level=WARN") {
		t.Fatalf("client log routed as %q", out)
	}
}

func TestSchemesRegistered(t *testing.T) {
	have := eventstore.Schemes()
	for _, s := range Schemes {
		if !slices.Contains(have, s) {
			t.Errorf("scheme %s not registered (have %v)", s, have)
		}
	}
}

func TestRedact(t *testing.T) {
	cases := map[string]string{
		"esdb://admin:changeit@localhost:2113?tls=false":     "esdb://admin:xxxxx@localhost:2113?tls=false",
		"esdb+discover://u:p%40ss@a:2113,b:2113?tls=true":    "esdb+discover://u:xxxxx@a:2113,b:2113?tls=true",
		"esdb://localhost:2113?tls=false":                    "esdb://localhost:2113?tls=false",
		"esdb://admin@localhost:2113":                        "esdb://admin@localhost:2113",
		"kurrentdb://admin:changeit@h:1/?tlsCAFile=/x@y.pem": "kurrentdb://admin:xxxxx@h:1/?tlsCAFile=/x@y.pem",
	}
	for in, want := range cases {
		if got := redact(in); got != want {
			t.Errorf("redact(%s) = %s, want %s", in, got, want)
		}
	}
	if got := password("esdb://admin:changeit@h:1"); got != "changeit" {
		t.Errorf("password = %q", got)
	}
}

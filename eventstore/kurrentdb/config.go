package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/pdis/collab-ledger/eventstore"
)

// Defaults for Config's fields.
const (
	// DefaultRetryWindow is how many events before the append's own the
	// stream-tail read covers (see Config.RetryWindow).
	DefaultRetryWindow = 64
	// DefaultAppendAttempts bounds the read-then-write rounds of one append.
	DefaultAppendAttempts = 16
	// DefaultClaimStreamPrefix prefixes the per-event-ID claim streams.
	DefaultClaimStreamPrefix = "$ledger-id-"
	// DefaultClaimConcurrency is how many claims one append writes at once.
	DefaultClaimConcurrency = 8
	// DefaultMaxAppendSize is the server's default limit on one append
	// (KurrentDB's MaxAppendSize, 1 MiB).
	DefaultMaxAppendSize = 1 << 20
	// DefaultReadBatch is how many records one page of a $all scan asks for.
	DefaultReadBatch = 512
	// DefaultResubscribeAttempts is how many consecutive failed
	// (re)subscriptions Subscribe tolerates before it yields the error.
	DefaultResubscribeAttempts = 10
	// DefaultRetryBackoff is the first pause between retries; it doubles up
	// to 5 s.
	DefaultRetryBackoff = 50 * time.Millisecond
)

// maxBackoff caps the pause between retries.
const maxBackoff = 5 * time.Second

// Schemes are the URL schemes this package registers with eventstore.Open.
// The client library itself understands only esdb and esdb+discover; the
// kurrentdb schemes are rewritten to those.
var Schemes = []string{"esdb", "esdb+discover", "kurrentdb", "kurrentdb+discover"}

// Config configures a KurrentDB store. The zero value is usable: Open fills
// unset fields with the defaults above.
type Config struct {
	// Config holds the settings every backend shares (limits, logger,
	// clock).
	eventstore.Config

	// RetryWindow is how many events, besides as many as the append holds,
	// Append reads back from the stream's end before writing. Finding the
	// append's IDs there makes a retry idempotent (or a reused ID a
	// *DuplicateEventError); retries of appends that lie further back are
	// still recognised through the ID claims. Default DefaultRetryWindow.
	// URL parameter "retry_window".
	RetryWindow int

	// AppendAttempts bounds the read-then-write rounds of one append: with
	// Any or StreamExists, another writer that moves the stream between
	// Append's read and its write makes Append read and try again. When
	// the attempts run out, Append returns a *ConflictError. Default
	// DefaultAppendAttempts. URL parameter "append_attempts".
	AppendAttempts int

	// ClaimStreamPrefix prefixes the claim streams (one per event ID) that
	// keep event IDs unique across streams. The default starts with '$',
	// which no ledger stream can, so claims never collide with ledger
	// streams and stay out of ReadAll and Subscribe; writing them needs a
	// user allowed to write system streams (any user in insecure mode).
	// Default DefaultClaimStreamPrefix. Never change it on a store that
	// holds events: older claims would be forgotten.
	ClaimStreamPrefix string

	// ClaimConcurrency is how many claims one append writes in parallel.
	// Default DefaultClaimConcurrency.
	ClaimConcurrency int

	// MaxAppendSize bounds one append's data, metadata and type names, in
	// bytes, to match the server's MaxAppendSize (1 MiB unless the server
	// sets KURRENTDB_MAX_APPEND_SIZE, at most 16 MiB). Appends over it
	// fail with eventstore.ErrEventTooLarge before anything is written.
	// Default DefaultMaxAppendSize; negative turns the check off. URL
	// parameter "max_append_size".
	MaxAppendSize int

	// ReadBatch is how many records one page of a $all scan (ReadAll,
	// Head) asks the server for. Default DefaultReadBatch.
	ReadBatch int

	// ResubscribeAttempts is how many consecutive failed attempts to
	// (re)subscribe Subscribe makes before it yields the error. Default
	// DefaultResubscribeAttempts. URL parameter "resubscribe_attempts".
	ResubscribeAttempts int

	// RetryBackoff is the first pause between append rounds and between
	// resubscriptions; it doubles (with jitter) up to 5 s. Default
	// DefaultRetryBackoff.
	RetryBackoff time.Duration

	// SkipForeignEvents makes ReadAll, Subscribe and Head skip events of
	// non-system streams that this package did not write (a server shared
	// with other applications). Off by default: such an event is an error
	// wrapping ErrForeignEvent, since on a ledger's own server it can only
	// mean someone wrote around the ledger. URL parameter "skip_foreign".
	SkipForeignEvents bool

	// VerifyOnRead recomputes the content hash of every event read and
	// fails with eventstore.ErrHashMismatch when it differs from the stored
	// one. URL parameter "verify".
	VerifyOnRead bool
}

// WithDefaults returns c with unset fields filled in.
func (c Config) WithDefaults() Config {
	c.Config = c.Config.WithDefaults()
	if c.RetryWindow == 0 {
		c.RetryWindow = DefaultRetryWindow
	}
	if c.AppendAttempts == 0 {
		c.AppendAttempts = DefaultAppendAttempts
	}
	if c.ClaimStreamPrefix == "" {
		c.ClaimStreamPrefix = DefaultClaimStreamPrefix
	}
	if c.ClaimConcurrency == 0 {
		c.ClaimConcurrency = DefaultClaimConcurrency
	}
	if c.MaxAppendSize == 0 {
		c.MaxAppendSize = DefaultMaxAppendSize
	}
	if c.ReadBatch == 0 {
		c.ReadBatch = DefaultReadBatch
	}
	if c.ResubscribeAttempts == 0 {
		c.ResubscribeAttempts = DefaultResubscribeAttempts
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	return c
}

// Validate reports settings that cannot work. Call it on a Config that went
// through WithDefaults.
func (c Config) Validate() error {
	if err := c.Config.Validate(); err != nil {
		return err
	}
	var errs []error
	if c.RetryWindow < 0 {
		errs = append(errs, fmt.Errorf("retry window %d is negative", c.RetryWindow))
	}
	if c.AppendAttempts < 1 {
		errs = append(errs, fmt.Errorf("append attempts %d, want at least 1", c.AppendAttempts))
	}
	if c.ClaimStreamPrefix == "" {
		errs = append(errs, errors.New("no claim stream prefix"))
	}
	if c.ClaimConcurrency < 1 {
		errs = append(errs, fmt.Errorf("claim concurrency %d, want at least 1", c.ClaimConcurrency))
	}
	if c.ReadBatch < 2 {
		errs = append(errs, fmt.Errorf("read batch %d, want at least 2", c.ReadBatch))
	}
	if c.ResubscribeAttempts < 0 {
		errs = append(errs, fmt.Errorf("resubscribe attempts %d is negative", c.ResubscribeAttempts))
	}
	if c.RetryBackoff < 0 {
		errs = append(errs, fmt.Errorf("retry backoff %v is negative", c.RetryBackoff))
	}
	if len(errs) > 0 {
		return fmt.Errorf("kurrentdb config: %w", errors.Join(errs...))
	}
	return nil
}

// connOptions are the connection-string parameters this package reads
// itself; they are removed before the string reaches the client library,
// which would log them as unknown.
var connOptions = map[string]func(c *Config, v string) error{
	"retry_window":         intOption(func(c *Config) *int { return &c.RetryWindow }),
	"append_attempts":      intOption(func(c *Config) *int { return &c.AppendAttempts }),
	"max_append_size":      intOption(func(c *Config) *int { return &c.MaxAppendSize }),
	"resubscribe_attempts": intOption(func(c *Config) *int { return &c.ResubscribeAttempts }),
	"skip_foreign":         boolOption(func(c *Config) *bool { return &c.SkipForeignEvents }),
	"verify":               boolOption(func(c *Config) *bool { return &c.VerifyOnRead }),
}

func intOption(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return err
		}
		*field(c) = n
		return nil
	}
}

func boolOption(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return err
		}
		*field(c) = b
		return nil
	}
}

// splitConnString maps the scheme of a KurrentDB connection string to one
// the client library accepts (kurrentdb → esdb, kurrentdb+discover →
// esdb+discover), applies this package's own parameters to cfg and returns
// the string without them. It works on the raw string rather than a parsed
// URL because gossip-seed lists ("esdb://h1:2113,h2:2113") are not URLs.
func splitConnString(raw string, cfg Config) (string, Config, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return "", cfg, fmt.Errorf("%q is not a KurrentDB connection string (want esdb://host:2113?tls=false)", redact(raw))
	}
	switch strings.ToLower(scheme) {
	case "esdb", "kurrentdb":
		scheme = "esdb"
	case "esdb+discover", "kurrentdb+discover":
		scheme = "esdb+discover"
	default:
		return "", cfg, fmt.Errorf("%q: scheme %q is not one of %s", redact(raw), scheme, strings.Join(Schemes, ", "))
	}
	base, query, _ := strings.Cut(rest, "?")
	if query == "" {
		return scheme + "://" + base, cfg, nil
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return "", cfg, fmt.Errorf("%q: query: %w", redact(raw), err)
	}
	kept := url.Values{}
	for key, vs := range values {
		set, ours := connOptions[strings.ToLower(key)]
		if !ours {
			kept[key] = vs
			continue
		}
		if len(vs) == 0 {
			continue
		}
		if err := set(&cfg, vs[len(vs)-1]); err != nil {
			return "", cfg, fmt.Errorf("%q: parameter %s: %w", redact(raw), key, err)
		}
	}
	out := scheme + "://" + base
	if len(kept) > 0 {
		out += "?" + kept.Encode()
	}
	return out, cfg, nil
}

// clientConfig parses a connection string into the client library's
// configuration and this package's Config (parameters in the string win
// over fields already set in cfg). The client logs through cfg's logger.
func clientConfig(connString string, cfg Config) (*esdb.Configuration, Config, error) {
	mapped, cfg, err := splitConnString(connString, cfg)
	if err != nil {
		return nil, cfg, fmt.Errorf("open kurrentdb: %w", err)
	}
	conf, err := esdb.ParseConnectionString(mapped)
	if err != nil {
		// The client's errors may quote the whole string, password and all.
		msg := err.Error()
		if pw := password(mapped); pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
		return nil, cfg, fmt.Errorf("open kurrentdb %s: %s", redact(connString), msg)
	}
	return conf, cfg, nil
}

// userinfo returns the user-info part of a connection string and where it
// sits ("user:pass" in "esdb://user:pass@host"), or -1.
func userinfo(raw string) (string, int) {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return "", -1
	}
	start := len(raw) - len(rest)
	if end := strings.IndexAny(rest, "/?"); end >= 0 {
		rest = rest[:end]
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return "", -1
	}
	return rest[:at], start
}

// password returns the password in a connection string, if any.
func password(raw string) string {
	info, _ := userinfo(raw)
	_, pw, _ := strings.Cut(info, ":")
	return pw
}

// redact returns a connection string with its password replaced, for
// errors and logs. Unlike eventstore.Redact it copes with gossip-seed lists,
// which are not URLs.
func redact(raw string) string {
	info, start := userinfo(raw)
	user, pw, ok := strings.Cut(info, ":")
	if start < 0 || !ok || pw == "" {
		return raw
	}
	return raw[:start] + user + ":xxxxx" + raw[start+len(info):]
}

// clientLogger routes the client library's logs to slog. The library logs
// every dropped subscription and every retried discovery as an error, even
// when the ledger meant it (a cancelled subscription), so its errors
// become warnings and its infos debug lines.
func clientLogger(l *slog.Logger) esdb.LoggingFunc {
	return func(level esdb.LogLevel, format string, args ...any) {
		lvl := slog.LevelDebug
		switch level {
		case esdb.LogError, esdb.LogWarn:
			lvl = slog.LevelWarn
		}
		if !l.Enabled(context.Background(), lvl) {
			return
		}
		l.Log(context.Background(), lvl, "kurrentdb client: "+fmt.Sprintf(format, args...))
	}
}

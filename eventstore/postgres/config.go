package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pdis/collab-ledger/eventstore"
)

// Defaults for Config's fields.
const (
	// DefaultMaxBatch is how many appends one group-commit transaction takes
	// at most.
	DefaultMaxBatch = 256
	// DefaultMaxBatchBytes bounds the event data one transaction takes
	// before it stops collecting more appends.
	DefaultMaxBatchBytes = 8 << 20
	// DefaultPollInterval is how often an idle subscriber reads the log even
	// without a notification.
	DefaultPollInterval = 500 * time.Millisecond
	// DefaultWriteTimeout bounds one group-commit transaction, from taking
	// the append lock to the commit.
	DefaultWriteTimeout = 30 * time.Second
)

// Config configures a PostgreSQL store. The zero value is usable; Open fills
// unset fields with the defaults above.
type Config struct {
	// Config holds the settings every backend shares (limits, logger,
	// clock).
	eventstore.Config

	// Schema is the PostgreSQL schema holding the store's tables. Open
	// creates it if missing and puts it first on every connection's
	// search_path. Empty: the connection's own search_path decides
	// (normally "public"). A "schema" query parameter in the connection
	// URL overrides it.
	Schema string

	// MaxBatch is how many appends the writer commits in one transaction
	// at most (group commit). Default DefaultMaxBatch. 1 turns group
	// commit off. URL parameter "max_batch".
	MaxBatch int

	// MaxBatchBytes stops a batch from collecting more appends once their
	// event data exceeds it; one append larger than this still goes alone.
	// Default DefaultMaxBatchBytes.
	MaxBatchBytes int

	// PollInterval is how often a caught-up subscriber reads the log even
	// when no notification came, covering a lost LISTEN connection.
	// Default DefaultPollInterval. URL parameter "poll_interval" (a Go
	// duration such as "250ms").
	PollInterval time.Duration

	// WriteTimeout bounds one group-commit transaction. Default
	// DefaultWriteTimeout.
	WriteTimeout time.Duration

	// MaxConns is the connection pool's size. 0: pgxpool's default (or the
	// URL's pool_max_conns). The store uses one more connection for
	// LISTEN.
	MaxConns int32

	// hooks are test seams, set only by this package's tests.
	hooks *hooks
}

// hooks let tests stop the writer at chosen points.
type hooks struct {
	// beforeCommit runs after a batch's rows are inserted and before its
	// COMMIT, with the batch's transaction; an error rolls the batch back.
	beforeCommit func(ctx context.Context, tx pgx.Tx) error
}

// WithDefaults returns c with unset fields filled in.
func (c Config) WithDefaults() Config {
	c.Config = c.Config.WithDefaults()
	if c.MaxBatch == 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.MaxBatchBytes == 0 {
		c.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	return c
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	if err := c.Config.Validate(); err != nil {
		return err
	}
	var errs []error
	if c.MaxBatch < 0 {
		errs = append(errs, fmt.Errorf("max batch %d is negative", c.MaxBatch))
	}
	if c.MaxBatchBytes < 0 {
		errs = append(errs, fmt.Errorf("max batch bytes %d is negative", c.MaxBatchBytes))
	}
	if c.PollInterval < 0 {
		errs = append(errs, fmt.Errorf("poll interval %v is negative", c.PollInterval))
	}
	if c.WriteTimeout < 0 {
		errs = append(errs, fmt.Errorf("write timeout %v is negative", c.WriteTimeout))
	}
	if c.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("max conns %d is negative", c.MaxConns))
	}
	if err := validSchema(c.Schema); c.Schema != "" && err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("postgres event store config: %w", errors.Join(errs...))
	}
	return nil
}

func validSchema(s string) error {
	switch {
	case s == "":
		return errors.New("schema name is empty")
	case len(s) > 63:
		return fmt.Errorf("schema name %q is longer than 63 bytes", s)
	case strings.ContainsRune(s, 0):
		return fmt.Errorf("schema name %q holds a NUL byte", s)
	}
	return nil
}

// URL query parameters the store takes out of a connection URL before pgx
// sees it (pgx would send unknown ones to the server as settings).
const (
	paramSchema       = "schema"
	paramMaxBatch     = "max_batch"
	paramPollInterval = "poll_interval"
)

// splitConnString takes the store's own parameters out of a postgres:// or
// postgresql:// URL and applies them to cfg. Keyword/value connection
// strings ("host=... dbname=...") pass through unchanged: set Config's
// fields instead.
func splitConnString(connString string, cfg Config) (string, Config, error) {
	lower := strings.ToLower(connString)
	if !strings.HasPrefix(lower, "postgres://") && !strings.HasPrefix(lower, "postgresql://") {
		return connString, cfg, nil
	}
	u, err := url.Parse(connString)
	if err != nil {
		return "", cfg, fmt.Errorf("parse connection URL: %w", err)
	}
	q := u.Query()
	if v := q.Get(paramSchema); q.Has(paramSchema) {
		if err := validSchema(v); err != nil {
			return "", cfg, fmt.Errorf("connection URL: %w", err)
		}
		cfg.Schema = v
	}
	if q.Has(paramMaxBatch) {
		n, err := strconv.Atoi(q.Get(paramMaxBatch))
		if err != nil || n < 1 {
			return "", cfg, fmt.Errorf("connection URL: %s=%q: want a positive integer", paramMaxBatch, q.Get(paramMaxBatch))
		}
		cfg.MaxBatch = n
	}
	if q.Has(paramPollInterval) {
		d, err := time.ParseDuration(q.Get(paramPollInterval))
		if err != nil || d <= 0 {
			return "", cfg, fmt.Errorf("connection URL: %s=%q: want a positive duration such as 500ms", paramPollInterval, q.Get(paramPollInterval))
		}
		cfg.PollInterval = d
	}
	for _, p := range []string{paramSchema, paramMaxBatch, paramPollInterval} {
		q.Del(p)
	}
	u.RawQuery = q.Encode()
	return u.String(), cfg, nil
}

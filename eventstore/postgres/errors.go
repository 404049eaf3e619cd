package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pdis/collab-ledger/eventstore"
)

// unavailable reports whether err means the database could not be reached
// or the connection broke, rather than a refusal by a working server.
func unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"): // connection exception
			return true
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03": // admin/crash shutdown, cannot connect now
			return true
		case pgErr.Code == "53300": // too many connections
			return true
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return true
	}
	// "conn closed", "conn busy" and failures before anything was sent.
	return pgconn.SafeToRetry(err)
}

// wrap adds what was being done to err, and eventstore.ErrUnavailable when
// the database could not be reached.
func wrap(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if unavailable(err) {
		return fmt.Errorf("%s: %w: %w", what, eventstore.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

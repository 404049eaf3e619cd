package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pdis/collab-ledger/eventstore"
)

// errorKind sorts the client's errors into what the store answers.
type errorKind int

const (
	kindOther errorKind = iota
	// kindUnavailable: the server could not be reached or could not serve
	// the call now (down, not ready, not the leader, timed out).
	kindUnavailable
	// kindClientClosed: the client gave up on its connection for good
	// (its discovery failed); the store must make a new one.
	kindClientClosed
	// kindWrongExpectedVersion: an append's expected revision did not hold.
	kindWrongExpectedVersion
	// kindNotFound: the stream does not exist.
	kindNotFound
	// kindTooLarge: the append exceeds the server's size limit.
	kindTooLarge
	// kindStreamDeleted: the stream was deleted on the server.
	kindStreamDeleted
)

// classify sorts a client error.
func classify(err error) errorKind {
	if err == nil {
		return kindOther
	}
	var ee *esdb.Error
	if errors.As(err, &ee) {
		switch ee.Code() {
		case esdb.ErrorCodeWrongExpectedVersion:
			return kindWrongExpectedVersion
		case esdb.ErrorCodeConnectionClosed:
			return kindClientClosed
		case esdb.ErrorUnavailable, esdb.ErrorCodeDeadlineExceeded, esdb.ErrorCodeNotLeader, esdb.ErrorAborted:
			return kindUnavailable
		case esdb.ErrorCodeResourceNotFound:
			return kindNotFound
		case esdb.ErrorCodeStreamDeleted:
			return kindStreamDeleted
		}
	}
	if st, ok := status.FromError(err); ok && st.Code() != codes.OK && st.Code() != codes.Unknown {
		switch st.Code() {
		case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.ResourceExhausted:
			return kindUnavailable
		case codes.InvalidArgument:
			if strings.Contains(st.Message(), "Maximum Append") {
				return kindTooLarge
			}
		}
		return kindOther
	}
	// status.FromError does not look through every wrapper; the library
	// sometimes wraps with %v, so fall back on its message.
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Maximum Append"):
		return kindTooLarge
	case strings.Contains(msg, "code = Unavailable"), strings.Contains(msg, "connection refused"):
		return kindUnavailable
	}
	return kindOther
}

// fail turns a client error of operation op into the store's error: the
// context's error when the caller gave up, ErrClosed after Close,
// eventstore.ErrUnavailable when the server could not be reached (the
// client error stays in the chain). A client that closed itself is
// replaced, so the next call connects afresh.
func (s *Store) fail(ctx context.Context, cn *conn, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: %w", op, ctxErr)
	}
	if s.closed.Load() {
		return fmt.Errorf("%s: %w", op, eventstore.ErrClosed)
	}
	if strings.Contains(err.Error(), "maximum discovery attempt count reached") {
		// The client gave up for good when its discovery failed.
		s.renew(cn)
	}
	switch classify(err) {
	case kindClientClosed:
		s.renew(cn)
		return fmt.Errorf("%s: %w: %w", op, eventstore.ErrUnavailable, err)
	case kindUnavailable:
		return fmt.Errorf("%s: %w: %w", op, eventstore.ErrUnavailable, err)
	case kindTooLarge:
		return fmt.Errorf("%s: %w: the server refused the append's size (raise KURRENTDB_MAX_APPEND_SIZE, and Config.MaxAppendSize with it): %w", op, eventstore.ErrEventTooLarge, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		// A stream the server ended early: the connection broke.
		return fmt.Errorf("%s: %w: %w", op, eventstore.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// retryable reports whether an error the store returned may go away by
// itself (for resubscribing).
func retryable(err error) bool {
	return errors.Is(err, eventstore.ErrUnavailable)
}

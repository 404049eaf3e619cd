// Package kurrentdb keeps the ledger's event log in KurrentDB (formerly
// EventStoreDB), through the official gRPC client
// github.com/EventStore/EventStore-Client-Go/v4/esdb.
//
// Import it for its side effect and open a store by URL; the schemes esdb,
// esdb+discover, kurrentdb and kurrentdb+discover are registered (the
// kurrentdb ones are rewritten to esdb for the client):
//
//	import _ "github.com/pdis/collab-ledger/eventstore/kurrentdb"
//
//	store, err := eventstore.Open(ctx, "esdb://localhost:2113?tls=false", eventstore.Config{})
//
// or call Open directly for this package's settings:
//
//	store, err := kurrentdb.Open(ctx, "kurrentdb://admin:changeit@db.example:2113", kurrentdb.Config{
//		Config:        eventstore.Config{Logger: logger},
//		MaxAppendSize: 8 << 20, // the server runs with KURRENTDB_MAX_APPEND_SIZE=8388608
//	})
//
// The connection string is the client's (tls, tlsVerifyCert, tlsCAFile,
// nodePreference, defaultDeadline, keepAliveInterval, ...), plus this
// package's retry_window, append_attempts, max_append_size,
// resubscribe_attempts, skip_foreign and verify, which Open removes before
// handing the string on.
//
// # Mapping
//
// docs/decisions/0004-kurrentdb-mapping.md gives the reasons; in short:
//
//   - A ledger stream is a KurrentDB stream of the same name; version v is
//     revision v-1.
//   - An event's data is its canonical JSON, stored as is (content type
//     application/json). The rest of the envelope the server does not keep
//     (schema version, metadata, recorded-at, content hash) is the event's
//     metadata JSON, marked "format":"collab-ledger/1".
//   - Recorded-at is the store's clock (eventstore.Config.Now), set before
//     writing because the content hash covers it; the server's own created
//     time is kept by the server but not hashed.
//   - A global position is the event's $all commit position: increasing,
//     not dense.
//   - Append reads the stream's tail first (version, idempotent retries),
//     checks the expectation itself, and appends expecting the exact
//     revision it read, looping on conflicts for Any and StreamExists.
//   - Event IDs are unique across streams through claim streams
//     ("$ledger-id-<uuid>"), one per ID, created before the events.
//   - ReadAll, Head and Subscribe skip the server's own records (streams or
//     types starting with '$'), including the claims.
//
// # Requirements and limits
//
// The server must be KurrentDB, or EventStoreDB 22.6 or later (earlier
// servers do not report positions on stream reads). The ledger's user must
// read $all and write the claim streams, which are system streams: use an
// admin, or grant it through the $systemStreamAcl default ACL. Ledger
// streams must never be deleted, truncated or given $maxAge/$maxCount
// metadata, and nothing but this package may write to them (such events are
// foreign: reads fail with ErrForeignEvent). The server's MaxAppendSize (1
// MiB unless raised) bounds one append's data and metadata together; set
// Config.MaxAppendSize to the server's value.
//
// Tests: the package's own tests run without a server; the conformance
// suite runs against a real one when KURRENTDB_URL is set (for instance
// after `docker compose up kurrentdb`, KURRENTDB_URL=esdb://localhost:2113?tls=false).
package kurrentdb

// Package postgres is the ledger's PostgreSQL event store: an
// eventstore.Store kept in one table of a PostgreSQL (13 or later) database,
// shared safely by any number of processes.
//
// Import it for its side effect and open a URL, or call Open directly:
//
//	import _ "github.com/pdis/collab-ledger/eventstore/postgres"
//
//	store, err := eventstore.Open(ctx, "postgres://ledger@db:5432/ledger?sslmode=require&schema=ledger", eventstore.Config{})
//
//	// or, with the backend's own settings:
//	store, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"), postgres.Config{Schema: "ledger", PollInterval: time.Second})
//	defer store.Close()
//
// Open applies the embedded migrations (numbered .sql files, one
// transaction under an advisory lock, recorded in schema_migrations), so a
// new database needs nothing but a role allowed to create tables (and the
// schema, when it does not exist yet). The URL accepts, besides everything
// pgx understands (pool_max_conns, search_path, ...), the store's own
// parameters schema, max_batch and poll_interval; see Config.
//
// # Gap-free order
//
// Every append goes through the store's single writer goroutine, which
// commits the appends waiting at that moment in one transaction (group
// commit) while holding a per-schema pg_advisory_xact_lock. Positions are
// assigned as head+1, head+2, ... under that lock, so transactions commit in
// position order, across processes too, and a reader never sees position
// N+1 without N. Subscribe therefore just reads the log after its
// checkpoint and waits for the head to move: the writer wakes local
// subscribers after each commit, a LISTEN on NotifyChannel wakes them for
// other processes' appends, and PollInterval bounds the wait if a
// notification is lost. docs/decisions/0003-postgres-gap-free-appends.md has
// the argument.
//
// # Table
//
// events(position, stream, version, id, type, schema_version, data,
// actor_id, actor_role, command_id, correlation_id, causation_id,
// occurred_at, recorded_at, hash). data is bytea holding the canonical JSON
// bytes the content hash covers; query it as convert_from(data,
// 'UTF8')::jsonb. The table refuses UPDATE, DELETE and TRUNCATE.
//
// Tests that need a database use the pgtest sub-package, which skips them
// when DATABASE_URL names no reachable server.
package postgres

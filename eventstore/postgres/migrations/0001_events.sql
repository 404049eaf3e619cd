-- 0001: the global log.
--
-- One row per event. position is the dense global order (1, 2, 3, ...),
-- assigned by the writer while it holds the append advisory lock, so commit
-- order is position order (docs/decisions/0003-postgres-gap-free-appends.md).
-- data holds the RFC 8785 canonical JSON bytes exactly as hashed: bytea, not
-- jsonb (which would reorder keys and normalise numbers) nor text (which
-- depends on the server encoding). Use convert_from(data, 'UTF8')::jsonb to
-- query it.
CREATE TABLE events (
    position       bigint      PRIMARY KEY CHECK (position > 0),
    stream         text        NOT NULL,
    version        bigint      NOT NULL CHECK (version > 0),
    id             uuid        NOT NULL UNIQUE,
    type           text        NOT NULL,
    schema_version integer     NOT NULL CHECK (schema_version > 0),
    data           bytea       NOT NULL,
    actor_id       text        NOT NULL DEFAULT '',
    actor_role     text        NOT NULL DEFAULT '',
    command_id     text        NOT NULL DEFAULT '',
    correlation_id text        NOT NULL DEFAULT '',
    causation_id   text        NOT NULL DEFAULT '',
    occurred_at    timestamptz,
    recorded_at    timestamptz NOT NULL,
    hash           bytea       NOT NULL CHECK (length(hash) = 32),
    UNIQUE (stream, version)
);

-- The log is append-only: refuse UPDATE, DELETE and TRUNCATE so that a
-- mistaken statement cannot rewrite history. (The content hashes make a
-- deliberate rewrite detectable; this only stops accidents.)
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the events table is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

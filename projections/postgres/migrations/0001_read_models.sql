-- Read models of the projections (package projections/postgres).
-- Keys use the "C" collation: byte order, as Go compares strings, so that
-- Scan's order and prefix ranges are the same on every backend.

CREATE TABLE rm_projections (
    projection      text COLLATE "C" PRIMARY KEY,
    next_generation bigint NOT NULL DEFAULT 1,
    -- Integration high-water mark: events at or below it are never
    -- announced again. NULL until first set.
    mark            bigint
);

CREATE TABLE rm_checkpoints (
    projection     text COLLATE "C" NOT NULL,
    generation     bigint      NOT NULL,
    version        integer     NOT NULL,
    position       bigint      NOT NULL DEFAULT 0,
    state          text        NOT NULL,
    error          text        NOT NULL DEFAULT '',
    error_position bigint      NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, generation)
);

-- The generation queries read.
CREATE TABLE rm_active (
    projection text COLLATE "C" PRIMARY KEY,
    generation bigint NOT NULL
);

-- Documents are the projection's JSON, byte for byte (bytea, not jsonb,
-- so that both backends return the same bytes; cast with
-- convert_from(doc, 'UTF8')::jsonb to query them in SQL).
CREATE TABLE rm_docs (
    projection text COLLATE "C" NOT NULL,
    generation bigint NOT NULL,
    collection text COLLATE "C" NOT NULL,
    key        text COLLATE "C" NOT NULL,
    doc        bytea  NOT NULL,
    PRIMARY KEY (projection, generation, collection, key)
);

-- Integration events committed with their batch, until published.
CREATE TABLE rm_outbox (
    projection      text COLLATE "C" NOT NULL,
    seq             bigserial,
    id              text   NOT NULL,
    name            text   NOT NULL,
    key             text   NOT NULL,
    payload         bytea  NOT NULL,
    source_event_id text   NOT NULL,
    source_position bigint NOT NULL,
    occurred_at     timestamptz,
    PRIMARY KEY (projection, seq)
);

-- The transparency log's tree, beside the other read models.
--
-- transparency_hashes holds tlog's stored hashes (every node of every
-- complete subtree, numbered by tlog.StoredHashIndex); transparency_leaves
-- says which event each leaf is; transparency_state is the tree's size and
-- checkpoint (the position of its last event), written in the same
-- transaction as the rows that bring the tree to that size.
CREATE TABLE IF NOT EXISTS transparency_state (
    id                  smallint    PRIMARY KEY CHECK (id = 1),
    size                bigint      NOT NULL CHECK (size >= 0),
    position            bigint      NOT NULL CHECK (position >= 0),
    content_size        bigint      NOT NULL CHECK (content_size >= 0),
    checkpoint_note     text,
    checkpoint_position bigint      NOT NULL DEFAULT 0,
    updated_at          timestamptz NOT NULL DEFAULT now()
);

INSERT INTO transparency_state (id, size, position, content_size) VALUES (1, 0, 0, 0)
    ON CONFLICT (id) DO NOTHING;

CREATE TABLE IF NOT EXISTS transparency_hashes (
    idx  bigint PRIMARY KEY CHECK (idx >= 0),
    hash bytea  NOT NULL CHECK (length(hash) = 32)
);

CREATE TABLE IF NOT EXISTS transparency_leaves (
    leaf     bigint PRIMARY KEY CHECK (leaf >= 0),
    position bigint NOT NULL UNIQUE CHECK (position > 0),
    event_id uuid   NOT NULL UNIQUE
);

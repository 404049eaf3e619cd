-- The secrets of sealed events (envelope version 2): one row per committed
-- field. Erasing a field deletes its row; the log keeps the commitment.
CREATE TABLE sealed_secrets (
    event_id uuid  NOT NULL,
    path     text  NOT NULL,
    salt     bytea NOT NULL,
    value    bytea NOT NULL,
    PRIMARY KEY (event_id, path)
);
-- Erasing a person finds their fields by value.
CREATE INDEX sealed_secrets_value ON sealed_secrets USING hash (value);

-- The pages' sign-in sessions, shared by every server of the ledger. Only
-- the SHA-256 of a session's ID is kept (the browser's cookie holds the ID);
-- data is the web layer's encoding, the identity in it sealed with a key
-- derived from the ID, so the table alone names nobody.
CREATE TABLE web_sessions (
    id_hash bytea       PRIMARY KEY,
    expires timestamptz NOT NULL,
    data    bytea       NOT NULL
);
CREATE INDEX web_sessions_expires ON web_sessions (expires);

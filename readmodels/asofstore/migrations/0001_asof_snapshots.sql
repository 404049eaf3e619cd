-- Snapshots of cases' as-of folds (readmodels.CaseFolds, decision 0043): a
-- cache rebuilt from the log, never a source of truth. Per snapshot of a
-- case's chain (seq 0 the oldest) one row for its header (part '') and
-- one per part (a read model's collection's keys or documents); erasures
-- is the version of the erasures stream the chain was folded at (a later
-- erasure drops it).
CREATE TABLE asof_snapshots (
    case_id  text   NOT NULL,
    seq      int    NOT NULL,
    part     text   NOT NULL,
    erasures bigint NOT NULL,
    blob     bytea  NOT NULL,
    PRIMARY KEY (case_id, seq, part)
);
CREATE INDEX asof_snapshots_erasures ON asof_snapshots (erasures);

-- Leases (package internal/lease): which server runs each job, with a
-- fencing token that grows every time the lease changes hands.

CREATE TABLE cl_leases (
    job         text COLLATE "C" PRIMARY KEY,
    holder      text        NOT NULL,
    -- The fencing token: 1 for the first holder, one more at each change
    -- of hands. A write carries the token it was decided under and is
    -- refused, in its own transaction, when the row holds another.
    token       bigint      NOT NULL,
    acquired_at timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

-- What fenced writes went through, when auditing is on (the failover
-- test): one row per write, in commit order.
CREATE TABLE cl_lease_writes (
    seq   bigserial PRIMARY KEY,
    job   text COLLATE "C" NOT NULL,
    token bigint      NOT NULL,
    what  text        NOT NULL,
    at    timestamptz NOT NULL DEFAULT now()
);

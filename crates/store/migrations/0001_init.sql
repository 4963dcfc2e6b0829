-- The first schema of a Mutual data directory.

-- This device's identity: exactly one row once `mutual init` has run.
CREATE TABLE identity (
    singleton     INTEGER PRIMARY KEY CHECK (singleton = 1),
    name          TEXT    NOT NULL,
    member_secret BLOB    NOT NULL CHECK (length(member_secret) = 32),
    device_secret BLOB    NOT NULL CHECK (length(device_secret) = 32),
    device_cert   BLOB    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

-- Groups this device belongs to (or did).
CREATE TABLE groups (
    group_id  TEXT    PRIMARY KEY,
    index_doc TEXT    NOT NULL,
    joined_at INTEGER NOT NULL
) STRICT;

-- The signed membership ops of each group, in the order they were accepted.
-- That order is a valid causal order: an op is only stored once its parents are.
CREATE TABLE ops (
    seq      INTEGER PRIMARY KEY,
    group_id TEXT    NOT NULL REFERENCES groups (group_id),
    op_id    TEXT    NOT NULL UNIQUE,
    bytes    BLOB    NOT NULL
) STRICT;
CREATE INDEX ops_by_group ON ops (group_id, seq);

-- Documents of each group (the group index document included).
CREATE TABLE docs (
    doc_id     TEXT    PRIMARY KEY,
    group_id   TEXT    NOT NULL REFERENCES groups (group_id),
    kind       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX docs_by_group ON docs (group_id);

-- A document is the concatenation of its chunks in `seq` order: at most one snapshot
-- (a full Automerge save) followed by incremental change chunks appended on each edit.
CREATE TABLE doc_chunks (
    seq         INTEGER PRIMARY KEY,
    doc_id      TEXT    NOT NULL REFERENCES docs (doc_id),
    is_snapshot INTEGER NOT NULL CHECK (is_snapshot IN (0, 1)),
    bytes       BLOB    NOT NULL
) STRICT;
CREATE INDEX doc_chunks_by_doc ON doc_chunks (doc_id, seq);

-- What each other device was last known to hold of each document (its Automerge heads, 32
-- bytes each, concatenated), and when it was last in sync with this device on each group:
-- status (in sync, changes no other device has) survives a restart.
CREATE TABLE peer_docs (
    device_id TEXT NOT NULL,
    doc_id    TEXT NOT NULL,
    heads     BLOB NOT NULL CHECK (length(heads) % 32 = 0),
    PRIMARY KEY (device_id, doc_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE peer_groups (
    device_id   TEXT    NOT NULL,
    group_id    TEXT    NOT NULL,
    last_synced INTEGER NOT NULL,
    PRIMARY KEY (device_id, group_id)
) STRICT, WITHOUT ROWID;

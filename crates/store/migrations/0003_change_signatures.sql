-- Each document change's signature by the device that made it (its Automerge actor), as
-- received from peers: sync sends it along with the change, and peers refuse a change
-- without one. A device's own changes are signed when first sent, so they need no row.
CREATE TABLE change_signatures (
    doc_id    TEXT NOT NULL,
    hash      BLOB NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (doc_id, hash)
) STRICT, WITHOUT ROWID;

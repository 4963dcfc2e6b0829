-- Tip signatures replace per-change signatures (wire version 3): for each document and
-- each device that wrote to it, that device's signature over its newest change here. The
-- hash chain makes it vouch for every earlier change of that device, so one row per
-- (document, device) lets this device relay all of them. The old per-change rows are not
-- converted: every device re-signs its own newest change when it next sends it.
CREATE TABLE doc_tips (
    doc_id    TEXT NOT NULL,
    actor     BLOB NOT NULL,
    seq       INTEGER NOT NULL,
    hash      BLOB NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (doc_id, actor)
) STRICT, WITHOUT ROWID;

DROP TABLE change_signatures;

-- Additions of this device to groups it does not hold, made by someone it did not ask: kept
-- for its owner to accept or ignore (the group's name and who added the device, nothing of
-- the group's log or documents). 'accepted' lasts until the group's log arrives.
CREATE TABLE additions (
    group_id  TEXT    PRIMARY KEY,
    name      TEXT    NOT NULL,
    added_by  TEXT    NOT NULL,
    by_device TEXT    NOT NULL,
    added_at  INTEGER NOT NULL,
    state     TEXT    NOT NULL CHECK (state IN ('pending', 'accepted', 'ignored'))
) STRICT, WITHOUT ROWID;

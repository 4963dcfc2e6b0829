-- The address book: where other devices were last reached, so that a restarted node can
-- redial its group's members without waiting for discovery.
CREATE TABLE peers (
    peer_id   TEXT    PRIMARY KEY,
    -- Multiaddrs, one per line, most recent first.
    addresses TEXT    NOT NULL,
    last_seen INTEGER NOT NULL
) STRICT;

-- The port this device last listened on (TCP and QUIC alike), taken again at the next start
-- when free: members whose address books hold it still find this device after a restart,
-- with no discovery on the network.
CREATE TABLE listen_port (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535)
) STRICT;

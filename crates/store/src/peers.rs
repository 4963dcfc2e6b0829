//! The address book: other devices' addresses and when they were last seen.

use rusqlite::{Connection, params};

use crate::Error;

/// Where another device was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRecord {
    /// Its libp2p peer id.
    pub peer_id: String,
    /// Its known multiaddrs, most recent first.
    pub addresses: Vec<String>,
    /// When it was last connected or discovered (unix milliseconds).
    pub last_seen: i64,
}

/// Inserts or replaces a peer's row.
pub(crate) fn upsert(conn: &Connection, record: &PeerRecord) -> Result<(), Error> {
    conn.execute(
        "INSERT INTO peers (peer_id, addresses, last_seen) VALUES (?1, ?2, ?3)
         ON CONFLICT (peer_id) DO UPDATE SET addresses = ?2, last_seen = ?3",
        params![
            record.peer_id,
            record.addresses.join("\n"),
            record.last_seen
        ],
    )?;
    Ok(())
}

pub(crate) fn all(conn: &Connection) -> Result<Vec<PeerRecord>, Error> {
    let mut stmt =
        conn.prepare("SELECT peer_id, addresses, last_seen FROM peers ORDER BY peer_id")?;
    let rows = stmt.query_map([], |row| {
        let addresses: String = row.get(1)?;
        Ok(PeerRecord {
            peer_id: row.get(0)?,
            addresses: addresses
                .lines()
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect(),
            last_seen: row.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records the port this device listens on.
pub(crate) fn set_listen_port(conn: &Connection, port: u16) -> Result<(), Error> {
    conn.execute(
        "INSERT INTO listen_port (id, port) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET port = ?1",
        params![port],
    )?;
    Ok(())
}

/// The port this device last listened on, if any.
pub(crate) fn listen_port(conn: &Connection) -> Result<Option<u16>, Error> {
    use rusqlite::OptionalExtension as _;
    Ok(conn
        .query_row("SELECT port FROM listen_port WHERE id = 1", [], |row| {
            row.get(0)
        })
        .optional()?)
}

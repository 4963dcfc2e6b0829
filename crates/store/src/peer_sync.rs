//! What other devices are known to hold, and when each was last in sync: status that
//! survives a restart.

use rusqlite::{Connection, params};

use crate::Error;

/// What another device was known to hold of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldRecord {
    /// The device.
    pub device_id: String,
    /// The document.
    pub doc_id: String,
    /// Its Automerge heads there.
    pub heads: Vec<[u8; 32]>,
}

/// When another device was last in sync with this one on a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedRecord {
    /// The device.
    pub device_id: String,
    /// The group.
    pub group_id: String,
    /// Unix milliseconds.
    pub last_synced: i64,
}

pub(crate) fn put_held(conn: &Connection, record: &HeldRecord) -> Result<(), Error> {
    let heads: Vec<u8> = record.heads.iter().flatten().copied().collect();
    conn.prepare_cached(
        "INSERT INTO peer_docs (device_id, doc_id, heads) VALUES (?1, ?2, ?3)
         ON CONFLICT (device_id, doc_id) DO UPDATE SET heads = excluded.heads",
    )?
    .execute(params![record.device_id, record.doc_id, heads])?;
    Ok(())
}

pub(crate) fn put_synced(conn: &Connection, record: &SyncedRecord) -> Result<(), Error> {
    conn.prepare_cached(
        "INSERT INTO peer_groups (device_id, group_id, last_synced) VALUES (?1, ?2, ?3)
         ON CONFLICT (device_id, group_id) DO UPDATE SET last_synced = excluded.last_synced",
    )?
    .execute(params![
        record.device_id,
        record.group_id,
        record.last_synced
    ])?;
    Ok(())
}

/// What other devices held of the documents of a group.
pub(crate) fn held_of_group(conn: &Connection, group_id: &str) -> Result<Vec<HeldRecord>, Error> {
    let mut select = conn.prepare_cached(
        "SELECT p.device_id, p.doc_id, p.heads FROM peer_docs p
         JOIN docs d ON d.doc_id = p.doc_id WHERE d.group_id = ?1
         ORDER BY p.device_id, p.doc_id",
    )?;
    let rows = select.query_map([group_id], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, Vec<u8>>(2)?,
        ))
    })?;
    let mut records = Vec::new();
    for row in rows {
        let (device_id, doc_id, heads) = row?;
        let heads = heads
            .chunks_exact(32)
            .filter_map(|chunk| <[u8; 32]>::try_from(chunk).ok())
            .collect();
        records.push(HeldRecord {
            device_id,
            doc_id,
            heads,
        });
    }
    Ok(records)
}

pub(crate) fn synced(conn: &Connection) -> Result<Vec<SyncedRecord>, Error> {
    let mut select = conn.prepare_cached(
        "SELECT device_id, group_id, last_synced FROM peer_groups ORDER BY device_id, group_id",
    )?;
    let rows = select.query_map([], |row| {
        Ok(SyncedRecord {
            device_id: row.get(0)?,
            group_id: row.get(1)?,
            last_synced: row.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

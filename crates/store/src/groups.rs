//! Groups and their membership ops.

use rusqlite::{Connection, OptionalExtension, params};

use crate::Error;

/// A group this device belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// The group's id (the hash of its genesis op).
    pub group_id: String,
    /// The id of the group's index document.
    pub index_doc: String,
    /// When this device joined or created it (unix milliseconds).
    pub joined_at: i64,
}

pub(crate) fn insert_group(conn: &Connection, record: &GroupRecord) -> Result<(), Error> {
    conn.execute(
        "INSERT INTO groups (group_id, index_doc, joined_at) VALUES (?1, ?2, ?3)",
        params![record.group_id, record.index_doc, record.joined_at],
    )?;
    Ok(())
}

/// Stores an op; storing one that is already there is a no-op, since ops arrive again
/// and again from different peers.
pub(crate) fn insert_op(
    conn: &Connection,
    group_id: &str,
    op_id: &str,
    bytes: &[u8],
) -> Result<(), Error> {
    conn.execute(
        "INSERT INTO ops (group_id, op_id, bytes) VALUES (?1, ?2, ?3)
         ON CONFLICT (op_id) DO NOTHING",
        params![group_id, op_id, bytes],
    )?;
    Ok(())
}

pub(crate) fn all(conn: &Connection) -> Result<Vec<GroupRecord>, Error> {
    let mut stmt = conn.prepare(
        "SELECT group_id, index_doc, joined_at FROM groups ORDER BY joined_at, group_id",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok(GroupRecord {
            group_id: row.get(0)?,
            index_doc: row.get(1)?,
            joined_at: row.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn get(conn: &Connection, group_id: &str) -> Result<Option<GroupRecord>, Error> {
    Ok(conn
        .query_row(
            "SELECT group_id, index_doc, joined_at FROM groups WHERE group_id = ?1",
            [group_id],
            |row| {
                Ok(GroupRecord {
                    group_id: row.get(0)?,
                    index_doc: row.get(1)?,
                    joined_at: row.get(2)?,
                })
            },
        )
        .optional()?)
}

pub(crate) fn with_prefix(conn: &Connection, prefix: &str) -> Result<Vec<String>, Error> {
    let mut stmt = conn.prepare(
        "SELECT group_id FROM groups WHERE substr(group_id, 1, length(?1)) = ?1 ORDER BY group_id",
    )?;
    let rows = stmt.query_map([prefix], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn ops(conn: &Connection, group_id: &str) -> Result<Vec<Vec<u8>>, Error> {
    let mut stmt = conn.prepare("SELECT bytes FROM ops WHERE group_id = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([group_id], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

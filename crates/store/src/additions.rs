//! Additions of this device to groups it does not hold, waiting for its owner.

use rusqlite::{Connection, params};

use crate::Error;

/// What the owner said of an addition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdditionState {
    /// Not yet answered.
    Pending,
    /// Accepted: the group is taken when its log arrives.
    Accepted,
    /// Ignored: its log is not asked for.
    Ignored,
}

impl AdditionState {
    fn as_str(self) -> &'static str {
        match self {
            AdditionState::Pending => "pending",
            AdditionState::Accepted => "accepted",
            AdditionState::Ignored => "ignored",
        }
    }

    fn parse(text: &str) -> Option<AdditionState> {
        match text {
            "pending" => Some(AdditionState::Pending),
            "accepted" => Some(AdditionState::Accepted),
            "ignored" => Some(AdditionState::Ignored),
            _ => None,
        }
    }
}

/// An addition as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdditionRecord {
    /// The group.
    pub group_id: String,
    /// The group's name, from its genesis.
    pub name: String,
    /// The name of who added this device.
    pub added_by: String,
    /// The device that signed the addition.
    pub by_device: String,
    /// When, as the addition claims (unix ms).
    pub added_at: i64,
    /// What the owner said.
    pub state: AdditionState,
}

/// Records an addition; one already recorded keeps its state (an ignored one stays so).
pub(crate) fn insert(conn: &Connection, record: &AdditionRecord) -> Result<(), Error> {
    conn.prepare_cached(
        "INSERT INTO additions (group_id, name, added_by, by_device, added_at, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (group_id) DO NOTHING",
    )?
    .execute(params![
        record.group_id,
        record.name,
        record.added_by,
        record.by_device,
        record.added_at,
        record.state.as_str()
    ])?;
    Ok(())
}

pub(crate) fn set_state(
    conn: &Connection,
    group_id: &str,
    state: AdditionState,
) -> Result<(), Error> {
    conn.prepare_cached("UPDATE additions SET state = ?2 WHERE group_id = ?1")?
        .execute(params![group_id, state.as_str()])?;
    Ok(())
}

pub(crate) fn forget(conn: &Connection, group_id: &str) -> Result<(), Error> {
    conn.prepare_cached("DELETE FROM additions WHERE group_id = ?1")?
        .execute([group_id])?;
    Ok(())
}

/// Every addition, oldest first.
pub(crate) fn all(conn: &Connection) -> Result<Vec<AdditionRecord>, Error> {
    let mut select = conn.prepare_cached(
        "SELECT group_id, name, added_by, by_device, added_at, state FROM additions
         ORDER BY added_at, group_id",
    )?;
    let rows = select.query_map([], |row| {
        Ok((
            AdditionRecord {
                group_id: row.get(0)?,
                name: row.get(1)?,
                added_by: row.get(2)?,
                by_device: row.get(3)?,
                added_at: row.get(4)?,
                state: AdditionState::Pending,
            },
            row.get::<_, String>(5)?,
        ))
    })?;
    let mut records = Vec::new();
    for row in rows {
        let (mut record, state) = row?;
        // The table's CHECK admits only the three states.
        record.state = AdditionState::parse(&state).unwrap_or(AdditionState::Pending);
        records.push(record);
    }
    Ok(records)
}

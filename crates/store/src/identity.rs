//! This device's identity row.

use rusqlite::{Connection, OptionalExtension, params};

use crate::Error;

/// This device's identity as stored: secrets of the member and device keys, and the
/// member's certificate of the device (encoded by `mutual-auth`).
#[derive(Clone, PartialEq, Eq)]
pub struct IdentityRecord {
    /// The person's chosen display name.
    pub name: String,
    /// The member key's secret.
    pub member_secret: [u8; 32],
    /// The device key's secret.
    pub device_secret: [u8; 32],
    /// The member's signed certificate of this device.
    pub device_cert: Vec<u8>,
    /// When `init` ran (unix milliseconds).
    pub created_at: i64,
}

impl std::fmt::Debug for IdentityRecord {
    // Never print the secrets, not even in logs of a failing test.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityRecord")
            .field("name", &self.name)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

pub(crate) fn insert(conn: &Connection, record: &IdentityRecord) -> Result<(), Error> {
    if get(conn)?.is_some() {
        return Err(Error::IdentityExists);
    }
    conn.execute(
        "INSERT INTO identity (singleton, name, member_secret, device_secret, device_cert, created_at)
         VALUES (1, ?1, ?2, ?3, ?4, ?5)",
        params![
            record.name,
            record.member_secret.as_slice(),
            record.device_secret.as_slice(),
            record.device_cert,
            record.created_at
        ],
    )?;
    Ok(())
}

pub(crate) fn rename(conn: &Connection, name: &str) -> Result<(), Error> {
    let changed = conn.execute(
        "UPDATE identity SET name = ?1 WHERE singleton = 1",
        params![name],
    )?;
    if changed == 0 {
        return Err(Error::NoIdentity);
    }
    Ok(())
}

pub(crate) fn link(
    conn: &Connection,
    member_secret: &[u8; 32],
    device_cert: &[u8],
) -> Result<(), Error> {
    let changed = conn.execute(
        "UPDATE identity SET member_secret = ?1, device_cert = ?2 WHERE singleton = 1",
        params![member_secret.as_slice(), device_cert],
    )?;
    if changed == 0 {
        return Err(Error::NoIdentity);
    }
    Ok(())
}

pub(crate) fn get(conn: &Connection) -> Result<Option<IdentityRecord>, Error> {
    let row = conn
        .query_row(
            "SELECT name, member_secret, device_secret, device_cert, created_at FROM identity",
            [],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Vec<u8>>(1)?,
                    row.get::<_, Vec<u8>>(2)?,
                    row.get::<_, Vec<u8>>(3)?,
                    row.get::<_, i64>(4)?,
                ))
            },
        )
        .optional()?;
    Ok(
        row.and_then(|(name, member, device, device_cert, created_at)| {
            // The schema's CHECK constraints guarantee 32 bytes; a row that somehow is not
            // reads as "no identity" rather than a panic.
            Some(IdentityRecord {
                name,
                member_secret: member.try_into().ok()?,
                device_secret: device.try_into().ok()?,
                device_cert,
                created_at,
            })
        }),
    )
}

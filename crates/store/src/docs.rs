//! Documents and their chunks (a snapshot, then incremental changes).

use rusqlite::{Connection, OptionalExtension, params};

use crate::{DocBytes, Error};

/// A document of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocRecord {
    /// The document's id.
    pub doc_id: String,
    /// The group it belongs to.
    pub group_id: String,
    /// Its kind, as `mutual-docs` names it.
    pub kind: String,
    /// When it was created or first received (unix milliseconds).
    pub created_at: i64,
}

pub(crate) fn insert_doc(conn: &Connection, record: &DocRecord) -> Result<(), Error> {
    conn.execute(
        "INSERT INTO docs (doc_id, group_id, kind, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            record.doc_id,
            record.group_id,
            record.kind,
            record.created_at
        ],
    )?;
    Ok(())
}

pub(crate) fn append_chunk(conn: &Connection, doc_id: &str, bytes: &[u8]) -> Result<(), Error> {
    // An empty save means nothing changed: storing it would only cost a row.
    if bytes.is_empty() {
        return Ok(());
    }
    conn.execute(
        "INSERT INTO doc_chunks (doc_id, is_snapshot, bytes) VALUES (?1, 0, ?2)",
        params![doc_id, bytes],
    )?;
    Ok(())
}

/// One device's signature over its newest change in a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TipRecord {
    /// The device (the change's Automerge actor).
    pub actor: [u8; 32],
    /// The change's sequence number among that device's changes.
    pub seq: u64,
    /// The change's hash.
    pub hash: [u8; 32],
    /// The device's signature over the hash.
    pub signature: [u8; 64],
}

pub(crate) fn put_tips(conn: &Connection, doc_id: &str, tips: &[TipRecord]) -> Result<(), Error> {
    // A tip only ever moves forward: an older one (from a slower peer) never replaces it.
    let mut upsert = conn.prepare_cached(
        "INSERT INTO doc_tips (doc_id, actor, seq, hash, signature) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (doc_id, actor) DO UPDATE
         SET seq = excluded.seq, hash = excluded.hash, signature = excluded.signature
         WHERE excluded.seq > doc_tips.seq",
    )?;
    for tip in tips {
        // Sequence numbers are counts of changes: far below i64::MAX.
        let seq = i64::try_from(tip.seq).unwrap_or(i64::MAX);
        upsert.execute(params![
            doc_id,
            tip.actor.as_slice(),
            seq,
            tip.hash.as_slice(),
            tip.signature.as_slice()
        ])?;
    }
    Ok(())
}

pub(crate) fn tips(conn: &Connection, doc_id: &str) -> Result<Vec<TipRecord>, Error> {
    let mut select = conn.prepare_cached(
        "SELECT actor, seq, hash, signature FROM doc_tips WHERE doc_id = ?1 ORDER BY actor",
    )?;
    let rows = select.query_map([doc_id], |row| {
        Ok((
            row.get::<_, Vec<u8>>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, Vec<u8>>(2)?,
            row.get::<_, Vec<u8>>(3)?,
        ))
    })?;
    let mut tips = Vec::new();
    for row in rows {
        let (actor, seq, hash, signature) = row?;
        // A row of the wrong shape cannot have been written by us: skip it (that device's
        // changes just cannot be relayed until it sends its tip again).
        if let (Ok(actor), Ok(seq), Ok(hash), Ok(signature)) = (
            actor.try_into(),
            u64::try_from(seq),
            hash.try_into(),
            signature.try_into(),
        ) {
            tips.push(TipRecord {
                actor,
                seq,
                hash,
                signature,
            });
        }
    }
    Ok(tips)
}

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<DocRecord> {
    Ok(DocRecord {
        doc_id: row.get(0)?,
        group_id: row.get(1)?,
        kind: row.get(2)?,
        created_at: row.get(3)?,
    })
}

pub(crate) fn get(conn: &Connection, doc_id: &str) -> Result<Option<DocRecord>, Error> {
    Ok(conn
        .query_row(
            "SELECT doc_id, group_id, kind, created_at FROM docs WHERE doc_id = ?1",
            [doc_id],
            from_row,
        )
        .optional()?)
}

pub(crate) fn with_prefix(conn: &Connection, prefix: &str) -> Result<Vec<DocRecord>, Error> {
    let mut stmt = conn.prepare(
        "SELECT doc_id, group_id, kind, created_at FROM docs
         WHERE substr(doc_id, 1, length(?1)) = ?1 ORDER BY doc_id",
    )?;
    let rows = stmt.query_map([prefix], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn of_group(conn: &Connection, group_id: &str) -> Result<Vec<DocRecord>, Error> {
    let mut stmt = conn.prepare(
        "SELECT doc_id, group_id, kind, created_at FROM docs WHERE group_id = ?1 ORDER BY doc_id",
    )?;
    let rows = stmt.query_map([group_id], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn load(conn: &Connection, doc_id: &str) -> Result<DocBytes, Error> {
    let mut stmt =
        conn.prepare("SELECT seq, bytes FROM doc_chunks WHERE doc_id = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([doc_id])?;
    let mut loaded = DocBytes {
        bytes: Vec::new(),
        chunks: 0,
        last_seq: 0,
    };
    while let Some(row) = rows.next()? {
        loaded.last_seq = row.get(0)?;
        let chunk: Vec<u8> = row.get(1)?;
        loaded.bytes.extend_from_slice(&chunk);
        loaded.chunks += 1;
    }
    if loaded.chunks == 0 {
        return Err(Error::EmptyDoc(doc_id.to_owned()));
    }
    Ok(loaded)
}

pub(crate) fn chunk_state(conn: &Connection, doc_id: &str) -> Result<(usize, i64), Error> {
    let (chunks, last_seq): (i64, Option<i64>) = conn
        .prepare_cached("SELECT count(*), max(seq) FROM doc_chunks WHERE doc_id = ?1")?
        .query_row([doc_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
    match last_seq {
        Some(last_seq) => Ok((usize::try_from(chunks).unwrap_or(0), last_seq)),
        None => Err(Error::EmptyDoc(doc_id.to_owned())),
    }
}

pub(crate) fn compact(
    conn: &Connection,
    doc_id: &str,
    through_seq: i64,
    snapshot: &[u8],
) -> Result<(), Error> {
    conn.execute(
        "DELETE FROM doc_chunks WHERE doc_id = ?1 AND seq <= ?2",
        params![doc_id, through_seq],
    )?;
    // Reusing the last folded chunk's seq keeps the snapshot before any chunk appended
    // after `through_seq`, so the concatenation stays in causal order.
    conn.execute(
        "INSERT INTO doc_chunks (seq, doc_id, is_snapshot, bytes) VALUES (?1, ?2, 1, ?3)",
        params![through_seq, doc_id, snapshot],
    )?;
    Ok(())
}

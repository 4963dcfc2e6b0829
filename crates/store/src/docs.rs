//! Documents and their chunks (a snapshot, then incremental changes).

use rusqlite::{Connection, OptionalExtension, params};

use crate::{ChangeSignature, DocBytes, Error};

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

pub(crate) fn add_signatures(
    conn: &Connection,
    doc_id: &str,
    signatures: &[ChangeSignature],
) -> Result<(), Error> {
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO change_signatures (doc_id, hash, signature) VALUES (?1, ?2, ?3)",
    )?;
    for (hash, signature) in signatures {
        insert.execute(params![doc_id, hash.as_slice(), signature.as_slice()])?;
    }
    Ok(())
}

pub(crate) fn signatures(conn: &Connection, doc_id: &str) -> Result<Vec<ChangeSignature>, Error> {
    let mut select =
        conn.prepare_cached("SELECT hash, signature FROM change_signatures WHERE doc_id = ?1")?;
    let rows = select.query_map([doc_id], |row| {
        Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?))
    })?;
    let mut signatures = Vec::new();
    for row in rows {
        let (hash, signature) = row?;
        // A row of the wrong size cannot have been written by us: skip it (the change
        // just cannot be relayed until its author's device sends it again).
        if let (Ok(hash), Ok(signature)) = (hash.try_into(), signature.try_into()) {
            signatures.push((hash, signature));
        }
    }
    Ok(signatures)
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

//! Automerge chunks from a peer, measured before Automerge parses them. Automerge inflates
//! a compressed change chunk, and a document's compressed columns, with no limit: a few
//! megabytes of deflate from a hostile peer would take gigabytes of memory (a decompression
//! bomb) before any check of who wrote the change. [`inflated_size`] walks the chunks'
//! headers, inflates what is compressed into nothing (counting bytes, keeping none) and
//! stops at a limit, so the cost of a message is bounded before Automerge sees it.
//!
//! The format (Automerge's binary format, "Chunk container"): each chunk is 4 magic bytes,
//! a 4-byte checksum, a type byte and a LEB128 length, then that many bytes. A document
//! chunk (type 0) lists its actors, heads and the specification and length of each column,
//! then the columns; a column whose specification has bit 3 set is deflated. A change
//! chunk (type 1) is never compressed; a compressed change chunk (type 2) is a deflated
//! change. Bundles (type 3) are not part of Mutual's protocol.

use std::io::{self, Read as _};

use flate2::read::DeflateDecoder;

/// The most bytes the Automerge data of one message may take once inflated: a sync
/// message's changes, or a whole document. Far above any document of a collective (the
/// automerge-perf trace, 260,000 edits, inflates to a few megabytes), far below what would
/// hurt a laptop.
pub const MAX_INFLATED: usize = 64 * 1024 * 1024;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// The bit of a column's specification saying that the column is deflated.
const DEFLATED: u64 = 0b1000;

/// Why chunks were refused before Automerge parsed them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    /// The chunks would inflate past the limit.
    #[error("it inflates to more than {limit} bytes")]
    TooLarge {
        /// The limit passed.
        limit: usize,
    },
    /// The bytes are not Automerge chunks.
    #[error("it is not Automerge data: {0}")]
    Malformed(&'static str),
}

/// The number of bytes `bytes`, a sequence of Automerge chunks, take once every compressed
/// part is inflated; [`ChunkError::TooLarge`] as soon as that passes `limit`. Costs at most
/// `limit` bytes of inflating and no memory beyond a small buffer.
pub fn inflated_size(bytes: &[u8], limit: usize) -> Result<usize, ChunkError> {
    let mut input = Input(bytes);
    let mut total = 0usize;
    while !input.0.is_empty() {
        if input.take(4)? != MAGIC {
            return Err(ChunkError::Malformed("bad magic bytes"));
        }
        input.take(4)?; // checksum
        let kind = input.take(1)?[0];
        let len = input.len()?;
        let body = input.take(len)?;
        let budget = limit.saturating_sub(total);
        let size = match kind {
            0 => document_size(body, budget),
            1 => Ok(body.len()),
            2 => inflate(body, budget),
            3 => Err(ChunkError::Malformed("a bundle")),
            _ => Err(ChunkError::Malformed("unknown chunk type")),
        }
        .map_err(|e| match e {
            ChunkError::TooLarge { .. } => ChunkError::TooLarge { limit },
            malformed => malformed,
        })?;
        total = total.saturating_add(size);
        if total > limit {
            return Err(ChunkError::TooLarge { limit });
        }
    }
    Ok(total)
}

/// The inflated size of a document chunk's body: its prefix and every column, deflated
/// ones inflated within `budget`.
fn document_size(body: &[u8], budget: usize) -> Result<usize, ChunkError> {
    let mut input = Input(body);
    let actors = input.count()?;
    for _ in 0..actors {
        let len = input.len()?;
        input.take(len)?;
    }
    let heads = input.count()?;
    input.take(
        heads
            .checked_mul(32)
            .ok_or(ChunkError::Malformed("too many heads"))?,
    )?;
    let mut columns = input.columns()?;
    columns.extend(input.columns()?);
    let mut total = body.len();
    for (spec, len) in columns {
        let data = input.take(len)?;
        if spec & DEFLATED != 0 {
            // The column counts at its inflated size instead of its deflated one.
            let inflated = inflate(data, budget.saturating_sub(total))?;
            total = (total - data.len()).saturating_add(inflated);
        }
        if total > budget {
            return Err(ChunkError::TooLarge { limit: budget });
        }
    }
    Ok(total)
}

/// The size of raw deflate `data` once inflated, if at most `budget`.
fn inflate(data: &[u8], budget: usize) -> Result<usize, ChunkError> {
    let cap = u64::try_from(budget).unwrap_or(u64::MAX).saturating_add(1);
    let mut limited = DeflateDecoder::new(data).take(cap);
    let size = io::copy(&mut limited, &mut io::sink())
        .map_err(|_| ChunkError::Malformed("bad deflate data"))?;
    match usize::try_from(size) {
        Ok(size) if size <= budget => Ok(size),
        _ => Err(ChunkError::TooLarge { limit: budget }),
    }
}

/// Bytes being read from the front.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ChunkError> {
        if n > self.0.len() {
            return Err(ChunkError::Malformed("truncated"));
        }
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(taken)
    }

    /// An unsigned LEB128 number.
    fn uleb(&mut self) -> Result<u64, ChunkError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ChunkError::Malformed("a number too long"))
    }

    /// A length of bytes that follow: at most what is left.
    fn len(&mut self) -> Result<usize, ChunkError> {
        usize::try_from(self.uleb()?)
            .ok()
            .filter(|len| *len <= self.0.len())
            .ok_or(ChunkError::Malformed("truncated"))
    }

    /// A count of items that each take at least a byte: at most what is left.
    fn count(&mut self) -> Result<usize, ChunkError> {
        self.len()
    }

    /// A document's column metadata: each column's specification and length.
    fn columns(&mut self) -> Result<Vec<(u64, usize)>, ChunkError> {
        let count = self.count()?;
        let mut columns = Vec::with_capacity(count);
        for _ in 0..count {
            let spec = self.uleb()?;
            let len = usize::try_from(self.uleb()?)
                .map_err(|_| ChunkError::Malformed("a column too long"))?;
            columns.push((spec, len));
        }
        Ok(columns)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use automerge::transaction::Transactable as _;
    use automerge::{AutoCommit, ROOT};
    use flate2::Compression;
    use flate2::write::DeflateEncoder;

    use super::*;

    fn chunk(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend([0; 4]);
        bytes.push(kind);
        let mut len = body.len();
        loop {
            let byte = u8::try_from(len & 0x7f).unwrap_or(0);
            len >>= 7;
            if len == 0 {
                bytes.push(byte);
                break;
            }
            bytes.push(byte | 0x80);
        }
        bytes.extend(body);
        bytes
    }

    fn deflated_zeros(n: usize) -> Vec<u8> {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(&vec![0; n]).unwrap();
        encoder.finish().unwrap()
    }

    fn text_doc(len: usize) -> AutoCommit {
        let mut doc = AutoCommit::new();
        let text = doc
            .put_object(ROOT, "text", automerge::ObjType::Text)
            .unwrap();
        doc.splice_text(&text, 0, 0, &"abcdefgh".repeat(len / 8))
            .unwrap();
        doc
    }

    #[test]
    fn real_documents_and_changes_are_measured_whole() {
        let mut doc = text_doc(100_000);
        let saved = doc.save();
        let plain = doc.save_nocompress();
        // Compressed columns are inflated: the size is the uncompressed document's, give or
        // take the chunk's header and its columns' lengths.
        assert!(saved.len() * 2 < plain.len());
        let near_plain = |size: usize| size + 64 > plain.len() && size < plain.len() + 64;
        let size = inflated_size(&saved, MAX_INFLATED).unwrap();
        assert!(near_plain(size), "{size} for {}", plain.len());
        let size = inflated_size(&plain, MAX_INFLATED).unwrap();
        assert!(near_plain(size), "{size} for {}", plain.len());
        // A change is never compressed: its size is its body's.
        let change = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
        let size = inflated_size(&change, MAX_INFLATED).unwrap();
        assert!(size < change.len() && size + 16 > change.len());
        // Past the limit, even uncompressed data is refused.
        assert_eq!(
            inflated_size(&plain, 1000),
            Err(ChunkError::TooLarge { limit: 1000 })
        );
    }

    #[test]
    fn a_compressed_change_past_the_limit_is_refused_without_inflating_it_all() {
        let bomb = chunk(2, &deflated_zeros(10 * 1024 * 1024));
        assert!(bomb.len() < 64 * 1024);
        assert_eq!(
            inflated_size(&bomb, 1024 * 1024),
            Err(ChunkError::TooLarge { limit: 1024 * 1024 })
        );
        assert_eq!(inflated_size(&bomb, 16 * 1024 * 1024), Ok(10 * 1024 * 1024));
    }

    #[test]
    fn a_document_whose_columns_inflate_past_the_limit_is_refused() {
        let zeros = deflated_zeros(4 * 1024 * 1024);
        let mut body = vec![0, 0]; // no actor, no head
        body.push(1); // one change column, deflated (spec with bit 3)...
        body.push(0b1000);
        let mut len = zeros.len();
        while len >= 0x80 {
            body.push(u8::try_from(len & 0x7f).unwrap_or(0) | 0x80);
            len >>= 7;
        }
        body.push(u8::try_from(len).unwrap_or(0));
        body.push(0); // ...and no op column
        body.extend(&zeros);
        let doc = chunk(0, &body);
        assert_eq!(
            inflated_size(&doc, 1024 * 1024),
            Err(ChunkError::TooLarge { limit: 1024 * 1024 })
        );
        let size = inflated_size(&doc, MAX_INFLATED).unwrap();
        assert!(size > 4 * 1024 * 1024);
    }

    #[test]
    fn what_is_not_automerge_data_is_malformed_never_a_panic() {
        let good = text_doc(1000).save();
        for cut in 0..good.len() {
            let _ = inflated_size(&good[..cut], MAX_INFLATED);
        }
        assert_eq!(
            inflated_size(b"not a chunk", MAX_INFLATED),
            Err(ChunkError::Malformed("bad magic bytes"))
        );
        assert_eq!(
            inflated_size(&chunk(3, b""), MAX_INFLATED),
            Err(ChunkError::Malformed("a bundle"))
        );
        assert_eq!(
            inflated_size(&chunk(2, b"\xff\xff\xff"), MAX_INFLATED),
            Err(ChunkError::Malformed("bad deflate data"))
        );
    }
}

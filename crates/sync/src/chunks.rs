//! Automerge chunks from a peer, measured before Automerge parses them. Automerge inflates
//! a compressed change chunk, and a document's compressed columns, with no limit: a few
//! megabytes of deflate from a hostile peer would take gigabytes of memory (a decompression
//! bomb) before any check of who wrote the change. [`inflated_size`] walks the chunks'
//! headers, inflates what is compressed into nothing (counting bytes, keeping none) and
//! stops at a limit, so the cost of a message is bounded before Automerge sees it.
//!
//! Run-length encoding is the other bomb: a column run says "this value, N times" in a few
//! bytes, and Automerge reads a change's operations one by one as it parses it (a 113-byte
//! change holding ten million operations took 1.6 s; one holding 2^40 would hold a node's
//! event loop for days, and its memory once applied). So every column's rows are counted
//! from its runs, without expanding them, and the rows of one message are capped
//! ([`MAX_ROWS`]).
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

/// The most rows (operations, changes, or a grouped column's entries) any column of the
/// Automerge data of one message may hold, summed over its chunks: sixteen times the
/// automerge-perf trace's 260,000 edits.
pub const MAX_ROWS: u64 = 4_000_000;

/// What the Automerge data of one message may cost, and what is left of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Bytes once inflated, left.
    bytes: usize,
    /// Rows of the largest column of each chunk, summed, left.
    rows: u64,
    /// The bytes and rows there were to begin with.
    limits: (usize, u64),
}

impl Budget {
    /// A budget of `bytes` inflated bytes and `rows` rows.
    pub fn new(bytes: usize, rows: u64) -> Budget {
        Budget {
            bytes,
            rows,
            limits: (bytes, rows),
        }
    }

    /// The budget of one message: [`MAX_INFLATED`] bytes, [`MAX_ROWS`] rows.
    pub fn per_message() -> Budget {
        Budget::new(MAX_INFLATED, MAX_ROWS)
    }

    /// The bytes and rows spent so far.
    pub fn spent(&self) -> (usize, u64) {
        (self.limits.0 - self.bytes, self.limits.1 - self.rows)
    }
}

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
    /// A column's runs add up to more rows than the limit.
    #[error("it holds more than {limit} operations")]
    TooManyRows {
        /// The limit passed.
        limit: u64,
    },
    /// The bytes are not Automerge chunks.
    #[error("it is not Automerge data: {0}")]
    Malformed(&'static str),
}

/// The number of bytes `bytes`, a sequence of Automerge chunks, take once every compressed
/// part is inflated; [`ChunkError::TooLarge`] as soon as that passes `limit`. Costs at most
/// `limit` bytes of inflating and no memory beyond a small buffer. Rows are not counted.
pub fn inflated_size(bytes: &[u8], limit: usize) -> Result<usize, ChunkError> {
    let mut budget = Budget::new(limit, u64::MAX);
    spend(bytes, &mut budget)?;
    Ok(budget.spent().0)
}

/// Takes what `bytes`, a sequence of Automerge chunks, cost from `budget`: their inflated
/// size and their rows ([`ChunkError::TooLarge`], [`ChunkError::TooManyRows`] as soon as
/// either runs out, naming the budget's limits). Costs at most `budget.bytes` of inflating,
/// and as much memory for a compressed change or column whose rows must be counted.
pub fn spend(bytes: &[u8], budget: &mut Budget) -> Result<(), ChunkError> {
    let (byte_limit, row_limit) = budget.limits;
    let mut input = Input(bytes);
    while !input.0.is_empty() {
        if input.take(4)? != MAGIC {
            return Err(ChunkError::Malformed("bad magic bytes"));
        }
        input.take(4)?; // checksum
        let kind = input.take(1)?[0];
        let len = input.len()?;
        let body = input.take(len)?;
        let (size, rows) = match kind {
            0 => document_cost(body, budget.bytes),
            1 => change_rows(body, budget.rows).map(|rows| (body.len(), rows)),
            2 => inflate(body, budget.bytes).and_then(|size| {
                let inflated = inflate_all(body, size)?;
                Ok((size, change_rows(&inflated, budget.rows)?))
            }),
            3 => Err(ChunkError::Malformed("a bundle")),
            _ => Err(ChunkError::Malformed("unknown chunk type")),
        }
        .map_err(|e| match e {
            ChunkError::TooLarge { .. } => ChunkError::TooLarge { limit: byte_limit },
            ChunkError::TooManyRows { .. } => ChunkError::TooManyRows { limit: row_limit },
            malformed => malformed,
        })?;
        budget.bytes = budget
            .bytes
            .checked_sub(size)
            .ok_or(ChunkError::TooLarge { limit: byte_limit })?;
        budget.rows = budget
            .rows
            .checked_sub(rows)
            .ok_or(ChunkError::TooManyRows { limit: row_limit })?;
    }
    Ok(())
}

/// The rows of a change chunk's body (uncompressed): those of its largest column.
fn change_rows(body: &[u8], row_budget: u64) -> Result<u64, ChunkError> {
    let mut input = Input(body);
    let deps = input.count()?;
    input.take(
        deps.checked_mul(32)
            .ok_or(ChunkError::Malformed("too many dependencies"))?,
    )?;
    let actor = input.len()?;
    input.take(actor)?;
    input.uleb()?; // seq
    input.uleb()?; // start op
    input.uleb()?; // time (signed: only its length matters here)
    let message = input.len()?;
    input.take(message)?;
    let others = input.count()?;
    for _ in 0..others {
        let len = input.len()?;
        input.take(len)?;
    }
    let mut rows = 0;
    for (spec, len) in input.columns()? {
        let data = input.take(len)?;
        // Automerge refuses a change with a compressed column without reading it.
        if spec & DEFLATED == 0 {
            rows = rows.max(column_rows(spec, data, row_budget)?);
        }
    }
    Ok(rows)
}

/// The inflated size of a document chunk's body (its prefix and every column, deflated
/// ones inflated within `budget`), and its rows: those of its largest column.
fn document_cost(body: &[u8], budget: usize) -> Result<(usize, u64), ChunkError> {
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
    let mut rows = 0;
    for (spec, len) in columns {
        let data = input.take(len)?;
        if spec & DEFLATED != 0 {
            // The column counts at its inflated size instead of its deflated one.
            let inflated = inflate(data, budget.saturating_sub(total))?;
            total = (total - data.len()).saturating_add(inflated);
            rows = rows.max(column_rows(spec, &inflate_all(data, inflated)?, u64::MAX)?);
        } else {
            rows = rows.max(column_rows(spec, data, u64::MAX)?);
        }
        if total > budget {
            return Err(ChunkError::TooLarge { limit: budget });
        }
    }
    Ok((total, rows))
}

/// How many rows a column holds, counted from its runs without expanding them;
/// [`ChunkError::TooManyRows`] past `limit`. The low three bits of its specification
/// say how it is encoded (Automerge's binary format, "Column types"): raw values (7) hold
/// no rows of their own (their lengths are in the metadata column), booleans (4) are
/// alternating runs of false and true, and the others are run-length encoded: a positive
/// count and one value repeated, a negative count and that many values, or zero and a
/// count of nulls.
fn column_rows(spec: u64, data: &[u8], limit: u64) -> Result<u64, ChunkError> {
    const BOOLEAN: u64 = 4;
    const DELTA: u64 = 3;
    const STRING: u64 = 5;
    const RAW: u64 = 7;
    let kind = spec & 0b111;
    let mut input = Input(data);
    let mut rows = 0u64;
    let value = |input: &mut Input<'_>| -> Result<(), ChunkError> {
        match kind {
            DELTA => input.sleb().map(drop),
            STRING => {
                let len = input.len()?;
                input.take(len).map(drop)
            }
            _ => input.uleb().map(drop),
        }
    };
    while !input.0.is_empty() {
        let run = match kind {
            RAW => return Ok(0),
            BOOLEAN => input.uleb()?,
            _ => match input.sleb()? {
                0 => input.uleb()?,
                count if count > 0 => {
                    value(&mut input)?;
                    count.unsigned_abs()
                }
                count => {
                    // Each value takes at least a byte: a count past the data is malformed.
                    let count = count.unsigned_abs();
                    for _ in 0..count.min(u64::try_from(input.0.len()).unwrap_or(u64::MAX) + 1) {
                        value(&mut input)?;
                    }
                    count
                }
            },
        };
        rows = rows.saturating_add(run);
        if rows > limit {
            return Err(ChunkError::TooManyRows { limit });
        }
    }
    Ok(rows)
}

/// Raw deflate `data` inflated, known to take `size` bytes.
fn inflate_all(data: &[u8], size: usize) -> Result<Vec<u8>, ChunkError> {
    let mut inflated = Vec::with_capacity(size);
    DeflateDecoder::new(data)
        .take(u64::try_from(size).unwrap_or(u64::MAX))
        .read_to_end(&mut inflated)
        .map_err(|_| ChunkError::Malformed("bad deflate data"))?;
    Ok(inflated)
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

    /// A signed LEB128 number.
    fn sleb(&mut self) -> Result<i64, ChunkError> {
        let mut value = 0i64;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            value |= i64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                if shift < 57 && byte & 0x40 != 0 {
                    value |= -1 << (shift + 7);
                }
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
    use sha2::Digest as _;

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

    fn uleb(out: &mut Vec<u8>, n: u64) {
        leb(out, i128::from(n), false);
    }

    fn sleb(out: &mut Vec<u8>, n: i64) {
        leb(out, i128::from(n), true);
    }

    fn leb(out: &mut Vec<u8>, mut n: i128, signed: bool) {
        loop {
            let byte = u8::try_from(n & 0x7f).unwrap_or(0);
            n >>= 7;
            let done = if signed {
                (n == 0 && byte & 0x40 == 0) || (n == -1 && byte & 0x40 != 0)
            } else {
                n == 0
            };
            if done {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    /// A change chunk setting key "a" of the root map to null `n` times, each column one
    /// run: about a hundred bytes whatever `n`. Its checksum is right, so Automerge reads it.
    fn run_length_change(n: u64) -> Vec<u8> {
        let count = i64::try_from(n).unwrap();
        let repeated = |value: &[u8]| {
            let mut run = Vec::new();
            sleb(&mut run, count);
            run.extend(value);
            run
        };
        let nulls = || {
            let mut run = vec![0];
            uleb(&mut run, n);
            run
        };
        let mut falses = Vec::new();
        uleb(&mut falses, n);
        // (specification, data): object, key, insert, action, value and predecessors.
        let columns = [
            (1, nulls()),
            (2, nulls()),
            (17, nulls()),
            (19, nulls()),
            (21, repeated(&[1, b'a'])),
            (52, falses),
            (66, repeated(&[1])),
            (86, repeated(&[0])),
            (112, repeated(&[0])),
        ];
        let mut body = vec![0, 32];
        body.extend([7; 32]); // no dependency; the actor
        body.extend([1, 1, 0, 0, 0]); // seq, start op, time, no message, no other actor
        uleb(&mut body, columns.len() as u64);
        for (spec, data) in &columns {
            uleb(&mut body, *spec);
            uleb(&mut body, data.len() as u64);
        }
        for (_, data) in &columns {
            body.extend(data);
        }
        let mut chunk = chunk(1, &body);
        let checksum = sha2::Sha256::digest(&chunk[8..]);
        chunk[4..8].copy_from_slice(&checksum[..4]);
        chunk
    }

    fn rows(bytes: &[u8]) -> Result<u64, ChunkError> {
        let mut budget = Budget::new(MAX_INFLATED, u64::MAX);
        spend(bytes, &mut budget)?;
        Ok(budget.spent().1)
    }

    #[test]
    fn a_change_is_counted_by_its_operations_without_expanding_its_runs() {
        // Automerge reads the runs as that many operations...
        let small = run_length_change(1000);
        assert_eq!(automerge::Change::try_from(&small[..]).unwrap().len(), 1000);
        assert_eq!(rows(&small), Ok(1000));
        // ...so a change of 2^40 of them, about a hundred bytes, is refused unread.
        let bomb = run_length_change(1 << 40);
        assert!(bomb.len() < 200);
        assert_eq!(rows(&bomb), Ok(1 << 40));
        assert_eq!(
            spend(&bomb, &mut Budget::per_message()),
            Err(ChunkError::TooManyRows { limit: MAX_ROWS })
        );
        // The rows of one message add up over its chunks.
        let mut budget = Budget::new(MAX_INFLATED, 1500);
        assert_eq!(spend(&small, &mut budget), Ok(()));
        assert_eq!(
            spend(&small, &mut budget),
            Err(ChunkError::TooManyRows { limit: 1500 })
        );
    }

    #[test]
    fn real_changes_count_their_operations_and_documents_no_more_than_theirs() {
        let mut doc = text_doc(10_000);
        let list = doc
            .put_object(ROOT, "list", automerge::ObjType::List)
            .unwrap();
        for i in 0..100_i64 {
            doc.insert(&list, 0, i).unwrap();
        }
        doc.commit();
        let map = doc
            .put_object(ROOT, "map", automerge::ObjType::Map)
            .unwrap();
        for i in 0..50_i64 {
            doc.put(&map, format!("k{}", i % 7), i).unwrap();
            doc.put(&map, "counter", automerge::ScalarValue::counter(i))
                .unwrap();
            doc.commit();
        }
        doc.delete(&list, 3).unwrap();
        doc.commit();
        let mut ops = 0;
        for change in doc.get_changes(&[]) {
            assert_eq!(rows(change.raw_bytes()), Ok(change.len() as u64));
            ops += change.len() as u64;
        }
        for saved in [doc.save(), doc.save_nocompress()] {
            let counted = rows(&saved).unwrap();
            assert!(counted > 0 && counted <= ops, "{counted} rows, {ops} ops");
        }
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

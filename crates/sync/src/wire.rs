//! The wire: the messages two engines exchange and the frames that carry them.
//!
//! A frame is `[u32 big-endian length][body]`; a body is `[u8 version][postcard(Message)]`.
//! Bodies longer than [`MAX_FRAME`] are refused when encoding and when decoding, so a peer
//! can never make us buffer more than one maximal frame. [`FrameDecoder`] cuts a byte stream
//! into bodies for the transport; [`decode_body`] turns one body into a [`Message`].

use mutual_auth::{GroupId, OpId, Signature, SignedOp};
use mutual_docs::DocId;
use serde::{Deserialize, Serialize};

/// The wire version this engine speaks: the first byte of every body, and `Hello::version`.
pub const VERSION: u8 = 4;

/// The largest frame body accepted or produced, in bytes (8 MiB).
pub const MAX_FRAME: usize = 8 * 1024 * 1024;

/// The largest frame body read from a peer not yet known to be a member's device (nor
/// bringing this device a group it is joining): a stranger costs at most this much memory
/// per connection.
pub const STRANGER_FRAME: usize = 64 * 1024;

/// Bytes of the length prefix.
pub const LEN_BYTES: usize = 4;

/// An Automerge change hash, as raw bytes.
pub type Hash = [u8; 32];

/// A change's hash and its actor device's signature over it (`DeviceKey::sign_change`): a
/// tip signature (see [`crate::tips`]).
pub type ChangeSignature = (Hash, Signature);

/// What one side says about a group it shares with the other, in its own view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// The group.
    pub group: GroupId,
    /// The heads of the sender's membership log; empty means "I do not have this group,
    /// send me its log".
    pub log_heads: Vec<OpId>,
    /// SHA-256 over the sorted (doc id, sorted Automerge heads) of the group's non-empty
    /// documents; all zeroes when the sender lacks the group.
    pub docs_digest: Hash,
}

/// One message of the protocol. Variants are only ever appended: their index is the tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Message {
    /// First message of a session, sent by both sides at once.
    Hello {
        /// The protocol version the sender speaks ([`VERSION`]).
        version: u8,
        /// One offer per group in which, in the sender's view, the receiver is a member's
        /// device. Never anything about other groups.
        offers: Vec<Offer>,
    },
    /// A later offer: the receiver became a member in the sender's view, or the sender asks
    /// for a group it lacks (empty heads).
    Offer(Offer),
    /// Membership ops the receiver lacks, parents before children.
    Ops {
        /// Their group.
        group: GroupId,
        /// The ops.
        ops: Vec<SignedOp>,
        /// The heads of the sender's log once these are in it: what the sender holds.
        heads: Vec<OpId>,
    },
    /// The heads of every non-empty document of a group, sent when the digests differ.
    DocHeads {
        /// The group.
        group: GroupId,
        /// The group's index document, if the sender knows it.
        index: Option<DocId>,
        /// Each document with its sorted heads.
        docs: Vec<(DocId, Vec<Hash>)>,
    },
    /// One Automerge sync message (always V1: one change per chunk) for one document.
    Sync {
        /// The document's group.
        group: GroupId,
        /// The document.
        doc: DocId,
        /// `automerge::sync::Message::encode()`.
        message: Vec<u8>,
        /// For each device with changes in the message, its signature over the newest of
        /// them, which vouches for the others (a tip signature, see [`crate::tips`]).
        signatures: Vec<ChangeSignature>,
    },
    /// A whole document, compressed (`Automerge::save`), for a peer that holds nothing of
    /// it: the cheapest way to send a long history (a few bytes per change).
    Doc {
        /// The document's group.
        group: GroupId,
        /// The document.
        doc: DocId,
        /// `automerge::AutoCommit::save()`.
        bytes: Vec<u8>,
        /// Each device's signature over its newest change in the document.
        signatures: Vec<ChangeSignature>,
    },
    /// What the sender now holds of a group, once it caught up with the receiver after
    /// taking data no Automerge reply acknowledges (ops, whole documents): lets the
    /// receiver know whether it is in sync too. Never answered.
    Summary {
        /// The sender's log heads and documents digest.
        holds: Offer,
        /// How many `Doc` messages of this group the sender took from the receiver in this
        /// session: it holds each of them (the stream is ordered).
        whole_docs: u32,
    },
    /// The receiver is a member's device of a group in the sender's log, and has not shown
    /// that it holds the group or asked for it: instead of the log, who added it and to
    /// what, for its owner to accept (then it asks with an empty-heads `Offer`) or ignore.
    Added {
        /// The group.
        group: GroupId,
        /// The group's name, from its genesis.
        name: String,
        /// The name of the member who added the receiver.
        added_by: String,
        /// When, as the addition claims (unix ms).
        at: u64,
    },
}

impl Message {
    /// The group a message is about; `None` for `Hello`, which may list several.
    pub fn group(&self) -> Option<GroupId> {
        match self {
            Message::Hello { .. } => None,
            Message::Offer(offer) | Message::Summary { holds: offer, .. } => Some(offer.group),
            Message::Ops { group, .. }
            | Message::Added { group, .. }
            | Message::DocHeads { group, .. }
            | Message::Sync { group, .. }
            | Message::Doc { group, .. } => Some(*group),
        }
    }

    /// A short name for logs and counters.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Hello { .. } => "hello",
            Message::Offer(_) => "offer",
            Message::Ops { .. } => "ops",
            Message::DocHeads { .. } => "doc-heads",
            Message::Sync { .. } => "sync",
            Message::Doc { .. } => "doc",
            Message::Summary { .. } => "summary",
            Message::Added { .. } => "added",
        }
    }
}

/// Why bytes are not a valid frame or message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A body (declared or actual) is larger than allowed ([`MAX_FRAME`], or a decoder's
    /// limit).
    #[error("frame of {size} bytes is larger than the {limit} allowed")]
    TooLarge {
        /// Its size in bytes.
        size: usize,
        /// The largest allowed.
        limit: usize,
    },
    /// An empty body (no version byte).
    #[error("empty frame")]
    Empty,
    /// The body's version byte is not one this engine speaks.
    #[error("unsupported wire version {0} (this engine speaks {VERSION})")]
    UnsupportedVersion(u8),
    /// The body is not a valid postcard message.
    #[error("malformed message: {0}")]
    Malformed(String),
}

/// Encodes `message` as a whole frame: length prefix, version byte, postcard body.
pub fn encode(message: &Message) -> Result<Vec<u8>, Error> {
    let mut frame = vec![0; LEN_BYTES];
    frame.push(VERSION);
    let mut frame =
        postcard::to_extend(message, frame).map_err(|e| Error::Malformed(e.to_string()))?;
    let size = frame.len() - LEN_BYTES;
    let too_large = Error::TooLarge {
        size,
        limit: MAX_FRAME,
    };
    if size > MAX_FRAME {
        return Err(too_large);
    }
    // `size` ≤ MAX_FRAME < u32::MAX, so the conversion cannot fail.
    let len = u32::try_from(size).map_err(|_| too_large)?;
    frame[..LEN_BYTES].copy_from_slice(&len.to_be_bytes());
    Ok(frame)
}

/// Decodes one frame body (without its length prefix). Never panics.
pub fn decode_body(body: &[u8]) -> Result<Message, Error> {
    if body.len() > MAX_FRAME {
        return Err(Error::TooLarge {
            size: body.len(),
            limit: MAX_FRAME,
        });
    }
    let (&version, rest) = body.split_first().ok_or(Error::Empty)?;
    if version != VERSION {
        return Err(Error::UnsupportedVersion(version));
    }
    let (message, trailing) =
        postcard::take_from_bytes::<Message>(rest).map_err(|e| Error::Malformed(e.to_string()))?;
    if !trailing.is_empty() {
        return Err(Error::Malformed(format!(
            "{} trailing bytes",
            trailing.len()
        )));
    }
    Ok(message)
}

/// Cuts a byte stream into frame bodies. Feed it what the stream yields with
/// [`FrameDecoder::push`], then take complete bodies with [`FrameDecoder::next_body`].
///
/// Memory: at most one incomplete frame (≤ its limit + 4 bytes) plus what was pushed and
/// not yet taken; a declared length above the limit ([`MAX_FRAME`] unless set lower) is an
/// error at once, before anything of that frame is buffered.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    limit: usize,
    failed: Option<Error>,
}

impl Default for FrameDecoder {
    fn default() -> FrameDecoder {
        FrameDecoder {
            buf: Vec::new(),
            limit: MAX_FRAME,
            failed: None,
        }
    }
}

impl FrameDecoder {
    /// An empty decoder.
    pub fn new() -> FrameDecoder {
        FrameDecoder::default()
    }

    /// Sets the largest body accepted from now on (at most [`MAX_FRAME`]): checked when a
    /// frame's length is read.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit.min(MAX_FRAME);
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// The next complete body, `Ok(None)` if more bytes are needed. After an error the
    /// stream is unusable: every later call returns the same error.
    pub fn next_body(&mut self) -> Result<Option<Vec<u8>>, Error> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let Some(prefix) = self.buf.first_chunk::<LEN_BYTES>() else {
            return Ok(None);
        };
        let size = u32::from_be_bytes(*prefix) as usize;
        if size > self.limit {
            let error = Error::TooLarge {
                size,
                limit: self.limit,
            };
            self.failed = Some(error.clone());
            self.buf = Vec::new();
            return Err(error);
        }
        if self.buf.len() < LEN_BYTES + size {
            return Ok(None);
        }
        let body = self.buf[LEN_BYTES..LEN_BYTES + size].to_vec();
        self.buf.drain(..LEN_BYTES + size);
        Ok(Some(body))
    }

    /// The declared length of the next frame's body, once its length prefix is buffered.
    pub fn next_len(&self) -> Option<usize> {
        let prefix = self.buf.first_chunk::<LEN_BYTES>()?;
        Some(u32::from_be_bytes(*prefix) as usize)
    }

    /// Bytes buffered and not yet returned.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello() -> Message {
        Message::Hello {
            version: VERSION,
            offers: vec![Offer {
                group: GroupId::from_bytes([7; 32]),
                log_heads: vec![OpId::from_bytes([1; 32])],
                docs_digest: [2; 32],
            }],
        }
    }

    #[test]
    fn a_decoder_refuses_a_frame_above_its_limit_from_the_length_alone() {
        let frame = encode(&hello()).unwrap();
        let body = frame.len() - LEN_BYTES;
        let mut decoder = FrameDecoder::new();
        decoder.set_limit(body - 1);
        decoder.push(&frame[..LEN_BYTES]);
        assert_eq!(
            decoder.next_body(),
            Err(Error::TooLarge {
                size: body,
                limit: body - 1
            })
        );
        assert_eq!(decoder.buffered(), 0);
        assert_eq!(FrameDecoder::new().next_len(), None);
        let mut peek = FrameDecoder::new();
        peek.push(&frame[..LEN_BYTES]);
        assert_eq!(peek.next_len(), Some(body));
        // Raised in time (before the length is read), the same frame goes through.
        let mut decoder = FrameDecoder::new();
        decoder.set_limit(body - 1);
        decoder.set_limit(body);
        decoder.push(&frame);
        assert_eq!(decoder.next_body().unwrap().map(|b| b.len()), Some(body));
        decoder.set_limit(usize::MAX);
        assert_eq!(decoder.limit, MAX_FRAME);
    }

    #[test]
    fn a_frame_round_trips_through_the_decoder_byte_by_byte() {
        let frame = encode(&hello()).unwrap();
        let mut decoder = FrameDecoder::new();
        let mut bodies = Vec::new();
        for byte in frame.iter().chain(frame.iter()) {
            decoder.push(&[*byte]);
            while let Some(body) = decoder.next_body().unwrap() {
                bodies.push(body);
            }
        }
        assert_eq!(bodies.len(), 2);
        assert_eq!(decode_body(&bodies[0]).unwrap(), hello());
        assert_eq!(decoder.buffered(), 0);
    }

    #[test]
    fn an_oversized_length_is_refused_before_buffering() {
        let mut decoder = FrameDecoder::new();
        decoder.push(&u32::try_from(MAX_FRAME + 1).unwrap().to_be_bytes());
        assert!(matches!(decoder.next_body(), Err(Error::TooLarge { .. })));
        decoder.push(&[0; 16]);
        assert!(decoder.next_body().is_err());
        assert_eq!(decoder.buffered(), 0);
    }

    #[test]
    fn an_oversized_message_is_not_encoded() {
        let message = Message::Sync {
            group: GroupId::from_bytes([0; 32]),
            doc: DocId::from_bytes([0; 16]),
            message: vec![0; MAX_FRAME],
            signatures: Vec::new(),
        };
        assert!(matches!(encode(&message), Err(Error::TooLarge { .. })));
    }

    #[test]
    fn bad_versions_trailing_bytes_and_garbage_are_errors() {
        let frame = encode(&hello()).unwrap();
        let mut body = frame[LEN_BYTES..].to_vec();
        body[0] = 9;
        assert_eq!(decode_body(&body), Err(Error::UnsupportedVersion(9)));
        let mut body = frame[LEN_BYTES..].to_vec();
        body.push(0);
        assert!(matches!(decode_body(&body), Err(Error::Malformed(_))));
        assert_eq!(decode_body(&[]), Err(Error::Empty));
        assert!(decode_body(&[VERSION, 200, 1, 2]).is_err());
    }
}

//! Per-peer state: a [`Session`] per connected device, a [`Link`] per group it offered or we
//! offered to it, a [`DocSync`] per document being synced over that link.
//!
//! Bounds (no unbounded queue anywhere): a session holds at most one link per group this
//! device has plus [`crate::engine::MAX_UNKNOWN_GROUPS`] for groups it lacks; a link holds at
//! most one `DocSync` per document of the group (itself capped at
//! [`crate::engine::MAX_DOCS_PER_GROUP`] for documents created from a peer's data) and at most
//! one partial log of a group being joined (capped at [`crate::engine::MAX_JOIN_OPS`] ops).
//! Automerge's `State` keeps at most one sync message in flight per (peer, document); its
//! `sent_hashes` is bounded by the document's size.

use std::collections::BTreeMap;

use automerge::ChangeHash;
use automerge::sync::{BloomFilter, Have, State};
use mutual_auth::{GroupId, Log};
use mutual_docs::DocId;

use crate::wire::Offer;

/// One connected peer.
#[derive(Debug)]
pub(crate) struct Session {
    /// Whether this device dialed (the dialer opens each differing document's sync).
    pub(crate) dialer: bool,
    /// When the session started, for the hello timeout.
    pub(crate) since: u64,
    /// Whether the peer's hello arrived.
    pub(crate) hello: bool,
    /// Groups either side offered.
    pub(crate) links: BTreeMap<GroupId, Link>,
}

impl Session {
    pub(crate) fn new(dialer: bool, since: u64) -> Session {
        Session {
            dialer,
            since,
            hello: false,
            links: BTreeMap::new(),
        }
    }
}

/// One group between this device and a peer. It is *active* (data may flow) when both
/// offers have crossed and the peer is a member's device in this device's current log.
#[derive(Debug, Default)]
pub(crate) struct Link {
    /// The peer's latest offer for the group.
    pub(crate) theirs: Option<Offer>,
    /// Whether this device sent its own offer (or, for a group it lacks, its request).
    pub(crate) offered: bool,
    /// We sent our document heads and wait for theirs: documents without a `DocSync` are
    /// not pushed meanwhile (their heads will be compared when theirs arrive).
    pub(crate) heads_pending: bool,
    /// Automerge sync per document.
    pub(crate) docs: BTreeMap<DocId, DocSync>,
    /// The heads the peer listed in its latest `DocHeads` (sorted): what it holds of
    /// documents whose sync has not told more yet (one this device is still fetching is
    /// not in sync merely because nothing of it arrived).
    pub(crate) advertised: BTreeMap<DocId, Vec<ChangeHash>>,
    /// Whether `PeerSynced` was reported since the group last changed.
    pub(crate) synced: bool,
    /// The log of a group this device lacks, as received so far, until this device is a
    /// member in it.
    pub(crate) joining: Option<Log>,
}

impl Link {
    pub(crate) fn exchanged(&self) -> bool {
        self.offered && self.theirs.is_some()
    }
}

/// Automerge's sync state for one document with one peer.
#[derive(Debug)]
pub(crate) struct DocSync {
    pub(crate) state: State,
    /// False while this side waits for the dialer's first message; a live push opens it.
    pub(crate) opened: bool,
}

impl DocSync {
    /// A state that already knows the peer's heads (learned from an offer or `DocHeads`),
    /// so the first message carries exactly the changes after them, in one trip.
    /// Only valid when this device holds every one of `heads`.
    pub(crate) fn seeded(heads: &[ChangeHash]) -> DocSync {
        let mut state = State::new();
        state.shared_heads = heads.to_vec();
        state.their_heads = Some(heads.to_vec());
        state.their_need = Some(Vec::new());
        state.their_have = Some(vec![Have {
            last_sync: heads.to_vec(),
            bloom: BloomFilter::default(),
        }]);
        state.last_sent_heads = heads.to_vec();
        state.have_responded = true;
        DocSync {
            state,
            opened: true,
        }
    }

    /// A state that knows nothing of the peer.
    pub(crate) fn fresh(opened: bool) -> DocSync {
        DocSync {
            state: State::new(),
            opened,
        }
    }
}

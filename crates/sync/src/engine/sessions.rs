//! Per-peer state: a [`Session`] per connected device, a [`GroupSync`] per group it offered
//! or was offered, a [`DocSync`] per document being synced in that group.
//!
//! Bounds (no unbounded queue anywhere): a session holds at most one `GroupSync` per group
//! this device has plus [`super::MAX_UNKNOWN_GROUPS`] for groups it lacks; a `GroupSync` holds
//! at most one `DocSync` per document of the group (itself capped at
//! [`super::MAX_DOCS_PER_GROUP`] for documents created from a peer's data) and at most one
//! partial log of a group being joined (capped at [`super::MAX_JOIN_OPS`] ops). Automerge's
//! `State` keeps at most one sync message in flight per (peer, document).

use std::collections::{BTreeMap, BTreeSet};

use automerge::ChangeHash;
use automerge::sync::{BloomFilter, Have, State};
use mutual_auth::{DeviceId, GroupId, Log, OpId};
use mutual_docs::DocId;

use crate::wire::Offer;

/// Every connected peer's session, with the lookups the protocol needs.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    peers: BTreeMap<DeviceId, Session>,
}

impl Sessions {
    pub(crate) fn start(&mut self, peer: DeviceId, session: Session) {
        self.peers.insert(peer, session);
    }

    pub(crate) fn end(&mut self, peer: &DeviceId) -> Option<Session> {
        self.peers.remove(peer)
    }

    pub(crate) fn get(&self, peer: &DeviceId) -> Option<&Session> {
        self.peers.get(peer)
    }

    pub(crate) fn get_mut(&mut self, peer: &DeviceId) -> Option<&mut Session> {
        self.peers.get_mut(peer)
    }

    /// The exchange of `group` with `peer`, if either side offered it.
    pub(crate) fn group(&self, peer: &DeviceId, group: &GroupId) -> Option<&GroupSync> {
        self.peers.get(peer)?.groups.get(group)
    }

    pub(crate) fn group_mut(&mut self, peer: &DeviceId, group: &GroupId) -> Option<&mut GroupSync> {
        self.peers.get_mut(peer)?.groups.get_mut(group)
    }

    /// The connected peers, sorted.
    pub(crate) fn peers(&self) -> impl Iterator<Item = &DeviceId> {
        self.peers.keys()
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&DeviceId, &mut Session)> {
        self.peers.iter_mut()
    }

    /// The peers whose exchange of `group` has both offers crossed (membership not checked).
    pub(crate) fn exchanged(&self, group: &GroupId) -> Vec<DeviceId> {
        self.peers
            .iter()
            .filter(|(_, s)| s.groups.get(group).is_some_and(GroupSync::exchanged))
            .map(|(peer, _)| *peer)
            .collect()
    }
}

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
    pub(crate) groups: BTreeMap<GroupId, GroupSync>,
}

impl Session {
    pub(crate) fn new(dialer: bool, since: u64) -> Session {
        Session {
            dialer,
            since,
            hello: false,
            groups: BTreeMap::new(),
        }
    }

    /// How many of its groups are ones this device lacks (`holds` says which it holds).
    pub(crate) fn unknown_groups(&self, holds: impl Fn(&GroupId) -> bool) -> usize {
        self.groups.keys().filter(|id| !holds(id)).count()
    }
}

/// One group between this device and a peer. It is *active* (data may flow) when both
/// offers have crossed and the peer is a member's device in this device's current log.
#[derive(Debug, Default)]
pub(crate) struct GroupSync {
    /// The peer's latest offer for the group.
    pub(crate) theirs: Option<Offer>,
    /// The heads of the peer's log as it last told them (offer, ops, summary).
    pub(crate) their_log: Vec<OpId>,
    /// The heads of my log as I last told the peer (offer, ops, summary): when my log
    /// moves on without the peer being told (it sent me the very ops I took from someone
    /// else), a summary tells it.
    pub(crate) told_log: Vec<OpId>,
    /// Whether this device sent its own offer (or, for a group it lacks, its request).
    pub(crate) offered: bool,
    /// We sent our document heads and wait for theirs: documents without a `DocSync` are
    /// not pushed meanwhile (their heads will be compared when theirs arrive).
    pub(crate) heads_pending: bool,
    /// Automerge sync per document.
    pub(crate) docs: BTreeMap<DocId, DocSync>,
    /// Whether `PeerSynced` was reported since the group last changed on either side.
    pub(crate) synced: bool,
    /// This device took data from the peer that no Automerge reply acknowledges (ops, a
    /// whole document): it sends a `Summary` once it caught up, and again once in sync, so
    /// the peer learns what it holds.
    pub(crate) owes_summary: bool,
    /// The heads of each document I last told the peer I hold (in a sync message, my
    /// `DocHeads`, a whole document, an equal digest or a summary).
    pub(crate) told: BTreeMap<DocId, Vec<ChangeHash>>,
    /// The last summary sent (one is never sent twice).
    pub(crate) sent_summary: Option<(Offer, u32)>,
    /// `Doc` messages of this group taken from the peer in this session.
    pub(crate) whole_received: u32,
    /// Documents sent whole to the peer in this session and not acknowledged yet, in the
    /// order sent, with the heads sent; `whole_acked` of them were acknowledged before.
    pub(crate) whole_sent: Vec<(DocId, Vec<ChangeHash>)>,
    pub(crate) whole_acked: u32,
    /// The peer's latest summary whose documents digest differed from mine when it came:
    /// once mine equals it, the peer holds every document as I do (what it holds only
    /// grows).
    pub(crate) their_summary: Option<Offer>,
    /// The log of a group this device lacks, as received so far, until this device is a
    /// member in it.
    pub(crate) joining: Option<Log>,
    /// The op that ended the peer's membership, or this device's, once the peer was sent
    /// what it needs to see it (it is told once per session).
    pub(crate) told_ending: Option<OpId>,
}

impl GroupSync {
    pub(crate) fn exchanged(&self) -> bool {
        self.offered && self.theirs.is_some()
    }

    /// Forgets the exchange of documents: the peer is no longer a member here.
    pub(crate) fn stop(&mut self) {
        self.offered = false;
        self.heads_pending = false;
        self.synced = false;
        self.owes_summary = false;
        self.sent_summary = None;
        self.their_summary = None;
        self.told.clear();
        self.docs.clear();
    }
}

/// Automerge's sync state for one document with one peer.
#[derive(Debug)]
pub(crate) struct DocSync {
    pub(crate) state: State,
    /// False while this side waits for the dialer's first message; a live push opens it.
    pub(crate) opened: bool,
    /// Changes the peer sent that were held back (`tips::held_back`): this side does not
    /// ask for them again.
    pub(crate) held_back: BTreeSet<ChangeHash>,
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
            held_back: BTreeSet::new(),
        }
    }

    /// A state that knows nothing of the peer.
    pub(crate) fn fresh(opened: bool) -> DocSync {
        DocSync {
            state: State::new(),
            opened,
            held_back: BTreeSet::new(),
        }
    }
}

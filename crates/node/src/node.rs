//! [`Node`]: the operations of one device over its data directory.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use automerge::ChangeHash;
use mutual_auth::{Action, GroupId, Log, PublicKey, SignedOp};
use mutual_docs::DocId;
use mutual_store::{Access, Store, Write};
use mutual_sync::{Engine, Output};
use sha2::{Digest, Sha256};

use crate::replicas::{Replicas, parse_group_id};
use crate::view::WhoAmI;
use crate::{Error, Identity};

/// One device's Mutual, over an open data directory (which it holds locked).
///
/// Its groups and documents live in one engine ([`mutual_sync::Engine`]), filled from the
/// store as commands need them (all of them once a runtime runs it): views read the
/// engine's copy, edits change it, and what changed is committed to the store before a
/// method returns.
#[derive(Debug)]
pub struct Node {
    pub(crate) store: Store,
    identity: Option<Identity>,
    /// `None` until this device has an identity (the engine signs with its key).
    replicas: Option<Replicas>,
    /// Where this device listens now, while a runtime runs it (for invite codes).
    pub(crate) online: Vec<mutual_net::multiaddr::Multiaddr>,
}

impl Node {
    /// Opens the data directory `dir` (creating it if needed) and locks it.
    pub fn open(dir: &Path) -> Result<Node, Error> {
        Node::open_for(dir, Access::Write)
    }

    /// Opens the data directory for `access`: a node opened to read shares the directory
    /// with other readers, and any command of it that would write fails.
    pub fn open_for(dir: &Path, access: Access) -> Result<Node, Error> {
        let store = Store::open_for(dir, access)?;
        let identity = store
            .identity()?
            .map(|record| Identity::from_record(&record))
            .transpose()?;
        let replicas = match &identity {
            Some(identity) => {
                let mut engine = Engine::new(&identity.device);
                crate::additions::restore_consent(&mut engine, &store.additions()?);
                Some(Replicas::new(engine))
            }
            None => None,
        };
        Ok(Node {
            store,
            identity,
            replicas,
            online: Vec::new(),
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        self.store.dir()
    }

    /// Creates this device's identity. Refuses if there is one already.
    pub fn init(&mut self, name: &str) -> Result<WhoAmI, Error> {
        if let Some(identity) = &self.identity {
            return Err(Error::AlreadyInitialized {
                name: identity.name.clone(),
            });
        }
        let name = non_empty(name, "your name")?;
        let identity = Identity::generate(name);
        self.store
            .commit(&[Write::Identity(identity.to_record(now_ms()))])?;
        self.replicas = Some(Replicas::new(Engine::new(&identity.device)));
        self.identity = Some(identity);
        self.whoami()
    }

    /// This device's identity.
    pub fn identity(&self) -> Result<&Identity, Error> {
        self.identity.as_ref().ok_or(Error::NoIdentity)
    }

    pub(crate) fn identity_mut(&mut self) -> Option<&mut Identity> {
        self.identity.as_mut()
    }

    /// Name, member id and peer id of this device. The name is the one this person's member
    /// has in their groups: a linked device was given a name of its own at `init`, which
    /// the member it now acts for does not go by.
    pub fn whoami(&mut self) -> Result<WhoAmI, Error> {
        let identity = self.identity()?;
        let device = identity.device.id();
        let mut me = WhoAmI {
            name: identity.name.clone(),
            member_id: identity.member.id().to_string(),
            peer_id: identity.device.peer_id().to_string(),
        };
        for group_id in self.group_ids()? {
            self.load_group(&group_id)?;
            if let Some(member) = self.log(&group_id)?.state().member_of_device(&device) {
                me.name.clone_from(&member.name);
                break;
            }
        }
        Ok(me)
    }

    // ---- the engine ----

    pub(crate) fn replicas(&mut self) -> Result<&mut Replicas, Error> {
        self.replicas.as_mut().ok_or(Error::NoIdentity)
    }

    /// The engine, holding whatever has been loaded.
    pub fn engine(&self) -> Result<&Engine, Error> {
        self.replicas
            .as_ref()
            .map(|r| &r.engine)
            .ok_or(Error::NoIdentity)
    }

    pub(crate) fn engine_mut(&mut self) -> Result<&mut Engine, Error> {
        Ok(&mut self.replicas()?.engine)
    }

    /// The engine's holder and the store, borrowed together (loading reads the one into
    /// the other).
    fn replicas_and_store(&mut self) -> Result<(&mut Replicas, &mut Store), Error> {
        let replicas = self.replicas.as_mut().ok_or(Error::NoIdentity)?;
        Ok((replicas, &mut self.store))
    }

    /// Loads every group and document into the engine: a runtime's node, which syncs them.
    pub fn load_all(&mut self) -> Result<(), Error> {
        let (replicas, store) = self.replicas_and_store()?;
        replicas.load_all(store)
    }

    /// Loads a group's log into the engine if needed; then [`Node::log`] reads it.
    pub(crate) fn load_group(&mut self, group: &GroupId) -> Result<(), Error> {
        let (replicas, store) = self.replicas_and_store()?;
        replicas.load_group(store, group)
    }

    /// Loads a document (and its group) into the engine if needed; returns its group.
    pub(crate) fn load_doc(&mut self, doc: &DocId) -> Result<GroupId, Error> {
        let (replicas, store) = self.replicas_and_store()?;
        replicas.load_doc(store, doc)
    }

    /// A group's membership log, once loaded.
    pub(crate) fn log(&self, group: &GroupId) -> Result<&Log, Error> {
        self.engine()?
            .log(group)
            .ok_or_else(|| Error::UnknownGroup(group.to_string()))
    }

    /// Commits what the engine asked to persist, with `writes`, in one transaction; keeps
    /// the rest of `outputs` for a runtime.
    pub(crate) fn commit(&mut self, writes: Vec<Write>, outputs: Vec<Output>) -> Result<(), Error> {
        let (replicas, store) = self.replicas_and_store()?;
        replicas.commit(store, writes, outputs)
    }

    /// Commits the outputs gathered so far, then returns `result`: a command that failed
    /// half-way keeps what it did (each step is valid on its own), and nothing the engine
    /// holds is left unsaved.
    pub(crate) fn settle<T>(
        &mut self,
        writes: Vec<Write>,
        outputs: Vec<Output>,
        result: Result<T, Error>,
    ) -> Result<T, Error> {
        self.commit(writes, outputs)?;
        result
    }

    /// What a runtime should perform after the last commands: sends, disconnects and
    /// events (the same events for this device's own changes as for a peer's).
    pub fn take_outbox(&mut self) -> Vec<Output> {
        self.replicas
            .as_mut()
            .map(Replicas::take_outbox)
            .unwrap_or_default()
    }

    /// Authors `action` in `group` on the engine; returns the op and its outputs.
    pub(crate) fn author(
        &mut self,
        group: &GroupId,
        action: Action,
    ) -> Result<(SignedOp, Vec<Output>), Error> {
        self.require_member(group)?;
        let now = now_ms().unsigned_abs();
        self.engine_mut()?
            .author(*group, action, now)
            .map_err(Error::from_local)
    }

    /// Authors `action` in each of `groups` and commits them, with `writes`, in one
    /// transaction; returns the groups done. A refusal stops there (what was done before it
    /// is kept).
    pub(crate) fn author_in(
        &mut self,
        groups: &[GroupId],
        action: &Action,
        writes: Vec<Write>,
    ) -> Result<Vec<GroupId>, Error> {
        let mut outputs = Vec::new();
        let mut done = Vec::new();
        let mut result = Ok(());
        for group in groups {
            match self.author(group, action.clone()) {
                Ok((_, more)) => {
                    outputs.extend(more);
                    done.push(*group);
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.settle(writes, outputs, result)?;
        Ok(done)
    }

    /// Authors `action` in `group` and commits it.
    pub(crate) fn author_one(&mut self, group: &GroupId, action: Action) -> Result<(), Error> {
        let (_, outputs) = self.author(group, action)?;
        self.commit(Vec::new(), outputs)
    }

    // ---- for a runtime ----

    /// Feeds one input to the engine; commits what it asks to persist, and keeps the rest
    /// in the outbox ([`Node::take_outbox`]).
    pub fn handle(&mut self, now: u64, input: mutual_sync::Input) -> Result<(), Error> {
        let outputs = self.engine_mut()?.handle(now, input);
        self.commit(Vec::new(), outputs)
    }

    /// Records that `peer` and this device were in sync on `group` at `at` (unix ms); it is
    /// stored at the next [`Node::flush`].
    pub fn note_synced(&mut self, peer: mutual_auth::DeviceId, group: GroupId, at: i64) {
        if let Ok(replicas) = self.replicas() {
            replicas.note_synced(peer, group, at);
        }
    }

    /// Stores what [`Node::note_synced`] recorded.
    pub fn flush(&mut self) -> Result<(), Error> {
        let writes = self.replicas()?.take_synced();
        if writes.is_empty() {
            return Ok(());
        }
        Ok(self.store.commit(&writes)?)
    }

    /// When each device was last in sync with this one, per group (stored or pending).
    pub(crate) fn last_synced(
        &mut self,
    ) -> Result<BTreeMap<(mutual_auth::DeviceId, GroupId), i64>, Error> {
        let mut synced = BTreeMap::new();
        let stored = self.store.synced()?;
        let pending = self.replicas()?.pending_synced().to_vec();
        for record in stored.into_iter().chain(pending) {
            if let (Ok(device), Ok(group)) = (
                record.device_id.parse::<PublicKey>(),
                parse_group_id(&record.group_id),
            ) {
                synced.insert((device, group), record.last_synced);
            }
        }
        Ok(synced)
    }

    /// The address book.
    pub fn address_book(&self) -> Result<Vec<mutual_store::PeerRecord>, Error> {
        Ok(self.store.peers()?)
    }

    /// Records where a device was reached (replacing what was known of it).
    pub fn remember_peer(&mut self, record: mutual_store::PeerRecord) -> Result<(), Error> {
        Ok(self.store.commit(&[Write::Peer(record)])?)
    }

    /// The TCP port this device last listened on, if it ever did.
    pub fn listen_port(&self) -> Result<Option<u16>, Error> {
        Ok(self.store.listen_port()?)
    }

    /// Records the TCP port this device listens on, to take again at the next start.
    pub fn remember_listen_port(&mut self, port: u16) -> Result<(), Error> {
        Ok(self.store.commit(&[Write::ListenPort(port)])?)
    }
}

/// The id of a group's index document, derived from the group's id so that every member
/// knows which document is the index without being told.
pub fn index_doc_id(group_id: &GroupId) -> DocId {
    let digest = Sha256::new()
        .chain_update(b"mutual/index-doc/v1")
        .chain_update(group_id.as_bytes())
        .finalize();
    let mut bytes = [0; 16];
    bytes.copy_from_slice(&digest[..16]);
    DocId::from_bytes(bytes)
}

/// A document's heads, as hex text (what `--based-on` and the views carry).
pub fn parse_heads(texts: &[String]) -> Result<Vec<ChangeHash>, Error> {
    texts
        .iter()
        .map(|text| {
            text.trim()
                .parse::<ChangeHash>()
                .map_err(|_| Error::BadHeads(text.trim().to_owned()))
        })
        .collect()
}

/// A device's key from its peer id, as `mutual whoami` prints it.
pub(crate) fn parse_peer_id(peer_id: &str) -> Result<PublicKey, Error> {
    peer_id
        .trim()
        .parse::<libp2p_identity::PeerId>()
        .ok()
        .and_then(|peer| PublicKey::from_peer_id(&peer).ok())
        .ok_or_else(|| Error::BadPeerId(peer_id.trim().to_owned()))
}

pub(crate) fn names_of(state: &mutual_auth::GroupState) -> BTreeMap<String, String> {
    state
        .members
        .values()
        .map(|m| (m.id.to_string(), m.name.clone()))
        .collect()
}

pub(crate) fn non_empty<'a>(text: &'a str, what: &'static str) -> Result<&'a str, Error> {
    let text = text.trim();
    if text.is_empty() {
        Err(Error::EmptyName { what })
    } else {
        Ok(text)
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

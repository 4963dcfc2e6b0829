//! [`Node`]: the operations of one device over its data directory.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use automerge::ChangeHash;
use mutual_auth::{Action, GroupId, Log, MemberId, PublicKey, Role, SignedOp};
use mutual_docs::{DocId, Document, Kind, Stamp, View};
use mutual_store::{Store, Write};
use mutual_sync::{Engine, Output};
use sha2::{Digest, Sha256};

use crate::replicas::{Replicas, parse_doc_id, parse_group_id};
use crate::view::{
    ActivityEntry, DocSummary, DocView, GroupSummary, GroupView, HistoryEntry, MemberView, WhoAmI,
};
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
        let store = Store::open(dir)?;
        let identity = store
            .identity()?
            .map(|record| Identity::from_record(&record))
            .transpose()?;
        let replicas = identity
            .as_ref()
            .map(|identity| Replicas::new(Engine::new(&identity.device)));
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

    /// Name, member id and peer id of this device.
    pub fn whoami(&self) -> Result<WhoAmI, Error> {
        let identity = self.identity()?;
        Ok(WhoAmI {
            name: identity.name.clone(),
            member_id: identity.member.id().to_string(),
            peer_id: identity.device.peer_id().to_string(),
        })
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
        self.load_group(group)?;
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

    // ---- groups ----

    /// Creates a group with this person as its founding admin; returns its id.
    pub fn create_group(&mut self, name: &str) -> Result<GroupId, Error> {
        let name = non_empty(name, "a group's name")?;
        let identity = self.identity()?;
        let now = now_ms();
        let (log, _) = Log::create(
            name,
            &identity.name,
            &identity.member,
            &identity.device,
            now.unsigned_abs(),
        );
        let group_id = log.group_id();
        let founder = Stamp {
            member: identity.member.id().to_string(),
            time: now / 1000,
        };
        let index = Document::create(Kind::Index, name, identity.actor(), &founder)?;
        let outputs = self
            .engine_mut()?
            .create_group(log, index_doc_id(&group_id), index.into_automerge())
            .map_err(Error::from_local)?;
        self.commit(Vec::new(), outputs)?;
        Ok(group_id)
    }

    /// Finds a group by any unique prefix of its id.
    pub fn resolve_group(&self, prefix: &str) -> Result<GroupId, Error> {
        let prefix = prefix.trim().to_ascii_lowercase();
        let matches = if prefix.is_empty() {
            Vec::new()
        } else {
            self.store.groups_with_prefix(&prefix)?
        };
        match matches.as_slice() {
            [] => Err(Error::UnknownGroup(prefix)),
            [one] => parse_group_id(one),
            many => Err(Error::Ambiguous {
                what: "group",
                prefix,
                count: many.len(),
            }),
        }
    }

    /// The ids of all groups of this device, oldest first.
    pub(crate) fn group_ids(&self) -> Result<Vec<GroupId>, Error> {
        self.store
            .groups()?
            .iter()
            .map(|record| parse_group_id(&record.group_id))
            .collect()
    }

    /// All groups of this device.
    pub fn groups(&mut self) -> Result<Vec<GroupSummary>, Error> {
        // By device, as `my_stamp` decides: an unlinked device holds no role.
        let device = self.identity()?.device.id();
        let mut groups = Vec::new();
        for group_id in self.group_ids()? {
            let index = self.index_view(&group_id)?;
            let state = self.log(&group_id)?.state();
            groups.push(GroupSummary {
                id: group_id.to_string(),
                name: index.group_name.clone(),
                role: state.member_of_device(&device).map(|m| m.role.to_string()),
                members: state.members.len(),
                docs: index.entries.iter().filter(|d| !d.archived).count(),
            });
        }
        Ok(groups)
    }

    /// A group with its members and documents.
    pub fn group(&mut self, group_id: &GroupId) -> Result<GroupView, Error> {
        let my_device = self.identity()?.device.id();
        let index = self.index_view(group_id)?;
        let log = self.log(group_id)?;
        let mut members: Vec<MemberView> = log
            .state()
            .members
            .values()
            .map(|member| MemberView {
                id: member.id.to_string(),
                name: member.name.clone(),
                role: member.role.to_string(),
                devices: member
                    .devices
                    .iter()
                    .map(|d| d.peer_id().to_string())
                    .collect(),
                is_me: member.devices.contains(&my_device),
            })
            .collect();
        members.sort_by_key(|m| m.name.to_lowercase());
        Ok(GroupView {
            id: group_id.to_string(),
            name: index.group_name.clone(),
            members,
            invite_policy: log.state().policy.to_string(),
            docs: index
                .entries
                .iter()
                .map(|entry| DocSummary {
                    id: entry.doc.to_string(),
                    kind: entry.kind.to_string(),
                    title: entry.title.clone(),
                    archived: entry.archived,
                })
                .collect(),
        })
    }

    /// Renames a group (in its index document, which every member can edit).
    pub fn rename_group(&mut self, group_id: &GroupId, name: &str) -> Result<(), Error> {
        let name = non_empty(name, "a group's name")?;
        self.edit(&index_doc_id(group_id), Kind::Index, |doc, stamp| {
            mutual_docs::index::rename_group(doc, stamp, name)
        })
    }

    /// Admits the device with this peer id (as printed by its `mutual whoami`) as a member of
    /// its own, with `role` and a display name. Admins only; the signed op is durable when
    /// this returns, and the device receives the group when it next reaches a member.
    pub fn add_device(
        &mut self,
        group_id: &GroupId,
        peer_id: &str,
        role: Role,
        name: &str,
    ) -> Result<MemberId, Error> {
        let name = non_empty(name, "the new member's name")?;
        let device = parse_peer_id(peer_id)?;
        let action = Action::AddDevice {
            device,
            name: name.to_owned(),
            role,
        };
        self.author_one(group_id, action)?;
        Ok(device)
    }

    // ---- documents ----

    /// Creates a document in a group; returns its id.
    pub fn create_doc(
        &mut self,
        group_id: &GroupId,
        kind: Kind,
        title: &str,
    ) -> Result<DocId, Error> {
        let title = non_empty(title, "a document's title")?;
        let stamp = self.my_stamp(group_id)?;
        let actor = self.identity()?.actor();
        let doc_id = DocId::random();
        let doc = Document::create(kind, title, actor, &stamp)?;
        let index = index_doc_id(group_id);
        self.load_doc(&index)?;
        let mut outputs = self
            .engine_mut()?
            .create_doc(*group_id, doc_id, doc.into_automerge())
            .map_err(Error::from_local)?;
        // After the document: a peer learns of the entry and the document together.
        let listed = self.edit_outputs(&index, Some(Kind::Index), |doc, stamp| {
            mutual_docs::index::add_entry(doc, stamp, doc_id, kind, title)
        });
        let result = listed.map(|(_, more)| outputs.extend(more));
        self.settle(Vec::new(), outputs, result)?;
        Ok(doc_id)
    }

    /// Finds a document by any unique prefix of its id (index documents excluded).
    pub fn resolve_doc(&self, prefix: &str) -> Result<DocId, Error> {
        let prefix = prefix.trim().to_ascii_lowercase();
        let mut matches = Vec::new();
        if !prefix.is_empty() {
            for record in self.store.docs_with_prefix(&prefix)? {
                if record.kind != Kind::Index.as_str() {
                    matches.push(record.doc_id);
                }
            }
        }
        match matches.as_slice() {
            [] => Err(Error::UnknownDoc(prefix)),
            [one] => parse_doc_id(one),
            many => Err(Error::Ambiguous {
                what: "document",
                prefix,
                count: many.len(),
            }),
        }
    }

    /// The documents of a group, from its index.
    pub fn docs(&mut self, group_id: &GroupId) -> Result<Vec<DocSummary>, Error> {
        Ok(self.group(group_id)?.docs)
    }

    /// A whole document, typed, as this device holds it now, with the version it is (its
    /// heads: an edit of its text based on them merges with what arrived since).
    pub fn doc(&mut self, doc_id: &DocId) -> Result<DocView, Error> {
        let group = self.load_doc(doc_id)?;
        let engine = self.engine()?;
        let automerge = engine
            .doc(doc_id)
            .ok_or_else(|| Error::UnknownDoc(doc_id.to_string()))?;
        let heads = engine.doc_heads(doc_id).unwrap_or_default();
        Ok(DocView {
            id: doc_id.to_string(),
            group: group.to_string(),
            heads: heads.iter().map(ToString::to_string).collect(),
            content: Document::view_of(automerge)?,
        })
    }

    /// Renames a document (its own title and its entry in the group's index).
    pub fn rename_doc(&mut self, doc_id: &DocId, title: &str) -> Result<(), Error> {
        let title = non_empty(title, "a document's title")?;
        let group_id = self.load_doc(doc_id)?;
        let index = index_doc_id(&group_id);
        self.load_doc(&index)?;
        let (_, mut outputs) =
            self.edit_outputs(doc_id, None, |doc, stamp| doc.set_title(stamp, title))?;
        let entry = doc_id.to_string();
        let renamed = self.edit_outputs(&index, Some(Kind::Index), |doc, stamp| {
            mutual_docs::index::rename_entry(doc, stamp, &entry, title)
        });
        let result = renamed.map(|(_, more)| outputs.extend(more));
        self.settle(Vec::new(), outputs, result)
    }

    /// Archives or unarchives a document in its group's index.
    pub fn archive_doc(&mut self, doc_id: &DocId, archived: bool) -> Result<(), Error> {
        let group_id = self.load_doc(doc_id)?;
        let entry = doc_id.to_string();
        self.edit(&index_doc_id(&group_id), Kind::Index, |doc, stamp| {
            if archived {
                mutual_docs::index::archive(doc, stamp, &entry)
            } else {
                mutual_docs::index::unarchive(doc, stamp, &entry)
            }
        })
    }

    /// Applies one typed edit to a document and stores it durably; returns what the edit
    /// returned (e.g. the id of a new card). `expected` checks the document's kind first.
    pub fn edit<T>(
        &mut self,
        doc_id: &DocId,
        expected: Kind,
        edit: impl FnOnce(&mut Document, &Stamp) -> Result<T, mutual_docs::Error>,
    ) -> Result<T, Error> {
        let (result, outputs) = self.edit_outputs(doc_id, Some(expected), edit)?;
        self.commit(Vec::new(), outputs)?;
        Ok(result)
    }

    /// One typed edit on the engine's copy, not committed yet: its result and outputs. A
    /// refused edit changes nothing (the typed operation rolls its writes back).
    fn edit_outputs<T>(
        &mut self,
        doc_id: &DocId,
        expected: Option<Kind>,
        edit: impl FnOnce(&mut Document, &Stamp) -> Result<T, mutual_docs::Error>,
    ) -> Result<(T, Vec<Output>), Error> {
        let group = self.load_doc(doc_id)?;
        let stamp = self.my_stamp(&group)?;
        let engine = self.engine_mut()?;
        let found = engine
            .doc(doc_id)
            .map(Document::kind_of)
            .transpose()?
            .ok_or_else(|| Error::UnknownDoc(doc_id.to_string()))?;
        if let Some(expected) = expected
            && found != expected
        {
            return Err(Error::WrongKind {
                doc: doc_id.to_string(),
                expected,
                found,
            });
        }
        let edited = engine
            .edit(doc_id, |am| {
                Document::edit_in_place(am, |doc| edit(doc, &stamp))
            })
            .map_err(Error::from_local)?;
        Ok(edited?)
    }

    /// Turns an assembly's action item into a card on a board of the same group, and links
    /// the two; both documents change before anything is committed. Returns the card's id.
    pub fn action_to_card(
        &mut self,
        assembly: &DocId,
        action: &str,
        board: &DocId,
        column: &str,
    ) -> Result<String, Error> {
        let meeting_group = self.load_doc(assembly)?;
        if self.load_doc(board)? != meeting_group {
            return Err(Error::OtherGroup {
                doc: board.to_string(),
            });
        }
        let view = match self.doc(assembly)?.content {
            View::Assembly(view) => view,
            other => {
                return Err(Error::WrongKind {
                    doc: assembly.to_string(),
                    expected: Kind::Assembly,
                    found: other.kind(),
                });
            }
        };
        let item = view.find_action(action)?;
        let (action_id, title) = (item.id.clone(), item.text.clone());
        let (card, mut outputs) = self.edit_outputs(board, Some(Kind::Board), |doc, stamp| {
            mutual_docs::board::add_card(doc, stamp, column, &title)
        })?;
        let link = mutual_docs::assembly::CardLink {
            doc: *board,
            card: card.clone(),
        };
        let linked = self.edit_outputs(assembly, Some(Kind::Assembly), |doc, stamp| {
            mutual_docs::assembly::link_action_card(doc, stamp, &action_id, Some(&link))
        });
        let result = linked.map(|(_, more)| outputs.extend(more));
        self.settle(Vec::new(), outputs, result)?;
        Ok(card)
    }

    /// Who changed what in a document, oldest first. People who have since left are still
    /// named, from the certificates in the group's log.
    pub fn history(&mut self, doc_id: &DocId) -> Result<Vec<HistoryEntry>, Error> {
        let group = self.load_doc(doc_id)?;
        // Reading change metadata needs Automerge's `&mut`; it changes nothing.
        let changes = self
            .engine_mut()?
            .read(doc_id, Document::history_of)
            .map_err(Error::from_local)?;
        let log = self.log(&group)?;
        let state = log.state();
        let known = log.known_devices();
        let mut names = names_of(state);
        for former in known.values() {
            names
                .entry(former.member.to_string())
                .or_insert_with(|| former.name.clone());
        }
        let entries = changes
            .into_iter()
            .map(|change| {
                let device = <[u8; 32]>::try_from(change.actor.to_bytes())
                    .ok()
                    .and_then(|bytes| PublicKey::from_bytes(&bytes).ok());
                let current = device.and_then(|d| state.member_of_device(&d));
                let former = device.and_then(|d| known.get(&d));
                let (member_id, member) = match (current, former, device) {
                    (Some(m), _, _) => (Some(m.id), m.name.clone()),
                    (None, Some(f), _) => (Some(f.member), format!("{} (former member)", f.name)),
                    (None, None, Some(d)) => (None, format!("unknown device {}", d.fmt_short())),
                    (None, None, None) => (None, format!("unknown actor {}", change.actor)),
                };
                HistoryEntry {
                    change: change.hash,
                    time: change.time,
                    member_id: member_id.map(|m| m.to_string()),
                    member,
                    device: device.map(|d| d.peer_id().to_string()),
                    message: with_names(change.message.unwrap_or_default(), &names),
                }
            })
            .collect();
        Ok(entries)
    }

    /// Who changed what in a group's documents, the latest first, at most `limit` changes.
    pub fn activity(
        &mut self,
        group_id: &GroupId,
        limit: usize,
    ) -> Result<Vec<ActivityEntry>, Error> {
        let mut all = Vec::new();
        for doc in self.docs(group_id)? {
            let id = parse_doc_id(&doc.id)?;
            all.extend(self.history(&id)?.into_iter().map(|entry| ActivityEntry {
                doc: doc.id.clone(),
                title: doc.title.clone(),
                entry,
            }));
        }
        all.sort_by(|a, b| b.entry.time.cmp(&a.entry.time).then(a.doc.cmp(&b.doc)));
        all.truncate(limit);
        Ok(all)
    }

    /// Finds a member of a group by `me`, exact name (any case) or id prefix.
    pub fn resolve_member(&mut self, group_id: &GroupId, who: &str) -> Result<MemberId, Error> {
        self.load_group(group_id)?;
        let device = self.identity()?.device.id();
        let log = self.log(group_id)?;
        let who = who.trim();
        if who.eq_ignore_ascii_case("me") {
            return log
                .state()
                .member_of_device(&device)
                .map(|m| m.id)
                .ok_or_else(|| Error::NotAMember {
                    group: group_id.to_string(),
                });
        }
        let members = &log.state().members;
        let by_name: Vec<_> = members
            .values()
            .filter(|m| m.name.to_lowercase() == who.to_lowercase())
            .collect();
        if let [one] = by_name.as_slice() {
            return Ok(one.id);
        }
        let by_id: Vec<_> = members
            .values()
            .filter(|m| !who.is_empty() && m.id.to_string().starts_with(&who.to_ascii_lowercase()))
            .collect();
        match (by_name.len(), by_id.as_slice()) {
            (0, []) => Err(Error::UnknownMember(who.to_owned())),
            (0, [one]) => Ok(one.id),
            (n, ids) => Err(Error::Ambiguous {
                what: "member",
                prefix: who.to_owned(),
                count: n + ids.len(),
            }),
        }
    }

    /// The display names of a group's current members, by member id.
    pub fn member_names(&mut self, group_id: &GroupId) -> Result<BTreeMap<String, String>, Error> {
        self.load_group(group_id)?;
        Ok(names_of(self.log(group_id)?.state()))
    }

    /// The group a document belongs to.
    pub fn group_of(&mut self, doc_id: &DocId) -> Result<GroupId, Error> {
        self.load_doc(doc_id)
    }

    /// SQLite's integrity check of this data directory's database.
    pub fn integrity_ok(&self) -> Result<bool, Error> {
        Ok(self.store.integrity_ok()?)
    }

    // ---- internals ----

    /// Who this device edits as in a group: the member its device belongs to there (usually
    /// this identity's member key; for a device admitted by its key alone, the device's own
    /// key). Refuses if the group's log no longer lists this device.
    fn my_stamp(&mut self, group_id: &GroupId) -> Result<Stamp, Error> {
        self.load_group(group_id)?;
        let device = self.identity()?.device.id();
        let member = self
            .log(group_id)?
            .state()
            .member_of_device(&device)
            .ok_or_else(|| Error::NotAMember {
                group: group_id.to_string(),
            })?;
        Ok(Stamp {
            member: member.id.to_string(),
            time: now_ms() / 1000,
        })
    }

    /// A group's index, read from its document; for a group joined through sync whose
    /// index has not arrived yet, an empty one named after the genesis op.
    fn index_view(&mut self, group_id: &GroupId) -> Result<mutual_docs::index::Index, Error> {
        self.load_group(group_id)?;
        let index = index_doc_id(group_id);
        let arrived = match self.load_doc(&index) {
            Ok(_) => true,
            Err(Error::UnknownDoc(_)) => false,
            Err(e) => return Err(e),
        };
        if !arrived || self.engine()?.doc_heads(&index).is_none_or(<[_]>::is_empty) {
            return Ok(mutual_docs::index::Index {
                group_name: self.log(group_id)?.state().name.clone(),
                created_at: 0,
                created_by: String::new(),
                entries: Vec::new(),
            });
        }
        match self.doc(&index)?.content {
            View::Index(index) => Ok(index),
            _ => Err(Error::Corrupt(format!("the index of group {group_id}"))),
        }
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

/// Documents record members by id (names can change and clash); people read names.
fn with_names(mut message: String, names: &BTreeMap<String, String>) -> String {
    for (id, name) in names {
        if message.contains(id.as_str()) {
            message = message.replace(id.as_str(), name);
        }
    }
    message
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

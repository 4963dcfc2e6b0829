//! [`Node`]: the operations of one device over its data directory.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use automerge::ChangeHash;
use mutual_auth::{GroupId, Log, MemberId, PublicKey, Role, SignedOp};
use mutual_docs::{DocId, Document, Kind, Stamp, View};
use mutual_store::{DocRecord, GroupRecord, Store, Write};
use sha2::{Digest, Sha256};

use crate::view::{
    ActivityEntry, DocSummary, DocView, GroupSummary, GroupView, HistoryEntry, MemberView, WhoAmI,
};
use crate::{Error, Identity};

/// After this many stored chunks, a document is folded into one snapshot. Loading cost
/// grows with the number of chunks; compacting costs one full save. 64 keeps both small.
const COMPACT_AFTER_CHUNKS: usize = 64;

/// Documents kept loaded after an edit, for the next one: loading a long history costs
/// far more than an edit (about a second for the automerge-perf trace), and a person edits
/// one or two documents at a time.
const EDITED_DOCS_KEPT: usize = 8;

/// One device's Mutual, over an open data directory (which it holds locked).
#[derive(Debug)]
pub struct Node {
    store: Store,
    identity: Option<Identity>,
    /// What local commands committed since the last [`Node::take_committed`], when a
    /// runtime asked for it ([`Node::record_commits`]); otherwise always empty.
    committed: Option<Vec<Committed>>,
    /// Where this device listens now, while a runtime runs it (for invite codes).
    online: Vec<mutual_net::multiaddr::Multiaddr>,
    /// Documents as last committed by this node, most recently edited last: each one is
    /// exactly what the store holds (remote writes drop theirs, see `forget_edited`).
    edited: Vec<Opened>,
}

/// Something this device committed to its store itself, for the sync engine to spread.
#[derive(Debug, Clone)]
pub enum Committed {
    /// A group this device created (load it whole: log, index and documents).
    Group(GroupId),
    /// Ops this device authored, parents first.
    Ops {
        /// Their group.
        group: GroupId,
        /// The ops.
        ops: Vec<SignedOp>,
    },
    /// Changes this device made to a document: the incremental save since the stored heads
    /// (a whole save for a new document), whatever form the store write took.
    Changes {
        /// The document's group.
        group: GroupId,
        /// The document.
        doc: DocId,
        /// The bytes.
        changes: Vec<u8>,
        /// A copy of the whole document after them, for the engine to adopt rather than
        /// apply the changes again (`mutual_sync::Input::LocalChanges`).
        document: Option<Box<automerge::AutoCommit>>,
    },
}

/// A document loaded for editing: its record, contents, and where its storage stood.
#[derive(Debug)]
struct Opened {
    record: DocRecord,
    doc: Document,
    stored_heads: Vec<ChangeHash>,
    /// How many chunks it was stored in, and the last one's seq.
    chunks: usize,
    last_seq: i64,
}

impl Opened {
    /// The write that stores what changed since the document was loaded: the changes
    /// appended, or, once it has many chunks, everything folded into one snapshot in the
    /// same transaction (so compaction never needs a write of its own). Also returns the
    /// incremental changes themselves, for the sync engine.
    fn changes(&mut self) -> (Write, Vec<u8>) {
        let doc_id = self.record.doc_id.clone();
        let changes = self.doc.automerge_mut().save_after(&self.stored_heads);
        let write = if self.chunks + 1 >= COMPACT_AFTER_CHUNKS {
            Write::Compact {
                doc_id,
                through_seq: self.last_seq,
                snapshot: self.doc.automerge_mut().save(),
            }
        } else {
            Write::Changes {
                doc_id,
                bytes: changes.clone(),
            }
        };
        (write, changes)
    }
}

impl Node {
    /// Opens the data directory `dir` (creating it if needed) and locks it.
    pub fn open(dir: &Path) -> Result<Node, Error> {
        let store = Store::open(dir)?;
        let identity = store
            .identity()?
            .map(|record| Identity::from_record(&record))
            .transpose()?;
        Ok(Node {
            store,
            identity,
            committed: None,
            online: Vec::new(),
            edited: Vec::new(),
        })
    }

    /// From now on, keep a list of what local commands commit, for
    /// [`Node::take_committed`]. A runtime that syncs calls this once.
    pub fn record_commits(&mut self) {
        self.committed.get_or_insert_with(Vec::new);
    }

    /// What local commands committed since the last call, oldest first (empty unless
    /// [`Node::record_commits`] was called).
    pub fn take_committed(&mut self) -> Vec<Committed> {
        self.committed
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn note(&mut self, committed: Committed) {
        if let Some(list) = &mut self.committed {
            list.push(committed);
        }
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
        self.identity = Some(identity);
        self.whoami()
    }

    /// This device's identity.
    pub fn identity(&self) -> Result<&Identity, Error> {
        self.identity.as_ref().ok_or(Error::NoIdentity)
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

    // ---- groups ----

    /// Creates a group with this person as its founding admin; returns its id.
    pub fn create_group(&mut self, name: &str) -> Result<GroupId, Error> {
        let name = non_empty(name, "a group's name")?;
        let identity = self.identity()?;
        let now = now_ms();
        let (log, genesis) = Log::create(
            name,
            &identity.name,
            &identity.member,
            &identity.device,
            now as u64,
        );
        let group_id = log.group_id();
        let index_id = index_doc_id(&group_id);
        let founder = Stamp {
            member: identity.member.id().to_string(),
            time: now_ms() / 1000,
        };
        let mut index = Document::create(Kind::Index, name, identity.actor(), &founder)?;
        let writes = [
            Write::Group(GroupRecord {
                group_id: group_id.to_string(),
                index_doc: index_id.to_string(),
                joined_at: now,
            }),
            op_write(&group_id, &genesis),
            Write::Doc(DocRecord {
                doc_id: index_id.to_string(),
                group_id: group_id.to_string(),
                kind: Kind::Index.to_string(),
                created_at: now,
            }),
            Write::Changes {
                doc_id: index_id.to_string(),
                bytes: index.automerge_mut().save(),
            },
        ];
        self.store.commit(&writes)?;
        self.note(Committed::Group(group_id));
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
            [one] => GroupId::from_str(one).map_err(|_| Error::Corrupt(format!("group id {one}"))),
            many => Err(Error::Ambiguous {
                what: "group",
                prefix,
                count: many.len(),
            }),
        }
    }

    /// All groups of this device.
    pub fn groups(&self) -> Result<Vec<GroupSummary>, Error> {
        // By device, as `my_stamp` decides: an unlinked device holds no role.
        let device = self.identity()?.device.id();
        let mut groups = Vec::new();
        for record in self.store.groups()? {
            let group_id = parse_group_id(&record.group_id)?;
            let log = self.load_log(&group_id)?;
            let index = self.index_view(&record, &log)?;
            groups.push(GroupSummary {
                id: record.group_id.clone(),
                name: index.group_name.clone(),
                role: log
                    .state()
                    .member_of_device(&device)
                    .map(|m| m.role.to_string()),
                members: log.state().members.len(),
                docs: index.entries.iter().filter(|d| !d.archived).count(),
            });
        }
        Ok(groups)
    }

    /// A group with its members and documents.
    pub fn group(&self, group_id: &GroupId) -> Result<GroupView, Error> {
        let my_device = self.identity()?.device.id();
        let record = self.group_record(group_id)?;
        let log = self.load_log(group_id)?;
        let index = self.index_view(&record, &log)?;
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
            id: record.group_id,
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
        let record = self.group_record(group_id)?;
        let mut index = self.open_for_edit(&record.index_doc)?;
        let stamp = self.my_stamp(group_id)?;
        mutual_docs::index::rename_group(&mut index.doc, &stamp, name)?;
        self.commit(Vec::new(), vec![index])
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
        let device = peer_id
            .trim()
            .parse::<libp2p_identity::PeerId>()
            .ok()
            .and_then(|peer| PublicKey::from_peer_id(&peer).ok())
            .ok_or_else(|| Error::BadPeerId(peer_id.trim().to_owned()))?;
        let mut log = self.load_log(group_id)?;
        let identity = self.identity()?;
        let action = mutual_auth::Action::AddDevice {
            device,
            name: name.to_owned(),
            role,
        };
        let op = log.author(&identity.device, action, now_ms().unsigned_abs())?;
        self.store.commit(&[op_write(group_id, &op)])?;
        self.note(Committed::Ops {
            group: *group_id,
            ops: vec![op],
        });
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
        let record = self.group_record(group_id)?;
        let stamp = self.my_stamp(group_id)?;
        let actor = self.identity()?.actor();
        let doc_id = DocId::random();
        let mut doc = Document::create(kind, title, actor, &stamp)?;
        let mut index = self.open_for_edit(&record.index_doc)?;
        mutual_docs::index::add_entry(&mut index.doc, &stamp, doc_id, kind, title)?;
        let whole = doc.automerge_mut().save();
        let writes = vec![
            Write::Doc(DocRecord {
                doc_id: doc_id.to_string(),
                group_id: group_id.to_string(),
                kind: kind.to_string(),
                created_at: now_ms(),
            }),
            Write::Changes {
                doc_id: doc_id.to_string(),
                bytes: whole.clone(),
            },
        ];
        self.commit(writes, vec![index])?;
        // After the index's changes: a peer learns of the entry and the document together.
        self.note(Committed::Changes {
            group: *group_id,
            doc: doc_id,
            changes: whole,
            document: None,
        });
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
            [one] => DocId::from_str(one).map_err(|_| Error::Corrupt(format!("document id {one}"))),
            many => Err(Error::Ambiguous {
                what: "document",
                prefix,
                count: many.len(),
            }),
        }
    }

    /// The documents of a group, from its index.
    pub fn docs(&self, group_id: &GroupId) -> Result<Vec<DocSummary>, Error> {
        Ok(self.group(group_id)?.docs)
    }

    /// A whole document, typed.
    pub fn doc(&self, doc_id: &DocId) -> Result<DocView, Error> {
        let opened = self.open_doc(&doc_id.to_string())?;
        Ok(DocView {
            id: opened.record.doc_id.clone(),
            group: opened.record.group_id.clone(),
            content: opened.doc.view()?,
        })
    }

    /// Renames a document (its own title and its entry in the group's index).
    pub fn rename_doc(&mut self, doc_id: &DocId, title: &str) -> Result<(), Error> {
        let title = non_empty(title, "a document's title")?;
        let mut opened = self.open_for_edit(&doc_id.to_string())?;
        let group_id = parse_group_id(&opened.record.group_id)?;
        let stamp = self.my_stamp(&group_id)?;
        let record = self.group_record(&group_id)?;
        let mut index = self.open_for_edit(&record.index_doc)?;
        opened.doc.set_title(&stamp, title)?;
        mutual_docs::index::rename_entry(&mut index.doc, &stamp, &doc_id.to_string(), title)?;
        self.commit(Vec::new(), vec![opened, index])
    }

    /// Archives or unarchives a document in its group's index.
    pub fn archive_doc(&mut self, doc_id: &DocId, archived: bool) -> Result<(), Error> {
        let record = self.doc_record(&doc_id.to_string())?;
        let group_id = parse_group_id(&record.group_id)?;
        let stamp = self.my_stamp(&group_id)?;
        let group = self.group_record(&group_id)?;
        let mut index = self.open_for_edit(&group.index_doc)?;
        let entry = doc_id.to_string();
        if archived {
            mutual_docs::index::archive(&mut index.doc, &stamp, &entry)?;
        } else {
            mutual_docs::index::unarchive(&mut index.doc, &stamp, &entry)?;
        }
        self.commit(Vec::new(), vec![index])
    }

    /// Applies one typed edit to a document and stores it durably; returns what the edit
    /// returned (e.g. the id of a new card). `expected` checks the document's kind first.
    pub fn edit<T>(
        &mut self,
        doc_id: &DocId,
        expected: Kind,
        edit: impl FnOnce(&mut Document, &Stamp) -> Result<T, mutual_docs::Error>,
    ) -> Result<T, Error> {
        let mut opened = self.open_kind(doc_id, expected)?;
        let stamp = self.my_stamp(&parse_group_id(&opened.record.group_id)?)?;
        let out = edit(&mut opened.doc, &stamp)?;
        self.commit(Vec::new(), vec![opened])?;
        Ok(out)
    }

    /// Turns an assembly's action item into a card on a board of the same group, and links
    /// the two; both documents change in one atomic commit. Returns the card's id.
    pub fn action_to_card(
        &mut self,
        assembly: &DocId,
        action: &str,
        board: &DocId,
        column: &str,
    ) -> Result<String, Error> {
        let mut meeting = self.open_kind(assembly, Kind::Assembly)?;
        let mut cards = self.open_kind(board, Kind::Board)?;
        if meeting.record.group_id != cards.record.group_id {
            return Err(Error::OtherGroup {
                doc: board.to_string(),
            });
        }
        let stamp = self.my_stamp(&parse_group_id(&meeting.record.group_id)?)?;
        let View::Assembly(view) = meeting.doc.view()? else {
            return Err(Error::Corrupt(format!("assembly {assembly}")));
        };
        let item = view.find_action(action)?;
        let (action_id, title) = (item.id.clone(), item.text.clone());
        let card = mutual_docs::board::add_card(&mut cards.doc, &stamp, column, &title)?;
        let link = mutual_docs::assembly::CardLink {
            doc: *board,
            card: card.clone(),
        };
        mutual_docs::assembly::link_action_card(&mut meeting.doc, &stamp, &action_id, Some(&link))?;
        self.commit(Vec::new(), vec![cards, meeting])?;
        Ok(card)
    }

    /// Who changed what in a document, oldest first. People who have since left are still
    /// named, from the certificates in the group's log.
    pub fn history(&self, doc_id: &DocId) -> Result<Vec<HistoryEntry>, Error> {
        let mut opened = self.open_doc(&doc_id.to_string())?;
        let log = self.load_log(&parse_group_id(&opened.record.group_id)?)?;
        let state = log.state();
        let known = log.known_devices();
        let mut names = names_of(state);
        for former in known.values() {
            names
                .entry(former.member.to_string())
                .or_insert_with(|| former.name.clone());
        }
        let entries = opened
            .doc
            .history()
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
    pub fn activity(&self, group_id: &GroupId, limit: usize) -> Result<Vec<ActivityEntry>, Error> {
        let mut all = Vec::new();
        for doc in self.docs(group_id)? {
            let id = DocId::from_str(&doc.id)
                .map_err(|_| Error::Corrupt(format!("document id {}", doc.id)))?;
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
    pub fn resolve_member(&self, group_id: &GroupId, who: &str) -> Result<MemberId, Error> {
        let log = self.load_log(group_id)?;
        let who = who.trim();
        if who.eq_ignore_ascii_case("me") {
            let device = self.identity()?.device.id();
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
    pub fn member_names(&self, group_id: &GroupId) -> Result<BTreeMap<String, String>, Error> {
        Ok(names_of(self.load_log(group_id)?.state()))
    }

    /// The group a document belongs to.
    pub fn group_of(&self, doc_id: &DocId) -> Result<GroupId, Error> {
        parse_group_id(&self.doc_record(&doc_id.to_string())?.group_id)
    }

    /// SQLite's integrity check of this data directory's database.
    pub fn integrity_ok(&self) -> Result<bool, Error> {
        Ok(self.store.integrity_ok()?)
    }

    // ---- internals ----

    fn group_record(&self, group_id: &GroupId) -> Result<GroupRecord, Error> {
        self.store
            .group(&group_id.to_string())?
            .ok_or_else(|| Error::UnknownGroup(group_id.to_string()))
    }

    fn doc_record(&self, doc_id: &str) -> Result<DocRecord, Error> {
        self.store
            .doc(doc_id)?
            .ok_or_else(|| Error::UnknownDoc(doc_id.to_owned()))
    }

    /// Rebuilds a group's membership log from the store, re-validating every op.
    fn load_log(&self, group_id: &GroupId) -> Result<Log, Error> {
        let corrupt = || Error::Corrupt(format!("the membership log of group {group_id}"));
        let mut ops = self.store.ops(&group_id.to_string())?.into_iter();
        let genesis = ops.next().ok_or_else(corrupt)?;
        let genesis = SignedOp::from_bytes(&genesis).map_err(|_| corrupt())?;
        let mut log = Log::from_genesis(genesis).map_err(|_| corrupt())?;
        for bytes in ops {
            let op = SignedOp::from_bytes(&bytes).map_err(|_| corrupt())?;
            log.insert(op).map_err(|_| corrupt())?;
        }
        if log.group_id() != *group_id {
            return Err(corrupt());
        }
        Ok(log)
    }

    /// Who this device edits as in a group: the member its device belongs to there (usually
    /// this identity's member key; for a device admitted by its key alone, the device's own
    /// key). Refuses if the group's log no longer lists this device.
    fn my_stamp(&self, group_id: &GroupId) -> Result<Stamp, Error> {
        let device = self.identity()?.device.id();
        let log = self.load_log(group_id)?;
        let member = log
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

    fn open_doc(&self, doc_id: &str) -> Result<Opened, Error> {
        let record = self.doc_record(doc_id)?;
        let stored = self.store.load_doc(doc_id)?;
        let actor = self
            .identity
            .as_ref()
            .map(Identity::actor)
            .unwrap_or_else(automerge::ActorId::random);
        let mut doc = Document::load(&stored.bytes, actor)?;
        let stored_heads = doc.automerge_mut().get_heads();
        Ok(Opened {
            record,
            doc,
            stored_heads,
            chunks: stored.chunks,
            last_seq: stored.last_seq,
        })
    }

    /// Opens a document to edit it: the copy kept from the last edit if there is one (it
    /// leaves the cache: one that is edited and then not committed is dropped), else from
    /// the store.
    fn open_for_edit(&mut self, doc_id: &str) -> Result<Opened, Error> {
        match self.edited.iter().position(|o| o.record.doc_id == doc_id) {
            Some(at) => Ok(self.edited.remove(at)),
            None => self.open_doc(doc_id),
        }
    }

    /// Opens a document that must be of kind `expected`, to edit it.
    fn open_kind(&mut self, doc_id: &DocId, expected: Kind) -> Result<Opened, Error> {
        let opened = self.open_for_edit(&doc_id.to_string())?;
        if opened.doc.kind() != expected {
            let found = opened.doc.kind();
            // Unchanged, so still what the store holds.
            self.keep_edited(opened);
            return Err(Error::WrongKind {
                doc: doc_id.to_string(),
                expected,
                found,
            });
        }
        Ok(opened)
    }

    /// Keeps a document that matches the store for the next edit, dropping the least
    /// recently edited beyond [`EDITED_DOCS_KEPT`].
    fn keep_edited(&mut self, opened: Opened) {
        self.forget_edited(&opened.record.doc_id);
        self.edited.push(opened);
        if self.edited.len() > EDITED_DOCS_KEPT {
            self.edited.remove(0);
        }
    }

    /// Drops the kept copy of a document whose stored form changed without this node's
    /// `commit` (changes received from peers).
    pub(crate) fn forget_edited(&mut self, doc_id: &str) {
        self.edited.retain(|o| o.record.doc_id != doc_id);
    }

    /// A group's index, read from its document; for a group joined through sync whose
    /// index has not arrived yet, an empty one named after the genesis op.
    fn index_view(
        &self,
        record: &GroupRecord,
        log: &Log,
    ) -> Result<mutual_docs::index::Index, Error> {
        if self.store.doc(&record.index_doc)?.is_none() {
            return Ok(mutual_docs::index::Index {
                group_name: log.state().name.clone(),
                created_at: 0,
                created_by: String::new(),
                entries: Vec::new(),
            });
        }
        match self.open_doc(&record.index_doc)?.doc.view()? {
            View::Index(index) => Ok(index),
            _ => Err(Error::Corrupt(format!(
                "the index of group {}",
                record.group_id
            ))),
        }
    }

    /// Commits `writes` and what changed in `docs`, in one transaction; the documents are
    /// kept for the next edit once they are what the store holds.
    fn commit(&mut self, mut writes: Vec<Write>, mut docs: Vec<Opened>) -> Result<(), Error> {
        let mut committed = Vec::new();
        let recording = self.committed.is_some();
        for opened in &mut docs {
            let (write, changes) = opened.changes();
            writes.push(write);
            committed.push(Committed::Changes {
                group: parse_group_id(&opened.record.group_id)?,
                doc: DocId::from_str(&opened.record.doc_id)
                    .map_err(|_| Error::Corrupt(format!("document id {}", opened.record.doc_id)))?,
                changes,
                document: recording.then(|| Box::new(opened.doc.automerge().clone())),
            });
        }
        self.store.commit(&writes)?;
        for committed in committed {
            self.note(committed);
        }
        for mut opened in docs {
            // A copy whose storage cannot be read back is simply not kept.
            if let Ok((chunks, last_seq)) = self.store.chunk_state(&opened.record.doc_id) {
                opened.stored_heads = opened.doc.automerge_mut().get_heads();
                (opened.chunks, opened.last_seq) = (chunks, last_seq);
                self.keep_edited(opened);
            }
        }
        Ok(())
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

fn op_write(group_id: &GroupId, op: &SignedOp) -> Write {
    Write::Op {
        group_id: group_id.to_string(),
        op_id: op.id().to_string(),
        bytes: op.to_bytes(),
    }
}

fn names_of(state: &mutual_auth::GroupState) -> BTreeMap<String, String> {
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

fn parse_group_id(text: &str) -> Result<GroupId, Error> {
    GroupId::from_str(text).map_err(|_| Error::Corrupt(format!("group id {text}")))
}

fn non_empty<'a>(text: &'a str, what: &'static str) -> Result<&'a str, Error> {
    let text = text.trim();
    if text.is_empty() {
        Err(Error::EmptyName { what })
    } else {
        Ok(text)
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[path = "export.rs"]
mod export;
pub use export::GroupExport;

#[path = "membership.rs"]
mod membership;
pub use membership::{
    CreatedInvite, CreatedLink, JoinRequest, LINK_VALID_FOR, MAX_INVITE_USES, Refusal,
};

#[path = "replica.rs"]
mod replica;
pub use replica::SyncGroup;

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

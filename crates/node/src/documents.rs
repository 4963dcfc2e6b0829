//! A device's documents: creating, showing, renaming, archiving, editing (the one copy, in
//! the engine), turning action items into cards, and who changed what.

use std::collections::BTreeMap;

use mutual_auth::GroupId;
use mutual_docs::{DocId, Document, Kind, Stamp, View};
use mutual_sync::Output;

use crate::node::{index_doc_id, names_of, non_empty, now_ms};
use crate::replicas::parse_doc_id;
use crate::view::{ActivityEntry, DocSummary, DocView, HistoryEntry};
use crate::{Error, Node};

impl Node {
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

    /// Whether this device holds the group's index and something of every document the
    /// index lists: what a newcomer needs before its join is done. (Being in sync with a
    /// peer is not enough: in a crowd, that peer may be a newcomer holding nothing yet.)
    pub fn holds_every_document(&mut self, group_id: &GroupId) -> bool {
        let held = |node: &Self, doc: &DocId| {
            node.engine()
                .ok()
                .and_then(|engine| engine.doc_heads(doc))
                .is_some_and(|heads| !heads.is_empty())
        };
        if !held(self, &crate::index_doc_id(group_id)) {
            return false;
        }
        let Ok(docs) = self.docs(group_id) else {
            return false;
        };
        docs.iter()
            .all(|doc| crate::replicas::parse_doc_id(&doc.id).is_ok_and(|id| held(self, &id)))
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
        let authors = self.authors_of(&group)?;
        Ok(DocView {
            id: doc_id.to_string(),
            group: group.to_string(),
            heads: heads.iter().map(ToString::to_string).collect(),
            content: Document::view_by(automerge, Some(&authors))?,
        })
    }

    /// Whose each device of the group is (every device its log ever certified), so that a
    /// document's facts about members are judged by who signed them, never by what a
    /// change claims.
    pub(crate) fn authors_of(&self, group: &GroupId) -> Result<mutual_docs::Authors, Error> {
        let known = self.log(group)?.known_devices();
        Ok(mutual_docs::Authors::new(known.into_iter().map(
            |(device, known)| (*device.as_bytes(), known.member.to_string()),
        )))
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
        let authors = self.authors_of(&group)?;
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
                Document::edit_in_place(am, |doc| {
                    doc.set_authors(authors);
                    edit(doc, &stamp)
                })
            })
            .map_err(Error::from_local)?;
        match edited {
            Ok(result) => Ok(result),
            // The document knows the borrower by member id; a person knows them by name.
            Err(mutual_docs::Error::AlreadyLent { item, to }) => {
                let names = self.member_names(&group)?;
                let to = names.get(&to).cloned().unwrap_or(to);
                Err(mutual_docs::Error::AlreadyLent { item, to }.into())
            }
            Err(error) => Err(error.into()),
        }
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

    /// Makes a document, or with `item` one item of it, as it was right after the changes
    /// `versions` names (full hashes or unique prefixes, from its history), in one new
    /// change: what a member destroyed comes back, and nothing of the history is lost.
    pub fn restore_doc(
        &mut self,
        doc_id: &DocId,
        versions: &[String],
        item: Option<&str>,
    ) -> Result<(), Error> {
        self.load_doc(doc_id)?;
        let changes: Vec<String> = self
            .engine_mut()?
            .read(doc_id, Document::history_of)
            .map_err(Error::from_local)?
            .into_iter()
            .map(|change| change.hash)
            .collect();
        let mut heads = Vec::new();
        for version in versions {
            let prefix = version.trim().to_ascii_lowercase();
            let matching: Vec<&String> = changes
                .iter()
                .filter(|hash| !prefix.is_empty() && hash.starts_with(&prefix))
                .collect();
            match matching.as_slice() {
                [] => return Err(Error::UnknownVersion(version.trim().to_owned())),
                [one] => heads.extend(crate::node::parse_heads(&[(*one).clone()])?),
                many => {
                    return Err(Error::Ambiguous {
                        what: "change",
                        prefix,
                        count: many.len(),
                    });
                }
            }
        }
        let item = item.map(str::trim).filter(|i| !i.is_empty());
        let ((), outputs) =
            self.edit_outputs(doc_id, None, |doc, stamp| doc.restore(stamp, &heads, item))?;
        self.commit(Vec::new(), outputs)
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
        let mut actors = mutual_sync::tips::Actors::default();
        let entries = changes
            .into_iter()
            .map(|change| {
                let device = actors.device(change.actor.to_bytes());
                let current = device.and_then(|d| state.member_of_device(&d));
                let former = device.and_then(|d| known.get(&d));
                let (member_id, member) = match (current, former, device) {
                    (Some(m), _, _) => (Some(m.id), m.name.clone()),
                    (None, Some(f), _) => (Some(f.member), format!("{} (former member)", f.name)),
                    // Named by its peer id, which is how `status` and `peers` show devices.
                    (None, None, Some(d)) => (None, format!("unknown device {}", d.peer_id())),
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
        self.require_member(group_id)?;
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

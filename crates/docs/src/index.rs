//! The group index: the one document that lists a group's other documents.
//!
//! Stored shape (root of an `index` document, besides the common header, whose `title` is
//! the group's name):
//! ```text
//! entries: { <doc id>: { kind: "assembly"|"board"|"resources", title: str, archived: bool,
//!                        created_by: str, created_at: int } }
//! ```
//!
//! Entries are keyed by document id, so listing the same document twice is impossible and
//! renaming or archiving an entry touches one register. Nothing is ever removed: archiving
//! is a flag, so an entry renamed on one device while archived on another ends up archived
//! with the new title. Entries are shown oldest first (ties by id).

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType};
use serde::{Deserialize, Serialize};

use crate::document::{Header, TITLE, find};
use crate::input::{self, short};
use crate::schema::{Node, SetAside};
use crate::{DocId, Document, Error, Kind, SchemaError, Stamp};

const ENTRIES: &str = "entries";
const KIND: &str = "kind";
const ARCHIVED: &str = "archived";
const CREATED_BY: &str = "created_by";
const CREATED_AT: &str = "created_at";

/// A group index as read from its document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Index {
    /// The group's name (the index document's title).
    pub group_name: String,
    /// When the group index was created (unix seconds).
    pub created_at: i64,
    /// Who created it.
    pub created_by: String,
    /// Every document of the group, archived ones included, oldest first.
    pub entries: Vec<Entry>,
    /// Entries that do not read (a malformed change), left out.
    #[serde(default)]
    pub set_aside: Vec<SetAside>,
}

impl Index {
    /// The entry for this document.
    pub fn entry(&self, doc: DocId) -> Option<&Entry> {
        self.entries.iter().find(|e| e.doc == doc)
    }
}

/// One document of the group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Entry {
    /// The document's id.
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub doc: DocId,
    /// What kind of document it is.
    pub kind: Kind,
    /// Its title as listed here.
    pub title: String,
    /// Whether it is archived (hidden from everyday lists).
    pub archived: bool,
    /// Who listed it.
    pub created_by: String,
    /// When (unix seconds).
    pub created_at: i64,
}

/// Creates the empty collections of a new group index.
pub(crate) fn init(doc: &mut AutoCommit) -> Result<(), Error> {
    doc.put_object(automerge::ROOT, ENTRIES, ObjType::Map)?;
    Ok(())
}

/// Reads and checks a whole group index.
pub(crate) fn read(root: &Node<'_>, header: Header) -> Result<Index, SchemaError> {
    let mut set_aside = Vec::new();
    let mut entries = root.read_each_at(ENTRIES, &mut set_aside, |key, node| {
        let doc: DocId = key
            .parse()
            .map_err(|e| SchemaError::new(node.path.clone(), format!("not a document id: {e}")))?;
        Ok(Entry {
            doc,
            kind: node.word(KIND, "document kind")?,
            title: node.string(TITLE)?,
            archived: node.boolean(ARCHIVED)?,
            created_by: node.author(CREATED_BY)?,
            created_at: node.int(CREATED_AT)?,
        })
    });
    entries.sort_by_key(|e| (e.created_at, e.doc));
    Ok(Index {
        group_name: header.title,
        created_at: header.created_at,
        created_by: header.created_by,
        entries,
        set_aside,
    })
}

/// Lists a document of the group. Refuses an index (a group has one) and a document already
/// listed.
pub fn add_entry(
    doc: &mut Document,
    stamp: &Stamp,
    entry: DocId,
    kind: Kind,
    title: &str,
) -> Result<(), Error> {
    let title = input::required("title", title)?;
    if kind == Kind::Index {
        return Err(Error::InvalidArgument {
            what: "kind",
            reason: "the group index does not list itself or other indexes".into(),
        });
    }
    doc.transact(Kind::Index, stamp, |tx| {
        let entries = Node::root(tx).map(ENTRIES)?;
        let key = entry.to_string();
        if entries.keys().contains(&key) {
            return Err(Error::InvalidArgument {
                what: "document",
                reason: format!("{key} is already listed"),
            });
        }
        let entries = entries.id;
        let obj = tx.put_object(&entries, &key, ObjType::Map)?;
        tx.put(&obj, KIND, kind.as_str())?;
        tx.put(&obj, TITLE, title)?;
        tx.put(&obj, ARCHIVED, false)?;
        tx.put(&obj, CREATED_BY, stamp.member.as_str())?;
        tx.put(&obj, CREATED_AT, stamp.time)?;
        Ok(((), format!("listed {kind} “{}”", short(title))))
    })
}

/// Changes the title under which a document is listed (`entry`: its id or a unique prefix).
pub fn rename_entry(
    doc: &mut Document,
    stamp: &Stamp,
    entry: &str,
    title: &str,
) -> Result<(), Error> {
    let title = input::required("title", title)?;
    doc.transact(Kind::Index, stamp, |tx| {
        let entries = Node::root(tx).map(ENTRIES)?;
        let (_, node) = find(&entries, "document", entry)?;
        let old = node.string(TITLE)?;
        let obj = node.id;
        tx.put(&obj, TITLE, title)?;
        Ok((
            (),
            format!("renamed “{}” to “{}”", short(&old), short(title)),
        ))
    })
}

/// Archives a listed document.
pub fn archive(doc: &mut Document, stamp: &Stamp, entry: &str) -> Result<(), Error> {
    set_archived(doc, stamp, entry, true)
}

/// Brings an archived document back into the everyday lists.
pub fn unarchive(doc: &mut Document, stamp: &Stamp, entry: &str) -> Result<(), Error> {
    set_archived(doc, stamp, entry, false)
}

fn set_archived(
    doc: &mut Document,
    stamp: &Stamp,
    entry: &str,
    archived: bool,
) -> Result<(), Error> {
    doc.transact(Kind::Index, stamp, |tx| {
        let entries = Node::root(tx).map(ENTRIES)?;
        let (_, node) = find(&entries, "document", entry)?;
        let title = node.string(TITLE)?;
        let obj = node.id;
        tx.put(&obj, ARCHIVED, archived)?;
        let verb = if archived { "archived" } else { "unarchived" };
        Ok(((), format!("{verb} “{}”", short(&title))))
    })
}

/// Renames the group (the index document's title).
pub fn rename_group(doc: &mut Document, stamp: &Stamp, name: &str) -> Result<(), Error> {
    let name = input::required("group name", name)?;
    doc.transact(Kind::Index, stamp, |tx| {
        tx.put(automerge::ROOT, TITLE, name)?;
        Ok(((), format!("renamed the group to “{}”", short(name))))
    })
}

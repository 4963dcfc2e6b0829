//! [`Document`]: a schema-checked Automerge document and the one way typed operations
//! write to it.

use std::fmt;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ReadDoc};

use crate::id::resolve;
use crate::schema::Node;
use crate::{Authors, Error, Kind, SCHEMA_VERSION, SchemaError, Stamp, View};
use crate::{assembly, board, index, input, rank, resources};

/// Root keys shared by every kind.
pub(crate) const KIND: &str = "kind";
pub(crate) const SCHEMA: &str = "schema";
pub(crate) const TITLE: &str = "title";
pub(crate) const CREATED_AT: &str = "created_at";
pub(crate) const CREATED_BY: &str = "created_by";

/// A typed document: an Automerge document known to be of one [`Kind`] and to have matched
/// the schema when it was created or loaded.
///
/// Change it with the operations in the module of its kind ([`crate::board`],
/// [`crate::assembly`], [`crate::resources`], [`crate::index`]), each of which makes one
/// commit; read it with [`Document::view`].
pub struct Document {
    doc: AutoCommit,
    kind: Kind,
    /// Who each device is, when known: facts about members are then judged by who signed
    /// them (see [`Authors`]).
    authors: Option<Authors>,
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("kind", &self.kind)
            .field("actor", self.doc.get_actor())
            .finish_non_exhaustive()
    }
}

/// One change in a document's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The change's hash, in hex.
    pub hash: String,
    /// The Automerge actor (device) that made it.
    pub actor: ActorId,
    /// When, in unix seconds, as the author's stamp said.
    pub time: i64,
    /// What it did, e.g. "added card “Buy rice” to To do"; absent for changes made outside
    /// the typed operations.
    pub message: Option<String>,
}

/// The root fields every document has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) kind: Kind,
    pub(crate) title: String,
    pub(crate) created_at: i64,
    pub(crate) created_by: String,
}

/// Reads and checks the root fields. The schema version is checked before the kind, because
/// a document from a newer version may well have a kind this version does not know.
pub(crate) fn read_header(root: &Node<'_>) -> Result<Header, SchemaError> {
    let version = root.uint(SCHEMA)?;
    if version > SCHEMA_VERSION {
        return Err(root.error(
            SCHEMA,
            format!(
                "version {version} is newer than this version of Mutual understands \
                 ({SCHEMA_VERSION}); update Mutual to open it"
            ),
        ));
    }
    if version == 0 {
        return Err(root.error(SCHEMA, "version 0 does not exist"));
    }
    Ok(Header {
        kind: root.word(KIND, "document kind")?,
        title: root.string(TITLE)?,
        created_at: root.int(CREATED_AT)?,
        created_by: root.author(CREATED_BY)?,
    })
}

impl Document {
    /// A new document of `kind` with its empty collections, made in one commit by `actor`.
    pub fn create(
        kind: Kind,
        title: &str,
        actor: ActorId,
        stamp: &Stamp,
    ) -> Result<Document, Error> {
        input::stamp(stamp)?;
        let title = input::required("title", title)?;
        let mut doc = AutoCommit::new().with_actor(actor);
        let root = automerge::ROOT;
        doc.put(&root, KIND, kind.as_str())?;
        doc.put(&root, SCHEMA, SCHEMA_VERSION)?;
        doc.put(&root, TITLE, title)?;
        doc.put(&root, CREATED_AT, stamp.time)?;
        doc.put(&root, CREATED_BY, stamp.member.as_str())?;
        match kind {
            Kind::Assembly => assembly::init(&mut doc)?,
            Kind::Board => board::init(&mut doc)?,
            Kind::Resources => resources::init(&mut doc)?,
            Kind::Index => index::init(&mut doc)?,
        }
        let what = if kind == Kind::Index {
            "group index"
        } else {
            kind.as_str()
        };
        doc.commit_with(
            CommitOptions::default()
                .with_message(format!("created {what} “{}”", input::short(title)))
                .with_time(stamp.time),
        );
        Ok(Document {
            doc,
            kind,
            authors: None,
        })
    }

    /// Loads a saved document (a full save, optionally followed by incremental saves, all
    /// concatenated) as `actor`, and checks it against the schema.
    pub fn load(bytes: &[u8], actor: ActorId) -> Result<Document, Error> {
        let mut doc = AutoCommit::load(bytes).map_err(|e| Error::Load(Box::new(e)))?;
        doc.set_actor(actor);
        Document::from_automerge(doc)
    }

    /// Wraps an Automerge document after checking it against the schema.
    pub fn from_automerge(doc: AutoCommit) -> Result<Document, Error> {
        let header = read_header(&Node::root(&doc))?;
        let document = Document {
            doc,
            kind: header.kind,
            authors: None,
        };
        document.view()?;
        Ok(document)
    }

    /// What the document is.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The document's title (for the group index: the group's name).
    pub fn title(&self) -> Result<String, Error> {
        Ok(Node::root(&self.doc).string(TITLE)?)
    }

    /// Renames the document.
    pub fn set_title(&mut self, stamp: &Stamp, title: &str) -> Result<(), Error> {
        let title = input::required("title", title)?;
        let kind = self.kind;
        self.transact(kind, stamp, |tx| {
            tx.put(automerge::ROOT, TITLE, title)?;
            Ok((
                (),
                format!("renamed the {kind} to “{}”", input::short(title)),
            ))
        })
    }

    /// Runs `edit` on the version of this document a person saw (`based_on`, its heads)
    /// and merges the result into the latest: a text edited on a screen that was behind
    /// keeps what others wrote meanwhile, character by character, instead of the stale
    /// draft overwriting it. Without `based_on`, or when nothing arrived since, `edit` runs
    /// on the latest version.
    ///
    /// The fork is made at `based_on` plus this device's own newest change if it is not
    /// among them, so this device's changes stay one chain (its tip signatures vouch for
    /// every earlier change: see `mutual-sync`'s `tips`).
    pub fn at_version<R>(
        &mut self,
        based_on: Option<&[ChangeHash]>,
        edit: impl FnOnce(&mut Document) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let Some(based_on) = based_on else {
            return edit(self);
        };
        let mut heads = self.doc.get_heads();
        heads.sort();
        let mut seen = based_on.to_vec();
        seen.sort();
        seen.dedup();
        if seen == heads {
            return edit(self);
        }
        if let Some(missing) = seen
            .iter()
            .find(|h| self.doc.get_change_meta_by_hash(h).is_none())
        {
            return Err(Error::UnknownVersion(missing.to_string()));
        }
        let actor = self.doc.get_actor().clone();
        let own_newest = self
            .doc
            .get_changes_meta(&seen)
            .iter()
            .filter(|meta| *meta.actor == actor)
            .max_by_key(|meta| meta.seq)
            .map(|meta| meta.hash);
        seen.extend(own_newest);
        let mut fork = Document {
            doc: self.doc.fork_at(&seen)?,
            kind: self.kind,
            authors: self.authors.clone(),
        };
        fork.doc.set_actor(actor);
        let result = edit(&mut fork)?;
        self.doc.merge(&mut fork.doc)?;
        Ok(result)
    }

    /// Lends a document held elsewhere (the sync engine holds the one copy) to `edit` as a
    /// typed document, after checking its header, and gives it back: typed operations on
    /// it, with no copy made.
    pub fn edit_in_place<R>(
        am: &mut AutoCommit,
        edit: impl FnOnce(&mut Document) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let kind = read_header(&Node::root(am))?.kind;
        // The placeholder left in `am` for the moment is never read.
        let mut document = Document {
            doc: std::mem::take(am),
            kind,
            authors: None,
        };
        let result = edit(&mut document);
        *am = document.doc;
        result
    }

    /// The read model of a document held elsewhere, checking it against the schema.
    pub fn view_of(am: &AutoCommit) -> Result<View, Error> {
        Document::view_by(am, None)
    }

    /// The read model of a document held elsewhere, with facts about members judged by
    /// who signed them when `authors` is given.
    pub fn view_by(am: &AutoCommit, authors: Option<&Authors>) -> Result<View, Error> {
        let root = Node::root_by(am, authors);
        let header = read_header(&root)?;
        read_view(&root, header, authors)
    }

    /// From now on, facts about members in this document are judged by who signed them.
    pub fn set_authors(&mut self, authors: Authors) {
        self.authors = Some(authors);
    }

    /// The member this device writes as, if the document knows who signs what.
    pub(crate) fn writer(&self) -> Option<String> {
        let authors = self.authors.as_ref()?;
        authors.member_of(self.doc.get_actor()).map(str::to_owned)
    }

    /// The kind a document held elsewhere says it is.
    pub fn kind_of(am: &AutoCommit) -> Result<Kind, Error> {
        Ok(read_header(&Node::root(am))?.kind)
    }

    /// The underlying Automerge document.
    pub fn automerge(&self) -> &AutoCommit {
        &self.doc
    }

    /// The underlying Automerge document, for saving, merging and syncing. Changes merged in
    /// this way are checked again by [`Document::view`].
    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// Gives back the Automerge document.
    pub fn into_automerge(self) -> AutoCommit {
        self.doc
    }

    /// The read model of the whole document, checking it against the schema on the way.
    pub fn view(&self) -> Result<View, Error> {
        let root = Node::root_by(&self.doc, self.authors.as_ref());
        let header = read_header(&root)?;
        if header.kind != self.kind {
            // Only possible if someone merged in an unrelated document.
            return Err(SchemaError::new(
                KIND,
                format!("changed from {} to {}", self.kind, header.kind),
            )
            .into());
        }
        read_view(&root, header, self.authors.as_ref())
    }

    /// Every change so far, oldest first (in causal order).
    pub fn history(&mut self) -> Vec<HistoryEntry> {
        Document::history_of(&mut self.doc)
    }

    /// Every change of a document held elsewhere, oldest first (in causal order).
    pub fn history_of(am: &mut AutoCommit) -> Vec<HistoryEntry> {
        // Metadata only: decoding every change's operations would cost far more.
        am.get_changes_meta(&[])
            .into_iter()
            .map(|c| HistoryEntry {
                hash: c.hash.to_string(),
                actor: c.actor.into_owned(),
                time: c.timestamp,
                message: c.message.map(|m| m.into_owned()),
            })
            .collect()
    }

    /// Runs one typed operation: checks the kind and the stamp, lets `op` read and write, and
    /// commits once with the message `op` returns. If `op` fails, its writes are rolled back.
    pub(crate) fn transact<R>(
        &mut self,
        kind: Kind,
        stamp: &Stamp,
        op: impl FnOnce(&mut AutoCommit) -> Result<(R, String), Error>,
    ) -> Result<R, Error> {
        if self.kind != kind {
            return Err(Error::WrongKind {
                expected: kind,
                found: self.kind,
            });
        }
        input::stamp(stamp)?;
        // Ops the caller left pending through `automerge_mut` get their own change, so a
        // failed operation's rollback cannot take them along.
        if self.doc.pending_ops() > 0 {
            self.doc.commit();
        }
        match op(&mut self.doc) {
            Ok((result, message)) => {
                let options = || {
                    CommitOptions::default()
                        .with_message(message.clone())
                        .with_time(stamp.time)
                };
                if self.doc.commit_with(options()).is_none() {
                    // Nothing changed, but the operation still gets its entry in the history.
                    self.doc.empty_change(options());
                }
                Ok(result)
            }
            Err(e) => {
                self.doc.rollback();
                Err(e)
            }
        }
    }
}

fn read_view(root: &Node<'_>, header: Header, authors: Option<&Authors>) -> Result<View, Error> {
    Ok(match header.kind {
        Kind::Assembly => View::Assembly(assembly::read(root, header, authors)?),
        Kind::Board => View::Board(board::read(root, header)?),
        Kind::Resources => View::Resources(resources::read(root, header)?),
        Kind::Index => View::Index(index::read(root, header)?),
    })
}

/// Puts a new text object holding `content` at `key`.
pub(crate) fn put_text(
    tx: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    content: &str,
) -> Result<ObjId, Error> {
    let text = tx.put_object(obj, key, ObjType::Text)?;
    if !content.is_empty() {
        tx.splice_text(&text, 0, 0, content)?;
    }
    Ok(text)
}

/// Puts `value` at `key`, or removes the key for `None`.
pub(crate) fn put_opt_str(
    tx: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    value: Option<&str>,
) -> Result<(), Error> {
    match value {
        Some(v) => tx.put(obj, key, v)?,
        None => {
            if tx.get(obj, key)?.is_some() {
                tx.delete(obj, key)?;
            }
        }
    }
    Ok(())
}

/// A member of an ordered collection, as needed to place another member among them.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub(crate) id: String,
    pub(crate) obj: ObjId,
    pub(crate) rank: String,
}

/// Sorts slots into display order: by rank, ties broken by id.
pub(crate) fn sort_slots(slots: &mut [Slot]) {
    slots.sort_by(|a, b| (&a.rank, &a.id).cmp(&(&b.rank, &b.id)));
}

/// Finds the rank for an item going to `position` among `others` (in display order, the
/// item itself excluded), re-ranking tied neighbours in the same transaction if needed.
pub(crate) fn place(
    tx: &mut AutoCommit,
    others: &[Slot],
    position: usize,
    path: &str,
) -> Result<String, Error> {
    let ranks: Vec<&str> = others.iter().map(|s| s.rank.as_str()).collect();
    let placement = rank::place(&ranks, position)
        .ok_or_else(|| SchemaError::new(path, "the ranks of its entries are not in order"))?;
    for (i, new_rank) in placement.renumber {
        if let Some(slot) = others.get(i) {
            tx.put(&slot.obj, "rank", new_rank)?;
        }
    }
    Ok(placement.rank)
}

/// Key of the soft-delete flag on deletable entries.
pub(crate) const DELETED: &str = "deleted";
/// Key of the fractional rank on ordered entries.
pub(crate) const RANK: &str = "rank";

/// The entry of `collection` that `query` names (exact id or unique id prefix).
pub(crate) fn find<'a>(
    collection: &Node<'a>,
    what: &'static str,
    query: &str,
) -> Result<(String, Node<'a>), Error> {
    let id = resolve(what, collection.keys(), query)?;
    let node = collection.map(&id)?;
    Ok((id, node))
}

/// Like [`find`], refusing an entry whose `deleted` flag is set.
pub(crate) fn find_live<'a>(
    collection: &Node<'a>,
    what: &'static str,
    query: &str,
) -> Result<(String, Node<'a>), Error> {
    let (id, node) = find(collection, what, query)?;
    if node.boolean(DELETED)? {
        return Err(Error::Deleted { what, id });
    }
    Ok((id, node))
}

/// The entries of a ranked `collection` that `keep` accepts, in order.
pub(crate) fn slots(
    collection: &Node<'_>,
    mut keep: impl FnMut(&str, &Node<'_>) -> Result<bool, SchemaError>,
) -> Result<Vec<Slot>, Error> {
    let mut slots = Vec::new();
    for (id, node) in collection.children()? {
        // An entry that does not read is set aside by the read model: it takes no slot.
        let (Ok(true), Ok(rank)) = (keep(&id, &node), node.rank(RANK)) else {
            continue;
        };
        slots.push(Slot {
            rank,
            obj: node.id.clone(),
            id,
        });
    }
    sort_slots(&mut slots);
    Ok(slots)
}

/// The live (not deleted) entries of a ranked `collection` other than `except`, in order.
pub(crate) fn live_slots(collection: &Node<'_>, except: Option<&str>) -> Result<Vec<Slot>, Error> {
    live_slots_where(collection, except, |_| Ok(true))
}

/// Like [`live_slots`], keeping only the entries `keep` accepts.
pub(crate) fn live_slots_where(
    collection: &Node<'_>,
    except: Option<&str>,
    mut keep: impl FnMut(&Node<'_>) -> Result<bool, SchemaError>,
) -> Result<Vec<Slot>, Error> {
    slots(collection, |id, node| {
        Ok(Some(id) != except && !node.boolean(DELETED)? && keep(node)?)
    })
}

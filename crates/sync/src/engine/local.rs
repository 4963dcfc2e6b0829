//! What this device does itself: edits of the documents the engine holds (the one copy), new
//! documents and groups, and ops it authors. Each returns the outputs to perform: what to
//! persist first, then what to send to the members connected.

use automerge::AutoCommit;
use automerge::transaction::Transactable as _;
use mutual_auth::{Action, GroupId, Log, Rejected, SignedOp};
use mutual_docs::{DocId, Kind};

use super::replicas::{Doc, Group, read_kind};
use super::{Engine, MAX_DOCS_PER_GROUP, Refusal};
use crate::output::{Event, Output};

/// Why a local change could not be made: a bug or a race in the driver (or the person
/// asked for something gone), never a peer's doing. Nothing changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LocalRefusal {
    /// The group is not held here.
    #[error("group {} is not held on this device", .0.fmt_short())]
    UnknownGroup(GroupId),
    /// The document is not held here.
    #[error("document {0} is not held on this device")]
    UnknownDoc(DocId),
    /// A document with this id exists already.
    #[error("document {0} exists already")]
    DocExists(DocId),
    /// The group holds [`MAX_DOCS_PER_GROUP`] documents.
    #[error("a group holds at most {MAX_DOCS_PER_GROUP} documents")]
    DocLimit,
    /// A new document's root does not say what it is.
    #[error("the new document has no kind")]
    NoKind,
    /// The group's log refused an op this device authored.
    #[error(transparent)]
    Op(#[from] Rejected),
    /// Ops handed over as this device's were refused.
    #[error(transparent)]
    Refused(#[from] Refusal),
}

impl Engine {
    /// Runs `edit` on the engine's copy of a document (the only one), then persists and
    /// pushes what it changed: returns `edit`'s result and the outputs. `edit` makes its
    /// changes as whole commits (the typed operations of `mutual-docs` do); whatever it
    /// leaves pending is committed. If it fails, the document is as it was before (even
    /// if some of its commits went through) and nothing is output.
    #[allow(clippy::type_complexity)]
    pub fn edit<R, E>(
        &mut self,
        doc: &DocId,
        edit: impl FnOnce(&mut AutoCommit) -> Result<R, E>,
    ) -> Result<Result<(R, Vec<Output>), E>, LocalRefusal> {
        let held = self
            .replicas
            .doc_mut(doc)
            .ok_or(LocalRefusal::UnknownDoc(*doc))?;
        let group = held.group;
        let before = held.heads.clone();
        let result = edit(&mut held.am);
        if held.am.pending_ops() > 0 {
            held.am.commit();
        }
        held.refresh_heads();
        let result = match result {
            Ok(result) => result,
            Err(e) => {
                if held.heads != before {
                    // Rare (an edit that failed after some of its commits): back to the
                    // version it started from, which holds nothing else (the edit alone
                    // changed the document meanwhile).
                    if let Ok(mut restored) = held.am.fork_at(&before) {
                        restored.set_actor(self.actor.clone());
                        held.am = restored;
                        held.refresh_heads();
                    }
                }
                return Ok(Err(e));
            }
        };
        let mut out = Vec::new();
        if held.heads != before {
            self.replicas.persist(*doc, None, &mut out);
            out.push(Output::Event(Event::DocChanged { group, doc: *doc }));
            self.push(group, *doc, None, &mut out);
        }
        Ok(Ok((result, out)))
    }

    /// Reads a document that Automerge only reads through `&mut` (change metadata);
    /// nothing changes.
    pub fn read<R>(
        &mut self,
        doc: &DocId,
        read: impl FnOnce(&mut AutoCommit) -> R,
    ) -> Result<R, LocalRefusal> {
        let held = self
            .replicas
            .doc_mut(doc)
            .ok_or(LocalRefusal::UnknownDoc(*doc))?;
        Ok(read(&mut held.am))
    }

    /// Adds a document this device made, persists it and offers it to the members
    /// connected.
    pub fn create_doc(
        &mut self,
        group: GroupId,
        doc: DocId,
        mut automerge: AutoCommit,
    ) -> Result<Vec<Output>, LocalRefusal> {
        let kind = read_kind(&automerge).ok_or(LocalRefusal::NoKind)?;
        if self.replicas.docs.contains_key(&doc) {
            return Err(LocalRefusal::DocExists(doc));
        }
        let held = self
            .replicas
            .group_mut(&group)
            .ok_or(LocalRefusal::UnknownGroup(group))?;
        if held.docs.len() >= MAX_DOCS_PER_GROUP {
            return Err(LocalRefusal::DocLimit);
        }
        held.docs.insert(doc);
        if kind == Kind::Index && held.index.is_none() {
            held.index = Some(doc);
        }
        automerge.set_actor(self.actor.clone());
        self.replicas
            .docs
            .insert(doc, Doc::new(group, automerge, false));
        let mut out = Vec::new();
        self.replicas.persist(doc, None, &mut out);
        self.push(group, doc, None, &mut out);
        Ok(out)
    }

    /// Adds a group this device founded, with its index document: persists both.
    pub fn create_group(
        &mut self,
        log: Log,
        index: DocId,
        automerge: AutoCommit,
    ) -> Result<Vec<Output>, LocalRefusal> {
        let id = log.group_id();
        let ops: Vec<SignedOp> = log.ops().into_iter().cloned().collect();
        self.replicas
            .groups
            .insert(id, Group::new(log, Some(index), &self.me));
        let mut out = vec![Output::PersistOps { group: id, ops }];
        out.extend(self.create_doc(id, index, automerge)?);
        Ok(out)
    }

    /// Authors an op on this device for `group` (parents: the log's heads), persists it and
    /// sends it to the members connected; returns it with the outputs.
    pub fn author(
        &mut self,
        group: GroupId,
        action: Action,
        now_ms: u64,
    ) -> Result<(SignedOp, Vec<Output>), LocalRefusal> {
        let held = self
            .replicas
            .group_mut(&group)
            .ok_or(LocalRefusal::UnknownGroup(group))?;
        let op = held.log.author(&self.key, action, now_ms)?;
        let mut out = vec![Output::PersistOps {
            group,
            ops: vec![op.clone()],
        }];
        self.log_changed(group, std::slice::from_ref(&op), None, &mut out);
        Ok((op, out))
    }
}

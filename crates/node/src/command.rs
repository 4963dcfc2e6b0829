//! [`Command`] and [`Reply`]: what a person can ask of a node, as data. The command line
//! builds a `Command` from its arguments and runs it on the node it opened, or sends it to
//! the node that holds the data directory (`mutual serve`, or the app) through the control
//! socket; either way [`Node::execute`] runs it. The node knows nothing of argv.
//!
//! Names are resolved here, where the group is known: groups and documents by any unique
//! prefix of their id, members by name, id prefix or `me` (in a document operation too:
//! [`mutual_docs::DocOp::members_mut`]).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use mutual_auth::{InvitePolicy, Role};
use mutual_docs::{Applied, DocOp, Kind};
use serde::{Deserialize, Serialize};

use crate::view::{
    AdditionView, DeviceView, DocSummary, DocView, GroupSummary, GroupView, HistoryEntry,
    InviteView, WhoAmI,
};
use crate::{Error, Node};

/// One thing a person asks of their node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Creates this device's identity.
    Init {
        /// The person's name.
        name: String,
    },
    /// Who this device is.
    Whoami,
    /// Renames this person, on this device and in every group.
    SetName {
        /// The new name.
        name: String,
    },
    /// Founds a group.
    CreateGroup {
        /// Its name.
        name: String,
    },
    /// This device's groups.
    Groups,
    /// One group, whole.
    Group {
        /// The group.
        group: String,
    },
    /// Renames a group.
    RenameGroup {
        /// The group.
        group: String,
        /// Its new name.
        name: String,
    },
    /// The additions of this device to groups it does not hold, waiting for an answer.
    PendingAdditions,
    /// Accepts being added to a group (by its name or an id prefix).
    AcceptAddition {
        /// The group.
        group: String,
    },
    /// Ignores being added to a group (by its name or an id prefix).
    IgnoreAddition {
        /// The group.
        group: String,
    },
    /// Admits a device by its peer id (admins).
    AddDevice {
        /// The group.
        group: String,
        /// The device's peer id.
        peer_id: String,
        /// The role it gets.
        role: Role,
        /// The name the group sees.
        name: String,
    },
    /// Removes a member (admins).
    RemoveMember {
        /// The group.
        group: String,
        /// The member.
        member: String,
    },
    /// Changes a member's role (admins).
    SetRole {
        /// The group.
        group: String,
        /// The member.
        member: String,
        /// The role.
        role: Role,
    },
    /// Votes for a member as an admin (electors).
    VoteAdmin {
        /// The group.
        group: String,
        /// The member.
        member: String,
    },
    /// Leaves a group.
    Leave {
        /// The group.
        group: String,
    },
    /// Sets who may invite (admins).
    InvitePolicy {
        /// The group.
        group: String,
        /// Who.
        policy: InvitePolicy,
    },
    /// Writes a group's export into a directory (an absolute path).
    ExportGroup {
        /// The group.
        group: String,
        /// The directory.
        to: PathBuf,
    },
    /// Creates a document.
    CreateDoc {
        /// The group.
        group: String,
        /// What kind.
        kind: Kind,
        /// Its title.
        title: String,
    },
    /// A group's documents.
    Docs {
        /// The group.
        group: String,
        /// Archived ones too.
        all: bool,
    },
    /// One document, whole, with the names of the group's members.
    Doc {
        /// The document.
        doc: String,
    },
    /// Renames a document.
    RenameDoc {
        /// The document.
        doc: String,
        /// Its new title.
        title: String,
    },
    /// Archives or unarchives a document.
    ArchiveDoc {
        /// The document.
        doc: String,
        /// Archived or not.
        archived: bool,
    },
    /// Who changed what in a document.
    History {
        /// The document.
        doc: String,
    },
    /// One typed change to a document.
    Edit {
        /// The document.
        doc: String,
        /// The change.
        op: DocOp,
    },
    /// Makes a document (or one item of it) as it was right after some changes.
    RestoreDoc {
        /// The document.
        doc: String,
        /// The changes (full hashes or unique prefixes, from its history).
        versions: Vec<String>,
        /// Only this item (a card, an agenda item...), by its id.
        item: Option<String>,
    },
    /// Turns an assembly's action item into a card on a board.
    ActionToCard {
        /// The assembly.
        doc: String,
        /// The action item.
        action: String,
        /// The board.
        board: String,
        /// The board's column.
        column: String,
    },
    /// Creates an invite.
    CreateInvite {
        /// The group.
        group: String,
        /// The role it grants.
        role: Role,
        /// How many may use it.
        uses: u32,
        /// How long it is valid, in seconds.
        valid_for_secs: u64,
    },
    /// A group's invites.
    Invites {
        /// The group.
        group: String,
    },
    /// Revokes an invite.
    RevokeInvite {
        /// The group.
        group: String,
        /// The invite.
        invite: String,
    },
    /// Makes a code that links another device to this person.
    CreateLink,
    /// This person's devices.
    Devices,
    /// Unlinks one of this person's devices.
    UnlinkDevice {
        /// The device's peer id (a unique prefix).
        device: String,
    },
    /// Writes a backup of this device to a new file (an absolute path), encrypted.
    Backup {
        /// The file.
        file: PathBuf,
        /// The passphrase that will open it.
        passphrase: String,
    },
    /// SQLite's integrity check of the data directory.
    Integrity,
}

/// What a [`Command`] produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// The change is made.
    Done,
    /// Something was created: its id.
    Created {
        /// The id.
        id: String,
    },
    /// A document operation was applied.
    Applied {
        /// What it produced.
        applied: Applied,
    },
    /// Who this device is.
    WhoAmI(WhoAmI),
    /// Renamed in these groups.
    Renamed {
        /// How many groups.
        groups: usize,
    },
    /// Groups.
    Groups {
        /// The groups.
        groups: Vec<GroupSummary>,
    },
    /// A group.
    Group(GroupView),
    /// A vote for an admin was cast.
    Voted(crate::view::Voted),
    /// A member was removed.
    Removed {
        /// Their name.
        name: String,
    },
    /// Documents.
    Docs {
        /// The documents.
        docs: Vec<DocSummary>,
    },
    /// A document and the names of its group's members, by member id.
    Doc {
        /// The document.
        view: Box<DocView>,
        /// Member names.
        names: BTreeMap<String, String>,
    },
    /// A document's history.
    History {
        /// The changes.
        entries: Vec<HistoryEntry>,
    },
    /// Files written.
    Files {
        /// Their paths.
        files: Vec<PathBuf>,
    },
    /// An invite just created.
    Invite {
        /// The group it opens.
        group: String,
        /// Its id.
        id: String,
        /// Its full code.
        code: String,
        /// Its meetup code.
        meetup_code: String,
        /// Unix ms from which it is refused.
        expires_at: i64,
    },
    /// Invites.
    Invites {
        /// The invites.
        invites: Vec<InviteView>,
    },
    /// Additions waiting for an answer.
    Additions {
        /// The additions.
        additions: Vec<AdditionView>,
    },
    /// The addition just answered.
    Addition {
        /// The addition.
        addition: AdditionView,
    },
    /// A link code just created.
    Link {
        /// The code (it carries the member key).
        code: String,
        /// The groups the new device will be linked in.
        groups: Vec<String>,
        /// Unix ms from which it is refused.
        expires_at: i64,
    },
    /// This person's devices.
    Devices {
        /// The devices.
        devices: Vec<DeviceView>,
    },
    /// A device unlinked in this many groups.
    Unlinked {
        /// How many groups.
        groups: usize,
    },
    /// The integrity check's verdict.
    Integrity {
        /// Whether SQLite says "ok".
        ok: bool,
    },
}

/// A failed [`Command`], as it crosses the control socket: the error's kind and its one
/// sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    /// Which kind of error.
    pub kind: crate::ErrorKind,
    /// One sentence for a person.
    pub message: String,
}

impl From<&Error> for Failure {
    fn from(error: &Error) -> Failure {
        Failure {
            kind: error.kind(),
            message: error.to_string(),
        }
    }
}

impl Node {
    /// Runs one command and returns what it produced. Nothing is reported done before it
    /// is durable.
    pub fn execute(&mut self, command: Command) -> Result<Reply, Error> {
        use Command as C;
        Ok(match command {
            C::Init { name } => Reply::WhoAmI(self.init(&name)?),
            C::Whoami => Reply::WhoAmI(self.whoami()?),
            C::SetName { name } => Reply::Renamed {
                groups: self.rename_me(&name)?.len(),
            },
            C::CreateGroup { name } => created(self.create_group(&name)?),
            C::Groups => Reply::Groups {
                groups: self.groups()?,
            },
            C::Group { group } => {
                let group = self.resolve_group(&group)?;
                Reply::Group(self.group(&group)?)
            }
            C::RenameGroup { group, name } => {
                let group = self.resolve_group(&group)?;
                self.rename_group(&group, &name)?;
                Reply::Done
            }
            C::AddDevice {
                group,
                peer_id,
                role,
                name,
            } => {
                let group = self.resolve_group(&group)?;
                created(self.add_device(&group, &peer_id, role, &name)?)
            }
            C::RemoveMember { group, member } => {
                let group = self.resolve_group(&group)?;
                let id = self.resolve_member(&group, &member)?;
                let name = self
                    .log(&group)?
                    .state()
                    .member(&id)
                    .map_or_else(|| member.clone(), |m| m.name.clone());
                self.remove_member(&group, &member)?;
                Reply::Removed { name }
            }
            C::SetRole {
                group,
                member,
                role,
            } => {
                let group = self.resolve_group(&group)?;
                self.set_role(&group, &member, role)?;
                Reply::Done
            }
            C::VoteAdmin { group, member } => {
                let group = self.resolve_group(&group)?;
                Reply::Voted(self.vote_admin(&group, &member)?)
            }
            C::Leave { group } => {
                let group = self.resolve_group(&group)?;
                self.leave(&group)?;
                Reply::Done
            }
            C::PendingAdditions => Reply::Additions {
                additions: self.pending_additions()?,
            },
            C::AcceptAddition { group } => Reply::Addition {
                addition: self.accept_addition(&group)?,
            },
            C::IgnoreAddition { group } => Reply::Addition {
                addition: self.ignore_addition(&group)?,
            },
            C::InvitePolicy { group, policy } => {
                let group = self.resolve_group(&group)?;
                self.set_invite_policy(&group, policy)?;
                Reply::Done
            }
            C::ExportGroup { group, to } => {
                let group = self.resolve_group(&group)?;
                Reply::Files {
                    files: self.export_group_to(&group, &to)?,
                }
            }
            C::CreateDoc { group, kind, title } => {
                let group = self.resolve_group(&group)?;
                created(self.create_doc(&group, kind, &title)?)
            }
            C::Docs { group, all } => {
                let group = self.resolve_group(&group)?;
                let docs = self.docs(&group)?;
                Reply::Docs {
                    docs: docs.into_iter().filter(|d| all || !d.archived).collect(),
                }
            }
            C::Doc { doc } => {
                let doc = self.resolve_doc(&doc)?;
                let view = self.doc(&doc)?;
                let group = self.group_of(&doc)?;
                Reply::Doc {
                    view: Box::new(view),
                    names: self.member_names(&group)?,
                }
            }
            C::RenameDoc { doc, title } => {
                let doc = self.resolve_doc(&doc)?;
                self.rename_doc(&doc, &title)?;
                Reply::Done
            }
            C::ArchiveDoc { doc, archived } => {
                let doc = self.resolve_doc(&doc)?;
                self.archive_doc(&doc, archived)?;
                Reply::Done
            }
            C::History { doc } => {
                let doc = self.resolve_doc(&doc)?;
                Reply::History {
                    entries: self.history(&doc)?,
                }
            }
            C::Edit { doc, op } => {
                let doc = self.resolve_doc(&doc)?;
                Reply::Applied {
                    applied: self.apply(&doc, op)?,
                }
            }
            C::RestoreDoc {
                doc,
                versions,
                item,
            } => {
                let doc = self.resolve_doc(&doc)?;
                self.restore_doc(&doc, &versions, item.as_deref())?;
                Reply::Done
            }
            C::ActionToCard {
                doc,
                action,
                board,
                column,
            } => {
                let doc = self.resolve_doc(&doc)?;
                let board = self.resolve_doc(&board)?;
                created(self.action_to_card(&doc, &action, &board, &column)?)
            }
            C::CreateInvite {
                group,
                role,
                uses,
                valid_for_secs,
            } => {
                let group = self.resolve_group(&group)?;
                let valid_for = Duration::from_secs(valid_for_secs);
                let invite = self.create_invite(&group, role, uses, valid_for)?;
                Reply::Invite {
                    group: group.to_string(),
                    id: invite.invite.to_string(),
                    code: invite.code,
                    meetup_code: invite.meetup_code,
                    expires_at: i64::try_from(invite.expires_at).unwrap_or(i64::MAX),
                }
            }
            C::Invites { group } => {
                let group = self.resolve_group(&group)?;
                Reply::Invites {
                    invites: self.invites(&group)?,
                }
            }
            C::RevokeInvite { group, invite } => {
                let group = self.resolve_group(&group)?;
                created(self.revoke_invite(&group, &invite)?)
            }
            C::CreateLink => {
                let link = self.create_link()?;
                Reply::Link {
                    code: link.code,
                    groups: link.groups.iter().map(ToString::to_string).collect(),
                    expires_at: i64::try_from(link.expires_at).unwrap_or(i64::MAX),
                }
            }
            C::Devices => Reply::Devices {
                devices: self.devices()?,
            },
            C::UnlinkDevice { device } => Reply::Unlinked {
                groups: self.unlink_device(&device)?.len(),
            },
            C::Backup { file, passphrase } => {
                self.backup(&file, &passphrase)?;
                Reply::Done
            }
            C::Integrity => Reply::Integrity {
                ok: self.integrity_ok()?,
            },
        })
    }

    /// Applies one typed operation to a document, after resolving the members it names
    /// (by name, id prefix or `me`; an empty name means nobody).
    pub fn apply(&mut self, doc: &mutual_docs::DocId, mut op: DocOp) -> Result<Applied, Error> {
        let group = self.group_of(doc)?;
        for member in op.members_mut() {
            if !member.trim().is_empty() {
                *member = self.resolve_member(&group, member)?.to_string();
            }
        }
        self.edit(doc, op.kind(), |d, s| op.apply(d, s))
    }
}

fn created(id: impl ToString) -> Reply {
    Reply::Created { id: id.to_string() }
}

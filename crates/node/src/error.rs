//! What can go wrong when using a node; every variant reads as one sentence for a person.

/// A failed node operation. Nothing was changed when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `init` has not run in this data directory.
    #[error("this data directory has no identity yet; run `mutual init --name NAME` first")]
    NoIdentity,
    /// `init` already ran here.
    #[error("this data directory already has an identity ({name}); refusing to overwrite it")]
    AlreadyInitialized { name: String },
    /// A name that cannot be used.
    #[error("{what} must not be empty")]
    EmptyName { what: &'static str },
    /// No group has an id starting with the given text.
    #[error("no group has an id starting with “{0}”")]
    UnknownGroup(String),
    /// No document has an id starting with the given text.
    #[error("no document has an id starting with “{0}”")]
    UnknownDoc(String),
    /// Several things match an id prefix.
    #[error("“{prefix}” matches {count} {what}s; type more of the id")]
    Ambiguous {
        what: &'static str,
        prefix: String,
        count: usize,
    },
    /// No pending addition matches.
    #[error(
        "no group you were added to is called or has an id starting with “{0}” (`mutual group pending` lists them)"
    )]
    UnknownAddition(String),
    /// A group to accept that this device holds already.
    #[error("this device holds that group already")]
    AlreadyHeld,
    /// No member of the group matches.
    #[error("no member of this group is called or has an id starting with “{0}”")]
    UnknownMember(String),
    /// This device is not (or no longer) a member's device in the group.
    #[error("this device is not a member of group {group}")]
    NotAMember { group: String },
    /// This device was a member's device in the group, and is no longer (removed, unlinked,
    /// or its member left): the sentence says how.
    #[error("{message}")]
    NoLongerMember { message: String },
    /// A document of the wrong kind for the command.
    #[error("document {doc} is {}, not {}", with_article(*found), with_article(*expected))]
    WrongKind {
        doc: String,
        expected: mutual_docs::Kind,
        found: mutual_docs::Kind,
    },
    /// Two documents that must be in one group are not.
    #[error("document {doc} belongs to another group")]
    OtherGroup { doc: String },
    /// Text that is not a device's peer id.
    #[error("“{0}” is not a device's peer id (it looks like 12D3KooW…; `mutual whoami` prints it)")]
    BadPeerId(String),
    /// The group's rules refused a membership change.
    #[error("the group's rules refuse this: {0}")]
    Membership(#[from] mutual_auth::Rejected),
    /// The device to admit is already a member's device in the group.
    #[error("this device is already {name}'s, who is a member of the group")]
    AlreadyMember { name: String },
    /// An invite's number of uses out of range.
    #[error("an invite allows from 1 to {max} uses")]
    BadUses { max: u32 },
    /// No invite of the group has an id starting with the given text.
    #[error(
        "no invite of this group has an id starting with “{0}” (`mutual invite list` shows them)"
    )]
    UnknownInvite(String),
    /// No device of this person has a peer id starting with the given text.
    #[error(
        "none of your devices has a peer id starting with “{0}” (`mutual device list` shows them)"
    )]
    UnknownDevice(String),
    /// Unlinking the device in use.
    #[error("this is the device you are using; unlink it from another of your devices")]
    UnlinkThisDevice,
    /// A link code with no group to link in.
    #[error("you are in no group as yourself yet: there is nothing to link another device to")]
    NothingToLink,
    /// An export could not be written.
    #[error("cannot write {path}: {source}")]
    Export {
        /// The file or directory.
        path: std::path::PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A version of a document named by heads that are not change hashes.
    #[error("“{0}” is not a change hash (64 hex digits, as `doc show --json` lists in heads)")]
    BadHeads(String),
    /// A version of a document that this device does not hold.
    #[error("this device holds no version {0} of the document")]
    UnknownVersion(String),
    /// The engine refused a change this device made (a bug, or a document gone meanwhile).
    #[error("the change could not be made: {0}")]
    Local(mutual_sync::LocalRefusal),
    /// Stored data that no longer decodes.
    #[error("stored data is damaged: {0} cannot be read")]
    Corrupt(String),
    /// A backup without a passphrase.
    #[error("a backup is encrypted with a passphrase, and none was given")]
    NoPassphrase,
    /// The passphrase does not decrypt the backup.
    #[error("the passphrase does not open this backup; nothing was changed")]
    WrongPassphrase,
    /// A file that is not a Mutual backup.
    #[error("{} is not a Mutual backup", .0.display())]
    NotABackup(std::path::PathBuf),
    /// Reading or writing a backup file failed.
    #[error("cannot read or write the backup {}: {source}", path.display())]
    Backup {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// The store failed (disk, database, lock).
    #[error(transparent)]
    Store(#[from] mutual_store::Error),
    /// A document operation was refused.
    #[error(transparent)]
    Doc(#[from] mutual_docs::Error),
}

impl Error {
    /// The variant's name, for a program that tells errors apart (the app, a script).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::NoIdentity => ErrorKind::NoIdentity,
            Error::AlreadyInitialized { .. } => ErrorKind::AlreadyInitialized,
            Error::EmptyName { .. } => ErrorKind::EmptyName,
            Error::UnknownGroup(_) | Error::UnknownAddition(_) => ErrorKind::UnknownGroup,
            Error::UnknownDoc(_) => ErrorKind::UnknownDoc,
            Error::Ambiguous { .. } => ErrorKind::Ambiguous,
            Error::UnknownMember(_) => ErrorKind::UnknownMember,
            Error::NotAMember { .. } | Error::NoLongerMember { .. } => ErrorKind::NotAMember,
            Error::WrongKind { .. } => ErrorKind::WrongKind,
            Error::OtherGroup { .. } => ErrorKind::OtherGroup,
            Error::BadPeerId(_) => ErrorKind::BadPeerId,
            Error::Membership(_) | Error::AlreadyMember { .. } | Error::AlreadyHeld => {
                ErrorKind::Membership
            }
            Error::BadUses { .. } => ErrorKind::BadUses,
            Error::UnknownInvite(_) => ErrorKind::UnknownInvite,
            Error::UnknownDevice(_) => ErrorKind::UnknownDevice,
            Error::UnlinkThisDevice => ErrorKind::UnlinkThisDevice,
            Error::NothingToLink => ErrorKind::NothingToLink,
            Error::Export { .. } => ErrorKind::Export,
            Error::BadHeads(_) => ErrorKind::BadHeads,
            Error::UnknownVersion(_) => ErrorKind::UnknownVersion,
            Error::Local(_) => ErrorKind::Local,
            Error::Corrupt(_) => ErrorKind::Corrupt,
            Error::NoPassphrase | Error::WrongPassphrase | Error::NotABackup(_) => {
                ErrorKind::Passphrase
            }
            Error::Backup { .. } => ErrorKind::Export,
            Error::Store(mutual_store::Error::Busy { .. }) => ErrorKind::Busy,
            Error::Store(_) => ErrorKind::Store,
            Error::Doc(_) => ErrorKind::Doc,
        }
    }

    /// The engine's refusal of a local change, as the error a person reads: the group's
    /// rules refusing an op keep their own variant.
    pub(crate) fn from_local(refusal: mutual_sync::LocalRefusal) -> Error {
        match refusal {
            mutual_sync::LocalRefusal::Op(rejected) => Error::Membership(rejected),
            mutual_sync::LocalRefusal::UnknownDoc(doc) => Error::UnknownDoc(doc.to_string()),
            mutual_sync::LocalRefusal::UnknownGroup(group) => {
                Error::UnknownGroup(group.to_string())
            }
            other => Error::Local(other),
        }
    }

    /// Whether another process holds the data directory (then a running `mutual serve`
    /// may take the request through its control socket).
    pub fn is_busy(&self) -> bool {
        self.busy_holder().is_some()
    }

    /// When another process uses the data directory: that process's pid, if known.
    pub fn busy_holder(&self) -> Option<Option<u32>> {
        match self {
            Error::Store(mutual_store::Error::Busy { pid, .. }) => Some(*pid),
            _ => None,
        }
    }
}

/// "an assembly", "a board": a kind as a person would say it.
fn with_article(kind: mutual_docs::Kind) -> &'static str {
    match kind {
        mutual_docs::Kind::Assembly => "an assembly",
        mutual_docs::Kind::Board => "a board",
        mutual_docs::Kind::Resources => "a resources list",
        mutual_docs::Kind::Index => "a group index",
    }
}

/// What kind of error an [`Error`] is: one word a program branches on (the app shows
/// messages by kind; a script can tell a refusal from a broken disk).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// `init` has not run.
    NoIdentity,
    /// `init` ran already.
    AlreadyInitialized,
    /// A name or title is empty.
    EmptyName,
    /// No such group.
    UnknownGroup,
    /// No such document.
    UnknownDoc,
    /// An id prefix matches several things.
    Ambiguous,
    /// No such member.
    UnknownMember,
    /// This device is not a member of the group.
    NotAMember,
    /// A document of another kind.
    WrongKind,
    /// Two documents of different groups.
    OtherGroup,
    /// Not a peer id.
    BadPeerId,
    /// The group's rules refused a membership change.
    Membership,
    /// An invite's uses out of range.
    BadUses,
    /// No such invite.
    UnknownInvite,
    /// No such device of this person.
    UnknownDevice,
    /// Unlinking the device in use.
    UnlinkThisDevice,
    /// No group to link a device in.
    NothingToLink,
    /// An export could not be written.
    Export,
    /// A backup's passphrase is missing or wrong, or the file is no backup.
    Passphrase,
    /// Not change hashes.
    BadHeads,
    /// A version this device does not hold.
    UnknownVersion,
    /// The engine refused a local change.
    Local,
    /// Stored data is damaged.
    Corrupt,
    /// Another process holds the data directory.
    Busy,
    /// The store failed.
    Store,
    /// A document operation was refused.
    Doc,
}

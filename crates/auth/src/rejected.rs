//! [`Rejected`]: why an op was refused at insert, or why a stored op had no effect.

use crate::keys::{DeviceId, MemberId, PublicKey};
use crate::op::{GroupId, OpId};

/// Why an op was refused, or (inside `OpStatus::Ineffective`) why a stored op has no effect.
///
/// At insert every variant but [`Rejected::MissingParents`] is final: the op is not stored
/// and never will be. `MissingParents` means "ask again once these ops are in the log".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// The op's shape is wrong, whoever sent it.
    #[error("the op is malformed: {0}")]
    Malformed(#[from] Malformation),
    /// The op's signature does not verify against its author's key.
    #[error("the op's signature does not verify against its author's key")]
    BadSignature,
    /// A device certificate in the op is not signed by both the member and the device it
    /// names.
    #[error(
        "a device certificate in the op is not signed by both the member and the device it names"
    )]
    BadCertificate,
    /// The invite signature does not prove possession of the invite's secret.
    #[error("the invite signature does not prove possession of the invite's secret")]
    BadInviteSignature,
    /// The op belongs to another group.
    #[error("the op belongs to group {}, not to group {}", .found.fmt_short(), .expected.fmt_short())]
    WrongGroup {
        /// This log's group.
        expected: GroupId,
        /// The op's group (for a `Create` op: the group it would found).
        found: GroupId,
    },
    /// Some parents are not in the log yet; insert again once they are.
    #[error("{} parent op(s) of the op are not known yet", .0.len())]
    MissingParents(Vec<OpId>),
    /// The author device is not a linked device of a current member.
    #[error("device {} is not a linked device of any member", .device.fmt_short())]
    NotAMember {
        /// The author device.
        device: DeviceId,
    },
    /// Only an admin may do this.
    #[error("only an admin may do this")]
    NotAdmin,
    /// Only an elector votes for an admin.
    #[error(
        "only members an admin admitted or invited (and admins) vote for an admin: you joined with a member's invite"
    )]
    NotAnElector,
    /// The group would be left with members but no admin (with a device).
    #[error("the group would be left with no admin; make another member an admin first")]
    LastAdmin,
    /// The member acted upon is not a member of the group.
    #[error("{} is not a member of the group", .member.fmt_short())]
    TargetNotAMember {
        /// The member named by the op.
        member: MemberId,
    },
    /// The member to add is already a member.
    #[error("{} is already a member of the group", .member.fmt_short())]
    AlreadyMember {
        /// The member named by the op.
        member: MemberId,
    },
    /// The device is already linked to a member (a device belongs to at most one member).
    #[error("device {} is already linked to a member", .device.fmt_short())]
    DeviceAlreadyLinked {
        /// The device named by the op.
        device: DeviceId,
    },
    /// The device to unlink is not linked to any member.
    #[error("device {} is not linked to any member", .device.fmt_short())]
    UnknownDevice {
        /// The device named by the op.
        device: DeviceId,
    },
    /// A device can be linked directly only to its author's own member.
    #[error("a device can be linked directly only to the author's own member")]
    CertNotForAuthor,
    /// No such invite was created in this group.
    #[error("invite {} does not exist in this group", .invite.fmt_short())]
    UnknownInvite {
        /// The invite's public key.
        invite: PublicKey,
    },
    /// The invite expired before the op's time.
    #[error("invite {} has expired", .invite.fmt_short())]
    InviteExpired {
        /// The invite's public key.
        invite: PublicKey,
    },
    /// The invite has no uses left.
    #[error("invite {} has been used up", .invite.fmt_short())]
    InviteUsedUp {
        /// The invite's public key.
        invite: PublicKey,
    },
    /// The invite was revoked (explicitly, or by its creator's removal).
    #[error("invite {} has been revoked", .invite.fmt_short())]
    InviteRevoked {
        /// The invite's public key.
        invite: PublicKey,
    },
    /// The role asked for is not the role the invite grants.
    #[error("the role asked for is not the role invite {} grants", .invite.fmt_short())]
    InviteRoleMismatch {
        /// The invite's public key.
        invite: PublicKey,
    },
    /// A joining invite was used to link a device, or a link-device invite for another purpose.
    #[error("invite {} was made for another purpose", .invite.fmt_short())]
    InviteWrongPurpose {
        /// The invite's public key.
        invite: PublicKey,
    },
    /// A link-device invite can only be made for the author's own member.
    #[error("a link-device invite can only be made for the author's own member")]
    InviteForOtherMember,
    /// An invite with this key already exists.
    #[error("invite {} already exists", .invite.fmt_short())]
    DuplicateInvite {
        /// The invite's public key.
        invite: PublicKey,
    },
}

/// How an op's shape is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Malformation {
    /// The encoded op is larger than `MAX_OP_BYTES`.
    #[error("it is {size} bytes, more than the {max} allowed")]
    TooLarge {
        /// Encoded size.
        size: usize,
        /// The cap.
        max: usize,
    },
    /// Only the genesis may have no parents.
    #[error("only the genesis op may have no parents")]
    NoParents,
    /// Parents must be sorted and free of duplicates.
    #[error("its parents are not sorted and free of duplicates")]
    UnsortedParents,
    /// A genesis must be a `Create` op without group or parents.
    #[error("a genesis must be a Create op without group or parents")]
    NotAGenesis,
    /// A `Create` op can only found its own group, never join an existing one.
    #[error("a Create op can only be the genesis of its own group")]
    UnexpectedCreate,
    /// The founder's certificate is not for the device that signed the genesis.
    #[error("the founder's certificate is not for the device that signed the genesis")]
    FounderNotAuthor,
    /// A name is too long.
    #[error("a name is longer than {max} bytes")]
    NameTooLong {
        /// The limit.
        max: usize,
    },
    /// An invite must allow at least one use.
    #[error("an invite must allow at least one use")]
    NoUses,
}

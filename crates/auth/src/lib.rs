#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
//! Identity and membership for Mutual: device and member keys, and the signed membership log
//! of a group, with its invites.
//!
//! # Main types
//!
//! - [`DeviceKey`] / [`DeviceId`]: a device's ed25519 key, which is also its libp2p identity
//!   ([`PublicKey::peer_id`]). [`MemberKey`] / [`MemberId`]: a person. A [`DeviceCert`] says
//!   that a device is a member's, signed by both keys, so nobody can claim a device (whose
//!   key is public) without holding it. [`InviteKey`]: the secret of an invite code.
//! - [`SignedOp`]: one signed change to a group's membership ([`Op`], [`Action`]), named by its
//!   hash ([`OpId`]). A group is named by its genesis op's id ([`GroupId`]).
//! - [`Log`]: one group's DAG of ops; [`GroupState`]: the members, roles, devices and invites
//!   its effective ops build.
//!
//! # Invariant
//!
//! A [`Log`]'s state and op statuses are a pure function of the *set* of ops it holds: every
//! replica that holds the same ops computes the same [`GroupState`], heads and [`OpStatus`]es,
//! whatever order the ops arrived in. And an op is accepted or refused by a function of the op
//! and its ancestors alone, so every replica stores the same ops.
//!
//! # Validation at insert
//!
//! [`Log::insert`] checks, in order: shape, size and group id (at most [`op::MAX_OP_BYTES`],
//! parents sorted and distinct, names at most [`op::MAX_NAME_BYTES`]); that all parents are
//! stored (else [`Rejected::MissingParents`], the one retryable error, reported before the
//! costly checks so that a parked op is verified once); the author's signature, every device
//! certificate (both its signatures), and the invite key's signature over
//! [`join_request_message`]; and then the rules below, judged in the op's **causal past**: the
//! state resolved from its ancestors alone. An op that fails is never stored.
//!
//! The author must be a linked device of a current member. `AddMember` directly: an admin.
//! `AddDevice` (a device admitted by its key alone, as a member of its own): an admin.
//! `AddMember` via an invite: any member, if the invite exists, is not revoked, has not expired
//! at the op's claimed time, has uses left, grants the requested role and is not a link-device
//! invite; the new member must not be a member yet. `RemoveMember`: an admin, or the member
//! themselves (leaving); their invites are revoked with them. `ChangeRole`: an admin, of a
//! member. `CreateInvite`: an admin, or any member under the default policy; an admin-role
//! invite needs an admin; a link-device invite (`for_member`) must be for the author's own
//! member and is exempt from the policy. `RevokeInvite`: an admin or the invite's creator.
//! `LinkDevice` directly: from a device of the same member; via an invite: any member, with an
//! invite made for that member. A device belongs to at most one member. `UnlinkDevice`: the
//! device's member or an admin. `SetPolicy`: an admin.
//!
//! # Resolution of concurrency
//!
//! 1. Order the ops topologically (Kahn's algorithm, ties broken by the smaller [`OpId`]) and
//!    replay them from the empty state.
//! 2. An op is **effective** iff its author is authorized in its *effective causal past* (its
//!    ancestors' effective ops), it is not cancelled, and it still applies to the replay state
//!    where it lands (the member is not already there, the invite has uses left, ...).
//!    Otherwise it is ineffective, which cascades: ops by someone whose admission was
//!    cancelled have no author in their causal past. Of concurrent uses of an invite beyond its
//!    limit, the later ones in the order are ineffective.
//! 3. **Revocations** are `RemoveMember(m)`, `UnlinkDevice(d)`, `ChangeRole(m, Member)` of an
//!    admin, and `RevokeInvite(i)`. They are idempotent, and an effective one cancels every
//!    *concurrent* op (neither is an ancestor of the other) that is authored by the revoked
//!    principal, revocations included (for a demotion: only its ops that needed the admin
//!    role), or grants to it (adding or linking `m`/`d`, promoting `m`, using `i` or an invite
//!    made by `m`).
//! 4. Except a **counter-revocation**: a revocation by the revoked principal that revokes the
//!    author of the revocation at hand (removes or demotes its member, or unlinks the device
//!    that signed it) is not cancelled by it, if its author is at least as **senior** as the
//!    revocation's (`Member::seniority`: the time its admission claims, never before its
//!    admitter's, then the member id; the founder is the most senior). So of two admins
//!    removing or demoting each other at once, the more senior's revocation holds; two
//!    devices of one member unlinking each other are both unlinked; every other concurrent op
//!    of a removed member, a `RevokeInvite` included, is cancelled.
//! 5. **An admin always remains.** An op that would leave members but no admin with a device
//!    (the last admin leaving, removed, demoted, or unlinking their last device) is refused
//!    at insert and ineffective in the replay (`Rejected::LastAdmin`).
//! 6. When a revocation cancels an op that was already applied, the replay restarts from that
//!    op with the larger cancelled set. Cancellation only grows, so this ends: an op stays
//!    cancelled even if the revocation that cancelled it is cancelled later in the replay.
//!
//! Why revocations are not simply spared: the DAG knows only concurrency, and an author picks
//! an op's parents. A removed admin can sign, after her removal, a revocation whose parents
//! predate it (a *backdated* op). It is concurrent with her removal, so if revocations were
//! never cancelled she could still remove, demote or unlink anyone. Under rule 4 her removal
//! cancels it, unless it revokes whoever removed her and she is the more senior.
//!
//! That is the inherent limit: without trusted time a backdated counter-revocation cannot be
//! told from a genuine concurrent mutual removal, so seniority decides: a removed member can
//! no longer take a more senior remover down with them (the founder, and whoever admitted
//! them, are always more senior), but a senior one removed by a junior admin still can;
//! any other admin can add that person back. The flip side: an admin removed concurrently
//! with one of her own removals of someone else loses that removal.
//!
//! Known gaps, still open: an op cancelled by a backdated revocation before the removal of its
//! author cancelled it stays cancelled (rule 5), so a removed admin can still wipe out some of a
//! bystander's concurrent ops (not their membership or role); and if her remover's own
//! admission or role rests on ops after the point she backdates to, revoking whoever granted it
//! cancels that grant and, with it, her removal.
//!
//! Authority is judged in the causal past, never in the replay state, because a concurrent
//! op must not take away an author's right: that is cancellation's job, and it spares
//! counter-revocations. Inserting an op that follows every head costs one application; any
//! other insert replays the log, O(n²) in the number of ops in the worst case.

pub mod keys;
pub mod log;
pub mod op;
pub mod state;

mod base32;
mod bitset;
mod checked;
mod decode;
mod rejected;
mod resolve;
mod rules;

pub use base32::ParseError;
pub use checked::check_ahead;
pub use decode::DecodeError;
pub use keys::{
    DeviceCert, DeviceId, DeviceKey, INVITE_SECRET_LEN, InviteKey, KeyError, MemberId, MemberKey,
    PublicKey, Signature, invite_lookup, invite_secret_binds, new_invite_secret, verify_ask,
};
pub use log::{Ended, Ending, Inserted, KnownDevice, Log, OpStatus};
pub use op::{
    Action, GroupId, InvitePolicy, InviteUse, MAX_OP_BYTES, Op, OpId, Role, SignError, SignedOp,
    UnknownRole, join_request_message,
};
pub use rejected::{Malformation, Rejected};
pub use state::{GroupState, Invite, Member};

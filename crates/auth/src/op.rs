//! Membership ops: what a device can say about a group ([`Op`], [`Action`]), the signed form
//! that travels and is stored ([`SignedOp`]), and the ids that name ops and groups.
//!
//! An op names its group, its author device, its causal predecessors (`parents`, the heads of
//! the author's log when it was made) and a claimed time. The author signs a domain tag and the
//! postcard encoding of the op; the op's id is the SHA-256 of the signed op's encoding, so
//! parents pin the whole causal history.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

use crate::base32::{self, ParseError};
use crate::decode::{self, DecodeError};
use crate::keys::{DeviceCert, DeviceId, DeviceKey, MemberId, PublicKey, Signature};
use crate::rejected::Rejected;

/// Domain tag of the message a device signs to author an op.
const OP_TAG: &[u8] = b"mutual/op/v1\0";
/// Domain tag of the message an invite key signs to admit a device.
const JOIN_TAG: &[u8] = b"mutual/join-request/v1\0";

/// The largest encoded [`SignedOp`] accepted, in bytes.
pub const MAX_OP_BYTES: usize = 64 * 1024;
/// The longest group or member name accepted, in bytes of UTF-8.
pub const MAX_NAME_BYTES: usize = 256;

macro_rules! hash_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name([u8; 32]);

        impl $name {
            /// Wraps 32 bytes.
            pub fn from_bytes(bytes: [u8; 32]) -> Self {
                $name(bytes)
            }

            /// The 32 bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// The first 8 characters of the text form, for logs.
            pub fn fmt_short(&self) -> String {
                let mut text = self.to_string();
                text.truncate(8);
                text
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&base32::encode(&self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.fmt_short())
            }
        }

        impl FromStr for $name {
            type Err = ParseError;

            fn from_str(text: &str) -> Result<Self, ParseError> {
                base32::decode(text).map($name)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                base32::serialize(&self.0, serializer)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                base32::deserialize(deserializer).map($name)
            }
        }
    };
}

hash_id! {
    /// Names an op: the SHA-256 of the [`SignedOp`]'s encoding. Ordered by bytes, which breaks
    /// ties in the log's deterministic order. Text form: base32 like [`PublicKey`].
    OpId
}

hash_id! {
    /// Names a group: the [`OpId`] of its genesis (`Create`) op. Text form: base32.
    GroupId
}

impl From<OpId> for GroupId {
    fn from(id: OpId) -> GroupId {
        GroupId(id.0)
    }
}

/// What a member may do in a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// May add and remove members, change roles, invite, and set the invite policy.
    Admin,
    /// May edit documents, and invite when the group's policy allows it.
    Member,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Admin => "admin",
            Role::Member => "member",
        })
    }
}

/// A string that is not a role name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: expected \"admin\" or \"member\"")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(text: &str) -> Result<Role, UnknownRole> {
        match text {
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

/// Who may create invites that admit new members.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvitePolicy {
    /// Any member (the default).
    #[default]
    Members,
    /// Admins only.
    Admins,
}

impl fmt::Display for InvitePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InvitePolicy::Members => "members",
            InvitePolicy::Admins => "admins",
        })
    }
}

/// One change to a group's membership, as authored by a device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    /// The group; `None` only for `Create`, whose id becomes the group's.
    pub group: Option<GroupId>,
    /// The device that signs the op.
    pub author: DeviceId,
    /// Causal predecessors: sorted, without duplicates; empty only for `Create`.
    pub parents: Vec<OpId>,
    /// Unix time in milliseconds, as claimed by the author. Invite expiry is judged by it.
    pub time: u64,
    /// What the op does.
    pub action: Action,
}

/// What an op does. Variants are only ever appended: their index is the wire tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// The genesis: founds the group with one admin. `founder.device` must be the author.
    Create {
        /// The group's name.
        name: String,
        /// The founder's display name.
        founder_name: String,
        /// The founder's certificate of the authoring device.
        founder: DeviceCert,
    },
    /// Admits a person with one device: directly by an admin, or by any member on the
    /// strength of an invite whose secret the joiner proved to hold.
    AddMember {
        /// The certificate of the new member's device.
        cert: DeviceCert,
        /// The new member's display name.
        name: String,
        /// Their role; with an invite it must be the invite's role.
        role: Role,
        /// The invite used, if any.
        via: Option<InviteUse>,
    },
    /// Removes a member and all their devices: by an admin, or by the member (leaving).
    RemoveMember {
        /// Who is removed.
        member: MemberId,
    },
    /// Sets a member's role (admins only).
    ChangeRole {
        /// Whose role changes.
        member: MemberId,
        /// The new role.
        role: Role,
    },
    /// Records an invite's public key and limits.
    CreateInvite {
        /// The invite's public key; its secret goes into the invite code.
        invite: PublicKey,
        /// The role a member admitted with it gets.
        role: Role,
        /// Unix ms from which uses are refused.
        expires_at: u64,
        /// How many uses are allowed (at least 1).
        max_uses: u32,
        /// `Some(me)`: an invite to link another device of the author's own member.
        for_member: Option<MemberId>,
    },
    /// Stops an invite from being used (by an admin or its creator).
    RevokeInvite {
        /// The invite's public key.
        invite: PublicKey,
    },
    /// Adds a device to a member: directly from one of the member's devices, or by any member
    /// on the strength of a link-device invite made by that member.
    LinkDevice {
        /// The certificate binding the new device and its member.
        cert: DeviceCert,
        /// The link-device invite used, if any (its join request has an empty name).
        via: Option<InviteUse>,
    },
    /// Removes a device from its member (by that member or an admin).
    UnlinkDevice {
        /// The device.
        device: DeviceId,
    },
    /// Sets who may create invites (admins only).
    SetPolicy {
        /// The new policy.
        invites: InvitePolicy,
    },
    /// Admits a device whose key an admin knows (its peer id) as a member of its own: the
    /// member's id *is* the device's key. No certificate is needed, or possible without the
    /// device: it holds that key, so it is nobody else's identity, and it can certify further
    /// devices of its own later. Admins only.
    AddDevice {
        /// The device, which becomes a member with the same id.
        device: DeviceId,
        /// The display name the admin gives it (the person can be told to pick another).
        name: String,
        /// Its role.
        role: Role,
    },
    /// Changes the author's own display name (members name themselves; nobody renames
    /// another).
    Rename {
        /// The new name.
        name: String,
    },
    /// The author's member wants `member` to be an admin: a vote, which replaces the
    /// author's earlier one. Once the votes for one member come from more than half of the
    /// group's electors ([`crate::Member::elector`]), that member becomes an admin. This is
    /// how members recover an admin when every admin's laptop is lost.
    VoteAdmin {
        /// The member voted for.
        member: MemberId,
    },
}

impl Action {
    /// The device this action makes a member's device, if it admits one.
    pub fn admits(&self) -> Option<DeviceId> {
        match self {
            Action::Create { founder, .. } => Some(founder.device),
            Action::AddMember { cert, .. } | Action::LinkDevice { cert, .. } => Some(cert.device),
            Action::AddDevice { device, .. } => Some(*device),
            _ => None,
        }
    }
}

/// Proof that the joiner holds an invite's secret: its signature over
/// [`join_request_message`] for the admitted device's certificate and name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteUse {
    /// The invite's public key.
    pub invite: PublicKey,
    /// The invite key's signature over the join request.
    pub signature: Signature,
}

/// The message an invite key signs to admit `cert` under `name` into `group`.
pub fn join_request_message(group: &GroupId, cert: &DeviceCert, name: &str) -> Vec<u8> {
    let mut message = JOIN_TAG.to_vec();
    message.extend_from_slice(&decode::encode(&(group, cert, name)));
    message
}

/// An op with its author's signature: the unit that is stored, sent and validated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedOp {
    /// The op.
    pub op: Op,
    /// The author device's signature over a domain tag and the op's encoding.
    pub signature: Signature,
}

/// Why an op could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The key is not the op's author.
    #[error("the op's author is {} but the signing key is {}", .author.fmt_short(), .key.fmt_short())]
    AuthorMismatch {
        /// `op.author`.
        author: DeviceId,
        /// The signing key's public key.
        key: DeviceId,
    },
}

impl SignedOp {
    /// Signs `op` with `key`, which must be the op's author.
    pub fn sign(op: Op, key: &DeviceKey) -> Result<SignedOp, SignError> {
        if op.author != key.id() {
            return Err(SignError::AuthorMismatch {
                author: op.author,
                key: key.id(),
            });
        }
        Ok(SignedOp::sign_as_author(op, key))
    }

    /// Signs `op`, whose author the caller has set to `key.id()`.
    pub(crate) fn sign_as_author(op: Op, key: &DeviceKey) -> SignedOp {
        let signature = key.sign(&signing_message(&op));
        SignedOp { op, signature }
    }

    /// The op's id: SHA-256 of [`SignedOp::to_bytes`].
    pub fn id(&self) -> OpId {
        OpId(Sha256::digest(self.to_bytes()).into())
    }

    /// The binary (postcard) form.
    pub fn to_bytes(&self) -> Vec<u8> {
        decode::encode(self)
    }

    /// Parses the binary form of bytes from anywhere: at most [`MAX_OP_BYTES`], no trailing
    /// bytes, every key a valid curve point. Never panics. The signature is not checked here.
    pub fn from_bytes(bytes: &[u8]) -> Result<SignedOp, DecodeError> {
        decode::decode(bytes, MAX_OP_BYTES)
    }

    /// Checks the author's signature.
    pub fn verify_signature(&self) -> Result<(), Rejected> {
        self.op
            .author
            .verify(&signing_message(&self.op), &self.signature)
            .map_err(|_| Rejected::BadSignature)
    }
}

fn signing_message(op: &Op) -> Vec<u8> {
    let mut message = OP_TAG.to_vec();
    message.extend_from_slice(&decode::encode(op));
    message
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::keys::MemberKey;

    fn genesis() -> SignedOp {
        let alice = MemberKey::from_secret_bytes([1; 32]);
        let laptop = DeviceKey::from_secret_bytes([2; 32]);
        let op = Op {
            group: None,
            author: laptop.id(),
            parents: vec![],
            time: 1_700_000_000_000,
            action: Action::Create {
                name: "Tenants' union".into(),
                founder_name: "alice".into(),
                founder: DeviceCert::new(&alice, &laptop),
            },
        };
        SignedOp::sign(op, &laptop).unwrap()
    }

    #[test]
    fn signed_op_bytes_round_trip_and_id_is_stable() {
        let op = genesis();
        let bytes = op.to_bytes();
        let back = SignedOp::from_bytes(&bytes).unwrap();
        assert_eq!(back, op);
        assert_eq!(back.id(), op.id());
        back.verify_signature().unwrap();
    }

    #[test]
    fn sign_refuses_a_key_that_is_not_the_author() {
        let op = genesis().op;
        let mallory = DeviceKey::from_secret_bytes([9; 32]);
        assert!(matches!(
            SignedOp::sign(op, &mallory),
            Err(SignError::AuthorMismatch { .. })
        ));
    }

    #[test]
    fn truncated_trailing_and_oversized_bytes_are_errors() {
        let bytes = genesis().to_bytes();
        for len in 0..bytes.len() {
            assert!(
                SignedOp::from_bytes(&bytes[..len]).is_err(),
                "prefix of {len}"
            );
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            SignedOp::from_bytes(&long),
            Err(DecodeError::TrailingBytes { count: 1 })
        );
        let huge = vec![0u8; MAX_OP_BYTES + 1];
        assert!(matches!(
            SignedOp::from_bytes(&huge),
            Err(DecodeError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_changed_byte_breaks_decoding_or_the_signature() {
        let bytes = genesis().to_bytes();
        for i in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[i] ^= 0x01;
            if let Ok(op) = SignedOp::from_bytes(&changed) {
                assert!(op.verify_signature().is_err(), "flipped byte {i}");
            }
        }
    }

    #[test]
    fn ids_text_round_trips() {
        let id = genesis().id();
        assert_eq!(id.to_string().parse::<OpId>(), Ok(id));
        let group = GroupId::from(id);
        assert_eq!(group.to_string().parse::<GroupId>(), Ok(group));
        assert_eq!(group.to_string(), id.to_string());
        assert!("nope".parse::<GroupId>().is_err());
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{id}\""));
    }

    #[test]
    fn role_text_round_trips() {
        for role in [Role::Admin, Role::Member] {
            assert_eq!(role.to_string().parse::<Role>(), Ok(role));
            assert_eq!(serde_json::to_string(&role).unwrap(), format!("\"{role}\""));
        }
        assert!("owner".parse::<Role>().is_err());
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic_the_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = SignedOp::from_bytes(&bytes);
            let _ = DeviceCert::from_bytes(&bytes);
        }

        #[test]
        fn mutated_valid_bytes_never_panic_the_decoder(
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
            cut in any::<usize>(),
        ) {
            let mut bytes = genesis().to_bytes();
            for (at, byte) in edits {
                let at = at % bytes.len();
                bytes[at] = byte;
            }
            bytes.truncate(cut % (bytes.len() + 1));
            if let Ok(op) = SignedOp::from_bytes(&bytes) {
                let _ = op.verify_signature();
                prop_assert_eq!(SignedOp::from_bytes(&op.to_bytes()), Ok(op));
            }
        }
    }
}

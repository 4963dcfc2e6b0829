//! Keys and signatures: [`PublicKey`], [`Signature`], the secret keys [`DeviceKey`],
//! [`MemberKey`] and [`InviteKey`], and the [`DeviceCert`] by which a member and a device
//! vouch for each other.
//!
//! Everything is ed25519 (ed25519-dalek). A device key is also the device's libp2p identity:
//! the same 32-byte secret gives the same public key, `PeerId` and signatures in both crates,
//! so the peer that the transport authenticated is the device that signs ops.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::base32::{self, ParseError};
use crate::decode::{self, DecodeError};
use crate::op::{GroupId, InviteUse, join_request_message};

/// Domain tag of the message a member key signs to claim a device.
const CERT_MEMBER_TAG: &[u8] = b"mutual/device-cert/member/v2\0";
/// Domain tag of the message a device key signs to accept a member.
const CERT_DEVICE_TAG: &[u8] = b"mutual/device-cert/device/v2\0";

/// Why a key or signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The 32 bytes are not the encoding of a point on the ed25519 curve.
    #[error("the bytes are not an ed25519 public key (not a curve point)")]
    NotAPoint,
    /// The point has small order: no honest key looks like this, and it verifies forgeries.
    #[error("the public key is a weak (small-order) ed25519 point")]
    WeakKey,
    /// The signature does not verify for this key and message.
    #[error("the signature does not verify for this key and message")]
    BadSignature,
    /// The text form could not be parsed.
    #[error("not a public key: {0}")]
    Parse(#[from] ParseError),
}

/// An ed25519 public key: of a device, a member or an invite.
///
/// Invariant: the bytes are a valid, non-weak curve point (checked by every constructor).
/// Text form: 52 lowercase base32 characters. Ordered by bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey([u8; 32]);

/// A device: one installation of the app on one machine. On the network it is its `PeerId`
/// ([`PublicKey::peer_id`]); in the membership log it signs ops.
pub type DeviceId = PublicKey;

/// A member: a person, who certifies their devices with their member key.
pub type MemberId = PublicKey;

impl PublicKey {
    /// Checks that `bytes` encode a usable ed25519 public key.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<PublicKey, KeyError> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::NotAPoint)?;
        if key.is_weak() {
            return Err(KeyError::WeakKey);
        }
        Ok(PublicKey(*bytes))
    }

    /// The 32-byte compressed point.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Verifies `signature` over `message` with the strict rules (no malleable signatures).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), KeyError> {
        let key = VerifyingKey::from_bytes(&self.0).map_err(|_| KeyError::NotAPoint)?;
        let signature = ed25519_dalek::Signature::from_bytes(&signature.0);
        key.verify_strict(message, &signature)
            .map_err(|_| KeyError::BadSignature)
    }

    /// Checks a [`DeviceKey::sign_change`] signature of this device over a change hash.
    pub fn verify_change(&self, hash: &[u8; 32], signature: &Signature) -> Result<(), KeyError> {
        self.verify(&change_message(hash), signature)
    }

    /// The libp2p `PeerId` of the device with this key.
    #[cfg(feature = "peer-id")]
    #[allow(clippy::expect_used)]
    pub fn peer_id(&self) -> libp2p_identity::PeerId {
        // Cannot fail: libp2p only rejects bytes that are not a curve point, and every
        // PublicKey was checked to be one when it was made.
        let key = libp2p_identity::ed25519::PublicKey::try_from_bytes(&self.0)
            .expect("a PublicKey is always a valid ed25519 point");
        libp2p_identity::PublicKey::from(key).to_peer_id()
    }

    /// The device key behind a libp2p `PeerId`: an ed25519 peer id carries the key itself
    /// (an identity multihash of its protobuf encoding), so no lookup is needed.
    #[cfg(feature = "peer-id")]
    pub fn from_peer_id(peer: &libp2p_identity::PeerId) -> Result<PublicKey, KeyError> {
        let key = libp2p_identity::PublicKey::try_decode_protobuf(peer.as_ref().digest())
            .map_err(|_| KeyError::NotAPoint)?
            .try_into_ed25519()
            .map_err(|_| KeyError::NotAPoint)?;
        PublicKey::from_bytes(&key.to_bytes())
    }

    /// The first 8 characters of the text form, for logs.
    pub fn fmt_short(&self) -> String {
        let mut text = self.to_string();
        text.truncate(8);
        text
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&base32::encode(&self.0))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.fmt_short())
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<PublicKey, KeyError> {
        PublicKey::from_bytes(&base32::decode(text)?)
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        base32::serialize(&self.0, serializer)
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PublicKey, D::Error> {
        let bytes = base32::deserialize(deserializer)?;
        PublicKey::from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}

/// An ed25519 signature (64 bytes). Text form: 103 lowercase base32 characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature([u8; 64]);

impl Signature {
    /// Wraps 64 bytes; whether they verify is checked by [`PublicKey::verify`].
    pub fn from_bytes(bytes: [u8; 64]) -> Signature {
        Signature(bytes)
    }

    /// The 64 bytes.
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&base32::encode(&self.0))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = self.to_string();
        text.truncate(8);
        write!(f, "Signature({text})")
    }
}

impl FromStr for Signature {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Signature, ParseError> {
        base32::decode(text).map(Signature)
    }
}

impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        base32::serialize(&self.0, serializer)
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Signature, D::Error> {
        base32::deserialize(deserializer).map(Signature)
    }
}

fn generate_signing_key() -> SigningKey {
    SigningKey::generate(&mut rand::rng())
}

fn sign_with(key: &SigningKey, message: &[u8]) -> Signature {
    Signature(key.sign(message).to_bytes())
}

fn public_of(key: &SigningKey) -> PublicKey {
    PublicKey(key.verifying_key().to_bytes())
}

/// The secret key of a device. It signs the device's ops and is its libp2p identity.
///
/// `Debug` shows only the public key; the secret is zeroized on drop.
#[derive(Clone)]
pub struct DeviceKey(SigningKey);

impl DeviceKey {
    /// A fresh random key from the thread-local CSPRNG.
    pub fn generate() -> Self {
        DeviceKey(generate_signing_key())
    }

    /// The key with this 32-byte secret (as stored on disk).
    pub fn from_secret_bytes(bytes: [u8; 32]) -> Self {
        DeviceKey(SigningKey::from_bytes(&bytes))
    }

    /// The 32-byte secret, for storing on disk.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The device's public key.
    pub fn id(&self) -> DeviceId {
        public_of(&self.0)
    }

    /// The device's libp2p `PeerId`.
    #[cfg(feature = "peer-id")]
    pub fn peer_id(&self) -> libp2p_identity::PeerId {
        self.id().peer_id()
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> Signature {
        sign_with(&self.0, message)
    }

    /// Signs one of this device's Automerge changes, by its hash: what lets every peer
    /// check that a change whose actor is this device was made by it (an actor id alone is
    /// a claim anyone can write).
    pub fn sign_change(&self, hash: &[u8; 32]) -> Signature {
        sign_with(&self.0, &change_message(hash))
    }

    /// The same key as a libp2p identity, for the transport (Noise) to authenticate with.
    #[cfg(feature = "peer-id")]
    #[allow(clippy::expect_used)]
    pub fn to_libp2p_keypair(&self) -> libp2p_identity::Keypair {
        // Cannot fail: libp2p only rejects secrets that are not 32 bytes long. It zeroizes
        // the buffer it is given, which is a copy.
        libp2p_identity::Keypair::ed25519_from_bytes(self.0.to_bytes())
            .expect("a 32-byte ed25519 secret is always accepted")
    }
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceKey({})", self.id().fmt_short())
    }
}

/// The secret key of a member (a person). It only certifies the member's devices
/// ([`DeviceCert::new`]).
///
/// `Debug` shows only the public key; the secret is zeroized on drop.
#[derive(Clone)]
pub struct MemberKey(SigningKey);

impl MemberKey {
    /// A fresh random key from the thread-local CSPRNG.
    pub fn generate() -> Self {
        MemberKey(generate_signing_key())
    }

    /// The key with this 32-byte secret (as stored on disk).
    pub fn from_secret_bytes(bytes: [u8; 32]) -> Self {
        MemberKey(SigningKey::from_bytes(&bytes))
    }

    /// The 32-byte secret, for storing on disk or moving to another device.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The member's public key.
    pub fn id(&self) -> MemberId {
        public_of(&self.0)
    }
}

impl fmt::Debug for MemberKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MemberKey({})", self.id().fmt_short())
    }
}

/// The secret of an invite. Its public key is recorded by a `CreateInvite` op; the secret
/// travels in the invite code, and whoever holds it proves so by signing a join request.
///
/// `Debug` shows only the public key.
#[derive(Clone)]
pub struct InviteKey(SigningKey);

impl InviteKey {
    /// A fresh random key from the thread-local CSPRNG.
    pub fn generate() -> Self {
        InviteKey(generate_signing_key())
    }

    /// The key with this 32-byte secret (as carried in an invite code).
    pub fn from_secret_bytes(bytes: [u8; 32]) -> Self {
        InviteKey(SigningKey::from_bytes(&bytes))
    }

    /// The 32-byte secret.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The invite's public key, as named in `CreateInvite`.
    pub fn public(&self) -> PublicKey {
        public_of(&self.0)
    }

    /// The key an invite code's short secret stands for. Codes carry 12 bytes (an invite's
    /// from [`new_invite_secret`], a link's random: short enough to read aloud, far beyond
    /// guessing); the signing key is derived from them.
    pub fn from_code_secret(secret: &[u8]) -> Self {
        use sha2::{Digest as _, Sha256};
        let digest = Sha256::new()
            .chain_update(INVITE_KEY_TAG)
            .chain_update(secret)
            .finalize();
        let mut bytes = [0; 32];
        bytes.copy_from_slice(&digest);
        InviteKey::from_secret_bytes(bytes)
    }

    /// Proves to a member that the device `asker` holds this invite, without naming the
    /// invite's public key to a peer that may not know it: see [`invite_lookup`].
    pub fn ask(&self, asker: &DeviceId) -> Signature {
        sign_with(&self.0, &ask_message(asker))
    }

    /// Signs a join request binding `cert` and `name` to `group`, to be carried by the
    /// `AddMember` (or, with an empty name, `LinkDevice`) op that uses this invite.
    pub fn redeem(&self, group: &GroupId, cert: &DeviceCert, name: &str) -> InviteUse {
        InviteUse {
            invite: self.public(),
            signature: sign_with(&self.0, &join_request_message(group, cert, name)),
        }
    }
}

/// Bytes of an invite code's secret.
pub const INVITE_SECRET_LEN: usize = 12;
/// Of them, the random ones; the rest bind the secret to its group.
const INVITE_RANDOM_LEN: usize = 8;
/// Domain tag of the binding of an invite secret to its group.
const INVITE_BINDING_TAG: &[u8] = b"mutual/invite-binding/v1\0";

/// A new invite secret for `group`: 8 random bytes (64 bits: beyond guessing, online where
/// members answer a few asks a minute, or offline for the life of an invite), then 4 bytes
/// that bind them to the group. A meetup code carries the secret alone, so its newcomer
/// checks with [`invite_secret_binds`] that the group a member offers is the one the code
/// was made for: whoever knows the invite's public key (any member, or one removed since)
/// could otherwise offer a group of its own; without the secret's random bytes it can pass
/// the check only by chance, once in 2^32 groups offered.
pub fn new_invite_secret(group: &GroupId) -> [u8; INVITE_SECRET_LEN] {
    let mut secret = [0; INVITE_SECRET_LEN];
    let (random, bound) = secret.split_at_mut(INVITE_RANDOM_LEN);
    rand::fill(random);
    bound.copy_from_slice(&binding(random, group));
    secret
}

/// Whether `secret` was made by [`new_invite_secret`] for `group`.
pub fn invite_secret_binds(secret: &[u8; INVITE_SECRET_LEN], group: &GroupId) -> bool {
    let (random, bound) = secret.split_at(INVITE_RANDOM_LEN);
    binding(random, group) == bound
}

fn binding(random: &[u8], group: &GroupId) -> [u8; INVITE_SECRET_LEN - INVITE_RANDOM_LEN] {
    use sha2::{Digest as _, Sha256};
    let digest = Sha256::new()
        .chain_update(INVITE_BINDING_TAG)
        .chain_update(random)
        .chain_update(group.as_bytes())
        .finalize();
    let mut bound = [0; INVITE_SECRET_LEN - INVITE_RANDOM_LEN];
    bound.copy_from_slice(&digest[..INVITE_SECRET_LEN - INVITE_RANDOM_LEN]);
    bound
}

/// Domain tag of a device's signature over one of its Automerge changes.
const CHANGE_TAG: &[u8] = b"mutual/change/v1\0";

fn change_message(hash: &[u8; 32]) -> Vec<u8> {
    let mut message = CHANGE_TAG.to_vec();
    message.extend_from_slice(hash);
    message
}

/// Domain tag of the derivation of an invite key from a code's secret.
const INVITE_KEY_TAG: &[u8] = b"mutual/invite-key/v1\0";
/// Domain tag of the lookup of an invite by a hash of its public key.
const LOOKUP_TAG: &[u8] = b"mutual/invite-lookup/v1\0";
/// Domain tag of the message an invite key signs to ask which group it opens.
const ASK_TAG: &[u8] = b"mutual/invite-ask/v1\0";

fn ask_message(asker: &DeviceId) -> Vec<u8> {
    let mut message = ASK_TAG.to_vec();
    message.extend_from_slice(asker.as_bytes());
    message
}

/// How a joiner names an invite to peers it meets: a hash of the invite's public key. A
/// peer that is not a member learns nothing it could forge a group around (it cannot invert
/// the hash), while a member finds the invite in its logs; the joiner then checks that the
/// member names the very public key, which proves it read the invite in a real log.
pub fn invite_lookup(invite: &PublicKey) -> [u8; 16] {
    use sha2::{Digest as _, Sha256};
    let digest = Sha256::new()
        .chain_update(LOOKUP_TAG)
        .chain_update(invite.as_bytes())
        .finalize();
    let mut lookup = [0; 16];
    lookup.copy_from_slice(&digest[..16]);
    lookup
}

/// Checks an [`InviteKey::ask`] signature: that `asker` holds the secret of `invite`.
pub fn verify_ask(invite: &PublicKey, asker: &DeviceId, proof: &Signature) -> Result<(), KeyError> {
    invite.verify(&ask_message(asker), proof)
}

impl fmt::Debug for InviteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InviteKey({})", self.public().fmt_short())
    }
}

/// That `device` is one of `member`'s devices, signed by both keys: the member claims the
/// device, and the device accepts the member.
///
/// Both signatures are needed because a device's public key is public (it is its `PeerId`):
/// with the member's alone, anyone could certify someone else's device as theirs, and so
/// squat it in a group or race its owner's admission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeviceCert {
    /// The member vouching for the device.
    pub member: MemberId,
    /// The device vouching for the member.
    pub device: DeviceId,
    /// The member key's signature over a domain tag and the device key.
    pub member_signature: Signature,
    /// The device key's signature over another domain tag and the member key.
    pub device_signature: Signature,
}

/// The postcard encoding of a [`DeviceCert`]: four fixed-size fields, 192 bytes.
const CERT_BYTES: usize = 32 + 32 + 64 + 64;

impl DeviceCert {
    /// Certifies that `device` belongs to `member`, signing with both keys. Whoever makes a
    /// certificate therefore holds both secrets: the device's owner, who was given the member
    /// key (or generated it).
    pub fn new(member: &MemberKey, device: &DeviceKey) -> DeviceCert {
        let (member_id, device_id) = (member.id(), device.id());
        DeviceCert {
            member: member_id,
            device: device_id,
            member_signature: sign_with(&member.0, &member_message(&device_id)),
            device_signature: device.sign(&device_message(&member_id)),
        }
    }

    /// Checks both signatures: the member's over the device, and the device's over the
    /// member.
    pub fn verify(&self) -> Result<(), KeyError> {
        self.member
            .verify(&member_message(&self.device), &self.member_signature)?;
        self.device
            .verify(&device_message(&self.member), &self.device_signature)
    }

    /// The binary (postcard) form: member, device, member signature, device signature;
    /// 192 bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(CERT_BYTES);
        bytes.extend_from_slice(self.member.as_bytes());
        bytes.extend_from_slice(self.device.as_bytes());
        bytes.extend_from_slice(self.member_signature.as_bytes());
        bytes.extend_from_slice(self.device_signature.as_bytes());
        bytes
    }

    /// Parses the binary form. Does not check the signatures: see [`DeviceCert::verify`].
    pub fn from_bytes(bytes: &[u8]) -> Result<DeviceCert, DecodeError> {
        decode::decode(bytes, CERT_BYTES)
    }
}

/// What the member key signs: that the device is theirs.
fn member_message(device: &DeviceId) -> Vec<u8> {
    [CERT_MEMBER_TAG, device.as_bytes()].concat()
}

/// What the device key signs: that the member is its owner.
fn device_message(member: &MemberId) -> Vec<u8> {
    [CERT_DEVICE_TAG, member.as_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_signature_holds_for_its_device_and_hash_only() {
        let (alice, mallory) = (DeviceKey::generate(), DeviceKey::generate());
        let hash = [3u8; 32];
        let signature = alice.sign_change(&hash);
        assert!(alice.id().verify_change(&hash, &signature).is_ok());
        assert!(mallory.id().verify_change(&hash, &signature).is_err());
        assert!(alice.id().verify_change(&[4u8; 32], &signature).is_err());
        // Not interchangeable with a signature over the bare hash.
        assert!(alice.id().verify_change(&hash, &alice.sign(&hash)).is_err());
    }

    #[test]
    fn an_invite_secret_binds_its_group_and_no_other() {
        let group = GroupId::from_bytes([1; 32]);
        let other = GroupId::from_bytes([2; 32]);
        let secret = new_invite_secret(&group);
        assert!(invite_secret_binds(&secret, &group));
        assert!(!invite_secret_binds(&secret, &other));
        assert_ne!(secret, new_invite_secret(&group), "the secret is random");
        let mut tampered = secret;
        tampered[0] ^= 1;
        assert!(!invite_secret_binds(&tampered, &group));
    }

    #[test]
    fn a_code_secret_always_stands_for_the_same_invite_key_and_only_it() {
        let secret = [7u8; 12];
        let key = InviteKey::from_code_secret(&secret);
        assert_eq!(key.public(), InviteKey::from_code_secret(&secret).public());
        let mut other = secret;
        other[11] ^= 1;
        assert_ne!(key.public(), InviteKey::from_code_secret(&other).public());
    }

    #[test]
    fn an_ask_proves_the_invite_secret_for_one_asking_device_only() {
        let invite = InviteKey::from_code_secret(&[1; 12]);
        let (asker, thief) = (DeviceKey::generate().id(), DeviceKey::generate().id());
        let proof = invite.ask(&asker);
        assert!(verify_ask(&invite.public(), &asker, &proof).is_ok());
        // Relayed by another device, the same proof is worthless.
        assert!(verify_ask(&invite.public(), &thief, &proof).is_err());
        let other = InviteKey::from_code_secret(&[2; 12]);
        assert!(verify_ask(&other.public(), &asker, &proof).is_err());
        assert_ne!(
            invite_lookup(&invite.public()),
            invite_lookup(&other.public())
        );
    }

    #[cfg(feature = "peer-id")]
    #[test]
    fn a_peer_id_gives_back_the_device_key() {
        let alice = DeviceKey::generate();
        assert_eq!(
            PublicKey::from_peer_id(&alice.peer_id()).unwrap(),
            alice.id()
        );
        // An RSA-style peer id is a SHA-256 multihash: no key inside to recover.
        let mut hashed = vec![0x12, 0x20];
        hashed.extend_from_slice(&[7; 32]);
        let hashed = libp2p_identity::PeerId::from_bytes(&hashed).unwrap();
        assert!(PublicKey::from_peer_id(&hashed).is_err());
    }

    // The crate's dev-dependency on itself turns `peer-id` on, so this always runs in tests.
    #[cfg(feature = "peer-id")]
    #[test]
    fn device_key_is_the_same_identity_in_libp2p() {
        let alice = DeviceKey::generate();
        let keypair = libp2p_identity::Keypair::ed25519_from_bytes(alice.secret_bytes()).unwrap();
        let libp2p_public = keypair.public().try_into_ed25519().unwrap().to_bytes();
        assert_eq!(&libp2p_public, alice.id().as_bytes());
        assert_eq!(keypair.public().to_peer_id(), alice.peer_id());
        assert_eq!(alice.to_libp2p_keypair().public(), keypair.public());

        // A signature made by either verifies with the other.
        let ours = alice.sign(b"hello");
        assert!(keypair.public().verify(b"hello", ours.as_bytes()));
        let theirs: [u8; 64] = keypair.sign(b"hello").unwrap().try_into().unwrap();
        alice
            .id()
            .verify(b"hello", &Signature::from_bytes(theirs))
            .unwrap();
        assert_eq!(theirs, *ours.as_bytes(), "ed25519 signing is deterministic");
    }

    #[test]
    fn secret_bytes_round_trip_and_debug_hides_the_secret() {
        let bob = DeviceKey::generate();
        let again = DeviceKey::from_secret_bytes(bob.secret_bytes());
        assert_eq!(again.id(), bob.id());
        let shown = format!(
            "{bob:?} {:?}",
            MemberKey::from_secret_bytes(bob.secret_bytes())
        );
        assert!(!shown.contains(&base32::encode(&bob.secret_bytes())));
        assert!(!shown.contains(&format!("{:?}", bob.secret_bytes())));
        assert!(shown.contains(&bob.id().fmt_short()));
    }

    #[test]
    fn public_key_text_round_trips_and_accepts_upper_case() {
        let carol = MemberKey::generate().id();
        let text = carol.to_string();
        assert_eq!(text.len(), 52);
        assert_eq!(text, text.to_ascii_lowercase());
        assert_eq!(text.parse::<PublicKey>(), Ok(carol));
        assert_eq!(text.to_ascii_uppercase().parse::<PublicKey>(), Ok(carol));
        assert_eq!(carol.fmt_short(), text[..8]);
        assert_eq!(format!("{carol:?}"), format!("PublicKey({})", &text[..8]));
    }

    #[test]
    fn public_key_rejects_bad_text_and_non_points() {
        assert!(matches!(
            "tooshort".parse::<PublicKey>(),
            Err(KeyError::Parse(ParseError::WrongLength { .. }))
        ));
        assert!(matches!(
            "0".repeat(52).parse::<PublicKey>(),
            Err(KeyError::Parse(ParseError::Base32(_)))
        ));
        // The identity point (y = 1) is a curve point of small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(PublicKey::from_bytes(&identity), Err(KeyError::WeakKey));
        // y = 2 has no x on the curve.
        let mut not_a_point = [0u8; 32];
        not_a_point[0] = 2;
        assert_eq!(
            PublicKey::from_bytes(&not_a_point),
            Err(KeyError::NotAPoint)
        );
    }

    #[test]
    fn public_key_serde_is_text_in_json_and_raw_bytes_in_postcard() {
        let alice = DeviceKey::generate().id();
        let json = serde_json::to_string(&alice).unwrap();
        assert_eq!(json, format!("\"{alice}\""));
        let bytes = postcard::to_allocvec(&alice).unwrap();
        assert_eq!(bytes.as_slice(), alice.as_bytes());
        assert_eq!(postcard::from_bytes::<PublicKey>(&bytes).unwrap(), alice);
        assert_eq!(serde_json::from_str::<PublicKey>(&json).unwrap(), alice);
        assert!(serde_json::from_str::<PublicKey>("\"abc\"").is_err());
    }

    #[test]
    fn device_cert_verifies_both_signatures_and_round_trips() {
        let alice = MemberKey::generate();
        let laptop = DeviceKey::generate();
        let cert = DeviceCert::new(&alice, &laptop);
        assert_eq!((cert.member, cert.device), (alice.id(), laptop.id()));
        cert.verify().unwrap();
        let bytes = cert.to_bytes();
        assert_eq!(bytes.len(), CERT_BYTES);
        assert_eq!(bytes, postcard::to_allocvec(&cert).unwrap());
        assert_eq!(DeviceCert::from_bytes(&bytes), Ok(cert));
        assert!(DeviceCert::from_bytes(&bytes[..CERT_BYTES - 1]).is_err());
        let json = serde_json::to_string(&cert).unwrap();
        assert_eq!(serde_json::from_str::<DeviceCert>(&json).unwrap(), cert);
    }

    #[test]
    fn device_cert_needs_the_members_signature() {
        let alice = MemberKey::generate();
        let laptop = DeviceKey::generate();
        let cert = DeviceCert::new(&alice, &laptop);
        // Someone else's member key cannot vouch in alice's name.
        let mallory = MemberKey::generate();
        let forged = DeviceCert {
            member_signature: DeviceCert::new(&mallory, &laptop).member_signature,
            ..cert
        };
        assert_eq!(forged.verify(), Err(KeyError::BadSignature));
        // Nor can the device sign the member's part: the tags differ.
        let swapped = DeviceCert {
            member_signature: cert.device_signature,
            ..cert
        };
        assert_eq!(swapped.verify(), Err(KeyError::BadSignature));
    }

    #[test]
    fn device_cert_needs_the_devices_signature() {
        let alice = MemberKey::generate();
        let laptop = DeviceKey::generate();
        let cert = DeviceCert::new(&alice, &laptop);
        // mallory claims alice's laptop. Her member signature over it is genuine (the laptop's
        // key is public), but she has no laptop secret to sign with.
        let mallory = MemberKey::generate();
        let with_both = DeviceCert::new(&mallory, &laptop);
        with_both.verify().unwrap();
        let missing = DeviceCert {
            device_signature: Signature::from_bytes([0; 64]),
            ..with_both
        };
        assert_eq!(missing.verify(), Err(KeyError::BadSignature));
        // The laptop's signature accepting alice does not carry over to mallory...
        let replayed = DeviceCert {
            device_signature: cert.device_signature,
            ..with_both
        };
        assert_eq!(replayed.verify(), Err(KeyError::BadSignature));
        // ...and her own device's signature is no stand-in for the laptop's.
        let own = DeviceCert::new(&mallory, &DeviceKey::generate());
        let substituted = DeviceCert {
            device_signature: own.device_signature,
            ..with_both
        };
        assert_eq!(substituted.verify(), Err(KeyError::BadSignature));
    }

    #[test]
    fn signature_text_round_trips() {
        let sig = DeviceKey::generate().sign(b"x");
        assert_eq!(sig.to_string().len(), 103);
        assert_eq!(sig.to_string().parse::<Signature>(), Ok(sig));
    }
}

//! Tip signatures: proof of who made each change, with one signature per device and
//! document instead of one per change.
//!
//! A change's hash covers the hashes of the changes it depends on, so a device's signature
//! over one change vouches for that change and for everything before it. A device signs
//! only its newest change in a document (its *tip*) when it sends changes. A receiver takes
//! a batch of changes new to it only if, for every device with changes in the batch, the
//! newest of them (highest sequence number) carries that device's signature and all its
//! others are ancestors of that one, inside the batch. Then each of the device's changes
//! is one it vouched for, whoever relays them.
//!
//! Every device keeps, per document, the newest tip of each device it has applied
//! ([`Tip`], persisted through [`crate::Output::PersistTips`]). An honest device's changes
//! form one chain (each of its changes follows its previous one), so its newest change
//! descends from all the others: the one stored tip covers any batch of its changes that
//! a peer may lack. The engine refuses batches that would break that chain (see
//! `engine::vouch`), so a member cannot plant a fork that later leaves honest devices unable
//! to relay.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use automerge::{Change, ChangeHash};
use mutual_auth::{DeviceId, PublicKey, Signature};

use crate::wire::Hash;

/// A device's signature over its newest change in a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tip {
    /// The device (the change's Automerge actor).
    pub actor: DeviceId,
    /// The change's sequence number among that device's changes.
    pub seq: u64,
    /// The change's hash.
    pub hash: Hash,
    /// The device's signature over it (`DeviceKey::sign_change`).
    pub signature: Signature,
}

/// What the check needs of one change.
#[derive(Clone, Debug)]
pub(crate) struct Meta {
    pub(crate) hash: ChangeHash,
    pub(crate) actor: Vec<u8>,
    pub(crate) seq: u64,
    pub(crate) deps: Vec<ChangeHash>,
}

impl Meta {
    pub(crate) fn of_change(change: &Change) -> Meta {
        Meta {
            hash: change.hash(),
            actor: change.actor_id().to_bytes().to_vec(),
            seq: change.seq(),
            deps: change.deps().to_vec(),
        }
    }

    pub(crate) fn of_metadata(meta: &automerge::ChangeMetadata<'_>) -> Meta {
        Meta {
            hash: meta.hash,
            actor: meta.actor.to_bytes().to_vec(),
            seq: meta.seq,
            deps: meta.deps.clone(),
        }
    }
}

/// Why a batch of changes is not vouched for by the devices that made them; nothing of it
/// is applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unvouched {
    /// The change's actor is not a device the group's log knows.
    #[error("change {change} by actor {actor} who is not a device of the group")]
    Stranger {
        /// The change.
        change: ChangeHash,
        /// Its actor id, in hex.
        actor: String,
    },
    /// A device's changes in the batch skip a sequence number.
    #[error("the changes of device {} are not numbered one after another", .device.fmt_short())]
    Gap {
        /// The device.
        device: DeviceId,
    },
    /// A device's newest change in the batch carries no valid signature of that device.
    #[error("change {0} is not signed by its actor's device")]
    Unsigned(ChangeHash),
    /// A change that is not an ancestor of its device's signed newest change in the batch.
    #[error("change {0} is not vouched for by its device's signed newest change")]
    Stray(ChangeHash),
}

/// One device's part of a batch that passed [`verify`].
#[derive(Clone, Debug)]
pub(crate) struct Vouched {
    /// Its signed newest change in the batch.
    pub(crate) tip: Tip,
    /// The lowest sequence number of its changes in the batch.
    pub(crate) first_seq: u64,
    /// Dependencies reached from the tip that are not in the batch: where the batch
    /// attaches to what the receiver already holds.
    pub(crate) outside: Vec<ChangeHash>,
}

/// Checks that every change of `batch` (changes new to the receiver, each device's
/// numbered without gaps) is vouched for by its device, as the module docs say; returns
/// one [`Vouched`] per device, in actor order. `known` says whether a device is one of the
/// group's. The error names the first change that fails.
pub(crate) fn verify(
    batch: &[Meta],
    signatures: &[(Hash, Signature)],
    known: impl Fn(&DeviceId) -> bool,
) -> Result<Vec<Vouched>, Unvouched> {
    let index: HashMap<ChangeHash, usize> = batch
        .iter()
        .enumerate()
        .map(|(i, meta)| (meta.hash, i))
        .collect();
    let mut by_actor: BTreeMap<DeviceId, Vec<usize>> = BTreeMap::new();
    let mut actors = Actors::default();
    for (i, meta) in batch.iter().enumerate() {
        let actor = actors.device(&meta.actor).filter(|actor| known(actor));
        let Some(actor) = actor else {
            return Err(Unvouched::Stranger {
                change: meta.hash,
                actor: hex(&meta.actor),
            });
        };
        by_actor.entry(actor).or_default().push(i);
    }
    let mut vouched = Vec::with_capacity(by_actor.len());
    for (actor, mut changes) in by_actor {
        changes.sort_by_key(|&i| batch[i].seq);
        let (Some(&first), Some(&last)) = (changes.first(), changes.last()) else {
            continue;
        };
        let (first_seq, tip) = (batch[first].seq, &batch[last]);
        let numbered = changes
            .iter()
            .zip(first_seq..)
            .all(|(&i, seq)| batch[i].seq == seq);
        if !numbered {
            return Err(Unvouched::Gap { device: actor });
        }
        let signature = signatures
            .iter()
            .find(|(hash, _)| *hash == tip.hash.0)
            .map(|(_, signature)| *signature)
            .filter(|signature| actor.verify_change(&tip.hash.0, signature).is_ok());
        let Some(signature) = signature else {
            return Err(Unvouched::Unsigned(tip.hash));
        };
        // Walk the tip's ancestry inside the batch: each of the device's changes must be
        // on it, or the signature does not vouch for it.
        let mut reached = vec![false; batch.len()];
        let mut outside = Vec::new();
        let mut stack = vec![last];
        reached[last] = true;
        while let Some(i) = stack.pop() {
            for dep in &batch[i].deps {
                match index.get(dep) {
                    Some(&j) if !reached[j] => {
                        reached[j] = true;
                        stack.push(j);
                    }
                    Some(_) => {}
                    None => outside.push(*dep),
                }
            }
        }
        if let Some(&stray) = changes.iter().find(|&&i| !reached[i]) {
            return Err(Unvouched::Stray(batch[stray].hash));
        }
        outside.sort();
        outside.dedup();
        vouched.push(Vouched {
            tip: Tip {
                actor,
                seq: tip.seq,
                hash: tip.hash.0,
                signature,
            },
            first_seq,
            outside,
        });
    }
    Ok(vouched)
}

/// Of the devices whose parts of `batch` passed [`verify`] (`parts`), those whose changes
/// are held back. A device that is no current member's (`current` says; removed, or
/// unlinked) has its changes taken only where a current member vouched for them: its newest
/// change in the batch is an ancestor of a current member's signed change in the batch, or
/// of a change already taken whose dependencies are still awaited (`covered`). So what a
/// removed device writes after its removal is refused by every member that knows of the
/// removal, and what a member built on (or accepted before it knew) still spreads. A device
/// with any change that depends on a held-back change is held back too: what is taken is
/// whole, each device's part ending at the change it signed.
pub(crate) fn held_back(
    batch: &[Meta],
    parts: &[Vouched],
    current: impl Fn(&DeviceId) -> bool,
    covered: impl Fn(&ChangeHash) -> bool,
) -> BTreeSet<DeviceId> {
    let former: Vec<&Vouched> = parts.iter().filter(|p| !current(&p.tip.actor)).collect();
    if former.is_empty() {
        return BTreeSet::new();
    }
    let index: HashMap<ChangeHash, usize> = batch
        .iter()
        .enumerate()
        .map(|(i, meta)| (meta.hash, i))
        .collect();
    let in_batch = |i: usize| {
        batch[i]
            .deps
            .iter()
            .filter_map(|dep| index.get(dep).copied())
            .collect::<Vec<usize>>()
    };
    // What current members vouched for: the ancestors of their tips, and of what is
    // awaited for changes already taken.
    let mut reached = vec![false; batch.len()];
    let mut stack: Vec<usize> = parts
        .iter()
        .filter(|p| current(&p.tip.actor))
        .filter_map(|p| index.get(&ChangeHash(p.tip.hash)).copied())
        .chain((0..batch.len()).filter(|&i| covered(&batch[i].hash)))
        .collect();
    while let Some(i) = stack.pop() {
        if !std::mem::replace(&mut reached[i], true) {
            stack.extend(in_batch(i));
        }
    }
    let mut held: BTreeSet<DeviceId> = former
        .iter()
        .filter(|p| {
            index
                .get(&ChangeHash(p.tip.hash))
                .is_none_or(|&i| !reached[i])
        })
        .map(|p| p.tip.actor)
        .collect();
    if held.is_empty() {
        return held;
    }
    // Then whoever built on what is held back, until nothing more is: parents first, so
    // one pass per round marks every descendant.
    let mut actors = Actors::default();
    let actor_of: Vec<Option<DeviceId>> = batch.iter().map(|m| actors.device(&m.actor)).collect();
    let order = parents_first(batch.len(), in_batch);
    loop {
        let mut tainted = vec![false; batch.len()];
        for &i in &order {
            tainted[i] = actor_of[i].is_some_and(|a| held.contains(&a))
                || batch[i]
                    .deps
                    .iter()
                    .any(|dep| index.get(dep).is_some_and(|&j| tainted[j]));
        }
        let grown: BTreeSet<DeviceId> = (0..batch.len())
            .filter(|&i| tainted[i])
            .filter_map(|i| actor_of[i])
            .collect();
        if grown.len() == held.len() {
            return held;
        }
        held = grown;
    }
}

/// The indices `0..n` ordered so that each comes after its dependencies (`deps`), by
/// Kahn's algorithm; a cycle (impossible between hashes) leaves its members out.
fn parents_first(n: usize, deps: impl Fn(usize) -> Vec<usize>) -> Vec<usize> {
    let mut waiting = vec![0usize; n];
    let mut children = vec![Vec::new(); n];
    for (i, waits) in waiting.iter_mut().enumerate() {
        for d in deps(i) {
            *waits += 1;
            children[d].push(i);
        }
    }
    let mut ready: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop() {
        order.push(i);
        for &c in &children[i] {
            waiting[c] -= 1;
            if waiting[c] == 0 {
                ready.push(c);
            }
        }
    }
    order
}

/// The devices that Automerge actor ids name, each id decoded once: decoding an ed25519
/// public key (decompressing its curve point) costs microseconds, and a batch repeats a
/// few actors over thousands of changes (done per change, it doubled a cold join's time).
#[derive(Debug, Default)]
pub struct Actors(HashMap<[u8; 32], Option<DeviceId>>);

impl Actors {
    /// The device `actor` names, if it is an ed25519 public key.
    pub fn device(&mut self, actor: &[u8]) -> Option<DeviceId> {
        let bytes = <[u8; 32]>::try_from(actor).ok()?;
        *self
            .0
            .entry(bytes)
            .or_insert_with(|| PublicKey::from_bytes(&bytes).ok())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mutual_auth::DeviceKey;

    fn key(n: u8) -> DeviceKey {
        DeviceKey::from_secret_bytes([n; 32])
    }

    fn meta(n: u8, actor: &DeviceKey, seq: u64, deps: &[u8]) -> Meta {
        Meta {
            hash: ChangeHash([n; 32]),
            actor: actor.id().as_bytes().to_vec(),
            seq,
            deps: deps.iter().map(|d| ChangeHash([*d; 32])).collect(),
        }
    }

    fn sign(key: &DeviceKey, n: u8) -> (Hash, Signature) {
        ([n; 32], key.sign_change(&[n; 32]))
    }

    #[test]
    fn one_signature_over_the_newest_change_vouches_for_the_whole_chain() {
        let (alice, bob) = (key(1), key(2));
        // Alice 1 <- Bob 2 <- Alice 3, attached to 9 which the receiver holds.
        let batch = [
            meta(1, &alice, 4, &[9]),
            meta(2, &bob, 1, &[1]),
            meta(3, &alice, 5, &[2]),
        ];
        let all = |_: &DeviceId| true;
        let vouched = verify(&batch, &[sign(&alice, 3), sign(&bob, 2)], all).unwrap();
        assert_eq!(vouched.len(), 2);
        let of = |k: &DeviceKey| vouched.iter().find(|v| v.tip.actor == k.id()).unwrap();
        assert_eq!((of(&alice).tip.hash, of(&alice).first_seq), ([3; 32], 4));
        assert_eq!(of(&alice).outside, vec![ChangeHash([9; 32])]);
        assert_eq!(of(&bob).outside, vec![ChangeHash([9; 32])]);
    }

    #[test]
    fn a_batch_is_refused_unless_each_device_signed_its_newest_change_itself() {
        let (alice, mallory) = (key(1), key(2));
        let all = |_: &DeviceId| true;
        let batch = [meta(1, &alice, 1, &[]), meta(2, &alice, 2, &[1])];
        // No signature, a signature over an older change, one by someone else.
        for signatures in [
            vec![],
            vec![sign(&alice, 1)],
            vec![sign(&mallory, 2)],
            vec![([2; 32], alice.sign(&[2; 32]))],
        ] {
            let error = verify(&batch, &signatures, all).unwrap_err();
            assert_eq!(error, Unvouched::Unsigned(ChangeHash([2; 32])));
        }
    }

    #[test]
    fn a_change_beside_the_signed_chain_is_refused() {
        let alice = key(1);
        // Change 2 claims to be Alice's but the signed change 3 does not descend from it.
        let batch = [
            meta(1, &alice, 1, &[]),
            meta(2, &alice, 2, &[1]),
            meta(3, &alice, 3, &[1]),
        ];
        let error = verify(&batch, &[sign(&alice, 3)], |_| true).unwrap_err();
        assert_eq!(error, Unvouched::Stray(ChangeHash([2; 32])));
    }

    #[test]
    fn gaps_and_strangers_are_refused() {
        let (alice, stranger) = (key(1), key(2));
        let gap = [meta(1, &alice, 1, &[]), meta(2, &alice, 3, &[1])];
        let error = verify(&gap, &[sign(&alice, 2)], |_| true).unwrap_err();
        assert_eq!(error, Unvouched::Gap { device: alice.id() });
        let known = |actor: &DeviceId| *actor == alice.id();
        let by_stranger = [meta(1, &stranger, 1, &[])];
        let error = verify(&by_stranger, &[sign(&stranger, 1)], known).unwrap_err();
        assert!(
            matches!(error, Unvouched::Stranger { change, .. } if change == ChangeHash([1; 32]))
        );
    }

    #[test]
    fn a_former_devices_changes_are_taken_only_under_a_current_members() {
        let (alice, carol, bob) = (key(1), key(2), key(3));
        let current = |d: &DeviceId| *d != carol.id();
        let nothing = |_: &ChangeHash| false;
        // Carol 1 <- Carol 2, then Alice 3 on Carol 1 only: Carol 2 is vouched by no one,
        // and Alice 3 (fine on its own) is whole only with Carol's part, so all wait.
        let batch = [
            meta(1, &carol, 1, &[]),
            meta(2, &carol, 2, &[1]),
            meta(3, &alice, 1, &[1]),
        ];
        let signatures = [sign(&carol, 2), sign(&alice, 3)];
        let parts = verify(&batch, &signatures, |_| true).unwrap();
        let held = held_back(&batch, &parts, current, nothing);
        assert_eq!(held, BTreeSet::from([carol.id(), alice.id()]));
        // Bob's change on Carol 2 vouches for all of Carol's.
        let mut batch = batch.to_vec();
        batch.push(meta(4, &bob, 1, &[2]));
        let signatures = [sign(&carol, 2), sign(&alice, 3), sign(&bob, 4)];
        let parts = verify(&batch, &signatures, |_| true).unwrap();
        assert!(held_back(&batch, &parts, current, nothing).is_empty());
        // As does a change already taken that waits for Carol 2.
        let batch = &batch[..3];
        let parts = verify(batch, &signatures[..2], |_| true).unwrap();
        let awaited = |h: &ChangeHash| *h == ChangeHash([2; 32]);
        assert!(held_back(batch, &parts, current, awaited).is_empty());
        // Changes of current members alone are all taken, whatever they build on.
        let batch = [meta(5, &alice, 2, &[2]), meta(6, &bob, 2, &[5])];
        let parts = verify(&batch, &[sign(&alice, 5), sign(&bob, 6)], |_| true).unwrap();
        assert!(held_back(&batch, &parts, current, nothing).is_empty());
    }
}

//! Signatures checked ahead, off the thread that inserts ops: a node's event loop inserts a
//! peer's ops one by one, and checking their ed25519 signatures there (some 60 µs each, and
//! a frame holds tens of thousands) kept it from answering anything else for seconds. A
//! worker thread calls [`check_ahead`] first; [`is_checked`] then lets the insert skip the
//! signatures it already checked, as Bitcoin Core's signature cache does for blocks.
//!
//! An entry exists only for an op whose every signature (its author's, and the certificate
//! and invite proof it carries) was found valid for that group in this process, keyed by a
//! digest of the group and the op's whole encoding: no one can put one there without
//! signatures that verify. The cache is bounded; an op evicted before it is inserted is
//! only checked again.

use std::collections::{HashSet, VecDeque};
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use sha2::{Digest as _, Sha256};

use crate::op::{GroupId, SignedOp};
use crate::rules::{self, Signed};

/// Most entries kept: 32 bytes each, 4 MiB in all; several frames' worth of ops.
const CAPACITY: usize = 131_072;

#[derive(Default)]
struct Checked {
    keys: HashSet<[u8; 32]>,
    order: VecDeque<[u8; 32]>,
}

static CHECKED: LazyLock<Mutex<Checked>> = LazyLock::new(Mutex::default);

/// The cache; one that a panicking thread left behind is still sound (an entry is added
/// whole or not at all).
fn cache() -> MutexGuard<'static, Checked> {
    CHECKED.lock().unwrap_or_else(PoisonError::into_inner)
}

fn key(op: &SignedOp, group: &GroupId) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"mutual/checked-op/v1")
        .chain_update(group.as_bytes())
        .chain_update(op.to_bytes())
        .finalize()
        .into()
}

/// Checks every signature of `op` for `group` (as inserting it into that group's log would)
/// and remembers it if they all hold, so that the insert need not check them again. Returns
/// whether they hold. Meant for a worker thread.
pub fn check_ahead(op: &SignedOp, group: &GroupId) -> bool {
    if rules::check_signatures(op, group, Signed::Unverified).is_err() {
        return false;
    }
    let key = key(op, group);
    let mut cache = cache();
    if cache.keys.insert(key) {
        cache.order.push_back(key);
        while cache.order.len() > CAPACITY {
            if let Some(old) = cache.order.pop_front() {
                cache.keys.remove(&old);
            }
        }
    }
    true
}

/// Whether [`check_ahead`] found every signature of `op` valid for `group`.
pub(crate) fn is_checked(op: &SignedOp, group: &GroupId) -> bool {
    let key = key(op, group);
    cache().keys.contains(&key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::DeviceKey;
    use crate::op::{Action, Op, OpId};

    fn rename(key: &DeviceKey, group: GroupId, name: &str) -> SignedOp {
        let op = Op {
            group: Some(group),
            author: key.id(),
            parents: vec![OpId::from_bytes([1; 32])],
            time: 1,
            action: Action::Rename { name: name.into() },
        };
        SignedOp::sign(op, key).unwrap()
    }

    #[test]
    fn only_ops_whose_signatures_hold_are_remembered_and_only_for_their_group() {
        let key = DeviceKey::generate();
        let (group, other) = (GroupId::from_bytes([2; 32]), GroupId::from_bytes([3; 32]));
        let op = rename(&key, group, "Ana");
        assert!(!is_checked(&op, &group));
        assert!(check_ahead(&op, &group));
        assert!(is_checked(&op, &group));
        assert!(!is_checked(&op, &other));
        // A forged signature: not remembered.
        let mut forged = rename(&key, group, "Eve");
        forged.signature = op.signature;
        assert!(!check_ahead(&forged, &group));
        assert!(!is_checked(&forged, &group));
    }
}

//! [`Log`]: one group's membership DAG of signed ops, validated at insert and resolved into
//! a [`GroupState`]. See the crate docs for the rules.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::sync::OnceLock;

use crate::bitset::BitSet;
use crate::keys::{DeviceCert, DeviceId, DeviceKey, MemberId, MemberKey};
use crate::op::{Action, GroupId, MAX_NAME_BYTES, Op, OpId, SignedOp};
use crate::rejected::{Malformation, Rejected};
use crate::resolve::{self, Resolution};
use crate::rules::{self, Authority};
use crate::state::GroupState;

mod ending;
#[cfg(test)]
mod tests;

pub use ending::{Ended, Ending};

#[cfg(test)]
mod histories;

/// What [`Log::insert`] did with a valid op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inserted {
    /// The op was new and is now stored.
    New,
    /// The op was already stored.
    Duplicate,
}

/// What a stored op amounts to once concurrency is resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpStatus {
    /// The op shapes the state.
    Effective,
    /// A concurrent revocation took the op's ground away.
    Cancelled {
        /// The revocation.
        by: OpId,
    },
    /// The op no longer holds where it lands in the order (its author's admission was
    /// cancelled, the member was already added, the invite was used up, ...).
    Ineffective {
        /// Why.
        reason: Rejected,
    },
}

/// A stored op with its place in the DAG.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) op: SignedOp,
    pub(crate) id: OpId,
    /// Entry indices of the parents.
    pub(crate) parents: Vec<usize>,
    /// Entry indices of the children.
    pub(crate) children: Vec<usize>,
    /// How many ancestors it has. The ancestors themselves are walked when needed
    /// ([`ancestors_of`]): kept per entry, they took memory in the square of the log's
    /// length (a gigabyte at the 100,000 ops a join takes).
    pub(crate) ancestor_count: usize,
}

/// The entry indices reached from `from` through parents, `from` included.
pub(crate) fn ancestors_of(entries: &[Entry], from: &[usize]) -> BitSet {
    let mut reached = BitSet::default();
    let mut stack = from.to_vec();
    while let Some(index) = stack.pop() {
        if !reached.contains(index) {
            reached.insert(index);
            stack.extend_from_slice(&entries[index].parents);
        }
    }
    reached
}

/// The entry indices reached from `from` through children, `from` included.
pub(crate) fn descendants_of(entries: &[Entry], from: usize) -> BitSet {
    let mut reached = BitSet::default();
    let mut stack = vec![from];
    while let Some(index) = stack.pop() {
        if !reached.contains(index) {
            reached.insert(index);
            stack.extend_from_slice(&entries[index].children);
        }
    }
    reached
}

/// How many ops' causal states [`Log`] keeps for judging the ops built on them.
const PAST_STATES: usize = 64;

/// One group's membership log: a DAG of signed ops rooted at the genesis.
///
/// Invariant: every stored op passed [`Log::insert`]'s checks, its ancestors are stored,
/// and the resolution, once computed, is that of exactly the stored set.
///
/// Resolution is lazy: an op that does not follow every head changes the order somewhere
/// in the middle, so the whole set must be resolved again, but not before someone reads
/// the state, statuses or order. A batch of such ops (a member's week offline, a join's
/// log) costs one resolution, not one each.
#[derive(Clone)]
pub struct Log {
    group: GroupId,
    /// Stored ops, in this replica's arrival order (which nothing observable depends on).
    entries: Vec<Entry>,
    index: HashMap<OpId, usize>,
    heads: BTreeSet<OpId>,
    /// The resolution of every stored op; empty until read after an op that did not follow
    /// every head.
    resolution: OnceLock<Resolution>,
    /// The state after an op (its causal past, then the op, which follows all of it), for
    /// the ops lately inserted off the heads (a branch arriving) and those branched off
    /// (entry index, state; the most recently used last): an op whose one parent is here is
    /// judged on it without resolving its ancestors. So a branch of many ops, or many ops
    /// branching off one, cost one resolution of those ancestors, not one per op. (Ops
    /// that follow every head are judged on the log's own state.)
    pasts: VecDeque<(usize, GroupState)>,
}

impl fmt::Debug for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Log")
            .field("group", &self.group)
            .field("len", &self.entries.len())
            .field("heads", &self.heads)
            .finish_non_exhaustive()
    }
}

impl Log {
    /// Founds a group: `member` is its first admin, on `device`. Names longer than
    /// [`MAX_NAME_BYTES`] are cut (at a character boundary). Returns the log and the genesis
    /// op to persist.
    pub fn create(
        name: &str,
        founder_name: &str,
        member: &MemberKey,
        device: &DeviceKey,
        now_ms: u64,
    ) -> (Log, SignedOp) {
        let op = Op {
            group: None,
            author: device.id(),
            parents: Vec::new(),
            time: now_ms,
            action: Action::Create {
                name: truncate(name),
                founder_name: truncate(founder_name),
                founder: DeviceCert::new(member, device),
            },
        };
        let genesis = SignedOp::sign_as_author(op, device);
        // Valid by construction: signed by its author, certified by the founder, names cut to
        // size, and two keys and two short names stay far below the size cap.
        (Log::with_genesis(genesis.clone()), genesis)
    }

    /// Opens the log of a group from its genesis op (as received in an invite or from a peer).
    pub fn from_genesis(genesis: SignedOp) -> Result<Log, Rejected> {
        rules::check_genesis(&genesis, genesis.to_bytes().len())?;
        Ok(Log::with_genesis(genesis))
    }

    fn with_genesis(genesis: SignedOp) -> Log {
        let id = genesis.id();
        let group = GroupId::from(id);
        let mut state = GroupState::empty(group);
        if let Action::Create { founder, .. } = &genesis.op.action {
            rules::apply(
                &mut state,
                &genesis.op,
                Authority::founder(founder.member, genesis.op.time).member,
            );
        }
        Log {
            group,
            entries: vec![Entry {
                op: genesis,
                id,
                parents: Vec::new(),
                children: Vec::new(),
                ancestor_count: 0,
            }],
            index: HashMap::from([(id, 0)]),
            heads: BTreeSet::from([id]),
            pasts: VecDeque::new(),
            resolution: OnceLock::from(Resolution {
                order: vec![0],
                status: vec![Some(OpStatus::Effective)],
                state,
            }),
        }
    }

    /// Keeps `state` as the state after the entry `index`, forgetting the least recently
    /// used one past [`PAST_STATES`].
    fn keep_past(&mut self, index: usize, state: GroupState) {
        if self.pasts.len() == PAST_STATES {
            self.pasts.pop_front();
        }
        self.pasts.push_back((index, state));
    }

    /// The resolution of every stored op, computed now if an insert left it stale.
    fn resolved(&self) -> &Resolution {
        self.resolution
            .get_or_init(|| resolve::resolve(&self.entries, self.group, None))
    }

    /// The group's id.
    pub fn group_id(&self) -> GroupId {
        self.group
    }

    /// Validates `op` and stores it if it is new. See the crate docs for the checks; on any
    /// error but [`Rejected::MissingParents`] the op is refused for good.
    pub fn insert(&mut self, op: SignedOp) -> Result<Inserted, Rejected> {
        self.insert_signed(op, rules::Signed::Unverified)
    }

    fn insert_signed(&mut self, op: SignedOp, by: rules::Signed) -> Result<Inserted, Rejected> {
        let bytes = op.to_bytes();
        let id = OpId::from_bytes(sha256(&bytes));
        if self.index.contains_key(&id) {
            return Ok(Inserted::Duplicate);
        }
        if matches!(op.op.action, Action::Create { .. }) {
            if op.op.group.is_some() || !op.op.parents.is_empty() {
                return Err(Malformation::UnexpectedCreate.into());
            }
            // Another group's genesis (ours is stored, so it would be a duplicate).
            return Err(Rejected::WrongGroup {
                expected: self.group,
                found: GroupId::from(id),
            });
        }
        rules::check_shape(&op, bytes.len(), &self.group)?;
        let mut missing = Vec::new();
        let mut parents = Vec::with_capacity(op.op.parents.len());
        for parent in &op.op.parents {
            match self.index.get(parent) {
                Some(&index) => parents.push(index),
                None => missing.push(*parent),
            }
        }
        if !missing.is_empty() {
            // Before the costly signature checks, so a parked op is verified once.
            return Err(Rejected::MissingParents(missing));
        }
        rules::check_signatures(&op, &self.group, by)?;

        // Judge the op in its causal past. When it follows every head, that is the current
        // state (and every stored op is its ancestor); when its one parent's past is kept,
        // that past with the parent applied; otherwise resolve its ancestors alone.
        let follows_all =
            op.op.parents.len() == self.heads.len() && op.op.parents.iter().eq(self.heads.iter());
        let kept = match parents.as_slice() {
            [parent] if !follows_all => self.pasts.iter().position(|(index, _)| index == parent),
            _ => None,
        };
        if let Some(position) = kept
            && let Some(used) = self.pasts.remove(position)
        {
            self.pasts.push_back(used);
        }
        let past_resolution;
        let (past, ancestor_count) = if follows_all {
            (&self.resolved().state, self.entries.len())
        } else if let Some((_, state)) = self.pasts.back().filter(|_| kept.is_some()) {
            (state, self.entries[parents[0]].ancestor_count + 1)
        } else {
            let ancestors = ancestors_of(&self.entries, &parents);
            past_resolution = resolve::resolve(&self.entries, self.group, Some(&ancestors));
            if let [parent] = parents.as_slice() {
                // The state after that parent: more ops may branch off it.
                self.keep_past(*parent, past_resolution.state.clone());
            }
            (&past_resolution.state, ancestors.count())
        };
        let authority = rules::authorize(&op.op, past, rules::Mode::Insert)?;
        rules::check_applicable(&op.op, &authority, past)?;
        // Off the heads, the op is effective in its own causal past plus itself (it follows
        // all of that set): the past of the ops that will be built on it.
        let after = (!follows_all).then(|| {
            let mut after = past.clone();
            rules::apply(&mut after, &op.op, authority.member);
            after
        });

        let index = self.entries.len();
        for &parent in &parents {
            self.entries[parent].children.push(index);
            self.heads.remove(&self.entries[parent].id);
        }
        self.heads.insert(id);
        self.index.insert(id, index);
        self.entries.push(Entry {
            op,
            id,
            parents,
            children: Vec::new(),
            ancestor_count,
        });
        match after {
            None => {
                // The op comes last in the order and is concurrent with nothing: resolving
                // again would replay the same prefix and then apply it. (Judging it
                // resolved the log, so the resolution is there.)
                if let Some(resolution) = self.resolution.get_mut() {
                    rules::apply(
                        &mut resolution.state,
                        &self.entries[index].op.op,
                        authority.member,
                    );
                    resolution.order.push(index);
                    resolution.status.push(Some(OpStatus::Effective));
                }
            }
            Some(after) => {
                self.resolution = OnceLock::new();
                self.keep_past(index, after);
            }
        }
        Ok(Inserted::New)
    }

    /// Authors an op on `device`: parents are the current heads; the op is signed,
    /// validated and inserted, and returned to be persisted and sent.
    pub fn author(
        &mut self,
        device: &DeviceKey,
        action: Action,
        now_ms: u64,
    ) -> Result<SignedOp, Rejected> {
        let op = Op {
            group: Some(self.group),
            author: device.id(),
            parents: self.heads(),
            time: now_ms,
            action,
        };
        let signed = SignedOp::sign_as_author(op, device);
        // Signed here with the author's own key: checking that signature would only cost time.
        self.insert_signed(signed.clone(), rules::Signed::ByUs)?;
        Ok(signed)
    }

    /// The group state that the effective ops build.
    pub fn state(&self) -> &GroupState {
        &self.resolved().state
    }

    /// The ops no other op names as parent, sorted.
    pub fn heads(&self) -> Vec<OpId> {
        self.heads.iter().copied().collect()
    }

    /// The stored op with this id.
    pub fn get(&self, id: &OpId) -> Option<&SignedOp> {
        self.index.get(id).map(|&index| &self.entries[index].op)
    }

    /// Whether the op is stored.
    pub fn contains(&self, id: &OpId) -> bool {
        self.index.contains_key(id)
    }

    /// The number of stored ops (at least 1: the genesis).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Always false: a log holds at least its genesis.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All stored ops in the deterministic topological order (parents first, ties broken
    /// by id), the same on every replica holding the same ops.
    pub fn ops(&self) -> Vec<&SignedOp> {
        self.resolved()
            .order
            .iter()
            .map(|&index| &self.entries[index].op)
            .collect()
    }

    /// Every device that an effective op certified, with the member of the first such op in
    /// the log's order and that member's name as the last effective op recorded it. For
    /// naming people in history after they have left or been removed; who is a member *now*
    /// is [`Log::state`]'s to say, never this. Cancelled and ineffective ops are left out:
    /// they never made anyone a member, so they name no one.
    pub fn known_devices(&self) -> BTreeMap<DeviceId, KnownDevice> {
        let mut names = BTreeMap::new();
        let mut devices = BTreeMap::new();
        let resolution = self.resolved();
        let effective = resolution.order.iter().filter_map(|&index| {
            let status = resolution.status.get(index)?.as_ref()?;
            (*status == OpStatus::Effective).then_some(&self.entries[index].op)
        });
        for op in effective {
            match &op.op.action {
                Action::Create {
                    founder,
                    founder_name,
                    ..
                } => {
                    names.insert(founder.member, founder_name.clone());
                    devices.entry(founder.device).or_insert(founder.member);
                }
                Action::AddMember { cert, name, .. } => {
                    names.insert(cert.member, name.clone());
                    devices.entry(cert.device).or_insert(cert.member);
                }
                Action::LinkDevice { cert, .. } => {
                    devices.entry(cert.device).or_insert(cert.member);
                }
                Action::AddDevice { device, name, .. } => {
                    names.insert(*device, name.clone());
                    devices.entry(*device).or_insert(*device);
                }
                _ => {}
            }
        }
        devices
            .into_iter()
            .filter_map(|(device, member)| {
                let name = names.get(&member)?.clone();
                Some((device, KnownDevice { member, name }))
            })
            .collect()
    }

    /// What the stored op with this id amounts to.
    pub fn status(&self, id: &OpId) -> Option<OpStatus> {
        let index = *self.index.get(id)?;
        self.resolved().status.get(index).cloned().flatten()
    }
}

/// A device some stored op certified: whose it was, and their name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownDevice {
    /// The member who certified the device.
    pub member: MemberId,
    /// That member's display name.
    pub name: String,
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}

fn truncate(name: &str) -> String {
    let mut end = name.len().min(MAX_NAME_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_owned()
}

//! Resolution: from a set of stored ops to each op's status and the group state. A pure
//! function of the set (see the crate docs for the rules); the log runs it over all its ops,
//! and over an op's ancestors to judge the op at insert.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use crate::bitset::BitSet;
use crate::log::{Entry, OpStatus, ancestors_of, descendants_of};
use crate::op::{Action, GroupId};
use crate::rejected::Rejected;
use crate::rules::{self, Authority, Mode, Revocation, Revoker};
use crate::state::GroupState;

/// The outcome of resolving a set of ops.
#[derive(Clone, Debug)]
pub(crate) struct Resolution {
    /// Entry indices in the deterministic topological order.
    pub(crate) order: Vec<usize>,
    /// Status by entry index (`None` for entries outside the resolved set).
    pub(crate) status: Vec<Option<OpStatus>>,
    /// The state the effective ops build.
    pub(crate) state: GroupState,
}

/// The deterministic topological order of `subset` (ancestor-closed; `None` for all):
/// Kahn's algorithm, always taking the ready op with the smallest id.
pub(crate) fn topological_order(entries: &[Entry], subset: Option<&BitSet>) -> Vec<usize> {
    let in_set = |index: usize| subset.is_none_or(|set| set.contains(index));
    let mut waiting_for: Vec<usize> = entries.iter().map(|entry| entry.parents.len()).collect();
    let mut ready = BinaryHeap::new();
    for (index, entry) in entries.iter().enumerate() {
        if in_set(index) && entry.parents.is_empty() {
            ready.push(Reverse((entry.id, index)));
        }
    }
    let mut order = Vec::with_capacity(subset.map_or(entries.len(), BitSet::count));
    while let Some(Reverse((_, index))) = ready.pop() {
        order.push(index);
        for &child in &entries[index].children {
            if in_set(child) {
                waiting_for[child] -= 1;
                if waiting_for[child] == 0 {
                    ready.push(Reverse((entries[child].id, child)));
                }
            }
        }
    }
    order
}

#[derive(Clone, Debug)]
enum Outcome {
    Effective,
    /// Cancelled by the revocation with this entry index.
    Cancelled(usize),
    Ineffective(Rejected),
}

#[derive(Clone, Debug)]
struct Slot {
    /// `Some` once the op passed authorization (needed to apply it and to match revocations).
    authority: Option<Authority>,
    outcome: Outcome,
}

/// Resolves `subset` of `entries` (ancestor-closed; `None` for all of them).
pub(crate) fn resolve(entries: &[Entry], group: GroupId, subset: Option<&BitSet>) -> Resolution {
    let order = topological_order(entries, subset);
    let mut replay = Replay {
        entries,
        order: &order,
        group,
        slots: Vec::with_capacity(order.len()),
        cancelled: HashMap::new(),
        revocations: Vec::new(),
        state: GroupState::empty(group),
    };
    replay.run();
    let mut status = vec![None; entries.len()];
    for (position, slot) in replay.slots.iter().enumerate() {
        status[order[position]] = Some(match &slot.outcome {
            Outcome::Effective => OpStatus::Effective,
            Outcome::Cancelled(by) => OpStatus::Cancelled {
                by: entries[*by].id,
            },
            Outcome::Ineffective(reason) => OpStatus::Ineffective {
                reason: reason.clone(),
            },
        });
    }
    let state = replay.state;
    Resolution {
        order,
        status,
        state,
    }
}

struct Replay<'a> {
    entries: &'a [Entry],
    order: &'a [usize],
    group: GroupId,
    /// One per position of `order` processed so far.
    slots: Vec<Slot>,
    /// Entry index -> the revocation (entry index) that cancels it. Only ever grows, even when
    /// that revocation is cancelled in turn: this is what makes the replay end.
    cancelled: HashMap<usize, usize>,
    /// Effective revocations so far: (position, entry index, what it revokes, who made it,
    /// which ops it is not concurrent with).
    revocations: Vec<(usize, usize, Revocation, Revoker, Related)>,
    /// The replay state after the processed positions.
    state: GroupState,
}

impl Replay<'_> {
    fn run(&mut self) {
        let mut position = 0;
        while position < self.order.len() {
            if let Some(restart) = self.step(position) {
                self.rewind(restart);
            }
            position = self.slots.len();
        }
    }

    /// Processes the op at `position`. Returns the position to rewind to when it cancelled
    /// an op that was already applied.
    fn step(&mut self, position: usize) -> Option<usize> {
        let index = self.order[position];
        let entry = &self.entries[index];
        let op = &entry.op.op;
        if let Some(&by) = self.cancelled.get(&index) {
            self.push(None, Outcome::Cancelled(by));
            return None;
        }
        if let Action::Create { founder, .. } = &op.action {
            // Only the genesis is a Create (insert refuses any other), and it comes first.
            let authority = Authority::founder(founder.member, op.time);
            rules::apply(&mut self.state, op, authority.member);
            self.push(Some(authority), Outcome::Effective);
            return None;
        }
        let authorized = if entry.ancestor_count == position {
            // Everything before this op in the order is its ancestor: the replay state is
            // exactly its causal past.
            rules::authorize(op, &self.state, Mode::Replay)
        } else {
            rules::authorize(op, &self.causal_past(position), Mode::Replay)
        };
        let authority = match authorized {
            Ok(authority) => authority,
            Err(reason) => {
                self.push(None, Outcome::Ineffective(reason));
                return None;
            }
        };
        let cancelled_by = self
            .revocations
            .iter()
            .find(|(_, by, revocation, revoker, related)| {
                related.concurrent(*by, index) && revocation.cancels(*revoker, op, &authority)
            })
            .map(|(_, by, ..)| *by);
        if let Some(by) = cancelled_by {
            self.cancelled.insert(index, by);
            self.push(Some(authority), Outcome::Cancelled(by));
            return None;
        }
        let revoker = Revoker {
            member: authority.member,
            device: op.author,
            seniority: authority.seniority,
        };
        // A revocation first cancels the concurrent targets that came earlier in the order:
        // if one was applied, the replay starts again from it (and meets this op again). So
        // whether this op still applies is judged without them: a senior admin's removal of
        // a junior who removed her a moment before is not refused for leaving no admin.
        let related = authority
            .revocation
            .map(|_| Related::of(self.entries, index));
        if let (Some(revocation), Some(related)) = (authority.revocation, &related)
            && let Some(rewind_to) =
                self.cancel_earlier(position, index, revocation, revoker, related)
        {
            return Some(rewind_to);
        }
        if let Err(reason) = rules::check_applicable(op, &authority, &self.state) {
            self.push(Some(authority), Outcome::Ineffective(reason));
            return None;
        }
        rules::apply(&mut self.state, op, authority.member);
        let revocation = authority.revocation;
        self.push(Some(authority), Outcome::Effective);
        let (revocation, related) = (revocation?, related?);
        self.revocations
            .push((position, index, revocation, revoker, related));
        None
    }

    /// Cancels the ops before `position` that the revocation at `index` cancels; returns
    /// the earliest position of one that was applied, to rewind to.
    fn cancel_earlier(
        &mut self,
        position: usize,
        index: usize,
        revocation: Revocation,
        revoker: Revoker,
        related: &Related,
    ) -> Option<usize> {
        let mut rewind_to = None;
        for earlier in 0..position {
            let target = self.order[earlier];
            let Some(target_authority) = &self.slots[earlier].authority else {
                continue;
            };
            if self.cancelled.contains_key(&target)
                || !related.concurrent(index, target)
                || !revocation.cancels(revoker, &self.entries[target].op.op, target_authority)
            {
                continue;
            }
            self.cancelled.insert(target, index);
            match self.slots[earlier].outcome {
                Outcome::Effective => {
                    rewind_to.get_or_insert(earlier);
                }
                _ => self.slots[earlier].outcome = Outcome::Cancelled(index),
            }
        }
        rewind_to
    }

    fn push(&mut self, authority: Option<Authority>, outcome: Outcome) {
        self.slots.push(Slot { authority, outcome });
    }

    /// Forgets the positions from `position` on and rebuilds the state before it, so that
    /// they are replayed with the enlarged cancelled set. What came before is unaffected:
    /// cancellation only ever adds ops at or after `position`.
    fn rewind(&mut self, position: usize) {
        self.slots.truncate(position);
        self.revocations.retain(|(at, ..)| *at < position);
        self.state = self.effective_state(position, None);
    }

    /// The state built by the effective ops before `position` that are ancestors of the op
    /// at `position`.
    fn causal_past(&self, position: usize) -> GroupState {
        let index = self.order[position];
        let ancestors = ancestors_of(self.entries, &self.entries[index].parents);
        self.effective_state(position, Some(&ancestors))
    }

    fn effective_state(&self, position: usize, within: Option<&BitSet>) -> GroupState {
        let mut state = GroupState::empty(self.group);
        for (earlier, slot) in self.slots[..position].iter().enumerate() {
            let index = self.order[earlier];
            if within.is_some_and(|set| !set.contains(index)) {
                continue;
            }
            if let (Outcome::Effective, Some(authority)) = (&slot.outcome, &slot.authority) {
                rules::apply(&mut state, &self.entries[index].op.op, authority.member);
            }
        }
        state
    }
}

/// The ops a revocation is causally related to: its ancestors and its descendants. Only a
/// revocation is ever asked whether it is concurrent with another op, so these are kept for
/// revocations alone, for the length of one resolution.
#[derive(Clone, Debug)]
struct Related {
    ancestors: BitSet,
    descendants: BitSet,
}

impl Related {
    fn of(entries: &[Entry], revocation: usize) -> Related {
        Related {
            ancestors: ancestors_of(entries, &[revocation]),
            descendants: descendants_of(entries, revocation),
        }
    }

    /// Whether the op `other` is concurrent with `revocation`, whose relations these are.
    fn concurrent(&self, revocation: usize, other: usize) -> bool {
        other != revocation && !self.ancestors.contains(other) && !self.descendants.contains(other)
    }
}

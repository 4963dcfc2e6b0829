//! [`Log::ending_of`]: how a device stopped being one of the group's, so that a device can
//! be told of its own removal (and say it in words), and a member knows which op to tell it.

use std::collections::HashMap;

use super::{Log, OpStatus};
use crate::keys::{DeviceId, MemberId};
use crate::op::{Action, OpId};

/// How far a chain of admissions that never took effect is followed back to the former
/// member who started it.
const MAX_ADMITTERS: usize = 8;

/// How a device stopped being one of a group's: the effective op that did it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ending {
    /// The op that ended it (for [`Ended::AdmittedByFormer`], the one that ended the
    /// admitter's membership): what the device must hold to see it.
    pub op: OpId,
    /// That op's claimed time (unix ms).
    pub time: u64,
    /// What happened.
    pub how: Ended,
}

/// What ended a device's membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// Its member left the group.
    Left,
    /// Its member was removed, by this member.
    Removed {
        /// Who removed them.
        by: MemberId,
    },
    /// The device was unlinked from its member, by this member (the same member from
    /// another device, or an admin).
    Unlinked {
        /// Who unlinked it.
        by: MemberId,
    },
    /// The device was admitted by one that was no longer a member then: the admission never
    /// took effect.
    AdmittedByFormer {
        /// The device that admitted it.
        admitter: DeviceId,
    },
}

impl Log {
    /// How `device` stopped being one of the group's devices, as this log tells it; `None`
    /// for a current member's device and for one the log never admitted.
    pub fn ending_of(&self, device: &DeviceId) -> Option<Ending> {
        if self.state().member_of_device(device).is_some() {
            return None;
        }
        if let Some(ending) = self.direct_ending(device) {
            return Some(ending);
        }
        // Admitted by an op that never took effect: because its author had been removed, or
        // had been admitted, in turn, by one who had (a chain a former member started).
        let admitter = self.admitter_of(device)?;
        let mut author = admitter;
        for _ in 0..MAX_ADMITTERS {
            if let Some(ending) = self.direct_ending(&author) {
                return Some(Ending {
                    how: Ended::AdmittedByFormer { admitter },
                    ..ending
                });
            }
            author = self.admitter_of(&author)?;
        }
        None
    }

    /// The effective op that last ended `device`'s membership, if it was ever a member's.
    fn direct_ending(&self, device: &DeviceId) -> Option<Ending> {
        // Who each device acts for, as the ops in order certify them (an author's member).
        let mut member_of: HashMap<DeviceId, MemberId> = HashMap::new();
        let mut mine: Option<MemberId> = None;
        let mut ending = None;
        for &index in &self.resolved().order {
            if self.resolved().status.get(index) != Some(&Some(OpStatus::Effective)) {
                continue;
            }
            let entry = &self.entries[index];
            let op = &entry.op.op;
            let by = member_of.get(&op.author).copied().unwrap_or(op.author);
            let certified = match &op.action {
                Action::Create { founder, .. } => Some((founder.device, founder.member)),
                Action::AddMember { cert, .. } | Action::LinkDevice { cert, .. } => {
                    Some((cert.device, cert.member))
                }
                Action::AddDevice { device, .. } => Some((*device, *device)),
                Action::RemoveMember { member } if mine == Some(*member) => {
                    let how = if by == *member {
                        Ended::Left
                    } else {
                        Ended::Removed { by }
                    };
                    ending = Some(Ending {
                        op: entry.id,
                        time: op.time,
                        how,
                    });
                    None
                }
                Action::UnlinkDevice { device: unlinked } if unlinked == device => {
                    ending = Some(Ending {
                        op: entry.id,
                        time: op.time,
                        how: Ended::Unlinked { by },
                    });
                    None
                }
                _ => None,
            };
            if let Some((certified, member)) = certified {
                member_of.insert(certified, member);
                if certified == *device {
                    mine = Some(member);
                    ending = None;
                }
            }
        }
        ending
    }

    /// The author of an op that would have admitted `device` but did not take effect.
    fn admitter_of(&self, device: &DeviceId) -> Option<DeviceId> {
        self.resolved().order.iter().find_map(|&index| {
            let entry = &self.entries[index];
            let admits = match &entry.op.op.action {
                Action::AddMember { cert, .. } | Action::LinkDevice { cert, .. } => {
                    cert.device == *device
                }
                Action::AddDevice { device: added, .. } => added == device,
                _ => false,
            };
            let effective = self.resolved().status.get(index) == Some(&Some(OpStatus::Effective));
            (admits && !effective).then_some(entry.op.op.author)
        })
    }
}

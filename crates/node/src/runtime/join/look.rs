//! Look, then join: a member's offer carries each group's signed membership log, which the
//! joiner checks and shows (who is in the group, whose device answered) before anything is
//! saved or asked for. The person confirms what they saw; the confirmed join goes ahead
//! only with a member whose log holds everything shown, so a member removed since (who can
//! still answer a code with the log as it was before her removal) cannot take over a join
//! the person looked at with a current member.

use mutual_auth::{DeviceId, GroupId, Log, OpId, PublicKey, SignedOp};
use serde::{Deserialize, Serialize};

use super::OfferedGroup;

/// The most ops of one group's log a joiner reads before it joins: as many as a join over
/// sync takes.
pub(super) const MAX_LOOK_OPS: usize = mutual_sync::MAX_JOIN_OPS;
/// The most bytes of logs one offer may carry (a few thousand members' worth).
pub(super) const MAX_LOOK_BYTES: usize = 16 * 1024 * 1024;

/// What a join does at this step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum JoinStep {
    /// Find a member, check what it offers, and answer with it: nothing is saved, and no
    /// member is asked to admit this device.
    Look,
    /// Join what the person saw in this look.
    Confirm(Look),
}

/// What a member offered for a code, checked against its signed membership log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Look {
    /// The groups the code opens.
    pub groups: Vec<LookedGroup>,
    /// Whether the code links this device to an existing member (a link code).
    pub linked: bool,
}

/// One group as its log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LookedGroup {
    /// The group.
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub group: GroupId,
    /// Its name, from the founding op.
    pub name: String,
    /// The member whose device answered.
    pub offered_by: String,
    /// Its members: admins first, then by name.
    pub members: Vec<LookedMember>,
    /// The log's newest ops: a confirmed join goes ahead only with a member whose log
    /// holds them.
    #[cfg_attr(feature = "specta", specta(type = Vec<String>))]
    pub heads: Vec<OpId>,
}

/// A member as a group's log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LookedMember {
    /// The name they go by.
    pub name: String,
    /// `admin` or `member`.
    pub role: String,
}

impl LookedGroup {
    /// What the join confirms and reports.
    pub(super) fn offered(&self) -> OfferedGroup {
        OfferedGroup {
            group: self.group,
            name: self.name.clone(),
        }
    }
}

/// Checks the log a member sent for `offered` and reads what it shows: the log must be the
/// group's (its genesis names it), every op valid, the answering device a member's by it,
/// and the invite the joiner holds recorded in it and usable. One sentence if not.
pub(super) fn read_log(
    offered: &OfferedGroup,
    ops: Vec<SignedOp>,
    answerer: &DeviceId,
    invite: &PublicKey,
) -> Result<(LookedGroup, Log), String> {
    let mut ops = ops.into_iter();
    let genesis = ops.next().ok_or("it sent no membership log")?;
    let mut log = Log::from_genesis(genesis)
        .map_err(|e| format!("its membership log does not start with a group: {e}"))?;
    if log.group_id() != offered.group {
        return Err("its membership log is another group's".into());
    }
    for op in ops {
        log.insert(op)
            .map_err(|e| format!("its membership log holds an op that is not valid: {e}"))?;
    }
    let state = log.state();
    let offered_by = state
        .member_of_device(answerer)
        .ok_or("by its own membership log it is not a member")?
        .name
        .clone();
    let usable = state
        .invite(invite)
        .is_some_and(|i| !i.revoked && i.uses < i.max_uses);
    if !usable {
        return Err("its membership log holds no usable invite for this code".into());
    }
    let mut members: Vec<&mutual_auth::Member> = state.members.values().collect();
    members.sort_by(|a, b| (a.role, &a.name).cmp(&(b.role, &b.name)));
    let looked = LookedGroup {
        group: offered.group,
        name: state.name.clone(),
        offered_by,
        members: members
            .into_iter()
            .map(|m| LookedMember {
                name: m.name.clone(),
                role: m.role.to_string(),
            })
            .collect(),
        heads: log.heads(),
    };
    Ok((looked, log))
}

/// Whether `log` holds everything the person saw of its group in `look`.
pub(super) fn holds_what_was_seen(look: &Look, log: &Log) -> bool {
    look.groups
        .iter()
        .find(|seen| seen.group == log.group_id())
        .is_some_and(|seen| seen.heads.iter().all(|head| log.contains(head)))
}

//! A group this device is no longer a member of: how that ended, in words a person reads
//! once (the runtime's event, `group show`, `status`) and in the refusal of anything that
//! would act in the group. What the device had stays readable.

use mutual_auth::{Ended, GroupId, Log, MemberId};

use crate::view::EndedView;
use crate::{Error, Node};

impl Node {
    /// How this device stopped being a member of `group`, or `None` while it is one (or if
    /// its log never admitted it).
    pub fn ended(&mut self, group: &GroupId) -> Result<Option<EndedView>, Error> {
        self.load_group(group)?;
        let me = self.identity()?.device.id();
        let name = self.index_view(group)?.group_name.clone();
        Ok(ended_view(self.log(group)?, &me, &name))
    }

    /// The refusal of acting in `group` by a device that is not a member there: how its
    /// membership ended, if the log says.
    pub(crate) fn not_a_member(&mut self, group: &GroupId) -> Error {
        match self.ended(group) {
            Ok(Some(ended)) => Error::NoLongerMember {
                message: ended.message,
            },
            _ => Error::NotAMember {
                group: group.to_string(),
            },
        }
    }

    /// Refuses unless this device is a member's device in `group`.
    pub(crate) fn require_member(&mut self, group: &GroupId) -> Result<(), Error> {
        self.load_group(group)?;
        let me = self.identity()?.device.id();
        if self.log(group)?.state().member_of_device(&me).is_some() {
            Ok(())
        } else {
            Err(self.not_a_member(group))
        }
    }
}

/// How `device` stopped being a member's device in the group of `log` (named `group`).
pub(crate) fn ended_view(
    log: &Log,
    device: &mutual_auth::DeviceId,
    group: &str,
) -> Option<EndedView> {
    let ending = log.ending_of(device)?;
    let name_of = |member: &MemberId| member_name(log, member);
    let (how, by, words) = match ending.how {
        Ended::Left => ("left", None, "it left".to_owned()),
        Ended::Removed { by } => {
            let by = name_of(&by);
            let words = format!("{by} removed it");
            ("removed", Some(by), words)
        }
        Ended::Unlinked { by } => {
            let by = name_of(&by);
            let words = format!("{by} unlinked it");
            ("unlinked", Some(by), words)
        }
        Ended::AdmittedByFormer { admitter } => {
            let by = log
                .known_devices()
                .get(&admitter)
                .map_or_else(|| admitter.peer_id().to_string(), |k| k.name.clone());
            let words =
                format!("it was admitted by {by}'s device, which was no longer a member then");
            ("admitted_by_former", Some(by), words)
        }
    };
    Some(EndedView {
        how: how.to_owned(),
        by,
        at: i64::try_from(ending.time).unwrap_or(i64::MAX),
        message: format!(
            "this device is no longer a member of “{group}”: {words}; what it had stays readable"
        ),
    })
}

/// A member's name, current or former (from the certificates in the log).
fn member_name(log: &Log, member: &MemberId) -> String {
    if let Some(current) = log.state().member(member) {
        return current.name.clone();
    }
    log.known_devices()
        .values()
        .find(|k| k.member == *member)
        .map_or_else(
            || format!("a former member ({})", member.fmt_short()),
            |k| k.name.clone(),
        )
}

//! When a peer and this device no longer share a group: the one who knows tells the other
//! how its membership (or this device's) ended, with exactly the ops it needs to see it
//! (the op that ended it and its ancestors, nothing later), and then the session ends.
//!
//! A stranger who offers a group gets nothing, not even a refusal; a former member was a
//! member, and learns only what its log already led up to. Without this, a removed device
//! went on believing it was a member: it kept inviting, admitting and editing into a copy
//! nobody accepted.

use mutual_auth::{DeviceId, OpId};

use super::{Engine, Reason, log_sync};
use crate::output::Output;

impl Engine {
    /// After anything that may have ended what `peer` and this device share: for each
    /// group of the session that is no longer shared, tells the peer (once) of the ending
    /// my log holds and it may lack, and stops the group's exchange. Then, if no group is
    /// shared any more, none of the peer's offers is newer than my log (it might make us
    /// share one again), and at least one group ended, ends the session.
    pub(super) fn settle(&mut self, peer: DeviceId, out: &mut Vec<Output>) {
        let me = self.me;
        let Some(session) = self.sessions.get_mut(&peer) else {
            return;
        };
        if !session.hello {
            return;
        }
        let (mut shared, mut pending, mut ended) = (false, false, None);
        let mut notices = Vec::new();
        for (id, sync) in &mut session.groups {
            let Some(group) = self.replicas.groups.get(id) else {
                // A group this device lacks: a join of it may be under way.
                pending = true;
                continue;
            };
            if group.mine && group.has_member_device(&peer) {
                shared = true;
                continue;
            }
            if sync.their_log.iter().any(|op| !group.log.contains(op)) {
                // Its log is ahead of mine: it may know us both as members. Its ops come
                // (`push_logs_to_the_stale` on its side) and are judged then.
                pending = true;
                continue;
            }
            // A member tells a former member of its ending; a former member tells another
            // of both endings (its own, and the peer's if the log holds it).
            let (endings, reason) = if group.mine {
                (vec![group.log.ending_of(&peer)], Reason::NotAMember)
            } else {
                let mine = group.log.ending_of(&me);
                let theirs = mine.and(group.log.ending_of(&peer));
                (vec![mine, theirs], Reason::Ended)
            };
            let Some(first) = endings[0] else {
                // Not a member it ever was in my log, nor am I one that ended: a stranger's
                // offer, answered by nothing.
                continue;
            };
            ended = Some(reason);
            if sync.told_ending != Some(first.op) {
                sync.told_ending = Some(first.op);
                let heads: Vec<OpId> = endings.iter().flatten().map(|e| e.op).collect();
                let ops = log_sync::missing_ops_up_to(&group.log, &sync.their_log, &heads);
                if !ops.is_empty() {
                    notices.push((*id, ops, heads));
                }
            }
            sync.stop();
        }
        for (group, ops, heads) in notices {
            log_sync::send_ops(out, peer, group, ops, heads);
        }
        if let Some(reason) = ended
            && !shared
            && !pending
            && self.sessions.end(&peer).is_some()
        {
            out.push(Output::Disconnect { peer, reason });
        }
    }
}

//! What a simulation checks once quiet: every member holds the same log and documents, no
//! group data ever reached a non-member, and status tells the truth.

use mutual_auth::{GroupId, Log, SignedOp};
use mutual_docs::Document;

use super::{DocHeads, PeerIdx, Sim, rebuild_log};

impl Sim {
    /// An op as the trace names things: its action and author peer.
    fn describe_op(&self, op: &SignedOp) -> String {
        let author = self
            .peers
            .iter()
            .position(|p| p.key.id() == op.op.author)
            .map_or_else(|| "?".to_owned(), |p| format!("p{p}"));
        let action = format!("{:?}", op.op.action);
        let action = action
            .split([' ', '{', '('])
            .next()
            .unwrap_or_default()
            .to_owned();
        format!("{action} by {author} ({})", op.id().fmt_short())
    }

    /// The union of every peer's log of a group: the truth the members converge to.
    fn union_log(&self, id: GroupId) -> Option<Log> {
        let mut ops: Vec<SignedOp> = Vec::new();
        for p in &self.peers {
            if let Some(stored) = p.store.groups.get(&id) {
                ops.extend(stored.ops.iter().cloned());
            }
        }
        rebuild_log(&ops)
    }

    /// The peers whose device is a member's device of the group in the union of all logs.
    pub fn members(&self, group: usize) -> Vec<PeerIdx> {
        let Some(truth) = self.union_log(self.groups[group].id) else {
            return Vec::new();
        };
        (0..self.peers.len())
            .filter(|p| truth.state().member_of_device(&self.device(*p)).is_some())
            .collect()
    }

    /// After quiet: every member's device of each group (per the union of all logs) holds
    /// the same log heads, the same documents with the same heads, and equal contents.
    pub fn assert_converged(&self) {
        for (n, group) in self.groups.iter().enumerate() {
            let Some(truth) = self.union_log(group.id) else {
                self.fail(&format!("g{n}: the union of the logs does not load"));
            };
            let members: Vec<PeerIdx> = (0..self.peers.len())
                .filter(|p| truth.state().member_of_device(&self.device(*p)).is_some())
                .collect();
            let mut reference: Option<(PeerIdx, Vec<DocHeads>)> = None;
            for &p in &members {
                let Some(engine) = self.engine(p) else {
                    self.fail(&format!("g{n}: member p{p} is down after quiet"));
                };
                let Some(log) = engine.log(&group.id) else {
                    self.fail(&format!("g{n}: member p{p} never received the group"));
                };
                if log.heads() != truth.heads() {
                    let missing: Vec<String> = truth
                        .ops()
                        .into_iter()
                        .filter(|op| !log.contains(&op.id()))
                        .map(|op| self.describe_op(op))
                        .collect();
                    self.fail(&format!(
                        "g{n}: p{p}'s log heads differ from the union's; it lacks {}",
                        missing.join(", ")
                    ));
                }
                let docs: Vec<_> = engine
                    .docs_of(&group.id)
                    .into_iter()
                    .filter_map(|d| {
                        let heads = engine.doc_heads(&d)?.to_vec();
                        (!heads.is_empty()).then_some((d, heads))
                    })
                    .collect();
                // Whatever a hostile member wrote, the board reads (its junk set aside).
                if engine
                    .doc_heads(&group.board)
                    .is_some_and(|h| !h.is_empty())
                    && let Some(am) = engine.doc(&group.board)
                    && let Err(e) = Document::view_of(am)
                {
                    self.fail(&format!("g{n}: p{p}'s board does not read: {e}"));
                }
                match &reference {
                    None => reference = Some((p, docs)),
                    Some((q, expected)) => {
                        if *expected != docs {
                            self.fail(&format!("g{n}: documents of p{p} and p{q} differ"));
                        }
                        let view = |peer: PeerIdx| {
                            self.engine(peer)
                                .and_then(|e| e.doc(&group.board))
                                .and_then(|am| Document::from_automerge(am.clone()).ok())
                                .and_then(|d| d.view().ok())
                        };
                        if view(p) != view(*q) {
                            self.fail(&format!("g{n}: board contents of p{p} and p{q} differ"));
                        }
                    }
                }
            }
            self.assert_status_honest(n, group.id, &members);
        }
    }

    /// Status tells the truth once all is quiet: members connected to each other say they
    /// are in sync, both ways, and a member connected to another has nothing unshared.
    fn assert_status_honest(&self, n: usize, group: GroupId, members: &[PeerIdx]) {
        for conn in self.conns.values() {
            let (a, b) = (conn.dialer, conn.other);
            if !members.contains(&a) || !members.contains(&b) {
                continue;
            }
            for (me, peer) in [(a, b), (b, a)] {
                let Some(engine) = self.engine(me) else {
                    continue;
                };
                if !engine.in_sync(&self.device(peer), &group) {
                    self.fail(&format!(
                        "g{n}: p{me} does not report p{peer} in sync, though they hold the same"
                    ));
                }
            }
        }
    }

    /// Members only: no frame named a group to a device that was not a member's device in
    /// the sender's log when sent (so a removed member got nothing written after its removal
    /// was known), and no peer heard of, or holds, a group it was never a member of.
    pub fn assert_members_only(&self) {
        if let Some(first) = self.violations.first() {
            self.fail(&format!(
                "{} members-only violations, first: {first}",
                self.violations.len()
            ));
        }
        for (n, group) in self.groups.iter().enumerate() {
            let Some(truth) = self.union_log(group.id) else {
                self.fail(&format!("g{n}: the union of the logs does not load"));
            };
            let ever = truth.known_devices();
            for p in 0..self.peers.len() {
                let device = self.device(p);
                if ever.contains_key(&device) {
                    continue;
                }
                let heard = self.heard.get(&p).is_some_and(|h| h.contains(&group.id));
                let holds = self.peers[p].store.groups.contains_key(&group.id)
                    || self.engine(p).is_some_and(|e| e.log(&group.id).is_some());
                if heard || holds {
                    self.fail(&format!("stranger p{p} heard of or holds g{n}"));
                }
            }
        }
    }
}

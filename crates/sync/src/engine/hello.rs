//! Sessions, hellos, offers and summaries: which groups two devices share, and whether they
//! already hold the same of each (one round trip when nothing changed).

use automerge::ChangeHash;
use mutual_auth::{DeviceId, GroupId};
use mutual_docs::DocId;

use super::sessions::{DocSync, Session};
use super::{Engine, HELLO_TIMEOUT_MS, MAX_OFFERS, MAX_UNKNOWN_GROUPS, Refusal, log_sync, send};
use crate::output::Output;
use crate::wire::{self, Message, Offer};

impl Engine {
    pub(super) fn on_connected(
        &mut self,
        now: u64,
        peer: DeviceId,
        dialer: bool,
        out: &mut Vec<Output>,
    ) {
        if peer == self.me {
            return;
        }
        let mut session = Session::new(dialer, now);
        let mut offers = Vec::new();
        for (id, group) in &self.replicas.groups {
            if group.mine && group.has_member_device(&peer) {
                let offer = self.replicas.offer(*id);
                let sync = session.groups.entry(*id).or_default();
                sync.offered = true;
                sync.told_log.clone_from(&offer.log_heads);
                offers.push(offer);
            }
        }
        self.sessions.start(peer, session);
        let hello = Message::Hello {
            version: wire::VERSION,
            offers,
        };
        send(out, peer, &hello);
    }

    pub(super) fn on_tick(&mut self, now: u64, out: &mut Vec<Output>) {
        let late: Vec<DeviceId> = self
            .sessions
            .iter_mut()
            .filter(|(_, s)| !s.hello && now.saturating_sub(s.since) > HELLO_TIMEOUT_MS)
            .map(|(peer, _)| *peer)
            .collect();
        for peer in late {
            self.refuse(peer, Refusal::NoHello, out);
        }
        let held = self.knowledge.take_dirty();
        if !held.is_empty() {
            out.push(Output::PersistHeld(held));
        }
    }

    pub(super) fn on_frame(&mut self, peer: DeviceId, bytes: &[u8], out: &mut Vec<Output>) {
        let Some(session) = self.sessions.get(&peer) else {
            // A frame still in the pipe after a disconnect.
            return;
        };
        let message = match wire::decode_body(bytes) {
            Ok(message) => message,
            Err(e) => return self.refuse(peer, Refusal::BadFrame(e), out),
        };
        if !session.hello && !matches!(message, Message::Hello { .. }) {
            return self.refuse(peer, Refusal::BeforeHello(message.kind()), out);
        }
        match message {
            Message::Hello { version, offers } => self.on_hello(peer, version, offers, out),
            Message::Offer(offer) => self.on_offer(peer, offer, out),
            Message::Summary { holds, whole_docs } => self.on_summary(peer, holds, whole_docs, out),
            Message::Added {
                group,
                name,
                added_by,
                at,
            } => self.on_added_notice(peer, group, &name, &added_by, at, out),
            Message::Ops { group, ops, heads } => self.on_ops(peer, group, ops, heads, out),
            Message::DocHeads { group, index, docs } => {
                self.on_doc_heads(peer, group, index, docs, out)
            }
            Message::Sync {
                group,
                doc,
                message,
                signatures,
            } => self.on_sync(peer, group, doc, &message, &signatures, out),
            Message::Doc {
                group,
                doc,
                bytes,
                signatures,
            } => self.on_whole_doc(peer, group, doc, &bytes, &signatures, out),
        }
    }

    fn on_hello(&mut self, peer: DeviceId, version: u8, offers: Vec<Offer>, out: &mut Vec<Output>) {
        let Some(session) = self.sessions.get_mut(&peer) else {
            return;
        };
        if session.hello {
            return self.refuse(peer, Refusal::SecondHello, out);
        }
        if version != wire::VERSION {
            return self.refuse(peer, Refusal::UnsupportedVersion(version), out);
        }
        if offers.len() > MAX_OFFERS {
            return self.refuse(peer, Refusal::TooManyOffers(offers.len()), out);
        }
        session.hello = true;
        let offered: Vec<GroupId> = offers.iter().map(|o| o.group).collect();
        for offer in offers {
            self.on_offer(peer, offer, out);
        }
        // The log may have changed since my hello went out (a group joined through another
        // peer meanwhile), and `log_changed` skips peers whose hello is not in yet: offer
        // now what the peer is a member of and has not been offered.
        self.offer_unoffered(peer, out);
        self.push_logs_to_the_stale(peer, &offered, out);
        self.tell_former_members(peer, out);
    }

    /// A former member's device that offered nothing of a group (it removed me in its own
    /// view, say, while I removed it: neither offers the other anything) is told how its
    /// membership ended all the same: the ops up to its ending, which it may lack. The
    /// session stays, so that its own notice reaches me too; whichever of us the merged log
    /// says is out then learns it, and lets the other go.
    fn tell_former_members(&mut self, peer: DeviceId, out: &mut Vec<Output>) {
        let mut notices = Vec::new();
        for (id, group) in &self.replicas.groups {
            if !group.mine || group.has_member_device(&peer) {
                continue;
            }
            let Some(ending) = group.log.ending_of(&peer) else {
                continue;
            };
            let Some(session) = self.sessions.get_mut(&peer) else {
                return;
            };
            if session.groups.contains_key(id) {
                // It offered the group: `settle` told it.
                continue;
            }
            let sync = session.groups.entry(*id).or_default();
            sync.told_ending = Some(ending.op);
            sync.stop();
            let ops = log_sync::missing_ops_up_to(&group.log, &[], &[ending.op]);
            notices.push((*id, ops, vec![ending.op]));
        }
        for (group, ops, heads) in notices {
            log_sync::send_ops(out, peer, group, ops, heads);
        }
    }

    fn on_offer(&mut self, peer: DeviceId, offer: Offer, out: &mut Vec<Output>) {
        let id = offer.group;
        let mine = self.replicas.offer(id);
        let known = self
            .replicas
            .group(&id)
            .map(|g| g.mine && g.has_member_device(&peer));
        let holds = |g: &GroupId| self.replicas.groups.contains_key(g);
        let Some(session) = self.sessions.get_mut(&peer) else {
            return;
        };
        match known {
            Some(shared) => {
                let sync = session.groups.entry(id).or_default();
                sync.their_log.clone_from(&offer.log_heads);
                sync.theirs = Some(offer);
                if !shared {
                    // Not both members in my view. A stranger gets nothing: not a word. A
                    // former member (the peer, or this device) is told how it ended, once.
                    // (If my log is behind, the peer sends it to me: see
                    // `push_logs_to_the_stale`.)
                    return self.settle(peer, out);
                }
                if !sync.offered {
                    sync.offered = true;
                    sync.told_log.clone_from(&mine.log_heads);
                    send(out, peer, &Message::Offer(mine));
                }
                self.reconcile(peer, id, out);
            }
            None => {
                // A group I lack: perhaps I was just added. Ask for its log (empty heads),
                // which reveals nothing the peer did not just tell me.
                if offer.log_heads.is_empty() {
                    return;
                }
                let asks = self.consent.asks_for(&id);
                let unknown = session.unknown_groups(holds);
                if !session.groups.contains_key(&id) && unknown >= MAX_UNKNOWN_GROUPS {
                    return;
                }
                let sync = session.groups.entry(id).or_default();
                sync.their_log.clone_from(&offer.log_heads);
                sync.theirs = Some(offer);
                // Its log is asked for only if the owner agreed (a join under way, or an
                // accepted addition); otherwise the offer is kept, to ask if the owner
                // accepts, and the member tells who added this device (`Added`).
                if !sync.offered && asks {
                    sync.offered = true;
                    send(out, peer, &Message::Offer(mine));
                }
            }
        }
    }

    /// The peer says what it holds now that it is in sync with me: if that is what I hold,
    /// it holds every document as I do. Never answered.
    fn on_summary(
        &mut self,
        peer: DeviceId,
        summary: Offer,
        whole_docs: u32,
        out: &mut Vec<Output>,
    ) {
        let id = summary.group;
        if !self.active(&peer, &id) {
            return;
        }
        let Some(sync) = self.sessions.group_mut(&peer, &id) else {
            return;
        };
        sync.their_log.clone_from(&summary.log_heads);
        sync.their_summary = Some(summary);
        // The documents it took whole, in the order sent: it holds what was sent.
        let newly = whole_docs.saturating_sub(sync.whole_acked) as usize;
        let acked: Vec<(DocId, Vec<ChangeHash>)> = sync
            .whole_sent
            .drain(..newly.min(sync.whole_sent.len()))
            .collect();
        sync.whole_acked = sync.whole_acked.max(whole_docs);
        for (doc, heads) in acked {
            // Unless it said more since (its own sync messages are newer news).
            if self.knowledge.held(&peer, &doc).is_none_or(<[_]>::is_empty) {
                self.knowledge.learn(peer, doc, heads);
            }
        }
        self.check_synced(peer, id, out);
    }

    /// The peer holds every document of the group as I do (equal digests).
    pub(super) fn learn_all_held(&mut self, peer: DeviceId, id: GroupId) {
        let Some(group) = self.replicas.group(&id) else {
            return;
        };
        for doc_id in &group.docs {
            let heads = self
                .replicas
                .doc(doc_id)
                .map(|d| d.heads.clone())
                .unwrap_or_default();
            self.knowledge.learn(peer, *doc_id, heads);
        }
    }

    /// After `peer`'s hello: a group of mine in which it is a member's device, but which its
    /// hello did not offer, is one whose log it lacks or holds behind mine (it does not know
    /// me as a member yet). Either way it may have my log: it is a member. A peer that lacks
    /// the group ignores it (and asks, by the join path); one that is behind catches up.
    fn push_logs_to_the_stale(
        &mut self,
        peer: DeviceId,
        offered: &[GroupId],
        out: &mut Vec<Output>,
    ) {
        let stale: Vec<GroupId> = self
            .replicas
            .groups
            .iter()
            .filter(|(id, group)| {
                !offered.contains(id) && group.mine && group.has_member_device(&peer)
            })
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            self.tell_stale(peer, id, out);
        }
    }

    /// Offers `peer` every group it is a member's device of in my log that it has not been
    /// offered yet, and reconciles those it already offered me.
    pub(super) fn offer_unoffered(&mut self, peer: DeviceId, out: &mut Vec<Output>) {
        let due: Vec<GroupId> = self
            .replicas
            .groups
            .iter()
            .filter(|(_, group)| group.mine && group.has_member_device(&peer))
            .map(|(id, _)| *id)
            .filter(|id| {
                self.sessions
                    .get(&peer)
                    .is_some_and(|s| !s.groups.get(id).is_some_and(|g| g.offered))
            })
            .collect();
        for id in due {
            let mine = self.replicas.offer(id);
            let Some(session) = self.sessions.get_mut(&peer) else {
                return;
            };
            let sync = session.groups.entry(id).or_default();
            sync.offered = true;
            sync.told_log.clone_from(&mine.log_heads);
            let theirs = sync.theirs.is_some();
            send(out, peer, &Message::Offer(mine));
            if theirs {
                self.reconcile(peer, id, out);
            }
        }
    }

    /// Both offers have crossed: send the ops the peer lacks, then compare documents.
    pub(super) fn reconcile(&mut self, peer: DeviceId, id: GroupId, out: &mut Vec<Output>) {
        if !self.active(&peer, &id) {
            return;
        }
        let digest = self.replicas.digest(id);
        let heads_message = self.replicas.doc_heads(id);
        let all_heads = self.replicas.all_heads(id);
        let Some(group) = self.replicas.group(&id) else {
            return;
        };
        let Some(sync) = self.sessions.group_mut(&peer, &id) else {
            return;
        };
        let Some(theirs) = sync.theirs.clone() else {
            return;
        };
        let heads = group.log.heads();
        if theirs.log_heads != heads {
            sync.told_log.clone_from(&heads);
            let missing = log_sync::missing_ops(&group.log, &theirs.log_heads);
            log_sync::send_ops(out, peer, id, missing, heads);
        }
        // Either way the peer learns what I hold of every document: the digests are equal,
        // or my heads go now.
        sync.told = all_heads;
        if digest == theirs.docs_digest {
            sync.heads_pending = false;
            for doc_id in &group.docs {
                if let Some(doc) = self.replicas.doc(doc_id).filter(|d| !d.heads.is_empty()) {
                    sync.docs
                        .entry(*doc_id)
                        .or_insert_with(|| DocSync::seeded(&doc.heads));
                }
            }
            self.learn_all_held(peer, id);
            self.check_synced(peer, id, out);
        } else {
            sync.heads_pending = true;
            send(out, peer, &heads_message);
        }
    }
}

//! A member admitting a joiner: which groups of this device an invite opens, and the
//! add-member (or link-device) ops that admit it.

use libp2p_identity::PeerId;
use mutual_auth::{PublicKey, Signature, SignedOp};

use super::{ASK_WINDOW, ASKS_PER_WINDOW, JoinMessage, OfferedGroup};
use crate::runtime::{Event, Runtime, RuntimeError};
use crate::{JoinRequest, Refusal};

impl Runtime {
    /// A joiner's ask: the groups of this device with that invite, if its proof holds, each
    /// with its membership log for the joiner to check and show.
    pub(in crate::runtime) fn offer_to_joiner(
        &mut self,
        peer: PeerId,
        lookup: &[u8; 16],
        proof: &Signature,
    ) -> Result<(JoinMessage, Vec<Vec<SignedOp>>), RuntimeError> {
        let refused = (
            JoinMessage::Refused {
                refusal: Refusal::UnknownInvite,
            },
            Vec::new(),
        );
        let Ok(asker) = PublicKey::from_peer_id(&peer) else {
            return Ok(refused);
        };
        // Each ask costs signature checks: a peer gets a few per minute.
        let now = std::time::Instant::now();
        let (since, asks) = self.join_asks.entry(peer).or_insert((now, 0));
        if now.duration_since(*since) > ASK_WINDOW {
            (*since, *asks) = (now, 0);
        }
        *asks += 1;
        if *asks > ASKS_PER_WINDOW {
            return Ok(refused);
        }
        // The engine holds every group's validated log in memory.
        let now_ms = u64::try_from(crate::node::now_ms()).unwrap_or(0);
        let mut found = Vec::new();
        let mut former = false;
        for group in self.engine().groups() {
            let Some(log) = self.engine().log(&group) else {
                continue;
            };
            for invite in log.state().invites.values() {
                if mutual_auth::invite_lookup(&invite.key) != *lookup
                    || mutual_auth::verify_ask(&invite.key, &asker, proof).is_err()
                {
                    continue;
                }
                // Only invites usable now are offered: one that expired, was used up or
                // revoked gets the answer an unknown one gets, so that an old code tells
                // nobody which devices hold its group.
                let usable =
                    !invite.revoked && invite.uses < invite.max_uses && now_ms < invite.expires_at;
                if !self.engine().is_member(&group) {
                    // A device that is no longer a member says so (the asker proved it
                    // holds the invite): it speaks only of itself, and saves the joiner
                    // from waiting on it.
                    former = true;
                } else if usable {
                    found.push((group, invite.clone()));
                }
            }
        }
        let mut named = Vec::new();
        for (group, invite) in found {
            let name = self.node.group(&group)?.name;
            named.push((group, name, invite));
        }
        let found = named;
        let Some((_, _, invite)) = found.first() else {
            return Ok(if former {
                let refusal = Refusal::NoLongerMember;
                (JoinMessage::Refused { refusal }, Vec::new())
            } else {
                refused
            });
        };
        let logs = found
            .iter()
            .map(|(group, _, _)| {
                self.engine()
                    .log(group)
                    .map(|log| log.ops().into_iter().cloned().collect())
                    .unwrap_or_default()
            })
            .collect();
        let offer = JoinMessage::Offer {
            invite: invite.key,
            groups: found
                .iter()
                .map(|(group, name, _)| OfferedGroup {
                    group: *group,
                    name: name.clone(),
                })
                .collect(),
        };
        Ok((offer, logs))
    }

    /// A joiner's request: admits it to each group it may join, then spreads the ops.
    pub(in crate::runtime) fn admit_joiner(
        &mut self,
        peer: PeerId,
        requests: &[JoinRequest],
    ) -> Result<JoinMessage, RuntimeError> {
        let Ok(joiner) = PublicKey::from_peer_id(&peer) else {
            return Ok(JoinMessage::Refused {
                refusal: Refusal::Invalid,
            });
        };
        let mut admitted = Vec::new();
        let mut refusal = None;
        for request in requests.iter().take(64) {
            match self.node.admit(request, &joiner) {
                Ok(()) => admitted.push(request.group),
                Err(why) => {
                    refusal.get_or_insert(why);
                }
            }
        }
        self.perform_outbox();
        self.emit(Event::Admitted {
            peer: peer.to_string(),
            groups: admitted.iter().map(ToString::to_string).collect(),
        });
        Ok(match (admitted.is_empty(), refusal) {
            (false, _) => JoinMessage::Admitted { groups: admitted },
            (true, refusal) => JoinMessage::Refused {
                refusal: refusal.unwrap_or(Refusal::Invalid),
            },
        })
    }
}

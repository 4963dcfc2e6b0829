//! This device joining a group: it asks each member it reaches (the code's inviter, anyone
//! mDNS finds, anyone connected) until one admits it, then waits until the group is in sync.
//! A peer that could not help is asked again after a while (1 s, doubling to 16 s: fewer
//! than the ten asks a minute a member answers) until the join's deadline: in a crowded
//! hall a member's answer can fail for a moment, and a newcomer that could not help a
//! moment ago may be a member by now.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use libp2p_identity::PeerId;
use mutual_auth::{GroupId, InviteKey, PublicKey};
use tokio::sync::oneshot;

use super::{AttemptError, Attempted, Credentials, JoinStep, Look, OfferedGroup, attempt};
use crate::Refusal;
use crate::runtime::{Event, JoinError, Joined, Response, Runtime, RuntimeError};

/// How long before a peer that could not help is asked again after its first attempt;
/// doubling after each, up to sixteen times this.
const ASK_AGAIN: Duration = Duration::from_secs(1);

/// How a look or a join ended.
enum Outcome {
    /// A member's offer, checked: nothing was saved.
    Looked(Look),
    /// Admitted; `synced` if every group arrived before the deadline.
    Joined {
        synced: bool,
    },
    Failed(JoinError),
}

/// This device's join under way.
#[derive(Debug)]
pub(in crate::runtime) struct Joining {
    credentials: Credentials,
    /// From a link code: the member key this device will act for once admitted.
    member_secret: Option<[u8; 32]>,
    /// A full code's inviter device.
    pub(in crate::runtime) inviter: Option<PeerId>,
    /// Peers asked: when each may be asked again (`None` while an attempt is under way),
    /// and how many attempts it had.
    asked: BTreeMap<PeerId, (Option<Instant>, u32)>,
    /// What was tried and why it did not work, for the person.
    pub(in crate::runtime) tried: Vec<String>,
    /// Whether a device that holds the invite said it is no longer a member: if no one
    /// else admits this device, that is what the person is told.
    only_former: bool,
    /// The groups a member admitted this device to.
    admitted: Vec<OfferedGroup>,
    /// Those of them in sync with someone since.
    synced: BTreeSet<GroupId>,
    pub(in crate::runtime) deadline: Instant,
    reply: oneshot::Sender<Response>,
}

impl Runtime {
    /// Starts a look or a confirmed join with `code`; `reply` gets the outcome.
    pub(in crate::runtime) fn start_join(
        &mut self,
        code: &str,
        name: Option<&str>,
        timeout_ms: u64,
        step: JoinStep,
        reply: oneshot::Sender<Response>,
    ) {
        if self.joining.is_some() {
            let _ = reply.send(Response::JoinFailed(JoinError::Busy));
            return;
        }
        match self.prepare_join(code, name, step) {
            Ok((credentials, member_secret, inviter)) => {
                if let JoinStep::Confirm(seen) = &credentials.step {
                    // The admission this join asks for is taken without asking the owner
                    // again; any other addition meanwhile waits for them. A meetup code
                    // names no group: the one the person saw is expected.
                    let seen_group = match seen.groups.as_slice() {
                        [one] if member_secret.is_none() => Some(one.group),
                        _ => None,
                    };
                    let expected = mutual_sync::Expected {
                        group: credentials.group.or(seen_group),
                        invite: Some(credentials.key.public()),
                        member: member_secret
                            .map(|secret| mutual_auth::MemberKey::from_secret_bytes(secret).id()),
                    };
                    if let Ok(engine) = self.node.engine_mut() {
                        engine.expect_join(Some(expected));
                    }
                    // Whoever admits this device may send the group's log in large frames.
                    self.refresh_frame_limits(None);
                }
                let deadline = Instant::now() + Duration::from_millis(timeout_ms);
                self.joining = Some(Joining {
                    credentials,
                    member_secret,
                    inviter: inviter.as_ref().map(|(peer, _)| *peer),
                    asked: BTreeMap::new(),
                    tried: Vec::new(),
                    only_former: false,
                    admitted: Vec::new(),
                    synced: BTreeSet::new(),
                    deadline,
                    reply,
                });
                if let Some((peer, addresses)) = inviter
                    && !self.peers.contains_key(&peer)
                {
                    self.emit(Event::Dialing {
                        target: peer.to_string(),
                    });
                    if let Err(e) = self.net.dial_peer(peer, addresses)
                        && let Some(joining) = &mut self.joining
                    {
                        joining.tried.push(format!("the code's addresses: {e}"));
                    }
                }
                let connected: Vec<PeerId> = self.peers.keys().copied().collect();
                for peer in connected {
                    self.ask_to_join(peer);
                }
                self.dial_lan_seen();
            }
            Err(error) => {
                let _ = reply.send(Response::JoinFailed(error));
            }
        }
    }

    /// What a code stands for, checked against this device: the credentials, a link
    /// code's member secret, and a full code's inviter with its addresses.
    #[allow(clippy::type_complexity)]
    fn prepare_join(
        &mut self,
        code: &str,
        name: Option<&str>,
        step: JoinStep,
    ) -> Result<
        (
            Credentials,
            Option<[u8; 32]>,
            Option<(PeerId, Vec<mutual_net::multiaddr::Multiaddr>)>,
        ),
        JoinError,
    > {
        use mutual_codes::{Code, ParseError};
        let failed = |e: crate::Error| JoinError::Failed(e.to_string());
        let code = Code::parse(code).map_err(|e| match e {
            ParseError::UnknownVersion { .. } => JoinError::UnknownVersion(e.to_string()),
            e => JoinError::Mistyped(e.to_string()),
        })?;
        let key = InviteKey::from_code_secret(&code.secret());
        let (group, member_secret, inviter) = match &code {
            Code::Meetup(_) => (None, None, None),
            Code::Full(full) => {
                let group = GroupId::from_bytes(full.group);
                let inviter = PublicKey::from_bytes(&full.inviter)
                    .map_err(|_| JoinError::Mistyped("the code names no valid device".into()))?;
                let addresses = full
                    .addresses
                    .iter()
                    .filter_map(|a| mutual_net::multiaddr::Multiaddr::try_from(a.clone()).ok())
                    .collect();
                (
                    Some(group),
                    full.member_secret,
                    Some((inviter.peer_id(), addresses)),
                )
            }
        };
        let device = self.node.identity().map_err(failed)?.device.id();
        if member_secret.is_some() && self.node.has_groups().map_err(failed)? {
            return Err(JoinError::NeedsFreshDevice);
        }
        if let Some(group) = group
            && member_secret.is_none()
            && self
                .engine()
                .log(&group)
                .is_some_and(|log| log.state().member_of_device(&device).is_some())
        {
            return Err(JoinError::Refused(Refusal::AlreadyMember));
        }
        let my_name = self.node.identity().map_err(failed)?.name.clone();
        let name = name.map_or(my_name, |n| n.trim().to_owned());
        let request = self
            .node
            .join_request(
                &group.unwrap_or_else(|| GroupId::from_bytes([0; 32])),
                &key,
                &name,
                member_secret,
            )
            .map_err(failed)?;
        let credentials = Credentials {
            key,
            cert: request.cert,
            name: request.name,
            // A link code links this device in every group of its member that the admitting
            // device shares; the code's group only says where to start.
            group: group.filter(|_| member_secret.is_none()),
            meetup_secret: match &code {
                Code::Meetup(meetup) => Some(meetup.secret),
                Code::Full(_) => None,
            },
            device,
            step,
            linked: member_secret.is_some(),
        };
        Ok((credentials, member_secret, inviter))
    }

    /// Asks `peer` to admit this device, if a join is under way and `peer` was not asked
    /// yet, or may be asked again by now.
    pub(in crate::runtime) fn ask_to_join(&mut self, peer: PeerId) {
        let Some(joining) = &mut self.joining else {
            return;
        };
        if !joining.admitted.is_empty() {
            return;
        }
        let (again, tries) = joining
            .asked
            .get(&peer)
            .copied()
            .unwrap_or((Some(Instant::now()), 0));
        if again.is_none_or(|at| Instant::now() < at) {
            return;
        }
        joining.asked.insert(peer, (None, tries + 1));
        tokio::spawn(attempt(
            peer,
            self.control.clone(),
            joining.credentials.clone(),
            self.to_loop.clone(),
        ));
    }

    /// Asks again the connected peers whose time to be asked again has come.
    pub(in crate::runtime) fn ask_again_to_join(&mut self) {
        let Some(joining) = &self.joining else {
            return;
        };
        let now = Instant::now();
        let due: Vec<PeerId> = joining
            .asked
            .iter()
            .filter(|(peer, (again, _))| {
                again.is_some_and(|at| at <= now) && self.peers.contains_key(peer)
            })
            .map(|(peer, _)| *peer)
            .collect();
        for peer in due {
            self.ask_to_join(peer);
        }
    }

    /// One attempt ended: admitted, refused for good, or on to the next peer (and this one
    /// again later).
    pub(in crate::runtime) fn join_attempted(
        &mut self,
        peer: PeerId,
        result: Result<Attempted, AttemptError>,
    ) -> Result<(), RuntimeError> {
        let Some(joining) = &mut self.joining else {
            return Ok(());
        };
        if !joining.admitted.is_empty() {
            return Ok(());
        }
        if let Some((again, tries)) = joining.asked.get_mut(&peer) {
            let doublings = tries.saturating_sub(1).min(4);
            *again = Some(Instant::now() + ASK_AGAIN.saturating_mul(1 << doublings));
        }
        match result {
            Ok(Attempted::Looked(look)) => self.finish_join(Outcome::Looked(look)),
            Ok(Attempted::Admitted(groups)) => {
                if let Some(secret) = joining.member_secret {
                    self.node.adopt_member_key(secret)?;
                }
                // Taken when their logs arrive, even after this join stops waiting.
                for offered in &groups {
                    self.node
                        .accept_joined(offered.group, &offered.name, &peer.to_string())?;
                }
                self.perform_outbox();
                if let Some(joining) = &mut self.joining {
                    joining.admitted = groups;
                }
                // The group may have synced with that member before its answer came.
                let device = PublicKey::from_peer_id(&peer).ok();
                let done: Vec<GroupId> = self
                    .joining
                    .iter()
                    .flat_map(|j| j.admitted.iter().map(|o| o.group))
                    .filter(|g| device.is_some_and(|d| self.engine().in_sync(&d, g)))
                    .collect();
                for group in done {
                    self.join_synced(group);
                }
            }
            Err(AttemptError::Refused(refusal)) => {
                if matches!(
                    refusal,
                    Refusal::UnknownInvite | Refusal::Invalid | Refusal::NoLongerMember
                ) {
                    // Another member may know the invite (any device that does not hold
                    // the group answers as one whose invite went out of use); but if the
                    // code's own inviter holds no usable invite for it, none does.
                    joining.only_former |= refusal == Refusal::NoLongerMember;
                    if refusal == Refusal::UnknownInvite && joining.inviter == Some(peer) {
                        self.finish_join(Outcome::Failed(JoinError::Refused(refusal)));
                        return Ok(());
                    }
                    let why = match refusal {
                        Refusal::UnknownInvite => "it holds no usable invite for this code".into(),
                        other => other.to_string(),
                    };
                    joining.tried.push(format!("{peer}: {why}"));
                    return Ok(());
                }
                self.finish_join(Outcome::Failed(JoinError::Refused(refusal)));
            }
            Err(AttemptError::Unhelpful(why)) => joining.tried.push(format!("{peer}: {why}")),
        }
        Ok(())
    }

    /// A group is in sync with someone: the join is done once all admitted groups are, each
    /// with every document its index lists here.
    pub(in crate::runtime) fn join_synced(&mut self, group: GroupId) {
        if !self.node.holds_every_document(&group) {
            return;
        }
        let Some(joining) = &mut self.joining else {
            return;
        };
        if !joining.admitted.iter().any(|o| o.group == group) {
            return;
        }
        joining.synced.insert(group);
        if joining
            .admitted
            .iter()
            .all(|o| joining.synced.contains(&o.group))
        {
            self.finish_join(Outcome::Joined { synced: true });
        }
    }

    /// The deadline passed: admitted but not yet synced is a success that goes on in the
    /// background; not admitted is a failure saying what was tried.
    pub(in crate::runtime) fn join_timed_out(&mut self) {
        let admitted = self
            .joining
            .as_ref()
            .is_some_and(|j| !j.admitted.is_empty());
        if admitted {
            self.finish_join(Outcome::Joined { synced: false });
        } else if self.joining.as_ref().is_some_and(|j| j.only_former) {
            self.finish_join(Outcome::Failed(JoinError::Refused(Refusal::NoLongerMember)));
        } else {
            let mut tried = self
                .joining
                .as_mut()
                .map(|j| std::mem::take(&mut j.tried))
                .unwrap_or_default();
            // A peer asked again and again says the same each time: once is enough.
            let mut seen = BTreeSet::new();
            tried.retain(|what| seen.insert(what.clone()));
            self.finish_join(Outcome::Failed(JoinError::NoMemberReachable { tried }));
        }
    }

    /// Writes the address book's rows of the members' devices it met to the store.
    fn keep_members_addresses(&mut self) {
        let members: Vec<PeerId> = self
            .book
            .peers()
            .filter(|peer| self.is_member_device(peer))
            .copied()
            .collect();
        for peer in members {
            if let Some(record) = self.book.record(&peer)
                && let Err(e) = self.node.remember_peer(record)
            {
                self.emit(Event::Warning {
                    message: format!("cannot keep where {peer} was met: {e}"),
                });
            }
        }
    }

    fn finish_join(&mut self, outcome: Outcome) {
        let Some(joining) = self.joining.take() else {
            return;
        };
        if let Ok(engine) = self.node.engine_mut() {
            engine.expect_join(None);
        }
        self.refresh_frame_limits(None);
        let joined = matches!(outcome, Outcome::Joined { .. });
        if joined && self.ephemeral_book {
            // A node started for the join alone keeps its address book in memory, so that a
            // failed join writes nothing. One that worked keeps where it met the members:
            // without it, `serve` (with mDNS off, or on another network) would never find
            // them again.
            self.keep_members_addresses();
            // The member that admitted this device kept the address it announced: the
            // same port, when this device serves later, is where it will look.
            if let Err(e) = self.keep_listen_ports() {
                self.emit(Event::Warning {
                    message: format!("cannot keep this device's port: {e}"),
                });
            }
        }
        let response = match outcome {
            Outcome::Looked(look) => Response::Looked(look),
            Outcome::Joined { synced } => Response::Joined(Joined {
                groups: joining.admitted,
                synced,
                linked: joining.member_secret.is_some(),
            }),
            Outcome::Failed(error) => Response::JoinFailed(error),
        };
        let _ = joining.reply.send(response);
    }
}

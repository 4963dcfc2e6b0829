//! Joining a group from an invite code: the `/mutual/join/1` exchange, both sides.
//!
//! The joiner reaches members (the addresses in a full code, anyone mDNS finds, anyone
//! already connected) and, on a fresh stream with each, runs:
//!
//! 1. joiner → `Ask { lookup, proof }`: the invite named by a hash of its public key, and a
//!    signature by the invite key over the joiner's device key. A peer that is not a member
//!    learns nothing it could build a fake group around, and the proof is worthless relayed
//!    by another device (the member checks it against the Noise-authenticated peer).
//! 2. member → `Offer { invite, groups }` (the invite's public key, which proves the member
//!    read it in a real log) or `Refused`.
//! 3. joiner → `Request { requests }`: per group, its device certificate and chosen name,
//!    bound to the group by the invite key's signature.
//! 4. member → `Admitted { groups }` once the add-member (or link-device) ops are durable,
//!    or `Refused { refusal }`.
//!
//! Then the member's sync engine offers the group to its new member on their sync session,
//! and the join completes once the group is in sync with someone. Frames are postcard,
//! each behind a 4-byte big-endian length, at most [`MAX_FRAME`] bytes; every read has a
//! deadline, so a silent peer costs one task for a few seconds, never the loop.

use std::time::Duration;

use futures::{AsyncReadExt as _, AsyncWriteExt as _};
use libp2p_identity::PeerId;
use mutual_auth::{DeviceCert, GroupId, InviteKey, PublicKey, Signature};
use mutual_net::{JOIN_PROTOCOL, Stream};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::Msg;
use crate::{JoinRequest, Refusal};

/// The largest join frame accepted.
const MAX_FRAME: usize = 64 * 1024;
/// A peer may ask this many times per window which group an invite opens.
const ASKS_PER_WINDOW: u32 = 10;
const ASK_WINDOW: Duration = Duration::from_secs(60);
/// How long each side waits for the other's next frame.
const STEP_TIMEOUT: Duration = Duration::from_secs(15);

/// A group a member offers to a joiner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OfferedGroup {
    /// The group.
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub group: GroupId,
    /// Its name, to show the joiner.
    pub name: String,
}

/// One frame of the join exchange (public so that other implementations, and tests that
/// play a hostile peer, can speak it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JoinMessage {
    /// Joiner: the invite it holds, by [`mutual_auth::invite_lookup`], and
    /// [`InviteKey::ask`] over its own device key.
    Ask {
        /// Which invite.
        lookup: [u8; 16],
        /// Proof of its secret.
        proof: Signature,
    },
    /// Member: the invite's public key and the groups it opens here.
    Offer {
        /// The invite's public key.
        invite: PublicKey,
        /// The groups.
        groups: Vec<OfferedGroup>,
    },
    /// Joiner: one request per group.
    Request {
        /// The requests.
        requests: Vec<JoinRequest>,
    },
    /// Member: the groups the joiner was admitted to (the ops are durable).
    Admitted {
        /// The groups.
        groups: Vec<GroupId>,
    },
    /// Member: no.
    Refused {
        /// Why.
        refusal: Refusal,
    },
}

/// What the loop answers a member-side task.
pub(super) type Answer = oneshot::Sender<JoinMessage>;

/// Why one attempt with one peer did not admit this device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum AttemptError {
    /// The member refused, for a reason that holds for every member (expired...).
    Refused(Refusal),
    /// This peer cannot help (not a member of the group, or the exchange failed).
    Unhelpful(String),
}

/// What the joiner brings to each attempt.
#[derive(Debug, Clone)]
pub(super) struct Credentials {
    /// The invite key the code stands for.
    pub(super) key: InviteKey,
    /// This device's certificate as the joining (or linked) member.
    pub(super) cert: DeviceCert,
    /// The chosen name (empty for a link).
    pub(super) name: String,
    /// A full code's group: the member must offer this one.
    pub(super) group: Option<GroupId>,
    /// This device's key, which the ask proof binds.
    pub(super) device: mutual_auth::DeviceId,
}

// ---- the joiner's side ---------------------------------------------------------------

/// Runs the exchange with `peer` on a stream opened to it, and reports to the loop.
pub(super) async fn attempt(
    peer: PeerId,
    mut control: mutual_net::Control,
    credentials: Credentials,
    to_loop: mpsc::Sender<Msg>,
) {
    let result = match control.open_stream(peer, JOIN_PROTOCOL).await {
        Ok(stream) => exchange(stream, &credentials).await,
        Err(e) => Err(AttemptError::Unhelpful(format!(
            "cannot ask it (it may not run Mutual): {e}"
        ))),
    };
    let _ = to_loop.send(Msg::JoinAttempted { peer, result }).await;
}

async fn exchange(
    mut stream: Stream,
    credentials: &Credentials,
) -> Result<Vec<OfferedGroup>, AttemptError> {
    let unhelpful = |what: &str| AttemptError::Unhelpful(what.to_owned());
    let invite = credentials.key.public();
    let ask = JoinMessage::Ask {
        lookup: mutual_auth::invite_lookup(&invite),
        proof: credentials.key.ask(&credentials.device),
    };
    write_frame(&mut stream, &ask)
        .await
        .map_err(|e| unhelpful(&e))?;
    let offered = match read_frame(&mut stream).await.map_err(|e| unhelpful(&e))? {
        JoinMessage::Offer {
            invite: named,
            groups,
        } if named == invite => groups,
        JoinMessage::Offer { .. } => {
            return Err(unhelpful(
                "it named another invite: not a member of this group",
            ));
        }
        JoinMessage::Refused {
            refusal: Refusal::UnknownInvite,
        } => {
            return Err(unhelpful(
                "it is not a member of the group this invite opens",
            ));
        }
        JoinMessage::Refused { refusal } => return Err(AttemptError::Refused(refusal)),
        _ => return Err(unhelpful("it answered out of turn")),
    };
    let groups: Vec<OfferedGroup> = offered
        .into_iter()
        .filter(|o| credentials.group.is_none_or(|g| g == o.group))
        .collect();
    if groups.is_empty() {
        return Err(unhelpful("it offered another group than the code's"));
    }
    let requests = groups
        .iter()
        .map(|o| JoinRequest {
            group: o.group,
            via: credentials
                .key
                .redeem(&o.group, &credentials.cert, &credentials.name),
            cert: credentials.cert,
            name: credentials.name.clone(),
        })
        .collect();
    write_frame(&mut stream, &JoinMessage::Request { requests })
        .await
        .map_err(|e| unhelpful(&e))?;
    let answer = read_frame(&mut stream).await.map_err(|e| unhelpful(&e))?;
    let _ = stream.close().await;
    match answer {
        JoinMessage::Admitted { groups: admitted } => {
            let admitted: Vec<OfferedGroup> = groups
                .into_iter()
                .filter(|o| admitted.contains(&o.group))
                .collect();
            if admitted.is_empty() {
                Err(unhelpful("it admitted this device to no group it offered"))
            } else {
                Ok(admitted)
            }
        }
        JoinMessage::Refused {
            refusal: Refusal::UnknownInvite,
        } => Err(unhelpful(
            "it is not a member of the group this invite opens",
        )),
        JoinMessage::Refused { refusal } => Err(AttemptError::Refused(refusal)),
        _ => Err(unhelpful("it answered out of turn")),
    }
}

// ---- the member's side ---------------------------------------------------------------

/// Serves one inbound join stream: each step is decided by the loop (which holds the node).
pub(super) async fn serve(peer: PeerId, mut stream: Stream, to_loop: mpsc::Sender<Msg>) {
    let Ok(JoinMessage::Ask { lookup, proof }) = read_frame(&mut stream).await else {
        return;
    };
    let (reply, answer) = oneshot::channel();
    let asked = Msg::JoinAsked {
        peer,
        lookup,
        proof,
        reply,
    };
    if to_loop.send(asked).await.is_err() {
        return;
    }
    let Ok(offer) = answer.await else { return };
    let offered = matches!(offer, JoinMessage::Offer { .. });
    if write_frame(&mut stream, &offer).await.is_err() || !offered {
        let _ = stream.close().await;
        return;
    }
    let Ok(JoinMessage::Request { requests }) = read_frame(&mut stream).await else {
        return;
    };
    let (reply, answer) = oneshot::channel();
    if to_loop
        .send(Msg::JoinRequested {
            peer,
            requests,
            reply,
        })
        .await
        .is_err()
    {
        return;
    }
    if let Ok(outcome) = answer.await {
        let _ = write_frame(&mut stream, &outcome).await;
    }
    let _ = stream.close().await;
}

// ---- frames --------------------------------------------------------------------------

/// Writes one frame (4-byte big-endian length, then postcard).
pub async fn write_frame(stream: &mut Stream, message: &JoinMessage) -> Result<(), String> {
    let body = postcard::to_stdvec(message).map_err(|e| e.to_string())?;
    let len = u32::try_from(body.len()).map_err(|_| "frame too large".to_owned())?;
    let mut frame = len.to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    let write = async {
        stream.write_all(&frame).await?;
        stream.flush().await
    };
    match tokio::time::timeout(STEP_TIMEOUT, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("the stream broke: {e}")),
        Err(_) => Err("it stopped reading".to_owned()),
    }
}

/// Reads one frame, refusing any over 64 KiB; gives up after 15 s.
pub async fn read_frame(stream: &mut Stream) -> Result<JoinMessage, String> {
    let read = async {
        let mut len = [0; 4];
        stream.read_exact(&mut len).await?;
        let len = usize::try_from(u32::from_be_bytes(len)).unwrap_or(usize::MAX);
        if len > MAX_FRAME {
            return Ok(Err(format!("it sent a {len}-byte frame")));
        }
        let mut body = vec![0; len];
        stream.read_exact(&mut body).await?;
        Ok::<_, std::io::Error>(Ok(body))
    };
    match tokio::time::timeout(STEP_TIMEOUT, read).await {
        Ok(Ok(Ok(body))) => {
            postcard::from_bytes(&body).map_err(|e| format!("it sent an unreadable frame: {e}"))
        }
        Ok(Ok(Err(reason))) => Err(reason),
        Ok(Err(e)) => Err(format!("the stream broke: {e}")),
        Err(_) => Err("it did not answer in time".to_owned()),
    }
}

// ---- the runtime's part --------------------------------------------------------------

impl super::Runtime {
    /// Starts joining with `code`; `reply` gets the outcome.
    pub(super) fn start_join(
        &mut self,
        code: &str,
        name: Option<&str>,
        timeout_ms: u64,
        reply: oneshot::Sender<super::Response>,
    ) {
        use super::{JoinError, Response};
        if self.joining.is_some() {
            let _ = reply.send(Response::JoinFailed(JoinError::Busy));
            return;
        }
        match self.prepare_join(code, name) {
            Ok((credentials, member_secret, inviter)) => {
                let deadline = std::time::Instant::now() + Duration::from_millis(timeout_ms);
                self.joining = Some(super::Joining {
                    credentials,
                    member_secret,
                    inviter: inviter.as_ref().map(|(peer, _)| *peer),
                    asked: std::collections::BTreeSet::new(),
                    tried: Vec::new(),
                    admitted: Vec::new(),
                    synced: std::collections::BTreeSet::new(),
                    deadline,
                    reply,
                });
                if let Some((peer, addresses)) = inviter
                    && !self.peers.contains_key(&peer)
                {
                    self.emit(super::Event::Dialing {
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
    ) -> Result<
        (
            Credentials,
            Option<[u8; 32]>,
            Option<(PeerId, Vec<mutual_net::multiaddr::Multiaddr>)>,
        ),
        super::JoinError,
    > {
        use super::JoinError;
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
                .engine
                .log(&group)
                .is_some_and(|log| log.state().member_of_device(&device).is_some())
        {
            return Err(JoinError::AlreadyMember);
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
            device,
        };
        Ok((credentials, member_secret, inviter))
    }

    /// Asks `peer` to admit this device, if a join is under way and it was not asked yet.
    pub(super) fn ask_to_join(&mut self, peer: PeerId) {
        let Some(joining) = &mut self.joining else {
            return;
        };
        if !joining.admitted.is_empty() || !joining.asked.insert(peer) {
            return;
        }
        tokio::spawn(attempt(
            peer,
            self.control.clone(),
            joining.credentials.clone(),
            self.to_loop.clone(),
        ));
    }

    /// One attempt ended: admitted, refused for good, or on to the next peer.
    pub(super) fn join_attempted(
        &mut self,
        peer: PeerId,
        result: Result<Vec<OfferedGroup>, AttemptError>,
    ) -> Result<(), super::RuntimeError> {
        use super::JoinError;
        let Some(joining) = &mut self.joining else {
            return Ok(());
        };
        if !joining.admitted.is_empty() {
            return Ok(());
        }
        match result {
            Ok(groups) => {
                if let Some(secret) = joining.member_secret {
                    self.node.adopt_member_key(secret)?;
                }
                if let Some(joining) = &mut self.joining {
                    joining.admitted = groups;
                }
                // The group may have synced with that member before its answer came.
                let device = PublicKey::from_peer_id(&peer).ok();
                let done: Vec<GroupId> = self
                    .joining
                    .iter()
                    .flat_map(|j| j.admitted.iter().map(|o| o.group))
                    .filter(|g| device.is_some_and(|d| self.engine.in_sync(&d, g)))
                    .collect();
                for group in done {
                    self.join_synced(group);
                }
            }
            Err(AttemptError::Refused(refusal)) => {
                let error = match refusal {
                    Refusal::Expired => JoinError::Expired,
                    Refusal::UsedUp => JoinError::UsedUp,
                    Refusal::Revoked => JoinError::Revoked,
                    Refusal::AlreadyMember => JoinError::AlreadyMember,
                    Refusal::UnknownInvite | Refusal::Invalid => {
                        joining.tried.push(format!("{peer}: {refusal}"));
                        return Ok(());
                    }
                };
                self.finish_join(Err(error));
            }
            Err(AttemptError::Unhelpful(why)) => joining.tried.push(format!("{peer}: {why}")),
        }
        Ok(())
    }

    /// A group is in sync with someone: the join is done once all admitted groups are.
    pub(super) fn join_synced(&mut self, group: GroupId) {
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
            self.finish_join(Ok(true));
        }
    }

    /// The deadline passed: admitted but not yet synced is a success that goes on in the
    /// background; not admitted is a failure saying what was tried.
    pub(super) fn join_timed_out(&mut self) {
        let admitted = self
            .joining
            .as_ref()
            .is_some_and(|j| !j.admitted.is_empty());
        if admitted {
            self.finish_join(Ok(false));
        } else {
            let tried = self
                .joining
                .as_mut()
                .map(|j| std::mem::take(&mut j.tried))
                .unwrap_or_default();
            self.finish_join(Err(super::JoinError::NoMemberReachable { tried }));
        }
    }

    fn finish_join(&mut self, outcome: Result<bool, super::JoinError>) {
        use super::{Joined, Response};
        let Some(joining) = self.joining.take() else {
            return;
        };
        let response = match outcome {
            Ok(synced) => Response::Joined(Joined {
                groups: joining.admitted,
                synced,
                linked: joining.member_secret.is_some(),
            }),
            Err(error) => Response::JoinFailed(error),
        };
        let _ = joining.reply.send(response);
    }

    /// A joiner's ask: the groups of this device with that invite, if its proof holds.
    pub(super) fn offer_to_joiner(
        &mut self,
        peer: PeerId,
        lookup: &[u8; 16],
        proof: &Signature,
    ) -> Result<JoinMessage, super::RuntimeError> {
        let refused = JoinMessage::Refused {
            refusal: Refusal::UnknownInvite,
        };
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
        let mut found = Vec::new();
        for group in self.engine.groups() {
            let Some(log) = self.engine.log(&group) else {
                continue;
            };
            for invite in log.state().invites.values() {
                if mutual_auth::invite_lookup(&invite.key) == *lookup
                    && mutual_auth::verify_ask(&invite.key, &asker, proof).is_ok()
                {
                    let name = self.node.group(&group)?.name;
                    found.push((group, name, invite.clone()));
                }
            }
        }
        let Some((_, _, invite)) = found.first() else {
            return Ok(refused);
        };
        Ok(JoinMessage::Offer {
            invite: invite.key,
            groups: found
                .iter()
                .map(|(group, name, _)| OfferedGroup {
                    group: *group,
                    name: name.clone(),
                })
                .collect(),
        })
    }

    /// A joiner's request: admits it to each group it may join, then spreads the ops.
    pub(super) fn admit_joiner(
        &mut self,
        peer: PeerId,
        requests: &[JoinRequest],
    ) -> Result<JoinMessage, super::RuntimeError> {
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
        self.drain_local()?;
        self.emit(super::Event::Admitted {
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

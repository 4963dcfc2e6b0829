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
//!    read it in a real log), then each offered group's membership log in `LogPart` frames;
//!    or `Refused`. The joiner checks each log ([`look`]): a look ends here, with what the
//!    person is shown before anything is saved; a confirmed join goes on only with a
//!    member whose log holds what the person saw.
//! 3. joiner → `Request { requests }`: per group, its device certificate and chosen name,
//!    bound to the group by the invite key's signature.
//! 4. member → `Admitted { groups }` once the add-member (or link-device) ops are durable,
//!    or `Refused { refusal }`.
//!
//! Then the member's sync engine offers the group to its new member on their sync session,
//! and the join completes once the group is in sync with someone. Frames are postcard,
//! each behind a 4-byte big-endian length, at most [`MAX_FRAME`] bytes; every read has a
//! deadline, so a silent peer costs one task for a few seconds, never the loop; a joiner
//! reads at most [`look::MAX_LOOK_BYTES`] of logs per offer, two offers at a time.

use std::time::Duration;

use futures::{AsyncReadExt as _, AsyncWriteExt as _};
use libp2p_identity::PeerId;
use mutual_auth::{DeviceCert, GroupId, InviteKey, PublicKey, Signature, SignedOp};
use mutual_net::{JOIN_PROTOCOL, Stream};
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::Msg;
use crate::{JoinRequest, Refusal};

mod joiner;
mod look;
mod member;

pub(super) use joiner::Joining;
pub use look::{JoinStep, Look, LookedGroup, LookedMember};

/// The largest join frame accepted: one op of the largest size, with room to spare.
const MAX_FRAME: usize = mutual_auth::MAX_OP_BYTES + 4 * 1024;
/// A log part is cut at this many bytes of ops (a larger op goes alone).
const LOG_PART_BYTES: usize = 60 * 1024;
/// How long a joiner spends on one member's offer, logs and answer in all.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(90);
/// Offers whose logs a joiner reads at once: each holds up to [`look::MAX_LOOK_BYTES`].
static READING_LOGS: Semaphore = Semaphore::const_new(2);
/// A peer may ask this many times per window which group an invite opens.
pub(super) const ASKS_PER_WINDOW: u32 = 10;
pub(super) const ASK_WINDOW: Duration = Duration::from_secs(60);
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
    /// Member, after its offer: part of an offered group's membership log, parents first;
    /// the groups' logs in the offer's order, each ending with a `last` part.
    LogPart {
        /// The ops.
        ops: Vec<SignedOp>,
        /// Whether this part ends the group's log.
        last: bool,
    },
}

/// What the loop answers a member-side task.
pub(super) type Answer = oneshot::Sender<JoinMessage>;
/// What the loop answers a joiner's ask: an offer with each offered group's log, or a
/// refusal (with no logs).
pub(super) type OfferAnswer = oneshot::Sender<(JoinMessage, Vec<Vec<SignedOp>>)>;

/// What one attempt with one peer brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::runtime) enum Attempted {
    /// A look: what the member offered, checked.
    Looked(Look),
    /// A confirmed join: the groups the member admitted this device to.
    Admitted(Vec<OfferedGroup>),
}

/// Why one attempt with one peer did not admit this device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::runtime) enum AttemptError {
    /// The member refused, for a reason that holds for every member (expired...).
    Refused(Refusal),
    /// This peer cannot help (not a member of the group, or the exchange failed).
    Unhelpful(String),
}

/// What the joiner brings to each attempt.
#[derive(Debug, Clone)]
pub(in crate::runtime) struct Credentials {
    /// The invite key the code stands for.
    pub(super) key: InviteKey,
    /// This device's certificate as the joining (or linked) member.
    pub(super) cert: DeviceCert,
    /// The chosen name (empty for a link).
    pub(super) name: String,
    /// A full code's group: the member must offer this one.
    pub(super) group: Option<GroupId>,
    /// A meetup code's secret, which names no group: the member must offer the one it
    /// binds ([`mutual_auth::invite_secret_binds`]).
    pub(super) meetup_secret: Option<[u8; mutual_auth::INVITE_SECRET_LEN]>,
    /// This device's key, which the ask proof binds.
    pub(super) device: mutual_auth::DeviceId,
    /// Whether to look, or to join what was seen.
    pub(super) step: JoinStep,
    /// Whether the code is a link code.
    pub(super) linked: bool,
}

// ---- the joiner's side ---------------------------------------------------------------

/// Runs the exchange with `peer` on a stream opened to it, and reports to the loop.
pub(in crate::runtime) async fn attempt(
    peer: PeerId,
    mut control: mutual_net::Control,
    credentials: Credentials,
    to_loop: mpsc::Sender<Msg>,
) {
    let run = async {
        let stream = control
            .open_stream(peer, JOIN_PROTOCOL)
            .await
            .map_err(|e| {
                AttemptError::Unhelpful(format!("cannot ask it (it may not run Mutual): {e}"))
            })?;
        exchange(stream, peer, &credentials).await
    };
    let result = tokio::time::timeout(ATTEMPT_TIMEOUT, run)
        .await
        .unwrap_or_else(|_| Err(AttemptError::Unhelpful("it took too long".into())));
    let _ = to_loop.send(Msg::JoinAttempted { peer, result }).await;
}

async fn exchange(
    mut stream: Stream,
    peer: PeerId,
    credentials: &Credentials,
) -> Result<Attempted, AttemptError> {
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
        JoinMessage::Refused { refusal } => return Err(AttemptError::Refused(refusal)),
        _ => return Err(unhelpful("it answered out of turn")),
    };
    let wanted: Vec<OfferedGroup> = offered
        .iter()
        .filter(|o| credentials.group.is_none_or(|g| g == o.group))
        .filter(|o| {
            credentials
                .meetup_secret
                .is_none_or(|secret| mutual_auth::invite_secret_binds(&secret, &o.group))
        })
        .cloned()
        .collect();
    if wanted.is_empty() {
        return Err(unhelpful("it offered another group than the code's"));
    }
    let answerer = PublicKey::from_peer_id(&peer).map_err(|_| unhelpful("no device key"))?;
    let looked = {
        // Two offers' logs in memory at most, whoever answers.
        let _reading = READING_LOGS
            .acquire()
            .await
            .map_err(|e| unhelpful(&e.to_string()))?;
        let logs = read_logs(&mut stream, offered.len()).await?;
        let checking = tokio::task::spawn_blocking(move || {
            offered
                .iter()
                .zip(logs)
                .filter(|(o, _)| wanted.contains(o))
                .map(|(o, ops)| look::read_log(o, ops, &answerer, &invite))
                .collect::<Result<Vec<_>, String>>()
        });
        checking
            .await
            .map_err(|e| unhelpful(&e.to_string()))?
            .map_err(|e| unhelpful(&e))?
    };
    let groups: Vec<LookedGroup> = match &credentials.step {
        JoinStep::Look => {
            return Ok(Attempted::Looked(Look {
                groups: looked.into_iter().map(|(group, _)| group).collect(),
                linked: credentials.linked,
            }));
        }
        JoinStep::Confirm(seen) => looked
            .into_iter()
            .filter(|(_, log)| look::holds_what_was_seen(seen, log))
            .map(|(group, _)| group)
            .collect(),
    };
    if groups.is_empty() {
        return Err(unhelpful(
            "its membership log lacks some of what you were shown (it may be a removed \
             member's old copy)",
        ));
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
                .iter()
                .filter(|o| admitted.contains(&o.group))
                .map(LookedGroup::offered)
                .collect();
            if admitted.is_empty() {
                Err(unhelpful("it admitted this device to no group it offered"))
            } else {
                Ok(Attempted::Admitted(admitted))
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

/// Reads the logs of `groups` offered groups, counting ops and bytes before any is
/// checked.
async fn read_logs(stream: &mut Stream, groups: usize) -> Result<Vec<Vec<SignedOp>>, AttemptError> {
    let unhelpful = |what: String| AttemptError::Unhelpful(what);
    let mut logs = Vec::with_capacity(groups.min(64));
    let mut bytes = 0usize;
    for _ in 0..groups {
        let mut log = Vec::new();
        loop {
            let (ops, last, size) = match read_sized_frame(stream).await.map_err(unhelpful)? {
                (JoinMessage::LogPart { ops, last }, size) => (ops, last, size),
                _ => return Err(unhelpful("it sent no membership log with its offer".into())),
            };
            bytes = bytes.saturating_add(size);
            if bytes > look::MAX_LOOK_BYTES
                || log.len().saturating_add(ops.len()) > look::MAX_LOOK_OPS
            {
                return Err(unhelpful(
                    "its membership logs are too large to check".into(),
                ));
            }
            log.extend(ops);
            if last {
                break;
            }
        }
        logs.push(log);
    }
    Ok(logs)
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
    let Ok((offer, logs)) = answer.await else {
        return;
    };
    let groups: Vec<GroupId> = match &offer {
        JoinMessage::Offer { groups, .. } => groups.iter().map(|o| o.group).collect(),
        _ => Vec::new(),
    };
    if write_frame(&mut stream, &offer).await.is_err() || groups.is_empty() {
        let _ = stream.close().await;
        return;
    }
    for log in logs {
        for part in log_parts(log) {
            if write_frame(&mut stream, &part).await.is_err() {
                return;
            }
        }
    }
    let Ok(JoinMessage::Request { requests }) = read_frame(&mut stream).await else {
        // It holds a usable code and saw who is in the group, and asked for nothing: a look
        // (before a join, or instead of one). Told: one that never joins leaves no other
        // trace.
        let _ = to_loop.send(Msg::JoinLooked { peer, groups }).await;
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

/// A group's log as frames of at most [`LOG_PART_BYTES`] of ops (or one larger op).
fn log_parts(log: Vec<SignedOp>) -> Vec<JoinMessage> {
    let mut parts = Vec::new();
    let (mut ops, mut size) = (Vec::new(), 0);
    for op in log {
        let len = op.to_bytes().len();
        if !ops.is_empty() && size + len > LOG_PART_BYTES {
            parts.push(JoinMessage::LogPart {
                ops: std::mem::take(&mut ops),
                last: false,
            });
            size = 0;
        }
        size += len;
        ops.push(op);
    }
    parts.push(JoinMessage::LogPart { ops, last: true });
    parts
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

/// Reads one frame, refusing any over [`MAX_FRAME`]; gives up after 15 s.
pub async fn read_frame(stream: &mut Stream) -> Result<JoinMessage, String> {
    read_sized_frame(stream).await.map(|(message, _)| message)
}

/// Reads one frame and says how many bytes it took.
async fn read_sized_frame(stream: &mut Stream) -> Result<(JoinMessage, usize), String> {
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
        Ok(Ok(Ok(body))) => postcard::from_bytes(&body)
            .map(|message| (message, body.len()))
            .map_err(|e| format!("it sent an unreadable frame: {e}")),
        Ok(Ok(Err(reason))) => Err(reason),
        Ok(Err(e)) => Err(format!("the stream broke: {e}")),
        Err(_) => Err("it did not answer in time".to_owned()),
    }
}

//! One sync stream per peer: who opens it, its reader task (bytes to frames to the loop) and
//! its writer task (a bounded queue of frames), and what the engine is told when it starts
//! and ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::{AsyncReadExt as _, AsyncWriteExt as _};
use libp2p_identity::PeerId;
use mutual_auth::DeviceId;
use mutual_net::{SYNC_PROTOCOL, Stream};
use mutual_sync::Input;
use mutual_sync::wire::{MAX_FRAME, STRANGER_FRAME};
use tokio::sync::{mpsc, oneshot};

use super::{Event, Msg, Multiaddr, Runtime, RuntimeError};

/// Frames queued for one peer's writer, at most this many...
const WRITER_FRAMES: usize = 4096;
/// ...and this many bytes; past either, the peer is disconnected.
const WRITER_BYTES: usize = 64 * 1024 * 1024;
/// Opening a sync stream that takes longer than this is retried.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a peer being let go keeps its connection for its writer to finish.
pub(super) const PARTING_GRACE: Duration = Duration::from_secs(5);
/// Bytes read from a stream at a time.
const READ_CHUNK: usize = 64 * 1024;
/// Most ops handed to the loop in one frame: a frame may carry tens of thousands, which
/// the loop would otherwise insert without answering anything else meanwhile.
const OPS_PER_SLICE: usize = 1_000;

/// Most peers at once that share no group with this device, bring no log it asked for, and
/// may send large frames because they say their log of a group it holds is ahead: each may
/// make its reader hold [`MAX_FRAME`] bytes, and anyone who knows a group's id can say so.
const MAX_UNASKED_LARGE: usize = 4;

/// Most listen addresses kept of a peer that is no member's device yet.
pub(super) const MAX_ANNOUNCED: usize = 8;

/// A peer with at least one connection.
#[derive(Debug)]
pub(super) struct Peer {
    pub(super) device: Option<DeviceId>,
    /// When its first connection came up (unix ms).
    pub(super) since: i64,
    /// The address this device dialed it at (none if it dialed in).
    pub(super) dialed: Option<Multiaddr>,
    /// Where it says it listens (identify), reachable from elsewhere: kept for when it
    /// becomes a member here (a joiner this device admits), at most [`MAX_ANNOUNCED`].
    pub(super) announced: Vec<Multiaddr>,
    pub(super) session: Option<Session>,
    pub(super) opening: bool,
    /// Since when it is being let go (it shares no group with this device any more): its
    /// connection closes once its writer has sent what was queued (the ops that tell it
    /// why), or at the latest after [`PARTING_GRACE`].
    pub(super) parting: Option<Instant>,
}

/// An open sync stream with a peer.
#[derive(Debug)]
pub(super) struct Session {
    id: u64,
    frames: mpsc::Sender<Vec<u8>>,
    queued: Arc<AtomicUsize>,
    /// The largest frame its reader takes now (`Engine::frame_limit`).
    frame_limit: Arc<AtomicUsize>,
    /// Whether this side opened its stream.
    pub(super) mine: bool,
}

impl Runtime {
    /// If this device is the one to open the session with `peer`, starts opening it: the
    /// side that dialed, or, at a tick (`late`), also the smaller id.
    pub(super) fn open_session(&mut self, peer: PeerId, late: bool) {
        let me = self.me;
        let Some(state) = self.peers.get_mut(&peer) else {
            return;
        };
        let opener = state.dialed.is_some() || (late && me < peer);
        if !opener || state.opening || state.session.is_some() {
            return;
        }
        state.opening = true;
        let mut control = self.control.clone();
        let to_loop = self.to_loop.clone();
        tokio::spawn(async move {
            let opened =
                tokio::time::timeout(OPEN_TIMEOUT, control.open_stream(peer, SYNC_PROTOCOL));
            let result = match opened.await {
                Ok(Ok(stream)) => Ok(stream),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("timed out".to_owned()),
            };
            let _ = to_loop.send(Msg::Opened { peer, result }).await;
        });
    }

    /// A stream this device asked for opened (or did not: it is retried at the next tick
    /// while the peer stays connected).
    pub(super) fn stream_opened(
        &mut self,
        peer: PeerId,
        result: Result<Stream, String>,
    ) -> Result<(), RuntimeError> {
        let Some(state) = self.peers.get_mut(&peer) else {
            return Ok(());
        };
        state.opening = false;
        match result {
            Ok(stream) => {
                if let (None, Some(device)) = (&state.session, state.device) {
                    self.start_session(peer, device, stream, true)?;
                }
            }
            Err(error) => self.emit(Event::Warning {
                message: format!("cannot open a sync stream to {peer}: {error}"),
            }),
        }
        Ok(())
    }

    /// A stream the peer opened: taken unless this side opened one too and has the smaller
    /// id.
    pub(super) fn inbound_stream(
        &mut self,
        peer: PeerId,
        stream: Stream,
    ) -> Result<(), RuntimeError> {
        let state = self.peers.get(&peer);
        let opened_here =
            state.is_some_and(|p| p.opening || p.session.as_ref().is_some_and(|s| s.mine));
        if opened_here && self.me < peer {
            return Ok(());
        }
        let Some(device) = state.and_then(|p| p.device) else {
            return Ok(());
        };
        if state.is_some_and(|p| p.session.is_some()) {
            // The peer started afresh (its old stream broke): so do we.
            self.close_session(peer, device)?;
        }
        self.start_session(peer, device, stream, false)
    }

    /// Starts the session's reader and writer, and tells the engine.
    fn start_session(
        &mut self,
        peer: PeerId,
        device: DeviceId,
        stream: Stream,
        opened_by_me: bool,
    ) -> Result<(), RuntimeError> {
        let Some(state) = self.peers.get_mut(&peer) else {
            return Ok(());
        };
        self.next_session += 1;
        let id = self.next_session;
        let (read, write) = stream.split();
        let (frames, frames_rx) = mpsc::channel(WRITER_FRAMES);
        let queued = Arc::new(AtomicUsize::new(0));
        let limit = self
            .node
            .engine()
            .map_or(mutual_sync::wire::STRANGER_FRAME, |engine| {
                engine.frame_limit(&device)
            });
        let frame_limit = Arc::new(AtomicUsize::new(limit));
        let reader = read_frames(
            peer,
            id,
            read,
            Arc::clone(&frame_limit),
            self.to_loop.clone(),
        );
        tokio::spawn(reader);
        tokio::spawn(write_frames(write, frames_rx, Arc::clone(&queued)));
        state.session = Some(Session {
            id,
            frames,
            queued,
            frame_limit,
            mine: opened_by_me,
        });
        self.emit(Event::SessionStarted {
            peer: peer.to_string(),
        });
        self.drive(Input::Connected {
            peer: device,
            dialer: opened_by_me,
        })
    }

    /// Drops the session with `peer` (its writer closes the stream) and tells the engine.
    pub(super) fn close_session(
        &mut self,
        peer: PeerId,
        device: DeviceId,
    ) -> Result<(), RuntimeError> {
        if let Some(state) = self.peers.get_mut(&peer)
            && state.session.take().is_some()
        {
            self.drive(Input::Disconnected { peer: device })?;
        }
        Ok(())
    }

    /// Lets `peer` go: drops its session (its writer sends what is queued, then closes
    /// the stream) and disconnects it once the peer has closed its side too, having read
    /// what was sent ([`Runtime::parted`]): closing the connection at once could drop
    /// frames still on their way. Not while it is asking this device to admit it, nor
    /// while this device is joining: a former member may come back with a new invite.
    pub(super) fn let_go(&mut self, peer: PeerId) {
        let asking = self
            .join_asks
            .get(&peer)
            .is_some_and(|(since, _)| since.elapsed() < super::join::ASK_WINDOW);
        let Some(state) = self.peers.get_mut(&peer) else {
            return;
        };
        state.session = None;
        if !asking && self.joining.is_none() {
            state.parting = Some(Instant::now());
        }
    }

    /// A stream being let go was closed by its peer (`closed`), or a tick passed: peers
    /// being let go that closed their side, or whose grace ran out, are disconnected.
    pub(super) fn parted(&mut self, closed: Option<PeerId>) {
        let gone: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(peer, state)| {
                state.parting.is_some_and(|since| {
                    (closed == Some(**peer) && state.session.is_none())
                        || since.elapsed() >= PARTING_GRACE
                })
            })
            .map(|(peer, _)| *peer)
            .collect();
        for peer in gone {
            if let Some(state) = self.peers.get_mut(&peer) {
                state.parting = None;
            }
            self.net.disconnect(peer);
        }
    }

    /// The device of `peer` if `session` is its current session.
    pub(super) fn current(&self, peer: PeerId, session: u64) -> Option<DeviceId> {
        let state = self.peers.get(&peer)?;
        (state.session.as_ref()?.id == session).then_some(state.device)?
    }

    /// Tells the readers of the sessions with `only` (or with every peer) the largest
    /// frame each peer may send now, as the engine judges it.
    pub(super) fn refresh_frame_limits(&self, only: Option<DeviceId>) {
        let engine = self.engine();
        // Anyone who knows a group's id can say its log is ahead of this device's: such
        // peers may send large frames only a few at a time, those that may already keep it.
        let unasked = |device: &DeviceId| {
            !engine.shares_a_group_with(device) && !engine.brings_an_awaited_log(device)
        };
        let large =
            |session: &Session| session.frame_limit.load(Ordering::Relaxed) > STRANGER_FRAME;
        let mut granted = self
            .peers
            .values()
            .filter(|state| {
                state.session.as_ref().is_some_and(large)
                    && state.device.is_some_and(|d| unasked(&d))
            })
            .count();
        for state in self.peers.values() {
            let (Some(session), Some(device)) = (&state.session, state.device) else {
                continue;
            };
            if only.is_none_or(|only| only == device) {
                let mut limit = engine.frame_limit(&device);
                if unasked(&device) {
                    let had = large(session);
                    if limit > STRANGER_FRAME && !had {
                        if granted < MAX_UNASKED_LARGE {
                            granted += 1;
                        } else {
                            limit = STRANGER_FRAME;
                        }
                    } else if limit <= STRANGER_FRAME && had {
                        granted = granted.saturating_sub(1);
                    }
                }
                session.frame_limit.store(limit, Ordering::Relaxed);
            }
        }
    }

    /// The peers with an open session.
    pub(super) fn in_session(&self) -> impl Iterator<Item = (&PeerId, &Peer)> {
        self.peers
            .iter()
            .filter(|(_, state)| state.session.is_some())
    }

    /// Queues a frame on the peer's writer. A peer that does not read is let go (bounded
    /// memory): it redials and resumes.
    pub(super) fn send(&mut self, device: DeviceId, frame: Vec<u8>) {
        let peer = device.peer_id();
        let Some(session) = self.peers.get(&peer).and_then(|s| s.session.as_ref()) else {
            return;
        };
        let len = frame.len();
        let too_much = session.queued.load(Ordering::Relaxed) + len > WRITER_BYTES;
        let sent = !too_much && session.frames.try_send(frame).is_ok();
        if sent {
            session.queued.fetch_add(len, Ordering::Relaxed);
            return;
        }
        self.emit(Event::Warning {
            message: format!("{peer} is not reading its frames; disconnecting it"),
        });
        if let Some(state) = self.peers.get_mut(&peer) {
            state.session = None;
        }
        // The engine forgets the session at once (which asks for nothing); the
        // connection's end follows.
        let now = self.now();
        let _ = self.node.handle(now, Input::Disconnected { peer: device });
        self.net.disconnect(peer);
    }
}

/// Reads a session's stream, cuts it into frame bodies of at most `limit` bytes and hands
/// them to the loop (waiting when the loop is busy: backpressure on this peer only).
async fn read_frames(
    peer: PeerId,
    session: u64,
    mut read: futures::io::ReadHalf<Stream>,
    limit: Arc<AtomicUsize>,
    to_loop: mpsc::Sender<Msg>,
) {
    let mut decoder = mutual_sync::wire::FrameDecoder::new();
    let mut buf = vec![0; READ_CHUNK];
    let sender = DeviceId::from_peer_id(&peer).ok();
    let reason = 'read: loop {
        let n = match read.read(&mut buf).await {
            Ok(0) => break 'read "closed by the peer".to_owned(),
            Ok(n) => n,
            Err(e) => break 'read e.to_string(),
        };
        decoder.push(&buf[..n]);
        loop {
            // The loop raises it once the peer is known to be a member's device; a frame
            // declared larger before that is refused before it is buffered. The frames
            // before this one may not be judged yet (a hello or ops that make the peer a
            // member, read in the same chunk): then the loop is asked to catch up first.
            let declared = decoder.next_len().unwrap_or(0);
            if declared > limit.load(Ordering::Relaxed)
                && declared <= MAX_FRAME
                && !caught_up(&to_loop).await
            {
                return;
            }
            decoder.set_limit(limit.load(Ordering::Relaxed));
            match decoder.next_body() {
                Ok(Some(bytes)) => {
                    // A stranger's ops are the engine's to pick from (it checks only those
                    // that admit it): checking them all here would be work it never asked
                    // for.
                    let member = limit.load(Ordering::Relaxed) > STRANGER_FRAME;
                    let slices = match sender.filter(|_| member) {
                        Some(sender) => checked_slices(sender, bytes).await,
                        None => vec![bytes],
                    };
                    let sliced = slices.len() > 1;
                    for bytes in slices {
                        let frame = Msg::Frame {
                            peer,
                            session,
                            bytes,
                        };
                        if to_loop.send(frame).await.is_err() {
                            return;
                        }
                        // One slice at a time: what others asked meanwhile goes between.
                        if sliced && !caught_up(&to_loop).await {
                            return;
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => break 'read format!("bad frame: {e}"),
            }
        }
    };
    let _ = to_loop
        .send(Msg::Closed {
            peer,
            session,
            reason,
        })
        .await;
}

/// Waits until the loop handled everything sent to it before; false if it is gone.
async fn caught_up(to_loop: &mpsc::Sender<Msg>) -> bool {
    let (reply, handled) = oneshot::channel();
    to_loop.send(Msg::Barrier(reply)).await.is_ok() && handled.await.is_ok()
}

/// A frame body from a member's device as the loop should take it (one whose frames may be
/// large: `Engine::frame_limit`). A frame of ops has their signatures checked
/// on a worker thread first (`mutual_auth::check_ahead`: the loop's insert then skips
/// them), and is cut into frames of at most [`OPS_PER_SLICE`] ops, each with the sender's
/// heads, so that the loop answers others between them (its own admission first, whole:
/// `mutual_sync::engine::in_slices`). Any other frame goes as it is
/// (the engine judges every frame, this one included, as if nothing had been done here).
async fn checked_slices(sender: DeviceId, bytes: Vec<u8>) -> Vec<Vec<u8>> {
    use mutual_sync::wire::{self, Message};
    let Ok(Message::Ops { group, ops, heads }) = wire::decode_body(&bytes) else {
        return vec![bytes];
    };
    let checked = tokio::task::spawn_blocking(move || {
        for op in &ops {
            mutual_auth::check_ahead(op, &group);
        }
        ops
    })
    .await;
    let Ok(ops) = checked else {
        return vec![bytes];
    };
    if ops.len() <= OPS_PER_SLICE {
        return vec![bytes];
    }
    mutual_sync::engine::in_slices(ops, &sender, OPS_PER_SLICE)
        .into_iter()
        .filter_map(|ops| {
            let message = Message::Ops {
                group,
                ops,
                heads: heads.clone(),
            };
            let frame = wire::encode(&message).ok()?;
            Some(frame[wire::LEN_BYTES..].to_vec())
        })
        .collect()
}

/// Writes a session's frames in order; closes the stream when the loop drops the session.
async fn write_frames(
    mut write: futures::io::WriteHalf<Stream>,
    mut frames: mpsc::Receiver<Vec<u8>>,
    queued: Arc<AtomicUsize>,
) {
    while let Some(frame) = frames.recv().await {
        let len = frame.len();
        let written = write.write_all(&frame).await.and(write.flush().await);
        queued.fetch_sub(len, Ordering::Relaxed);
        if written.is_err() {
            // The reader sees the stream end too and reports it.
            return;
        }
    }
    let _ = write.close().await;
}

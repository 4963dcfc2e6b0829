//! The node runtime: one device online. It joins the store ([`Node`]), the sans-IO sync
//! engine ([`mutual_sync::Engine`]) and the libp2p swarm ([`mutual_net::Net`]).
//!
//! [`Runtime::new`] loads every group's log and documents into the engine, builds the swarm
//! with the device key and binds the control socket ([`control`]); [`Runtime::run`] is the
//! event loop, a `tokio::select!` over four sources: the swarm (polled continuously), the
//! inbox fed by the tasks it spawned (frames read from peers, streams opened, control
//! requests), and a one-second tick (engine timeouts, stream retries, redials).
//!
//! Invariants:
//! - Invariant: one sync session per peer. The device with the smaller `PeerId` opens the
//!   stream; an inbound stream from a larger one is dropped.
//! - Invariant: the engine's `Persist*` outputs are committed to the store before any later
//!   output of the same call is performed, so nothing is acknowledged or relayed unsaved. A
//!   store failure stops the runtime.
//! - Invariant: every channel is bounded. A peer whose writer falls behind (frames or bytes)
//!   is disconnected; a reader waits for the loop (backpressure on that peer only).
//! - Invariant: only this module spawns tasks (stream readers and writers, stream opening,
//!   control connections); the loop never waits on any of them.

mod book;
pub mod control;
mod status;

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::{AsyncReadExt as _, AsyncWriteExt as _};
use libp2p_identity::PeerId;
use mutual_auth::{DeviceId, GroupId, PublicKey};
use mutual_net::multiaddr::{Multiaddr, Protocol};
use mutual_net::{Net, SYNC_PROTOCOL, Stream};
use mutual_sync::{Engine, Input, Output};
use tokio::sync::{mpsc, oneshot};

use crate::node::Committed;
use crate::{Error, Node};

pub use control::{CommandReply, CommandRequest, ControlError, Request, Response, SOCKET_FILE};
pub use mutual_net::Config as NetConfig;
pub use status::{DeviceStatus, Event, GroupStatus, PeerView, Status};

/// Messages from the runtime's tasks to its loop, at most this many waiting.
const INBOX: usize = 256;
/// Events for the runtime's owner, at most this many waiting (more are dropped).
const EVENTS: usize = 1024;
/// Frames queued for one peer's writer, at most this many...
const WRITER_FRAMES: usize = 4096;
/// ...and this many bytes; past either, the peer is disconnected.
const WRITER_BYTES: usize = 64 * 1024 * 1024;
/// Opening a sync stream that takes longer than this is retried.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes read from a stream at a time.
const READ_CHUNK: usize = 64 * 1024;

/// How a [`Runtime`] is set up.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The network's configuration (listen addresses, mDNS...).
    pub net: mutual_net::Config,
}

/// Runs one forwarded command line against the node (the CLI's own command code).
pub type Exec = Box<dyn FnMut(&mut Node, CommandRequest) -> CommandReply + Send>;

/// Why the runtime could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The store failed (at start, or persisting what a peer sent).
    #[error(transparent)]
    Node(#[from] Error),
    /// The network could not be set up.
    #[error(transparent)]
    Net(#[from] mutual_net::Error),
    /// The control socket could not be bound.
    #[error("cannot listen on the control socket {path}: {source}")]
    Socket {
        /// The socket's path.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

/// What the tasks tell the loop.
#[derive(Debug)]
enum Msg {
    /// A stream this device asked for is open (or failed to open).
    Opened {
        peer: PeerId,
        result: Result<Stream, String>,
    },
    /// A frame body read from a session.
    Frame {
        peer: PeerId,
        session: u64,
        bytes: Vec<u8>,
    },
    /// A session's stream ended.
    Closed {
        peer: PeerId,
        session: u64,
        reason: String,
    },
    /// A request on the control socket.
    Control {
        request: Request,
        reply: oneshot::Sender<Response>,
    },
}

/// An open sync stream with a peer.
#[derive(Debug)]
struct Session {
    id: u64,
    frames: mpsc::Sender<Vec<u8>>,
    queued: Arc<AtomicUsize>,
}

/// A peer with at least one connection.
#[derive(Debug)]
struct Peer {
    device: Option<DeviceId>,
    session: Option<Session>,
    opening: bool,
}

/// One device online: the store, the sync engine and the swarm, driven by one loop.
pub struct Runtime {
    node: Node,
    engine: Engine,
    net: Net,
    control: mutual_net::Control,
    me: PeerId,
    inbox: mpsc::Receiver<Msg>,
    to_loop: mpsc::Sender<Msg>,
    events: mpsc::Sender<Event>,
    peers: HashMap<PeerId, Peer>,
    book: book::Book,
    listening: Vec<Multiaddr>,
    socket: PathBuf,
    next_session: u64,
    started: Instant,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("me", &self.me)
            .field("engine", &self.engine)
            .field("peers", &self.peers.len())
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Loads the node's groups into a sync engine, starts the swarm with the device key and
    /// binds the control socket. Must be called within a tokio runtime. Returns the
    /// runtime and the receiver of its events.
    pub fn new(
        mut node: Node,
        config: &Config,
    ) -> Result<(Runtime, mpsc::Receiver<Event>), RuntimeError> {
        let identity = node.identity()?;
        let mut engine = Engine::new(identity.device.id());
        let keypair = identity.device.to_libp2p_keypair();
        for group in node.sync_groups()? {
            let id = group.log.group_id();
            engine.add_group(group.log, Some(group.index));
            for (doc, am) in group.docs {
                engine.add_doc(id, doc, am);
            }
        }
        let book = book::Book::load(node.peers()?);
        node.record_commits();
        let net = Net::new(keypair, &config.net)?;
        let (listener, socket) =
            control::bind(node.dir()).map_err(|source| RuntimeError::Socket {
                path: node.dir().join(SOCKET_FILE),
                source,
            })?;
        let (to_loop, inbox) = mpsc::channel(INBOX);
        let (events, events_rx) = mpsc::channel(EVENTS);
        tokio::spawn(control::serve(listener, to_loop.clone()));
        let runtime = Runtime {
            me: net.peer_id(),
            control: net.control(),
            node,
            engine,
            net,
            inbox,
            to_loop,
            events,
            peers: HashMap::new(),
            book,
            listening: Vec::new(),
            socket,
            next_session: 0,
            started: Instant::now(),
        };
        Ok((runtime, events_rx))
    }

    /// This device's peer id.
    pub fn peer_id(&self) -> PeerId {
        self.me
    }

    /// Runs until `shutdown` completes (or the store fails). Forwarded command lines run
    /// through `exec`; then what they committed is handed to the engine.
    pub async fn run(
        mut self,
        mut exec: Exec,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), RuntimeError> {
        self.emit(Event::Started {
            peer_id: self.me.to_string(),
        });
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        let result = loop {
            let step = tokio::select! {
                () = &mut shutdown => break Ok(()),
                event = self.net.next_event() => self.on_net(event),
                Some(msg) = self.inbox.recv() => self.on_msg(msg, &mut exec),
                _ = tick.tick() => self.on_tick(),
            };
            if let Err(e) = step {
                break Err(e);
            }
        };
        // Another serve may start on this directory once the lock is released.
        let _ = std::fs::remove_file(&self.socket);
        result
    }

    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn emit(&self, event: Event) {
        // An owner that does not keep up loses events; the sync loop never waits for it.
        let _ = self.events.try_send(event);
    }

    // ---- the swarm -----------------------------------------------------------------

    fn on_net(&mut self, event: mutual_net::Event) -> Result<(), RuntimeError> {
        use mutual_net::Event as E;
        match event {
            E::Listening { address } => {
                let address = address.with_p2p(self.me).unwrap_or_else(|a| a);
                self.listening.push(address.clone());
                self.emit(Event::Listening {
                    address: address.to_string(),
                });
            }
            E::Connected {
                peer,
                address,
                dialer,
            } => {
                self.emit(Event::Connected {
                    peer: peer.to_string(),
                    address: address.to_string(),
                });
                // Only the address dialed is one to dial again; an inbound connection's is
                // the peer's ephemeral port.
                let addresses = if dialer { vec![address] } else { Vec::new() };
                self.remember(peer, &addresses)?;
                self.book.connected(&peer);
                let device = PublicKey::from_peer_id(&peer).ok();
                self.peers.insert(
                    peer,
                    Peer {
                        device,
                        session: None,
                        opening: false,
                    },
                );
                if device.is_none() {
                    self.emit(Event::PeerRefused {
                        peer: peer.to_string(),
                        reason: "its key is not an ed25519 device key".into(),
                    });
                    self.net.disconnect(peer);
                } else {
                    self.open_session(peer);
                }
            }
            E::Disconnected { peer } => {
                self.emit(Event::Disconnected {
                    peer: peer.to_string(),
                });
                if let Some(gone) = self.peers.remove(&peer)
                    && gone.session.is_some()
                    && let Some(device) = gone.device
                {
                    self.session_ended(device)?;
                }
            }
            E::InboundStream { peer, stream } => {
                // The smaller peer id opens; a stream from a larger one is dropped.
                if peer < self.me
                    && let Some(device) = self.peers.get(&peer).and_then(|p| p.device)
                {
                    if self.peers.get(&peer).is_some_and(|p| p.session.is_some()) {
                        // The peer started afresh (its old stream broke): so do we.
                        self.close_session(peer, device)?;
                    }
                    self.start_session(peer, device, stream, false)?;
                }
            }
            E::Discovered { peer, addresses } => {
                self.remember(peer, &addresses)?;
                if peer != self.me && !self.peers.contains_key(&peer) {
                    self.emit(Event::Dialing {
                        target: peer.to_string(),
                    });
                    if let Err(e) = self.net.dial_peer(peer, addresses) {
                        self.emit(Event::Warning {
                            message: e.to_string(),
                        });
                    }
                }
            }
            E::DialFailed { peer, error } => self.emit(Event::DialFailed {
                peer: peer.map(|p| p.to_string()),
                error,
            }),
        }
        Ok(())
    }

    /// Records where a peer was reached in the address book (memory and store).
    fn remember(&mut self, peer: PeerId, addresses: &[Multiaddr]) -> Result<(), RuntimeError> {
        let addresses: Vec<Multiaddr> = addresses
            .iter()
            .map(|a| {
                // Stored without the `/p2p/` suffix: the peer id is the row's key.
                a.iter()
                    .filter(|p| !matches!(p, Protocol::P2p(_)))
                    .collect::<Multiaddr>()
            })
            .collect();
        let record = self.book.seen(peer, &addresses, now_ms());
        self.node.remember_peer(record)?;
        Ok(())
    }

    /// If this device is the one to open the session with `peer`, starts opening it.
    fn open_session(&mut self, peer: PeerId) {
        if self.me >= peer {
            return;
        }
        let Some(state) = self.peers.get_mut(&peer) else {
            return;
        };
        if state.opening || state.session.is_some() {
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
        tokio::spawn(read_frames(peer, id, read, self.to_loop.clone()));
        tokio::spawn(write_frames(write, frames_rx, Arc::clone(&queued)));
        state.session = Some(Session { id, frames, queued });
        self.emit(Event::SessionStarted {
            peer: peer.to_string(),
        });
        self.drive(Input::Connected {
            peer: device,
            dialer: opened_by_me,
        })
    }

    /// Drops the session with `peer` (its writer closes the stream) and tells the engine.
    fn close_session(&mut self, peer: PeerId, device: DeviceId) -> Result<(), RuntimeError> {
        if let Some(state) = self.peers.get_mut(&peer)
            && state.session.take().is_some()
        {
            self.session_ended(device)?;
        }
        Ok(())
    }

    fn session_ended(&mut self, device: DeviceId) -> Result<(), RuntimeError> {
        self.drive(Input::Disconnected { peer: device })
    }

    // ---- the tasks -----------------------------------------------------------------

    fn on_msg(&mut self, msg: Msg, exec: &mut Exec) -> Result<(), RuntimeError> {
        match msg {
            Msg::Opened { peer, result } => {
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
                    // Retried at the next tick while the peer stays connected.
                    Err(error) => self.emit(Event::Warning {
                        message: format!("cannot open a sync stream to {peer}: {error}"),
                    }),
                }
            }
            Msg::Frame {
                peer,
                session,
                bytes,
            } => {
                if let Some(device) = self.current(peer, session) {
                    self.drive(Input::Frame {
                        peer: device,
                        bytes,
                    })?;
                }
            }
            Msg::Closed {
                peer,
                session,
                reason,
            } => {
                if let Some(device) = self.current(peer, session) {
                    self.emit(Event::Warning {
                        message: format!("the sync stream with {peer} ended: {reason}"),
                    });
                    self.close_session(peer, device)?;
                }
            }
            Msg::Control { request, reply } => {
                let response = self.on_request(request, exec)?;
                // The caller may have gone; the work is done either way.
                let _ = reply.send(response);
            }
        }
        Ok(())
    }

    /// The device of `peer` if `session` is its current session.
    fn current(&self, peer: PeerId, session: u64) -> Option<DeviceId> {
        let state = self.peers.get(&peer)?;
        (state.session.as_ref()?.id == session).then_some(state.device)?
    }

    fn on_request(&mut self, request: Request, exec: &mut Exec) -> Result<Response, RuntimeError> {
        Ok(match request {
            Request::Command(command) => {
                let reply = exec(&mut self.node, command);
                self.drain_local()?;
                Response::Command(reply)
            }
            Request::Status => match self.status() {
                Ok(status) => Response::Status(status),
                Err(e) => Response::Error(e.to_string()),
            },
            Request::Peers => {
                let connected = |peer: &str| {
                    self.peers
                        .iter()
                        .any(|(id, state)| state.session.is_some() && id.to_string() == peer)
                };
                match self.node.peer_views(&connected) {
                    Ok(peers) => Response::Peers(peers),
                    Err(e) => Response::Error(e.to_string()),
                }
            }
            Request::Dial { address } => match address.parse::<Multiaddr>() {
                Ok(address) => {
                    self.emit(Event::Dialing {
                        target: address.to_string(),
                    });
                    match self.net.dial(address) {
                        Ok(()) => Response::Dialing,
                        Err(e) => Response::Error(e.to_string()),
                    }
                }
                Err(e) => Response::Error(format!("“{address}” is not a multiaddr: {e}")),
            },
        })
    }

    fn status(&self) -> Result<Status, Error> {
        let sessions: Vec<String> = self
            .peers
            .iter()
            .filter(|(_, state)| state.session.is_some())
            .map(|(peer, _)| peer.to_string())
            .collect();
        let connected = |peer: &str| sessions.iter().any(|p| p == peer);
        let in_sync = |peer: &str, group: &str| {
            let peer = peer.parse::<PeerId>().ok();
            let device = peer.and_then(|p| PublicKey::from_peer_id(&p).ok());
            let group = group.parse::<GroupId>().ok();
            match (device, group) {
                (Some(device), Some(group)) => self.engine.in_sync(&device, &group),
                _ => false,
            }
        };
        let mut status = self.node.status_with(&status::Live {
            listening: self.listening.iter().map(ToString::to_string).collect(),
            connected: &connected,
            in_sync: &in_sync,
        })?;
        status.connected = sessions.clone();
        status.connected.sort();
        Ok(status)
    }

    /// Hands what local commands committed to the engine.
    fn drain_local(&mut self) -> Result<(), RuntimeError> {
        for committed in self.node.take_committed() {
            match committed {
                Committed::Group(id) => {
                    let group = self.node.sync_group(&id)?;
                    self.engine.add_group(group.log, Some(group.index));
                    for (doc, am) in group.docs {
                        self.engine.add_doc(id, doc, am);
                    }
                }
                Committed::Ops { group, ops } => {
                    self.drive(Input::LocalOps { group, ops })?;
                }
                Committed::Changes {
                    group,
                    doc,
                    changes,
                } => {
                    self.drive(Input::LocalChanges {
                        group,
                        doc,
                        changes,
                    })?;
                }
            }
        }
        Ok(())
    }

    // ---- time ----------------------------------------------------------------------

    fn on_tick(&mut self) -> Result<(), RuntimeError> {
        self.drive(Input::Tick)?;
        // Sessions that failed to open are retried while the peer stays connected.
        let waiting: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(_, state)| state.session.is_none() && !state.opening)
            .map(|(peer, _)| *peer)
            .collect();
        for peer in waiting {
            self.open_session(peer);
        }
        // Members' devices that are not connected are redialed, with backoff.
        let now = Instant::now();
        let mut devices = BTreeSet::new();
        for group in self.engine.groups() {
            if let Some(log) = self.engine.log(&group) {
                for member in log.state().members.values() {
                    devices.extend(member.devices.iter().copied());
                }
            }
        }
        for device in devices {
            let peer = device.peer_id();
            if peer == self.me || self.peers.contains_key(&peer) {
                continue;
            }
            if let Some(addresses) = self.book.due(&peer, now) {
                self.emit(Event::Dialing {
                    target: peer.to_string(),
                });
                if let Err(e) = self.net.dial_peer(peer, addresses) {
                    self.emit(Event::Warning {
                        message: e.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    // ---- the engine ----------------------------------------------------------------

    /// Feeds one input to the engine and performs its outputs in order: each run of
    /// `Persist*` outputs is committed (one transaction) before the outputs after it.
    fn drive(&mut self, input: Input) -> Result<(), RuntimeError> {
        let outputs = self.engine.handle(self.now(), input);
        let mut start = 0;
        while start < outputs.len() {
            let end = outputs[start..]
                .iter()
                .position(|o| !is_persist(o))
                .map_or(outputs.len(), |i| start + i);
            if end > start {
                self.node.persist_remote(&outputs[start..end])?;
            }
            if let Some(output) = outputs.get(end) {
                self.perform(output.clone());
            }
            start = end + 1;
        }
        Ok(())
    }

    fn perform(&mut self, output: Output) {
        match output {
            Output::Send { peer, frame } => self.send(peer, frame),
            Output::Disconnect { peer, reason } => {
                let peer = peer.peer_id();
                if let Some(state) = self.peers.get_mut(&peer) {
                    state.session = None;
                }
                self.emit(Event::Warning {
                    message: format!("disconnecting {peer}: {reason}"),
                });
                self.net.disconnect(peer);
            }
            Output::Event(event) => self.on_engine_event(event),
            Output::PersistOps { .. }
            | Output::PersistChanges { .. }
            | Output::PersistNewDoc { .. } => {}
        }
    }

    fn send(&mut self, device: DeviceId, frame: Vec<u8>) {
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
        // Bounded memory: a peer that does not read is let go (it redials and resumes).
        self.emit(Event::Warning {
            message: format!("{peer} is not reading its frames; disconnecting it"),
        });
        if let Some(state) = self.peers.get_mut(&peer) {
            state.session = None;
        }
        // The engine forgets the session at once (which asks for nothing); the
        // connection's end follows.
        let _ = self
            .engine
            .handle(self.now(), Input::Disconnected { peer: device });
        self.net.disconnect(peer);
    }

    fn on_engine_event(&mut self, event: mutual_sync::Event) {
        use mutual_sync::Event as E;
        let event = match event {
            E::PeerSynced { peer, group } => Event::PeerSynced {
                peer: peer.peer_id().to_string(),
                group: group.to_string(),
            },
            E::DocChanged { group, doc } => Event::DocChanged {
                group: group.to_string(),
                doc: doc.to_string(),
            },
            E::MembershipChanged { group } => Event::MembershipChanged {
                group: group.to_string(),
            },
            E::GroupJoined { group } => Event::GroupJoined {
                group: group.to_string(),
            },
            E::PeerRefused { peer, reason } => Event::PeerRefused {
                peer: peer.peer_id().to_string(),
                reason,
            },
            E::LocalInputRefused { reason } => Event::Warning {
                message: format!("the sync engine refused a local change: {reason}"),
            },
            E::NotSent { peer, reason } => Event::Warning {
                message: format!("not sent to {}: {reason}", peer.peer_id()),
            },
        };
        self.emit(event);
    }
}

fn is_persist(output: &Output) -> bool {
    matches!(
        output,
        Output::PersistOps { .. } | Output::PersistChanges { .. } | Output::PersistNewDoc { .. }
    )
}

/// Reads a session's stream, cuts it into frame bodies and hands them to the loop (waiting
/// when the loop is busy: backpressure on this peer only).
async fn read_frames(
    peer: PeerId,
    session: u64,
    mut read: futures::io::ReadHalf<Stream>,
    to_loop: mpsc::Sender<Msg>,
) {
    let mut decoder = mutual_sync::wire::FrameDecoder::new();
    let mut buf = vec![0; READ_CHUNK];
    let reason = 'read: loop {
        let n = match read.read(&mut buf).await {
            Ok(0) => break 'read "closed by the peer".to_owned(),
            Ok(n) => n,
            Err(e) => break 'read e.to_string(),
        };
        decoder.push(&buf[..n]);
        loop {
            match decoder.next_body() {
                Ok(Some(bytes)) => {
                    let frame = Msg::Frame {
                        peer,
                        session,
                        bytes,
                    };
                    if to_loop.send(frame).await.is_err() {
                        return;
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

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

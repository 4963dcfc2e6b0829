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
//! - Invariant: one sync session per peer. The side that dialed the first connection opens
//!   the stream, at once: it learns of the connection first, and waiting for the other side
//!   to open would cost it a round trip. A peer still without a session at a tick is opened
//!   by the smaller `PeerId` as well (two devices that dial each other at once may each
//!   count the other as the dialer). When both sides opened, the smaller `PeerId`'s stream
//!   wins: an inbound stream is dropped only by a side that opened one itself and has the
//!   smaller id.
//! - Invariant: the engine's `Persist*` outputs are committed to the store before any later
//!   output of the same call is performed, so nothing is acknowledged or relayed unsaved. A
//!   store failure stops the runtime.
//! - Invariant: every channel is bounded. A peer whose writer falls behind (frames or bytes)
//!   is disconnected; a reader waits for the loop (backpressure on that peer only).
//! - Invariant: only this module spawns tasks (stream readers and writers, stream opening,
//!   control connections); the loop never waits on any of them.

mod book;
pub mod control;
pub mod join;
mod status;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::{AsyncReadExt as _, AsyncWriteExt as _};
use libp2p_identity::PeerId;
use mutual_auth::{DeviceId, GroupId, PublicKey};

use mutual_net::{Net, SYNC_PROTOCOL, Stream};
use mutual_sync::{Engine, Input, Output};
use tokio::sync::{mpsc, oneshot};

use crate::node::Committed;
use crate::{Error, Node};

pub use control::{
    CommandReply, CommandRequest, ControlError, JoinError, Joined, Request, Response, SOCKET_FILE,
};
pub use join::OfferedGroup;
pub use mutual_net::Config as NetConfig;
pub use mutual_net::multiaddr::{Multiaddr, Protocol};
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
/// A relay reservation that failed is asked for again after this long.
const RELAY_RETRY: Duration = Duration::from_secs(30);

/// How a [`Runtime`] is set up.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The network's configuration (listen addresses, mDNS...).
    pub net: mutual_net::Config,
    /// Relays to listen through (each address ends in the relay's `/p2p/ID`), so that
    /// members on other networks can reach this device.
    pub relays: Vec<Multiaddr>,
    /// Keep the address book in memory only (a node started for one join changes nothing
    /// on disk unless the join succeeds).
    pub ephemeral_book: bool,
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
    /// A joiner asks which group its invite opens (this device's side as a member).
    JoinAsked {
        peer: PeerId,
        lookup: [u8; 16],
        proof: mutual_auth::Signature,
        reply: join::Answer,
    },
    /// A joiner asks to be admitted (this device's side as a member).
    JoinRequested {
        peer: PeerId,
        requests: Vec<crate::JoinRequest>,
        reply: join::Answer,
    },
    /// Run this on the node, inside the loop (an in-process caller's typed request).
    WithNode(Box<dyn FnOnce(&mut Node) + Send>),
    /// An attempt of this device's join with one peer ended.
    JoinAttempted {
        peer: PeerId,
        result: Result<Vec<OfferedGroup>, join::AttemptError>,
    },
}

/// This device's join under way.
#[derive(Debug)]
struct Joining {
    credentials: join::Credentials,
    /// From a link code: the member key this device will act for once admitted.
    member_secret: Option<[u8; 32]>,
    /// A full code's inviter device.
    inviter: Option<PeerId>,
    /// Peers asked already (each once).
    asked: BTreeSet<PeerId>,
    /// What was tried and why it did not work, for the person.
    tried: Vec<String>,
    /// The groups a member admitted this device to.
    admitted: Vec<OfferedGroup>,
    /// Those of them in sync with someone since.
    synced: BTreeSet<GroupId>,
    deadline: Instant,
    reply: oneshot::Sender<Response>,
}

/// An open sync stream with a peer.
#[derive(Debug)]
struct Session {
    id: u64,
    frames: mpsc::Sender<Vec<u8>>,
    queued: Arc<AtomicUsize>,
    /// Whether this side opened its stream.
    mine: bool,
}

/// A peer with at least one connection.
#[derive(Debug)]
struct Peer {
    device: Option<DeviceId>,
    /// When its first connection came up (unix ms).
    since: i64,
    /// The address this device dialed it at (none if it dialed in).
    dialed: Option<Multiaddr>,
    session: Option<Session>,
    opening: bool,
}

/// A relay this device listens through, as configured.
#[derive(Debug)]
struct Relay {
    address: Multiaddr,
    /// The reservation's listener while it is asked for or held.
    listener: Option<mutual_net::ListenerId>,
    /// When to ask again after it failed.
    retry_at: Instant,
}

/// Asks a [`Runtime`] from the same process.
#[derive(Debug, Clone)]
pub struct Handle {
    to_loop: mpsc::Sender<Msg>,
}

impl Handle {
    /// Runs `f` on the node inside the runtime's loop, then spreads what it committed to
    /// connected members, as a forwarded command does; `None` if the runtime stopped.
    pub async fn with_node<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Node) -> T + Send + 'static,
    ) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        let call = Box::new(move |node: &mut Node| {
            let _ = reply.send(f(node));
        });
        self.to_loop.send(Msg::WithNode(call)).await.ok()?;
        answer.await.ok()
    }

    /// Sends `request` and waits for the answer (`None` if the runtime stopped first).
    pub async fn request(&self, request: Request) -> Option<Response> {
        let (reply, answer) = oneshot::channel();
        self.to_loop
            .send(Msg::Control { request, reply })
            .await
            .ok()?;
        answer.await.ok()
    }
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
    relays: Vec<Relay>,
    /// Peers that said (by identify) they relay for others, with an address to reach them:
    /// members who cannot reach a device directly try through those that are connected.
    relay_peers: BTreeMap<PeerId, Multiaddr>,
    joining: Option<Joining>,
    /// When each peer and this device last held the same data of a group (unix ms).
    synced_at: HashMap<(PeerId, GroupId), i64>,
    /// Groups with local document changes that no other device has been in sync with since.
    only_here: BTreeSet<GroupId>,
    /// Join asks per peer in the current window (when it began, how many).
    join_asks: HashMap<PeerId, (Instant, u32)>,
    ephemeral_book: bool,
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
        let mut engine = Engine::new(&identity.device);
        let keypair = identity.device.to_libp2p_keypair();
        for group in node.sync_groups()? {
            let id = group.log.group_id();
            engine.add_group(group.log, Some(group.index));
            for (doc, am) in group.docs {
                engine.add_doc(id, doc, am);
            }
            for (doc, tips) in group.tips {
                engine.add_tips(doc, tips);
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
            relays: config
                .relays
                .iter()
                .map(|address| Relay {
                    address: address.clone(),
                    listener: None,
                    retry_at: Instant::now(),
                })
                .collect(),
            relay_peers: BTreeMap::new(),
            joining: None,
            synced_at: HashMap::new(),
            only_here: BTreeSet::new(),
            join_asks: HashMap::new(),
            ephemeral_book: config.ephemeral_book,
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

    /// A handle to ask this runtime from its own process, as the control socket lets other
    /// processes do.
    pub fn handle(&self) -> Handle {
        Handle {
            to_loop: self.to_loop.clone(),
        }
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
                self.node.set_online_addresses(self.listening.clone());
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
                let dialed = dialer.then_some(address);
                self.remember(peer, dialed.as_slice())?;
                self.book.connected(&peer);
                let device = PublicKey::from_peer_id(&peer).ok();
                self.peers.insert(
                    peer,
                    Peer {
                        device,
                        since: now_ms(),
                        dialed,
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
                    self.open_session(peer, false);
                    self.ask_to_join(peer);
                }
            }
            E::Disconnected { peer } => {
                self.join_asks.remove(&peer);
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
                // Dropped only if this side opened one too and its id is the smaller.
                let state = self.peers.get(&peer);
                let opened_here =
                    state.is_some_and(|p| p.opening || p.session.as_ref().is_some_and(|s| s.mine));
                if !(opened_here && self.me < peer)
                    && let Some(device) = state.and_then(|p| p.device)
                {
                    if self.peers.get(&peer).is_some_and(|p| p.session.is_some()) {
                        // The peer started afresh (its old stream broke): so do we.
                        self.close_session(peer, device)?;
                    }
                    self.start_session(peer, device, stream, false)?;
                }
            }
            E::InboundJoin { peer, stream } => {
                tokio::spawn(join::serve(peer, stream, self.to_loop.clone()));
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
            E::DialFailed { peer, error } => {
                if let Some(joining) = &mut self.joining
                    && peer.is_some()
                    && peer == joining.inviter
                {
                    joining.tried.push(format!(
                        "the inviter's device, at the code's addresses: {error}"
                    ));
                }
                self.emit(Event::DialFailed {
                    peer: peer.map(|p| p.to_string()),
                    error,
                });
            }
            E::Identified {
                peer,
                listen_addresses,
                relays,
            } => {
                // Where a peer says it listens is worth a redial later; loopback and
                // unspecified addresses only ever mean the dialer itself.
                let reachable: Vec<Multiaddr> = listen_addresses
                    .into_iter()
                    .filter(is_dialable_elsewhere)
                    .collect();
                let dialed = self.peers.get(&peer).and_then(|p| p.dialed.clone());
                let direct = || reachable.iter().find(|a| !is_relayed(a)).cloned();
                match dialed.or_else(direct) {
                    Some(address) if relays && !is_relayed(&address) => {
                        self.relay_peers.insert(peer, address);
                    }
                    _ => {
                        self.relay_peers.remove(&peer);
                    }
                }
                if self.is_member_device(&peer) {
                    let record = self.book.heard(peer, &book_addresses(&reachable));
                    if let Some(record) = record
                        && !self.ephemeral_book
                    {
                        self.node.remember_peer(record)?;
                    }
                }
            }
            E::ListenExpired { address } => {
                let address = address.with_p2p(self.me).unwrap_or_else(|a| a);
                self.listening.retain(|a| *a != address);
                self.node.set_online_addresses(self.listening.clone());
            }
            E::ListenerClosed { listener, reason } => {
                if let Some(relay) = self
                    .relays
                    .iter_mut()
                    .find(|r| r.listener == Some(listener))
                {
                    relay.listener = None;
                    relay.retry_at = Instant::now() + RELAY_RETRY;
                    let message = format!(
                        "no longer listening through the relay {}: {reason}",
                        relay.address
                    );
                    self.emit(Event::Warning { message });
                }
            }
        }
        Ok(())
    }

    /// Whether `peer` is a device of a member of any group this device is in.
    fn is_member_device(&self, peer: &PeerId) -> bool {
        let Ok(device) = PublicKey::from_peer_id(peer) else {
            return false;
        };
        self.engine.groups().into_iter().any(|group| {
            self.engine.log(&group).is_some_and(|log| {
                log.state()
                    .members
                    .values()
                    .any(|m| m.devices.contains(&device))
            })
        })
    }

    /// Asks each configured relay whose reservation is not held (and is due) for one.
    fn reserve_relays(&mut self) {
        let now = Instant::now();
        for relay in &mut self.relays {
            if relay.listener.is_some() || relay.retry_at > now {
                continue;
            }
            match self.net.listen_via_relay(relay.address.clone()) {
                Ok(listener) => relay.listener = Some(listener),
                Err(e) => {
                    relay.retry_at = now + RELAY_RETRY;
                    let _ = self.events.try_send(Event::Warning {
                        message: e.to_string(),
                    });
                }
            }
        }
    }

    /// Records where a peer was reached in the address book (memory and store).
    fn remember(&mut self, peer: PeerId, addresses: &[Multiaddr]) -> Result<(), RuntimeError> {
        let record = self.book.seen(peer, &book_addresses(addresses), now_ms());
        if !self.ephemeral_book {
            self.node.remember_peer(record)?;
        }
        Ok(())
    }

    /// If this device is the one to open the session with `peer`, starts opening it: the
    /// side that dialed, or, at a tick (`late`), also the smaller id.
    fn open_session(&mut self, peer: PeerId, late: bool) {
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
        state.session = Some(Session {
            id,
            frames,
            queued,
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
            Msg::Control {
                request:
                    Request::Join {
                        code,
                        name,
                        timeout_ms,
                    },
                reply,
            } => self.start_join(&code, name.as_deref(), timeout_ms, reply),
            Msg::Control { request, reply } => {
                let response = self.on_request(request, exec)?;
                // The caller may have gone; the work is done either way.
                let _ = reply.send(response);
            }
            Msg::JoinAsked {
                peer,
                lookup,
                proof,
                reply,
            } => {
                let answer = self.offer_to_joiner(peer, &lookup, &proof)?;
                let _ = reply.send(answer);
            }
            Msg::JoinRequested {
                peer,
                requests,
                reply,
            } => {
                let answer = self.admit_joiner(peer, &requests)?;
                let _ = reply.send(answer);
            }
            Msg::JoinAttempted { peer, result } => self.join_attempted(peer, result)?,
            Msg::WithNode(call) => {
                call(&mut self.node);
                self.drain_local()?;
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
            // Answered when the join ends (see `on_msg`); never reaches here.
            Request::Join { .. } => Response::Error("a join is answered on its own".into()),
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
        let connected_since = |peer: &str| {
            let peer = peer.parse::<PeerId>().ok()?;
            let state = self.peers.get(&peer)?;
            state.session.as_ref().map(|_| state.since)
        };
        let last_synced = |peer: &str, group: &str| {
            let key = (peer.parse::<PeerId>().ok()?, group.parse::<GroupId>().ok()?);
            self.synced_at.get(&key).copied()
        };
        let only_here = |group: &str| {
            group
                .parse::<GroupId>()
                .is_ok_and(|g| self.only_here.contains(&g))
        };
        let mut status = self.node.status_with(&status::Live {
            listening: self.listening.iter().map(ToString::to_string).collect(),
            connected: &connected,
            in_sync: &in_sync,
            connected_since: &connected_since,
            last_synced: &last_synced,
            only_here: &only_here,
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
                    for (doc, tips) in group.tips {
                        self.engine.add_tips(doc, tips);
                    }
                }
                Committed::Ops { group, ops } => {
                    self.drive(Input::LocalOps { group, ops })?;
                }
                Committed::Changes {
                    group,
                    doc,
                    changes,
                    document,
                } => {
                    // Pushed to members in sync right away; their answer reports them
                    // in sync again, which clears this.
                    self.only_here.insert(group);
                    self.drive(Input::LocalChanges {
                        group,
                        doc,
                        changes,
                        document,
                    })?;
                }
            }
        }
        Ok(())
    }

    // ---- time ----------------------------------------------------------------------

    fn on_tick(&mut self) -> Result<(), RuntimeError> {
        self.drive(Input::Tick)?;
        if self
            .joining
            .as_ref()
            .is_some_and(|j| Instant::now() >= j.deadline)
        {
            self.join_timed_out();
        }
        // Sessions that failed to open are retried while the peer stays connected.
        let waiting: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(_, state)| state.session.is_none() && !state.opening)
            .map(|(peer, _)| *peer)
            .collect();
        for peer in waiting {
            self.open_session(peer, true);
        }
        // Members' devices that are not connected are redialed, with backoff.
        self.reserve_relays();
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
            // Through every relay at hand too: a member on another network may be reachable
            // only that way.
            let via: Vec<Multiaddr> = self
                .relay_peers
                .iter()
                .filter(|(relay, _)| **relay != peer && self.peers.contains_key(relay))
                .map(|(relay, address)| {
                    let address = address.clone().with_p2p(*relay).unwrap_or_else(|a| a);
                    address.with(Protocol::P2pCircuit)
                })
                .collect();
            if let Some(addresses) = self.book.due(peer, now, &via) {
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
            | Output::PersistNewDoc { .. }
            | Output::PersistTips { .. } => {}
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
        if let E::PeerSynced { peer, group } = &event {
            self.synced_at.insert((peer.peer_id(), *group), now_ms());
            self.only_here.remove(group);
        }
        let event = match event {
            E::PeerSynced { peer, group } if self.joining.is_some() => {
                self.join_synced(group);
                Event::PeerSynced {
                    peer: peer.peer_id().to_string(),
                    group: group.to_string(),
                }
            }
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
        Output::PersistOps { .. }
            | Output::PersistChanges { .. }
            | Output::PersistNewDoc { .. }
            | Output::PersistTips { .. }
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

/// Addresses as the address book keeps them: without the trailing `/p2p/ID` (the peer id
/// is the row's key), and only those that can be dialed later without a live connection
/// (a bare `/p2p/RELAY/p2p-circuit` only works while connected to that relay).
fn book_addresses(addresses: &[Multiaddr]) -> Vec<Multiaddr> {
    addresses
        .iter()
        .map(|a| {
            let mut a = a.clone();
            if matches!(a.iter().last(), Some(Protocol::P2p(_))) {
                a.pop();
            }
            a
        })
        .filter(|a| !matches!(a.iter().next(), None | Some(Protocol::P2p(_))))
        .collect()
}

/// Whether `address` goes through a relay.
fn is_relayed(address: &Multiaddr) -> bool {
    address.iter().any(|p| matches!(p, Protocol::P2pCircuit))
}

/// Whether an address a peer announced can mean that peer when dialed from elsewhere.
fn is_dialable_elsewhere(address: &Multiaddr) -> bool {
    match address.iter().next() {
        Some(Protocol::Ip4(ip)) => !ip.is_loopback() && !ip.is_unspecified(),
        Some(Protocol::Ip6(ip)) => !ip.is_loopback() && !ip.is_unspecified(),
        Some(Protocol::Dns(_) | Protocol::Dns4(_) | Protocol::Dns6(_)) => true,
        _ => false,
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

//! The node runtime: one device online. It drives the [`Node`] (which owns the store and
//! the sans-IO sync engine) with the libp2p swarm ([`mutual_net::Net`]).
//!
//! [`Runtime::new`] loads every group and document into the node's engine, builds the swarm
//! with the device key and binds the control socket ([`control`]); [`Runtime::run`] is the
//! event loop, a `tokio::select!` over four sources: the swarm (polled continuously), the
//! inbox fed by the tasks it spawned (frames read from peers, streams opened, control
//! requests), and a one-second tick (engine timeouts, stream retries, redials).
//!
//! One job per file: `swarm.rs` (what the swarm reports), `sessions.rs` (one sync stream per
//! peer, its reader and writer tasks), `dialing.rs` (the address book, redials, relays),
//! `drive.rs` (feeding the engine and performing what it asks), `status.rs` (what a person
//! is told), `control.rs` (other processes' requests), `join/` (joining: the joiner's side
//! and the member's side apart).
//!
//! Invariants:
//! - Invariant: one sync session per peer. The side that dialed the first connection opens
//!   the stream, at once: it learns of the connection first, and waiting for the other side
//!   to open would cost it a round trip. A peer still without a session at a tick is opened
//!   by the smaller `PeerId` as well (two devices that dial each other at once may each
//!   count the other as the dialer). When both sides opened, the smaller `PeerId`'s stream
//!   wins: an inbound stream is dropped only by a side that opened one itself and has the
//!   smaller id.
//! - Invariant: what the engine asks to persist is committed by the node before anything it
//!   returned is performed, so nothing is acknowledged, relayed or reported done unsaved. A
//!   store failure stops the runtime.
//! - Invariant: every channel is bounded. A peer whose writer falls behind (frames or bytes)
//!   is disconnected; a reader waits for the loop (backpressure on that peer only).
//! - Invariant: only this module spawns tasks (stream readers and writers, stream opening,
//!   control connections); the loop never waits on any of them.

mod book;
pub mod control;
mod dialing;
mod drive;
pub mod join;
mod sessions;
mod status;
mod swarm;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use libp2p_identity::PeerId;
use mutual_net::{Net, Stream};
use tokio::sync::{mpsc, oneshot};

use crate::{Error, Node};

pub use control::{ControlError, JoinError, Joined, Request, Response, SOCKET_FILE};
pub use join::{JoinStep, Look, LookedGroup, LookedMember, OfferedGroup};
pub use mutual_net::Config as NetConfig;
pub use mutual_net::multiaddr::{Multiaddr, Protocol};
pub use status::{DeviceStatus, Event, GroupStatus, PeerView, Status};

/// Messages from the runtime's tasks to its loop, at most this many waiting.
const INBOX: usize = 256;
/// Events for the runtime's owner, at most this many waiting (more are dropped).
const EVENTS: usize = 1024;

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
    /// A session's reader waits until the loop handled everything sent before (each
    /// frame may change what the peer may send next: `Engine::frame_limit`).
    Barrier(oneshot::Sender<()>),
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
        reply: join::OfferAnswer,
    },
    /// A joiner asks to be admitted (this device's side as a member).
    JoinRequested {
        peer: PeerId,
        requests: Vec<crate::JoinRequest>,
        reply: join::Answer,
    },
    /// A device that holds a usable code was offered groups and their members, and asked
    /// for nothing more: a look (this device's side as a member).
    JoinLooked {
        peer: PeerId,
        groups: Vec<mutual_auth::GroupId>,
    },
    /// Run this on the node, inside the loop (an in-process caller's typed request).
    WithNode(Box<dyn FnOnce(&mut Node) + Send>),
    /// An attempt of this device's join with one peer ended.
    JoinAttempted {
        peer: PeerId,
        result: Result<join::Attempted, join::AttemptError>,
    },
}

/// Asks a [`Runtime`] from the same process.
#[derive(Debug, Clone)]
pub struct Handle {
    to_loop: mpsc::Sender<Msg>,
}

impl Handle {
    /// Runs `f` on the node inside the runtime's loop, then performs what it changed (edits
    /// reach connected members at once, and report the same events as a peer's changes);
    /// `None` if the runtime stopped.
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

/// One device online: the node (store and sync engine) and the swarm, driven by one loop.
pub struct Runtime {
    node: Node,
    net: Net,
    control: mutual_net::Control,
    me: PeerId,
    inbox: mpsc::Receiver<Msg>,
    to_loop: mpsc::Sender<Msg>,
    events: mpsc::Sender<Event>,
    peers: HashMap<PeerId, sessions::Peer>,
    book: book::Book,
    listening: Vec<Multiaddr>,
    relays: Vec<dialing::Relay>,
    /// Peers that said (by identify) they relay for others, with an address to reach them:
    /// members who cannot reach a device directly try through those that are connected.
    relay_peers: BTreeMap<PeerId, Multiaddr>,
    joining: Option<join::Joining>,
    /// Devices mDNS found lately that this one had no reason to dial (at most
    /// [`dialing::MAX_LAN_SEEN`], the newest kept): a join that starts dials them, since
    /// mDNS tells of each device once. Kept in memory only.
    lan_seen: std::collections::VecDeque<(PeerId, Vec<Multiaddr>)>,
    /// Dials a person asked for, by connection, until their outcome is told.
    dials: HashMap<mutual_net::ConnectionId, dialing::AskedDial>,
    /// Join asks per peer in the current window (when it began, how many).
    join_asks: HashMap<PeerId, (Instant, u32)>,
    ephemeral_book: bool,
    /// The TCP port the store keeps as this device's (`Runtime::keep_listen_port`).
    kept_port: Option<u16>,
    /// At most this many strangers connected at once (none counted on a relay for anyone).
    max_strangers: Option<usize>,
    socket: PathBuf,
    next_session: u64,
    started: Instant,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("me", &self.me)
            .field("peers", &self.peers.len())
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Loads the node's groups into its sync engine, starts the swarm with the device key
    /// and binds the control socket. Must be called within a tokio runtime. Returns the
    /// runtime and the receiver of its events.
    pub fn new(
        mut node: Node,
        config: &Config,
    ) -> Result<(Runtime, mpsc::Receiver<Event>), RuntimeError> {
        let keypair = node.identity()?.device.to_libp2p_keypair();
        node.load_all()?;
        let book = book::Book::load(node.address_book()?);
        let kept_port = node.listen_port()?;
        let mut net_config = config.net.clone();
        if net_config.preferred_port.is_none() {
            net_config.preferred_port = kept_port;
        }
        let net = Net::new(keypair, &net_config)?;
        let socket_error = |source| RuntimeError::Socket {
            path: node.dir().join(SOCKET_FILE),
            source,
        };
        let (listener, socket) = control::bind(node.dir()).map_err(socket_error)?;
        let owner = control::owner(&socket).map_err(socket_error)?;
        let (to_loop, inbox) = mpsc::channel(INBOX);
        let (events, events_rx) = mpsc::channel(EVENTS);
        tokio::spawn(control::serve(listener, owner, to_loop.clone()));
        let runtime = Runtime {
            me: net.peer_id(),
            control: net.control(),
            node,
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
                .cloned()
                .map(dialing::Relay::new)
                .collect(),
            relay_peers: BTreeMap::new(),
            joining: None,
            lan_seen: std::collections::VecDeque::new(),
            dials: HashMap::new(),
            join_asks: HashMap::new(),
            ephemeral_book: config.ephemeral_book,
            kept_port,
            max_strangers: (!config.net.relay_for_anyone).then_some(config.net.max_strangers),
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

    /// Runs until `shutdown` completes (or the store fails).
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> Result<(), RuntimeError> {
        self.emit(Event::Started {
            peer_id: self.me.to_string(),
        });
        self.refresh_relayed();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        let result = loop {
            let step = tokio::select! {
                () = &mut shutdown => break Ok(()),
                event = self.net.next_event() => self.on_net(event),
                Some(msg) = self.inbox.recv() => self.on_msg(msg),
                _ = tick.tick() => self.on_tick(),
            };
            if let Err(e) = step {
                break Err(e);
            }
        };
        // What peers were learned to hold since the last tick is kept for the next start.
        let flushed = self.flush();
        // Another serve may start on this directory once the lock is released.
        let _ = std::fs::remove_file(&self.socket);
        result.and(flushed)
    }

    /// The engine, as the node holds it (always there: a runtime's node has an identity).
    fn engine(&self) -> &mutual_sync::Engine {
        // `Runtime::new` required an identity, so the node has an engine.
        #[allow(clippy::expect_used)]
        self.node
            .engine()
            .expect("a runtime's node has an identity")
    }

    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn emit(&self, event: Event) {
        // An owner that does not keep up loses events; the sync loop never waits for it.
        let _ = self.events.try_send(event);
    }

    fn on_msg(&mut self, msg: Msg) -> Result<(), RuntimeError> {
        match msg {
            Msg::Opened { peer, result } => self.stream_opened(peer, result)?,
            Msg::Frame {
                peer,
                session,
                bytes,
            } => {
                if let Some(device) = self.current(peer, session) {
                    self.drive(mutual_sync::Input::Frame {
                        peer: device,
                        bytes,
                    })?;
                }
            }
            Msg::Barrier(reply) => {
                let _ = reply.send(());
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
                } else {
                    // A peer being let go read what it was told and closed its side.
                    self.parted(Some(peer));
                }
            }
            Msg::Control {
                request:
                    Request::Join {
                        code,
                        name,
                        timeout_ms,
                        step,
                    },
                reply,
            } => self.start_join(&code, name.as_deref(), timeout_ms, step, reply),
            Msg::Control {
                request: Request::Dial { address },
                reply,
            } => self.dial_request(&address, reply),
            Msg::Control { request, reply } => {
                let response = self.on_request(request);
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
            Msg::JoinLooked { peer, groups } => self.emit(Event::Looked {
                peer: peer.to_string(),
                groups: groups.iter().map(ToString::to_string).collect(),
            }),
            Msg::WithNode(call) => {
                call(&mut self.node);
                self.perform_outbox();
                self.refresh_frame_limits(None);
            }
        }
        Ok(())
    }

    fn on_request(&mut self, request: Request) -> Response {
        match request {
            Request::Execute(command) => {
                let reply = self.node.execute(command);
                self.perform_outbox();
                // An addition accepted lets the peers that offered it send its log.
                self.refresh_frame_limits(None);
                Response::Executed(reply.map_err(|e| crate::Failure::from(&e)))
            }
            Request::Status => match self.status() {
                Ok(status) => Response::Status(status),
                Err(e) => Response::Error(e.to_string()),
            },
            Request::Peers => match self.peer_views() {
                Ok(peers) => Response::Peers(peers),
                Err(e) => Response::Error(e.to_string()),
            },
            // Answered when the join ends (see `on_msg`); never reaches here.
            Request::Join { .. } => Response::Error("a join is answered on its own".into()),
            // Answered when the dial ends (see `on_msg`); never reaches here.
            Request::Dial { .. } => Response::Error("a dial is answered on its own".into()),
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

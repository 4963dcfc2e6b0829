//! The libp2p side of a Mutual node: transports, discovery, relaying, and the streams that
//! carry sync frames between member devices.
//!
//! [`Net`] owns a libp2p `Swarm` with TCP and QUIC (Noise, Yamux), identify, ping, mDNS
//! (optional), relay client and server, DCUtR hole punching, AutoNAT, connection limits, and
//! the [`SYNC_PROTOCOL`] stream protocol. The node's event loop calls [`Net::next_event`]
//! continuously and opens outbound streams through a [`Net::control`] handle; this crate
//! spawns no task of its own and knows nothing of groups or frames' contents.
//!
//! Invariants:
//! - A peer is reported [`Event::Connected`] once, when its first connection is established,
//!   and [`Event::Disconnected`] once, when its last one closes, however many connections
//!   mDNS, dialing and relaying open between two devices.
//! - The `PeerId` of every event is the one the Noise handshake authenticated.

use std::time::Duration;

use futures::StreamExt;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{
    Multiaddr, PeerId, StreamProtocol, Swarm, autonat, connection_limits, dcutr, identify,
    identity, mdns, noise, ping, relay, tcp, yamux,
};

pub use libp2p::core::transport::ListenerId;
pub use libp2p::swarm::ConnectionId;
pub use libp2p::{Stream, multiaddr};
pub use libp2p_stream::Control;

/// The stream protocol that carries sync frames.
pub const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/mutual/sync/1");
/// The stream protocol on which a device holding an invite asks a member to admit it.
pub const JOIN_PROTOCOL: StreamProtocol = StreamProtocol::new("/mutual/join/1");

/// What identify announces: this is a Mutual node speaking protocol generation 1.
const PROTOCOL_VERSION: &str = "/mutual/1";

/// A relayed circuit may last this long and carry this many bytes each way. libp2p's
/// defaults (2 minutes, 128 KiB) suit a public relay that only bridges to a hole punch;
/// a member relaying for members of a collective carries their sync when no hole punch
/// works, so the limits are wider. The circuit's end is a disconnection: the peers redial.
const CIRCUIT_DURATION: Duration = Duration::from_secs(60 * 60);
const CIRCUIT_BYTES: u64 = 256 * 1024 * 1024;

/// How a [`Net`] is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen; default: every interface, a free TCP port and a free QUIC port.
    pub listen: Vec<Multiaddr>,
    /// Discover peers on the local network by mDNS.
    pub mdns: bool,
    /// Relay for other members who cannot reach each other directly.
    pub relay_server: bool,
    /// Relay for any peer, not only the devices named by [`Net::relay_for`]: for a relay
    /// node that holds no group and serves a collective's members it does not know.
    pub relay_for_anyone: bool,
    /// At most this many connections in all.
    pub max_connections: u32,
    /// At most this many connections with one peer (mDNS makes both sides dial).
    pub max_connections_per_peer: u32,
    /// At most this many peers connected that share no group with this device and that it
    /// did not dial, so that strangers cannot take every slot from members. Enforced by the
    /// node (which knows who is a member), except on a relay for anyone.
    pub max_strangers: usize,
    /// Close a connection with no stream open for this long.
    pub idle_timeout: Duration,
    /// Where `listen` asks for any port (0), try this one first, for TCP and QUIC alike:
    /// the port this device listened on last time, which members' address books hold.
    /// Any free port if it is taken. `None` lets the node choose (the port it kept);
    /// `Some(0)` asks for any free port whatever it kept.
    pub preferred_port: Option<u16>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: {
                use multiaddr::Protocol;
                let any = Multiaddr::empty().with(Protocol::Ip4(std::net::Ipv4Addr::UNSPECIFIED));
                vec![
                    any.clone().with(Protocol::Tcp(0)),
                    any.with(Protocol::Udp(0)).with(Protocol::QuicV1),
                ]
            },
            mdns: true,
            relay_server: true,
            relay_for_anyone: false,
            max_connections: 256,
            max_connections_per_peer: 4,
            max_strangers: 64,
            idle_timeout: Duration::from_secs(60),
            preferred_port: None,
        }
    }
}

/// `address` with `port` where it asks for any TCP or UDP port; `None` if it names one.
fn with_port_for_any(address: &Multiaddr, port: u16) -> Option<Multiaddr> {
    use multiaddr::Protocol;
    let mut replaced = false;
    let address = address
        .iter()
        .map(|protocol| match protocol {
            Protocol::Tcp(0) => {
                replaced = true;
                Protocol::Tcp(port)
            }
            Protocol::Udp(0) => {
                replaced = true;
                Protocol::Udp(port)
            }
            other => other,
        })
        .collect();
    replaced.then_some(address)
}

/// What happened on the network.
#[derive(Debug)]
pub enum Event {
    /// Now listening on this address.
    Listening { address: Multiaddr },
    /// The first connection with `peer` is up. `dialer`: this side dialed it.
    Connected {
        peer: PeerId,
        address: Multiaddr,
        dialer: bool,
    },
    /// The last connection with `peer` closed.
    Disconnected { peer: PeerId },
    /// `peer` opened a sync stream to this node.
    InboundStream { peer: PeerId, stream: Stream },
    /// `peer` opened a join stream to this node (it holds an invite, it says).
    InboundJoin { peer: PeerId, stream: Stream },
    /// mDNS found `peer` on the local network at these addresses.
    Discovered {
        peer: PeerId,
        addresses: Vec<Multiaddr>,
    },
    /// A connection this node dialed is up (each one, not only a peer's first).
    Dialed {
        connection: ConnectionId,
        peer: PeerId,
    },
    /// A dial failed.
    DialFailed {
        connection: ConnectionId,
        peer: Option<PeerId>,
        error: String,
    },
    /// `peer` told, by identify, where it listens and whether it relays for others.
    Identified {
        peer: PeerId,
        listen_addresses: Vec<Multiaddr>,
        relays: bool,
    },
    /// As a relay: `peer` asked to listen through this node.
    RelayReservation { peer: PeerId, accepted: bool },
    /// As a relay: `from` asked this node to connect it to `to`.
    RelayCircuit {
        from: PeerId,
        to: PeerId,
        accepted: bool,
    },
    /// This node no longer listens on `address` (e.g. a relay reservation was lost).
    ListenExpired { address: Multiaddr },
    /// A listener stopped for good (e.g. its relay could not be reached).
    ListenerClosed {
        listener: ListenerId,
        reason: String,
    },
}

/// What can go wrong setting up or using the network.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The transports could not be built.
    #[error("cannot set up the network transports: {0}")]
    Transport(String),
    /// The address cannot be listened on.
    #[error("cannot listen on {address}: {reason}")]
    Listen { address: Multiaddr, reason: String },
    /// The address cannot be dialed.
    #[error("cannot dial {address}: {reason}")]
    Dial { address: String, reason: String },
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    limits: connection_limits::Behaviour,
    stream: libp2p_stream::Behaviour,
    identify: identify::Behaviour,
    ping: ping::Behaviour,
    mdns: Toggle<mdns::tokio::Behaviour>,
    relay_client: relay::client::Behaviour,
    relay_server: Toggle<relay::Behaviour>,
    dcutr: dcutr::Behaviour,
    autonat: autonat::Behaviour,
}

/// A node's swarm.
pub struct Net {
    swarm: Swarm<Behaviour>,
    incoming: libp2p_stream::IncomingStreams,
    incoming_joins: libp2p_stream::IncomingStreams,
    /// Events already translated, waiting to be returned (one swarm event can make several).
    pending: std::collections::VecDeque<Event>,
    /// The peers the relay server serves (unless it serves anyone): reservations and
    /// circuits from any other peer are denied.
    relayed: Relayed,
}

/// The peers a relay server serves, shared with its admission checks.
type Relayed = std::sync::Arc<std::sync::RwLock<std::collections::HashSet<PeerId>>>;

impl std::fmt::Debug for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Net")
            .field("peer_id", self.swarm.local_peer_id())
            .finish_non_exhaustive()
    }
}

impl Net {
    /// Builds the swarm for the device whose key is `keypair` and starts listening.
    pub fn new(keypair: identity::Keypair, config: &Config) -> Result<Net, Error> {
        let transport_error = |e: &dyn std::fmt::Display| Error::Transport(e.to_string());
        let mdns_enabled = config.mdns;
        let relay_server = config.relay_server;
        let relayed = Relayed::default();
        let admits = |relayed: &Relayed| -> Box<dyn relay::RateLimiter> {
            let relayed = std::sync::Arc::clone(relayed);
            Box::new(move |peer: PeerId, _: &Multiaddr, _| {
                relayed.read().is_ok_and(|peers| peers.contains(&peer))
            })
        };
        let only_relayed = !config.relay_for_anyone;
        let relay_admission = (admits(&relayed), admits(&relayed));
        let limits = connection_limits::ConnectionLimits::default()
            .with_max_established(Some(config.max_connections))
            .with_max_established_per_peer(Some(config.max_connections_per_peer));
        let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
            .with_tokio()
            .with_tcp(
                tcp::Config::default().nodelay(true),
                noise::Config::new,
                yamux::Config::default,
            )
            .map_err(|e| transport_error(&e))?
            .with_quic()
            .with_relay_client(noise::Config::new, yamux::Config::default)
            .map_err(|e| transport_error(&e))?
            .with_behaviour(|key, relay_client| {
                let peer_id = key.public().to_peer_id();
                let mdns = if mdns_enabled {
                    // libp2p asks the LAN again only every 5 minutes by default: two
                    // laptops that start at the same moment can miss each other's first
                    // query. At a meetup, 15 s of multicast chatter is cheap.
                    let config = mdns::Config {
                        query_interval: Duration::from_secs(15),
                        ..mdns::Config::default()
                    };
                    Some(mdns::tokio::Behaviour::new(config, peer_id)?)
                } else {
                    None
                };
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(Behaviour {
                    limits: connection_limits::Behaviour::new(limits),
                    stream: libp2p_stream::Behaviour::new(),
                    identify: identify::Behaviour::new(identify::Config::new(
                        PROTOCOL_VERSION.into(),
                        key.public(),
                    )),
                    ping: ping::Behaviour::default(),
                    mdns: mdns.into(),
                    relay_client,
                    relay_server: relay_server
                        .then(|| {
                            let mut config = relay::Config {
                                max_circuit_duration: CIRCUIT_DURATION,
                                max_circuit_bytes: CIRCUIT_BYTES,
                                ..relay::Config::default()
                            };
                            if only_relayed {
                                // A reservation, and a circuit, only for the devices the
                                // node names: a stranger gets no free relay from a member.
                                let (reservations, circuits) = relay_admission;
                                config.reservation_rate_limiters.push(reservations);
                                config.circuit_src_rate_limiters.push(circuits);
                            }
                            relay::Behaviour::new(peer_id, config)
                        })
                        .into(),
                    dcutr: dcutr::Behaviour::new(peer_id),
                    autonat: autonat::Behaviour::new(peer_id, autonat::Config::default()),
                })
            })
            .map_err(|e| transport_error(&e))?
            .with_swarm_config(|c| c.with_idle_connection_timeout(config.idle_timeout))
            .build();
        let mut control = swarm.behaviour().stream.new_control();
        let incoming = control
            .accept(SYNC_PROTOCOL)
            .map_err(|e| transport_error(&e))?;
        let incoming_joins = control
            .accept(JOIN_PROTOCOL)
            .map_err(|e| transport_error(&e))?;
        for address in &config.listen {
            let preferred = config
                .preferred_port
                .and_then(|port| with_port_for_any(address, port));
            if let Some(preferred) = preferred
                && swarm.listen_on(preferred).is_ok()
            {
                continue;
            }
            swarm
                .listen_on(address.clone())
                .map_err(|e| Error::Listen {
                    address: address.clone(),
                    reason: e.to_string(),
                })?;
        }
        Ok(Net {
            swarm,
            incoming,
            incoming_joins,
            pending: std::collections::VecDeque::new(),
            relayed,
        })
    }

    /// The peers the relay server serves from now on (unless it serves anyone).
    pub fn relay_for(&mut self, peers: impl IntoIterator<Item = PeerId>) {
        if let Ok(mut relayed) = self.relayed.write() {
            *relayed = peers.into_iter().collect();
        }
    }

    /// This device's peer id.
    pub fn peer_id(&self) -> PeerId {
        *self.swarm.local_peer_id()
    }

    /// A handle for opening sync streams (`control.open_stream(peer, SYNC_PROTOCOL)`) from
    /// another task.
    pub fn control(&self) -> Control {
        self.swarm.behaviour().stream.new_control()
    }

    /// Dials an address now (which may name the peer with a trailing `/p2p/PEER_ID`); the
    /// outcome comes as [`Event::Dialed`] or [`Event::DialFailed`] with the id returned.
    pub fn dial(&mut self, address: Multiaddr) -> Result<ConnectionId, Error> {
        let opts = libp2p::swarm::dial_opts::DialOpts::from(address.clone());
        let connection = opts.connection_id();
        self.swarm.dial(opts).map_err(|e| Error::Dial {
            address: address.to_string(),
            reason: e.to_string(),
        })?;
        Ok(connection)
    }

    /// Dials a known peer at any of its known addresses.
    pub fn dial_peer(&mut self, peer: PeerId, addresses: Vec<Multiaddr>) -> Result<(), Error> {
        let opts = libp2p::swarm::dial_opts::DialOpts::peer_id(peer)
            .addresses(addresses)
            .build();
        self.swarm.dial(opts).map_err(|e| Error::Dial {
            address: peer.to_string(),
            reason: e.to_string(),
        })
    }

    /// Closes every connection with `peer`.
    pub fn disconnect(&mut self, peer: PeerId) {
        // An error only says there was no connection to close.
        let _ = self.swarm.disconnect_peer_id(peer);
    }

    /// Whether any connection with `peer` is up.
    pub fn is_connected(&self, peer: &PeerId) -> bool {
        self.swarm.is_connected(peer)
    }

    /// The addresses this node listens on now.
    pub fn listen_addresses(&self) -> Vec<Multiaddr> {
        self.swarm.listeners().cloned().collect()
    }

    /// Listens through `relay` (an address ending in the relay's `/p2p/ID`), so that peers
    /// who cannot reach this node directly can through the relay.
    pub fn listen_via_relay(&mut self, relay: Multiaddr) -> Result<ListenerId, Error> {
        let address = relay.with(multiaddr::Protocol::P2pCircuit);
        self.swarm
            .listen_on(address.clone())
            .map_err(|e| Error::Listen {
                address,
                reason: e.to_string(),
            })
    }

    /// The next event worth the node's attention. Must be polled continuously: the swarm
    /// only makes progress while this is awaited.
    pub async fn next_event(&mut self) -> Event {
        if let Some(event) = self.pending.pop_front() {
            return event;
        }
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => {
                    if let Some(event) = self.translate(event).or_else(|| self.pending.pop_front()) {
                        return event;
                    }
                }
                Some((peer, stream)) = self.incoming.next() => {
                    return Event::InboundStream { peer, stream };
                }
                Some((peer, stream)) = self.incoming_joins.next() => {
                    return Event::InboundJoin { peer, stream };
                }
            }
        }
    }

    fn translate(&mut self, event: SwarmEvent<BehaviourEvent>) -> Option<Event> {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                // libp2p's relay serves only once the node has a confirmed external address,
                // and AutoNAT never confirms a private one. For a collective, an address
                // its members' networks reach is reachable enough: LAN addresses count.
                if self.swarm.behaviour().relay_server.is_enabled() && is_shareable(&address) {
                    self.swarm.add_external_address(address.clone());
                }
                Some(Event::Listening { address })
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                num_established,
                ..
            } => {
                if endpoint.is_dialer() {
                    self.pending.push_back(Event::Dialed {
                        connection: connection_id,
                        peer: peer_id,
                    });
                }
                // Connected comes first: the dial's outcome is told once the peer is known.
                (num_established.get() == 1).then(|| Event::Connected {
                    peer: peer_id,
                    address: endpoint.get_remote_address().clone(),
                    dialer: endpoint.is_dialer(),
                })
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => Some(Event::Disconnected { peer: peer_id }),
            SwarmEvent::OutgoingConnectionError {
                connection_id,
                peer_id,
                error,
            } => Some(Event::DialFailed {
                connection: connection_id,
                peer: peer_id,
                error: dial_failure(&error),
            }),
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                // mDNS reports one (peer, address) pair at a time; the node wants them per peer.
                let mut peers: Vec<(PeerId, Vec<Multiaddr>)> = Vec::new();
                for (peer, address) in found {
                    match peers.iter_mut().find(|(p, _)| *p == peer) {
                        Some((_, addresses)) => addresses.push(address),
                        None => peers.push((peer, vec![address])),
                    }
                }
                let mut found = peers
                    .into_iter()
                    .map(|(peer, addresses)| Event::Discovered { peer, addresses });
                let first = found.next();
                self.pending.extend(found);
                first
            }
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                // What a peer says it listens on helps the relay and hole punching reach it.
                for address in &info.listen_addrs {
                    self.swarm.add_peer_address(peer_id, address.clone());
                }
                Some(Event::Identified {
                    peer: peer_id,
                    listen_addresses: info.listen_addrs,
                    relays: info.protocols.contains(&relay::HOP_PROTOCOL_NAME),
                })
            }
            SwarmEvent::Behaviour(BehaviourEvent::RelayServer(event)) => match event {
                relay::Event::ReservationReqAccepted { src_peer_id, .. } => {
                    Some(Event::RelayReservation {
                        peer: src_peer_id,
                        accepted: true,
                    })
                }
                relay::Event::ReservationReqDenied { src_peer_id, .. } => {
                    Some(Event::RelayReservation {
                        peer: src_peer_id,
                        accepted: false,
                    })
                }
                relay::Event::CircuitReqAccepted {
                    src_peer_id,
                    dst_peer_id,
                } => Some(Event::RelayCircuit {
                    from: src_peer_id,
                    to: dst_peer_id,
                    accepted: true,
                }),
                relay::Event::CircuitReqDenied {
                    src_peer_id,
                    dst_peer_id,
                    ..
                } => Some(Event::RelayCircuit {
                    from: src_peer_id,
                    to: dst_peer_id,
                    accepted: false,
                }),
                _ => None,
            },
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                self.swarm.remove_external_address(&address);
                Some(Event::ListenExpired { address })
            }
            SwarmEvent::ListenerClosed {
                listener_id,
                reason,
                ..
            } => Some(Event::ListenerClosed {
                listener: listener_id,
                reason: match reason {
                    Ok(()) => "closed".to_owned(),
                    Err(e) => e.to_string(),
                },
            }),
            SwarmEvent::ListenerError { error, .. } => {
                tracing::debug!(%error, "listener error");
                None
            }
            _ => None,
        }
    }
}

/// Whether `address` is one another host could dial: not loopback, not unspecified, not
/// through a relay.
fn is_shareable(address: &Multiaddr) -> bool {
    use multiaddr::Protocol;
    let direct = !address.iter().any(|p| matches!(p, Protocol::P2pCircuit));
    direct
        && match address.iter().next() {
            Some(Protocol::Ip4(ip)) => !ip.is_loopback() && !ip.is_unspecified(),
            Some(Protocol::Ip6(ip)) => !ip.is_loopback() && !ip.is_unspecified(),
            Some(Protocol::Dns(_) | Protocol::Dns4(_) | Protocol::Dns6(_)) => true,
            _ => false,
        }
}

/// Why a dial failed, in the words of the innermost error of each address tried: libp2p's
/// own text nests each cause inside its wrapper's and repeats it.
fn dial_failure(error: &libp2p::swarm::DialError) -> String {
    fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
        let mut error = error;
        while let Some(source) = error.source() {
            error = source;
        }
        error.to_string()
    }
    match error {
        libp2p::swarm::DialError::Transport(attempts) if !attempts.is_empty() => {
            let mut reasons: Vec<String> = attempts.iter().map(|(_, e)| innermost(e)).collect();
            reasons.dedup();
            reasons.join("; ")
        }
        other => innermost(other),
    }
}

//! Reaching members: the address book (where each device was reached), redials with
//! backoff, relays this device listens through, and dials a person asks for.

use std::time::{Duration, Instant};

use libp2p_identity::PeerId;
use mutual_auth::{DeviceId, PublicKey};
use tokio::sync::oneshot;

use super::sessions::{MAX_ANNOUNCED, Peer};
use super::{Event, Multiaddr, Protocol, Response, Runtime, RuntimeError, now_ms};

/// How long a stranger may stay connected with nothing under way (ms).
const STRANGER_GRACE_MS: i64 = 10_000;

/// A relay reservation that failed is asked for again after this long.
const RELAY_RETRY: Duration = Duration::from_secs(30);

/// A relay this device listens through, as configured.
#[derive(Debug)]
pub(super) struct Relay {
    pub(super) address: Multiaddr,
    /// The reservation's listener while it is asked for or held.
    pub(super) listener: Option<mutual_net::ListenerId>,
    /// When to ask again after it failed.
    retry_at: Instant,
}

impl Relay {
    pub(super) fn new(address: Multiaddr) -> Relay {
        Relay {
            address,
            listener: None,
            retry_at: Instant::now(),
        }
    }

    /// Its reservation was lost: ask again a while later.
    pub(super) fn lost(&mut self) {
        self.listener = None;
        self.retry_at = Instant::now() + RELAY_RETRY;
    }
}

/// Most devices found on the LAN kept in memory for a join that may start.
pub(super) const MAX_LAN_SEEN: usize = 64;

impl Runtime {
    /// Whether `peer` is a device this one shares a group with (both are members' devices
    /// there).
    pub(super) fn is_member_device(&self, peer: &PeerId) -> bool {
        PublicKey::from_peer_id(peer).is_ok_and(|device| self.engine().shares_a_group_with(&device))
    }

    /// Whether `peer`, just connected, is a stranger (it shares no group with this device,
    /// which did not dial it) beyond the quota: then it is let go at once, and the slots
    /// left stay for members. No quota while a join is under way, when whoever admits this
    /// device is a stranger until it does.
    pub(super) fn strangers_over_quota(&self, peer: &PeerId) -> bool {
        let Some(quota) = self.max_strangers else {
            return false;
        };
        let stranger =
            |peer: &PeerId, state: &Peer| state.dialed.is_none() && !self.is_member_device(peer);
        if self.joining.is_some() || !self.peers.get(peer).is_some_and(|s| stranger(peer, s)) {
            return false;
        }
        self.peers.iter().filter(|(p, s)| stranger(p, s)).count() > quota
    }

    /// Lets go the strangers connected for longer than [`STRANGER_GRACE_MS`] with nothing
    /// under way: no group shared, offered or brought, no join asked, not dialed by this
    /// device. A stranger holds a slot for seconds, not for as long as it likes; the grace
    /// leaves a joiner, whose hello may come before its ask, the time to ask.
    pub(super) fn let_go_idle_strangers(&mut self) -> Result<(), RuntimeError> {
        if self.max_strangers.is_none() {
            // A relay for anyone: strangers are whom it serves.
            return Ok(());
        }
        let now = now_ms();
        let idle: Vec<PeerId> = self
            .idle_strangers(None)
            .filter(|(_, since)| now.saturating_sub(*since) > STRANGER_GRACE_MS)
            .map(|(peer, _)| peer)
            .collect();
        for peer in idle {
            self.send_stranger_away(
                peer,
                "it shares no group with this device and has nothing under way",
            )?;
        }
        Ok(())
    }

    /// Makes room for `newcomer`, a stranger that connected past the quota: the stranger
    /// idle the longest (nothing under way, within its grace or not) is let go instead, so
    /// that strangers who connect and wait cannot keep a joiner from asking. Whether one
    /// was.
    pub(super) fn make_room_for(&mut self, newcomer: PeerId) -> Result<bool, RuntimeError> {
        let oldest = self
            .idle_strangers(Some(newcomer))
            .min_by_key(|(_, since)| *since)
            .map(|(peer, _)| peer);
        let Some(oldest) = oldest else {
            return Ok(false);
        };
        self.send_stranger_away(
            oldest,
            "too many devices that share no group with this one are connected, and it had \
             nothing under way",
        )?;
        Ok(true)
    }

    /// The strangers connected with nothing under way (but `except`), with when each came.
    fn idle_strangers(&self, except: Option<PeerId>) -> impl Iterator<Item = (PeerId, i64)> {
        let engine = self.engine();
        self.peers.iter().filter_map(move |(peer, state)| {
            let idle = Some(*peer) != except
                && state.dialed.is_none()
                && state.parting.is_none()
                && !self.join_asks.contains_key(peer)
                && state
                    .device
                    .is_some_and(|device| !engine.has_business_with(&device));
            idle.then_some((*peer, state.since))
        })
    }

    /// Disconnects a stranger now, saying why.
    fn send_stranger_away(&mut self, peer: PeerId, why: &str) -> Result<(), RuntimeError> {
        self.emit(Event::PeerRefused {
            peer: peer.to_string(),
            reason: why.into(),
        });
        let Some(state) = self.peers.get_mut(&peer) else {
            return Ok(());
        };
        // Marked as parting, so that it is let go once; the engine forgets its session now
        // (its disconnection would not tell it: the session is gone by then).
        state.parting = Some(Instant::now());
        if state.session.take().is_some()
            && let Some(device) = state.device
        {
            self.drive(mutual_sync::Input::Disconnected { peer: device })?;
        }
        self.net.disconnect(peer);
        Ok(())
    }

    /// Asks each configured relay whose reservation is not held (and is due) for one.
    pub(super) fn reserve_relays(&mut self) {
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

    /// Members' devices that are not connected are redialed, with backoff, at their known
    /// addresses and through every connected peer that relays: a member on another network
    /// may be reachable only that way.
    pub(super) fn redial_members(&mut self) {
        let now = Instant::now();
        let devices = self.engine().devices_to_meet();
        for device in devices {
            let peer = device.peer_id();
            if peer == self.me || self.peers.contains_key(&peer) {
                continue;
            }
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
    }

    /// Whether `peer` is one of the relays this device was told to listen through.
    pub(super) fn is_configured_relay(&self, peer: &PeerId) -> bool {
        self.relays.iter().any(|relay| {
            relay
                .address
                .iter()
                .any(|p| matches!(p, Protocol::P2p(id) if id == *peer))
        })
    }

    /// Tells the relay server whom it serves: the devices this one shares a group with.
    pub(super) fn refresh_relayed(&mut self) {
        let devices = self.engine().devices_to_meet();
        self.net.relay_for(devices.iter().map(DeviceId::peer_id));
    }

    /// Keeps a device mDNS found, that this one had no reason to dial, for a join that may
    /// start soon; the oldest is forgotten past [`MAX_LAN_SEEN`].
    pub(super) fn saw_on_lan(&mut self, peer: PeerId, addresses: Vec<Multiaddr>) {
        if peer == self.me {
            return;
        }
        self.lan_seen.retain(|(seen, _)| *seen != peer);
        if self.lan_seen.len() >= MAX_LAN_SEEN {
            self.lan_seen.pop_front();
        }
        self.lan_seen.push_back((peer, addresses));
    }

    /// A join started: dials the devices mDNS found before it (a member may be among them).
    pub(super) fn dial_lan_seen(&mut self) {
        for (peer, addresses) in std::mem::take(&mut self.lan_seen) {
            if self.peers.contains_key(&peer) {
                continue;
            }
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

    /// Whether to dial a peer found on the local network: a device this one shares a group
    /// with, or any while a join is under way (a member of the group may be among them). A
    /// removed or departed device, or a stranger, is not dialed.
    pub(super) fn worth_meeting(&self, peer: PeerId) -> bool {
        self.joining.is_some() || self.is_member_device(&peer)
    }

    /// Records where a peer was reached in the address book (memory and store): a device
    /// this one shares a group with, any while a join is under way, or one this device
    /// dialed at an address (a person's `mutual dial`). A stranger announcing itself on the
    /// LAN, or connecting, is not written down: any number of made-up peer ids would
    /// otherwise each cost a row and a disk sync.
    pub(super) fn remember(
        &mut self,
        peer: PeerId,
        addresses: &[Multiaddr],
        dialed: bool,
    ) -> Result<(), RuntimeError> {
        if !dialed && !self.worth_meeting(peer) {
            return Ok(());
        }
        let record = self.book.seen(peer, &book_addresses(addresses), now_ms());
        if !self.ephemeral_book {
            self.node.remember_peer(record)?;
        }
        Ok(())
    }

    /// Keeps the TCP port this device now listens on, to listen on it again at the next
    /// start (`NetConfig::preferred_port`): the members that hold this address find this
    /// device again after both restarted, with no discovery. A join's short-lived node
    /// keeps it only once the join worked ([`Runtime::keep_listen_ports`]).
    pub(super) fn keep_listen_port(&mut self, address: &Multiaddr) -> Result<(), RuntimeError> {
        if self.ephemeral_book {
            return Ok(());
        }
        self.keep_port_of(address)
    }

    /// Keeps the TCP port of the addresses this device listens on now.
    pub(super) fn keep_listen_ports(&mut self) -> Result<(), RuntimeError> {
        for address in self.listening.clone() {
            self.keep_port_of(&address)?;
        }
        Ok(())
    }

    fn keep_port_of(&mut self, address: &Multiaddr) -> Result<(), RuntimeError> {
        if is_relayed(address) {
            return Ok(());
        }
        let port = address.iter().find_map(|protocol| match protocol {
            Protocol::Tcp(port) => Some(port),
            _ => None,
        });
        if let Some(port) = port
            && self.kept_port != Some(port)
        {
            self.node.remember_listen_port(port)?;
            self.kept_port = Some(port);
        }
        Ok(())
    }

    /// After the membership changed: each connected device that is a member's now, and that
    /// the address book holds no address of, is written down where it said it listens (a
    /// joiner this device admitted, or one another member admitted while it was connected
    /// here): so this device can reach it again, and the joiner listens on that port later.
    pub(super) fn remember_new_members(&mut self) {
        let new: Vec<(PeerId, Vec<Multiaddr>)> = self
            .peers
            .iter()
            .filter(|(peer, state)| {
                !state.announced.is_empty()
                    && self.is_member_device(peer)
                    && self
                        .book
                        .record(peer)
                        .is_none_or(|r| r.addresses.is_empty())
            })
            .map(|(peer, state)| (*peer, state.announced.clone()))
            .collect();
        for (peer, announced) in new {
            if let Err(e) = self.remember(peer, &announced, false) {
                self.emit(Event::Warning {
                    message: format!("cannot keep where {peer} listens: {e}"),
                });
            }
        }
    }

    /// Addresses a member announced (identify), kept for later redials.
    pub(super) fn heard(
        &mut self,
        peer: PeerId,
        listen_addresses: Vec<Multiaddr>,
        relays: bool,
    ) -> Result<(), RuntimeError> {
        // Loopback and unspecified addresses only ever mean the dialer itself.
        let reachable: Vec<Multiaddr> = listen_addresses
            .into_iter()
            .filter(is_dialable_elsewhere)
            .collect();
        let dialed = self.peers.get(&peer).and_then(|p| p.dialed.clone());
        if let Some(state) = self.peers.get_mut(&peer) {
            state.announced = reachable.iter().take(MAX_ANNOUNCED).cloned().collect();
        }
        let direct = || reachable.iter().find(|a| !is_relayed(a)).cloned();
        // A peer that says it relays is used to reach offline members only if it is a
        // member's device or a relay the person configured: asking a stranger to connect
        // us to a member would tell it who the members are.
        let trusted = self.is_member_device(&peer) || self.is_configured_relay(&peer);
        match dialed.or_else(direct) {
            Some(address) if relays && trusted && !is_relayed(&address) => {
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
        Ok(())
    }

    /// A dial a person asked for (`mutual dial`): answered once the connection is up, or
    /// the dial failed, or [`DIAL_WAIT`] passed.
    pub(super) fn dial_request(&mut self, address: &str, reply: oneshot::Sender<Response>) {
        let address = match address.parse::<Multiaddr>() {
            Ok(address) => address,
            Err(e) => {
                let _ = reply.send(Response::Error(format!(
                    "“{address}” is not a multiaddr: {e}"
                )));
                return;
            }
        };
        self.emit(Event::Dialing {
            target: address.to_string(),
        });
        match self.net.dial(address.clone()) {
            Ok(connection) => {
                self.dials.insert(
                    connection,
                    AskedDial {
                        address,
                        reply,
                        until: Instant::now() + DIAL_WAIT,
                    },
                );
            }
            Err(e) => {
                let _ = reply.send(Response::Error(e.to_string()));
            }
        }
    }

    /// A dial's outcome, for the person who asked for it (if one did).
    pub(super) fn dial_ended(
        &mut self,
        connection: mutual_net::ConnectionId,
        outcome: Result<PeerId, &str>,
    ) {
        let Some(asked) = self.dials.remove(&connection) else {
            return;
        };
        let response = match outcome {
            Ok(peer) => Response::Dialed {
                peer: peer.to_string(),
            },
            Err(error) => Response::Error(format!("could not reach {}: {error}", asked.address)),
        };
        let _ = asked.reply.send(response);
    }

    /// Answers the asked dials that have waited [`DIAL_WAIT`] (the dial itself goes on).
    pub(super) fn expire_dials(&mut self) {
        let now = Instant::now();
        let expired: Vec<_> = self
            .dials
            .iter()
            .filter(|(_, asked)| asked.until <= now)
            .map(|(connection, _)| *connection)
            .collect();
        for connection in expired {
            if let Some(asked) = self.dials.remove(&connection) {
                let _ = asked.reply.send(Response::Error(format!(
                    "no answer from {} within {} s",
                    asked.address,
                    DIAL_WAIT.as_secs()
                )));
            }
        }
    }
}

/// How long `mutual dial` waits for its connection.
const DIAL_WAIT: Duration = Duration::from_secs(10);

/// A dial a person asked for, waiting for its outcome.
#[derive(Debug)]
pub(super) struct AskedDial {
    address: Multiaddr,
    reply: oneshot::Sender<Response>,
    until: Instant,
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

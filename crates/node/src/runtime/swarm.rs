//! What the swarm reports: listening addresses, connections coming and going, streams
//! opened by peers, discovery, dial failures, identify, relays.

use mutual_auth::PublicKey;

use super::join;
use super::sessions::Peer;
use super::{Event, Runtime, RuntimeError, now_ms};

impl Runtime {
    pub(super) fn on_net(&mut self, event: mutual_net::Event) -> Result<(), RuntimeError> {
        use mutual_net::Event as E;
        match event {
            E::Listening { address } => {
                self.keep_listen_port(&address)?;
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
                self.remember(peer, dialed.as_slice(), dialer)?;
                self.book.connected(&peer);
                let device = PublicKey::from_peer_id(&peer).ok();
                self.peers.insert(
                    peer,
                    Peer {
                        device,
                        since: now_ms(),
                        dialed,
                        announced: Vec::new(),
                        session: None,
                        opening: false,
                        parting: None,
                    },
                );
                if device.is_none() {
                    self.emit(Event::PeerRefused {
                        peer: peer.to_string(),
                        reason: "its key is not an ed25519 device key".into(),
                    });
                    self.net.disconnect(peer);
                } else if self.strangers_over_quota(&peer) && !self.make_room_for(peer)? {
                    self.emit(Event::PeerRefused {
                        peer: peer.to_string(),
                        reason: "too many devices that share no group with this one are \
                                 connected"
                            .into(),
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
                if let Some(gone) = self.peers.remove(&peer) {
                    // Last seen: now, not when the connection began.
                    if self.is_member_device(&peer) {
                        self.remember(peer, &[], false)?;
                    }
                    if gone.session.is_some()
                        && let Some(device) = gone.device
                    {
                        self.drive(mutual_sync::Input::Disconnected { peer: device })?;
                    }
                }
            }
            E::InboundStream { peer, stream } => self.inbound_stream(peer, stream)?,
            E::InboundJoin { peer, stream } => {
                tokio::spawn(join::serve(peer, stream, self.to_loop.clone()));
            }
            E::Discovered { peer, addresses } => {
                self.remember(peer, &addresses, false)?;
                if !self.worth_meeting(peer) {
                    self.saw_on_lan(peer, addresses);
                } else if peer != self.me && !self.peers.contains_key(&peer) {
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
            E::Dialed { connection, peer } => self.dial_ended(connection, Ok(peer)),
            E::DialFailed {
                connection,
                peer,
                error,
            } => {
                self.dial_ended(connection, Err(&error));
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
            } => self.heard(peer, listen_addresses, relays)?,
            E::RelayReservation { peer, accepted } => self.emit(Event::RelayReservation {
                peer: peer.to_string(),
                accepted,
            }),
            E::RelayCircuit { from, to, accepted } => self.emit(Event::RelayCircuit {
                from: from.to_string(),
                to: to.to_string(),
                accepted,
            }),
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
                    relay.lost();
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
}

//! Feeding the engine and performing what it asks. The node commits what the engine asks
//! to persist before handing the rest over (its outbox); here the rest is performed in
//! order: frames to the peers' writers, disconnects, and events for the owner (the same
//! events for this device's own changes as for a peer's).

use std::time::Instant;

use mutual_sync::{Input, Output, Reason};

use super::{Event, Runtime, RuntimeError, now_ms};

impl Runtime {
    /// Feeds one input to the engine (through the node, which commits what it must), then
    /// performs the rest.
    pub(super) fn drive(&mut self, input: Input) -> Result<(), RuntimeError> {
        let now = self.now();
        // A frame changes at most what its own peer may send (a change of membership, which
        // may change it for all, is an event: `on_engine_event`).
        let from = match &input {
            Input::Frame { peer, .. } => Some(*peer),
            _ => None,
        };
        self.node.handle(now, input)?;
        self.perform_outbox();
        self.refresh_frame_limits(from);
        Ok(())
    }

    /// Performs what the node's last commands and inputs left to do, in order.
    pub(super) fn perform_outbox(&mut self) {
        for output in self.node.take_outbox() {
            self.perform(output);
        }
    }

    fn perform(&mut self, output: Output) {
        match output {
            Output::Send { peer, frame } => self.send(peer, frame),
            Output::Disconnect { peer, reason } => {
                let peer_id = peer.peer_id();
                match &reason {
                    // It was told why (the ops that ended its membership are queued): its
                    // connection closes once they are out.
                    Reason::NotAMember => {
                        self.emit(Event::Warning {
                            message: format!("disconnecting {peer_id}: {reason}"),
                        });
                        self.let_go(peer_id);
                    }
                    // The event that ended this device's membership said it once.
                    Reason::Ended => self.let_go(peer_id),
                    Reason::Refused(_) => {
                        if let Some(state) = self.peers.get_mut(&peer_id) {
                            state.session = None;
                        }
                        self.emit(Event::Warning {
                            message: format!("disconnecting {peer_id}, refused: {reason}"),
                        });
                        self.net.disconnect(peer_id);
                    }
                }
            }
            Output::Event(event) => self.on_engine_event(event),
            // The node committed these before handing the outputs over.
            Output::PersistOps { .. }
            | Output::PersistChanges { .. }
            | Output::PersistNewDoc { .. }
            | Output::PersistTips { .. }
            | Output::PersistHeld(_)
            | Output::PersistAddition(_) => {}
        }
    }

    fn on_engine_event(&mut self, event: mutual_sync::Event) {
        use mutual_sync::Event as E;
        if matches!(
            event,
            E::MembershipChanged { .. } | E::GroupJoined { .. } | E::Ended { .. }
        ) {
            self.refresh_relayed();
            self.refresh_frame_limits(None);
            self.remember_new_members();
        }
        let event = match event {
            E::PeerSynced { peer, group } => {
                self.node.note_synced(peer, group, now_ms());
                if self.joining.is_some() {
                    self.join_synced(group);
                }
                Event::PeerSynced {
                    peer: peer.peer_id().to_string(),
                    group: group.to_string(),
                }
            }
            E::DocChanged { group, doc } => Event::DocChanged {
                group: group.to_string(),
                doc: doc.to_string(),
            },
            E::MembershipChanged { group } => Event::MembershipChanged {
                group: group.to_string(),
            },
            E::AdditionPending(addition) => Event::AdditionPending {
                addition: crate::additions::view_of(addition),
            },
            E::GroupJoined { group } => Event::GroupJoined {
                group: group.to_string(),
            },
            E::Ended { group, .. } => match self.node.ended(&group) {
                Ok(Some(ended)) => Event::NoLongerMember {
                    group: group.to_string(),
                    ended,
                },
                _ => Event::MembershipChanged {
                    group: group.to_string(),
                },
            },
            E::PeerRefused { peer, reason } => Event::PeerRefused {
                peer: peer.peer_id().to_string(),
                reason: reason.to_string(),
            },
            E::LocalInputRefused(refusal) => Event::Warning {
                message: format!("the sync engine refused a local change: {refusal}"),
            },
            E::NotSent {
                peer,
                message,
                error,
            } => Event::Warning {
                message: format!("{message} message not sent to {}: {error}", peer.peer_id()),
            },
        };
        self.emit(event);
    }

    /// Once a second: the engine's timeouts and what it learned, the join's deadline,
    /// sessions to retry, devices to redial.
    pub(super) fn on_tick(&mut self) -> Result<(), RuntimeError> {
        self.drive(Input::Tick)?;
        self.node.flush()?;
        if self
            .joining
            .as_ref()
            .is_some_and(|j| Instant::now() >= j.deadline)
        {
            self.join_timed_out();
        }
        self.ask_again_to_join();
        // Sessions that failed to open are retried while the peer stays connected.
        let waiting: Vec<_> = self
            .peers
            .iter()
            .filter(|(_, state)| {
                state.session.is_none() && !state.opening && state.parting.is_none()
            })
            .map(|(peer, _)| *peer)
            .collect();
        for peer in waiting {
            self.open_session(peer, true);
        }
        self.let_go_idle_strangers()?;
        self.reserve_relays();
        self.redial_members();
        self.expire_dials();
        self.parted(None);
        Ok(())
    }

    /// Persists what is pending (at the last tick, and when the runtime stops).
    pub(super) fn flush(&mut self) -> Result<(), RuntimeError> {
        self.drive(Input::Tick)?;
        self.node.flush()?;
        Ok(())
    }
}

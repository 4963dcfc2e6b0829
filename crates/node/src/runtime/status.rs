//! What a node tells about its network: [`Status`], [`PeerView`] and the [`Event`]s it emits.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, Node};

/// This device on the network, and per group which members' devices are connected and in
/// sync.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    /// Whether `mutual serve` is running (otherwise only the store was read).
    pub running: bool,
    /// This device's peer id.
    pub peer_id: String,
    /// The addresses it listens on.
    pub listening: Vec<String>,
    /// Peers with an open sync session.
    pub connected: Vec<String>,
    /// Per group, the other members' devices.
    pub groups: Vec<GroupStatus>,
}

/// One group in a [`Status`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupStatus {
    /// The group's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The other members' devices.
    pub devices: Vec<DeviceStatus>,
}

/// A member's device in a [`GroupStatus`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceStatus {
    /// The device's peer id.
    pub peer_id: String,
    /// The member's name.
    pub member: String,
    /// Whether a sync session with it is open.
    pub connected: bool,
    /// Whether both hold the same log and documents of the group (as of the last exchange).
    pub in_sync: bool,
}

/// A member's device in the address book.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerView {
    /// The device's peer id.
    pub peer_id: String,
    /// Its member's names, one per group (deduplicated).
    pub members: Vec<String>,
    /// Where it was reached, most recent first.
    pub addresses: Vec<String>,
    /// When it was last connected or discovered (unix milliseconds), if ever.
    pub last_seen: Option<i64>,
    /// Whether a sync session with it is open.
    pub connected: bool,
}

/// Something the running node reports (one JSON object per line with `--json-events`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The node started as this device.
    Started {
        /// This device's peer id.
        peer_id: String,
    },
    /// Listening on this address.
    Listening {
        /// The multiaddr, with this device's `/p2p/` suffix.
        address: String,
    },
    /// A peer's first connection is up.
    Connected {
        /// The peer.
        peer: String,
        /// Its address.
        address: String,
    },
    /// A peer's last connection closed.
    Disconnected {
        /// The peer.
        peer: String,
    },
    /// A sync session with a peer started.
    SessionStarted {
        /// The peer.
        peer: String,
    },
    /// This device and the peer hold the same log and documents of the group.
    PeerSynced {
        /// The peer.
        peer: String,
        /// The group.
        group: String,
    },
    /// A document changed with data from a peer.
    DocChanged {
        /// The group.
        group: String,
        /// The document.
        doc: String,
    },
    /// A group's membership log changed with ops from a peer.
    MembershipChanged {
        /// The group.
        group: String,
    },
    /// This device received a group it was added to.
    GroupJoined {
        /// The group.
        group: String,
    },
    /// A peer was disconnected for breaking the protocol, or because it shares no group.
    PeerRefused {
        /// The peer.
        peer: String,
        /// Why.
        reason: String,
    },
    /// Dialing a peer.
    Dialing {
        /// The peer or address.
        target: String,
    },
    /// A dial failed.
    DialFailed {
        /// The peer, if known.
        peer: Option<String>,
        /// Why.
        error: String,
    },
    /// Something went wrong that the node survived.
    Warning {
        /// What.
        message: String,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Started { peer_id } => write!(f, "peer id {peer_id}"),
            Event::Listening { address } => write!(f, "listening on {address}"),
            Event::Connected { peer, address } => write!(f, "connected to {peer} at {address}"),
            Event::Disconnected { peer } => write!(f, "disconnected from {peer}"),
            Event::SessionStarted { peer } => write!(f, "syncing with {peer}"),
            Event::PeerSynced { peer, group } => write!(f, "in sync with {peer} on group {group}"),
            Event::DocChanged { group, doc } => {
                write!(f, "document {doc} of group {group} changed")
            }
            Event::MembershipChanged { group } => write!(f, "the members of group {group} changed"),
            Event::GroupJoined { group } => write!(f, "joined group {group}"),
            Event::PeerRefused { peer, reason } => write!(f, "disconnected {peer}: {reason}"),
            Event::Dialing { target } => write!(f, "dialing {target}"),
            Event::DialFailed { peer, error } => match peer {
                Some(peer) => write!(f, "dialing {peer} failed: {error}"),
                None => write!(f, "dial failed: {error}"),
            },
            Event::Warning { message } => write!(f, "warning: {message}"),
        }
    }
}

/// What the network part of a status needs to know.
pub(super) struct Live<'a> {
    pub(super) listening: Vec<String>,
    pub(super) connected: &'a dyn Fn(&str) -> bool,
    pub(super) in_sync: &'a dyn Fn(&str, &str) -> bool,
}

impl Node {
    /// The status as the store alone knows it: `serve` is not running, so nothing is
    /// connected.
    pub fn offline_status(&self) -> Result<Status, Error> {
        self.status_with(&Live {
            listening: Vec::new(),
            connected: &|_| false,
            in_sync: &|_, _| false,
        })
        .map(|mut status| {
            status.running = false;
            status
        })
    }

    /// The address book of members' devices as the store knows it (nothing connected).
    pub fn offline_peers(&self) -> Result<Vec<PeerView>, Error> {
        self.peer_views(&|_| false)
    }

    pub(super) fn status_with(&self, live: &Live<'_>) -> Result<Status, Error> {
        let me = self.whoami()?.peer_id;
        let mut groups = Vec::new();
        for summary in self.groups()? {
            let group = self.group(&self.resolve_group(&summary.id)?)?;
            let mut devices = Vec::new();
            for member in &group.members {
                for device in &member.devices {
                    if *device == me {
                        continue;
                    }
                    devices.push(DeviceStatus {
                        peer_id: device.clone(),
                        member: member.name.clone(),
                        connected: (live.connected)(device),
                        in_sync: (live.in_sync)(device, &group.id),
                    });
                }
            }
            groups.push(GroupStatus {
                id: group.id,
                name: group.name,
                devices,
            });
        }
        Ok(Status {
            running: true,
            connected: Vec::new(),
            peer_id: me,
            listening: live.listening.clone(),
            groups,
        })
    }

    pub(super) fn peer_views(
        &self,
        connected: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<PeerView>, Error> {
        let me = self.whoami()?.peer_id;
        let mut views: BTreeMap<String, PeerView> = BTreeMap::new();
        for summary in self.groups()? {
            let group = self.group(&self.resolve_group(&summary.id)?)?;
            for member in &group.members {
                for device in member.devices.iter().filter(|d| **d != me) {
                    let view = views.entry(device.clone()).or_insert_with(|| PeerView {
                        peer_id: device.clone(),
                        members: Vec::new(),
                        addresses: Vec::new(),
                        last_seen: None,
                        connected: connected(device),
                    });
                    if !view.members.contains(&member.name) {
                        view.members.push(member.name.clone());
                    }
                }
            }
        }
        for record in self.peers()? {
            if let Some(view) = views.get_mut(&record.peer_id) {
                view.addresses = record.addresses;
                view.last_seen = Some(record.last_seen);
            }
        }
        Ok(views.into_values().collect())
    }
}

//! What a node tells about its network: [`Status`], [`PeerView`] and the [`Event`]s it emits.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Error, Node};

/// This device on the network, and per group which members' devices are connected and in
/// sync.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
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
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GroupStatus {
    /// The group's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The other members' devices.
    pub devices: Vec<DeviceStatus>,
    /// Whether changes made on this device since it started are on no other device yet
    /// (no member's device has been in sync with it since): losing this laptop now would
    /// lose them.
    pub only_here: bool,
}

/// A member's device in a [`GroupStatus`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DeviceStatus {
    /// The device's peer id.
    pub peer_id: String,
    /// The member's name.
    pub member: String,
    /// Whether a sync session with it is open.
    pub connected: bool,
    /// Whether both hold the same log and documents of the group (as of the last exchange).
    pub in_sync: bool,
    /// Since when it is connected (unix milliseconds), while it is.
    pub connected_since: Option<i64>,
    /// When both last held the same data of this group (unix milliseconds), since this
    /// node started.
    pub last_synced: Option<i64>,
    /// When it was last connected or discovered (unix milliseconds), from the address book.
    pub last_seen: Option<i64>,
}

/// A member's device in the address book.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
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
#[cfg_attr(feature = "specta", derive(specta::Type))]
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
    /// This device admitted a joiner with an invite.
    Admitted {
        /// The joiner's device.
        peer: String,
        /// The groups it was admitted to (none if it was refused).
        groups: Vec<String>,
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
            Event::Admitted { peer, groups } if groups.is_empty() => {
                write!(f, "refused {peer}'s join request")
            }
            Event::Admitted { peer, groups } => {
                write!(f, "admitted {peer} to group {}", groups.join(", "))
            }
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
    pub(super) connected_since: &'a dyn Fn(&str) -> Option<i64>,
    pub(super) last_synced: &'a dyn Fn(&str, &str) -> Option<i64>,
    pub(super) only_here: &'a dyn Fn(&str) -> bool,
}

impl Node {
    /// The status as the store alone knows it: `serve` is not running, so nothing is
    /// connected.
    pub fn offline_status(&self) -> Result<Status, Error> {
        self.status_with(&Live {
            listening: Vec::new(),
            connected: &|_| false,
            in_sync: &|_, _| false,
            connected_since: &|_| None,
            last_synced: &|_, _| None,
            only_here: &|_| false,
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
        let seen: BTreeMap<String, i64> = self
            .peers()?
            .into_iter()
            .map(|record| (record.peer_id, record.last_seen))
            .collect();
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
                        connected_since: (live.connected_since)(device),
                        last_synced: (live.last_synced)(device, &group.id),
                        last_seen: seen.get(device).copied(),
                    });
                }
            }
            groups.push(GroupStatus {
                only_here: (live.only_here)(&group.id),
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

//! What a node tells about its network: [`Status`], [`PeerView`] and the [`Event`]s it emits.

use std::collections::BTreeMap;
use std::fmt;

use mutual_auth::DeviceId;
use serde::{Deserialize, Serialize};

use super::Runtime;
use crate::{Error, Node};

/// This device on the network, and per group which members' devices are connected and in
/// sync, computed from what each device last said it holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Status {
    /// Whether a node is running on this data directory (`mutual serve` or the app);
    /// otherwise only the store was read.
    pub running: bool,
    /// This device's peer id.
    pub peer_id: String,
    /// The addresses it listens on.
    pub listening: Vec<String>,
    /// Members' devices with an open sync session.
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
    /// How many changes to the group's documents no other member's device is known to
    /// hold: what losing this laptop now would lose.
    pub unshared: u64,
    /// Whether there are any (`unshared > 0`).
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
    /// Whether it is connected and known to hold exactly what this device holds of the
    /// group.
    pub in_sync: bool,
    /// How many changes this device holds that it is not known to hold.
    pub missing: u64,
    /// Since when it is connected (unix milliseconds), while it is.
    pub connected_since: Option<i64>,
    /// When both last held the same data of this group (unix milliseconds).
    pub last_synced: Option<i64>,
    /// When it was last connected (unix milliseconds): now while it is.
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
    /// When it was last connected (unix milliseconds), if ever.
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
    /// Someone this device did not ask added it to a group: its owner may accept or
    /// ignore it (`mutual group pending`).
    AdditionPending {
        /// What the addition says.
        addition: crate::view::AdditionView,
    },
    /// This device received a group it was added to.
    GroupJoined {
        /// The group.
        group: String,
    },
    /// This device learned that it is no longer a member of a group (removed, unlinked,
    /// or its member left from another device). What it had stays readable.
    NoLongerMember {
        /// The group.
        group: String,
        /// How it ended.
        ended: crate::view::EndedView,
    },
    /// This device admitted a joiner with an invite.
    Admitted {
        /// The joiner's device.
        peer: String,
        /// The groups it was admitted to (none if it was refused).
        groups: Vec<String>,
    },
    /// A device that holds a usable invite code was shown who is in these groups (a member's
    /// offer carries the membership) and asked for nothing more: a look. A join asks next,
    /// if its person says yes; a device that never joins only looked.
    Looked {
        /// The device.
        peer: String,
        /// The groups it was shown.
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
    /// As a relay: a peer asked to listen through this device (served for members'
    /// devices only, unless `serve --relay-for-anyone`).
    RelayReservation {
        /// The peer.
        peer: String,
        /// Whether it was served.
        accepted: bool,
    },
    /// As a relay: a peer asked this device to connect it to another.
    RelayCircuit {
        /// Who asked.
        from: String,
        /// To whom.
        to: String,
        /// Whether it was served.
        accepted: bool,
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
            Event::AdditionPending { addition } => write!(
                f,
                "{} added this device to group “{}” ({}); `mutual group accept {}` to join it",
                addition.added_by, addition.name, addition.group, addition.group
            ),
            Event::GroupJoined { group } => write!(f, "joined group {group}"),
            Event::NoLongerMember { ended, .. } => write!(f, "{}", ended.message),
            Event::Admitted { peer, groups } if groups.is_empty() => {
                write!(f, "refused {peer}'s join request")
            }
            Event::Admitted { peer, groups } => {
                write!(f, "admitted {peer} to group {}", groups.join(", "))
            }
            Event::Looked { peer, groups } => write!(
                f,
                "{peer} holds an invite code and looked at who is in group {} (unless it joins next, it only looked)",
                groups.join(", ")
            ),
            Event::PeerRefused { peer, reason } => write!(f, "disconnected {peer}: {reason}"),
            Event::Dialing { target } => write!(f, "dialing {target}"),
            Event::DialFailed { peer, error } => match peer {
                Some(peer) => write!(f, "dialing {peer} failed: {error}"),
                None => write!(f, "dial failed: {error}"),
            },
            Event::RelayReservation { peer, accepted } => {
                let verb = if *accepted {
                    "relaying for"
                } else {
                    "refused to relay for"
                };
                write!(f, "{verb} {peer}")
            }
            Event::RelayCircuit { from, to, accepted } => {
                let verb = if *accepted {
                    "relaying"
                } else {
                    "refused to relay"
                };
                write!(f, "{verb} {from} to {to}")
            }
            Event::Warning { message } => write!(f, "warning: {message}"),
        }
    }
}

/// What the network part of a status needs to know: where this device listens, and the
/// members' devices with an open session (since when).
#[derive(Debug, Default)]
pub(crate) struct Live {
    pub(crate) listening: Vec<String>,
    pub(crate) connected: BTreeMap<DeviceId, i64>,
}

impl Node {
    /// The status as the store alone knows it: no node is running, so nothing is connected;
    /// what peers hold is what they last said.
    pub fn offline_status(&mut self) -> Result<Status, Error> {
        self.load_all()?;
        let mut status = self.status(&Live::default())?;
        status.running = false;
        Ok(status)
    }

    /// The address book of members' devices as the store knows it (nothing connected).
    pub fn offline_peers(&mut self) -> Result<Vec<PeerView>, Error> {
        self.peer_views(&BTreeMap::new())
    }

    /// The status, from the engine (in sync, missing, unshared), the store (last synced,
    /// last seen) and `live`.
    pub(crate) fn status(&mut self, live: &Live) -> Result<Status, Error> {
        let me = self.identity()?.device.id();
        let now = crate::node::now_ms();
        let seen: BTreeMap<String, i64> = self
            .address_book()?
            .into_iter()
            .map(|record| (record.peer_id, record.last_seen))
            .collect();
        let synced = self.last_synced()?;
        let mut groups = Vec::new();
        for group_id in self.group_ids()? {
            let view = self.group(&group_id)?;
            if view.ended.is_some() {
                // No longer this device's group: `group list` and `group show` say so.
                continue;
            }
            let name = view.name;
            let devices: Vec<(DeviceId, String)> = self
                .log(&group_id)?
                .state()
                .members
                .values()
                .flat_map(|m| m.devices.iter().map(|d| (*d, m.name.clone())))
                .filter(|(d, _)| *d != me)
                .collect();
            let engine = self.engine_mut()?;
            let mut statuses = Vec::new();
            for (device, member) in devices {
                let peer_id = device.peer_id().to_string();
                let connected_since = live.connected.get(&device).copied();
                statuses.push(DeviceStatus {
                    member,
                    connected: connected_since.is_some(),
                    in_sync: engine.in_sync(&device, &group_id),
                    missing: engine.missing_on(&device, &group_id) as u64,
                    connected_since,
                    last_synced: synced.get(&(device, group_id)).copied(),
                    last_seen: connected_since
                        .map(|_| now)
                        .or_else(|| seen.get(&peer_id).copied()),
                    peer_id,
                });
            }
            statuses.sort_by(|a, b| a.member.cmp(&b.member).then(a.peer_id.cmp(&b.peer_id)));
            let unshared = engine.unshared(&group_id) as u64;
            groups.push(GroupStatus {
                id: group_id.to_string(),
                name,
                devices: statuses,
                unshared,
                only_here: unshared > 0,
            });
        }
        let mut connected: Vec<String> = live
            .connected
            .keys()
            .map(|d| d.peer_id().to_string())
            .collect();
        connected.sort();
        Ok(Status {
            running: true,
            peer_id: me.peer_id().to_string(),
            listening: live.listening.clone(),
            connected,
            groups,
        })
    }

    pub(crate) fn peer_views(
        &mut self,
        connected: &BTreeMap<DeviceId, i64>,
    ) -> Result<Vec<PeerView>, Error> {
        let me = self.identity()?.device.id();
        let mut views: BTreeMap<String, PeerView> = BTreeMap::new();
        for group_id in self.group_ids()? {
            self.load_group(&group_id)?;
            for member in self.log(&group_id)?.state().members.values() {
                for device in member.devices.iter().filter(|d| **d != me) {
                    let peer_id = device.peer_id().to_string();
                    let view = views.entry(peer_id.clone()).or_insert_with(|| PeerView {
                        peer_id,
                        members: Vec::new(),
                        addresses: Vec::new(),
                        last_seen: None,
                        connected: connected.contains_key(device),
                    });
                    if !view.members.contains(&member.name) {
                        view.members.push(member.name.clone());
                    }
                }
            }
        }
        for record in self.address_book()? {
            if let Some(view) = views.get_mut(&record.peer_id) {
                view.addresses = record.addresses;
                view.last_seen = Some(record.last_seen);
            }
        }
        Ok(views.into_values().collect())
    }
}

impl Runtime {
    /// What this device's runtime tells of itself and its groups.
    pub(super) fn status(&mut self) -> Result<Status, Error> {
        let live = self.live();
        self.node.status(&live)
    }

    /// The address book, with who is connected now.
    pub(super) fn peer_views(&mut self) -> Result<Vec<PeerView>, Error> {
        let live = self.live();
        self.node.peer_views(&live.connected)
    }

    fn live(&self) -> Live {
        Live {
            listening: self.listening.iter().map(ToString::to_string).collect(),
            // Members' devices only: a stranger's or a former member's connection is not
            // one of the group's.
            connected: self
                .in_session()
                .filter_map(|(_, state)| Some((state.device?, state.since)))
                .filter(|(device, _)| self.engine().shares_a_group_with(device))
                .collect(),
        }
    }
}

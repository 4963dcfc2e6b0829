//! The address book in memory: where each device was reached, and when to redial it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p_identity::PeerId;
use mutual_net::multiaddr::Multiaddr;
use mutual_store::PeerRecord;

/// Most addresses kept per device (most recent first).
const MAX_ADDRESSES: usize = 8;
/// The first redial waits this long; each failure doubles it, up to `MAX_BACKOFF`.
const MIN_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Debug)]
struct Entry {
    addresses: Vec<Multiaddr>,
    last_seen: i64,
    backoff: Duration,
    next_dial: Option<Instant>,
}

/// Every device this node reached or discovered, with a redial schedule.
#[derive(Debug, Default)]
pub(super) struct Book {
    entries: HashMap<PeerId, Entry>,
}

impl Book {
    /// The book as stored (unreadable rows are skipped: they only cost a redial).
    pub(super) fn load(records: Vec<PeerRecord>) -> Book {
        let mut book = Book::default();
        for record in records {
            let Ok(peer) = record.peer_id.parse::<PeerId>() else {
                continue;
            };
            let addresses = record
                .addresses
                .iter()
                .filter_map(|a| a.parse().ok())
                .collect();
            book.entries.insert(
                peer,
                Entry {
                    addresses,
                    last_seen: record.last_seen,
                    backoff: MIN_BACKOFF,
                    next_dial: None,
                },
            );
        }
        book
    }

    /// Notes that `peer` was seen now, at `addresses` (which go first); returns its record
    /// for the store.
    pub(super) fn seen(
        &mut self,
        peer: PeerId,
        addresses: &[Multiaddr],
        now_ms: i64,
    ) -> PeerRecord {
        let entry = self.entries.entry(peer).or_insert_with(|| Entry {
            addresses: Vec::new(),
            last_seen: now_ms,
            backoff: MIN_BACKOFF,
            next_dial: None,
        });
        for address in addresses.iter().rev() {
            entry.addresses.retain(|a| a != address);
            entry.addresses.insert(0, address.clone());
        }
        entry.addresses.truncate(MAX_ADDRESSES);
        entry.last_seen = now_ms;
        PeerRecord {
            peer_id: peer.to_string(),
            addresses: entry.addresses.iter().map(ToString::to_string).collect(),
            last_seen: now_ms,
        }
    }

    /// Notes addresses `peer` says it listens on: they go after the ones it was reached at,
    /// in the room left. Returns its record for the store if anything was added.
    pub(super) fn heard(&mut self, peer: PeerId, addresses: &[Multiaddr]) -> Option<PeerRecord> {
        let entry = self.entries.get_mut(&peer)?;
        let before = entry.addresses.len();
        for address in addresses {
            if entry.addresses.len() < MAX_ADDRESSES && !entry.addresses.contains(address) {
                entry.addresses.push(address.clone());
            }
        }
        (entry.addresses.len() > before).then(|| PeerRecord {
            peer_id: peer.to_string(),
            addresses: entry.addresses.iter().map(ToString::to_string).collect(),
            last_seen: entry.last_seen,
        })
    }

    /// What the book holds of `peer`, as the store keeps it.
    pub(super) fn record(&self, peer: &PeerId) -> Option<PeerRecord> {
        let entry = self.entries.get(peer)?;
        Some(PeerRecord {
            peer_id: peer.to_string(),
            addresses: entry.addresses.iter().map(ToString::to_string).collect(),
            last_seen: entry.last_seen,
        })
    }

    /// Every device in the book.
    pub(super) fn peers(&self) -> impl Iterator<Item = &PeerId> {
        self.entries.keys()
    }

    /// A connection is up: the next loss redials quickly.
    pub(super) fn connected(&mut self, peer: &PeerId) {
        if let Some(entry) = self.entries.get_mut(peer) {
            entry.backoff = MIN_BACKOFF;
            entry.next_dial = None;
        }
    }

    /// If `peer` is due for a redial at `now`, where to dial it: its known addresses, then
    /// `via` (addresses through relays at hand). The next attempt is scheduled with a
    /// doubled delay. Nothing to dial schedules nothing.
    pub(super) fn due(
        &mut self,
        peer: PeerId,
        now: Instant,
        via: &[Multiaddr],
    ) -> Option<Vec<Multiaddr>> {
        if via.is_empty()
            && self
                .entries
                .get(&peer)
                .is_none_or(|e| e.addresses.is_empty())
        {
            return None;
        }
        let entry = self.entries.entry(peer).or_insert_with(|| Entry {
            addresses: Vec::new(),
            last_seen: 0,
            backoff: MIN_BACKOFF,
            next_dial: None,
        });
        match entry.next_dial {
            Some(at) if at > now => None,
            _ => {
                entry.next_dial = Some(now + entry.backoff);
                entry.backoff = (entry.backoff * 2).min(MAX_BACKOFF);
                Some(entry.addresses.iter().chain(via).cloned().collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redials_back_off_exponentially_up_to_the_cap() {
        let peer = mutual_auth::DeviceKey::generate().peer_id();
        let mut book = Book::default();
        let address: Multiaddr = "/ip4/127.0.0.1/tcp/4001".parse().unwrap();
        book.seen(peer, &[address], 0);
        let start = Instant::now();
        let mut dials = Vec::new();
        for second in 0..120 {
            let now = start + Duration::from_secs(second);
            if book.due(peer, now, &[]).is_some() {
                dials.push(second);
            }
        }
        assert_eq!(dials[..6], [0, 1, 3, 7, 15, 31]);
        // Then every 30 s.
        assert_eq!(dials[6..], [61, 91]);
        book.connected(&peer);
        assert!(
            book.due(peer, start + Duration::from_secs(121), &[])
                .is_some()
        );
    }

    #[test]
    fn a_device_never_reached_is_dialed_through_relays_only_when_there_are_some() {
        let peer = mutual_auth::DeviceKey::generate().peer_id();
        let relay = mutual_auth::DeviceKey::generate().peer_id();
        let mut book = Book::default();
        let start = Instant::now();
        assert!(book.due(peer, start, &[]).is_none());
        let via: Multiaddr = format!("/p2p/{relay}/p2p-circuit").parse().unwrap();
        let dial = book.due(peer, start, std::slice::from_ref(&via));
        assert_eq!(dial, Some(vec![via.clone()]));
        // Backed off like any other redial.
        assert!(book.due(peer, start, &[via]).is_none());
    }

    #[test]
    fn recent_addresses_come_first_without_duplicates() {
        let peer = mutual_auth::DeviceKey::generate().peer_id();
        let mut book = Book::default();
        let a: Multiaddr = "/ip4/10.0.0.1/tcp/1".parse().unwrap();
        let b: Multiaddr = "/ip4/10.0.0.2/tcp/2".parse().unwrap();
        book.seen(peer, std::slice::from_ref(&a), 1);
        let record = book.seen(peer, &[b.clone(), a.clone()], 2);
        assert_eq!(record.addresses, vec![b.to_string(), a.to_string()]);
        let record = book.seen(peer, std::slice::from_ref(&a), 3);
        assert_eq!(record.addresses, vec![a.to_string(), b.to_string()]);
    }

    #[test]
    fn announced_addresses_go_after_the_reached_ones_and_only_once() {
        let peer = mutual_auth::DeviceKey::generate().peer_id();
        let mut book = Book::default();
        let reached: Multiaddr = "/ip4/10.0.0.1/tcp/1".parse().unwrap();
        let announced: Multiaddr = "/ip4/192.168.1.5/udp/2/quic-v1".parse().unwrap();
        assert!(book.heard(peer, std::slice::from_ref(&announced)).is_none());
        book.seen(peer, std::slice::from_ref(&reached), 1);
        let record = book
            .heard(peer, &[reached.clone(), announced.clone()])
            .unwrap();
        assert_eq!(
            record.addresses,
            vec![reached.to_string(), announced.to_string()]
        );
        assert!(book.heard(peer, &[announced]).is_none());
    }
}

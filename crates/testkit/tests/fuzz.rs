//! Fuzz-style properties: whatever bytes a peer sends, `handle` returns (never panics), and a
//! peer whose frame is refused is disconnected.
#![allow(clippy::unwrap_used)] // setup helpers outside #[test] functions

use mutual_docs::board;
use mutual_sync::{Input, Output};
use mutual_testkit::pair::{Device, Net};
use proptest::prelude::*;

const ALICE: usize = 0;
const BOB: usize = 1;

/// Alice and Bob share a group, have synced and edited; returns the net and every frame body
/// Alice sent Bob on the way (a corpus of valid frames to mutate).
fn synced() -> (Net, Vec<Vec<u8>>) {
    let mut alice = Device::new("alice", 1);
    let mut bob = Device::new("bob", 2);
    let (group, board_id) = alice.create_group(10);
    alice.author(group, Device::add_member_action(&mut bob, group, "bob"));
    let mut net = Net::new(vec![alice, bob]);
    net.connect(BOB, ALICE);
    net.drive();
    for title in ["one", "two"] {
        let outs = net.devices[ALICE].edit(board_id, |doc, stamp| {
            board::add_card(doc, stamp, "To do", title).unwrap();
        });
        net.apply(ALICE, outs);
        net.drive();
    }
    let corpus = net
        .delivered
        .iter()
        .filter(|(from, _, _)| *from == ALICE)
        .map(|(_, _, m)| mutual_sync::wire::encode(m).unwrap()[4..].to_vec())
        .collect();
    net.disconnect(ALICE, BOB);
    (net, corpus)
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, bit: u8 },
    Truncate { at: usize },
    Insert { at: usize, byte: u8 },
    Garbage(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Mutation::Garbage),
    ]
}

fn mutate(mut body: Vec<u8>, mutation: &Mutation) -> Vec<u8> {
    let len = body.len().max(1);
    match mutation {
        Mutation::Flip { at, bit } => {
            if let Some(byte) = body.get_mut(at % len) {
                *byte ^= 1 << bit;
            }
        }
        Mutation::Truncate { at } => body.truncate(at % len),
        Mutation::Insert { at, byte } => body.insert(at % (body.len() + 1), *byte),
        Mutation::Garbage(bytes) => body = bytes.clone(),
    }
    body
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn no_frame_sequence_panics_the_engine(
        steps in proptest::collection::vec((any::<prop::sample::Index>(), proptest::option::of(mutation())), 1..12)
    ) {
        let (mut net, corpus) = synced();
        let alice = net.devices[ALICE].id();
        let bob = &mut net.devices[BOB].engine;
        let _ = bob.handle(net.now, Input::Connected { peer: alice, dialer: true });
        let mut connected = true;
        for (pick, mutation) in steps {
            let body = corpus[pick.index(corpus.len())].clone();
            let body = match &mutation {
                Some(m) => mutate(body, m),
                None => body,
            };
            if !connected {
                let _ = bob.handle(net.now, Input::Connected { peer: alice, dialer: true });
                connected = true;
            }
            let outs = bob.handle(net.now, Input::Frame { peer: alice, bytes: body });
            let refused = outs.iter().any(|o| matches!(o, Output::Disconnect { .. }));
            if refused {
                connected = false;
                prop_assert!(!bob.peers().contains(&alice));
            }
        }
    }

    #[test]
    fn random_bytes_disconnect_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut bob = Device::new("bob", 2);
        let alice = Device::new("alice", 1).id();
        let _ = bob.engine.handle(0, Input::Connected { peer: alice, dialer: false });
        let outs = bob.engine.handle(0, Input::Frame { peer: alice, bytes });
        // Only a valid hello keeps the session.
        let refused = outs.iter().any(|o| matches!(o, Output::Disconnect { .. }));
        prop_assert!(refused || bob.engine.peers().contains(&alice));
    }
}

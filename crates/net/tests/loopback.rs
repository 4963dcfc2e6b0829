//! Two real libp2p nodes on loopback: they connect, authenticate each other's device key, and
//! carry bytes over a sync stream, over TCP and over QUIC.

// Helpers outside #[test] functions may unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use futures::{AsyncReadExt, AsyncWriteExt};
use libp2p::{Multiaddr, PeerId, identity};
use mutual_net::{Config, Event, Net, SYNC_PROTOCOL};
use tokio::sync::mpsc;

fn config(listen: &str) -> Config {
    Config {
        listen: vec![listen.parse().unwrap()],
        // mDNS skips loopback, and must never run in a CI machine's root namespace.
        mdns: false,
        ..Config::default()
    }
}

/// Runs a node's event loop in a task (as the node runtime will), forwarding its events.
fn run(
    mut net: Net,
) -> (
    PeerId,
    mutual_net::Control,
    mpsc::Sender<Multiaddr>,
    mpsc::Receiver<Event>,
) {
    let peer = net.peer_id();
    let control = net.control();
    let (events_tx, events) = mpsc::channel(64);
    let (dial, mut dials) = mpsc::channel::<Multiaddr>(8);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                event = net.next_event() => {
                    if events_tx.send(event).await.is_err() {
                        return;
                    }
                }
                Some(address) = dials.recv() => {
                    net.dial(address).unwrap();
                }
            }
        }
    });
    (peer, control, dial, events)
}

async fn next(events: &mut mpsc::Receiver<Event>, want: impl Fn(&Event) -> bool) -> Event {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let event = events.recv().await.expect("the node stopped");
            if want(&event) {
                return event;
            }
        }
    })
    .await
    .expect("the event never came")
}

async fn connect_and_exchange(listen: &str) {
    let alice_key = identity::Keypair::generate_ed25519();
    let bob_key = identity::Keypair::generate_ed25519();
    let (alice, mut alice_control, alice_dial, mut alice_events) =
        run(Net::new(alice_key, &config(listen)).unwrap());
    let (bob, _bob_control, _bob_dial, mut bob_events) =
        run(Net::new(bob_key, &config(listen)).unwrap());

    let Event::Listening { address } =
        next(&mut bob_events, |e| matches!(e, Event::Listening { .. })).await
    else {
        unreachable!()
    };
    alice_dial.send(address).await.unwrap();

    // 1. Each side sees the other's authenticated peer id, and who dialed.
    let Event::Connected { peer, dialer, .. } =
        next(&mut alice_events, |e| matches!(e, Event::Connected { .. })).await
    else {
        unreachable!()
    };
    assert_eq!((peer, dialer), (bob, true));
    let Event::Connected { peer, dialer, .. } =
        next(&mut bob_events, |e| matches!(e, Event::Connected { .. })).await
    else {
        unreachable!()
    };
    assert_eq!((peer, dialer), (alice, false));

    // 2. Alice opens a sync stream; bytes cross both ways.
    let mut stream = alice_control.open_stream(bob, SYNC_PROTOCOL).await.unwrap();
    stream.write_all(b"hello bob").await.unwrap();
    stream.flush().await.unwrap();
    let Event::InboundStream {
        peer,
        stream: mut inbound,
    } = next(&mut bob_events, |e| {
        matches!(e, Event::InboundStream { .. })
    })
    .await
    else {
        unreachable!()
    };
    assert_eq!(peer, alice);
    let mut got = [0u8; 9];
    inbound.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"hello bob");
    inbound.write_all(b"hi alice").await.unwrap();
    inbound.flush().await.unwrap();
    let mut back = [0u8; 8];
    stream.read_exact(&mut back).await.unwrap();
    assert_eq!(&back, b"hi alice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_connect_over_tcp_and_exchange_bytes_on_a_sync_stream() {
    connect_and_exchange("/ip4/127.0.0.1/tcp/0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_connect_over_quic_and_exchange_bytes_on_a_sync_stream() {
    connect_and_exchange("/ip4/127.0.0.1/udp/0/quic-v1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_peer_id_is_the_device_key_that_the_node_was_built_with() {
    let key = identity::Keypair::generate_ed25519();
    let expected = key.public().to_peer_id();
    let net = Net::new(key, &config("/ip4/127.0.0.1/tcp/0")).unwrap();
    assert_eq!(net.peer_id(), expected);
}

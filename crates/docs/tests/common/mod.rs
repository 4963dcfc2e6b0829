//! Helpers shared by the integration tests: peers, stamps, forking and merging.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use automerge::ActorId;
use mutual_docs::{Document, Kind, Stamp, View};

/// A fixed actor per peer, so runs are repeatable.
pub fn actor(peer: u8) -> ActorId {
    ActorId::from([peer; 16])
}

/// Alice's stamp at `time`.
pub fn alice(time: i64) -> Stamp {
    Stamp::new("alice", time)
}

/// Bob's stamp at `time`.
pub fn bob(time: i64) -> Stamp {
    Stamp::new("bob", time)
}

/// Carol's stamp at `time`.
pub fn carol(time: i64) -> Stamp {
    Stamp::new("carol", time)
}

/// A new document of `kind` made by alice on device 1.
pub fn create(kind: Kind, title: &str) -> Document {
    Document::create(kind, title, actor(1), &alice(1_000)).unwrap()
}

/// A replica of `doc` on another device, as a peer would get it by sync.
pub fn fork(doc: &mut Document, peer: u8) -> Document {
    let mut copy = doc.automerge_mut().fork();
    copy.set_actor(actor(peer));
    Document::from_automerge(copy).unwrap()
}

/// Merges both ways, as a full sync would.
pub fn merge_both(a: &mut Document, b: &mut Document) {
    a.automerge_mut().merge(b.automerge_mut()).unwrap();
    b.automerge_mut().merge(a.automerge_mut()).unwrap();
}

/// Asserts two replicas hold the same changes and read the same; returns the view.
pub fn assert_converged(a: &mut Document, b: &mut Document) -> View {
    assert_eq!(
        a.automerge_mut().get_heads(),
        b.automerge_mut().get_heads(),
        "replicas hold different changes"
    );
    let va = a.view().unwrap();
    let vb = b.view().unwrap();
    assert_eq!(va, vb, "replicas read differently");
    va
}

/// How many changes a document holds.
pub fn changes(doc: &mut Document) -> usize {
    doc.automerge_mut().get_changes(&[]).len()
}

/// The board view of a document.
pub fn board(doc: &Document) -> mutual_docs::board::Board {
    match doc.view().unwrap() {
        View::Board(b) => b,
        other => panic!("expected a board, got {other:?}"),
    }
}

/// The assembly view of a document.
pub fn assembly(doc: &Document) -> mutual_docs::assembly::Assembly {
    match doc.view().unwrap() {
        View::Assembly(a) => a,
        other => panic!("expected an assembly, got {other:?}"),
    }
}

/// The resources view of a document.
pub fn resources(doc: &Document) -> mutual_docs::resources::Resources {
    match doc.view().unwrap() {
        View::Resources(r) => r,
        other => panic!("expected resources, got {other:?}"),
    }
}

/// The index view of a document.
pub fn index(doc: &Document) -> mutual_docs::index::Index {
    match doc.view().unwrap() {
        View::Index(i) => i,
        other => panic!("expected an index, got {other:?}"),
    }
}

/// Titles of the live cards of each column, in order.
pub fn card_titles(doc: &Document) -> Vec<(String, Vec<String>)> {
    board(doc)
        .columns
        .into_iter()
        .map(|c| (c.name, c.cards.into_iter().map(|card| card.title).collect()))
        .collect()
}

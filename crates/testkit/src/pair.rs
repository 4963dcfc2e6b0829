//! [`Net`]: a small driver for engine tests that follow a protocol step by step: a few named
//! [`Device`]s, links between them, a virtual clock, and frames delivered in rounds (one
//! round: every frame in flight crosses once, half a round trip), or one at a time. Where
//! [`crate::Sim`] explores schedules from a seed, this one replays a story exactly, so a
//! test can count round trips and inspect each message.
//!
//! Test code: its helpers panic on what a test would treat as a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

use std::collections::{BTreeSet, VecDeque};

use automerge::ActorId;
use mutual_auth::{Action, DeviceCert, DeviceId, DeviceKey, GroupId, Log, MemberKey, Role};
use mutual_docs::{DocId, Document, Kind, Stamp, board, index};
use mutual_sync::wire::{self, FrameDecoder, Message};
use mutual_sync::{Engine, Event, Input, Output, Reason, StoredDoc, StoredGroup};

/// One device of a [`Net`]: its keys, its engine, and what its engine asked for.
#[derive(Debug)]
pub struct Device {
    pub name: &'static str,
    pub key: DeviceKey,
    pub member: MemberKey,
    pub engine: Engine,
    /// Everything persisted from peers, in order.
    pub persisted: Vec<Output>,
    pub events: Vec<Event>,
    pub disconnects: Vec<(DeviceId, Reason)>,
}

impl Device {
    /// A device whose keys are drawn from `seed`.
    pub fn new(name: &'static str, seed: u8) -> Device {
        let key = DeviceKey::from_secret_bytes([seed; 32]);
        let member = MemberKey::from_secret_bytes([seed.wrapping_add(100); 32]);
        Device {
            name,
            engine: Engine::new(&key),
            key,
            member,
            persisted: Vec::new(),
            events: Vec::new(),
            disconnects: Vec::new(),
        }
    }

    /// Its device id.
    pub fn id(&self) -> DeviceId {
        self.key.id()
    }

    /// Who it edits as.
    pub fn stamp(&self) -> Stamp {
        Stamp::new(self.member.id().to_string(), 1_700_000_000)
    }

    /// Founds a group with an index and one board (column "To do"); returns (group, board).
    pub fn create_group(&mut self, seed: u8) -> (GroupId, DocId) {
        let (log, _) = Log::create("Co-op", self.name, &self.member, &self.key, 1);
        let group = log.group_id();
        let actor = ActorId::from(self.key.id().as_bytes());
        let stamp = self.stamp();
        let index_id = DocId::from_bytes([seed; 16]);
        let board_id = DocId::from_bytes([seed.wrapping_add(1); 16]);
        let mut index = Document::create(Kind::Index, "Co-op", actor.clone(), &stamp).unwrap();
        let mut board = Document::create(Kind::Board, "Tasks", actor, &stamp).unwrap();
        board::add_column(&mut board, &stamp, "To do").unwrap();
        index::add_entry(&mut index, &stamp, board_id, Kind::Board, "Tasks").unwrap();
        self.engine.load(StoredGroup {
            log,
            index: Some(index_id),
            docs: vec![
                StoredDoc {
                    id: index_id,
                    automerge: index.into_automerge(),
                    tips: Vec::new(),
                },
                StoredDoc {
                    id: board_id,
                    automerge: board.into_automerge(),
                    tips: Vec::new(),
                },
            ],
            held: Vec::new(),
        });
        (group, board_id)
    }

    /// Adds a document of `kind` as a local change.
    pub fn new_doc(&mut self, group: GroupId, doc: DocId, kind: Kind) -> Vec<Output> {
        let actor = ActorId::from(self.key.id().as_bytes());
        let document = Document::create(kind, "More", actor, &self.stamp()).unwrap();
        self.engine
            .create_doc(group, doc, document.into_automerge())
            .unwrap()
    }

    /// Authors an op with this device's key on its engine; returns the outputs.
    pub fn author(&mut self, group: GroupId, action: Action) -> Vec<Output> {
        self.engine.author(group, action, 2).unwrap().1
    }

    /// The action that adds `other` to `group` as a member named `name`. `other`'s owner
    /// agrees first (as `mutual group accept` does): a device adopts no group it did not
    /// ask for.
    pub fn add_member_action(other: &mut Device, group: GroupId, name: &str) -> Action {
        let asked = other.engine.accept(group);
        assert!(asked.is_empty(), "nobody offered the group yet");
        Action::AddMember {
            cert: DeviceCert::new(&other.member, &other.key),
            name: name.into(),
            role: Role::Member,
            via: None,
        }
    }

    /// Edits a document on the engine with a typed operation; returns the outputs.
    pub fn edit(&mut self, doc: DocId, op: impl FnOnce(&mut Document, &Stamp)) -> Vec<Output> {
        let stamp = self.stamp();
        let (_, outs) = self
            .engine
            .edit(&doc, |am| {
                Document::edit_in_place(am, |document| {
                    op(document, &stamp);
                    Ok(())
                })
            })
            .unwrap()
            .unwrap();
        outs
    }

    /// A board as the engine holds it.
    pub fn board(&self, doc: DocId) -> board::Board {
        match Document::view_of(self.engine.doc(&doc).unwrap()).unwrap() {
            mutual_docs::View::Board(b) => b,
            other => panic!("not a board: {other:?}"),
        }
    }
}

/// A frame in flight.
#[derive(Debug, Clone)]
pub struct Flight {
    /// The sender's index.
    pub from: usize,
    /// The receiver's index.
    pub to: usize,
    /// The frame's body.
    pub body: Vec<u8>,
}

/// Devices, the links between them, and the frames in flight.
#[derive(Debug)]
pub struct Net {
    /// Virtual time (ms).
    pub now: u64,
    /// The devices, by index.
    pub devices: Vec<Device>,
    /// Linked pairs (smaller index first).
    pub links: BTreeSet<(usize, usize)>,
    /// Frames in flight, oldest first.
    pub queue: VecDeque<Flight>,
    /// Every frame delivered: (from, to, message).
    pub delivered: Vec<(usize, usize, Message)>,
}

impl Net {
    /// A net of these devices, none linked.
    pub fn new(devices: Vec<Device>) -> Net {
        Net {
            now: 1_000,
            devices,
            links: BTreeSet::new(),
            queue: VecDeque::new(),
            delivered: Vec::new(),
        }
    }

    fn index_of(&self, id: DeviceId) -> Option<usize> {
        self.devices.iter().position(|d| d.id() == id)
    }

    fn linked(&self, a: usize, b: usize) -> bool {
        self.links.contains(&(a.min(b), a.max(b)))
    }

    /// Performs outputs of device `at`.
    pub fn apply(&mut self, at: usize, outputs: Vec<Output>) {
        for output in outputs {
            match output {
                Output::Send { peer, frame } => {
                    let Some(to) = self.index_of(peer) else {
                        continue;
                    };
                    if !self.linked(at, to) {
                        continue;
                    }
                    let mut decoder = FrameDecoder::new();
                    decoder.push(&frame);
                    let body = decoder.next_body().unwrap().unwrap();
                    assert!(decoder.next_body().unwrap().is_none());
                    self.queue.push_back(Flight { from: at, to, body });
                }
                Output::Disconnect { peer, reason } => {
                    self.devices[at].disconnects.push((peer, reason));
                    if let Some(to) = self.index_of(peer) {
                        // As the runtime does: the writer sends what was queued before the
                        // connection closes (a removed device is told why this way).
                        self.flush(at, to);
                        self.cut(at, to);
                        let me = self.devices[at].id();
                        let outs = self.devices[to]
                            .engine
                            .handle(self.now, Input::Disconnected { peer: me });
                        self.apply(to, outs);
                    }
                }
                Output::Event(event) => self.devices[at].events.push(event),
                persist => self.devices[at].persisted.push(persist),
            }
        }
    }

    /// Delivers the frames in flight from `from` to `to`, in order, before anything else.
    fn flush(&mut self, from: usize, to: usize) {
        let (mine, rest): (VecDeque<Flight>, VecDeque<Flight>) = std::mem::take(&mut self.queue)
            .into_iter()
            .partition(|f| f.from == from && f.to == to);
        self.queue = rest;
        for flight in mine {
            self.queue.push_front(flight);
            self.deliver_one();
        }
    }

    fn cut(&mut self, a: usize, b: usize) {
        self.links.remove(&(a.min(b), a.max(b)));
        self.queue
            .retain(|f| !((f.from == a && f.to == b) || (f.from == b && f.to == a)));
    }

    /// `a` dials `b`.
    pub fn connect(&mut self, a: usize, b: usize) {
        self.links.insert((a.min(b), a.max(b)));
        let (ida, idb) = (self.devices[a].id(), self.devices[b].id());
        let outs = self.devices[a].engine.handle(
            self.now,
            Input::Connected {
                peer: idb,
                dialer: true,
            },
        );
        self.apply(a, outs);
        let outs = self.devices[b].engine.handle(
            self.now,
            Input::Connected {
                peer: ida,
                dialer: false,
            },
        );
        self.apply(b, outs);
    }

    /// Both sides learn that the link between `a` and `b` is gone.
    pub fn disconnect(&mut self, a: usize, b: usize) {
        self.cut(a, b);
        for (x, y) in [(a, b), (b, a)] {
            let peer = self.devices[y].id();
            let outs = self.devices[x]
                .engine
                .handle(self.now, Input::Disconnected { peer });
            self.apply(x, outs);
        }
    }

    /// Delivers frames round by round until none is in flight; returns the rounds taken.
    pub fn drive(&mut self) -> usize {
        let mut rounds = 0;
        while self.step() {
            rounds += 1;
            if rounds >= 1_000 {
                let last: Vec<String> = self.delivered[self.delivered.len().saturating_sub(8)..]
                    .iter()
                    .map(|(from, to, m)| format!("{from}->{to} {}", m.kind()))
                    .collect();
                panic!("no quiet after 1000 rounds; the last messages: {last:?}");
            }
        }
        rounds
    }

    /// Delivers the frames in flight (one round); false if there were none.
    pub fn step(&mut self) -> bool {
        if self.queue.is_empty() {
            return false;
        }
        self.now += 10;
        let batch = self.queue.len();
        for _ in 0..batch {
            self.deliver_one();
        }
        true
    }

    /// Delivers the oldest frame in flight, alone; false if there was none.
    pub fn deliver_one(&mut self) -> bool {
        let Some(flight) = self.queue.pop_front() else {
            return false;
        };
        if !self.linked(flight.from, flight.to) {
            return true;
        }
        self.delivered.push((
            flight.from,
            flight.to,
            wire::decode_body(&flight.body).unwrap(),
        ));
        let peer = self.devices[flight.from].id();
        let outs = self.devices[flight.to].engine.handle(
            self.now,
            Input::Frame {
                peer,
                bytes: flight.body,
            },
        );
        self.apply(flight.to, outs);
        true
    }

    /// Feeds one input to device `at` and performs its outputs.
    pub fn input(&mut self, at: usize, input: Input) {
        let outs = self.devices[at].engine.handle(self.now, input);
        self.apply(at, outs);
    }

    /// Asserts that two devices hold the same log and documents of `group`.
    pub fn assert_same(&mut self, a: usize, b: usize, group: GroupId) {
        let (ea, eb) = (&self.devices[a].engine, &self.devices[b].engine);
        assert_eq!(
            ea.log(&group).unwrap().heads(),
            eb.log(&group).unwrap().heads()
        );
        assert_eq!(ea.docs_of(&group), eb.docs_of(&group));
        for doc in ea.docs_of(&group) {
            assert_eq!(ea.doc_heads(&doc), eb.doc_heads(&doc), "doc {doc}");
        }
        assert_eq!(ea.summary(&group), eb.summary(&group));
    }
}

// ---- the usual cast -------------------------------------------------------------------

/// Alice's index in [`alice_and_bob`]'s net.
pub const ALICE: usize = 0;
/// Bob's.
pub const BOB: usize = 1;
/// Carol's.
pub const CAROL: usize = 2;

/// Alice founds a group with Bob as a member (Carol is there, not a member); Alice and Bob
/// connect (Alice dials) and sync. Returns the net, the group and its board.
pub fn alice_and_bob() -> (Net, mutual_auth::GroupId, DocId) {
    let mut alice = Device::new("alice", 1);
    let mut bob = Device::new("bob", 2);
    let carol = Device::new("carol", 3);
    let (group, board) = alice.create_group(10);
    let add = Device::add_member_action(&mut bob, group, "bob");
    alice.author(group, add);
    let mut net = Net::new(vec![alice, bob, carol]);
    net.connect(ALICE, BOB);
    net.drive();
    (net, group, board)
}

/// The body of `message`'s frame, as a transport hands it to an engine.
pub fn frame_body(message: &Message) -> Vec<u8> {
    wire::encode(message).unwrap()[wire::LEN_BYTES..].to_vec()
}

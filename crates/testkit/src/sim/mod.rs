//! [`Sim`]: peers, links, a virtual clock and an event queue, all driven from one seed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use automerge::{ActorId, AutoCommit};
use mutual_auth::{
    Action, DeviceCert, DeviceId, DeviceKey, GroupId, Inserted, Log, MemberKey, Op, OpId, Rejected,
    Role, SignedOp,
};
use mutual_docs::{DocId, Document, Kind, Stamp, View, board, index};
use mutual_sync::wire::{self, FrameDecoder, Message, Offer};
use mutual_sync::{Engine, Event, Held, Output, StoredDoc, StoredGroup};
use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};

mod checks;
mod links;

/// A peer's index in the simulation.
pub type PeerIdx = usize;

/// A document with its heads.
type DocHeads = (DocId, Vec<automerge::ChangeHash>);

/// How links behave. Faults are drawn per frame while faults are on (they are switched off
/// by [`Sim::run_until_quiet`]).
#[derive(Clone, Debug, PartialEq)]
pub struct LinkModel {
    /// One-way latency, drawn uniformly in this range (ms).
    pub latency_ms: (u64, u64),
    /// Probability that a frame is lost (then the connection breaks).
    pub loss: f64,
    /// Probability that a frame is delivered twice (then the connection breaks).
    pub duplicate: f64,
    /// Probability that a frame overtakes later ones (then the connection breaks).
    pub reorder: f64,
}

impl Default for LinkModel {
    fn default() -> LinkModel {
        LinkModel {
            latency_ms: (1, 40),
            loss: 0.01,
            duplicate: 0.01,
            reorder: 0.01,
        }
    }
}

/// What a peer persisted: the only thing that survives a crash.
#[derive(Debug, Default, Clone)]
struct Store {
    groups: BTreeMap<GroupId, SavedGroup>,
    docs: BTreeMap<DocId, SavedDoc>,
    /// Tip signatures of documents, as received (the engine keeps the newest per device).
    tips: BTreeMap<DocId, Vec<mutual_sync::Tip>>,
    /// What peers were known to hold, as last persisted.
    held: BTreeMap<(DeviceId, DocId), Held>,
    /// Groups the peer's owner agreed to be added to.
    accepted: BTreeSet<GroupId>,
    /// Additions the peer's owner was asked about.
    pending: BTreeSet<GroupId>,
}

#[derive(Debug, Default, Clone)]
struct SavedGroup {
    ops: Vec<SignedOp>,
    index: Option<DocId>,
}

#[derive(Debug, Clone)]
struct SavedDoc {
    group: GroupId,
    bytes: Vec<u8>,
}

struct Peer {
    key: DeviceKey,
    member: MemberKey,
    engine: Option<Engine>,
    store: Store,
}

/// A group founded in the simulation.
#[derive(Debug, Clone, Copy)]
struct SimGroup {
    id: GroupId,
    board: DocId,
}

struct Conn {
    dialer: PeerIdx,
    other: PeerIdx,
    /// Frame decoders per direction: [to dialer, to other].
    decoders: [FrameDecoder; 2],
    /// Last scheduled delivery per direction, to keep each direction in order.
    last: [u64; 2],
}

impl Conn {
    fn side(&self, to: PeerIdx) -> usize {
        usize::from(to != self.dialer)
    }
}

#[derive(Debug)]
enum Ev {
    Deliver {
        conn: u64,
        to: PeerIdx,
        bytes: Vec<u8>,
    },
    Break {
        conn: u64,
    },
    Dial {
        a: PeerIdx,
        b: PeerIdx,
    },
}

/// The deterministic simulation. See the crate docs.
pub struct Sim {
    seed: u64,
    rng: StdRng,
    now: u64,
    next_tick: u64,
    seq: u64,
    model: LinkModel,
    faults: bool,
    peers: Vec<Peer>,
    groups: Vec<SimGroup>,
    conns: BTreeMap<u64, Conn>,
    next_conn: u64,
    queue: BTreeMap<(u64, u64), Ev>,
    /// Pairs that (re)dial each other whenever they can.
    wanted: BTreeSet<(PeerIdx, PeerIdx)>,
    partition: Option<(BTreeSet<PeerIdx>, BTreeSet<PeerIdx>)>,
    violations: Vec<String>,
    refusals: Vec<String>,
    /// Group ids each peer received in a frame.
    heard: BTreeMap<PeerIdx, BTreeSet<GroupId>>,
    trace: Vec<String>,
    frames: u64,
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim")
            .field("seed", &self.seed)
            .field("now", &self.now)
            .field("peers", &self.peers.len())
            .field("conns", &self.conns.len())
            .field("queued", &self.queue.len())
            .finish_non_exhaustive()
    }
}

/// Most events one `run_until_quiet` may process before it is declared stuck.
const MAX_EVENTS: usize = 2_000_000;
const TRACE_KEEP: usize = 40;

impl Sim {
    /// A simulation with the default [`LinkModel`], faults on.
    pub fn new(seed: u64) -> Sim {
        Sim::with_model(seed, LinkModel::default())
    }

    /// A simulation with this link model.
    pub fn with_model(seed: u64, model: LinkModel) -> Sim {
        // Card and document ids come from the seed too: a seed replays byte for byte.
        mutual_docs::seed_ids(Some(seed));
        Sim {
            seed,
            rng: StdRng::seed_from_u64(seed),
            now: 1_000,
            next_tick: 2_000,
            seq: 0,
            model,
            faults: true,
            peers: Vec::new(),
            groups: Vec::new(),
            conns: BTreeMap::new(),
            next_conn: 0,
            queue: BTreeMap::new(),
            wanted: BTreeSet::new(),
            partition: None,
            violations: Vec::new(),
            refusals: Vec::new(),
            heard: BTreeMap::new(),
            trace: Vec::new(),
            frames: 0,
        }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The simulation's random generator, for scenarios drawn from the same seed.
    pub fn rng(&mut self) -> &mut StdRng {
        &mut self.rng
    }

    /// Virtual time (ms).
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Frames delivered so far.
    pub fn frames_delivered(&self) -> u64 {
        self.frames
    }

    /// Protocol refusals seen so far (reasons), expected only when faults are injected.
    pub fn refusals(&self) -> &[String] {
        &self.refusals
    }

    /// Turns fault injection on or off.
    pub fn set_faults(&mut self, on: bool) {
        self.faults = on;
    }

    /// A peer's engine, unless it is crashed.
    pub fn engine(&self, peer: PeerIdx) -> Option<&Engine> {
        self.peers.get(peer).and_then(|p| p.engine.as_ref())
    }

    /// The number of peers.
    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    fn note(&mut self, line: String) {
        self.trace.push(format!("{:>7} {line}", self.now));
        if self.trace.len() > 4 * TRACE_KEEP {
            self.trace.drain(..self.trace.len() - TRACE_KEEP);
        }
    }

    fn fail(&self, what: &str) -> ! {
        let tail = self.trace.len().saturating_sub(TRACE_KEEP);
        panic!(
            "simulation property failed (seed {seed}, {n} peers): {what}\n\
             replay: SIM_SEED={seed} SIM_PEERS={n} cargo nextest run -p mutual-testkit\n\
             last events:\n{trace}",
            seed = self.seed,
            n = self.peers.len(),
            trace = self.trace[tail..].join("\n"),
        );
    }

    /// Adds a peer with keys drawn from the seed.
    pub fn add_peer(&mut self) -> PeerIdx {
        let key = DeviceKey::from_secret_bytes(self.rng.random());
        let member = MemberKey::from_secret_bytes(self.rng.random());
        self.peers.push(Peer {
            engine: Some(Engine::new(&key)),
            key,
            member,
            store: Store::default(),
        });
        self.peers.len() - 1
    }

    fn device(&self, peer: PeerIdx) -> DeviceId {
        self.peers[peer].key.id()
    }

    fn index_of(&self, device: &DeviceId) -> Option<PeerIdx> {
        self.peers.iter().position(|p| p.key.id() == *device)
    }

    fn stamp(&self, peer: PeerIdx) -> Stamp {
        let secs = i64::try_from(self.now / 1000).unwrap_or(i64::MAX);
        Stamp::new(
            self.peers[peer].member.id().to_string(),
            1_700_000_000 + secs,
        )
    }

    /// `peer` founds a group with an index and a board ("To do" column). Returns its index
    /// among the simulation's groups.
    pub fn create_group(&mut self, peer: PeerIdx) -> usize {
        let name = format!("group {}", self.groups.len());
        let (log, _) = {
            let p = &self.peers[peer];
            Log::create(&name, "founder", &p.member, &p.key, self.now)
        };
        let id = log.group_id();
        let index_id = DocId::from_bytes(self.rng.random());
        let board_id = DocId::from_bytes(self.rng.random());
        let stamp = self.stamp(peer);
        let actor = ActorId::from(self.device(peer).as_bytes());
        let make = |kind, title| Document::create(kind, title, actor.clone(), &stamp);
        let (Ok(mut index_doc), Ok(mut board_doc)) =
            (make(Kind::Index, &name), make(Kind::Board, "Tasks"))
        else {
            self.fail("documents could not be created");
        };
        if board::add_column(&mut board_doc, &stamp, "To do").is_err()
            || index::add_entry(&mut index_doc, &stamp, board_id, Kind::Board, "Tasks").is_err()
        {
            self.fail("documents could not be set up");
        }
        let Some(engine) = self.peers[peer].engine.as_mut() else {
            self.fail(&format!("p{peer} founds a group while crashed"));
        };
        let outs = engine
            .create_group(log, index_id, index_doc.into_automerge())
            .and_then(|mut outs| {
                outs.extend(engine.create_doc(id, board_id, board_doc.into_automerge())?);
                Ok(outs)
            });
        let Ok(outs) = outs else {
            self.fail("the engine refused a new group");
        };
        self.apply(peer, outs);
        self.groups.push(SimGroup {
            id,
            board: board_id,
        });
        self.note(format!("p{peer} creates group {}", id.fmt_short()));
        self.groups.len() - 1
    }

    /// The id of a group founded with [`Sim::create_group`].
    pub fn group_id(&self, group: usize) -> GroupId {
        self.groups[group].id
    }

    /// Has `author` sign an op on its engine, which persists and sends it. Returns false
    /// if the peer is down, lacks the group or may not do it.
    fn author(&mut self, author: PeerIdx, group: usize, action: Action) -> bool {
        let id = self.groups[group].id;
        let now = self.now;
        let Some(engine) = self.peers[author].engine.as_mut() else {
            return false;
        };
        let Ok((_, outs)) = engine.author(id, action, now) else {
            return false;
        };
        self.apply(author, outs);
        true
    }

    /// `admin` adds `peer` (its device, with a fresh member certificate) to the group.
    /// The peer's owner agrees first, as `mutual group accept` does: a device adopts no
    /// group it did not ask for.
    pub fn add_member(&mut self, admin: PeerIdx, group: usize, peer: PeerIdx) -> bool {
        let id = self.groups[group].id;
        self.peers[peer].store.accepted.insert(id);
        if let Some(engine) = self.peers[peer].engine.as_mut() {
            let outs = engine.accept(id);
            self.apply(peer, outs);
        }
        let action = Action::AddMember {
            cert: DeviceCert::new(&self.peers[peer].member, &self.peers[peer].key),
            name: format!("p{peer}"),
            role: Role::Member,
            via: None,
        };
        let done = self.author(admin, group, action);
        self.note(format!("p{admin} adds p{peer} to g{group}: {done}"));
        done
    }

    /// `admin` removes `peer`'s member from the group.
    pub fn remove_member(&mut self, admin: PeerIdx, group: usize, peer: PeerIdx) -> bool {
        let action = Action::RemoveMember {
            member: self.peers[peer].member.id(),
        };
        let done = self.author(admin, group, action);
        self.note(format!("p{admin} removes p{peer} from g{group}: {done}"));
        done
    }

    /// `peer` changes the group's board on its engine with `op` (the value the command
    /// line and the app send), if it holds the board and the change applies; the engine
    /// persists and pushes it.
    pub fn edit(&mut self, peer: PeerIdx, group: usize, op: board::Op) -> bool {
        let board_id = self.groups[group].board;
        self.change(peer, group, board_id, move |doc, stamp| {
            op.apply(doc, stamp).map(drop)
        })
    }

    /// `peer` renames the group's board.
    pub fn rename(&mut self, peer: PeerIdx, group: usize, title: &str) -> bool {
        let board_id = self.groups[group].board;
        self.change(peer, group, board_id, |doc, stamp| {
            doc.set_title(stamp, title)
        })
    }

    /// `stranger`, connected to `target`, probes it as one who learned the group's id would:
    /// it offers the group (with made-up heads, then asking for its log), claims to have
    /// added the target, pushes an op admitting itself, and asks for the board. Honest
    /// engines answer none of it: `assert_members_only` fails if the stranger heard of the
    /// group, and convergence if any of it was taken.
    pub fn probe(&mut self, stranger: PeerIdx, target: PeerIdx, group: usize) -> bool {
        if self.conn_between(stranger, target).is_none() {
            return false;
        }
        let id = self.groups[group].id;
        let board = self.groups[group].board;
        let me = &self.peers[stranger];
        let cert = DeviceCert::new(&me.member, &me.key);
        let forged = Op {
            group: Some(id),
            author: me.key.id(),
            parents: vec![OpId::from_bytes(*id.as_bytes())],
            time: self.now,
            action: Action::AddMember {
                cert,
                name: format!("p{stranger}"),
                role: Role::Admin,
                via: None,
            },
        };
        let Ok(forged) = SignedOp::sign(forged, &me.key) else {
            return false;
        };
        let made_up = OpId::from_bytes([7; 32]);
        let messages = [
            Message::Offer(Offer {
                group: id,
                log_heads: vec![made_up],
                docs_digest: [1; 32],
            }),
            Message::Offer(Offer {
                group: id,
                log_heads: Vec::new(),
                docs_digest: [0; 32],
            }),
            Message::Added {
                group: id,
                name: "Co-op".into(),
                added_by: "p0".into(),
                at: self.now,
            },
            Message::Ops {
                group: id,
                ops: vec![forged],
                heads: vec![made_up],
            },
            Message::DocHeads {
                group: id,
                index: None,
                docs: vec![(board, Vec::new())],
            },
        ];
        for message in &messages {
            if let Ok(frame) = wire::encode(message) {
                self.transmit(stranger, target, frame);
            }
        }
        self.note(format!(
            "stranger p{stranger} probes p{target} for g{group}"
        ));
        true
    }

    /// `peer`, a hostile member, writes junk into the group's board with its own device
    /// (a change every member accepts: it is a member's, signed by its device): a card
    /// whose title is a number, and an entry of the cards that is no card. Every member's
    /// board must still read, the junk set aside.
    pub fn vandalize(&mut self, peer: PeerIdx, group: usize) -> bool {
        use automerge::ReadDoc as _;
        use automerge::transaction::Transactable as _;
        let board = self.groups[group].board;
        let now = self.now;
        let Some(engine) = self.peers[peer].engine.as_mut() else {
            return false;
        };
        let edited = engine.edit(&board, |am| {
            let (_, cards) = am
                .get(automerge::ROOT, "cards")?
                .ok_or_else(|| automerge::AutomergeError::InvalidObjId("cards".into()))?;
            let junk = am.put_object(&cards, format!("junk{now}"), automerge::ObjType::Map)?;
            am.put(&junk, "title", 7_i64)?;
            am.put(&cards, format!("nocard{now}"), "junk")?;
            am.commit();
            Ok::<(), automerge::AutomergeError>(())
        });
        let Ok(Ok(((), outs))) = edited else {
            return false;
        };
        self.note(format!("p{peer} vandalizes g{group}'s board"));
        self.apply(peer, outs);
        true
    }

    /// The id of the first card on the group's board as `peer` holds it, if any.
    pub fn first_card(&self, peer: PeerIdx, group: usize) -> Option<String> {
        let am = self.engine(peer)?.doc(&self.groups[group].board)?;
        match Document::view_of(am).ok()? {
            View::Board(board) => board
                .columns
                .iter()
                .flat_map(|c| c.cards.iter())
                .next()
                .map(|c| c.id.clone()),
            _ => None,
        }
    }

    fn change(
        &mut self,
        peer: PeerIdx,
        group: usize,
        doc: DocId,
        change: impl FnOnce(&mut Document, &Stamp) -> Result<(), mutual_docs::Error>,
    ) -> bool {
        let stamp = self.stamp(peer);
        let Some(engine) = self.peers[peer].engine.as_mut() else {
            return false;
        };
        let edited = engine.edit(&doc, |am| {
            Document::edit_in_place(am, |document| change(document, &stamp))
        });
        let Ok(Ok(((), outs))) = edited else {
            return false;
        };
        self.note(format!("p{peer} edits g{group}"));
        self.apply(peer, outs);
        true
    }

    /// Restarts a crashed peer from its store alone.
    pub fn restart(&mut self, peer: PeerIdx) {
        if self.up(peer) {
            return;
        }
        let p = &self.peers[peer];
        let mut engine = Engine::new(&p.key);
        engine.decline(p.store.pending.iter().copied());
        for group in &p.store.accepted {
            // Nobody is connected yet: nothing to ask.
            let _ = engine.accept(*group);
        }
        for (id, saved) in &p.store.groups {
            let Some(log) = rebuild_log(&saved.ops) else {
                self.fail(&format!(
                    "p{peer}: stored log of {} does not load",
                    id.fmt_short()
                ));
            };
            let mut docs = Vec::new();
            for (doc, stored) in p.store.docs.iter().filter(|(_, d)| d.group == *id) {
                match AutoCommit::load(&stored.bytes) {
                    Ok(automerge) => docs.push(StoredDoc {
                        id: *doc,
                        automerge,
                        tips: p.store.tips.get(doc).cloned().unwrap_or_default(),
                    }),
                    Err(e) => self.fail(&format!("p{peer}: stored doc {doc} does not load: {e}")),
                }
            }
            let held = p
                .store
                .held
                .values()
                .filter(|h| docs.iter().any(|d| d.id == h.doc))
                .cloned()
                .collect();
            engine.load(StoredGroup {
                log,
                index: saved.index,
                docs,
                held,
            });
        }
        self.peers[peer].engine = Some(engine);
        self.note(format!("p{peer} restarts"));
        self.redial_all();
    }

    /// Performs a peer's outputs: persist into its store, send through the link model,
    /// record refusals, check members-only at send time.
    fn apply(&mut self, at: PeerIdx, outputs: Vec<Output>) {
        for output in outputs {
            match output {
                Output::Send { peer, frame } => self.send(at, peer, frame),
                Output::Disconnect { peer, reason } => {
                    self.note(format!("p{at} disconnects {}: {reason}", peer.fmt_short()));
                    if let Some(to) = self.index_of(&peer)
                        && let Some(conn) = self.conn_between(at, to)
                    {
                        // As the runtime does: a device it shares no group with any more
                        // is not redialed (a later heal or restart may still dial it).
                        let redial = matches!(reason, mutual_sync::Reason::Refused(_));
                        self.break_conn(conn, "engine", redial);
                    }
                }
                Output::PersistOps { group, ops } => {
                    self.peers[at]
                        .store
                        .groups
                        .entry(group)
                        .or_default()
                        .ops
                        .extend(ops);
                }
                Output::PersistChanges {
                    group,
                    doc,
                    changes,
                } => {
                    let store = &mut self.peers[at].store;
                    let Some(stored) = store.docs.get_mut(&doc) else {
                        self.fail(&format!(
                            "p{at}: changes for unknown doc {doc} of {group:?}"
                        ));
                    };
                    stored.bytes.extend_from_slice(&changes);
                }
                Output::PersistNewDoc {
                    group,
                    doc,
                    kind,
                    bytes,
                } => {
                    let store = &mut self.peers[at].store;
                    store.docs.insert(doc, SavedDoc { group, bytes });
                    if kind == Kind::Index {
                        store.groups.entry(group).or_default().index = Some(doc);
                    }
                }
                Output::PersistTips { doc, tips, .. } => {
                    self.peers[at]
                        .store
                        .tips
                        .entry(doc)
                        .or_default()
                        .extend(tips);
                }
                Output::PersistHeld(held) => {
                    let store = &mut self.peers[at].store;
                    for h in held {
                        store.held.insert((h.peer, h.doc), h);
                    }
                }
                Output::PersistAddition(addition) => {
                    self.peers[at].store.pending.insert(addition.group);
                }
                Output::Event(Event::PeerRefused { peer, reason }) => {
                    self.refusals
                        .push(format!("p{at} refused {}: {reason}", peer.fmt_short()));
                }
                Output::Event(_) => {}
            }
        }
    }
}

/// A log from ops in causal order (genesis first); ops whose parents come later are retried.
fn rebuild_log(ops: &[SignedOp]) -> Option<Log> {
    let genesis = ops
        .iter()
        .find(|op| matches!(op.op.action, Action::Create { .. }))?;
    let mut log = Log::from_genesis(genesis.clone()).ok()?;
    let mut pending: Vec<&SignedOp> = ops.iter().collect();
    loop {
        let mut progress = false;
        let mut left = Vec::new();
        for op in pending {
            match log.insert(op.clone()) {
                Ok(Inserted::New) => progress = true,
                Ok(Inserted::Duplicate) => {}
                Err(Rejected::MissingParents(_)) => left.push(op),
                Err(Rejected::WrongGroup { .. }) | Err(_) => {}
            }
        }
        pending = left;
        if !progress || pending.is_empty() {
            return Some(log);
        }
    }
}

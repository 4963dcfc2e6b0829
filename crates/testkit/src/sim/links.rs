//! The network of a simulation: connections and their link model (latency, loss,
//! duplication, reordering), partitions, crashes, and the event queue on the virtual clock.

use mutual_auth::{DeviceId, GroupId};
use mutual_sync::Input;
use mutual_sync::wire::{self, FrameDecoder, Message};
use rand::RngExt as _;

use super::{Conn, Ev, MAX_EVENTS, PeerIdx, Sim};

impl Sim {
    fn partitioned(&self, a: PeerIdx, b: PeerIdx) -> bool {
        self.partition.as_ref().is_some_and(|(x, y)| {
            (x.contains(&a) && y.contains(&b)) || (x.contains(&b) && y.contains(&a))
        })
    }

    pub(super) fn conn_between(&self, a: PeerIdx, b: PeerIdx) -> Option<u64> {
        self.conns
            .iter()
            .find(|(_, c)| (c.dialer == a && c.other == b) || (c.dialer == b && c.other == a))
            .map(|(id, _)| *id)
    }

    pub(super) fn up(&self, peer: PeerIdx) -> bool {
        self.peers[peer].engine.is_some()
    }

    /// `a` dials `b`, now and again after every disconnect (until partitioned or crashed,
    /// and again after heal or restart).
    pub fn connect(&mut self, a: PeerIdx, b: PeerIdx) {
        if a == b {
            return;
        }
        self.wanted.insert((a.min(b), a.max(b)));
        self.dial(a, b);
    }

    fn dial(&mut self, a: PeerIdx, b: PeerIdx) {
        if !self.up(a) || !self.up(b) || self.partitioned(a, b) || self.conn_between(a, b).is_some()
        {
            return;
        }
        let id = self.next_conn;
        self.next_conn += 1;
        self.conns.insert(
            id,
            Conn {
                dialer: a,
                other: b,
                decoders: [FrameDecoder::new(), FrameDecoder::new()],
                last: [self.now; 2],
            },
        );
        self.note(format!("p{a} connects to p{b} (c{id})"));
        for (me, peer, dialer) in [(a, b, true), (b, a, false)] {
            let peer = self.device(peer);
            self.input(me, Input::Connected { peer, dialer });
        }
    }

    fn input(&mut self, peer: PeerIdx, input: Input) {
        let now = self.now;
        let Some(engine) = self.peers[peer].engine.as_mut() else {
            return;
        };
        let outs = engine.handle(now, input);
        self.apply(peer, outs);
    }

    /// Breaks the connection between `a` and `b` (they redial later).
    pub fn disconnect(&mut self, a: PeerIdx, b: PeerIdx) {
        if let Some(conn) = self.conn_between(a, b) {
            self.break_conn(conn, "cut", true);
        }
    }

    pub(super) fn break_conn(&mut self, conn: u64, why: &str, redial: bool) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        self.note(format!("c{conn} p{}-p{} breaks: {why}", c.dialer, c.other));
        for (me, peer) in [(c.dialer, c.other), (c.other, c.dialer)] {
            let peer = self.device(peer);
            self.input(me, Input::Disconnected { peer });
        }
        let (a, b) = (c.dialer.min(c.other), c.dialer.max(c.other));
        if redial && self.wanted.contains(&(a, b)) {
            let backoff = self.rng.random_range(50..500);
            let dialer = if self.rng.random_bool(0.5) { a } else { b };
            let other = if dialer == a { b } else { a };
            self.schedule(
                self.now + backoff,
                Ev::Dial {
                    a: dialer,
                    b: other,
                },
            );
        }
    }

    fn schedule(&mut self, at: u64, ev: Ev) {
        self.seq += 1;
        self.queue.insert((at, self.seq), ev);
    }

    /// Cuts every link between the two sets until [`Sim::heal`].
    pub fn partition(&mut self, a: &[PeerIdx], b: &[PeerIdx]) {
        self.partition = Some((a.iter().copied().collect(), b.iter().copied().collect()));
        let cut: Vec<u64> = self
            .conns
            .iter()
            .filter(|(_, c)| self.partitioned(c.dialer, c.other))
            .map(|(id, _)| *id)
            .collect();
        self.note(format!("partition {a:?} | {b:?}"));
        for conn in cut {
            self.break_conn(conn, "partition", true);
        }
    }

    /// Ends the partition; separated pairs redial.
    pub fn heal(&mut self) {
        self.partition = None;
        self.note("heal".into());
        self.redial_all();
    }

    pub(super) fn redial_all(&mut self) {
        let wanted: Vec<(PeerIdx, PeerIdx)> = self.wanted.iter().copied().collect();
        for (a, b) in wanted {
            let delay = self.rng.random_range(1..100);
            self.schedule(self.now + delay, Ev::Dial { a, b });
        }
    }

    /// Crashes a peer: its engine and everything not persisted are gone.
    pub fn crash(&mut self, peer: PeerIdx) {
        let conns: Vec<u64> = self
            .conns
            .iter()
            .filter(|(_, c)| c.dialer == peer || c.other == peer)
            .map(|(id, _)| *id)
            .collect();
        for conn in conns {
            self.break_conn(conn, "crash", true);
        }
        self.peers[peer].engine = None;
        self.note(format!("p{peer} crashes"));
    }

    pub(super) fn send(&mut self, from: PeerIdx, peer: DeviceId, frame: Vec<u8>) {
        let Some(to) = self.index_of(&peer) else {
            return;
        };
        self.check_members_only(from, to, &frame);
        self.transmit(from, to, frame);
    }

    /// Puts a frame on the wire from `from` to `to`, through the link model, unchecked: an
    /// honest engine's frames go through [`Sim::send`]; an attacker's come here.
    pub(super) fn transmit(&mut self, from: PeerIdx, to: PeerIdx, frame: Vec<u8>) {
        let Some(conn_id) = self.conn_between(from, to) else {
            return;
        };
        let (lo, hi) = self.model.latency_ms;
        let latency = self.rng.random_range(lo..=hi.max(lo));
        let Some(conn) = self.conns.get_mut(&conn_id) else {
            return;
        };
        let side = conn.side(to);
        let at = (self.now + latency).max(conn.last[side]);
        let fault = if self.faults {
            let roll: f64 = self.rng.random();
            let m = &self.model;
            if roll < m.loss {
                Some("loss")
            } else if roll < m.loss + m.duplicate {
                Some("duplicate")
            } else if roll < m.loss + m.duplicate + m.reorder {
                Some("reorder")
            } else {
                None
            }
        } else {
            None
        };
        let Some(conn) = self.conns.get_mut(&conn_id) else {
            return;
        };
        match fault {
            None => {
                conn.last[side] = at;
                self.schedule(
                    at,
                    Ev::Deliver {
                        conn: conn_id,
                        to,
                        bytes: frame,
                    },
                );
            }
            Some("loss") => {
                self.note(format!("c{conn_id} loses a frame p{from}->p{to}"));
                self.schedule(at, Ev::Break { conn: conn_id });
            }
            Some("duplicate") => {
                conn.last[side] = at;
                self.note(format!("c{conn_id} duplicates a frame p{from}->p{to}"));
                self.schedule(
                    at,
                    Ev::Deliver {
                        conn: conn_id,
                        to,
                        bytes: frame.clone(),
                    },
                );
                self.schedule(
                    at,
                    Ev::Deliver {
                        conn: conn_id,
                        to,
                        bytes: frame,
                    },
                );
                self.schedule(at + 1, Ev::Break { conn: conn_id });
            }
            Some(_) => {
                let late = at + 50;
                self.note(format!(
                    "c{conn_id} delays a frame p{from}->p{to} past later ones"
                ));
                self.schedule(
                    late,
                    Ev::Deliver {
                        conn: conn_id,
                        to,
                        bytes: frame,
                    },
                );
                self.schedule(late + 1, Ev::Break { conn: conn_id });
            }
        }
    }

    /// Members only, checked at send time against the sender's own log: every group a frame
    /// names must be one where the receiver is a member's device, except a request for a
    /// group the sender lacks (an offer with empty heads, sent to whoever offered it).
    fn check_members_only(&mut self, from: PeerIdx, to: PeerIdx, frame: &[u8]) {
        let Some(body) = frame.get(wire::LEN_BYTES..) else {
            self.fail("a frame without a length prefix");
        };
        let message = match wire::decode_body(body) {
            Ok(message) => message,
            Err(e) => self.fail(&format!("p{from} sent an undecodable frame: {e}")),
        };
        let groups: Vec<GroupId> = match &message {
            Message::Hello { offers, .. } => offers.iter().map(|o| o.group).collect(),
            other => other.group().into_iter().collect(),
        };
        let receiver = self.device(to);
        for group in groups {
            let log = self.engine(from).and_then(|e| e.log(&group));
            let sender = self.device(from);
            let lacks = log.is_none();
            let allowed = match log {
                Some(log) => {
                    log.state().member_of_device(&receiver).is_some()
                        || tells_an_ending_only(log, &message, &[sender, receiver])
                }
                None => matches!(&message, Message::Offer(o) if o.log_heads.is_empty()),
            };
            if !allowed {
                self.violations.push(format!(
                    "p{from} sent p{to} a {} frame of group {} while p{to} is not a member in its view",
                    message.kind(),
                    group.fmt_short()
                ));
            }
            // A request for a group the sender lacks (an empty-heads offer) only echoes the
            // id the receiver offered first: a prober who named the group learns nothing.
            let request = lacks && matches!(&message, Message::Offer(o) if o.log_heads.is_empty());
            if !request {
                self.heard.entry(to).or_default().insert(group);
            }
        }
    }

    fn tick_if_due(&mut self) {
        while self.now >= self.next_tick {
            self.next_tick += 1_000;
            for peer in 0..self.peers.len() {
                self.input(peer, Input::Tick);
            }
        }
    }

    /// Processes one queued event; false if none is left.
    fn step(&mut self, until: Option<u64>) -> bool {
        let Some((&(at, seq), _)) = self.queue.first_key_value() else {
            return false;
        };
        if until.is_some_and(|until| at > until) {
            return false;
        }
        let Some(ev) = self.queue.remove(&(at, seq)) else {
            return false;
        };
        self.now = self.now.max(at);
        self.tick_if_due();
        match ev {
            Ev::Deliver { conn, to, bytes } => self.deliver(conn, to, &bytes),
            Ev::Break { conn } => self.break_conn(conn, "link fault", true),
            Ev::Dial { a, b } => {
                if self.wanted.contains(&(a.min(b), a.max(b))) {
                    self.dial(a, b);
                }
            }
        }
        true
    }

    fn deliver(&mut self, conn_id: u64, to: PeerIdx, bytes: &[u8]) {
        let Some(conn) = self.conns.get_mut(&conn_id) else {
            return;
        };
        let from = if conn.dialer == to {
            conn.other
        } else {
            conn.dialer
        };
        let side = conn.side(to);
        conn.decoders[side].push(bytes);
        let mut bodies = Vec::new();
        let broken = loop {
            match conn.decoders[side].next_body() {
                Ok(Some(body)) => bodies.push(body),
                Ok(None) => break false,
                Err(_) => break true,
            }
        };
        let peer = self.device(from);
        for body in bodies {
            if !self.conns.contains_key(&conn_id) {
                return;
            }
            self.frames += 1;
            self.input(to, Input::Frame { peer, bytes: body });
        }
        if broken {
            self.break_conn(conn_id, "bad framing", true);
        }
    }

    /// Runs the simulation for `ms` of virtual time.
    pub fn run_for(&mut self, ms: u64) {
        let until = self.now + ms;
        let mut events = 0;
        while self.step(Some(until)) {
            events += 1;
            if events > MAX_EVENTS {
                self.fail("no progress: too many events in run_for");
            }
        }
        self.now = until;
        self.tick_if_due();
    }

    /// Stops injecting faults, heals partitions, restarts crashed peers, connects every
    /// pair, and runs until no message is in flight.
    pub fn run_until_quiet(&mut self) {
        for a in 0..self.peers.len() {
            for b in a + 1..self.peers.len() {
                self.wanted.insert((a, b));
            }
        }
        self.settle();
    }

    /// Like [`Sim::run_until_quiet`] but keeps the links that were asked for: convergence
    /// then has to come through relays, which checks that changes travel on.
    pub fn settle(&mut self) {
        self.faults = false;
        self.partition = None;
        for peer in 0..self.peers.len() {
            self.restart(peer);
        }
        self.note("run until quiet".into());
        self.redial_all();
        let mut events = 0;
        while self.step(None) {
            events += 1;
            if events > MAX_EVENTS {
                self.fail("no quiet: too many events");
            }
        }
    }
}

/// Whether `message` carries ops of `log` that lead up to how one of `devices` stopped
/// being a member, and nothing later: what a former member is told of its ending.
fn tells_an_ending_only(log: &mutual_auth::Log, message: &Message, devices: &[DeviceId]) -> bool {
    let Message::Ops { ops, .. } = message else {
        return false;
    };
    let mut before = std::collections::BTreeSet::new();
    let mut stack: Vec<mutual_auth::OpId> = devices
        .iter()
        .filter_map(|d| log.ending_of(d))
        .map(|e| e.op)
        .collect();
    while let Some(id) = stack.pop() {
        if before.insert(id)
            && let Some(op) = log.get(&id)
        {
            stack.extend(op.op.parents.iter().copied());
        }
    }
    ops.iter().all(|op| before.contains(&op.id()))
}

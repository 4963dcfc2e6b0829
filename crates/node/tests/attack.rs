//! Adversarial stories: a hostile device speaks Mutual's real protocols by hand, over a
//! libp2p swarm of its own on 127.0.0.1, to an honest node (a real [`Runtime`] over real
//! SQLite in a temporary directory). Each story checks the exact refusal the attacker gets
//! and that the honest node's group is exactly as it was: members, invites and membership
//! log, read again by a fresh `Node::open` once the runtime stopped.
//!
//! - The join exchange (`/mutual/join/1`): a used-up invite replayed, an ask without the
//!   invite's secret or with another device's proof, a request to admit another device, a
//!   request signed by the wrong key.
//! - The sync protocol (`/mutual/sync/1`): a stranger who knows the group's id pushing
//!   forged ops, a plain member pushing an op only an admin may sign, an op signed in the
//!   admin's name, and a document change made in the admin's name.
//!
//! Alice is the honest node; Carol an honest joiner; Mallory the attacker; Bob and Eve
//! bystanders whose keys Mallory would like to see in the group. The hand-driven devices
//! draw keys whose `PeerId` sorts below Alice's, so that they are the side that opens the
//! sync stream (an honest node drops one opened by a larger `PeerId`, and opens none).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, anyhow, bail};
use automerge::sync::{ChunkList, MessageVersion};
use automerge::{ActorId, AutoCommit};
use futures::AsyncReadExt as _;
use libp2p_identity::PeerId;
use mutual_auth::{
    Action, DeviceCert, DeviceId, DeviceKey, GroupId, InviteKey, MemberKey, Op, OpId, Rejected,
    Role, Signature, SignedOp, invite_lookup,
};
use mutual_net::{Control, JOIN_PROTOCOL, Net, SYNC_PROTOCOL, Stream};
use mutual_node::runtime::join::{JoinMessage, OfferedGroup, read_frame, write_frame};
use mutual_node::runtime::{
    Config, Event, Handle, JoinError, JoinStep, Look, LookedGroup, Multiaddr, NetConfig, Request,
    Response, Runtime, RuntimeError,
};
use mutual_node::view::{HistoryEntry, InviteView, MemberView};
use mutual_node::{JoinRequest, Node, Refusal};
use mutual_sync::wire::{self, FrameDecoder, Message, Offer};
use tempfile::TempDir;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// How long any one step may take: generous, for a loaded 2-core CI machine.
const DEADLINE: Duration = Duration::from_secs(60);
/// The name of Alice's group.
const GROUP_NAME: &str = "Food co-op";
/// The name of a group founded by hand-driven devices.
const UNION: &str = "Tenants' union";

// ---- what an attack must not change ----------------------------------------------------

/// Everything of Alice's group that a forged admission, op or change would change.
#[derive(Debug, PartialEq)]
struct Snapshot {
    /// The name shown (from the index document).
    name: String,
    /// Who changed what in the index document.
    history: Vec<HistoryEntry>,
    members: Vec<MemberView>,
    invites: Vec<InviteView>,
    ops: usize,
    heads: Vec<OpId>,
}

impl Snapshot {
    fn of(node: &mut Node, group: &GroupId) -> Result<Snapshot, mutual_node::Error> {
        node.load_all()?;
        let log = node
            .engine()?
            .log(group)
            .cloned()
            .ok_or_else(|| mutual_node::Error::UnknownGroup(group.to_string()))?;
        let view = node.group(group)?;
        Ok(Snapshot {
            name: view.name,
            history: node.history(&mutual_node::index_doc_id(group))?,
            members: view.members,
            invites: node.invites(group)?,
            ops: log.len(),
            heads: log.heads(),
        })
    }

    fn names(&self) -> Vec<&str> {
        self.members.iter().map(|m| m.name.as_str()).collect()
    }
}

// ---- Alice, the honest node ------------------------------------------------------------

/// Alice's device online: a real runtime over real SQLite, run in a task until stopped.
struct Alice {
    dir: TempDir,
    group: GroupId,
    peer: PeerId,
    address: Multiaddr,
    handle: Handle,
    events: mpsc::Receiver<Event>,
    /// Every event taken from `events` so far, in order.
    seen: Vec<Event>,
    stop: oneshot::Sender<()>,
    run: JoinHandle<Result<(), RuntimeError>>,
}

impl Alice {
    /// Alice founds her group; `prepare` runs on her node (invites, members) before it goes
    /// online on 127.0.0.1. Returns her once she listens, and what `prepare` returned.
    async fn online<T>(
        prepare: impl FnOnce(&mut Node, &GroupId) -> Result<T>,
    ) -> Result<(Alice, T)> {
        Alice::online_with(|_| {}, prepare).await
    }

    /// As [`Alice::online`], with `tweak` applied to her network configuration.
    async fn online_with<T>(
        tweak: impl FnOnce(&mut NetConfig),
        prepare: impl FnOnce(&mut Node, &GroupId) -> Result<T>,
    ) -> Result<(Alice, T)> {
        let dir = tempfile::tempdir().context("creating Alice's data directory")?;
        let mut node = Node::open(dir.path()).context("opening Alice's node")?;
        node.init("Alice")?;
        let group = node.create_group(GROUP_NAME)?;
        let prepared = prepare(&mut node, &group).context("preparing Alice's node")?;
        let peer = node.identity()?.device.peer_id();
        let mut net = NetConfig {
            listen: vec!["/ip4/127.0.0.1/tcp/0".parse()?],
            mdns: false,
            ..NetConfig::default()
        };
        tweak(&mut net);
        let config = Config {
            net,
            relays: Vec::new(),
            ephemeral_book: false,
        };
        let (runtime, events) = Runtime::new(node, &config).context("starting Alice's runtime")?;
        let handle = runtime.handle();
        let (stop, stopped) = oneshot::channel::<()>();
        let run = tokio::spawn(runtime.run(async {
            let _ = stopped.await;
        }));
        let mut alice = Alice {
            dir,
            group,
            peer,
            address: Multiaddr::empty(),
            handle,
            events,
            seen: Vec::new(),
            stop,
            run,
        };
        let listening = alice
            .wait_for("listening", |e| matches!(e, Event::Listening { .. }))
            .await?;
        if let Event::Listening { address } = listening {
            alice.address = address.parse()?;
        }
        Ok((alice, prepared))
    }

    /// Waits for the next event that `want` picks (keeping every event taken in `seen`).
    async fn wait_for(&mut self, what: &str, want: impl Fn(&Event) -> bool) -> Result<Event> {
        let found = tokio::time::timeout(DEADLINE, async {
            loop {
                let event = self.events.recv().await?;
                self.seen.push(event.clone());
                if want(&event) {
                    return Some(event);
                }
            }
        })
        .await;
        match found {
            Ok(Some(event)) => Ok(event),
            Ok(None) => bail!("Alice's runtime stopped before {what}"),
            Err(_) => bail!("Alice never reported {what}; she reported {:#?}", self.seen),
        }
    }

    /// Waits until Alice read a whole frame of `peer`'s and refused it as no message.
    async fn read_and_refused(&mut self, peer: &str) -> Result<()> {
        self.wait_for("a whole frame read and refused", |e| {
            matches!(e, Event::PeerRefused { peer: p, reason } if p == peer && reason.starts_with("bad frame"))
        })
        .await
        .map(drop)
    }

    /// Alice's group as her running node holds it now.
    async fn snapshot(&mut self) -> Result<Snapshot> {
        let group = self.group;
        let taken = self
            .handle
            .with_node(move |node| Snapshot::of(node, &group));
        Ok(tokio::time::timeout(DEADLINE, taken)
            .await
            .context("Alice's runtime did not answer")?
            .context("Alice's runtime stopped")??)
    }

    /// The offer an honest member makes for `invite`: its key and Alice's group.
    fn offer(&self, invite: &InviteKey) -> JoinMessage {
        JoinMessage::Offer {
            invite: invite.public(),
            groups: vec![OfferedGroup {
                group: self.group,
                name: GROUP_NAME.to_owned(),
            }],
        }
    }

    /// Stops the runtime; returns the group as a fresh `Node::open` reads it from disk,
    /// and every event Alice reported.
    async fn stop(mut self) -> Result<(Snapshot, Vec<Event>)> {
        let _ = self.stop.send(());
        tokio::time::timeout(DEADLINE, self.run)
            .await
            .context("Alice's runtime did not stop")?
            .context("Alice's runtime panicked")?
            .context("Alice's runtime failed")?;
        while let Ok(event) = self.events.try_recv() {
            self.seen.push(event);
        }
        let mut node = Node::open(self.dir.path()).context("reopening Alice's node")?;
        Ok((Snapshot::of(&mut node, &self.group)?, self.seen))
    }
}

/// Creates an invite to the group with one use, valid for an hour; returns its key.
fn invite_once(node: &mut Node, group: &GroupId) -> Result<InviteKey> {
    let created = node.create_invite(group, Role::Member, 1, Duration::from_secs(3600))?;
    Ok(InviteKey::from_code_secret(&created.secret))
}

// ---- devices driven by hand ------------------------------------------------------------

/// A device key whose `PeerId` sorts below `peer`'s: its device opens the sync stream.
fn key_below(peer: &PeerId) -> DeviceKey {
    loop {
        let key = DeviceKey::generate();
        if key.peer_id() < *peer {
            return key;
        }
    }
}

/// A device that speaks Mutual's protocols by hand over its own libp2p swarm.
struct Raw {
    key: DeviceKey,
    member: MemberKey,
    alice: PeerId,
    control: Control,
    /// Join streams Alice opened to this device.
    joins: mpsc::Receiver<Stream>,
    swarm: JoinHandle<()>,
}

impl Drop for Raw {
    fn drop(&mut self) {
        self.swarm.abort();
    }
}

impl Raw {
    /// Connects a new device with `key` to Alice; returns once both sides saw it connect.
    async fn connect(key: DeviceKey, alice: &mut Alice) -> Result<Raw> {
        let config = NetConfig {
            listen: Vec::new(),
            mdns: false,
            relay_server: false,
            ..NetConfig::default()
        };
        let mut net = Net::new(key.to_libp2p_keypair(), &config)?;
        let control = net.control();
        net.dial(alice.address.clone())?;
        let (connected, mut connections) = mpsc::channel(8);
        let (joined, joins) = mpsc::channel(8);
        // The swarm makes progress only while polled. It hands on the join streams Alice
        // opens, and drops the rest.
        let swarm = tokio::spawn(async move {
            loop {
                match net.next_event().await {
                    mutual_net::Event::Connected { peer, .. } => {
                        let _ = connected.try_send(peer);
                    }
                    mutual_net::Event::InboundJoin { stream, .. } => {
                        let _ = joined.try_send(stream);
                    }
                    _ => {}
                }
            }
        });
        let raw = Raw {
            key,
            member: MemberKey::generate(),
            alice: alice.peer,
            control,
            joins,
            swarm,
        };
        let up = tokio::time::timeout(DEADLINE, async {
            while let Some(peer) = connections.recv().await {
                if peer == raw.alice {
                    return true;
                }
            }
            false
        });
        if !up.await.unwrap_or(false) {
            bail!("the device never connected to Alice");
        }
        let me = raw.peer();
        alice
            .wait_for(
                "the new connection",
                |e| matches!(e, Event::Connected { peer, .. } if *peer == me),
            )
            .await?;
        Ok(raw)
    }

    /// This device's peer id, as Alice's events name it.
    fn peer(&self) -> String {
        self.key.peer_id().to_string()
    }

    /// This device's certificate from its own member key.
    fn cert(&self) -> DeviceCert {
        DeviceCert::new(&self.member, &self.key)
    }

    // ---- the join exchange ----

    /// Opens a join stream and asks with `lookup` and `proof`; returns the stream and
    /// Alice's answer.
    async fn ask_with(&self, lookup: [u8; 16], proof: Signature) -> Result<(Stream, JoinMessage)> {
        let mut control = self.control.clone();
        let mut stream = opened(control.open_stream(self.alice, JOIN_PROTOCOL)).await?;
        write_frame(&mut stream, &JoinMessage::Ask { lookup, proof })
            .await
            .map_err(|e| anyhow!("sending the ask: {e}"))?;
        let answer = read_frame(&mut stream)
            .await
            .map_err(|e| anyhow!("reading the answer to the ask: {e}"))?;
        if let JoinMessage::Offer { groups, .. } = &answer {
            read_logs(&mut stream, groups.len()).await?;
        }
        Ok((stream, answer))
    }

    /// Asks as a joiner holding `invite` does: the proof is over this very device.
    async fn ask(&self, invite: &InviteKey) -> Result<(Stream, JoinMessage)> {
        let proof = invite.ask(&self.key.id());
        self.ask_with(invite_lookup(&invite.public()), proof).await
    }

    /// The request an honest joiner makes: this device's certificate and `name`, bound to
    /// `group` by `invite`.
    fn request_for(&self, invite: &InviteKey, group: GroupId, name: &str) -> JoinRequest {
        let cert = self.cert();
        JoinRequest {
            group,
            via: invite.redeem(&group, &cert, name),
            cert,
            name: name.to_owned(),
        }
    }

    // ---- the sync protocol ----

    /// Opens the sync stream (Alice accepts it: this device's `PeerId` is the smaller).
    async fn open_sync(&self) -> Result<Session> {
        let mut control = self.control.clone();
        Ok(Session {
            stream: opened(control.open_stream(self.alice, SYNC_PROTOCOL)).await?,
            decoder: FrameDecoder::new(),
        })
    }

    /// An op of `group` after `parents`, claiming `author`, signed by this device: forged
    /// unless `author` is this device.
    fn sign_op(
        &self,
        group: GroupId,
        parents: Vec<OpId>,
        author: DeviceId,
        action: Action,
    ) -> Result<SignedOp> {
        let time = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();
        let op = Op {
            group: Some(group),
            author: self.key.id(),
            parents,
            time: u64::try_from(time)?,
            action,
        };
        let mut signed = SignedOp::sign(op, &self.key)?;
        signed.op.author = author;
        Ok(signed)
    }
}

/// A stream being opened, within the deadline.
async fn opened<E>(opening: impl Future<Output = Result<Stream, E>>) -> Result<Stream>
where
    E: std::error::Error + Send + Sync + 'static,
{
    Ok(tokio::time::timeout(DEADLINE, opening)
        .await
        .context("opening a stream to Alice timed out")??)
}

/// Reads the membership logs that follow an offer of `groups` groups.
async fn read_logs(stream: &mut Stream, groups: usize) -> Result<Vec<Vec<SignedOp>>> {
    let mut logs = Vec::new();
    for _ in 0..groups {
        let mut log = Vec::new();
        loop {
            match read_frame(stream).await {
                Ok(JoinMessage::LogPart { ops, last }) => {
                    log.extend(ops);
                    if last {
                        break;
                    }
                }
                other => bail!("the offer was followed by {other:?}, not its log"),
            }
        }
        logs.push(log);
    }
    Ok(logs)
}

/// Answers a join ask on `stream` as a member holding `log` does: an offer of its group
/// for `invite`, and the log.
async fn offer_with_log(stream: &mut Stream, invite: &InviteKey, log: &[SignedOp]) -> Result<()> {
    match read_frame(stream).await {
        Ok(JoinMessage::Ask { .. }) => {}
        other => bail!("the joiner opened with {other:?}, not an ask"),
    }
    let group = GroupId::from(log[0].id());
    let offer = JoinMessage::Offer {
        invite: invite.public(),
        groups: vec![OfferedGroup {
            group,
            name: UNION.to_owned(),
        }],
    };
    write_frame(stream, &offer)
        .await
        .map_err(|e| anyhow!("offering: {e}"))?;
    let part = JoinMessage::LogPart {
        ops: log.to_vec(),
        last: true,
    };
    write_frame(stream, &part)
        .await
        .map_err(|e| anyhow!("sending the log: {e}"))
}

/// Sends `requests` on a join stream where Alice made an offer; returns her answer.
async fn request(stream: &mut Stream, requests: Vec<JoinRequest>) -> Result<JoinMessage> {
    write_frame(stream, &JoinMessage::Request { requests })
        .await
        .map_err(|e| anyhow!("sending the request: {e}"))?;
    read_frame(stream)
        .await
        .map_err(|e| anyhow!("reading the answer to the request: {e}"))
}

fn refused(refusal: Refusal) -> JoinMessage {
    JoinMessage::Refused { refusal }
}

/// A sync session with Alice, as the raw device sees it: frames out, frames in.
struct Session {
    stream: Stream,
    decoder: FrameDecoder,
}

impl Session {
    async fn send(&mut self, message: &Message) -> Result<()> {
        use futures::AsyncWriteExt as _;
        let frame = wire::encode(message)?;
        self.stream.write_all(&frame).await?;
        Ok(self.stream.flush().await?)
    }

    /// Says hello offering `group` at `heads`, as a device that holds it would, and pushes
    /// `ops` of it.
    async fn offer_with_ops(
        &mut self,
        group: GroupId,
        heads: Vec<OpId>,
        ops: Vec<SignedOp>,
    ) -> Result<()> {
        let offer = Offer {
            group,
            log_heads: heads.clone(),
            docs_digest: [0; 32],
        };
        self.send(&Message::Hello {
            version: wire::VERSION,
            offers: vec![offer],
        })
        .await?;
        self.send(&Message::Ops { group, ops, heads }).await
    }

    /// Alice's next message; `None` once she ended the session (or the connection).
    async fn next(&mut self) -> Result<Option<Message>> {
        let mut buf = vec![0; 64 * 1024];
        loop {
            if let Some(body) = self.decoder.next_body()? {
                return Ok(Some(wire::decode_body(&body)?));
            }
            let read = tokio::time::timeout(DEADLINE, self.stream.read(&mut buf))
                .await
                .context("Alice neither sent a frame nor ended the session")?;
            match read {
                Ok(0) | Err(_) => return Ok(None),
                Ok(n) => self.decoder.push(&buf[..n]),
            }
        }
    }

    /// Every message Alice sends until she ends the session.
    async fn rest(&mut self) -> Result<Vec<Message>> {
        let mut messages = Vec::new();
        while let Some(message) = self.next().await? {
            messages.push(message);
        }
        Ok(messages)
    }
}

/// The `Sync` message carrying `am`'s last local change alone (`what` made it), in a V1
/// Automerge message, with `key`'s signature over it: how a device sends one edit.
fn last_change_alone(
    am: &mut AutoCommit,
    what: &str,
    key: &DeviceKey,
    group: GroupId,
    doc: mutual_docs::DocId,
) -> Result<Message> {
    let last = am
        .get_last_local_change()
        .with_context(|| format!("{what} made no change"))?;
    let (change, hash) = (last.raw_bytes().to_vec(), last.hash().0);
    let message = automerge::sync::Message {
        heads: am.get_heads(),
        need: Vec::new(),
        have: Vec::new(),
        changes: ChunkList::from(vec![change]),
        flags: None,
        version: MessageVersion::V1,
    };
    Ok(Message::Sync {
        group,
        doc,
        message: message.encode(),
        signatures: vec![(hash, key.sign_change(&hash))],
    })
}

/// The hello of a device with no offer: a stranger's, or what a stranger receives.
fn empty_hello() -> Message {
    Message::Hello {
        version: wire::VERSION,
        offers: Vec::new(),
    }
}

/// Alice with Mallory as a plain member, whom she admitted by her device's peer id, in a
/// sync session where both offered the group, so that it is active.
struct MemberSession {
    alice: Alice,
    mallory: Raw,
    session: Session,
    /// Alice's offer (her log heads and documents digest), which Mallory echoed as if she
    /// held the same log and documents...
    offer: Offer,
    /// ...as she does: the group's index document, from an earlier sync.
    index: AutoCommit,
}

impl MemberSession {
    async fn start() -> Result<MemberSession> {
        Ok(MemberSession::start_with(|_, _| Ok(())).await?.0)
    }

    /// As [`MemberSession::start`], with `prepare` run on Alice's node first (after
    /// Mallory is a member); returns what it returned.
    async fn start_with<T>(
        prepare: impl FnOnce(&mut Node, &GroupId) -> Result<T>,
    ) -> Result<(MemberSession, T)> {
        let (mut alice, (key, index, prepared)) = Alice::online(|node, group| {
            let key = key_below(&node.identity()?.device.peer_id());
            node.add_device(group, &key.peer_id().to_string(), Role::Member, "Mallory")?;
            let prepared = prepare(node, group)?;
            let index_id = mutual_node::index_doc_id(group);
            let index = node.engine()?.doc(&index_id).cloned();
            Ok((key, index.context("the group has no index")?, prepared))
        })
        .await?;
        let mallory = Raw::connect(key, &mut alice).await?;
        let mut session = mallory.open_sync().await?;
        let offer = match session.next().await? {
            Some(Message::Hello { offers, .. }) => match <[Offer; 1]>::try_from(offers) {
                Ok([offer]) if offer.group == alice.group => offer,
                _ => bail!("Alice's hello does not offer exactly her group"),
            },
            other => bail!("Alice opened with {other:?}, not a hello"),
        };
        session
            .send(&Message::Hello {
                version: wire::VERSION,
                offers: vec![offer.clone()],
            })
            .await?;
        let member = MemberSession {
            alice,
            mallory,
            session,
            offer,
            index,
        };
        Ok((member, prepared))
    }
}

// ---- the join exchange -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_used_invite_is_refused_as_if_it_never_existed() -> Result<()> {
    // 1. Alice invites one person; Carol uses the code and is admitted.
    let (mut alice, invite) = Alice::online(invite_once).await?;
    let carol = Raw::connect(key_below(&alice.peer), &mut alice).await?;
    let (mut stream, offer) = carol.ask(&invite).await?;
    assert_eq!(offer, alice.offer(&invite));
    let carols = carol.request_for(&invite, alice.group, "Carol");
    let answer = request(&mut stream, vec![carols]).await?;
    assert_eq!(
        answer,
        JoinMessage::Admitted {
            groups: vec![alice.group]
        }
    );
    let before = alice.snapshot().await?;
    assert_eq!(before.names(), ["Alice", "Carol"]);
    assert_eq!(before.invites[0].uses, 1);

    // 2. Mallory, who saw the same code, runs the exchange from her own device. Alice does
    //    not even name the group: she answers as she answers a code nobody ever made, as
    //    does every device that does not hold the group, so the old code tells Mallory
    //    nothing of who holds it.
    let mallory = Raw::connect(key_below(&alice.peer), &mut alice).await?;
    let (_, answer) = mallory.ask(&invite).await?;
    assert_eq!(answer, refused(Refusal::UnknownInvite));
    let (_, answer) = mallory.ask(&InviteKey::generate()).await?;
    assert_eq!(answer, refused(Refusal::UnknownInvite));

    // 3. Nothing changed: Carol is still the only one the invite admitted, and Mallory got
    //    no offer to make a request on.
    let (after, events) = alice.stop().await?;
    assert_eq!(after, before);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::Admitted { peer, .. } if *peer == mallory.peer()))
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_request_for_another_device_is_refused() -> Result<()> {
    // 1. Mallory holds a valid code. Bob's device certificate is public: it is in the log
    //    of every group he belongs to.
    let (mut alice, invite) = Alice::online(invite_once).await?;
    let before = alice.snapshot().await?;
    let bob = DeviceCert::new(&MemberKey::generate(), &DeviceKey::generate());
    let mallory = Raw::connect(key_below(&alice.peer), &mut alice).await?;

    // 2. Her ask is valid, but she asks Alice to admit Bob's device, under a name she
    //    chose: refused as invalid, for it is not the device on the connection.
    let (mut stream, offer) = mallory.ask(&invite).await?;
    assert_eq!(offer, alice.offer(&invite));
    let name = "Bob (really)";
    let squat = JoinRequest {
        group: alice.group,
        via: invite.redeem(&alice.group, &bob, name),
        cert: bob,
        name: name.to_owned(),
    };
    assert_eq!(
        request(&mut stream, vec![squat]).await?,
        refused(Refusal::Invalid)
    );

    // 3. Nothing changed, and the invite is still unused.
    let (after, _) = alice.stop().await?;
    assert_eq!(after, before);
    assert_eq!(after.invites[0].uses, 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_looks_at_the_members_with_a_code_and_asks_nothing_is_reported() -> Result<()>
{
    // Eve overheard the code read aloud. She looks at who is in the group, which a look
    // shows, and asks to join nothing, so no member appears for anyone to see: Alice's
    // node says that she looked.
    let (mut alice, invite) = Alice::online(invite_once).await?;
    let eve = Raw::connect(key_below(&alice.peer), &mut alice).await?;
    let (stream, offer) = eve.ask(&invite).await?;
    assert_eq!(offer, alice.offer(&invite));
    drop(stream);
    let (group, me) = (alice.group.to_string(), eve.peer());
    alice
        .wait_for("Eve's look reported", |e| {
            matches!(e, Event::Looked { peer, groups } if *peer == me && *groups == [group.clone()])
        })
        .await?;
    let (after, _) = alice.stop().await?;
    assert_eq!(after.invites[0].uses, 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ask_signed_without_the_invite_secret_is_refused() -> Result<()> {
    // 1. Mallory read the invite's public key in the log, but never saw the code.
    let (mut alice, invite) = Alice::online(invite_once).await?;
    let before = alice.snapshot().await?;
    let mallory = Raw::connect(key_below(&alice.peer), &mut alice).await?;

    // 2. She names the invite rightly and signs the ask with a key of her own: refused
    //    as unknown, and Alice says nothing more: no offer, so not the group's id.
    let proof = InviteKey::generate().ask(&mallory.key.id());
    let (mut stream, answer) = mallory
        .ask_with(invite_lookup(&invite.public()), proof)
        .await?;
    assert_eq!(answer, refused(Refusal::UnknownInvite));
    let more = read_frame(&mut stream).await;
    assert!(more.is_err(), "Alice went on after refusing: {more:?}");

    // 3. Nothing changed.
    let (after, _) = alice.stop().await?;
    assert_eq!(after, before);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ask_proof_relayed_from_another_device_is_refused() -> Result<()> {
    // 1. Carol holds the code and made her ask proof, over her own device; Mallory got
    //    hold of the proof, not of the code.
    let (mut alice, invite) = Alice::online(invite_once).await?;
    let before = alice.snapshot().await?;
    let carol = key_below(&alice.peer);
    let carols_proof = invite.ask(&carol.id());
    let mallory = Raw::connect(key_below(&alice.peer), &mut alice).await?;

    // 2. Mallory relays it from her own connection: the proof is not over her device.
    let (mut stream, answer) = mallory
        .ask_with(invite_lookup(&invite.public()), carols_proof)
        .await?;
    assert_eq!(answer, refused(Refusal::UnknownInvite));
    let more = read_frame(&mut stream).await;
    assert!(more.is_err(), "Alice went on after refusing: {more:?}");

    // 3. Nothing changed.
    let (after, _) = alice.stop().await?;
    assert_eq!(after, before);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_signed_with_the_wrong_invite_key_is_refused() -> Result<()> {
    // 1. Mallory's ask is valid: she holds the code.
    let (mut alice, invite) = Alice::online(invite_once).await?;
    let before = alice.snapshot().await?;
    let mallory = Raw::connect(key_below(&alice.peer), &mut alice).await?;
    let other = InviteKey::generate();

    // 2. Her request names the real invite, but another key signed it: invalid.
    let (mut stream, offer) = mallory.ask(&invite).await?;
    assert_eq!(offer, alice.offer(&invite));
    let mut forged = mallory.request_for(&invite, alice.group, "Mallory");
    forged.via.signature = other
        .redeem(&alice.group, &forged.cert, "Mallory")
        .signature;
    assert_eq!(
        request(&mut stream, vec![forged]).await?,
        refused(Refusal::Invalid)
    );

    // 3. Signed by the other key and naming it: an invite Alice's group never had.
    let (mut stream, offer) = mallory.ask(&invite).await?;
    assert_eq!(offer, alice.offer(&invite));
    let other_invites = mallory.request_for(&other, alice.group, "Mallory");
    let answer = request(&mut stream, vec![other_invites]).await?;
    assert_eq!(answer, refused(Refusal::UnknownInvite));

    // 4. Nothing changed, and the invite is still unused.
    let (after, _) = alice.stop().await?;
    assert_eq!(after, before);
    assert_eq!(after.invites[0].uses, 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meetup_code_answered_with_a_fake_group_is_not_joined() -> Result<()> {
    // 1. The tenants' union (founded on an offline node here) reads a meetup code aloud.
    //    Mallory, a member removed since, still knows the invite's public key from the
    //    union's log, and her device is already connected to Alice's when Alice types it.
    let union = tempfile::tempdir()?;
    let mut founder = Node::open(union.path())?;
    founder.init("Uma")?;
    let union_id = founder.create_group("Tenants' union")?;
    let invite = founder.create_invite(&union_id, Role::Member, 5, Duration::from_secs(3600))?;
    let (mut alice, ()) = Alice::online(|_, _| Ok(())).await?;
    let mut mallory = Raw::connect(key_below(&alice.peer), &mut alice).await?;
    // Alice confirms the very group Mallory will offer: only the code's binding stands
    // between her and a request for it.
    let fake_group = GroupId::from_bytes(rand::random());
    let seen = Look {
        groups: vec![LookedGroup {
            group: fake_group,
            name: "Tenants' union".into(),
            offered_by: "Mallory".into(),
            members: Vec::new(),
            heads: Vec::new(),
        }],
        linked: false,
    };
    let (handle, code) = (alice.handle.clone(), invite.meetup_code.clone());
    let join = tokio::spawn(async move {
        let join = Request::Join {
            code,
            name: None,
            timeout_ms: 5_000,
            step: JoinStep::Confirm(seen),
        };
        handle.request(join).await
    });

    // 2. Alice asks Mallory, who answers first with a group of her own under the union's
    //    name: what an invite's public key lets anyone do.
    let mut stream = tokio::time::timeout(DEADLINE, mallory.joins.recv())
        .await
        .context("Alice never asked Mallory")?
        .context("Mallory's swarm stopped")?;
    match read_frame(&mut stream).await {
        Ok(JoinMessage::Ask { .. }) => {}
        other => bail!("Alice opened with {other:?}, not an ask"),
    }
    let fake = JoinMessage::Offer {
        invite: invite.invite,
        groups: vec![OfferedGroup {
            group: fake_group,
            name: "Tenants' union".into(),
        }],
    };
    write_frame(&mut stream, &fake)
        .await
        .map_err(|e| anyhow!("offering the fake group: {e}"))?;

    // 3. The code binds the union: Alice sends no request for Mallory's group (it would
    //    carry the invite key's signature over it, all Mallory needs to admit her there),
    //    and the join finds no member of the union.
    if let Ok(message) = read_frame(&mut stream).await {
        bail!("Alice answered a fake group with {message:?}");
    }
    let answer = tokio::time::timeout(DEADLINE, join)
        .await
        .context("the join never ended")??;
    assert!(
        matches!(
            answer,
            Some(Response::JoinFailed(JoinError::NoMemberReachable { .. }))
        ),
        "{answer:?}"
    );
    let (_, events) = alice.stop().await?;
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::MembershipChanged { .. })),
        "{events:#?}"
    );
    Ok(())
}

/// The union's membership log, founded by `uma`'s device, with Mallory's device admitted
/// and an invite made, whose meetup code binds the union; returns the log and the invite
/// secret.
fn union_with_mallory(uma: &Raw, mallory: &Raw) -> Result<(mutual_auth::Log, Vec<u8>)> {
    let now = u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis())?;
    let (mut log, _) = mutual_auth::Log::create(UNION, "Uma", &uma.member, &uma.key, now);
    let group = log.group_id();
    let secret = mutual_auth::new_invite_secret(&group);
    for action in [
        Action::AddDevice {
            device: mallory.key.id(),
            name: "Mallory".into(),
            role: Role::Member,
        },
        Action::CreateInvite {
            invite: InviteKey::from_code_secret(&secret).public(),
            role: Role::Member,
            expires_at: now + 3_600_000,
            max_uses: 5,
            for_member: None,
        },
    ] {
        let op = uma.sign_op(group, log.heads(), uma.key.id(), action)?;
        log.insert(op)?;
    }
    Ok((log, secret.to_vec()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_members_old_copy_cannot_take_over_a_join_the_person_looked_at() -> Result<()> {
    // 1. Uma's device founded the tenants' union, admitted Mallory's, made an invite whose
    //    meetup code it reads aloud, then removed Mallory. Mallory kept the log as it was
    //    before: in it she is a member and the invite usable, all validly signed.
    let (mut alice, ()) = Alice::online(|_, _| Ok(())).await?;
    let uma = Raw::connect(key_below(&alice.peer), &mut alice).await?;
    let mallory = Raw::connect(key_below(&alice.peer), &mut alice).await?;
    let (mut log, secret) = union_with_mallory(&uma, &mallory)?;
    let group = log.group_id();
    let invite = InviteKey::from_code_secret(&secret);
    let mallorys_copy: Vec<SignedOp> = log.ops().into_iter().cloned().collect();
    let removal = uma.sign_op(
        group,
        log.heads(),
        uma.key.id(),
        Action::RemoveMember {
            member: mallory.key.id(),
        },
    )?;
    log.insert(removal)?;
    let current: Vec<SignedOp> = log.ops().into_iter().cloned().collect();
    let code = meetup_code(&secret)?;

    // 2. Alice types the code and looks: Uma's device answers, and Alice is shown who is
    //    in the union by its signed log (Uma alone) before anything is saved.
    let (mut uma, mut mallory) = (uma, mallory);
    let ask = |step| {
        let (handle, code) = (alice.handle.clone(), code.clone());
        tokio::spawn(async move {
            let join = Request::Join {
                code,
                name: None,
                timeout_ms: 20_000,
                step,
            };
            handle.request(join).await
        })
    };
    let looking = ask(JoinStep::Look);
    let mut stream = next_join(&mut uma).await?;
    offer_with_log(&mut stream, &invite, &current).await?;
    let look = match tokio::time::timeout(DEADLINE, looking).await?? {
        Some(Response::Looked(look)) => look,
        other => bail!("the look answered {other:?}"),
    };
    let shown = &look.groups[0];
    assert_eq!(
        (shown.name.as_str(), shown.offered_by.as_str()),
        (UNION, "Uma")
    );
    let names: Vec<&str> = shown.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Uma"]);
    // Mallory was asked too: her stream is dropped unanswered.
    drop(next_join(&mut mallory).await?);

    // 3. Alice confirms. Mallory answers first, with her copy: Alice must not ask her to
    //    admit her (a request carries the invite key's signature, all Mallory needs to put
    //    Alice into her copy of the union and read what Alice writes there).
    let joining = ask(JoinStep::Confirm(look));
    let mut stream = next_join(&mut mallory).await?;
    offer_with_log(&mut stream, &invite, &mallorys_copy).await?;
    if let Ok(message) = read_frame(&mut stream).await {
        bail!("Alice answered Mallory's old copy with {message:?}");
    }

    // 4. Uma's device, whose log holds what Alice saw, gets the request.
    let mut stream = next_join(&mut uma).await?;
    offer_with_log(&mut stream, &invite, &current).await?;
    match read_frame(&mut stream).await {
        Ok(JoinMessage::Request { requests }) => assert_eq!(requests[0].group, group),
        other => bail!("Alice answered Uma's offer with {other:?}"),
    }
    drop(stream);
    joining.abort();
    alice.stop().await?;
    Ok(())
}

/// The meetup code of an invite secret.
fn meetup_code(secret: &[u8]) -> Result<String> {
    let secret = secret
        .try_into()
        .context("an invite secret of the wrong length")?;
    Ok(mutual_codes::MeetupCode { secret }.to_text())
}

/// The next join stream Alice opens to `raw`.
async fn next_join(raw: &mut Raw) -> Result<Stream> {
    tokio::time::timeout(DEADLINE, raw.joins.recv())
        .await
        .context("Alice never asked")?
        .context("the device's swarm stopped")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_look_shows_only_what_a_valid_log_proves() -> Result<()> {
    // Mallory answers a look with the union's log, one op of which she altered after it
    // was signed (her role raised to admin): the look refuses the offer, and shows nothing
    // a log does not prove.
    let (mut alice, ()) = Alice::online(|_, _| Ok(())).await?;
    let uma = Raw::connect(key_below(&alice.peer), &mut alice).await?;
    let mut mallory = Raw::connect(key_below(&alice.peer), &mut alice).await?;
    let (log, secret) = union_with_mallory(&uma, &mallory)?;
    let invite = InviteKey::from_code_secret(&secret);
    let mut altered: Vec<SignedOp> = log.ops().into_iter().cloned().collect();
    if let Action::AddDevice { role, .. } = &mut altered[1].op.action {
        *role = Role::Admin;
    }
    drop(uma);
    let (handle, code) = (alice.handle.clone(), meetup_code(&secret)?);
    let looking = tokio::spawn(async move {
        let join = Request::Join {
            code,
            name: None,
            timeout_ms: 5_000,
            step: JoinStep::Look,
        };
        handle.request(join).await
    });
    let mut stream = next_join(&mut mallory).await?;
    offer_with_log(&mut stream, &invite, &altered).await?;
    match tokio::time::timeout(DEADLINE, looking).await?? {
        Some(Response::JoinFailed(JoinError::NoMemberReachable { tried })) => {
            assert!(tried.iter().any(|t| t.contains("not valid")), "{tried:?}")
        }
        other => bail!("the look answered {other:?}"),
    }
    alice.stop().await?;
    Ok(())
}

// ---- the sync protocol -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_add_member_op_over_sync_is_refused() -> Result<()> {
    // 1. Mallory, no member, knows the group's id (it is in every full invite code), which
    //    is also its genesis op's id. She opens a sync session; Alice's hello offers nothing.
    let (mut alice, ()) = Alice::online(|_, _| Ok(())).await?;
    let before = alice.snapshot().await?;
    let mallory = Raw::connect(key_below(&alice.peer), &mut alice).await?;
    let mut session = mallory.open_sync().await?;
    assert_eq!(session.next().await?, Some(empty_hello()));

    // 2. She offers the group and pushes two ops after its genesis: one admitting herself
    //    as an admin, signed by her; one admitting her device, claiming Alice as its
    //    author but signed by her too.
    let group = alice.group;
    let genesis = vec![OpId::from_bytes(*group.as_bytes())];
    let herself = Action::AddMember {
        cert: mallory.cert(),
        name: "Mallory".into(),
        role: Role::Admin,
        via: None,
    };
    let as_alice = Action::AddDevice {
        device: mallory.key.id(),
        name: "Mallory".into(),
        role: Role::Admin,
    };
    let alices_device = DeviceId::from_peer_id(&alice.peer)?;
    let ops = vec![
        mallory.sign_op(group, genesis.clone(), mallory.key.id(), herself)?,
        mallory.sign_op(group, genesis.clone(), alices_device, as_alice)?,
    ];
    session.offer_with_ops(group, genesis, ops).await?;

    // 3. A second hello, which ends any session, shows when Alice has read all that: she
    //    ignored the offer and the ops of a group Mallory is not in (no refusal for them,
    //    nothing revealed), and sent nothing after her empty hello.
    session.send(&empty_hello()).await?;
    let second_hello = Event::PeerRefused {
        peer: mallory.peer(),
        reason: "a second hello".into(),
    };
    alice
        .wait_for("the second hello refused", |e| *e == second_hello)
        .await?;
    assert_eq!(session.rest().await?, Vec::<Message>::new());

    // 4. Nothing changed, and nothing was refused before the second hello.
    let (after, events) = alice.stop().await?;
    assert_eq!(after, before);
    let refusals: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e, Event::PeerRefused { .. }))
        .collect();
    assert_eq!(refusals, [&second_hello]);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::MembershipChanged { .. })),
        "{events:#?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_member_cannot_admit_without_an_invite() -> Result<()> {
    // 1. Mallory is a plain member, syncing with Alice.
    let MemberSession {
        mut alice,
        mallory,
        mut session,
        offer,
        ..
    } = MemberSession::start().await?;
    let before = alice.snapshot().await?;
    assert_eq!(before.names(), ["Alice", "Mallory"]);

    // 2. She admits Eve's device as an admin, with no invite: an op she signed, after
    //    Alice's heads, that only an admin may sign.
    let eve = Action::AddDevice {
        device: DeviceKey::generate().id(),
        name: "Eve".into(),
        role: Role::Admin,
    };
    let op = mallory.sign_op(alice.group, offer.log_heads, mallory.key.id(), eve)?;
    let id = op.id();
    let ops = vec![op];
    session
        .send(&Message::Ops {
            group: alice.group,
            ops,
            heads: Vec::new(),
        })
        .await?;

    // 3. Alice refuses it for good, and Mallory with it.
    let refusal = Event::PeerRefused {
        peer: mallory.peer(),
        reason: format!("refused op {}: {}", id.fmt_short(), Rejected::NotAdmin),
    };
    alice.wait_for("the op refused", |e| *e == refusal).await?;

    // 4. Nothing changed: Eve is no member, Mallory no admin.
    let (after, _) = alice.stop().await?;
    assert_eq!(after, before);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_cannot_sign_an_op_in_the_admins_name() -> Result<()> {
    // 1. Mallory is a plain member, syncing with Alice.
    let MemberSession {
        mut alice,
        mallory,
        mut session,
        offer,
        ..
    } = MemberSession::start().await?;
    let before = alice.snapshot().await?;

    // 2. She makes herself an admin in an op that claims Alice's device as its author,
    //    signed with her own key.
    let promote = Action::ChangeRole {
        member: mallory.key.id(),
        role: Role::Admin,
    };
    let alices_device = DeviceId::from_peer_id(&alice.peer)?;
    let op = mallory.sign_op(alice.group, offer.log_heads, alices_device, promote)?;
    let id = op.id();
    let ops = vec![op];
    session
        .send(&Message::Ops {
            group: alice.group,
            ops,
            heads: Vec::new(),
        })
        .await?;

    // 3. The signature is not Alice's: refused for good, and Mallory with it.
    let refusal = Event::PeerRefused {
        peer: mallory.peer(),
        reason: format!("refused op {}: {}", id.fmt_short(), Rejected::BadSignature),
    };
    alice.wait_for("the op refused", |e| *e == refusal).await?;

    // 4. Nothing changed: Mallory is still a plain member.
    let (after, _) = alice.stop().await?;
    assert_eq!(after, before);
    Ok(())
}

// ---- documents ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_cannot_edit_a_document_in_the_admins_name() -> Result<()> {
    // 1. Mallory is a plain member, syncing with Alice; she holds the group's index.
    let MemberSession {
        mut alice,
        mallory,
        mut session,
        index,
        ..
    } = MemberSession::start().await?;
    let before = alice.snapshot().await?;
    let alice_member = before
        .members
        .iter()
        .find(|m| m.name == "Alice")
        .context("Alice is no member")?;

    // 2. She renames the group in a change whose actor is Alice's device, stamped with
    //    Alice's member id, and sends it alone in a V1 sync message.
    let mut doc = mutual_docs::Document::from_automerge(index)?;
    let alices_device = DeviceId::from_peer_id(&alice.peer)?;
    doc.automerge_mut()
        .set_actor(ActorId::from(alices_device.as_bytes()));
    let stamp = mutual_docs::Stamp {
        member: alice_member.id.clone(),
        time: 0,
    };
    mutual_docs::index::rename_group(&mut doc, &stamp, "Mallory's co-op")?;
    // She can only sign it with her own key.
    let index_id = mutual_node::index_doc_id(&alice.group);
    let am = doc.automerge_mut();
    let message = last_change_alone(am, "the rename", &mallory.key, alice.group, index_id)?;
    let hash = am
        .get_last_local_change()
        .context("the rename made no change")?
        .hash()
        .0;
    session.send(&message).await?;

    // 3. Alice refuses her for the change: a change must be signed by its actor's device.
    //    (Nothing more is sent: Alice may already have closed the connection.)
    let refusal = Event::PeerRefused {
        peer: mallory.peer(),
        reason: format!(
            "change {} is not signed by its actor's device",
            automerge::ChangeHash(hash)
        ),
    };
    alice
        .wait_for("the change refused", |e| *e == refusal)
        .await?;

    // 4. On disk, the group keeps its name, and the index's history nothing Alice did not
    //    do: Alice did not take the change as hers.
    let (after, _) = alice.stop().await?;
    assert_eq!(after.name, GROUP_NAME);
    assert_eq!(after, before);
    Ok(())
}

// ---- floods of valid ops ------------------------------------------------------------------

/// `count` renames of Mallory, each after the one before, signed by her device: valid ops
/// a member may author, as many as fit in one frame.
fn renames(mallory: &Raw, group: GroupId, after: Vec<OpId>, count: usize) -> Result<Vec<SignedOp>> {
    let mut parents = after;
    let mut ops = Vec::with_capacity(count);
    for i in 0..count {
        let signed = rename(mallory, group, parents, i)?;
        parents = vec![signed.id()];
        ops.push(signed);
    }
    Ok(ops)
}

/// Mallory's `i`th rename of herself, built on `parents`.
fn rename(mallory: &Raw, group: GroupId, parents: Vec<OpId>, i: usize) -> Result<SignedOp> {
    let op = Op {
        group: Some(group),
        author: mallory.key.id(),
        parents,
        time: 1_700_000_000_000 + i as u64,
        action: Action::Rename {
            name: format!("Mallory {i}"),
        },
    };
    Ok(SignedOp::sign(op, &mallory.key)?)
}

/// Asks Alice's node for her group's log length every 20 ms until it holds more than
/// `ops` ops; returns the slowest answer meanwhile.
async fn slowest_answer_until(
    alice: &Alice,
    ops: usize,
    started: std::time::Instant,
) -> Result<Duration> {
    let mut slowest = Duration::ZERO;
    loop {
        let asked = std::time::Instant::now();
        let group = alice.group;
        let length = alice
            .handle
            .with_node(move |node| node.engine().ok()?.log(&group).map(|log| log.len()));
        let len = tokio::time::timeout(DEADLINE, length)
            .await
            .context("Alice's node did not answer")?
            .context("Alice's runtime stopped")?;
        slowest = slowest.max(asked.elapsed());
        if len.is_some_and(|len| len > ops) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "took them in {:?}; the slowest answer meanwhile took {slowest:?}",
        started.elapsed()
    );
    Ok(slowest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_flooding_valid_ops_does_not_keep_the_node_from_answering() -> Result<()> {
    // 1. Mallory, a member, sends one frame of 20,000 valid ops: renames of herself.
    let MemberSession {
        alice,
        mallory,
        mut session,
        offer,
        ..
    } = MemberSession::start().await?;
    let ops = renames(&mallory, alice.group, offer.log_heads.clone(), 20_000)?;
    let heads = vec![ops.last().context("no ops")?.id()];
    let started = std::time::Instant::now();
    session
        .send(&Message::Ops {
            group: alice.group,
            ops,
            heads,
        })
        .await?;

    // 2. While Alice takes them, her node answers within a second, every time it is asked:
    //    their signatures are checked on a worker thread, and the loop takes them a thousand
    //    at a time, answering between.
    let slowest = slowest_answer_until(&alice, 20_000, started).await?;
    assert!(
        slowest < Duration::from_secs(1),
        "an answer took {slowest:?}"
    );

    // 3. And she took every one of them.
    let (after, _) = alice.stop().await?;
    assert_eq!(after.names(), ["Alice", "Mallory 19999"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_forking_the_log_thousands_of_times_does_not_keep_the_node_from_answering()
-> Result<()> {
    // 1. Mallory, a member, sends 4,000 valid renames of herself, each built on the log as
    //    Alice offered it, none on another: every one is off the heads when it arrives. Each
    //    once cost a resolution of the whole log (a thousand of them held the loop for
    //    seconds, and the cost grew with the square of their number); now the log is
    //    resolved when next read, once per slice.
    const FORKS: usize = 4_000;
    let MemberSession {
        alice,
        mallory,
        mut session,
        offer,
        ..
    } = MemberSession::start().await?;
    let ops: Vec<SignedOp> = (0..FORKS)
        .map(|i| rename(&mallory, alice.group, offer.log_heads.clone(), i))
        .collect::<Result<_>>()?;
    let heads = ops.iter().map(SignedOp::id).collect();
    let started = std::time::Instant::now();
    session
        .send(&Message::Ops {
            group: alice.group,
            ops,
            heads,
        })
        .await?;

    // 2. While Alice takes them, her node answers within a second, every time it is asked.
    let slowest = slowest_answer_until(&alice, FORKS, started).await?;
    assert!(
        slowest < Duration::from_secs(1),
        "an answer took {slowest:?}"
    );
    let (after, _) = alice.stop().await?;
    assert!(after.ops > FORKS, "{} ops", after.ops);
    Ok(())
}

// ---- writes after removal -----------------------------------------------------------------

/// A change to Alice's index document that renames the group to `name`, made on `index` by
/// `key`'s device, in a `Sync` message signed by it.
fn rename_by(
    index: &AutoCommit,
    key: &DeviceKey,
    group: GroupId,
    name: &str,
) -> Result<(Message, automerge::ChangeHash)> {
    let mut doc = mutual_docs::Document::from_automerge(index.clone())?;
    doc.automerge_mut()
        .set_actor(ActorId::from(key.id().as_bytes()));
    let stamp = mutual_docs::Stamp {
        member: key.id().to_string(),
        time: 0,
    };
    mutual_docs::index::rename_group(&mut doc, &stamp, name)?;
    let am = doc.automerge_mut();
    let message = last_change_alone(am, name, key, group, mutual_node::index_doc_id(&group))?;
    let hash = am.get_last_local_change().context("no rename")?.hash();
    Ok((message, hash))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_devices_later_change_relayed_by_a_member_is_not_taken() -> Result<()> {
    // 1. Carol's device was a member's, and Alice removed her. Mallory, a member, syncs
    //    with Alice.
    let carol = DeviceKey::generate();
    let (member, ()) = MemberSession::start_with(|node, group| {
        node.add_device(group, &carol.peer_id().to_string(), Role::Member, "Carol")?;
        node.remove_member(group, "Carol")?;
        Ok(())
    })
    .await?;
    let MemberSession {
        mut alice,
        mallory,
        mut session,
        index,
        ..
    } = member;

    // 2. Carol, who may not know of her removal or pretends not to, renames the group; her
    //    change, signed by her device, reaches Alice through Mallory, who relays it as a
    //    member that has not heard of the removal would.
    let (carols, carols_hash) = rename_by(&index, &carol, alice.group, "Carol's co-op")?;
    session.send(&carols).await?;

    // 3. Then Mallory renames it herself. Alice takes Mallory's change (so she read the
    //    relay before it and did not refuse Mallory for it) and not Carol's.
    let (mallorys, _) = rename_by(&index, &mallory.key, alice.group, "Mallory's co-op")?;
    session.send(&mallorys).await?;
    let index_id = mutual_node::index_doc_id(&alice.group).to_string();
    alice
        .wait_for(
            "Mallory's change taken",
            |e| matches!(e, Event::DocChanged { doc, .. } if *doc == index_id),
        )
        .await?;
    let (after, events) = alice.stop().await?;
    assert_eq!(after.name, "Mallory's co-op");
    let carols_hash = carols_hash.to_string();
    assert!(
        after
            .history
            .iter()
            .all(|entry| entry.change != carols_hash),
        "{:#?}",
        after.history
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::PeerRefused { peer, .. } if *peer == mallory.peer())),
        "{events:#?}"
    );
    Ok(())
}

// ---- decompression bombs -----------------------------------------------------------------

/// Bytes that inflate to `size` zeros: raw deflate, a thousandth of `size` or so.
fn deflated_zeros(size: u64) -> Result<Vec<u8>> {
    use flate2::Compression;
    use flate2::write::DeflateEncoder;
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::best());
    std::io::copy(
        &mut std::io::Read::take(std::io::repeat(0), size),
        &mut encoder,
    )?;
    Ok(encoder.finish()?)
}

/// An Automerge chunk of `kind` around `body`: magic bytes, a checksum Automerge does not
/// look at before inflating, the kind and the body's LEB128 length.
fn automerge_chunk(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, kind];
    leb128(&mut chunk, body.len());
    chunk.extend(body);
    chunk
}

fn leb128(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push(u8::try_from(n & 0x7f).unwrap_or(0) | 0x80);
        n >>= 7;
    }
    out.push(u8::try_from(n).unwrap_or(0));
}

/// The most this process ever held in memory (its peak resident set), in bytes.
fn peak_memory() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .context("no VmHWM in /proc/self/status")?;
    Ok(kib.trim().parse::<u64>()? * 1024)
}

/// Starts measuring the peak anew from what the process holds now (Linux's clear_refs).
fn reset_peak_memory() -> Result<()> {
    Ok(std::fs::write("/proc/self/clear_refs", "5")?)
}

/// How much a bomb of this size would take: 256 MiB of zeros in about 256 KiB.
const BOMB: u64 = 256 * 1024 * 1024;
/// What a refused bomb may cost Alice's process at most, far below what inflating it would.
const BOMB_BOUND: u64 = 64 * 1024 * 1024;

/// A V1 sync message for the group's index that carries `chunk` alone, unsigned.
fn sync_carrying(member: &MemberSession, chunk: Vec<u8>) -> Message {
    let message = automerge::sync::Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: ChunkList::from(vec![chunk]),
        flags: None,
        version: MessageVersion::V1,
    };
    Message::Sync {
        group: member.alice.group,
        doc: mutual_node::index_doc_id(&member.alice.group),
        message: message.encode(),
        signatures: Vec::new(),
    }
}

const INFLATES_TOO_MUCH: &str = "it inflates to more than 67108864 bytes";

/// Mallory, a member, sends `message`, holding a bomb; Alice refuses it for `reason`,
/// without her memory growing by more than [`BOMB_BOUND`], and her group is as it was.
async fn a_bomb_is_refused(
    reason: &str,
    message: impl FnOnce(&MemberSession) -> Result<Message>,
) -> Result<()> {
    let mut member = MemberSession::start().await?;
    let before = member.alice.snapshot().await?;
    let message = message(&member)?;
    reset_peak_memory()?;
    let base = peak_memory()?;
    member.session.send(&message).await?;
    let refusal = Event::PeerRefused {
        peer: member.mallory.peer(),
        reason: format!("Automerge data refused: {reason}"),
    };
    let mut alice = member.alice;
    alice
        .wait_for("the bomb refused", |e| *e == refusal)
        .await?;
    // She still answers at once, and grew by far less than the bomb.
    alice.snapshot().await?;
    let grown = peak_memory()?.saturating_sub(base);
    assert!(
        grown < BOMB_BOUND,
        "Alice's peak memory grew by {} MiB",
        grown >> 20
    );
    let (after, _) = alice.stop().await?;
    assert_eq!(after, before);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_change_that_inflates_to_a_quarter_gigabyte_is_refused_unread() -> Result<()> {
    // A "compressed change" chunk (type 2) of 256 MiB of zeros, in a V1 sync message for
    // the group's index, signed as hers: Automerge would inflate it whole before parsing.
    let bomb = automerge_chunk(2, &deflated_zeros(BOMB)?);
    a_bomb_is_refused(INFLATES_TOO_MUCH, |member| Ok(sync_carrying(member, bomb))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_document_whose_column_inflates_to_a_quarter_gigabyte_is_refused_unread()
-> Result<()> {
    // A document chunk (type 0) with no actor and no head, and one change column, deflated
    // (bit 3 of its specification), of 256 MiB of zeros; sent as a whole document.
    let zeros = deflated_zeros(BOMB)?;
    let mut body = vec![0, 0, 1, 0b1000];
    leb128(&mut body, zeros.len());
    body.push(0);
    body.extend(&zeros);
    let bomb = automerge_chunk(0, &body);
    a_bomb_is_refused(INFLATES_TOO_MUCH, |member| {
        Ok(Message::Doc {
            group: member.alice.group,
            doc: mutual_node::index_doc_id(&member.alice.group),
            bytes: bomb,
            signatures: Vec::new(),
        })
    })
    .await
}

/// A change chunk that sets key "a" of the root map `n` times, each of its columns one
/// run-length encoded run: about a hundred bytes whatever `n`, with a checksum Automerge
/// accepts, so that it reads every one of the `n` operations as it parses the change.
fn run_length_change(n: u64) -> Result<Vec<u8>> {
    use sha2::Digest as _;
    let mut count = Vec::new();
    sleb128(&mut count, i64::try_from(n)?);
    let repeated = |value: &[u8]| [count.as_slice(), value].concat();
    let mut nulls = vec![0];
    leb128(&mut nulls, usize::try_from(n)?);
    let mut falses = Vec::new();
    leb128(&mut falses, usize::try_from(n)?);
    // (specification, data): object, key, insert, action, value and predecessors.
    let columns = [
        (1, nulls.clone()),
        (2, nulls.clone()),
        (17, nulls.clone()),
        (19, nulls),
        (21, repeated(&[1, b'a'])),
        (52, falses),
        (66, repeated(&[1])),
        (86, repeated(&[0])),
        (112, repeated(&[0])),
    ];
    let mut body = vec![0, 32];
    body.extend([7; 32]); // no dependency; the actor
    body.extend([1, 1, 0, 0, 0]); // seq, start op, time, no message, no other actor
    leb128(&mut body, columns.len());
    for (spec, data) in &columns {
        leb128(&mut body, *spec);
        leb128(&mut body, data.len());
    }
    for (_, data) in &columns {
        body.extend(data);
    }
    let mut chunk = automerge_chunk(1, &body);
    let checksum = sha2::Sha256::digest(&chunk[8..]);
    chunk[4..8].copy_from_slice(&checksum[..4]);
    Ok(chunk)
}

fn sleb128(out: &mut Vec<u8>, mut n: i64) {
    loop {
        let byte = u8::try_from(n & 0x7f).unwrap_or(0);
        n >>= 7;
        if (n == 0 && byte & 0x40 == 0) || (n == -1 && byte & 0x40 != 0) {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_whose_runs_hold_a_trillion_operations_is_refused_unread() -> Result<()> {
    // About a hundred bytes that Automerge reads as 2^40 operations, one by one, as it
    // parses the change: days of Alice's event loop, and her memory once applied.
    let bomb = run_length_change(1 << 40)?;
    assert!(bomb.len() < 200, "{} bytes", bomb.len());
    a_bomb_is_refused("it holds more than 4000000 operations", |member| {
        Ok(sync_carrying(member, bomb))
    })
    .await
}

// ---- malformed changes ---------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_malformed_change_is_set_aside_and_the_group_stays_readable() -> Result<()> {
    // 1. Mallory, a member, holds the group's index. In a change of her own (signed by her
    //    device: it is accepted), she writes an entry that is no document's, of no kind.
    let MemberSession {
        mut alice,
        mallory,
        mut session,
        index,
        ..
    } = MemberSession::start().await?;
    let before = alice.snapshot().await?;
    let mut am = index.clone();
    am.set_actor(ActorId::from(mallory.key.id().as_bytes()));
    let (_, entries) = automerge::ReadDoc::get(&am, automerge::ROOT, "entries")?
        .context("the index has no entries")?;
    let junk = automerge::transaction::Transactable::put_object(
        &mut am,
        &entries,
        "not-a-document",
        automerge::ObjType::Map,
    )?;
    automerge::transaction::Transactable::put(&mut am, &junk, "kind", 42_i64)?;
    am.commit();
    let index_id = mutual_node::index_doc_id(&alice.group);
    let message = last_change_alone(&mut am, "the junk", &mallory.key, alice.group, index_id)?;
    session.send(&message).await?;
    let group = alice.group.to_string();
    alice
        .wait_for(
            "the change taken",
            |e| matches!(e, Event::DocChanged { group: g, .. } if *g == group),
        )
        .await?;

    // 2. The group still reads: its name, members and documents are as they were, and the
    //    entry is set aside, with where it is and what is wrong; the history names Mallory.
    let taken = alice
        .handle
        .with_node(move |node| node.doc(&index_id).map(|view| view.content));
    let view = tokio::time::timeout(DEADLINE, taken)
        .await
        .context("Alice's runtime did not answer")?
        .context("Alice's runtime stopped")??;
    let aside = view.set_aside();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(aside[0].path, "entries/not-a-document");
    let (after, _) = alice.stop().await?;
    assert_eq!(after.name, before.name);
    assert_eq!(after.members, before.members);
    assert_eq!(
        after.history.last().map(|h| h.member.as_str()),
        Some("Mallory")
    );
    Ok(())
}

// ---- authorship ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_position_cast_in_another_members_name_is_not_counted_and_is_reported() -> Result<()> {
    // 1. Alice's group has an assembly with a proposal; Mallory, a member, holds it.
    let mut march = March::start().await?;

    // 2. Mallory, from her own device (her change is signed and accepted), records a block
    //    in Alice's name, claiming Alice recorded it herself.
    let (proposal, alice_member) = (march.proposal.clone(), march.alice_member.clone());
    let view = march
        .write_as_alice("the position", |doc, stamp| {
            mutual_docs::assembly::set_position(
                doc,
                stamp,
                &proposal,
                &alice_member,
                mutual_docs::assembly::Stance::Block,
                "",
            )?;
            Ok(())
        })
        .await?;

    // 3. Alice's node does not count it, and says where it is and who wrote it.
    let mutual_docs::View::Assembly(read) = &view else {
        bail!("not an assembly: {view:?}");
    };
    assert!(read.proposals[0].positions.is_empty(), "{read:?}");
    assert_eq!(read.proposals[0].tally.block, 0);
    let aside = view.set_aside();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(
        aside[0].path,
        format!("proposals/{proposal}/positions/{alice_member}")
    );
    assert!(aside[0].problem.contains("not counted"), "{aside:?}");
    march.member.alice.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposal_made_in_another_members_name_shows_who_really_made_it() -> Result<()> {
    // 1. Alice's group has an assembly; Mallory, a member, holds it.
    let mut march = March::start().await?;

    // 2. Mallory, from her own device, puts a proposal on the floor in Alice's name.
    let mut made = String::new();
    let view = march
        .write_as_alice("the proposal", |doc, stamp| {
            made = mutual_docs::assembly::add_proposal(
                doc,
                stamp,
                "Cancel the strike",
                "",
                mutual_docs::assembly::Rule::Majority,
            )?;
            Ok(())
        })
        .await?;

    // 3. Alice's node names Mallory as its author: the device that signed it, not the claim.
    let mutual_docs::View::Assembly(read) = &view else {
        bail!("not an assembly: {view:?}");
    };
    let proposal = read
        .proposals
        .iter()
        .find(|p| p.id == made)
        .context("the proposal did not arrive")?;
    assert_eq!(proposal.created_by, march.mallory_member);
    march.member.alice.stop().await?;
    Ok(())
}

/// Alice's group with an assembly holding one proposal, and Mallory a member in session.
struct March {
    member: MemberSession,
    assembly: mutual_docs::DocId,
    proposal: String,
    /// The assembly as Mallory holds it.
    doc: AutoCommit,
    alice_member: String,
    mallory_member: String,
}

impl March {
    async fn start() -> Result<March> {
        let (mut member, (assembly, proposal, doc)) = MemberSession::start_with(|node, group| {
            let assembly = node.create_doc(group, mutual_docs::Kind::Assembly, "March")?;
            let op = mutual_docs::DocOp::Assembly(mutual_docs::assembly::Op::Propose {
                title: "Start the rent strike".into(),
                text: String::new(),
                rule: mutual_docs::assembly::Rule::Consensus,
            });
            let proposal = match node.apply(&assembly, op)? {
                mutual_docs::Applied::Created(value) => value,
                other => bail!("proposing answered {other:?}"),
            };
            let doc = node.engine()?.doc(&assembly).cloned();
            Ok((assembly, proposal, doc.context("no assembly")?))
        })
        .await?;
        let members = member.alice.snapshot().await?.members;
        let id_of = |name: &str| {
            members
                .iter()
                .find(|m| m.name == name)
                .map(|m| m.id.clone())
                .with_context(|| format!("{name} is no member"))
        };
        Ok(March {
            alice_member: id_of("Alice")?,
            mallory_member: id_of("Mallory")?,
            member,
            assembly,
            proposal,
            doc,
        })
    }

    /// Mallory makes one change on her own device (signed by her, so accepted), with every
    /// claim in it naming Alice (`what` made it); returns the assembly as Alice's node
    /// reads it once the change arrived.
    async fn write_as_alice(
        &mut self,
        what: &str,
        write: impl FnOnce(&mut mutual_docs::Document, &mutual_docs::Stamp) -> Result<()>,
    ) -> Result<mutual_docs::View> {
        let MemberSession {
            alice,
            mallory,
            session,
            ..
        } = &mut self.member;
        let mut doc = mutual_docs::Document::from_automerge(self.doc.clone())?;
        doc.automerge_mut()
            .set_actor(ActorId::from(mallory.key.id().as_bytes()));
        let stamp = mutual_docs::Stamp {
            member: self.alice_member.clone(),
            time: 0,
        };
        write(&mut doc, &stamp)?;
        let am = doc.automerge_mut();
        let message = last_change_alone(am, what, &mallory.key, alice.group, self.assembly)?;
        session.send(&message).await?;
        let doc_id = self.assembly.to_string();
        alice
            .wait_for(
                "the change taken",
                |e| matches!(e, Event::DocChanged { doc, .. } if *doc == doc_id),
            )
            .await?;
        let assembly = self.assembly;
        let taken = alice
            .handle
            .with_node(move |node| node.doc(&assembly).map(|view| view.content));
        Ok(tokio::time::timeout(DEADLINE, taken)
            .await
            .context("Alice's runtime did not answer")?
            .context("Alice's runtime stopped")??)
    }
}

// ---- bounded tables --------------------------------------------------------------------------

/// Sends the length prefix of a frame declaring a body of `size` bytes, then `sent` zero
/// bytes of that body (no valid message: what matters is whether Alice reads it).
async fn send_large_frame(session: &mut Session, size: usize, sent: usize) -> Result<()> {
    use futures::AsyncWriteExt as _;
    let mut frame = u32::try_from(size)?.to_be_bytes().to_vec();
    frame.resize(4 + sent, 0);
    session.stream.write_all(&frame).await?;
    Ok(session.stream.flush().await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strangers_large_frame_is_refused_before_it_is_read_and_a_members_is_read() -> Result<()>
{
    const SIZE: usize = 1024 * 1024;
    // 1. A stranger says hello, then starts a frame of a mebibyte: Alice refuses it from
    //    its length alone, without waiting for the rest (a stranger may send frames of
    //    64 KiB at most).
    let (mut alice, ()) = Alice::online(|_, _| Ok(())).await?;
    let stranger = Raw::connect(key_below(&alice.peer), &mut alice).await?;
    let mut session = stranger.open_sync().await?;
    session.send(&empty_hello()).await?;
    send_large_frame(&mut session, SIZE, 1024).await?;
    let refused = format!(
        "the sync stream with {} ended: bad frame: frame of {SIZE} bytes is larger than the {} allowed",
        stranger.peer(),
        mutual_sync::wire::STRANGER_FRAME
    );
    alice
        .wait_for(
            "the large frame refused",
            |e| matches!(e, Event::Warning { message } if *message == refused),
        )
        .await?;
    alice.stop().await?;

    // 2. A member's frame of the same size is read whole, and only then judged (it is no
    //    valid message).
    let MemberSession {
        mut alice,
        mallory,
        mut session,
        ..
    } = MemberSession::start().await?;
    send_large_frame(&mut session, SIZE, SIZE).await?;
    alice.read_and_refused(&mallory.peer()).await?;
    alice.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_four_strangers_that_claim_a_log_ahead_may_send_large_frames_at_once() -> Result<()> {
    const SIZE: usize = 1024 * 1024;
    const STRANGERS: usize = 5;
    // 1. Five strangers who know the group's id (a full invite code carries it) offer it at
    //    heads Alice lacks, as a member she does not know yet would: each may be bringing
    //    its log. Each starts a frame of a mebibyte and sends half of it.
    let (mut alice, ()) = Alice::online(|_, _| Ok(())).await?;
    let mut strangers = Vec::new();
    for _ in 0..STRANGERS {
        let stranger = Raw::connect(key_below(&alice.peer), &mut alice).await?;
        let mut session = stranger.open_sync().await?;
        session
            .send(&Message::Hello {
                version: wire::VERSION,
                offers: vec![Offer {
                    group: alice.group,
                    log_heads: vec![OpId::from_bytes([9; 32])],
                    docs_digest: [0; 32],
                }],
            })
            .await?;
        // The one refused may see its connection closed while it writes.
        let _ = send_large_frame(&mut session, SIZE, SIZE / 2).await;
        strangers.push((stranger, session));
    }

    // 2. Alice reads four of them (each could hold 8 MiB) and refuses the fifth's frame
    //    from its length alone, as a stranger's.
    let allowed = format!("larger than the {} allowed", wire::STRANGER_FRAME);
    let too_large =
        |e: &Event| matches!(e, Event::Warning { message } if message.contains(&allowed));
    alice
        .wait_for("a frame refused from its length", too_large)
        .await?;
    let refused: Vec<String> = strangers
        .iter()
        .map(|(stranger, _)| stranger.peer())
        .filter(|peer| {
            alice.seen.iter().any(|e| {
                too_large(e)
                    && matches!(e, Event::Warning { message } if message.contains(peer.as_str()))
            })
        })
        .collect();
    assert_eq!(refused.len(), 1, "{:#?}", alice.seen);

    // 3. The four others' frames are read whole once they end, and only then judged (they
    //    are no valid message).
    for (stranger, session) in &mut strangers {
        if !refused.contains(&stranger.peer()) {
            use futures::AsyncWriteExt as _;
            session.stream.write_all(&vec![0; SIZE / 2]).await?;
            session.stream.flush().await?;
        }
    }
    for (stranger, _) in &strangers {
        let peer = stranger.peer();
        if !refused.contains(&peer) {
            alice.read_and_refused(&peer).await?;
        }
    }
    alice.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_alice_does_not_know_yet_brings_its_admission_in_a_large_frame() -> Result<()> {
    // 1. Carol, an admin of Alice's group, made 1,200 invites and then admitted Bob, all
    //    while Alice was away: Alice's log knows Carol, not Bob. (More ops than Alice's node
    //    hands its engine at once: Bob's admission and its ancestors must still go together.)
    let carol = DeviceKey::generate();
    let (mut alice, mut parents) = Alice::online(|node, group| {
        node.add_device(group, &carol.peer_id().to_string(), Role::Admin, "Carol")?;
        Ok(node.engine()?.log(group).context("no log")?.heads())
    })
    .await?;
    let bob = key_below(&alice.peer);
    let time = u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis())?;
    let invite = |_| Action::CreateInvite {
        invite: InviteKey::generate().public(),
        role: Role::Member,
        expires_at: time + 3_600_000,
        max_uses: 1,
        for_member: None,
    };
    let admit = Action::AddDevice {
        device: bob.id(),
        name: "Bob".into(),
        role: Role::Member,
    };
    let mut ops = Vec::new();
    for action in (0..1200).map(invite).chain([admit]) {
        let op = Op {
            group: Some(alice.group),
            author: carol.id(),
            parents,
            time,
            action,
        };
        let signed = SignedOp::sign(op, &carol)?;
        parents = vec![signed.id()];
        ops.push(signed);
    }

    // 2. Bob meets Alice: his hello offers the group at heads she lacks, and his log follows
    //    at once, in one frame larger than a stranger may send, written with the hello.
    let bob = Raw::connect(bob, &mut alice).await?;
    let mut session = bob.open_sync().await?;
    assert_eq!(session.next().await?, Some(empty_hello()));
    let heads = vec![ops.last().context("no ops")?.id()];
    let hello = Message::Hello {
        version: wire::VERSION,
        offers: vec![Offer {
            group: alice.group,
            log_heads: heads.clone(),
            docs_digest: [0; 32],
        }],
    };
    let push = Message::Ops {
        group: alice.group,
        ops,
        heads,
    };
    let mut frames = wire::encode(&hello)?;
    let log = wire::encode(&push)?;
    assert!(
        log.len() > mutual_sync::wire::STRANGER_FRAME,
        "{}",
        log.len()
    );
    frames.extend(log);
    {
        use futures::AsyncWriteExt as _;
        session.stream.write_all(&frames).await?;
        session.stream.flush().await?;
    }

    // 3. Alice reads it all (her hello judged first, the frame after), and Bob is a member.
    alice
        .wait_for("Bob's admission taken", |e| {
            matches!(e, Event::MembershipChanged { .. })
        })
        .await?;
    let after = alice.snapshot().await?;
    assert!(after.names().contains(&"Bob"), "{:?}", after.names());
    let (_, events) = alice.stop().await?;
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::Warning { message } if message.contains("bad frame"))),
        "{events:#?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_beyond_their_quota_make_room_and_a_member_and_a_joiner_still_get_in()
-> Result<()> {
    // 1. Alice lets two strangers be connected at once (64 by default); Mallory is a
    //    member of her group, and Alice made an invite for one person.
    let (mut alice, (mallory_key, invite)) = Alice::online_with(
        |net| net.max_strangers = 2,
        |node, group| {
            let key = key_below(&node.identity()?.device.peer_id());
            node.add_device(group, &key.peer_id().to_string(), Role::Member, "Mallory")?;
            Ok((key, invite_once(node, group)?))
        },
    )
    .await?;

    // 2. Two strangers connect and wait. A third connects: the one idle the longest is let
    //    go to make room, so that strangers who connect and wait cannot fill the slots.
    let mut strangers = Vec::new();
    for _ in 0..2 {
        strangers.push(Raw::connect(key_below(&alice.peer), &mut alice).await?);
    }
    let first = strangers[0].peer();
    strangers.push(Raw::connect(key_below(&alice.peer), &mut alice).await?);
    let made_room = |peer: &str| {
        let peer = peer.to_owned();
        move |e: &Event| matches!(e, Event::PeerRefused { peer: p, reason } if *p == peer && reason.starts_with("too many devices"))
    };
    alice
        .wait_for("the first stranger let go", made_room(&first))
        .await?;

    // 3. A newcomer with the code connects while the slots are full of waiting strangers:
    //    it gets a slot too, asks, and is admitted.
    let carol = Raw::connect(key_below(&alice.peer), &mut alice).await?;
    let (mut stream, _) = carol.ask(&invite).await?;
    let carols = carol.request_for(&invite, alice.group, "Carol");
    let answer = request(&mut stream, vec![carols]).await?;
    assert_eq!(
        answer,
        JoinMessage::Admitted {
            groups: vec![alice.group]
        }
    );

    // 4. The slots left are for members: Mallory connects and is offered the group.
    let mallory = Raw::connect(mallory_key, &mut alice).await?;
    let mut session = mallory.open_sync().await?;
    match session.next().await? {
        Some(Message::Hello { offers, .. }) => {
            assert_eq!(
                offers.iter().map(|o| o.group).collect::<Vec<_>>(),
                [alice.group]
            );
        }
        other => bail!("Alice opened with {other:?}, not a hello"),
    }
    let (after, events) = alice.stop().await?;
    assert_eq!(after.names(), ["Alice", "Carol", "Mallory"]);
    // Neither the joiner nor the member was let go, whatever else was.
    for peer in [carol.peer(), mallory.peer()] {
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, Event::PeerRefused { peer: p, .. } if *p == peer)),
            "{events:#?}"
        );
    }
    drop(strangers);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_stranger_is_let_go_and_an_idle_member_is_not() -> Result<()> {
    // 1. Mallory, a member, is in session with Alice; a stranger connects, says hello
    //    offering a group with a made-up id (as if it had business here), and then does
    //    nothing.
    let MemberSession {
        mut alice,
        mallory,
        mut session,
        ..
    } = MemberSession::start().await?;
    let stranger = Raw::connect(key_below(&alice.peer), &mut alice).await?;
    let mut idle = stranger.open_sync().await?;
    let made_up = Offer {
        group: GroupId::from_bytes(rand::random()),
        log_heads: vec![OpId::from_bytes(rand::random())],
        docs_digest: [0; 32],
    };
    idle.send(&Message::Hello {
        version: wire::VERSION,
        offers: vec![made_up],
    })
    .await?;

    // 2. After a few seconds' grace, Alice lets the stranger go: it holds no slot for as long
    //    as it likes.
    let peer = stranger.peer();
    let reason = "it shares no group with this device and has nothing under way";
    alice
        .wait_for(
            "the idle stranger let go",
            |e| matches!(e, Event::PeerRefused { peer: p, reason: r } if *p == peer && r == reason),
        )
        .await?;
    assert_eq!(idle.rest().await?.first(), Some(&empty_hello()));

    // 3. Mallory, as idle, is still in session: a second hello is still refused as one.
    session.send(&empty_hello()).await?;
    let second_hello = Event::PeerRefused {
        peer: mallory.peer(),
        reason: "a second hello".into(),
    };
    alice
        .wait_for("Mallory's second hello refused", |e| *e == second_hello)
        .await?;
    let (_, events) = alice.stop().await?;
    let mallorys: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e, Event::PeerRefused { peer, .. } if *peer == mallory.peer()))
        .collect();
    assert_eq!(mallorys, [&second_hello]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strangers_connections_leave_no_row_in_the_address_book() -> Result<()> {
    // 1. Strangers, each with a made-up identity, connect to Alice and say hello.
    let (mut alice, ()) = Alice::online(|_, _| Ok(())).await?;
    let mut strangers = Vec::new();
    for _ in 0..3 {
        let stranger = Raw::connect(key_below(&alice.peer), &mut alice).await?;
        let mut session = stranger.open_sync().await?;
        session.send(&empty_hello()).await?;
        strangers.push((stranger, session));
    }

    // 2. Alice's address book, as stored, names none of them: a device she shares nothing
    //    with, that she did not dial, costs her no row and no disk sync.
    let names: Vec<String> = strangers.iter().map(|(s, _)| s.peer()).collect();
    let read = alice.handle.with_node(|node| node.address_book());
    let book = tokio::time::timeout(DEADLINE, read)
        .await
        .context("Alice's runtime did not answer")?
        .context("Alice's runtime stopped")??;
    alice.stop().await?;
    for name in &names {
        assert!(
            !book.iter().any(|row| row.peer_id == *name),
            "{name} is in {book:?}"
        );
    }
    Ok(())
}

// ---- the membership log --------------------------------------------------------------

/// Admits Eve as an admin, takes `count` ops that Eve signs one after another from there
/// (invites, each valid where it stands: in its past she is an admin), then removes her:
/// her ops are all concurrent with her removal, as a removed member's backdated flood is.
fn removed_admin_with_backdated_ops(
    node: &mut Node,
    group: &GroupId,
    count: u64,
) -> Result<Vec<SignedOp>> {
    let eve = DeviceKey::generate();
    node.add_device(group, &eve.peer_id().to_string(), Role::Admin, "Eve")?;
    let mut parents = node.engine()?.log(group).context("no log")?.heads();
    let time = u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis())?;
    let mut ops = Vec::new();
    for i in 0..count {
        let invite = Action::CreateInvite {
            invite: InviteKey::generate().public(),
            role: Role::Member,
            expires_at: time + 3_600_000,
            max_uses: 1,
            for_member: None,
        };
        let op = Op {
            group: Some(*group),
            author: eve.id(),
            parents,
            time: time + i,
            action: invite,
        };
        let signed = SignedOp::sign(op, &eve)?;
        parents = vec![signed.id()];
        ops.push(signed);
    }
    node.remove_member(group, "Eve")?;
    Ok(ops)
}

/// Sends a second hello, which ends any session, and waits until Alice refused it: she has
/// read everything sent before it.
async fn end_with_second_hello(
    alice: &mut Alice,
    session: &mut Session,
    peer: String,
) -> Result<()> {
    session.send(&empty_hello()).await?;
    let second_hello = Event::PeerRefused {
        peer,
        reason: "a second hello".into(),
    };
    alice
        .wait_for("the second hello refused", |e| *e == second_hello)
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_members_backdated_ops_pushed_by_a_non_member_are_not_taken() -> Result<()> {
    // 1. Eve was an admin; Alice removed her. Eve kept 500 ops signed before she learned of
    //    it, and an accomplice device that is no member offers the group with them.
    let (mut alice, eves_ops) =
        Alice::online(|node, group| removed_admin_with_backdated_ops(node, group, 500)).await?;
    let before = alice.snapshot().await?;
    assert_eq!(before.names(), ["Alice"]);
    let accomplice = Raw::connect(key_below(&alice.peer), &mut alice).await?;
    let mut session = accomplice.open_sync().await?;
    assert_eq!(session.next().await?, Some(empty_hello()));
    let group = alice.group;
    let heads = vec![eves_ops.last().context("no ops")?.id()];
    session.offer_with_ops(group, heads, eves_ops).await?;
    end_with_second_hello(&mut alice, &mut session, accomplice.peer()).await?;

    // 2. A device that is no member here has reason to send only the ops that admit it:
    //    none of Eve's was looked at, and Alice's log is as it was.
    let (after, _) = alice.stop().await?;
    assert_eq!(after, before);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_members_backdated_ops_relayed_by_a_member_are_taken_only_within_an_hourly_allowance()
-> Result<()> {
    // 1. Mallory is a member; Eve was an admin until Alice removed her, with 500 ops signed
    //    before she learned of it. Mallory relays them all.
    let (
        MemberSession {
            mut alice,
            mallory,
            mut session,
            ..
        },
        eves_ops,
    ) = MemberSession::start_with(|node, group| removed_admin_with_backdated_ops(node, group, 500))
        .await?;
    let before = alice.snapshot().await?;
    assert_eq!(before.names(), ["Alice", "Mallory"]);
    let heads = vec![eves_ops.last().context("no ops")?.id()];
    session
        .send(&Message::Ops {
            group: alice.group,
            ops: eves_ops,
            heads,
        })
        .await?;
    end_with_second_hello(&mut alice, &mut session, mallory.peer()).await?;

    // 2. Alice took the first ones of them, up to the hour's allowance for an author who is
    //    no longer a member, and dropped the rest unread; Mallory was not refused for
    //    relaying (an honest member may have taken them before it learned of the removal).
    let (after, events) = alice.stop().await?;
    let allowance = usize::try_from(mutual_sync::engine::REVOKED_AUTHOR_OPS_PER_HOUR)?;
    assert_eq!(after.ops, before.ops + allowance);
    assert_eq!(after.names(), before.names());
    let refusals = events
        .iter()
        .filter(|e| matches!(e, Event::PeerRefused { .. }))
        .count();
    assert_eq!(refusals, 1, "{events:#?}");
    Ok(())
}

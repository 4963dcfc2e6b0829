//! One edit on a long-history document: two devices hold an assembly whose minutes were
//! typed with a long editing trace; over a 50 ms round trip, one types one more character.
//! Counted: the bytes that edit puts on the link (until it is quiet again) against the
//! change's own size, and the time from its commit until the other device has it, in round
//! trips; the time to make the edit (the node loads the document to change it) is shown
//! apart.
//!
//! The trace: the automerge-perf editing trace (259,778 edits) is not in any registry this
//! machine reaches, so a synthetic one of the same length is typed instead (deterministic:
//! 70% insertions, mostly at the cursor, 30% deletions), ten edits per change.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use automerge::transaction::{CommitOptions, Transactable as _};
use automerge::{ObjType, ROOT, ReadDoc as _};
use mutual_auth::Role;
use mutual_docs::Kind;
use mutual_node::Node;
use mutual_node::runtime::Event;

use crate::Ctx;
use crate::link::Link;
use crate::mutual::{Address, Peer};
use crate::report::{Row, Verdict, at_most};
use crate::stats::Summary;

const RTT_MS: f64 = 50.0;
const EDITS_PER_CHANGE: usize = 10;

pub(super) async fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let (edits, samples) = (ctx.size(259_778, 2_000), ctx.size(10, 2));
    let (a, b) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let doc = {
        let mut alice = Node::open(a.path())?;
        alice.init("Alice")?;
        let group = alice.create_group("History")?;
        let doc = alice.create_doc(&group, Kind::Assembly, "A long meeting")?;
        eprintln!("   typing {edits} edits");
        alice.edit(&doc, Kind::Assembly, |d, _| {
            type_trace(d.automerge_mut(), edits).map_err(mutual_docs::Error::from)
        })?;
        let mut bob = Node::open(b.path())?;
        bob.init("Bob")?;
        let peer = bob.identity()?.device.peer_id().to_string();
        alice.add_device(&group, &peer, Role::Member, "Bob")?;
        doc
    };
    // Bob fetches the document first, directly.
    let alice = Peer::start(a.path()).await?;
    let mut bob = Peer::start(b.path()).await?;
    bob.dial(&alice.address).await?;
    bob.wait_for("the document", |e| matches!(e, Event::PeerSynced { .. }))
        .await?;
    bob.stop().await?;
    // Then both start again (Alice on a new port: Bob's address book knows the old one,
    // and he must reach her only through the link), Bob dials her through a 50 ms link,
    // and Alice types.
    alice.stop().await?;
    let alice = Peer::start(a.path()).await?;
    let mut bob = Peer::start(b.path()).await?;
    let to_alice: Address = alice.address.to_string().parse()?;
    let link = Link::start(to_alice.socket, RTT_MS)?;
    bob.dial(&to_alice.via(&link)).await?;
    bob.wait_for("in sync", |e| matches!(e, Event::PeerSynced { .. }))
        .await?;
    let name = doc.to_string();
    let (mut bytes, mut trips, mut sizes, mut commits) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..samples {
        settle(&link).await;
        bob.drain();
        let before = link.bytes();
        let started = Instant::now();
        let size = alice
            .with_node(move |node| {
                node.edit(&doc, Kind::Assembly, move |d, _| {
                    type_one(d.automerge_mut(), i).map_err(mutual_docs::Error::from)
                })
            })
            .await??;
        let committed = Instant::now();
        commits.push(committed.duration_since(started).as_secs_f64() * 1000.0);
        let (_, seen) = bob
            .wait_for(
                "the edit",
                |e| matches!(e, Event::DocChanged { doc, .. } if *doc == name),
            )
            .await?;
        trips.push(seen.duration_since(committed).as_secs_f64() * 1000.0 / RTT_MS);
        settle(&link).await;
        let crossed = link.bytes() - before;
        if crossed == 0 {
            bail!("the edit reached Bob without crossing the link");
        }
        bytes.push(crossed as f64);
        sizes.push(size as f64);
    }
    bob.stop().await?;
    alice.stop().await?;
    let change = Summary::of(&sizes).context("no edit")?.median;
    let scenario = format!("one edit on a long-history document ({edits} edits)");
    let (bytes, trips) = (Summary::of(&bytes), Summary::of(&trips));
    Ok(vec![
        Row::new(
            &scenario,
            &format!("bytes on the wire (the change: {change} B)"),
            bytes.clone(),
            None,
            "≤ change size + 1 KB",
            bytes
                .as_ref()
                .map_or(Verdict::Info, |s| at_most(s.median, change + 1024.0, "B")),
        ),
        Row::new(
            &scenario,
            "making the edit: load, change, commit (ms)",
            Summary::of(&commits),
            None,
            "",
            Verdict::Info,
        ),
        Row::new(
            &scenario,
            "round trips from the commit until the other device has it",
            trips.clone(),
            None,
            "≤ 2",
            trips
                .as_ref()
                .map_or(Verdict::Info, |s| at_most(s.median, 2.0, "round trips")),
        ),
    ])
}

/// Waits until nothing crossed the link for three round trips.
async fn settle(link: &Link) {
    let quiet = Duration::from_secs_f64(3.0 * RTT_MS / 1000.0);
    let mut last = link.bytes();
    loop {
        tokio::time::sleep(quiet).await;
        let now = link.bytes();
        if now == last {
            return;
        }
        last = now;
    }
}

/// The minutes' text object.
fn minutes(am: &automerge::AutoCommit) -> Result<automerge::ObjId, automerge::AutomergeError> {
    match am.get(ROOT, "minutes")? {
        Some((automerge::Value::Object(ObjType::Text), id)) => Ok(id),
        _ => Err(automerge::AutomergeError::InvalidObjId("minutes".into())),
    }
}

/// Types a synthetic editing trace of `edits` edits into the minutes.
fn type_trace(
    am: &mut automerge::AutoCommit,
    edits: usize,
) -> Result<(), automerge::AutomergeError> {
    let text = minutes(am)?;
    let mut rng: u64 = 0x853c_49e6_748f_ea9b;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let (mut len, mut cursor) = (am.length(&text), 0usize);
    for i in 0..edits {
        let roll = next() % 100;
        if roll < 5 && len > 0 {
            // Now and then the writer moves elsewhere.
            cursor = usize::try_from(next() % (len as u64 + 1)).unwrap_or(0);
        }
        if roll < 70 || len == 0 || cursor == 0 {
            let c = char::from(b'a' + u8::try_from(next() % 26).unwrap_or(0));
            am.splice_text(&text, cursor, 0, &c.to_string())?;
            cursor += 1;
            len += 1;
        } else {
            am.splice_text(&text, cursor - 1, 1, "")?;
            cursor -= 1;
            len -= 1;
        }
        if (i + 1) % EDITS_PER_CHANGE == 0 {
            am.commit_with(CommitOptions::default().with_message("typed".to_owned()));
        }
    }
    am.commit_with(CommitOptions::default().with_message("typed".to_owned()));
    Ok(())
}

/// Types one character at the end of the minutes; returns the size of its change.
fn type_one(am: &mut automerge::AutoCommit, i: usize) -> Result<usize, automerge::AutomergeError> {
    let text = minutes(am)?;
    let end = am.length(&text);
    let c = char::from(b'a' + u8::try_from(i % 26).unwrap_or(0));
    am.splice_text(&text, end, 0, &c.to_string())?;
    am.commit_with(CommitOptions::default().with_message("typed".to_owned()));
    match am.get_last_local_change() {
        Some(change) => Ok(change.raw_bytes().len()),
        None => bail_am(),
    }
}

fn bail_am() -> Result<usize, automerge::AutomergeError> {
    Err(automerge::AutomergeError::InvalidObjId(
        "no change made".into(),
    ))
}

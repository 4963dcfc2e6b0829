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
//!
//! automerge-repo: `history.mjs` types the same trace (ported exactly; the text's length is
//! checked) into a plain Automerge document with one `Automerge.change` per ten edits,
//! imports it into repo A, and repo B fetches it through the same kind of link; then A
//! types one character at a time with `handle.change`, timed until B's handle emits it.
//! Its repo keeps the document in memory, so making its edit loads nothing.
//!
//! Also timed, on Mutual's side only: Bob's view of the document once Alice's change has
//! arrived (from his node's `DocChanged` event to the updated view built from his node's
//! copy). Automerge applies the change before the event; the view is what a window that
//! shows the document waits for on top of that.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use automerge::transaction::{CommitOptions, Transactable as _};
use automerge::{ObjType, ROOT, ReadDoc as _};
use mutual_auth::Role;
use mutual_docs::Kind;
use mutual_node::Node;
use mutual_node::runtime::Event;

use crate::Ctx;
use crate::js::free_port;
use crate::link::Link;
use crate::mutual::{Address, Peer};
use crate::report::{Row, Verdict, at_most};
use crate::stats::Summary;

const RTT_MS: f64 = 50.0;
const EDITS_PER_CHANGE: usize = 10;

pub(super) async fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let (edits, samples) = (ctx.size(259_778, 2_000), ctx.size(10, 2));
    let (mutual, chars) = mutual(edits, samples).await?;
    let repo = repo(ctx, edits, samples, chars).await?;
    let change = Summary::of(&mutual.sizes).context("no edit")?.median;
    let repo_change = Summary::of(&repo.sizes)
        .context("no automerge-repo edit")?
        .median;
    let scenario = format!("one edit on a long-history document ({edits} edits)");
    let (bytes, trips) = (Summary::of(&mutual.bytes), Summary::of(&mutual.trips));
    Ok(vec![
        Row::new(
            &scenario,
            &format!(
                "bytes on the wire (the change: {change} B; automerge-repo's: {repo_change} B)"
            ),
            bytes.clone(),
            Summary::of(&repo.bytes),
            "≤ change size + 1 KB",
            bytes
                .as_ref()
                .map_or(Verdict::Info, |s| at_most(s.median, change + 1024.0, "B")),
        ),
        Row::new(
            &scenario,
            "making the edit: load, change, commit (ms)",
            Summary::of(&mutual.commits),
            Summary::of(&repo.commits),
            "",
            Verdict::Info,
        ),
        Row::new(
            &scenario,
            "a peer's change to the open document: from its arrival (event) to the updated view (ms)",
            Summary::of(&mutual.views),
            None,
            "≤ 20 ms",
            Summary::of(&mutual.views)
                .as_ref()
                .map_or(Verdict::Info, |s| at_most(s.median, 20.0, "ms")),
        ),
        Row::new(
            &scenario,
            "round trips from the commit until the other device has it",
            trips.clone(),
            Summary::of(&repo.trips),
            "≤ 2",
            trips
                .as_ref()
                .map_or(Verdict::Info, |s| at_most(s.median, 2.0, "round trips")),
        ),
    ])
}

/// What the one-character edits of one system gave, one entry per edit.
#[derive(Debug, Default)]
struct Edits {
    /// Bytes that crossed the link, from before the edit until it was quiet again.
    bytes: Vec<f64>,
    /// From the commit until the other side had it, in round trips.
    trips: Vec<f64>,
    /// The change's own size in bytes.
    sizes: Vec<f64>,
    /// Making the edit (ms).
    commits: Vec<f64>,
    /// The receiver's updated view after the change arrived (ms; Mutual only).
    views: Vec<f64>,
}

/// Mutual: Alice's node types the trace, Bob's fetches it, then Alice types one character
/// at a time over the link. Returns the edits and the length of the typed text.
async fn mutual(edits: usize, samples: usize) -> Result<(Edits, usize)> {
    let (a, b) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let (doc, chars) = {
        let mut alice = Node::open(a.path())?;
        alice.init("Alice")?;
        let group = alice.create_group("History")?;
        let doc = alice.create_doc(&group, Kind::Assembly, "A long meeting")?;
        eprintln!("   typing {edits} edits");
        let chars = alice.edit(&doc, Kind::Assembly, |d, _| {
            type_trace(d.automerge_mut(), edits).map_err(mutual_docs::Error::from)
        })?;
        let mut bob = Node::open(b.path())?;
        bob.init("Bob")?;
        let peer = bob.identity()?.device.peer_id().to_string();
        alice.add_device(&group, &peer, Role::Member, "Bob")?;
        bob.accept_addition(&group.to_string())?;
        (doc, chars)
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
    let mut out = Edits::default();
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
        out.commits
            .push(committed.duration_since(started).as_secs_f64() * 1000.0);
        let (_, seen) = bob
            .wait_for(
                "the edit",
                |e| matches!(e, Event::DocChanged { doc, .. } if *doc == name),
            )
            .await?;
        out.trips
            .push(seen.duration_since(committed).as_secs_f64() * 1000.0 / RTT_MS);
        let started = Instant::now();
        let shown = bob
            .with_node(move |node| node.doc(&doc).map(|view| view.heads.len()))
            .await??;
        anyhow::ensure!(shown > 0, "Bob's view has no heads");
        out.views.push(started.elapsed().as_secs_f64() * 1000.0);
        settle(&link).await;
        let crossed = link.bytes() - before;
        if crossed == 0 {
            bail!("the edit reached Bob without crossing the link");
        }
        out.bytes.push(crossed as f64);
        out.sizes.push(size as f64);
    }
    bob.stop().await?;
    alice.stop().await?;
    Ok((out, chars))
}

/// automerge-repo: one script types the same trace into a document of repo A and puts
/// repo B behind the link (both in one process, one clock), then A types one character at
/// a time. The script counts the bytes on A's end of the link's connection; the link's own
/// count is checked against it, and the text's length against Mutual's (`chars`), so both
/// systems did the same work.
async fn repo(ctx: &Ctx, edits: usize, samples: usize, chars: usize) -> Result<Edits> {
    let port = free_port()?;
    let link = Link::start(SocketAddr::from(([127, 0, 0, 1], port)), RTT_MS)?;
    let storage = tempfile::tempdir()?;
    eprintln!("   automerge-repo: typing {edits} edits");
    let (result, took) = ctx.js.run(
        "history.mjs",
        &[
            "--edits",
            &edits.to_string(),
            "--samples",
            &samples.to_string(),
            "--storage",
            &storage.path().to_string_lossy(),
            "--port",
            &port.to_string(),
            "--connect-url",
            &format!("ws://{}", link.address()),
            "--rtt-ms",
            &format!("{RTT_MS}"),
        ],
    )?;
    let build = result["build_ms"].as_f64().unwrap_or(f64::NAN) / 1000.0;
    eprintln!(
        "   automerge-repo: typed in {build:.1} s, script ran {:.1} s",
        took.as_secs_f64()
    );
    if result["text_chars"].as_u64() != Some(chars as u64) {
        bail!(
            "history.mjs typed a text of {} characters, Mutual {chars}",
            result["text_chars"]
        );
    }
    // Once the script ended and the link is quiet, its count is final.
    settle(&link).await;
    if result["wire_bytes"].as_u64() != Some(link.bytes()) {
        bail!(
            "history.mjs counted {} bytes on its connection, the link {}",
            result["wire_bytes"],
            link.bytes()
        );
    }
    let Some(items) = result["samples"].as_array() else {
        bail!("history.mjs gave no samples");
    };
    let mut out = Edits::default();
    for item in items {
        let field = |name: &str| {
            item[name]
                .as_f64()
                .with_context(|| format!("a history.mjs sample has no {name}"))
        };
        out.commits.push(field("commit_ms")?);
        out.trips.push(field("seen_ms")? / RTT_MS);
        out.bytes.push(field("bytes")?);
        out.sizes.push(field("change_bytes")?);
    }
    Ok(out)
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

/// Types a synthetic editing trace of `edits` edits into the minutes; returns the text's
/// length after. (history.mjs ports this exactly, for automerge-repo.)
fn type_trace(
    am: &mut automerge::AutoCommit,
    edits: usize,
) -> Result<usize, automerge::AutomergeError> {
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
    Ok(len)
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

//! Partition and heal: five members' devices hold one assembly; the link goes (every
//! runtime stops), each types its own words into the minutes while apart, then the link
//! returns (each starts again, then dials the founder). Timed: from the dials until every
//! device has stored the same heads, holding every word typed by all five.
//!
//! automerge-repo: `partition.mjs` does the same with five repos on file-system storage,
//! the founder being the sync server the four others connect to. They go apart the same
//! way (every repo shuts down; each opens its store again with no network to type), and
//! the clock runs from the connections until all five hold the same heads with every
//! word and have saved them.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use mutual_auth::{GroupId, Role};
use mutual_docs::{DocId, Kind, View, assembly};
use mutual_node::Node;
use mutual_node::runtime::Event;
use tempfile::TempDir;

use crate::Ctx;
use crate::mutual::{PATIENCE, Peer};
use crate::report::{Row, Verdict, at_most};
use crate::stats::Summary;

const DEVICES: usize = 5;
/// How often convergence is checked (the resolution of the figure).
const POLL: Duration = Duration::from_millis(25);

pub(super) async fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let (edits, runs) = (ctx.size(500, 20), ctx.size(3, 1));
    let (mut times, mut repo) = (Vec::new(), Vec::new());
    for run in 0..runs {
        eprintln!("   run {}/{runs}", run + 1);
        times.push(once(edits).await?.as_secs_f64() * 1000.0);
        repo.push(repo_once(ctx, edits)?);
    }
    let mutual = Summary::of(&times);
    let verdict = mutual
        .as_ref()
        .map_or(Verdict::Info, |s| at_most(s.median, 2000.0, "ms"));
    Ok(vec![Row::new(
        &format!("partition and heal: {DEVICES} devices, {edits} edits each made apart"),
        "time to converge after the link returns (ms)",
        mutual,
        Summary::of(&repo),
        "≤ 2 s (+ transfer); nothing lost",
        verdict,
    )])
}

async fn once(edits: usize) -> Result<Duration> {
    let dirs: Vec<TempDir> = (0..DEVICES)
        .map(|_| tempfile::tempdir())
        .collect::<Result<_, _>>()?;
    let (group, doc) = found(&dirs)?;
    // Together first: everyone holds the assembly.
    let mut peers = start(&dirs).await?;
    meet(&mut peers).await?;
    for peer in peers {
        peer.stop().await?;
    }
    // Apart: each types its own words.
    for (k, dir) in dirs.iter().enumerate() {
        let mut node = Node::open(dir.path())?;
        node.edit(&doc, Kind::Assembly, |d, stamp| {
            let mut text = minutes(d)?;
            for i in 0..edits {
                text.push_str(&format!("d{k}w{i} "));
                assembly::set_minutes(d, stamp, &text)?;
            }
            Ok(())
        })?;
    }
    // The link returns: the devices (started again) dial the founder.
    let mut peers = start(&dirs).await?;
    let started = Instant::now();
    meet(&mut peers).await?;
    let want: BTreeSet<String> = (0..DEVICES)
        .flat_map(|k| (0..edits).map(move |i| format!("d{k}w{i}")))
        .collect();
    loop {
        if started.elapsed() > PATIENCE {
            bail!("the devices did not converge");
        }
        if converged(&peers, &group, &doc, &want).await? {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    let took = started.elapsed();
    for peer in peers {
        peer.stop().await?;
    }
    Ok(took)
}

/// automerge-repo's run: all five repos in one script (one clock, as here); the time it
/// reports spans the same work as [`once`]'s.
fn repo_once(ctx: &Ctx, edits: usize) -> Result<f64> {
    let storage = tempfile::tempdir()?;
    let (result, _) = ctx.js.run(
        "partition.mjs",
        &[
            "--storage",
            &storage.path().to_string_lossy(),
            "--edits",
            &edits.to_string(),
        ],
    )?;
    // The script checks every word before it stops the clock; this checks it counted them.
    let words = result["words"].as_u64().unwrap_or(0);
    if words != (DEVICES * edits) as u64 {
        bail!(
            "partition.mjs converged on {words} words, not {}",
            DEVICES * edits
        );
    }
    result["ms"].as_f64().context("partition.mjs gave no time")
}

/// The founder's group with one assembly and every other device as a member.
fn found(dirs: &[TempDir]) -> Result<(GroupId, DocId)> {
    let mut alice = Node::open(dirs[0].path())?;
    alice.init("Device 0")?;
    let group = alice.create_group("Partition")?;
    let doc = alice.create_doc(&group, Kind::Assembly, "Meeting")?;
    for (k, dir) in dirs.iter().enumerate().skip(1) {
        let mut node = Node::open(dir.path())?;
        node.init(&format!("Device {k}"))?;
        let peer = node.identity()?.device.peer_id().to_string();
        alice.add_device(&group, &peer, Role::Member, &format!("Device {k}"))?;
        node.accept_addition(&group.to_string())?;
    }
    Ok((group, doc))
}

/// Starts every device.
async fn start(dirs: &[TempDir]) -> Result<Vec<Peer>> {
    let mut peers = Vec::new();
    for dir in dirs {
        peers.push(Peer::start(dir.path()).await?);
    }
    Ok(peers)
}

/// Each device dials the founder; returns once each was in sync with it once.
async fn meet(peers: &mut [Peer]) -> Result<()> {
    let founder = peers[0].address.clone();
    for peer in peers.iter().skip(1) {
        peer.dial(&founder).await?;
    }
    for peer in peers.iter_mut().skip(1) {
        peer.wait_for("in sync with the founder", |e| {
            matches!(e, Event::PeerSynced { .. })
        })
        .await?;
    }
    Ok(())
}

/// Whether every device stored the same heads and minutes holding every word in `want`.
async fn converged(
    peers: &[Peer],
    group: &GroupId,
    doc: &DocId,
    want: &BTreeSet<String>,
) -> Result<bool> {
    let mut heads = Vec::new();
    for peer in peers {
        let (group, doc) = (*group, *doc);
        let stored = peer
            .with_node(move |node| stored(node, &group, &doc))
            .await??;
        match stored {
            Some((h, words)) if words.is_superset(want) => heads.push(h),
            _ => return Ok(false),
        }
    }
    Ok(heads.windows(2).all(|w| w[0] == w[1]))
}

/// A document's stored heads and the words of its minutes.
fn stored(
    node: &mut Node,
    group: &GroupId,
    doc: &DocId,
) -> Result<Option<(Vec<automerge::ChangeHash>, BTreeSet<String>)>> {
    node.load_all()?;
    if !node.engine()?.docs_of(group).contains(doc) {
        return Ok(None);
    }
    let Some(heads) = node.engine()?.doc_heads(doc).map(<[_]>::to_vec) else {
        return Ok(None);
    };
    let words = match node.doc(doc)?.content {
        View::Assembly(a) => a.minutes.split_whitespace().map(str::to_owned).collect(),
        _ => BTreeSet::new(),
    };
    Ok(Some((heads, words)))
}

/// The minutes of an assembly being edited.
fn minutes(d: &mutual_docs::Document) -> Result<String, mutual_docs::Error> {
    match d.view()? {
        View::Assembly(a) => Ok(a.minutes),
        _ => Ok(String::new()),
    }
}

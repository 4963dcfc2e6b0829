//! Edit-to-visible latency: two peers on a LAN-like link (1 ms round trip); one edits, the
//! time until the other has the edit is one sample. One edit at a time, after a warm-up.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use mutual_auth::Role;
use mutual_docs::Kind;
use mutual_node::Node;
use mutual_node::runtime::Event;

use super::numbers;
use crate::Ctx;
use crate::fixtures::type_minutes;
use crate::js::free_port;
use crate::link::Link;
use crate::mutual::{Address, Peer};
use crate::report::{Row, Verdict, at_most};
use crate::stats::Summary;

const SCENARIO: &str = "edit-to-visible, 2 peers, 1 ms RTT";
const WARM_UP: usize = 5;
const RTT_MS: f64 = 1.0;
const PAUSE: Duration = Duration::from_millis(20);

pub(super) async fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let samples = ctx.size(300, 20);
    let mut rows = Vec::new();
    // A word every 20 ms is fast typing; every 200 ms, an occasional edit. (automerge-repo
    // sends a document's changes at most every 100 ms, so the two differ there.)
    for pause in [PAUSE, Duration::from_millis(200)] {
        let mutual = mutual(samples, pause).await?;
        let repo = repo(ctx, samples, pause)?;
        let (mutual, repo) = (Summary::of(&mutual), Summary::of(&repo));
        let verdict = match &mutual {
            Some(m) => match (at_most(m.median, 15.0, "ms"), at_most(m.p99, 100.0, "ms")) {
                (Verdict::Missed(by), _) => Verdict::Missed(format!("p50 {by}")),
                (_, Verdict::Missed(by)) => Verdict::Missed(format!("p99 {by}")),
                _ => Verdict::Met,
            },
            None => Verdict::Missed("no sample".into()),
        };
        rows.push(Row::new(
            &format!("{SCENARIO}, an edit every {} ms", pause.as_millis()),
            "latency (ms)",
            mutual,
            repo,
            "p50 ≤ 15 ms, p99 ≤ 100 ms",
            verdict,
        ));
    }
    Ok(rows)
}

/// automerge-repo's two repos run in one script; the second connects through a link.
fn repo(ctx: &Ctx, samples: usize, pause: Duration) -> Result<Vec<f64>> {
    let port = free_port()?;
    let link = Link::start(SocketAddr::from(([127, 0, 0, 1], port)), RTT_MS)?;
    let storage = tempfile::tempdir()?;
    let (result, _) = ctx.js.run(
        "latency.mjs",
        &[
            "--samples",
            &samples.to_string(),
            "--pause-ms",
            &pause.as_millis().to_string(),
            "--storage-dir",
            &storage.path().to_string_lossy(),
            "--port",
            &port.to_string(),
            "--connect-url",
            &format!("ws://{}", link.address()),
        ],
    )?;
    numbers(&result["samples_ms"], "latency.mjs's samples")
}

/// Alice types a word into the minutes of an assembly; Bob's runtime reports the document
/// changed. Both are real runtimes over their own stores, connected over TCP.
async fn mutual(samples: usize, pause: Duration) -> Result<Vec<f64>> {
    let (a, b) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let doc = {
        let mut alice = Node::open(a.path())?;
        alice.init("Alice")?;
        let group = alice.create_group("Latency")?;
        let doc = alice.create_doc(&group, Kind::Assembly, "Meeting")?;
        let mut bob = Node::open(b.path())?;
        bob.init("Bob")?;
        let bob_peer = bob.identity()?.device.peer_id().to_string();
        alice.add_device(&group, &bob_peer, Role::Member, "Bob")?;
        bob.accept_addition(&group.to_string())?;
        doc
    };
    let alice = Peer::start(a.path()).await?;
    let mut bob = Peer::start(b.path()).await?;
    let to_alice: Address = alice.address.to_string().parse()?;
    let link = Link::start(to_alice.socket, RTT_MS)?;
    bob.dial(&to_alice.via(&link)).await?;
    bob.wait_for("the group in sync", |e| {
        matches!(e, Event::PeerSynced { .. })
    })
    .await?;
    let name = doc.to_string();
    let mut out = Vec::with_capacity(samples);
    for i in 0..WARM_UP + samples {
        bob.drain();
        let started = Instant::now();
        alice
            .with_node(move |node| type_minutes(node, &doc, i, i + 1))
            .await?
            .context("Alice's edit")?;
        let committed = started.elapsed();
        let (_, seen) = bob
            .wait_for(
                "the edit",
                |e| matches!(e, Event::DocChanged { doc, .. } if *doc == name),
            )
            .await?;
        let took = seen.duration_since(started);
        if crate::tracing() && took > Duration::from_millis(20) {
            eprintln!("   sample {i}: {took:?} ({committed:?} to commit the edit)");
        }
        if i >= WARM_UP {
            out.push(took.as_secs_f64() * 1000.0);
        }
        tokio::time::sleep(pause).await;
    }
    bob.stop().await?;
    alice.stop().await?;
    Ok(out)
}

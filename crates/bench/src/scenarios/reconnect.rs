//! Reconnect with nothing new: two peers that hold the same 1,000 documents connect again
//! over a 50 ms round trip. Counted: every byte on the link from the dial until the
//! peers know they are in sync (connection set-up included), and round trips as time / RTT.
//! (Mutual's peers stay connected after: the link's count is read at "in sync".)

use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use mutual_node::runtime::Event;

use super::{mutual_join, repo_join, seed};
use crate::Ctx;
use crate::link::Link;
use crate::mutual::{Address, Peer};
use crate::report::{Row, Verdict, at_most};
use crate::stats::Summary;

const RTT_MS: f64 = 50.0;

pub(super) async fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let runs = ctx.size(5, 2);
    let data = ctx.many_docs()?;
    let docs = data.heads.len();
    // Both sides first hold the whole group (a join on plain loopback).
    let joined = mutual_join(ctx, data, 0.0)?;
    let missing = data.missing(&data.heads_in(&joined.bob)?);
    if missing > 0 {
        bail!("mutual join ended with {missing} documents not yet in sync");
    }
    let seeded = seed(ctx, data)?;
    let repo = repo_join(ctx, &seeded, 0.0)?;
    let (mut m_bytes, mut m_total, mut m_session) = (Vec::new(), Vec::new(), Vec::new());
    let (mut r_bytes, mut r_total) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let alice = Peer::start(&joined.alice).await?;
        let mut bob = Peer::start(&joined.bob).await?;
        let to_alice: Address = alice.address.to_string().parse()?;
        let link = Link::start(to_alice.socket, RTT_MS)?;
        let dialed = Instant::now();
        bob.dial(&to_alice.via(&link)).await?;
        // Connected: TCP, Noise and Yamux are up (what any libp2p connection costs).
        let (_, connected) = bob
            .wait_for("the connection", |e| matches!(e, Event::Connected { .. }))
            .await?;
        let (_, synced) = bob
            .wait_for("in sync", |e| matches!(e, Event::PeerSynced { .. }))
            .await?;
        m_bytes.push(link.bytes() as f64);
        m_total.push(synced.duration_since(dialed).as_secs_f64() * 1000.0 / RTT_MS);
        m_session.push(synced.duration_since(connected).as_secs_f64() * 1000.0 / RTT_MS);
        bob.stop().await?;
        alice.stop().await?;

        let link = Link::start(repo.server, RTT_MS)?;
        let (result, _) = ctx.js.run(
            "reconnect.mjs",
            &[
                "--url",
                &format!("ws://{}", link.address()),
                "--ids",
                &seeded.ids.to_string_lossy(),
                "--storage",
                &repo.client.to_string_lossy(),
            ],
        )?;
        r_bytes.push(link.bytes() as f64);
        let ms = result["ms"]
            .as_f64()
            .context("reconnect.mjs gave no time")?;
        r_total.push(ms / RTT_MS);
    }
    let scenario = format!("reconnect, nothing new, {docs} docs, 50 ms RTT");
    let (mb, rb) = (Summary::of(&m_bytes), Summary::of(&r_bytes));
    let verdict = mb
        .as_ref()
        .map_or(Verdict::Info, |s| at_most(s.median, 5000.0, "bytes"));
    let session = Summary::of(&m_session);
    let session_verdict = session
        .as_ref()
        .map_or(Verdict::Info, |s| at_most(s.median, 1.5, "round trips"));
    Ok(vec![
        Row::new(
            &scenario,
            "bytes on the wire, dial to in sync",
            mb,
            rb,
            "≤ 5 KB",
            verdict,
        ),
        Row::new(
            &scenario,
            "round trips, dial to in sync (connection set-up included)",
            Summary::of(&m_total),
            Summary::of(&r_total),
            "",
            Verdict::Info,
        ),
        Row::new(
            &scenario,
            "round trips from the connection up to in sync (one group)",
            session,
            None,
            "1 per group",
            session_verdict,
        ),
    ])
}

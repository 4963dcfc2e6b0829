//! Cold join: a new peer fetches a whole group (documents × changes) from one peer that
//! holds it, on plain loopback and again with a 50 ms round trip.
//!
//! Mutual: `mutual join CODE` in a fresh data directory (an identity already made),
//! against `mutual serve` on a copy of the founder's directory; timed from the start of the
//! process to its end (it ends once the group is in sync and stored). automerge-repo: a
//! new repo with file-system storage asks its WebSocket server for every document at
//! once; timed inside the script from after its imports (Node's own start-up is not
//! counted), until every document arrived and was flushed to disk.

use anyhow::{Context as _, Result};

use super::{Seeded, script_heads, seed};
use crate::Ctx;
use crate::fixtures::Dataset;
use crate::report::{Row, Verdict, at_most, figure, ratio_at_most};
use crate::stats::Summary;

/// One join: how long it took, the bytes that crossed the link, documents missing after.
#[derive(Debug, Default)]
struct Joins {
    ms: Vec<f64>,
    bytes: Vec<f64>,
    missing: usize,
    /// automerge-repo: documents that came back "unavailable" at the first ask.
    unavailable: usize,
}

pub(super) fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let (docs, changes, runs) = (ctx.size(100, 5), ctx.size(1000, 20), ctx.size(3, 1));
    eprintln!("   making {docs} documents × {changes} changes");
    let data = Dataset::assemblies(docs, changes)?;
    let seeded = seed(ctx, &data)?;
    let size = format!("{docs} docs × {changes} changes");
    let mut rows = Vec::new();
    let mut loopback = None;
    for rtt in [0.0, 50.0] {
        let (mut mutual, mut repo) = (Joins::default(), Joins::default());
        for run in 0..runs {
            eprintln!("   {rtt} ms RTT, run {}/{runs}", run + 1);
            mutual_join(ctx, &data, rtt, &mut mutual)?;
            repo_join(ctx, &data, &seeded, rtt, &mut repo)?;
        }
        let (m, r) = (Summary::of(&mutual.ms), Summary::of(&repo.ms));
        if rtt == 0.0 {
            let scenario = format!("cold join, {size}");
            let verdict = match (&m, &r) {
                (Some(m), Some(r)) => ratio_at_most(m.median / r.median, 0.5),
                _ => Verdict::Missed("not measured".into()),
            };
            rows.push(Row::new(
                &scenario,
                "time (ms)",
                m.clone(),
                r,
                "≤ 0.5× automerge-repo",
                verdict,
            ));
            let on_disk = data.saved_bytes as f64;
            let per =
                |j: &Joins| Summary::of(&j.bytes.iter().map(|b| b / on_disk).collect::<Vec<_>>());
            let (mb, rb) = (per(&mutual), per(&repo));
            let verdict = mb
                .as_ref()
                .map_or(Verdict::Info, |s| ratio_at_most(s.median, 1.2));
            let metric = format!(
                "bytes on the wire / data on disk ({} KB)",
                figure(on_disk / 1000.0)
            );
            rows.push(Row::new(&scenario, &metric, mb, rb, "≤ 1.2", verdict));
            let verdict = if mutual.missing == 0 {
                Verdict::Met
            } else {
                Verdict::Missed(format!("{} documents", mutual.missing))
            };
            rows.push(Row::new(
                &scenario,
                &format!(
                    "documents missing (automerge-repo: {} unavailable at first ask, asked again)",
                    repo.unavailable
                ),
                Some(Summary::once(mutual.missing as f64)),
                Some(Summary::once(repo.missing as f64)),
                "0",
                verdict,
            ));
            loopback = m;
        } else {
            let scenario = format!("cold join, {size}, 50 ms RTT");
            rows.push(Row::new(
                &scenario,
                "time (ms)",
                m.clone(),
                r.clone(),
                "",
                Verdict::Info,
            ));
            // Round trips added by the 50 ms link, beyond the loopback time.
            let extra = |with: &Option<Summary>, without: &Option<Summary>| {
                with.as_ref()
                    .zip(without.as_ref())
                    .map(|(w, o)| Summary::once((w.median - o.median) / rtt))
            };
            let repo_loopback = rows.first().and_then(|row| row.automerge_repo.clone());
            let (me, re) = (extra(&m, &loopback), extra(&r, &repo_loopback));
            let verdict = me
                .as_ref()
                .map_or(Verdict::Info, |s| at_most(s.median, 10.0, "round trips"));
            rows.push(Row::new(
                &scenario,
                "round trips added by the 50 ms link",
                me,
                re,
                &format!("a few (≤ 10), not one per document ({})", data.heads.len()),
                verdict,
            ));
        }
    }
    Ok(rows)
}

fn mutual_join(ctx: &Ctx, data: &Dataset, rtt: f64, out: &mut Joins) -> Result<()> {
    let joined = super::mutual_join(ctx, data, rtt)?;
    out.ms.push(joined.took.as_secs_f64() * 1000.0);
    out.bytes.push(joined.bytes as f64);
    out.missing += data.missing(&data.heads_in(&joined.bob)?);
    Ok(())
}

fn repo_join(ctx: &Ctx, data: &Dataset, seeded: &Seeded, rtt: f64, out: &mut Joins) -> Result<()> {
    let joined = super::repo_join(ctx, seeded, rtt)?;
    let result = &joined.result;
    out.ms
        .push(result["ms"].as_f64().context("join.mjs gave no time")?);
    out.bytes.push(joined.bytes as f64);
    out.unavailable += usize::try_from(result["unavailable_first"].as_u64().unwrap_or(0))?;
    out.missing += data.missing(&script_heads(&result["heads"])?);
    Ok(())
}

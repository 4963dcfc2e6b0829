//! Memory: a running node that knows 1,000 documents and has 20 of them open. Mutual:
//! `mutual serve` on the group, after `mutual doc show` of 20 documents went through it;
//! its resident set from /proc. automerge-repo: a repo over storage holding the same
//! documents, 20 of them found, after a garbage collection.

use anyhow::{Context as _, Result};

use super::seed;
use crate::Ctx;
use crate::report::{Row, at_most};
use crate::stats::Summary;

const OPEN: usize = 20;

pub(super) fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let data = ctx.many_docs()?;
    let docs = data.heads.len();
    let work = tempfile::tempdir()?;
    let dir = work.path().join("alice");
    data.copy_to(&dir)?;
    let serving = ctx.cli.serve(&dir)?;
    let index = mutual_node::index_doc_id(&data.group).to_string();
    for doc in data.heads.keys().filter(|d| **d != index).take(OPEN) {
        ctx.cli.run(&dir, &["doc", "show", doc])?;
    }
    let mutual = rss_bytes(serving.pid())? as f64 / 1e6;
    drop(serving);
    let seeded = seed(ctx, data)?;
    let (result, _) = ctx.js.run(
        "memory.mjs",
        &[
            "--storage",
            &seeded.storage.to_string_lossy(),
            "--ids",
            &seeded.ids.to_string_lossy(),
            "--open",
            &OPEN.to_string(),
        ],
    )?;
    let repo = result["rss_bytes"]
        .as_f64()
        .context("memory.mjs gave no size")?
        / 1e6;
    Ok(vec![Row::new(
        &format!("memory: {docs} docs known, {OPEN} open"),
        "resident set (MB)",
        Some(Summary::once(mutual)),
        Some(Summary::once(repo)),
        "≤ 150 MB",
        at_most(mutual, 150.0, "MB"),
    )])
}

/// A process's resident set size.
fn rss_bytes(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|kb| kb.parse::<u64>().ok())
        .context("no VmRSS in /proc/PID/status")?;
    Ok(kb * 1024)
}

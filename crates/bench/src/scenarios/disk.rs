//! Bytes on disk per small change: one word typed per change into one document, each
//! change stored on its own (as a person typing makes them), then the store closed (for
//! Mutual, SQLite checkpoints its write-ahead log into the database file; pages on its free
//! list are not counted, as the next write reuses them). Compared with
//! the growth of Automerge's own saved document, and with automerge-repo's storage.

use anyhow::{Context as _, Result};
use mutual_docs::{DocId, Kind};
use mutual_node::Node;

use crate::Ctx;
use crate::fixtures::{data_size, type_minutes};
use crate::report::{Row, Verdict, at_most, figure};
use crate::stats::Summary;

pub(super) fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let changes = ctx.size(10_000, 50);
    let mutual = mutual(changes)?;
    let storage = tempfile::tempdir()?;
    let (result, _) = ctx.js.run(
        "disk.mjs",
        &[
            "--changes",
            &changes.to_string(),
            "--storage",
            &storage.path().join("repo").to_string_lossy(),
        ],
    )?;
    let stored = result["storage_bytes"]
        .as_f64()
        .context("disk.mjs gave no size")?;
    let n = changes as f64;
    let goal = 1.5 * mutual.saved;
    Ok(vec![Row::new(
        &format!("disk per small change ({changes} changes)"),
        &format!(
            "bytes per change (Automerge's saved document: {} B)",
            figure(mutual.saved)
        ),
        Some(Summary::once(mutual.stored)),
        Some(Summary::once(stored / n)),
        "≤ 1.5× Automerge's saved size",
        match at_most(mutual.stored, goal, "B") {
            Verdict::Met => Verdict::Met,
            Verdict::Missed(_) => Verdict::Missed(format!(
                "{:.1}× Automerge's saved size",
                mutual.stored / mutual.saved
            )),
            info @ Verdict::Info => info,
        },
    )])
}

/// Per change: Mutual's data directory's growth, and the saved document's.
struct PerChange {
    stored: f64,
    saved: f64,
}

fn mutual(changes: usize) -> Result<PerChange> {
    let dir = tempfile::tempdir()?;
    let doc = {
        let mut node = Node::open(dir.path())?;
        node.init("Alice")?;
        let group = node.create_group("Disk")?;
        node.create_doc(&group, Kind::Assembly, "Meeting")?
    };
    let (size_before, saved_before) = (data_size(dir.path())?, saved_size(dir.path(), &doc)?);
    {
        let mut node = Node::open(dir.path())?;
        for i in 0..changes {
            type_minutes(&mut node, &doc, i, i + 1)?;
        }
    }
    let (size_after, saved_after) = (data_size(dir.path())?, saved_size(dir.path(), &doc)?);
    let n = changes as f64;
    Ok(PerChange {
        stored: (size_after as f64 - size_before as f64) / n,
        saved: (saved_after as f64 - saved_before as f64) / n,
    })
}

/// The size of one document as Automerge saves it.
fn saved_size(dir: &std::path::Path, doc: &DocId) -> Result<usize> {
    let mut node = Node::open(dir)?;
    node.group_of(doc)?;
    let mut am = node
        .engine()?
        .doc(doc)
        .context("the document is gone")?
        .clone();
    Ok(am.save().len())
}

//! Start-up with 1,000 documents: the time from starting a process to its first useful
//! answer. Mutual: `mutual group show` (the group's members and its 1,000 documents),
//! process start to end. automerge-repo: a repo over file-system storage holding the same
//! documents, until one document is ready, from Node's own process start.

use anyhow::{Context as _, Result};

use super::seed;
use crate::Ctx;
use crate::report::{Row, Verdict, at_most};
use crate::stats::Summary;

pub(super) fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let runs = ctx.size(20, 3);
    let data = ctx.many_docs()?;
    let docs = data.heads.len();
    let seeded = seed(ctx, data)?;
    let group = data.group.to_string();
    let (mut mutual, mut repo) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (_, took) = ctx.cli.timed(data.dir.path(), &["group", "show", &group])?;
        mutual.push(took.as_secs_f64() * 1000.0);
        let (result, _) = ctx.js.run(
            "startup.mjs",
            &[
                "--storage",
                &seeded.storage.to_string_lossy(),
                "--ids",
                &seeded.ids.to_string_lossy(),
            ],
        )?;
        repo.push(
            result["ready_ms"]
                .as_f64()
                .context("startup.mjs gave no time")?,
        );
    }
    let mutual = Summary::of(&mutual);
    let verdict = mutual
        .as_ref()
        .map_or(Verdict::Info, |s| at_most(s.median, 300.0, "ms"));
    Ok(vec![Row::new(
        &format!("startup with {docs} docs"),
        "CLI ready (ms)",
        mutual,
        Summary::of(&repo),
        "≤ 300 ms",
        verdict,
    )])
}

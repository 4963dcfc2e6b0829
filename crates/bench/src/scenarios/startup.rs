//! Start-up with 1,000 documents: the time from starting a process to its first useful
//! answer. Mutual: `mutual group show` (the group's members and its 1,000 documents),
//! process start to end. automerge-repo: a repo over file-system storage holding the same
//! documents, until one document is ready, from Node's own process start. And Mutual's
//! app: from launching it until its window is usable (tests/e2e/startup.mjs, through
//! WebDriver under Xvfb); automerge-repo has no app to compare. And `mutual doc show` of
//! one document while `mutual serve` holds the directory: the command reaches the node,
//! which answers from the document it holds (nothing reloaded from SQLite).

use std::process::Command;

use anyhow::{Context as _, Result, bail};

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
    let served = Summary::of(&doc_show_served(ctx, data, runs)?);
    let window = Summary::of(&app_window(ctx, data, ctx.size(10, 2))?);
    let window_verdict = window
        .as_ref()
        .map_or(Verdict::Info, |s| at_most(s.median, 1000.0, "ms"));
    Ok(vec![
        Row::new(
            &format!("startup with {docs} docs"),
            "`mutual doc show` through a serving node (ms, process start to end)",
            served,
            None,
            "",
            Verdict::Info,
        ),
        Row::new(
            &format!("startup with {docs} docs"),
            "CLI ready (ms)",
            mutual,
            Summary::of(&repo),
            "≤ 300 ms",
            verdict,
        ),
        Row::new(
            &format!("startup with {docs} docs"),
            "app window usable: the group listed, clickable (ms, WebDriver's start included)",
            window,
            None,
            "≤ 1 s",
            window_verdict,
        ),
    ])
}

/// Launches the app `runs` times over a copy of the dataset; the times until its window
/// is usable, in ms.
/// `mutual doc show DOC` on a copy of the data directory while `mutual serve` holds it.
fn doc_show_served(ctx: &Ctx, data: &crate::fixtures::Dataset, runs: usize) -> Result<Vec<f64>> {
    let copy = tempfile::tempdir()?;
    let dir = copy.path().join("data");
    data.copy_to(&dir)?;
    let index = mutual_node::index_doc_id(&data.group).to_string();
    let doc = data
        .heads
        .keys()
        .find(|doc| **doc != index)
        .context("no document")?
        .clone();
    let _serving = ctx.cli.serve(&dir)?;
    let mut times = Vec::new();
    for _ in 0..runs {
        let (_, took) = ctx.cli.timed(&dir, &["doc", "show", &doc, "--json"])?;
        times.push(took.as_secs_f64() * 1000.0);
    }
    Ok(times)
}

fn app_window(ctx: &Ctx, data: &crate::fixtures::Dataset, runs: usize) -> Result<Vec<f64>> {
    let (app, e2e) = &ctx.app;
    let app = std::path::absolute(app)?;
    if !app.exists() {
        bail!("no app at {} (scripts/bench builds it)", app.display());
    }
    let dir = tempfile::tempdir()?;
    crate::fixtures::copy_dir(data.dir.path(), dir.path())?;
    let script = [
        "startup.mjs".to_owned(),
        "--app".to_owned(),
        app.to_string_lossy().into_owned(),
        "--dir".to_owned(),
        dir.path().to_string_lossy().into_owned(),
        "--runs".to_owned(),
        runs.to_string(),
    ];
    // The window needs an X display: Xvfb's, unless there is one.
    let mut command = if std::env::var_os("DISPLAY").is_some() {
        Command::new("node")
    } else {
        let mut xvfb = Command::new("xvfb-run");
        xvfb.args(["-a", "-s", "-screen 0 1280x800x24", "node"]);
        xvfb
    };
    let output = command
        .args(&script)
        .current_dir(e2e)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("running tests/e2e/startup.mjs (needs node, xvfb-run and tauri-driver)")?;
    if !output.status.success() {
        bail!("startup.mjs failed ({})", output.status);
    }
    let result: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("startup.mjs did not print JSON")?;
    result["ms"]
        .as_array()
        .context("startup.mjs gave no times")?
        .iter()
        .map(|ms| {
            ms.as_f64()
                .context("startup.mjs gave a time that is not a number")
        })
        .collect()
}

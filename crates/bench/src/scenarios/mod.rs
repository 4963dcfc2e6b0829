//! The scenarios of the table, each measured for both systems (the membership log
//! for Mutual alone: automerge-repo has none).

mod disk;
mod durability;
mod history;
mod join;
mod latency;
mod membership;
mod memory;
mod partition;
mod reconnect;
mod startup;

use anyhow::{Result, bail};

use crate::Ctx;
use crate::link::Link;
use crate::report::Row;

/// Every scenario, in the order they run.
pub(crate) const NAMES: &[&str] = &[
    "latency",
    "join",
    "reconnect",
    "partition",
    "history",
    "startup",
    "memory",
    "disk",
    "durability",
    "membership",
];

/// Runs the scenario `name`; returns its rows.
pub(crate) async fn run(name: &str, ctx: &Ctx) -> Result<Vec<Row>> {
    match name {
        "latency" => latency::run(ctx).await,
        "join" => join::run(ctx),
        "reconnect" => reconnect::run(ctx).await,
        "partition" => partition::run(ctx).await,
        "history" => history::run(ctx).await,
        "startup" => startup::run(ctx),
        "memory" => memory::run(ctx),
        "disk" => disk::run(ctx),
        "durability" => durability::run(ctx),
        "membership" => membership::run(ctx),
        other => bail!("no scenario named {other}"),
    }
}

/// A JSON array of numbers as floats.
pub(crate) fn numbers(value: &serde_json::Value, what: &str) -> Result<Vec<f64>> {
    let Some(items) = value.as_array() else {
        bail!("{what} is not an array");
    };
    items
        .iter()
        .map(|v| {
            v.as_f64()
                .ok_or_else(|| anyhow::anyhow!("{what} holds {v}"))
        })
        .collect()
}

// ---- joins, shared by the scenarios that need a second peer holding the group ----------

/// A copy of a dataset's founder ("alice") and a new device ("bob") that joined the group
/// with an invite, through a link of `rtt_ms` to `mutual serve` (stopped again once the
/// join ended).
#[derive(Debug)]
pub(crate) struct MutualJoin {
    _work: tempfile::TempDir,
    pub(crate) alice: std::path::PathBuf,
    pub(crate) bob: std::path::PathBuf,
    /// The `mutual join` process, start to end.
    pub(crate) took: std::time::Duration,
    /// Bytes that crossed the link during the join.
    pub(crate) bytes: u64,
}

pub(crate) fn mutual_join(
    ctx: &Ctx,
    data: &crate::fixtures::Dataset,
    rtt_ms: f64,
) -> Result<MutualJoin> {
    use anyhow::Context as _;
    let work = tempfile::tempdir()?;
    let (alice, bob) = (work.path().join("alice"), work.path().join("bob"));
    data.copy_to(&alice)?;
    ctx.cli.run(&bob, &["init", "--name", "Bob"])?;
    let serving = ctx.cli.serve(&alice)?;
    let address: crate::mutual::Address = serving.address.parse()?;
    let link = Link::start(address.socket, rtt_ms)?;
    let created: serde_json::Value = serde_json::from_str(&ctx.cli.run(
        &alice,
        &["--json", "invite", "create", &data.group.to_string()],
    )?)?;
    let code = created["code"].as_str().context("no code in the invite")?;
    let code = crate::mutual::code_via(code, &link)?;
    let (_, took) = ctx
        .cli
        .timed(&bob, &["join", &code, "--yes", "--timeout", "600s"])?;
    let bytes = link.bytes();
    drop(serving);
    Ok(MutualJoin {
        _work: work,
        alice,
        bob,
        took,
        bytes,
    })
}

/// A dataset imported into automerge-repo's file-system storage.
#[derive(Debug)]
pub(crate) struct Seeded {
    _dir: tempfile::TempDir,
    pub(crate) storage: std::path::PathBuf,
    /// `{"<doc id>.automerge" or "<doc id>": "<automerge-repo document id>"}`.
    pub(crate) ids: std::path::PathBuf,
}

pub(crate) fn seed(ctx: &Ctx, data: &crate::fixtures::Dataset) -> Result<Seeded> {
    let dir = tempfile::tempdir()?;
    let (storage, ids) = (dir.path().join("storage"), dir.path().join("ids.json"));
    ctx.js.run(
        "seed.mjs",
        &[
            "--docs",
            &data.automerge.path().to_string_lossy(),
            "--storage",
            &storage.to_string_lossy(),
            "--out",
            &ids.to_string_lossy(),
        ],
    )?;
    Ok(Seeded {
        _dir: dir,
        storage,
        ids,
    })
}

/// A new automerge-repo peer that fetched a seeded storage's documents from a server
/// (`serve.mjs` on a copy of it, still running).
#[derive(Debug)]
pub(crate) struct RepoJoin {
    _server: crate::js::Server,
    /// The server's address (without a link).
    pub(crate) server: std::net::SocketAddr,
    pub(crate) client: std::path::PathBuf,
    /// What join.mjs returned.
    pub(crate) result: serde_json::Value,
    pub(crate) bytes: u64,
    _work: tempfile::TempDir,
}

pub(crate) fn repo_join(ctx: &Ctx, seeded: &Seeded, rtt_ms: f64) -> Result<RepoJoin> {
    let work = tempfile::tempdir()?;
    let (storage, client) = (work.path().join("server"), work.path().join("client"));
    crate::fixtures::copy_dir(&seeded.storage, &storage)?;
    let port = crate::js::free_port()?;
    let server = ctx.js.serve(
        "serve.mjs",
        &[
            "--storage",
            &storage.to_string_lossy(),
            "--port",
            &port.to_string(),
        ],
    )?;
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let link = Link::start(address, rtt_ms)?;
    let url = format!("ws://{}", link.address());
    let (result, _) = ctx.js.run(
        "join.mjs",
        &[
            "--url",
            &url,
            "--ids",
            &seeded.ids.to_string_lossy(),
            "--storage",
            &client.to_string_lossy(),
            "--retry-unavailable",
        ],
    )?;
    let bytes = link.bytes();
    Ok(RepoJoin {
        _server: server,
        server: address,
        client,
        result,
        bytes,
        _work: work,
    })
}

/// The heads a script reported, by document id (scripts name documents by file name).
pub(crate) fn script_heads(
    value: &serde_json::Value,
) -> Result<std::collections::BTreeMap<String, Vec<String>>> {
    use anyhow::Context as _;
    let heads: std::collections::BTreeMap<String, Vec<String>> =
        serde_json::from_value(value.clone()).context("a script's heads")?;
    Ok(heads
        .into_iter()
        .map(|(name, h)| (name.trim_end_matches(".automerge").to_owned(), h))
        .collect())
}

//! `mutual-bench`: Mutual measured against automerge-repo on the same work, side by side
//! in one run. Real nodes, real SQLite, real libp2p; automerge-repo 2.x with its WebSocket
//! adapter and Node file-system storage (the scripts in `crates/bench/js`). Prints a table
//! (median and spread over repeated runs, and the ratio Mutual / automerge-repo) and
//! writes the rows as JSON and Markdown.
//!
//! Peers of both systems talk through the same relay ([`link::Link`]), which adds the
//! round-trip time a scenario asks for and counts the bytes that cross.

mod fixtures;
mod js;
mod link;
mod mutual;
mod report;
mod scenarios;
mod stats;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use clap::Parser;

use crate::report::Row;

/// Measure Mutual against automerge-repo (run it through scripts/bench)
#[derive(Debug, Parser)]
#[command(name = "mutual-bench", max_term_width = 100)]
struct Args {
    /// Small sizes and few runs: proves that every scenario still works, measures nothing
    /// worth publishing (CI runs this)
    #[arg(long)]
    quick: bool,
    /// Run only these scenarios (repeatable)
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(scenarios::NAMES))]
    only: Vec<String>,
    /// Write the results as JSON here
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write the table as Markdown here
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// The automerge-repo scripts, with node_modules installed
    #[arg(long, value_name = "DIR", default_value = "crates/bench/js")]
    js: PathBuf,
    /// The mutual binary [default: the one next to this binary]
    #[arg(long, value_name = "FILE")]
    mutual: Option<PathBuf>,
    /// The Mutual app, for the window's start-up [default: mutual-app next to this binary]
    #[arg(long, value_name = "FILE")]
    app: Option<PathBuf>,
    /// The end-to-end test folder (its startup.mjs watches the app's window through
    /// WebDriver), with node_modules installed
    #[arg(long, value_name = "DIR", default_value = "tests/e2e")]
    e2e: PathBuf,
}

/// What every scenario works with.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) quick: bool,
    pub(crate) js: js::Js,
    pub(crate) cli: mutual::Cli,
    /// The app binary and the folder of the script that watches its window.
    pub(crate) app: (PathBuf, PathBuf),
    /// The group of many small documents several scenarios share, made on first use.
    many: std::sync::OnceLock<fixtures::Dataset>,
}

impl Ctx {
    /// `full`, or `quick` in quick mode.
    pub(crate) fn size(&self, full: usize, quick: usize) -> usize {
        if self.quick { quick } else { full }
    }

    /// A group of 1,000 small documents (20 in quick mode), three changes each.
    pub(crate) fn many_docs(&self) -> Result<&fixtures::Dataset> {
        if let Some(data) = self.many.get() {
            return Ok(data);
        }
        let docs = self.size(1000, 20);
        eprintln!("   making {docs} documents × 3 changes");
        let data = fixtures::Dataset::assemblies(docs, 3)?;
        Ok(self.many.get_or_init(|| data))
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    let beside = |name: &str| -> Result<PathBuf> {
        Ok(std::env::current_exe()?
            .parent()
            .context("the bench binary has no directory")?
            .join(name))
    };
    let mutual = args.mutual.map_or_else(|| beside("mutual"), Ok)?;
    let app = args.app.map_or_else(|| beside("mutual-app"), Ok)?;
    let ctx = Ctx {
        quick: args.quick,
        js: js::Js::new(&args.js)?,
        cli: mutual::Cli::new(mutual)?,
        app: (app, args.e2e),
        many: std::sync::OnceLock::new(),
    };
    let names: Vec<&str> = if args.only.is_empty() {
        scenarios::NAMES.to_vec()
    } else {
        args.only.iter().map(String::as_str).collect()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut rows: Vec<Row> = Vec::new();
    let mut failed = Vec::new();
    for name in names {
        eprintln!("== {name}");
        let started = Instant::now();
        match runtime.block_on(scenarios::run(name, &ctx)) {
            Ok(mut got) => {
                eprint!("{}", report::text(&got));
                rows.append(&mut got);
            }
            Err(e) => {
                eprintln!("{name} failed: {e:#}");
                failed.push(name);
            }
        }
        eprintln!("   ({:.1} s)", started.elapsed().as_secs_f64());
    }
    println!("{}", report::text(&rows));
    if let Some(path) = &args.json {
        let results = serde_json::json!({
            "quick": args.quick,
            "machine": machine(),
            "rows": rows,
        });
        std::fs::write(path, serde_json::to_string_pretty(&results)? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.markdown {
        std::fs::write(path, report::markdown(&rows))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if !failed.is_empty() {
        bail!("scenarios that failed: {}", failed.join(", "));
    }
    Ok(())
}

/// Whether to print what a figure is made of as it is measured (`MUTUAL_BENCH_TRACE=1`):
/// every chunk crossing a link, every slow latency sample.
pub(crate) fn tracing() -> bool {
    std::env::var_os("MUTUAL_BENCH_TRACE").is_some()
}

/// The machine the figures were measured on.
fn machine() -> serde_json::Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, name)| name.trim().to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kb = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|kb| kb.parse::<u64>().ok());
    serde_json::json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(usize::from).ok(),
        "memory_gib": memory_kb.map(|kb| kb / 1024 / 1024),
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").ok().map(|s| s.trim().to_owned()),
    })
}

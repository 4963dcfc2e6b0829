//! Durability. Kill -9 during writes: a writer acknowledges each edit once it is durable
//! and is killed after a varying number of acknowledgements, round after round on the same
//! data; after each kill the data must open, whole, with every acknowledged edit. And a
//! fast clean exit right after edits: every edit made must be there after.
//!
//! Mutual's writer is `mutual debug add-cards` (one card per edit, its id printed once
//! committed); automerge-repo's is durable.mjs (a word per change, `ack N` after
//! `repo.flush()`).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::Stdio;

use anyhow::{Context as _, Result, bail};
use serde_json::Value;

use crate::Ctx;
use crate::report::{Row, Verdict};
use crate::stats::Summary;

/// Acknowledgements to wait for before a kill: varied, so that the kill lands at many
/// points of the write path.
struct Kills(u64);

impl Kills {
    fn next(&mut self) -> usize {
        // xorshift64: deterministic, so a run can be repeated.
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % 8).unwrap_or(0) + 1
    }
}

/// What the rounds found.
#[derive(Debug, Default)]
struct Found {
    rounds: usize,
    corrupt: usize,
    lost: usize,
}

pub(super) fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let (m_rounds, r_rounds, edits) = (ctx.size(1000, 10), ctx.size(100, 3), ctx.size(200, 20));
    let mutual = mutual_kills(ctx, m_rounds)?;
    let repo = repo_kills(ctx, r_rounds)?;
    let (m_exit, r_exit) = (mutual_quick_exit(ctx, edits)?, repo_quick_exit(ctx, edits)?);
    let zero = |n: usize, what: &str| {
        if n == 0 {
            Verdict::Met
        } else {
            Verdict::Missed(format!("{n} {what}"))
        }
    };
    let count = |n: usize| Some(Summary::once(n as f64));
    let scenario = format!(
        "durability: kill -9 during writes ({} rounds Mutual, {} automerge-repo)",
        mutual.rounds, repo.rounds
    );
    Ok(vec![
        Row::new(
            &scenario,
            "corrupt or unreadable data",
            count(mutual.corrupt),
            count(repo.corrupt),
            "0",
            zero(mutual.corrupt, "corrupt"),
        ),
        Row::new(
            &scenario,
            "acknowledged edits lost",
            count(mutual.lost),
            count(repo.lost),
            "0",
            zero(mutual.lost, "lost"),
        ),
        Row::new(
            &format!("durability: clean exit right after {edits} edits"),
            "edits lost",
            count(m_exit),
            count(r_exit),
            "0",
            zero(m_exit, "lost"),
        ),
    ])
}

fn mutual_board(ctx: &Ctx, dir: &Path) -> Result<String> {
    ctx.cli.run(dir, &["init", "--name", "Alice"])?;
    let group = ctx.cli.run(dir, &["group", "create", "Durability"])?;
    let board = ctx.cli.run(
        dir,
        &[
            "doc", "create", &group, "--kind", "board", "--title", "Chores",
        ],
    )?;
    ctx.cli
        .run(dir, &["board", "add-column", &board, "To do"])?;
    Ok(board)
}

/// The card ids on a board, or `None` if the data could not be read whole.
fn mutual_cards(ctx: &Ctx, dir: &Path, board: &str) -> Option<String> {
    ctx.cli.run(dir, &["debug", "integrity"]).ok()?;
    ctx.cli.run(dir, &["--json", "doc", "show", board]).ok()
}

/// Rounds on one data directory before a fresh one: every edit reads the whole board, so a
/// board of thousands of cards would make the writer slow, not the test stronger.
const ROUNDS_PER_BOARD: usize = 50;

fn mutual_kills(ctx: &Ctx, rounds: usize) -> Result<Found> {
    let mut kills = Kills(0x9e37_79b9_7f4a_7c15);
    let mut found = Found::default();
    let mut left = rounds;
    while left > 0 {
        let block = left.min(ROUNDS_PER_BOARD);
        mutual_block(ctx, block, &mut kills, &mut found)?;
        left -= block;
    }
    Ok(found)
}

fn mutual_block(ctx: &Ctx, rounds: usize, kills: &mut Kills, found: &mut Found) -> Result<()> {
    let work = tempfile::tempdir()?;
    let dir = work.path().join("alice");
    let board = mutual_board(ctx, &dir)?;
    let mut acknowledged = Vec::new();
    let mut lost = 0;
    for _ in 0..rounds {
        let mut child = ctx
            .cli
            .command(&dir, &add_cards(&board, "1000000"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the writer")?;
        let mut lines = BufReader::new(child.stdout.take().context("no stdout")?).lines();
        for _ in 0..kills.next() {
            match lines.next() {
                Some(Ok(id)) => acknowledged.push(id),
                _ => bail!("the writer stopped by itself"),
            }
        }
        child.kill()?;
        child.wait()?;
        found.rounds += 1;
        match mutual_cards(ctx, &dir, &board) {
            None => found.corrupt += 1,
            // Every edit acknowledged so far, in every round on this board, must be there.
            Some(shown) => {
                lost = acknowledged
                    .iter()
                    .filter(|id| !shown.contains(id.as_str()))
                    .count();
            }
        }
    }
    found.lost += lost;
    Ok(())
}

/// The writer: `count` cards, one edit each, each id printed once it is durable.
fn add_cards<'a>(board: &'a str, count: &'a str) -> [&'a str; 7] {
    [
        "debug",
        "add-cards",
        board,
        "--column",
        "To do",
        "--count",
        count,
    ]
}

fn mutual_quick_exit(ctx: &Ctx, edits: usize) -> Result<usize> {
    let work = tempfile::tempdir()?;
    let dir = work.path().join("alice");
    let board = mutual_board(ctx, &dir)?;
    let printed = ctx.cli.run(&dir, &add_cards(&board, &edits.to_string()))?;
    let shown = mutual_cards(ctx, &dir, &board).unwrap_or_default();
    Ok(printed.lines().filter(|id| !shown.contains(id)).count())
}

fn repo_kills(ctx: &Ctx, rounds: usize) -> Result<Found> {
    let mut kills = Kills(0x2545_f491_4f6c_dd1d);
    let mut found = Found::default();
    for _ in 0..rounds {
        let work = tempfile::tempdir()?;
        let (storage, id_file) = (work.path().join("repo"), work.path().join("doc.txt"));
        let (storage, id_file) = (storage.to_string_lossy(), id_file.to_string_lossy());
        let mut child = ctx
            .js
            .command(
                "durable.mjs",
                &["write", "--storage", &storage, "--doc-out", &id_file],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting durable.mjs")?;
        let mut lines = BufReader::new(child.stdout.take().context("no stdout")?).lines();
        let mut acked = 0;
        for _ in 0..kills.next() {
            match lines.next() {
                Some(Ok(line)) => {
                    acked = line
                        .trim_start_matches("ack ")
                        .trim()
                        .parse::<u64>()
                        .unwrap_or(acked);
                }
                _ => bail!("durable.mjs stopped by itself"),
            }
        }
        child.kill()?;
        child.wait()?;
        found.rounds += 1;
        let doc = std::fs::read_to_string(&*id_file)?;
        let (result, _) = ctx.js.run(
            "durable.mjs",
            &["check", "--storage", &storage, "--doc", doc.trim()],
        )?;
        if result["loaded"] != Value::Bool(true) {
            found.corrupt += 1;
            found.lost += usize::try_from(acked)?;
        } else {
            let last = result["last"].as_u64().unwrap_or(0);
            found.lost += usize::try_from(acked.saturating_sub(last))?;
        }
    }
    Ok(found)
}

fn repo_quick_exit(ctx: &Ctx, edits: usize) -> Result<usize> {
    let work = tempfile::tempdir()?;
    let storage = work.path().join("repo");
    let storage = storage.to_string_lossy();
    let (made, _) = ctx.js.run(
        "durable.mjs",
        &[
            "quick-exit",
            "--storage",
            &storage,
            "--edits",
            &edits.to_string(),
        ],
    )?;
    let doc = made["doc"]
        .as_str()
        .context("durable.mjs quick-exit gave no doc")?;
    let (result, _) = ctx.js.run(
        "durable.mjs",
        &["check", "--storage", &storage, "--doc", doc],
    )?;
    if result["loaded"] != Value::Bool(true) {
        return Ok(edits);
    }
    let words = usize::try_from(result["words"].as_u64().unwrap_or(0))?;
    Ok(edits.saturating_sub(words))
}

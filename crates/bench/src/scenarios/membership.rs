//! The membership log taking ops that do not follow its heads: what a member's week
//! offline brings (two branches from one point, each a chain), and what a hostile member
//! can send (thousands of ops each built on the same old op, or on a different op of a
//! long chain). Each such op once cost a resolution of the whole log, so a batch grew with
//! the square of its length (two branches of 2,000 ops: two minutes); the log now resolves
//! when next read, and judges each op on the kept state after its parent. Mutual alone:
//! automerge-repo has no membership to resolve. In process, on the real `mutual-auth` log.

use std::time::Instant;

use anyhow::Result;
use mutual_auth::{Action, DeviceKey, GroupId, Log, MemberKey, Op, OpId, SignedOp};

use crate::Ctx;
use crate::report::{Row, at_most};
use crate::stats::Summary;

/// A rename of the founder, built on `parents`.
fn rename(group: GroupId, device: &DeviceKey, parents: Vec<OpId>, i: usize) -> Result<SignedOp> {
    let op = Op {
        group: Some(group),
        author: device.id(),
        parents,
        time: 2 + i as u64,
        action: Action::Rename {
            name: format!("Uma {i}"),
        },
    };
    Ok(SignedOp::sign(op, device)?)
}

/// A founded log, and the ops to take into it, made by `make` from the log.
type Story = fn(&mut Log, &DeviceKey, usize) -> Result<Vec<SignedOp>>;

/// Two branches of `n / 2` ops each from the genesis, the second arriving after the first.
fn two_branches(log: &mut Log, device: &DeviceKey, n: usize) -> Result<Vec<SignedOp>> {
    let mut ops = Vec::with_capacity(n);
    for branch in 0..2 {
        let mut parents = log.heads();
        for i in 0..n / 2 {
            let op = rename(log.group_id(), device, parents, branch * n + i)?;
            parents = vec![op.id()];
            ops.push(op);
        }
    }
    Ok(ops)
}

/// `n` ops each built on the genesis.
fn forks_of_one(log: &mut Log, device: &DeviceKey, n: usize) -> Result<Vec<SignedOp>> {
    let genesis = log.heads();
    (0..n)
        .map(|i| rename(log.group_id(), device, genesis.clone(), i))
        .collect()
}

/// A chain of `n / 2` ops taken first, then `n / 2` ops each built on a different op of it.
fn forks_of_a_chain(log: &mut Log, device: &DeviceKey, n: usize) -> Result<Vec<SignedOp>> {
    let mut chain = log.heads();
    for i in 0..n / 2 {
        let op = log.author(
            device,
            Action::Rename {
                name: format!("{i}"),
            },
            2 + i as u64,
        )?;
        chain.push(op.id());
    }
    (0..n / 2)
        .map(|i| rename(log.group_id(), device, vec![chain[i]], n + i))
        .collect()
}

/// How long taking the story's ops and reading the state takes, in ms.
fn time(story: Story, n: usize) -> Result<f64> {
    let (member, device) = (MemberKey::generate(), DeviceKey::generate());
    let (mut log, _) = Log::create("Tenants", "Uma", &member, &device, 1);
    let ops = story(&mut log, &device, n)?;
    let started = Instant::now();
    for op in ops {
        log.insert(op)?;
    }
    let _ = log.state();
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}

pub(super) fn run(ctx: &Ctx) -> Result<Vec<Row>> {
    let n = ctx.size(4_000, 400);
    let runs = ctx.size(5, 2);
    let stories: [(&str, Story); 3] = [
        ("a week offline: two branches of {half} ops", two_branches),
        (
            "a hostile member: {n} ops each on the same old op",
            forks_of_one,
        ),
        (
            "a hostile member: {half} ops each on a different op of a chain",
            forks_of_a_chain,
        ),
    ];
    let mut rows = Vec::new();
    for (name, story) in stories {
        let samples = (0..runs)
            .map(|_| time(story, n))
            .collect::<Result<Vec<f64>>>()?;
        let summary = Summary::of(&samples);
        let verdict = summary.as_ref().map_or(crate::report::Verdict::Info, |s| {
            at_most(s.median, 1000.0, "ms")
        });
        let scenario = format!(
            "membership log, {}",
            name.replace("{half}", &(n / 2).to_string())
                .replace("{n}", &n.to_string())
        );
        rows.push(Row::new(
            &scenario,
            "taking the ops and reading the state (ms)",
            summary,
            None,
            "≤ 1 s",
            verdict,
        ));
    }
    Ok(rows)
}

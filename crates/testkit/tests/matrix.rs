//! The simulation matrix: seeds × peer counts, with random edits, partitions and heals,
//! crashes and restarts, removals, strangers that probe members for the group, and hostile
//! members that write junk; then quiet, convergence (every board still reads) and
//! members-only. Rows of 2 to 20 peers over 20 seeds; 100 peers (a general assembly) over 3.
//!
//! Replay one case as a failure prints it (peers counted with the two strangers):
//! `SIM_SEED=7 SIM_PEERS=12 cargo nextest run -p mutual-testkit`.

use mutual_docs::board::Op;
use mutual_testkit::{LinkModel, Sim};
use rand::RngExt as _;

const SEEDS: u64 = 20;
/// Devices in every story that are members of nothing.
const STRANGERS: usize = 2;

/// A random story over `n` members-to-be and two strangers.
/// The operation that adds a card to the "To do" column.
fn add_card(title: &str) -> Op {
    Op::AddCard {
        column: "To do".into(),
        title: title.into(),
    }
}

fn scenario(seed: u64, n: usize, model: LinkModel) -> Sim {
    let mut sim = Sim::with_model(seed, model);
    let strangers = STRANGERS;
    for _ in 0..n + strangers {
        sim.add_peer();
    }
    let stranger = |i: usize| n + i;
    let group = sim.create_group(0);
    let mut member = vec![false; n];
    member[0] = true;
    for (p, m) in member.iter_mut().enumerate().skip(1) {
        if sim.rng().random_bool(0.7) {
            *m = sim.add_member(0, group, p);
        }
    }
    for p in 0..n {
        sim.connect(p, (p + 1) % n);
    }
    for _ in 0..n / 2 {
        let (a, b) = (sim.rng().random_range(0..n), sim.rng().random_range(0..n));
        sim.connect(a, b);
    }
    let steps = 50;
    let (mut edits, mut probes, mut vandals) = (0, 0, 0);
    for step in 0..steps {
        let roll = sim.rng().random_range(0..100);
        let mut p = sim.rng().random_range(0..n);
        let current: Vec<usize> = (0..n).filter(|q| member[*q]).collect();
        if roll < 45 && sim.rng().random_bool(0.8) {
            // Mostly members edit; sometimes a removed member who may not know it yet.
            p = current[sim.rng().random_range(0..current.len())];
        }
        match roll {
            0..45 => {
                let done = match sim.rng().random_range(0..4) {
                    0 => sim.edit(p, group, add_card(&format!("card {step}"))),
                    1 => sim.edit(
                        p,
                        group,
                        Op::AddColumn {
                            name: format!("column {step}"),
                        },
                    ),
                    2 => sim.rename(p, group, &format!("board {step}")),
                    _ => sim.first_card(p, group).is_some_and(|card| {
                        let text = format!("text of step {step}");
                        let describe = Op::Describe {
                            card,
                            text,
                            based_on: None,
                        };
                        sim.edit(p, group, describe)
                    }),
                };
                if done {
                    edits += 1;
                }
            }
            45..55 if !member[p] => member[p] = sim.add_member(0, group, p),
            55..60
                if p != 0
                    && member[p]
                    && member.iter().filter(|m| **m).count() > 2
                    && sim.remove_member(0, group, p) =>
            {
                member[p] = false;
            }
            60..67 if n > 2 => {
                let cut = sim.rng().random_range(1..n);
                let (a, b): (Vec<usize>, Vec<usize>) = (0..n).partition(|q| *q < cut);
                sim.partition(&a, &b);
            }
            67..73 => sim.heal(),
            73..79 => sim.crash(p),
            79..85 => sim.restart(p),
            85..90 => {
                let s = stranger(sim.rng().random_range(0..strangers));
                sim.connect(s, p);
            }
            90..95 => {
                let q = sim.rng().random_range(0..n);
                sim.disconnect(p, q);
            }
            95..98 => {
                // A stranger who learned the group's id links to a device and probes it.
                let s = stranger(sim.rng().random_range(0..strangers));
                sim.connect(s, p);
                sim.run_for(50);
                if sim.probe(s, p, group) {
                    probes += 1;
                }
            }
            98..100 if !current.is_empty() => {
                // A hostile member writes junk into the board.
                let vandal = current[sim.rng().random_range(0..current.len())];
                if sim.vandalize(vandal, group) {
                    vandals += 1;
                }
            }
            _ => {}
        }
        let pause = sim.rng().random_range(5..200);
        sim.run_for(pause);
    }
    // Members in a ring, no other new link: changes must travel through relays.
    let members = sim.members(group);
    for (i, &m) in members.iter().enumerate() {
        sim.connect(m, members[(i + 1) % members.len()]);
    }
    sim.settle();
    sim.assert_converged();
    sim.run_until_quiet();
    sim.assert_converged();
    sim.assert_members_only();
    if std::env::var("SIM_VERBOSE").is_ok() {
        eprintln!(
            "seed {seed} n {n}: {edits} edits, {probes} probes, {vandals} vandalisms, members {member:?}, {} frames",
            sim.frames_delivered()
        );
    }
    sim
}

/// Runs the matrix row for `n` peers, or only the case named by `SIM_SEED` / `SIM_PEERS`.
fn row(n: usize) {
    let only_seed: Option<u64> = std::env::var("SIM_SEED").ok().and_then(|s| s.parse().ok());
    let only_peers: Option<usize> = std::env::var("SIM_PEERS").ok().and_then(|s| s.parse().ok());
    // A failure names every peer of the simulation, strangers included.
    if only_peers.is_some_and(|p| p != n + STRANGERS) {
        return;
    }
    let seeds: Vec<u64> = match only_seed {
        Some(seed) => vec![seed],
        None => (0..SEEDS).collect(),
    };
    for seed in seeds {
        scenario(seed, n, LinkModel::default());
    }
}

/// Seeds of the rows at the scale of a general assembly or a city-wide network (each
/// story is longer to run; the smaller rows explore more schedules).
const SEEDS_AT_SCALE: u64 = 3;

/// Runs `SEEDS_AT_SCALE` stories of `n` peers, printing what they cost.
fn row_at_scale(n: usize) {
    let only_peers: Option<usize> = std::env::var("SIM_PEERS").ok().and_then(|s| s.parse().ok());
    if only_peers.is_some_and(|p| p != n + STRANGERS) {
        return;
    }
    for seed in 0..SEEDS_AT_SCALE {
        let started = std::time::Instant::now();
        let sim = scenario(seed, n, LinkModel::default());
        eprintln!(
            "seed {seed}, {n} peers: {} frames delivered, {:?}",
            sim.frames_delivered(),
            started.elapsed()
        );
    }
}

#[test]
fn matrix_100_peers() {
    row_at_scale(100);
}

#[test]
fn heavy_link_faults_still_converge() {
    let stormy = LinkModel {
        latency_ms: (1, 80),
        loss: 0.05,
        duplicate: 0.05,
        reorder: 0.05,
    };
    for seed in 100..110 {
        scenario(seed, 5, stormy.clone());
    }
}

#[test]
fn matrix_2_peers() {
    row(2);
}

#[test]
fn matrix_3_peers() {
    row(3);
}

#[test]
fn matrix_5_peers() {
    row(5);
}

#[test]
fn matrix_10_peers() {
    row(10);
}

#[test]
fn matrix_20_peers() {
    row(20);
}

#[test]
fn without_link_faults_no_peer_is_ever_refused() {
    let calm = LinkModel {
        loss: 0.0,
        duplicate: 0.0,
        reorder: 0.0,
        ..LinkModel::default()
    };
    for seed in 0..5 {
        let sim = scenario(seed, 5, calm.clone());
        assert!(
            sim.refusals().is_empty(),
            "seed {seed}: {:?}",
            sim.refusals()
        );
    }
}

// The same seed replays byte for byte: the same membership log, the same document change
// hashes (ids inside documents come from the seed too) and the same contents.
#[test]
fn a_seed_replays_byte_for_byte() {
    let run = |seed| {
        let mut sim = Sim::new(seed);
        for _ in 0..4 {
            sim.add_peer();
        }
        let g = sim.create_group(0);
        for p in 1..4 {
            sim.add_member(0, g, p);
            sim.connect(p - 1, p);
        }
        for step in 0..20 {
            let p = step % 4;
            sim.edit(p, g, add_card(&format!("card {step}")));
            sim.run_for(30);
            if step == 10 {
                sim.crash(2);
            }
        }
        sim.run_until_quiet();
        sim.assert_converged();
        let id = sim.group_id(g);
        let engine = sim.engine(0).unwrap();
        let mut docs: Vec<(String, String)> = engine
            .docs_of(&id)
            .into_iter()
            .map(|doc| {
                let mut am = engine.doc(&doc).unwrap().clone();
                let heads = format!("{:?}", am.get_heads());
                let view = mutual_docs::Document::from_automerge(am.fork())
                    .unwrap()
                    .view()
                    .unwrap();
                (heads, serde_json::to_value(view).unwrap().to_string())
            })
            .collect();
        docs.sort();
        (engine.log(&id).unwrap().heads(), docs)
    };
    assert_eq!(run(42), run(42));
    // And a different seed makes different ids.
    assert_ne!(run(42).1, run(43).1);
}

#[test]
fn a_crashed_peer_restarts_from_its_store_and_catches_up() {
    // 1. Alice, Bob and Carol sync a board; Bob crashes, Alice and Carol go on editing.
    let mut sim = Sim::with_model(
        3,
        LinkModel {
            loss: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            ..LinkModel::default()
        },
    );
    let (alice, bob, carol) = (sim.add_peer(), sim.add_peer(), sim.add_peer());
    let g = sim.create_group(alice);
    sim.add_member(alice, g, bob);
    sim.add_member(alice, g, carol);
    sim.connect(alice, bob);
    sim.connect(bob, carol);
    sim.edit(alice, g, add_card("before"));
    sim.run_for(500);
    sim.crash(bob);
    sim.edit(carol, g, add_card("while bob is down"));
    sim.edit(alice, g, add_card("also"));
    sim.run_for(500);
    // 2. Bob restarts from what he persisted and, once quiet, all three agree.
    sim.restart(bob);
    sim.run_until_quiet();
    sim.assert_converged();
    sim.assert_members_only();
}

#[test]
fn a_ring_of_members_relays_the_group_to_everyone() {
    // Ten members in a ring, only the founder holds the group at first: it travels on.
    let calm = LinkModel {
        loss: 0.0,
        duplicate: 0.0,
        reorder: 0.0,
        ..LinkModel::default()
    };
    let mut sim = Sim::with_model(1, calm);
    for _ in 0..10 {
        sim.add_peer();
    }
    let g = sim.create_group(0);
    for p in 1..10 {
        sim.add_member(0, g, p);
    }
    for p in 0..10 {
        sim.connect(p, (p + 1) % 10);
    }
    sim.run_for(2_000);
    let id = sim.group_id(g);
    for p in 0..10 {
        assert_eq!(
            sim.engine(p).unwrap().docs_of(&id).len(),
            2,
            "p{p} lacks the documents"
        );
    }
    sim.rename(5, g, "Relayed");
    sim.settle();
    sim.assert_converged();
}

#[test]
#[should_panic(expected = "simulation property failed")]
fn divergence_is_caught() {
    // Alice and Bob edit apart and are never reconnected: the check must fail.
    let calm = LinkModel {
        loss: 0.0,
        duplicate: 0.0,
        reorder: 0.0,
        ..LinkModel::default()
    };
    let mut sim = Sim::with_model(9, calm);
    let (alice, bob) = (sim.add_peer(), sim.add_peer());
    let g = sim.create_group(alice);
    sim.add_member(alice, g, bob);
    sim.connect(alice, bob);
    sim.run_for(500);
    sim.partition(&[alice], &[bob]);
    sim.rename(alice, g, "A");
    sim.rename(bob, g, "B");
    sim.run_for(500);
    sim.assert_converged();
}

// Found by a wider seed sweep: a member whose log is behind (it last synced before others
// were added) takes its newer neighbours for strangers, and they were its only links, so it
// never caught up. It now asks them for the ops it lacks.
#[test]
fn a_member_whose_log_is_behind_catches_up_from_members_added_since() {
    let mut sim = Sim::new(7);
    for _ in 0..3 {
        sim.add_peer();
    }
    let g = sim.create_group(0);
    assert!(sim.add_member(0, g, 1));
    sim.connect(0, 1);
    sim.run_for(3_000);
    // p1 is cut off; meanwhile p0 adds p2, edits, and p2 gets it all.
    sim.partition(&[1], &[0, 2]);
    assert!(sim.add_member(0, g, 2));
    assert!(sim.edit(0, g, add_card("while p1 was away")));
    sim.connect(0, 2);
    sim.run_for(3_000);
    // Now p0 is cut off (the partition stays): p1's only link is p2, whom its log does
    // not know.
    sim.partition(&[0], &[1, 2]);
    sim.connect(1, 2);
    sim.run_for(5_000);
    sim.assert_converged();
    sim.assert_members_only();
}

//! What a long membership log costs in memory: in proportion to its length. A log once kept
//! every op's ancestors as a set of its own, which grew with the square of the log; a hostile
//! member could make every joiner allocate a gigabyte with the 100,000 ops a join takes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mutual_auth::{Action, DeviceKey, Log, MemberKey};

/// The process's peak resident memory, in bytes (Linux's VmHWM).
fn peak_memory() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .expect("no VmHWM in /proc/self/status");
    kib.trim().parse::<u64>().unwrap() * 1024
}

#[test]
fn a_log_of_fifty_thousand_ops_takes_memory_in_proportion_to_its_length() {
    const OPS: u64 = 50_000;
    // Far above what 50,000 ops and their index take (about 25 MiB), far below the
    // square's 150 MiB of ancestor sets.
    const BOUND: u64 = 64 * 1024 * 1024;
    let (member, device) = (MemberKey::generate(), DeviceKey::generate());
    let (mut log, _) = Log::create("Tenants", "Uma", &member, &device, 1);
    // Starts measuring the peak anew from what the process holds now.
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = peak_memory();
    for i in 0..OPS {
        let rename = Action::Rename {
            name: format!("Uma {i}"),
        };
        log.author(&device, rename, 2 + i).unwrap();
    }
    let grown = peak_memory().saturating_sub(before);
    assert_eq!(
        log.len() as u64,
        OPS + 1,
        "the genesis and every op are stored"
    );
    assert!(
        grown < BOUND,
        "a log of {OPS} ops grew the process by {} MiB",
        grown / 1024 / 1024
    );
}

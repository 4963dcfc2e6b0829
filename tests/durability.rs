//! An edit that `mutual` reported as done survives `kill -9` of the process right after.
//!
//! `add-card` usually finishes exiting before the kill lands, so the first test mostly checks
//! that the id is printed only after the commit; the second keeps a writer running and kills
//! it at many points of the write path, which is the real proof.

// Test helpers outside #[test] functions may unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use mutual_tests::Device;
use serde_json::Value;

/// Every string value anywhere in a JSON document.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

fn board(alice: &Device) -> String {
    let group = alice.ok(&["group", "create", "Food co-op"]);
    let board = alice.ok(&[
        "doc", "create", &group, "--kind", "board", "--title", "Chores",
    ]);
    alice.ok(&["board", "add-column", &board, "To do"]);
    board
}

fn ids_in(alice: &Device, doc: &str) -> Vec<String> {
    let mut found = Vec::new();
    strings(&alice.json(&["doc", "show", doc]), &mut found);
    found
}

#[test]
fn a_card_reported_added_is_kept_when_the_process_is_killed_as_it_exits() {
    let alice = Device::init("alice");
    let board = board(&alice);
    let mut reported = Vec::new();
    for i in 0..15 {
        let mut child = alice
            .command(&[
                "board",
                "add-card",
                &board,
                "--column",
                "To do",
                "--title",
                &format!("card {i}"),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // SIGKILL the moment the id is printed (the process may be closing the database).
        let _ = child.kill();
        child.wait().unwrap();
        reported.push(line.trim().to_owned());
    }
    let stored = ids_in(&alice, &board);
    for id in &reported {
        assert!(!id.is_empty(), "add-card printed no id");
        assert!(
            stored.contains(id),
            "card {id} was reported added but is gone"
        );
    }
    alice.ok(&["debug", "integrity"]);
}

#[test]
fn kill_9_in_the_middle_of_many_writes_loses_no_acknowledged_edit() {
    let alice = Device::init("alice");
    let board = board(&alice);
    let mut acknowledged = Vec::new();
    // Kill after a different number of acknowledgements each round, so the kill lands at
    // different points of the write path (mid-transaction, mid-compaction, between edits).
    for (round, stop_after) in [3usize, 17, 64, 65, 130].into_iter().enumerate() {
        let mut child = alice
            .command(&[
                "debug",
                "add-cards",
                &board,
                "--column",
                "To do",
                "--count",
                "100000",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        for _ in 0..stop_after {
            let id = lines.next().unwrap().unwrap();
            acknowledged.push(id);
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let stored = ids_in(&alice, &board);
        let lost: Vec<_> = acknowledged
            .iter()
            .filter(|id| !stored.contains(id))
            .collect();
        assert!(
            lost.is_empty(),
            "round {round}: acknowledged cards lost: {lost:?}"
        );
        alice.ok(&["debug", "integrity"]);
    }
}

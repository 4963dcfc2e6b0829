//! The `mutual` command line, end to end: the flows a person or a script goes through, and
//! the one-line errors they get when something is wrong.

// Test helpers outside #[test] functions may unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used)]

use std::process::Stdio;

use mutual_tests::{Device, Stopped, mutual_bin};
use serde_json::Value;

fn group_with(alice: &Device, kind: &str, title: &str) -> (String, String) {
    let group = alice.ok(&["group", "create", "Tenants of Elm Street"]);
    let doc = alice.ok(&["doc", "create", &group, "--kind", kind, "--title", title]);
    (group, doc)
}

fn column_of(board: &Value, card: &str) -> Vec<String> {
    board["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["cards"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["id"] == card)
        })
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn whoami_prints_name_member_id_and_peer_id() {
    let alice = Device::init("Alice");
    let me = alice.json(&["whoami"]);
    assert_eq!(me["name"], "Alice");
    assert_eq!(me["member_id"].as_str().unwrap().len(), 52);
    // An ed25519 libp2p PeerId in base58 starts with 12D3KooW.
    assert!(
        me["peer_id"].as_str().unwrap().starts_with("12D3KooW"),
        "{me}"
    );
    let text = alice.ok(&["whoami"]);
    assert!(text.contains("Alice") && text.contains(me["peer_id"].as_str().unwrap()));
}

#[test]
fn init_refuses_to_overwrite_an_identity() {
    let alice = Device::init("Alice");
    let before = alice.json(&["whoami"]);
    let err = alice.fails(&["init", "--name", "Mallory"]);
    assert!(err.contains("already has an identity"), "{err}");
    assert_eq!(alice.json(&["whoami"]), before);
}

#[test]
fn commands_before_init_say_to_run_init() {
    let nobody = Device::new();
    for args in [
        &["whoami"][..],
        &["group", "create", "X"],
        &["group", "list"],
    ] {
        let err = nobody.fails(args);
        assert!(err.contains("mutual init --name"), "{args:?}: {err}");
    }
}

#[test]
fn the_data_dir_comes_from_mutual_dir_when_not_given() {
    let dir = tempfile::tempdir().unwrap();
    let run = std::process::Command::new(mutual_bin())
        .args(["init", "--name", "Alice"])
        .env("MUTUAL_DIR", dir.path())
        .output()
        .unwrap();
    assert!(run.status.success());
    assert!(dir.path().join("mutual.sqlite3").exists());
}

#[test]
fn a_new_group_has_its_founder_as_admin_and_lists_its_documents() {
    let alice = Device::init("Alice");
    let (group, board) = group_with(&alice, "board", "Repairs");
    let assembly = alice.ok(&[
        "doc", "create", &group, "--kind", "assembly", "--title", "December",
    ]);

    let groups = alice.json(&["group", "list"]);
    assert_eq!(groups[0]["id"], group.as_str());
    assert_eq!(groups[0]["name"], "Tenants of Elm Street");
    assert_eq!(groups[0]["role"], "admin");

    let shown = alice.json(&["group", "show", &group[..6]]);
    assert_eq!(shown["members"][0]["name"], "Alice");
    assert_eq!(shown["members"][0]["role"], "admin");
    assert_eq!(shown["members"][0]["is_me"], true);
    let mut docs: Vec<_> = shown["docs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].clone())
        .collect();
    docs.sort_by_key(|d| d.to_string());
    let mut expected = vec![Value::from(board.clone()), Value::from(assembly)];
    expected.sort_by_key(|d| d.to_string());
    assert_eq!(docs, expected);

    alice.ok(&["doc", "archive", &board]);
    let listed = alice.json(&["doc", "list", &group]);
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "archived docs are hidden: {listed}"
    );
    assert_eq!(
        alice
            .json(&["doc", "list", &group, "--all"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn a_board_keeps_columns_and_cards_and_moves_a_card_by_id_prefix() {
    let alice = Device::init("Alice");
    let (_, board) = group_with(&alice, "board", "Repairs");
    alice.ok(&["board", "add-column", &board, "To do"]);
    alice.ok(&["board", "add-column", &board, "Done"]);
    let card = alice.ok(&[
        "board",
        "add-card",
        &board,
        "--column",
        "To do",
        "--title",
        "Fix the light",
    ]);
    let second = alice.json(&[
        "board", "add-card", &board, "--column", "to do", "--title", "Paint",
    ]);
    assert!(second["id"].is_string());

    alice.ok(&[
        "board",
        "move-card",
        &board[..5],
        &card[..4],
        "--column",
        "Done",
    ]);
    alice.ok(&["board", "assign", &board, &card, "me"]);
    alice.ok(&["board", "due", &board, &card, "2026-12-24"]);
    alice.ok(&[
        "board",
        "describe",
        &board,
        &card,
        "--text",
        "The one in the hall",
    ]);

    let shown = alice.json(&["doc", "show", &board]);
    assert_eq!(shown["kind"], "board");
    assert_eq!(column_of(&shown, &card), vec!["Done"]);
    let done = &shown["columns"][1]["cards"][0];
    assert_eq!(done["description"], "The one in the hall");
    assert_eq!(done["due"], "2026-12-24");
    let me = alice.json(&["whoami"]);
    assert_eq!(done["assignees"][0], me["member_id"]);
}

// Positions by several members at once are proven in crates/docs/tests/concurrent.rs.
#[test]
fn a_member_who_changes_their_position_counts_once_and_the_outcome_follows_the_rule() {
    let alice = Device::init("Alice");
    let (_, assembly) = group_with(&alice, "assembly", "December assembly");
    let item = alice.ok(&[
        "assembly",
        "add-agenda",
        &assembly,
        "Rent strike",
        "--minutes",
        "20",
    ]);
    let proposal = alice.ok(&[
        "assembly",
        "propose",
        &assembly,
        "--title",
        "Start the strike",
        "--rule",
        "two-thirds",
    ]);
    alice.ok(&["assembly", "position", &assembly, &proposal, "disagree"]);
    alice.ok(&[
        "assembly",
        "position",
        &assembly,
        &proposal,
        "agree",
        "--reason",
        "We are ready",
    ]);
    alice.ok(&[
        "assembly",
        "minutes",
        &assembly,
        "--text",
        "Opened at 18:30.",
    ]);

    let shown = alice.json(&["doc", "show", &assembly]);
    assert_eq!(shown["agenda"][0]["id"], item.as_str());
    assert_eq!(shown["agenda"][0]["time_box_minutes"], 20);
    let p = &shown["proposals"][0];
    assert_eq!(p["rule"], "two-thirds");
    assert_eq!(
        p["positions"].as_array().unwrap().len(),
        1,
        "a changed position counts once"
    );
    assert_eq!(p["positions"][0]["reason"], "We are ready");
    assert_eq!(p["tally"]["agree"], 1);
    assert_eq!(p["tally"]["disagree"], 0);
    assert_eq!(p["outcome"], "passed");
    assert_eq!(shown["minutes"], "Opened at 18:30.");

    assert_eq!(
        alice.json(&["assembly", "decide", &assembly, &proposal])["outcome"],
        "passed"
    );
    let shown = alice.json(&["doc", "show", &assembly]);
    assert_eq!(shown["decisions"][0]["title"], "Start the strike");
}

#[test]
fn agenda_items_and_columns_are_reordered_by_position_counted_from_one() {
    let alice = Device::init("Alice");
    let (group, assembly) = group_with(&alice, "assembly", "December");
    let first = alice.ok(&["assembly", "add-agenda", &assembly, "Welcome"]);
    let second = alice.ok(&["assembly", "add-agenda", &assembly, "Rent"]);
    alice.ok(&[
        "assembly",
        "move-agenda",
        &assembly,
        &second,
        "--position",
        "1",
    ]);
    alice.ok(&[
        "assembly",
        "rename-agenda",
        &assembly,
        &first,
        "Welcome and roles",
    ]);
    alice.ok(&["assembly", "time-box", &assembly, &first, "5"]);
    let agenda = &alice.json(&["doc", "show", &assembly])["agenda"];
    assert_eq!(agenda[0]["id"], second.as_str());
    assert_eq!(agenda[1]["title"], "Welcome and roles");
    assert_eq!(agenda[1]["time_box_minutes"], 5);

    let board = alice.ok(&[
        "doc", "create", &group, "--kind", "board", "--title", "Tasks",
    ]);
    alice.ok(&["board", "add-column", &board, "To do"]);
    alice.ok(&["board", "add-column", &board, "Done"]);
    alice.ok(&["board", "move-column", &board, "done", "--position", "1"]);
    assert_eq!(
        alice.json(&["doc", "show", &board])["columns"][0]["name"],
        "Done"
    );
    let run = alice.run(&["board", "move-column", &board, "done", "--position", "0"]);
    assert_eq!(run.status.code(), Some(2), "{}", run.stderr);
}

#[test]
fn an_action_item_becomes_a_card_on_the_groups_board() {
    let alice = Device::init("Alice");
    let (group, assembly) = group_with(&alice, "assembly", "December assembly");
    let board = alice.ok(&[
        "doc", "create", &group, "--kind", "board", "--title", "Tasks",
    ]);
    alice.ok(&["board", "add-column", &board, "To do"]);
    let action = alice.ok(&[
        "assembly",
        "add-action",
        &assembly,
        "Call the landlord",
        "--assignee",
        "Alice",
    ]);
    let card = alice.ok(&[
        "assembly",
        "action-to-card",
        &assembly,
        &action,
        "--board",
        &board,
        "--column",
        "To do",
    ]);
    let tasks = alice.json(&["doc", "show", &board]);
    assert_eq!(tasks["columns"][0]["cards"][0]["id"], card.as_str());
    assert_eq!(
        tasks["columns"][0]["cards"][0]["title"],
        "Call the landlord"
    );
    let meeting = alice.json(&["doc", "show", &assembly]);
    assert_eq!(meeting["actions"][0]["card"]["card"], card.as_str());
    assert_eq!(meeting["actions"][0]["card"]["doc"], board.as_str());
}

#[test]
fn resources_are_lent_to_a_member_and_returned() {
    let alice = Device::init("Alice");
    let (_, list) = group_with(&alice, "resources", "Shared tools");
    let ladder = alice.ok(&[
        "resource",
        "add",
        &list,
        "Ladder",
        "--quantity",
        "1",
        "--category",
        "tools",
    ]);
    alice.ok(&[
        "resource",
        "lend",
        &list,
        &ladder,
        "--to",
        "alice",
        "--due",
        "2026-12-01",
    ]);
    let err = alice.fails(&[
        "resource",
        "lend",
        &list,
        &ladder,
        "--to",
        "me",
        "--due",
        "2026-12-02",
    ]);
    assert!(err.contains("lent"), "{err}");
    let shown = alice.json(&["doc", "show", &list]);
    assert_eq!(shown["items"][0]["status"], "lent");
    assert_eq!(shown["loans"][0]["due"], "2026-12-01");
    alice.ok(&["resource", "return", &list, &ladder]);
    let shown = alice.json(&["doc", "show", &list]);
    assert_eq!(shown["items"][0]["status"], "available");
    assert!(shown["loans"][0]["returned_at"].is_i64());
    alice.ok(&["resource", "need", &list, "A drill"]);

    // A loan due in the past shows as overdue to people.
    let van = alice.ok(&["resource", "add", &list, "Van"]);
    alice.ok(&[
        "resource",
        "lend",
        &list,
        &van,
        "--to",
        "me",
        "--due",
        "2020-01-31",
    ]);
    let text = alice.ok(&["doc", "show", &list]);
    let van_line = text.lines().find(|l| l.contains("Van")).unwrap();
    assert!(van_line.contains("OVERDUE"), "{text}");
    let ladder_line = text.lines().find(|l| l.contains("Ladder")).unwrap();
    assert!(!ladder_line.contains("OVERDUE"), "{text}");
    assert_eq!(
        alice.json(&["doc", "show", &list])["needs_offers"][0]["kind"],
        "need"
    );
}

#[test]
fn history_says_who_changed_what() {
    let alice = Device::init("Alice");
    let (_, board) = group_with(&alice, "board", "Repairs");
    alice.ok(&["board", "add-column", &board, "To do"]);
    alice.ok(&[
        "board",
        "add-card",
        &board,
        "--column",
        "To do",
        "--title",
        "Fix the light",
    ]);
    let history = alice.json(&["history", &board]);
    let entries = history.as_array().unwrap();
    assert_eq!(entries.len(), 3, "create, add column, add card: {history}");
    let me = alice.json(&["whoami"]);
    for e in entries {
        assert_eq!(e["member"], "Alice");
        assert_eq!(e["member_id"], me["member_id"]);
        assert_eq!(e["device"], me["peer_id"]);
    }
    assert!(
        entries[2]["message"]
            .as_str()
            .unwrap()
            .contains("Fix the light"),
        "{history}"
    );
    assert!(alice.ok(&["history", &board]).contains("Alice"));
}

#[test]
fn people_read_names_not_member_ids() {
    let alice = Device::init("Alice");
    let (_, board) = group_with(&alice, "board", "Repairs");
    alice.ok(&["board", "add-column", &board, "To do"]);
    let card = alice.ok(&[
        "board",
        "add-card",
        &board,
        "--column",
        "To do",
        "--title",
        "Fix the light",
    ]);
    alice.ok(&["board", "assign", &board, &card, "me"]);
    let member_id = alice.json(&["whoami"])["member_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let shown = alice.ok(&["doc", "show", &board]);
    assert!(
        shown.contains("To do") && shown.contains("Fix the light") && shown.contains("@Alice"),
        "{shown}"
    );
    let history = alice.ok(&["history", &board]);
    assert!(history.contains("to Alice"), "{history}");
    for text in [&shown, &history] {
        assert!(
            !text.contains(&member_id),
            "a member id leaked into:\n{text}"
        );
    }
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    use std::io::{BufRead, BufReader};
    let alice = Device::init("Alice");
    let (_, board) = group_with(&alice, "board", "Repairs");
    alice.ok(&["board", "add-column", &board, "To do"]);
    // Like `mutual ... | head -1`: read one line, then close the pipe.
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
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "exit {}: {stderr}", output.status);
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn an_admin_adds_a_device_by_its_peer_id() {
    let alice = Device::init("Alice");
    let bob = Device::init("Bob");
    let group = alice.ok(&["group", "create", "Food co-op"]);
    let bob_peer = bob.peer_id();

    let member = alice.ok(&[
        "group",
        "add-member",
        &group,
        "--device",
        &bob_peer,
        "--role",
        "admin",
        "--name",
        "Bob",
    ]);
    let shown = alice.json(&["group", "show", &group]);
    let bob_entry = shown["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Bob")
        .unwrap()
        .clone();
    assert_eq!(bob_entry["id"], member.as_str());
    assert_eq!(bob_entry["role"], "admin");
    assert_eq!(bob_entry["devices"][0], bob_peer.as_str());
    assert_eq!(bob_entry["is_me"], false);

    // Twice is refused, and so is something that is not a peer id; nothing changes.
    let err = alice.fails(&["group", "add-member", &group, "--device", &bob_peer]);
    assert!(err.contains("already"), "{err}");
    let err = alice.fails(&["group", "add-member", &group, "--device", "not-a-peer"]);
    assert!(err.contains("not a device's peer id"), "{err}");
    assert_eq!(err.lines().count(), 1);
    assert_eq!(alice.json(&["group", "show", &group]), shown);
}

// ---- errors: one clear line, a non-zero exit, and nothing changed ----

#[test]
fn an_unknown_id_is_named_in_the_error() {
    let alice = Device::init("Alice");
    let (group, board) = group_with(&alice, "board", "Repairs");
    let err = alice.fails(&["doc", "show", "zzzzzz"]);
    assert!(
        err.contains("no document") && err.contains("zzzzzz"),
        "{err}"
    );
    let err = alice.fails(&["group", "show", "zzzzzz"]);
    assert!(err.contains("no group"), "{err}");
    let err = alice.fails(&["board", "move-card", &board, "zzzz", "--column", "x"]);
    assert!(err.contains("zzzz"), "{err}");
    let err = alice.fails(&[
        "board", "add-card", &board, "--column", "Nowhere", "--title", "t",
    ]);
    assert!(err.contains("Nowhere"), "{err}");
    assert_eq!(err.lines().count(), 1);
    let err = alice.fails(&["board", "assign", &board, "x", "Bob"]);
    assert!(err.contains("Bob"), "{err}");
    assert_eq!(
        alice
            .json(&["doc", "list", &group])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn an_ambiguous_prefix_asks_for_more_of_the_id() {
    let alice = Device::init("Alice");
    let group = alice.ok(&["group", "create", "Co-op"]);
    // 33 documents cannot all start with different characters of a 32-letter alphabet.
    let ids: Vec<String> = (0..33)
        .map(|i| {
            alice.ok(&[
                "doc",
                "create",
                &group,
                "--kind",
                "board",
                "--title",
                &format!("b{i}"),
            ])
        })
        .collect();
    let first = ids
        .iter()
        .map(|id| &id[..1])
        .find(|c| ids.iter().filter(|id| id.starts_with(*c)).count() > 1)
        .unwrap();
    let err = alice.fails(&["doc", "show", first]);
    assert!(
        err.contains("matches") && err.contains("type more"),
        "{err}"
    );
}

#[test]
fn a_command_for_another_kind_of_document_is_refused() {
    let alice = Device::init("Alice");
    let (_, assembly) = group_with(&alice, "assembly", "December");
    let before = alice.json(&["doc", "show", &assembly]);
    let err = alice.fails(&["board", "add-column", &assembly, "To do"]);
    assert!(err.contains("is an assembly, not a board"), "{err}");
    assert_eq!(alice.json(&["doc", "show", &assembly]), before);
}

#[test]
fn bad_arguments_are_refused_before_anything_changes() {
    let alice = Device::init("Alice");
    let (_, board) = group_with(&alice, "board", "Repairs");
    alice.ok(&["board", "add-column", &board, "To do"]);
    let card = alice.ok(&[
        "board", "add-card", &board, "--column", "To do", "--title", "t",
    ]);
    let before = alice.json(&["doc", "show", &board]);

    let err = alice.fails(&["board", "due", &board, &card, "next tuesday"]);
    assert!(err.contains("date"), "{err}");
    let err = alice.fails(&[
        "board", "add-card", &board, "--column", "To do", "--title", "  ",
    ]);
    assert!(err.contains("title"), "{err}");
    assert_eq!(alice.json(&["doc", "show", &board]), before);

    // Usage errors come from the argument parser: exit code 2.
    let run = alice.run(&[
        "assembly", "propose", &board, "--title", "x", "--rule", "vibes",
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        run.stderr.contains("vibes") && run.stderr.contains("consensus"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    let run = alice.run(&["board", "add-card", &board, "--title", "x"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(run.stderr.contains("--column"), "{}", run.stderr);
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    assert_eq!(alice.json(&["doc", "show", &board]), before);
}

#[test]
fn a_data_directory_that_stays_busy_gets_a_clear_error_after_the_wait() {
    let alice = Device::init("Alice");
    let _held = mutual_store::Store::open(alice.dir()).unwrap();
    let err = alice.fails(&["whoami", "--wait", "1"]);
    assert!(
        err.contains("another Mutual process") && err.contains("busy for 1 s"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
    let err = alice.fails(&["whoami", "--wait", "0"]);
    assert!(err.contains("is using the data directory"), "{err}");
}

#[test]
fn commands_started_at_once_on_one_data_directory_all_succeed() {
    let alice = Device::init("Alice");
    let (_, board) = group_with(&alice, "board", "Repairs");
    alice.ok(&["board", "add-column", &board, "To do"]);
    let titles: Vec<String> = (0..20).map(|i| format!("Card {i}")).collect();
    let adding: Vec<Stopped> = titles
        .iter()
        .map(|title| {
            let args = [
                "board", "add-card", &board, "--column", "To do", "--title", title,
            ];
            Stopped(
                alice
                    .command(&args)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap(),
            )
        })
        .collect();
    let reading: Vec<Stopped> = (0..5)
        .map(|_| {
            let args = ["doc", "show", &board, "--wait", "300"];
            Stopped(
                alice
                    .command(&args)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap(),
            )
        })
        .collect();
    for child in adding.into_iter().chain(reading) {
        let output = child.finish();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let shown = alice.json(&["doc", "show", &board]);
    let mut cards: Vec<String> = shown["columns"][0]["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|card| card["title"].as_str().unwrap().to_owned())
        .collect();
    cards.sort();
    let mut want = titles;
    want.sort();
    assert_eq!(cards, want);
}

#[test]
fn reading_commands_share_the_data_directory_and_writing_ones_wait_for_them() {
    let alice = Device::init("Alice");
    let (_, board) = group_with(&alice, "board", "Repairs");
    let reader = mutual_store::Store::open_for(alice.dir(), mutual_store::Access::Read).unwrap();
    // Beside a reader, another reader runs at once...
    alice.ok(&["doc", "show", &board, "--wait", "0"]);
    alice.ok(&["whoami", "--wait", "0"]);
    // ...and a writer waits for it.
    let err = alice.fails(&["board", "add-column", &board, "To do", "--wait", "0"]);
    assert!(err.contains("is using the data directory"), "{err}");
    drop(reader);
    alice.ok(&["board", "add-column", &board, "To do", "--wait", "0"]);
}

#[test]
fn a_backup_restores_a_device_and_a_group_exports_as_json_and_markdown_minutes() {
    let ada = Device::init("Ada");
    let group = ada.ok(&["group", "create", "Tenants"]);
    let meeting = ada.ok(&[
        "doc",
        "create",
        &group,
        "--kind",
        "assembly",
        "--title",
        "June assembly",
    ]);
    ada.ok(&["assembly", "attend", &meeting, "me"]);
    ada.ok(&[
        "assembly",
        "minutes",
        &meeting,
        "--text",
        "We agreed on the rent strike.",
    ]);

    // A backup, restored into a new data directory, is the same device with the same data.
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("ada.backup");
    let secret = scratch.path().join("passphrase");
    std::fs::write(&secret, "correct horse battery\n").unwrap();
    let with_passphrase = |args: &[&str]| {
        let mut args = args.to_vec();
        args.extend(["--passphrase-file", secret.to_str().unwrap()]);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let backup = with_passphrase(&["backup", file.to_str().unwrap()]);
    ada.ok(&backup.iter().map(String::as_str).collect::<Vec<_>>());
    let restore = with_passphrase(&["restore", file.to_str().unwrap()]);
    let restore: Vec<&str> = restore.iter().map(String::as_str).collect();
    let restored = Device::new();
    restored.ok(&restore);
    assert_eq!(restored.json(&["whoami"]), ada.json(&["whoami"]));
    assert_eq!(
        restored.json(&["doc", "show", &meeting]),
        ada.json(&["doc", "show", &meeting])
    );
    // Never over a device that has data, nor from a file that is not a backup.
    let refused = ada.fails(&restore);
    assert!(refused.contains("already holds an identity"), "{refused}");
    let junk = scratch.path().join("junk");
    std::fs::write(&junk, "hello").unwrap();
    let refused = Device::new().fails(&["restore", junk.to_str().unwrap()]);
    assert!(refused.contains("is not a Mutual backup"), "{refused}");

    // The export: the group as JSON, the assembly's minutes as Markdown.
    let out = scratch.path().join("export");
    let files = ada.json(&["group", "export", &group, "--to", out.to_str().unwrap()]);
    let files: Vec<String> = files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect();
    let json = files.iter().find(|f| f.ends_with("Tenants.json")).unwrap();
    let export: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    assert_eq!(export["group"]["name"], "Tenants");
    assert!(
        export["documents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["title"] == "June assembly")
    );
    let minutes = files.iter().find(|f| f.ends_with(".md")).unwrap();
    let minutes = std::fs::read_to_string(minutes).unwrap();
    assert!(minutes.starts_with("# June assembly"), "{minutes}");
    assert!(minutes.contains("**Present:** Ada"), "{minutes}");
    assert!(
        minutes.contains("We agreed on the rent strike."),
        "{minutes}"
    );
}

#[test]
fn a_person_renames_themselves_here_and_in_their_groups() {
    let ada = Device::init("Ada");
    let group = ada.ok(&["group", "create", "Tenants"]);
    ada.ok(&["set-name", "Ada Lovelace"]);
    assert_eq!(ada.json(&["whoami"])["name"], "Ada Lovelace");
    let view = ada.json(&["group", "show", &group]);
    assert_eq!(view["members"][0]["name"], "Ada Lovelace", "{view}");
    let refused = ada.fails(&["set-name", "  "]);
    assert!(refused.contains("must not be empty"), "{refused}");
}

/// What a person reads, checked for anything a terminal would act on: every character is
/// printable, or a newline.
fn assert_inert(what: &str, text: &str) {
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' || c == '\u{202e}'),
        "{what} printed raw control characters:\n{text:?}"
    );
}

#[test]
fn members_text_is_shown_escaped_to_people_and_exact_in_json() {
    // 1. Alice runs the same story twice: with plain words, then with text that would take
    //    over a terminal (colour, a bell, a carriage return, a right-to-left override) or
    //    fake structure (a newline followed by what looks like a card, a column, a member).
    let story = |alice: &Device, t: &dyn Fn(&str) -> String| {
        let group = alice.ok(&["group", "create", &t("Elm")]);
        let board = alice.ok(&[
            "doc",
            "create",
            &group,
            "--kind",
            "board",
            "--title",
            &t("B"),
        ]);
        let column = alice.ok(&["board", "add-column", &board, &t("To do")]);
        let card = alice.ok(&[
            "board",
            "add-card",
            &board,
            "--column",
            &column,
            "--title",
            &t("Fix"),
        ]);
        alice.ok(&["board", "label", &board, &card, &t("urgent")]);
        alice.ok(&["board", "describe", &board, &card, "--text", &t("The hall")]);
        let assembly = alice.ok(&[
            "doc",
            "create",
            &group,
            "--kind",
            "assembly",
            "--title",
            &t("A"),
        ]);
        let proposal = alice.ok(&[
            "assembly",
            "propose",
            &assembly,
            "--title",
            &t("P"),
            "--rule",
            "consent",
            "--text",
            &t("Why"),
        ]);
        alice.ok(&[
            "assembly",
            "position",
            &assembly,
            &proposal,
            "agree",
            "--reason",
            &t("Yes"),
        ]);
        alice.ok(&["assembly", "decide", &assembly, &proposal]);
        alice.ok(&["assembly", "minutes", &assembly, "--text", &t("Opened")]);
        alice.ok(&["assembly", "add-action", &assembly, &t("Call")]);
        (group, board, card, assembly)
    };
    let hostile =
        |s: &str| format!("{s}\x1b[31m\x07\r\u{202e}\n  abcdefgh  Fake card\n\nDone  [x]");
    let plain = Device::init("Alice");
    let (p_group, p_board, _, p_assembly) = story(&plain, &|s| s.to_owned());
    let alice = Device::init(&hostile("Alice"));
    let (group, board, card, assembly) = story(&alice, &hostile);

    // 2. Human output shows every control character escaped, and has exactly the lines the
    //    plain story has (multi-line text keeps its lines, each behind a margin).
    let pairs = [
        (vec!["doc", "show", &board], vec!["doc", "show", &p_board]),
        (
            vec!["doc", "show", &assembly],
            vec!["doc", "show", &p_assembly],
        ),
        (vec!["history", &board], vec!["history", &p_board]),
        (
            vec!["group", "show", &group],
            vec!["group", "show", &p_group],
        ),
        (vec!["group", "list"], vec!["group", "list"]),
        (vec!["doc", "list", &group], vec!["doc", "list", &p_group]),
        (vec!["whoami"], vec!["whoami"]),
    ];
    for (args, plain_args) in pairs {
        let shown = alice.ok(&args);
        assert_inert(&format!("{args:?}"), &shown);
        // Lines of structure: all but those behind the margin of multi-line text.
        let structure = |text: &str| {
            text.lines()
                .filter(|l| !l.trim_start().starts_with('│'))
                .count()
        };
        assert_eq!(
            structure(&shown),
            structure(&plain.ok(&plain_args)),
            "{args:?} has lines the plain story has not:\n{shown}"
        );
        assert!(shown.contains("\\u{1b}[31m"), "{args:?}: {shown}");
    }
    let minutes = alice.ok(&["doc", "show", &assembly]);
    assert!(minutes.contains("  │   abcdefgh  Fake card"), "{minutes}");

    // 3. Confirmations and errors that quote member text stay on one line.
    let renamed = alice.run(&["doc", "rename", &board, &hostile("New")]);
    assert_eq!(renamed.stdout.lines().count(), 1, "{}", renamed.stdout);
    assert_inert("doc rename", &renamed.stdout);
    let refused = alice.run(&["board", "assign", &board, &card, &hostile("nobody")]);
    assert!(!refused.status.success());
    assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.stderr);
    assert_inert("board assign", &refused.stderr);

    // 4. --json keeps the text exact.
    let shown = alice.json(&["doc", "show", &board]);
    assert_eq!(
        shown["columns"][0]["cards"][0]["title"],
        hostile("Fix").as_str()
    );
    assert_eq!(alice.json(&["whoami"])["name"], hostile("Alice").trim());
}

#[test]
fn deciding_a_proposal_prints_the_decisions_id() {
    let alice = Device::init("Alice");
    let (_, assembly) = group_with(&alice, "assembly", "December");
    let propose = |title: &str| {
        let p = alice.ok(&[
            "assembly", "propose", &assembly, "--title", title, "--rule", "majority",
        ]);
        alice.ok(&["assembly", "position", &assembly, &p, "agree"]);
        p
    };
    // 1. For people: the id alone on stdout, like every command that creates something.
    let first = propose("Paint the hall");
    let decided = alice.run(&["assembly", "decide", &assembly, &first[..6]]);
    assert!(decided.status.success(), "{}", decided.stderr);
    assert!(decided.stderr.contains("passed"), "{}", decided.stderr);
    // 2. With --json: the id and the outcome.
    let second = propose("Fix the roof");
    let json = alice.json(&["assembly", "decide", &assembly, &second]);
    assert_eq!(json["outcome"], "passed");
    // 3. Both are the ids in the register.
    let shown = alice.json(&["doc", "show", &assembly]);
    let ids: Vec<&str> = shown["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&decided.stdout.trim()),
        "{ids:?} {}",
        decided.stdout
    );
    assert!(
        ids.contains(&json["id"].as_str().unwrap()),
        "{ids:?} {json}"
    );
    assert_eq!(ids.len(), 2);
}

/// Runs `mutual ARGS`, which must be refused as a usage error: exit code 2, one line.
fn usage_error(device: &Device, args: &[&str]) -> String {
    let run = device.run(args);
    assert_eq!(run.status.code(), Some(2), "{args:?}: {}", run.stderr);
    assert_eq!(
        run.stderr.trim().lines().count(),
        1,
        "{args:?}: {}",
        run.stderr
    );
    run.stderr
}

#[test]
fn values_out_of_range_and_missing_changes_are_usage_errors() {
    let alice = Device::init("Alice");
    let (group, assembly) = group_with(&alice, "assembly", "December");
    let resources = alice.ok(&[
        "doc",
        "create",
        &group,
        "--kind",
        "resources",
        "--title",
        "Tools",
    ]);
    let drill = alice.ok(&["resource", "add", &resources, "Drill"]);
    let before = alice.json(&["doc", "show", &resources]);

    // 1. Invites: uses from 1 to 1000, said as such.
    usage_error(&alice, &["invite", "create", &group, "--expires", "0s"]);
    let err = usage_error(&alice, &["invite", "create", &group, "--uses", "0"]);
    assert!(err.contains("1..=1000"), "{err}");
    let err = usage_error(
        &alice,
        &["invite", "create", &group, "--uses", "99999999999"],
    );
    assert!(
        err.contains("1..=1000") && !err.contains("4294967295"),
        "{err}"
    );
    // 2. Join's timeout, before anything is dialled.
    usage_error(&alice, &["join", "ABCD", "--timeout", "0s"]);
    usage_error(&alice, &["join", "ABCD", "--timeout", "abc"]);
    // 3. A change that says nothing to change.
    usage_error(&alice, &["assembly", "set", &assembly]);
    usage_error(&alice, &["resource", "update", &resources, &drill]);
    // 4. Empty names and titles.
    usage_error(&alice, &["group", "create", " "]);
    usage_error(
        &alice,
        &["doc", "create", &group, "--kind", "board", "--title", ""],
    );
    usage_error(&alice, &["doc", "rename", &resources, ""]);
    usage_error(&alice, &["resource", "add", &resources, ""]);
    usage_error(
        &alice,
        &["resource", "update", &resources, &drill, "--name", ""],
    );
    usage_error(&alice, &["assembly", "add-agenda", &assembly, " "]);
    usage_error(&alice, &["set-name", ""]);

    assert_eq!(alice.json(&["doc", "show", &resources]), before);
    assert_eq!(
        alice.json(&["invite", "list", &group]),
        Value::Array(vec![])
    );
    assert_eq!(alice.json(&["group", "list"]).as_array().unwrap().len(), 1);
}

#[test]
fn invite_lifetimes_are_bounded_and_read_in_the_units_people_type() {
    let alice = Device::init("Alice");
    let group = alice.ok(&["group", "create", "Elm"]);
    let now_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    };
    // 1. Units a person types: s, m, h, d, w.
    for (text, secs) in [
        ("90s", 90),
        ("45m", 2700),
        ("12h", 43_200),
        ("3d", 259_200),
        ("2w", 1_209_600),
        ("365d", 31_536_000),
    ] {
        let start = now_ms();
        let created = alice.json(&["invite", "create", &group, "--expires", text]);
        let lasts = created["expires_at"].as_i64().unwrap() - start;
        assert!((lasts / 1000 - secs).abs() <= 5, "{text}: {created}");
    }
    // 2. Out of range, or a unit not accepted: the range and the units, in the error, and
    //    none of a date library's words.
    for text in ["1000000000h", "366d", "0s", "99999999999999999999999w"] {
        let err = usage_error(&alice, &["invite", "create", &group, "--expires", text]);
        assert!(err.contains("from 1s to 365d"), "{text}: {err}");
    }
    for text in ["1y", "soon", "5"] {
        let err = usage_error(&alice, &["invite", "create", &group, "--expires", text]);
        assert!(err.contains("s, m, h, d or w"), "{text}: {err}");
        assert!(!err.to_lowercase().contains("span"), "{text}: {err}");
    }
    assert_eq!(
        alice
            .json(&["invite", "list", &group])
            .as_array()
            .unwrap()
            .len(),
        6
    );
}

#[test]
fn errors_say_each_thing_once_and_name_members_by_name() {
    let alice = Device::init("Alice");
    let bob = Device::init("Bob");
    let (group, resources) = group_with(&alice, "resources", "Tools");
    alice.admit(&group, &bob, "Bob");

    // 1. Admitting Bob's device again: Bob, by name, once.
    let err = alice.fails(&[
        "group",
        "add-member",
        &group,
        "--device",
        &bob.peer_id(),
        "--name",
        "Bobby",
    ]);
    assert!(err.contains("Bob's"), "{err}");
    assert_eq!(err.matches("member of the group").count(), 1, "{err}");

    // 2. A file in the way of an export: the system's words, once.
    let in_the_way = alice.dir().join("in-the-way");
    std::fs::write(&in_the_way, "").unwrap();
    let err = alice.fails(&[
        "group",
        "export",
        &group,
        "--to",
        in_the_way.to_str().unwrap(),
    ]);
    assert_eq!(err.matches("os error").count(), 1, "{err}");

    // 3. Lending what Bob holds: "lent to Bob", not his member id.
    let drill = alice.ok(&["resource", "add", &resources, "Drill"]);
    alice.ok(&[
        "resource",
        "lend",
        &resources,
        &drill,
        "--to",
        "Bob",
        "--due",
        "2099-01-01",
    ]);
    let err = alice.fails(&[
        "resource",
        "lend",
        &resources,
        &drill,
        "--to",
        "me",
        "--due",
        "2099-01-01",
    ]);
    assert!(err.contains("already lent to Bob;"), "{err}");
}

#[test]
fn an_empty_due_date_is_refused_and_clear_clears_it_saying_so() {
    let alice = Device::init("Alice");
    let (_, board) = group_with(&alice, "board", "Repairs");
    alice.ok(&["board", "add-column", &board, "To do"]);
    let card = alice.ok(&[
        "board",
        "add-card",
        &board,
        "--column",
        "To do",
        "--title",
        "Fix the light",
    ]);
    let due = |alice: &Device| {
        alice.json(&["doc", "show", &board])["columns"][0]["cards"][0]["due"].clone()
    };
    // 1. A date is set, and the confirmation says which.
    let set = alice.ok(&["board", "due", &board, &card, "2099-12-24"]);
    assert_eq!(set, "Set the due date to 2099-12-24.");
    // 2. The empty text is a usage error that offers --clear; the date stays.
    let err = usage_error(&alice, &["board", "due", &board, &card, ""]);
    assert!(err.contains("--clear"), "{err}");
    assert_eq!(due(&alice), "2099-12-24");
    // 3. --clear clears it and says so.
    let cleared = alice.ok(&["board", "due", &board, &card, "--clear"]);
    assert_eq!(cleared, "Cleared the due date.");
    assert_eq!(due(&alice), Value::Null);
}

#[test]
fn absurd_dates_and_empty_time_boxes_are_refused_and_past_dates_are_taken_with_a_warning() {
    let alice = Device::init("Alice");
    let (group, board) = group_with(&alice, "board", "Repairs");
    alice.ok(&["board", "add-column", &board, "To do"]);
    let card = alice.ok(&[
        "board",
        "add-card",
        &board,
        "--column",
        "To do",
        "--title",
        "Fix the light",
    ]);
    let assembly = alice.ok(&[
        "doc", "create", &group, "--kind", "assembly", "--title", "December",
    ]);
    let item = alice.ok(&["assembly", "add-agenda", &assembly, "Rent"]);
    let tools = alice.ok(&[
        "doc",
        "create",
        &group,
        "--kind",
        "resources",
        "--title",
        "Tools",
    ]);
    let drill = alice.ok(&["resource", "add", &tools, "Drill"]);

    // 1. Year 0 and dates before 1970 are slips of the keyboard: usage errors.
    for date in ["0000-01-01", "1969-12-31"] {
        let err = usage_error(&alice, &["board", "due", &board, &card, date]);
        assert!(err.contains("1970"), "{err}");
        let err = usage_error(
            &alice,
            &[
                "resource", "lend", &tools, &drill, "--to", "me", "--due", date,
            ],
        );
        assert!(err.contains("1970"), "{err}");
    }
    // 2. A time box of 0 minutes, too.
    usage_error(&alice, &["assembly", "time-box", &assembly, &item, "0"]);
    usage_error(
        &alice,
        &[
            "assembly",
            "add-agenda",
            &assembly,
            "Dues",
            "--minutes",
            "0",
        ],
    );

    // 3. A past but plausible date is recorded (a late item is worth recording), with one
    //    line of warning on stderr.
    let run = alice.run(&["board", "due", &board, &card, "2020-03-01"]);
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("2020-03-01") && run.stderr.contains("past"),
        "{}",
        run.stderr
    );
    let run = alice.run(&[
        "resource",
        "lend",
        &tools,
        &drill,
        "--to",
        "me",
        "--due",
        "2020-03-01",
    ]);
    assert!(run.status.success(), "{}", run.stderr);
    assert!(run.stderr.contains("past"), "{}", run.stderr);
    // A future date says nothing more.
    let run = alice.run(&["board", "due", &board, &card, "2099-03-01"]);
    assert_eq!(run.stderr, "");

    let shown = alice.json(&["doc", "show", &assembly]);
    assert_eq!(shown["agenda"].as_array().unwrap().len(), 1, "{shown}");
    assert_eq!(shown["agenda"][0]["time_box_minutes"], Value::Null);
}

/// The permission bits of `path`.
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_data_directory_its_files_and_its_backups_are_their_owners_alone() {
    use std::os::unix::fs::PermissionsExt as _;
    // 1. A new data directory, its database, journal and lock, and a backup of it.
    let alice = Device::init("Alice");
    alice.ok(&["group", "create", "Strike committee"]);
    let dir = alice.dir();
    assert_eq!(mode(dir), 0o700);
    for file in ["mutual.sqlite3", "mutual.sqlite3-wal", "lock"] {
        let path = dir.join(file);
        if path.exists() || !file.ends_with("-wal") {
            assert_eq!(mode(&path), 0o600, "{file}");
        }
    }
    let backup = tempfile::tempdir().unwrap();
    let file = backup.path().join("alice.backup");
    let secret = backup.path().join("passphrase");
    std::fs::write(&secret, "correct horse battery").unwrap();
    alice.ok(&[
        "backup",
        file.to_str().unwrap(),
        "--passphrase-file",
        secret.to_str().unwrap(),
    ]);
    assert_eq!(mode(&file), 0o600);

    // 2. A directory made readable by others (by hand, or by an older Mutual) is closed
    //    again by the next command.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        dir.join("mutual.sqlite3"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    alice.ok(&["group", "list"]);
    assert_eq!(mode(dir), 0o700);
    assert_eq!(mode(&dir.join("mutual.sqlite3")), 0o600);
}

#[test]
fn a_backup_is_encrypted_and_opens_only_with_its_passphrase() {
    let alice = Device::init("Alice Organizer");
    let group = alice.ok(&["group", "create", "Rent strike of Elm Street"]);
    let scratch = tempfile::tempdir().unwrap();
    let path = |name: &str| scratch.path().join(name).to_str().unwrap().to_owned();
    std::fs::write(path("right"), "tenants united, never divided\n").unwrap();
    std::fs::write(path("wrong"), "tenants divided\n").unwrap();
    std::fs::write(path("short"), "short\n").unwrap();

    // 1. Without a passphrase (no terminal to type it at), or with a short one, no backup.
    let refused = alice.fails(&["backup", &path("none.backup")]);
    assert!(refused.contains("--passphrase-file"), "{refused}");
    let refused = alice.fails(&[
        "backup",
        &path("short.backup"),
        "--passphrase-file",
        &path("short"),
    ]);
    assert!(refused.contains("at least 8 characters"), "{refused}");
    assert!(!scratch.path().join("none.backup").exists());
    assert!(!scratch.path().join("short.backup").exists());

    // 2. The backup gives nothing away: no SQLite file, no name, no group in the clear.
    alice.ok(&[
        "backup",
        &path("alice.backup"),
        "--passphrase-file",
        &path("right"),
    ]);
    let bytes = std::fs::read(path("alice.backup")).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1"));
    for clear in ["SQLite format 3", "Alice Organizer", "Rent strike"] {
        let found = bytes.windows(clear.len()).any(|w| w == clear.as_bytes());
        assert!(!found, "{clear} is readable in the backup");
    }

    // 3. The wrong passphrase, or none, is one sentence and changes nothing: the data
    //    directory is not even created.
    let target = scratch.path().join("restored");
    let restore = |extra: &[&str]| {
        let mut command = std::process::Command::new(mutual_bin());
        command
            .arg("--data-dir")
            .arg(&target)
            .args(["restore", &path("alice.backup")])
            .args(extra)
            .stdin(Stdio::null());
        command.output().unwrap()
    };
    let wrong = restore(&["--passphrase-file", &path("wrong")]);
    assert!(!wrong.status.success());
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(
        said.trim(),
        "error: the passphrase does not open this backup; nothing was changed"
    );
    assert!(
        !target.exists(),
        "a wrong passphrase created {}",
        target.display()
    );
    let none = restore(&[]);
    assert!(!none.status.success());
    assert!(!target.exists());

    // 4. The right one restores the same device, with its group.
    let right = restore(&["--passphrase-file", &path("right")]);
    assert!(
        right.status.success(),
        "{}",
        String::from_utf8_lossy(&right.stderr)
    );
    let listed = std::process::Command::new(mutual_bin())
        .arg("--data-dir")
        .arg(&target)
        .args(["group", "list", "--json"])
        .output()
        .unwrap();
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed[0]["id"], group.as_str(), "{listed}");
}

//! Real nodes: `mutual serve` processes over real libp2p on 127.0.0.1 and real SQLite. Peers
//! are dialed explicitly (mDNS skips loopback), and every other command reaches the running
//! node through its control socket, as a person at a terminal would.

// Test helpers outside #[test] functions may unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mutual_tests::Device;
use std::process::Stdio;
use std::time::Duration;

use mutual_tests::serving::{Serving, card_titles, eventually, wait_for_cards};
use serde_json::Value;

/// Alice's group with a board that has a "To do" column; returns (group, board).
fn group_with_board(alice: &Device) -> (String, String) {
    let group = alice.ok(&["group", "create", "Tenants of Elm Street"]);
    let board = alice.ok(&[
        "doc", "create", &group, "--kind", "board", "--title", "Chores",
    ]);
    alice.ok(&["board", "add-column", &board, "To do"]);
    (group, board)
}

fn add_card(device: &Device, board: &str, title: &str) {
    device.ok(&[
        "board", "add-card", board, "--column", "To do", "--title", title,
    ]);
}

#[test]
fn an_edit_on_alice_is_visible_on_bob_and_one_on_bob_on_alice() {
    // 1. Alice makes a group with a board and admits Bob's device by its peer id.
    let alice = Device::init("Alice");
    let bob = Device::init("Bob");
    let (group, board) = group_with_board(&alice);
    alice.admit(&group, &bob, "Bob");

    // 2. Both serve; Alice dials Bob, and Bob receives the group and its board.
    let alice_node = Serving::start(&alice);
    let bob_node = Serving::start(&bob);
    alice.ok(&["dial", &bob_node.address()]);
    wait_for_cards(&bob, "Bob", &board, &[], &bob_node);
    let docs = bob.json(&["doc", "list", &group]);
    assert_eq!(docs[0]["title"], "Chores", "{docs}");

    // 3. An edit on Alice's terminal, while her node runs, reaches Bob.
    add_card(&alice, &board, "Fix the door");
    wait_for_cards(&bob, "Bob", &board, &["Fix the door"], &bob_node);

    // 4. And one on Bob's reaches Alice.
    add_card(&bob, &board, "Paint the hall");
    wait_for_cards(
        &alice,
        "Alice",
        &board,
        &["Fix the door", "Paint the hall"],
        &alice_node,
    );

    // 5. Both nodes report each other connected and in sync.
    let status = eventually("in sync", || {
        let status = alice.json(&["status"]);
        let bob_there = status["groups"][0]["devices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["member"] == "Bob" && d["connected"] == true && d["in_sync"] == true);
        bob_there.then_some(status)
    });
    let status = status.unwrap_or_else(|| panic!("{:#?}", alice_node.said()));
    let group_status = &status["groups"][0];
    assert_eq!(group_status["only_here"], false, "{status:#}");
    let bob_device = &group_status["devices"][0];
    assert!(bob_device["connected_since"].is_i64(), "{status:#}");
    assert!(bob_device["last_synced"].is_i64(), "{status:#}");
    let peers = bob.json(&["peers"]);
    assert_eq!(peers[0]["members"][0], "Alice", "{peers}");
    assert_eq!(peers[0]["connected"], true, "{peers}");

    // 6. With Bob gone, Alice's next edit is on her laptop only, and her node says so.
    let bob_id = bob.peer_id();
    drop(bob_node);
    alice_node.wait_for("bob gone", |e| {
        e["event"] == "disconnected" && e["peer"] == bob_id.as_str()
    });
    add_card(&alice, &board, "Only on Alice's laptop");
    let status = alice.json(&["status"]);
    assert_eq!(status["groups"][0]["only_here"], true, "{status:#}");
}

#[test]
fn three_peers_edit_one_board_offline_then_converge() {
    // 1. Alice admits Bob and Carol; one meeting gives them the board.
    let alice = Device::init("Alice");
    let bob = Device::init("Bob");
    let carol = Device::init("Carol");
    let (group, board) = group_with_board(&alice);
    for (device, name) in [(&bob, "Bob"), (&carol, "Carol")] {
        alice.admit(&group, device, name);
    }
    {
        let alice_node = Serving::start(&alice);
        let bob_node = Serving::start(&bob);
        let carol_node = Serving::start(&carol);
        alice.ok(&["dial", &bob_node.address()]);
        alice.ok(&["dial", &carol_node.address()]);
        wait_for_cards(&bob, "Bob", &board, &[], &bob_node);
        wait_for_cards(&carol, "Carol", &board, &[], &carol_node);
        drop(alice_node);
    }

    // 2. Offline (no node runs; killed, so stale sockets stay behind), each adds a card
    //    and Bob renames the board.
    add_card(&alice, &board, "Alice's card");
    add_card(&bob, &board, "Bob's card");
    add_card(&carol, &board, "Carol's card");
    bob.ok(&["doc", "rename", &board, "Chores and repairs"]);

    // 3. They serve again and dial each other: everyone ends with everything.
    let alice_node = Serving::start(&alice);
    let bob_node = Serving::start(&bob);
    let carol_node = Serving::start(&carol);
    alice.ok(&["dial", &bob_node.address()]);
    bob.ok(&["dial", &carol_node.address()]);
    let all = ["Alice's card", "Bob's card", "Carol's card"];
    wait_for_cards(&alice, "Alice", &board, &all, &alice_node);
    wait_for_cards(&bob, "Bob", &board, &all, &bob_node);
    wait_for_cards(&carol, "Carol", &board, &all, &carol_node);

    // 4. And the same document, byte for byte in its JSON view, title included.
    let converged = eventually("identical documents", || {
        let views: Vec<Value> = [&alice, &bob, &carol]
            .iter()
            .map(|d| d.json(&["doc", "show", &board]))
            .collect();
        (views[0] == views[1] && views[1] == views[2]).then_some(views)
    })
    .expect("the three boards never became identical");
    assert_eq!(converged[0]["title"], "Chores and repairs");
}

#[test]
fn a_strangers_node_that_dials_alice_gets_nothing() {
    // 1. Alice has a group with a board; Mallory is no member.
    let alice = Device::init("Alice");
    let mallory = Device::init("Mallory");
    let (_group, board) = group_with_board(&alice);
    add_card(&alice, &board, "Secret plans");

    // 2. Mallory's node dials Alice's, and the two connect.
    let alice_node = Serving::start(&alice);
    let mallory_node = Serving::start(&mallory);
    mallory.ok(&["dial", &alice_node.address()]);
    let mallory_id = mallory.peer_id();
    alice_node.wait_for("Mallory's connection", |e| {
        e["event"] == "connected" && e["peer"] == mallory_id.as_str()
    });
    mallory_node.wait_for("a sync session", |e| e["event"] == "session_started");

    // 3. Whatever time passes, Mallory has no group, and Alice's board is unchanged.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(mallory.json(&["group", "list"]), serde_json::json!([]));
    assert_eq!(card_titles(&alice, &board).unwrap(), vec!["Secret plans"]);
    let (events, _) = mallory_node.said();
    assert!(
        !events
            .iter()
            .any(|e| e["event"] == "group_joined" || e["event"] == "doc_changed"),
        "{events:#?}"
    );
    // 4. Alice's status counts members' devices only: Mallory is not one.
    let status = alice.json(&["status"]);
    assert_eq!(status["connected"], serde_json::json!([]), "{status:#}");
    assert!(alice.ok(&["status"]).contains("connected: 0 peer(s)"));
}

#[test]
fn a_stranger_cannot_put_alices_laptop_into_a_group_without_her_say() {
    // 1. Mallory saw Alice's peer id (mDNS announces it). She founds a group with a board
    //    of her own and adds Alice's device; then her node reaches Alice's.
    let alice = Device::init("Alice");
    let mallory = Device::init("Mallory");
    let (group, board) = group_with_board(&mallory);
    add_card(&mallory, &board, "Click this link");
    mallory.ok(&[
        "group",
        "add-member",
        &group,
        "--device",
        &alice.peer_id(),
        "--name",
        "Alice",
    ]);
    let alice_node = Serving::start(&alice);
    let mallory_node = Serving::start(&mallory);
    mallory.ok(&["dial", &alice_node.address()]);

    // 2. Alice's node keeps only the offer: the group's name and who added her.
    let pending = alice_node.wait_for("the addition", |e| e["event"] == "addition_pending");
    assert_eq!(pending["addition"]["group"], group.as_str(), "{pending}");
    assert_eq!(pending["addition"]["added_by"], "Mallory", "{pending}");
    let listed = alice.json(&["group", "pending"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["name"], "Tenants of Elm Street", "{listed}");
    assert_eq!(listed[0]["added_by"], "Mallory", "{listed}");
    assert!(alice.ok(&["group", "pending"]).contains("added by Mallory"));

    // 3. Whatever time passes, nothing of the group is hers: no group, no document, and
    //    no event of one; a restart of her node does not change that.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(alice.json(&["group", "list"]), serde_json::json!([]));
    assert!(
        alice
            .fails(&["doc", "show", &board])
            .contains("no document")
    );
    alice_node.stop();
    let alice_node = Serving::start(&alice);
    mallory.ok(&["dial", &alice_node.address()]);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(alice.json(&["group", "list"]), serde_json::json!([]));
    let (events, _) = alice_node.said();
    assert!(
        !events
            .iter()
            .any(|e| e["event"] == "group_joined" || e["event"] == "doc_changed"),
        "{events:#?}"
    );

    // 4. Ignored, it is listed no more.
    alice.ok(&["group", "ignore", "tenants of elm street"]);
    assert_eq!(alice.json(&["group", "pending"]), serde_json::json!([]));

    // 5. Had Alice wanted it, accepting takes the group from the member who offered it.
    alice.ok(&["group", "accept", &group]);
    wait_for_cards(&alice, "Alice", &board, &["Click this link"], &alice_node);
    assert_eq!(alice.json(&["group", "list"])[0]["id"], group.as_str());
    drop(mallory_node);
}

#[test]
fn what_a_hostile_member_wiped_is_restored_from_the_history_and_reaches_everyone() {
    // 1. Alice and Mallory share a board with two cards; both serve and are in sync.
    let alice = Device::init("Alice");
    let mallory = Device::init("Mallory");
    let (group, board) = group_with_board(&alice);
    add_card(&alice, &board, "Fix the door");
    add_card(&alice, &board, "Paint the hall");
    alice.admit(&group, &mallory, "Mallory");
    let alice_node = Serving::start(&alice);
    let mallory_node = Serving::start(&mallory);
    alice.ok(&["dial", &mallory_node.address()]);
    let both = ["Fix the door", "Paint the hall"];
    wait_for_cards(&mallory, "Mallory", &board, &both, &mallory_node);
    let history = alice.json(&["history", &board]);
    let before = history.as_array().unwrap().last().unwrap()["change"]
        .as_str()
        .unwrap()
        .to_owned();

    // 2. Mallory deletes every card; Alice's board empties.
    let shown = mallory.json(&["doc", "show", &board]);
    for card in shown["columns"][0]["cards"].as_array().unwrap() {
        mallory.ok(&["board", "delete-card", &board, card["id"].as_str().unwrap()]);
    }
    wait_for_cards(&alice, "Alice", &board, &[], &alice_node);

    // 3. Alice restores one card, then the whole board, from the history (a prefix of the
    //    change's hash will do); everyone gets it back, and the history keeps it all.
    let door = shown["columns"][0]["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "Fix the door")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let prefix = &before[..12];
    alice.ok(&["doc", "restore", &board, "--to", prefix, "--item", &door]);
    wait_for_cards(
        &mallory,
        "Mallory",
        &board,
        &["Fix the door"],
        &mallory_node,
    );
    alice.ok(&["doc", "restore", &board, "--to", prefix]);
    wait_for_cards(&mallory, "Mallory", &board, &both, &mallory_node);
    let history = alice.json(&["history", &board]);
    let messages: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.starts_with("deleted card")),
        "{messages:?}"
    );
    assert!(
        messages
            .last()
            .is_some_and(|m| m.starts_with("restored the board to version")),
        "{messages:?}"
    );

    // 4. A version this document never had is one sentence, and changes nothing.
    let refused = alice.fails(&["doc", "restore", &board, "--to", "ffffffff"]);
    assert!(refused.contains("no version ffffffff"), "{refused}");
    assert_eq!(alice.json(&["history", &board]), history);
}

#[test]
fn commands_run_inside_the_running_node_with_their_input_output_and_errors() {
    // 1. Without a node: status and peers say what the store knows; dial needs the node.
    let alice = Device::init("Alice");
    let (_group, board) = group_with_board(&alice);
    let card = alice.ok(&[
        "board",
        "add-card",
        &board,
        "--column",
        "To do",
        "--title",
        "Fix the door",
    ]);
    assert_eq!(alice.json(&["status"])["running"], false);
    assert_eq!(alice.json(&["peers"]), serde_json::json!([]));
    let err = alice.fails(&["dial", "/ip4/127.0.0.1/tcp/1"]);
    assert!(err.contains("not running"), "{err}");

    // 2. With the node running, the same commands reach it through its socket.
    let _node = Serving::start(&alice);
    let status = alice.json(&["status"]);
    assert_eq!(status["running"], true, "{status}");
    assert!(
        !status["listening"].as_array().unwrap().is_empty(),
        "{status}"
    );

    // 3. Standard input and relative paths are the caller's.
    let mut describe = alice.command(&["board", "describe", &board, &card, "--file", "-"]);
    describe.stdin(Stdio::piped()).stdout(Stdio::piped());
    let mut child = describe.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"The hinges squeak.").unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    let notes = tempfile::tempdir().unwrap();
    std::fs::write(notes.path().join("notes.txt"), "And the lock sticks.").unwrap();
    let run = alice
        .command(&["board", "describe", &board, &card, "--file", "notes.txt"])
        .current_dir(notes.path())
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let shown = alice.json(&["doc", "show", &board]);
    let description = &shown["columns"][0]["cards"][0]["description"];
    assert_eq!(description, "And the lock sticks.", "{shown}");

    // 4. Failures keep their one line and exit code.
    let err = alice.fails(&["doc", "show", "zzzz"]);
    assert!(err.starts_with("error: no document"), "{err}");
    let run = alice.run(&["board", "add-card", &board]);
    assert_eq!(run.status.code(), Some(2), "{run:?}");
    let err = alice.fails(&["serve"]);
    assert!(err.contains("already running"), "{err}");
}

/// The minutes of an assembly, read with `doc show --json`, and the version shown.
#[test]
fn dial_says_whether_it_connected_and_fails_when_it_did_not() {
    let alice = Device::init("Alice");
    let bob = Device::init("Bob");
    let _alice_node = Serving::start(&alice);
    let bob_node = Serving::start(&bob);

    // Nothing listens on TCP port 1: the dial fails, and the command says so.
    let run = alice.run(&["dial", "/ip4/127.0.0.1/tcp/1"]);
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("could not reach /ip4/127.0.0.1/tcp/1"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);

    // Bob's node listens: the dial answers once connected, naming the peer reached.
    let said = alice.ok(&["dial", &bob_node.address()]);
    assert!(
        said.starts_with("Connected to ") && said.contains(&bob.peer_id()),
        "{said}"
    );
    let dialed = alice.json(&["dial", &bob_node.address()]);
    assert_eq!(dialed["peer_id"], bob.peer_id(), "{dialed}");
}

fn minutes(device: &Device, doc: &str) -> (String, Vec<String>) {
    let view = device.json(&["doc", "show", doc]);
    let heads = view["heads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect();
    (
        view["minutes"].as_str().unwrap_or_default().to_owned(),
        heads,
    )
}

#[test]
fn a_text_saved_on_the_version_its_writer_saw_keeps_what_arrived_meanwhile() {
    // 1. Alice and Bob share an assembly whose minutes say "Opening."; both serve.
    let alice = Device::init("Alice");
    let bob = Device::init("Bob");
    let group = alice.ok(&["group", "create", "Tenants of Elm Street"]);
    let doc = alice.ok(&[
        "doc", "create", &group, "--kind", "assembly", "--title", "March",
    ]);
    alice.ok(&["assembly", "minutes", &doc, "--text", "Opening.\n"]);
    alice.admit(&group, &bob, "Bob");
    let alice_node = Serving::start(&alice);
    let bob_node = Serving::start(&bob);
    alice.ok(&["dial", &bob_node.address()]);
    let arrived = eventually("the minutes on Bob's", || {
        let run = bob.run(&["doc", "show", &doc, "--json"]);
        run.status.success().then_some(())
    });
    assert!(arrived.is_some(), "{:#?}", bob_node.said());

    // 2. Alice looks at the minutes (the version she types on), then Bob writes his line,
    //    which reaches her laptop while she types.
    let (seen, heads) = minutes(&alice, &doc);
    assert_eq!(seen, "Opening.\n");
    bob.ok(&[
        "assembly",
        "minutes",
        &doc,
        "--text",
        "Opening.\nBob: the boiler is fixed.\n",
    ]);
    let arrived = eventually("Bob's line on Alice's", || {
        minutes(&alice, &doc).0.contains("boiler").then_some(())
    });
    assert!(arrived.is_some(), "{:#?}", alice_node.said());

    // 3. Alice saves her draft, made on the version she saw: both lines stay, on both
    //    laptops (saved on the latest version instead, her draft would erase Bob's line).
    alice.ok(&[
        "assembly",
        "minutes",
        &doc,
        "--text",
        "Opening.\nAlice: the strike vote is on Friday.\n",
        "--based-on",
        &heads.join(","),
    ]);
    for (device, node) in [(&alice, &alice_node), (&bob, &bob_node)] {
        let both = eventually("both lines", || {
            let text = minutes(device, &doc).0;
            (text.contains("boiler") && text.contains("strike vote")).then_some(text)
        });
        assert!(
            both.is_some(),
            "{:?}; {:#?}",
            minutes(device, &doc),
            node.said()
        );
    }
    // A version this device never held is refused, with the reason.
    let error = alice.fails(&[
        "assembly",
        "minutes",
        &doc,
        "--text",
        "x",
        "--based-on",
        &"0".repeat(64),
    ]);
    assert!(error.contains("no version"), "{error}");
}

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    i64::try_from(since.unwrap().as_millis()).unwrap()
}

#[test]
fn a_new_member_of_a_group_without_documents_is_shown_in_sync() {
    // Alice's group has no documents yet; she admits Bob and their nodes meet.
    let alice = Device::init("Alice");
    let bob = Device::init("Bob");
    let group = alice.ok(&["group", "create", "Night shift"]);
    alice.admit(&group, &bob, "Bob");
    let alice_node = Serving::start(&alice);
    let bob_node = Serving::start(&bob);
    alice.ok(&["dial", &bob_node.address()]);
    // Each says the other is in sync, without anyone editing anything.
    for (device, node, other) in [(&alice, &alice_node, "Bob"), (&bob, &bob_node, "Alice")] {
        let in_sync = eventually("in sync", || {
            let status = group_status(device);
            let there =
                status["devices"].as_array().unwrap().iter().any(|d| {
                    d["member"] == other && d["connected"] == true && d["in_sync"] == true
                });
            there.then_some(())
        });
        assert!(
            in_sync.is_some(),
            "{:#} {:#?}",
            group_status(device),
            node.said()
        );
        let text = device.ok(&["status"]);
        assert!(text.contains("connected, in sync"), "{text}");
    }
}

/// Alice's status of the group, as JSON.
fn group_status(device: &Device) -> Value {
    device.json(&["status"])["groups"][0].clone()
}

#[test]
fn status_counts_the_changes_no_other_device_holds_and_survives_a_restart() {
    // 1. Alice and Bob are connected and in sync: nothing is only on Alice's laptop.
    let alice = Device::init("Alice");
    let bob = Device::init("Bob");
    let (group, board) = group_with_board(&alice);
    alice.admit(&group, &bob, "Bob");
    let mut alice_node = Serving::start(&alice);
    let bob_node = Serving::start(&bob);
    alice.ok(&["dial", &bob_node.address()]);
    let synced = eventually("Bob in sync", || {
        let status = group_status(&alice);
        (status["devices"][0]["in_sync"] == true && status["unshared"] == 0).then_some(())
    });
    assert!(synced.is_some(), "{:#?}", alice_node.said());

    // 2. Bob's laptop goes away; Alice adds two cards: two changes are on her laptop alone,
    //    and Bob's is known to lack them. He was last seen when he went, not when he came.
    let connected_since = group_status(&alice)["devices"][0]["connected_since"]
        .as_i64()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let before_going = now_ms();
    drop(bob_node);
    let gone = eventually("Bob gone", || {
        (group_status(&alice)["devices"][0]["connected"] == false).then_some(())
    });
    assert!(gone.is_some(), "{:#?}", alice_node.said());
    add_card(&alice, &board, "Fix the door");
    add_card(&alice, &board, "Paint the hall");
    let status = group_status(&alice);
    assert_eq!(status["unshared"], 2, "{status:#}");
    assert_eq!(status["devices"][0]["missing"], 2, "{status:#}");
    let last_seen = status["devices"][0]["last_seen"].as_i64().unwrap();
    assert!(
        last_seen >= before_going && last_seen > connected_since,
        "last seen {last_seen}, connected since {connected_since}, gone after {before_going}"
    );
    let text = alice.ok(&["status"]);
    assert!(
        text.contains("2 changes not yet on any other device"),
        "{text}"
    );
    assert!(text.contains("missing 2 changes"), "{text}");

    // 3. After a restart of Alice's node, and with no node at all, status says the same:
    //    what Bob holds was kept.
    alice_node.stop();
    let offline = alice.json(&["status"]);
    assert_eq!(offline["running"], false);
    assert_eq!(offline["groups"][0]["unshared"], 2, "{offline:#}");
    assert!(
        offline["groups"][0]["devices"][0]["last_synced"].is_i64(),
        "{offline:#}"
    );
    alice_node = Serving::start(&alice);
    let restarted = group_status(&alice);
    assert_eq!(restarted["unshared"], 2);
    assert_eq!(
        restarted["devices"][0]["last_synced"], offline["groups"][0]["devices"][0]["last_synced"],
        "{restarted:#}"
    );

    // 4. Bob comes back: once he holds the cards, nothing is only on Alice's laptop.
    let bob_node = Serving::start(&bob);
    alice.ok(&["dial", &bob_node.address()]);
    let shared = eventually("the cards on Bob's", || {
        let status = group_status(&alice);
        (status["unshared"] == 0 && status["devices"][0]["in_sync"] == true).then_some(())
    });
    assert!(shared.is_some(), "{:#?}", alice_node.said());
}

/// The node's control socket in its data directory (`mutual_node::runtime::SOCKET_FILE`).
const SOCKET_FILE: &str = "node.sock";

/// Connects to `socket` as the user `uid` (this thread only: Linux keeps user ids per
/// thread) and returns what the node answered to a status request.
fn ask_as(uid: u32, socket: std::path::PathBuf) -> std::io::Result<String> {
    use std::io::{Read as _, Write as _};
    std::thread::spawn(move || {
        let nobody = rustix::process::Uid::from_raw(uid);
        rustix::thread::set_thread_res_uid(None, nobody, None)?;
        let mut stream = std::os::unix::net::UnixStream::connect(&socket)?;
        stream.write_all(b"\"Status\"\n")?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer)
    })
    .join()
    .unwrap()
}

#[test]
fn the_node_takes_commands_only_from_the_user_who_runs_it() {
    use std::os::unix::fs::PermissionsExt as _;
    // Acting as another user needs root (CI runs as root); elsewhere this cannot be tried.
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: acting as another user needs root");
        return;
    }
    let alice = Device::init("Alice");
    let node = Serving::start(&alice);
    let socket = alice.dir().join(SOCKET_FILE);
    // The socket is its owner's alone.
    assert_eq!(
        std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Even opened to everyone by hand (directory and socket), another user who connects is
    // refused without its request being read; Alice's own request is answered.
    let open = |path: &std::path::Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    open(alice.dir(), 0o755);
    open(&socket, 0o777);
    let refused = ask_as(65534, socket.clone()).unwrap();
    assert!(
        refused.contains("only from the user who runs it"),
        "{refused}"
    );
    let answered = ask_as(0, socket).unwrap();
    assert!(answered.contains("peer_id"), "{answered}");
    drop(node);
}

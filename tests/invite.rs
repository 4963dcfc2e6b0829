//! Invites and membership with real nodes on loopback: joining from a full code, every way
//! a join fails (each with its own message and exit code, and nothing changed on the
//! joiner), removing a member, leaving, roles, and linking and unlinking a device.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use mutual_tests::Device;
use mutual_tests::serving::{Serving, card_titles, eventually, wait_for_cards};
use serde_json::Value;

/// Alice's group with a board that has a "To do" column and one card; (group, board).
fn group_with_board(alice: &Device) -> (String, String) {
    let group = alice.ok(&["group", "create", "Food co-op"]);
    let board = alice.ok(&[
        "doc",
        "create",
        &group,
        "--kind",
        "board",
        "--title",
        "Deliveries",
    ]);
    alice.ok(&["board", "add-column", &board, "To do"]);
    add_card(alice, &board, "vegetables");
    (group, board)
}

fn add_card(device: &Device, board: &str, title: &str) {
    device.ok(&[
        "board", "add-card", board, "--column", "To do", "--title", title,
    ]);
}

/// Creates an invite; returns (its id, its full code, its meetup code).
fn invite(device: &Device, group: &str, extra: &[&str]) -> (String, String, String) {
    let mut args = vec!["invite", "create", group];
    args.extend_from_slice(extra);
    let created = device.json(&args);
    let text = |key: &str| created[key].as_str().unwrap().to_owned();
    (text("id"), text("code"), text("meetup_code"))
}

/// Runs `mutual join` and returns (exit code, stderr).
fn join(device: &Device, code: &str, timeout: &str) -> (i32, String) {
    let run = device.run(&["join", code, "--yes", "--timeout", timeout]);
    (
        run.status.code().unwrap_or(-1),
        run.stderr.trim().to_owned(),
    )
}

/// What a failed join must leave as it was: no group, no known peer.
fn assert_untouched(device: &Device, after: &str) {
    let groups = device.json(&["group", "list"]);
    assert_eq!(groups, Value::Array(Vec::new()), "{after}: groups changed");
    let peers = device.json(&["peers"]);
    assert_eq!(
        peers,
        Value::Array(Vec::new()),
        "{after}: address book changed"
    );
}

fn member_names(device: &Device, group: &str) -> Vec<String> {
    let view = device.json(&["group", "show", group]);
    view["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_new_person_joins_with_a_full_code_and_sees_the_documents() {
    let (alice, bob) = (Device::init("Alice"), Device::init("Bob"));
    let (group, board) = group_with_board(&alice);
    let node = Serving::start(&alice);
    let (_, code, meetup) = invite(&alice, &group, &[]);
    assert!(
        code.len() < 400,
        "the full code is {} characters",
        code.len()
    );
    assert!(meetup.len() <= 30, "the meetup code is {meetup}");

    let joined = bob.json(&["join", &code, "--yes", "--name", "Bobby"]);
    assert_eq!(joined["synced"], true, "{joined}");
    assert_eq!(joined["groups"][0]["name"], "Food co-op");
    // The documents are here when `join` returns: no wait.
    assert_eq!(card_titles(&bob, &board), Some(vec!["vegetables".into()]));
    assert!(member_names(&bob, &group).contains(&"Bobby".to_owned()));
    // And on the inviter's side, the invite is used, and Alice's node knows that Bob's
    // laptop holds everything: nothing is only on hers.
    let invites = alice.json(&["invite", "list", &group]);
    assert_eq!(invites[0]["status"], "used up", "{invites}");
    let status = alice.json(&["status"]);
    let group_status = &status["groups"][0];
    assert_eq!(group_status["unshared"], 0, "{status:#}");
    assert_eq!(group_status["devices"][0]["member"], "Bobby", "{status:#}");
    assert_eq!(group_status["devices"][0]["missing"], 0, "{status:#}");
    assert!(
        group_status["devices"][0]["last_synced"].is_i64(),
        "{status:#}"
    );

    // Bob's laptop kept where it met Alice's (the join ran without `serve`): his own node,
    // mDNS off, reaches hers by itself.
    let peers = bob.json(&["peers"]);
    let alices = peers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["members"][0] == "Alice")
        .unwrap_or_else(|| panic!("Alice is not in Bob's address book: {peers:#}"));
    assert!(
        !alices["addresses"].as_array().unwrap().is_empty(),
        "{peers:#}"
    );
    let alice_id = alices["peer_id"].as_str().unwrap().to_owned();
    let bob_node = Serving::start(&bob);
    bob_node.wait_for("Bob's node meeting Alice's by itself", |e| {
        e["event"] == "session_started" && e["peer"] == alice_id.as_str()
    });
    drop(bob_node);
    drop(node);
}

#[test]
fn a_newcomer_sees_who_is_in_the_group_before_joining_and_no_saves_nothing() {
    let (alice, bob) = (Device::init("Alice"), Device::init("Bob"));
    let (group, _) = group_with_board(&alice);
    let _node = Serving::start(&alice);
    let (_, code, _) = invite(&alice, &group, &[]);

    // Bob looks, reads who is in it and whose laptop answered, and says no.
    let declined = bob.run_with_input(&["join", &code], "n\n");
    assert_eq!(declined.status.code(), Some(11), "{}", declined.stderr);
    assert!(
        declined.stdout.contains("The code opens “Food co-op”")
            && declined.stdout.contains("Alice's device answered")
            && declined
                .stdout
                .contains("Who is in it, by its signed membership log: Alice (admin)."),
        "{}",
        declined.stdout
    );
    assert!(declined.stderr.contains("Not joined: nothing was saved."));
    assert_untouched(&bob, "a join declined");
    assert_eq!(member_names(&alice, &group), ["Alice"]);
    let invites = alice.json(&["invite", "list", &group]);
    assert_eq!(invites[0]["uses"], 0, "{invites}");

    // Without a terminal or an answer nobody joins; with one, Bob does.
    let unanswered = bob.run(&["join", &code]);
    assert_eq!(unanswered.status.code(), Some(2), "{}", unanswered.stderr);
    assert_untouched(&bob, "a join nobody answered");
    let joined = bob.run_with_input(&["join", &code], "y\n");
    assert!(joined.status.success(), "{}", joined.stderr);
    assert_eq!(member_names(&alice, &group), ["Alice", "Bob"]);
}

#[test]
fn a_newcomer_and_its_member_meet_again_by_themselves_after_both_restart() {
    // mDNS is off throughout: only what each node wrote down can bring the two together.
    let (alice, bob) = (Device::init("Alice"), Device::init("Bob"));
    let (group, _) = group_with_board(&alice);
    let alice_node = Serving::start(&alice);
    let (_, code, _) = invite(&alice, &group, &[]);
    let joined = bob.json(&["join", &code, "--yes", "--name", "Bobby"]);
    assert_eq!(joined["synced"], true, "{joined}");
    let alice_id = alice.json(&["status"])["peer_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no peer id in Alice's status"))
        .to_owned();
    let meets_alice =
        |e: &serde_json::Value| e["event"] == "session_started" && e["peer"] == alice_id.as_str();
    let bob_node = Serving::start(&bob);
    bob_node.wait_for("Bob's node meeting Alice's", meets_alice);

    // Both stop, and start again (Alice's first): each listens where it did before, so
    // Bob's node finds Alice's at the address it kept from the join.
    bob_node.stop();
    let port = alice_node.address();
    alice_node.stop();
    let alice_node = Serving::start(&alice);
    assert_eq!(alice_node.address(), port, "Alice's node moved");
    let bob_node = Serving::start(&bob);
    bob_node.wait_for("Bob's node meeting Alice's again by itself", meets_alice);
    drop(bob_node);
    drop(alice_node);
}

#[test]
fn every_failed_join_says_why_with_its_own_exit_code_and_changes_nothing() {
    let (alice, bob) = (Device::init("Alice"), Device::init("Bob"));
    let (group, _) = group_with_board(&alice);

    // Offline inviter, nobody else: no member reachable, with what was tried.
    let (_, code, _) = invite(&alice, &group, &[]);
    let (exit, message) = join(&bob, &code, "3s");
    assert_eq!(exit, 8, "{message}");
    assert!(
        message.contains("no member of the group could be reached"),
        "{message}"
    );
    assert!(message.contains("tried"), "{message}");
    assert_untouched(&bob, "an unreachable group");

    // A typo: one character changed.
    let mut typo: Vec<char> = code.chars().collect();
    typo[10] = if typo[10] == 'X' { 'Y' } else { 'X' };
    let typo: String = typo.into_iter().collect();
    let (exit, message) = join(&bob, &typo, "3s");
    assert_eq!(exit, 3, "{message}");
    assert!(message.contains("mistyped"), "{message}");

    // A code from a newer Mutual.
    let parsed = mutual_codes::Code::parse(&code).unwrap();
    let newer = mutual_codes::encode_with_version(&parsed, 2);
    let (exit, message) = join(&bob, &newer, "3s");
    assert_eq!(exit, 4, "{message}");
    assert!(message.contains("newer version of Mutual"), "{message}");

    let node = Serving::start(&alice);

    // Expired, revoked, used up: one answer for all three, and the one a code no member
    // ever made gets, so that an old code tells nobody which devices hold the group.
    let unusable = |exit: i32, message: &str, what: &str| {
        assert_eq!(exit, 5, "{what}: {message}");
        assert!(
            message.contains("holds a usable invite"),
            "{what}: {message}"
        );
        assert_untouched(&bob, what);
    };
    let (_, expired, _) = invite(&alice, &group, &["--expires", "1s"]);
    std::thread::sleep(Duration::from_millis(1500));
    let (exit, expired_message) = join(&bob, &expired, "20s");
    unusable(exit, &expired_message, "an expired invite");

    let (id, revoked, _) = invite(&alice, &group, &[]);
    alice.ok(&["invite", "revoke", &group, &id]);
    let (exit, message) = join(&bob, &revoked, "20s");
    unusable(exit, &message, "a revoked invite");
    assert_eq!(message, expired_message);

    let carol = Device::init("Carol");
    let (_, once, _) = invite(&alice, &group, &[]);
    // The newcomer is shown whom the code brought her to.
    let joined = carol.ok(&["join", &once, "--yes"]);
    assert!(
        joined.contains("Who is in it, by its signed membership log: Alice (admin)."),
        "{joined}"
    );
    let (exit, message) = join(&bob, &once, "20s");
    unusable(exit, &message, "a used-up invite");
    assert_eq!(message, expired_message);

    // Already a member: Carol again, with a fresh invite.
    let (_, fresh, _) = invite(&alice, &group, &[]);
    let (exit, message) = join(&carol, &fresh, "20s");
    assert_eq!(exit, 9, "{message}");
    assert!(message.contains("already a member"), "{message}");
    drop(node);
}

/// The events `node` emitted so far that match `want`.
fn events_like(node: &Serving, want: impl Fn(&Value) -> bool) -> usize {
    node.said().0.iter().filter(|e| want(e)).count()
}

/// Whether `node`'s last word on its connection with `peer` is that it ended (it was let
/// go and not reconnected).
fn last_disconnected(node: &Serving, peer: &str) -> bool {
    let (events, _) = node.said();
    let last = events
        .iter()
        .rev()
        .find(|e| e["peer"] == peer && (e["event"] == "connected" || e["event"] == "disconnected"))
        .map(|e| e["event"].clone());
    last == Some(Value::from("disconnected"))
}

/// The peer ids `device`'s node counts as connected.
fn connected(device: &Device) -> Vec<String> {
    let status = device.json(&["status"]);
    status["connected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_removed_member_is_told_once_keeps_what_it_had_and_can_no_longer_act() {
    let (alice, bob, carol, dave) = (
        Device::init("Alice"),
        Device::init("Bob"),
        Device::init("Carol"),
        Device::init("Dave"),
    );
    let (group, board) = group_with_board(&alice);
    let alice_node = Serving::start(&alice);
    let address = alice_node.address();
    for who in [&bob, &carol] {
        let (_, code, _) = invite(&alice, &group, &[]);
        who.ok(&["join", &code, "--yes"]);
    }
    let bob_node = Serving::start(&bob);
    let carol_node = Serving::start(&carol);
    bob.ok(&["dial", &address]);
    carol.ok(&["dial", &address]);
    add_card(&alice, &board, "while all are in");
    wait_for_cards(
        &bob,
        "bob",
        &board,
        &["vegetables", "while all are in"],
        &bob_node,
    );
    // Bob invites Dave, while he still may; Dave will try the code later.
    let (_, bobs_code, _) = invite(&bob, &group, &[]);

    // Only admins may invite from now on; Bob, a member, learns it and is refused.
    alice.ok(&["group", "invite-policy", &group, "admins"]);
    let learned = eventually("the policy reaching bob", || {
        (bob.json(&["group", "show", &group])["invite_policy"] == "admins").then_some(())
    });
    assert!(learned.is_some(), "bob never learned the invite policy");
    let refused = bob.fails(&["invite", "create", &group]);
    assert!(refused.contains("admin"), "{refused}");

    // Alice makes Carol an admin, then removes Bob: Bob's node is told, says so once, and
    // the two are disconnected.
    alice.ok(&["group", "set-role", &group, "Carol", "admin"]);
    alice.ok(&["group", "remove-member", &group, "Bob"]);
    let bob_id = bob.peer_id();
    let told = bob_node.wait_for("bob told of his removal", |e| {
        e["event"] == "no_longer_member" && e["group"] == group.as_str()
    });
    assert_eq!(told["ended"]["how"], "removed", "{told}");
    assert_eq!(told["ended"]["by"], "Alice", "{told}");
    alice_node.wait_for("bob disconnected", |e| {
        e["event"] == "disconnected" && e["peer"] == bob_id.as_str()
    });
    add_card(&alice, &board, "after bob left");
    let want = ["vegetables", "while all are in", "after bob left"];
    wait_for_cards(&carol, "carol", &board, &want, &carol_node);

    // A few seconds on: Bob has nothing written after, nobody redialed anybody, and the
    // news was said once.
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        card_titles(&bob, &board),
        Some(vec!["vegetables".into(), "while all are in".into()])
    );
    assert!(
        !connected(&alice).contains(&bob_id),
        "{:?}",
        connected(&alice)
    );
    assert!(connected(&bob).is_empty(), "{:?}", connected(&bob));
    let tellings = events_like(&bob_node, |e| e["event"] == "no_longer_member");
    assert_eq!(tellings, 1, "{:#?}", bob_node.said());

    // Bob's laptop knows: the group shows how it ended, `status` no longer lists it, what
    // he had stays readable, and he can neither invite nor edit.
    let view = bob.json(&["group", "show", &group]);
    assert_eq!(view["ended"]["how"], "removed", "{view}");
    assert!(!member_names(&bob, &group).contains(&"Bob".to_owned()));
    let text = bob.ok(&["group", "show", &group]);
    assert!(
        text.contains("no longer a member of “Food co-op”: Alice removed it"),
        "{text}"
    );
    let listed = bob.ok(&["group", "list"]);
    assert!(listed.contains("(removed,"), "{listed}");
    let status = bob.json(&["status"]);
    assert_eq!(status["groups"], Value::Array(Vec::new()), "{status}");
    for args in [
        vec!["invite", "create", group.as_str()],
        vec![
            "board", "add-card", &board, "--column", "To do", "--title", "sneaky",
        ],
    ] {
        let refused = bob.fails(&args);
        assert!(
            refused.contains("no longer a member of “Food co-op”: Alice removed it"),
            "{args:?}: {refused}"
        );
    }

    // Dave tries the code Bob made before: Bob, the only device it reaches, says it can no
    // longer admit anyone, and Dave's join fails with its own message and code.
    let (code, stderr) = join(&dave, &bobs_code, "8s");
    assert_eq!(code, 10, "{stderr}");
    assert!(stderr.contains("no longer a member"), "{stderr}");
    assert_untouched(&dave, "a join through a removed member");

    // Carol leaves; Alice learns it, Carol's laptop says so and lists the group as left, and
    // the two are let go.
    let carol_id = carol.peer_id();
    carol.ok(&["group", "leave", &group]);
    let left = eventually("carol's leaving reaching alice", || {
        (!member_names(&alice, &group).contains(&"Carol".to_owned())).then_some(())
    });
    assert!(
        left.is_some(),
        "alice still lists carol: {:?}\nalice's node: {:#?}\ncarol's node: {:#?}",
        member_names(&alice, &group),
        alice_node.said(),
        carol_node.said()
    );
    assert_eq!(carol.json(&["status"])["groups"], Value::Array(Vec::new()));
    assert!(carol.ok(&["group", "list"]).contains("(left,"));
    let gone = eventually("carol let go", || {
        (!connected(&alice).contains(&carol_id)).then_some(())
    });
    assert!(gone.is_some(), "{:?}", connected(&alice));
    let carol_gone = eventually("carol's connection closed", || {
        last_disconnected(&alice_node, &carol_id).then_some(())
    });
    assert!(carol_gone.is_some(), "{:#?}", alice_node.said());
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        last_disconnected(&alice_node, &carol_id),
        "{:#?}",
        alice_node.said()
    );
    drop((alice_node, bob_node, carol_node));
}

#[test]
fn a_linked_device_acts_as_its_member_until_unlinked() {
    let alice = Device::init("Alice");
    let laptop = Device::init("Alice's other laptop");
    let (group, board) = group_with_board(&alice);
    let second = alice.ok(&["group", "create", "Tenants' union"]);
    let node = Serving::start(&alice);
    let address = node.address();
    let link = alice.json(&["device", "link"]);
    let code = link["code"].as_str().unwrap();

    // A link code is never taken from the command line (it would stay in the shell's
    // history): refused there, and read from standard input instead.
    let refused = laptop.run(&["join", code, "--yes"]);
    assert_eq!(refused.status.code(), Some(2), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("shell's history"),
        "{}",
        refused.stderr
    );
    assert_untouched(&laptop, "a link code on the command line");
    let run = laptop.run_with_input(&["join", "--yes", "--json"], &format!("{code}\n"));
    assert!(run.status.success(), "{}", run.stderr);
    let joined: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(joined["linked"], true, "{joined}");
    // Linked in both of Alice's groups at once.
    let groups = laptop.json(&["group", "list"]);
    assert_eq!(groups.as_array().map(Vec::len), Some(2), "{groups}");
    assert_eq!(member_names(&laptop, &second), ["Alice"]);
    // One member with two devices, the same on both sides.
    let devices = alice.json(&["device", "list"]);
    assert_eq!(devices.as_array().unwrap().len(), 2, "{devices}");
    assert_eq!(member_names(&laptop, &group), ["Alice"]);
    assert_eq!(
        laptop.json(&["whoami"])["member_id"],
        alice.json(&["whoami"])["member_id"]
    );

    // The laptop edits as Alice.
    let laptop_node = Serving::start(&laptop);
    laptop.ok(&["dial", &address]);
    add_card(&laptop, &board, "from the laptop");
    wait_for_cards(
        &alice,
        "alice",
        &board,
        &["vegetables", "from the laptop"],
        &node,
    );
    let history = alice.json(&["history", &board]);
    let last = history.as_array().unwrap().last().cloned().unwrap();
    assert_eq!(last["member"], "Alice", "{last}");

    // Lost laptop: unlinked, it gets nothing more.
    let laptop_peer = laptop.peer_id();
    alice.ok(&["device", "unlink", &laptop_peer]);
    node.wait_for("the laptop disconnected", |e| {
        e["event"] == "disconnected" && e["peer"] == laptop_peer.as_str()
    });
    add_card(&alice, &board, "after the unlink");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        card_titles(&laptop, &board),
        Some(vec!["from the laptop".into(), "vegetables".into()])
    );
    // The laptop was told, and no longer believes it is an admin.
    let told = laptop_node.wait_for("the laptop told", |e| {
        e["event"] == "no_longer_member" && e["group"] == group.as_str()
    });
    assert_eq!(told["ended"]["how"], "unlinked", "{told}");
    let stranger = Device::init("Mallory");
    for args in [
        vec![
            "group",
            "add-member",
            group.as_str(),
            "--device",
            &stranger.peer_id(),
            "--name",
            "Mallory",
        ],
        vec!["group", "set-role", group.as_str(), "Alice", "member"],
    ] {
        let refused = laptop.fails(&args);
        assert!(
            refused.contains("no longer a member of “Food co-op”: Alice unlinked it"),
            "{args:?}: {refused}"
        );
    }
    drop((node, laptop_node));
}

#[test]
fn a_linked_laptop_goes_by_its_members_name_and_can_join_without_mdns() {
    let alice = Device::init("Alice");
    let laptop = Device::init("Old Thinkpad");
    alice.ok(&["group", "create", "Food co-op"]);
    let node = Serving::start(&alice);
    let link = alice.json(&["device", "link"]);
    let code = link["code"].as_str().unwrap();

    // 1. The full code carries Alice's addresses: no need to look for her by mDNS.
    let run = laptop.run_with_input(&["join", "--yes", "--no-mdns", "--json"], code);
    assert!(run.status.success(), "{}", run.stderr);
    let joined: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(joined["linked"], true, "{joined}");

    // 2. The laptop acts for Alice, and says so: her name, not the one it was given at init.
    let me = laptop.json(&["whoami"]);
    assert_eq!(me["name"], "Alice", "{me}");
    assert_eq!(me["member_id"], alice.json(&["whoami"])["member_id"]);
    let text = laptop.ok(&["whoami"]);
    assert!(
        text.contains("Alice") && !text.contains("Thinkpad"),
        "{text}"
    );
    drop(node);
}

#[test]
fn a_removed_admin_cannot_take_the_founder_down_with_a_counter_removal_and_an_admin_always_remains()
{
    // 1. Alice founds the group and makes Mallory an admin; both have everything.
    let (alice, mallory) = (Device::init("Alice"), Device::init("Mallory"));
    let (group, _) = group_with_board(&alice);
    alice.admit(&group, &mallory, "Mallory");
    alice.ok(&["group", "set-role", &group, "Mallory", "admin"]);
    let alice_node = Serving::start(&alice);
    let mallory_node = Serving::start(&mallory);
    alice.ok(&["dial", &mallory_node.address()]);
    let admin = eventually("Mallory an admin on her laptop", || {
        let run = mallory.run(&["group", "show", &group, "--json"]);
        let view: Value = serde_json::from_str(&run.stdout).ok()?;
        view["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "Mallory" && m["role"] == "admin")
            .then_some(())
    });
    assert!(admin.is_some(), "{:#?}", mallory_node.said());
    mallory_node.stop();

    // 2. While they are apart, Alice removes Mallory, and Mallory, on her own laptop,
    //    removes Alice (or says she did, before): a counter-removal.
    alice.ok(&["group", "remove-member", &group, "Mallory"]);
    mallory.ok(&["group", "remove-member", &group, "Alice"]);

    // 3. They meet again: Alice, who admitted Mallory, is the more senior; her removal holds
    //    and Mallory's does not, on both laptops.
    let mallory_node = Serving::start(&mallory);
    alice.ok(&["dial", &mallory_node.address()]);
    let told = mallory_node.wait_for("Mallory told of her removal", |e| {
        e["event"] == "no_longer_member" && e["group"] == group.as_str()
    });
    assert_eq!(told["ended"]["how"], "removed", "{told}");
    assert_eq!(member_names(&alice, &group), vec!["Alice"]);
    assert_eq!(member_names(&mallory, &group), vec!["Alice"]);

    // 4. The last admin cannot leave a group that still has members, nor demote herself.
    let bob = Device::init("Bob");
    alice.admit(&group, &bob, "Bob");
    for args in [
        vec!["group", "leave", group.as_str()],
        vec!["group", "set-role", group.as_str(), "Alice", "member"],
    ] {
        let refused = alice.fails(&args);
        assert!(refused.contains("no admin"), "{args:?}: {refused}");
    }
    drop(alice_node);
}

/// The role of `name` in `group`, as `device` holds it, and the votes they have to be an
/// admin.
fn role_and_votes(device: &Device, group: &str, name: &str) -> Option<(String, usize)> {
    let run = device.run(&["group", "show", group, "--json"]);
    let view: Value = serde_json::from_str(&run.stdout).ok()?;
    let role = view["members"]
        .as_array()?
        .iter()
        .find(|m| m["name"] == name)?["role"]
        .as_str()?
        .to_owned();
    let votes = view["election"]["candidates"]
        .as_array()?
        .iter()
        .find(|c| c["name"] == name)
        .map_or(0, |c| c["voters"].as_array().map_or(0, Vec::len));
    Some((role, votes))
}

#[test]
fn members_elect_an_admin_when_the_admins_laptop_is_lost_and_members_of_one_members_making_do_not_vote()
 {
    // 1. Alice founds the tenants' union and admits Bob, Carol and Dan: with her, four
    //    electors. Everyone's node gets the group from hers.
    let [alice, bob, carol, dan] = ["Alice", "Bob", "Carol", "Dan"].map(Device::init);
    let (group, _) = group_with_board(&alice);
    for (who, name) in [(&bob, "Bob"), (&carol, "Carol"), (&dan, "Dan")] {
        alice.admit(&group, who, name);
    }
    let alice_node = Serving::start(&alice);
    let nodes: Vec<Serving> = [&bob, &carol, &dan].map(Serving::start).into();
    for (node, who) in nodes.iter().zip([&bob, &carol, &dan]) {
        alice.ok(&["dial", &node.address()]);
        let arrived = eventually("the group on each laptop", || {
            (role_and_votes(who, &group, "Dan")?.0 == "member").then_some(())
        });
        assert!(arrived.is_some(), "{:#?}", node.said());
    }
    // They know each other's addresses from now on.
    bob.ok(&["dial", &nodes[1].address()]);
    bob.ok(&["dial", &nodes[2].address()]);

    // 2. Carol, who wants to run the union, brings two people of her own with her own
    //    invite (any member may invite). They are members, but they do not vote.
    let (_, code, _) = invite(&carol, &group, &["--uses", "2"]);
    for name in ["Puppet one", "Puppet two"] {
        let puppet = Device::init(name);
        puppet.ok(&["join", &code, "--yes"]);
        let refused = puppet.fails(&["group", "vote-admin", &group, "Carol"]);
        assert!(
            refused.contains("only members an admin admitted or invited"),
            "{refused}"
        );
    }

    // 3. Alice's laptop is lost. Carol votes for herself, Bob and Dan for Bob: no
    //    majority (three of four) yet.
    drop(alice_node);
    let said = carol.ok(&["group", "vote-admin", &group, "Carol"]);
    assert_eq!(
        said,
        "Your vote for Carol is in: 1 of the 3 votes that make an admin."
    );
    bob.ok(&["group", "vote-admin", &group, "me"]);
    dan.ok(&["group", "vote-admin", &group, "Bob"]);
    let seen = eventually("Bob's two votes on Carol's laptop", || {
        (role_and_votes(&carol, &group, "Bob")? == ("member".into(), 2)).then_some(())
    });
    assert!(
        seen.is_some(),
        "{:?}",
        role_and_votes(&carol, &group, "Bob")
    );

    // 4. Carol gives in: the third vote makes Bob an admin, on every laptop, and he acts
    //    as one.
    let said = carol.ok(&["group", "vote-admin", &group, "Bob"]);
    assert_eq!(said, "Bob is now an admin.");
    for who in [&bob, &dan] {
        let elected = eventually("Bob an admin", || {
            (role_and_votes(who, &group, "Bob")?.0 == "admin").then_some(())
        });
        assert!(
            elected.is_some(),
            "{:?}",
            role_and_votes(who, &group, "Bob")
        );
    }
    bob.ok(&["group", "remove-member", &group, "Puppet one"]);
    drop(nodes);
}

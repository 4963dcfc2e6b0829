//! Real nodes on simulated networks (network namespaces): the LAN itself (hosts reach each
//! other, a cut cable cuts a host off, healing brings it back, nothing is left behind); a
//! meetup where nodes find each other by mDNS alone; fifteen newcomers joining from one
//! meetup code at once; two networks joined only by a relay; and a stranger's relay, which
//! learns no member and serves no stranger.

// Helpers outside #[test] functions may unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use mutual_tests::netns::{self, Lan};

/// Skips (saying why) only outside CI; in CI a LAN that cannot be built is a failure.
fn lan_or_skip(hosts: usize) -> Option<Lan> {
    lan_or_skip_plugs(&vec![vec![0]; hosts])
}

/// Like [`lan_or_skip`], with hosts plugged into networks as [`Lan::with_plugs`] says.
fn lan_or_skip_plugs(plugs: &[Vec<usize>]) -> Option<Lan> {
    match netns::unavailable() {
        None => Some(Lan::with_plugs(plugs)),
        Some(why) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: {why}");
            None
        }
        Some(why) => panic!("CI must run the LAN tests, but {why}"),
    }
}

const LISTEN: &str = "import socket,sys\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('0.0.0.0',7000));s.listen(8)\nwhile True:\n c,_=s.accept();c.sendall(b'hi');c.close()";
const CONNECT: &str = "import socket,sys\ns=socket.create_connection((sys.argv[1],7000),timeout=2)\nsys.exit(0 if s.recv(2)==b'hi' else 1)";

fn listen(lan: &Lan, host: usize) -> mutual_tests::Stopped {
    let mut command = lan.command(host, Path::new("python3"));
    command
        .args(["-c", LISTEN])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    mutual_tests::Stopped(command.spawn().unwrap())
}

fn reaches(lan: &Lan, from: usize, to: usize) -> bool {
    reaches_within(lan, from, to, 10)
}

/// Whether `from` connects to `to`'s listener in one of `tries` tries (the listener may
/// still be starting).
fn reaches_within(lan: &Lan, from: usize, to: usize, tries: usize) -> bool {
    for _ in 0..tries {
        let ok = lan
            .command(from, Path::new("python3"))
            .args(["-c", CONNECT, &lan.address(to).to_string()])
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        if ok {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

#[test]
fn lan_hosts_reach_each_other_and_a_cut_cable_cuts_one_off_until_healed() {
    let Some(lan) = lan_or_skip(3) else { return };
    let server = listen(&lan, 0);
    assert!(reaches(&lan, 1, 0), "host 1 cannot reach host 0");
    assert!(reaches(&lan, 2, 0), "host 2 cannot reach host 0");
    lan.cut(2);
    assert!(
        !reaches(&lan, 2, 0),
        "host 2 still reaches host 0 with its cable cut"
    );
    assert!(reaches(&lan, 1, 0), "cutting host 2 cut host 1 too");
    lan.heal(2);
    assert!(reaches(&lan, 2, 0), "host 2 is still cut off after healing");
    server.stop();
    let names: Vec<String> = (0..lan.hosts()).map(|i| lan.host_ns(i)).collect();
    drop(lan);
    let left = std::process::Command::new("ip")
        .args(["netns", "list"])
        .output()
        .unwrap();
    let left = String::from_utf8_lossy(&left.stdout);
    for name in names {
        assert!(!left.contains(&name), "namespace {name} was left behind");
    }
}

/// `mutual serve` on a LAN host, killed when dropped (even when the test fails). Its log
/// goes to `serve.log` in its data directory and is printed if the test fails.
struct Serving {
    child: Child,
    log: std::path::PathBuf,
}

impl Drop for Serving {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Where each thread of the process is waiting, to explain a serve that hung.
            let pid = self.child.id();
            let state = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let state = state
                .lines()
                .find(|l| l.starts_with("State"))
                .unwrap_or("State: gone");
            eprintln!(
                "--- serve pid {pid}: {state}, exit: {:?}",
                self.child.try_wait()
            );
            if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
                for task in tasks.flatten() {
                    let read =
                        |f: &str| std::fs::read_to_string(task.path().join(f)).unwrap_or_default();
                    eprintln!(
                        "    {} waits in {}",
                        read("comm").trim(),
                        read("wchan").trim()
                    );
                }
            }
        }
        let _ = self.child.kill();
        let ended = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!("--- {} (ended: {ended:?}):\n{log}", self.log.display());
        }
    }
}

fn serve(lan: &Lan, host: usize, device: &mutual_tests::Device, args: &[&str]) -> Serving {
    let log = device.dir().join("serve.log");
    // Through a shell that notes in the log that it started, then becomes mutual (`exec`):
    // the child is mutual itself, so killing it (or the test's process group) stops it,
    // instead of a shell whose mutual would live on in a deleted namespace.
    let child = lan
        .command(host, Path::new("/bin/sh"))
        .arg("-c")
        .arg("echo started >&2; exec \"$0\" \"$@\"")
        .arg(mutual_tests::mutual_bin())
        .arg("--data-dir")
        .arg(device.dir())
        .arg("serve")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    Serving { child, log }
}

/// Polls `check` until it holds; generous, since CI has two cores. Never a timing assertion:
/// only "it happened at all".
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..240 {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    panic!("{what} did not happen within two minutes");
}

fn board(device: &mutual_tests::Device, doc: &str) -> Option<serde_json::Value> {
    let run = device.run(&["doc", "show", doc, "--json"]);
    run.status
        .success()
        .then(|| serde_json::from_str(&run.stdout).ok())
        .flatten()
}

fn cards(device: &mutual_tests::Device, doc: &str) -> Vec<String> {
    board(device, doc)
        .map(|b| {
            b["columns"][0]["cards"]
                .as_array()
                .map(|cards| {
                    cards
                        .iter()
                        .map(|c| c["title"].as_str().unwrap_or_default().to_owned())
                        .collect()
                })
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

/// `device`'s group `name` with a board "Repairs" whose "To do" column holds `card`;
/// returns (group, board).
fn group_with_board(device: &mutual_tests::Device, name: &str, card: &str) -> (String, String) {
    let group = device.ok(&["group", "create", name]);
    let doc = device.ok(&[
        "doc", "create", &group, "--kind", "board", "--title", "Repairs",
    ]);
    device.ok(&["board", "add-column", &doc, "To do"]);
    device.ok(&[
        "board", "add-card", &doc, "--column", "To do", "--title", card,
    ]);
    (group, doc)
}

#[test]
fn at_a_meetup_nodes_find_each_other_by_mdns_sync_and_converge_after_a_cut() {
    use mutual_tests::Device;
    let Some(lan) = lan_or_skip(3) else { return };
    let (alice, bob, carol) = (
        Device::init("Alice"),
        Device::init("Bob"),
        Device::init("Carol"),
    );

    // 1. Alice's group and board; Bob and Carol are added by their peer ids.
    let (group, doc) = group_with_board(&alice, "Tenants", "hall light");
    for (who, name) in [(&bob, "Bob"), (&carol, "Carol")] {
        alice.admit(&group, who, name);
    }

    // 2. Everyone serves on the hall's LAN: mDNS only, nobody dials anybody.
    let _servers = [
        serve(&lan, 0, &alice, &[]),
        serve(&lan, 1, &bob, &[]),
        serve(&lan, 2, &carol, &[]),
    ];
    for (who, name) in [(&bob, "bob"), (&carol, "carol")] {
        eventually(&format!("{name} receiving the board"), || {
            cards(who, &doc) == ["hall light"]
        });
    }

    // 3. An edit while everyone is connected spreads.
    alice.ok(&[
        "board", "add-card", &doc, "--column", "To do", "--title", "boiler",
    ]);
    eventually("the live edit reaching everyone", || {
        [&bob, &carol].iter().all(|d| cards(d, &doc).len() == 2)
    });

    // 4. Carol's cable is cut; both sides edit; the cable returns; all converge.
    lan.cut(2);
    alice.ok(&[
        "board",
        "add-card",
        &doc,
        "--column",
        "To do",
        "--title",
        "while apart (alice)",
    ]);
    carol.ok(&[
        "board",
        "add-card",
        &doc,
        "--column",
        "To do",
        "--title",
        "while apart (carol)",
    ]);
    lan.heal(2);
    eventually("all three converging after the cut", || {
        let all: Vec<_> = [&alice, &bob, &carol]
            .iter()
            .map(|d| board(d, &doc))
            .collect();
        all[0]
            .as_ref()
            .is_some_and(|b| b["columns"][0]["cards"].as_array().map(Vec::len) == Some(4))
            && all.windows(2).all(|pair| pair[0] == pair[1])
    });
}

#[test]
fn members_on_two_networks_sync_through_a_relay_that_holds_none_of_their_data() {
    use mutual_tests::Device;
    // Host 0 is on both networks (say, a laptop on the hall's Wi-Fi and on a phone's
    // hotspot); Alice is only on network 0, Bob only on network 1. No host forwards packets.
    let Some(lan) = lan_or_skip_plugs(&[vec![0, 1], vec![0], vec![1]]) else {
        return;
    };
    let probe = listen(&lan, 1);
    // Host 0 reaching the listener shows it is up; then Bob must not.
    assert!(reaches(&lan, 0, 1), "host 0 cannot reach Alice's network");
    let apart = !reaches_within(&lan, 2, 1, 1);
    probe.stop();
    assert!(
        apart,
        "the two networks are not apart: Bob reaches Alice directly"
    );

    let (relay, alice, bob) = (
        Device::init("Relay"),
        Device::init("Alice"),
        Device::init("Bob"),
    );
    let (group, doc) = group_with_board(&alice, "Strike committee", "banners");
    alice.admit(&group, &bob, "Bob");

    // The relay is no member of the group (a relay host, serving anyone). Alice and Bob each
    // listen through it, from their own network; nobody dials the other, and mDNS is off.
    let relay_id = relay.peer_id();
    let through = |n: usize| format!("/ip4/{}/tcp/4001/p2p/{relay_id}", lan.address_on(0, n));
    let _servers = [
        serve(
            &lan,
            0,
            &relay,
            &[
                "--no-mdns",
                "--listen",
                "/ip4/0.0.0.0/tcp/4001",
                "--relay-for-anyone",
            ],
        ),
        serve(&lan, 1, &alice, &["--no-mdns", "--relay", &through(0)]),
        serve(&lan, 2, &bob, &["--no-mdns", "--relay", &through(1)]),
    ];
    eventually("bob receiving the board through the relay", || {
        cards(&bob, &doc) == ["banners"]
    });
    bob.ok(&[
        "board", "add-card", &doc, "--column", "To do", "--title", "flasks",
    ]);
    eventually("alice receiving bob's card through the relay", || {
        cards(&alice, &doc).len() == 2
    });
    let groups = relay.json(&["group", "list"]);
    assert_eq!(
        groups.as_array().map(Vec::len),
        Some(0),
        "the relay holds a group: {groups}"
    );
}

#[test]
fn a_newcomer_joins_with_a_meetup_code_admitted_by_a_member_after_the_inviter_left() {
    use mutual_tests::Device;
    let Some(lan) = lan_or_skip(3) else { return };
    let (alice, bob, carol) = (
        Device::init("Alice"),
        Device::init("Bob"),
        Device::init("Carol"),
    );
    let (group, doc) = group_with_board(&alice, "Tenants' union", "stairwell");
    alice.admit(&group, &bob, "Bob");

    // Alice and Bob meet in the hall; Alice makes a meetup code, which reaches Bob too.
    let alice_node = serve(&lan, 0, &alice, &[]);
    let _bob_node = serve(&lan, 1, &bob, &[]);
    eventually("bob receiving the board", || {
        cards(&bob, &doc) == ["stairwell"]
    });
    let created = alice.json(&["invite", "create", &group]);
    let (id, meetup) = (
        created["id"].as_str().unwrap().to_owned(),
        created["meetup_code"].as_str().unwrap().to_owned(),
    );
    assert!(meetup.len() <= 30, "{meetup}");
    eventually("bob learning of the invite", || {
        let invites = bob.json(&["invite", "list", &group]);
        invites
            .as_array()
            .is_some_and(|all| all.iter().any(|i| i["id"] == id.as_str()))
    });

    // Alice goes home. Carol arrives and types the code: mDNS finds Bob, who admits her.
    drop(alice_node);
    let started = std::time::Instant::now();
    let joined = lan
        .command(2, mutual_tests::mutual_bin())
        .arg("--data-dir")
        .arg(carol.dir())
        .args([
            "join",
            &meetup.to_lowercase(),
            "--yes",
            "--timeout",
            "90s",
            "--json",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        joined.status.success(),
        "carol's join failed: {}",
        String::from_utf8_lossy(&joined.stderr)
    );
    // A figure, not a test: how long a person waits at the door.
    eprintln!("carol joined and synced in {:?}", started.elapsed());
    let joined: serde_json::Value = serde_json::from_slice(&joined.stdout).unwrap();
    assert_eq!(joined["synced"], true, "{joined}");
    assert_eq!(cards(&carol, &doc), ["stairwell"]);
    let members = carol.json(&["group", "show", &group]);
    let names: Vec<&str> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert_eq!(names, ["Alice", "Bob", "Carol"]);
}

#[test]
fn fifteen_newcomers_typing_the_meetup_code_at_the_same_moment_all_join() {
    use mutual_tests::Device;
    const NEWCOMERS: usize = 15;
    let Some(lan) = lan_or_skip(NEWCOMERS + 1) else {
        return;
    };
    // Alice's node runs in the hall; she reads a meetup code aloud, good for 15 people.
    let alice = Device::init("Alice");
    let (group, doc) = group_with_board(&alice, "Tenants' union", "stairwell");
    let _alice_node = serve(&lan, 0, &alice, &[]);
    let uses = NEWCOMERS.to_string();
    let created = alice.json(&["invite", "create", &group, "--uses", &uses]);
    let meetup = created["meetup_code"].as_str().unwrap().to_lowercase();

    // Fifteen people type it at the same moment, each on their own laptop (mDNS only).
    let newcomers: Vec<Device> = (1..=NEWCOMERS)
        .map(|i| Device::init(&format!("Neighbour {i}")))
        .collect();
    let started = std::time::Instant::now();
    let joins: Vec<mutual_tests::Stopped> = newcomers
        .iter()
        .enumerate()
        .map(|(i, device)| {
            let child = lan
                .command(i + 1, mutual_tests::mutual_bin())
                .arg("--data-dir")
                .arg(device.dir())
                .args(["join", &meetup, "--yes", "--timeout", "150s", "--json"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            mutual_tests::Stopped(child)
        })
        .collect();
    let mut failed = Vec::new();
    for (i, join) in joins.into_iter().enumerate() {
        let output = join.finish();
        if !output.status.success() {
            failed.push(format!(
                "Neighbour {}: {}",
                i + 1,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    // A figure, not a test: how long the last person waited at the door.
    eprintln!("{NEWCOMERS} joins done in {:?}", started.elapsed());
    assert!(
        failed.is_empty(),
        "{} joins failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
    for device in &newcomers {
        assert_eq!(cards(device, &doc), ["stairwell"]);
    }
    let members = alice.json(&["group", "show", &group]);
    assert_eq!(
        members["members"].as_array().map(Vec::len),
        Some(NEWCOMERS + 1),
        "{members}"
    );

    // Both sides keep where they met: each newcomer knows where Alice's node is, and Alice's
    // node where each newcomer said it listens (its own LAN address), on the port it keeps.
    let alices = alice.json(&["whoami"])["peer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let book = alice.json(&["peers"]);
    for (i, device) in newcomers.iter().enumerate() {
        let theirs = device.json(&["peers"]);
        assert!(
            knows_an_address_of(&theirs, &alices),
            "Neighbour {}: {theirs:#}",
            i + 1
        );
        let me = device.json(&["whoami"])["peer_id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            knows_an_address_of(&book, &me),
            "Neighbour {}: {book:#}",
            i + 1
        );
        let lan_address = lan.address(i + 1).to_string();
        let row = book
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["peer_id"] == me.as_str());
        let addresses = row.map(|p| p["addresses"].to_string()).unwrap_or_default();
        assert!(addresses.contains(&lan_address), "{addresses}");
    }
    // And the first newcomer's node, started later, listens where Alice's book says.
    let first = &newcomers[0];
    let _first_node = serve(&lan, 1, first, &[]);
    let me = first.json(&["whoami"])["peer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let row = book
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["peer_id"] == me.as_str());
    let kept: Vec<String> = row.unwrap()["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect();
    eventually(
        "the first newcomer's node listening where Alice's book says",
        || {
            let status = first.json(&["status"]);
            status["listening"].as_array().is_some_and(|listening| {
                listening
                    .iter()
                    .filter_map(|a| a.as_str())
                    .any(|a| kept.iter().any(|k| a.starts_with(k.as_str())))
            })
        },
    );
}

/// Whether `peers` (`mutual peers --json`) holds `peer` with at least one address.
fn knows_an_address_of(peers: &serde_json::Value, peer: &str) -> bool {
    peers.as_array().is_some_and(|all| {
        all.iter().any(|p| {
            p["peer_id"] == peer && p["addresses"].as_array().is_some_and(|a| !a.is_empty())
        })
    })
}

/// What a node has said so far (its log: human events on stderr).
fn said(device: &mutual_tests::Device) -> String {
    std::fs::read_to_string(device.dir().join("serve.log")).unwrap_or_default()
}

#[test]
fn a_stranger_that_relays_learns_no_member_and_relays_for_no_stranger() {
    use mutual_tests::Device;
    let Some(lan) = lan_or_skip(2) else {
        return;
    };
    // Alice's group has Bob, whose laptop is off: her node looks for him, through relays.
    // Mallory, on the same network, is no member; his node relays (on a real address, so
    // it offers relaying).
    let (alice, bob, mallory) = (
        Device::init("Alice"),
        Device::init("Bob"),
        Device::init("Mallory"),
    );
    let (group, _doc) = group_with_board(&alice, "Tenants' union", "rent");
    alice.admit(&group, &bob, "Bob");
    let (alice_id, bob_id, mallory_id) = (alice.peer_id(), bob.peer_id(), mallory.peer_id());
    let mallory_address = format!("/ip4/{}/tcp/4001/p2p/{mallory_id}", lan.address(0));
    let mallory_serves = |extra: &[&str]| {
        let mut args = vec!["--no-mdns", "--listen", "/ip4/0.0.0.0/tcp/4001"];
        args.extend_from_slice(extra);
        serve(&lan, 0, &mallory, &args)
    };

    // 1. Alice's node connects to Mallory's: it never asks Mallory to connect it to Bob
    //    (the request would tell Mallory who the members are).
    let mallory_node = mallory_serves(&[]);
    let alice_node = serve(&lan, 1, &alice, &["--no-mdns"]);
    eventually("alice's node connected to mallory's", || {
        alice.run(&["dial", &mallory_address]).status.success()
    });
    std::thread::sleep(Duration::from_secs(8));
    let heard = said(&mallory);
    assert!(
        heard.contains(&alice_id) && !heard.contains(&bob_id),
        "mallory learned bob's device ({bob_id}):\n{heard}"
    );
    drop(alice_node);

    // 2. Mallory's node relays for the devices of its own groups only: Alice, a stranger to
    //    it, is refused a reservation...
    let _alice_node = serve(&lan, 1, &alice, &["--no-mdns", "--relay", &mallory_address]);
    eventually("mallory refusing to relay for alice", || {
        said(&mallory).contains(&format!("refused to relay for {alice_id}"))
    });
    assert!(!said(&mallory).contains(&format!("relaying for {alice_id}")));
    drop(mallory_node);

    // 3. ...unless it serves anyone, as a relay host does (`--relay-for-anyone`).
    let _mallory_node = mallory_serves(&["--relay-for-anyone"]);
    eventually("mallory relaying for alice", || {
        said(&mallory).contains(&format!("relaying for {alice_id}"))
    });
}

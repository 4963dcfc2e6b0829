//! The simulated LAN itself: hosts reach each other, a cut cable cuts a host off, healing
//! brings it back, and nothing is left behind. (The meetup test over it comes with `serve`.)

// Helpers outside #[test] functions may unwrap too: a failure is the test failing.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use mutual_tests::netns::{self, Lan};

/// Skips (saying why) only outside CI; in CI a LAN that cannot be built is a failure.
fn lan_or_skip(hosts: usize) -> Option<Lan> {
    match netns::unavailable() {
        None => Some(Lan::new(hosts)),
        Some(why) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: {why}");
            None
        }
        Some(why) => panic!("CI must run the LAN tests, but {why}"),
    }
}

const LISTEN: &str = "import socket,sys\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('0.0.0.0',7000));s.listen(8)\nwhile True:\n c,_=s.accept();c.sendall(b'hi');c.close()";
const CONNECT: &str = "import socket,sys\ns=socket.create_connection((sys.argv[1],7000),timeout=2)\nsys.exit(0 if s.recv(2)==b'hi' else 1)";

fn listen(lan: &Lan, host: usize) -> Child {
    let mut command = lan.command(host, Path::new("python3"));
    command
        .args(["-c", LISTEN])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command.spawn().unwrap()
}

fn reaches(lan: &Lan, from: usize, to: usize) -> bool {
    // The listener may still be starting: try a few times before saying no.
    for _ in 0..10 {
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
    let mut server = listen(&lan, 0);
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
    server.kill().unwrap();
    server.wait().unwrap();
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
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!("--- {}:\n{log}", self.log.display());
        }
    }
}

fn serve(lan: &Lan, host: usize, device: &mutual_tests::Device) -> Serving {
    let log = device.dir().join("serve.log");
    // Through a shell that notes in the log when mutual started and how it ended, so that a
    // failure says whether the node ever ran.
    let child = lan
        .command(host, Path::new("/bin/sh"))
        .arg("-c")
        .arg("echo started >&2; \"$0\" \"$@\"; echo \"exited $?\" >&2")
        .arg(mutual_tests::mutual_bin())
        .arg("--data-dir")
        .arg(device.dir())
        .arg("serve")
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
    let group = alice.ok(&["group", "create", "Tenants"]);
    let doc = alice.ok(&[
        "doc", "create", &group, "--kind", "board", "--title", "Repairs",
    ]);
    alice.ok(&["board", "add-column", &doc, "To do"]);
    alice.ok(&[
        "board",
        "add-card",
        &doc,
        "--column",
        "To do",
        "--title",
        "hall light",
    ]);
    for (who, name) in [(&bob, "Bob"), (&carol, "Carol")] {
        let peer = who.json(&["whoami"])["peer_id"]
            .as_str()
            .unwrap()
            .to_owned();
        alice.ok(&[
            "group",
            "add-member",
            &group,
            "--device",
            &peer,
            "--name",
            name,
        ]);
    }

    // 2. Everyone serves on the hall's LAN: mDNS only, nobody dials anybody.
    let _servers = [
        serve(&lan, 0, &alice),
        serve(&lan, 1, &bob),
        serve(&lan, 2, &carol),
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

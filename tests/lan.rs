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

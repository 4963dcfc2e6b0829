//! A simulated LAN for tests: one network namespace holding a bridge, and one namespace per
//! host with a veth cable to the bridge, the way a community hall's Wi-Fi router joins a
//! few laptops. Programs run on a host with [`Lan::command`]; a host's cable is cut and
//! restored with [`Lan::cut`] / [`Lan::heal`]. Everything is deleted on drop.
//!
//! Needs root (CI runs as root). Nothing is created in, or sent from, the root namespace:
//! mDNS and every test packet stay inside the namespaces this creates.

use std::net::Ipv4Addr;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A bridge and `hosts` hosts on 10.203.0.0/24 (host `i` is 10.203.0.(11 + i)).
#[derive(Debug)]
pub struct Lan {
    prefix: String,
    hosts: usize,
}

/// Why the LAN cannot be made here, if it cannot.
pub fn unavailable() -> Option<String> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if !root {
        return Some("network namespaces need root".into());
    }
    if Command::new("ip").arg("-V").output().is_err() {
        return Some("the `ip` command (iproute2) is not installed".into());
    }
    None
}

/// Runs `ip ARGS`, panicking with its stderr if it fails.
fn ip(args: &[&str]) {
    let output = Command::new("ip").args(args).output().expect("ip runs");
    assert!(
        output.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Lan {
    /// Builds the LAN. Names carry this process id and a counter, so that concurrent tests
    /// (and leftovers of a killed run) never collide.
    pub fn new(hosts: usize) -> Lan {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let prefix = format!(
            "mt{}x{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let lan = Lan { prefix, hosts };
        let bridge = lan.bridge_ns();
        ip(&["netns", "add", &bridge]);
        ip(&["-n", &bridge, "link", "set", "lo", "up"]);
        ip(&["-n", &bridge, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &bridge, "link", "set", "br0", "up"]);
        for i in 0..hosts {
            let host = lan.host_ns(i);
            let port = format!("h{i}");
            ip(&["netns", "add", &host]);
            ip(&["-n", &host, "link", "set", "lo", "up"]);
            ip(&[
                "-n", &bridge, "link", "add", &port, "type", "veth", "peer", "name", "eth0",
                "netns", &host,
            ]);
            ip(&["-n", &bridge, "link", "set", &port, "master", "br0"]);
            ip(&["-n", &bridge, "link", "set", &port, "up"]);
            let address = format!("{}/24", lan.address(i));
            ip(&["-n", &host, "addr", "add", &address, "dev", "eth0"]);
            ip(&["-n", &host, "link", "set", "eth0", "up"]);
            // mDNS sends to 224.0.0.251: route multicast out of the LAN cable.
            ip(&["-n", &host, "route", "add", "224.0.0.0/4", "dev", "eth0"]);
        }
        lan
    }

    /// How many hosts there are.
    pub fn hosts(&self) -> usize {
        self.hosts
    }

    fn bridge_ns(&self) -> String {
        format!("{}-br", self.prefix)
    }

    /// The network namespace of host `i`.
    pub fn host_ns(&self, i: usize) -> String {
        format!("{}-h{i}", self.prefix)
    }

    /// Host `i`'s address on the LAN.
    pub fn address(&self, i: usize) -> Ipv4Addr {
        let last = u8::try_from(11 + i).expect("fewer than 244 hosts");
        Ipv4Addr::new(10, 203, 0, last)
    }

    /// `program ARGS` to be run on host `i`.
    pub fn command(&self, i: usize, program: &std::path::Path) -> Command {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.host_ns(i)])
            .arg(program);
        command
    }

    /// Unplugs host `i` from the LAN.
    pub fn cut(&self, i: usize) {
        ip(&[
            "-n",
            &self.bridge_ns(),
            "link",
            "set",
            &format!("h{i}"),
            "down",
        ]);
    }

    /// Plugs host `i` back in.
    pub fn heal(&self, i: usize) {
        ip(&[
            "-n",
            &self.bridge_ns(),
            "link",
            "set",
            &format!("h{i}"),
            "up",
        ]);
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        // Deleting a namespace deletes its veth ends too. Best effort: a failure here must
        // not hide the test's own outcome.
        for i in 0..self.hosts {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.host_ns(i)])
                .output();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.bridge_ns()])
            .output();
    }
}

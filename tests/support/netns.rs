//! A simulated LAN for tests: a network namespace holding a bridge per network, and one
//! namespace per host with a veth cable to each network it is on, the way a community hall's
//! Wi-Fi router joins a few laptops. Programs run on a host with [`Lan::command`]; a host's cable is cut and
//! restored with [`Lan::cut`] / [`Lan::heal`]. Everything is deleted on drop.
//!
//! Needs root (CI runs as root). Nothing is created in, or sent from, the root namespace:
//! mDNS and every test packet stay inside the namespaces this creates.

use std::net::Ipv4Addr;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// Bridged networks and hosts plugged into them. Network `n` is 10.(203 + n).0.0/24 and
/// host `i` is .(11 + i) on each network it is plugged into. Hosts do not forward packets:
/// a host on two networks joins them only through what runs on it (e.g. a relay).
#[derive(Debug)]
pub struct Lan {
    prefix: String,
    /// For each host, the networks it is plugged into (its `eth0`, `eth1`... in order).
    plugs: Vec<Vec<usize>>,
    networks: usize,
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
    /// One network with `hosts` hosts.
    pub fn new(hosts: usize) -> Lan {
        Lan::with_plugs(&vec![vec![0]; hosts])
    }

    /// Hosts plugged as `plugs` says: `plugs[i]` lists the networks host `i` is on. Names
    /// carry this process id and a counter, so that concurrent tests (and leftovers of a
    /// killed run) never collide.
    pub fn with_plugs(plugs: &[Vec<usize>]) -> Lan {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let prefix = format!(
            "mt{}x{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let networks = plugs.iter().flatten().max().map_or(0, |n| n + 1);
        let lan = Lan {
            prefix,
            plugs: plugs.to_vec(),
            networks,
        };
        for n in 0..networks {
            let bridge = lan.bridge_ns(n);
            ip(&["netns", "add", &bridge]);
            ip(&["-n", &bridge, "link", "set", "lo", "up"]);
            ip(&["-n", &bridge, "link", "add", "br0", "type", "bridge"]);
            ip(&["-n", &bridge, "link", "set", "br0", "up"]);
        }
        for (i, networks) in plugs.iter().enumerate() {
            let host = lan.host_ns(i);
            ip(&["netns", "add", &host]);
            ip(&["-n", &host, "link", "set", "lo", "up"]);
            for (k, &n) in networks.iter().enumerate() {
                let (bridge, port, eth) = (lan.bridge_ns(n), format!("h{i}"), format!("eth{k}"));
                ip(&[
                    "-n", &bridge, "link", "add", &port, "type", "veth", "peer", "name", &eth,
                    "netns", &host,
                ]);
                ip(&["-n", &bridge, "link", "set", &port, "master", "br0"]);
                ip(&["-n", &bridge, "link", "set", &port, "up"]);
                let address = format!("{}/24", lan.address_on(i, n));
                ip(&["-n", &host, "addr", "add", &address, "dev", &eth]);
                ip(&["-n", &host, "link", "set", &eth, "up"]);
            }
            // mDNS sends to 224.0.0.251: route multicast out of the first cable.
            if !networks.is_empty() {
                ip(&["-n", &host, "route", "add", "224.0.0.0/4", "dev", "eth0"]);
            }
        }
        lan
    }

    /// How many hosts there are.
    pub fn hosts(&self) -> usize {
        self.plugs.len()
    }

    fn bridge_ns(&self, network: usize) -> String {
        format!("{}-br{network}", self.prefix)
    }

    /// The network namespace of host `i`.
    pub fn host_ns(&self, i: usize) -> String {
        format!("{}-h{i}", self.prefix)
    }

    /// Host `i`'s address on its first network.
    pub fn address(&self, i: usize) -> Ipv4Addr {
        self.address_on(i, self.plugs[i][0])
    }

    /// Host `i`'s address on network `n`.
    pub fn address_on(&self, i: usize, n: usize) -> Ipv4Addr {
        let last = u8::try_from(11 + i).expect("fewer than 244 hosts");
        let net = u8::try_from(203 + n).expect("fewer than 53 networks");
        Ipv4Addr::new(10, net, 0, last)
    }

    /// `program ARGS` to be run on host `i`.
    pub fn command(&self, i: usize, program: &std::path::Path) -> Command {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.host_ns(i)])
            .arg(program);
        command
    }

    /// Unplugs host `i` from every network it is on.
    pub fn cut(&self, i: usize) {
        self.set_ports(i, "down");
    }

    /// Plugs host `i` back in.
    pub fn heal(&self, i: usize) {
        self.set_ports(i, "up");
    }

    fn set_ports(&self, i: usize, state: &str) {
        for &n in &self.plugs[i] {
            ip(&[
                "-n",
                &self.bridge_ns(n),
                "link",
                "set",
                &format!("h{i}"),
                state,
            ]);
        }
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        // Deleting a namespace deletes its veth ends too. Best effort: a failure here must
        // not hide the test's own outcome.
        for i in 0..self.hosts() {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.host_ns(i)])
                .output();
        }
        for n in 0..self.networks {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.bridge_ns(n)])
                .output();
        }
    }
}

//! The Mutual side: the real `mutual` binary as child processes, and real runtimes (store,
//! sync engine, libp2p swarm) in this process where a scenario times events inside a node.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use mutual_node::Node;
use mutual_node::runtime::{
    Config, Event, Handle, Multiaddr, NetConfig, Request, Response, Runtime, RuntimeError,
};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::js::tail;

/// How long any one wait may take before the scenario fails.
pub(crate) const PATIENCE: Duration = Duration::from_secs(600);

// ---- the binary ------------------------------------------------------------------------

/// The `mutual` binary.
#[derive(Debug, Clone)]
pub(crate) struct Cli {
    bin: PathBuf,
}

impl Cli {
    pub(crate) fn new(bin: PathBuf) -> Result<Cli> {
        if !bin.is_file() {
            bail!(
                "no mutual binary at {} (build it with cargo build -p mutual-cli)",
                bin.display()
            );
        }
        Ok(Cli { bin })
    }

    pub(crate) fn command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(&self.bin);
        command.arg("--data-dir").arg(dir).args(args);
        command
    }

    /// Runs one command to the end; returns its standard output.
    pub(crate) fn run(&self, dir: &Path, args: &[&str]) -> Result<String> {
        let output = self
            .command(dir, args)
            .stdin(Stdio::null())
            .output()
            .context("running mutual")?;
        if !output.status.success() {
            bail!(
                "mutual {} failed ({}): {}",
                args.join(" "),
                output.status,
                tail(&String::from_utf8_lossy(&output.stderr))
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// Runs one command and times it, start of the process to its end.
    pub(crate) fn timed(&self, dir: &Path, args: &[&str]) -> Result<(String, Duration)> {
        let started = Instant::now();
        let out = self.run(dir, args)?;
        Ok((out, started.elapsed()))
    }

    /// Starts `mutual serve` on 127.0.0.1 (TCP, no mDNS) and waits until it listens.
    pub(crate) fn serve(&self, dir: &Path) -> Result<Serving> {
        let mut child = self
            .command(
                dir,
                &[
                    "serve",
                    "--listen",
                    "/ip4/127.0.0.1/tcp/0",
                    "--no-mdns",
                    "--json-events",
                ],
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting mutual serve")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (events, received) = std_mpsc::channel();
        // Drains the pipe, so that the node never blocks on it.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let event = serde_json::from_str(&line).unwrap_or(Value::Null);
                if events.send(event).is_err() {
                    break;
                }
            }
        });
        let mut serving = Serving {
            child,
            events: received,
            address: String::new(),
        };
        let listening = serving.wait_for("a listen address", |e| e["event"] == "listening")?;
        serving.address = listening["address"]
            .as_str()
            .context("a listen address that is no string")?
            .to_owned();
        Ok(serving)
    }
}

/// A running `mutual serve`, killed when dropped.
#[derive(Debug)]
pub(crate) struct Serving {
    child: Child,
    events: std_mpsc::Receiver<Value>,
    /// Its listen address, with `/p2p/PEER_ID`.
    pub(crate) address: String,
}

impl Serving {
    /// Waits for the next event that `want` picks.
    pub(crate) fn wait_for(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Result<Value> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) if want(&event) => return Ok(event),
                Ok(_) => {}
                Err(_) => bail!("mutual serve never reported {what}"),
            }
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- a runtime in this process ---------------------------------------------------------

/// A device online in this process: a real runtime over a real store, listening on
/// 127.0.0.1 (TCP, no mDNS), run in a task until stopped.
#[derive(Debug)]
pub(crate) struct Peer {
    pub(crate) address: Multiaddr,
    pub(crate) handle: Handle,
    events: mpsc::Receiver<Event>,
    stop: oneshot::Sender<()>,
    run: JoinHandle<Result<(), RuntimeError>>,
}

impl Peer {
    /// Starts the runtime of the node in `dir`; returns once it listens.
    pub(crate) async fn start(dir: &Path) -> Result<Peer> {
        let node = Node::open(dir).context("opening a node")?;
        let config = Config {
            net: NetConfig {
                listen: vec!["/ip4/127.0.0.1/tcp/0".parse()?],
                mdns: false,
                relay_server: false,
                // A new port at each start, not the one kept: scenarios put a link between
                // peers, and a peer that knew the old address would go around it.
                preferred_port: Some(0),
                ..NetConfig::default()
            },
            relays: Vec::new(),
            ephemeral_book: false,
        };
        let (runtime, events) = Runtime::new(node, &config)?;
        let handle = runtime.handle();
        let (stop, stopped) = oneshot::channel::<()>();
        let run = tokio::spawn(runtime.run(async {
            let _ = stopped.await;
        }));
        let mut peer = Peer {
            address: Multiaddr::empty(),
            handle,
            events,
            stop,
            run,
        };
        let (listening, _) = peer
            .wait_for("listening", |e| matches!(e, Event::Listening { .. }))
            .await?;
        if let Event::Listening { address } = listening {
            peer.address = address.parse()?;
        }
        Ok(peer)
    }

    /// Waits for the next event that `want` picks; returns it and when it was received.
    pub(crate) async fn wait_for(
        &mut self,
        what: &str,
        want: impl Fn(&Event) -> bool,
    ) -> Result<(Event, Instant)> {
        let found = tokio::time::timeout(PATIENCE, async {
            while let Some(event) = self.events.recv().await {
                if want(&event) {
                    return Some((event, Instant::now()));
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(found)) => Ok(found),
            Ok(None) => bail!("the runtime stopped before {what}"),
            Err(_) => bail!("the runtime never reported {what}"),
        }
    }

    /// Forgets the events reported so far (so that a wait sees only what comes next).
    pub(crate) fn drain(&mut self) {
        while self.events.try_recv().is_ok() {}
    }

    /// Dials `address` and waits until connected.
    pub(crate) async fn dial(&self, address: &Multiaddr) -> Result<()> {
        let request = Request::Dial {
            address: address.to_string(),
        };
        match self.handle.request(request).await {
            Some(Response::Dialed { .. }) => Ok(()),
            other => Err(anyhow!("dialing {address}: {other:?}")),
        }
    }

    /// Runs `f` on the node inside the runtime (an edit is then spread to members).
    pub(crate) async fn with_node<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Node) -> T + Send + 'static,
    ) -> Result<T> {
        self.handle
            .with_node(f)
            .await
            .context("the runtime stopped")
    }

    /// Stops the runtime (the store is closed when this returns).
    pub(crate) async fn stop(self) -> Result<()> {
        let _ = self.stop.send(());
        tokio::time::timeout(PATIENCE, self.run)
            .await
            .context("the runtime did not stop")?
            .context("the runtime panicked")??;
        Ok(())
    }
}

// ---- addresses through a link ----------------------------------------------------------

/// A peer's TCP address on 127.0.0.1 and its peer id, from `/ip4/…/tcp/…/p2p/…`.
#[derive(Debug, Clone)]
pub(crate) struct Address {
    pub(crate) socket: std::net::SocketAddr,
    peer: Option<mutual_net::multiaddr::Protocol<'static>>,
}

impl std::str::FromStr for Address {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<Address> {
        use mutual_net::multiaddr::Protocol;
        let address: Multiaddr = text.parse()?;
        let (mut ip, mut port, mut peer) = (None, None, None);
        for part in address.iter() {
            match part {
                Protocol::Ip4(a) => ip = Some(std::net::IpAddr::V4(a)),
                Protocol::Tcp(p) => port = Some(p),
                p @ Protocol::P2p(_) => peer = Some(p.acquire()),
                _ => {}
            }
        }
        match (ip, port) {
            (Some(ip), Some(port)) => Ok(Address {
                socket: std::net::SocketAddr::new(ip, port),
                peer,
            }),
            _ => bail!("{text} is no TCP address"),
        }
    }
}

impl Address {
    /// The same peer, reached through `link`.
    pub(crate) fn via(&self, link: &crate::link::Link) -> Multiaddr {
        let mut address = link_address(link);
        if let Some(peer) = &self.peer {
            address.push(peer.clone());
        }
        address
    }
}

/// An invite's full code whose only address is `link`'s: the joiner reaches the inviter
/// through it.
pub(crate) fn code_via(code: &str, link: &crate::link::Link) -> Result<String> {
    let mutual_codes::Code::Full(mut full) = mutual_codes::Code::parse(code)? else {
        bail!("the invite's code is not a full code");
    };
    full.addresses = vec![link_address(link).to_vec()];
    Ok(full.to_text())
}

/// The link's own address as a multiaddr, `/ip4/…/tcp/…` (no peer id).
fn link_address(link: &crate::link::Link) -> Multiaddr {
    use mutual_net::multiaddr::Protocol;
    let socket = link.address();
    let mut address = Multiaddr::empty();
    if let std::net::IpAddr::V4(ip) = socket.ip() {
        address.push(Protocol::Ip4(ip));
    }
    address.push(Protocol::Tcp(socket.port()));
    address
}

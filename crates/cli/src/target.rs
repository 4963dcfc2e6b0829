//! [`Target`]: where a command runs. The node opened in this process, or, when another
//! process holds the data directory (`mutual serve`, or the app), that process's node,
//! reached through its control socket. Either way the node runs the same typed
//! [`Command`]: this process parsed it, read any file or standard input it needs, and made
//! its paths absolute.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mutual_node::runtime::{self, ControlError, Request, Response};
use mutual_node::{Access, Command, Node, Reply};

/// Where commands run.
#[derive(Debug)]
pub(crate) enum Target {
    /// This process opened the data directory.
    Local(Box<Node>),
    /// A running node holds it.
    Remote(PathBuf),
}

impl Target {
    /// Opens the data directory for `access`, or finds the node that holds it. While
    /// another command holds it (each does for a fraction of a second), or a node holds it
    /// that has not bound its control socket yet (it is starting), waits up to `wait`.
    pub(crate) fn open(dir: &Path, access: Access, wait: Duration) -> anyhow::Result<Target> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            let busy = match Node::open_for(dir, access) {
                Ok(node) => return Ok(Target::Local(Box::new(node))),
                Err(busy) if busy.is_busy() => busy,
                Err(e) => return Err(e.into()),
            };
            match runtime::control::call(dir, &Request::Status) {
                Ok(_) => return Ok(Target::Remote(dir.to_path_buf())),
                Err(ControlError::NotRunning) => {}
                Err(e) => return Err(e.into()),
            }
            if wait.is_zero() {
                return Err(busy.into());
            }
            if started.elapsed() >= wait {
                let pid = busy.busy_holder().flatten();
                anyhow::bail!(
                    "another Mutual process{} kept the data directory {} busy for {} s; stop it, or use another --data-dir",
                    pid.map(|pid| format!(" (pid {pid})")).unwrap_or_default(),
                    dir.display(),
                    wait.as_secs()
                );
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// Runs `command` and returns what it produced.
    pub(crate) fn execute(&mut self, command: Command) -> anyhow::Result<Reply> {
        match self {
            Target::Local(node) => Ok(node.execute(command)?),
            Target::Remote(dir) => match request(dir, &Request::Execute(command))? {
                Response::Executed(Ok(reply)) => Ok(reply),
                Response::Executed(Err(failure)) => Err(failure.into()),
                other => unexpected(other),
            },
        }
    }
}

/// Sends one request to the running node; its one-sentence error becomes this command's.
pub(crate) fn request(dir: &Path, request: &Request) -> anyhow::Result<Response> {
    match runtime::control::call(dir, request)? {
        Response::Error(error) => Err(anyhow::anyhow!(error)),
        response => Ok(response),
    }
}

pub(crate) fn unexpected<T>(response: Response) -> anyhow::Result<T> {
    anyhow::bail!("the running node answered something unexpected: {response:?}")
}

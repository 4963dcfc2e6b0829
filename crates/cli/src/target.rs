//! [`Target`]: where a command runs. The node opened in this process, or, when another
//! process holds the data directory (`mutual serve`, or the app), that process's node,
//! reached through its control socket. Either way the node runs the same typed
//! [`Command`]: this process parsed it, read any file or standard input it needs, and made
//! its paths absolute.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mutual_node::runtime::{self, ControlError, Request, Response};
use mutual_node::{Command, Node, Reply};

/// How long a command waits for a node that holds the data directory but has not bound its
/// control socket yet (it is starting).
const STARTING: Duration = Duration::from_secs(5);

/// Where commands run.
#[derive(Debug)]
pub(crate) enum Target {
    /// This process opened the data directory.
    Local(Box<Node>),
    /// A running node holds it.
    Remote(PathBuf),
}

impl Target {
    /// Opens the data directory, or finds the node that holds it.
    pub(crate) fn open(dir: &Path) -> anyhow::Result<Target> {
        match Node::open(dir) {
            Ok(node) => Ok(Target::Local(Box::new(node))),
            Err(busy) if busy.is_busy() => match reach(dir)? {
                true => Ok(Target::Remote(dir.to_path_buf())),
                // Another process holds the directory and it is not a node we can talk to.
                false => Err(busy.into()),
            },
            Err(e) => Err(e.into()),
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

/// Whether a node answers on the data directory's socket, waiting a little for one that is
/// starting.
fn reach(dir: &Path) -> anyhow::Result<bool> {
    let deadline = Instant::now() + STARTING;
    loop {
        match runtime::control::call(dir, &Request::Status) {
            Ok(_) => return Ok(true),
            Err(ControlError::NotRunning) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(ControlError::NotRunning) => return Ok(false),
            Err(e) => return Err(e.into()),
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

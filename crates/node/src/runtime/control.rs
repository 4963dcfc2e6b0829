//! The control socket: how other `mutual` processes reach a running node.
//!
//! `DIR/node.sock`, a Unix socket in the data directory, carries one JSON request line and
//! one JSON response line per connection. A command run while a node holds the data
//! directory (`mutual serve`, or the app) is sent here as a typed [`crate::Command`],
//! already parsed by the `mutual` that a person ran, and the node runs it as the app's
//! commands run: one code path, one writer for the store.

use std::io::{BufRead, BufReader, Write as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixListener;
use tokio::sync::{mpsc, oneshot};

use super::Msg;
use super::status::{PeerView, Status};

/// The control socket's file name in the data directory.
pub const SOCKET_FILE: &str = "node.sock";

/// The largest request accepted (a forwarded command carries its standard input).
const MAX_REQUEST: u64 = 16 * 1024 * 1024;

/// A request to a running node.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Request {
    /// Run this command.
    Execute(crate::Command),
    /// This device's network state.
    Status,
    /// The address book of members' devices.
    Peers,
    /// Dial this multiaddr now.
    Dial {
        /// The address.
        address: String,
    },
    /// Join the group an invite code opens (or link this device, with a link code), in two
    /// steps: a look answers with what a member offers, checked, and saves nothing; a
    /// confirmed join's answer comes once the group is in sync, or the join failed.
    Join {
        /// The code, as typed or pasted.
        code: String,
        /// The name to join under (default: this identity's).
        name: Option<String>,
        /// Give up after this long.
        timeout_ms: u64,
        /// Look, or join what was seen.
        step: super::JoinStep,
    },
}

/// A join that worked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Joined {
    /// The groups joined (or linked in).
    pub groups: Vec<super::OfferedGroup>,
    /// Whether each was in sync with a member before the answer (else it goes on in the
    /// background, or at the next `serve`).
    pub synced: bool,
    /// Whether this device was linked to an existing member (a link code).
    pub linked: bool,
}

/// Why a join failed. Nothing was changed on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum JoinError {
    /// The code has a typo (its check characters do not match) or a foreign character.
    #[error("{0}")]
    Mistyped(String),
    /// The code was made by a newer Mutual.
    #[error("{0}")]
    UnknownVersion(String),
    /// A member refused for a reason that holds for every member (the invite expired, is
    /// used up or revoked), or this device is a member already.
    #[error(transparent)]
    Refused(crate::Refusal),
    /// No member admitted this device in time.
    #[error("no member of the group could be reached: {}", tried_text(.tried))]
    NoMemberReachable {
        /// What was tried, one entry per peer or address.
        tried: Vec<String>,
    },
    /// A link code on a device that already holds groups of its own.
    #[error(
        "a link code needs a device with no groups yet (a new data directory): this one already holds groups as another person"
    )]
    NeedsFreshDevice,
    /// Another join is under way on this device.
    #[error("this device is already joining a group; wait for it to finish")]
    Busy,
    /// Anything else (the store failed...).
    #[error("{0}")]
    Failed(String),
}

fn tried_text(tried: &[String]) -> String {
    if tried.is_empty() {
        "no member was found on this network (mDNS) and the code carries no address that \
         answered; join on the same network as an online member, or ask for a full code"
            .to_owned()
    } else {
        format!("tried {}", tried.join("; "))
    }
}

/// A running node's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Response {
    /// A command ran, or failed (nothing changed then).
    Executed(Result<crate::Reply, crate::Failure>),
    /// The status.
    Status(Status),
    /// The address book.
    Peers(Vec<PeerView>),
    /// The dial asked for connected to this peer.
    Dialed {
        /// Its peer id.
        peer: String,
    },
    /// What a member offers for the code, checked (a look's answer).
    Looked(super::Look),
    /// The join worked.
    Joined(Joined),
    /// The join failed.
    JoinFailed(JoinError),
    /// The request failed; one sentence.
    Error(String),
}

/// Why a running node could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// No node is serving this data directory (no socket, or a stale one).
    #[error("no `mutual serve` is running on this data directory")]
    NotRunning,
    /// The node was reached but the exchange failed.
    #[error("cannot talk to the running node through {path}: {source}")]
    Io {
        /// The socket.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The node's answer did not decode.
    #[error("the running node answered something unreadable: {0}")]
    Decode(#[from] serde_json::Error),
}

/// Sends one request to the node serving `dir` and waits for its answer.
pub fn call(dir: &Path, request: &Request) -> Result<Response, ControlError> {
    let path = dir.join(SOCKET_FILE);
    let io = |source| ControlError::Io {
        path: path.clone(),
        source,
    };
    let mut stream = match UnixStream::connect(&path) {
        Ok(stream) => stream,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Err(ControlError::NotRunning);
        }
        Err(e) => return Err(io(e)),
    };
    let mut line = serde_json::to_vec(request)?;
    line.push(b'\n');
    stream.write_all(&line).map_err(io)?;
    stream.flush().map_err(io)?;
    let mut answer = String::new();
    // A command may take a while (a large edit); a node that stopped answering does not.
    stream
        .set_read_timeout(Some(Duration::from_secs(600)))
        .map_err(io)?;
    BufReader::new(stream).read_line(&mut answer).map_err(io)?;
    if answer.is_empty() {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the node closed the connection without answering",
        )));
    }
    Ok(serde_json::from_str(&answer)?)
}

/// Binds the control socket of `dir`, replacing a stale one: the caller holds the data
/// directory's lock, so no other node can be listening there.
pub(super) fn bind(dir: &Path) -> std::io::Result<(UnixListener, PathBuf)> {
    let path = dir.join(SOCKET_FILE);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = UnixListener::bind(&path)?;
    mutual_store::private::restrict_file(&path)?;
    Ok((listener, path))
}

/// The user the node runs as: the owner of the socket it just bound.
pub(super) fn owner(socket: &Path) -> std::io::Result<u32> {
    use std::os::unix::fs::MetadataExt as _;
    Ok(std::fs::metadata(socket)?.uid())
}

/// Accepts connections on the control socket and hands each request to the event loop.
/// Only `owner` (the user the node runs as) may command it: the socket's mode says so, and
/// the kernel's word on who connected is checked too (a socket made reachable by a loose
/// directory mode, or a mode changed by hand, still refuses everyone else).
pub(super) async fn serve(listener: UnixListener, owner: u32, inbox: mpsc::Sender<Msg>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, say: wait rather than spin (this is not the loop).
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            continue;
        };
        let inbox = inbox.clone();
        tokio::spawn(async move {
            let caller = stream.peer_cred().map(|cred| cred.uid());
            let (read, mut write) = stream.into_split();
            let mut line = String::new();
            let read = tokio::io::BufReader::new(read.take(MAX_REQUEST))
                .read_line(&mut line)
                .await;
            let response = match read.map(|_| serde_json::from_str::<Request>(&line)) {
                // Read (bounded, as any request) so that the refusal is not lost to a
                // reset, but never acted on.
                _ if caller.as_ref().ok() != Some(&owner) => Response::Error(
                    "this node takes commands only from the user who runs it".to_owned(),
                ),
                Ok(Ok(request)) => {
                    let (reply, answer) = oneshot::channel();
                    if inbox.send(Msg::Control { request, reply }).await.is_err() {
                        return;
                    }
                    match answer.await {
                        Ok(response) => response,
                        Err(_) => return,
                    }
                }
                Ok(Err(e)) => Response::Error(format!("unreadable request: {e}")),
                Err(e) => Response::Error(format!("cannot read the request: {e}")),
            };
            if let Ok(mut bytes) = serde_json::to_vec(&response) {
                bytes.push(b'\n');
                // The caller may have gone; nothing to do about it.
                let _ = write.write_all(&bytes).await;
                let _ = write.shutdown().await;
            }
        });
    }
}

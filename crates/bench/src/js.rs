//! The automerge-repo side: the Node scripts in `crates/bench/js`, run as child processes.
//! Each prints its result as one JSON object on its last line of standard output.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde_json::Value;

/// The scripts' directory, with its `node_modules` installed.
#[derive(Debug, Clone)]
pub(crate) struct Js {
    dir: PathBuf,
}

impl Js {
    pub(crate) fn new(dir: &Path) -> Result<Js> {
        if !dir.join("node_modules/@automerge/automerge-repo").is_dir() {
            bail!(
                "automerge-repo is not installed in {}: run `npm ci` there (scripts/bench does)",
                dir.display()
            );
        }
        let dir = dir
            .canonicalize()
            .context("finding the scripts' directory")?;
        Ok(Js { dir })
    }

    pub(crate) fn command(&self, script: &str, args: &[&str]) -> Command {
        let mut command = Command::new("node");
        command
            .arg("--expose-gc")
            .arg(self.dir.join(script))
            .args(args)
            .current_dir(&self.dir);
        command
    }

    /// Runs `script` to the end; returns its result and how long the process ran.
    pub(crate) fn run(&self, script: &str, args: &[&str]) -> Result<(Value, Duration)> {
        let started = Instant::now();
        let output = self
            .command(script, args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running node {script}"))?;
        let took = started.elapsed();
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            bail!(
                "{script} {} failed ({}): {}",
                args.join(" "),
                output.status,
                tail(&String::from_utf8_lossy(&output.stderr))
            );
        }
        let last = stdout.lines().rev().find(|l| !l.trim().is_empty());
        let result = serde_json::from_str(last.unwrap_or_default()).with_context(|| {
            let end: String = stdout
                .chars()
                .rev()
                .take(200)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!(
                "{script} printed no JSON result ({} bytes, ending {end:?})",
                stdout.len()
            )
        })?;
        Ok((result, took))
    }

    /// Starts `script` as a server and waits for its `{"ready": true}` line.
    pub(crate) fn serve(&self, script: &str, args: &[&str]) -> Result<Server> {
        let mut child = self
            .command(script, args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting node {script}"))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut server = Server { child };
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .context("reading the server's ready line")?;
        let ready: Value = serde_json::from_str(line.trim()).unwrap_or(Value::Null);
        if ready["ready"] != Value::Bool(true) {
            let status = server.child.try_wait().ok().flatten();
            bail!("{script} did not start (said {line:?}, status {status:?})");
        }
        Ok(server)
    }
}

/// A running script, stopped when dropped.
#[derive(Debug)]
pub(crate) struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The last lines of a process's output, for an error message.
pub(crate) fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(5)..].join(" / ")
}

/// A free TCP port on 127.0.0.1 (for a server that takes a port number).
pub(crate) fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

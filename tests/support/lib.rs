//! Helpers for end-to-end tests: a data directory with the real `mutual` binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod netns;
pub mod serving;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The `mutual` binary, built from the current sources.
///
/// Cargo only hands integration tests the binaries of their own package, and `mutual`
/// lives in `mutual-cli`; so the first call builds it with the same cargo and the same
/// profile as this test (a no-op when it is fresh, and never a stale binary when it is not).
pub fn mutual_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // target/<profile dir>/deps/<this test> -> target/<profile dir>/mutual
        let exe = std::env::current_exe().expect("test binary path");
        let profile_dir = exe.parent().and_then(Path::parent).expect("target dir");
        // Cargo names the dev profile's directory `debug`; every other profile, its own name.
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => "dev",
            Some(name) => name,
        };
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--quiet",
                "--profile",
                profile,
                "-p",
                "mutual-cli",
                "--bin",
                "mutual",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the mutual binary failed");
        let bin = profile_dir.join("mutual");
        assert!(bin.exists(), "no mutual binary at {}", bin.display());
        bin
    })
}

/// One person's device: a data directory used through the `mutual` binary.
#[derive(Debug)]
pub struct Device {
    dir: tempfile::TempDir,
}

/// What one run of `mutual` did.
#[derive(Debug)]
pub struct Run {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Device {
    /// A fresh, empty data directory.
    pub fn new() -> Device {
        Device {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A fresh data directory with an identity named `name`.
    pub fn init(name: &str) -> Device {
        let device = Device::new();
        device.ok(&["init", "--name", name]);
        device
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A `mutual` command on this data directory, not yet run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(mutual_bin());
        command
            .arg("--data-dir")
            .arg(self.dir())
            .args(args)
            .env_remove("MUTUAL_DIR")
            .stdin(Stdio::null());
        command
    }

    /// Runs `mutual ARGS` and returns what happened, whatever it was.
    pub fn run(&self, args: &[&str]) -> Run {
        let run = Run::from(self.command(args).output().expect("mutual runs"));
        assert!(
            !run.stderr.contains("panicked"),
            "mutual {args:?} panicked:\n{}",
            run.stderr
        );
        run
    }

    /// Runs `mutual ARGS` with `input` on its standard input; returns what happened.
    pub fn run_with_input(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write as _;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mutual runs");
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(input.as_bytes())
                .expect("mutual reads its input");
        }
        Run::from(child.wait_with_output().expect("mutual runs"))
    }

    /// Runs `mutual ARGS`, which must succeed; returns its stdout, trimmed.
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert!(
            run.status.success(),
            "mutual {args:?} failed ({}):\n{}",
            run.status,
            run.stderr
        );
        run.stdout.trim().to_owned()
    }

    /// Runs `mutual ARGS --json`, which must succeed; returns the parsed document.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut with_json = args.to_vec();
        with_json.push("--json");
        let stdout = self.ok(&with_json);
        serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!("mutual {args:?} --json printed invalid JSON ({e}):\n{stdout}")
        })
    }

    /// This device's peer id, as `mutual whoami` prints it.
    pub fn peer_id(&self) -> String {
        self.json(&["whoami"])["peer_id"]
            .as_str()
            .expect("whoami prints a peer id")
            .to_owned()
    }

    /// Admits `other` to `group` by its peer id, under `name` (this device must be an admin),
    /// and `other` accepts the addition ahead, as its owner would when told the group's id.
    pub fn admit(&self, group: &str, other: &Device, name: &str) {
        other.ok(&["group", "accept", group]);
        let peer = other.peer_id();
        self.ok(&[
            "group",
            "add-member",
            group,
            "--device",
            &peer,
            "--name",
            name,
        ]);
    }

    /// Runs `mutual ARGS`, which must fail with one line on stderr; returns that line.
    pub fn fails(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert!(
            !run.status.success(),
            "mutual {args:?} should have failed but printed:\n{}",
            run.stdout
        );
        let stderr = run.stderr.trim().to_owned();
        assert!(!stderr.is_empty(), "mutual {args:?} failed silently");
        stderr
    }
}

impl Default for Device {
    fn default() -> Self {
        Device::new()
    }
}

/// A process a test started, killed and reaped when dropped: when the test fails too, so
/// that a failed test leaves nothing running.
#[derive(Debug)]
pub struct Stopped(pub std::process::Child);

impl Stopped {
    /// Kills the process now and waits for it.
    pub fn stop(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// Waits for the process to end by itself; what it printed on the pipes it was given.
    pub fn finish(mut self) -> std::process::Output {
        use std::io::Read;
        let stderr = self.0.stderr.take().map(|mut pipe| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                bytes
            })
        });
        let mut stdout = Vec::new();
        if let Some(pipe) = self.0.stdout.as_mut() {
            let _ = pipe.read_to_end(&mut stdout);
        }
        let status = self.0.wait().expect("the process can be waited for");
        let stderr = stderr
            .map(|reader| reader.join().unwrap_or_default())
            .unwrap_or_default();
        std::process::Output {
            status,
            stdout,
            stderr,
        }
    }
}

impl std::ops::Deref for Stopped {
    type Target = std::process::Child;

    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for Stopped {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

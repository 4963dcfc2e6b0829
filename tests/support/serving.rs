//! Real nodes for end-to-end tests: `mutual serve` on loopback, its events, and waiting
//! for what a person would wait to see.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::Device;

/// Generous: CI has two cores and builds while it tests.
pub const PATIENCE: Duration = Duration::from_secs(90);

/// A running `mutual serve`, killed when dropped (also when the test fails).
#[derive(Debug)]
pub struct Serving {
    child: Child,
    events: Arc<Mutex<Vec<Value>>>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Serving {
    /// Starts `mutual serve` on loopback, without mDNS, and waits until it listens.
    pub fn start(device: &Device) -> Serving {
        Serving::start_with(device, &[])
    }

    /// Like [`Serving::start`], with more options for `serve`.
    pub fn start_with(device: &Device, options: &[&str]) -> Serving {
        let mut args = vec![
            "serve",
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
            "--no-mdns",
            "--json-events",
        ];
        args.extend_from_slice(options);
        let mut child = device
            .command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mutual serve starts");
        let events = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        // Readers drain both pipes, so the node never blocks on a full one.
        let sink = Arc::clone(&events);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let event = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not a JSON event ({e}): {line}"));
                sink.lock().unwrap().push(event);
            }
        });
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let serving = Serving { child, events, log };
        serving.address();
        serving
    }

    /// Its first listen address (with `/p2p/PEER_ID`).
    pub fn address(&self) -> String {
        let event = self.wait_for("a listen address", |e| e["event"] == "listening");
        event["address"].as_str().unwrap().to_owned()
    }

    /// Waits for an event matching `want`.
    pub fn wait_for(&self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        eventually(what, || {
            self.events
                .lock()
                .unwrap()
                .iter()
                .find(|e| want(e))
                .cloned()
        })
        .unwrap_or_else(|| panic!("no {what} from the node; it said: {:#?}", self.said()))
    }

    /// Stops the node as Ctrl-C does (it persists what is pending first), and waits for it.
    pub fn stop(mut self) {
        let stopped = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        assert!(stopped.is_ok_and(|s| s.success()), "kill -TERM failed");
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(
                    status.success(),
                    "serve ended with {status}: {:#?}",
                    self.said()
                );
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("serve did not stop on SIGTERM: {:#?}", self.said());
    }

    pub fn said(&self) -> (Vec<Value>, Vec<String>) {
        (
            self.events.lock().unwrap().clone(),
            self.log.lock().unwrap().clone(),
        )
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` until it returns something, or gives up after [`PATIENCE`].
pub fn eventually<T>(_what: &str, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(found) = check() {
            return Some(found);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The titles of a board's cards, sorted, read with `doc show --json`; `None` while the
/// document is not there.
pub fn card_titles(device: &Device, doc: &str) -> Option<Vec<String>> {
    let run = device.run(&["doc", "show", doc, "--json"]);
    if !run.status.success() {
        return None;
    }
    let board: Value = serde_json::from_str(&run.stdout).unwrap();
    let mut titles: Vec<String> = board["columns"]
        .as_array()?
        .iter()
        .flat_map(|c| c["cards"].as_array().cloned().unwrap_or_default())
        .map(|card| card["title"].as_str().unwrap().to_owned())
        .collect();
    titles.sort();
    Some(titles)
}

/// Waits until `device` sees exactly these card titles on the board.
pub fn wait_for_cards(device: &Device, who: &str, doc: &str, want: &[&str], node: &Serving) {
    let mut want: Vec<String> = want.iter().map(|t| t.to_string()).collect();
    want.sort();
    let mut last = None;
    let seen = eventually("cards", || {
        last = card_titles(device, doc);
        (last.as_ref() == Some(&want)).then_some(())
    });
    assert!(
        seen.is_some(),
        "{who} never saw the cards {want:?} (last saw {last:?}); its node said: {:#?}",
        node.said()
    );
}

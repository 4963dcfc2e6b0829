//! The network commands: `serve` runs the node runtime; `status`, `peers`, `dial` and
//! `join` ask it through its control socket (or, for `status`, `peers` and `join`, do
//! without it when none runs).

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use mutual_node::runtime::{
    self, ControlError, Event, JoinError, JoinStep, Joined, Look, Multiaddr, NetConfig, PeerView,
    Protocol, Request, Response, Runtime, Status,
};
use mutual_node::{Access, Node, Refusal};

use super::format_time;
use crate::args::{JoinArgs, ServeArgs};
use crate::output::{self, Output};
use crate::render::{line, short};
use crate::target::{self, Target, unexpected};

/// A relay's address: a multiaddr that names the relay with a trailing `/p2p/ID`.
fn parse_relay(text: &str) -> anyhow::Result<Multiaddr> {
    let address: Multiaddr = text
        .parse()
        .with_context(|| format!("“{text}” is not a multiaddr of a relay"))?;
    anyhow::ensure!(
        matches!(address.iter().last(), Some(Protocol::P2p(_))),
        "the relay address “{text}” must end in the relay's /p2p/ID"
    );
    Ok(address)
}

/// `mutual serve`: runs the node until SIGINT or SIGTERM.
pub(crate) fn serve(dir: &Path, wait: Duration, args: &ServeArgs) -> anyhow::Result<()> {
    // Another command may hold the directory for a moment: wait for it, unless it is a
    // running `serve`.
    let node = match Target::open(dir, Access::Write, wait)? {
        Target::Local(node) => *node,
        Target::Remote(_) => {
            anyhow::bail!("`mutual serve` is already running on this data directory")
        }
    };
    node.identity()?;
    let mut net = NetConfig {
        mdns: !args.no_mdns,
        relay_server: !args.no_relay_server,
        relay_for_anyone: args.relay_for_anyone,
        ..NetConfig::default()
    };
    let relays = args
        .relay
        .iter()
        .map(|a| parse_relay(a))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if !args.listen.is_empty() {
        net.listen = args
            .listen
            .iter()
            .map(|a| {
                a.parse()
                    .with_context(|| format!("“{a}” is not a multiaddr to listen on"))
            })
            .collect::<anyhow::Result<_>>()?;
    }
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let json_events = args.json_events;
    tokio.block_on(async move {
        let (runtime, mut events) = Runtime::new(
            node,
            &runtime::Config {
                net,
                relays,
                ephemeral_book: false,
            },
        )?;
        let run = runtime.run(stopped()?);
        tokio::pin!(run);
        let result = loop {
            tokio::select! {
                result = &mut run => break result,
                Some(event) = events.recv() => show_event(&event, json_events),
            }
        };
        while let Ok(event) = events.try_recv() {
            show_event(&event, json_events);
        }
        result.map_err(anyhow::Error::from)
    })
}

/// `mutual join CODE`: through the running node, or a node started for the join alone, in
/// two steps: a look (who is in the group, by its signed log; nothing saved), then, once
/// the person said yes (or `--yes`), the join of what they saw. Each failure has its own
/// exit code (listed in the README).
pub(crate) fn join(
    dir: &Path,
    wait: Duration,
    args: &JoinArgs,
    out: &Output,
) -> anyhow::Result<ExitCode> {
    let code = match &args.code {
        Some(code) if is_link_code(code) => {
            output::report(
                "error: a link code carries your member key, so it must stay out of your shell's history: run `mutual join` without it and paste it when asked (or pipe it in)",
            );
            return Ok(ExitCode::from(2));
        }
        Some(code) => code.clone(),
        None => match read_code()? {
            Some(code) => code,
            None => {
                output::report("error: no code was given: paste it when asked, or pipe it in");
                return Ok(ExitCode::from(2));
            }
        },
    };
    let step = |step| Request::Join {
        code: code.clone(),
        name: args.name.clone(),
        timeout_ms: u64::try_from(args.timeout.as_millis()).unwrap_or(u64::MAX),
        step,
    };
    let look = match join_step(dir, wait, args, out, step(JoinStep::Look))? {
        Response::Looked(look) => look,
        Response::JoinFailed(error) => return Ok(join_failed(&error)),
        other => return unexpected(other),
    };
    // Shown before anything is saved: the names they expect to see, or the sign that
    // something is wrong. With `--json`, standard output carries the outcome alone.
    if out.is_json() {
        eprint!("{}", look_text(&look));
    } else {
        out.write(&look_text(&look))?;
    }
    match confirm(args.yes, &look)? {
        Confirmed::Yes => {}
        Confirmed::No => {
            output::report("Not joined: nothing was saved.");
            return Ok(ExitCode::from(11));
        }
        Confirmed::CannotAsk => {
            output::report(
                "error: not joined: nobody answered whether this is the group you expect; run `mutual join` on a terminal, answer y on standard input, or add --yes",
            );
            return Ok(ExitCode::from(2));
        }
    }
    match join_step(dir, wait, args, out, step(JoinStep::Confirm(look)))? {
        Response::Joined(joined) => {
            out.show(&joined, print_joined)?;
            Ok(ExitCode::SUCCESS)
        }
        Response::JoinFailed(error) => Ok(join_failed(&error)),
        other => unexpected(other),
    }
}

/// One step of a join, through the running node or one started for it alone.
fn join_step(
    dir: &Path,
    wait: Duration,
    args: &JoinArgs,
    out: &Output,
    request: Request,
) -> anyhow::Result<Response> {
    Ok(match ask(dir, wait, &request, Access::Write)? {
        Asked::Answer(response) => {
            if args.no_mdns
                && matches!(
                    &request,
                    Request::Join {
                        step: JoinStep::Look,
                        ..
                    }
                )
            {
                out.note("`mutual serve` runs here and joins with its own mDNS setting.");
            }
            response
        }
        Asked::NotRunning(node) => join_here(*node, request, !args.no_mdns)?,
    })
}

fn join_failed(error: &JoinError) -> ExitCode {
    output::report(&line(&format!("error: {error}")));
    ExitCode::from(join_exit_code(error))
}

/// The person's answer to "is this the group?".
enum Confirmed {
    Yes,
    No,
    /// Standard input ended before any answer (no terminal, nothing piped), and `--yes`
    /// was not given.
    CannotAsk,
}

/// Asks on the terminal, or reads the answer from standard input's next line (after a
/// piped code, say): `y` or `yes` joins, anything else does not.
fn confirm(yes: bool, look: &Look) -> anyhow::Result<Confirmed> {
    use std::io::{BufRead as _, IsTerminal as _, Read as _, Write as _};
    if yes {
        return Ok(Confirmed::Yes);
    }
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    if terminal {
        eprint!(
            "{}",
            if look.linked {
                "Link this device? Type y and press Enter (anything else: no): "
            } else {
                "Is this the group you expect? Type y and press Enter to join (anything else: no): "
            }
        );
        let _ = std::io::stderr().flush();
    }
    let mut answer = String::new();
    let read = stdin
        .lock()
        .take(64)
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    Ok(match answer.trim().to_lowercase().as_str() {
        _ if read == 0 && !terminal => Confirmed::CannotAsk,
        "y" | "yes" => Confirmed::Yes,
        _ => Confirmed::No,
    })
}

/// What a look found, for the person to check.
fn look_text(look: &Look) -> String {
    let mut s = String::new();
    for group in &look.groups {
        let members: Vec<String> = group
            .members
            .iter()
            .map(|m| format!("{} ({})", line(&m.name), m.role))
            .collect();
        let (opens, then) = if look.linked {
            ("links this device to you in", ", as")
        } else {
            ("opens", ";")
        };
        say!(
            s,
            "The code {opens} “{}” ({}){then} {}'s device answered.",
            line(&group.name),
            short(&group.group.to_string()),
            line(&group.offered_by)
        );
        say!(
            s,
            "Who is in it, by its signed membership log: {}.",
            members.join(", ")
        );
    }
    s
}

/// Whether `text` is a link code (a full code that carries a member key).
fn is_link_code(text: &str) -> bool {
    matches!(mutual_codes::Code::parse(text), Ok(mutual_codes::Code::Full(full)) if full.is_link())
}

/// The code, from the terminal (asked for) or from standard input; `None` if none came.
fn read_code() -> anyhow::Result<Option<String>> {
    use std::io::{BufRead as _, IsTerminal as _, Read as _, Write as _};
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Paste the code, then press Enter: ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    // A code is a few hundred characters: more is not one.
    let limit = u64::try_from(mutual_codes::MAX_INPUT_CHARS * 4).unwrap_or(u64::MAX);
    stdin
        .lock()
        .take(limit)
        .read_line(&mut line)
        .context("cannot read the code")?;
    let code = line.trim();
    Ok((!code.is_empty()).then(|| code.to_owned()))
}

/// The exit code of each way a join fails.
fn join_exit_code(error: &JoinError) -> u8 {
    match error {
        JoinError::Mistyped(_) => 3,
        JoinError::UnknownVersion(_) => 4,
        // Members do not say which: an unusable code tells nobody who holds its group. The
        // three specific refusals come only from a member whose invite went out of use
        // between its offer and the request.
        JoinError::Refused(
            Refusal::UnknownInvite | Refusal::Expired | Refusal::UsedUp | Refusal::Revoked,
        ) => 5,
        JoinError::NoMemberReachable { .. } => 8,
        JoinError::Refused(Refusal::AlreadyMember) => 9,
        JoinError::Refused(Refusal::NoLongerMember) => 10,
        JoinError::Refused(Refusal::Invalid)
        | JoinError::NeedsFreshDevice
        | JoinError::Busy
        | JoinError::Failed(_) => 1,
    }
}

/// Runs a node for the length of one join, when no `serve` runs, looking for members by
/// mDNS if `mdns`. The address book is kept in memory: a failed join changes nothing here.
fn join_here(node: Node, request: Request, mdns: bool) -> anyhow::Result<Response> {
    node.identity()?;
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    tokio.block_on(async move {
        let config = runtime::Config {
            net: NetConfig {
                mdns,
                ..NetConfig::default()
            },
            ephemeral_book: true,
            ..runtime::Config::default()
        };
        let (runtime, mut events) = Runtime::new(node, &config)?;
        let handle = runtime.handle();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let run = runtime.run(async {
            let _ = stopped.await;
        });
        tokio::pin!(run);
        let asked = handle.request(request);
        tokio::pin!(asked);
        let response = loop {
            tokio::select! {
                result = &mut run => {
                    result?;
                    anyhow::bail!("the node stopped before the join ended");
                }
                response = &mut asked => break response,
                // Nobody reads them: `mutual join` reports the outcome alone.
                Some(_) = events.recv() => {}
            }
        };
        let _ = stop.send(());
        run.await?;
        response.context("the node stopped before the join ended")
    })
}

fn print_joined(joined: &Joined) -> String {
    let mut s = String::new();
    for group in &joined.groups {
        if joined.linked {
            say!(
                s,
                "This device is now linked to you in “{}”.",
                line(&group.name)
            );
        } else {
            say!(
                s,
                "Joined “{}” ({}).",
                line(&group.name),
                short(&group.group.to_string())
            );
        }
    }
    if !joined.synced {
        say!(
            s,
            "Not everything has arrived yet: it will when this device next meets a member \
             (run `mutual serve`)."
        );
    }
    s
}

/// Completes on SIGINT or SIGTERM.
fn stopped() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// One event: a JSON line on stdout with `--json-events`, else a line for people on stderr.
fn show_event(event: &Event, json: bool) {
    if json {
        if let Ok(line) = serde_json::to_string(event) {
            // A reader that went away does not stop the node.
            let _ = output::emit(&format!("{line}\n"));
        }
    } else {
        output::report(&line(&format!("mutual: {event}")));
    }
}

/// `mutual status`: from the running node, or from the store when it is not running.
pub(crate) fn status(dir: &Path, wait: Duration, out: &Output) -> anyhow::Result<()> {
    let status = match ask(dir, wait, &Request::Status, Access::Read)? {
        Asked::Answer(Response::Status(status)) => status,
        Asked::Answer(other) => return unexpected(other),
        Asked::NotRunning(mut node) => node.offline_status()?,
    };
    out.show(&status, print_status)
}

/// `mutual peers`: the address book of members' devices.
pub(crate) fn peers(dir: &Path, wait: Duration, out: &Output) -> anyhow::Result<()> {
    let peers = match ask(dir, wait, &Request::Peers, Access::Read)? {
        Asked::Answer(Response::Peers(peers)) => peers,
        Asked::Answer(other) => return unexpected(other),
        Asked::NotRunning(mut node) => node.offline_peers()?,
    };
    out.show(&peers, |peers| print_peers(peers))
}

/// `mutual dial MULTIADDR`: only the running node can dial; it answers once connected, or
/// with why it could not connect.
pub(crate) fn dial(dir: &Path, wait: Duration, address: &str, out: &Output) -> anyhow::Result<()> {
    let request = Request::Dial {
        address: address.to_owned(),
    };
    match ask(dir, wait, &request, Access::Read)? {
        Asked::Answer(Response::Dialed { peer }) => out.show(
            &serde_json::json!({ "peer_id": peer, "address": address }),
            |_| format!("Connected to {peer} at {address}.\n"),
        ),
        Asked::Answer(other) => unexpected(other),
        Asked::NotRunning(_) => {
            anyhow::bail!("`mutual serve` is not running on this data directory; start it first")
        }
    }
}

/// What asking the running node gave: one per command, matched on at once (so an answer
/// stays unboxed, to be matched by its variants).
#[expect(
    clippy::large_enum_variant,
    reason = "one value per command, matched at once"
)]
enum Asked {
    Answer(Response),
    NotRunning(Box<Node>),
}

/// Asks the running node; if none runs, opens the store for `access` instead.
fn ask(dir: &Path, wait: Duration, request: &Request, access: Access) -> anyhow::Result<Asked> {
    match target::request(dir, request) {
        Ok(response) => return Ok(Asked::Answer(response)),
        Err(e) if matches!(e.downcast_ref(), Some(ControlError::NotRunning)) => {}
        Err(e) => return Err(e),
    }
    match Target::open(dir, access, wait)? {
        Target::Local(node) => Ok(Asked::NotRunning(node)),
        // It started meanwhile.
        Target::Remote(_) => Ok(Asked::Answer(target::request(dir, request)?)),
    }
}

fn print_status(status: &Status) -> String {
    let mut s = String::new();
    let now = now_ms();
    let state = if status.running {
        "serving"
    } else {
        "not serving; start `mutual serve`"
    };
    say!(s, "peer id:   {} ({state})", status.peer_id);
    for address in &status.listening {
        say!(s, "listening: {address}");
    }
    say!(s, "connected: {} peer(s)", status.connected.len());
    for group in &status.groups {
        say!(s, "\n{} ({})", line(&group.name), short(&group.id));
        if group.unshared > 0 {
            say!(
                s,
                "  {} not yet on any other device",
                changes(group.unshared)
            );
        }
        if group.devices.is_empty() {
            say!(s, "  no other devices");
        }
        for device in &group.devices {
            let state = match (device.connected, device.in_sync, device.missing) {
                (true, true, _) => "connected, in sync".to_owned(),
                (true, false, 0) => "connected, syncing".to_owned(),
                (true, false, n) => format!("connected, syncing ({} to send)", changes(n)),
                (false, _, missing) => {
                    let seen = device.last_seen.map_or_else(
                        || "never seen".to_owned(),
                        |at| format!("last seen {}", ago(now, at)),
                    );
                    match missing {
                        0 => format!("not connected, {seen}, has everything"),
                        n => format!("not connected, {seen}, missing {}", changes(n)),
                    }
                }
            };
            say!(
                s,
                "  {:<16}  {}  {state}",
                line(&device.member),
                device.peer_id
            );
        }
    }
    s
}

/// "1 change", "3 changes".
fn changes(n: u64) -> String {
    if n == 1 {
        "1 change".to_owned()
    } else {
        format!("{n} changes")
    }
}

/// How long ago `at` was (both unix ms), as a person says it.
fn ago(now: i64, at: i64) -> String {
    let secs = (now - at).max(0) / 1000;
    match secs {
        0..60 => "just now".to_owned(),
        60..3600 => plural(secs / 60, "minute"),
        3600..86_400 => plural(secs / 3600, "hour"),
        _ => plural(secs / 86_400, "day"),
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit} ago")
    } else {
        format!("{n} {unit}s ago")
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn print_peers(peers: &[PeerView]) -> String {
    let mut s = String::new();
    if peers.is_empty() {
        say!(s, "No other member devices known yet.");
    }
    for peer in peers {
        let seen = match (peer.connected, peer.last_seen) {
            (true, _) => "connected".to_owned(),
            (false, Some(ms)) => format!("last seen {} UTC", format_time(ms / 1000)),
            (false, None) => "never seen".to_owned(),
        };
        say!(
            s,
            "{}  {}  ({seen})",
            peer.peer_id,
            line(&peer.members.join(", "))
        );
        for address in &peer.addresses {
            say!(s, "  {address}");
        }
    }
    s
}

//! `mutual`: every capability of Mutual from the command line, for always-on nodes,
//! scripts and tests.
//!
//! Conventions: `--json` makes a command print exactly one JSON document on stdout; a
//! command that creates something prints just its id (`{"id": ...}` with `--json`), so
//! scripts can chain commands; ids may be shortened to any unique prefix; a failure prints
//! one line on stderr and exits non-zero (2 for a usage error, 1 otherwise).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

/// Appends one formatted line to a `String`. Output is built in memory and written once by
/// [`output::emit`], which (unlike `println!`) survives a reader that went away.
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}

mod args;
mod commands;
mod output;
mod passphrase;
mod render;
mod target;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use mutual_node::{Access, Node};

use crate::args::{Cli, Command};
use crate::target::Target;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version are not errors: clap prints them as they are.
        Err(error) if !error.use_stderr() => {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            output::report(&usage_error_line(&error.to_string()));
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(code) => code,
        // `mutual ... | head`: the reader has what it wanted, which is not a failure.
        Err(error) if error.is::<output::ReaderGone>() => ExitCode::SUCCESS,
        Err(error) => {
            // One line, whatever member text the error quotes.
            output::report(&render::line(&format!("error: {}", sentence(&error))));
            ExitCode::FAILURE
        }
    }
}

/// clap's usage error as one line: what is wrong (with the allowed values or a tip, if any),
/// then where to look. The usage block is left to `--help`.
fn usage_error_line(rendered: &str) -> String {
    let what: Vec<&str> = rendered
        .lines()
        .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more information"))
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    format!("{} (see --help)", what.join(" "))
}

/// An error and its causes as one sentence, each cause said once. A library error may
/// both print its source in its own message (thiserror's `{source}`, or `{0}` with
/// `#[from]`) and return it as its `source()`, and `{:#}` would then say it twice; so a
/// cause whose words are already in the sentence adds nothing.
fn sentence(error: &anyhow::Error) -> String {
    let mut sentence = String::new();
    for cause in error.chain() {
        let words = cause.to_string();
        if sentence.contains(&words) {
            continue;
        }
        if !sentence.is_empty() {
            sentence.push_str(": ");
        }
        sentence.push_str(&words);
    }
    sentence
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let dir = data_dir(cli.data_dir)?;
    let out = output::Output::terminal(cli.json);
    let wait = Duration::from_secs(cli.wait);
    match cli.command {
        Command::Serve(args) => commands::net::serve(&dir, wait, &args).map(|()| ExitCode::SUCCESS),
        Command::Status => commands::net::status(&dir, wait, &out).map(|()| ExitCode::SUCCESS),
        Command::Peers => commands::net::peers(&dir, wait, &out).map(|()| ExitCode::SUCCESS),
        Command::Dial { address } => {
            commands::net::dial(&dir, wait, &address, &out).map(|()| ExitCode::SUCCESS)
        }
        Command::Join(args) => commands::net::join(&dir, wait, &args, &out),
        Command::Restore {
            file,
            passphrase_file,
        } => {
            let passphrase = passphrase::for_restore(&file, passphrase_file.as_deref())?;
            let me = Node::restore(&file, &dir, passphrase.as_deref())?;
            out.done(format!(
                "Restored {} into {}. Run `mutual serve` to sync what changed since the backup.",
                me.name,
                dir.display()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        command => {
            let mut target = Target::open(&dir, access(&command), wait)?;
            commands::run(&mut target, command, &out).map(|()| ExitCode::SUCCESS)
        }
    }
}

/// Commands that only read open the data directory shared, so that they run beside one
/// another; every other command opens it alone (and waits for the readers).
fn access(command: &Command) -> Access {
    use args::{DebugCommand, DeviceCommand, DocCommand, GroupCommand, InviteCommand};
    let reads = matches!(
        command,
        Command::Whoami
            | Command::History { .. }
            | Command::Backup { .. }
            | Command::Group(
                GroupCommand::List | GroupCommand::Show { .. } | GroupCommand::Export { .. }
            )
            | Command::Doc(DocCommand::List { .. } | DocCommand::Show { .. })
            | Command::Invite(InviteCommand::List { .. })
            | Command::Device(DeviceCommand::List)
            | Command::Debug(DebugCommand::Integrity)
    );
    if reads { Access::Read } else { Access::Write }
}

/// `--data-dir`, else `MUTUAL_DIR` (clap reads both), else the platform's data directory.
fn data_dir(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = explicit {
        return Ok(dir);
    }
    let dirs = directories::ProjectDirs::from("org", "Mutual", "mutual")
        .context("cannot find a home directory for Mutual's data; pass --data-dir DIR")?;
    Ok(dirs.data_dir().to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Outer {
        #[error("cannot write the file: {source}")]
        Write { source: std::io::Error },
        #[error("the rules refuse this: {0}")]
        Refused(#[from] Inner),
        #[error("cannot read the file")]
        Read(#[source] std::io::Error),
    }

    #[derive(Debug, thiserror::Error)]
    #[error("Bob is already a member")]
    struct Inner;

    #[test]
    fn a_cause_that_its_error_already_says_is_said_once() {
        let exists = || std::io::Error::from(std::io::ErrorKind::AlreadyExists);
        let error = anyhow::Error::from(Outer::Write { source: exists() });
        assert_eq!(
            sentence(&error),
            format!("cannot write the file: {}", exists())
        );
        let error = anyhow::Error::from(Outer::Refused(Inner)).context("adding Bob");
        assert_eq!(
            sentence(&error),
            "adding Bob: the rules refuse this: Bob is already a member"
        );
        // A cause the message does not say is still said.
        let error = anyhow::Error::from(Outer::Read(exists()));
        assert_eq!(
            sentence(&error),
            format!("cannot read the file: {}", exists())
        );
    }
}

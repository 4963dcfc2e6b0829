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
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use mutual_node::Node;
use mutual_node::runtime::{CommandReply, CommandRequest};

use crate::args::{Cli, Command};

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
            output::report(&error_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// A failure as the one line a person reads.
fn error_line(error: &anyhow::Error) -> String {
    format!("error: {error:#}")
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

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let dir = data_dir(cli.data_dir)?;
    let out = output::Output::terminal(cli.json);
    match cli.command {
        Command::Serve(args) => commands::net::serve(&dir, &args).map(|()| ExitCode::SUCCESS),
        Command::Status => commands::net::status(&dir, &out).map(|()| ExitCode::SUCCESS),
        Command::Peers => commands::net::peers(&dir, &out).map(|()| ExitCode::SUCCESS),
        Command::Dial { address } => {
            commands::net::dial(&dir, &address, &out).map(|()| ExitCode::SUCCESS)
        }
        Command::Join(args) => commands::net::join(&dir, &args, &out),
        Command::Restore { file } => {
            let me = Node::restore(&file, &dir)?;
            out.done(format!(
                "Restored {} into {}. Run `mutual serve` to sync what changed since the backup.",
                me.name,
                dir.display()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        command => match Node::open(&dir) {
            Ok(mut node) => commands::run(&mut node, command, &out).map(|()| ExitCode::SUCCESS),
            // `mutual serve` holds the data directory: it runs the command for us.
            Err(error) if error.is_busy() => commands::net::forward(&dir, error),
            Err(error) => Err(error.into()),
        },
    }
}

/// Runs a command line inside `mutual serve`, on behalf of another `mutual` process: the
/// same parsing and command code as [`run`], with the output captured.
fn run_forwarded(node: &mut Node, request: CommandRequest) -> CommandReply {
    let argv = std::iter::once("mutual".to_owned()).chain(request.argv);
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(error) if !error.use_stderr() => {
            return CommandReply {
                stdout: error.to_string(),
                ..CommandReply::default()
            };
        }
        Err(error) => {
            return CommandReply {
                stderr: format!("{}\n", usage_error_line(&error.to_string())),
                code: 2,
                ..CommandReply::default()
            };
        }
    };
    let out = output::Output::captured(cli.json, request.cwd, request.stdin);
    let result = commands::run(node, cli.command, &out);
    let (stdout, notes) = out.into_captured();
    match result {
        Ok(()) => CommandReply {
            stdout,
            stderr: notes,
            ..CommandReply::default()
        },
        Err(error) => CommandReply {
            stdout,
            stderr: format!("{notes}{}\n", error_line(&error)),
            code: 1,
        },
    }
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

//! A command's input and output: human text by default, one JSON document with `--json`.
//! Input (files, standard input) is read here, in the process a person started, even when
//! the command then runs in the node that holds the data directory.

use std::io::{ErrorKind, Read as _, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

use crate::render;

/// Where a command's results go: this process's standard output and error.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) json: bool,
}

impl Output {
    /// Writes to this process's terminal.
    pub(crate) fn terminal(json: bool) -> Output {
        Output { json }
    }

    /// Whether results are printed as JSON.
    pub(crate) fn is_json(&self) -> bool {
        self.json
    }

    /// A hint for people, on standard error, apart from the result (which a script may
    /// capture from standard output).
    pub(crate) fn note(&self, text: &str) {
        report(text);
    }

    /// Prints `value` as JSON, or the text that `text` makes of it for people.
    pub(crate) fn show<T: Serialize>(
        &self,
        value: &T,
        text: impl FnOnce(&T) -> String,
    ) -> anyhow::Result<()> {
        if self.json {
            self.write(&format!("{}\n", serde_json::to_string_pretty(value)?))
        } else {
            self.write(&text(value))
        }
    }

    /// Prints the id of something just created: bare, or as `{"id": ...}`.
    pub(crate) fn created(&self, id: &impl std::fmt::Display) -> anyhow::Result<()> {
        if self.json {
            self.write(&format!(
                "{}\n",
                serde_json::json!({ "id": id.to_string() })
            ))
        } else {
            self.write(&format!("{id}\n"))
        }
    }

    /// Confirms a change that created nothing: a sentence (on one line, whatever member
    /// text it quotes), or `{"ok": true}`.
    pub(crate) fn done(&self, sentence: impl std::fmt::Display) -> anyhow::Result<()> {
        if self.json {
            self.write(&format!("{}\n", serde_json::json!({ "ok": true })))
        } else {
            self.write(&format!("{}\n", render::line(&sentence.to_string())))
        }
    }

    /// Writes `text` to standard output (flushed, so that it is out before the next edit);
    /// for people, with control characters escaped (see [`render`]).
    pub(crate) fn write(&self, text: &str) -> anyhow::Result<()> {
        if self.json {
            emit(text)
        } else {
            emit(&render::terminal(text))
        }
    }
}

/// All of standard input.
pub(crate) fn read_stdin() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the text from standard input")?;
    Ok(text)
}

/// A path given on the command line, made absolute against this process's working
/// directory: the node that writes it may run elsewhere.
pub(crate) fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot locate {}", path.display()))
}

/// Writes one line to standard error. If nobody is listening there either, there is no one
/// left to tell, so a failure is ignored (unlike `eprintln!`, which would panic).
/// Control characters but the newline are escaped (see [`render`]).
pub(crate) fn report(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{}", render::terminal(line));
}

/// The reader of standard output went away (`mutual history DOC | head`).
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub(crate) struct ReaderGone;

/// Writes `text` to standard output and flushes it.
pub(crate) fn emit(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == ErrorKind::BrokenPipe => Err(ReaderGone.into()),
        Err(error) => Err(error).context("cannot write to standard output"),
    }
}

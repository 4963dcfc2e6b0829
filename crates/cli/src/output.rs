//! Printing results: human text by default, one JSON document with `--json`.

use std::io::{ErrorKind, Write};

use anyhow::Context;
use serde::Serialize;

/// How results are printed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    pub(crate) json: bool,
}

impl Output {
    /// Prints `value` as JSON, or the text that `text` makes of it for people.
    pub(crate) fn show<T: Serialize>(
        &self,
        value: &T,
        text: impl FnOnce(&T) -> String,
    ) -> anyhow::Result<()> {
        if self.json {
            emit(&format!("{}\n", serde_json::to_string_pretty(value)?))
        } else {
            emit(&text(value))
        }
    }

    /// Prints the id of something just created: bare, or as `{"id": ...}`.
    pub(crate) fn created(&self, id: &impl std::fmt::Display) -> anyhow::Result<()> {
        if self.json {
            emit(&format!(
                "{}\n",
                serde_json::json!({ "id": id.to_string() })
            ))
        } else {
            emit(&format!("{id}\n"))
        }
    }

    /// Confirms a change that created nothing: a sentence, or `{"ok": true}`.
    pub(crate) fn done(&self, sentence: impl std::fmt::Display) -> anyhow::Result<()> {
        if self.json {
            emit(&format!("{}\n", serde_json::json!({ "ok": true })))
        } else {
            emit(&format!("{sentence}\n"))
        }
    }
}

/// Writes one line to standard error. If nobody is listening there either, there is no one
/// left to tell, so a failure is ignored (unlike `eprintln!`, which would panic).
pub(crate) fn report(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The reader of standard output went away (`mutual history DOC | head`).
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub(crate) struct ReaderGone;

/// Writes `text` to standard output and flushes it, so that it is out before the next edit.
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

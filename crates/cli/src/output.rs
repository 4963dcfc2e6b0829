//! A command's input and output: human text by default, one JSON document with `--json`,
//! written to the terminal, or captured when the command runs inside `mutual serve` on
//! behalf of another `mutual` process (which then prints it).

use std::cell::RefCell;
use std::io::{ErrorKind, Read as _, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

/// Where a command's results go, and where its input comes from.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) json: bool,
    sink: Sink,
}

#[derive(Debug)]
enum Sink {
    /// This process's standard streams.
    Terminal,
    /// A forwarded command: output is kept for the caller, input is what it sent.
    Captured {
        stdout: RefCell<String>,
        stderr: RefCell<String>,
        cwd: Option<PathBuf>,
        stdin: Option<String>,
    },
}

impl Output {
    /// Reads from and writes to this process's terminal.
    pub(crate) fn terminal(json: bool) -> Output {
        Output {
            json,
            sink: Sink::Terminal,
        }
    }

    /// Keeps what is written (see [`Output::into_captured`]); relative paths are read from
    /// `cwd`, and standard input is `stdin`.
    pub(crate) fn captured(json: bool, cwd: Option<PathBuf>, stdin: Option<String>) -> Output {
        Output {
            json,
            sink: Sink::Captured {
                stdout: RefCell::new(String::new()),
                stderr: RefCell::new(String::new()),
                cwd,
                stdin,
            },
        }
    }

    /// What a captured command wrote to its standard output and (notes) standard error.
    pub(crate) fn into_captured(self) -> (String, String) {
        match self.sink {
            Sink::Terminal => (String::new(), String::new()),
            Sink::Captured { stdout, stderr, .. } => (stdout.into_inner(), stderr.into_inner()),
        }
    }

    /// Whether results are printed as JSON.
    pub(crate) fn is_json(&self) -> bool {
        self.json
    }

    /// A hint for people, on standard error, apart from the result (which a script may
    /// capture from standard output).
    pub(crate) fn note(&self, text: &str) {
        match &self.sink {
            Sink::Terminal => report(text),
            Sink::Captured { stderr, .. } => {
                let mut stderr = stderr.borrow_mut();
                stderr.push_str(text);
                stderr.push('\n');
            }
        }
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

    /// Confirms a change that created nothing: a sentence, or `{"ok": true}`.
    pub(crate) fn done(&self, sentence: impl std::fmt::Display) -> anyhow::Result<()> {
        if self.json {
            self.write(&format!("{}\n", serde_json::json!({ "ok": true })))
        } else {
            self.write(&format!("{sentence}\n"))
        }
    }

    /// Writes `text` to standard output (flushed, so that it is out before the next edit),
    /// or keeps it for the caller.
    pub(crate) fn write(&self, text: &str) -> anyhow::Result<()> {
        match &self.sink {
            Sink::Terminal => emit(text),
            Sink::Captured { stdout, .. } => {
                stdout.borrow_mut().push_str(text);
                Ok(())
            }
        }
    }

    /// All of standard input.
    pub(crate) fn read_stdin(&self) -> anyhow::Result<String> {
        match &self.sink {
            Sink::Terminal => {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .context("cannot read the text from standard input")?;
                Ok(text)
            }
            Sink::Captured { stdin, .. } => stdin
                .clone()
                .context("standard input was not passed to the running node"),
        }
    }

    /// A path given on the command line, relative to the caller's working directory.
    pub(crate) fn path(&self, path: &Path) -> PathBuf {
        match &self.sink {
            Sink::Captured { cwd: Some(cwd), .. } => cwd.join(path),
            _ => path.to_path_buf(),
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

//! Printing results: human text by default, one JSON document with `--json`.

use serde::Serialize;

/// How results are printed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    pub(crate) json: bool,
}

impl Output {
    /// Prints `value` as JSON, or runs `text` to print it for people.
    pub(crate) fn show<T: Serialize>(
        &self,
        value: &T,
        text: impl FnOnce(&T),
    ) -> anyhow::Result<()> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            text(value);
        }
        Ok(())
    }

    /// Prints the id of something just created: bare, or as `{"id": ...}`.
    pub(crate) fn created(&self, id: &impl std::fmt::Display) -> anyhow::Result<()> {
        if self.json {
            println!("{}", serde_json::json!({ "id": id.to_string() }));
        } else {
            println!("{id}");
        }
        Ok(())
    }

    /// Confirms a change that created nothing: a sentence, or `{"ok": true}`.
    pub(crate) fn done(&self, sentence: impl std::fmt::Display) -> anyhow::Result<()> {
        if self.json {
            println!("{}", serde_json::json!({ "ok": true }));
        } else {
            println!("{sentence}");
        }
        Ok(())
    }
}

//! Getting data out: a group's documents as JSON, with each assembly's minutes as
//! Markdown (backups are in `backup.rs`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use mutual_auth::GroupId;
use mutual_docs::View;
use mutual_docs::assembly::Assembly;
use serde::Serialize;

use crate::view::{DocView, GroupView};
use crate::{Error, Node};

/// A group's export: the group and every document, read as the node reads them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GroupExport {
    /// The group, its members and its documents' list.
    pub group: GroupView,
    /// Every document, whole.
    pub documents: Vec<DocView>,
}

impl Node {
    /// A group and all its documents.
    pub fn export_group(&mut self, group_id: &GroupId) -> Result<GroupExport, Error> {
        let group = self.group(group_id)?;
        let mut documents = Vec::new();
        for doc in &group.docs {
            let id = self.resolve_doc(&doc.id)?;
            documents.push(self.doc(&id)?);
        }
        Ok(GroupExport { group, documents })
    }

    /// Writes a group's export into `dir` (created if needed): `<group>.json`, and
    /// `<assembly> <id>.md` per assembly. Returns the files written.
    pub fn export_group_to(
        &mut self,
        group_id: &GroupId,
        dir: &Path,
    ) -> Result<Vec<PathBuf>, Error> {
        let export = self.export_group(group_id)?;
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Export { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let mut written = Vec::new();
        let mut write = |name: &str, extension: &str, text: &str| -> Result<(), Error> {
            let path = dir.join(format!("{}.{extension}", file_name(name)));
            std::fs::write(&path, text).map_err(io(&path))?;
            written.push(path);
            Ok(())
        };
        let json = serde_json::to_string_pretty(&export)
            .map_err(|e| Error::Corrupt(format!("the export of the group ({e})")))?;
        write(&export.group.name, "json", &json)?;
        for doc in &export.documents {
            if let View::Assembly(assembly) = &doc.content {
                let id = self.resolve_doc(&doc.id)?;
                let short: String = doc.id.chars().take(8).collect();
                let title = format!("{} {short}", assembly.title);
                write(&title, "md", &self.minutes_markdown(&id)?)?;
            }
        }
        Ok(written)
    }

    /// An assembly's minutes as Markdown: details, attendance, agenda, decisions, minutes
    /// and action items, with members by name.
    pub fn minutes_markdown(&mut self, doc_id: &mutual_docs::DocId) -> Result<String, Error> {
        let view = self.doc(doc_id)?;
        let View::Assembly(assembly) = &view.content else {
            return Err(Error::WrongKind {
                doc: doc_id.to_string(),
                expected: mutual_docs::Kind::Assembly,
                found: view.content.kind(),
            });
        };
        let names = self.member_names(&crate::replicas::parse_group_id(&view.group)?)?;
        let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
        Ok(render_minutes(assembly, &name))
    }
}

/// A title as a file name: letters, digits, spaces, dashes and underscores only.
fn file_name(title: &str) -> String {
    let name: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " -_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    match name.trim() {
        "" => "untitled".to_owned(),
        name => name.to_owned(),
    }
}

fn render_minutes(a: &Assembly, name: &dyn Fn(&str) -> String) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n", a.title);
    for (label, value) in [
        ("When", a.scheduled_at.clone()),
        ("Where", a.place.clone()),
        ("Facilitator", a.facilitator.as_deref().map(name)),
        ("Notes", a.note_taker.as_deref().map(name)),
    ] {
        if let Some(value) = value {
            let _ = writeln!(md, "- **{label}:** {value}");
        }
    }
    let present: Vec<String> = a.attendance.iter().map(|m| name(m)).collect();
    let present = if present.is_empty() {
        "nobody recorded".to_owned()
    } else {
        present.join(", ")
    };
    let _ = writeln!(md, "- **Present:** {present}\n");
    if !a.agenda.is_empty() {
        let _ = writeln!(md, "## Agenda\n");
        for (i, item) in a.agenda.iter().enumerate() {
            let _ = writeln!(md, "{}. {} ({})", i + 1, item.title, item.status);
            if !item.notes.trim().is_empty() {
                let _ = writeln!(md, "   {}", item.notes.trim().replace('\n', "\n   "));
            }
        }
        md.push('\n');
    }
    if !a.decisions.is_empty() {
        let _ = writeln!(md, "## Decisions\n");
        for d in &a.decisions {
            let _ = writeln!(md, "- {}: **{}**", d.title, d.outcome);
        }
        md.push('\n');
    }
    if !a.minutes.trim().is_empty() {
        let _ = writeln!(md, "## Minutes\n\n{}\n", a.minutes.trim());
    }
    if !a.actions.is_empty() {
        let _ = writeln!(md, "## Actions\n");
        for action in &a.actions {
            let done = if action.done { "x" } else { " " };
            let who = action
                .assignee
                .as_deref()
                .map(|m| format!(" ({})", name(m)))
                .unwrap_or_default();
            let _ = writeln!(md, "- [{done}] {}{who}", action.text);
        }
    }
    md
}
